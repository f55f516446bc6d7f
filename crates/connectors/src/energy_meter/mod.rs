//! The meter vendor's REST API (the runbook's `meter-api`, scenario 3):
//! OAuth 2.0 client credentials, readings by meter and period (paginated,
//! or batched with `ENERGY_METER_BATCH_REQUESTS`), the vendor's health
//! endpoints, a replica-wide limiter that also honours `429 Retry-After`,
//! exponential backoff with jitter, and a cache of pulled readings
//! (`energy_meter:*`) that doubles as the fallback while the vendor is down.
//!
//! Logs go to the target `EnergyMeterConnector` with `facility_id` and
//! `meter_id` fields; failures say `error`, `failed` or `timeout` (the
//! runbook greps for them). Counts go to a [`MeterObserver`] (the server's
//! Prometheus metrics).

mod auth;
mod cached;
mod client;
mod error;
mod limiter;
mod wire;

use std::path::PathBuf;
use std::time::Duration;

pub use auth::Credentials;
pub use cached::{MeterPull, MeterQuery, Served};
pub use client::{CheckOutcome, EnergyMeterClient};
pub use error::EnergyMeterError;
pub use limiter::{Limiter, Schedule};
pub use wire::VendorReading;

/// The log target of everything this module says.
pub const LOG_TARGET: &str = "EnergyMeterConnector";

/// The connector's settings (`ENERGY_METER_*`, see the server's settings table).
/// `Debug` leaves the secret out.
#[derive(Clone)]
pub struct EnergyMeterConfig {
    /// `ENERGY_METER_API_URL`, e.g. `https://meter-api.example.com`.
    pub api_url: Option<String>,
    /// `ENERGY_METER_CLIENT_ID` / `ENERGY_METER_CLIENT_SECRET`.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// `ENERGY_METER_CREDENTIALS_DIR`: files `client-id`, `client-secret`
    /// (read when the connector is built, i.e. at start; they win over the variables).
    pub credentials_dir: Option<PathBuf>,
    pub max_requests_per_minute: u32,
    pub backoff_enabled: bool,
    /// Retries after the first attempt (429, 5xx, timeouts, connection errors).
    pub max_retries: u32,
    /// First backoff pause; each retry doubles it (full jitter), up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub batch_requests: bool,
    pub batch_size: usize,
    pub cache_ttl: Duration,
    pub enable_fallback: bool,
    pub fallback_cache_max_age: Duration,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Refresh the token this long before it expires.
    pub token_refresh_margin: Duration,
}

impl std::fmt::Debug for EnergyMeterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnergyMeterConfig")
            .field("api_url", &self.api_url)
            .field("client_id", &self.client_id)
            .field("credentials_dir", &self.credentials_dir)
            .field("max_requests_per_minute", &self.max_requests_per_minute)
            .field("batch_requests", &self.batch_requests)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl Default for EnergyMeterConfig {
    fn default() -> Self {
        Self {
            api_url: None,
            client_id: None,
            client_secret: None,
            credentials_dir: None,
            max_requests_per_minute: 600,
            backoff_enabled: true,
            max_retries: 3,
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(10),
            batch_requests: false,
            batch_size: 100,
            cache_ttl: Duration::from_secs(300),
            enable_fallback: false,
            fallback_cache_max_age: Duration::from_secs(86_400),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            token_refresh_margin: Duration::from_secs(60),
        }
    }
}

impl EnergyMeterConfig {
    /// The credentials: the mounted files when a directory is set, else the variables.
    pub fn credentials(&self) -> Result<Credentials, EnergyMeterError> {
        if let Some(dir) = &self.credentials_dir {
            return Credentials::from_dir(dir);
        }
        match (&self.client_id, &self.client_secret) {
            (Some(id), Some(secret)) => Ok(Credentials::new(id.clone(), secret.clone())),
            _ => Err(EnergyMeterError::NotConfigured(
                "no credentials: set ENERGY_METER_CREDENTIALS_DIR or ENERGY_METER_CLIENT_ID and \
                 ENERGY_METER_CLIENT_SECRET"
                    .to_owned(),
            )),
        }
    }
}

/// Where the connector reports each request and each failure (the server
/// counts them in `thermaliq_energy_meter_requests_total` and
/// `thermaliq_energy_meter_connection_errors_total`).
pub trait MeterObserver: Send + Sync {
    /// A request answered (`status` is the HTTP code) or did not (`timeout`,
    /// `connection_error`); `facility_id` is empty for API-wide checks.
    fn request(&self, facility_id: &str, endpoint: &'static str, status: &str);
    /// A failed attempt, by [`EnergyMeterError::kind`].
    fn connection_error(&self, facility_id: &str, error_type: &'static str);
}

/// An observer that counts nothing (the CLI's one-off checks).
pub struct NoObserver;

impl MeterObserver for NoObserver {
    fn request(&self, _: &str, _: &'static str, _: &str) {}
    fn connection_error(&self, _: &str, _: &'static str) {}
}
