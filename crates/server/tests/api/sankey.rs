//! Sankey diagrams of stored calculations and ad-hoc graphs.

use serde_json::{Value, json};

use crate::helpers::{assert_error, runbook_case, sample, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_calculation_diagram_in_every_format_and_cached() {
    let app = spawn_app().await;
    let id = app.calculate(&runbook_case()).await["calculation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/thermaliq/calculations/{id}/sankey");

    // No format: SVG, as the runbook's `curl ... -o sankey_ID.svg` expects.
    let response = app.get(&path).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml")
    );
    let svg = response.text().await.unwrap();
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{}",
        &svg[..80.min(svg.len())]
    );
    assert!(svg.contains("FAC-TEST-001") && svg.contains("<text"));
    // Same calculation, same bytes (the second comes from the cache).
    assert_eq!(app.get(&path).await.text().await.unwrap(), svg);
    let metrics = app.metrics().await;
    assert_eq!(sample(&metrics, "thermaliq_cache_hits_total"), Some(1.0));
    assert_eq!(
        sample(
            &metrics,
            "thermaliq_sankey_generation_duration_seconds_count"
        ),
        Some(1.0)
    );

    let json: Value = app
        .get(&format!("{path}?format=json"))
        .await
        .json()
        .await
        .unwrap();
    let total: f64 = json["total_input_kwh"].as_f64().unwrap();
    assert_eq!(total, 1050.0);
    let plotly: Value = app
        .get(&format!("{path}?format=plotly"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(plotly["data"][0]["type"], "sankey");
    let html = app
        .get(&format!("{path}?format=html"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<svg") && !html.contains("http://cdn") && !html.contains("<script src"));

    assert_error(
        app.get(&format!("{path}?format=png")).await,
        400,
        "ValidationError",
        Some("format"),
    )
    .await;
    // Exergy needs second-law data, which an energies-only calculation has not.
    assert_error(
        app.get(&format!("{path}?kind=exergy")).await,
        422,
        "ValidationError",
        Some("kind"),
    )
    .await;
    assert_error(
        app.get("/v1/thermaliq/calculations/CALC-NOPE/sankey").await,
        404,
        "NotFound",
        None,
    )
    .await;
}

#[tokio::test]
async fn exergy_diagrams_for_process_calculations() {
    let app = spawn_app().await;
    let body = app
        .calculate(&json!({
            "facility_id": "FAC-X",
            "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
            "process": {"type": "boiler",
                "fuel": {"name": "natural_gas", "mass_flow_kg_h": 80},
                "steam": {"mass_flow_kg_h": 1400, "pressure_mpa": 1.0, "saturated": "vapor"},
                "feedwater": {"pressure_mpa": 0.2, "temperature_c": 105},
                "blowdown_pct": 3,
                "flue_gas": {"temperature_c": 180, "o2_pct_dry": 3.0}}
        }))
        .await;
    let id = body["calculation_id"].as_str().unwrap();
    let diagram: Value = app
        .get(&format!(
            "/v1/thermaliq/calculations/{id}/sankey?kind=exergy&format=json"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(diagram["kind"], "exergy");
    let roles: Vec<&str> = diagram["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["role"].as_str())
        .collect();
    assert!(roles.contains(&"exergy_destroyed"), "{roles:?}");
}

#[tokio::test]
async fn adhoc_graphs_render_and_cycles_are_named() {
    let app = spawn_app().await;
    let plant = json!({
        "nodes": [{"id": "fuel"}, {"id": "boiler"}, {"id": "header"}, {"id": "users"}, {"id": "stack"}],
        "flows": [
            {"from": "fuel", "to": "boiler", "value": 1000},
            {"from": "boiler", "to": "header", "value": 850},
            {"from": "boiler", "to": "stack", "value": 150},
            {"from": "header", "to": "users", "value": 850}
        ]
    });
    let response = app.post("/v1/thermaliq/sankey?format=json", &plant).await;
    assert_eq!(response.status(), 200);
    let diagram: Value = response.json().await.unwrap();
    assert_eq!(diagram["total_input_kwh"], 1000.0);

    let mut cyclic = plant.clone();
    cyclic["flows"]
        .as_array_mut()
        .unwrap()
        .push(json!({"from": "header", "to": "boiler", "value": 50}));
    let response = app.post("/v1/thermaliq/sankey", &cyclic).await;
    let body = assert_error(response, 422, "ValidationError", None).await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("boiler") && message.contains("header"),
        "{message}"
    );
    let metrics = app.metrics().await;
    assert_eq!(
        sample(
            &metrics,
            "thermaliq_sankey_generation_errors_total{error_type=\"circular_flow\"}"
        ),
        Some(1.0),
        "{metrics}"
    );

    let negative = json!({"nodes": [{"id": "a"}, {"id": "b"}], "flows": [{"from": "a", "to": "b", "value": -1}]});
    let response = app.post("/v1/thermaliq/sankey", &negative).await;
    assert_eq!(response.status(), 422);
}

fn wide_graph(flows: usize) -> Value {
    let mut nodes = vec![json!({"id": "fuel"}), json!({"id": "plant"})];
    let mut links = vec![json!({"from": "fuel", "to": "plant", "value": (flows as f64) * 10.0})];
    for n in 0..flows {
        nodes.push(json!({"id": format!("user{n}")}));
        links.push(json!({"from": "plant", "to": format!("user{n}"), "value": 10.0}));
    }
    json!({"nodes": nodes, "flows": links})
}

#[tokio::test]
async fn large_graphs_can_be_rendered_in_the_background() {
    let app = spawn_app_with(|s| {
        s.sankey.async_generation = true;
        s.sankey.async_min_flows = 50;
    })
    .await;
    let response = app
        .post("/v1/thermaliq/sankey?format=json", &wide_graph(200))
        .await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let poll = accepted["poll_url"].as_str().unwrap().to_owned();
    let mut done = None;
    for _ in 0..200 {
        let response = app.get(&poll).await;
        if response.status() == 200 {
            done = Some(response.json::<Value>().await.unwrap());
            break;
        }
        assert_eq!(response.status(), 202);
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let diagram = done.expect("the background diagram finished");
    // Folded to the default limits, never refused.
    assert!(diagram["nodes"].as_array().unwrap().len() <= 50);
    assert_eq!(diagram["total_input_kwh"], 2000.0);
}

#[tokio::test]
async fn a_slow_diagram_is_a_504_timeout() {
    let app =
        spawn_app_with(|s| s.sankey.generation_timeout = std::time::Duration::from_micros(1)).await;
    let response = app.post("/v1/thermaliq/sankey", &wide_graph(2000)).await;
    assert_error(response, 504, "TimeoutError", None).await;
    let metrics = app.metrics().await;
    assert_eq!(
        sample(
            &metrics,
            "thermaliq_sankey_generation_errors_total{error_type=\"timeout\"}"
        ),
        Some(1.0)
    );
}
