-- Check-in rounds (one per local date and slot) and each student's check-in in a round.

-- A round is 'opened' when its prompts were enqueued, or 'not_sent' when its whole window
-- passed while the bot was down: then nobody was asked and nobody is blamed.
CREATE TABLE rounds (
    id INTEGER PRIMARY KEY,
    local_date TEXT NOT NULL,
    slot TEXT NOT NULL,
    slot_index INTEGER NOT NULL,
    scheduled_at INTEGER NOT NULL,
    closes_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('opened', 'not_sent')),
    opened_at INTEGER,
    -- How many reminder waves went out; a wave missed while down is skipped, not sent late.
    reminders_sent INTEGER NOT NULL DEFAULT 0,
    closed_at INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (local_date, slot)
);
CREATE INDEX rounds_open ON rounds (closed_at, closes_at);

-- One student's answers, written step by step so a restart resumes at the same step.
-- step: where the flow waits. temp_confirm holds a Fahrenheit reading awaiting a yes/no in
-- pending_c/pending_f; screen replaces mood on the weekly screen slot.
CREATE TABLE checkins (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds(id),
    student_id INTEGER NOT NULL REFERENCES people(id),
    isolation_id INTEGER NOT NULL REFERENCES isolations(id),
    with_screen INTEGER NOT NULL DEFAULT 0,
    step TEXT NOT NULL DEFAULT 'temperature'
        CHECK (step IN ('temperature', 'temp_confirm', 'symptoms', 'mood', 'screen', 'note',
                        'summary')),
    temperature_c REAL,
    temperature_status TEXT CHECK (temperature_status IN ('measured', 'not_measured')),
    fahrenheit_original REAL,
    pending_c REAL,
    pending_f REAL,
    -- Comma-separated symptom codes; NULL = not answered, '' = none.
    symptoms TEXT,
    mood INTEGER CHECK (mood BETWEEN 1 AND 5),
    screen_1 INTEGER CHECK (screen_1 BETWEEN 0 AND 3),
    screen_2 INTEGER CHECK (screen_2 BETWEEN 0 AND 3),
    screen_3 INTEGER CHECK (screen_3 BETWEEN 0 AND 3),
    screen_4 INTEGER CHECK (screen_4 BETWEEN 0 AND 3),
    note TEXT,
    status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'answered', 'missed', 'not_sent', 'cancelled')),
    prompt_outbox_id INTEGER REFERENCES outbox(id),
    message_id INTEGER,
    reminders_sent INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    -- First submission; kept through a later Edit so an edit cut off by closing still counts.
    answered_at INTEGER,
    closed_at INTEGER,
    evaluated_at INTEGER,
    UNIQUE (student_id, round_id)
);
CREATE INDEX checkins_round_status ON checkins (round_id, status);
CREATE INDEX checkins_student ON checkins (student_id, round_id);
CREATE INDEX checkins_unevaluated ON checkins (id)
    WHERE evaluated_at IS NULL AND status IN ('answered', 'missed');
