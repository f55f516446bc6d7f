//! Settings: defaults, then the YAML file named by `THERMALIQ_CONFIG`, then
//! the environment, then command-line flags. Parsed once into typed values;
//! an invalid value is reported with its name, its value and where it came
//! from, and stops start-up.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use thermaliq_core::EngineSettings;
use thiserror::Error;

mod table;
mod unknown;

pub use table::{SETTINGS, Setting, setting, settings_markdown};
pub use unknown::{UnknownSetting, unknown_settings};

/// A value that must never reach a log or a response.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("[redacted]")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// `THERMALIQ_BIND` / `--bind`.
    pub bind: SocketAddr,
    /// `THERMALIQ_DATA_DIR` / `--data-dir`: the SQLite file and `admin.token` live here.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: overrides the SQLite file in the data directory.
    pub database_url: Option<Secret>,
    /// `THERMALIQ_BOOTSTRAP_TOKEN`: the first admin token, when the store has none.
    pub bootstrap_token: Option<Secret>,
    /// `THERMALIQ_LOG`: log filter, e.g. `info` or `info,sqlx=warn`.
    pub log_filter: String,
    /// `CALCULATION_MODE`, `ALLOW_NEGATIVE_EFFICIENCY`, `ENERGY_BALANCE_THRESHOLD`,
    /// `ENERGY_BALANCE_CHECK_ENABLED`, `INCLUDE_ENERGY_LOSSES`.
    pub engine: EngineSettings,
    /// `CALCULATION_TIMEOUT` (seconds).
    #[serde(serialize_with = "seconds")]
    pub calculation_timeout: Duration,
    /// `HTTP_HEADER_READ_TIMEOUT` (seconds): a connection whose request head
    /// is not complete by then is closed.
    #[serde(serialize_with = "seconds")]
    pub http_header_read_timeout: Duration,
    /// `HTTP_BODY_READ_TIMEOUT` (seconds): a request body that sends nothing
    /// for this long is answered 408.
    #[serde(serialize_with = "seconds")]
    pub http_body_read_timeout: Duration,
    /// `HTTP_MAX_CONNECTIONS`: connections served at once; more wait to be accepted.
    pub http_max_connections: usize,
    /// `MAX_CONCURRENT_CALCULATIONS`: calculations beyond it wait (and count
    /// in `thermaliq_calculation_queue_depth`).
    pub max_concurrent_calculations: usize,
    /// `DATABASE_POOL_SIZE`.
    pub database_pool_size: u32,
    /// `DATABASE_POOL_TIMEOUT` (seconds): the longest wait for a connection.
    #[serde(serialize_with = "seconds")]
    pub database_pool_timeout: Duration,
    /// `DATABASE_MAX_OVERFLOW`: PostgreSQL connections allowed above the pool size.
    pub database_max_overflow: u32,
    /// `DATABASE_POOL_RECYCLE` (seconds): PostgreSQL connections older than this are replaced.
    #[serde(serialize_with = "seconds")]
    pub database_pool_recycle: Duration,
    /// `REDIS_URL`: the shared cache; without it the cache is in-process only.
    pub redis_url: Option<Secret>,
    /// `CALCULATION_CACHE_TTL` (seconds): lifetime of cached calculations and diagrams.
    #[serde(serialize_with = "seconds")]
    pub calculation_cache_ttl: Duration,
    /// `CACHE_COMPRESSION_ENABLED`: LZ4-compress values in Redis.
    pub cache_compression_enabled: bool,
    /// `SANKEY_*`.
    pub sankey: SankeySettings,
    /// `ANALYTICS_*`.
    pub analytics: AnalyticsSettings,
    /// `WORKER_ENABLED`: this replica runs queued jobs.
    pub worker_enabled: bool,
    /// `WORKER_CONCURRENCY`: jobs one replica runs at once.
    pub worker_concurrency: u32,
    /// `JOB_LEASE_TIMEOUT` (seconds): a job whose replica stops heartbeating
    /// for this long is taken over by another replica.
    #[serde(serialize_with = "seconds")]
    pub job_lease_timeout: Duration,
    /// `JOB_MAX_ATTEMPTS`: tries before a job is dead-lettered.
    pub job_max_attempts: u32,
    /// Calculations from stored meter readings.
    pub readings: ReadingsSettings,
    /// `CALCULATION_BATCH_MAX`: calculation requests one `POST /calculate/batch` may carry.
    pub calculation_batch_max: usize,
    /// `GROUP_COMMIT_MAX_BATCH`: the most calculations one commit stores.
    pub group_commit_max_batch: usize,
    /// `GROUP_COMMIT_IN_FLIGHT`: PostgreSQL commits in flight at once (SQLite: always 1).
    pub group_commit_in_flight: usize,
    /// `JOB_RETENTION_HOURS`: finished (done or dead) jobs are deleted after this.
    #[serde(serialize_with = "seconds")]
    pub job_retention: Duration,
    /// `ENERGY_METER_*`: the meter vendor's API.
    pub energy_meter: EnergyMeterSettings,
}

