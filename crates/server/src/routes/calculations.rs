//! `/v1/thermaliq/calculate`, `/recalculate` and `/calculations...`: run,
//! store, list, invalidate and verify calculations.

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use thermaliq_core::provenance::compute_and_seal;
use thermaliq_core::request::CalculationSource;
use thermaliq_core::request::parse_calculation_source;
use thermaliq_core::request::parse_json_document;
use thermaliq_core::verify::{StoredView, verify_stored};
use thermaliq_core::{FieldProblem, ResultStatus};
use thermaliq_store::{
    AuditEntry, CalculationQuery, CalculationRecord, CalculationStatus, Invalidation, Scope,
};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};
use tracing::Span;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorLogContext};
use crate::metrics::Metrics;
use crate::state::AppState;

const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 1000;
/// The longest request payload copied into an error log line.
const MAX_LOGGED_PAYLOAD: usize = 4096;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/thermaliq/calculate", post(calculate))
        .route("/v1/thermaliq/recalculate", post(recalculate))
        .route("/v1/thermaliq/calculations", get(list))
        .route("/v1/thermaliq/calculations/invalidate", post(invalidate))
        .route("/v1/thermaliq/calculations/{id}", get(get_one))
        .route("/v1/thermaliq/calculations/{id}/verify", get(verify))
}

/// `POST /calculate`. The body is read as JSON whatever its content type:
/// the runbook's `curl -d @file.json` sends no `Content-Type: application/json`.
/// `?async=true` validates now, queues the calculation and answers `202`
/// with the job's URL. `Idempotency-Key` dedupes client retries.
async fn calculate(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match read_body(body) {
        Ok(body) => body,
        Err(err) => return err.into_response(),
    };
    let mut asynchronous = false;
    for (key, value) in &params {
        match (key.as_str(), value.as_str()) {
            ("async", "true" | "1") => asynchronous = true,
            ("async", "false" | "0") => asynchronous = false,
            ("async", _) => {
                return ApiError::validation("async", "must be true or false").into_response();
            }
            (other, _) => {
                return ApiError::validation(other, "is not a parameter; use async")
                    .into_response();
            }
        }
    }
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
            return enqueue_calculation(&state, &body)
                .await
                .unwrap_or_else(|err| {
                    let mut response = err.into_response();
                    attach_payload(&mut response, &body);
                    response
                });
        }
        respond_created(run_calculation(&state, &body, None, None).await, &body)
    };
    crate::idempotency::guarded(&state, &caller.name, &headers, path, &body, work).await
}

/// Validates now (a bad request is refused at once, not in the queue), then queues.
async fn enqueue_calculation(state: &AppState, body: &[u8]) -> Result<Response, ApiError> {
    state.metrics.calculation_requests.inc();
    if let Err(err) = parse_calculation_source(body) {
        let err = ApiError::from(err);
        state.metrics.count_error(err.error_type());
        return Err(err);
    }
    let payload = serde_json::json!({"body": String::from_utf8_lossy(body)});
    let job = crate::worker::enqueue(state, crate::worker::CALCULATE, payload, None).await?;
    tracing::info!(job_id = job.job_id.as_str(), "Calculation queued");
    Ok(crate::routes::jobs::accepted(&job))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecalculateRequest {
    original_calculation_id: Option<String>,
}

/// `POST /recalculate`: the stored request, through today's engine and
/// settings, as a new calculation that names the original.
async fn recalculate(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match read_body(body) {
        Ok(body) => body,
        Err(err) => return err.into_response(),
    };
    let work = async {
        let outcome = async {
            caller.require(Scope::Calculate)?;
            let req: RecalculateRequest = parse_json_document(&body)?;
            let id = req
                .original_calculation_id
                .filter(|id| !id.trim().is_empty())
                .ok_or_else(|| ApiError::validation("original_calculation_id", "is required"))?;
            let original =
                state.store.get_calculation(&id).await?.ok_or_else(|| {
                    ApiError::NotFound(format!("calculation {id} does not exist"))
                })?;
            run_calculation(
                &state,
                original.request.as_bytes(),
                Some(original.calculation_id),
                None,
            )
            .await
        }
        .await;
        respond_created(outcome, &body)
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

fn respond_created(outcome: Result<CalculationRecord, ApiError>, body: &[u8]) -> Response {
    match outcome {
        Ok(record) => {
            let location = format!("/v1/thermaliq/calculations/{}", record.calculation_id);
            let mut response =
                (StatusCode::CREATED, axum::Json(calculation_view(&record))).into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            response
        }
        Err(err) => {
            let mut response = err.into_response();
            attach_payload(&mut response, body);
            response
        }
    }
}

/// The request body (first 4 KiB) goes to the error's log line, as the
/// runbook's `jq -r '.request_payload'` expects; never to the client.
fn attach_payload(response: &mut Response, body: &[u8]) {
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_LOGGED_PAYLOAD)]).into_owned();
    response.extensions_mut().insert(ErrorLogContext {
        request_payload: Some(text),
    });
}

