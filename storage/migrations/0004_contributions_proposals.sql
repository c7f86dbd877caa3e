-- The path of the consultation: needs (contributions) reviewed by staff into
-- proposals, then votes by persons and supports by collectivités.

CREATE TABLE proposals (
    id               INTEGER PRIMARY KEY,
    consultation_id  INTEGER NOT NULL REFERENCES consultations(id) ON DELETE CASCADE,
    number           INTEGER NOT NULL CHECK (number > 0),
    title            TEXT NOT NULL,
    summary          TEXT NOT NULL DEFAULT '',
    theme            TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'selected', 'not_selected')),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (consultation_id, number)
);
CREATE INDEX proposals_theme ON proposals(consultation_id, theme, number);

-- Words of proposals, found whatever the accents or the case.
CREATE VIRTUAL TABLE proposals_fts USING fts5(
    title, summary, content='proposals', content_rowid='id',
    tokenize="unicode61 remove_diacritics 2"
);
CREATE TRIGGER proposals_fts_insert AFTER INSERT ON proposals BEGIN
    INSERT INTO proposals_fts(rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;
CREATE TRIGGER proposals_fts_delete AFTER DELETE ON proposals BEGIN
    INSERT INTO proposals_fts(proposals_fts, rowid, title, summary)
    VALUES ('delete', old.id, old.title, old.summary);
END;
CREATE TRIGGER proposals_fts_update AFTER UPDATE OF title, summary ON proposals BEGIN
    INSERT INTO proposals_fts(proposals_fts, rowid, title, summary)
    VALUES ('delete', old.id, old.title, old.summary);
    INSERT INTO proposals_fts(rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;

CREATE TABLE contributions (
    id               INTEGER PRIMARY KEY,
    consultation_id  INTEGER NOT NULL REFERENCES consultations(id) ON DELETE CASCADE,
    author_id        INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    collectivite     TEXT NOT NULL REFERENCES collectivites(code),
    title            TEXT NOT NULL,
    body             TEXT NOT NULL,
    theme            TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'submitted'
                     CHECK (status IN ('submitted', 'rerouted', 'grouped', 'rejected', 'withdrawn')),
    reason           TEXT NOT NULL DEFAULT '',
    pointer          TEXT NOT NULL DEFAULT '',
    proposal_id      INTEGER REFERENCES proposals(id) ON DELETE SET NULL,
    reviewed_by      INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    reviewed_at      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK (status != 'grouped' OR proposal_id IS NOT NULL)
);
CREATE INDEX contributions_queue ON contributions(consultation_id, status, created_at);
CREATE INDEX contributions_author ON contributions(author_id, created_at);
CREATE INDEX contributions_proposal ON contributions(proposal_id);

CREATE TABLE votes (
    person_id    INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    proposal_id  INTEGER NOT NULL REFERENCES proposals(id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (person_id, proposal_id)
);
CREATE INDEX votes_proposal ON votes(proposal_id);

-- One support per collectivité and proposal, as the 2021 consultation counted them.
CREATE TABLE supports (
    collectivite  TEXT NOT NULL REFERENCES collectivites(code),
    proposal_id   INTEGER NOT NULL REFERENCES proposals(id) ON DELETE CASCADE,
    level         TEXT NOT NULL CHECK (level IN ('soutien', 'co_construction')),
    committed_by  INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (collectivite, proposal_id)
);
CREATE INDEX supports_proposal ON supports(proposal_id);
