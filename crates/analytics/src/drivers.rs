//! Relevant variables (ISO 50006 §3.17: production, degree days, ambient
//! temperature…) per interval, from their readings.
//!
//! - `interval_total` (a quantity per interval, e.g. tonnes produced): the
//!   sum of the values stamped in the interval.
//! - `sample` (a state, e.g. °C): the time average over the interval. With
//!   readings at times t₀ < t₁ < … held until the next one (a step
//!   function, the usual historian "previous value" interpolation), the
//!   average is Σ xᵢ (tᵢ₊₁ − tᵢ) / Σ (tᵢ₊₁ − tᵢ) over the readings in the
//!   interval, the last one held to the interval's end; with one reading it
//!   is that reading.
//!
//! Intervals with no reading are left out (the caller drops them from the
//! regression and says how many).

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::trend::Interval;

/// How a variable's readings combine over an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableKind {
    IntervalTotal,
    Sample,
}

/// The value of a variable per interval start, from readings in time order.
pub fn per_interval(
    kind: VariableKind,
    readings: &[(OffsetDateTime, f64)],
    interval: Interval,
) -> BTreeMap<OffsetDateTime, f64> {
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i < readings.len() {
        let start = interval.start_of(readings[i].0);
        let mut j = i;
        while j < readings.len() && interval.start_of(readings[j].0) == start {
            j += 1;
        }
        let group = &readings[i..j];
        let value = match kind {
            VariableKind::IntervalTotal => group.iter().map(|r| r.1).sum(),
            VariableKind::Sample => {
                let end = next_start(interval, start);
                let (mut weighted, mut span) = (0.0, 0.0);
                for (k, r) in group.iter().enumerate() {
                    let until = group.get(k + 1).map_or(end, |n| n.0);
                    let dt = (until - r.0).as_seconds_f64().max(0.0);
                    weighted += r.1 * dt;
                    span += dt;
                }
                if span > 0.0 {
                    weighted / span
                } else {
                    group.iter().map(|r| r.1).sum::<f64>() / group.len() as f64
                }
            }
        };
        out.insert(start, value);
        i = j;
    }
    out
}

/// The start of the interval after the one starting at `start`.
pub fn next_start(interval: Interval, start: OffsetDateTime) -> OffsetDateTime {
    match interval {
        Interval::Hour => start + time::Duration::hours(1),
        Interval::Day => start + time::Duration::days(1),
        Interval::Week => start + time::Duration::weeks(1),
        Interval::Month => {
            let (y, m) = if start.month() == time::Month::December {
                (start.year() + 1, time::Month::January)
            } else {
                (start.year(), start.month().next())
            };
            start
                .replace_day(1)
                .and_then(|d| d.replace_year(y))
                .and_then(|d| d.replace_month(m))
                .unwrap_or(start)
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn totals_sum_and_samples_are_time_weighted() {
        let r = [
            (datetime!(2025-01-01 00:00 UTC), 10.0),
            (datetime!(2025-01-01 18:00 UTC), 2.0),
            (datetime!(2025-01-02 06:00 UTC), 4.0),
        ];
        let t = per_interval(VariableKind::IntervalTotal, &r, Interval::Day);
        assert_eq!(t[&datetime!(2025-01-01 00:00 UTC)], 12.0);
        let s = per_interval(VariableKind::Sample, &r, Interval::Day);
        // 10 held 18 h, 2 held 6 h: (180 + 12) / 24 = 8.
        assert_eq!(s[&datetime!(2025-01-01 00:00 UTC)], 8.0);
        assert_eq!(s[&datetime!(2025-01-02 00:00 UTC)], 4.0);
    }

    #[test]
    fn months_roll_over_the_year() {
        assert_eq!(
            next_start(Interval::Month, datetime!(2025-12-01 00:00 UTC)),
            datetime!(2026-01-01 00:00 UTC)
        );
        assert_eq!(
            next_start(Interval::Month, datetime!(2025-01-01 00:00 UTC)),
            datetime!(2025-02-01 00:00 UTC)
        );
    }
}
