//! GET /calculations: filters, cursor pagination, CSV.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::{assert_error, runbook_case, spawn_app};

#[tokio::test]
async fn filters_and_cursor_pages_cover_every_row_once() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for n in 0..7 {
        let mut body = runbook_case();
        body["facility_id"] = json!(if n % 2 == 0 { "FAC-A" } else { "FAC-B" });
        ids.push(
            app.calculate(&body).await["calculation_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/thermaliq/calculations?facility_id=FAC-A&limit=2&cursor={c}"),
            None => "/v1/thermaliq/calculations?facility_id=FAC-A&limit=2".to_owned(),
        };
        let page: Value = app.get(&path).await.json().await.unwrap();
        for item in page["calculations"].as_array().unwrap() {
            assert_eq!(item["facility_id"], "FAC-A");
            seen.push(item["calculation_id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let expected: Vec<String> = ids.iter().step_by(2).rev().cloned().collect();
    assert_eq!(seen, expected, "newest first, each once");

    let completed: Value = app
        .get("/v1/thermaliq/calculations?status=completed&from=2000-01-01")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(completed["count"], 7);
    let none: Value = app
        .get("/v1/thermaliq/calculations?to=2000-01-01T00:00:00Z")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none["count"], 0);
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len());
}

#[tokio::test]
async fn csv_export_has_a_header_and_one_line_per_calculation() {
    let app = spawn_app().await;
    app.calculate(&runbook_case()).await;
    app.calculate(&runbook_case()).await;
    let response = app.get("/v1/thermaliq/calculations?format=csv").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("calculation_id,facility_id,"));
    let efficiency: f64 = lines[1].split(',').nth(4).unwrap().parse().unwrap();
    assert!((efficiency - 90.476).abs() < 0.001);
}

#[tokio::test]
async fn bad_filters_are_named() {
    let app = spawn_app().await;
    for (query, field) in [
        ("status=done", "status"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("from=yesterday", "from"),
        ("cursor=abc", "cursor"),
        ("format=xml", "format"),
        ("facility=FAC-A", "facility"),
        ("from=2025-11-02&to=2025-11-01", "to"),
    ] {
        let response = app
            .get(&format!("/v1/thermaliq/calculations?{query}"))
            .await;
        assert_error(response, 400, "ValidationError", Some(field)).await;
    }
}
