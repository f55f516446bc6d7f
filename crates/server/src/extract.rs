//! Extractors and request helpers shared by every route: the body as bytes
//! or as a typed JSON document (rejections are [`ApiError`]s naming the
//! field and the rule, like every other error), and time ranges.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use thermaliq_core::FieldProblem;
use thermaliq_core::request::parse_json_document;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::error::ApiError;

/// The request body, read as JSON whatever its content type (the runbook's
/// `curl -d @file.json` sends none). An oversized body is a 413 naming the limit.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_body(Bytes::from_request(request, state).await).map(RawBody)
    }
}

/// A JSON body parsed into `T`; a malformed body, unknown field or mistyped
/// value is a 400 naming the JSON path.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let RawBody(bytes) = RawBody::from_request(request, state).await?;
        Ok(JsonBody(parse_json_document(&bytes)?))
    }
}

/// The body or the error that says why it could not be read.
pub fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::Validation {
                status,
                details: vec![FieldProblem::new(
                    "body",
                    "is larger than this endpoint accepts (see docs/API.md for the limits)",
                )],
            }
        } else if body_timed_out(&rejection) {
            ApiError::Validation {
                status: StatusCode::REQUEST_TIMEOUT,
                details: vec![FieldProblem::new(
                    "body",
                    "stalled: nothing arrived within HTTP_BODY_READ_TIMEOUT",
                )],
            }
        } else {
            ApiError::validation("body", rejection.body_text())
        }
    })
}

/// The body stalled past `HTTP_BODY_READ_TIMEOUT` (the timeout layer's error
/// somewhere in the rejection's causes).
fn body_timed_out(rejection: &BytesRejection) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(err) = cause {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = err.source();
    }
    false
}

/// Accepts an RFC 3339 instant or a bare date (midnight UTC), as the
/// runbook's SQL does (`created_at >= '2025-11-01'`). Years 1–9999 in UTC.
pub fn parse_instant(field: &str, text: &str) -> Result<OffsetDateTime, ApiError> {
    let rule = "must be an RFC 3339 timestamp (2025-11-01T00:00:00Z) or a date (2025-11-01), \
                in years 0001 to 9999 UTC";
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return t
            .checked_to_offset(time::UtcOffset::UTC)
            .ok_or_else(|| ApiError::validation(field, rule));
    }
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| ApiError::validation(field, rule))
}

/// A required `[from, to)` range: each bound an RFC 3339 instant or a date,
/// `to` after `from`. Problems are added to `problems`.
pub fn required_range(
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
