-- Issue 18: one plan per school, and bureau liaisons.

-- One plan per school (一校一策): a round belongs to a plan, '' for the county timetable or the
-- name of a school with its own [[schools]] plan, so two schools' mornings are two rounds.
-- SQLite cannot change a UNIQUE constraint in place: the table is rebuilt under the same name,
-- with foreign keys checked at commit, when check-ins point at the rebuilt table again.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE rounds_planned (
    id INTEGER PRIMARY KEY,
    local_date TEXT NOT NULL,
    slot TEXT NOT NULL,
    slot_index INTEGER NOT NULL,
    plan TEXT NOT NULL DEFAULT '',
    scheduled_at INTEGER NOT NULL,
    closes_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('opened', 'not_sent')),
    opened_at INTEGER,
    reminders_sent INTEGER NOT NULL DEFAULT 0,
    closed_at INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (local_date, slot, plan)
);
INSERT INTO rounds_planned (id, local_date, slot, slot_index, scheduled_at, closes_at, state,
    opened_at, reminders_sent, closed_at, created_at)
SELECT id, local_date, slot, slot_index, scheduled_at, closes_at, state, opened_at,
    reminders_sent, closed_at, created_at FROM rounds;
DROP TABLE rounds;
ALTER TABLE rounds_planned RENAME TO rounds;
CREATE INDEX rounds_open ON rounds (closed_at, closes_at);
CREATE INDEX rounds_date ON rounds (local_date, plan);

-- Bureau liaisons (包联): a bureau officer assigned to some schools supervises them, gets their
-- escalations before the bureau at large, and sees only them in /today, /stats and reports.
CREATE TABLE liaison_schools (
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (person_id, school_id)
);
CREATE INDEX liaison_schools_school ON liaison_schools (school_id);
