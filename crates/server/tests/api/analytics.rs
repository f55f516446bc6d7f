//! Analytics over HTTP (issue 10): benchmarks, efficiency trends with
//! change points, ISO 50006 baselines with CUSUM, and uncertainty. Expected
//! values come from outside the code: statsmodels (tools/analytics_peer.py,
//! `ANALYTICS_PEER_FILE`), numpy's percentile definition, GUM formulas, and
//! planted steps in generated data.
//!
//! Runs on PostgreSQL when `DATABASE_URL` is set, else on SQLite.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;

use crate::helpers::{TestApp, assert_error, skip_or_fail, spawn_app};

fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-9)
}

fn facility(id: &str, variables: &[(&str, &str)]) -> Value {
    let mut channels = vec![
        json!({"tag": "gas", "role": "input", "category": "fuel", "kind": "interval_energy",
               "unit": "kWh", "interval_minutes": 15, "stamping": "interval_end", "uncertainty_pct": 2}),
        json!({"tag": "steam", "role": "output", "category": "steam", "kind": "power", "unit": "kW"}),
    ];
    for (tag, kind) in variables {
        channels.push(json!({"tag": tag, "role": "variable", "category": "driver", "kind": kind, "unit": "t"}));
    }
    json!({"facility_id": id, "name": "Boiler house", "process_type": "boiler",
           "time_zone": "UTC", "channels": channels})
}

/// One inline calculation of an hour from `start`.
fn inline(id: &str, start: OffsetDateTime, input: f64, output: f64) -> Value {
    json!({"facility_id": id,
           "time_period": {"start": ts(start), "end": ts(start + time::Duration::hours(1))},
           "energy_input": {"fuel": input}, "energy_output": {"steam": output}})
}

