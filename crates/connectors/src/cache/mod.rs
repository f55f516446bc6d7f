//! A two-level cache: Redis (shared by every replica) in front of a bounded
//! in-process map. Values are bytes under namespaced keys (`calculation:*`,
//! `historian:*`, `energy_meter:*`, `sankey:*`), each written with a TTL.
//!
//! Redis faults never fail a request: a Redis error or a slow answer (over
//! [`CacheConfig::redis_timeout`]) falls back to the local map. A run of
//! failures opens a circuit breaker ([`breaker`]): Redis is then skipped at
//! the cost of an atomic load, shown unhealthy by [`Cache::status`] and logged
//! once under `CacheRedis`. A background probe pings Redis every
//! [`PROBE_INTERVAL`]; when it answers, the invalidations it missed are
//! replayed and only then is the breaker closed, so a shared entry never
//! outlives an invalidation made during the outage.

pub mod breaker;
mod invalidate;
mod local;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use thiserror::Error;

use breaker::{Breaker, Missed, Transition};
pub use invalidate::{Invalidation, SCAN_COUNT};
pub use local::LocalCache;

/// How often the background probe pings Redis while the breaker is open.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(500);

/// Every namespace ThermalIQ writes (dropped whole when more invalidations
/// were missed during an outage than the breaker remembers).
pub const NAMESPACES: [&str; 4] = ["calculation:*", "sankey:*", "historian:*", "energy_meter:*"];

/// Marks the stored form of a value: raw bytes or LZ4 block (`CACHE_COMPRESSION_ENABLED`).
const RAW: u8 = b'R';
const LZ4: u8 = b'Z';

#[derive(Debug, Error)]
pub enum CacheError {
    #[error("REDIS_URL is not a valid Redis URL: {0}")]
    BadUrl(String),
}

#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// `redis://host:port[/db]`; `None` keeps the cache in-process only.
    pub redis_url: Option<String>,
    /// Prefix of every key (empty in production; tests isolate themselves with it).
    pub key_prefix: String,
    /// `CACHE_COMPRESSION_ENABLED`.
    pub compression: bool,
    /// Longest wait for one Redis command before falling back.
    pub redis_timeout: Duration,
    /// Entries the in-process map keeps.
    pub local_capacity: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            redis_url: None,
            key_prefix: String::new(),
            compression: false,
            redis_timeout: Duration::from_millis(250),
            local_capacity: 10_000,
        }
    }
}

/// What `/ready` and the admin stats endpoint report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheStatus {
    /// `redis` or `memory`.
    pub backend: &'static str,
    /// `None` without Redis; else whether its last command succeeded.
    pub redis_healthy: Option<bool>,
    pub hits: u64,
    pub misses: u64,
    pub redis_errors: u64,
    pub local_entries: usize,
}

struct RedisSide {
    manager: ConnectionManager,
    breaker: Breaker,
}

#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    config: CacheConfig,
    local: LocalCache,
    redis: Option<RedisSide>,
    hits: AtomicU64,
    misses: AtomicU64,
    redis_errors: AtomicU64,
}

