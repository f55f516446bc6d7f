//! From stored calculations to an interval series of efficiency.
//!
//! The efficiency of an interval is Σ output / Σ input of the calculations
//! that start in it (energy-weighted, so one short calculation does not
//! weigh as much as a day), never the mean of their percentages. Intervals
//! are UTC hours, days, ISO weeks (from Monday) and calendar months.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, Time, UtcOffset};

use crate::error::{AnalyticsError, finite};
use crate::trend::SeriesPoint;

/// The length of the intervals of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    Hour,
    Day,
    Week,
    Month,
}

impl Interval {
    /// The start (UTC) of the interval that contains `t`.
    pub fn start_of(self, t: OffsetDateTime) -> OffsetDateTime {
        let t = t.to_offset(UtcOffset::UTC);
        let midnight = t.replace_time(Time::MIDNIGHT);
        match self {
            Interval::Hour => t.replace_time(Time::from_hms(t.hour(), 0, 0).expect("valid hour")),
            Interval::Day => midnight,
            Interval::Week => {
                midnight - Duration::days(i64::from(t.weekday().number_days_from_monday()))
            }
            Interval::Month => midnight
                .replace_day(1)
                .expect("day 1 exists in every month"),
        }
    }
}

/// One stored calculation, as the trend needs it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalculationPoint {
    /// The start of the calculation's period.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    pub input_kwh: f64,
    pub output_kwh: f64,
}

/// One interval of the series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalEfficiency {
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// 100 · Σ output / Σ input.
    pub efficiency_pct: f64,
    pub input_kwh: f64,
    pub output_kwh: f64,
    pub calculations: usize,
}

impl IntervalEfficiency {
    pub fn point(&self) -> SeriesPoint {
        SeriesPoint {
            time: self.start,
            value: self.efficiency_pct,
        }
    }
}

/// Groups `calculations` (any order) by interval, in time order. Intervals
/// with no calculation, or with no input energy, are left out: the caller
/// fills them from readings or leaves a gap.
pub fn aggregate_efficiency(
    calculations: &[CalculationPoint],
    interval: Interval,
) -> Result<Vec<IntervalEfficiency>, AnalyticsError> {
    let mut keyed = Vec::with_capacity(calculations.len());
    for (i, c) in calculations.iter().enumerate() {
        let input = finite(format!("calculations[{i}].input_kwh"), c.input_kwh)?;
        let output = finite(format!("calculations[{i}].output_kwh"), c.output_kwh)?;
        if input < 0.0 || output < 0.0 {
            return Err(AnalyticsError::invalid(
                format!("calculations[{i}]"),
                input.min(output),
                "energies must be ≥ 0",
            ));
        }
        keyed.push((interval.start_of(c.time), input, output));
    }
    keyed.sort_by_key(|k| k.0);
    let mut out: Vec<IntervalEfficiency> = Vec::new();
    for (start, input, output) in keyed {
        match out.last_mut() {
            Some(last) if last.start == start => {
                last.input_kwh += input;
                last.output_kwh += output;
                last.calculations += 1;
            }
            _ => out.push(IntervalEfficiency {
                start,
                efficiency_pct: 0.0,
                input_kwh: input,
                output_kwh: output,
                calculations: 1,
            }),
        }
    }
    out.retain(|i| i.input_kwh > 0.0);
    for i in &mut out {
        i.efficiency_pct = 100.0 * i.output_kwh / i.input_kwh;
    }
    Ok(out)
}
