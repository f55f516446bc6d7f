//! The router and its shared layers: request id, trace span, JSON errors,
//! panic guard and body limit. Reads like wiring; the work is in `routes`.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::middleware;
use axum::response::IntoResponse;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::render_errors;
use crate::routes;
use crate::state::AppState;

/// The largest request body accepted (1 MiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Request ids are ULIDs: unique across replicas and sortable by time.
#[derive(Clone, Copy, Default)]
struct UlidRequestId;

impl MakeRequestId for UlidRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&ulid::Ulid::new().to_string())
            .ok()
            .map(RequestId::new)
    }
}

fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let request_id = request
        .headers()
        .get(crate::error::REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        request_id,
        method = %request.method(),
        path = request.uri().path(),
        caller = tracing::field::Empty,
        facility_id = tracing::field::Empty,
        calculation_id = tracing::field::Empty,
        data_point_count = tracing::field::Empty,
    )
}

/// The OpenAPI 3.1 document of this router (`thermaliq openapi`, the snapshot test).
pub fn openapi_document() -> String {
    routes::openapi::document()
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(routes::health::router())
        .merge(routes::calculations::router(
            state.settings.calculation_batch_max,
        ))
        .merge(routes::physics::router())
        .merge(routes::sankey::router())
        .merge(routes::admin::router())
        .merge(routes::meters::router())
        .merge(routes::jobs::router())
        .merge(routes::facilities::router())
        .merge(routes::analytics::router())
        .merge(routes::reports::router())
        .merge(routes::ui::router())
        .merge(routes::openapi::router())
        .fallback(|| async { StatusCode::NOT_FOUND.into_response() })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // A body that sends nothing for this long fails to read: 408 (extract.rs).
        .layer(RequestBodyTimeoutLayer::new(
            state.settings.http_body_read_timeout,
        ))
        .layer(CatchPanicLayer::custom(|_panic| {
            crate::error::ApiError::Internal("handler panicked".to_owned()).into_response()
        }))
        .layer(middleware::from_fn(render_errors))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(UlidRequestId))
        .with_state(state)
}
