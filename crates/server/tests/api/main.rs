//! HTTP integration tests: the real router on a real SQLite file, and the
//! real `thermaliq` binary for restarts, signals and the CLI. All in one
//! test binary to keep build time down.

mod analytics;
mod auth;
mod calculate;
mod coherence;
mod errors;
mod faults;
mod group_commit;
mod helpers;
mod jobs;
mod lifecycle;
mod listing;
mod logs;
mod meter_double;
mod meters;
mod openapi;
mod operations;
mod opportunities;
mod physics;
mod process;
mod readings;
mod replicas;
mod reports;
mod runbook_sql;
mod sankey;
mod slow_clients;
mod tokens;
