//! `/v1/thermaliq/calculate`, `/calculate/batch`, `/recalculate` and
//! `/calculations...`: thin handlers over `service::calculate` and
//! `service::lifecycle`; response shapes are `crate::views`.

use analytics::uncertainty::engine::Propagation;
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::value::RawValue;
use thermaliq_core::FieldProblem;
use thermaliq_core::request::parse_json_document;
use thermaliq_store::{CalculationQuery, CalculationRecord, Scope};
use tracing::Span;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorLogContext};
use crate::extract::{JsonBody, RawBody, parse_instant, required_range};
use crate::service::analytics::uncertainty;
use crate::service::calculate::{Origin, calculate, calculate_batch, validate_only};
use crate::service::{ServiceError, jobs, lifecycle, views};
use crate::state::AppState;
use crate::views::{
    AcceptedJobView, BatchItemView, BatchView, CalculationListView, CalculationSummaryView,
    CalculationView, InvalidationView, VerificationView,
};

const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 1000;
/// The longest request payload copied into an error log line.
const MAX_LOGGED_PAYLOAD: usize = 4096;
/// A batch item's body is about this many bytes at most (the largest process
/// requests); the batch endpoint's body limit is this times `CALCULATION_BATCH_MAX`.
const BATCH_ITEM_BYTES: usize = 4096;

pub fn router(batch_max: usize) -> Router<AppState> {
    let batch_limit = (batch_max * BATCH_ITEM_BYTES).max(crate::app::MAX_BODY_BYTES);
    Router::new()
        .route("/v1/thermaliq/calculate", post(calculate_one))
        .route(
            "/v1/thermaliq/calculate/batch",
            post(batch).layer(DefaultBodyLimit::max(batch_limit)),
        )
        .route("/v1/thermaliq/recalculate", post(recalculate))
        .route("/v1/thermaliq/calculations", get(list))
        .route("/v1/thermaliq/calculations/invalidate", post(invalidate))
        .route("/v1/thermaliq/calculations/{id}", get(get_one))
        .route("/v1/thermaliq/calculations/{id}/verify", get(verify))
        .route(
            "/v1/thermaliq/calculations/{id}/opportunities",
            get(opportunities),
        )
}

/// `?async=true|false`, and nothing else.
fn asynchronous(params: &[(String, String)]) -> Result<bool, ApiError> {
    let mut asynchronous = false;
    for (key, value) in params {
        match (key.as_str(), value.as_str()) {
            ("async", "true" | "1") => asynchronous = true,
            ("async", "false" | "0") => asynchronous = false,
            ("async", _) => return Err(ApiError::validation("async", "must be true or false")),
            (other, _) => {
                return Err(ApiError::validation(other, "is not a parameter; use async"));
            }
        }
    }
    Ok(asynchronous)
}

