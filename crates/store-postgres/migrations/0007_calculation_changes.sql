-- A change marker for cached calculation views (the same table as the SQLite
-- migration). Any UPDATE or DELETE of calculations — through the API or an
-- operator's manual SQL (the runbook's `UPDATE calculations SET
-- status='invalid' …`) — bumps `counter` once per statement, in the same
-- transaction, so a replica comparing it with the value its cached views were
-- written under never serves a view older than the change.
CREATE TABLE calculation_changes (
    id      integer PRIMARY KEY CHECK (id = 1),
    counter bigint NOT NULL
);
INSERT INTO calculation_changes (id, counter) VALUES (1, 0);

CREATE FUNCTION calculation_changes_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE calculation_changes SET counter = counter + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER calculations_changed_mark
    AFTER UPDATE OR DELETE ON calculations
    FOR EACH STATEMENT EXECUTE FUNCTION calculation_changes_bump();