pub(crate) fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::Validation {
                status,
                details: vec![FieldProblem::new(
                    "body",
                    format!("must be at most {} bytes", crate::app::MAX_BODY_BYTES),
                )],
            }
        } else {
            ApiError::validation("body", rejection.body_text())
        }
    })
}

/// Counts a request waiting for a calculation slot (part of
/// `thermaliq_calculation_queue_depth`) until it is dropped.
struct WaiterGuard<'a>(&'a std::sync::atomic::AtomicI64);

impl<'a> WaiterGuard<'a> {
    fn new(waiters: &'a std::sync::atomic::AtomicI64) -> Self {
        waiters.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self(waiters)
    }
}

impl Drop for WaiterGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Increments a gauge now and decrements it when dropped, so a calculation
/// abandoned by the timeout still leaves the gauge right.
struct GaugeGuard<'a>(&'a prometheus_client::metrics::gauge::Gauge);

impl<'a> GaugeGuard<'a> {
    fn new(gauge: &'a prometheus_client::metrics::gauge::Gauge) -> Self {
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Validates, computes and durably stores one calculation, counting it in
/// the metrics and logging it as the runbook expects.
/// `fixed_id` makes the calculation idempotent: a queued job passes the id
/// derived from its own, so a job re-run after a replica died mid-way finds
/// its calculation already stored instead of storing a second one.
pub(crate) async fn run_calculation(
    state: &AppState,
    body: &[u8],
    recalculated_from: Option<String>,
    fixed_id: Option<String>,
) -> Result<CalculationRecord, ApiError> {
    let started = Instant::now();
    let metrics: &Metrics = &state.metrics;
    metrics.calculation_requests.inc();
    let outcome = validate_compute_store(state, body, recalculated_from, fixed_id, started).await;
    metrics
        .calculation_duration
        .observe(started.elapsed().as_secs_f64());
    if let Err(err) = &outcome {
        metrics.count_error(err.error_type());
    }
    outcome
}

async fn validate_compute_store(
    state: &AppState,
    body: &[u8],
    recalculated_from: Option<String>,
    fixed_id: Option<String>,
    started: Instant,
) -> Result<CalculationRecord, ApiError> {
    let source = parse_calculation_source(body)?;
    let span = Span::current();
    let facility_id = match &source {
        CalculationSource::Inline(v) => v.input.facility_id.clone(),
        CalculationSource::FromReadings { facility_id, .. } => facility_id.clone(),
    };
    span.record("facility_id", facility_id.as_str());
    if let CalculationSource::Inline(validated) = &source {
        for c in &validated.unit_conversions {
            tracing::info!(
                from_unit = c.from_unit,
                to_unit = c.to_unit,
                conversion_factor = c.conversion_factor,
                "Unit conversion"
            );
        }
    }
    let idempotent = fixed_id.is_some();
    let calculation_id = fixed_id.unwrap_or_else(|| format!("CALC-{}", ulid::Ulid::new()));
    span.record("calculation_id", calculation_id.as_str());

    let settings = &state.settings;
    let work = async {
        let waiting = WaiterGuard::new(&state.slot_waiters);
        let _slot = state
            .calculation_slots
            .acquire()
            .await
            .map_err(|_| ApiError::Internal("calculation slots closed".to_owned()))?;
        drop(waiting);
        let _running = GaugeGuard::new(&state.metrics.active_calculations);

        let (input, engine_settings) = match source {
            CalculationSource::Inline(validated) => (validated.input, settings.engine),
            CalculationSource::FromReadings {
                facility_id,
                time_period,
            } => crate::readings::engine_input(state, &facility_id, time_period).await?,
        };
        let sealed = compute_and_seal(&input, &engine_settings);
        let result = &sealed.result;
        let record = CalculationRecord {
            calculation_id: calculation_id.clone(),
            facility_id: input.facility_id.clone(),
            period_start: input.time_period.start,
            period_end: input.time_period.end,
            efficiency: match result.status {
                ResultStatus::Completed => result.efficiency,
                ResultStatus::Failed => None,
            },
            status: match result.status {
                ResultStatus::Completed => CalculationStatus::Completed,
                ResultStatus::Failed => CalculationStatus::Failed,
            },
            invalid_reason: None,
            recalculated_from,
            request: String::from_utf8_lossy(body).into_owned(),
            canonical_input: sealed.canonical_input.clone(),
            result: sealed.canonical_result.clone(),
            energy_flows: sealed.canonical_energy_flows.clone(),
            input_hash: sealed.input_hash.clone(),
            output_hash: sealed.output_hash.clone(),
            engine_version: thermaliq_core::ENGINE_VERSION.to_owned(),
            created_at: now_to_the_microsecond(),
        };
        // Stored before it is acknowledged: the 201 (or 422) is only sent after this commit.
        match state.store.insert_calculation(&record).await {
            Ok(()) => Ok::<_, ApiError>((record, sealed)),
            Err(thermaliq_store::StoreError::Duplicate(_)) if idempotent => {
                let stored = state
                    .store
                    .get_calculation(&record.calculation_id)
                    .await?
                    .ok_or_else(|| ApiError::Internal("duplicate id but no row".to_owned()))?;
                Ok((stored, sealed))
            }
            Err(err) => Err(err.into()),
        }
    };
    let (record, sealed) = match tokio::time::timeout(settings.calculation_timeout, work).await {
        Ok(done) => done?,
        Err(_) => {
            state.metrics.calculation_timeouts.inc();
            let duration = started.elapsed().as_secs_f64();
            tracing::error!(duration, error_type = "TimeoutError", "Calculation timeout");
            return Err(ApiError::Timeout(format!(
                "calculation did not finish within CALCULATION_TIMEOUT ({} s)",
                settings.calculation_timeout.as_secs_f64()
            )));
        }
    };

    let result = &sealed.result;
    state
        .metrics
        .data_completeness
        .set(result.data_quality.completeness);
    state
        .metrics
        .data_quality_score
        .set(result.data_quality.score);
    let duration = started.elapsed().as_secs_f64();
    log_outcome(&record, result, duration);

    if result.status == ResultStatus::Failed {
        let details: Vec<FieldProblem> = result
            .violations
            .iter()
            .map(|v| FieldProblem::new(v.field.clone(), v.message.clone()))
            .collect();
        let message = format!(
            "calculation failed {} strict-mode check(s) (CALCULATION_MODE=strict); stored as {} with status failed",
            details.len(),
            record.calculation_id
        );
        return Err(ApiError::Calculation {
            message,
            details,
            calculation_id: Some(record.calculation_id),
        });
    }
    Ok(record)
}

fn log_outcome(
    record: &CalculationRecord,
    result: &thermaliq_core::CalculationResult,
    duration: f64,
) {
    let b = &result.energy_balance;
    let efficiency = result.efficiency.unwrap_or(f64::NAN);
    let points = result.data_quality.data_point_count;
    match b.closure_percent {
        Some(balance) => {
            tracing::info!(
                total_input = b.total_input_kwh,
                total_output = b.total_output_kwh,
                total_losses = b.total_losses_kwh,
                energy_balance_percent = balance,
                "Energy balance"
            );
            tracing::info!(
                efficiency,
                status = record.status.as_str(),
                input_energy_kwh = b.total_input_kwh,
                output_energy_kwh = b.total_output_kwh,
                energy_losses_kwh = b.total_losses_kwh,
                energy_balance_percent = balance,
                data_point_count = points,
                duration,
                "Efficiency calculated"
            );
        }
        None => {
            tracing::info!(
                total_input = b.total_input_kwh,
                total_output = b.total_output_kwh,
                total_losses = b.total_losses_kwh,
                "Energy balance"
            );
            tracing::info!(
                efficiency,
                status = record.status.as_str(),
                input_energy_kwh = b.total_input_kwh,
                output_energy_kwh = b.total_output_kwh,
                energy_losses_kwh = b.total_losses_kwh,
                data_point_count = points,
                duration,
                "Efficiency calculated"
            );
        }
    }
}

/// The store keeps microseconds; truncating here makes the 201 body equal a later GET.
fn now_to_the_microsecond() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The response shape of one calculation (DESIGN.md §4).
pub fn calculation_view(r: &CalculationRecord) -> Value {
    let result: Value = serde_json::from_str(&r.result).unwrap_or(Value::Null);
    let mut view = json!({
        "calculation_id": r.calculation_id,
        "status": r.status,
        "facility_id": r.facility_id,
        "time_period": {"start": rfc3339(r.period_start), "end": rfc3339(r.period_end)},
        "efficiency": r.efficiency,
        "energy_balance": result["energy_balance"],
        "loss_breakdown": result["loss_breakdown"],
        "warnings": result["warnings"],
        "violations": result["violations"],
        "data_quality": result["data_quality"],
        "energy_flows": result["energy_flows"],
        "provenance": {
            "input_hash": r.input_hash,
            "output_hash": r.output_hash,
            "engine_version": r.engine_version,
            "method": result["method"],
            "basis": result["basis"],
            "formulas": result["formulas"],
        },
        "invalid_reason": r.invalid_reason,
        "recalculated_from": r.recalculated_from,
        "created_at": rfc3339(r.created_at),
    });
    // From stored readings: the per-channel report is the data quality shown.
    if let Some(details) = result.get("data_quality_details").filter(|d| d.is_object()) {
        view["data_quality"] = details.clone();
    }
    // Process calculations also carry both methods, the second law and the analysis.
    for key in ["methods", "second_law", "process"] {
        if let Some(v) = result.get(key) {
            view[key] = v.clone();
        }
    }
    view
}

fn summary_view(r: &CalculationRecord) -> Value {
    json!({
        "calculation_id": r.calculation_id,
        "facility_id": r.facility_id,
        "period_start": rfc3339(r.period_start),
        "period_end": rfc3339(r.period_end),
        "efficiency": r.efficiency,
        "status": r.status,
        "invalid_reason": r.invalid_reason,
        "recalculated_from": r.recalculated_from,
        "created_at": rfc3339(r.created_at),
        "input_hash": r.input_hash,
        "output_hash": r.output_hash,
        "engine_version": r.engine_version,
    })
}

/// The cache key of a calculation's view (`calculation:*`, runbook scenario 6).
pub fn cache_key(calculation_id: &str) -> String {
    format!("calculation:{calculation_id}")
}

async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let key = cache_key(&id);
    if let Some(cached) = state.cache_get(&key).await {
        Span::current().record("calculation_id", id.as_str());
        return Ok(([(header::CONTENT_TYPE, "application/json")], cached).into_response());
    }
    let record = load(&state, &id).await?;
    let body = serde_json::to_vec(&calculation_view(&record))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    state
        .cache
        .put(&key, &body, state.settings.calculation_cache_ttl)
        .await;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn load(state: &AppState, id: &str) -> Result<CalculationRecord, ApiError> {
    Span::current().record("calculation_id", id);
    state
        .store
        .get_calculation(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("calculation {id} does not exist")))
}

/// `GET /calculations/{id}/verify`.
async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let r = load(&state, &id).await?;
    let report = verify_stored(StoredView {
        canonical_input: &r.canonical_input,
        result: &r.result,
        energy_flows: &r.energy_flows,
        input_hash: &r.input_hash,
        output_hash: &r.output_hash,
        engine_version: &r.engine_version,
        efficiency: r.efficiency,
        status: r.status.as_str(),
        invalid_reason: r.invalid_reason.as_deref(),
    });
    if !report.intact {
        tracing::error!(
            error_type = "IntegrityError",
            error_message = report.problems.join("; "),
            "Provenance check failed: stored calculation does not match its hashes"
        );
    }
    let mut body = serde_json::to_value(&report).map_err(|e| ApiError::Internal(e.to_string()))?;
    body["calculation_id"] = json!(r.calculation_id);
    body["status"] = json!(r.status);
    body["input_hash"] = json!(r.input_hash);
    body["output_hash"] = json!(r.output_hash);
    Ok(axum::Json(body).into_response())
}