/// The meter vendor's API (`ENERGY_METER_*`, runbook scenario 3).
#[derive(Debug, Clone, Serialize)]
pub struct EnergyMeterSettings {
    pub api_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub credentials_dir: Option<PathBuf>,
    pub max_requests_per_minute: u32,
    pub backoff_enabled: bool,
    pub max_retries: u32,
    pub batch_requests: bool,
    pub batch_size: usize,
    #[serde(serialize_with = "seconds")]
    pub cache_ttl: Duration,
    pub enable_fallback: bool,
    #[serde(serialize_with = "seconds")]
    pub fallback_cache_max_age: Duration,
    #[serde(serialize_with = "seconds")]
    pub connect_timeout: Duration,
    #[serde(serialize_with = "seconds")]
    pub timeout: Duration,
    #[serde(serialize_with = "seconds")]
    pub token_refresh_margin: Duration,
    /// First backoff pause (not a setting: tests shorten it).
    #[serde(skip)]
    pub backoff_base: Duration,
}

impl Default for EnergyMeterSettings {
    fn default() -> Self {
        let c = connectors::energy_meter::EnergyMeterConfig::default();
        Self {
            api_url: c.api_url,
            client_id: c.client_id,
            client_secret: None,
            credentials_dir: c.credentials_dir,
            max_requests_per_minute: c.max_requests_per_minute,
            backoff_enabled: c.backoff_enabled,
            max_retries: c.max_retries,
            batch_requests: c.batch_requests,
            batch_size: c.batch_size,
            cache_ttl: c.cache_ttl,
            enable_fallback: c.enable_fallback,
            fallback_cache_max_age: c.fallback_cache_max_age,
            connect_timeout: c.connect_timeout,
            timeout: c.timeout,
            token_refresh_margin: c.token_refresh_margin,
            backoff_base: c.backoff_base,
        }
    }
}

impl EnergyMeterSettings {
    /// The connector's configuration (the secret leaves its wrapper only here).
    pub fn connector_config(&self) -> connectors::energy_meter::EnergyMeterConfig {
        connectors::energy_meter::EnergyMeterConfig {
            api_url: self.api_url.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.as_ref().map(|s| s.expose().to_owned()),
            credentials_dir: self.credentials_dir.clone(),
            max_requests_per_minute: self.max_requests_per_minute,
            backoff_enabled: self.backoff_enabled,
            max_retries: self.max_retries,
            backoff_base: self.backoff_base,
            batch_requests: self.batch_requests,
            batch_size: self.batch_size,
            cache_ttl: self.cache_ttl,
            enable_fallback: self.enable_fallback,
            fallback_cache_max_age: self.fallback_cache_max_age,
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            token_refresh_margin: self.token_refresh_margin,
            ..Default::default()
        }
    }
}

/// Settings of calculations from stored readings (issue: meter data in).
#[derive(Debug, Clone, Serialize)]
pub struct ReadingsSettings {
    /// `MAX_DATA_POINTS_PER_CALCULATION`: more readings than this in a period
    /// is a `CalculationError` unless chunking is enabled.
    pub max_data_points_per_calculation: u64,
    /// `ENABLE_CALCULATION_CHUNKING`: read any number of readings, chunk by chunk.
    pub enable_calculation_chunking: bool,
    /// `CALCULATION_CHUNK_SIZE`: readings fetched per round trip while streaming.
    pub calculation_chunk_size: u32,
    /// `ENABLE_STREAMING_CALCULATION`: fetch in chunks of `CALCULATION_CHUNK_SIZE`
    /// (memory bounded by the chunk); off, one fetch of up to the maximum.
    pub enable_streaming_calculation: bool,
    /// `MAX_INTERPOLATION_GAP_MINUTES`: power and counter gaps longer than this are not bridged.
    pub max_interpolation_gap_minutes: u32,
    /// `READINGS_RETENTION_DAYS`: readings older than this are deleted (0: keep all).
    pub retention_days: u32,
    /// `SCHEDULE_CATCHUP_DAYS`: how far back scheduled facilities are caught up.
    pub schedule_catchup_days: u32,
    /// `SCHEDULER_INTERVAL` (seconds): how often schedules and retention are checked.
    #[serde(serialize_with = "seconds")]
    pub scheduler_interval: Duration,
}

