-- Relays carry voice notes, stickers, files and videos too (copyMessage): the contact log's
-- channel names what was sent. SQLite cannot change a CHECK in place, so the table is rebuilt;
-- nothing references contacts, so its rows move over as they are.
CREATE TABLE contacts_new (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL REFERENCES people(id),
    staff_id INTEGER NOT NULL REFERENCES people(id),
    at INTEGER NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'call')),
    channel TEXT NOT NULL CHECK (channel IN ('text', 'photo', 'phone', 'voice', 'audio',
        'video', 'video_note', 'animation', 'sticker', 'document')),
    outbox_id INTEGER REFERENCES outbox(id),
    -- The Telegram message the sender wrote (chat:message), for replies to point back at.
    message_ref TEXT
);
INSERT INTO contacts_new SELECT id, student_id, staff_id, at, direction, channel, outbox_id,
    message_ref FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_new RENAME TO contacts;
CREATE INDEX contacts_student ON contacts (student_id, at);
CREATE INDEX contacts_staff ON contacts (staff_id, at);
CREATE INDEX contacts_outbox ON contacts (outbox_id);

-- An export is one audit entry per student it held; `rows` says how many records it held (the
-- ledger's check-ins, a notice's receipts), so /audit can show the export as one line.
ALTER TABLE audit ADD COLUMN rows INTEGER;
