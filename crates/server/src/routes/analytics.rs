//! Analytics endpoints (issue 10): thin handlers over
//! `service::analytics`; response shapes are `crate::views::analytics`.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use thermaliq_core::FieldProblem;
use thermaliq_store::Scope;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{JsonBody, required_range};
use crate::service::analytics::baselines::{BaselineRequest, baseline_performance, fit_baseline};
use crate::service::analytics::benchmark::{
    BenchmarkOptions, calculation_benchmark, facility_benchmark,
};
use crate::service::analytics::trend::efficiency_trend;
use crate::service::analytics::{parse_interval, trend};
use crate::state::AppState;
use crate::views::analytics::{BaselineView, BenchmarkView, EfficiencyView, PerformanceView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/thermaliq/calculations/{id}/benchmark",
            get(calculation_benchmark_handler),
        )
        .route(
            "/v1/thermaliq/facilities/{id}/benchmark",
            get(facility_benchmark_handler),
        )
        .route("/v1/thermaliq/facilities/{id}/efficiency", get(efficiency))
        .route("/v1/thermaliq/facilities/{id}/baselines", post(baselines))
        .route(
            "/v1/thermaliq/facilities/{id}/baselines/{name}/performance",
            get(performance),
        )
}

type Params = Vec<(String, String)>;

/// The parameters `allowed`, each at most once; anything else is a 400
/// naming it.
fn params<'a>(
    given: &'a Params,
    allowed: &[&str],
) -> Result<std::collections::BTreeMap<&'a str, &'a str>, ApiError> {
    let mut out = std::collections::BTreeMap::new();
    for (k, v) in given {
        if !allowed.contains(&k.as_str()) {
            return Err(ApiError::validation(
                k,
                format!("is not a parameter here; use {}", allowed.join(", ")),
            ));
        }
        if out.insert(k.as_str(), v.as_str()).is_some() {
            return Err(ApiError::validation(k, "is given twice"));
        }
    }
    Ok(out)
}

fn range(
    p: &std::collections::BTreeMap<&str, &str>,
) -> Result<(time::OffsetDateTime, time::OffsetDateTime), ApiError> {
    let mut problems: Vec<FieldProblem> = Vec::new();
    match required_range(p.get("from").copied(), p.get("to").copied(), &mut problems) {
        Some(r) if problems.is_empty() => Ok(r),
        _ => Err(ApiError::Validation {
            status: StatusCode::BAD_REQUEST,
            details: problems,
        }),
    }
}

fn options(p: &std::collections::BTreeMap<&str, &str>) -> Result<BenchmarkOptions, ApiError> {
    let capacity_kw = match p.get("capacity_kw") {
        None => None,
        Some(t) => Some(
            t.parse::<f64>()
                .ok()
                .filter(|c| c.is_finite() && *c > 0.0)
                .ok_or_else(|| ApiError::validation("capacity_kw", "must be a number > 0 (kW)"))?,
        ),
    };
    Ok(BenchmarkOptions {
        process_type: p.get("process_type").map(|s| (*s).to_owned()),
        fuel: p.get("fuel").map(|s| (*s).to_owned()),
        capacity_kw,
    })
}

const BENCHMARK_PARAMS: [&str; 3] = ["process_type", "fuel", "capacity_kw"];

#[utoipa::path(
    get,
    path = "/v1/thermaliq/calculations/{id}/benchmark",
    tag = "analytics",
    params(("id" = String, Path, description = "Identifier")),
    responses(
        (status = 200, description = "Success", body = crate::views::analytics::BenchmarkView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn calculation_benchmark_handler(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(given): Query<Params>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let p = params(&given, &BENCHMARK_PARAMS)?;
    let report = calculation_benchmark(&state, &id, options(&p)?).await?;
    Ok(Json(BenchmarkView::from(report)).into_response())
}

#[utoipa::path(
    get,
    path = "/v1/thermaliq/facilities/{id}/benchmark",
    tag = "analytics",
    params(("id" = String, Path, description = "Identifier"), ("from" = Option<String>, Query), ("to" = Option<String>, Query), ("process_type" = Option<String>, Query), ("fuel" = Option<String>, Query), ("capacity_kw" = Option<String>, Query)),
    responses(
        (status = 200, description = "Success", body = crate::views::analytics::BenchmarkView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn facility_benchmark_handler(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(given): Query<Params>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let p = params(
        &given,
        &["from", "to", "process_type", "fuel", "capacity_kw"],
    )?;
    let (from, to) = range(&p)?;
    let report = facility_benchmark(&state, &id, from, to, options(&p)?).await?;
    Ok(Json(BenchmarkView::from(report)).into_response())
}

#[utoipa::path(
    get,
    path = "/v1/thermaliq/facilities/{id}/efficiency",
    tag = "analytics",
    params(("id" = String, Path, description = "Identifier"), ("from" = Option<String>, Query), ("to" = Option<String>, Query), ("interval" = Option<String>, Query)),
    responses(
        (status = 200, description = "Success", body = crate::views::analytics::EfficiencyView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn efficiency(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(given): Query<Params>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let p = params(&given, &["from", "to", "interval"])?;
    let (from, to) = range(&p)?;
    let interval = parse_interval(
        "interval",
        p.get("interval").copied().unwrap_or("day"),
        &trend::INTERVALS,
    )?;
    let report = efficiency_trend(&state, &id, from, to, interval).await?;
    Ok(Json(EfficiencyView::from(report)).into_response())
}

#[utoipa::path(
    post,
    path = "/v1/thermaliq/facilities/{id}/baselines",
    tag = "analytics",
    params(("id" = String, Path, description = "Identifier")),
    request_body(content = Object, description = "JSON document; see docs/API.md", content_type = "application/json"),
    responses(
        (status = 201, description = "Success", body = crate::views::analytics::BaselineView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn baselines(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<BaselineRequest>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Calculate)?;
    let doc = fit_baseline(&state, &id, request, &caller.name).await?;
    Ok((StatusCode::CREATED, Json(BaselineView::from(doc))).into_response())
}

#[utoipa::path(
    get,
    path = "/v1/thermaliq/facilities/{id}/baselines/{name}/performance",
    tag = "analytics",
    params(("id" = String, Path, description = "Identifier"), ("name" = String, Path, description = "Baseline name"), ("from" = Option<String>, Query), ("to" = Option<String>, Query)),
    responses(
        (status = 200, description = "Success", body = crate::views::analytics::PerformanceView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn performance(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
    Query(given): Query<Params>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let p = params(&given, &["from", "to"])?;
    let (from, to) = range(&p)?;
    let report = baseline_performance(&state, &id, &name, from, to).await?;
    Ok(Json(PerformanceView::from(report)).into_response())
}
