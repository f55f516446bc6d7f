//! Energy baselines: insert or replace by (facility, name), audited, listed
//! by name.

use std::time::Duration;

use time::OffsetDateTime;

use super::Fixture;
use super::fixtures::*;
use crate::{BaselineRecord, StoreError};

fn baseline(facility: &str, name: &str, at: OffsetDateTime) -> BaselineRecord {
    BaselineRecord {
        facility_id: facility.to_owned(),
        name: name.to_owned(),
        // Not canonical on purpose: kept byte for byte.
        document: format!(
            "{{\"name\":\"{name}\", \"models\":[{{\"r2\":0.912345678901234567}}],\"é\":1}}"
        ),
        created_at: at,
        updated_at: at,
    }
}

/// `put_baseline` inserts (true) then replaces (false) keeping `created_at`;
/// fields read back as written (times to the microsecond); one audit entry
/// per call; names are per facility.
pub async fn baseline_put_get_replace_and_audit(f: &dyn Fixture) {
    let store = f.store();
    let first = baseline("FAC-001", "2024", T0);
    assert!(
        store
            .put_baseline(&first, &audit("baseline.put", "FAC-001/2024", "{}"))
            .await
            .expect("put new")
    );
    let got = store.get_baseline("FAC-001", "2024").await.expect("get");
    assert_eq!(got.as_ref(), Some(&first));
    assert!(
        store
            .get_baseline("FAC-002", "2024")
            .await
            .expect("get")
            .is_none(),
        "names are per facility"
    );

    let mut second = baseline("FAC-001", "2024", T0 + Duration::from_secs(60));
    second.document = "{\"v\":2}".to_owned();
    second.updated_at = T0 + Duration::from_secs(7200) + Duration::from_nanos(999);
    assert!(
        !store
            .put_baseline(&second, &audit("baseline.put", "FAC-001/2024", "{}"))
            .await
            .expect("put existing")
    );
    let got = store
        .get_baseline("FAC-001", "2024")
        .await
        .expect("get")
        .expect("stored");
    let mut want = second.clone();
    want.created_at = T0;
    want.updated_at = T0 + Duration::from_secs(7200);
    assert_eq!(got, want, "replaced, created_at kept");
    let log = f.audit_log().await;
    assert_eq!(log.len(), 2, "one audit entry per put");
    assert_eq!(log[1].action, "baseline.put");
}

/// `list_baselines` returns one facility's baselines ordered by name as
/// bytes; a NUL in a name is refused naming the field.
pub async fn baselines_list_by_name(f: &dyn Fixture) {
    let store = f.store();
    for (fac, name) in [
        ("FAC-001", "b"),
        ("FAC-001", "B"),
        ("FAC-002", "a"),
        ("FAC-001", "a"),
    ] {
        store
            .put_baseline(&baseline(fac, name, T0), &audit("baseline.put", fac, "{}"))
            .await
            .expect("put");
    }
    let names: Vec<String> = store
        .list_baselines("FAC-001")
        .await
        .expect("list")
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["B", "a", "b"]);
    assert!(
        store
            .list_baselines("FAC-404")
            .await
            .expect("list")
            .is_empty()
    );
    let err = store
        .put_baseline(
            &baseline("FAC-001", "x\0y", T0),
            &audit("baseline.put", "FAC-001", "{}"),
        )
        .await
        .expect_err("NUL refused");
    assert!(
        matches!(&err, StoreError::Rejected { field: Some(field), .. } if field == "name"),
        "{err:?}"
    );
}
