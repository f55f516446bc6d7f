//! The audit log's entries, and the JSON pieces the store writes into them.

use time::OffsetDateTime;

/// One line of the audit log.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub occurred_at: OffsetDateTime,
    /// Token name or `cli`.
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// JSON with the details.
    pub detail: String,
}

pub(crate) fn json_number(v: f64) -> String {
    if v.is_finite() {
        format!("{v:?}")
    } else {
        "null".to_owned()
    }
}

pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
