//! The energy of one channel over one period, from its readings, in a single
//! streaming pass with O(1) memory.
//!
//! The period is half-open, `[start, end)`. Readings must arrive in
//! ascending timestamp order (the store's `ORDER BY tag, timestamp`); a
//! reading at the same instant as the previous one is a duplicate and
//! counted once (the first wins), and one earlier than the previous is
//! counted as out of order and ignored — sort in-memory batches with
//! [`sort_readings`] first.
//!
//! Rules, per channel kind:
//!
//! - **Interval energy.** A reading is the energy of one interval of
//!   `interval_minutes`: `[t − I, t)` when stamped `interval_end`, `[t, t + I)`
//!   when stamped `interval_start`. It counts in proportion to the overlap of
//!   its interval with the period: `E = Σ vᵢ · |[aᵢ, bᵢ) ∩ [start, end)| / I`.
//! - **Power.** Trapezoid rule between consecutive usable readings,
//!   `E = Σ (pᵢ + pᵢ₊₁)/2 · (tᵢ₊₁ − tᵢ)`, with a segment straddling a period
//!   edge clipped there by linear interpolation (the exact integral of the
//!   piecewise-linear interpolant over the period). Two readings further apart
//!   than the bridge limit are a gap: nothing is integrated across it.
//! - **Counter.** The increase between consecutive usable readings; a drop is
//!   a rollover when the channel has a `rollover_value` R and the wrapped
//!   increase `R − v₀ + v₁` is at most R/2 (a counter cannot plausibly run
//!   through more than half its range between two readings), otherwise a
//!   reset to 0 (the new value is counted as the increase, and flagged). The
//!   increase is spread evenly over the time between the two readings and
//!   prorated across the period edges; no increase is counted across a gap.
//!
//! The bridge limit of power and counter channels is
//! `max(max_interpolation_gap, interval_minutes)`.
//!
//! Readings flagged `bad` are treated as missing. Non-physical values are
//! outliers, also treated as missing: a negative interval energy, power or
//! register value, a register at or above `rollover_value`, and — where the
//! channel declares `plausible_max_kw` — a power, or the mean power of an
//! interval energy or counter increase, above it. Whatever the channel, a
//! value above [`ABSOLUTE_MAX`] once converted to kW or kWh is an outlier, so
//! no sum can overflow to infinity.

use std::collections::HashMap;

use serde::Serialize;
use time::OffsetDateTime;

use crate::request::TimePeriod;

use super::facility::{Channel, ChannelKind, ChannelRole, ChannelUnit, Facility, Stamping};
use super::quality::channel_score;
use super::{AggregationOptions, Quality, Reading};

const NANOS_PER_SECOND: f64 = 1e9;
const SECONDS_PER_HOUR: f64 = 3_600.0;
const NANOS_PER_MINUTE: i64 = 60_000_000_000;

/// No reading may exceed 10¹² kW or kWh (a terawatt, a terawatt-hour):
/// beyond any single industrial meter, and small enough that a sum of
/// billions of readings stays finite.
pub const ABSOLUTE_MAX: f64 = 1e12;

/// Readings counted while aggregating one channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReadingCounts {
    /// Distinct readings received (duplicates and out-of-order ones excluded).
    pub readings: u64,
    pub good: u64,
    pub uncertain: u64,
    pub bad: u64,
    /// Readings at the same instant as the previous one (ignored).
    pub duplicates: u64,
    /// Readings earlier than the previous one (ignored).
    pub out_of_order: u64,
    /// Non-physical values (ignored; see the module documentation).
    pub outliers: u64,
    /// Counter drops taken as a reset to 0.
    pub resets: u64,
    /// Counter drops taken as a rollover at `rollover_value`.
    pub rollovers: u64,
    /// Power or counter stretches overlapping the period that were longer
    /// than the bridge limit and not bridged.
    pub gaps: u64,
}

/// The energy of one channel over one period, and how well it was measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelResult {
    pub tag: String,
    pub role: ChannelRole,
    pub category: String,
    pub kind: ChannelKind,
    pub energy_kwh: f64,
    /// Covered time / period length, 0–1. For interval energy, the time
    /// covered by usable intervals, which is present / expected intervals
    /// when the period is a whole number of intervals.
    pub completeness: f64,
    pub covered_seconds: f64,
    pub period_seconds: f64,
    /// Interval energy: intervals of the period, `ceil(period / interval)`.
    pub intervals_expected: Option<u64>,
    /// Interval energy: usable readings whose interval overlaps the period.
    pub intervals_present: Option<u64>,
    pub counts: ReadingCounts,
    /// No usable reading in the last `stale_intervals` expected intervals.
    pub stale: bool,
    /// The end of the last covered stretch inside the period.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_covered: Option<OffsetDateTime>,
    /// 0–100, see [`super::quality`].
    pub score: f64,
}

