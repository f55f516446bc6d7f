//! Facilities: insert or replace, audited, listed by id.

use std::time::Duration;

use super::Fixture;
use super::fixtures::*;

/// `put_facility` inserts (true) then replaces (false) keeping `created_at`;
/// every other field reads back as written; one audit entry per call.
pub async fn facility_put_get_replace_and_audit(f: &dyn Fixture) {
    let store = f.store();
    let first = facility("FAC-001", "Boiler house", T0);
    let created = store
        .put_facility(&first, &audit("facility.create", "FAC-001", "{\"v\":1}"))
        .await
        .expect("put new");
    assert!(created, "a new facility is created");
    let got = store
        .get_facility("FAC-001")
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(got, first);

    let mut second = facility("FAC-001", "Boiler house 2", T0 + Duration::from_secs(3600));
    second.document.push(' ');
    second.schedule = "daily".to_owned();
    second.updated_at = T0 + Duration::from_secs(7200) + Duration::from_nanos(999);
    let created = store
        .put_facility(&second, &audit("facility.update", "FAC-001", "{\"v\":2}"))
        .await
        .expect("put existing");
    assert!(!created, "an existing facility is replaced");
    let got = store
        .get_facility("FAC-001")
        .await
        .expect("get")
        .expect("stored");
    let mut want = second.clone();
    want.created_at = T0;
    want.updated_at = T0 + Duration::from_secs(7200);
    assert_eq!(
        got, want,
        "replaced, created_at kept, updated_at to the microsecond"
    );
    assert!(store.get_facility("FAC-404").await.expect("get").is_none());

    let log = f.audit_log().await;
    assert_eq!(log.len(), 2, "one audit entry per put");
    assert_eq!(log[0].action, "facility.create");
    assert_eq!(log[0].detail, "{\"created\":true,\"detail\":{\"v\":1}}");
    assert_eq!(log[1].subject, "FAC-001");
    assert_eq!(log[1].detail, "{\"created\":false,\"detail\":{\"v\":2}}");
}

/// `list_facilities` orders by id as bytes, pages with a strict cursor.
pub async fn facilities_list_by_id_in_pages(f: &dyn Fixture) {
    let store = f.store();
    let ids = ["FAC-010", "FAC-002", "fac-001", "FAC-001", "Z", "FAC-003"];
    for id in ids {
        store
            .put_facility(&facility(id, id, T0), &audit("facility.create", id, "{}"))
            .await
            .expect("put");
    }
    let mut want: Vec<&str> = ids.to_vec();
    want.sort_unstable();
    let all = store.list_facilities(100, None).await.expect("list");
    let got: Vec<&str> = all.iter().map(|r| r.facility_id.as_str()).collect();
    assert_eq!(got, want);
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .list_facilities(4, after.as_deref())
            .await
            .expect("page");
        assert!(page.len() <= 4);
        let last = page.last().map(|r| r.facility_id.clone());
        paged.extend(page.into_iter().map(|r| r.facility_id));
        match last {
            Some(id) => after = Some(id),
            None => break,
        }
    }
    assert_eq!(paged, want, "pages without gaps or repeats");
    assert!(
        store
            .list_facilities(0, None)
            .await
            .expect("list")
            .is_empty()
    );
}
