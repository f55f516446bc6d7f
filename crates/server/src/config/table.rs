//! Every setting, defined once: its name, default, accepted range, meaning
//! and parser. `load`, `thermaliq config validate`, `thermaliq config
//! settings` (the table in docs/OPERATIONS.md, held to this one by a test)
//! and the unknown-setting warnings all come from [`SETTINGS`].

use std::path::PathBuf;
use std::time::Duration;

use thermaliq_core::CalculationMode;

use super::{
    ConfigError, MIN_BOOTSTRAP_TOKEN_LEN, Raw, Secret, Settings, boolean, count, duration, invalid,
    invalid_redacted, number,
};

/// One setting.
pub struct Setting {
    /// The environment variable (and flattened YAML key).
    pub name: &'static str,
    /// What values are accepted.
    pub range: &'static str,
    /// What it does.
    pub doc: &'static str,
    /// The value shown for a settings value (`default(&Settings::default())` is the default).
    pub default: fn(&Settings) -> String,
    /// Parses the raw value into the settings, or says which rule it breaks.
    pub(crate) apply: fn(&mut Settings, &'static str, &Raw) -> Result<(), ConfigError>,
}

/// The setting called `name`, if this version has one.
pub fn setting(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// How a settings value is shown in the table.
trait Show {
    fn show(&self) -> String;
}

impl Show for Duration {
    fn show(&self) -> String {
        format!("{}", self.as_secs_f64())
    }
}

impl Show for Option<Secret> {
    fn show(&self) -> String {
        match self {
            None => "(unset)".to_owned(),
            Some(_) => "[redacted]".to_owned(),
        }
    }
}

impl Show for PathBuf {
    fn show(&self) -> String {
        self.display().to_string()
    }
}

impl Show for CalculationMode {
    fn show(&self) -> String {
        match self {
            CalculationMode::Strict => "strict".to_owned(),
            CalculationMode::Lenient => "lenient".to_owned(),
        }
    }
}

macro_rules! show_display {
    ($($t:ty),*) => {$(
        impl Show for $t {
            fn show(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
show_display!(bool, u32, u64, usize, f64, String, std::net::SocketAddr);

/// The settings table of docs/OPERATIONS.md.
pub fn settings_markdown() -> String {
    let defaults = Settings::default();
    let mut out = String::from("| setting | default | accepted | meaning |\n|---|---|---|---|\n");
    out.push_str("| `THERMALIQ_CONFIG` | (unset) | a file path | The YAML settings file (read before the environment). |\n");
    for s in SETTINGS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            s.name,
            (s.default)(&defaults),
            s.range,
            s.doc
        ));
    }
    out
}

/// Every setting this version reads, besides `THERMALIQ_CONFIG` (the file itself).
pub static SETTINGS: &[Setting] = &[
    Setting {
        name: "JOB_RETENTION_HOURS",
        range: "hours, > 0 and <= 87600",
        doc: "Finished (done or dead) jobs are deleted this long after they finished.",
        default: |s| (s.job_retention.as_secs_f64() / 3600.0).to_string(),
        apply: |s, name, r| {
            let hours = number(name, r)?;
            if !(hours > 0.0 && hours <= 87_600.0) {
                return Err(invalid(
                    name,
                    r,
                    "must be a number of hours > 0 and <= 87600",
                ));
            }
            s.job_retention = Duration::from_secs_f64(hours * 3600.0);
            Ok(())
        },
    },
    Setting {
        name: "THERMALIQ_BIND",
        range: "must be an address:port, e.g. 127.0.0.1:8080",
        doc: "Address and port the HTTP API listens on (also `--bind`).",
        default: |s| s.bind.show(),
        apply: |s, name, r| {
            s.bind = r
                .value
                .parse()
                .map_err(|_| invalid(name, r, "must be an address:port, e.g. 127.0.0.1:8080"))?;
            Ok(())
        },
    },
    Setting {
        name: "THERMALIQ_DATA_DIR",
        range: "text",
        doc: "Directory of the SQLite file and `admin.token` (also `--data-dir`).",
        default: |s| s.data_dir.show(),
        apply: |s, _, r| {
            s.data_dir = PathBuf::from(&r.value);
            Ok(())
        },
    },
    Setting {
        name: "DATABASE_URL",
        range: "must start with sqlite:, postgres:// or postgresql://",
        doc: "`postgres://` selects PostgreSQL; `sqlite:` a SQLite file; unset, SQLite in the data directory. Secret.",
        default: |s| s.database_url.show(),
        apply: |s, name, r| {
            let url = r.value.trim();
            if !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
            {
                return Err(invalid_redacted(
                    name,
                    r,
                    "must start with sqlite:, postgres:// or postgresql://",
                ));
            }
            s.database_url = Some(Secret::new(url.to_owned()));
            Ok(())
        },
    },
    Setting {
        name: "THERMALIQ_BOOTSTRAP_TOKEN",
        range: "must be at least 32 characters with no white space",
        doc: "The first admin token, registered when the store has none. Secret.",
        default: |s| s.bootstrap_token.show(),
        apply: |s, name, r| {
            if r.value.chars().count() < MIN_BOOTSTRAP_TOKEN_LEN
                || r.value.chars().any(char::is_whitespace)
            {
                return Err(invalid_redacted(
                    name,
                    r,
                    &format!(
                        "must be at least {MIN_BOOTSTRAP_TOKEN_LEN} characters with no white space"
                    ),
                ));
            }
            s.bootstrap_token = Some(Secret::new(r.value.clone()));
            Ok(())
        },
    },
    Setting {
        name: "THERMALIQ_LOG",
        range: "text",
        doc: "Log filter, e.g. `info` or `info,sqlx=warn`.",
        default: |s| s.log_filter.show(),
        apply: |s, _, r| {
            s.log_filter = r.value.clone();
            Ok(())
        },
    },
    Setting {
        name: "CALCULATION_MODE",
        range: "must be one of strict, lenient",
        doc: "`strict`: a result that breaks a rule is a CalculationError (stored as failed); `lenient`: stored with warnings.",
        default: |s| s.engine.mode.show(),
        apply: |s, name, r| {
            s.engine.mode = match r.value.trim().to_ascii_lowercase().as_str() {
                "strict" => CalculationMode::Strict,
                "lenient" => CalculationMode::Lenient,
                _ => return Err(invalid(name, r, "must be one of strict, lenient")),
            };
            Ok(())
        },
    },
    Setting {
        name: "ALLOW_NEGATIVE_EFFICIENCY",
        range: "true or false",
        doc: "Accept a negative efficiency in strict mode.",
        default: |s| s.engine.allow_negative_efficiency.show(),
        apply: |s, name, r| {
            s.engine.allow_negative_efficiency = boolean(name, r)?;
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_BALANCE_CHECK_ENABLED",
        range: "true or false",
        doc: "Check the heat-balance closure when losses are measured.",
        default: |s| s.engine.energy_balance_check_enabled.show(),
        apply: |s, name, r| {
            s.engine.energy_balance_check_enabled = boolean(name, r)?;
            Ok(())
        },
    },
    Setting {
        name: "INCLUDE_ENERGY_LOSSES",
        range: "true or false",
        doc: "Use measured losses in the balance and the loss breakdown.",
        default: |s| s.engine.include_energy_losses.show(),
        apply: |s, name, r| {
            s.engine.include_energy_losses = boolean(name, r)?;
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_BALANCE_THRESHOLD",
        range: "must be a fraction of input between 0 and 1 (0.05 = 5 %)",
        doc: "The largest closure residual accepted, as a fraction of input.",
        default: |s| s.engine.energy_balance_threshold.show(),
        apply: |s, name, r| {
            let t = number(name, r)?;
            if !(0.0..=1.0).contains(&t) {
                return Err(invalid(
                    name,
                    r,
                    "must be a fraction of input between 0 and 1 (0.05 = 5 %)",
                ));
            }
            s.engine.energy_balance_threshold = t;
            Ok(())
        },
    },
    Setting {
        name: "CALCULATION_TIMEOUT",
        range: "seconds, > 0 and <= 3600",
        doc: "Longest a calculation may take, store included, before a TimeoutError.",
        default: |s| s.calculation_timeout.show(),
        apply: |s, name, r| {
            s.calculation_timeout = duration(name, r, 3600.0)?;
            Ok(())
        },
    },
    Setting {
        name: "HTTP_HEADER_READ_TIMEOUT",
        range: "seconds, > 0 and <= 3600",
        doc: "A connection whose request line and headers are not complete by then is closed.",
        default: |s| s.http_header_read_timeout.show(),
        apply: |s, name, r| {
            s.http_header_read_timeout = duration(name, r, 3600.0)?;
            Ok(())
        },
    },
    Setting {
        name: "HTTP_BODY_READ_TIMEOUT",
        range: "seconds, > 0 and <= 3600",
        doc: "A request body that sends nothing for this long is answered 408 (TimeoutError).",
        default: |s| s.http_body_read_timeout.show(),
        apply: |s, name, r| {
            s.http_body_read_timeout = duration(name, r, 3600.0)?;
            Ok(())
        },
    },
    Setting {
        name: "HTTP_MAX_CONNECTIONS",
        range: "whole number, 1 to 100000",
        doc: "Connections served at once; further ones wait in the listen backlog.",
        default: |s| s.http_max_connections.show(),
        apply: |s, name, r| {
            s.http_max_connections = count(name, r, 100_000)? as usize;
            Ok(())
        },
    },
    Setting {
        name: "DATABASE_POOL_TIMEOUT",
        range: "seconds, > 0 and <= 3600",
        doc: "Longest wait for a database connection.",
        default: |s| s.database_pool_timeout.show(),
        apply: |s, name, r| {
            s.database_pool_timeout = duration(name, r, 3600.0)?;
            Ok(())
        },
    },
    Setting {
        name: "MAX_CONCURRENT_CALCULATIONS",
        range: "whole number, 1 to 10000",
        doc: "Calculations beyond it wait (and count in `thermaliq_calculation_queue_depth`).",
        default: |s| s.max_concurrent_calculations.show(),
        apply: |s, name, r| {
            s.max_concurrent_calculations = count(name, r, 10_000)? as usize;
            Ok(())
        },
    },
    Setting {
        name: "DATABASE_POOL_SIZE",
        range: "whole number, 1 to 1000",
        doc: "Database connections per replica (SQLite: readers; one writer).",
        default: |s| s.database_pool_size.show(),
        apply: |s, name, r| {
            s.database_pool_size = count(name, r, 1_000)?;
            Ok(())
        },
    },
    Setting {
        name: "DATABASE_MAX_OVERFLOW",
        range: "must be a whole number from 0 to 1000",
        doc: "PostgreSQL connections allowed above the pool size.",
        default: |s| s.database_max_overflow.show(),
        apply: |s, name, r| {
            s.database_max_overflow = match r.value.trim().parse::<u32>() {
                Ok(v) if v <= 1_000 => v,
                _ => return Err(invalid(name, r, "must be a whole number from 0 to 1000")),
            };
            Ok(())
        },
    },
    Setting {
        name: "DATABASE_POOL_RECYCLE",
        range: "seconds, > 0 and <= 86400",
        doc: "PostgreSQL connections older than this are replaced.",
        default: |s| s.database_pool_recycle.show(),
        apply: |s, name, r| {
            s.database_pool_recycle = duration(name, r, 86_400.0)?;
            Ok(())
        },
    },
    Setting {
        name: "REDIS_URL",
        range: "must start with redis:// or rediss://",
        doc: "The shared cache; without it the cache is in-process only. Secret.",
        default: |s| s.redis_url.show(),
        apply: |s, name, r| {
            let url = r.value.trim();
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(invalid_redacted(
                    name,
                    r,
                    "must start with redis:// or rediss://",
                ));
            }
            s.redis_url = Some(Secret::new(url.to_owned()));
            Ok(())
        },
    },
    Setting {
        name: "CALCULATION_CACHE_TTL",
        range: "seconds, > 0 and <= 2592000",
        doc: "Lifetime of cached calculations and diagrams.",
        default: |s| s.calculation_cache_ttl.show(),
        apply: |s, name, r| {
            s.calculation_cache_ttl = duration(name, r, 30.0 * 86_400.0)?;
            Ok(())
        },
    },
    Setting {
        name: "CACHE_COMPRESSION_ENABLED",
        range: "true or false",
        doc: "LZ4-compress values in Redis.",
        default: |s| s.cache_compression_enabled.show(),
        apply: |s, name, r| {
            s.cache_compression_enabled = boolean(name, r)?;
            Ok(())
        },
    },
    Setting {
        name: "SANKEY_MAX_NODES",
        range: "whole number, 1 to 10000",
        doc: "Nodes a diagram shows; smaller flows are folded into `Other`.",
        default: |s| s.sankey.max_nodes.show(),
        apply: |s, name, r| {
            s.sankey.max_nodes = count(name, r, 10_000)? as usize;
            Ok(())
        },
    },
    Setting {
        name: "SANKEY_MAX_LINKS",
        range: "whole number, 1 to 100000",
        doc: "Links a diagram shows; smaller flows are folded into `Other`.",
        default: |s| s.sankey.max_links.show(),
        apply: |s, name, r| {
            s.sankey.max_links = count(name, r, 100_000)? as usize;
            Ok(())
        },
    },
    Setting {
        name: "SANKEY_AGGREGATE_SMALL_FLOWS",
        range: "true or false",
        doc: "Fold flows below SANKEY_SMALL_FLOW_THRESHOLD into `Other`.",
        default: |s| s.sankey.aggregate_small_flows.show(),
        apply: |s, name, r| {
            s.sankey.aggregate_small_flows = boolean(name, r)?;
            Ok(())
        },
    },
    Setting {
        name: "SANKEY_SMALL_FLOW_THRESHOLD",
        range: "must be a share of total input from 0 to below 1",
        doc: "What a small flow is, as a share of total input.",
        default: |s| s.sankey.small_flow_threshold.show(),
        apply: |s, name, r| {
            let t = number(name, r)?;
            if !(0.0..1.0).contains(&t) {
                return Err(invalid(
                    name,
                    r,
                    "must be a share of total input from 0 to below 1",
                ));
            }
            s.sankey.small_flow_threshold = t;
            Ok(())
        },
    },
    Setting {
        name: "SANKEY_VALIDATE_FLOWS",
        range: "true or false",
        doc: "Refuse diagrams whose flows do not balance.",
        default: |s| s.sankey.validate_flows.show(),
        apply: |s, name, r| {
            s.sankey.validate_flows = boolean(name, r)?;
            Ok(())
        },
    },
    Setting {
        name: "SANKEY_ALLOW_CIRCULAR_FLOWS",
        range: "true or false",
        doc: "Allow cycles in ad-hoc flow graphs.",
        default: |s| s.sankey.allow_circular_flows.show(),
        apply: |s, name, r| {
            s.sankey.allow_circular_flows = boolean(name, r)?;
            Ok(())
        },
    },
    Setting {
        name: "SANKEY_GENERATION_TIMEOUT",
        range: "seconds, > 0 and <= 3600",
        doc: "Longest a diagram may take to render before a TimeoutError.",
        default: |s| s.sankey.generation_timeout.show(),
        apply: |s, name, r| {
            s.sankey.generation_timeout = duration(name, r, 3600.0)?;
            Ok(())
        },
    },
    Setting {
        name: "SANKEY_ASYNC_GENERATION",
        range: "true or false",
        doc: "Large graphs answer 202 with a URL to poll.",
        default: |s| s.sankey.async_generation.show(),
        apply: |s, name, r| {
            s.sankey.async_generation = boolean(name, r)?;
            Ok(())
        },
    },
    Setting {
        name: "SANKEY_ASYNC_MIN_FLOWS",
        range: "whole number, 1 to 1000000",
        doc: "What a large graph is for SANKEY_ASYNC_GENERATION, in flows.",
        default: |s| s.sankey.async_min_flows.show(),
        apply: |s, name, r| {
            s.sankey.async_min_flows = count(name, r, 1_000_000)? as usize;
            Ok(())
        },
    },
    Setting {
        name: "WORKER_ENABLED",
        range: "true or false",
        doc: "This replica runs queued jobs.",
        default: |s| s.worker_enabled.show(),
        apply: |s, name, r| {
            s.worker_enabled = boolean(name, r)?;
            Ok(())
        },
    },
    Setting {
        name: "WORKER_CONCURRENCY",
        range: "whole number, 1 to 256",
        doc: "Jobs one replica runs at once.",
        default: |s| s.worker_concurrency.show(),
        apply: |s, name, r| {
            s.worker_concurrency = count(name, r, 256)?;
            Ok(())
        },
    },
    Setting {
        name: "JOB_LEASE_TIMEOUT",
        range: "seconds, > 0 and <= 3600",
        doc: "A job whose replica stops heartbeating for this long is taken over by another replica.",
        default: |s| s.job_lease_timeout.show(),
        apply: |s, name, r| {
            s.job_lease_timeout = duration(name, r, 3600.0)?;
            Ok(())
        },
    },
    Setting {
        name: "JOB_MAX_ATTEMPTS",
        range: "whole number, 1 to 100",
        doc: "Tries before a job is dead-lettered.",
        default: |s| s.job_max_attempts.show(),
        apply: |s, name, r| {
            s.job_max_attempts = count(name, r, 100)?;
            Ok(())
        },
    },
    Setting {
        name: "MAX_DATA_POINTS_PER_CALCULATION",
        range: "must be a whole number >= 1",
        doc: "More readings than this in a period is a CalculationError unless chunking is enabled.",
        default: |s| s.readings.max_data_points_per_calculation.show(),
        apply: |s, name, r| {
            s.readings.max_data_points_per_calculation = match r.value.trim().parse::<u64>() {
                Ok(v) if v >= 1 => v,
                _ => return Err(invalid(name, r, "must be a whole number >= 1")),
            };
            Ok(())
        },
    },
    Setting {
        name: "ENABLE_CALCULATION_CHUNKING",
        range: "true or false",
        doc: "Read any number of readings, chunk by chunk.",
        default: |s| s.readings.enable_calculation_chunking.show(),
        apply: |s, name, r| {
            s.readings.enable_calculation_chunking = boolean(name, r)?;
            Ok(())
        },
    },
    Setting {
        name: "CALCULATION_CHUNK_SIZE",
        range: "whole number, 1 to 1000000",
        doc: "Readings fetched per round trip while streaming.",
        default: |s| s.readings.calculation_chunk_size.show(),
        apply: |s, name, r| {
            s.readings.calculation_chunk_size = count(name, r, 1_000_000)?;
            Ok(())
        },
    },
    Setting {
        name: "ENABLE_STREAMING_CALCULATION",
        range: "true or false",
        doc: "Fetch readings in chunks of CALCULATION_CHUNK_SIZE (memory bounded by the chunk); off, one fetch of up to the maximum.",
        default: |s| s.readings.enable_streaming_calculation.show(),
        apply: |s, name, r| {
            s.readings.enable_streaming_calculation = boolean(name, r)?;
            Ok(())
        },
    },
    Setting {
        name: "MAX_INTERPOLATION_GAP_MINUTES",
        range: "whole number, 1 to 10080",
        doc: "Power and counter gaps longer than this (minutes) are not bridged.",
        default: |s| s.readings.max_interpolation_gap_minutes.show(),
        apply: |s, name, r| {
            s.readings.max_interpolation_gap_minutes = count(name, r, 10_080)?;
            Ok(())
        },
    },
    Setting {
        name: "READINGS_RETENTION_DAYS",
        range: "must be a whole number of days from 0 (keep all) to 36500",
        doc: "Readings older than this are deleted (0: keep all).",
        default: |s| s.readings.retention_days.show(),
        apply: |s, name, r| {
            s.readings.retention_days = match r.value.trim().parse::<u32>() {
                Ok(v) if v <= 36_500 => v,
                _ => {
                    return Err(invalid(
                        name,
                        r,
                        "must be a whole number of days from 0 (keep all) to 36500",
                    ));
                }
            };
            Ok(())
        },
    },
    Setting {
        name: "SCHEDULE_CATCHUP_DAYS",
        range: "whole number, 1 to 366",
        doc: "How far back scheduled facilities are caught up.",
        default: |s| s.readings.schedule_catchup_days.show(),
        apply: |s, name, r| {
            s.readings.schedule_catchup_days = count(name, r, 366)?;
            Ok(())
        },
    },
    Setting {
        name: "SCHEDULER_INTERVAL",
        range: "seconds, > 0 and <= 86400",
        doc: "How often schedules and retention are checked.",
        default: |s| s.readings.scheduler_interval.show(),
        apply: |s, name, r| {
            s.readings.scheduler_interval = duration(name, r, 86_400.0)?;
            Ok(())
        },
    },
    Setting {
        name: "CALCULATION_BATCH_MAX",
        range: "whole number, 1 to 10000",
        doc: "Calculation requests one `POST /calculate/batch` may carry.",
        default: |s| s.calculation_batch_max.show(),
        apply: |s, name, r| {
            s.calculation_batch_max = count(name, r, 10_000)? as usize;
            Ok(())
        },
    },
    Setting {
        name: "GROUP_COMMIT_MAX_BATCH",
        range: "whole number, 1 to 10000",
        doc: "The most calculations one group commit stores.",
        default: |s| s.group_commit_max_batch.show(),
        apply: |s, name, r| {
            s.group_commit_max_batch = count(name, r, 10_000)? as usize;
            Ok(())
        },
    },
    Setting {
        name: "GROUP_COMMIT_IN_FLIGHT",
        range: "whole number, 1 to 64",
        doc: "PostgreSQL group commits in flight at once (SQLite: always 1).",
        default: |s| s.group_commit_in_flight.show(),
        apply: |s, name, r| {
            s.group_commit_in_flight = count(name, r, 64)? as usize;
            Ok(())
        },
    },
    Setting {
        name: "MIN_DATA_COMPLETENESS",
        range: "must be a fraction from 0 to 1 (0.95 = 95 %)",
        doc: "The least completeness (0-1) of every channel of a calculation from stored readings.",
        default: |s| s.engine.min_data_completeness.show(),
        apply: |s, name, r| {
            let v = number(name, r)?;
            if !(0.0..=1.0).contains(&v) {
                return Err(invalid(
                    name,
                    r,
                    "must be a fraction from 0 to 1 (0.95 = 95 %)",
                ));
            }
            s.engine.min_data_completeness = v;
            Ok(())
        },
    },
    Setting {
        name: "ANALYTICS_DEGRADATION_THRESHOLD_POINTS",
        range: "efficiency points, >= 0 and <= 100",
        doc: "A change point of the efficiency trend whose mean drops by more than this is flagged `degradation`.",
        default: |s| s.analytics.degradation_threshold_points.show(),
        apply: |s, name, r| {
            let v = number(name, r)?;
            if !(0.0..=100.0).contains(&v) {
                return Err(invalid(name, r, "must be from 0 to 100 efficiency points"));
            }
            s.analytics.degradation_threshold_points = v;
            Ok(())
        },
    },
    Setting {
        name: "ANALYTICS_CHANGE_POINT_MIN_SEGMENT",
        range: "whole number, 1 to 1000",
        doc: "The fewest intervals between two change points of the efficiency trend.",
        default: |s| s.analytics.change_point_min_segment.show(),
        apply: |s, name, r| {
            s.analytics.change_point_min_segment = count(name, r, 1000)? as usize;
            Ok(())
        },
    },
    Setting {
        name: "ANALYTICS_ROLLING_WINDOW",
        range: "whole number, 1 to 1000",
        doc: "Intervals in the rolling mean of the efficiency trend.",
        default: |s| s.analytics.rolling_window.show(),
        apply: |s, name, r| {
            s.analytics.rolling_window = count(name, r, 1000)? as usize;
            Ok(())
        },
    },
    Setting {
        name: "ANALYTICS_MAX_CALCULATIONS",
        range: "whole number, 1 to 1000000",
        doc: "The most stored calculations one benchmark, trend or baseline request reads; beyond it the request is refused (422: shorten the range).",
        default: |s| s.analytics.max_calculations.show(),
        apply: |s, name, r| {
            s.analytics.max_calculations = count(name, r, 1_000_000)? as usize;
            Ok(())
        },
    },
    Setting {
        name: "ANALYTICS_MONTE_CARLO_MAX_SAMPLES",
        range: "whole number, 10000 to 2000000",
        doc: "The largest `samples` of `?uncertainty=monte_carlo` (each sample is one engine run).",
        default: |s| s.analytics.monte_carlo_max_samples.show(),
        apply: |s, name, r| {
            let v = count(name, r, 2_000_000)? as usize;
            if v < 10_000 {
                return Err(invalid(
                    name,
                    r,
                    "must be at least 10000 (JCGM 101 §7.2.2: M ≥ 10⁴ for a 95 % interval)",
                ));
            }
            s.analytics.monte_carlo_max_samples = v;
            Ok(())
        },
    },
    // The meter vendor's REST API (runbook scenario 3; connectors::energy_meter).
    Setting {
        name: "ENERGY_METER_API_URL",
        range: "an http:// or https:// URL",
        doc: "Base URL of the meter vendor's API (`/auth/token`, `/meters/{id}/readings`, `/readings/batch`, `/health`).",
        default: |s| {
            s.energy_meter
                .api_url
                .clone()
                .unwrap_or_else(|| "(unset)".to_owned())
        },
        apply: |s, name, r| {
            let url = r.value.trim();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(invalid(name, r, "must be an http:// or https:// URL"));
            }
            s.energy_meter.api_url = Some(url.trim_end_matches('/').to_owned());
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_METER_CLIENT_ID",
        range: "text",
        doc: "OAuth2 client id (used when ENERGY_METER_CREDENTIALS_DIR is unset).",
        default: |s| {
            s.energy_meter
                .client_id
                .clone()
                .unwrap_or_else(|| "(unset)".to_owned())
        },
        apply: |s, _, r| {
            s.energy_meter.client_id = Some(r.value.trim().to_owned());
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_METER_CLIENT_SECRET",
        range: "text",
        doc: "OAuth2 client secret (used when ENERGY_METER_CREDENTIALS_DIR is unset). Secret.",
        default: |s| s.energy_meter.client_secret.show(),
        apply: |s, _, r| {
            s.energy_meter.client_secret = Some(Secret::new(r.value.trim().to_owned()));
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_METER_CREDENTIALS_DIR",
        range: "a directory path",
        doc: "Directory holding files `client-id` and `client-secret` (the `energy-meter-credentials` secret mounted); read at start, wins over the variables.",
        default: |s| {
            s.energy_meter
                .credentials_dir
                .as_ref()
                .map_or("(unset)".to_owned(), |d| d.show())
        },
        apply: |s, _, r| {
            s.energy_meter.credentials_dir = Some(PathBuf::from(r.value.trim()));
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_METER_MAX_REQUESTS_PER_MINUTE",
        range: "whole number, 1 to 100000",
        doc: "Requests to the meter API per minute and replica (client-side limiter; a burst of 4 % is allowed).",
        default: |s| s.energy_meter.max_requests_per_minute.show(),
        apply: |s, name, r| {
            s.energy_meter.max_requests_per_minute = count(name, r, 100_000)?;
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_METER_BACKOFF_ENABLED",
        range: "true or false",
        doc: "Retry 429, 5xx, timeouts and connection errors with exponential backoff and jitter; off, fail on the first.",
        default: |s| s.energy_meter.backoff_enabled.show(),
        apply: |s, name, r| {
            s.energy_meter.backoff_enabled = boolean(name, r)?;
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_METER_MAX_RETRIES",
        range: "whole number, 0 to 10",
        doc: "Retries after the first attempt while backoff is enabled.",
        default: |s| s.energy_meter.max_retries.show(),
        apply: |s, name, r| {
            s.energy_meter.max_retries = match r.value.trim().parse::<u32>() {
                Ok(v) if v <= 10 => v,
                _ => return Err(invalid(name, r, "must be a whole number from 0 to 10")),
            };
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_METER_BATCH_REQUESTS",
        range: "true or false",
        doc: "Pull several meters per call (`POST /readings/batch`) instead of one call per meter.",
        default: |s| s.energy_meter.batch_requests.show(),
        apply: |s, name, r| {
            s.energy_meter.batch_requests = boolean(name, r)?;
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_METER_BATCH_SIZE",
        range: "whole number, 1 to 1000",
        doc: "Meters per batch call.",
        default: |s| s.energy_meter.batch_size.show(),
        apply: |s, name, r| {
            s.energy_meter.batch_size = count(name, r, 1000)? as usize;
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_METER_CACHE_TTL",
        range: "seconds, > 0 and <= 604800",
        doc: "Pulled readings (`energy_meter:*` keys) are reused this long before the vendor is asked again.",
        default: |s| s.energy_meter.cache_ttl.show(),
        apply: |s, name, r| {
            s.energy_meter.cache_ttl = duration(name, r, 604_800.0)?;
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_METER_ENABLE_FALLBACK",
        range: "true or false",
        doc: "While the vendor is unavailable, compute from cached readings up to ENERGY_METER_FALLBACK_CACHE_MAX_AGE old (with a warning).",
        default: |s| s.energy_meter.enable_fallback.show(),
        apply: |s, name, r| {
            s.energy_meter.enable_fallback = boolean(name, r)?;
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_METER_FALLBACK_CACHE_MAX_AGE",
        range: "seconds, > 0 and <= 2592000",
        doc: "The oldest cached pull a fallback may use (cache entries are kept this long while fallback is on).",
        default: |s| s.energy_meter.fallback_cache_max_age.show(),
        apply: |s, name, r| {
            s.energy_meter.fallback_cache_max_age = duration(name, r, 2_592_000.0)?;
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_METER_CONNECT_TIMEOUT",
        range: "seconds, > 0 and <= 300",
        doc: "Longest wait to connect to the meter API.",
        default: |s| s.energy_meter.connect_timeout.show(),
        apply: |s, name, r| {
            s.energy_meter.connect_timeout = duration(name, r, 300.0)?;
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_METER_TIMEOUT",
        range: "seconds, > 0 and <= 600",
        doc: "Longest one meter API request may take, answer included; also the longest Retry-After hold a request waits out.",
        default: |s| s.energy_meter.timeout.show(),
        apply: |s, name, r| {
            s.energy_meter.timeout = duration(name, r, 600.0)?;
            Ok(())
        },
    },
    Setting {
        name: "ENERGY_METER_TOKEN_REFRESH_MARGIN",
        range: "seconds, > 0 and <= 3600",
        doc: "An access token is replaced this long before it expires (at most half its lifetime).",
        default: |s| s.energy_meter.token_refresh_margin.show(),
        apply: |s, name, r| {
            s.energy_meter.token_refresh_margin = duration(name, r, 3600.0)?;
            Ok(())
        },
    },
];
