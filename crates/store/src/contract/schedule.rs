//! The scheduler's marks: per facility, only ever moving forward.

use std::time::Duration;

use time::UtcOffset;
use time::macros::datetime;

use super::Fixture;
use super::fixtures::*;

/// No mark until the first advance; then the mark is the latest end given,
/// to the microsecond, per facility; an earlier or equal end changes nothing.
pub async fn schedule_marks_only_move_forward(f: &dyn Fixture) {
    let store = f.store();
    let s = store.as_ref();
    assert_eq!(s.schedule_mark_get("FAC-001").await.expect("get"), None);
    let t1 = datetime!(2025-11-10 09:00:00.123_456_789 UTC);
    let t1_stored = datetime!(2025-11-10 09:00:00.123_456 UTC);
    assert!(
        s.schedule_mark_advance("FAC-001", t1)
            .await
            .expect("advance")
    );
    assert_eq!(
        s.schedule_mark_get("FAC-001").await.expect("get"),
        Some(t1_stored)
    );
    for earlier_or_same in [
        t1 - Duration::from_secs(3600),
        t1,
        t1_stored.to_offset(UtcOffset::from_hms(5, 30, 0).expect("offset")),
    ] {
        assert!(
            !s.schedule_mark_advance("FAC-001", earlier_or_same)
                .await
                .expect("advance"),
            "{earlier_or_same} does not move the mark"
        );
    }
    assert_eq!(
        s.schedule_mark_get("FAC-001").await.expect("get"),
        Some(t1_stored)
    );
    let t2 = t1_stored + Duration::from_micros(1);
    assert!(
        s.schedule_mark_advance("FAC-001", t2)
            .await
            .expect("advance")
    );
    assert_eq!(s.schedule_mark_get("FAC-001").await.expect("get"), Some(t2));
    assert_eq!(
        s.schedule_mark_get("FAC-002").await.expect("get"),
        None,
        "marks are per facility"
    );
    assert_rejected(&s.schedule_mark_get("FAC-\0").await, "facility_id");
    assert_rejected(
        &s.schedule_mark_advance("FAC-001", datetime!(0000-06-01 00:00 UTC))
            .await,
        "end",
    );
}

/// Replicas advancing one facility's mark at once: the latest end wins,
/// whatever the order, and at most as many calls report a move as there
/// were increasing ends.
pub async fn racing_advances_keep_the_latest_end(f: &dyn Fixture) {
    let store = f.store();
    let base = datetime!(2025-11-10 00:00 UTC);
    let mut tasks = Vec::new();
    for n in [3u64, 7, 1, 6, 2, 8, 4, 5] {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .schedule_mark_advance("FAC-RACE", base + Duration::from_secs(3600 * n))
                .await
        }));
    }
    let mut moved = 0;
    for task in tasks {
        if task.await.expect("task").expect("advance") {
            moved += 1;
        }
    }
    assert!((1..=8).contains(&moved), "{moved} moves");
    assert_eq!(
        store.schedule_mark_get("FAC-RACE").await.expect("get"),
        Some(base + Duration::from_secs(3600 * 8))
    );
}
