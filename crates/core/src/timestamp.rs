//! RFC 3339 timestamps, with a fast path for the form almost every client
//! sends (`2025-11-01T00:00:00Z`).
//!
//! `time`'s general RFC 3339 parser costs several hundred nanoseconds, a
//! large share of a whole calculation and of each meter reading ingested.
//! The fast path reads `YYYY-MM-DDTHH:MM:SSZ` (upper-case `T` and `Z`,
//! seconds 00–59) by hand and builds the instant through `time`'s own checked
//! constructors; anything else — offsets, fractions, lower case, a leap
//! second, any malformed text — goes to `time`'s parser, so the result is
//! always the one `time` gives (`tests::agrees_with_time`). Formatting has
//! the same fast path for whole-second UTC instants, which is what every
//! normalised period holds (`tests::formats_as_time_does`).

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Parses an RFC 3339 timestamp (as `OffsetDateTime::parse(text, &Rfc3339)`).
pub fn parse_rfc3339(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
    match fast_utc(text.as_bytes()) {
        Some(t) => Ok(t),
        None => OffsetDateTime::parse(text, &Rfc3339),
    }
}

/// Formats `t` as RFC 3339 (as `t.format(&Rfc3339)`).
pub fn format_rfc3339(t: OffsetDateTime) -> Result<String, time::error::Format> {
    match fast_format(t) {
        Some(b) => Ok(b.iter().copied().map(char::from).collect()),
        None => t.format(&Rfc3339),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a whole-second UTC instant of years 0–9999,
/// or `None` to let `time` format it.
fn fast_format(t: OffsetDateTime) -> Option<[u8; 20]> {
    if !(t.offset().is_utc() && t.nanosecond() == 0 && (0..=9999).contains(&t.year())) {
        return None;
    }
    let mut b = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, t.year().unsigned_abs());
    put(5, 2, u32::from(u8::from(t.month())));
    put(8, 2, u32::from(t.day()));
    put(11, 2, u32::from(t.hour()));
    put(14, 2, u32::from(t.minute()));
    put(17, 2, u32::from(t.second()));
    Some(b)
}

/// `#[serde(with = "crate::timestamp::rfc3339")]`: as `time::serde::rfc3339`,
/// through the fast paths above.
pub mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
        match super::fast_format(*t) {
            // ASCII digits and punctuation: always UTF-8.
            Some(b) => serializer
                .serialize_str(std::str::from_utf8(&b).map_err(serde::ser::Error::custom)?),
            None => serializer
                .serialize_str(&super::format_rfc3339(*t).map_err(serde::ser::Error::custom)?),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<OffsetDateTime, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        super::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`, or `None` to let the general parser decide.
fn fast_utc(b: &[u8]) -> Option<OffsetDateTime> {
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(digits(5..7)?).ok()?).ok()?;
    let day = u8::try_from(digits(8..10)?).ok()?;
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if second > 59 {
        return None;
    }
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(hour as u8, minute as u8, second as u8).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(text: &str) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(text, &Rfc3339).ok()
    }

    #[test]
    fn the_common_form_and_the_rest() {
        for text in [
            "2025-11-01T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2024-02-29T12:30:45Z",
            "2023-02-29T12:30:45Z",
            "2025-13-01T00:00:00Z",
            "2025-11-01T24:00:00Z",
            "2025-11-01T23:59:60Z",
            "2025-11-01t00:00:00z",
            "2025-11-01T00:00:00+01:00",
            "2025-11-01T00:00:00.5Z",
            "2025-11-01 00:00:00Z",
            "+025-11-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(text).ok(), reference(text), "{text}");
        }
    }

    proptest! {
        #[test]
        fn formats_as_time_does(
            seconds in -62_167_219_200i64..253_402_300_800,
            nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000],
            offset_minutes in prop_oneof![Just(0i32), -1439i32..1440],
        ) {
            let t = OffsetDateTime::from_unix_timestamp(seconds).unwrap()
                .replace_nanosecond(nanos).unwrap()
                .to_offset(time::UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap());
            prop_assert_eq!(format_rfc3339(t).ok(), t.format(&Rfc3339).ok());
        }

        /// Random strings of the fast path's shape, valid and not, parse to
        /// what `time` gives, as do arbitrary strings.
        #[test]
        fn agrees_with_time(
            shaped in "[0-9+ -]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}[Zz]",
            free in "\\PC{0,24}",
        ) {
            prop_assert_eq!(parse_rfc3339(&shaped).ok(), reference(&shaped));
            prop_assert_eq!(parse_rfc3339(&free).ok(), reference(&free));
        }
    }
}
