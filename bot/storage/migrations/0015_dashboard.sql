-- The staff dashboard (a Telegram Mini App). Tokens are kept only as SHA-256 hashes: a copy of
-- the database does not open anyone's session.

-- A signed-in browser: tied to the staff member and the Telegram account that signed in, so
-- unbinding or deactivating the person ends it.
CREATE TABLE dashboard_sessions (
    token_hash TEXT PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    telegram_user_id INTEGER NOT NULL,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);

-- /web's single-use login links for a desktop browser.
CREATE TABLE dashboard_logins (
    token_hash TEXT PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    telegram_user_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);

-- Mini App launches already exchanged for a session (the initData's own hash), kept until
-- they would be too old anyway: a copied initData cannot open a second session.
CREATE TABLE dashboard_launches (
    init_hash TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);

-- Each closed day's check-ins per school, counted once: a county's 14-day trend reads 1,400
-- rows here instead of 1.7 million check-ins. Counts only, no person: nothing to purge.
CREATE TABLE dashboard_day_totals (
    local_date TEXT NOT NULL,
    school_id INTEGER NOT NULL,
    expected INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    fevers INTEGER NOT NULL,
    low_moods INTEGER NOT NULL,
    PRIMARY KEY (local_date, school_id)
);

-- A county's today (120,000 check-ins) counted from the index alone, without reading a row:
-- the answer-time columns the today view counts by, after the round they belong to.
CREATE INDEX dashboard_checkins_day ON checkins
    (round_id, status, student_id, answered_at, started_at, temperature_c, mood, symptoms);