/// The inclusive range of timestamps the store must fetch for a period, so
/// that intervals and power or counter segments straddling its edges are
/// seen: `start ≤ timestamp ≤ end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FetchWindow {
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub end: OffsetDateTime,
}

/// The fetch window of every channel of `facility` for `period`: the period
/// widened on both sides by the longest reach of a channel (its interval for
/// interval energy, its bridge limit for power and counters).
pub fn fetch_window(
    facility: &Facility,
    period: &TimePeriod,
    options: &AggregationOptions,
) -> FetchWindow {
    let reach = facility
        .energy_channels()
        .map(|c| channel_reach_ns(c, options))
        .max()
        .unwrap_or_else(|| duration_ns(options.max_interpolation_gap));
    let reach = time::Duration::nanoseconds(reach);
    FetchWindow {
        start: period.start.saturating_sub(reach),
        end: period.end.saturating_add(reach),
    }
}

/// Sorts readings by timestamp, keeping the original order of readings at the
/// same instant (so the accumulator keeps the first of duplicates).
pub fn sort_readings(readings: &mut [Reading]) {
    readings.sort_by_key(|r| r.timestamp);
}

fn channel_reach_ns(channel: &Channel, options: &AggregationOptions) -> i64 {
    let interval = channel
        .interval_minutes
        .map(|m| i64::from(m) * NANOS_PER_MINUTE);
    match channel.kind {
        ChannelKind::IntervalEnergy | ChannelKind::IntervalTotal => {
            interval.unwrap_or(NANOS_PER_MINUTE)
        }
        ChannelKind::Power | ChannelKind::Counter | ChannelKind::Sample => {
            duration_ns(options.max_interpolation_gap)
                .max(interval.unwrap_or(0))
                .max(1)
        }
    }
}

fn duration_ns(d: time::Duration) -> i64 {
    i64::try_from(d.whole_nanoseconds()).unwrap_or(if d.is_negative() { 0 } else { i64::MAX })
}

fn instant_ns(t: OffsetDateTime) -> i64 {
    let n = t.unix_timestamp_nanos();
    i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })
}

fn to_instant(ns: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .expect("an i64 of nanoseconds is within the range of OffsetDateTime")
}

/// Streams one channel's readings for one period; see the module docs.
#[derive(Debug, Clone)]
pub struct ChannelAccumulator {
    tag: String,
    role: ChannelRole,
    category: String,
    kind: ChannelKind,
    start: i64,
    end: i64,
    /// kWh per unit (interval energy, counter) or kW per unit (power).
    factor: f64,
    /// Interval energy: the interval; otherwise the expected reporting
    /// interval (for staleness).
    interval: i64,
    stamping: Stamping,
    /// Power and counters: the longest stretch bridged.
    bridge: i64,
    rollover: Option<f64>,
    /// The plausible maximum in the channel's own unit (power) or per
    /// nanosecond in the channel's own unit (interval energy, counter).
    max_rate: Option<f64>,
    stale_after: i64,

    last_ts: Option<i64>,
    prev: Option<(i64, f64)>,
    /// Interval energy and counters: the channel's unit; power: unit × seconds.
    sum: f64,
    covered: i64,
    last_covered_end: Option<i64>,
    counts: ReadingCounts,
    intervals_present: u64,
}

