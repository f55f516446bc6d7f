//! The vendor API's JSON documents.

use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds the token is valid; some vendors send a float or a string.
    #[serde(default)]
    pub expires_in: Option<serde_json::Value>,
}

impl TokenResponse {
    /// `expires_in` as whole seconds, clamped to 0..=1 day (a skewed or
    /// absurd value must not pin a stale token for years).
    pub fn lifetime_seconds(&self) -> u64 {
        let raw = match &self.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_f64().unwrap_or(0.0),
            Some(serde_json::Value::String(s)) => s.trim().parse().unwrap_or(0.0),
            _ => 0.0,
        };
        if raw.is_finite() {
            raw.clamp(0.0, 86_400.0) as u64
        } else {
            0
        }
    }
}

/// One reading as the vendor sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VendorReading {
    /// RFC 3339.
    pub timestamp: String,
    pub value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReadingsPage {
    pub readings: Vec<VendorReading>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct BatchRequest<'a> {
    pub requests: Vec<BatchItem<'a>>,
}

#[derive(Debug, Serialize)]
pub(crate) struct BatchItem<'a> {
    pub meter_id: &'a str,
    pub start: &'a str,
    pub end: &'a str,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BatchResponse {
    pub results: Vec<BatchResult>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BatchResult {
    pub meter_id: String,
    pub readings: Vec<VendorReading>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}
