//! Invalidation against a real Redis (`REDIS_URL`): batched SCAN + UNLINK
//! removes every matching key under this cache's prefix — more keys than one
//! SCAN page — and nothing outside the pattern or the prefix.

use connectors::cache::{Cache, CacheConfig, SCAN_COUNT};
use redis::AsyncCommands;

fn redis_url() -> Option<String> {
    match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            // The pattern of crates/server/tests/api/helpers.rs `skip_or_fail`.
            if std::env::var("THERMALIQ_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!("THERMALIQ_REQUIRE_SERVICES=1 but REDIS_URL is not set");
            }
            println!("SKIPPED: REDIS_URL is not set");
            None
        }
    }
}

#[tokio::test]
async fn invalidation_walks_in_batches_and_stays_inside_pattern_and_prefix() {
    let Some(url) = redis_url() else { return };
    let unique = format!(
        "thermaliq-test:inv{}:{}:",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let ours = Cache::new(CacheConfig {
        redis_url: Some(url.clone()),
        key_prefix: unique.clone(),
        ..CacheConfig::default()
    })
    .await
    .unwrap();
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    // 2.5 SCAN pages of our calculation keys, some of our sankey keys, and the
    // same key names under another application's prefix.
    let n = (SCAN_COUNT as usize) * 5 / 2;
    let mut pipe = redis::pipe();
    for i in 0..n {
        pipe.set_ex(format!("{unique}calculation:C{i}"), "v", 600)
            .ignore();
    }
    for i in 0..10 {
        pipe.set_ex(format!("{unique}sankey:S{i}"), "v", 600)
            .ignore();
        pipe.set_ex(format!("{unique}other-app:calculation:C{i}"), "v", 600)
            .ignore();
        pipe.set_ex(format!("{unique}x-calculation:C{i}"), "v", 600)
            .ignore();
    }
    let () = pipe.query_async(&mut raw).await.unwrap();

    let outcome = ours.invalidate_patterns(&["calculation:*"]).await;
    assert!(outcome.complete, "{outcome:?}");
    assert_eq!(outcome.removed, n as u64, "{outcome:?}");
    assert!(outcome.steps >= 1, "{outcome:?}");
    let left: Vec<String> = {
        let mut iter = raw
            .scan_match::<_, String>(format!("{unique}*"))
            .await
            .unwrap();
        let mut keys = Vec::new();
        while let Some(k) = iter.next_item().await {
            keys.push(k.unwrap());
        }
        keys
    };
    assert_eq!(left.len(), 30, "only the other patterns are left: {left:?}");
    assert!(
        left.iter()
            .all(|k| !k.starts_with(&format!("{unique}calculation:")))
    );

    // The other application's keys are still there; its own cache (its own
    // prefix) removes exactly them, and then only `x-calculation:` keys remain.
    let outcome = ours.invalidate_patterns(&["sankey:*"]).await;
    assert_eq!((outcome.removed, outcome.complete), (10, true));
    let theirs = Cache::new(CacheConfig {
        redis_url: Some(url.clone()),
        key_prefix: format!("{unique}other-app:"),
        ..CacheConfig::default()
    })
    .await
    .unwrap();
    let outcome = theirs.invalidate_patterns(&["calculation:*"]).await;
    assert_eq!((outcome.removed, outcome.complete), (10, true));
    let remaining: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{unique}*"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(remaining.len(), 10, "{remaining:?}");
    assert!(
        remaining
            .iter()
            .all(|k| k.starts_with(&format!("{unique}x-calculation:")))
    );
    let _: u64 = redis::cmd("DEL")
        .arg(&remaining)
        .query_async(&mut raw)
        .await
        .unwrap();
}
