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
