//! Sankey diagrams (runbook scenario 10): of a stored calculation
//! (`GET /calculations/{id}/sankey`) or of an ad-hoc flow graph
//! (`POST /sankey`), as SVG, Plotly, JSON or HTML. Rendering runs on the
//! blocking pool under `SANKEY_GENERATION_TIMEOUT`; finished diagrams are
//! cached by the calculation's output hash (immutable, so never stale); large
//! graphs may be rendered in the background (`SANKEY_ASYNC_GENERATION`).

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sankey::{DiagramKind, FlowGraph, Format};
use serde_json::{Value, json};
use thermaliq_core::FieldProblem;
use thermaliq_store::Scope;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::read_body;
use crate::service::sankey::{generate, graph_for_record, options_key};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/thermaliq/calculations/{id}/sankey",
            get(calculation_sankey),
        )
        .route("/v1/thermaliq/sankey", post(adhoc_sankey))
        .route("/v1/thermaliq/sankey/jobs/{job_id}", get(sankey_job))
}

struct Request {
    format: Format,
    kind: DiagramKind,
}

/// `format` and `kind` from the query; `Accept: image/svg+xml` (or nothing)
/// gives SVG, which is also what the runbook's `-o sankey_ID.svg` expects.
fn parse_request(
    params: &[(String, String)],
    headers: &HeaderMap,
    allow_kind: bool,
) -> Result<Request, ApiError> {
    let mut format = None;
    let mut kind = DiagramKind::Energy;
    for (key, value) in params {
        match key.as_str() {
            "format" => {
                format = Some(Format::parse(value).map_err(|_| {
                    ApiError::validation("format", "must be svg, json, plotly or html")
                })?)
            }
            "kind" if allow_kind => {
                kind = match value.as_str() {
                    "energy" => DiagramKind::Energy,
                    "exergy" => DiagramKind::Exergy,
                    _ => return Err(ApiError::validation("kind", "must be energy or exergy")),
                }
            }
            other => {
                return Err(ApiError::validation(
                    other,
                    "is not a parameter; use format and kind",
                ));
            }
        }
    }
    let format = format.unwrap_or_else(|| {
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if accept.contains("application/json") && !accept.contains("image/svg+xml") {
            Format::Json
        } else {
            Format::Svg
        }
    });
    Ok(Request { format, kind })
}

fn kind_name(kind: DiagramKind) -> &'static str {
    match kind {
        DiagramKind::Energy => "energy",
        DiagramKind::Exergy => "exergy",
    }
}

/// A finished diagram as stored in the cache and sent to clients.
fn diagram_response(content_type: &str, body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    response
}

/// Cache entries are `content-type \n body`.
fn pack(content_type: &str, body: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(content_type.len() + 1 + body.len());
    out.extend_from_slice(content_type.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body.as_bytes());
    out
}

fn unpack(packed: &[u8]) -> Option<(String, Vec<u8>)> {
    let at = packed.iter().position(|b| *b == b'\n')?;
    let content_type = std::str::from_utf8(&packed[..at]).ok()?.to_owned();
    Some((content_type, packed[at + 1..].to_vec()))
}

/// Renders now, or (large graphs with `SANKEY_ASYNC_GENERATION`) in the
/// background with `202 Accepted` and a URL to poll.
async fn render_or_defer(
    state: AppState,
    graph: FlowGraph,
    format: Format,
    cache_key: Option<String>,
) -> Result<Response, ApiError> {
    let settings = &state.settings.sankey;
    if settings.async_generation && graph.flows.len() >= settings.async_min_flows {
        let job_id = format!("SKJ-{}", ulid::Ulid::new());
        let job_key = format!("sankey:job:{job_id}");
        let ttl = state.settings.calculation_cache_ttl;
        state.cache.put(&job_key, &pack("pending", ""), ttl).await;
        let worker = state.clone();
        tokio::spawn(async move {
            let packed = match generate(&worker, graph, format).await {
                Ok(rendered) => pack(rendered.content_type, &rendered.body),
                Err(err) => pack(
                    "error",
                    &serde_json::to_string(&error_summary(&ApiError::from(err)))
                        .unwrap_or_default(),
                ),
            };
            worker.cache.put(&job_key, &packed, ttl).await;
            if let Some(key) = cache_key {
                worker.cache.put(&key, &packed, ttl).await;
            }
        });
        let poll = format!("/v1/thermaliq/sankey/jobs/{job_id}");
        let mut response = (
            StatusCode::ACCEPTED,
            axum::Json(json!({"job_id": job_id, "status": "pending", "poll_url": poll})),
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&poll) {
            response.headers_mut().insert(header::LOCATION, v);
        }
        return Ok(response);
    }
    let rendered = generate(&state, graph, format).await?;
    let packed = pack(rendered.content_type, &rendered.body);
    if let Some(key) = cache_key {
        state
            .cache
            .put(&key, &packed, state.settings.calculation_cache_ttl)
            .await;
    }
    Ok(diagram_response(
        rendered.content_type,
        rendered.body.into_bytes(),
    ))
}

