//! Reports (`GET /calculations/{id}/report.{pdf,html}`, `GET
//! /facilities/{id}/report.{pdf,html}`, `thermaliq report`) and the embedded
//! dashboard's asset serving. PDF text is read back with poppler's
//! `pdftotext`, an independent PDF reader (installed by `.ci/run`).
//!
//! Expected efficiencies are the runbook's own test case: (750 + 200) /
//! (1000 + 50) = 90.48 % (GL-009 runbook, scenario 9 step 3).

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_TOKEN, assert_error, runbook_case, skip_or_fail, spawn_app, spawn_sqlite_app_with,
};

const BIN: &str = env!("CARGO_BIN_EXE_thermaliq");

/// The text of a PDF, by `pdftotext -layout`; `None` (after `skip_or_fail`) when it is not installed.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = match Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            skip_or_fail("pdftotext (poppler-utils) is not installed");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "pdftotext refused the PDF: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("pdftotext writes UTF-8"))
}

async fn sankey_labels(app: &crate::helpers::TestApp, id: &str) -> Vec<String> {
    let doc: Value = app
        .get(&format!(
            "/v1/thermaliq/calculations/{id}/sankey?format=json"
        ))
        .await
        .json()
        .await
        .unwrap();
    doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["label"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn pdf_report_text_has_efficiency_basis_hashes_and_sankey_names() {
    let app = spawn_app().await;
    let mut case = runbook_case();
    case["basis"] = json!("hhv");
    let calc = app.calculate(&case).await;
    let id = calc["calculation_id"].as_str().unwrap();
    let r = app
        .get(&format!("/v1/thermaliq/calculations/{id}/report.pdf"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let Some(text) = pdf_text(&pdf) else { return };
    assert!(text.contains("90.48 %"), "efficiency missing:\n{text}");
    assert!(
        text.contains("HHV (higher heating value)"),
        "basis missing:\n{text}"
    );
    for hash in ["input_hash", "output_hash"] {
        let h = calc["provenance"][hash].as_str().unwrap();
        assert!(text.contains(h), "{hash} {h} missing:\n{text}");
    }
    assert!(text.contains(id));
    assert!(
        text.contains(&format!("/calculations/{id}/verify")),
        "how to verify missing"
    );
    assert!(text.contains("ASME PTC 4-2013"), "formula source missing");
    // No process type is known for an inline calculation: the section says so.
    assert!(
        text.contains("Benchmark") && text.contains("No benchmark for this subject"),
        "benchmark section missing:\n{text}"
    );
    for label in sankey_labels(&app, id).await {
        assert!(
            text.contains(&label),
            "Sankey node {label} missing:\n{text}"
        );
    }
}

#[tokio::test]
async fn boiler_report_has_both_methods_and_the_exergy_diagram() {
    let app = spawn_app().await;
    let calc = app
        .calculate(&json!({"facility_id": "FAC-B1",
            "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
            "process": {"type": "boiler", "fuel": {"name": "natural_gas", "mass_flow_kg_h": 800},
              "steam": {"mass_flow_kg_h": 10864, "pressure_mpa": 5.5766, "quality": 1.0},
              "feedwater": {"pressure_mpa": 0.3631, "saturated": "liquid"}, "blowdown_pct": 3.7,
              "flue_gas": {"temperature_c": 180, "o2_pct_dry": 3.0}, "combustion_air_temperature_c": 25,
              "surfaces": [{"area_m2": 50, "temperature_c": 60, "emissivity": 0.9, "orientation": "vertical"}]}}))
        .await;
    let id = calc["calculation_id"].as_str().unwrap();
    let r = app
        .get(&format!(
            "/v1/thermaliq/calculations/{id}/report.pdf?fuel_price_per_mwh=40&currency=EUR"
        ))
        .await;
    assert_eq!(r.status(), 200);
    let Some(text) = pdf_text(&r.bytes().await.unwrap()) else {
        return;
    };
    for key in ["input_output", "heat_loss"] {
        let eff = calc["methods"][key]["efficiency_pct"].as_f64().unwrap();
        assert!(
            text.contains(&format!("{eff:.2} %")),
            "{key} {eff:.2} missing:\n{text}"
        );
    }
    assert!(text.contains("Exergy flows (Grassmann)") && text.contains("Exergy destroyed"));
    // The benchmark of a gas boiler: the DOE Steam Tip Sheet #4 references apply
    // (crates/analytics/data/benchmarks.json), each with its gap.
    assert!(
        text.contains("Benchmark")
            && text.contains("Process type boiler")
            && text.contains("doe-steam-tip4")
            && text.contains("Steam Tip Sheet #4"),
        "benchmark section missing:\n{text}"
    );
    // Opportunities appraised at the given price: the payback column is filled.
    assert!(
        text.contains("Payback") && text.contains("Trim excess air"),
        "{text}"
    );
}

#[tokio::test]
async fn html_report_is_escaped_self_contained_and_locked_down() {
    let app = spawn_app().await;
    let facility = json!({
        "facility_id": "FAC-REP-HTML", "name": "<script>alert('x')</script> & Co",
        "process_type": "boiler", "time_zone": "UTC",
        "channels": [{"tag": "gas", "role": "input", "category": "fuel", "kind": "interval_energy",
                      "unit": "kWh", "interval_minutes": 60, "stamping": "interval_end"},
        {"tag": "steam", "role": "output", "category": "steam", "kind": "interval_energy",
         "unit": "kWh", "interval_minutes": 60, "stamping": "interval_end"}]});
    let r = app.post("/v1/thermaliq/facilities", &facility).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let mut case = runbook_case();
    case["facility_id"] = json!("FAC-REP-HTML");
    let calc = app.calculate(&case).await;
    let id = calc["calculation_id"].as_str().unwrap();
    let r = app
        .get(&format!("/v1/thermaliq/calculations/{id}/report.html"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        r.headers()["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'"
    );
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script>alert"), "facility name not escaped");
    assert!(html.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co"));
    assert!(html.contains("90.48 %"));
    assert!(html.contains(calc["provenance"]["output_hash"].as_str().unwrap()));
    assert!(html.contains("<svg"), "Sankey missing");
    for attr in ["src=", "href=", "url("] {
        assert!(
            !html.contains(attr),
            "the report references something ({attr})"
        );
    }
}

#[tokio::test]
async fn facility_pdf_report_covers_the_period_only() {
    let app = spawn_app().await;
    let facility = json!({"facility_id": "FAC-REP-PDF", "name": "Boiler house R", "process_type": "boiler",
        "time_zone": "UTC", "channels": [{"tag": "gas", "role": "input", "category": "fuel",
        "kind": "interval_energy", "unit": "kWh", "interval_minutes": 60, "stamping": "interval_end"},
        {"tag": "steam", "role": "output", "category": "steam", "kind": "interval_energy",
         "unit": "kWh", "interval_minutes": 60, "stamping": "interval_end"}]});
    let r = app.post("/v1/thermaliq/facilities", &facility).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let mut ids = Vec::new();
    // 90.48 % and 80.00 % inside the period (mean 85.24 %), one outside.
    for (day, fuel, steam) in [
        ("01", 1000.0, 750.0),
        ("02", 1000.0, 640.0),
        ("20", 1000.0, 500.0),
    ] {
        let calc = app
            .calculate(&json!({"facility_id": "FAC-REP-PDF",
                "time_period": {"start": format!("2025-11-{day}T00:00:00Z"), "end": format!("2025-11-{day}T01:00:00Z")},
                "energy_input": {"fuel": fuel, "electricity": 50.0},
                "energy_output": {"steam": steam, "electricity": 200.0}}))
            .await;
        ids.push(calc["calculation_id"].as_str().unwrap().to_owned());
    }
    let r = app
        .get("/v1/thermaliq/facilities/FAC-REP-PDF/report.pdf?from=2025-11-01&to=2025-11-10")
        .await;
    assert_eq!(r.status(), 200);
    let Some(text) = pdf_text(&r.bytes().await.unwrap()) else {
        return;
    };
    assert!(text.contains(&ids[0]) && text.contains(&ids[1]), "{text}");
    assert!(
        !text.contains(&ids[2]),
        "a calculation outside the period is listed"
    );
    // (90.476 + 80.000) / 2, from the runbook case and 840/1050.
    assert!(text.contains("85.24 %"), "mean efficiency missing:\n{text}");
    assert!(text.contains("Boiler house R (FAC-REP-PDF)"));
}

#[tokio::test]
async fn report_parameters_are_checked() {
    let app = spawn_app().await;
    let calc = app.calculate(&runbook_case()).await;
    let id = calc["calculation_id"].as_str().unwrap();
    let r = app
        .get(&format!(
            "/v1/thermaliq/calculations/{id}/report.pdf?currency=eur"
        ))
        .await;
    assert_error(r, 400, "ValidationError", Some("currency")).await;
    let r = app
        .get(&format!(
            "/v1/thermaliq/calculations/{id}/report.html?from=2025-11-01"
        ))
        .await;
    assert_error(r, 400, "ValidationError", Some("from")).await;
    let r = app
        .get("/v1/thermaliq/calculations/CALC-NOPE/report.pdf")
        .await;
    assert_error(r, 404, "NotFound", None).await;
    let r = app
        .get("/v1/thermaliq/facilities/FAC-NOPE/report.html?from=2025-11-02&to=2025-11-01")
        .await;
    assert_error(r, 400, "ValidationError", Some("to")).await;
    let r = app
        .client
        .get(app.url(&format!("/v1/thermaliq/calculations/{id}/report.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn report_cli_writes_the_same_report_offline() {
    let app = spawn_sqlite_app_with(|_| {}).await;
    let calc = app.calculate(&runbook_case()).await;
    let id = calc["calculation_id"].as_str().unwrap();
    let out = app.dir.path().join("r.pdf");
    let status = Command::new(BIN)
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("THERMALIQ_CONFIG")
        .args(["report", id, "--format", "pdf", "-o"])
        .arg(&out)
        .arg("--data-dir")
        .arg(app.dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let pdf = std::fs::read(&out).unwrap();
    let html_out = app.dir.path().join("r.html");
    let status = Command::new(BIN)
        .env_remove("DATABASE_URL")
        .args(["report", id, "--format", "html", "-o"])
        .arg(&html_out)
        .arg("--data-dir")
        .arg(app.dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let html = std::fs::read_to_string(&html_out).unwrap();
    assert!(html.contains("90.48 %") && html.contains(id));
    let bad = Command::new(BIN)
        .env_remove("DATABASE_URL")
        .args(["report", id, "--format", "docx", "-o"])
        .arg(app.dir.path().join("x"))
        .arg("--data-dir")
        .arg(app.dir.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--format must be pdf or html"));
    let Some(text) = pdf_text(&pdf) else { return };
    assert!(
        text.contains("90.48 %")
            && text.contains(calc["provenance"]["input_hash"].as_str().unwrap())
    );
    let _ = Path::new(&out);
}

#[tokio::test]
async fn dashboard_assets_are_served_with_types_cache_headers_and_csp() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "no-cache");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(html.contains("/ui/js/app.js"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the page names another host"
    );
    let r = app
        .client
        .get(app.url("/ui/js/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let again = app
        .client
        .get(app.url("/ui/js/app.js"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let css = app
        .client
        .get(app.url("/ui/style.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    let missing = app
        .client
        .get(app.url("/ui/js/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let _ = ADMIN_TOKEN;
}
