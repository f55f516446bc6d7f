//! Re-verification of a stored calculation (`GET /calculations/{id}/verify`).
//!
//! Three questions, answered separately so an auditor sees which one failed:
//! 1. *Intact*: do the stored documents still hash to the stored hashes, and do
//!    the row's own columns (efficiency, status, energy flows) agree with them?
//! 2. *Reproducible*: does today's engine, run on the stored input, give the
//!    stored output byte for byte?
//! 3. Which engine version made it, and which one re-ran it.

use serde::Serialize;

use crate::ENGINE_VERSION;
use crate::engine::CalculationResult;
use crate::provenance::{CanonicalInput, canonical_json, seal_in_schema, sha256_hex};

/// What the store holds for one calculation, column by column.
#[derive(Debug, Clone, Copy)]
pub struct StoredView<'a> {
    pub canonical_input: &'a str,
    pub result: &'a str,
    pub energy_flows: &'a str,
    pub input_hash: &'a str,
    pub output_hash: &'a str,
    pub engine_version: &'a str,
    pub efficiency: Option<f64>,
    pub status: &'a str,
    pub invalid_reason: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerificationReport {
    /// `intact`, `tampered` or `not_reproducible`.
    pub verdict: &'static str,
    pub intact: bool,
    pub reproducible: bool,
    pub input_hash_matches: bool,
    pub output_hash_matches: bool,
    pub columns_match: bool,
    pub stored_engine_version: String,
    pub current_engine_version: &'static str,
    pub recomputed_output_hash: Option<String>,
    /// Each discrepancy found, in words.
    pub problems: Vec<String>,
}

/// Checks a stored calculation. Pure: the caller loads the row.
pub fn verify_stored(row: StoredView<'_>) -> VerificationReport {
    let mut problems = Vec::new();
    let input_hash_matches = sha256_hex(row.canonical_input.as_bytes()) == row.input_hash;
    if !input_hash_matches {
        problems.push("stored input does not match its input_hash".to_owned());
    }
    let output_hash_matches = sha256_hex(row.result.as_bytes()) == row.output_hash;
    if !output_hash_matches {
        problems.push("stored result does not match its output_hash".to_owned());
    }

    let columns_match = match serde_json::from_str::<CalculationResult>(row.result) {
        Ok(result) => check_columns(&row, &result, &mut problems),
        Err(err) => {
            problems.push(format!("stored result is not readable: {err}"));
            false
        }
    };

    let recomputed = match serde_json::from_str::<CanonicalInput>(row.canonical_input) {
        Ok(canonical) => Some(
            seal_in_schema(
                &canonical.input,
                &canonical.settings,
                canonical.schema_version,
            )
            .output_hash,
        ),
        Err(err) => {
            problems.push(format!("stored input is not readable: {err}"));
            None
        }
    };
    let reproducible = recomputed.as_deref() == Some(row.output_hash);
    if recomputed.is_some() && !reproducible {
        problems.push(format!(
            "engine {ENGINE_VERSION} gives a different output from the stored input (stored by {})",
            row.engine_version
        ));
    }

    let intact = input_hash_matches && output_hash_matches && columns_match;
    VerificationReport {
        verdict: match (intact, reproducible) {
            (false, _) => "tampered",
            (true, false) => "not_reproducible",
            (true, true) => "intact",
        },
        intact,
        reproducible,
        input_hash_matches,
        output_hash_matches,
        columns_match,
        stored_engine_version: row.engine_version.to_owned(),
        current_engine_version: ENGINE_VERSION,
        recomputed_output_hash: recomputed,
        problems,
    }
}

