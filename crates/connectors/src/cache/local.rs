//! The in-process level: a bounded map with per-entry expiry. When full, the
//! entry closest to expiry goes first (a cheap, predictable policy for
//! entries that all carry TTLs).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LocalCache {
    capacity: usize,
    entries: Mutex<HashMap<String, (Instant, Vec<u8>)>>,
}

impl LocalCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Vec<u8>)>> {
        // A panic while holding the lock cannot leave a map half-written; keep serving.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        let mut map = self.lock();
        match map.get(key) {
            Some((expires, value)) if *expires > Instant::now() => Some(value.clone()),
            Some(_) => {
                map.remove(key);
                None
            }
            None => None,
        }
    }

    pub fn put(&self, key: &str, value: Vec<u8>, ttl: Duration) {
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() >= self.capacity && !map.contains_key(key) {
            map.retain(|_, (expires, _)| *expires > now);
            if map.len() >= self.capacity
                && let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, (e, _))| *e)
                    .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(key.to_owned(), (now + ttl, value));
    }

    pub fn remove(&self, key: &str) {
        self.lock().remove(key);
    }

    /// Removes keys matching a glob with `*` wildcards; returns how many.
    pub fn remove_matching(&self, pattern: &str) -> usize {
        let mut map = self.lock();
        let before = map.len();
        map.retain(|k, _| !glob_match(pattern, k));
        before - map.len()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `*` matches any run of characters (Redis SCAN MATCH semantics for `*`).
fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first)
        || !text[first.len()..].ends_with(last)
        || text.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_redis_star() {
        assert!(glob_match("calculation:*", "calculation:CALC-1"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("sankey:*:svg", "sankey:abc:svg"));
        assert!(!glob_match("sankey:*:svg", "sankey:abc:json"));
        assert!(!glob_match("calculation:*", "historian:x"));
        assert!(glob_match("exact", "exact") && !glob_match("exact", "exactly"));
    }

    #[test]
    fn expired_entries_vanish_and_capacity_is_kept() {
        let cache = LocalCache::new(2);
        cache.put("a", b"1".to_vec(), Duration::from_secs(0));
        assert_eq!(cache.get("a"), None);
        cache.put("b", b"2".to_vec(), Duration::from_secs(60));
        cache.put("c", b"3".to_vec(), Duration::from_secs(120));
        cache.put("d", b"4".to_vec(), Duration::from_secs(180));
        assert!(cache.len() <= 2);
        assert_eq!(cache.get("d"), Some(b"4".to_vec()));
        assert_eq!(
            cache.get("b"),
            None,
            "the entry closest to expiry was evicted"
        );
    }
}