/// Accepts an RFC 3339 instant or a bare date (midnight UTC), as the
/// runbook's SQL does (`created_at >= '2025-11-01'`).
pub(crate) fn parse_instant(field: &str, text: &str) -> Result<OffsetDateTime, ApiError> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t);
    }
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| {
            ApiError::validation(
                field,
                "must be an RFC 3339 timestamp (2025-11-01T00:00:00Z) or a date (2025-11-01)",
            )
        })
}

/// A required `[from, to)` range of a request body: each bound an RFC 3339
/// instant or a date, `to` after `from`. Problems are added to `problems`.
pub(crate) fn required_range(
    from: Option<&str>,
    to: Option<&str>,
    problems: &mut Vec<FieldProblem>,
) -> Option<(OffsetDateTime, OffsetDateTime)> {
    let mut instant = |field: &str, value: Option<&str>| match value {
        None => {
            problems.push(FieldProblem::new(field, "is required"));
            None
        }
        Some(text) => match parse_instant(field, text) {
            Ok(t) => Some(t),
            Err(ApiError::Validation { details, .. }) => {
                problems.extend(details);
                None
            }
            Err(_) => None,
        },
    };
    let (from, to) = (instant("from", from), instant("to", to));
    match (from, to) {
        (Some(f), Some(t)) if t > f => Some((f, t)),
        (Some(_), Some(_)) => {
            problems.push(FieldProblem::new("to", "must be after from"));
            None
        }
        _ => None,
    }
}

