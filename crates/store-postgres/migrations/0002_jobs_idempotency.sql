-- Durable job queue and Idempotency-Key records (PostgreSQL flavour; the same
-- tables and columns as the SQLite migration). Claimed with
-- FOR UPDATE SKIP LOCKED; "now" is the server's now().

CREATE TABLE jobs (
    job_id           TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    dedupe_key       TEXT COLLATE "C" UNIQUE,
    status           TEXT COLLATE "C" NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts     INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_after        TIMESTAMPTZ NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TIMESTAMPTZ,
    result           TEXT,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    -- A lease exists exactly while the job runs.
    CHECK ((status = 'running') = (lease_expires_at IS NOT NULL AND lease_owner IS NOT NULL))
);

-- Claiming: due queued jobs, and expired leases.
CREATE INDEX idx_jobs_queued ON jobs (run_after, job_id) WHERE status = 'queued';
CREATE INDEX idx_jobs_running_lease ON jobs (lease_expires_at) WHERE status = 'running';
CREATE INDEX idx_jobs_status_created ON jobs (status, created_at DESC);
CREATE INDEX idx_jobs_created ON jobs (created_at DESC);

CREATE TABLE idempotency_keys (
    principal       TEXT COLLATE "C" NOT NULL,
    idempotency_key TEXT COLLATE "C" NOT NULL,
    request_hash    TEXT NOT NULL,
    -- Which begin call took the key (so a begin retried after a lost
    -- connection knows the key is its own).
    owner_nonce     TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
    response_status INTEGER CHECK (response_status BETWEEN 0 AND 65535),
    response_body   TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    PRIMARY KEY (principal, idempotency_key),
    CHECK ((state = 'done') = (response_status IS NOT NULL AND response_body IS NOT NULL))
);

CREATE INDEX idx_idempotency_created ON idempotency_keys (created_at);
