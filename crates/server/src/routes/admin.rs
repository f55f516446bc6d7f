//! Admin operations on the cache (runbook scenario 6): statistics and
//! invalidation by key pattern.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use thermaliq_core::request::parse_json_document;
use thermaliq_store::Scope;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::read_body;
use crate::state::AppState;

/// Key namespaces the service writes; a pattern must start with one of them
/// (or be `*`), so an invalidation cannot reach another application's keys.
const NAMESPACES: [&str; 4] = ["calculation:", "sankey:", "historian:", "energy_meter:"];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/thermaliq/admin/cache/stats", get(stats))
        .route("/v1/thermaliq/admin/cache/invalidate", post(invalidate))
}

async fn stats(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Scope::Admin)?;
    let s = state.cache.status();
    let lookups = s.hits + s.misses;
    Ok(axum::Json(json!({
        "backend": s.backend,
        "redis_healthy": s.redis_healthy,
        "hits": s.hits,
        "misses": s.misses,
        "hit_rate": if lookups > 0 { Some(s.hits as f64 / lookups as f64) } else { None },
        "redis_errors": s.redis_errors,
        "local_entries": s.local_entries,
        "calculation_cache_ttl_seconds": state.settings.calculation_cache_ttl.as_secs_f64(),
        "compression": state.settings.cache_compression_enabled,
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvalidateRequest {
    pattern: Option<String>,
}

async fn invalidate(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Admin)?;
    let body = read_body(body)?;
    let req: InvalidateRequest = parse_json_document(&body)?;
    let pattern = req.pattern.unwrap_or_default();
    if !(pattern == "*" || NAMESPACES.iter().any(|ns| pattern.starts_with(ns))) {
        return Err(ApiError::validation(
            "pattern",
            "must be * or start with calculation:, sankey:, historian: or energy_meter: (e.g. calculation:*)",
        ));
    }
    let removed = state.cache.invalidate_pattern(&pattern).await;
    tracing::info!(
        pattern = pattern.as_str(),
        removed,
        caller = caller.name.as_str(),
        "Cache invalidated"
    );
    Ok(axum::Json(json!({"pattern": pattern, "removed": removed})).into_response())
}
