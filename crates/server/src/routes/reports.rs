//! Reports: `GET /calculations/{id}/report.{pdf,html}` and
//! `GET /facilities/{id}/report.{pdf,html}?from=&to=`. Thin: the query is
//! read here, the report is built by `service::report` and drawn by `report`.
//! Rendering (PDF especially) runs on the blocking pool.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use thermaliq_core::FieldProblem;
use thermaliq_store::Scope;
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::parse_instant;
use crate::report::{self, Report, ReportFormat};
use crate::service::report::ReportOptions;
use crate::service::report_benchmark::{
    calculation_report_with_benchmark, facility_report_with_benchmark,
};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/thermaliq/calculations/{id}/report.pdf",
            get(calculation_pdf),
        )
        .route(
            "/v1/thermaliq/calculations/{id}/report.html",
            get(calculation_html),
        )
        .route(
            "/v1/thermaliq/facilities/{id}/report.pdf",
            get(facility_pdf),
        )
        .route(
            "/v1/thermaliq/facilities/{id}/report.html",
            get(facility_html),
        )
}

struct ReportQuery {
    options: ReportOptions,
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
}

fn read_query(params: &[(String, String)], with_range: bool) -> Result<ReportQuery, ApiError> {
    let mut q = ReportQuery {
        options: ReportOptions::default(),
        from: None,
        to: None,
    };
    let mut problems = Vec::new();
    for (key, value) in params {
        match key.as_str() {
            "fuel_price_per_mwh" => {
                if value
                    .parse::<f64>()
                    .is_ok_and(|v| v.is_finite() && v >= 0.0)
                {
                    q.options.fuel_price_per_mwh = Some(value.clone());
                } else {
                    problems.push(FieldProblem::new(key, "must be a decimal number >= 0"));
                }
            }
            "currency" => {
                if value.len() == 3 && value.chars().all(|c| c.is_ascii_uppercase()) {
                    q.options.currency = Some(value.clone());
                } else {
                    problems.push(FieldProblem::new(key, "must be an ISO 4217 code, e.g. EUR"));
                }
            }
            "from" if with_range => match parse_instant("from", value) {
                Ok(t) => q.from = Some(t),
                Err(ApiError::Validation { details, .. }) => problems.extend(details),
                Err(e) => return Err(e),
            },
            "to" if with_range => match parse_instant("to", value) {
                Ok(t) => q.to = Some(t),
                Err(ApiError::Validation { details, .. }) => problems.extend(details),
                Err(e) => return Err(e),
            },
            other => problems.push(FieldProblem::new(
                other,
                if with_range {
                    "is not a parameter; use from, to, fuel_price_per_mwh, currency"
                } else {
                    "is not a parameter; use fuel_price_per_mwh, currency"
                },
            )),
        }
    }
    if let (Some(from), Some(to)) = (q.from, q.to)
        && to <= from
    {
        problems.push(FieldProblem::new("to", "must be after from"));
    }
    if problems.is_empty() {
        Ok(q)
    } else {
        Err(ApiError::Validation {
            status: axum::http::StatusCode::BAD_REQUEST,
            details: problems,
        })
    }
}

async fn respond(report: Report, format: ReportFormat, name: String) -> Result<Response, ApiError> {
    let body = tokio::task::spawn_blocking(move || report::render(&report, format))
        .await
        .map_err(|e| ApiError::Internal(format!("report renderer stopped: {e}")))?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    // The HTML report carries its own inline CSS and nothing else.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let ext = if format == ReportFormat::Pdf {
        "pdf"
    } else {
        "html"
    };
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}.{ext}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// Ids are letters, digits and `- _ . :` (the store's rule), so safe in a file name.
fn file_stem(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

async fn calculation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
    format: ReportFormat,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    tracing::Span::current().record("calculation_id", id.as_str());
    let q = read_query(&params, false)?;
    let report = calculation_report_with_benchmark(&state, &id, &q.options).await?;
    respond(report, format, format!("report_{}", file_stem(&id))).await
}

async fn facility(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
    format: ReportFormat,
) -> Result<Response, ApiError> {
    caller.require(Scope::Read)?;
    tracing::Span::current().record("facility_id", id.as_str());
    let q = read_query(&params, true)?;
    let to = q.to.unwrap_or_else(OffsetDateTime::now_utc);
    let from = q.from.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let report = facility_report_with_benchmark(&state, &id, (from, to), &q.options).await?;
    respond(report, format, format!("report_{}", file_stem(&id))).await
}

macro_rules! handler {
    ($(#[$meta:meta])* $name:ident, $inner:ident, $format:expr) => {
        $(#[$meta])*
        pub(super) async fn $name(
            state: State<AppState>,
            caller: Caller,
            id: Path<String>,
            params: Query<Vec<(String, String)>>,
        ) -> Result<Response, ApiError> {
            $inner(state, caller, id, params, $format).await
        }
    };
}

handler!(
    #[utoipa::path(
        get,
        path = "/v1/thermaliq/calculations/{id}/report.pdf",
        tag = "reports",
        params(("id" = String, Path, description = "Identifier"), ("currency" = Option<String>, Query)),
        responses(
            (status = 200, description = "The report", content_type = "application/pdf"),
            (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
            (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
        )
    )]
    calculation_pdf,
    calculation,
    ReportFormat::Pdf
);
handler!(
    #[utoipa::path(
        get,
        path = "/v1/thermaliq/calculations/{id}/report.html",
        tag = "reports",
        params(("id" = String, Path, description = "Identifier"), ("currency" = Option<String>, Query)),
        responses(
            (status = 200, description = "The report", body = String, content_type = "text/html"),
            (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
            (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
        )
    )]
    calculation_html,
    calculation,
    ReportFormat::Html
);
handler!(
    #[utoipa::path(
        get,
        path = "/v1/thermaliq/facilities/{id}/report.pdf",
        tag = "reports",
        params(("id" = String, Path, description = "Identifier"), ("from" = Option<String>, Query), ("to" = Option<String>, Query), ("currency" = Option<String>, Query)),
        responses(
            (status = 200, description = "The report", content_type = "application/pdf"),
            (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
            (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
        )
    )]
    facility_pdf,
    facility,
    ReportFormat::Pdf
);
handler!(
    #[utoipa::path(
        get,
        path = "/v1/thermaliq/facilities/{id}/report.html",
        tag = "reports",
        params(("id" = String, Path, description = "Identifier"), ("from" = Option<String>, Query), ("to" = Option<String>, Query), ("currency" = Option<String>, Query)),
        responses(
            (status = 200, description = "The report", body = String, content_type = "text/html"),
            (status = "4XX", description = "Refused: the error names the field and the rule", body = crate::error::ErrorEnvelope),
            (status = "5XX", description = "Server or dependency failure", body = crate::error::ErrorEnvelope),
        )
    )]
    facility_html,
    facility,
    ReportFormat::Html
);
