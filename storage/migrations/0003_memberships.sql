-- A person speaks for a collectivité with a role; staff approve the claim
-- unless the deployment's verification mode is 'open'.

CREATE TABLE memberships (
    id            INTEGER PRIMARY KEY,
    person_id     INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    collectivite  TEXT NOT NULL REFERENCES collectivites(code),
    role          TEXT NOT NULL CHECK (role IN ('elu', 'agent')),
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    evidence      TEXT NOT NULL DEFAULT '',
    decided_by    INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    decided_at    TEXT,
    created_at    TEXT NOT NULL,
    UNIQUE (person_id, collectivite)
);
CREATE INDEX memberships_queue ON memberships(status, created_at);
CREATE INDEX memberships_collectivite ON memberships(collectivite, status);
