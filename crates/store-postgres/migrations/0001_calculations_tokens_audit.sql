-- ThermalIQ schema, PostgreSQL flavour: the same tables, columns and indexes
-- as the SQLite migration, with native types so the runbook's SQL runs
-- unchanged in psql (created_at >= '2025-11-01', NOW() - INTERVAL '24 hours',
-- efficiency < 0, SELECT energy_flows ...).
--
-- * Ids use the "C" collation: ordering and the list cursor compare bytes,
--   as SQLite does, whatever the database's default collation is.
-- * request, canonical_input and result are hashed: TEXT, kept byte for byte.
-- * energy_flows is JSONB for operators; JSONB re-orders keys and rewrites
--   numbers, so the exact text the service stored (and reads back) is kept in
--   energy_flows_text. energy_flows is NULL only if that text is not JSON that
--   PostgreSQL accepts (e.g. a \u0000 escape), which the engine never writes.
-- * Time stamps are timestamptz (microseconds, UTC on the wire).

CREATE TABLE calculations (
    calculation_id    TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    facility_id       TEXT COLLATE "C" NOT NULL,
    period_start      TIMESTAMPTZ NOT NULL,
    period_end        TIMESTAMPTZ NOT NULL,
    efficiency        DOUBLE PRECISION,
    status            TEXT COLLATE "C" NOT NULL CHECK (status IN ('completed', 'failed', 'invalid')),
    invalid_reason    TEXT,
    recalculated_from TEXT COLLATE "C" REFERENCES calculations (calculation_id),
    energy_flows      JSONB,
    request           TEXT NOT NULL,
    canonical_input   TEXT NOT NULL,
    result            TEXT NOT NULL,
    input_hash        TEXT NOT NULL,
    output_hash       TEXT NOT NULL,
    engine_version    TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    energy_flows_text TEXT NOT NULL
);

CREATE INDEX idx_calculations_facility_created ON calculations (facility_id, created_at DESC);
CREATE INDEX idx_calculations_created ON calculations (created_at DESC);
CREATE INDEX idx_calculations_status ON calculations (status);

CREATE TABLE api_tokens (
    token_id   TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    scope      TEXT NOT NULL CHECK (scope IN ('read', 'calculate', 'admin')),
    token_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_log (
    audit_id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    detail      TEXT NOT NULL
);

-- The runbook's literals (created_at >= '2025-11-01') mean UTC days, as in the
-- API and the SQLite store: make UTC the default time zone of this database's
-- sessions (psql included). Skipped, with a notice, without the privilege.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET timezone TO %L', current_database(), 'UTC');
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'time zone of database % left unchanged: %', current_database(), SQLERRM;
END
$$;
