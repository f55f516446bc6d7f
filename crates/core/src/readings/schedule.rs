//! Scheduled ("monitor" mode) periods: the closed hours or local days of a
//! facility, in UTC.
//!
//! Time zones come from the IANA Time Zone Database bundled into the binary
//! (`jiff` with `tzdb-bundle-always`), never from the host, so the same
//! input gives the same periods on every machine. A daily period runs from
//! local midnight to the next local midnight (the first instant of the day
//! when midnight itself does not exist), so it lasts 23 h or 25 h on the days
//! daylight saving time starts or ends.

use std::sync::OnceLock;

use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::{Timestamp, ToSpan, Unit, ZonedDateTime as Zoned, ZonedDateTimeRound as ZonedRound};
use time::OffsetDateTime;

use crate::error::{CoreError, FieldProblem};
use crate::request::TimePeriod;

use super::facility::Schedule;

/// The most periods one call lists (a year of hours is 8 784).
pub const MAX_SCHEDULED_PERIODS: usize = 100_000;

fn database() -> &'static TimeZoneDatabase {
    static DB: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DB.get_or_init(TimeZoneDatabase::bundled)
}

/// Looks up an IANA time zone name in the bundled database.
pub fn time_zone(name: &str) -> Result<TimeZone, CoreError> {
    database().get(name).map_err(|_| {
        CoreError::Validation(vec![FieldProblem::new(
            "time_zone",
            format!("`{name}` is not an IANA time zone name, e.g. Europe/Berlin or UTC"),
        )])
    })
}

/// The closed periods of `schedule` in `time_zone` that lie wholly inside
/// `[from, to]`, oldest first, in UTC. A period starting exactly at `from`
/// is included; one ending after `to` is not yet closed. `Schedule::None`
/// gives no periods.
pub fn closed_periods(
    time_zone_name: &str,
    schedule: Schedule,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<TimePeriod>, CoreError> {
    let tz = time_zone(time_zone_name)?;
    let step = match schedule {
        Schedule::None => return Ok(Vec::new()),
        Schedule::Hourly => Unit::Hour,
        Schedule::Daily => Unit::Day,
    };
    let from_z = Timestamp::from_nanosecond(from.unix_timestamp_nanos())
        .map_err(|_| range_problem("from"))?
        .to_zoned_datetime(tz);
    let to_ts =
        Timestamp::from_nanosecond(to.unix_timestamp_nanos()).map_err(|_| range_problem("to"))?;

    // The first boundary at or after `from`.
    let mut start = floor(&from_z, step)?;
    if start.timestamp() < from_z.timestamp() {
        start = next_boundary(&start, step)?;
    }
    let mut out = Vec::new();
    loop {
        let end = next_boundary(&start, step)?;
        if end.timestamp() > to_ts {
            break;
        }
        if out.len() == MAX_SCHEDULED_PERIODS {
            return Err(CoreError::Validation(vec![FieldProblem::new(
                "to",
                format!("the range holds more than {MAX_SCHEDULED_PERIODS} periods; ask for less"),
            )]));
        }
        out.push(TimePeriod {
            start: to_offset_date_time(start.timestamp()),
            end: to_offset_date_time(end.timestamp()),
        });
        start = end;
    }
    Ok(out)
}

/// The start of the local hour or day holding `z`.
fn floor(z: &Zoned, step: Unit) -> Result<Zoned, CoreError> {
    match step {
        Unit::Day => z.start_of_day().map_err(|_| range_problem("from")),
        _ => z
            .round(
                ZonedRound::new()
                    .smallest(Unit::Hour)
                    .mode(jiff::RoundMode::Trunc),
            )
            .map_err(|_| range_problem("from")),
    }
}

/// The boundary after `start` (itself a boundary).
fn next_boundary(start: &Zoned, step: Unit) -> Result<Zoned, CoreError> {
    match step {
        Unit::Day => start
            .tomorrow()
            .and_then(|d| d.start_of_day())
            .map_err(|_| range_problem("to")),
        _ => {
            // One hour of elapsed time, then back to the local hour start: in
            // zones whose offset changes by a non-whole hour (Australia/Lord_Howe)
            // the local hour boundary is not 60 minutes away.
            let later = start
                .checked_add(1.hour())
                .map_err(|_| range_problem("to"))?;
            let floored = floor(&later, Unit::Hour)?;
            Ok(if floored.timestamp() > start.timestamp() {
                floored
            } else {
                later
            })
        }
    }
}

fn to_offset_date_time(ts: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ts.as_nanosecond())
        .expect("a jiff timestamp is within the range of OffsetDateTime")
}

