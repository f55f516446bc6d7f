//! Analytics use cases (issue 10): benchmarks against published references
//! and the fleet, efficiency trends with change points, ISO 50006 energy
//! baselines with CUSUM, and the uncertainty of every efficiency. The
//! statistics are `thermaliq-analytics` (pure); this module loads what they
//! need from the store, bounded by `ANALYTICS_MAX_CALCULATIONS`.
//!
//! - [`data`]: stored calculations and variable readings per interval
//! - [`benchmark`]: `GET …/calculations/{id}/benchmark`, `…/facilities/{id}/benchmark`
//! - [`trend`]: `GET …/facilities/{id}/efficiency`
//! - [`baselines`]: `POST …/facilities/{id}/baselines`, `GET …/baselines/{name}/performance`
//! - [`uncertainty`]: the `uncertainty` of a calculation's efficiencies

pub mod baselines;
pub mod benchmark;
pub mod data;
pub mod trend;
pub mod uncertainty;

use analytics::AnalyticsError;
use analytics::trend::Interval;
use thermaliq_core::FieldProblem;

use super::ServiceError;

/// An analysis that refuses its data is the data's fault (422), naming the
/// field and the rule.
impl From<AnalyticsError> for ServiceError {
    fn from(err: AnalyticsError) -> Self {
        let field = match &err {
            AnalyticsError::TooFewPoints { field, .. }
            | AnalyticsError::InvalidValue { field, .. }
            | AnalyticsError::Shape { field, .. }
            | AnalyticsError::NotFound { field, .. }
            | AnalyticsError::Model { field, .. } => field.clone(),
            AnalyticsError::Singular { .. } => "variables".to_owned(),
        };
        ServiceError::Unprocessable(vec![FieldProblem::new(field, err.to_string())])
    }
}

/// `hour|day|week|month`, naming `field` when it is something else.
pub fn parse_interval(
    field: &str,
    text: &str,
    allowed: &[Interval],
) -> Result<Interval, ServiceError> {
    let interval = match text {
        "hour" => Interval::Hour,
        "day" => Interval::Day,
        "week" => Interval::Week,
        "month" => Interval::Month,
        _ => Interval::Hour,
    };
    let names: Vec<&str> = allowed.iter().map(|i| interval_name(*i)).collect();
    if !names.contains(&text) {
        return Err(ServiceError::invalid(
            field,
            format!("must be one of {}", names.join(", ")),
        ));
    }
    Ok(interval)
}

pub fn interval_name(i: Interval) -> &'static str {
    match i {
        Interval::Hour => "hour",
        Interval::Day => "day",
        Interval::Week => "week",
        Interval::Month => "month",
    }
}
