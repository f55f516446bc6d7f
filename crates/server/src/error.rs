//! The HTTP edge's one error type and the layer that renders every error as
//! the JSON body of DESIGN.md §4, with the request id.
//!
//! Handlers return [`ApiError`]; its `IntoResponse` only sets the status and
//! stashes the error in the response extensions. [`render_errors`] (which
//! knows the request id) writes the body and the log line. Errors made by the
//! framework itself (unknown route, wrong method, oversized body) get the
//! same JSON shape there too, so no client ever sees plain text or a trace.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use thermaliq_core::{CoreError, FieldProblem};
use thermaliq_store::StoreError;

use crate::service::ServiceError;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

#[derive(Debug, Clone)]
pub enum ApiError {
    Validation {
        status: StatusCode,
        details: Vec<FieldProblem>,
    },
    Unauthorized(String),
    Forbidden(String),
    NotFound(String),
    Calculation {
        message: String,
        details: Vec<FieldProblem>,
        calculation_id: Option<String>,
    },
    /// The store failed; the cause goes to the log only.
    Database(String),
    Timeout(String),
    /// The meter vendor failed: 503 while it is unavailable, 502 when it
    /// answered wrongly. The message names the meter.
    EnergyMeter {
        status: StatusCode,
        message: String,
    },
    /// A bug; the cause goes to the log only.
    Internal(String),
}

impl ApiError {
    pub fn validation(field: &str, problem: impl Into<String>) -> Self {
        ApiError::Validation {
            status: StatusCode::BAD_REQUEST,
            details: vec![FieldProblem::new(field, problem)],
        }
    }

