//! Bearer tokens and scopes.

use serde_json::json;
use thermaliq_store::Scope;

use crate::helpers::{assert_error, runbook_case, spawn_app};

#[tokio::test]
async fn missing_or_wrong_tokens_are_unauthorized() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/v1/thermaliq/calculate"))
        .json(&runbook_case())
        .send()
        .await
        .unwrap();
    assert_error(response, 401, "Unauthorized", None).await;
    let response = app
        .post_as(
            "tiq_not-a-real-token",
            "/v1/thermaliq/calculate",
            &runbook_case(),
        )
        .await;
    assert_error(response, 401, "Unauthorized", None).await;
    let response = app
        .client
        .get(app.url("/v1/thermaliq/calculations"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_error(response, 401, "Unauthorized", None).await;
}

#[tokio::test]
async fn scopes_are_nested_read_calculate_admin() {
    let app = spawn_app().await;
    let read = app.token(Scope::Read).await;
    let calc = app.token(Scope::Calculate).await;

    let response = app
        .post_as(&read, "/v1/thermaliq/calculate", &runbook_case())
        .await;
    assert_error(response, 403, "Forbidden", None).await;

    let response = app
        .post_as(&calc, "/v1/thermaliq/calculate", &runbook_case())
        .await;
    assert_eq!(response.status(), 201);
    let id = response.json::<serde_json::Value>().await.unwrap()["calculation_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = app
        .client
        .get(app.url(&format!("/v1/thermaliq/calculations/{id}")))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // Invalidation is an admin action.
    let invalidate = json!({"from": "2000-01-01", "to": "2100-01-01", "reason": "test"});
    let response = app
        .post_as(&calc, "/v1/thermaliq/calculations/invalidate", &invalidate)
        .await;
    assert_error(response, 403, "Forbidden", None).await;
}

#[tokio::test]
async fn health_ready_and_metrics_need_no_token() {
    let app = spawn_app().await;
    for path in ["/health", "/v1/thermaliq/health", "/ready", "/metrics"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers().contains_key("x-request-id"), "{path}");
    }
}