fn range_problem(field: &str) -> CoreError {
    CoreError::Validation(vec![FieldProblem::new(
        field,
        "is outside the supported range of dates",
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn hours(p: &TimePeriod) -> i64 {
        (p.end - p.start).whole_hours()
    }

    /// EU summer time (Directive 2000/84/EC art. 1–2; tzdb `Rule EU ... Mar lastSun 1:00u`
    /// and `Oct lastSun 1:00u`): clocks go forward at 01:00 UTC on the last
    /// Sunday of March and back at 01:00 UTC on the last Sunday of October.
    #[test]
    fn berlin_days_around_dst_changes_have_23_and_25_hours() {
        let periods = closed_periods(
            "Europe/Berlin",
            Schedule::Daily,
            datetime!(2025-03-29 00:00 UTC),
            datetime!(2025-04-01 00:00 UTC),
        )
        .unwrap();
        // 2025-03-29 00:00 UTC is 01:00 CET: the first whole local day is the 30th.
        assert_eq!(periods[0].start, datetime!(2025-03-29 23:00 UTC));
        assert_eq!(periods[0].end, datetime!(2025-03-30 22:00 UTC));
        assert_eq!(hours(&periods[0]), 23);
        assert_eq!(hours(&periods[1]), 24);
        assert_eq!(periods.len(), 2, "the day of the 1st is not closed yet");

        let october = closed_periods(
            "Europe/Berlin",
            Schedule::Daily,
            datetime!(2025-10-25 22:00 UTC),
            datetime!(2025-10-26 23:00 UTC),
        )
        .unwrap();
        assert_eq!(october.len(), 1);
        assert_eq!(october[0].start, datetime!(2025-10-25 22:00 UTC));
        assert_eq!(october[0].end, datetime!(2025-10-26 23:00 UTC));
        assert_eq!(hours(&october[0]), 25);
    }

    #[test]
    fn hourly_periods_follow_local_hours() {
        // Asia/Kolkata is UTC+05:30 (tzdb `Zone Asia/Kolkata ... 5:30 - IST`):
        // local hours start at :30 UTC.
        let p = closed_periods(
            "Asia/Kolkata",
            Schedule::Hourly,
            datetime!(2025-11-01 00:00 UTC),
            datetime!(2025-11-01 03:00 UTC),
        )
        .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].start, datetime!(2025-11-01 00:30 UTC));
        assert_eq!(p[1].end, datetime!(2025-11-01 02:30 UTC));
        // On the 25-hour Berlin day there are 25 hourly periods.
        let berlin = closed_periods(
            "Europe/Berlin",
            Schedule::Hourly,
            datetime!(2025-10-25 22:00 UTC),
            datetime!(2025-10-26 23:00 UTC),
        )
        .unwrap();
        assert_eq!(berlin.len(), 25);
        assert!(berlin.iter().all(|p| hours(p) == 1));
        assert!(berlin.windows(2).all(|w| w[0].end == w[1].start));
    }

    #[test]
    fn no_schedule_and_bad_zone() {
        let a = datetime!(2025-01-01 00:00 UTC);
        let b = datetime!(2025-01-05 00:00 UTC);
        assert!(
            closed_periods("UTC", Schedule::None, a, b)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            closed_periods("UTC", Schedule::Daily, a, b).unwrap().len(),
            4
        );
        match closed_periods("Europe/Atlantis", Schedule::Daily, a, b) {
            Err(CoreError::Validation(p)) => assert_eq!(p[0].field, "time_zone"),
            other => panic!("{other:?}"),
        }
    }
}
