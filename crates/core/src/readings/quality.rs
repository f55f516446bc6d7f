//! Data quality of a period computed from readings, and the hand-over to the
//! engine as a [`NormalizedInput`].
//!
//! **Completeness** of a channel is covered time / period length (see
//! [`super::aggregate`]); overall completeness is the mean over the
//! facility's channels, each channel weighing the same.
//!
//! **Score** (0–100) of a channel:
//!
//! ```text
//! score = 100 × C × (1 − u/2) × (1 − o) × (1 − 0.2·s)
//! ```
//!
//! with C its completeness, u the share of its distinct readings flagged
//! `uncertain`, o the share that were outliers, and s = 1 when it is stale
//! (else 0). Bad readings lower the score through C (they are treated as
//! missing). The overall score is the mean of the channel scores.

use std::collections::BTreeMap;

use serde::Serialize;
use thiserror::Error;

use crate::engine::{DataQuality, Finding};
use crate::error::{CoreError, FieldProblem};
use crate::request::{Basis, NormalizedInput, TimePeriod};
use crate::settings::CalculationMode;

use super::AggregationOptions;
use super::aggregate::{ChannelAccumulator, ChannelResult, ReadingCounts};
use super::facility::{ChannelRole, Facility};

/// The score of one channel (module docs).
pub(crate) fn channel_score(completeness: f64, counts: &ReadingCounts, stale: bool) -> f64 {
    let share = |n: u64| {
        if counts.readings == 0 {
            0.0
        } else {
            n as f64 / counts.readings as f64
        }
    };
    let stale = if stale { 0.8 } else { 1.0 };
    100.0
        * completeness
        * (1.0 - share(counts.uncertain) / 2.0)
        * (1.0 - share(counts.outliers))
        * stale
}

/// The data quality of one calculation from readings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataQualityReport {
    /// Mean channel completeness, 0–1.
    pub completeness: f64,
    /// Mean channel score, 0–100.
    pub score: f64,
    /// Every reading the store handed over, duplicates and out-of-order ones included.
    pub data_point_count: u64,
    /// Shares of the distinct readings flagged bad / uncertain, and of outliers.
    pub bad_share: f64,
    pub uncertain_share: f64,
    pub outlier_share: f64,
    /// Tags of the channels with no usable reading in their last intervals.
    pub stale_channels: Vec<String>,
    pub channels: Vec<ChannelResult>,
}

/// A strict-mode completeness failure: the channels below the minimum.
#[derive(Debug, Clone, PartialEq, Error)]
#[error(
    "data completeness is below {min_completeness} for {}: {}",
    if .channels.len() == 1 { "channel" } else { "channels" },
    .channels.iter().map(|(t, c)| format!("{t} ({c:.4})")).collect::<Vec<_>>().join(", ")
)]
pub struct CompletenessFailure {
    pub min_completeness: f64,
    /// `(tag, completeness)` of each channel below the minimum, in channel order.
    pub channels: Vec<(String, f64)>,
}

impl DataQualityReport {
    /// The report of a set of channel results.
    pub fn from_results(channels: Vec<ChannelResult>) -> Self {
        let n = channels.len();
        let mean = |f: &dyn Fn(&ChannelResult) -> f64| {
            if n == 0 {
                0.0
            } else {
                channels.iter().map(f).sum::<f64>() / n as f64
            }
        };
        let completeness = mean(&|c| c.completeness);
        let score = mean(&|c| c.score);
        let total = |f: &dyn Fn(&ReadingCounts) -> u64| -> u64 {
            channels.iter().map(|c| f(&c.counts)).sum()
        };
        let readings = total(&|c| c.readings);
        let data_point_count = readings + total(&|c| c.duplicates) + total(&|c| c.out_of_order);
        let share = |x: u64| {
            if readings == 0 {
                0.0
            } else {
                x as f64 / readings as f64
            }
        };
        Self {
            completeness,
            score,
            data_point_count,
            bad_share: share(total(&|c| c.bad)),
            uncertain_share: share(total(&|c| c.uncertain)),
            outlier_share: share(total(&|c| c.outliers)),
            stale_channels: channels
                .iter()
                .filter(|c| c.stale)
                .map(|c| c.tag.clone())
                .collect(),
            channels,
        }
    }

    /// The summary the engine carries in `data_quality`.
    pub fn summary(&self) -> DataQuality {
        DataQuality {
            completeness: self.completeness,
            score: self.score,
            data_point_count: self.data_point_count,
        }
    }

