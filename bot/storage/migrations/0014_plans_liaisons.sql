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

-- Return to school (返校复学): a return is opened for a date and an audience; each returning
-- person answers a short declaration, the school doctor clears or holds them, and the cleared
-- are released on the date.
CREATE TABLE returns (
    id INTEGER PRIMARY KEY,
    return_date TEXT NOT NULL,
    -- What the audience was, as the opener named it: 'school', 'class:<id>' or 'ending'.
    audience TEXT NOT NULL,
    opened_by INTEGER REFERENCES people(id),
    opened_at INTEGER NOT NULL,
    -- When the cleared were released, and when the not-ready list went to the bureau.
    released_at INTEGER,
    warned_at INTEGER
);

CREATE TABLE return_people (
    return_id INTEGER NOT NULL REFERENCES returns(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    isolation_id INTEGER NOT NULL REFERENCES isolations(id),
    school_id INTEGER REFERENCES schools(id),
    -- waiting: not declared; ready / flagged: declared; cleared / held: the doctor decided;
    -- released: isolation ended on the date.
    status TEXT NOT NULL DEFAULT 'waiting'
        CHECK (status IN ('waiting', 'ready', 'flagged', 'cleared', 'held', 'released')),
    -- Answers so far, one character per question: 'y' (all well) or 'n'.
    answers TEXT NOT NULL DEFAULT '',
    photo_file_id TEXT,
    flag TEXT,
    declared_at INTEGER,
    decided_by INTEGER REFERENCES people(id),
    decided_at INTEGER,
    hold_reason TEXT,
    released_at INTEGER,
    PRIMARY KEY (return_id, person_id)
);
CREATE INDEX return_people_person ON return_people (person_id, status);
CREATE INDEX return_people_school ON return_people (school_id, return_id);