/// `GET /calculations?facility_id=&status=&from=&to=&limit=&cursor=&format=`.
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    let mut query = CalculationQuery {
        limit: DEFAULT_PAGE,
        ..CalculationQuery::default()
    };
    let mut csv = false;
    let mut problems = Vec::new();
    for (key, value) in &params {
        let check = match key.as_str() {
            "facility_id" => {
                query.facility_id = Some(value.clone());
                Ok(())
            }
            "status" => match value.parse::<CalculationStatus>() {
                Ok(status) => {
                    query.status = Some(status);
                    Ok(())
                }
                Err(_) => Err(ApiError::validation(
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
        return Ok((headers, to_csv(&rows)).into_response());
    }
    let items: Vec<Value> = rows.iter().map(summary_view).collect();
    Ok(
        axum::Json(
            json!({"count": items.len(), "calculations": items, "next_cursor": next_cursor}),
        )
        .into_response(),
    )
}

const CSV_COLUMNS: [&str; 9] = [
    "calculation_id",
    "facility_id",
    "period_start",
    "period_end",
    "efficiency",
    "status",
    "invalid_reason",
    "recalculated_from",
    "created_at",
];

/// RFC 4180 CSV: fields with a comma, quote or line break are quoted.
fn to_csv(rows: &[CalculationRecord]) -> String {
    fn field(out: &mut String, text: &str) {
        if text.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&text.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(text);
        }
    }
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for r in rows {
        let cells = [
            r.calculation_id.clone(),
            r.facility_id.clone(),
            rfc3339(r.period_start),
            rfc3339(r.period_end),
            r.efficiency.map(|e| e.to_string()).unwrap_or_default(),
            r.status.as_str().to_owned(),
            r.invalid_reason.clone().unwrap_or_default(),
            r.recalculated_from.clone().unwrap_or_default(),
            rfc3339(r.created_at),
        ];
        for (n, cell) in cells.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            field(&mut out, cell);
        }
        out.push_str("\r\n");
    }
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvalidateRequest {
    facility_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    reason: Option<String>,
}

/// `POST /calculations/invalidate`: marks calculations created in
/// `[from, to)` (optionally of one facility) `invalid` with a reason, as the
/// runbook's recalculate-after-fix procedure does by SQL.
async fn invalidate(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Admin)?;
    let body = read_body(body)?;
    let req: InvalidateRequest = parse_json_document(&body)?;
    let mut problems = Vec::new();
    let range = required_range(req.from.as_deref(), req.to.as_deref(), &mut problems);
    let reason = req.reason.map(|r| r.trim().to_owned()).unwrap_or_default();
    if reason.is_empty() || reason.chars().count() > 500 {
        problems.push(FieldProblem::new(
            "reason",
            "is required: 1 to 500 characters saying why",
        ));
    }
    let (Some((from, to)), true) = (range, problems.is_empty()) else {
        return Err(ApiError::Validation {
            status: StatusCode::BAD_REQUEST,
            details: problems,
        });
    };
    let invalidation = Invalidation {
        facility_id: req.facility_id.clone(),
        created_from: from,
        created_to: to,
        reason: reason.clone(),
    };
    let audit = AuditEntry {
        occurred_at: OffsetDateTime::now_utc(),
        actor: caller.name.clone(),
        action: "calculations.invalidate".to_owned(),
        subject: req.facility_id.clone().unwrap_or_else(|| "*".to_owned()),
        detail: json!({"from": rfc3339(from), "to": rfc3339(to), "reason": reason}).to_string(),
    };
    let ids = state
        .store
        .invalidate_calculations(&invalidation, &audit)
        .await?;
    // Cached views of these calculations would still say `completed`.
    for id in &ids {
        state.cache.delete(&cache_key(id)).await;
    }
    tracing::info!(
        count = ids.len() as u64,
        reason = reason.as_str(),
        "Calculations invalidated"
    );
    Ok(
        axum::Json(json!({"invalidated": ids.len(), "calculation_ids": ids, "reason": reason}))
            .into_response(),
    )
}
