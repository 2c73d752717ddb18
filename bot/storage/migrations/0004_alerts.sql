-- Alerts raised by the rules, the cards that show them to staff, the record of every step taken
-- on them, and the log of contact between students and staff.

-- state: open (nobody has taken it), acknowledged (owner_id took it), resolved.
-- An alert that is not resolved counts as open for merging: a new signal of the same kind for
-- the same student updates it instead of raising another (alerts_one_open).
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('info', 'warning', 'urgent')),
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
    opened_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    -- When the latest signal was seen (a check-in's answer time, a message's arrival).
    seen_at INTEGER NOT NULL,
    -- How many signals this alert gathered; a card says "seen 3 times".
    signals INTEGER NOT NULL DEFAULT 1,
    owner_id INTEGER REFERENCES people(id),
    acknowledged_at INTEGER,
    resolved_at INTEGER,
    resolved_by INTEGER REFERENCES people(id),
    -- 0: only the routed recipients; 1: school admins added; 2: bureau admins added.
    escalation_step INTEGER NOT NULL DEFAULT 0,
    next_escalation_at INTEGER,
    -- Bumped on every change so each card edit has its own outbox dedup key.
    revision INTEGER NOT NULL DEFAULT 0,
    facts TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX alerts_one_open ON alerts (student_id, kind) WHERE state != 'resolved';
CREATE INDEX alerts_escalation ON alerts (next_escalation_at) WHERE state = 'open';
CREATE INDEX alerts_student ON alerts (student_id, opened_at);

-- One card per recipient. outbox_id is the row that sent the card; edits point at it.
-- deliver_at is the card's not_before (later than created_at when it waits out quiet hours).
CREATE TABLE alert_cards (
    alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people(id),
    outbox_id INTEGER REFERENCES outbox(id),
    reason TEXT NOT NULL CHECK (reason IN ('routed', 'school_admin', 'bureau_admin')),
    created_at INTEGER NOT NULL,
    deliver_at INTEGER NOT NULL,
    PRIMARY KEY (alert_id, person_id)
);
CREATE INDEX alert_cards_outbox ON alert_cards (outbox_id);

-- What happened to an alert and who did it: raised, updated, acknowledged, resolved,
-- escalated:1, escalated:2. actor_id is NULL for the bot's own steps.
CREATE TABLE alert_events (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    actor_id INTEGER REFERENCES people(id),
    event TEXT NOT NULL
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, at);

-- Each signal applied to an alert, keyed by where it came from and what it said: evaluating the
-- same check-in twice finds its key here and changes nothing.
CREATE TABLE alert_signals (
    key TEXT PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    at INTEGER NOT NULL
);

-- Contact between a student and a staff member: relayed messages (in: student -> staff,
-- out: staff -> student) and phone calls made outside the bot. The text itself is not kept
-- here: it lives only in the outbox row that carried it.
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL REFERENCES people(id),
    staff_id INTEGER NOT NULL REFERENCES people(id),
    at INTEGER NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'call')),
    channel TEXT NOT NULL CHECK (channel IN ('text', 'photo', 'phone')),
    outbox_id INTEGER REFERENCES outbox(id),
    -- The Telegram message the sender wrote (chat:message), for replies to point back at.
    message_ref TEXT
);
CREATE INDEX contacts_student ON contacts (student_id, at);
CREATE INDEX contacts_staff ON contacts (staff_id, at);
CREATE INDEX contacts_outbox ON contacts (outbox_id);

-- Who a person is writing to right now: after "Message my teacher", "Talk to a counselor" or a
-- card's "Message student", the person's next texts and photos go to peer_ids until expires_at.
CREATE TABLE contact_sessions (
    person_id INTEGER PRIMARY KEY REFERENCES people(id),
    student_id INTEGER NOT NULL REFERENCES people(id),
    peer_ids TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
