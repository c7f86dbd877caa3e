-- Audiences (reminders, broadcasts) ask "does this person have an approved
-- membership?" for every person: without this index the planner could scan
-- all approved memberships per person, quadratic at 100,000 persons.
CREATE INDEX memberships_person ON memberships(person_id, status);
