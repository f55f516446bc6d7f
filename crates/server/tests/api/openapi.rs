//! The OpenAPI document: served, equal to the committed snapshot
//! (`docs/openapi.json`, so an API change is a reviewed diff), OpenAPI 3.1,
//! covering every route the routers declare, and its browsable page served.
//! Regenerate the snapshot with `thermaliq openapi > docs/openapi.json` (or
//! run this test with `THERMALIQ_UPDATE_OPENAPI=1`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

use crate::helpers::spawn_app;

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

#[tokio::test]
async fn served_document_equals_the_committed_snapshot() {
    let app = spawn_app().await;
    let response = app.get("/v1/thermaliq/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let served = format!("{}\n", response.text().await.unwrap());
    if std::env::var("THERMALIQ_UPDATE_OPENAPI").as_deref() == Ok("1") {
        std::fs::write(snapshot_path(), &served).unwrap();
    }
    let committed = std::fs::read_to_string(snapshot_path()).unwrap_or_default();
    assert!(
        served == committed,
        "the served OpenAPI document differs from docs/openapi.json; review the change and \
         regenerate it with `thermaliq openapi > docs/openapi.json`"
    );
}

#[tokio::test]
async fn document_is_openapi_3_1_with_bearer_security() {
    let doc: Value = serde_json::from_str(&thermaliq_server::app::openapi_document()).unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // Every error response points at the one error body of error.rs.
    let envelope = &doc["components"]["schemas"]["ErrorEnvelope"];
    assert!(envelope["properties"]["error"].is_object(), "{envelope}");
    assert!(
        envelope["properties"]["request_id"].is_object(),
        "{envelope}"
    );
}

/// The paths given to `.route("...")` in the routers' source, read as text
/// (outside the document's own code), so a route added without its
/// `#[utoipa::path]` fails here.
fn routed_paths() -> BTreeSet<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for piece in text.split(".route(").skip(1) {
            let start = piece.find('"').unwrap() + 1;
            let end = start + piece[start..].find('"').unwrap();
            out.insert(piece[start..end].to_owned());
        }
    }
    out
}

#[tokio::test]
async fn every_routed_path_is_documented() {
    let doc: Value = serde_json::from_str(&thermaliq_server::app::openapi_document()).unwrap();
    let documented: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    // Static dashboard assets, the favicon, the page's redirect and the
    // unversioned alias of the health check are not API operations.
    let not_operations = [
        "/",
        "/favicon.ico",
        "/ui/{*path}",
        "/v1/thermaliq/docs",
        "/health",
    ];
    let routed = routed_paths();
    assert!(routed.len() > 30, "{routed:?}");
    let missing: Vec<_> = routed
        .iter()
        .filter(|p| !not_operations.contains(&p.as_str()) && !documented.contains(*p))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without #[utoipa::path]: {missing:?}"
    );
    let stale: Vec<_> = documented.iter().filter(|p| !routed.contains(*p)).collect();
    assert!(stale.is_empty(), "documented but not routed: {stale:?}");
}

#[tokio::test]
async fn browsable_page_is_served_under_the_csp() {
    let app = spawn_app().await;
    let page = app.get("/ui/api.html").await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"src="/ui/js/api-docs.js""#), "{html}");
    assert!(!html.contains("<script>"), "no inline script under the CSP");
    let script = app.get("/ui/js/api-docs.js").await;
    assert_eq!(script.status(), 200);
    assert!(
        script
            .text()
            .await
            .unwrap()
            .contains("/v1/thermaliq/openapi.json")
    );
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/v1/thermaliq/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 303);
    assert_eq!(redirect.headers()["location"], "/ui/api.html");
}