impl Cache {
    /// Builds the cache. With a Redis URL it connects lazily: an unreachable
    /// Redis at start is a degraded cache, not a failed start.
    pub async fn new(config: CacheConfig) -> Result<Self, CacheError> {
        let redis = match &config.redis_url {
            None => None,
            Some(url) => {
                let client = redis::Client::open(url.as_str())
                    .map_err(|e| CacheError::BadUrl(e.to_string()))?;
                let manager_config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(config.redis_timeout))
                    .set_response_timeout(Some(config.redis_timeout))
                    .set_number_of_retries(1);
                let manager = ConnectionManager::new_lazy_with_config(client, manager_config)
                    .map_err(|e| CacheError::BadUrl(e.to_string()))?;
                Some(RedisSide {
                    manager,
                    breaker: Breaker::default(),
                })
            }
        };
        let inner = Arc::new(Inner {
            local: LocalCache::new(config.local_capacity),
            config,
            redis,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            redis_errors: AtomicU64::new(0),
        });
        if inner.redis.is_some()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(probe(Arc::downgrade(&inner)));
        }
        Ok(Self { inner })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.inner.config.key_prefix, key)
    }

    /// The value under `key`, from Redis if it answers, else from the local map.
    pub async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let full = self.key(key);
        let found = match self
            .redis_call(|mut c| {
                let full = full.clone();
                async move { c.get::<_, Option<Vec<u8>>>(full).await }
            })
            .await
        {
            Some(remote) => remote.and_then(|stored| decode(&stored)),
            None => self.inner.local.get(&full),
        };
        let counter = if found.is_some() {
            &self.inner.hits
        } else {
            &self.inner.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Stores `value` under `key` for `ttl`, in Redis and locally.
    pub async fn put(&self, key: &str, value: &[u8], ttl: Duration) {
        let full = self.key(key);
        self.inner.local.put(&full, value.to_vec(), ttl);
        let stored = encode(value, self.inner.config.compression);
        let seconds = ttl.as_secs().max(1);
        self.redis_call(|mut c| {
            let full = full.clone();
            let stored = stored.clone();
            async move { c.set_ex::<_, _, ()>(full, stored, seconds).await }
        })
        .await;
    }

    /// Removes keys matching a glob `pattern` (e.g. `calculation:*`); returns
    /// how many (see [`Cache::invalidate_patterns`] for the batched walk).
    pub async fn invalidate_pattern(&self, pattern: &str) -> u64 {
        self.invalidate_patterns(&[pattern]).await.removed
    }

    fn missed_invalidation(&self, full_pattern: &str) {
        if let Some(side) = &self.inner.redis {
            side.breaker.remember_invalidation(full_pattern);
        }
    }

    /// Removes one key everywhere.
    pub async fn delete(&self, key: &str) {
        let full = self.key(key);
        self.inner.local.remove(&full);
        let removed = self
            .redis_call(|mut c| {
                let full = full.clone();
                async move { c.del::<_, u64>(full).await }
            })
            .await;
        if removed.is_none() {
            self.missed_invalidation(&full);
        }
    }

    /// One `PING` with its error text, for the start-up log (`Ok` without
    /// Redis). Unlike the other calls it reports why Redis did not answer.
    pub async fn probe(&self) -> Result<(), String> {
        let Some(side) = &self.inner.redis else {
            return Ok(());
        };
        let mut c = side.manager.clone();
        let cmd = redis::cmd("PING");
        let ping = cmd.query_async::<String>(&mut c);
        match tokio::time::timeout(self.inner.config.redis_timeout * 4, ping).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(err)) => Err(err.to_string()),
            Err(_) => Err("no answer in time".to_owned()),
        }
    }

    /// Round trip to Redis (for readiness); `None` without Redis, `false` at
    /// once while the breaker is open.
    pub async fn ping(&self) -> Option<bool> {
        let side = self.inner.redis.as_ref()?;
        if side.breaker.is_open() {
            return Some(false);
        }
        let pong = self
            .redis_call(
                |mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await },
            )
            .await;
        Some(pong.is_some())
    }

    pub fn status(&self) -> CacheStatus {
        CacheStatus {
            backend: if self.inner.redis.is_some() {
                "redis"
            } else {
                "memory"
            },
            redis_healthy: self.inner.redis.as_ref().map(|r| !r.breaker.is_open()),
            hits: self.inner.hits.load(Ordering::Relaxed),
            misses: self.inner.misses.load(Ordering::Relaxed),
            redis_errors: self.inner.redis_errors.load(Ordering::Relaxed),
            local_entries: self.inner.local.len(),
        }
    }

    /// Runs one Redis command with the timeout, unless the breaker is open;
    /// `None` on any failure (counted towards opening the breaker).
    async fn redis_call<T, F, Fut>(&self, call: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let side = self.inner.redis.as_ref()?;
        if !side.breaker.allows() {
            return None;
        }
        match self.inner.timed(side, call).await {
            Ok(value) => {
                side.breaker.on_success();
                Some(value)
            }
            Err(reason) => {
                self.redis_failed(side, &reason);
                None
            }
        }
    }

    fn redis_failed(&self, side: &RedisSide, reason: &str) {
        self.inner.redis_errors.fetch_add(1, Ordering::Relaxed);
        if side.breaker.on_failure() == Transition::Opened {
            tracing::warn!(
                component = "CacheRedis",
                error_type = "CacheError",
                error_message = reason,
                "Redis unavailable: serving from the in-process cache (circuit open, probing in the background)"
            );
        }
    }
}