impl Default for ReadingsSettings {
    fn default() -> Self {
        Self {
            max_data_points_per_calculation: 1_000_000,
            enable_calculation_chunking: false,
            calculation_chunk_size: 10_000,
            enable_streaming_calculation: true,
            max_interpolation_gap_minutes: 15,
            retention_days: 0,
            schedule_catchup_days: 7,
            scheduler_interval: Duration::from_secs(60),
        }
    }
}

/// Benchmarks, trends, baselines and uncertainty (`service::analytics`).
#[derive(Debug, Clone, Serialize)]
pub struct AnalyticsSettings {
    /// `ANALYTICS_DEGRADATION_THRESHOLD_POINTS`: a change point whose mean
    /// drops by more than this (efficiency points) is `degradation`.
    pub degradation_threshold_points: f64,
    /// `ANALYTICS_CHANGE_POINT_MIN_SEGMENT`: no segment shorter (intervals).
    pub change_point_min_segment: usize,
    /// `ANALYTICS_ROLLING_WINDOW`: intervals in the rolling mean.
    pub rolling_window: usize,
    /// `ANALYTICS_MAX_CALCULATIONS`: stored calculations one analysis reads.
    pub max_calculations: usize,
    /// `ANALYTICS_MONTE_CARLO_MAX_SAMPLES`: the largest `samples` accepted.
    pub monte_carlo_max_samples: usize,
}

impl Default for AnalyticsSettings {
    fn default() -> Self {
        Self {
            degradation_threshold_points: 2.0,
            change_point_min_segment: 5,
            rolling_window: 7,
            max_calculations: 100_000,
            monte_carlo_max_samples: 100_000,
        }
    }
}

/// The Sankey generator's settings (runbook scenario 10).
#[derive(Debug, Clone, Serialize)]
pub struct SankeySettings {
    /// `SANKEY_MAX_NODES`.
    pub max_nodes: usize,
    /// `SANKEY_MAX_LINKS`.
    pub max_links: usize,
    /// `SANKEY_AGGREGATE_SMALL_FLOWS`.
    pub aggregate_small_flows: bool,
    /// `SANKEY_SMALL_FLOW_THRESHOLD`: share of total input.
    pub small_flow_threshold: f64,
    /// `SANKEY_VALIDATE_FLOWS`.
    pub validate_flows: bool,
    /// `SANKEY_ALLOW_CIRCULAR_FLOWS`.
    pub allow_circular_flows: bool,
    /// `SANKEY_GENERATION_TIMEOUT` (seconds).
    #[serde(serialize_with = "seconds")]
    pub generation_timeout: Duration,
    /// `SANKEY_ASYNC_GENERATION`: large graphs answer 202 with a URL to poll.
    pub async_generation: bool,
    /// `SANKEY_ASYNC_MIN_FLOWS`: what "large" means for async generation.
    pub async_min_flows: usize,
}

impl Default for SankeySettings {
    fn default() -> Self {
        Self {
            max_nodes: 50,
            max_links: 100,
            aggregate_small_flows: false,
            small_flow_threshold: 0.01,
            validate_flows: true,
            allow_circular_flows: false,
            generation_timeout: Duration::from_secs(30),
            async_generation: false,
            async_min_flows: 100,
        }
    }
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            bootstrap_token: None,
            log_filter: "info,sqlx=warn".to_owned(),
            engine: EngineSettings::default(),
            calculation_timeout: Duration::from_secs(30),
            http_header_read_timeout: Duration::from_secs(10),
            http_body_read_timeout: Duration::from_secs(30),
            http_max_connections: 1024,
            max_concurrent_calculations: 64,
            database_pool_size: 10,
            database_pool_timeout: Duration::from_secs(10),
            database_max_overflow: 10,
            database_pool_recycle: Duration::from_secs(3600),
            redis_url: None,
            calculation_cache_ttl: Duration::from_secs(3600),
            cache_compression_enabled: false,
            sankey: SankeySettings::default(),
            analytics: AnalyticsSettings::default(),
            worker_enabled: true,
            worker_concurrency: 4,
            job_lease_timeout: Duration::from_secs(30),
            job_max_attempts: 5,
            readings: ReadingsSettings::default(),
            calculation_batch_max: 1000,
            group_commit_max_batch: 512,
            group_commit_in_flight: 4,
            job_retention: Duration::from_secs(7 * 24 * 3600),
            energy_meter: EnergyMeterSettings::default(),
        }
    }
}

