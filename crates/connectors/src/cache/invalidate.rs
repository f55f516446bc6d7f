//! Invalidation by key pattern in bounded steps: Redis `SCAN … MATCH … COUNT`
//! walks the keyspace a page at a time and each page's matches are removed
//! with `UNLINK` (freed off Redis's main thread). Every step is one short
//! command under the cache's per-command timeout, so a large keyspace never
//! makes one long call that times out half-way; a step that fails is retried,
//! and if Redis stays away the outcome says the walk did not finish.
//! (`KEYS` would block Redis for the whole keyspace; `DEL` of many large
//! values blocks it while freeing them.)

use super::Cache;

/// Keys Redis examines per `SCAN` step (a hint; it may return more or fewer).
pub const SCAN_COUNT: u64 = 1000;
/// Tries of one step before the walk gives up (Redis unreachable).
const STEP_TRIES: u32 = 3;

/// What an invalidation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Invalidation {
    /// Keys removed (Redis count when Redis answered, else the local map's).
    pub removed: u64,
    /// Redis `SCAN` steps taken.
    pub steps: u64,
    /// `false` when Redis stopped answering before the walk finished (the
    /// local map is always cleared); run it again.
    pub complete: bool,
}

impl Cache {
    /// Removes the keys matching each glob of `patterns` (`*` wildcards only,
    /// e.g. `calculation:*`), under this cache's key prefix, page by page.
    pub async fn invalidate_patterns(&self, patterns: &[&str]) -> Invalidation {
        let mut outcome = Invalidation {
            complete: true,
            ..Invalidation::default()
        };
        let mut local = 0u64;
        for pattern in patterns {
            let full = self.key(pattern);
            local += self.inner.local.remove_matching(&full) as u64;
            if let Some(side) = &self.inner.redis {
                // While the breaker is open Redis is not asked; the pattern is
                // remembered and replayed when it closes (`breaker`), as is a
                // walk that stopped part-way.
                if side.breaker.allows() {
                    let walk = self.scan_and_unlink(&full).await;
                    outcome.removed += walk.removed;
                    outcome.steps += walk.steps;
                    outcome.complete &= walk.complete;
                    if !walk.complete {
                        self.missed_invalidation(&full);
                    }
                } else {
                    outcome.complete = false;
                    self.missed_invalidation(&full);
                }
            }
        }
        if self.inner.redis.is_none() || outcome.removed == 0 {
            outcome.removed = outcome.removed.max(local);
        }
        outcome
    }

    async fn scan_and_unlink(&self, full_pattern: &str) -> Invalidation {
        let mut walk = Invalidation::default();
        let mut cursor: u64 = 0;
        loop {
            let Some((next, keys)) = self.step(|| self.scan(cursor, full_pattern)).await else {
                return walk;
            };
            walk.steps += 1;
            if !keys.is_empty() {
                match self.step(|| self.unlink(&keys)).await {
                    Some(n) => walk.removed += n,
                    None => return walk,
                }
            }
            if next == 0 {
                walk.complete = true;
                return walk;
            }
            cursor = next;
        }
    }

    /// One step, tried up to STEP_TRIES times.
    async fn step<T, F, Fut>(&self, call: F) -> Option<T>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        for _ in 0..STEP_TRIES {
            if let Some(value) = call().await {
                return Some(value);
            }
        }
        None
    }

    async fn scan(&self, cursor: u64, pattern: &str) -> Option<(u64, Vec<String>)> {
        let pattern = pattern.to_owned();
        self.redis_call(|mut c| async move {
            redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(SCAN_COUNT)
                .query_async::<(u64, Vec<String>)>(&mut c)
                .await
        })
        .await
    }

    async fn unlink(&self, keys: &[String]) -> Option<u64> {
        let keys = keys.to_vec();
        self.redis_call(|mut c| async move {
            redis::cmd("UNLINK")
                .arg(keys)
                .query_async::<u64>(&mut c)
                .await
        })
        .await
    }
}
