//! The uncertainty of a stored calculation's efficiencies (ASME PTC 19.1,
//! GUM), derived from the stored documents, never sealed with them: the
//! canonical input (what `input_hash` covers) and, for the stated
//! uncertainties, the stored request (inline `uncertainty_pct`, process
//! `uncertainties`) or the facility's channels (`uncertainty_pct`, for
//! calculations from readings). So old rows verify unchanged and report
//! `not_given` where nothing was stated.

use std::collections::BTreeMap;

use analytics::uncertainty::UncertaintySpec;
use analytics::uncertainty::engine::{
    InputUncertainty, MethodUncertainty, Propagation, efficiency_uncertainty,
};
use thermaliq_core::FieldProblem;
use thermaliq_core::provenance::CanonicalInput;
use thermaliq_core::readings::{Facility, parse_facility};
use thermaliq_core::request::{CalculationSource, parse_calculation_source};
use thermaliq_store::CalculationRecord;

use crate::service::ServiceError;
use crate::state::AppState;

/// The seed of `?uncertainty=monte_carlo` when none is given.
pub const DEFAULT_SEED: u64 = 20_081_001;
/// The default number of Monte Carlo trials (JCGM 101 §7.2.2: M ≥ 10⁴).
pub const DEFAULT_SAMPLES: usize = 100_000;

/// `?uncertainty=taylor|monte_carlo&samples=N&seed=S`, checked against
/// `ANALYTICS_MONTE_CARLO_MAX_SAMPLES`.
pub fn propagation(
    state: &AppState,
    method: Option<&str>,
    samples: Option<&str>,
    seed: Option<&str>,
) -> Result<Propagation, ServiceError> {
    let max = state.settings.analytics.monte_carlo_max_samples;
    match method.unwrap_or("taylor") {
        "taylor" => {
            if samples.is_some() || seed.is_some() {
                return Err(ServiceError::invalid(
                    "samples",
                    "applies only to uncertainty=monte_carlo",
                ));
            }
            Ok(Propagation::Taylor)
        }
        "monte_carlo" => {
            let samples = match samples {
                None => DEFAULT_SAMPLES.min(max),
                Some(t) => t
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (analytics::uncertainty::MIN_MC_SAMPLES..=max).contains(n))
                    .ok_or_else(|| {
                        ServiceError::invalid(
                            "samples",
                            format!(
                                "must be a whole number from {} (JCGM 101 §7.2.2) to {max} \
                                 (ANALYTICS_MONTE_CARLO_MAX_SAMPLES)",
                                analytics::uncertainty::MIN_MC_SAMPLES
                            ),
                        )
                    })?,
            };
            let seed = match seed {
                None => DEFAULT_SEED,
                Some(t) => t
                    .parse::<u64>()
                    .map_err(|_| ServiceError::invalid("seed", "must be a whole number ≥ 0"))?,
            };
            Ok(Propagation::MonteCarlo { samples, seed })
        }
        _ => Err(ServiceError::invalid(
            "uncertainty",
            "must be taylor or monte_carlo",
        )),
    }
}

/// The stated uncertainties of a stored calculation, addressed in its
/// normalised input.
async fn stated(
    state: &AppState,
    record: &CalculationRecord,
    canonical: &CanonicalInput,
) -> Result<Vec<InputUncertainty>, ServiceError> {
    match parse_calculation_source(record.request.as_bytes()) {
        Ok(CalculationSource::Inline(v)) => Ok(v
            .uncertainties
            .iter()
            .map(|s| InputUncertainty {
                input: s.input.clone(),
                uncertainty: UncertaintySpec::RelativePct95 {
                    uncertainty_pct: s.uncertainty_pct,
                },
            })
            .collect()),
        Ok(CalculationSource::FromReadings { .. }) => {
            let Some(f) = state.store.get_facility(&record.facility_id).await? else {
                return Ok(Vec::new());
            };
            let facility = parse_facility(f.document.as_bytes())
                .map_err(|e| ServiceError::Internal(format!("stored facility unreadable: {e}")))?;
            Ok(from_channels(&facility, canonical))
        }
        // A request today's parser refuses (an older shape): nothing stated.
        Err(_) => Ok(Vec::new()),
    }
}

/// Channels of one category add (uncorrelated meters): the category's
/// standard uncertainty is √Σ (Eᵢ · pctᵢ / 100 / 1.96)², from each
/// channel's energy in the stored readings report.
fn from_channels(facility: &Facility, canonical: &CanonicalInput) -> Vec<InputUncertainty> {
    let energies: BTreeMap<String, f64> = canonical
        .input
        .readings
        .as_ref()
        .and_then(|r| r.report.get("channels"))
        .and_then(|c| c.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|c| {
                    Some((
                        c.get("tag")?.as_str()?.to_owned(),
                        c.get("energy_kwh")?.as_f64()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut variance: BTreeMap<String, f64> = BTreeMap::new();
    for c in facility.energy_channels() {
        if let (Some(pct), Some(e)) = (c.uncertainty_pct, energies.get(&c.tag)) {
            let map = match c.role {
                thermaliq_core::readings::ChannelRole::Input => "energy_input",
                thermaliq_core::readings::ChannelRole::Output => "energy_output",
                _ => "energy_losses",
            };
            let u = e.abs() * pct / 100.0 / analytics::uncertainty::COVERAGE_FACTOR_95;
            *variance
                .entry(format!("{map}.{}", c.category))
                .or_insert(0.0) += u * u;
        }
    }
    variance
        .into_iter()
        .map(|(input, v)| InputUncertainty {
            input,
            uncertainty: UncertaintySpec::Standard {
                standard_uncertainty: v.sqrt(),
            },
        })
        .collect()
}

/// The uncertainty of each efficiency the stored calculation reports
/// (empty for a calculation without one, e.g. failed).
pub async fn calculation_uncertainty(
    state: &AppState,
    record: &CalculationRecord,
    propagation: Propagation,
) -> Result<Vec<MethodUncertainty>, ServiceError> {
    if record.efficiency.is_none() {
        return Ok(Vec::new());
    }
    let canonical: CanonicalInput = serde_json::from_str(&record.canonical_input).map_err(|e| {
        ServiceError::Internal(format!(
            "calculation {}: canonical input unreadable: {e}",
            record.calculation_id
        ))
    })?;
    let given = stated(state, record, &canonical).await?;
    efficiency_uncertainty(&canonical.input, &canonical.settings, &given, propagation).map_err(
        |e| match &e {
            analytics::AnalyticsError::InvalidValue { field, .. } if field == "samples" => {
                ServiceError::Invalid(vec![FieldProblem::new("samples", e.to_string())])
            }
            _ => e.into(),
        },
    )
}
