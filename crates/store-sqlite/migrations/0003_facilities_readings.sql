-- Facilities and meter readings (SQLite flavour; the same tables and columns
-- as the PostgreSQL migration). Time stamps are UTC text
-- 'YYYY-MM-DD HH:MM:SS.ffffff' as in 0001, so the runbook's
--   SELECT * FROM energy_readings WHERE facility_id = 'FAC-001'
--     AND timestamp >= '2025-11-01' AND timestamp < '2025-11-02';
-- compares as text and selects exactly the UTC day.

CREATE TABLE facilities (
    facility_id  TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    process_type TEXT NOT NULL,
    time_zone    TEXT NOT NULL,
    schedule     TEXT NOT NULL,
    -- The facility's canonical JSON, byte for byte.
    document     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- The runbook's name for the facilities table.
CREATE VIEW facility_configurations AS
    SELECT facility_id, name, process_type, time_zone, schedule, document, created_at, updated_at
    FROM facilities;

-- One row per (facility, tag, timestamp), clustered in that order (WITHOUT
-- ROWID): the streaming read (ORDER BY tag, timestamp) and per-tag sums
-- read the table in key order.
CREATE TABLE energy_readings (
    facility_id TEXT NOT NULL,
    tag         TEXT NOT NULL,
    timestamp   TEXT NOT NULL,
    value       REAL NOT NULL,
    quality     TEXT NOT NULL DEFAULT 'good' CHECK (quality IN ('good', 'uncertain', 'bad')),
    ingested_at TEXT NOT NULL,
    corrected   INTEGER NOT NULL DEFAULT 0 CHECK (corrected IN (0, 1)),
    PRIMARY KEY (facility_id, tag, timestamp)
) WITHOUT ROWID;

-- The runbook's index (time-range queries over all of a facility's tags).
CREATE INDEX idx_energy_readings_facility_time ON energy_readings (facility_id, timestamp DESC);
-- Retention deletes per facility through this index too (no third index
-- to maintain on every insert).
