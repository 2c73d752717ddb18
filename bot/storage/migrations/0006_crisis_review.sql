-- Counselor feedback on the crisis screen: "Not a concern" on a crisis alert, and messages the
-- screen missed, as labelled examples for improving it (classcare crisis review).

-- The label a staff member put on a crisis alert, and who and when. 'not_concern' is the only
-- label so far; NULL means nobody labelled it.
ALTER TABLE alerts ADD COLUMN label TEXT CHECK (label IN ('not_concern'));
ALTER TABLE alerts ADD COLUMN labelled_by INTEGER REFERENCES people(id);
ALTER TABLE alerts ADD COLUMN labelled_at INTEGER;

-- One labelled example. source: 'missed' (a staff member's /missed) or 'not_concern' (a crisis
-- alert labelled so). label: a crisis category the labeller chose, 'unsure', or 'none' (not a
-- concern); NULL while a /missed waits for its label. The text is health data: the retention
-- purge deletes the row by its own age, or with the episode of the student it came from.
-- student_id and alert_id serve that purge only; the review export shows neither.
CREATE TABLE crisis_examples (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL CHECK (source IN ('missed', 'not_concern')),
    text TEXT NOT NULL,
    label TEXT,
    labelled_by INTEGER NOT NULL REFERENCES people(id),
    created_at INTEGER NOT NULL,
    labelled_at INTEGER,
    student_id INTEGER REFERENCES people(id),
    alert_id INTEGER REFERENCES alerts(id)
);
CREATE INDEX crisis_examples_created ON crisis_examples (created_at);
CREATE INDEX crisis_examples_student ON crisis_examples (student_id, created_at);