impl ChannelAccumulator {
    pub fn new(channel: &Channel, period: &TimePeriod, options: &AggregationOptions) -> Self {
        let start = instant_ns(period.start);
        let end = instant_ns(period.end).max(start);
        let factor = match &channel.unit {
            ChannelUnit::Energy(u) => u.kwh_factor(),
            ChannelUnit::Power(u) => u.kw_factor(),
            // Variables are not aggregated here (FacilityAggregator skips them).
            ChannelUnit::Quantity(_) => 1.0,
        };
        let declared = channel
            .interval_minutes
            .map(|m| i64::from(m) * NANOS_PER_MINUTE);
        let gap = duration_ns(options.max_interpolation_gap).max(1);
        let (interval, bridge) = match channel.kind {
            ChannelKind::IntervalEnergy | ChannelKind::IntervalTotal => {
                (declared.unwrap_or(NANOS_PER_MINUTE), 0)
            }
            ChannelKind::Power | ChannelKind::Counter | ChannelKind::Sample => {
                (declared.unwrap_or(gap), gap.max(declared.unwrap_or(0)))
            }
        };
        // kW -> the channel's unit (power) or the channel's unit per ns.
        let max_rate = channel.plausible_max_kw.map(|kw| match channel.kind {
            ChannelKind::Power => kw / factor,
            _ => kw / factor / (SECONDS_PER_HOUR * NANOS_PER_SECOND),
        });
        Self {
            tag: channel.tag.clone(),
            role: channel.role,
            category: channel.category.clone(),
            kind: channel.kind,
            start,
            end,
            factor,
            interval,
            stamping: channel.stamping.unwrap_or(Stamping::IntervalEnd),
            bridge,
            rollover: channel.rollover_value,
            max_rate,
            stale_after: interval.saturating_mul(i64::from(options.stale_intervals)),
            last_ts: None,
            prev: None,
            sum: 0.0,
            covered: 0,
            last_covered_end: None,
            counts: ReadingCounts::default(),
            intervals_present: 0,
        }
    }

    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// Adds the next reading (ascending timestamps; see the module docs).
    pub fn push(&mut self, reading: Reading) {
        self.push_ns(
            instant_ns(reading.timestamp),
            reading.value,
            reading.quality,
        );
    }

    /// [`Self::push`] with the timestamp in nanoseconds since the Unix epoch.
    pub fn push_ns(&mut self, ts: i64, value: f64, quality: Quality) {
        if let Some(last) = self.last_ts {
            if ts == last {
                self.counts.duplicates += 1;
                return;
            }
            if ts < last {
                self.counts.out_of_order += 1;
                return;
            }
        }
        self.last_ts = Some(ts);
        self.counts.readings += 1;
        match quality {
            Quality::Good => self.counts.good += 1,
            Quality::Uncertain => self.counts.uncertain += 1,
            Quality::Bad => {
                self.counts.bad += 1;
                return;
            }
        }
        if !value.is_finite() || value < 0.0 || value * self.factor > ABSOLUTE_MAX {
            self.counts.outliers += 1;
            return;
        }
        match self.kind {
            ChannelKind::IntervalEnergy | ChannelKind::IntervalTotal => {
                self.push_interval(ts, value)
            }
            ChannelKind::Power | ChannelKind::Sample => self.push_power(ts, value),
            ChannelKind::Counter => self.push_counter(ts, value),
        }
    }

    fn push_interval(&mut self, ts: i64, energy: f64) {
        let i = self.interval;
        if self.max_rate.is_some_and(|max| energy / i as f64 > max) {
            self.counts.outliers += 1;
            return;
        }
        let (a, b) = match self.stamping {
            Stamping::IntervalStart => (ts, ts.saturating_add(i)),
            Stamping::IntervalEnd => (ts.saturating_sub(i), ts),
        };
        let lo = a.max(self.start);
        let hi = b.min(self.end);
        if hi <= lo {
            return;
        }
        self.intervals_present += 1;
        if hi - lo == i {
            self.sum += energy;
        } else {
            self.sum += energy * ((hi - lo) as f64 / i as f64);
        }
        // Union of covered time: intervals arrive in order of their start.
        let from = lo.max(self.last_covered_end.unwrap_or(i64::MIN));
        if hi > from {
            self.covered += hi - from;
        }
        self.last_covered_end = Some(self.last_covered_end.map_or(hi, |e| e.max(hi)));
    }

    fn push_power(&mut self, ts: i64, power: f64) {
        if self.max_rate.is_some_and(|max| power > max) {
            self.counts.outliers += 1;
            return;
        }
        if let Some((t0, p0)) = self.prev {
            let dt = ts - t0;
            let lo = t0.max(self.start);
            let hi = ts.min(self.end);
            if hi > lo {
                if dt <= self.bridge {
                    if lo == t0 && hi == ts {
                        self.sum += (p0 + power) * 0.5 * (dt as f64 / NANOS_PER_SECOND);
                    } else {
                        let slope = (power - p0) / dt as f64;
                        let pa = p0 + slope * (lo - t0) as f64;
                        let pb = p0 + slope * (hi - t0) as f64;
                        self.sum += (pa + pb) * 0.5 * ((hi - lo) as f64 / NANOS_PER_SECOND);
                    }
                    self.covered += hi - lo;
                    self.last_covered_end = Some(hi);
                } else {
                    self.counts.gaps += 1;
                }
            }
        }
        self.prev = Some((ts, power));
    }

