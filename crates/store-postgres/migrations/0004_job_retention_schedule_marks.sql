-- Job retention and the scheduler's memory (PostgreSQL flavour; the same
-- tables and columns as the SQLite migration).

-- purge_finished_jobs_before: finished jobs by age, without reading the
-- queued and running ones.
CREATE INDEX idx_jobs_finished_updated ON jobs (updated_at) WHERE status IN ('done', 'dead');

-- The end of the last period the scheduler queued, per facility; it only
-- moves forward (schedule_mark_advance).
CREATE TABLE schedule_marks (
    facility_id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    period_end  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
