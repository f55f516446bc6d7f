//! Cached calculation views that never outlive a change of the row
//! (issue 12 item 15, issue 16 item 2).
//!
//! Every view is cached (Redis and the in-process map) under the store's
//! change marker as it was before the row was read; a trigger bumps the
//! marker on any UPDATE or DELETE of calculations, through the API, on another
//! replica, or by an operator's manual SQL. A cached view is served only while
//! the marker is unchanged. The marker itself is memoised for
//! [`MARKER_MEMO`], so a change is seen within that time on every replica,
//! with or without Redis, at the cost of one tiny query per memo period.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use thermaliq_store::Store;

use super::{ServiceError, calculation_cache_key, lifecycle};
use crate::state::AppState;
use crate::views::CalculationView;
use crate::views::analytics::EfficiencyUncertaintyView;
use analytics::uncertainty::engine::Propagation;
use thermaliq_store::CalculationRecord;

use super::analytics::uncertainty::calculation_uncertainty;

/// How long a replica trusts the change marker it read last.
pub const MARKER_MEMO: Duration = Duration::from_millis(250);

/// The memoised change marker of one replica.
#[derive(Default)]
pub struct ChangeMarker {
    memo: Mutex<Option<(Instant, i64)>>,
}

impl ChangeMarker {
    /// The marker, from the memo when it is younger than [`MARKER_MEMO`].
    pub async fn current(&self, store: &dyn Store) -> Result<i64, ServiceError> {
        if let Some((read_at, marker)) = *self.lock()
            && read_at.elapsed() < MARKER_MEMO
        {
            return Ok(marker);
        }
        // Taken before the query: the memo may only be younger than the value.
        let read_at = Instant::now();
        let marker = store.calculation_change_marker().await?;
        *self.lock() = Some((read_at, marker));
        Ok(marker)
    }

    /// Drops the memo (this replica just changed calculations).
    pub fn forget(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, i64)>> {
        self.memo.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The JSON view of one stored calculation, from the cache when it was
/// cached under the current change marker.
pub async fn calculation_view(state: &AppState, id: &str) -> Result<Vec<u8>, ServiceError> {
    let key = calculation_cache_key(id);
    let marker = state.change_marker.current(state.store.as_ref()).await?;
    if let Some(body) = state
        .cache
        .get(&key)
        .await
        .and_then(|cached| untag(&cached, marker).map(<[u8]>::to_vec))
    {
        state.metrics.cache_hits.inc();
        return Ok(body);
    }
    state.metrics.cache_misses.inc();
    let record = lifecycle::load(state, id).await?;
    let view = match view_with_uncertainty(state, &record, Propagation::Taylor).await {
        Ok(view) => view,
        Err(err) => {
            tracing::warn!(error = %err, "Uncertainty not computed");
            CalculationView::from(&record)
        }
    };
    let body = serde_json::to_vec(&view).map_err(|e| ServiceError::Internal(e.to_string()))?;
    state
        .cache
        .put(
            &key,
            &tag(marker, &body),
            state.settings.calculation_cache_ttl,
        )
        .await;
    Ok(body)
}

/// The view of a stored calculation with the uncertainty of its
/// efficiencies. The calculation is stored already: an uncertainty that
/// cannot be computed is logged and left out, never an error.
pub async fn view_with_uncertainty(
    state: &AppState,
    record: &CalculationRecord,
    propagation: Propagation,
) -> Result<CalculationView, ServiceError> {
    let mut view = CalculationView::from(record);
    let methods = calculation_uncertainty(state, record, propagation).await?;
    if !methods.is_empty() {
        view.uncertainty = Some(
            methods
                .iter()
                .map(|m| EfficiencyUncertaintyView::new(m, propagation.into()))
                .collect(),
        );
    }
    Ok(view)
}

/// The cached form: the marker (8 bytes, big-endian), then the view.
fn tag(marker: i64, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(&marker.to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// The view if it was cached under `marker`; an entry from before (or in an
/// older format) is stale.
fn untag(cached: &[u8], marker: i64) -> Option<&[u8]> {
    let (head, body) = cached.split_at_checked(8)?;
    (i64::from_be_bytes(head.try_into().ok()?) == marker).then_some(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A view is served back only under the marker it was cached under.
        #[test]
        fn a_view_is_served_only_under_its_own_marker(
            written in any::<i64>(), now in any::<i64>(),
            body in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let cached = tag(written, &body);
            prop_assert_eq!(untag(&cached, now), (written == now).then_some(&body[..]));
        }
    }

    #[test]
    fn short_or_untagged_entries_are_stale() {
        assert_eq!(untag(b"{}", 0), None);
        assert_eq!(untag(b"", 0), None);
    }
}
