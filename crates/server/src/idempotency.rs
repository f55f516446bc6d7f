//! `Idempotency-Key` on POSTs: a client that retries a request (after a
//! timeout, on another replica) with the same key gets the first answer
//! instead of a second calculation. Keys are scoped by token and kept 24 h.
//!
//! Only acknowledgements (201, 202) are recorded; any other answer releases
//! the key, so a retry runs again (validation errors are deterministic, and
//! a 503 is exactly what a retry should get past).

use std::future::Future;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use thermaliq_core::provenance::sha256_hex;
use thermaliq_store::IdempotencyOutcome;

use crate::error::ApiError;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
const MAX_KEY_LEN: usize = 255;
const MAX_RECORDED_BODY: usize = 1024 * 1024;

/// Runs `work` once per (token, key); replays the recorded answer otherwise.
pub async fn guarded<F>(
    state: &AppState,
    principal: &str,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
    work: F,
) -> Response
where
    F: Future<Output = Response>,
{
    let Some(raw) = headers.get(HEADER) else {
        return work.await;
    };
    let key = match raw.to_str() {
        Ok(k)
            if !k.is_empty()
                && k.len() <= MAX_KEY_LEN
                && k.chars().all(|c| c.is_ascii_graphic()) =>
        {
            k.to_owned()
        }
        _ => {
            return ApiError::validation(
                "Idempotency-Key",
                format!("must be 1 to {MAX_KEY_LEN} visible ASCII characters"),
            )
            .into_response();
        }
    };
    let mut fingerprint = Vec::with_capacity(path.len() + 1 + body.len());
    fingerprint.extend_from_slice(path.as_bytes());
    fingerprint.push(b'\n');
    fingerprint.extend_from_slice(body);
    let request_hash = sha256_hex(&fingerprint);
    match state
        .store
        .idempotency_begin(&key, principal, &request_hash)
        .await
    {
        Err(err) => ApiError::from(err).into_response(),
        Ok(IdempotencyOutcome::InProgress) => ApiError::Validation {
            status: StatusCode::CONFLICT,
            details: vec![thermaliq_core::FieldProblem::new(
                "Idempotency-Key",
                "a request with this key is still being processed; retry shortly",
            )],
        }
        .into_response(),
        Ok(IdempotencyOutcome::Mismatch) => ApiError::Validation {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            details: vec![thermaliq_core::FieldProblem::new(
                "Idempotency-Key",
                "was already used with a different request",
            )],
        }
        .into_response(),
        Ok(IdempotencyOutcome::Replay { status, body }) => replay(status, body),
        Ok(IdempotencyOutcome::New) => {
            let response = work.await;
            let status = response.status();
            if status == StatusCode::CREATED || status == StatusCode::ACCEPTED {
                let (parts, body) = response.into_parts();
                match axum::body::to_bytes(body, MAX_RECORDED_BODY).await {
                    Ok(bytes) => {
                        let text = String::from_utf8_lossy(&bytes).into_owned();
                        let recorded = state
                            .store
                            .idempotency_finish(&key, principal, status.as_u16(), &text)
                            .await;
                        if let Err(err) = recorded {
                            // The work is done and stored; a key left "in progress"
                            // would answer 409 to the client's retry for minutes,
                            // then run it twice. Free it and say so.
                            tracing::warn!(
                                component = "Idempotency",
                                error_type = "DatabaseError",
                                error_message = %err,
                                "Idempotency answer not recorded; key released"
                            );
                            abandon(state, &key, principal).await;
                        }
                        Response::from_parts(parts, Body::from(bytes))
                    }
                    Err(_) => {
                        abandon(state, &key, principal).await;
                        ApiError::Internal("response body could not be recorded".to_owned())
                            .into_response()
                    }
                }
            } else {
                abandon(state, &key, principal).await;
                response
            }
        }
    }
}

/// Frees a key; a failure is logged (housekeeping frees stale keys later).
async fn abandon(state: &AppState, key: &str, principal: &str) {
    if let Err(err) = state.store.idempotency_abandon(key, principal).await {
        tracing::warn!(
            component = "Idempotency",
            error_type = "DatabaseError",
            error_message = %err,
            "Idempotency key not released; housekeeping releases it later"
        );
    }
}

fn replay(status: u16, body: String) -> Response {
    let location = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v["calculation_id"]
                .as_str()
                .map(|id| format!("/v1/thermaliq/calculations/{id}"))
                .or_else(|| v["status_url"].as_str().map(str::to_owned))
        });
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    if let Some(v) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, v);
    }
    response
}
