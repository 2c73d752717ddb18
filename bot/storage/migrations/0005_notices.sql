-- Notices sent to a chosen audience, their recipients with read receipts, and the drafts staff
-- compose them in.

-- One draft per author, kept here rather than in a ConversationHandler so that a restart or two
-- taps at once cannot lose or fork it. stage: waiting for the text, choosing the audience,
-- previewed. AUTOINCREMENT so a deleted draft's id is never reused: a stale Send button must
-- not send a later draft.
CREATE TABLE notice_drafts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id INTEGER NOT NULL UNIQUE REFERENCES people(id) ON DELETE CASCADE,
    stage TEXT NOT NULL CHECK (stage IN ('text', 'audience', 'preview')),
    text TEXT,
    media_kind TEXT CHECK (media_kind IS NULL OR media_kind IN ('photo', 'document')),
    media_file_id TEXT,
    -- bot.audience.Audience.spec: all, students, isolated, staff, school:<id>, class:<id>,
    -- role:<role>.
    audience TEXT,
    needs_confirmation INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- draft_id is unique so that sending a draft twice (a double tap) creates one notice.
-- author_id is NULL for notices queued from the command line (the bureau).
-- school_id: the one school the audience lies in, NULL when it spans schools; school admins
-- oversee the notices of their school.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    draft_id INTEGER UNIQUE,
    author_id INTEGER REFERENCES people(id),
    school_id INTEGER REFERENCES schools(id),
    audience TEXT NOT NULL,
    text TEXT NOT NULL,
    media_kind TEXT CHECK (media_kind IS NULL OR media_kind IN ('photo', 'document')),
    media_file_id TEXT,
    needs_confirmation INTEGER NOT NULL,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    created_at INTEGER NOT NULL,
    reminded_at INTEGER,
    reminders INTEGER NOT NULL DEFAULT 0,
    withdrawn_at INTEGER,
    withdraw_batch_id INTEGER REFERENCES batches(id)
);
CREATE INDEX notices_author ON notices (author_id, created_at);
CREATE INDEX notices_school ON notices (school_id, created_at);

-- Everyone the audience named when the notice was sent, with where they were then (the report
-- groups by it). outbox_id is the copy that carries the text and the button; NULL means the
-- person had no linked account. media_outbox_id is a photo or document sent ahead of a text
-- too long for a caption.
CREATE TABLE notice_recipients (
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    role TEXT NOT NULL,
    school_id INTEGER,
    class_id INTEGER,
    outbox_id INTEGER REFERENCES outbox(id),
    media_outbox_id INTEGER REFERENCES outbox(id),
    confirmed_at INTEGER,
    reminded_at INTEGER,
    PRIMARY KEY (notice_id, person_id)
) WITHOUT ROWID;
CREATE INDEX notice_recipients_person ON notice_recipients (person_id);

-- Every outbox row a notice caused after the copies (reminders, deletions), so a withdrawal
-- finds all of them.
CREATE TABLE notice_messages (
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    outbox_id INTEGER NOT NULL REFERENCES outbox(id),
    kind TEXT NOT NULL CHECK (kind IN ('reminder', 'delete')),
    PRIMARY KEY (notice_id, outbox_id)
) WITHOUT ROWID;
