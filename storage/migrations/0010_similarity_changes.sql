-- The needs and proposals whose words or standing changed, in order, so that
-- the in-memory similarity index (storage/similarity) catches up by reading
-- only what changed since it last looked, whatever the clock says and
-- whichever process wrote (the bot, `guichet proposals import`). The index
-- deletes the rows it has read. AUTOINCREMENT: a sequence number is never
-- reused, even once every row is deleted.
CREATE TABLE similarity_changes (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    consultation_id  INTEGER NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('need', 'proposal')),
    item_id          INTEGER NOT NULL
);
CREATE INDEX similarity_changes_consultation ON similarity_changes(consultation_id, seq);

CREATE TRIGGER similarity_need_insert AFTER INSERT ON contributions BEGIN
    INSERT INTO similarity_changes(consultation_id, kind, item_id)
    VALUES (new.consultation_id, 'need', new.id);
END;
CREATE TRIGGER similarity_need_update
AFTER UPDATE OF title, body, status, proposal_id, collectivite ON contributions BEGIN
    INSERT INTO similarity_changes(consultation_id, kind, item_id)
    VALUES (new.consultation_id, 'need', new.id);
END;
CREATE TRIGGER similarity_need_delete AFTER DELETE ON contributions BEGIN
    INSERT INTO similarity_changes(consultation_id, kind, item_id)
    VALUES (old.consultation_id, 'need', old.id);
END;
CREATE TRIGGER similarity_proposal_insert AFTER INSERT ON proposals BEGIN
    INSERT INTO similarity_changes(consultation_id, kind, item_id)
    VALUES (new.consultation_id, 'proposal', new.id);
END;
CREATE TRIGGER similarity_proposal_update AFTER UPDATE OF title, summary ON proposals BEGIN
    INSERT INTO similarity_changes(consultation_id, kind, item_id)
    VALUES (new.consultation_id, 'proposal', new.id);
END;
CREATE TRIGGER similarity_proposal_delete AFTER DELETE ON proposals BEGIN
    INSERT INTO similarity_changes(consultation_id, kind, item_id)
    VALUES (old.consultation_id, 'proposal', old.id);
END;
