//! The HTTP shapes of responses, defined here and nowhere else.
//!
//! Views are built from store records (`From<&CalculationRecord>`), reading
//! the stored canonical result document through this module's own
//! `StoredResult` mirror: the top-level shape (which members exist, where
//! provenance and time period go) is defined here. The members' contents
//! (`energy_balance`, `loss_breakdown`, `data_quality`, `energy_flows`,
//! `methods`, `second_law`, `process`) are passed through as the stored
//! document has them, under its `schema_version`: a rename inside them is a
//! schema change, caught by the API tests that read those fields.

pub mod analytics;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thermaliq_core::FieldProblem;
use thermaliq_store::{CalculationRecord, JobRecord};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The stored result document, as far as the views read it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StoredResult {
    energy_balance: Value,
    loss_breakdown: Value,
    warnings: Value,
    violations: Value,
    data_quality: Value,
    data_quality_details: Option<Value>,
    energy_flows: Value,
    method: Value,
    basis: Value,
    formulas: Value,
    methods: Option<Value>,
    second_law: Option<Value>,
    process: Option<Value>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimePeriodView {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProvenanceView {
    pub input_hash: String,
    pub output_hash: String,
    pub engine_version: String,
    pub method: Value,
    pub basis: Value,
    pub formulas: Value,
}

/// One calculation (DESIGN.md §4): `GET /calculations/{id}` and the `201` of `POST /calculate`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalculationView {
    pub calculation_id: String,
    pub status: String,
    pub facility_id: String,
    pub time_period: TimePeriodView,
    pub efficiency: Option<f64>,
    pub energy_balance: Value,
    pub loss_breakdown: Value,
    pub warnings: Value,
    pub violations: Value,
    /// Inline energies: completeness, score, point count. From stored
    /// readings: the per-channel report.
    pub data_quality: Value,
    pub energy_flows: Value,
    pub provenance: ProvenanceView,
    pub invalid_reason: Option<String>,
    pub recalculated_from: Option<String>,
    pub created_at: String,
    /// Process calculations: both ASME PTC 4 methods side by side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub methods: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_law: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<Value>,
    /// The uncertainty of each efficiency method reported (derived from the
    /// stored documents, not sealed); absent when not computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<Vec<analytics::EfficiencyUncertaintyView>>,
}

impl From<&CalculationRecord> for CalculationView {
    fn from(r: &CalculationRecord) -> Self {
        let stored: StoredResult = serde_json::from_str(&r.result).unwrap_or_default();
        let data_quality = match stored.data_quality_details {
            Some(details) if details.is_object() => details,
            _ => stored.data_quality,
        };
        CalculationView {
            calculation_id: r.calculation_id.clone(),
            status: r.status.to_string(),
            facility_id: r.facility_id.clone(),
            time_period: TimePeriodView {
                start: rfc3339(r.period_start),
                end: rfc3339(r.period_end),
            },
            efficiency: r.efficiency,
            energy_balance: stored.energy_balance,
            loss_breakdown: stored.loss_breakdown,
            warnings: stored.warnings,
            violations: stored.violations,
            data_quality,
            energy_flows: stored.energy_flows,
            provenance: ProvenanceView {
                input_hash: r.input_hash.clone(),
                output_hash: r.output_hash.clone(),
                engine_version: r.engine_version.clone(),
                method: stored.method,
                basis: stored.basis,
                formulas: stored.formulas,
            },
            invalid_reason: r.invalid_reason.clone(),
            recalculated_from: r.recalculated_from.clone(),
            created_at: rfc3339(r.created_at),
            methods: stored.methods,
            second_law: stored.second_law,
            process: stored.process,
            uncertainty: None,
        }
    }
}

/// One row of `GET /calculations`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalculationSummaryView {
    pub calculation_id: String,
    pub facility_id: String,
    pub period_start: String,
    pub period_end: String,
    pub efficiency: Option<f64>,
    pub status: String,
    pub invalid_reason: Option<String>,
    pub recalculated_from: Option<String>,
    pub created_at: String,
    pub input_hash: String,
    pub output_hash: String,
    pub engine_version: String,
}

impl From<&CalculationRecord> for CalculationSummaryView {
    fn from(r: &CalculationRecord) -> Self {
        CalculationSummaryView {
            calculation_id: r.calculation_id.clone(),
            facility_id: r.facility_id.clone(),
            period_start: rfc3339(r.period_start),
            period_end: rfc3339(r.period_end),
            efficiency: r.efficiency,
            status: r.status.to_string(),
            invalid_reason: r.invalid_reason.clone(),
            recalculated_from: r.recalculated_from.clone(),
            created_at: rfc3339(r.created_at),
            input_hash: r.input_hash.clone(),
            output_hash: r.output_hash.clone(),
            engine_version: r.engine_version.clone(),
        }
    }
}

/// A page of `GET /calculations`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalculationListView {
    pub count: usize,
    pub calculations: Vec<CalculationSummaryView>,
    pub next_cursor: Option<String>,
}

