//! Liveness, readiness and metrics: unauthenticated, for probes and Prometheus.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/v1/thermaliq/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
}

/// Liveness: the process answers. It does not touch the store, so a database
/// outage does not make Kubernetes restart healthy pods.
#[utoipa::path(
    get,
    path = "/v1/thermaliq/health",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "Success", body = Object),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn health() -> impl IntoResponse {
    axum::Json(json!({
        "status": "ok",
        "service": "thermaliq",
        "version": env!("CARGO_PKG_VERSION"),
        "engine_version": thermaliq_core::ENGINE_VERSION,
    }))
}

/// Readiness: the store answers (migrations ran when it was opened).
/// A Redis outage does not make the replica unready (it serves from its
/// in-process cache) but is reported under `checks.cache`.
#[utoipa::path(
    get,
    path = "/ready",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "Success", body = Object),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let backend = state.store.backend();
    let redis_ok = state.cache.ping().await;
    let cache = json!({
        "ok": redis_ok.unwrap_or(true),
        "backend": state.cache.status().backend,
        "degraded": redis_ok == Some(false),
        "detail": match redis_ok {
            None => "in-process cache (REDIS_URL not set)",
            Some(true) => "redis reachable",
            Some(false) => "redis unreachable: serving from the in-process cache",
        },
    });
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(
                json!({"ready": true, "checks": {"store": {"ok": true, "backend": backend}, "cache": cache}}),
            ),
        ),
        Err(err) => {
            tracing::warn!(error_type = "DatabaseError", error_message = %err, "Readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({"ready": false,
                    "checks": {"store": {"ok": false, "backend": backend, "error": "unreachable"}, "cache": cache}})),
            )
        }
    }
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    state
        .metrics
        .database_connections_active
        .set(i64::from(state.store.connections_active()));
    state
        .metrics
        .database_pool_size
        .set(i64::from(state.store.pool_size()));
    // The backlog: durable jobs queued or running (all replicas) plus the
    // requests on this replica waiting for a calculation slot.
    let waiting = state
        .slot_waiters
        .load(std::sync::atomic::Ordering::Relaxed)
        .max(0);
    // Unknown while the database fails: keep the last value rather than
    // report an empty queue (which would hide exactly the backlog an outage makes).
    match state.store.queue_depth().await {
        Ok(durable) => {
            state.metrics.queue_depth.set(
                i64::try_from(durable)
                    .unwrap_or(i64::MAX)
                    .saturating_add(waiting),
            );
        }
        Err(err) => {
            tracing::warn!(error_type = "DatabaseError", error_message = %err, "Queue depth unknown: the database did not answer");
        }
    };
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