async fn store_all(app: &TestApp, items: Vec<Value>) {
    for chunk in items.chunks(500) {
        let r = app
            .post(
                "/v1/thermaliq/calculate/batch",
                &json!({"calculations": chunk}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["failed"], 0, "{body}");
    }
}

async fn create_facility(app: &TestApp, body: &Value) {
    let r = app.post("/v1/thermaliq/facilities", body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// Fleet statistics with numpy's definitions (numpy.percentile "linear" =
/// Hyndman & Fan 7; scipy.stats.percentileofscore kind="mean"), computed by
/// hand for peers 70, 75, 80, 85, 90 and the facility at 82:
/// p25 = 75, median = 80, p75 = 85; percentile = 100 · 3/5 = 60.
/// The DOE Steam Tip Sheet #4 tuned natural-gas boiler (83.1 %) applies:
/// gap 1.1 points; at the hour's load (820 kWh of output an hour, 8766 h a
/// year) the gap costs Q/0.82 − Q/0.831 of input a year.
#[tokio::test]
async fn benchmark_places_a_calculation_among_references_and_peers() {
    let app = spawn_app().await;
    let t0 = datetime!(2025-06-01 00:00 UTC);
    let mut items = vec![inline("FAC-SELF", t0, 1000.0, 820.0)];
    for (i, eta) in [70.0, 75.0, 80.0, 85.0, 90.0].iter().enumerate() {
        let id = format!("FAC-PEER-{i}");
        create_facility(&app, &facility(&id, &[])).await;
        items.push(inline(
            &id,
            t0 - time::Duration::days(2),
            1000.0,
            eta * 10.0,
        ));
    }
    create_facility(&app, &facility("FAC-SELF", &[])).await;
    store_all(&app, items).await;
    let list: Value = app
        .get("/v1/thermaliq/calculations?facility_id=FAC-SELF")
        .await
        .json()
        .await
        .unwrap();
    let id = list["calculations"][0]["calculation_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let b: Value = app
        .get(&format!(
            "/v1/thermaliq/calculations/{id}/benchmark?fuel=natural_gas"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["process_type"], "boiler", "{b}");
    assert!(close(b["efficiency_pct"].as_f64().unwrap(), 82.0, 1e-12));
    let fleet = &b["fleet"];
    assert_eq!(fleet["n"], 5, "{b}");
    assert_eq!(fleet["withheld"], false);
    assert!(close(fleet["percentile"].as_f64().unwrap(), 60.0, 1e-12));
    assert!(close(fleet["median"].as_f64().unwrap(), 80.0, 1e-12));
    assert!(close(fleet["p25"].as_f64().unwrap(), 75.0, 1e-12));
    assert!(close(fleet["p75"].as_f64().unwrap(), 85.0, 1e-12));
    let tuned = b["references"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reference"]["id"] == "doe-steam-tip4-ng-tuned")
        .expect("the DOE tip sheet row applies to a natural-gas boiler");
    assert!(close(tuned["gap_points"].as_f64().unwrap(), 1.1, 1e-9));
    let q = 820.0 * 8766.0;
    assert!(close(
        tuned["gap_energy_kwh_per_year"].as_f64().unwrap(),
        q / 0.82 - q / 0.831,
        1e-9
    ));
    assert!(
        tuned["reference"]["source"]
            .as_str()
            .unwrap()
            .contains("DOE")
    );
    assert!(
        b["references"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["reference"]["process_type"] == "boiler"
                && ["natural_gas", "any"].contains(&r["reference"]["fuel"].as_str().unwrap()))
    );

    // The facility view over the same day; with one peer fewer the fleet is withheld.
    let f: Value = app
        .get("/v1/thermaliq/facilities/FAC-PEER-0/benchmark?from=2025-05-01&to=2025-05-31")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        close(f["efficiency_pct"].as_f64().unwrap(), 70.0, 1e-12),
        "{f}"
    );
    assert_eq!(
        f["fleet"]["n"], 4,
        "FAC-SELF has no calculation in May: {f}"
    );
    assert_eq!(f["fleet"]["withheld"], true);
    assert_eq!(f["fleet"]["median"], Value::Null);

    let missing = app
        .get("/v1/thermaliq/facilities/FAC-SELF/benchmark?from=2025-07-01")
        .await;
    assert_error(missing, 400, "ValidationError", Some("to")).await;
}

/// A year of daily efficiency with a planted drop of 5 points on day 200
/// and ±0.5-point noise (a fixed pseudo-random sequence): one change point
/// at day 200, flagged degradation; means within the noise of 85 and 80.
#[tokio::test]
async fn efficiency_trend_finds_a_planted_step_as_degradation() {
    let app = spawn_app().await;
    let t0 = datetime!(2025-01-01 00:00 UTC);
    let mut state = 12345u64;
    let mut noise = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 1.0
    };
    let items: Vec<Value> = (0..300)
        .map(|d| {
            let eta = if d < 200 { 85.0 } else { 80.0 } + noise();
            inline(
                "FAC-TREND",
                t0 + time::Duration::days(d),
                1000.0,
                eta * 10.0,
            )
        })
        .collect();
    store_all(&app, items).await;
    let r: Value = app
        .get("/v1/thermaliq/facilities/FAC-TREND/efficiency?from=2025-01-01&to=2026-01-01&interval=day")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["series"].as_array().unwrap().len(), 300, "{r}");
    let cps = r["change_points"].as_array().unwrap();
    assert_eq!(cps.len(), 1, "{cps:?}");
    assert_eq!(cps[0]["time"], ts(t0 + time::Duration::days(200)));
    assert_eq!(cps[0]["degradation"], true);
    assert!((cps[0]["mean_before"].as_f64().unwrap() - 85.0).abs() < 0.1);
    assert!((cps[0]["mean_after"].as_f64().unwrap() - 80.0).abs() < 0.1);
    assert_eq!(r["degradation"], true);
    let trend = &r["trend"];
    assert!(trend["slope_points_per_year"].as_f64().unwrap() < 0.0);
    assert!(trend["ci95_low"].as_f64().unwrap() < trend["ci95_high"].as_f64().unwrap());
    assert!(r["series"][6]["rolling_mean"].is_number());
    assert_eq!(r["series"][5]["rolling_mean"], Value::Null);

    let bad = app
        .get("/v1/thermaliq/facilities/FAC-TREND/efficiency?from=2025-01-01&to=2026-01-01&interval=year")
        .await;
    assert_error(bad, 400, "ValidationError", Some("interval")).await;
}

fn peer_dataset(name: &str) -> Option<Value> {
    let Ok(path) = std::env::var("ANALYTICS_PEER_FILE") else {
        skip_or_fail("ANALYTICS_PEER_FILE is not set (run tools/analytics_peer.py)");
        return None;
    };
    let text = std::fs::read_to_string(&path).expect("peer file readable");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["kind"] == "dataset" && v["name"] == name)
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// statsmodels' OLS on `monthly_production_hdd` (36 months, 4 candidate
/// variables, 15 models), sent through the API as monthly calculations and
/// variable readings: every model's coefficients, standard errors, p
/// values, R², adjusted R², F and its p agree; the best valid model is
/// statsmodels' best; over the baseline period itself the CUSUM of an OLS
/// fit with an intercept returns to zero (its residuals sum to zero).
#[tokio::test]
async fn baseline_fit_matches_statsmodels_and_its_cusum_closes() {
    let Some(ds) = peer_dataset("monthly_production_hdd") else {
        return;
    };
    let app = spawn_app().await;
    let names: Vec<String> = ds["variables"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let vars: Vec<(&str, &str)> = names
        .iter()
        .map(|n| {
            (
                n.as_str(),
                if n == "hdd" {
                    "sample"
                } else {
                    "interval_total"
                },
            )
        })
        .collect();
    create_facility(&app, &facility("FAC-BL", &vars)).await;
    let energy = floats(&ds["energy"]);
    let month = |i: usize| {
        datetime!(2022-01-01 00:00 UTC)
            .replace_year(2022 + (i / 12) as i32)
            .unwrap()
            .replace_month(time::Month::try_from(1 + (i % 12) as u8).unwrap())
            .unwrap()
    };
    store_all(
        &app,
        energy
            .iter()
            .enumerate()
            .map(|(i, e)| inline("FAC-BL", month(i), *e, 0.8 * e))
            .collect(),
    )
    .await;
    let mut readings = Vec::new();
    for n in &names {
        for (i, v) in floats(&ds["variables"][n]).iter().enumerate() {
            readings.push(
                json!({"tag": n, "timestamp": ts(month(i) + time::Duration::hours(3)), "value": v}),
            );
        }
    }
    let r = app
        .post(
            "/v1/thermaliq/facilities/FAC-BL/readings",
            &json!({"readings": readings}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    let request = json!({"name": "baseline-2022", "from": "2022-01-01", "to": "2025-01-01",
                         "interval": "month", "energy": "input", "variables": names});
    let r = app
        .post("/v1/thermaliq/facilities/FAC-BL/baselines", &request)
        .await;
    assert_eq!(r.status(), 201);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["intervals_used"], 36, "{b}");
    let peer_models = ds["models"].as_array().unwrap();
    assert_eq!(b["models"].as_array().unwrap().len(), peer_models.len());
    for pm in peer_models {
        let want: Vec<&str> = pm["variables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let same = |m: &Value| {
            let mut a: Vec<&str> = m["coefficients"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap())
                .collect();
            let mut w = want.clone();
            a.sort_unstable();
            w.sort_unstable();
            a == w
        };
        let got = b["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| same(m))
            .unwrap_or_else(|| panic!("model {want:?} missing"));
        let params = floats(&pm["params"]);
        let bse = floats(&pm["bse"]);
        let pvalues = floats(&pm["pvalues"]);
        assert!(close(
            got["intercept"]["estimate"].as_f64().unwrap(),
            params[0],
            1e-8
        ));
        for c in got["coefficients"].as_array().unwrap() {
            let j = 1 + want.iter().position(|n| *n == c["name"]).unwrap();
            assert!(
                close(c["estimate"].as_f64().unwrap(), params[j], 1e-8),
                "{want:?}"
            );
            assert!(close(c["std_error"].as_f64().unwrap(), bse[j], 1e-8));
            assert!((c["p_value"].as_f64().unwrap() - pvalues[j]).abs() < 1e-9);
        }
        assert!(
            (got["r_squared"].as_f64().unwrap() - pm["rsquared"].as_f64().unwrap()).abs() < 1e-12
        );
        assert!(
            (got["adj_r_squared"].as_f64().unwrap() - pm["rsquared_adj"].as_f64().unwrap()).abs()
                < 1e-12
        );
        assert!(close(
            got["f_statistic"].as_f64().unwrap(),
            pm["fvalue"].as_f64().unwrap(),
            1e-8
        ));
        assert!(
            (got["f_p_value"].as_f64().unwrap() - pm["f_pvalue"].as_f64().unwrap()).abs() < 1e-9
        );
        assert_eq!(got["validity"]["valid"], pm["valid"], "{want:?}");
    }
    let mut best: Vec<&str> = ds["best"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut chosen: Vec<&str> = b["model"]["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    best.sort_unstable();
    chosen.sort_unstable();
    assert_eq!(chosen, best, "statsmodels' best valid model");
    assert_eq!(b["chosen"], "best_valid");

    let p: Value = app
        .get("/v1/thermaliq/facilities/FAC-BL/baselines/baseline-2022/performance?from=2022-01-01&to=2025-01-01")
        .await
        .json()
        .await
        .unwrap();
    let intervals = p["intervals"].as_array().unwrap();
    assert_eq!(intervals.len(), 36, "{p}");
    let scale: f64 = energy.iter().sum();
    assert!(
        intervals[35]["cusum"].as_f64().unwrap().abs() < 1e-9 * scale,
        "{p}"
    );
    assert!(close(p["senpi"].as_f64().unwrap(), 1.0, 1e-12));
    assert_eq!(p["intervals"][0]["start"], "2022-01-01T00:00:00Z");

    // Three months for four variables: fewer points than variables + 2.
    let short = json!({"name": "short", "from": "2022-01-01", "to": "2022-04-01",
                       "interval": "month", "energy": "input", "variables": names});
    let r = app
        .post("/v1/thermaliq/facilities/FAC-BL/baselines", &short)
        .await;
    let e = assert_error(r, 422, "ValidationError", Some("energy")).await;
    assert!(e.to_string().contains("at least"), "{e}");
    // An energy channel is not a variable.
    let wrong = json!({"name": "w", "from": "2022-01-01", "to": "2025-01-01",
                       "interval": "month", "energy": "input", "variables": ["gas"]});
    let r = app
        .post("/v1/thermaliq/facilities/FAC-BL/baselines", &wrong)
        .await;
    assert_error(r, 400, "ValidationError", Some("variables[0]")).await;
    let unknown = app
        .get("/v1/thermaliq/facilities/FAC-BL/baselines/nope/performance?from=2022-01-01&to=2023-01-01")
        .await;
    assert_eq!(unknown.status(), 404);
}

/// GUM (JCGM 100:2008) §5.1.6, Eq. (12): for η = output / input the
/// relative uncertainties add in quadrature, u(η)/η = √(u_in² + u_out²).
/// Input 1000 kWh ± 2 %, output 800 kWh ± 1 % (both at 95 %): η = 80 %,
/// U95 = 80 · √(0.02² + 0.01²) = 1.788 85 points; the input carries
/// 4/5 of the variance and the output 1/5.
#[tokio::test]
async fn inline_uncertainty_follows_the_gum_quotient_rule() {
    let app = spawn_app().await;
    let body = json!({"facility_id": "FAC-U",
        "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
        "energy_input": {"fuel": {"value": 1000, "unit": "kWh", "uncertainty_pct": 2}},
        "energy_output": {"steam": {"value": 800, "unit": "kWh", "uncertainty_pct": 1}}});
    let created = app.calculate(&body).await;
    let u = &created["uncertainty"][0];
    assert_eq!(u["efficiency_method"], "input_output", "{created}");
    assert_eq!(u["status"], "estimated");
    assert_eq!(u["method"], "taylor");
    assert_eq!(u["coverage"], 0.95);
    let want = 80.0 * (0.02f64.powi(2) + 0.01f64.powi(2)).sqrt();
    assert!(
        close(u["expanded_points"].as_f64().unwrap(), want, 1e-6),
        "{u}"
    );
    let shares: Vec<(String, f64)> = u["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["input"].as_str().unwrap().to_owned(),
                c["share_of_variance"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(shares[0].0, "energy_input.fuel");
    assert!(
        close(shares[0].1, 0.8, 1e-6) && close(shares[1].1, 0.2, 1e-6),
        "{shares:?}"
    );

    // The same figure on GET (cached view) and the sealed documents untouched.
    let id = created["calculation_id"].as_str().unwrap();
    let got: Value = app
        .get(&format!("/v1/thermaliq/calculations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["uncertainty"], created["uncertainty"]);
    let verify: Value = app
        .get(&format!("/v1/thermaliq/calculations/{id}/verify"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verify["intact"], true, "{verify}");
    assert_eq!(verify["reproducible"], true, "{verify}");

    // No stated uncertainty: `not_given`, never a zero.
    let plain = app.calculate(&crate::helpers::runbook_case()).await;
    let u = &plain["uncertainty"][0];
    assert_eq!(u["status"], "not_given", "{plain}");
    assert_eq!(u["expanded_points"], Value::Null);

    let bad = app
        .post(
            "/v1/thermaliq/calculate",
            &json!({"facility_id": "FAC-U",
            "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
            "energy_input": {"fuel": {"value": 1000, "unit": "kWh", "uncertainty_pct": -2}},
            "energy_output": {"steam": 800}}),
        )
        .await;
    assert_error(
        bad,
        400,
        "ValidationError",
        Some("energy_input.fuel.uncertainty_pct"),
    )
    .await;
}

/// η = 100 · out / in is nonlinear in the input: with ± 30 % (95 %) on the
/// input the distribution of η is skewed to the right (1/x), so GUM
/// Supplement 1's Monte Carlo interval is longer above the estimate than
/// below, and its half-width exceeds first-order Taylor's by a few percent
/// (second-order term: E[1/x] ≈ (1 + (u/x)²)/x); the two agree within 10 %.
#[tokio::test]
async fn monte_carlo_cross_checks_taylor_on_a_nonlinear_case() {
    let app = spawn_app().await;
    let body = json!({"facility_id": "FAC-MC",
        "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
        "energy_input": {"fuel": {"value": 1000, "unit": "kWh", "uncertainty_pct": 30}},
        "energy_output": {"steam": 800}});
    let created = app.calculate(&body).await;
    let id = created["calculation_id"].as_str().unwrap();
    let taylor = created["uncertainty"][0]["expanded_points"]
        .as_f64()
        .unwrap();
    assert!(close(taylor, 80.0 * 0.30, 1e-5), "{created}");
    let url =
        format!("/v1/thermaliq/calculations/{id}?uncertainty=monte_carlo&samples=50000&seed=7");
    let mc: Value = app.get(&url).await.json().await.unwrap();
    let u = &mc["uncertainty"][0];
    assert_eq!(u["method"], "monte_carlo", "{mc}");
    assert_eq!(u["samples"], 50000);
    let (lo, hi) = (
        u["interval_95"][0].as_f64().unwrap(),
        u["interval_95"][1].as_f64().unwrap(),
    );
    assert!(hi - 80.0 > 80.0 - lo, "right-skewed: [{lo}, {hi}]");
    let half = u["expanded_points"].as_f64().unwrap();
    assert!(close(half, taylor, 0.10), "MC {half} vs Taylor {taylor}");
    assert!(half > taylor, "MC {half} vs Taylor {taylor}");
    let again: Value = app.get(&url).await.json().await.unwrap();
    assert_eq!(
        again["uncertainty"], mc["uncertainty"],
        "seeded: the same answer"
    );

    let r = app
        .get(&format!(
            "/v1/thermaliq/calculations/{id}?uncertainty=monte_carlo&samples=5"
        ))
        .await;
    assert_error(r, 400, "ValidationError", Some("samples")).await;
    let r = app
        .get(&format!(
            "/v1/thermaliq/calculations/{id}?uncertainty=guess"
        ))
        .await;
    assert_error(r, 400, "ValidationError", Some("uncertainty")).await;
}

/// Rows written by the previous layout (schema 1, core/tests/data) still
/// verify, and their view says their uncertainty is not given.
#[tokio::test]
async fn old_rows_verify_and_report_no_uncertainty() {
    let app = spawn_app().await;
    let rows: Vec<Value> =
        serde_json::from_str(include_str!("../../../core/tests/data/rows_schema_v1.json")).unwrap();
    for (n, row) in rows.iter().enumerate() {
        let text = |k: &str| row[k].as_str().unwrap().to_owned();
        let record = thermaliq_store::CalculationRecord {
            calculation_id: format!("CALC-OLDROW{n}"),
            facility_id: "FAC-OLD".to_owned(),
            period_start: datetime!(2025-11-01 00:00 UTC),
            period_end: datetime!(2025-11-01 01:00 UTC),
            efficiency: row["efficiency"].as_f64(),
            status: text("status").parse().unwrap(),
            invalid_reason: None,
            recalculated_from: None,
            request: text("request"),
            canonical_input: text("canonical_input"),
            result: text("result"),
            energy_flows: text("energy_flows"),
            input_hash: text("input_hash"),
            output_hash: text("output_hash"),
            engine_version: text("engine_version"),
            created_at: datetime!(2025-11-01 01:00 UTC),
        };
        app.server()
            .state
            .store
            .insert_calculation(&record)
            .await
            .unwrap();
        let view: Value = app
            .get(&format!("/v1/thermaliq/calculations/CALC-OLDROW{n}"))
            .await
            .json()
            .await
            .unwrap();
        if record.efficiency.is_some() {
            let methods = view["uncertainty"].as_array().expect("uncertainty listed");
            assert!(!methods.is_empty(), "{view}");
            assert!(methods.iter().all(|m| m["status"] == "not_given"), "{view}");
        }
        let verify: Value = app
            .get(&format!("/v1/thermaliq/calculations/CALC-OLDROW{n}/verify"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(verify["intact"], true, "{verify}");
    }
}

/// The baseline of "Energy Monitoring & Target Setting using CUSUM"
/// (Cheriton Technology Publications, 1989): a gas-fired furnace,
/// E = 9831 + 15.16 × P (therms a week, P tonnes a week), kept as the
/// requested model over 8 baseline weeks that lie on it. Four reporting
/// weeks (production and actual use chosen here, arithmetic by hand, as in
/// crates/analytics/tests/baseline_performance.rs):
/// expected 24 991, 32 571, 21 959, 28 023; savings −509, 1 571, 959, 523;
/// CUSUM −509, 1 062, 2 021, 2 544; SEnPI (DOE SEP M&V Protocol 2012
/// §3.1.2, Σ actual / Σ expected) = 105 000 / 107 544.
#[tokio::test]
async fn cusum_and_senpi_of_the_published_furnace_baseline() {
    let app = spawn_app().await;
    create_facility(
        &app,
        &facility("FAC-CUSUM", &[("production_t", "interval_total")]),
    )
    .await;
    let monday = datetime!(2024-01-01 00:00 UTC);
    let week = |i: i64| monday + time::Duration::weeks(i);
    let baseline_p = [900.0, 1100.0, 1000.0, 1300.0, 1200.0, 950.0, 1050.0, 1150.0];
    let report_p = [1000.0, 1500.0, 800.0, 1200.0];
    let report_actual = [25_500.0, 31_000.0, 21_000.0, 27_500.0];
    let mut items = Vec::new();
    let mut readings = Vec::new();
    for (i, p) in baseline_p.iter().enumerate() {
        let e = 9831.0 + 15.16 * p;
        items.push(inline("FAC-CUSUM", week(i as i64), e, 0.8 * e));
        readings.push(json!({"tag": "production_t", "timestamp": ts(week(i as i64) + time::Duration::hours(6)), "value": p}));
    }
    for (i, (p, a)) in report_p.iter().zip(report_actual).enumerate() {
        let w = week(10 + i as i64);
        items.push(inline("FAC-CUSUM", w, a, 0.8 * a));
        readings.push(json!({"tag": "production_t", "timestamp": ts(w + time::Duration::hours(6)), "value": p}));
    }
    store_all(&app, items).await;
    let r = app
        .post(
            "/v1/thermaliq/facilities/FAC-CUSUM/readings",
            &json!({"readings": readings}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let fit = json!({"name": "furnace", "from": ts(week(0)), "to": ts(week(8)), "interval": "week",
                     "energy": "input", "variables": ["production_t"], "model": ["production_t"]});
    let r = app
        .post("/v1/thermaliq/facilities/FAC-CUSUM/baselines", &fit)
        .await;
    assert_eq!(r.status(), 201);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["chosen"], "requested");
    assert!(
        close(
            b["model"]["intercept"]["estimate"].as_f64().unwrap(),
            9831.0,
            1e-9
        ),
        "{b}"
    );
    assert!(close(
        b["model"]["coefficients"][0]["estimate"].as_f64().unwrap(),
        15.16,
        1e-9
    ));

    let url = format!(
        "/v1/thermaliq/facilities/FAC-CUSUM/baselines/furnace/performance?from={}&to={}",
        ts(week(10)),
        ts(week(14))
    );
    let p: Value = app.get(&url).await.json().await.unwrap();
    let col = |k: &str| -> Vec<f64> {
        p["intervals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i[k].as_f64().unwrap())
            .collect()
    };
    for (got, want) in col("expected")
        .iter()
        .zip([24_991.0, 32_571.0, 21_959.0, 28_023.0])
    {
        assert!((got - want).abs() < 1e-6, "expected {got} vs {want}");
    }
    for (got, want) in col("savings").iter().zip([-509.0, 1_571.0, 959.0, 523.0]) {
        assert!((got - want).abs() < 1e-6, "savings {got} vs {want}");
    }
    for (got, want) in col("cusum").iter().zip([-509.0, 1_062.0, 2_021.0, 2_544.0]) {
        assert!((got - want).abs() < 1e-6, "cusum {got} vs {want}");
    }
    assert!(
        close(p["senpi"].as_f64().unwrap(), 105_000.0 / 107_544.0, 1e-12),
        "{p}"
    );
    assert!(close(
        p["improvement_pct"].as_f64().unwrap(),
        100.0 * (1.0 - 105_000.0 / 107_544.0),
        1e-9
    ));
}

/// A calculation from readings whose gas meter states ± 2 % (95 %) and
/// whose steam meter states nothing: η ∝ 1/input, so U = 2 % of η (GUM
/// §5.1.6) = 1.6 points at 80 %, all of it from `energy_input.fuel`.
#[tokio::test]
async fn channel_uncertainty_reaches_calculations_from_readings() {
    let app = spawn_app().await;
    create_facility(&app, &facility("FAC-RU", &[])).await;
    let start = datetime!(2025-11-01 00:00 UTC);
    let mut readings = Vec::new();
    for q in 1..=4 {
        readings.push(json!({"tag": "gas", "timestamp": ts(start + time::Duration::minutes(15 * q)), "value": 250.0}));
    }
    for m in 0..=60 {
        readings.push(json!({"tag": "steam", "timestamp": ts(start + time::Duration::minutes(m)), "value": 800.0}));
    }
    let r = app
        .post(
            "/v1/thermaliq/facilities/FAC-RU/readings",
            &json!({"readings": readings}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body = app
        .calculate(&json!({"facility_id": "FAC-RU",
            "time_period": {"start": ts(start), "end": ts(start + time::Duration::hours(1))}}))
        .await;
    assert!(
        close(body["efficiency"].as_f64().unwrap(), 80.0, 1e-9),
        "{body}"
    );
    let u = &body["uncertainty"][0];
    assert_eq!(u["status"], "estimated", "{body}");
    assert!(
        close(u["expanded_points"].as_f64().unwrap(), 1.6, 1e-5),
        "{u}"
    );
    assert_eq!(u["contributions"][0]["input"], "energy_input.fuel");
    assert!(close(
        u["contributions"][0]["share_of_variance"].as_f64().unwrap(),
        1.0,
        1e-9
    ));
}

/// Process inputs take `uncertainties`: with ± 2 % on the metered fuel the
/// input-output efficiency of the IAPWS table boiler (69.893 430 %, see
/// physics.rs) has U = 2 % of it (η = Q_steam / Q_fuel, GUM §5.1.6); the
/// flue-gas O₂ moves only the heat-loss method, which gets its own entry.
#[tokio::test]
async fn process_inputs_carry_uncertainty_to_both_methods() {
    let app = spawn_app().await;
    let body = json!({
        "facility_id": "FAC-PU",
        "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T02:00:00Z"},
        "process": {"type": "boiler",
            "fuel": {"name": "natural_gas", "energy_kw": 1000},
            "steam": {"mass_flow_kg_h": 1000, "pressure_mpa": 30, "temperature_c": 426.85},
            "feedwater": {"pressure_mpa": 3, "temperature_c": 26.85},
            "blowdown_pct": 0,
            "flue_gas": {"temperature_c": 180, "o2_pct_dry": 3.0}},
        "uncertainties": [
            {"input": "process.fuel.energy_kw", "uncertainty_pct": 2},
            {"input": "process.flue_gas.o2_pct_dry", "uncertainty_pct": 10}]
    });
    let created = app.calculate(&body).await;
    let methods = created["uncertainty"].as_array().expect("uncertainty");
    let io = methods
        .iter()
        .find(|m| m["efficiency_method"] == "input_output")
        .expect("input_output");
    let hl = methods
        .iter()
        .find(|m| m["efficiency_method"] == "heat_loss")
        .expect("heat_loss");
    let eta = 1000.0 * (2_631.494_74 - 115.331_273) / 3600.0 / 1000.0 * 100.0;
    assert!(
        close(io["expanded_points"].as_f64().unwrap(), 0.02 * eta, 1e-4),
        "{io}"
    );
    assert_eq!(hl["status"], "estimated");
    let o2_share = hl["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["input"] == "process.flue_gas.o2_pct_dry")
        .map(|c| c["share_of_variance"].as_f64().unwrap())
        .unwrap();
    assert!(o2_share > 0.0, "{hl}");

    let mut stray = body.clone();
    stray["uncertainties"][0]["input"] = json!("process.fuel.nope");
    let r = app.post("/v1/thermaliq/calculate", &stray).await;
    assert_error(r, 400, "ValidationError", Some("uncertainties[0].input")).await;
}
