-- An approved member who asks for another role keeps the approved one until
-- the staff decide: the role asked for waits here, and the staff's queue shows
-- it as a change ("approved as elected official, asks to become agent").
ALTER TABLE memberships ADD COLUMN requested_role TEXT CHECK (requested_role IN ('elu', 'agent'));
CREATE INDEX memberships_role_changes ON memberships(requested_role) WHERE requested_role IS NOT NULL;
