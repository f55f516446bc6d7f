//! `GET /v1/thermaliq/admin/meters/check?facility_id=ID`: tests each of a
//! facility's sources (runbook scenario 3, "Verify Credentials").

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use thermaliq_store::Scope;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::service::meters;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/thermaliq/admin/meters/check", get(check))
}

#[derive(Deserialize)]
pub(super) struct CheckQuery {
    facility_id: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/thermaliq/admin/meters/check",
    tag = "admin",
    params(("facility_id" = String, Query, description = "The facility whose energy-meter sources are tested")),
    responses(
        (status = 200, description = "Each source's connectivity and credentials (the service's meters check report)", body = Object),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn check(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<CheckQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Admin)?;
    let Query(query) = query.map_err(|e| ApiError::validation("query", e.body_text()))?;
    let Some(facility_id) = query.facility_id.filter(|f| !f.is_empty()) else {
        return Err(ApiError::validation(
            "facility_id",
            "is required, e.g. ?facility_id=FAC-001",
        ));
    };
    let report = meters::check_facility(state.store.as_ref(), &state.meters, &facility_id).await?;
    Ok(axum::Json(report).into_response())
}
