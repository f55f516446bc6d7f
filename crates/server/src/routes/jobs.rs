//! Work that outlives a request: job status, and batch recalculation of a
//! range (the runbook's recalculate-after-fix procedure, as one request).

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use thermaliq_core::FieldProblem;
use thermaliq_core::request::parse_json_document;
use thermaliq_store::{JobRecord, Scope};
use time::format_description::well_known::Rfc3339;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::calculations::{read_body, required_range};
use crate::state::AppState;
use crate::worker;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/thermaliq/jobs/{id}", get(get_job))
        .route("/v1/thermaliq/recalculate/batch", post(recalculate_batch))
}

pub fn job_url(job_id: &str) -> String {
    format!("/v1/thermaliq/jobs/{job_id}")
}

/// `202 Accepted` with the job and where to poll it.
pub fn accepted(job: &JobRecord) -> Response {
    let url = job_url(&job.job_id);
    let mut response = (
        StatusCode::ACCEPTED,
        axum::Json(json!({"job_id": job.job_id, "kind": job.kind, "status": job.status.as_str(), "status_url": url})),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&url) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

fn job_view(job: &JobRecord) -> Value {
    let result: Option<Value> = job
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    let calculation_url = result
        .as_ref()
        .and_then(|r| r["calculation_id"].as_str())
        .map(|id| format!("/v1/thermaliq/calculations/{id}"));
    json!({
        "job_id": job.job_id,
        "kind": job.kind,
        "status": job.status.as_str(),
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "result": result,
        "calculation_url": calculation_url,
        "last_error": job.last_error,
        "created_at": job.created_at.format(&Rfc3339).unwrap_or_default(),
        "updated_at": job.updated_at.format(&Rfc3339).unwrap_or_default(),
    })
}

async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let job = state
        .store
        .get_job(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("job {id} does not exist")))?;
    Ok(axum::Json(job_view(&job)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    facility_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// When given, the range is first marked `invalid` with this reason.
    invalidate_reason: Option<String>,
}

/// `POST /recalculate/batch {"facility_id"?, "from", "to", "invalidate_reason"?}`:
/// one job that (optionally) invalidates the calculations created in
/// `[from, to)` and enqueues a recalculation of each.
async fn recalculate_batch(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match read_body(body) {
        Ok(body) => body,
        Err(err) => return err.into_response(),
    };
    let run = async {
        let outcome = async {
            caller.require(Scope::Admin)?;
            let req: BatchRequest = parse_json_document(&body)?;
            let mut problems = Vec::new();
            let range = required_range(req.from.as_deref(), req.to.as_deref(), &mut problems);
            if let Some(reason) = &req.invalidate_reason
                && (reason.trim().is_empty() || reason.chars().count() > 500)
            {
                problems.push(FieldProblem::new(
                    "invalidate_reason",
                    "must be 1 to 500 characters",
                ));
            }
            let (Some((from, to)), true) = (range, problems.is_empty()) else {
                return Err(ApiError::Validation {
                    status: StatusCode::BAD_REQUEST,
                    details: problems,
                });
            };
            let payload = json!({
                "facility_id": req.facility_id,
                "from": from.format(&Rfc3339).unwrap_or_default(),
                "to": to.format(&Rfc3339).unwrap_or_default(),
                "invalidate_reason": req.invalidate_reason.map(|r| r.trim().to_owned()),
                "requested_by": caller.name,
            });
            let job = worker::enqueue(&state, worker::RECALCULATE_RANGE, payload, None).await?;
            tracing::info!(job_id = job.job_id.as_str(), "Batch recalculation queued");
            Ok(accepted(&job))
        }
        .await;
        outcome.unwrap_or_else(IntoResponse::into_response)
    };
    crate::idempotency::guarded(
        &state,
        &caller.name,
        &headers,
        "/v1/thermaliq/recalculate/batch",
        &body,
        run,
    )
    .await
}