/// The shortest bootstrap token accepted (DESIGN.md §4).
pub const MIN_BOOTSTRAP_TOKEN_LEN: usize = 32;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("invalid setting {name}={value} (from {origin}): {rule}")]
    Invalid {
        name: &'static str,
        value: String,
        origin: String,
        rule: String,
    },
    #[error("cannot read config file {path}: {reason}")]
    File { path: PathBuf, reason: String },
}

/// A loaded configuration and what was noticed on the way.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    /// Keys in the file that this version does not use.
    pub unused_keys: Vec<String>,
}

pub(crate) struct Raw {
    pub(crate) value: String,
    pub(crate) origin: String,
}

/// Loads settings from an optional YAML file and an environment lookup.
/// `env` is a function so tests need not touch the process environment.
pub fn load(
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, ConfigError> {
    let mut raw: BTreeMap<String, Raw> = BTreeMap::new();
    let mut unused_keys = Vec::new();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&text).map_err(|e| ConfigError::File {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        let mut flat = BTreeMap::new();
        flatten_yaml("", &doc, &mut flat).map_err(|reason| ConfigError::File {
            path: path.to_owned(),
            reason,
        })?;
        for (key, value) in flat {
            if setting(&key).is_none() {
                unused_keys.push(key.clone());
            }
            let origin = format!("file {}", path.display());
            raw.insert(key, Raw { value, origin });
        }
    }
    for name in SETTINGS.iter().map(|s| s.name) {
        if let Some(value) = env(name) {
            raw.insert(
                name.to_owned(),
                Raw {
                    value,
                    origin: "environment".to_owned(),
                },
            );
        }
    }
    let settings = build(&raw)?;
    Ok(Loaded {
        settings,
        unused_keys,
    })
}

/// Nested maps become `PARENT_CHILD` names (`database: {pool_size: 20}` is
/// `DATABASE_POOL_SIZE`), so a file may be flat or grouped.
fn flatten_yaml(
    prefix: &str,
    value: &serde_yaml::Value,
    out: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    use serde_yaml::Value as Y;
    match value {
        Y::Mapping(map) => {
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s.clone(),
                    other => return Err(format!("key {other:?} is not a string")),
                };
                let key = key.replace(['.', '-'], "_").to_ascii_uppercase();
                let name = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}_{key}")
                };
                flatten_yaml(&name, v, out)?;
            }
            Ok(())
        }
        Y::Null if prefix.is_empty() => Ok(()),
        Y::Null => Ok(()),
        Y::Bool(b) => {
            out.insert(prefix.to_owned(), b.to_string());
            Ok(())
        }
        Y::Number(n) => {
            out.insert(prefix.to_owned(), n.to_string());
            Ok(())
        }
        Y::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
            Ok(())
        }
        Y::Sequence(_) | Y::Tagged(_) => {
            Err(format!("{prefix}: must be a single value, not a list"))
        }
    }
}

fn build(raw: &BTreeMap<String, Raw>) -> Result<Settings, ConfigError> {
    let mut settings = Settings::default();
    for setting in SETTINGS {
        if let Some(r) = raw.get(setting.name) {
            (setting.apply)(&mut settings, setting.name, r)?;
        }
    }
    Ok(settings)
}

pub(crate) fn invalid(name: &'static str, r: &Raw, rule: &str) -> ConfigError {
    ConfigError::Invalid {
        name,
        value: format!("'{}'", r.value),
        origin: r.origin.clone(),
        rule: rule.to_owned(),
    }
}

pub(crate) fn invalid_redacted(name: &'static str, r: &Raw, rule: &str) -> ConfigError {
    ConfigError::Invalid {
        name,
        value: "[redacted]".to_owned(),
        origin: r.origin.clone(),
        rule: rule.to_owned(),
    }
}

pub(crate) fn boolean(name: &'static str, r: &Raw) -> Result<bool, ConfigError> {
    match r.value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(invalid(name, r, "must be true or false")),
    }
}

pub(crate) fn number(name: &'static str, r: &Raw) -> Result<f64, ConfigError> {
    match r.value.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(invalid(name, r, "must be a number")),
    }
}

