-- A bulk message (announcement, reminder, broadcast, results) is recorded in the
-- transaction of the fact that causes it, then expanded into outbox rows in short
-- batches of persons, each in its own transaction, so no event waits behind it.

CREATE TABLE fanouts (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,             -- the outbox rows' kind, and how to render them
    spec          TEXT NOT NULL DEFAULT '{}', -- JSON: whom and what, read by that kind
    priority      INTEGER NOT NULL,
    quiet         INTEGER NOT NULL,
    broadcast_id  INTEGER REFERENCES broadcasts(id) ON DELETE SET NULL,
    notice_id     INTEGER REFERENCES phase_notices(id) ON DELETE SET NULL,
    not_before    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_person   INTEGER NOT NULL,          -- persons who came after are not in it
    next_person   INTEGER NOT NULL DEFAULT 0, -- persons below this id are queued
    queued        INTEGER NOT NULL DEFAULT 0,
    done_at       TEXT
);
CREATE INDEX fanouts_pending ON fanouts(id) WHERE done_at IS NULL;
