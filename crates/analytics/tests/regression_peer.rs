//! Regression statistics against an independent implementation: statsmodels'
//! OLS (and scipy's t and F distributions) run by `tools/analytics_peer.py`
//! on datasets generated with known coefficients and noise:
//!
//! ```text
//! python3 tools/analytics_peer.py target/analytics_peer.jsonl
//! ANALYTICS_PEER_FILE=target/analytics_peer.jsonl cargo test -p thermaliq-analytics --test regression_peer -- --nocapture
//! ```
//!
//! Without the file the test is skipped, unless THERMALIQ_REQUIRE_SERVICES=1
//! (CI), where a missing peer file is a failure.
//!
//! Tolerances: statsmodels solves by the pseudo-inverse (SVD), this crate by
//! Cholesky on centred cross-products, so the two agree to rounding scaled by
//! the condition number. The datasets include a badly scaled one
//! (`large_offsets`: ambient in K with 0.5 K spread beside production in kg);
//! the limits below (1e-8 relative; R² 1e-12 absolute) hold there too with
//! margin: the worst deviation seen was 6e-11, in that dataset (the worst
//! deviations are printed with --nocapture).

use analytics::regression::{ValidityRules, Variable, fit_ols, search_models};
use analytics::special::{f_sf, t_quantile, t_two_sided_p};
use serde_json::Value;

/// Relative, with an absolute floor for values near zero.
fn dev(a: f64, b: f64, floor: f64) -> f64 {
    (a - b).abs() / b.abs().max(floor)
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(f).collect()
}