    fn push_counter(&mut self, ts: i64, register: f64) {
        if self.rollover.is_some_and(|r| register >= r) {
            self.counts.outliers += 1;
            return;
        }
        if let Some((t0, v0)) = self.prev {
            self.prev = Some((ts, register));
            let dt = ts - t0;
            let mut increase = register - v0;
            if increase < 0.0 {
                match self.rollover {
                    Some(r) if r - v0 + register <= r / 2.0 => {
                        increase = r - v0 + register;
                        self.counts.rollovers += 1;
                    }
                    _ => {
                        increase = register;
                        self.counts.resets += 1;
                    }
                }
            }
            if self.max_rate.is_some_and(|max| increase / dt as f64 > max) {
                self.counts.outliers += 1;
                return;
            }
            let lo = t0.max(self.start);
            let hi = ts.min(self.end);
            if hi > lo {
                if dt <= self.bridge {
                    if lo == t0 && hi == ts {
                        self.sum += increase;
                    } else {
                        self.sum += increase * ((hi - lo) as f64 / dt as f64);
                    }
                    self.covered += hi - lo;
                    self.last_covered_end = Some(hi);
                } else {
                    self.counts.gaps += 1;
                }
            }
        } else {
            self.prev = Some((ts, register));
        }
    }

    /// The channel's energy and quality over the period.
    pub fn finish(self) -> ChannelResult {
        let period = self.end - self.start;
        let energy_kwh = match self.kind {
            ChannelKind::Power | ChannelKind::Sample => self.sum * self.factor / SECONDS_PER_HOUR,
            ChannelKind::IntervalEnergy | ChannelKind::Counter | ChannelKind::IntervalTotal => {
                self.sum * self.factor
            }
        };
        let completeness = if period > 0 {
            (self.covered as f64 / period as f64).clamp(0.0, 1.0)
        } else {
            1.0
        };
        let stale = match self.last_covered_end {
            None => true,
            Some(e) => self.end - e > self.stale_after,
        };
        let (expected, present) = match self.kind {
            ChannelKind::IntervalEnergy => (
                Some(
                    u64::try_from((period + self.interval - 1) / self.interval).unwrap_or_default(),
                ),
                Some(self.intervals_present),
            ),
            _ => (None, None),
        };
        let score = channel_score(completeness, &self.counts, stale);
        ChannelResult {
            tag: self.tag,
            role: self.role,
            category: self.category,
            kind: self.kind,
            energy_kwh,
            completeness,
            covered_seconds: self.covered as f64 / NANOS_PER_SECOND,
            period_seconds: period as f64 / NANOS_PER_SECOND,
            intervals_expected: expected,
            intervals_present: present,
            counts: self.counts,
            stale,
            last_covered: self.last_covered_end.map(to_instant),
            score,
        }
    }
}

/// Routes a facility's readings, ordered by tag then timestamp, to one
/// accumulator per channel.
#[derive(Debug, Clone)]
pub struct FacilityAggregator {
    accumulators: Vec<ChannelAccumulator>,
    index: HashMap<String, usize>,
    /// Readings of `variable` channels are known but not energy: skipped.
    variable_tags: std::collections::HashSet<String>,
    current: Option<usize>,
    unknown_tag_readings: u64,
}

impl FacilityAggregator {
    pub fn new(facility: &Facility, period: &TimePeriod, options: &AggregationOptions) -> Self {
        let accumulators: Vec<_> = facility
            .energy_channels()
            .map(|c| ChannelAccumulator::new(c, period, options))
            .collect();
        let index = facility
            .energy_channels()
            .enumerate()
            .map(|(i, c)| (c.tag.clone(), i))
            .collect();
        let variable_tags = facility
            .variable_channels()
            .map(|c| c.tag.clone())
            .collect();
        Self {
            accumulators,
            index,
            variable_tags,
            current: None,
            unknown_tag_readings: 0,
        }
    }

