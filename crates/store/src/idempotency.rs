//! `Idempotency-Key` entries: what a `begin` found, decided the same way on
//! every backend.

use crate::error::StoreError;

/// What [`crate::Store::idempotency_begin`] found for an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyOutcome {
    /// The key was free: the caller owns it now and must end with
    /// [`crate::Store::idempotency_finish`] or [`crate::Store::idempotency_abandon`].
    New,
    /// Another request with the same key and request is being processed.
    InProgress,
    /// The request was completed: answer with the stored response.
    Replay { status: u16, body: String },
    /// The key was used for a different request (another hash): the caller
    /// answers 422 and nothing changes.
    Mismatch,
}

/// A key's stored state (`idempotency_keys.state`).
pub const KEY_IN_PROGRESS: &str = "in_progress";
pub const KEY_DONE: &str = "done";

/// The outcome of `idempotency_begin` for a key that is stored already:
/// `Mismatch` if it was taken for another request hash (whatever its state),
/// else `InProgress` or `Replay` of the stored response. A state the schema
/// does not allow is `Corrupt`.
pub fn idempotency_outcome(
    request_hash: &str,
    stored_hash: &str,
    state: &str,
    status: Option<i64>,
    body: Option<String>,
) -> Result<IdempotencyOutcome, StoreError> {
    if stored_hash != request_hash {
        return Ok(IdempotencyOutcome::Mismatch);
    }
    match (state, status, body) {
        (KEY_IN_PROGRESS, _, _) => Ok(IdempotencyOutcome::InProgress),
        (KEY_DONE, Some(status), Some(body)) => Ok(IdempotencyOutcome::Replay {
            status: u16::try_from(status).map_err(StoreError::corrupt)?,
            body,
        }),
        _ => Err(StoreError::Corrupt(format!(
            "idempotency key in state '{state}'"
        ))),
    }
}

/// Which `begin` call took a key (`owner_nonce`): a begin retried after a
/// lost connection recognises the entry its first attempt stored.
pub fn new_owner_nonce() -> String {
    ulid::Ulid::new().to_string()
}