    pub fn error_type(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => "ValidationError",
            ApiError::Unauthorized(_) => "Unauthorized",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::NotFound(_) => "NotFound",
            ApiError::Calculation { .. } => "CalculationError",
            ApiError::Database(_) => "DatabaseError",
            ApiError::Timeout(_) => "TimeoutError",
            ApiError::EnergyMeter { .. } => "EnergyMeterError",
            ApiError::Internal(_) => "InternalError",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation { status, .. } => *status,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Calculation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Database(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            ApiError::EnergyMeter { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client reads. Database and internal causes stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            ApiError::Validation { details, .. } => match details.as_slice() {
                [one] => format!("{}: {}", one.field, one.problem),
                many => format!("{} problems in the request", many.len()),
            },
            ApiError::Unauthorized(m)
            | ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::Timeout(m)
            | ApiError::EnergyMeter { message: m, .. } => m.clone(),
            ApiError::Calculation { message, .. } => message.clone(),
            ApiError::Database(_) => "the database is unavailable; retry later".to_owned(),
            ApiError::Internal(_) => {
                "internal error; quote the request_id when reporting it".to_owned()
            }
        }
    }

    /// The full cause, for the log line.
    fn log_message(&self) -> String {
        match self {
            ApiError::Database(cause) | ApiError::Internal(cause) => cause.clone(),
            other => other.public_message(),
        }
    }
}

impl From<CoreError> for ApiError {
    fn from(err: CoreError) -> Self {
        match err {
            CoreError::Validation(details) => ApiError::Validation {
                status: StatusCode::BAD_REQUEST,
                details,
            },
            CoreError::Corrupt { .. } => ApiError::Internal(err.to_string()),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Invalid(details) => ApiError::Validation {
                status: StatusCode::BAD_REQUEST,
                details,
            },
            ServiceError::Unprocessable(details) => ApiError::Validation {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                details,
            },
            ServiceError::NotFound(message) => ApiError::NotFound(message),
            ServiceError::CalculationFailed {
                message,
                details,
                calculation_id,
            } => ApiError::Calculation {
                message,
                details,
                calculation_id,
            },
            ServiceError::Timeout(message) => ApiError::Timeout(message),
            ServiceError::EnergyMeter {
                facility_id,
                meter_id,
                error,
            } => ApiError::EnergyMeter {
                status: if error.is_unavailable() {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::BAD_GATEWAY
                },
                message: format!(
                    "energy meter {meter_id} of facility {facility_id} could not be read: {error}"
                ),
            },
            ServiceError::Store(err) => err.into(),
            ServiceError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl ApiError {
    /// The error object of one item of a batch (the `error` of an error response).
    pub fn item_view(&self) -> crate::views::ItemErrorView {
        let (details, calculation_id) = match self {
            ApiError::Validation { details, .. } => (details.clone(), None),
            ApiError::Calculation {
                details,
                calculation_id,
                ..
            } => (details.clone(), calculation_id.clone()),
            _ => (Vec::new(), None),
        };
        crate::views::ItemErrorView {
            kind: self.error_type(),
            message: self.public_message(),
            details,
            calculation_id,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            // The data's fault, the same on every backend: a 400 naming the field, never "retry later".
            StoreError::Rejected { field, reason } => ApiError::Validation {
                status: StatusCode::BAD_REQUEST,
                details: vec![FieldProblem::new(
                    field.unwrap_or_else(|| "body".to_owned()),
                    reason,
                )],
            },
            StoreError::Duplicate(_) => ApiError::Validation {
                status: StatusCode::CONFLICT,
                details: vec![FieldProblem::new("id", "exists already")],
            },
            StoreError::Corrupt(_) | StoreError::Backend(_) => ApiError::Internal(err.to_string()),
            StoreError::Unavailable(_) => ApiError::Database(err.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// The longest message or problem echoed to a client (characters).
const MAX_ECHOED: usize = 300;
/// The longest error message written to a log line (characters).
const MAX_LOGGED_MESSAGE: usize = 2000;

/// `text` cut to `max` characters, marked when cut: an offending value of a
/// megabyte is never echoed back or logged whole.
fn clip(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(text),
        Some((at, _)) => std::borrow::Cow::Owned(format!(
            "{}… ({} characters, cut)",
            &text[..at],
            text.chars().count()
        )),
    }
}

impl ApiError {
    /// This error with every client-visible text clipped to `MAX_ECHOED`.
    fn truncated(self) -> ApiError {
        let clip_problems = |details: Vec<FieldProblem>| {
            details
                .into_iter()
                .map(|d| FieldProblem::new(clip(&d.field, 200), clip(&d.problem, MAX_ECHOED)))
                .collect()
        };
        match self {
            ApiError::Validation { status, details } => ApiError::Validation {
                status,
                details: clip_problems(details),
            },
            ApiError::Calculation {
                message,
                details,
                calculation_id,
            } => ApiError::Calculation {
                message: clip(&message, MAX_ECHOED).into_owned(),
                details: clip_problems(details),
                calculation_id,
            },
            ApiError::NotFound(m) => ApiError::NotFound(clip(&m, MAX_ECHOED).into_owned()),
            other => other,
        }
    }
}

/// A request body as one log line, for the runbook's Scenario 5
/// (`jq -r '.request_payload' | head -1 > failing_request.json`, then
/// `curl -d @failing_request.json`): valid JSON is minified (white space
/// outside strings dropped, nothing else changed, so keys keep their order and
/// numbers their digits), anything else has its line breaks replaced by
/// spaces. Cut at `max` characters (marked), when longer.
pub fn loggable_payload(body: &[u8], max: usize) -> String {
    let compact = if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
        minify_json(body)
    } else {
        String::from_utf8_lossy(body).replace(['\r', '\n'], " ")
    };
    clip(&compact, max).into_owned()
}

/// Drops the white space between JSON tokens of a document already known to
/// be valid (inside strings, control characters are escaped, so the result is
/// one line).
fn minify_json(body: &[u8]) -> String {
    let mut out = Vec::with_capacity(body.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in body {
        if in_string {
            out.push(b);
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
            out.push(b);
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            out.push(b);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Extra context for an error's log line (never sent to the client).
#[derive(Debug, Clone)]
pub struct ErrorLogContext {
    pub request_payload: Option<String>,
}

/// The body of every error response (docs/API.md "Errors").
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorEnvelope<'a> {
    error: ErrorBody<'a>,
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    calculation_id: Option<&'a str>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    message: String,
    /// Each problem: `{"field": JSON path, "problem": the rule it broke}`.
    #[schema(value_type = Vec<Object>)]
    details: &'a [FieldProblem],
}

/// Middleware: renders every error response as JSON and logs it once.
pub async fn render_errors(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mut response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let error = match response.extensions_mut().remove::<ApiError>() {
        Some(error) => error,
        // A handler that wrote its own JSON body (e.g. /ready's report) keeps it.
        None if is_json(&response) => return response,
        None => framework_error(status),
    };
    let context = response.extensions_mut().remove::<ErrorLogContext>();
    log_error(&error, context.as_ref());

    let no_details = Vec::new();
    let error = error.truncated();
    let (details, calculation_id) = match &error {
        ApiError::Validation { details, .. } => (details, None),
        ApiError::Calculation {
            details,
            calculation_id,
            ..
        } => (details, calculation_id.as_deref()),
        _ => (&no_details, None),
    };
    let envelope = ErrorEnvelope {
        error: ErrorBody {
            kind: error.error_type(),
            message: error.public_message(),
            details,
        },
        request_id: &request_id,
        calculation_id,
    };
    let body = serde_json::to_vec(&envelope).unwrap_or_default();
    let mut rendered = Response::new(Body::from(body));
    *rendered.status_mut() = status;
    let headers = rendered.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for name in [header::WWW_AUTHENTICATE, header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = response.headers().get(&name) {
            headers.insert(name, v.clone());
        }
    }
    // Refused before its body was read: the server will not read the rest, so
    // say the connection closes rather than let the client's next request on
    // it fail with a broken pipe.
    if matches!(
        status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::PAYLOAD_TOO_LARGE
    ) {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    rendered
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Errors raised by axum itself, before any handler ran.
fn framework_error(status: StatusCode) -> ApiError {
    match status {
        StatusCode::NOT_FOUND => ApiError::NotFound("no such endpoint; see docs/API.md".to_owned()),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::Validation {
            status,
            details: vec![FieldProblem::new(
                "method",
                "is not allowed on this endpoint",
            )],
        },
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::Validation {
            status,
            details: vec![FieldProblem::new(
                "body",
                format!("must be at most {} bytes", crate::app::MAX_BODY_BYTES),
            )],
        },
        s if s.is_client_error() => ApiError::Validation {
            status: s,
            details: vec![FieldProblem::new(
                "request",
                s.canonical_reason().unwrap_or("rejected").to_owned(),
            )],
        },
        s => ApiError::Internal(format!("unexpected status {s} without an error")),
    }
}

fn log_error(error: &ApiError, context: Option<&ErrorLogContext>) {
    let error_type = error.error_type();
    let error_message = error.log_message();
    let status = error.status().as_u16();
    let payload = context
        .and_then(|c| c.request_payload.as_deref())
        .unwrap_or("");
    let error_message = clip(&error_message, MAX_LOGGED_MESSAGE);
    let error_message = error_message.as_ref();
    match error {
        ApiError::Unauthorized(_) | ApiError::Forbidden(_) | ApiError::NotFound(_) => {
            tracing::warn!(error_type, error_message, status, "Request rejected");
        }
        // A client's mistake is not the service failing: WARN, not ERROR.
        _ if error.status().is_client_error() && payload.is_empty() => {
            tracing::warn!(error_type, error_message, status, "Request failed");
        }
        _ if error.status().is_client_error() => {
            tracing::warn!(
                error_type,
                error_message,
                status,
                request_payload = payload,
                "Request failed"
            );
        }
        // A bug: the stack where it surfaced goes with it (the runbook's
        // `jq '{…, stack: .stack_trace}'`), as for a panic.
        ApiError::Internal(_) => {
            let stack_trace = std::backtrace::Backtrace::force_capture().to_string();
            let stack_trace = stack_trace.as_str();
            if payload.is_empty() {
                tracing::error!(
                    error_type,
                    error_message,
                    status,
                    stack_trace,
                    "Request failed"
                );
            } else {
                tracing::error!(
                    error_type,
                    error_message,
                    status,
                    stack_trace,
                    request_payload = payload,
                    "Request failed"
                );
            }
        }
        _ if payload.is_empty() => {
            tracing::error!(error_type, error_message, status, "Request failed");
        }
        _ => {
            tracing::error!(
                error_type,
                error_message,
                status,
                request_payload = payload,
                "Request failed"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::loggable_payload;

    #[test]
    fn json_payloads_are_one_compact_line_with_strings_untouched() {
        let body = "{\n  \"facility_id\": \"FAC 1\\n\\\"x\\\" \",\n  \"v\": [1.50, 2e3]\n}\n";
        let line = loggable_payload(body.as_bytes(), 4096);
        assert_eq!(line, r#"{"facility_id":"FAC 1\n\"x\" ","v":[1.50,2e3]}"#);
        let again: serde_json::Value = serde_json::from_str(&line).unwrap();
        let original: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(again, original);
        assert_eq!(loggable_payload(b"{\nbroken\r\n", 4096), "{ broken  ");
        assert!(loggable_payload(&[b'x'; 10_000], 100).contains("cut"));
    }
}
