//! Facilities (what is metered and how) and their readings.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use thermaliq_core::provenance::canonical_json;
use thermaliq_core::readings::{Facility, ReadingsFormat, parse_facility};
use thermaliq_store::{AuditEntry, FacilityRecord, Scope};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::read_body;
use crate::service;
use crate::state::AppState;

/// Readings batches may be much larger than calculation requests.
pub const MAX_READINGS_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Per-row errors listed in one answer (the count is always complete).
const MAX_LISTED_ERRORS: usize = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/thermaliq/facilities", post(create).get(list))
        .route("/v1/thermaliq/facilities/{id}", get(get_one).put(replace))
        .route(
            "/v1/thermaliq/facilities/{id}/readings",
            post(ingest).layer(DefaultBodyLimit::max(MAX_READINGS_BODY_BYTES)),
        )
}

fn as_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn record(facility: &Facility) -> FacilityRecord {
    let now = OffsetDateTime::now_utc();
    FacilityRecord {
        facility_id: facility.facility_id.clone(),
        name: facility.name.clone(),
        process_type: as_text(&facility.process_type),
        time_zone: facility.time_zone.clone(),
        schedule: as_text(&facility.schedule),
        document: canonical_json(facility),
        created_at: now,
        updated_at: now,
    }
}

fn view(r: &FacilityRecord) -> Value {
    let mut doc: Value = serde_json::from_str(&r.document).unwrap_or(Value::Null);
    doc["created_at"] = json!(r.created_at.format(&Rfc3339).unwrap_or_default());
    doc["updated_at"] = json!(r.updated_at.format(&Rfc3339).unwrap_or_default());
    doc
}

async fn save(
    state: &AppState,
    caller: &Caller,
    facility: &Facility,
) -> Result<FacilityRecord, ApiError> {
    let rec = record(facility);
    let audit = AuditEntry {
        occurred_at: OffsetDateTime::now_utc(),
        actor: caller.name.clone(),
        action: "facility.put".to_owned(),
        subject: facility.facility_id.clone(),
        detail: json!({"channels": facility.channels.len()}).to_string(),
    };
    state.store.put_facility(&rec, &audit).await?;
    Ok(state
        .store
        .get_facility(&facility.facility_id)
        .await?
        .unwrap_or(rec))
}

/// `POST /facilities`: creates; an existing id is a 409 (use PUT to replace).
#[utoipa::path(
    post,
    path = "/v1/thermaliq/facilities",
    tag = "facilities",
    request_body(content = Object, description = "JSON document; see docs/API.md", content_type = "application/json"),
    responses(
        (status = 201, description = "Success", body = Object),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Admin)?;
    let body = read_body(body)?;
    let facility = parse_facility(&body)?;
    if state
        .store
        .get_facility(&facility.facility_id)
        .await?
        .is_some()
    {
        return Err(ApiError::Validation {
            status: StatusCode::CONFLICT,
            details: vec![thermaliq_core::FieldProblem::new(
                "facility_id",
                "exists already: use PUT /v1/thermaliq/facilities/{id} to replace it",
            )],
        });
    }
    let stored = save(&state, &caller, &facility).await?;
    Ok((StatusCode::CREATED, axum::Json(view(&stored))).into_response())
}

/// `PUT /facilities/{id}`: creates or replaces.
#[utoipa::path(
    put,
    path = "/v1/thermaliq/facilities/{id}",
    tag = "facilities",
    params(("id" = String, Path, description = "Identifier")),
    request_body(content = Object, description = "JSON document; see docs/API.md", content_type = "application/json"),
    responses(
        (status = 200, description = "Success", body = Object),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Admin)?;
    let body = read_body(body)?;
    let facility = parse_facility(&body)?;
    if facility.facility_id != id {
        return Err(ApiError::validation(
            "facility_id",
            format!("must equal the id in the path ({id})"),
        ));
    }
    let existed = state.store.get_facility(&id).await?.is_some();
    let stored = save(&state, &caller, &facility).await?;
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, axum::Json(view(&stored))).into_response())
}

#[utoipa::path(
    get,
    path = "/v1/thermaliq/facilities/{id}",
    tag = "facilities",
    params(("id" = String, Path, description = "Identifier")),
    responses(
        (status = 200, description = "Success", body = Object),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let rec = state
        .store
        .get_facility(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("facility {id} does not exist")))?;
    Ok(axum::Json(view(&rec)).into_response())
}

#[utoipa::path(
    get,
    path = "/v1/thermaliq/facilities",
    tag = "facilities",
    params(("limit" = Option<String>, Query), ("cursor" = Option<String>, Query)),
    responses(
        (status = 200, description = "Success", body = Object),
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
    let mut limit = 100u32;
    let mut after = None;
    for (key, value) in &params {
        match key.as_str() {
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        ApiError::validation("limit", "must be a whole number from 1 to 1000")
                    })?
            }
            "cursor" => after = Some(value.clone()),
            other => {
                return Err(ApiError::validation(
                    other,
                    "is not a filter; use limit, cursor",
                ));
            }
        }
    }
    let page = state.store.list_facilities(limit, after.as_deref()).await?;
    let next = (page.len() == limit as usize)
        .then(|| page.last().map(|f| f.facility_id.clone()))
        .flatten();
    let items: Vec<Value> = page.iter().map(view).collect();
    Ok(
        axum::Json(json!({"count": items.len(), "facilities": items, "next_cursor": next}))
            .into_response(),
    )
}

/// `POST /facilities/{id}/readings`: a JSON batch, NDJSON or CSV (by
/// Content-Type). Good rows land even when others are refused; every refused
/// row is reported with its row number. Idempotent on (facility, tag,
/// timestamp): a re-sent batch counts once; rows flagged `correction`
/// replace the stored value and are audited.
#[utoipa::path(
    post,
    path = "/v1/thermaliq/facilities/{id}/readings",
    tag = "facilities",
    params(("id" = String, Path, description = "Identifier")),
    request_body(content = Object, description = "JSON document; see docs/API.md", content_type = "application/json"),
    responses(
        (status = 200, description = "Success", body = Object),
        (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
        (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
    )
)]
pub(super) async fn ingest(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Calculate)?;
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::Validation {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                details: vec![thermaliq_core::FieldProblem::new(
                    "body",
                    format!(
                        "must be at most {MAX_READINGS_BODY_BYTES} bytes; send smaller batches"
                    ),
                )],
            }
        } else {
            ApiError::validation("body", r.body_text())
        }
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let format =
        ReadingsFormat::from_content_type(content_type).ok_or_else(|| ApiError::Validation {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            details: vec![thermaliq_core::FieldProblem::new(
                "Content-Type",
                "must be application/json, application/x-ndjson or text/csv",
            )],
        })?;
    let outcome = service::readings::ingest(&state, &id, &body, format, &caller.name).await?;
    let status = if outcome.accepted_rows == 0 && !outcome.errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let listed: Vec<_> = outcome.errors.iter().take(MAX_LISTED_ERRORS).collect();
    Ok((
        status,
        axum::Json(json!({
            "facility_id": id,
            "accepted_rows": outcome.accepted_rows,
            "inserted": outcome.summary.inserted,
            "duplicates": outcome.summary.duplicates,
            "corrected": outcome.summary.corrected,
            "rejected_rows": outcome.errors.len(),
            "errors": listed,
        })),
    )
        .into_response())
}
