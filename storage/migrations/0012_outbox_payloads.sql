-- A bulk message's text is stored once and referenced by each recipient's row
-- (a national broadcast kept 100,000 copies of it); sent rows are purged after
-- a while, their count kept per broadcast for its delivery report.

CREATE TABLE outbox_payloads (
    id    INTEGER PRIMARY KEY,
    body  TEXT NOT NULL
);

ALTER TABLE outbox ADD COLUMN payload_id INTEGER REFERENCES outbox_payloads(id);
CREATE INDEX outbox_payload ON outbox(payload_id) WHERE payload_id IS NOT NULL;

ALTER TABLE broadcasts ADD COLUMN purged_sent INTEGER NOT NULL DEFAULT 0;
-- The purge walks only sent rows, oldest first.
CREATE INDEX outbox_sent ON outbox(sent_at) WHERE status = 'sent';
