//! Energy baselines (ISO 50006:2014; DOE 50001 Ready / SEP M&V rules):
//! fit every combination of up to four relevant variables over a baseline
//! period, keep the chosen model, and compare a reporting period with it
//! (expected vs actual, savings, SEnPI, CUSUM).
//!
//! Energy per interval is Σ of one side (input, output, losses) of the
//! facility's stored calculations starting in the interval; variables are
//! their channels' readings per interval (`analytics::drivers`). Intervals
//! missing energy or any variable are left out, and counted.

use std::collections::BTreeMap;

use analytics::baseline::{BaselineEquation, Performance, performance};
use analytics::regression::{
    MAX_VARIABLES_PER_MODEL, OlsFit, SkippedModel, ValidityRules, Variable, fit_ols, search_models,
};
use analytics::trend::Interval;
use serde::{Deserialize, Serialize};
use thermaliq_core::FieldProblem;
use thermaliq_store::{AuditEntry, BaselineRecord};
use time::OffsetDateTime;

use super::data::{EnergySide, completed_in, energy_per_interval, variables_per_interval};
use super::{interval_name, parse_interval};
use crate::service::ServiceError;
use crate::service::readings::load_facility;
use crate::state::AppState;

/// The most candidate variables of one fit (6 give 56 models of ≤ 4).
pub const MAX_CANDIDATES: usize = 12;

/// `POST /facilities/{id}/baselines`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineRequest {
    pub name: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub interval: Option<String>,
    pub energy: Option<EnergySide>,
    pub variables: Option<Vec<String>>,
    /// The variables of the model to keep (any order); default: the valid
    /// model with the highest adjusted R².
    pub model: Option<Vec<String>>,
}

/// A baseline as stored (the `document` of its row).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaselineDocument {
    pub name: String,
    pub facility_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    pub interval: String,
    pub energy: EnergySide,
    pub variables: Vec<String>,
    /// The kept model.
    pub model: OlsFit,
    /// How it was chosen: `best_valid` or `requested`.
    pub chosen: String,
    /// Every model fitted, by number of variables then candidate order.
    pub models: Vec<OlsFit>,
    pub skipped: Vec<SkippedModel>,
    /// Intervals of the period used, and left out (energy or a variable missing).
    pub intervals_used: usize,
    pub intervals_left_out: usize,
}

/// The intervals with energy and every variable: (starts, energy, variables).
type Aligned = (Vec<OffsetDateTime>, Vec<f64>, Vec<Variable>, usize);

async fn aligned(
    state: &AppState,
    facility_id: &str,
    tags: &[String],
    from: OffsetDateTime,
    to: OffsetDateTime,
    interval: Interval,
    side: EnergySide,
) -> Result<Aligned, ServiceError> {
    let facility = load_facility(state, facility_id).await?;
    let vars = variables_per_interval(state, &facility, tags, from, to, interval).await?;
    let points = completed_in(state, facility_id, from, to).await?;
    let energy: BTreeMap<OffsetDateTime, f64> = energy_per_interval(&points, side, interval);
    let mut starts = Vec::new();
    let mut left_out = 0;
    for t in energy.keys() {
        if vars.iter().all(|(_, v)| v.contains_key(t)) {
            starts.push(*t);
        } else {
            left_out += 1;
        }
    }
    let y: Vec<f64> = starts.iter().map(|t| energy[t]).collect();
    let columns = vars
        .into_iter()
        .map(|(name, v)| Variable::new(name, starts.iter().map(|t| v[t]).collect()))
        .collect();
    Ok((starts, y, columns, left_out))
}

fn required<T>(field: &str, v: Option<T>, problems: &mut Vec<FieldProblem>) -> Option<T> {
    if v.is_none() {
        problems.push(FieldProblem::new(field, "is required"));
    }
    v
}

