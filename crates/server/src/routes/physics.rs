//! Stateless physics look-ups: `GET /steam` (IAPWS-IF97) and
//! `POST /combustion` (ASME PTC 4 combustion losses). Nothing is stored.

use axum::Router;
use axum::body::Bytes;
use axum::extract::Query;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use thermaliq_core::request::parse_json_document;
use thermaliq_core::steam::{query_from_params, resolve, thermo_problem};
use thermaliq_store::Scope;
use thermo::combustion::{CombustionInput, analyze_combustion};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::read_body;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/thermaliq/steam", get(steam))
        .route("/v1/thermaliq/combustion", post(combustion))
}

/// `GET /steam?pressure_mpa=3&temperature_k=300` (or bar/kPa, °C, h, s, x, saturated).
#[utoipa::path(
    get,
    path = "/v1/thermaliq/steam",
    tag = "physics",
    params(("pressure_kpa" = Option<String>, Query), ("temperature_c" = Option<String>, Query)),
    responses(
        (status = 200, description = "Success", body = Object),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn steam(
    caller: Caller,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let query = query_from_params(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let state = resolve(&query)?;
    Ok(axum::Json(state).into_response())
}

/// `POST /combustion`: the combustion losses of a fuel at measured flue-gas conditions.
#[utoipa::path(
    post,
    path = "/v1/thermaliq/combustion",
    tag = "physics",
    request_body(content = Object, description = "JSON document; see docs/API.md", content_type = "application/json"),
    responses(
        (status = 200, description = "Success", body = Object),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn combustion(
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let body = read_body(body)?;
    let input: CombustionInput = parse_json_document(&body)?;
    let result = analyze_combustion(&input).map_err(|e| ApiError::from(thermo_problem("", e)))?;
    Ok(axum::Json(result).into_response())
}
