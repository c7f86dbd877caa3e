-- Messages a person writes to the consultation team (/ecrire, /contact) and the
-- team's answer. The person's text is personal data: exported with the rest
-- and deleted on erasure; the answer's author is kept for the audit log.
CREATE TABLE contact_messages (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    answer       TEXT,
    answered_by  INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    answered_at  TEXT
);
CREATE INDEX contact_messages_waiting ON contact_messages(answered_at, id);
CREATE INDEX contact_messages_person ON contact_messages(person_id);
