//! API tokens: found by hash, counted, unique, audited atomically.

use super::Fixture;
use super::fixtures::*;
use std::time::Duration;

use crate::{Scope, StoreError, TokenRecord};

/// Tokens are found by their hash with every field intact, counted, and each
/// insert is audited with the caller's entry.
pub async fn tokens_round_trip_and_count(f: &dyn Fixture) {
    let store = f.store();
    assert_eq!(store.count_tokens().await.expect("count"), 0);
    let tokens = [
        token(1, Scope::Read),
        token(2, Scope::Calculate),
        token(3, Scope::Admin),
    ];
    let mut entries = Vec::new();
    for t in &tokens {
        let entry = audit(
            "token.create",
            &t.token_id,
            &format!("{{\"name\":\"{}\"}}", t.name),
        );
        store.insert_token(t, &entry).await.expect("insert token");
        entries.push(entry);
    }
    assert_eq!(store.count_tokens().await.expect("count"), 3);
    for t in &tokens {
        let got = store
            .find_token_by_hash(&t.token_hash)
            .await
            .expect("find")
            .expect("token found by its hash");
        assert_eq!(&got, t);
    }
    assert_eq!(
        store
            .find_token_by_hash(&"f".repeat(64))
            .await
            .expect("find"),
        None
    );
    assert_eq!(
        store
            .find_token_by_hash(&tokens[0].token_hash.to_uppercase().replace('0', "O"))
            .await
            .expect("find"),
        None
    );
    let log = f.audit_log().await;
    assert_eq!(log.len(), 3, "one audit entry per token");
    for (got, want) in log.iter().zip(&entries) {
        assert_eq!(
            (
                &got.actor,
                &got.action,
                &got.subject,
                &got.detail,
                got.occurred_at
            ),
            (
                &want.actor,
                &want.action,
                &want.subject,
                &want.detail,
                want.occurred_at
            )
        );
    }
}

/// A repeated hash or token id is `Duplicate`; the failed insert leaves no
/// token and no audit entry behind (the method is atomic).
pub async fn duplicate_token_is_rejected_atomically(f: &dyn Fixture) {
    let store = f.store();
    let first = token(1, Scope::Admin);
    store
        .insert_token(&first, &audit("token.create", "tok_0001", "{}"))
        .await
        .expect("insert token");
    let same_hash = TokenRecord {
        token_id: "tok_other".to_owned(),
        ..token(2, Scope::Read)
    };
    let same_hash = TokenRecord {
        token_hash: first.token_hash.clone(),
        ..same_hash
    };
    let same_id = TokenRecord {
        token_id: first.token_id.clone(),
        ..token(3, Scope::Read)
    };
    for t in [&same_hash, &same_id] {
        let result = store
            .insert_token(t, &audit("token.create", &t.token_id, "{}"))
            .await;
        assert!(
            matches!(result, Err(StoreError::Duplicate(_))),
            "duplicate token is Duplicate, got {result:?}"
        );
    }
    assert_eq!(store.count_tokens().await.expect("count"), 1);
    assert_eq!(
        store
            .find_token_by_hash(&first.token_hash)
            .await
            .expect("find"),
        Some(first)
    );
    assert_eq!(
        store
            .find_token_by_hash(&token(3, Scope::Read).token_hash)
            .await
            .expect("find"),
        None
    );
    assert_eq!(
        f.audit_log().await.len(),
        1,
        "a rejected insert writes no audit entry"
    );
}

/// Names are unique: a second token under a taken name is `Duplicate` and
/// leaves nothing behind.
pub async fn token_names_are_unique(f: &dyn Fixture) {
    let store = f.store();
    let first = token(1, Scope::Admin);
    store
        .insert_token(&first, &audit("token.create", "tok_0001", "{}"))
        .await
        .expect("insert token");
    let same_name = TokenRecord {
        name: first.name.clone(),
        ..token(2, Scope::Read)
    };
    let result = store
        .insert_token(&same_name, &audit("token.create", "tok_0002", "{}"))
        .await;
    assert!(
        matches!(result, Err(StoreError::Duplicate(_))),
        "a taken name is Duplicate, got {result:?}"
    );
    assert_eq!(store.count_tokens().await.expect("count"), 1);
    assert_eq!(f.audit_log().await.len(), 1);
}

/// Listing returns every token by name with expiry and last use; the last
/// use only moves forward; revoking deletes by name and audits in the same
/// transaction, and an unknown name is `false` with no audit entry.
pub async fn tokens_list_touch_and_revoke(f: &dyn Fixture) {
    let store = f.store();
    let mut expiring = token(3, Scope::Read);
    expiring.name = "a-expiring".to_owned();
    expiring.expires_at = Some(T0 + Duration::from_secs(86_400 * 30));
    let mut plain = token(4, Scope::Admin);
    plain.name = "b-plain".to_owned();
    for t in [&plain, &expiring] {
        store
            .insert_token(t, &audit("token.create", &t.token_id, "{}"))
            .await
            .expect("insert token");
    }
    let listed = store.list_tokens().await.expect("list");
    assert_eq!(
        listed,
        vec![expiring.clone(), plain.clone()],
        "sorted by name"
    );

    let later = T0 + Duration::from_secs(3_600);
    store
        .touch_token(&plain.token_id, later)
        .await
        .expect("touch");
    store
        .touch_token(&plain.token_id, T0 + Duration::from_secs(60))
        .await
        .expect("an older use is ignored");
    store
        .touch_token("tok_unknown", later)
        .await
        .expect("an unknown id is no error");
    let found = store
        .find_token_by_hash(&plain.token_hash)
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.last_used_at, Some(later));
    assert_eq!(found.expires_at, None);

    let revoke = audit("token.revoke", "b-plain", "{}");
    assert!(
        store
            .revoke_token("b-plain", &revoke)
            .await
            .expect("revoke")
    );
    assert!(
        !store
            .revoke_token("b-plain", &audit("token.revoke", "b-plain", "{}"))
            .await
            .expect("revoke again")
    );
    assert_eq!(
        store
            .find_token_by_hash(&plain.token_hash)
            .await
            .expect("find"),
        None,
        "a revoked token no longer authenticates"
    );
    assert_eq!(store.list_tokens().await.expect("list"), vec![expiring]);
    let log = f.audit_log().await;
    assert_eq!(log.len(), 3, "two inserts and one revocation");
    assert_eq!(log[2].action, "token.revoke");
    assert_eq!(log[2].subject, "b-plain");
}
