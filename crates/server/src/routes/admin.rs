//! Admin operations (admin scope): the cache (runbook scenario 6) and API
//! tokens. Thin: the work is in `service::tokens` and the cache.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use thermaliq_core::request::parse_json_document;
use thermaliq_store::Scope;
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::read_body;
use crate::service::tokens;
use crate::state::AppState;
use crate::views::{
    CacheInvalidationView, CacheStatsView, TokenCreatedView, TokenListView, TokenRevokedView,
    TokenView,
};

/// Key namespaces the service writes. An invalidation walks only these, so
/// it cannot reach another application's keys in a shared Redis; `*`
/// (with `"all": true`) means all of them, never a bare `SCAN MATCH *`.
pub const NAMESPACES: [&str; 4] = ["calculation:", "sankey:", "historian:", "energy_meter:"];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/thermaliq/admin/cache/stats", get(stats))
        .route("/v1/thermaliq/admin/cache/invalidate", post(invalidate))
        .route(
            "/v1/thermaliq/admin/tokens",
            get(list_tokens).post(create_token),
        )
        .route("/v1/thermaliq/admin/tokens/{name}", delete(revoke_token))
}

#[utoipa::path(
    get,
    path = "/v1/thermaliq/admin/cache/stats",
    tag = "admin",
    responses(
        (status = 200, description = "Success", body = crate::views::CacheStatsView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn stats(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require(Scope::Admin)?;
    let s = state.cache.status();
    let lookups = s.hits + s.misses;
    Ok(axum::Json(CacheStatsView {
        backend: s.backend,
        redis_healthy: s.redis_healthy,
        hits: s.hits,
        misses: s.misses,
        hit_rate: (lookups > 0).then(|| s.hits as f64 / lookups as f64),
        redis_errors: s.redis_errors,
        local_entries: s.local_entries,
        calculation_cache_ttl_seconds: state.settings.calculation_cache_ttl.as_secs_f64(),
        compression: state.settings.cache_compression_enabled,
    })
    .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CacheInvalidateRequest)]
pub struct InvalidateRequest {
    pub pattern: Option<String>,
    /// Must be `true` for `*` (every ThermalIQ namespace).
    pub all: Option<bool>,
}

/// The namespaced patterns an invalidation request walks.
pub fn invalidation_patterns(req: &InvalidateRequest) -> Result<Vec<String>, ApiError> {
    let all = req.all.unwrap_or(false);
    let pattern = req.pattern.as_deref().unwrap_or(if all { "*" } else { "" });
    if pattern.chars().any(|c| matches!(c, '?' | '[' | ']' | '\\')) {
        return Err(ApiError::validation(
            "pattern",
            "may use * as its only wildcard (no ?, [ ] or \\)",
        ));
    }
    if pattern == "*" {
        if !all {
            return Err(ApiError::validation(
                "all",
                "must be true to invalidate every ThermalIQ key (pattern *); or name a namespace, e.g. calculation:*",
            ));
        }
        return Ok(NAMESPACES.iter().map(|ns| format!("{ns}*")).collect());
    }
    if all {
        return Err(ApiError::validation(
            "all",
            "goes only with pattern * (or no pattern)",
        ));
    }
    if !NAMESPACES.iter().any(|ns| pattern.starts_with(ns)) {
        return Err(ApiError::validation(
            "pattern",
            "must start with calculation:, sankey:, historian: or energy_meter: (e.g. calculation:*), or be * with \"all\": true",
        ));
    }
    Ok(vec![pattern.to_owned()])
}

#[utoipa::path(
    post,
    path = "/v1/thermaliq/admin/cache/invalidate",
    tag = "admin",
    request_body(content = InvalidateRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Success", body = crate::views::CacheInvalidationView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn invalidate(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Admin)?;
    let body = read_body(body)?;
    let req: InvalidateRequest = parse_json_document(&body)?;
    let patterns = invalidation_patterns(&req)?;
    let refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
    let outcome = state.cache.invalidate_patterns(&refs).await;
    let pattern = req.pattern.unwrap_or_else(|| "*".to_owned());
    tracing::info!(
        pattern = pattern.as_str(),
        removed = outcome.removed,
        scan_steps = outcome.steps,
        complete = outcome.complete,
        caller = caller.name.as_str(),
        "Cache invalidated"
    );
    Ok(axum::Json(CacheInvalidationView {
        pattern,
        patterns,
        removed: outcome.removed,
        scan_steps: outcome.steps,
        complete: outcome.complete,
    })
    .into_response())
}

#[utoipa::path(
    get,
    path = "/v1/thermaliq/admin/tokens",
    tag = "admin",
    responses(
        (status = 200, description = "Success", body = crate::views::TokenListView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require(Scope::Admin)?;
    let now = OffsetDateTime::now_utc();
    let tokens = tokens::list(state.store.as_ref()).await?;
    Ok(axum::Json(TokenListView {
        tokens: tokens.iter().map(|t| TokenView::new(t, now)).collect(),
    })
    .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    pub name: String,
    /// `read`, `calculate` or `admin`.
    #[schema(value_type = String)]
    pub scope: Scope,
    pub expires_in_days: Option<u32>,
}

#[utoipa::path(
    post,
    path = "/v1/thermaliq/admin/tokens",
    tag = "admin",
    request_body(content = CreateTokenRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Success", body = crate::views::TokenCreatedView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Admin)?;
    let body = read_body(body)?;
    let req: CreateTokenRequest = parse_json_document(&body)?;
    let created = tokens::create(
        state.store.as_ref(),
        &req.name,
        req.scope,
        req.expires_in_days,
        &caller.name,
    )
    .await?;
    tracing::info!(
        token_name = req.name.as_str(),
        scope = req.scope.as_str(),
        "Token created"
    );
    let info = TokenView::new(&created.record, OffsetDateTime::now_utc());
    Ok((
        StatusCode::CREATED,
        axum::Json(TokenCreatedView {
            info,
            token: created.token,
        }),
    )
        .into_response())
}

#[utoipa::path(
    delete,
    path = "/v1/thermaliq/admin/tokens/{name}",
    tag = "admin",
    params(("name" = String, Path, description = "Token name")),
    responses(
        (status = 200, description = "Success", body = crate::views::TokenRevokedView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Admin)?;
    tokens::revoke(state.store.as_ref(), &name, &caller.name).await?;
    tracing::info!(token_name = name.as_str(), "Token revoked");
    Ok(axum::Json(TokenRevokedView {
        name,
        revoked: true,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(pattern: Option<&str>, all: Option<bool>) -> InvalidateRequest {
        InvalidateRequest {
            pattern: pattern.map(str::to_owned),
            all,
        }
    }

    #[test]
    fn a_bare_star_needs_all_and_stays_in_the_namespaces() {
        assert!(invalidation_patterns(&req(Some("*"), None)).is_err());
        assert!(invalidation_patterns(&req(Some("*"), Some(false))).is_err());
        let all = invalidation_patterns(&req(Some("*"), Some(true))).unwrap();
        assert_eq!(
            all,
            ["calculation:*", "sankey:*", "historian:*", "energy_meter:*"]
        );
        assert_eq!(invalidation_patterns(&req(None, Some(true))).unwrap(), all);
        assert_eq!(
            invalidation_patterns(&req(Some("calculation:CALC-1*"), None)).unwrap(),
            ["calculation:CALC-1*"]
        );
        for bad in [
            "",
            "other:*",
            "*calculation:*",
            "calculation:[a]*",
            "sankey:?",
        ] {
            assert!(
                invalidation_patterns(&req(Some(bad), None)).is_err(),
                "{bad}"
            );
        }
        assert!(invalidation_patterns(&req(Some("calculation:*"), Some(true))).is_err());
    }
}
