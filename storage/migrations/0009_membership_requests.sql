-- Every membership request as it is filed, for the per-person daily cap: the
-- memberships table keeps one row per collectivité, rewritten by each new
-- request and deleted when the person leaves, so it cannot count them. Rows
-- older than a day are dropped as the person files new ones.
CREATE TABLE membership_requests (
    id            INTEGER PRIMARY KEY,
    person_id     INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    collectivite  TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX membership_requests_person ON membership_requests(person_id, created_at);
