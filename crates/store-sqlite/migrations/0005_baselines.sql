-- Energy baselines (ISO 50006), one per (facility, name) (SQLite flavour;
-- the same table and columns as the PostgreSQL migration). Time stamps are
-- UTC text 'YYYY-MM-DD HH:MM:SS.ffffff' as in 0001.
CREATE TABLE baselines (
    facility_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    document    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (facility_id, name)
);
