//! Facilities as stored (their canonical JSON plus the key columns).

use serde::Serialize;
use time::OffsetDateTime;

/// A facility as stored: its canonical JSON document, byte for byte, plus
/// the key columns operators query (`facilities`, also readable as the view
/// `facility_configurations`). The store never interprets the document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacilityRecord {
    pub facility_id: String,
    pub name: String,
    /// E.g. `boiler` (the model's `process_type`).
    pub process_type: String,
    /// IANA time zone name.
    pub time_zone: String,
    /// `none`, `hourly` or `daily` (not checked by the store).
    pub schedule: String,
    /// The facility's canonical JSON, kept byte for byte.
    pub document: String,
    /// When the facility was first stored. On replacement the stored value is
    /// kept and this field is ignored.
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// The `detail` of the audit entry of `put_facility`:
/// `{"created":<bool>,"detail":<caller's detail>}`.
pub fn facility_audit_detail(created: bool, caller_detail: &str) -> String {
    format!("{{\"created\":{created},\"detail\":{caller_detail}}}")
}
