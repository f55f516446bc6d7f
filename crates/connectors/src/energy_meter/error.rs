//! What can go wrong talking to the meter vendor, in terms an on-call
//! engineer reads in the runbook ("401 Unauthorized", "429 Too Many
//! Requests", "503 Service Unavailable", "timeout", "Connection refused").

use thiserror::Error;

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum EnergyMeterError {
    /// `ENERGY_METER_API_URL` or the credentials are missing or unreadable.
    #[error("meter API not configured: {0}")]
    NotConfigured(String),
    /// The vendor refused the credentials, also after a fresh token.
    #[error("401 Unauthorized: the meter API refused the credentials ({0})")]
    Unauthorized(String),
    /// 429 answers outlasted the retries.
    #[error(
        "429 Too Many Requests: the meter API rate limit was hit (retry after {retry_after_seconds} s)"
    )]
    RateLimited { retry_after_seconds: u64 },
    /// A 5xx answer outlasted the retries.
    #[error("{status} from the meter API: vendor API unavailable")]
    Unavailable { status: u16 },
    /// Another 4xx answer (a bad meter id, a refused query).
    #[error("{status} from the meter API: {detail}")]
    Refused { status: u16, detail: String },
    #[error("timeout: the meter API did not answer within {0}")]
    Timeout(String),
    /// Could not connect (refused, DNS, TLS).
    #[error("connection failed: {0}")]
    Connect(String),
    /// The answer was not the documented JSON (truncated, wrong shape).
    #[error("invalid response from the meter API: {0}")]
    InvalidResponse(String),
}

impl EnergyMeterError {
    /// The `error_type` label of `thermaliq_energy_meter_connection_errors_total`.
    pub fn kind(&self) -> &'static str {
        match self {
            EnergyMeterError::NotConfigured(_) => "not_configured",
            EnergyMeterError::Unauthorized(_) => "unauthorized",
            EnergyMeterError::RateLimited { .. } => "rate_limited",
            EnergyMeterError::Unavailable { .. } => "server_error",
            EnergyMeterError::Refused { .. } => "refused",
            EnergyMeterError::Timeout(_) => "timeout",
            EnergyMeterError::Connect(_) => "connection_refused",
            EnergyMeterError::InvalidResponse(_) => "invalid_response",
        }
    }

    /// The vendor is unreachable or overloaded (a 503 for the client, and the
    /// case in which fallback data may be used); else it answered wrongly (502).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            EnergyMeterError::RateLimited { .. }
                | EnergyMeterError::Unavailable { .. }
                | EnergyMeterError::Timeout(_)
                | EnergyMeterError::Connect(_)
        )
    }

    /// Worth another try after a pause (backoff).
    pub(crate) fn is_retryable(&self) -> bool {
        self.is_unavailable()
    }
}
