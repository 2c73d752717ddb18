-- Guardians (家长): people with their own account, linked to the children they care for.
-- SQLite cannot widen the role CHECK in place, so people is rebuilt. Every other table refers
-- to it; with foreign keys deferred, dropping it leaves those references dangling only until
-- the same ids are inserted again, and the commit fails if any id were lost.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE people_before AS SELECT * FROM people;
DROP TABLE people;
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    role TEXT NOT NULL
        CHECK (role IN ('student', 'teacher', 'doctor', 'counselor', 'admin', 'guardian')),
    -- A guardian's number is their mobile number, digits only: it is what the school knows.
    number TEXT NOT NULL,
    name TEXT NOT NULL,
    school_id INTEGER REFERENCES schools(id),
    class_id INTEGER REFERENCES classes(id),
    language TEXT CHECK (language IS NULL OR language IN ('zh-CN', 'en')),
    guardian_consent INTEGER NOT NULL DEFAULT 0,
    telegram_user_id INTEGER UNIQUE,
    chat_id INTEGER,
    bound_at INTEGER,
    unreachable_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deactivated_at INTEGER,
    -- Who answers a student's check-in, from the roster; NULL = the configured default.
    answerer TEXT CHECK (answerer IS NULL OR answerer IN ('student', 'guardian', 'either')),
    CHECK (role != 'student' OR (school_id IS NOT NULL AND class_id IS NOT NULL)),
    CHECK (role != 'guardian' OR (school_id IS NULL AND class_id IS NULL))
);
INSERT INTO people (id, role, number, name, school_id, class_id, language, guardian_consent,
    telegram_user_id, chat_id, bound_at, unreachable_at, created_at, updated_at, deactivated_at)
SELECT id, role, number, name, school_id, class_id, language, guardian_consent,
    telegram_user_id, chat_id, bound_at, unreachable_at, created_at, updated_at, deactivated_at
FROM people_before;
DROP TABLE people_before;
CREATE UNIQUE INDEX people_student_number ON people (school_id, number) WHERE role = 'student';
CREATE UNIQUE INDEX people_staff_number ON people (number)
    WHERE role NOT IN ('student', 'guardian');
CREATE UNIQUE INDEX people_guardian_number ON people (number) WHERE role = 'guardian';
CREATE INDEX people_class ON people (class_id);

-- Which guardian cares for which child; siblings share a guardian, a child has one primary.
CREATE TABLE guardian_links (
    guardian_id INTEGER NOT NULL REFERENCES people(id),
    student_id INTEGER NOT NULL REFERENCES people(id),
    relation TEXT NOT NULL,
    is_primary INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (guardian_id, student_id)
);
CREATE UNIQUE INDEX guardian_links_primary ON guardian_links (student_id) WHERE is_primary = 1;
CREATE INDEX guardian_links_student ON guardian_links (student_id);

-- The primary guardian's answer when the roster had no consent: asked once, kept with its time.
CREATE TABLE guardian_consents (
    student_id INTEGER PRIMARY KEY REFERENCES people(id),
    guardian_id INTEGER NOT NULL REFERENCES people(id),
    asked_at INTEGER NOT NULL,
    answer TEXT CHECK (answer IS NULL OR answer IN ('yes', 'no')),
    answered_at INTEGER
);

-- Who answered a check-in: NULL is the student, otherwise the guardian who answered for them.
ALTER TABLE checkins ADD COLUMN answered_by INTEGER REFERENCES people(id);
