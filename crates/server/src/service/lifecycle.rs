//! After a calculation is stored: recalculate it with today's engine,
//! invalidate a range, and verify its provenance.

use serde_json::json;
use thermaliq_core::verify::{StoredView, VerificationReport, verify_stored};
use thermaliq_store::{AuditEntry, CalculationRecord, Invalidation};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tracing::Span;

use super::calculate::{Origin, calculate};
use super::{ServiceError, calculation_cache_key};
use crate::state::AppState;

/// Loads a stored calculation or says it does not exist.
pub async fn load(state: &AppState, id: &str) -> Result<CalculationRecord, ServiceError> {
    Span::current().record("calculation_id", id);
    state
        .store
        .get_calculation(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("calculation {id} does not exist")))
}

/// The stored request, through today's engine and settings, as a new
/// calculation that names the original.
pub async fn recalculate(
    state: &AppState,
    original_id: &str,
) -> Result<CalculationRecord, ServiceError> {
    let original = load(state, original_id).await?;
    calculate(
        state,
        original.request.as_bytes(),
        Origin {
            recalculated_from: Some(original.calculation_id),
            fixed_id: None,
        },
    )
    .await
}

/// Marks the calculations created in `[from, to)` (optionally of one
/// facility) `invalid` with a reason, audited under `actor`; drops their
/// cached views. Returns the ids marked.
pub async fn invalidate(
    state: &AppState,
    facility_id: Option<String>,
    (from, to): (OffsetDateTime, OffsetDateTime),
    reason: &str,
    actor: &str,
) -> Result<Vec<String>, ServiceError> {
    let rfc3339 = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    let audit = AuditEntry {
        occurred_at: OffsetDateTime::now_utc(),
        actor: actor.to_owned(),
        action: "calculations.invalidate".to_owned(),
        subject: facility_id.clone().unwrap_or_else(|| "*".to_owned()),
        detail: json!({"from": rfc3339(from), "to": rfc3339(to), "reason": reason}).to_string(),
    };
    let invalidation = Invalidation {
        facility_id,
        created_from: from,
        created_to: to,
        reason: reason.to_owned(),
    };
    let ids = state
        .store
        .invalidate_calculations(&invalidation, &audit)
        .await?;
    // Cached views of these calculations would still say `completed`.
    state.change_marker.forget();
    for id in &ids {
        state.cache.delete(&calculation_cache_key(id)).await;
    }
    tracing::info!(count = ids.len() as u64, reason, "Calculations invalidated");
    Ok(ids)
}

/// Re-hashes a stored calculation and re-runs the engine on its stored input.
pub async fn verify(
    state: &AppState,
    id: &str,
) -> Result<(CalculationRecord, VerificationReport), ServiceError> {
    let r = load(state, id).await?;
    let report = verify_stored(StoredView {
        canonical_input: &r.canonical_input,
        result: &r.result,
        energy_flows: &r.energy_flows,
        input_hash: &r.input_hash,
        output_hash: &r.output_hash,
        engine_version: &r.engine_version,
        efficiency: r.efficiency,
        status: r.status.as_str(),
        invalid_reason: r.invalid_reason.as_deref(),
    });
    if !report.intact {
        tracing::error!(
            error_type = "IntegrityError",
            error_message = report.problems.join("; "),
            "Provenance check failed: stored calculation does not match its hashes"
        );
    }
    Ok((r, report))
}

/// Improvement opportunities of a stored calculation: measures derived from
/// its own losses, appraised in decimal money (`core::opportunities`).
pub async fn opportunities(
    state: &AppState,
    id: &str,
    params: &thermaliq_core::opportunities::OpportunityParams,
) -> Result<thermaliq_core::opportunities::OpportunityReport, ServiceError> {
    let r = load(state, id).await?;
    let document: serde_json::Value = serde_json::from_str(&r.canonical_input).map_err(|e| {
        ServiceError::Internal(format!("stored input of {id} is not readable: {e}"))
    })?;
    thermaliq_core::opportunities::opportunities_from_stored(&document["input"], params).map_err(
        |err| match err {
            thermaliq_core::CoreError::Validation(details) => ServiceError::Unprocessable(details),
            other => ServiceError::Internal(other.to_string()),
        },
    )
}
