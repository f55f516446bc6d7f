-- Job retention and the scheduler's memory (SQLite flavour; the same tables
-- and columns as the PostgreSQL migration). Time stamps are UTC text
-- 'YYYY-MM-DD HH:MM:SS.ffffff' as in 0001.

-- purge_finished_jobs_before: finished jobs by age, without reading the
-- queued and running ones.
CREATE INDEX idx_jobs_finished_updated ON jobs (updated_at) WHERE status IN ('done', 'dead');

-- The end of the last period the scheduler queued, per facility; it only
-- moves forward.
CREATE TABLE schedule_marks (
    facility_id TEXT PRIMARY KEY NOT NULL,
    period_end  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
