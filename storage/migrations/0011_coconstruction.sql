-- After the selection: co-construction with volunteer collectivités (the
-- territoires référents), a working space per selected proposal, and the
-- people who follow a proposal's news.

-- The calendar gains a 'coconstruction' phase kind. SQLite cannot change a
-- CHECK in place, so the table is copied. Foreign keys are on while a
-- migration runs, and dropping `phases` deletes its rows first, which would
-- cascade to `phase_notices` (the record that makes an announcement go once):
-- those rows are kept aside and put back.
CREATE TEMP TABLE phase_notices_kept AS SELECT * FROM phase_notices;
CREATE TABLE phases_new (
    id               INTEGER PRIMARY KEY,
    consultation_id  INTEGER NOT NULL REFERENCES consultations(id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('needs', 'vote', 'support', 'selection',
                                                   'coconstruction')),
    opens_at         TEXT NOT NULL,
    closes_at        TEXT,
    UNIQUE (consultation_id, position),
    CHECK (closes_at IS NULL OR closes_at > opens_at)
);
INSERT INTO phases_new(id, consultation_id, position, kind, opens_at, closes_at)
SELECT id, consultation_id, position, kind, opens_at, closes_at FROM phases;
DROP TABLE phases;
ALTER TABLE phases_new RENAME TO phases;
INSERT INTO phase_notices SELECT * FROM phase_notices_kept;
DROP TABLE phase_notices_kept;

-- A collectivité volunteering to co-build a selected proposal, through the
-- person who answered for it. invited: it said it was "ready to co-build" and
-- is asked to confirm; applied: waits for the staff; approved: holds one of the
-- proposal's places; waiting: approved, on the waiting list (rank: queued_at);
-- declined, rejected, withdrawn: out.
CREATE TABLE volunteers (
    id            INTEGER PRIMARY KEY,
    proposal_id   INTEGER NOT NULL REFERENCES proposals(id) ON DELETE CASCADE,
    collectivite  TEXT NOT NULL REFERENCES collectivites(code),
    person_id     INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    status        TEXT NOT NULL CHECK (status IN ('invited', 'applied', 'approved', 'waiting',
                                                  'declined', 'rejected', 'withdrawn')),
    decided_by    INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    decided_at    TEXT,
    queued_at     TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (proposal_id, collectivite)
);
CREATE INDEX volunteers_proposal ON volunteers(proposal_id, status, queued_at);
CREATE INDEX volunteers_person ON volunteers(person_id);

-- Places of one proposal when the staff set them; otherwise the consultation's
-- setting `coconstruction_places`.
CREATE TABLE coconstruction_places (
    proposal_id  INTEGER PRIMARY KEY REFERENCES proposals(id) ON DELETE CASCADE,
    places       INTEGER NOT NULL CHECK (places >= 0)
);

-- Where the volunteers of a proposal work together: a Matrix room the bot
-- created, or a Telegram group the staff bound to it.
CREATE TABLE workspaces (
    id           INTEGER PRIMARY KEY,
    proposal_id  INTEGER NOT NULL REFERENCES proposals(id) ON DELETE CASCADE,
    backend      TEXT NOT NULL CHECK (backend IN ('matrix', 'telegram')),
    room         TEXT NOT NULL,
    bound_by     INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (proposal_id, backend),
    UNIQUE (backend, room)
);

-- Who was let into a workspace: invited (a Matrix invite, or a Telegram link
-- sent), joined, or removed. `account` is the platform's id, kept so that a
-- person who erased their account can still be removed from the room.
CREATE TABLE workspace_members (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    person_id     INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    account       TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('invited', 'joined', 'removed')),
    invite_link   TEXT NOT NULL DEFAULT '',
    reported_at   TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (workspace_id, account)
);
CREATE INDEX workspace_members_person ON workspace_members(person_id);

-- Following a proposal. Voters, members of supporting collectivités and
-- volunteers follow by default; a row says someone chose: 1 follows, 0 stopped.
CREATE TABLE follows (
    proposal_id  INTEGER NOT NULL REFERENCES proposals(id) ON DELETE CASCADE,
    person_id    INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    following    INTEGER NOT NULL CHECK (following IN (0, 1)),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (proposal_id, person_id)
) WITHOUT ROWID;
CREATE INDEX follows_person ON follows(person_id);

-- What the followers of a proposal were told: staff news, or an edit of its
-- title or summary after votes or supports.
CREATE TABLE proposal_news (
    id           INTEGER PRIMARY KEY,
    proposal_id  INTEGER NOT NULL REFERENCES proposals(id) ON DELETE CASCADE,
    author_id    INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('news', 'edit')),
    text         TEXT NOT NULL,
    recipients   INTEGER NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX proposal_news_proposal ON proposal_news(proposal_id, created_at);
