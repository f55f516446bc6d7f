-- Facilities and meter readings (PostgreSQL flavour; the same tables and
-- columns as the SQLite migration), so the runbook's
--   SELECT * FROM energy_readings WHERE facility_id = 'FAC-001'
--     AND timestamp >= '2025-11-01' AND timestamp < '2025-11-02';
--   ANALYZE energy_readings;
-- run unchanged in psql (literals are UTC: 0001 sets the database's time zone).
--
-- energy_readings is range-partitioned by timestamp, one partition a UTC
-- month named energy_readings_pYYYYMM, created on demand by the store's
-- insert path for months of the years 2000-2099 (under an advisory lock, in
-- their own short transaction). Everything else lands in the DEFAULT
-- partition energy_readings_default, so no insert ever fails for lack of a
-- partition. Retention drops whole monthly partitions.
--
-- idx_energy_readings_facility_time is the runbook's index, created here on
-- the partitioned table (and so on every partition, present and future).
-- PostgreSQL cannot build an index on a partitioned table CONCURRENTLY: the
-- runbook's "CREATE INDEX CONCURRENTLY idx_energy_readings_facility_time ..."
-- is refused, and is not needed, as the index exists. To rebuild it without
-- blocking writes, per partition: REINDEX INDEX CONCURRENTLY on the partition's
-- index (see \d energy_readings_pYYYYMM).

CREATE TABLE facilities (
    facility_id  TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    process_type TEXT NOT NULL,
    time_zone    TEXT NOT NULL,
    schedule     TEXT NOT NULL,
    -- The facility's canonical JSON, byte for byte.
    document     TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

-- The runbook's name for the facilities table.
CREATE VIEW facility_configurations AS
    SELECT facility_id, name, process_type, time_zone, schedule, document, created_at, updated_at
    FROM facilities;

CREATE TABLE energy_readings (
    facility_id TEXT COLLATE "C" NOT NULL,
    tag         TEXT COLLATE "C" NOT NULL,
    timestamp   TIMESTAMPTZ NOT NULL,
    value       DOUBLE PRECISION NOT NULL,
    quality     TEXT NOT NULL DEFAULT 'good' CHECK (quality IN ('good', 'uncertain', 'bad')),
    ingested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    corrected   BOOLEAN NOT NULL DEFAULT false,
    -- Also the streaming read's index (ORDER BY tag, timestamp per facility).
    PRIMARY KEY (facility_id, tag, timestamp)
) PARTITION BY RANGE (timestamp);

CREATE INDEX idx_energy_readings_facility_time ON energy_readings (facility_id, timestamp DESC);

CREATE TABLE energy_readings_default PARTITION OF energy_readings DEFAULT;

COMMENT ON TABLE energy_readings IS
    'Meter readings, partitioned by UTC month (energy_readings_pYYYYMM, created on insert; '
    'years 2000-2099), other dates in energy_readings_default.';
COMMENT ON INDEX idx_energy_readings_facility_time IS
    'The runbook''s index, on every partition. Partitioned: CREATE INDEX CONCURRENTLY is not '
    'possible (and not needed); REINDEX INDEX CONCURRENTLY each partition''s index instead.';
