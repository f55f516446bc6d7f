//! The behaviour every [`Store`] backend must have, as executable checks
//! (cargo feature `contract`).
//!
//! Each check is a plain `pub async fn` taking a [`Fixture`]: a store on a
//! fresh, empty, migrated database plus a way to read the audit log behind the
//! store's back. A backend's test crate runs them all with
//! [`store_contract_tests!`](crate::store_contract_tests), one `#[tokio::test]`
//! per check, so SQLite and PostgreSQL are held to the same assertions.
//!
//! The asserts follow the documented contract of [`Store`] and its records, not
//! either implementation:
//! * every field of a record reads back as written (text byte for byte,
//!   `efficiency` bit for bit, time stamps as the same instant to the
//!   microsecond; finer digits are truncated);
//! * ids are unique (`Duplicate`), and the schema's constraints hold;
//! * lists are newest first by id (ids compare as bytes), filtered by
//!   facility, status, `created_from <= created_at < created_to`, paged by a
//!   strict `before_id` cursor and `limit`;
//! * invalidation marks matching rows that are not yet invalid, returns their
//!   ids oldest first, and writes exactly one audit entry per call, atomically;
//! * tokens are found by hash, counted, unique by id and by hash;
//! * every method is atomic; `close` makes every later call `Unavailable`;
//! * jobs: enqueue deduplicates by `dedupe_key` (also under races); concurrent
//!   claimers never get the same job; an expired lease is reclaimed and its old
//!   owner can no longer heartbeat, complete or fail the job; failures retry
//!   after the given backoff and dead-letter after `max_attempts`;
//!   `queue_depth` counts queued and running jobs;
//! * idempotency keys: new / in progress / replay / mismatch / abandon, scoped
//!   by principal, exactly one winner under races, purge by age.
//! * facilities: insert or replace (created_at kept), audited, listed by id;
//! * baselines: the same by (facility, name), listed by name;
//! * readings: idempotent by (facility, tag, timestamp), corrections replace
//!   and are audited, keyset pages ordered by (tag as bytes, timestamp) with
//!   no gaps or repeats, inclusive range bounds, retention by `timestamp <`.
//! * group commit: one call stores a slice in one transaction; a duplicate
//!   or refused record fails alone, its neighbours are stored;
//! * retention: finished jobs older than the cut-off are purged, nothing
//!   else; scheduler marks only move forward, the latest end wins races;
//! * refusals: NUL characters, keys over `MAX_KEY_BYTES`, times outside
//!   years 1-9999 (UTC) are `Rejected` naming the field, on every path.

//!
//! The checks are grouped by area, one module each; [`fixtures`] holds the
//! record builders (public, for backends' own tests).

#![cfg(feature = "contract")]

use std::sync::Arc;

use async_trait::async_trait;

use crate::{AuditEntry, Store};

pub mod fixtures;

mod baselines;
mod calculations;
mod facilities;
mod group_commit;
mod idempotency;
mod invalidation;
mod jobs;
mod lifecycle;
mod readings;
mod refused;
mod schedule;
mod tokens;

pub use baselines::*;
pub use calculations::*;
pub use facilities::*;
pub use fixtures::sample;
pub use group_commit::*;
pub use idempotency::*;
pub use invalidation::*;
pub use jobs::*;
pub use lifecycle::*;
pub use readings::*;
pub use refused::*;
pub use schedule::*;
pub use tokens::*;

/// A store on a database no other check uses.
#[async_trait]
pub trait Fixture: Send + Sync {
    /// The store under test (always the same one for this fixture).
    fn store(&self) -> Arc<dyn Store>;
    /// Every row of the audit log, in the order written, read directly from
    /// the database (not through the store).
    async fn audit_log(&self) -> Vec<AuditEntry>;
    /// Releases what the fixture created (called after a check passed).
    async fn teardown(&self) {}
}

/// Generates one `#[tokio::test]` per contract check. `$fixture` is an
/// `async fn() -> Option<F>` with `F: Fixture`; `None` skips the test (for a
/// backend whose database is not configured: print why before returning it).
#[macro_export]
macro_rules! store_contract_tests {
    ($fixture:path) => {
        $crate::store_contract_tests!(@checks $fixture;
            backend_and_ping,
            round_trip_every_field,
            round_trip_failed_and_recalculated,
            timestamps_keep_the_instant_to_the_microsecond,
            get_unknown_id_is_none,
            duplicate_id_is_rejected_and_keeps_the_original,
            schema_constraints_are_enforced,
            list_is_newest_first_by_id_with_limit,
            list_orders_ids_as_bytes,
            list_filters_by_facility_status_and_created_range,
            list_cursor_pages_without_gaps_or_repeats,
            invalidate_marks_the_range_and_returns_sorted_ids,
            invalidate_skips_rows_already_invalid,
            invalidate_without_matches_still_audits,
            invalidation_moves_the_change_marker,
            tokens_round_trip_and_count,
            duplicate_token_is_rejected_atomically,
            token_names_are_unique,
            tokens_list_touch_and_revoke,
            concurrent_inserts_are_all_kept_and_ids_stay_unique,
            connections_active_falls_back_to_zero_when_idle,
            close_makes_every_call_unavailable,
            group_commit_stores_every_record,
            group_commit_duplicate_fails_only_itself,
            group_commit_constraint_failure_fails_only_itself,
            group_commit_of_nothing_is_empty,
            group_commit_of_a_thousand_records,
            enqueue_round_trips_every_field,
            enqueue_dedupes_by_key,
            concurrent_enqueues_of_one_key_make_one_job,
            claim_takes_due_jobs_in_order_and_leases_them,
            concurrent_claimers_never_share_a_job,
            only_the_lease_owner_heartbeats_completes_or_fails,
            expired_lease_is_reclaimed_and_the_old_owner_loses,
            failures_retry_with_backoff_then_dead_letter,
            expired_lease_on_the_last_attempt_dead_letters,
            queue_depth_counts_queued_and_running,
            list_jobs_filters_by_status_newest_first,
            finished_jobs_are_purged_before_the_cut_off,
            purge_spans_batches,
            schedule_marks_only_move_forward,
            racing_advances_keep_the_latest_end,
            idempotency_new_in_progress_replay_mismatch,
            idempotency_abandon_frees_the_key,
            idempotency_keys_are_scoped_by_principal,
            concurrent_idempotency_begins_have_one_winner,
            idempotency_purge_removes_old_keys,
            stale_in_progress_keys_are_released,
            jobs_and_keys_are_unavailable_after_close,
            facility_put_get_replace_and_audit,
            facilities_list_by_id_in_pages,
            baseline_put_get_replace_and_audit,
            baselines_list_by_name,
            readings_round_trip_every_field,
            resent_readings_count_once,
            corrections_replace_and_are_audited,
            repeats_within_one_call_count_once,
            invalid_rows_are_refused_and_nothing_is_stored,
            reading_pages_are_ordered_and_complete,
            reading_range_bounds_are_inclusive,
            large_batches_span_chunks_and_months,
            retention_deletes_strictly_older_readings,
            readings_are_unavailable_after_close,
            nul_characters_are_rejected_naming_the_field,
            out_of_range_times_are_rejected_and_the_boundaries_kept,
            keys_longer_than_the_limit_are_rejected,
            a_refused_record_in_a_group_fails_alone,
        );
    };
    (@checks $fixture:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let Some(fixture) = $fixture().await else {
                    return;
                };
                $crate::contract::$check(&fixture).await;
                $crate::contract::Fixture::teardown(&fixture).await;
            }
        )*
    };
}
