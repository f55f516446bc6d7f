//! Meter readings: the records, and the checks and reductions every backend
//! applies the same way before writing.

use std::str::FromStr;

use serde::Serialize;
use time::OffsetDateTime;

use crate::audit::{AuditEntry, json_number, json_string};
use crate::error::{ParseEnumError, StoreError, parse_enum};
use crate::timestamps::truncate_to_micros;

/// The quality flag of a stored reading (`energy_readings.quality`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadingQuality {
    #[default]
    Good,
    Uncertain,
    Bad,
}

impl ReadingQuality {
    pub fn as_str(self) -> &'static str {
        match self {
            ReadingQuality::Good => "good",
            ReadingQuality::Uncertain => "uncertain",
            ReadingQuality::Bad => "bad",
        }
    }

    pub const ALL: [ReadingQuality; 3] = [
        ReadingQuality::Good,
        ReadingQuality::Uncertain,
        ReadingQuality::Bad,
    ];

    pub fn parse(text: &str) -> Option<ReadingQuality> {
        text.parse().ok()
    }
}

impl FromStr for ReadingQuality {
    type Err = ParseEnumError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_enum("reading quality", text, &Self::ALL, |s| s.as_str())
    }
}

/// One reading to store ([`crate::Store::insert_readings`]); the facility is given
/// per call.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReading {
    pub tag: String,
    /// Stored to the microsecond (truncated); years 1 to 9999.
    pub timestamp: OffsetDateTime,
    /// Must be finite; `-0.0` is stored as `0.0` (SQLite cannot keep the sign).
    pub value: f64,
    pub quality: ReadingQuality,
    /// The sender flags a value that replaces the stored one for the same
    /// (facility, tag, timestamp).
    pub correction: bool,
}

/// What [`crate::Store::insert_readings`] did with the rows of one call; the three
/// counts add up to the number of rows given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct InsertSummary {
    /// New keys stored.
    pub inserted: u64,
    /// Rows whose key was stored already and that did not change it: not
    /// corrections, or corrections equal (value and quality) to the stored
    /// reading, or repeats of a key earlier in the same call.
    pub duplicates: u64,
    /// Corrections that replaced a different stored value or quality.
    pub corrected: u64,
}

/// A stored reading, as [`crate::Store::read_readings_page`] returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadingRecord {
    pub tag: String,
    pub timestamp: OffsetDateTime,
    pub value: f64,
    pub quality: ReadingQuality,
    /// The value replaced an earlier one (a correction).
    pub corrected: bool,
}

/// Timestamps of readings must lie in this range of years (both backends).
pub const READING_YEARS: std::ops::RangeInclusive<i32> = crate::STORED_YEARS;

/// Checks the rows of an `insert_readings` call the same way on every
/// backend: the facility id a key, each row as [`crate::check_reading`]
/// (refused rows are `Rejected` naming `readings[i].<field>`), and an audit
/// entry when any row is a correction (else `Backend`: a caller's bug).
pub fn validate_readings(
    facility_id: &str,
    rows: &[NewReading],
    audit: Option<&AuditEntry>,
) -> Result<(), StoreError> {
    if facility_id.is_empty() {
        return Err(StoreError::rejected("facility_id", "is empty"));
    }
    crate::check_key("facility_id", facility_id)?;
    for (i, r) in rows.iter().enumerate() {
        crate::check_reading(r).map_err(|e| e.under(&format!("readings[{i}]")))?;
    }
    if let Some(audit) = audit {
        crate::check_audit(audit)?;
    }
    if audit.is_none() && rows.iter().any(|r| r.correction) {
        return Err(StoreError::Backend(
            "corrections must be audited: no audit entry given".into(),
        ));
    }
    Ok(())
}

/// Reduces the rows of one call to one per key (tag, timestamp truncated to
/// the microsecond): the last row flagged as a correction if any, else the
/// first. Returns the kept rows (timestamps truncated, `-0.0` made `0.0`, in
/// first-seen key order) and how many rows were dropped as repeats.
pub fn collapse_readings(rows: &[NewReading]) -> (Vec<NewReading>, u64) {
    use std::collections::HashMap;
    let mut index: HashMap<(&str, OffsetDateTime), usize> = HashMap::with_capacity(rows.len());
    let mut kept: Vec<NewReading> = Vec::with_capacity(rows.len());
    let mut repeats = 0;
    for r in rows {
        let ts = truncate_to_micros(r.timestamp);
        match index.get(&(r.tag.as_str(), ts)) {
            None => {
                index.insert((r.tag.as_str(), ts), kept.len());
                let mut row = r.clone();
                row.timestamp = ts;
                row.value += 0.0;
                kept.push(row);
            }
            Some(&i) => {
                repeats += 1;
                if r.correction {
                    let mut row = r.clone();
                    row.timestamp = ts;
                    row.value += 0.0;
                    kept[i] = row;
                }
            }
        }
    }
    (kept, repeats)
}

/// The JSON `detail` of the audit entry `insert_readings` writes for a call
/// that corrected readings: the count, up to [`AUDITED_CORRECTIONS`] of the
/// corrected readings with their old and new values, and the caller's detail.
pub fn corrections_audit_detail(
    corrected: &[CorrectedReading],
    total: u64,
    caller_detail: &str,
) -> String {
    let mut out = format!("{{\"corrected\":{total},\"readings\":[");
    for (i, c) in corrected.iter().take(AUDITED_CORRECTIONS).enumerate() {
        if i > 0 {
            out.push(',');
        }
        let ts = c
            .timestamp
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let old_value = c.old.map_or("null".to_owned(), |(v, _)| json_number(v));
        let old_quality = c
            .old
            .map_or("null".to_owned(), |(_, q)| format!("\"{}\"", q.as_str()));
        out.push_str(&format!(
            "{{\"tag\":{},\"timestamp\":\"{ts}\",\"old_value\":{old_value},\"old_quality\":{old_quality},\"value\":{},\"quality\":\"{}\"}}",
            json_string(&c.tag),
            json_number(c.value),
            c.quality.as_str()
        ));
    }
    out.push_str("],\"detail\":");
    out.push_str(if caller_detail.is_empty() {
        "null"
    } else {
        caller_detail
    });
    out.push('}');
    out
}

/// At most this many corrected readings are listed in one audit entry.
pub const AUDITED_CORRECTIONS: usize = 1000;

/// One corrected reading, for the audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrectedReading {
    pub tag: String,
    pub timestamp: OffsetDateTime,
    /// The replaced value and quality (`None` if not known).
    pub old: Option<(f64, ReadingQuality)>,
    pub value: f64,
    pub quality: ReadingQuality,
}
