//! API tokens: found by hash, counted, unique, audited atomically.

use super::Fixture;
use super::fixtures::*;
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
