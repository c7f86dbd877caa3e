-- Calendar notices, staff broadcasts and a crash-safe outbox.

-- What the staff sent to whom: the text in both languages and the audience as
-- chosen, so the listing can show it and the author can be told when every
-- row is final (reported_at).
CREATE TABLE broadcasts (
    id               INTEGER PRIMARY KEY,
    consultation_id  INTEGER REFERENCES consultations(id) ON DELETE SET NULL,
    author_id        INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    text_fr          TEXT NOT NULL,
    text_en          TEXT NOT NULL DEFAULT '',
    audience         TEXT NOT NULL,          -- JSON {"kind": ..., "value": ...}
    recipients       INTEGER NOT NULL,
    not_before       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    reported_at      TEXT
);
CREATE INDEX broadcasts_unreported ON broadcasts(id) WHERE reported_at IS NULL;

-- Announcements and reminders already sent (or knowingly skipped): the
-- UNIQUE key is what makes a job that runs twice, or again after a restart,
-- send nothing the second time. A reminder is for one deadline: when the
-- staff move the deadline, the reminders for the new one are new facts.
CREATE TABLE phase_notices (
    id          INTEGER PRIMARY KEY,
    phase_id    INTEGER NOT NULL REFERENCES phases(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('announce', 'reminder')),
    days        INTEGER NOT NULL DEFAULT 0,
    deadline    TEXT NOT NULL DEFAULT '',
    outcome     TEXT NOT NULL CHECK (outcome IN ('sent', 'skipped')),
    recipients  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    UNIQUE (phase_id, kind, days, deadline)
);

-- The outbox gains a 'sending' state with a lease (a row is claimed before it
-- is sent; a crash leaves it 'sending' until the lease ends, then it is tried
-- again), the backend it goes through (one delivery lane per platform), a
-- priority (a personal notice passes a national broadcast), a quiet flag
-- (never delivered at night) and the broadcast it belongs to. SQLite cannot
-- change a CHECK in place, hence the copy.
CREATE TABLE outbox_new (
    id             INTEGER PRIMARY KEY,
    person_id      INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    payload        TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'blocked')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    not_before     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    sent_at        TEXT,
    error          TEXT,
    backend        TEXT,
    priority       INTEGER NOT NULL DEFAULT 0,
    quiet          INTEGER NOT NULL DEFAULT 0,
    claimed_until  TEXT,
    broadcast_id   INTEGER REFERENCES broadcasts(id) ON DELETE SET NULL
);
INSERT INTO outbox_new(id, person_id, kind, payload, status, attempts, not_before, created_at,
                       sent_at, error, backend)
SELECT o.id, o.person_id, o.kind, o.payload, o.status, o.attempts, o.not_before, o.created_at,
       o.sent_at, o.error,
       (SELECT i.backend FROM identities i WHERE i.person_id = o.person_id
         ORDER BY i.last_seen DESC LIMIT 1)
  FROM outbox o;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
-- A lane walks its backend's pending rows in delivery order; the trailing
-- columns let it skip rows not yet due without reading the table.
CREATE INDEX outbox_lane ON outbox(status, backend, priority, id, not_before, quiet);
CREATE INDEX outbox_lease ON outbox(status, claimed_until) WHERE status = 'sending';
CREATE INDEX outbox_broadcast ON outbox(broadcast_id, status) WHERE broadcast_id IS NOT NULL;
