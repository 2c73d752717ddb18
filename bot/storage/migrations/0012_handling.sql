-- How an alert was handled: the phone call that handled it (from /called), and the one line
-- (处置情况) a staff member wrote on resolving it. The line is health data: the retention purge
-- blanks it with the alert's facts.
ALTER TABLE alerts ADD COLUMN handled_call_id INTEGER REFERENCES contacts(id);
ALTER TABLE alerts ADD COLUMN resolution TEXT;
ALTER TABLE alerts ADD COLUMN resolution_by INTEGER REFERENCES people(id);
ALTER TABLE alerts ADD COLUMN resolution_at INTEGER;

-- A staff member who just resolved an alert is asked for that line: their next text in their
-- private chat is it, for a few minutes, unless they start something newer (a conversation,
-- a notice). One question at a time per person; Skip or an answer removes it.
CREATE TABLE resolution_prompts (
    person_id INTEGER PRIMARY KEY REFERENCES people(id),
    alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    asked_at INTEGER NOT NULL
);
