//! Energy baselines as stored (ISO 50006): one fitted regression per
//! (facility, name), kept as its JSON document.

use serde::Serialize;
use time::OffsetDateTime;

use crate::StoreError;
use crate::checks::{check_key, check_text, check_time};

/// A baseline as stored: the key columns plus its JSON document (the
/// request, every model fitted and the one chosen), which the store never
/// interprets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineRecord {
    pub facility_id: String,
    /// Unique per facility.
    pub name: String,
    pub document: String,
    /// When the baseline was first stored; on replacement the stored value
    /// is kept and this field is ignored.
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// The record's keys, texts and times (the rules of [`crate::Store`]).
pub fn check_baseline(b: &BaselineRecord) -> Result<(), StoreError> {
    check_key("facility_id", &b.facility_id)?;
    check_key("name", &b.name)?;
    check_text("document", &b.document)?;
    check_time("created_at", b.created_at)?;
    check_time("updated_at", b.updated_at)?;
    Ok(())
}