pub(crate) fn duration(
    name: &'static str,
    r: &Raw,
    max_seconds: f64,
) -> Result<Duration, ConfigError> {
    let v = number(name, r)?;
    if v <= 0.0 || v > max_seconds {
        return Err(invalid(
            name,
            r,
            &format!("must be a number of seconds > 0 and <= {max_seconds}"),
        ));
    }
    Ok(Duration::from_secs_f64(v))
}

pub(crate) fn count(name: &'static str, r: &Raw, max: u32) -> Result<u32, ConfigError> {
    match r.value.trim().parse::<u32>() {
        Ok(v) if (1..=max).contains(&v) => Ok(v),
        _ => Err(invalid(
            name,
            r,
            &format!("must be a whole number from 1 to {max}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thermaliq_core::CalculationMode;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn defaults_are_the_designed_ones() {
        let s = load(None, &env_of(&[])).unwrap().settings;
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert_eq!(s.engine.energy_balance_threshold, 0.05);
        assert_eq!(s.engine.mode, CalculationMode::Strict);
        assert_eq!(s.calculation_timeout, Duration::from_secs(30));
    }

    #[test]
    fn environment_overrides_the_file_and_nested_keys_flatten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.yaml");
        std::fs::write(
            &path,
            "calculation_mode: lenient\nenergy_balance_threshold: 0.10\ndatabase:\n  pool_size: 20\nconnectors:\n  historian:\n    enabled: false\n",
        )
        .unwrap();
        let loaded = load(
            Some(&path),
            &env_of(&[("ENERGY_BALANCE_THRESHOLD", "0.02")]),
        )
        .unwrap();
        assert_eq!(loaded.settings.engine.mode, CalculationMode::Lenient);
        assert_eq!(loaded.settings.engine.energy_balance_threshold, 0.02);
        assert_eq!(loaded.settings.database_pool_size, 20);
        assert_eq!(loaded.unused_keys, ["CONNECTORS_HISTORIAN_ENABLED"]);
    }

    #[test]
    fn a_bad_value_names_the_setting_and_its_origin() {
        let err = load(None, &env_of(&[("CALCULATION_MODE", "fast")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("CALCULATION_MODE='fast' (from environment)"),
            "{err}"
        );
        for (name, value) in [
            ("ENERGY_BALANCE_THRESHOLD", "5"),
            ("CALCULATION_TIMEOUT", "0"),
            ("ALLOW_NEGATIVE_EFFICIENCY", "maybe"),
            ("DATABASE_POOL_SIZE", "-3"),
            ("THERMALIQ_BIND", "localhost"),
        ] {
            let pairs: &'static [(&'static str, &'static str)] =
                Box::leak(Box::new([(name, value)]));
            let err = load(None, &env_of(pairs)).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn secrets_never_print() {
        let token = "a-very-secret-bootstrap-token-of-40-chars!";
        let pairs: &'static [(&'static str, &'static str)] = Box::leak(Box::new([
            ("THERMALIQ_BOOTSTRAP_TOKEN", token),
            ("DATABASE_URL", "postgres://user:hunter2@db/x"),
        ]));
        let s = load(None, &env_of(pairs)).unwrap().settings;
        let shown = format!("{s:?} {}", serde_json::to_string(&s).unwrap());
        assert!(
            !shown.contains(token) && !shown.contains("hunter2"),
            "{shown}"
        );
        let short: &'static [(&'static str, &'static str)] =
            &[("THERMALIQ_BOOTSTRAP_TOKEN", "short-secret")];
        let err = load(None, &env_of(short)).unwrap_err().to_string();
        assert!(
            err.contains("THERMALIQ_BOOTSTRAP_TOKEN") && !err.contains("short-secret"),
            "{err}"
        );
    }
}

#[cfg(test)]
mod doc_table {
    /// docs/OPERATIONS.md shows the table `thermaliq config settings` prints.
    #[test]
    fn the_operations_guide_lists_every_setting_as_defined() {
        let doc = include_str!("../../../../docs/OPERATIONS.md");
        let begin = doc
            .find("<!-- settings:begin")
            .expect("settings:begin marker");
        let end = doc
            .find("<!-- settings:end -->")
            .expect("settings:end marker");
        let shown = &doc[begin..end];
        let shown = &shown[shown.find('\n').unwrap() + 1..];
        assert_eq!(
            shown,
            super::settings_markdown(),
            "regenerate with `thermaliq config settings`"
        );
    }
}