    /// Adds one reading of channel `tag`. Returns false (and counts it) when
    /// the facility has no such channel.
    pub fn push(&mut self, tag: &str, reading: Reading) -> bool {
        let slot = match self.current {
            Some(i) if self.accumulators[i].tag == tag => i,
            _ => match self.index.get(tag) {
                Some(&i) => {
                    self.current = Some(i);
                    i
                }
                None if self.variable_tags.contains(tag) => return true,
                None => {
                    self.unknown_tag_readings += 1;
                    return false;
                }
            },
        };
        self.accumulators[slot].push(reading);
        true
    }

    /// Readings whose tag is not a channel of the facility (ignored).
    pub fn unknown_tag_readings(&self) -> u64 {
        self.unknown_tag_readings
    }

    /// One result per channel, in the facility's channel order.
    pub fn finish(self) -> Vec<ChannelResult> {
        self.accumulators
            .into_iter()
            .map(ChannelAccumulator::finish)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thermo::power::PowerUnit;
    use thermo::units::EnergyUnit;
    use time::macros::datetime;

    fn channel(kind: ChannelKind, unit: ChannelUnit) -> Channel {
        Channel {
            tag: "t".to_owned(),
            role: ChannelRole::Input,
            category: "fuel".to_owned(),
            kind,
            unit,
            meter_id: None,
            rollover_value: None,
            interval_minutes: None,
            stamping: None,
            plausible_max_kw: None,
            uncertainty_pct: None,
            source: Default::default(),
        }
    }

    fn hour() -> TimePeriod {
        TimePeriod {
            start: datetime!(2025-11-01 00:00 UTC),
            end: datetime!(2025-11-01 01:00 UTC),
        }
    }

    fn at(min: i64) -> OffsetDateTime {
        datetime!(2025-11-01 00:00 UTC) + time::Duration::minutes(min)
    }

    #[test]
    fn power_in_watts_converts() {
        let c = channel(ChannelKind::Power, ChannelUnit::Power(PowerUnit::W));
        let mut acc = ChannelAccumulator::new(&c, &hour(), &AggregationOptions::default());
        for m in (0..=60).step_by(5) {
            acc.push(Reading::good(at(m), 2_000.0));
        }
        let r = acc.finish();
        // 2000 W for 1 h = 2 kWh.
        assert_eq!(r.energy_kwh, 2.0);
        assert_eq!(r.completeness, 1.0);
        assert!(!r.stale);
    }

    #[test]
    fn bad_readings_are_missing_and_duplicates_count_once() {
        let c = channel(ChannelKind::Power, ChannelUnit::Power(PowerUnit::KW));
        let mut acc = ChannelAccumulator::new(&c, &hour(), &AggregationOptions::default());
        for m in (0..=60).step_by(10) {
            let q = if m == 30 { Quality::Bad } else { Quality::Good };
            acc.push(Reading::new(at(m), 6.0, q));
            acc.push(Reading::new(at(m), 600.0, Quality::Good));
        }
        let r = acc.finish();
        // 20-minute stretch 20..40 exceeds the 15-minute gap limit.
        assert_eq!(r.energy_kwh, 6.0 * 40.0 / 60.0);
        assert_eq!(r.counts.duplicates, 7);
        assert_eq!(r.counts.bad, 1);
        assert_eq!(r.counts.gaps, 1);
        assert!((r.completeness - 40.0 / 60.0).abs() < 1e-15);
    }

    #[test]
    fn negative_values_are_outliers() {
        let mut c = channel(
            ChannelKind::IntervalEnergy,
            ChannelUnit::Energy(EnergyUnit::KWh),
        );
        c.interval_minutes = Some(15);
        c.stamping = Some(Stamping::IntervalStart);
        c.plausible_max_kw = Some(100.0);
        let mut acc = ChannelAccumulator::new(&c, &hour(), &AggregationOptions::default());
        acc.push(Reading::good(at(0), 10.0));
        acc.push(Reading::good(at(15), -1.0));
        // 30 kWh in 15 min is 120 kW > 100 kW.
        acc.push(Reading::good(at(30), 30.0));
        acc.push(Reading::good(at(45), 10.0));
        acc.push(Reading::good(at(50), f64::MAX));
        let r = acc.finish();
        assert_eq!(r.energy_kwh, 20.0);
        assert_eq!(r.counts.outliers, 3);
        assert_eq!(r.intervals_expected, Some(4));
        assert_eq!(r.intervals_present, Some(2));
        assert_eq!(r.completeness, 0.5);
    }
}
