//! Token administration (create, list, revoke), for `thermaliq token …` and
//! `/admin/tokens`: names are unique, an expiry is optional, and every
//! action is written to the audit log in the same transaction as the change.
//! The token itself is returned once, at creation; only its SHA-256 is kept.

use std::time::Duration;

use thermaliq_core::provenance::sha256_hex;
use thermaliq_store::{AuditEntry, Scope, Store, StoreError, TokenRecord};
use time::OffsetDateTime;

use super::ServiceError;

/// Longest name (it appears in logs as `caller` and in the audit log).
pub const MAX_NAME_CHARS: usize = 64;
/// Longest expiry one may ask for (ten years).
pub const MAX_EXPIRES_IN_DAYS: u32 = 3_650;

/// A created token: its record and the secret, shown this once.
pub struct CreatedToken {
    pub record: TokenRecord,
    pub token: String,
}

/// Checks a token name: 1 to 64 characters, no control characters, not
/// blank, no surrounding white space (so a name on the command line and in a
/// URL path is the same name).
pub fn check_name(name: &str) -> Result<(), ServiceError> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(ServiceError::invalid(
            "name",
            format!("must be 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.trim() != name || name.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            "name",
            "must not start or end with white space or contain control characters",
        ));
    }
    Ok(())
}

fn check_expiry(days: Option<u32>) -> Result<Option<Duration>, ServiceError> {
    match days {
        None => Ok(None),
        Some(d) if (1..=MAX_EXPIRES_IN_DAYS).contains(&d) => {
            Ok(Some(Duration::from_secs(u64::from(d) * 86_400)))
        }
        Some(_) => Err(ServiceError::invalid(
            "expires_in_days",
            format!("must be a whole number of days from 1 to {MAX_EXPIRES_IN_DAYS}"),
        )),
    }
}

/// Registers `token` (already generated, or the bootstrap one) under `name`.
pub async fn register(
    store: &dyn Store,
    token: &str,
    name: &str,
    scope: Scope,
    expires_in_days: Option<u32>,
    actor: &str,
) -> Result<TokenRecord, ServiceError> {
    check_name(name)?;
    let lifetime = check_expiry(expires_in_days)?;
    let now = OffsetDateTime::now_utc();
    let record = TokenRecord {
        token_id: format!("TOK-{}", ulid::Ulid::new()),
        name: name.to_owned(),
        scope,
        token_hash: sha256_hex(token.as_bytes()),
        created_at: now,
        expires_at: lifetime.map(|l| now + l),
        last_used_at: None,
    };
    let audit = AuditEntry {
        occurred_at: now,
        actor: actor.to_owned(),
        action: "token.create".to_owned(),
        subject: record.token_id.clone(),
        detail: serde_json::json!({
            "name": name,
            "scope": scope.as_str(),
            "expires_in_days": expires_in_days,
        })
        .to_string(),
    };
    match store.insert_token(&record, &audit).await {
        Ok(()) => Ok(record),
        Err(StoreError::Duplicate(_)) => Err(ServiceError::invalid(
            "name",
            format!("a token named '{name}' exists; names are unique (revoke it first)"),
        )),
        Err(err) => Err(err.into()),
    }
}

/// Generates a new token and registers it.
pub async fn create(
    store: &dyn Store,
    name: &str,
    scope: Scope,
    expires_in_days: Option<u32>,
    actor: &str,
) -> Result<CreatedToken, ServiceError> {
    let token = crate::auth::generate_token()
        .map_err(|e| ServiceError::Internal(format!("cannot read random bytes: {e}")))?;
    let record = register(store, &token, name, scope, expires_in_days, actor).await?;
    Ok(CreatedToken { record, token })
}

/// Every token, by name.
pub async fn list(store: &dyn Store) -> Result<Vec<TokenRecord>, ServiceError> {
    Ok(store.list_tokens().await?)
}

/// Revokes the token named `name`; `NotFound` when there is none.
pub async fn revoke(store: &dyn Store, name: &str, actor: &str) -> Result<(), ServiceError> {
    check_name(name)?;
    let audit = AuditEntry {
        occurred_at: OffsetDateTime::now_utc(),
        actor: actor.to_owned(),
        action: "token.revoke".to_owned(),
        subject: name.to_owned(),
        detail: serde_json::json!({"name": name}).to_string(),
    };
    if store.revoke_token(name, &audit).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound(format!(
            "no token is named '{name}'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_expiries_are_checked() {
        assert!(check_name("ops").is_ok());
        assert!(check_name(&"x".repeat(64)).is_ok());
        for bad in ["", " ops", "ops ", "a\nb", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(check_expiry(None).unwrap(), None);
        assert_eq!(
            check_expiry(Some(1)).unwrap(),
            Some(Duration::from_secs(86_400))
        );
        assert!(check_expiry(Some(0)).is_err());
        assert!(check_expiry(Some(MAX_EXPIRES_IN_DAYS + 1)).is_err());
    }
}
