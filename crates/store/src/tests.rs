//! Unit tests of the enums' texts.

use crate::*;
use proptest::prelude::*;

#[test]
fn calculation_status_texts_are_the_schema_check_values() {
    // The CHECK of `calculations.status` in both backends' 0001 migration.
    let texts: Vec<&str> = CalculationStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(texts, ["completed", "failed", "invalid"]);
    for status in CalculationStatus::ALL {
        assert_eq!(status.as_str().parse::<CalculationStatus>(), Ok(status));
        assert_eq!(status.to_string(), status.as_str());
        let json = serde_json::to_string(&status).expect("serialises");
        assert_eq!(json, format!("\"{}\"", status.as_str()));
        let back: CalculationStatus = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, status);
    }
    let err = "Completed".parse::<CalculationStatus>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown calculation status 'Completed': expected one of completed, failed, invalid"
    );
    assert!(serde_json::from_str::<CalculationStatus>("\"done\"").is_err());
    assert!(matches!(
        decode_column::<CalculationStatus>("status", "done"),
        Err(StoreError::Corrupt(_))
    ));
}

#[test]
fn every_store_enum_parses_what_it_prints() {
    for s in JobStatus::ALL {
        assert_eq!(JobStatus::parse(s.as_str()), Some(s));
    }
    for s in Scope::ALL {
        assert_eq!(Scope::parse(s.as_str()), Some(s));
    }
    for q in ReadingQuality::ALL {
        assert_eq!(ReadingQuality::parse(q.as_str()), Some(q));
    }
    assert_eq!(JobStatus::parse("QUEUED"), None);
    assert_eq!(Scope::parse(""), None);
}

proptest! {
    /// Exactly the three texts parse, whatever else is given; the error
    /// echoes at most 64 characters of the input.
    #[test]
    fn only_the_three_texts_parse(text in ".{0,200}") {
        let parsed = text.parse::<CalculationStatus>();
        let known = ["completed", "failed", "invalid"].contains(&text.as_str());
        prop_assert_eq!(parsed.is_ok(), known);
        if let Err(e) = parsed {
            prop_assert!(e.value.chars().count() <= 64);
            prop_assert!(text.starts_with(&e.value));
        }
    }
}

#[test]
fn truncates_to_the_microsecond_downwards_in_utc() {
    let t = time::macros::datetime!(1999-12-31 23:59:59.999_999_999 UTC);
    assert_eq!(
        truncate_to_micros(t),
        time::macros::datetime!(1999-12-31 23:59:59.999_999 UTC)
    );
    let east = time::macros::datetime!(2000-01-01 01:00:00.000_000_9 +01:00);
    let got = truncate_to_micros(east);
    assert_eq!(got.offset(), time::UtcOffset::UTC);
    assert_eq!(got, time::macros::datetime!(2000-01-01 00:00:00 UTC));
}

#[test]
fn rejected_names_its_field_and_is_permanent() {
    let e = StoreError::rejected("calculation_id", "contains a NUL character");
    assert_eq!(e.field(), Some("calculation_id"));
    assert_eq!(
        e.to_string(),
        "refused calculation_id: contains a NUL character"
    );
    assert!(!e.is_transient());
    assert!(StoreError::Unavailable("down".into()).is_transient());
    for permanent in [
        StoreError::Duplicate("x".into()),
        StoreError::Backend("x".into()),
        StoreError::Corrupt("x".into()),
    ] {
        assert!(!permanent.is_transient());
    }
    let nested = check_reading(&NewReading {
        tag: String::new(),
        timestamp: time::macros::datetime!(2025-11-01 00:00 UTC),
        value: 1.0,
        quality: ReadingQuality::Good,
        correction: false,
    })
    .unwrap_err()
    .under("readings[7]");
    assert_eq!(nested.field(), Some("readings[7].tag"));
    let long = "é".repeat(400);
    assert!(short_message(&long).chars().count() <= 301);
}

#[test]
fn partition_readings_keeps_good_rows_in_order_and_names_the_bad_ones() {
    let at = time::macros::datetime!(2025-11-01 00:00 UTC);
    let row = |tag: &str, timestamp, value| NewReading {
        tag: tag.to_owned(),
        timestamp,
        value,
        quality: ReadingQuality::Good,
        correction: false,
    };
    let rows = [
        row("gas", at, 1.0),
        row("gas", time::macros::datetime!(0001-01-01 00:30 +01:00), 2.0),
        row("power", at, 3.0),
        row("gas", at, f64::NAN),
        row("g\0", at, 4.0),
    ];
    let (good, bad) = partition_readings(&rows);
    assert_eq!(good, [rows[0].clone(), rows[2].clone()]);
    let named: Vec<(usize, Option<&str>)> = bad.iter().map(|(i, e)| (*i, e.field())).collect();
    assert_eq!(
        named,
        [
            (1, Some("readings[1].timestamp")),
            (3, Some("readings[3].value")),
            (4, Some("readings[4].tag")),
        ]
    );
}

#[test]
fn keys_may_have_max_key_bytes_and_no_more() {
    assert!(check_key("k", &"a".repeat(MAX_KEY_BYTES)).is_ok());
    assert!(check_key("k", &"a".repeat(MAX_KEY_BYTES + 1)).is_err());
    // Bytes, not characters: 513 two-byte characters are 1026 bytes.
    assert!(check_key("k", &"é".repeat(513)).is_err());
    assert!(check_text("t", &"a".repeat(10 * MAX_KEY_BYTES)).is_ok());
}

proptest! {
    /// `check_time` accepts exactly the instants whose UTC year is 1-9999,
    /// whatever the offset, returns them in UTC to the microsecond, and
    /// never panics (also where the offset carries the instant past the
    /// `time` crate's range).
    #[test]
    fn check_time_accepts_exactly_utc_years_1_to_9999(
        unix_seconds in -377_705_116_800i64..=253_402_300_799i64,
        nanos in 0u32..1_000_000_000,
        offset_seconds in -86_399i32..=86_399,
    ) {
        let utc = time::OffsetDateTime::from_unix_timestamp(unix_seconds)
            .expect("in range")
            .replace_nanosecond(nanos)
            .expect("valid nanosecond");
        let offset = time::UtcOffset::from_whole_seconds(offset_seconds).expect("offset");
        if let Some(local) = utc.checked_to_offset(offset) {
            let year = utc.year();
            match check_time("t", local) {
                Ok(stored) => {
                    prop_assert!(STORED_YEARS.contains(&year));
                    prop_assert_eq!(stored.offset(), time::UtcOffset::UTC);
                    prop_assert_eq!(stored.unix_timestamp(), utc.unix_timestamp());
                    prop_assert_eq!(stored.nanosecond(), nanos - nanos % 1_000);
                }
                Err(e) => {
                    prop_assert!(!STORED_YEARS.contains(&year));
                    prop_assert_eq!(e.field(), Some("t"));
                }
            }
        }
    }

    /// A text passes `check_text` exactly when it has no NUL character.
    #[test]
    fn check_text_refuses_exactly_nul(
        chars in proptest::collection::vec(prop_oneof![Just('\0'), any::<char>()], 0..64),
    ) {
        let text: String = chars.into_iter().collect();
        prop_assert_eq!(check_text("t", &text).is_ok(), !text.contains('\0'));
    }
}
