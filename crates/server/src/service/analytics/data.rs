//! What the analyses read: a facility's stored calculations (completed, the
//! newest per period) and its variable readings, per interval.

use std::collections::{BTreeMap, HashSet};

use analytics::drivers::{VariableKind, per_interval};
use analytics::trend::{CalculationPoint, Interval};
use serde::Deserialize;
use thermaliq_core::FieldProblem;
use thermaliq_core::readings::{ChannelKind, ChannelRole, Facility};
use thermaliq_store::{CalculationQuery, CalculationRecord, CalculationStatus};
use time::OffsetDateTime;

use crate::service::ServiceError;
use crate::state::AppState;

/// Rows per store page.
const PAGE: u32 = 1000;

/// One stored calculation, as the analyses need it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPoint {
    pub calculation_id: String,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
    pub input_kwh: f64,
    pub output_kwh: f64,
    pub losses_kwh: f64,
}

impl StoredPoint {
    pub fn trend_point(&self) -> CalculationPoint {
        CalculationPoint {
            time: self.start,
            input_kwh: self.input_kwh,
            output_kwh: self.output_kwh,
        }
    }
}

/// The stored `energy_flows` document (schemas 1 and 2 alike).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Flows {
    inputs: BTreeMap<String, f64>,
    outputs: BTreeMap<String, f64>,
    losses: BTreeMap<String, f64>,
}

pub fn stored_point(r: &CalculationRecord) -> Result<StoredPoint, ServiceError> {
    let flows: Flows = serde_json::from_str(&r.energy_flows).map_err(|e| {
        ServiceError::Internal(format!(
            "calculation {}: energy_flows unreadable: {e}",
            r.calculation_id
        ))
    })?;
    Ok(StoredPoint {
        calculation_id: r.calculation_id.clone(),
        start: r.period_start,
        end: r.period_end,
        input_kwh: flows.inputs.values().sum(),
        output_kwh: flows.outputs.values().sum(),
        losses_kwh: flows.losses.values().sum(),
    })
}

/// The completed calculations of `facility_id` whose period starts in
/// `[from, to)`, in time order; of several for one period (recalculations)
/// the newest. Reads at most `ANALYTICS_MAX_CALCULATIONS` rows.
pub async fn completed_in(
    state: &AppState,
    facility_id: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<StoredPoint>, ServiceError> {
    let max = state.settings.analytics.max_calculations;
    let mut before: Option<String> = None;
    let mut scanned = 0usize;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    loop {
        let page = state
            .store
            .list_calculations(&CalculationQuery {
                facility_id: Some(facility_id.to_owned()),
                status: Some(CalculationStatus::Completed),
                before_id: before.clone(),
                limit: PAGE,
                ..CalculationQuery::default()
            })
            .await?;
        scanned += page.len();
        if scanned > max {
            return Err(ServiceError::Unprocessable(vec![FieldProblem::new(
                "facility_id",
                format!(
                    "{facility_id} has more than {max} stored calculations to read \
                     (ANALYTICS_MAX_CALCULATIONS)"
                ),
            )]));
        }
        // Newest first: the first row of a period is the newest one.
        for r in &page {
            if r.period_start >= from
                && r.period_start < to
                && seen.insert((r.period_start, r.period_end))
            {
                out.push(stored_point(r)?);
            }
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => before = Some(last.calculation_id.clone()),
            _ => break,
        }
    }
    out.sort_by_key(|p| p.start);
    Ok(out)
}

/// Which energy a baseline models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnergySide {
    Input,
    Output,
    Losses,
}

/// Σ of one side of the stored calculations per interval start.
pub fn energy_per_interval(
    points: &[StoredPoint],
    side: EnergySide,
    interval: Interval,
) -> BTreeMap<OffsetDateTime, f64> {
    let mut out = BTreeMap::new();
    for p in points {
        let v = match side {
            EnergySide::Input => p.input_kwh,
            EnergySide::Output => p.output_kwh,
            EnergySide::Losses => p.losses_kwh,
        };
        *out.entry(interval.start_of(p.start)).or_insert(0.0) += v;
    }
    out
}

/// The value of each named `variable` channel per interval start, from its
/// readings in `[from, to)` (good and uncertain quality; bad readings are
/// left out). Unknown tags and channels of another role are refused naming
/// `variables[i]`.
pub async fn variables_per_interval(
    state: &AppState,
    facility: &Facility,
    tags: &[String],
    from: OffsetDateTime,
    to: OffsetDateTime,
    interval: Interval,
) -> Result<Vec<(String, BTreeMap<OffsetDateTime, f64>)>, ServiceError> {
    let mut kinds = Vec::with_capacity(tags.len());
    let mut problems = Vec::new();
    for (i, tag) in tags.iter().enumerate() {
        match facility.channel(tag) {
            Some(c) if c.role == ChannelRole::Variable => kinds.push(match c.kind {
                ChannelKind::Sample => VariableKind::Sample,
                _ => VariableKind::IntervalTotal,
            }),
            Some(_) => problems.push(FieldProblem::new(
                format!("variables[{i}]"),
                format!("`{tag}` is not a channel of role `variable`"),
            )),
            None => problems.push(FieldProblem::new(
                format!("variables[{i}]"),
                format!(
                    "`{tag}` is not a channel of facility {}",
                    facility.facility_id
                ),
            )),
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    let max = state
        .settings
        .analytics
        .max_calculations
        .saturating_mul(100);
    let last = to - time::Duration::microseconds(1);
    let mut out = Vec::with_capacity(tags.len());
    for (tag, kind) in tags.iter().zip(kinds) {
        // Pages are ordered by (tag, timestamp): seek to this tag and stop
        // at the next one.
        let mut after = (tag.clone(), from - time::Duration::microseconds(1));
        let mut values = Vec::new();
        'pages: loop {
            let page = state
                .store
                .read_readings_page(
                    &facility.facility_id,
                    from,
                    last,
                    Some((after.0.as_str(), after.1)),
                    PAGE,
                )
                .await?;
            for r in &page {
                if r.tag != *tag {
                    break 'pages;
                }
                if r.quality != thermaliq_store::ReadingQuality::Bad {
                    values.push((r.timestamp, r.value));
                }
            }
            if values.len() > max {
                return Err(ServiceError::Unprocessable(vec![FieldProblem::new(
                    "variables",
                    format!("`{tag}` has more than {max} readings in the range; shorten it"),
                )]));
            }
            match page.last() {
                Some(r) if page.len() == PAGE as usize => after = (r.tag.clone(), r.timestamp),
                _ => break,
            }
        }
        out.push((tag.clone(), per_interval(kind, &values, interval)));
    }
    Ok(out)
}