/// `POST /calculations/invalidate`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvalidationView {
    pub invalidated: usize,
    pub calculation_ids: Vec<String>,
    pub reason: String,
}

/// `GET /calculations/{id}/verify`: the verification report and the row it checked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VerificationView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub report: thermaliq_core::verify::VerificationReport,
    pub calculation_id: String,
    pub status: String,
    pub input_hash: String,
    pub output_hash: String,
}

/// A job (`GET /jobs/{id}`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub job_id: String,
    pub kind: String,
    pub status: String,
    pub attempts: u32,
    pub max_attempts: u32,
    pub result: Option<Value>,
    pub calculation_url: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

pub fn job_url(job_id: &str) -> String {
    format!("/v1/thermaliq/jobs/{job_id}")
}

impl From<&JobRecord> for JobView {
    fn from(job: &JobRecord) -> Self {
        let result: Option<Value> = job
            .result
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok());
        let calculation_url = result
            .as_ref()
            .and_then(|r| r["calculation_id"].as_str())
            .map(|id| format!("/v1/thermaliq/calculations/{id}"));
        JobView {
            job_id: job.job_id.clone(),
            kind: job.kind.clone(),
            status: job.status.as_str().to_owned(),
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            result,
            calculation_url,
            last_error: job.last_error.clone(),
            created_at: rfc3339(job.created_at),
            updated_at: rfc3339(job.updated_at),
        }
    }
}

/// The `202 Accepted` body of queued work.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AcceptedJobView {
    pub job_id: String,
    pub kind: String,
    pub status: String,
    pub status_url: String,
}

/// `202 Accepted` with the job and where to poll it (also as `Location`).
impl axum::response::IntoResponse for AcceptedJobView {
    fn into_response(self) -> axum::response::Response {
        let location = axum::http::HeaderValue::from_str(&self.status_url).ok();
        let mut response = (axum::http::StatusCode::ACCEPTED, axum::Json(self)).into_response();
        if let Some(v) = location {
            response
                .headers_mut()
                .insert(axum::http::header::LOCATION, v);
        }
        response
    }
}

impl From<&JobRecord> for AcceptedJobView {
    fn from(job: &JobRecord) -> Self {
        AcceptedJobView {
            job_id: job.job_id.clone(),
            kind: job.kind.clone(),
            status: job.status.as_str().to_owned(),
            status_url: job_url(&job.job_id),
        }
    }
}

/// The error object of one failed batch item (the same shape as an error response's `error`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemErrorView {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub message: String,
    #[schema(value_type = Vec<Object>)]
    pub details: Vec<FieldProblem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calculation_id: Option<String>,
}

/// One item of `POST /calculate/batch`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum BatchItemView {
    Stored {
        index: usize,
        calculation_id: String,
        status: String,
        efficiency: Option<f64>,
    },
    Refused {
        index: usize,
        error: ItemErrorView,
    },
}

/// `POST /calculate/batch`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchView {
    pub count: usize,
    pub stored: usize,
    pub failed: usize,
    pub results: Vec<BatchItemView>,
}

/// `GET /admin/cache/stats`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CacheStatsView {
    pub backend: &'static str,
    pub redis_healthy: Option<bool>,
    pub hits: u64,
    pub misses: u64,
    pub hit_rate: Option<f64>,
    pub redis_errors: u64,
    pub local_entries: usize,
    pub calculation_cache_ttl_seconds: f64,
    pub compression: bool,
}

/// `POST /admin/cache/invalidate`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CacheInvalidationView {
    /// The pattern as requested (`*` with `all: true`).
    pub pattern: String,
    /// The namespaced patterns actually walked (`*` means every ThermalIQ namespace).
    pub patterns: Vec<String>,
    pub removed: u64,
    /// Redis `SCAN` steps taken (0 without Redis).
    pub scan_steps: u64,
    /// `false` when Redis stopped answering part-way: run it again.
    pub complete: bool,
}

/// One API token as `GET /admin/tokens` and `thermaliq token list` show it:
/// never the token or its hash.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    pub token_id: String,
    pub name: String,
    pub scope: &'static str,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub expired: bool,
}

impl TokenView {
    pub fn new(t: &thermaliq_store::TokenRecord, now: OffsetDateTime) -> Self {
        Self {
            token_id: t.token_id.clone(),
            name: t.name.clone(),
            scope: t.scope.as_str(),
            created_at: rfc3339(t.created_at),
            expires_at: t.expires_at.map(rfc3339),
            last_used_at: t.last_used_at.map(rfc3339),
            expired: t.expires_at.is_some_and(|e| e <= now),
        }
    }
}

/// `GET /admin/tokens`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenListView {
    pub tokens: Vec<TokenView>,
}

/// `POST /admin/tokens`: the token itself, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenCreatedView {
    #[serde(flatten)]
    pub info: TokenView,
    pub token: String,
}

/// `DELETE /admin/tokens/{name}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenRevokedView {
    pub name: String,
    pub revoked: bool,
}
