-- Answers to the person speaking go through the outbox too: written in the
-- event's transaction, sent at once, sent again after a crash or an outage.
-- An answer goes where the event came from (a private chat, a group, a room)
-- through the identity that spoke, not to the person's latest identity as a
-- notification does; ``context`` is what the backend needs to answer in place
-- (the message whose button was pressed, the event answered), as JSON.
ALTER TABLE outbox ADD COLUMN identity TEXT;
ALTER TABLE outbox ADD COLUMN address TEXT;
ALTER TABLE outbox ADD COLUMN context TEXT;
-- Priorities: 0 an answer, 1 a notice about the person's own business, 2 bulk.
UPDATE outbox SET priority = priority + 1;
