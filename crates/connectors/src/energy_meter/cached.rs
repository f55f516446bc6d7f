//! Pulling a period: the cache first (`energy_meter:{meter}:{start}:{end}`,
//! fresh for `ENERGY_METER_CACHE_TTL`), then the vendor (batched or one
//! meter at a time), and, with `ENERGY_METER_ENABLE_FALLBACK`, an older
//! cached pull (up to `ENERGY_METER_FALLBACK_CACHE_MAX_AGE`) for a meter
//! the vendor could not serve because it was unavailable.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::client::EnergyMeterClient;
use super::wire::VendorReading;
use super::{EnergyMeterError, LOG_TARGET};

/// One meter's window to pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterQuery {
    pub meter_id: String,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
}

/// Where a pull was served from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Served {
    Live,
    /// A cached pull younger than the cache TTL.
    Cache {
        age: Duration,
    },
    /// The vendor was unavailable; an older cached pull was used.
    Fallback {
        age: Duration,
    },
}

/// The readings of one meter's window.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterPull {
    pub meter_id: String,
    pub readings: Vec<VendorReading>,
    pub served: Served,
}

/// What the cache holds for a window.
#[derive(Serialize, Deserialize)]
struct Cached {
    fetched_at_unix: f64,
    readings: Vec<VendorReading>,
}

fn key(q: &MeterQuery) -> String {
    format!(
        "energy_meter:{}:{}:{}",
        q.meter_id,
        q.start.unix_timestamp(),
        q.end.unix_timestamp()
    )
}

fn now_unix() -> f64 {
    let now = OffsetDateTime::now_utc();
    now.unix_timestamp() as f64 + f64::from(now.nanosecond()) / 1e9
}

impl EnergyMeterClient {
    async fn cached(&self, q: &MeterQuery) -> Option<(Duration, Vec<VendorReading>)> {
        let bytes = self.cache.get(&key(q)).await?;
        let entry: Cached = serde_json::from_slice(&bytes).ok()?;
        let age = (now_unix() - entry.fetched_at_unix).max(0.0);
        Some((Duration::from_secs_f64(age), entry.readings))
    }

    async fn remember(&self, q: &MeterQuery, readings: &[VendorReading]) {
        let ttl = if self.config.enable_fallback {
            self.config
                .cache_ttl
                .max(self.config.fallback_cache_max_age)
        } else {
            self.config.cache_ttl
        };
        let entry = serde_json::json!({"fetched_at_unix": now_unix(), "readings": readings});
        if let Ok(bytes) = serde_json::to_vec(&entry) {
            self.cache.put(&key(q), &bytes, ttl).await;
        }
    }

    /// The readings of every query (all of one facility), in query order,
    /// or the first meter that could not be served and why.
    pub async fn pull(
        &self,
        facility_id: &str,
        queries: &[MeterQuery],
    ) -> Result<Vec<MeterPull>, (String, EnergyMeterError)> {
        let mut out: Vec<Option<MeterPull>> = vec![None; queries.len()];
        let mut stale: Vec<Option<(Duration, Vec<VendorReading>)>> = vec![None; queries.len()];
        let mut missing = Vec::new();
        for (i, q) in queries.iter().enumerate() {
            match self.cached(q).await {
                Some((age, readings)) if age <= self.config.cache_ttl => {
                    out[i] = Some(MeterPull {
                        meter_id: q.meter_id.clone(),
                        readings,
                        served: Served::Cache { age },
                    });
                }
                other => {
                    stale[i] = other;
                    missing.push(i);
                }
            }
        }
        let live = self.fetch_live(facility_id, queries, &missing).await;
        for (i, result) in missing.into_iter().zip(live) {
            let q = &queries[i];
            match result {
                Ok(readings) => {
                    self.remember(q, &readings).await;
                    out[i] = Some(MeterPull {
                        meter_id: q.meter_id.clone(),
                        readings,
                        served: Served::Live,
                    });
                }
                Err(err) => {
                    let fallback = stale[i].take().filter(|(age, _)| {
                        self.config.enable_fallback
                            && err.is_unavailable()
                            && *age <= self.config.fallback_cache_max_age
                    });
                    let Some((age, readings)) = fallback else {
                        return Err((q.meter_id.clone(), err));
                    };
                    tracing::warn!(
                        target: LOG_TARGET,
                        facility_id,
                        meter_id = q.meter_id.as_str(),
                        age_seconds = age.as_secs_f64(),
                        error = %err,
                        "EnergyMeterConnector fallback: the meter API failed ({err}); serving cached readings {:.0} s old",
                        age.as_secs_f64()
                    );
                    out[i] = Some(MeterPull {
                        meter_id: q.meter_id.clone(),
                        readings,
                        served: Served::Fallback { age },
                    });
                }
            }
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// Live pulls of `queries[i]` for each `i` in `which`, in that order.
    async fn fetch_live(
        &self,
        facility_id: &str,
        queries: &[MeterQuery],
        which: &[usize],
    ) -> Vec<Result<Vec<VendorReading>, EnergyMeterError>> {
        if which.is_empty() {
            return Vec::new();
        }
        let same_window = which.iter().all(|i| {
            queries[*i].start == queries[which[0]].start && queries[*i].end == queries[which[0]].end
        });
        if self.config.batch_requests && same_window {
            let ids: Vec<&str> = which
                .iter()
                .map(|i| queries[*i].meter_id.as_str())
                .collect();
            let q0 = &queries[which[0]];
            let mut results: std::collections::HashMap<String, _> = self
                .fetch_batch(facility_id, &ids, q0.start, q0.end)
                .await
                .into_iter()
                .collect();
            return ids
                .iter()
                .map(|id| {
                    results.remove(*id).unwrap_or_else(|| {
                        Err(EnergyMeterError::InvalidResponse(format!(
                            "no result for meter {id}"
                        )))
                    })
                })
                .collect();
        }
        let mut out = Vec::with_capacity(which.len());
        for i in which {
            // Once the vendor is unavailable, the other meters are not
            // asked (each would spend its own retries); they share the error.
            if let Some(Err(err)) = out.last()
                && EnergyMeterError::is_unavailable(err)
            {
                let err = err.clone();
                out.push(Err(err));
                continue;
            }
            let q = &queries[*i];
            out.push(
                self.fetch_meter(facility_id, &q.meter_id, q.start, q.end, None, Vec::new())
                    .await,
            );
        }
        out
    }
}
