-- Core: people and how to reach them, conversation state, idempotence,
-- the consultation calendar and the outbox.

CREATE TABLE persons (
    id            INTEGER PRIMARY KEY,
    display_name  TEXT NOT NULL DEFAULT '',
    locale        TEXT CHECK (locale IN ('fr', 'en')),
    locale_hint   TEXT,
    role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'staff', 'admin')),
    acting_for    TEXT,
    reminders     INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);

CREATE TABLE identities (
    identity    TEXT PRIMARY KEY,
    backend     TEXT NOT NULL,
    person_id   INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    address     TEXT NOT NULL DEFAULT '',
    last_seen   TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX identities_person ON identities(person_id, last_seen);

CREATE TABLE conversations (
    person_id   INTEGER PRIMARY KEY REFERENCES persons(id) ON DELETE CASCADE,
    step        TEXT,
    data        TEXT NOT NULL DEFAULT '{}',
    menu        TEXT NOT NULL DEFAULT '[]',
    updated_at  TEXT NOT NULL
);

CREATE TABLE processed_events (
    event_id      TEXT PRIMARY KEY,
    processed_at  TEXT NOT NULL
);
CREATE INDEX processed_events_time ON processed_events(processed_at);

CREATE TABLE backend_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE consultations (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    settings    TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL
);

CREATE TABLE phases (
    id               INTEGER PRIMARY KEY,
    consultation_id  INTEGER NOT NULL REFERENCES consultations(id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('needs', 'vote', 'support', 'selection')),
    opens_at         TEXT NOT NULL,
    closes_at        TEXT,
    UNIQUE (consultation_id, position),
    CHECK (closes_at IS NULL OR closes_at > opens_at)
);

CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'sent', 'failed', 'blocked')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    not_before   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    sent_at      TEXT,
    error        TEXT
);
CREATE INDEX outbox_due ON outbox(status, not_before);
