//! What every backend refuses before it sends anything to its database, so
//! that SQLite and PostgreSQL refuse the same data with the same
//! [`StoreError::Rejected`] (naming the field): texts PostgreSQL cannot
//! store, keys too long for an index, time stamps outside the stored years.

use std::ops::RangeInclusive;

use time::OffsetDateTime;

use crate::{
    AuditEntry, CalculationQuery, CalculationRecord, FacilityRecord, Invalidation, NewJob,
    NewReading, StoreError, TokenRecord, truncate_to_micros,
};

/// Longest key (ids, tags, idempotency keys, dedupe keys) in bytes.
/// PostgreSQL's B-tree entries are at most 2704 bytes (`index row size ...
/// exceeds btree version 4 maximum 2704`, PostgreSQL 15 docs, "B-Tree
/// Implementation"); two keys of 1024 bytes plus a time stamp fit in one
/// entry of the widest index, (facility_id, tag, timestamp).
pub const MAX_KEY_BYTES: usize = 1024;

/// Years (UTC) of every stored time stamp: SQLite's text form
/// `YYYY-MM-DD ...` has four digits, and the `time` crate stops at 9999.
pub const STORED_YEARS: RangeInclusive<i32> = 1..=9999;

/// A text is refused if it holds U+0000: PostgreSQL's `text` cannot store it
/// ("invalid byte sequence for encoding UTF8: 0x00", SQLSTATE 22021).
pub fn check_text(field: &str, value: &str) -> Result<(), StoreError> {
    if value.contains('\0') {
        return Err(StoreError::rejected(
            field,
            "contains a NUL character (U+0000), which cannot be stored",
        ));
    }
    Ok(())
}

/// [`check_text`] plus at most [`MAX_KEY_BYTES`] bytes.
pub fn check_key(field: &str, value: &str) -> Result<(), StoreError> {
    check_text(field, value)?;
    if value.len() > MAX_KEY_BYTES {
        return Err(StoreError::rejected(
            field,
            format!(
                "is {} bytes long, more than the {MAX_KEY_BYTES} a key may have",
                value.len()
            ),
        ));
    }
    Ok(())
}

/// The instant as stored (UTC, truncated to the microsecond), if its UTC
/// year lies in [`STORED_YEARS`]; else `Rejected` (also when the offset
/// carries it past year 9999, e.g. `9999-12-31T23:00:00-05:00`).
pub fn check_time(field: &str, t: OffsetDateTime) -> Result<OffsetDateTime, StoreError> {
    let year = t.checked_to_offset(time::UtcOffset::UTC).map(|u| u.year());
    match year {
        Some(year) if STORED_YEARS.contains(&year) => Ok(truncate_to_micros(t)),
        Some(year) => Err(StoreError::rejected(
            field,
            format!("year {year} (UTC) is outside 1-9999"),
        )),
        None => Err(StoreError::rejected(field, "is after year 9999 in UTC")),
    }
}

fn check_optional_text(field: &str, value: Option<&str>) -> Result<(), StoreError> {
    value.map_or(Ok(()), |v| check_text(field, v))
}

/// Every field of a calculation record (`insert_calculation(s)`).
pub fn check_calculation(r: &CalculationRecord) -> Result<(), StoreError> {
    check_key("calculation_id", &r.calculation_id)?;
    check_key("facility_id", &r.facility_id)?;
    if let Some(original) = &r.recalculated_from {
        check_key("recalculated_from", original)?;
    }
    check_optional_text("invalid_reason", r.invalid_reason.as_deref())?;
    for (field, text) in [
        ("request", &r.request),
        ("canonical_input", &r.canonical_input),
        ("result", &r.result),
        ("energy_flows", &r.energy_flows),
        ("input_hash", &r.input_hash),
        ("output_hash", &r.output_hash),
        ("engine_version", &r.engine_version),
    ] {
        check_text(field, text)?;
    }
    check_time("period_start", r.period_start)?;
    check_time("period_end", r.period_end)?;
    check_time("created_at", r.created_at)?;
    Ok(())
}

