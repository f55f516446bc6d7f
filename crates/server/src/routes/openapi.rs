//! The OpenAPI 3.1 document of this API, generated from the handlers'
//! `#[utoipa::path]` attributes and the views' `ToSchema` derives, served at
//! `GET /v1/thermaliq/openapi.json` (public, like `/health`). The browsable
//! page is the embedded `/ui/api.html` (`/v1/thermaliq/docs` redirects
//! there). `docs/openapi.json` is a snapshot held equal by a test, so an API
//! change shows as a reviewed diff; regenerate it with
//! `thermaliq openapi > docs/openapi.json`.
//!
//! To add an endpoint: put `#[utoipa::path(...)]` on its handler (make the
//! handler `pub(super)`) and add one line to `paths(...)` below.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ThermalIQ API",
        description = "Thermal efficiency calculations, analytics and reports. See docs/API.md."
    ),
    paths(
        super::calculations::calculate_one,
        super::calculations::batch,
        super::calculations::recalculate,
        super::calculations::list,
        super::calculations::invalidate,
        super::calculations::get_one,
        super::calculations::verify,
        super::calculations::opportunities,
        super::physics::steam,
        super::physics::combustion,
        super::sankey::calculation_sankey,
        super::sankey::adhoc_sankey,
        super::sankey::sankey_job,
        super::admin::stats,
        super::admin::invalidate,
        super::admin::list_tokens,
        super::admin::create_token,
        super::admin::revoke_token,
        super::meters::check,
        super::jobs::get_job,
        super::jobs::recalculate_batch,
        super::facilities::create,
        super::facilities::list,
        super::facilities::get_one,
        super::facilities::replace,
        super::facilities::ingest,
        super::analytics::calculation_benchmark_handler,
        super::analytics::facility_benchmark_handler,
        super::analytics::efficiency,
        super::analytics::baselines,
        super::analytics::performance,
        super::health::health,
        super::health::ready,
        super::health::metrics,
        super::reports::calculation_pdf,
        super::reports::calculation_html,
        super::reports::facility_pdf,
        super::reports::facility_html,
        super::openapi::openapi_json,
    ),
    components(schemas(crate::error::ErrorEnvelope)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

/// Every operation takes `Authorization: Bearer <token>` (docs/API.md
/// "Authentication"); health, readiness, metrics and this document do not check it.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as pretty JSON (the snapshot is this plus a newline).
pub fn document() -> String {
    let mut doc = ApiDoc::openapi();
    // The version is the binary's, so the snapshot changes with a release.
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.to_pretty_json().unwrap_or_default()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/thermaliq/openapi.json", get(openapi_json))
        .route(
            "/v1/thermaliq/docs",
            get(|| async { Redirect::to("/ui/api.html") }),
        )
}

#[utoipa::path(
    get,
    path = "/v1/thermaliq/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "This document (OpenAPI 3.1)", body = Object))
)]
pub(super) async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}
