//! Token administration: `/admin/tokens` and `thermaliq token create|list|revoke`.
//! Names are unique, expiry is enforced, the secret is shown once and never
//! listed, every action is in the audit log; and the cache invalidation's
//! guard against a bare `*`.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use thermaliq_store::Scope;

use crate::helpers::{ADMIN_TOKEN, assert_error, spawn_app, spawn_sqlite_app_with};
use crate::process::{BIN, SCRUBBED};

async fn get_as(app: &crate::helpers::TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn admin_creates_lists_and_revokes_tokens_and_each_action_is_audited() {
    let app = spawn_sqlite_app_with(|_| {}).await;
    let created = app
        .post(
            "/v1/thermaliq/admin/tokens",
            &json!({"name": "grafana", "scope": "read", "expires_in_days": 30}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("tiq_"), "{created}");
    assert_eq!(created["scope"], "read");
    let expires = time::OffsetDateTime::parse(
        created["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let in_days = (expires - time::OffsetDateTime::now_utc()).whole_hours();
    assert!((29 * 24..=30 * 24).contains(&in_days), "{in_days} hours");

    // Names are unique.
    let again = app
        .post(
            "/v1/thermaliq/admin/tokens",
            &json!({"name": "grafana", "scope": "admin"}),
        )
        .await;
    assert_error(again, 400, "ValidationError", Some("name")).await;
    let bad = app
        .post(
            "/v1/thermaliq/admin/tokens",
            &json!({"name": "x", "scope": "read", "expires_in_days": 0}),
        )
        .await;
    assert_error(bad, 400, "ValidationError", Some("expires_in_days")).await;

    // The new token works with its scope, and its use is recorded.
    assert_eq!(
        get_as(&app, &secret, "/v1/thermaliq/calculations")
            .await
            .status(),
        200
    );
    assert_eq!(
        get_as(&app, &secret, "/v1/thermaliq/admin/tokens")
            .await
            .status(),
        403
    );
    let mut listed = Value::Null;
    for _ in 0..40 {
        let response = app.get("/v1/thermaliq/admin/tokens").await;
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        assert!(!text.contains(&secret), "a listing never shows a token");
        assert!(!text.contains("token_hash"), "{text}");
        listed = serde_json::from_str(&text).unwrap();
        if listed["tokens"][1]["last_used_at"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let names: Vec<&str> = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bootstrap-admin", "grafana"]);
    let grafana = &listed["tokens"][1];
    assert_eq!(grafana["expired"], false);
    assert!(grafana["last_used_at"].is_string(), "{grafana}");
    assert!(grafana["created_at"].is_string() && grafana["token_id"].is_string());

    // Revoked: it stops working at once; a second revocation is a 404.
    let revoke = app
        .client
        .delete(app.url("/v1/thermaliq/admin/tokens/grafana"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    assert_error(
        get_as(&app, &secret, "/v1/thermaliq/calculations").await,
        401,
        "Unauthorized",
        None,
    )
    .await;
    let again = app
        .client
        .delete(app.url("/v1/thermaliq/admin/tokens/grafana"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_error(again, 404, "NotFound", None).await;

    let sql = app.sql().await;
    let audit: Vec<(String, String, String)> =
        sqlx::query_as("SELECT actor, action, subject FROM audit_log ORDER BY audit_id")
            .fetch_all(&sql)
            .await
            .unwrap();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|(actor, action, _)| (actor.as_str(), action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("bootstrap", "token.create"),
            ("bootstrap-admin", "token.create"),
            ("bootstrap-admin", "token.revoke")
        ]
    );
    assert_eq!(audit[2].2, "grafana");
}

#[tokio::test]
async fn an_expired_token_is_refused_naming_the_expiry() {
    let app = spawn_sqlite_app_with(|_| {}).await;
    let created: Value = app
        .post(
            "/v1/thermaliq/admin/tokens",
            &json!({"name": "temp", "scope": "read", "expires_in_days": 1}),
        )
        .await
        .json()
        .await
        .unwrap();
    let secret = created["token"].as_str().unwrap();
    assert_eq!(
        get_as(&app, secret, "/v1/thermaliq/calculations")
            .await
            .status(),
        200
    );
    // A day later, as far as the store is concerned.
    sqlx::query(
        "UPDATE api_tokens SET expires_at = '2000-01-01 00:00:00.000000' WHERE name = 'temp'",
    )
    .execute(&app.sql().await)
    .await
    .unwrap();
    let body = assert_error(
        get_as(&app, secret, "/v1/thermaliq/calculations").await,
        401,
        "Unauthorized",
        None,
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
    let listed: Value = app
        .get("/v1/thermaliq/admin/tokens")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["tokens"][1]["expired"], true, "{listed}");
}

#[tokio::test]
async fn cache_invalidation_refuses_a_bare_star_without_all() {
    let app = spawn_app().await;
    let calculate_token = app.token(Scope::Calculate).await;
    let forbidden = app
        .post_as(
            &calculate_token,
            "/v1/thermaliq/admin/cache/invalidate",
            &json!({"pattern": "calculation:*"}),
        )
        .await;
    assert_eq!(forbidden.status(), 403);
    let bare = app
        .post(
            "/v1/thermaliq/admin/cache/invalidate",
            &json!({"pattern": "*"}),
        )
        .await;
    assert_error(bare, 400, "ValidationError", Some("all")).await;
    let foreign = app
        .post(
            "/v1/thermaliq/admin/cache/invalidate",
            &json!({"pattern": "session:*"}),
        )
        .await;
    assert_error(foreign, 400, "ValidationError", Some("pattern")).await;

    let body = app.calculate(&crate::helpers::runbook_case()).await;
    let id = body["calculation_id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/v1/thermaliq/calculations/{id}"))
            .await
            .status(),
        200
    );
    let all = app
        .post(
            "/v1/thermaliq/admin/cache/invalidate",
            &json!({"pattern": "*", "all": true}),
        )
        .await;
    assert_eq!(all.status(), 200);
    let all: Value = all.json().await.unwrap();
    assert_eq!(all["complete"], true, "{all}");
    assert_eq!(
        all["patterns"],
        json!(["calculation:*", "sankey:*", "historian:*", "energy_meter:*"])
    );
    assert!(
        all["removed"].as_u64().unwrap() >= 1,
        "the cached view was removed: {all}"
    );
}

fn cli(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    for name in SCRUBBED {
        cmd.env_remove(name);
    }
    cmd.env("THERMALIQ_DATA_DIR", dir)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn cli_token_create_list_and_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let created = cli(
        dir.path(),
        &[
            "token",
            "create",
            "--name",
            "ops",
            "--scope",
            "admin",
            "--expires-in-days",
            "7",
        ],
    );
    assert!(created.status.success(), "{created:?}");
    let secret = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let twice = cli(
        dir.path(),
        &["token", "create", "--name", "ops", "--scope", "read"],
    );
    assert!(!twice.status.success());
    assert!(
        String::from_utf8_lossy(&twice.stderr).contains("names are unique"),
        "{twice:?}"
    );

    let listed = cli(dir.path(), &["token", "list"]);
    assert!(listed.status.success(), "{listed:?}");
    let text = String::from_utf8(listed.stdout).unwrap();
    assert!(!text.contains(&secret));
    let listed: Value = serde_json::from_str(&text).unwrap();
    let ops = &listed["tokens"][0];
    assert_eq!(
        (ops["name"].as_str(), ops["scope"].as_str()),
        (Some("ops"), Some("admin"))
    );
    assert!(
        ops["expires_at"].is_string() && ops["last_used_at"].is_null(),
        "{ops}"
    );

    let revoked = cli(dir.path(), &["token", "revoke", "--name", "ops"]);
    assert!(revoked.status.success(), "{revoked:?}");
    let missing = cli(dir.path(), &["token", "revoke", "--name", "ops"]);
    assert_eq!(missing.status.code(), Some(1), "{missing:?}");
    let listed: Value =
        serde_json::from_slice(&cli(dir.path(), &["token", "list"]).stdout).unwrap();
    assert_eq!(listed["tokens"], json!([]));
}
