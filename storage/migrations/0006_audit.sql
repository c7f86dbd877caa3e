-- Every staff action: who, what, when, on what. Kept for accountability
-- towards the steering committee; the label survives the staff member's erasure.

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    staff_id     INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    staff_label  TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL,
    target       TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_staff ON audit_log(staff_id, at);
