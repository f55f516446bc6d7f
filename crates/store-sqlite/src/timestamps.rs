//! Time stamps in SQLite's own text form, and SQLite's clock.

use std::time::Duration;

use thermaliq_store::{StoreError, capped_delay};
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// SQLite's own text time format, always UTC, to the microsecond.
const TIME_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6]");

/// Formats a time stamp as stored (UTC).
pub fn format_time(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(TIME_FORMAT)
        .unwrap_or_else(|_| unreachable!("every UTC date formats with a fixed pattern"))
}

pub(crate) fn parse_time(text: &str) -> Result<OffsetDateTime, StoreError> {
    time::PrimitiveDateTime::parse(text, TIME_FORMAT)
        .map(|t| t.assume_utc())
        .map_err(|e| StoreError::Corrupt(format!("time stamp '{text}': {e}")))
}

/// Parses the stored form 'YYYY-MM-DD HH:MM:SS.ffffff' without the generic
/// parser (millions of readings are read per calculation).
pub(crate) fn parse_time_fast(text: &str) -> Result<OffsetDateTime, StoreError> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 26
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.';
    if !shape_ok {
        return parse_time(text);
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let parts = (|| {
        Some((
            num(0..4)?,
            num(5..7)?,
            num(8..10)?,
            num(11..13)?,
            num(14..16)?,
            num(17..19)?,
            num(20..26)?,
        ))
    })();
    let Some((year, month, day, hour, minute, second, micro)) = parts else {
        return parse_time(text);
    };
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok());
    let date = month.and_then(|m| {
        time::Date::from_calendar_date(
            i32::try_from(year).unwrap_or(0),
            m,
            u8::try_from(day).unwrap_or(0),
        )
        .ok()
    });
    let clock = time::Time::from_hms_micro(
        u8::try_from(hour).unwrap_or(99),
        u8::try_from(minute).unwrap_or(99),
        u8::try_from(second).unwrap_or(99),
        micro,
    )
    .ok();
    match (date, clock) {
        (Some(date), Some(clock)) => Ok(time::PrimitiveDateTime::new(date, clock).assume_utc()),
        _ => parse_time(text),
    }
}

/// SQLite's clock now, in the stored form (SQLite keeps milliseconds; the
/// microsecond digits are zero).
pub(crate) const NOW: &str = "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')";

/// SQLite's clock now plus the modifier bound at `?N` (see [`plus`]).
macro_rules! now_plus {
    ($n:literal) => {
        concat!("(strftime('%Y-%m-%d %H:%M:%f', 'now', ?", $n, ") || '000')")
    };
}
pub(crate) use now_plus;

/// A date-time modifier adding `d` (e.g. `+30.250000 seconds`). Capped at
/// about 30 years so the result stays a valid date.
pub(crate) fn plus(d: Duration) -> String {
    let d = capped_delay(d);
    format!("+{}.{:06} seconds", d.as_secs(), d.subsec_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_time_parser_agrees_with_the_generic_one() {
        for text in [
            "2025-11-01 00:00:00.000000",
            "2025-11-01 23:59:59.999999",
            "0001-01-01 00:00:00.000001",
            "9999-12-31 23:59:59.999999",
            "2024-02-29 12:34:56.123456",
        ] {
            assert_eq!(parse_time_fast(text).ok(), parse_time(text).ok(), "{text}");
            assert_eq!(format_time(parse_time_fast(text).expect("parses")), text);
        }
        for bad in [
            "2025-02-30 00:00:00.000000",
            "2025-11-01 24:00:00.000000",
            "2025-11-01T00:00:00.000000",
            "2025-11-01 00:00:00",
            "2025-1a-01 00:00:00.000000",
        ] {
            assert!(
                matches!(parse_time_fast(bad), Err(StoreError::Corrupt(_))),
                "{bad}"
            );
        }
    }
}