fn error_summary(err: &ApiError) -> Value {
    let details: &[FieldProblem] = match err {
        ApiError::Validation { details, .. } => details,
        _ => &[],
    };
    json!({"type": err.error_type(), "status": err.status().as_u16(), "details": details})
}

#[utoipa::path(
    get,
    path = "/v1/thermaliq/calculations/{id}/sankey",
    tag = "sankey",
    params(("id" = String, Path, description = "Identifier"), ("format" = Option<String>, Query), ("energy" = Option<String>, Query), ("exergy" = Option<String>, Query)),
    responses(
        (status = 200, description = "Success", body = Object),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn calculation_sankey(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let request = parse_request(&params, &headers, true)?;
    tracing::Span::current().record("calculation_id", id.as_str());
    let record = state
        .store
        .get_calculation(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("calculation {id} does not exist")))?;
    tracing::Span::current().record("facility_id", record.facility_id.as_str());
    let key = format!(
        "sankey:{}:{}:{}:{}",
        record.output_hash,
        kind_name(request.kind),
        request.format.as_str(),
        options_key(&state.settings)
    );
    if let Some((content_type, body)) = state.cache_get(&key).await.as_deref().and_then(unpack) {
        return Ok(diagram_response(&content_type, body));
    }
    let graph = graph_for_record(&record, request.kind).map_err(|p| {
        state.metrics.count_sankey_error("invalid_flows");
        tracing::error!(
            component = "SankeyGenerator",
            error_type = "invalid_flows",
            facility_id = record.facility_id.as_str(),
            error_message = p.problem.as_str(),
            "SankeyGenerator: generation failed"
        );
        ApiError::Validation {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            details: vec![p],
        }
    })?;
    render_or_defer(state, graph, request.format, Some(key)).await
}

/// `POST /sankey`: an ad-hoc flow graph, rendered and not stored.
#[utoipa::path(
    post,
    path = "/v1/thermaliq/sankey",
    tag = "sankey",
    params(("format" = Option<String>, Query)),
    request_body(content = Object, description = "JSON document; see docs/API.md", content_type = "application/json"),
    responses(
        (status = 200, description = "Success", body = Object),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn adhoc_sankey(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let request = parse_request(&params, &headers, false)?;
    let body = read_body(body)?;
    let graph = FlowGraph::from_json(&body).map_err(|e| ApiError::Validation {
        status: StatusCode::BAD_REQUEST,
        details: vec![FieldProblem::new(e.field(), e.to_string())],
    })?;
    render_or_defer(state, graph, request.format, None).await
}

/// `GET /sankey/jobs/{job_id}`: 202 while rendering, then the diagram (or its error).
#[utoipa::path(
    get,
    path = "/v1/thermaliq/sankey/jobs/{job_id}",
    tag = "sankey",
    params(("job_id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "Success", body = Object),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn sankey_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(job_id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let packed = state
        .cache
        .get(&format!("sankey:job:{job_id}"))
        .await
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "diagram job {job_id} does not exist or has expired"
            ))
        })?;
    let (content_type, body) =
        unpack(&packed).ok_or_else(|| ApiError::Internal("unreadable diagram job".to_owned()))?;
    match content_type.as_str() {
        "pending" => Ok((
            StatusCode::ACCEPTED,
            axum::Json(json!({"job_id": job_id, "status": "pending"})),
        )
            .into_response()),
        "error" => {
            let summary: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let details: Vec<FieldProblem> =
                serde_json::from_value(summary["details"].clone()).unwrap_or_default();
            Err(match summary["type"].as_str() {
                Some("TimeoutError") => ApiError::Timeout(
                    "the diagram was not ready within SANKEY_GENERATION_TIMEOUT".to_owned(),
                ),
                Some("ValidationError") => ApiError::Validation {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    details,
                },
                _ => ApiError::Internal("diagram generation failed".to_owned()),
            })
        }
        _ => Ok(diagram_response(&content_type, body)),
    }
}
