-- ThermalIQ schema, SQLite flavour. Time stamps are UTC text in SQLite's own
-- 'YYYY-MM-DD HH:MM:SS.ffffff' form, so the runbook's SQL
-- (created_at >= '2025-11-01') and SQLite's datetime('now', '-1 day') both
-- compare correctly as text.

CREATE TABLE calculations (
    calculation_id    TEXT PRIMARY KEY NOT NULL,
    facility_id       TEXT NOT NULL,
    period_start      TEXT NOT NULL,
    period_end        TEXT NOT NULL,
    efficiency        REAL,
    status            TEXT NOT NULL CHECK (status IN ('completed', 'failed', 'invalid')),
    invalid_reason    TEXT,
    recalculated_from TEXT REFERENCES calculations (calculation_id),
    energy_flows      TEXT NOT NULL,
    request           TEXT NOT NULL,
    canonical_input   TEXT NOT NULL,
    result            TEXT NOT NULL,
    input_hash        TEXT NOT NULL,
    output_hash       TEXT NOT NULL,
    engine_version    TEXT NOT NULL,
    created_at        TEXT NOT NULL
);

CREATE INDEX idx_calculations_facility_created ON calculations (facility_id, created_at DESC);
CREATE INDEX idx_calculations_created ON calculations (created_at DESC);
CREATE INDEX idx_calculations_status ON calculations (status);

CREATE TABLE api_tokens (
    token_id   TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    scope      TEXT NOT NULL CHECK (scope IN ('read', 'calculate', 'admin')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE audit_log (
    audit_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    detail      TEXT NOT NULL
);