fn check_columns(
    row: &StoredView<'_>,
    result: &CalculationResult,
    problems: &mut Vec<String>,
) -> bool {
    let mut ok = true;
    let engine_status = result.status.as_str();
    // `invalid` is set by invalidation (through the API or the runbook's own
    // UPDATE), always with a reason; any other status must be the engine's.
    let status_ok = row.status == engine_status
        || (row.status == "invalid" && row.invalid_reason.is_some_and(|r| !r.trim().is_empty()));
    if !status_ok {
        problems.push(format!(
            "status column is '{}' but the stored result says '{engine_status}'",
            row.status
        ));
        ok = false;
    }
    // A strict-mode failure stores the efficiency it computed (so the
    // runbook's Scenario 9 SQL `efficiency < 0 OR efficiency > 100` finds it);
    // failed rows written before that carry NULL, which stays intact.
    let expected_efficiency = result.efficiency;
    let legacy_failed = result.status == crate::engine::ResultStatus::Failed;
    let same = match (row.efficiency, expected_efficiency) {
        (Some(a), Some(b)) => a.to_bits() == b.to_bits(),
        (None, None) => true,
        (None, Some(_)) => legacy_failed,
        (Some(_), None) => false,
    };
    if !same {
        problems.push(format!(
            "efficiency column is {:?} but the stored result says {expected_efficiency:?}",
            row.efficiency
        ));
        ok = false;
    }
    let flows_ok = serde_json::from_str::<serde_json::Value>(row.energy_flows)
        .map(|v| canonical_json(&v) == canonical_json(&result.energy_flows))
        .unwrap_or(false);
    if !flows_ok {
        problems.push("energy_flows column does not match the stored result".to_owned());
        ok = false;
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::{Sealed, compute_and_seal};
    use crate::request::parse_calculation_request;
    use crate::settings::EngineSettings;

    fn sealed() -> Sealed {
        let req =
            parse_calculation_request(crate::request::tests::RUNBOOK_CASE.as_bytes()).unwrap();
        compute_and_seal(&req.input, &EngineSettings::default())
    }

    fn view<'a>(
        s: &'a Sealed,
        efficiency: Option<f64>,
        status: &'a str,
        reason: Option<&'a str>,
    ) -> StoredView<'a> {
        StoredView {
            canonical_input: &s.canonical_input,
            result: &s.canonical_result,
            energy_flows: &s.canonical_energy_flows,
            input_hash: &s.input_hash,
            output_hash: &s.output_hash,
            engine_version: ENGINE_VERSION,
            efficiency,
            status,
            invalid_reason: reason,
        }
    }

    #[test]
    fn an_untouched_row_is_intact_and_reproducible() {
        let s = sealed();
        let report = verify_stored(view(&s, s.result.efficiency, "completed", None));
        assert_eq!(report.verdict, "intact", "{:?}", report.problems);
        assert!(report.reproducible && report.problems.is_empty());
    }

    #[test]
    fn an_edited_column_or_document_is_tampered() {
        let s = sealed();
        let report = verify_stored(view(&s, Some(95.0), "completed", None));
        assert_eq!((report.verdict, report.columns_match), ("tampered", false));
        // `invalid` without a reason did not come from an invalidation.
        assert_eq!(
            verify_stored(view(&s, s.result.efficiency, "invalid", None)).verdict,
            "tampered"
        );
        assert_eq!(
            verify_stored(view(&s, s.result.efficiency, "invalid", Some("INC-1"))).verdict,
            "intact"
        );

        let edited = s.canonical_result.replace("90.47619047619048", "91.0");
        let mut v = view(&s, s.result.efficiency, "completed", None);
        v.result = &edited;
        let report = verify_stored(v);
        assert_eq!(
            (report.verdict, report.output_hash_matches),
            ("tampered", false)
        );
    }

    /// A forger who edits the result *and* recomputes its hash passes the hash
    /// checks; re-running the engine on the stored input still exposes it.
    #[test]
    fn a_consistent_forgery_is_not_reproducible() {
        let s = sealed();
        let forged_result = s.canonical_result.replace("90.47619047619048", "91.0");
        let forged_hash = sha256_hex(forged_result.as_bytes());
        let mut v = view(&s, Some(91.0), "completed", None);
        v.result = &forged_result;
        v.output_hash = &forged_hash;
        let report = verify_stored(v);
        assert!(report.intact, "{:?}", report.problems);
        assert_eq!(
            (report.verdict, report.reproducible),
            ("not_reproducible", false)
        );
    }
}