fn peer_lines() -> Option<Vec<Value>> {
    let required = std::env::var("THERMALIQ_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
    let path = match std::env::var("ANALYTICS_PEER_FILE") {
        Ok(p) => p,
        Err(_) if required => {
            panic!(
                "THERMALIQ_REQUIRE_SERVICES=1 but ANALYTICS_PEER_FILE is not set (run tools/analytics_peer.py)"
            )
        }
        Err(_) => {
            println!("SKIPPED: ANALYTICS_PEER_FILE not set (run tools/analytics_peer.py)");
            return None;
        }
    };
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read ANALYTICS_PEER_FILE={path}: {e}"));
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert!(
        lines.len() > 20,
        "peer file {path} has only {} lines",
        lines.len()
    );
    Some(lines)
}

#[derive(Default)]
struct Worst(Vec<(&'static str, f64, String)>);

impl Worst {
    fn check(&mut self, what: &'static str, got: f64, want: f64, floor: f64, tol: f64, ctx: &str) {
        let d = dev(got, want, floor);
        assert!(
            d <= tol,
            "{ctx}: {what} = {got:e}, statsmodels {want:e} (deviation {d:e} > {tol:e})"
        );
        match self.0.iter_mut().find(|w| w.0 == what) {
            Some(w) if w.1 < d => {
                w.1 = d;
                w.2 = ctx.to_owned();
            }
            Some(_) => {}
            None => self.0.push((what, d, ctx.to_owned())),
        }
    }
}

#[test]
fn ols_and_model_search_match_statsmodels() {
    let Some(lines) = peer_lines() else { return };
    let rules = ValidityRules::default();
    let mut worst = Worst::default();
    let mut datasets = 0;
    let mut models_checked = 0;
    for line in lines.iter().filter(|l| l["kind"] == "dataset") {
        datasets += 1;
        let name = line["name"].as_str().unwrap();
        let energy = floats(&line["energy"]);
        let vars = line["variables"].as_object().unwrap();
        // The peer writes the candidates in generation order (serde_json keeps it
        // only with preserve_order, so take the order of the first models).
        let mut order: Vec<String> = Vec::new();
        for m in line["models"].as_array().unwrap() {
            for v in m["variables"].as_array().unwrap() {
                let v = v.as_str().unwrap().to_owned();
                if !order.contains(&v) {
                    order.push(v);
                }
            }
        }
        let candidates: Vec<Variable> = order
            .iter()
            .map(|n| Variable::new(n.clone(), floats(&vars[n])))
            .collect();
        let search = search_models(&energy, &candidates, 4, &rules).expect("search");
        let peer_models = line["models"].as_array().unwrap();
        assert_eq!(
            search.models.len(),
            peer_models.len(),
            "{name}: model count"
        );
        assert!(
            search.skipped.is_empty(),
            "{name}: skipped {:?}",
            search.skipped
        );
        for pm in peer_models {
            let names: Vec<&str> = pm["variables"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let ctx = format!("{name} [{}]", names.join("+"));
            let fit = search
                .find(&names)
                .unwrap_or_else(|| panic!("{ctx}: not fitted"));
            let params = floats(&pm["params"]);
            let bse = floats(&pm["bse"]);
            let tvalues = floats(&pm["tvalues"]);
            let pvalues = floats(&pm["pvalues"]);
            let coefs: Vec<_> = std::iter::once(&fit.intercept)
                .chain(&fit.coefficients)
                .collect();
            assert_eq!(coefs.len(), params.len(), "{ctx}");
            for (i, c) in coefs.iter().enumerate() {
                // A coefficient is compared relative to its standard error when it is
                // statistically zero (its own size says nothing then).
                let floor = bse[i].max(1e-12);
                worst.check("coefficient", c.estimate, params[i], floor, 1e-8, &ctx);
                worst.check("std_error", c.std_error, bse[i], 1e-300, 1e-8, &ctx);
                worst.check("t_value", c.t_value.unwrap(), tvalues[i], 1.0, 1e-8, &ctx);
                // p values: relative where they are not vanishingly small.
                worst.check("p_value", c.p_value.unwrap(), pvalues[i], 1e-10, 1e-8, &ctx);
            }
            worst.check(
                "r_squared",
                fit.r_squared,
                f(&pm["rsquared"]),
                1.0,
                1e-12,
                &ctx,
            );
            worst.check(
                "adj_r_squared",
                fit.adj_r_squared,
                f(&pm["rsquared_adj"]),
                1.0,
                1e-12,
                &ctx,
            );
            worst.check(
                "f_statistic",
                fit.f_statistic.unwrap(),
                f(&pm["fvalue"]),
                1e-300,
                1e-8,
                &ctx,
            );
            worst.check(
                "f_p_value",
                fit.f_p_value.unwrap(),
                f(&pm["f_pvalue"]),
                1e-10,
                1e-8,
                &ctx,
            );
            worst.check("sse", fit.sse, f(&pm["ssr"]), 1e-300, 1e-8, &ctx);
            worst.check(
                "cv_rmse_pct",
                fit.cv_rmse_pct.unwrap(),
                f(&pm["cv_rmse_pct"]),
                1e-300,
                1e-8,
                &ctx,
            );
            // NMBE of an OLS fit with an intercept is zero up to rounding on both sides.
            worst.check(
                "nmbe_pct",
                fit.nmbe_pct.unwrap(),
                f(&pm["nmbe_pct"]),
                1.0,
                1e-8,
                &ctx,
            );
            assert_eq!(fit.n as f64, f(&pm["nobs"]), "{ctx}: n");
            assert_eq!(fit.residual_dof as f64, f(&pm["df_resid"]), "{ctx}: dof");
            if !line["verdict_near_threshold"].as_bool().unwrap() {
                assert_eq!(
                    fit.validity.valid,
                    pm["valid"].as_bool().unwrap(),
                    "{ctx}: verdict; reasons {:?}",
                    fit.validity.reasons
                );
            }
            models_checked += 1;
        }
        let best_peer: Option<Vec<&str>> = line["best"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect());
        let best_ours = search.best_model().map(|m| m.variable_names());
        assert_eq!(best_ours, best_peer, "{name}: best valid model");

        // The true coefficients lie within 4 standard errors in the true model.
        let truth = line["true"].as_object().unwrap();
        let true_vars: Vec<&str> = order
            .iter()
            .map(String::as_str)
            .filter(|n| f(&truth[*n]) != 0.0)
            .collect();
        if true_vars.len() <= 4
            && let Some(m) = search.find(&true_vars)
        {
            for c in std::iter::once(&m.intercept).chain(&m.coefficients) {
                let t = f(&truth[c.name.as_str()]);
                assert!(
                    (c.estimate - t).abs() <= 4.0 * c.std_error,
                    "{name}: {} = {} ± {}, true {t}",
                    c.name,
                    c.estimate,
                    c.std_error
                );
            }
        }
    }
    assert!(
        datasets >= 5 && models_checked >= 90,
        "{datasets} datasets, {models_checked} models"
    );
    // fit_ols on all candidates of a dataset is the search's largest model.
    println!("{datasets} datasets, {models_checked} models match statsmodels; worst deviations:");
    for (what, d, ctx) in &worst.0 {
        println!("  {what:>14}: {d:.2e} ({ctx})");
    }
}

#[test]
fn fit_ols_equals_the_search_model_with_the_same_variables() {
    let Some(lines) = peer_lines() else { return };
    let line = lines
        .iter()
        .find(|l| l["name"] == "monthly_production_hdd")
        .expect("dataset");
    let energy = floats(&line["energy"]);
    let vars = line["variables"].as_object().unwrap();
    let pick = |n: &str| Variable::new(n, floats(&vars[n]));
    let fit = fit_ols(
        &energy,
        &[pick("production_t"), pick("hdd")],
        &ValidityRules::default(),
    )
    .unwrap();
    let pm = line["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["variables"] == serde_json::json!(["production_t", "hdd"]))
        .unwrap();
    let params = floats(&pm["params"]);
    assert!(dev(fit.coefficients[1].estimate, params[2], 1e-12) < 1e-9);
    assert!(fit.validity.valid, "{:?}", fit.validity.reasons);
}

#[test]
fn t_and_f_distributions_match_scipy() {
    let Some(lines) = peer_lines() else { return };
    let mut n = 0;
    for l in &lines {
        match l["kind"].as_str().unwrap() {
            "t" => {
                let got = t_two_sided_p(f(&l["t"]), f(&l["dof"]));
                let want = f(&l["p_two_sided"]);
                assert!(dev(got, want, 1e-300) < 1e-10, "t {l}: {got:e}");
                n += 1;
            }
            "t_ppf" => {
                let got = t_quantile(f(&l["p"]), f(&l["dof"]));
                let want = f(&l["t"]);
                assert!(dev(got, want, 1e-300) < 1e-10, "t_ppf {l}: {got:e}");
                n += 1;
            }
            "f" => {
                let got = f_sf(f(&l["f"]), f(&l["d1"]), f(&l["d2"]));
                let want = f(&l["sf"]);
                assert!(dev(got, want, 1e-300) < 1e-10, "f {l}: {got:e}");
                n += 1;
            }
            _ => {}
        }
    }
    assert!(n >= 20, "only {n} distribution lines");
}