impl Inner {
    /// One command bounded by `redis_timeout`, whatever the breaker says.
    async fn timed<T, F, Fut>(&self, side: &RedisSide, call: F) -> Result<T, String>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        match tokio::time::timeout(self.config.redis_timeout, call(side.manager.clone())).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(err.to_string()),
            Err(_) => Err("timed out".to_owned()),
        }
    }

    /// Deletes every key matching `full_pattern` (already prefixed).
    async fn delete_matching(&self, side: &RedisSide, full_pattern: String) -> Result<u64, String> {
        self.timed(side, |mut c| async move {
            let keys: Vec<String> = {
                let mut iter = c.scan_match::<_, String>(full_pattern).await?;
                let mut keys = Vec::new();
                while let Some(k) = iter.next_item().await {
                    keys.push(k?);
                }
                keys
            };
            let mut n = 0u64;
            for chunk in keys.chunks(500) {
                n += c.del::<_, u64>(chunk).await?;
            }
            Ok(n)
        })
        .await
    }
}

/// The background probe: while the breaker is open, pings Redis every
/// [`PROBE_INTERVAL`]; on an answer replays the missed invalidations, then
/// closes the breaker. Ends when the cache is dropped.
async fn probe(inner: Weak<Inner>) {
    loop {
        tokio::time::sleep(PROBE_INTERVAL).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let Some(side) = inner.redis.as_ref() else {
            return;
        };
        if !side.breaker.is_open() {
            continue;
        }
        let pong = inner
            .timed(side, |mut c| async move {
                redis::cmd("PING").query_async::<String>(&mut c).await
            })
            .await;
        if pong.is_err() {
            continue;
        }
        let missed = side.breaker.take_missed();
        let patterns: Vec<String> = match &missed {
            Missed::Patterns(list) => list.clone(),
            Missed::Everything => NAMESPACES
                .iter()
                .map(|ns| format!("{}{ns}", inner.config.key_prefix))
                .collect(),
        };
        let mut replayed = true;
        for pattern in patterns {
            if inner.delete_matching(side, pattern).await.is_err() {
                replayed = false;
                break;
            }
        }
        if !replayed {
            side.breaker.restore_missed(missed);
            continue;
        }
        if side.breaker.close() {
            tracing::info!(
                component = "CacheRedis",
                "Redis reachable again: missed invalidations replayed, shared cache restored"
            );
        }
    }
}

fn encode(value: &[u8], compress: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() / 2 + 8);
    if compress {
        out.push(LZ4);
        out.extend(lz4_flex::compress_prepend_size(value));
    } else {
        out.push(RAW);
        out.extend_from_slice(value);
    }
    out
}

/// A stored value that does not decode (another writer, a corrupted entry)
/// is a miss, never an error.
fn decode(stored: &[u8]) -> Option<Vec<u8>> {
    match stored.split_first()? {
        (&RAW, rest) => Some(rest.to_vec()),
        (&LZ4, rest) => lz4_flex::decompress_size_prepended(rest).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_round_trips_and_shrinks_repetitive_json() {
        let json = br#"{"calculation_id":"CALC-1","efficiency":90.47619047619048}"#.repeat(50);
        let packed = encode(&json, true);
        assert!(
            packed.len() < json.len() / 4,
            "{} vs {}",
            packed.len(),
            json.len()
        );
        assert_eq!(decode(&packed).unwrap(), json);
        assert_eq!(decode(&encode(&json, false)).unwrap(), json);
        assert_eq!(decode(b"?garbage"), None);
        assert_eq!(decode(b""), None);
    }

    #[tokio::test]
    async fn memory_only_cache_counts_hits_and_misses() {
        let cache = Cache::new(CacheConfig::default()).await.unwrap();
        assert_eq!(cache.get("calculation:A").await, None);
        cache
            .put("calculation:A", b"one", Duration::from_secs(60))
            .await;
        assert_eq!(
            cache.get("calculation:A").await.as_deref(),
            Some(&b"one"[..])
        );
        assert_eq!(cache.invalidate_pattern("calculation:*").await, 1);
        assert_eq!(cache.get("calculation:A").await, None);
        let s = cache.status();
        assert_eq!(
            (s.backend, s.hits, s.misses, s.redis_healthy),
            ("memory", 1, 2, None)
        );
    }
}