/// Fits and stores a baseline; returns what was stored.
pub async fn fit_baseline(
    state: &AppState,
    facility_id: &str,
    request: BaselineRequest,
    actor: &str,
) -> Result<BaselineDocument, ServiceError> {
    let mut problems = Vec::new();
    let name = required("name", request.name, &mut problems);
    if let Some(n) = &name
        && (n.is_empty()
            || n.len() > 64
            || !n
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        problems.push(FieldProblem::new(
            "name",
            "must be 1 to 64 letters, digits and - _ . (it is part of a URL)",
        ));
    }
    let range = crate::extract::required_range(
        request.from.as_deref(),
        request.to.as_deref(),
        &mut problems,
    );
    let interval = match required("interval", request.interval, &mut problems) {
        Some(text) => match parse_interval(
            "interval",
            &text,
            &[Interval::Day, Interval::Week, Interval::Month],
        ) {
            Ok(i) => Some(i),
            Err(ServiceError::Invalid(p)) => {
                problems.extend(p);
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    let side = required("energy", request.energy, &mut problems);
    let tags = required("variables", request.variables, &mut problems).unwrap_or_default();
    if tags.len() > MAX_CANDIDATES {
        problems.push(FieldProblem::new(
            "variables",
            format!("at most {MAX_CANDIDATES} candidate variables"),
        ));
    }
    for (i, t) in tags.iter().enumerate() {
        if tags[..i].contains(t) {
            problems.push(FieldProblem::new(
                format!("variables[{i}]"),
                format!("repeats `{t}`"),
            ));
        }
    }
    if let Some(m) = &request.model {
        if m.is_empty() || m.len() > MAX_VARIABLES_PER_MODEL {
            problems.push(FieldProblem::new(
                "model",
                format!("must name 1 to {MAX_VARIABLES_PER_MODEL} of the variables"),
            ));
        }
        for (i, t) in m.iter().enumerate() {
            if !tags.contains(t) {
                problems.push(FieldProblem::new(
                    format!("model[{i}]"),
                    format!("`{t}` is not one of variables"),
                ));
            }
        }
    }
    if tags.is_empty() && !problems.iter().any(|p| p.field == "variables") {
        problems.push(FieldProblem::new(
            "variables",
            "must name at least one channel of role `variable`",
        ));
    }
    let (Some(name), Some((from, to)), Some(interval), Some(side), true) =
        (name, range, interval, side, problems.is_empty())
    else {
        return Err(ServiceError::Invalid(problems));
    };

    let (_, energy, variables, left_out) =
        aligned(state, facility_id, &tags, from, to, interval, side).await?;
    let rules = ValidityRules::default();
    let (model, chosen, models, skipped) = match &request.model {
        Some(names) => {
            let chosen_vars: Vec<Variable> = variables
                .iter()
                .filter(|v| names.contains(&v.name))
                .cloned()
                .collect();
            let fit = fit_ols(&energy, &chosen_vars, &rules)?;
            (fit.clone(), "requested", vec![fit], Vec::new())
        }
        None => {
            let search = search_models(
                &energy,
                &variables,
                MAX_VARIABLES_PER_MODEL.min(variables.len()),
                &rules,
            )?;
            let Some(best) = search.best_model().cloned() else {
                let reasons: Vec<String> = search
                    .models
                    .iter()
                    .map(|m| format!("{}: {}", m.model, m.validity.reasons.join("; ")))
                    .collect();
                return Err(ServiceError::Unprocessable(vec![FieldProblem::new(
                    "variables",
                    format!(
                        "no model is valid (F-test p ≤ 0.10, every variable p ≤ 0.20, one \
                         p < 0.10, R² ≥ 0.5); name one with `model` to keep it anyway. {}",
                        reasons.join(" | ")
                    ),
                )]));
            };
            (best, "best_valid", search.models, search.skipped)
        }
    };
    let doc = BaselineDocument {
        name: name.clone(),
        facility_id: facility_id.to_owned(),
        from,
        to,
        interval: interval_name(interval).to_owned(),
        energy: side,
        variables: tags,
        intervals_used: model.n,
        intervals_left_out: left_out,
        model,
        chosen: chosen.to_owned(),
        models,
        skipped,
    };
    let now = OffsetDateTime::now_utc();
    let document =
        serde_json::to_string(&doc).map_err(|e| ServiceError::Internal(e.to_string()))?;
    state
        .store
        .put_baseline(
            &BaselineRecord {
                facility_id: facility_id.to_owned(),
                name: name.clone(),
                document,
                created_at: now,
                updated_at: now,
            },
            &AuditEntry {
                occurred_at: now,
                actor: actor.to_owned(),
                action: "baseline.put".to_owned(),
                subject: format!("{facility_id}/{name}"),
                detail: serde_json::json!({"model": doc.model.model, "n": doc.model.n}).to_string(),
            },
        )
        .await?;
    Ok(doc)
}

pub async fn load_baseline(
    state: &AppState,
    facility_id: &str,
    name: &str,
) -> Result<BaselineDocument, ServiceError> {
    let record = state
        .store
        .get_baseline(facility_id, name)
        .await?
        .ok_or_else(|| {
            ServiceError::NotFound(format!("facility {facility_id} has no baseline {name}"))
        })?;
    serde_json::from_str(&record.document)
        .map_err(|e| ServiceError::Internal(format!("stored baseline {name} unreadable: {e}")))
}

#[derive(Debug, Clone)]
pub struct PerformanceReport {
    pub baseline: BaselineDocument,
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    pub starts: Vec<OffsetDateTime>,
    pub performance: Performance,
    pub intervals_left_out: usize,
}

/// `GET …/baselines/{name}/performance?from=&to=`.
pub async fn baseline_performance(
    state: &AppState,
    facility_id: &str,
    name: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<PerformanceReport, ServiceError> {
    let baseline = load_baseline(state, facility_id, name).await?;
    let interval = parse_interval(
        "interval",
        &baseline.interval,
        &[Interval::Day, Interval::Week, Interval::Month],
    )?;
    let tags: Vec<String> = baseline
        .model
        .coefficients
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let (starts, actual, variables, left_out) = aligned(
        state,
        facility_id,
        &tags,
        from,
        to,
        interval,
        baseline.energy,
    )
    .await?;
    let equation = BaselineEquation::from(&baseline.model);
    let performance = performance(&equation, &variables, &actual)?;
    Ok(PerformanceReport {
        baseline,
        from,
        to,
        starts,
        performance,
        intervals_left_out: left_out,
    })
}
