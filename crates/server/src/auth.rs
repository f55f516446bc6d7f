//! Bearer tokens: made by `thermaliq token create` (or the bootstrap at first
//! start), stored only as SHA-256 hashes, scoped `read` < `calculate` < `admin`.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use thermaliq_core::provenance::sha256_hex;
use thermaliq_store::{Scope, Store, TokenRecord};
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::state::AppState;

/// Prefix of generated tokens, so a leaked one is easy to recognise in a scan.
const TOKEN_PREFIX: &str = "tiq_";

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
    pub scope: Scope,
}

impl Caller {
    pub fn require(&self, needed: Scope) -> Result<(), ApiError> {
        if self.scope.allows(needed) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this token has scope '{}'; the operation needs '{}'",
                self.scope.as_str(),
                needed.as_str()
            )))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            ApiError::Unauthorized("missing Authorization: Bearer <token> header".to_owned())
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("Authorization header must be 'Bearer <token>'".to_owned())
            })?;
        let presented = sha256_hex(token.as_bytes());
        let record = state.store.find_token_by_hash(&presented).await?;
        match record {
            // The lookup is by hash of a high-entropy secret, so its timing
            // reveals nothing usable; the final comparison is constant-time anyway.
            Some(record)
                if constant_time_eq(record.token_hash.as_bytes(), presented.as_bytes()) =>
            {
                let now = OffsetDateTime::now_utc();
                if record.expires_at.is_some_and(|at| at <= now) {
                    return Err(ApiError::Unauthorized(format!(
                        "token '{}' has expired",
                        record.name
                    )));
                }
                note_use(state, &record, now);
                tracing::Span::current().record("caller", record.name.as_str());
                Ok(Caller {
                    name: record.name,
                    scope: record.scope,
                })
            }
            _ => Err(ApiError::Unauthorized("invalid token".to_owned())),
        }
    }
}

/// Compares two byte strings in time that depends only on their length.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new random token: `tiq_` + 64 hex digits (256 bits from the OS).
pub fn generate_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let mut token = String::with_capacity(TOKEN_PREFIX.len() + 64);
    token.push_str(TOKEN_PREFIX);
    for b in bytes {
        token.push_str(&format!("{b:02x}"));
    }
    Ok(token)
}

/// Stores the hash of `token` under `name` and `scope` (no expiry); returns
/// the token id. See `service::tokens` for the rules.
pub async fn register_token(
    store: &dyn Store,
    token: &str,
    name: &str,
    scope: Scope,
    actor: &str,
) -> Result<String, crate::service::ServiceError> {
    crate::service::tokens::register(store, token, name, scope, None, actor)
        .await
        .map(|record| record.token_id)
}

/// A token's last use is written at most this often (a write per request
/// would put every read through SQLite's one writer).
const LAST_USED_RESOLUTION: time::Duration = time::Duration::seconds(60);

/// Records a use of `record` in the background when its mark is older than
/// the resolution; a failure is logged, the request goes on.
fn note_use(state: &AppState, record: &TokenRecord, now: OffsetDateTime) {
    if record
        .last_used_at
        .is_some_and(|at| now - at < LAST_USED_RESOLUTION)
    {
        return;
    }
    let store = state.store.clone();
    let token_id = record.token_id.clone();
    tokio::spawn(async move {
        if let Err(err) = store.touch_token(&token_id, now).await {
            tracing::warn!(error_type = "DatabaseError", error_message = %err, "Token last use not recorded");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_unique_and_prefixed() {
        let a = generate_token().unwrap();
        let b = generate_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 68);
        assert!(a.starts_with("tiq_") && a[4..].chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
