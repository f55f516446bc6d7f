//! Work that outlives a request: job status, and batch recalculation of a
//! range (the runbook's recalculate-after-fix procedure, as one request).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use thermaliq_core::FieldProblem;
use thermaliq_core::request::parse_json_document;
use thermaliq_store::Scope;
use time::format_description::well_known::Rfc3339;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{RawBody, required_range};
use crate::service::jobs;
use crate::state::AppState;
use crate::views::{AcceptedJobView, JobView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/thermaliq/jobs/{id}", get(get_job))
        .route("/v1/thermaliq/recalculate/batch", post(recalculate_batch))
}

#[utoipa::path(
    get,
    path = "/v1/thermaliq/jobs/{id}",
    tag = "jobs",
    params(("id" = String, Path, description = "Identifier")),
    responses(
        (status = 200, description = "Success", body = crate::views::JobView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn get_job(
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
    Ok(axum::Json(JobView::from(&job)).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RecalculateBatchRequest)]
pub(super) struct BatchRequest {
    facility_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// When given, the range is first marked `invalid` with this reason.
    invalidate_reason: Option<String>,
}

/// `POST /recalculate/batch {"facility_id"?, "from", "to", "invalidate_reason"?}`:
/// one job that (optionally) invalidates the calculations created in
/// `[from, to)` and enqueues a recalculation of each.
#[utoipa::path(
    post,
    path = "/v1/thermaliq/recalculate/batch",
    tag = "jobs",
    request_body(content = BatchRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Success", body = crate::views::AcceptedJobView),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn recalculate_batch(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Response {
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
                // The range as of this request: recalculations this job (or a
                // sibling batch) creates later must not be recalculated again.
                "to": to
                    .min(time::OffsetDateTime::now_utc())
                    .format(&Rfc3339)
                    .unwrap_or_default(),
                "invalidate_reason": req.invalidate_reason.map(|r| r.trim().to_owned()),
                "requested_by": caller.name,
            });
            let job = jobs::enqueue(&state, jobs::RECALCULATE_RANGE, payload, None).await?;
            tracing::info!(job_id = job.job_id.as_str(), "Batch recalculation queued");
            Ok(AcceptedJobView::from(&job).into_response())
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
