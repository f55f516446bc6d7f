-- Durable job queue and Idempotency-Key records (SQLite flavour; the same
-- tables and columns as the PostgreSQL migration). Time stamps are UTC text
-- 'YYYY-MM-DD HH:MM:SS.ffffff' as in 0001; "now" is SQLite's clock.

CREATE TABLE jobs (
    job_id           TEXT PRIMARY KEY NOT NULL,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    dedupe_key       TEXT UNIQUE,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts     INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_after        TEXT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    result           TEXT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    -- A lease exists exactly while the job runs.
    CHECK ((status = 'running') = (lease_expires_at IS NOT NULL AND lease_owner IS NOT NULL))
);

-- Claiming: due queued jobs and expired leases.
CREATE INDEX idx_jobs_claim ON jobs (status, run_after, job_id);
CREATE INDEX idx_jobs_lease ON jobs (status, lease_expires_at);
CREATE INDEX idx_jobs_status_created ON jobs (status, created_at DESC);
CREATE INDEX idx_jobs_created ON jobs (created_at DESC);

CREATE TABLE idempotency_keys (
    principal       TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    -- Which begin call took the key (so a retried begin knows it was its own).
    owner_nonce     TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
    response_status INTEGER CHECK (response_status BETWEEN 0 AND 65535),
    response_body   TEXT,
    created_at      TEXT NOT NULL,
    finished_at     TEXT,
    PRIMARY KEY (principal, idempotency_key),
    CHECK ((state = 'done') = (response_status IS NOT NULL AND response_body IS NOT NULL))
);

CREATE INDEX idx_idempotency_created ON idempotency_keys (created_at);