/// The filters of `list_calculations`.
pub fn check_query(q: &CalculationQuery) -> Result<(), StoreError> {
    check_optional_text("facility_id", q.facility_id.as_deref())?;
    check_optional_text("before_id", q.before_id.as_deref())?;
    if let Some(t) = q.created_from {
        check_time("created_from", t)?;
    }
    if let Some(t) = q.created_to {
        check_time("created_to", t)?;
    }
    Ok(())
}

/// An invalidation's filters and reason.
pub fn check_invalidation(inv: &Invalidation) -> Result<(), StoreError> {
    check_optional_text("facility_id", inv.facility_id.as_deref())?;
    check_text("reason", &inv.reason)?;
    check_time("created_from", inv.created_from)?;
    check_time("created_to", inv.created_to)?;
    Ok(())
}

/// An audit entry (written with the change it records).
pub fn check_audit(a: &AuditEntry) -> Result<(), StoreError> {
    for (field, text) in [
        ("actor", &a.actor),
        ("action", &a.action),
        ("subject", &a.subject),
        ("detail", &a.detail),
    ] {
        check_text(&format!("audit.{field}"), text)?;
    }
    check_time("audit.occurred_at", a.occurred_at)?;
    Ok(())
}

pub fn check_token(t: &TokenRecord) -> Result<(), StoreError> {
    check_key("token_id", &t.token_id)?;
    check_text("name", &t.name)?;
    check_key("token_hash", &t.token_hash)?;
    check_time("created_at", t.created_at)?;
    if let Some(at) = t.expires_at {
        check_time("expires_at", at)?;
    }
    if let Some(at) = t.last_used_at {
        check_time("last_used_at", at)?;
    }
    Ok(())
}

pub fn check_facility(f: &FacilityRecord) -> Result<(), StoreError> {
    check_key("facility_id", &f.facility_id)?;
    for (field, text) in [
        ("name", &f.name),
        ("process_type", &f.process_type),
        ("time_zone", &f.time_zone),
        ("schedule", &f.schedule),
        ("document", &f.document),
    ] {
        check_text(field, text)?;
    }
    check_time("created_at", f.created_at)?;
    check_time("updated_at", f.updated_at)?;
    Ok(())
}

/// A job to enqueue: texts, `run_after`, and `max_attempts >= 1`.
pub fn check_new_job(j: &NewJob) -> Result<(), StoreError> {
    check_text("kind", &j.kind)?;
    check_text("payload", &j.payload)?;
    if let Some(key) = &j.dedupe_key {
        check_key("dedupe_key", key)?;
    }
    if j.max_attempts == 0 {
        return Err(StoreError::rejected("max_attempts", "must be at least 1"));
    }
    check_time("run_after", j.run_after)?;
    Ok(())
}

/// One reading, fields named relative to the reading (`tag`, `timestamp`,
/// `value`): a non-empty key, a finite value, a time stamp in
/// [`STORED_YEARS`] (UTC).
pub fn check_reading(r: &NewReading) -> Result<(), StoreError> {
    if r.tag.is_empty() {
        return Err(StoreError::rejected("tag", "is empty"));
    }
    check_key("tag", &r.tag)?;
    if !r.value.is_finite() {
        return Err(StoreError::rejected("value", "is not a finite number"));
    }
    check_time("timestamp", r.timestamp)?;
    Ok(())
}

/// Splits rows into those [`check_reading`] accepts (in order) and the
/// refused ones with their index and error (fields as `readings[i].tag`):
/// for a caller that stores the good rows and reports the others, since
/// `insert_readings` itself is all or nothing.
pub fn partition_readings(rows: &[NewReading]) -> (Vec<NewReading>, Vec<(usize, StoreError)>) {
    let mut good = Vec::with_capacity(rows.len());
    let mut bad = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match check_reading(r) {
            Ok(()) => good.push(r.clone()),
            Err(e) => bad.push((i, e.under(&format!("readings[{i}]")))),
        }
    }
    (good, bad)
}
