-- A change marker for cached calculation views (SQLite flavour; the same
-- table as the PostgreSQL migration). Any UPDATE or DELETE of a calculation —
-- through the API or an operator's manual SQL (the runbook's
-- `UPDATE calculations SET status='invalid' …`) — bumps `counter` in the same
-- transaction, so a replica that compares it with the value its cached views
-- were written under never serves a view older than the change.
CREATE TABLE calculation_changes (
    id      INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    counter INTEGER NOT NULL
);
INSERT INTO calculation_changes (id, counter) VALUES (1, 0);

CREATE TRIGGER calculations_updated_mark AFTER UPDATE ON calculations
BEGIN
    UPDATE calculation_changes SET counter = counter + 1 WHERE id = 1;
END;

CREATE TRIGGER calculations_deleted_mark AFTER DELETE ON calculations
BEGIN
    UPDATE calculation_changes SET counter = counter + 1 WHERE id = 1;
END;