    /// Checks every channel against `min_completeness` (default
    /// [`super::DEFAULT_MIN_COMPLETENESS`]). Strict mode: channels below it are
    /// an error naming them (a `CalculationError` for the service). Lenient
    /// mode: each becomes a warning. Stale channels, counter resets,
    /// out-of-order readings and outliers are warnings in both modes.
    pub fn check_completeness(
        &self,
        min_completeness: f64,
        mode: CalculationMode,
    ) -> Result<Vec<Finding>, CompletenessFailure> {
        let below: Vec<(String, f64)> = self
            .channels
            .iter()
            .filter(|c| c.completeness < min_completeness)
            .map(|c| (c.tag.clone(), c.completeness))
            .collect();
        if mode == CalculationMode::Strict && !below.is_empty() {
            return Err(CompletenessFailure {
                min_completeness,
                channels: below,
            });
        }
        let mut warnings = Vec::new();
        for c in &self.channels {
            let field = format!("readings.{}", c.tag);
            let mut warn = |code: &str, message: String| {
                warnings.push(Finding {
                    code: code.to_owned(),
                    field: field.clone(),
                    message,
                });
            };
            if c.completeness < min_completeness {
                warn(
                    "data_incomplete",
                    format!(
                        "channel {} covers {:.2} % of the period, below the minimum {:.2} %",
                        c.tag,
                        c.completeness * 100.0,
                        min_completeness * 100.0
                    ),
                );
            }
            if c.stale {
                warn(
                    "channel_stale",
                    format!(
                        "channel {} has no usable reading in the last intervals of the period",
                        c.tag
                    ),
                );
            }
            let k = &c.counts;
            if k.outliers > 0 {
                warn(
                    "outliers_excluded",
                    format!(
                        "channel {}: {} non-physical readings were excluded",
                        c.tag, k.outliers
                    ),
                );
            }
            if k.resets > 0 {
                warn(
                    "counter_reset",
                    format!(
                        "channel {}: {} counter resets (a drop without rollover) were taken as \
                         restarts from 0",
                        c.tag, k.resets
                    ),
                );
            }
            if k.out_of_order > 0 {
                warn(
                    "readings_out_of_order",
                    format!(
                        "channel {}: {} readings arrived out of time order and were ignored",
                        c.tag, k.out_of_order
                    ),
                );
            }
        }
        Ok(warnings)
    }
}

/// Turns the channel results of `facility` over `period` into the engine's
/// input (energies in kWh summed by category within each role; losses only
/// when the facility has loss channels) and the data-quality report.
/// A channel of the facility without a result counts as one with no
/// readings; a result for a tag the facility does not have is an error.
pub fn build_normalized_input(
    facility: &Facility,
    period: &TimePeriod,
    results: Vec<ChannelResult>,
) -> Result<(NormalizedInput, DataQualityReport), CoreError> {
    let mut by_tag: BTreeMap<String, ChannelResult> = BTreeMap::new();
    let mut problems = Vec::new();
    for r in results {
        if facility.channel(&r.tag).is_none() {
            problems.push(FieldProblem::new(
                "channels",
                format!(
                    "a result was given for `{}`, which is not a channel of the facility",
                    r.tag
                ),
            ));
        } else if by_tag.contains_key(&r.tag) {
            problems.push(FieldProblem::new(
                "channels",
                format!("two results were given for channel `{}`", r.tag),
            ));
        } else {
            by_tag.insert(r.tag.clone(), r);
        }
    }
    if !problems.is_empty() {
        return Err(CoreError::Validation(problems));
    }
    let ordered: Vec<ChannelResult> = facility
        .energy_channels()
        .map(|c| {
            by_tag.remove(&c.tag).unwrap_or_else(|| {
                ChannelAccumulator::new(c, period, &AggregationOptions::default()).finish()
            })
        })
        .collect();

    let mut inputs = BTreeMap::new();
    let mut outputs = BTreeMap::new();
    let mut losses = BTreeMap::new();
    for r in &ordered {
        let map = match r.role {
            ChannelRole::Input => &mut inputs,
            ChannelRole::Output => &mut outputs,
            ChannelRole::Loss => &mut losses,
            // energy_channels() holds none; a stray result adds nothing.
            ChannelRole::Variable => continue,
        };
        *map.entry(r.category.clone()).or_insert(0.0) += r.energy_kwh;
    }
    let has_losses = facility
        .channels
        .iter()
        .any(|c| c.role == ChannelRole::Loss);
    let input = NormalizedInput {
        facility_id: facility.facility_id.clone(),
        time_period: *period,
        basis: Basis::AsMetered,
        energy_input_kwh: inputs,
        energy_output_kwh: outputs,
        energy_losses_kwh: has_losses.then_some(losses),
        process: None,
        dead_state: None,
        readings: None,
    };
    Ok((input, DataQualityReport::from_results(ordered)))
}

/// The engine input of a calculation from stored readings: the energies by
/// category plus what the aggregation found, so the engine applies the
/// completeness rule (strict: `CalculationError` naming the channels) and
/// reports the data quality.
pub fn engine_input_from_readings(
    facility: &Facility,
    period: &TimePeriod,
    results: Vec<ChannelResult>,
) -> Result<NormalizedInput, CoreError> {
    let (mut input, report) = build_normalized_input(facility, period, results)?;
    // Notes that hold in any mode: nothing is below a zero minimum.
    let notes = report
        .check_completeness(0.0, CalculationMode::Lenient)
        .unwrap_or_default();
    input.readings = Some(crate::request::ReadingsBasis {
        data_quality: report.summary(),
        channel_completeness: report
            .channels
            .iter()
            .map(|c| (c.tag.clone(), c.completeness))
            .collect(),
        notes,
        report: serde_json::to_value(&report).unwrap_or_default(),
    });
    Ok(input)
}
