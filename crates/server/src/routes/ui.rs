//! The dashboard: a single-page app of plain ES modules under
//! `crates/server/assets/`, embedded in the binary (`include_str!`) and
//! served at `/` and `/ui/*`. No build step, nothing from another host: the
//! Content-Security-Policy allows only this origin (`default-src 'self'`).
//! Assets are revalidated (`no-cache` + a content ETag), so an upgraded
//! binary never serves a stale script.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use thermaliq_core::provenance::sha256_hex;

use crate::state::AppState;

/// `default-src 'self'` and nothing inline; no framing, no base or form elsewhere.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

macro_rules! assets {
    ($($path:literal => $ty:literal),* $(,)?) => {
        &[$(($path, $ty, include_str!(concat!("../../assets/", $path)))),*]
    };
}

/// (path under /ui/, content type, body).
const ASSETS: &[(&str, &str, &str)] = assets![
    "index.html" => "text/html; charset=utf-8",
    "style.css" => "text/css; charset=utf-8",
    "js/app.js" => "text/javascript; charset=utf-8",
    "js/api.js" => "text/javascript; charset=utf-8",
    "js/dom.js" => "text/javascript; charset=utf-8",
    "js/charts.js" => "text/javascript; charset=utf-8",
    "js/pages/facilities.js" => "text/javascript; charset=utf-8",
    "js/pages/facility.js" => "text/javascript; charset=utf-8",
    "js/pages/calculation.js" => "text/javascript; charset=utf-8",
    "js/pages/new.js" => "text/javascript; charset=utf-8",
    "js/pages/upload.js" => "text/javascript; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
    // The browsable API page (routes/openapi.rs serves the document it reads).
    "api.html" => "text/html; charset=utf-8",
    "js/api-docs.js" => "text/javascript; charset=utf-8",
];

fn etags() -> &'static [String] {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|(_, _, body)| format!("\"{}\"", &sha256_hex(body.as_bytes())[..16]))
            .collect()
    })
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(|h: HeaderMap| async move { serve("index.html", &h) }),
        )
        .route(
            "/favicon.ico",
            get(|h: HeaderMap| async move { serve("favicon.svg", &h) }),
        )
        .route(
            "/ui/{*path}",
            get(|Path(path): Path<String>, h: HeaderMap| async move { serve(&path, &h) }),
        )
}

fn serve(path: &str, request: &HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|(p, _, _)| *p == path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (_, content_type, body) = ASSETS[i];
    let etag = &etags()[i];
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, v);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_the_scripts_import_is_served() {
        // A missing entry would only show in the browser; check the imports here.
        for (path, _, body) in ASSETS {
            for line in body
                .lines()
                .filter(|l| l.trim_start().starts_with("import "))
            {
                let Some(spec) = line.split(['\'', '"']).nth(1) else {
                    continue;
                };
                let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
                for seg in spec.split('/') {
                    match seg {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s),
                    }
                }
                let target = parts.join("/");
                assert!(
                    ASSETS.iter().any(|(p, _, _)| *p == target),
                    "{path} imports {spec} ({target}), which is not served"
                );
            }
        }
    }
}
