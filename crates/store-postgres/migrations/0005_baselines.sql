-- Energy baselines (ISO 50006), one per (facility, name) (PostgreSQL
-- flavour; the same table and columns as the SQLite migration). "C"
-- collation: names order as bytes on both backends.
CREATE TABLE baselines (
    facility_id TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    document    TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (facility_id, name)
);