/// `POST /calculate`. `?async=true` validates now, queues the calculation and
/// answers `202` with the job's URL. `Idempotency-Key` dedupes client retries.
#[utoipa::path(
    post,
    path = "/v1/thermaliq/calculate",
    tag = "calculations",
    params(("async" = Option<String>, Query)),
    request_body(content = Object, description = "JSON document; see docs/API.md", content_type = "application/json"),
    responses(
        (status = 201, description = "Success", body = crate::views::CalculationView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn calculate_one(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
    RawBody(body): RawBody,
) -> Response {
    let asynchronous = match asynchronous(&params) {
        Ok(a) => a,
        Err(err) => return err.into_response(),
    };
    if let Err(err) = caller.require(Scope::Calculate) {
        return err.into_response();
    }
    let path = if asynchronous {
        "/v1/thermaliq/calculate?async=true"
    } else {
        "/v1/thermaliq/calculate"
    };
    let work = async {
        if asynchronous {
            return with_payload(enqueue_calculation(&state, &body).await, &body);
        }
        let outcome = match calculate(&state, &body, Origin::default()).await {
            Ok(record) => Ok(created(&state, record).await),
            Err(err) => Err(ApiError::from(err)),
        };
        with_payload(outcome, &body)
    };
    crate::idempotency::guarded(&state, &caller.name, &headers, path, &body, work).await
}

async fn enqueue_calculation(state: &AppState, body: &[u8]) -> Result<Response, ApiError> {
    validate_only(state, body)?;
    let payload = serde_json::json!({"body": String::from_utf8_lossy(body)});
    let job = jobs::enqueue(state, jobs::CALCULATE, payload, None).await?;
    tracing::info!(job_id = job.job_id.as_str(), "Calculation queued");
    Ok(AcceptedJobView::from(&job).into_response())
}

/// `201 Created` with the calculation and its URL.
async fn created(state: &AppState, record: CalculationRecord) -> Response {
    let location = format!("/v1/thermaliq/calculations/{}", record.calculation_id);
    let view = match views::view_with_uncertainty(state, &record, Propagation::Taylor).await {
        Ok(view) => view,
        Err(err) => {
            tracing::warn!(error = %err, "Uncertainty not computed");
            CalculationView::from(&record)
        }
    };
    let mut response = (StatusCode::CREATED, Json(view)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// An error's log line carries the request body as one compact line (first
/// 4 KiB), as the runbook's `jq -r '.request_payload' | head -1` expects;
/// never the client.
fn with_payload(outcome: Result<Response, ApiError>, body: &[u8]) -> Response {
    outcome.unwrap_or_else(|err| {
        let mut response = err.into_response();
        let text = crate::error::loggable_payload(body, MAX_LOGGED_PAYLOAD);
        response.extensions_mut().insert(ErrorLogContext {
            request_payload: Some(text),
        });
        response
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CalculateBatchRequest)]
pub(super) struct BatchRequest<'a> {
    /// Each item is a `POST /calculate` body.
    #[serde(borrow)]
    #[schema(value_type = Option<Vec<Object>>)]
    calculations: Option<Vec<&'a RawValue>>,
}

/// `POST /calculate/batch {"calculations": [<calculate request>, …]}`: each
/// item validated and computed on its own, every row stored through the
/// group commit; `201` with one result per item in request order.
#[utoipa::path(
    post,
    path = "/v1/thermaliq/calculate/batch",
    tag = "calculations",
    request_body(content = BatchRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Success", body = crate::views::BatchView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn batch(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Response {
    if let Err(err) = caller.require(Scope::Calculate) {
        return err.into_response();
    }
    let work = async {
        let outcome = async {
            let request: BatchRequest = parse_json_document_borrowed(&body)?;
            let max = state.settings.calculation_batch_max;
            let items = match request.calculations {
                None => return Err(ApiError::validation("calculations", "is required")),
                Some(items) if items.is_empty() => {
                    return Err(ApiError::validation(
                        "calculations",
                        "must hold at least one calculation request",
                    ));
                }
                Some(items) if items.len() > max => {
                    return Err(ApiError::validation(
                        "calculations",
                        format!(
                            "holds {} requests; at most {max} (CALCULATION_BATCH_MAX)",
                            items.len()
                        ),
                    ));
                }
                Some(items) => items,
            };
            let items: Vec<Box<RawValue>> = items.into_iter().map(RawValue::to_owned).collect();
            let outcomes = calculate_batch(&state, &items).await;
            Ok(batch_response(outcomes))
        }
        .await;
        with_payload(outcome, &body)
    };
    crate::idempotency::guarded(
        &state,
        &caller.name,
        &headers,
        "/v1/thermaliq/calculate/batch",
        &body,
        work,
    )
    .await
}

/// `parse_json_document` for a type that borrows from the body.
fn parse_json_document_borrowed<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|err| {
        let problem = if err.is_data() {
            FieldProblem::new("calculations", format!("{err}"))
        } else {
            FieldProblem::new("body", format!("is not valid JSON: {err}"))
        };
        ApiError::Validation {
            status: StatusCode::BAD_REQUEST,
            details: vec![problem],
        }
    })
}

fn batch_response(outcomes: Vec<Result<CalculationRecord, ServiceError>>) -> Response {
    let mut stored = 0;
    let results: Vec<BatchItemView> = outcomes
        .into_iter()
        .enumerate()
        .map(|(index, outcome)| match outcome {
            Ok(record) => {
                stored += 1;
                BatchItemView::Stored {
                    index,
                    calculation_id: record.calculation_id,
                    status: record.status.to_string(),
                    efficiency: record.efficiency,
                }
            }
            Err(err) => {
                if matches!(err, ServiceError::CalculationFailed { .. }) {
                    stored += 1;
                }
                BatchItemView::Refused {
                    index,
                    error: ApiError::from(err).item_view(),
                }
            }
        })
        .collect();
    let view = BatchView {
        count: results.len(),
        failed: results
            .iter()
            .filter(|r| matches!(r, BatchItemView::Refused { .. }))
            .count(),
        stored,
        results,
    };
    (StatusCode::CREATED, Json(view)).into_response()
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RecalculateRequest {
    original_calculation_id: Option<String>,
}

/// `POST /recalculate`: the stored request, through today's engine and
/// settings, as a new calculation that names the original.
#[utoipa::path(
    post,
    path = "/v1/thermaliq/recalculate",
    tag = "calculations",
    request_body(content = RecalculateRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Success", body = crate::views::CalculationView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn recalculate(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Response {
    let work = async {
        let outcome = async {
            caller.require(Scope::Calculate)?;
            let req: RecalculateRequest = parse_json_document(&body)?;
            let id = req
                .original_calculation_id
                .filter(|id| !id.trim().is_empty())
                .ok_or_else(|| ApiError::validation("original_calculation_id", "is required"))?;
            let record = lifecycle::recalculate(&state, &id).await?;
            Ok(created(&state, record).await)
        }
        .await;
        with_payload(outcome, &body)
    };
    crate::idempotency::guarded(
        &state,
        &caller.name,
        &headers,
        "/v1/thermaliq/recalculate",
        &body,
        work,
    )
    .await
}

#[utoipa::path(
    get,
    path = "/v1/thermaliq/calculations/{id}",
    tag = "calculations",
    params(("id" = String, Path, description = "Identifier"), ("uncertainty" = Option<String>, Query), ("samples" = Option<String>, Query), ("seed" = Option<String>, Query)),
    responses(
        (status = 200, description = "Success", body = crate::views::CalculationView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let mut given = std::collections::BTreeMap::new();
    for (k, v) in &params {
        if !matches!(k.as_str(), "uncertainty" | "samples" | "seed") {
            return Err(ApiError::validation(
                k,
                "is not a parameter; use uncertainty, samples, seed",
            ));
        }
        given.insert(k.as_str(), v.as_str());
    }
    let propagation = uncertainty::propagation(
        &state,
        given.get("uncertainty").copied(),
        given.get("samples").copied(),
        given.get("seed").copied(),
    )?;
    if propagation != Propagation::Taylor {
        // Monte Carlo is a cross-check on request: computed, never cached.
        let record = lifecycle::load(&state, &id).await?;
        let view = views::view_with_uncertainty(&state, &record, propagation).await?;
        return Ok(Json(view).into_response());
    }
    Span::current().record("calculation_id", id.as_str());
    let body = views::calculation_view(&state, &id).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `GET /calculations/{id}/verify`.
#[utoipa::path(
    get,
    path = "/v1/thermaliq/calculations/{id}/verify",
    tag = "calculations",
    params(("id" = String, Path, description = "Identifier")),
    responses(
        (status = 200, description = "Success", body = crate::views::VerificationView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<VerificationView>, ApiError> {
    caller.require(Scope::Read)?;
    let (r, report) = lifecycle::verify(&state, &id).await?;
    Ok(Json(VerificationView {
        report,
        calculation_id: r.calculation_id,
        status: r.status.to_string(),
        input_hash: r.input_hash,
        output_hash: r.output_hash,
    }))
}

/// The filters of `GET /calculations`, and whether CSV was asked for.
fn list_query(params: &[(String, String)]) -> Result<(CalculationQuery, bool), ApiError> {
    let mut query = CalculationQuery {
        limit: DEFAULT_PAGE,
        ..CalculationQuery::default()
    };
    let mut csv = false;
    let mut problems = Vec::new();
    for (key, value) in params {
        let check = match key.as_str() {
            "facility_id" => {
                query.facility_id = Some(value.clone());
                Ok(())
            }
            "status" => match (value.as_str(), value.parse()) {
                ("completed" | "failed" | "invalid", Ok(status)) => {
                    query.status = Some(status);
                    Ok(())
                }
                _ => Err(ApiError::validation(
                    "status",
                    "must be one of completed, failed, invalid",
                )),
            },
            "from" => parse_instant("from", value).map(|t| query.created_from = Some(t)),
            "to" => parse_instant("to", value).map(|t| query.created_to = Some(t)),
            "limit" => match value.parse::<u32>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => {
                    query.limit = n;
                    Ok(())
                }
                _ => Err(ApiError::validation(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_PAGE}"),
                )),
            },
            "cursor" => {
                if value.starts_with("CALC-") {
                    query.before_id = Some(value.clone());
                    Ok(())
                } else {
                    Err(ApiError::validation(
                        "cursor",
                        "must be the next_cursor of a previous page",
                    ))
                }
            }
            "format" => match value.as_str() {
                "json" => Ok(()),
                "csv" => {
                    csv = true;
                    Ok(())
                }
                _ => Err(ApiError::validation("format", "must be json or csv")),
            },
            other => Err(ApiError::validation(
                other,
                "is not a filter; use facility_id, status, from, to, limit, cursor, format",
            )),
        };
        if let Err(ApiError::Validation { details, .. }) = check {
            problems.extend(details);
        }
    }
    if let (Some(from), Some(to)) = (query.created_from, query.created_to)
        && to <= from
    {
        problems.push(FieldProblem::new("to", "must be after from"));
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation {
            status: StatusCode::BAD_REQUEST,
            details: problems,
        });
    }
    Ok((query, csv))
}

/// `GET /calculations?facility_id=&status=&from=&to=&limit=&cursor=&format=`.
#[utoipa::path(
    get,
    path = "/v1/thermaliq/calculations",
    tag = "calculations",
    params(("status" = Option<String>, Query), ("from" = Option<String>, Query), ("to" = Option<String>, Query), ("limit" = Option<String>, Query), ("cursor" = Option<String>, Query), ("format" = Option<String>, Query)),
    responses(
        (status = 200, description = "Success", body = crate::views::CalculationListView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let (mut query, csv) = list_query(&params)?;
    let page_size = query.limit as usize;
    query.limit += 1; // one more tells whether another page exists
    let mut rows = state.store.list_calculations(&query).await?;
    let next_cursor = if rows.len() > page_size {
        rows.truncate(page_size);
        rows.last().map(|r| r.calculation_id.clone())
    } else {
        None
    };

    if csv {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        if let Some(cursor) = next_cursor
            .as_deref()
            .and_then(|c| HeaderValue::from_str(c).ok())
        {
            headers.insert("x-next-cursor", cursor);
        }
        return Ok((headers, crate::csv::calculations(&rows)).into_response());
    }
    let calculations: Vec<CalculationSummaryView> =
        rows.iter().map(CalculationSummaryView::from).collect();
    Ok(Json(CalculationListView {
        count: calculations.len(),
        calculations,
        next_cursor,
    })
    .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CalculationInvalidateRequest)]
pub(super) struct InvalidateRequest {
    facility_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    reason: Option<String>,
}

/// `POST /calculations/invalidate`: marks calculations created in
/// `[from, to)` (optionally of one facility) `invalid` with a reason, as the
/// runbook's recalculate-after-fix procedure does by SQL.
#[utoipa::path(
    post,
    path = "/v1/thermaliq/calculations/invalidate",
    tag = "calculations",
    request_body(content = InvalidateRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Success", body = crate::views::InvalidationView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn invalidate(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<InvalidateRequest>,
) -> Result<Json<InvalidationView>, ApiError> {
    caller.require(Scope::Admin)?;
    let mut problems = Vec::new();
    let range = required_range(req.from.as_deref(), req.to.as_deref(), &mut problems);
    let reason = req.reason.map(|r| r.trim().to_owned()).unwrap_or_default();
    if reason.is_empty() || reason.chars().count() > 500 {
        problems.push(FieldProblem::new(
            "reason",
            "is required: 1 to 500 characters saying why",
        ));
    }
    let (Some(range), true) = (range, problems.is_empty()) else {
        return Err(ApiError::Validation {
            status: StatusCode::BAD_REQUEST,
            details: problems,
        });
    };
    let ids = lifecycle::invalidate(&state, req.facility_id, range, &reason, &caller.name).await?;
    Ok(Json(InvalidationView {
        invalidated: ids.len(),
        calculation_ids: ids,
        reason,
    }))
}

/// Defaults of `GET /calculations/{id}/opportunities` when the query does not set them.
const DEFAULT_OPERATING_HOURS: f64 = 8000.0;
const DEFAULT_DISCOUNT_RATE: &str = "0.08";
const DEFAULT_HORIZON_YEARS: u32 = 10;

/// `GET /calculations/{id}/opportunities?fuel_price_per_mwh=&currency=&operating_hours_per_year=&discount_rate=&horizon_years=&target_o2_pct_dry=`.
#[utoipa::path(
    get,
    path = "/v1/thermaliq/calculations/{id}/opportunities",
    tag = "calculations",
    params(("id" = String, Path, description = "Identifier"), ("fuel_price_per_mwh" = Option<String>, Query), ("currency" = Option<String>, Query), ("operating_hours_per_year" = Option<String>, Query), ("discount_rate" = Option<String>, Query), ("horizon_years" = Option<String>, Query), ("target_o2_pct_dry" = Option<String>, Query)),
    responses(
        (status = 200, description = "Success", body = Object),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn opportunities(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let mut params = serde_json::Map::new();
    params.insert(
        "operating_hours_per_year".into(),
        DEFAULT_OPERATING_HOURS.into(),
    );
    params.insert("currency".into(), "EUR".into());
    params.insert("discount_rate".into(), DEFAULT_DISCOUNT_RATE.into());
    params.insert("horizon_years".into(), DEFAULT_HORIZON_YEARS.into());
    let mut problems = Vec::new();
    for (key, value) in &query {
        let number = || {
            value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
        };
        match key.as_str() {
            "fuel_price_per_mwh" | "discount_rate" => match number() {
                Some(_) => {
                    params.insert(key.clone(), value.clone().into());
                }
                None => problems.push(FieldProblem::new(key, "must be a decimal number >= 0")),
            },
            "operating_hours_per_year" => match number().filter(|h| *h <= 8784.0) {
                Some(h) => {
                    params.insert(key.clone(), h.into());
                }
                None => problems.push(FieldProblem::new(key, "must be hours from 0 to 8784")),
            },
            "horizon_years" => match value.parse::<u32>() {
                Ok(n) if (1..=50).contains(&n) => {
                    params.insert(key.clone(), n.into());
                }
                _ => problems.push(FieldProblem::new(
                    key,
                    "must be a whole number from 1 to 50",
                )),
            },
            "target_o2_pct_dry" => match number().filter(|v| *v < 21.0) {
                Some(v) => {
                    params.insert(key.clone(), v.into());
                }
                None => problems.push(FieldProblem::new(key, "must be a percentage from 0 to 21")),
            },
            "currency" => {
                if value.len() == 3 && value.chars().all(|c| c.is_ascii_uppercase()) {
                    params.insert(key.clone(), value.clone().into());
                } else {
                    problems.push(FieldProblem::new(key, "must be an ISO 4217 code, e.g. EUR"));
                }
            }
            other => problems.push(FieldProblem::new(
                other,
                "is not a parameter; use fuel_price_per_mwh, currency, operating_hours_per_year, \
                 discount_rate, horizon_years, target_o2_pct_dry",
            )),
        }
    }
    if !params.contains_key("fuel_price_per_mwh") && problems.is_empty() {
        problems.push(FieldProblem::new(
            "fuel_price_per_mwh",
            "is required: the fuel price per MWh of fuel input, in `currency`",
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation {
            status: StatusCode::BAD_REQUEST,
            details: problems,
        });
    }
    let params: thermaliq_core::opportunities::OpportunityParams =
        serde_json::from_value(serde_json::Value::Object(params))
            .map_err(|e| ApiError::validation("query", e.to_string()))?;
    let report = lifecycle::opportunities(&state, &id, &params).await?;
    Ok(Json(report).into_response())
}
