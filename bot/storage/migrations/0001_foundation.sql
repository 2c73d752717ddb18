-- People, their schools and classes, isolation episodes, invites, audit, and the outbox.

CREATE TABLE schools (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE classes (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    name TEXT NOT NULL,
    UNIQUE (school_id, name)
);

-- Students and staff share one table so that a Telegram account binds to exactly one row.
-- Students are keyed by (school, student number); staff by staff number, bureau-wide.
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('student', 'teacher', 'doctor', 'counselor', 'admin')),
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
    CHECK (role != 'student' OR (school_id IS NOT NULL AND class_id IS NOT NULL))
);
CREATE UNIQUE INDEX people_student_number ON people (school_id, number) WHERE role = 'student';
CREATE UNIQUE INDEX people_staff_number ON people (number) WHERE role != 'student';
CREATE INDEX people_class ON people (class_id);

-- Classes a teacher is responsible for (班主任).
CREATE TABLE staff_classes (
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    class_id INTEGER NOT NULL REFERENCES classes(id),
    PRIMARY KEY (person_id, class_id)
);

-- Schools a counselor covers.
CREATE TABLE counselor_schools (
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    school_id INTEGER NOT NULL REFERENCES schools(id),
    PRIMARY KEY (person_id, school_id)
);

-- An episode covers a slot when started_at <= slot time < ended_at (or not ended).
CREATE TABLE isolations (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL CHECK (kind IN ('home', 'centralized', 'on_campus')),
    start_date TEXT NOT NULL,
    planned_end_date TEXT,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    end_date TEXT,
    started_by INTEGER REFERENCES people(id),
    ended_by INTEGER REFERENCES people(id),
    purged_at INTEGER
);
CREATE UNIQUE INDEX isolations_one_open ON isolations (student_id) WHERE ended_at IS NULL;
CREATE INDEX isolations_open ON isolations (ended_at, started_at);

CREATE TABLE invites (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    code_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    used_by INTEGER,
    revoked_at INTEGER
);
CREATE INDEX invites_person ON invites (person_id);

CREATE TABLE invite_failures (
    telegram_user_id INTEGER NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX invite_failures_user ON invite_failures (telegram_user_id, at);

CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_id INTEGER REFERENCES people(id),
    action TEXT NOT NULL,
    student_id INTEGER REFERENCES people(id),
    scope TEXT
);
CREATE INDEX audit_student ON audit (student_id, at);
CREATE INDEX audit_actor ON audit (actor_id, at);

-- A batch groups outbox rows for reporting: one round, one notice, one reminder wave.
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    summarized_at INTEGER,
    UNIQUE (kind, ref)
);

-- Everything the bot starts goes out through here. dedup_key makes enqueue exactly-once.
-- lane: 0 urgent alerts, 1 other alerts and relayed contact, 2 check-in prompts and reminders,
-- 3 notices and digests.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    dedup_key TEXT NOT NULL UNIQUE,
    lane INTEGER NOT NULL CHECK (lane BETWEEN 0 AND 3),
    batch_id INTEGER REFERENCES batches(id),
    person_id INTEGER REFERENCES people(id),
    chat_id INTEGER NOT NULL,
    method TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unreachable', 'unknown',
                          'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    message_id INTEGER,
    error TEXT,
    resent_after_crash INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (status, lane, id) WHERE status IN ('pending', 'sending');
CREATE INDEX outbox_batch ON outbox (batch_id, status);
CREATE INDEX outbox_person ON outbox (person_id);
