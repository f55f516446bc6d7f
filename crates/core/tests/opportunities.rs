//! Improvement opportunities: the measures' physics against published rules
//! of thumb, and NPV/IRR against numpy-financial (an independent peer):
//!
//! ```text
//! python3 tools/finance_peer.py /tmp/finance_peer.jsonl
//! FINANCE_PEER_FILE=/tmp/finance_peer.jsonl cargo test -p thermaliq-core --test opportunities
//! ```

use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;
use thermaliq_core::opportunities::{OpportunityParams, OpportunityReport, finance, opportunities};
use thermaliq_core::parse_calculation_request;

fn params(extra: &str) -> OpportunityParams {
    serde_json::from_str(&format!(
        r#"{{"operating_hours_per_year": 8000, "fuel_price_per_mwh": "40.00", "currency": "EUR",
            "discount_rate": "0.08", "horizon_years": 10 {extra}}}"#
    ))
    .unwrap()
}

fn boiler(o2: f64, t_gas: f64, extra: &str) -> String {
    format!(
        r#"{{"facility_id": "FAC-B1", "time_period": {{"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"}},
        "process": {{"type": "boiler", "fuel": {{"name": "natural_gas", "mass_flow_kg_h": 500}},
          "steam": {{"mass_flow_kg_h": 8000, "pressure_mpa": 1.0, "quality": 1.0}},
          "feedwater": {{"pressure_mpa": 1.2, "temperature_c": 105}}, "blowdown_pct": 4,
          "flue_gas": {{"temperature_c": {t_gas}, "o2_pct_dry": {o2}}}, "combustion_air_temperature_c": 25
          {extra}}}}}"#
    )
}

fn run(body: &str, p: &OpportunityParams) -> OpportunityReport {
    let req = parse_calculation_request(body.as_bytes()).unwrap();
    opportunities(&req.input, p).unwrap()
}

fn measure<'a>(
    r: &'a OpportunityReport,
    id: &str,
) -> &'a thermaliq_core::opportunities::Opportunity {
    r.opportunities.iter().find(|o| o.id == id).unwrap()
}

/// U.S. DOE *Steam Tip Sheet #4* (natural gas, stack − air = 300 °F):
/// combustion efficiency 81.2 % at 44.9 % excess air (7 % O2) and 83.1 % at
/// 9.5 % (2 % O2). Trimming saves 1 − 81.2/83.1 = 2.3 % of the fuel.
#[test]
fn excess_air_trim_matches_doe_tip_sheet_4() {
    let t = 25.0 + 300.0 / 1.8;
    let r = run(&boiler(7.0, t, ""), &params(""));
    let o = measure(&r, "excess_air_trim");
    assert!(o.applicable, "{}", o.reason);
    let input_kw = 500.0 / 3600.0
        * thermo::fuels::library_fuel("natural_gas")
            .unwrap()
            .hhv_kj_kg;
    let share = o.fuel_saved_kw / input_kw;
    assert!((share - (1.0 - 81.2 / 83.1)).abs() < 0.005, "{share}");
    assert!((o.energy_saved_mwh_per_year - o.fuel_saved_kw * 8.0).abs() < 1e-9);
    // Fuel cost = MWh × 40.00 EUR, rounded to cents.
    let expected = (Decimal::from_str(&format!("{:.3}", o.energy_saved_mwh_per_year)).unwrap()
        * Decimal::from(40))
    .round_dp(2);
    assert_eq!(o.fuel_cost_saved_per_year, expected);
    // CO2 from the fuel's carbon; IPCC 2006 Vol. 2 Table 2.2: natural gas
    // 56 100 kg/TJ NCV = 0.202 t/MWh NCV, i.e. ≈ 0.182 t/MWh on HHV (LHV/HHV ≈ 0.90).
    let f = r.co2_t_per_mwh_fuel.unwrap();
    assert!((f - 0.182).abs() < 0.006, "{f}");
    assert!(!r.co2_biogenic);
}

/// DOE *Steam Tip Sheet #3*: about 1 % of fuel per 40 °F (22 K) of flue-gas
/// cooling. The economizer stops at the feedwater + 20 K or dew point + 10 K.
#[test]
fn economizer_follows_the_tip_sheet_rule_and_dew_point_limit() {
    let r = run(&boiler(3.0, 260.0, ""), &params(""));
    let o = measure(&r, "economizer");
    assert!(o.applicable, "{}", o.reason);
    let out = o.parameters["outlet_temperature_c"];
    assert!((out - (105.0 + 20.0)).abs() < 1e-9, "{out}");
    let input_kw = 500.0 / 3600.0
        * thermo::fuels::library_fuel("natural_gas")
            .unwrap()
            .hhv_kj_kg;
    let per_22k = o.fuel_saved_kw / input_kw * 100.0 / ((260.0 - out) / 22.2);
    assert!((0.7..1.3).contains(&per_22k), "{per_22k}");
    // Condensing recovery starts where the economizer stops and adds the latent heat.
    let c = measure(&r, "condensing_recovery");
    assert!(c.applicable && c.parameters["inlet_temperature_c"] == out);
    assert!(c.fuel_saved_kw > o.fuel_saved_kw * 0.5);
}

/// Verhoff & Banchero (1974): a flue gas with 10 % H2O and 20 ppm SO3 has
/// an acid dew point near 138 °C (their Fig. 3 / the correlation).
#[test]
fn acid_dew_point_correlation() {
    let t = thermaliq_core::opportunities::acid_dew_point_c(0.10, 20e-6).unwrap();
    let by_hand = 1000.0
        / (2.276 - 0.0294 * 76.0f64.ln() - 0.0858 * (0.0152f64).ln()
            + 0.0062 * 76.0f64.ln() * 0.0152f64.ln())
        - 273.15;
    assert!(
        (t - by_hand).abs() < 1e-9 && (125.0..150.0).contains(&t),
        "{t}"
    );
}

/// Insulation at the economic thickness; blowdown recovery; verdicts.
#[test]
fn insulation_blowdown_and_verdicts() {
    let hot = r#", "surfaces": [{"area_m2": 40, "temperature_c": 180, "emissivity": 0.9, "orientation": "vertical"}]"#;
    let r = run(&boiler(3.0, 200.0, hot), &params(""));
    let ins = measure(&r, "insulation");
    assert!(
        ins.applicable && ins.worth_it,
        "{} / {}",
        ins.reason,
        ins.verdict
    );
    let x = ins.parameters["mean_thickness_m"];
    assert!((0.03..0.3).contains(&x), "{x}");
    let bd = measure(&r, "blowdown_recovery");
    assert!(bd.applicable && bd.fuel_saved_kw > 0.0);
    // At a fuel price of 0.10 EUR/MWh nothing pays back: NPV < 0, "not worth it".
    let cheap = run(
        &boiler(7.0, 250.0, hot),
        &params("").clone_with_price("0.10"),
    );
    for o in cheap.opportunities.iter().filter(|o| o.applicable) {
        assert!(
            !o.worth_it && o.verdict.starts_with("not worth it"),
            "{}: {}",
            o.id,
            o.verdict
        );
    }
    // Another currency without investments: saving given, no NPV.
    let mut usd = params("");
    usd.currency = "USD".into();
    let r = run(&boiler(7.0, 250.0, ""), &usd);
    let o = measure(&r, "excess_air_trim");
    assert!(o.npv.is_none() && o.verdict.contains("investments.excess_air_trim"));
    // User investment: NPV = −I + S a(r, N) by hand.
    let r = run(
        &boiler(7.0, 250.0, ""),
        &params(r#", "investments": {"excess_air_trim": {"low": "20000", "high": "20000"}}"#),
    );
    let o = measure(&r, "excess_air_trim");
    let s = o.fuel_cost_saved_per_year;
    let pow10 = (0..10).fold(Decimal::ONE, |acc, _| {
        acc * Decimal::from_str("1.08").unwrap()
    });
    let a = (Decimal::ONE - Decimal::ONE / pow10) / Decimal::from_str("0.08").unwrap();
    assert!((o.npv.unwrap() - (s * a - Decimal::from(20000))).abs() <= Decimal::new(1, 2));
}

trait WithPrice {
    fn clone_with_price(&self, p: &str) -> OpportunityParams;
}
impl WithPrice for OpportunityParams {
    fn clone_with_price(&self, p: &str) -> OpportunityParams {
        let mut c = self.clone();
        c.fuel_price_per_mwh = Decimal::from_str(p).unwrap();
        c
    }
}

#[test]
fn bad_parameters_name_the_field() {
    let mut p = params("");
    p.currency = "euro".into();
    p.horizon_years = 0;
    let req = parse_calculation_request(boiler(3.0, 200.0, "").as_bytes()).unwrap();
    match opportunities(&req.input, &p) {
        Err(thermaliq_core::CoreError::Validation(v)) => {
            let f: Vec<_> = v.iter().map(|x| x.field.as_str()).collect();
            assert_eq!(f, ["currency", "horizon_years"]);
        }
        other => panic!("{other:?}"),
    }
}

fn sign_changes(flows: &[Decimal]) -> usize {
    let nz: Vec<_> = flows.iter().filter(|f| !f.is_zero()).collect();
    nz.windows(2)
        .filter(|w| (*w[0] > Decimal::ZERO) != (*w[1] > Decimal::ZERO))
        .count()
}

#[test]
fn npv_and_irr_match_numpy_financial_peer() {
    let Ok(path) = std::env::var("FINANCE_PEER_FILE") else {
        assert!(
            std::env::var("THERMALIQ_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "FINANCE_PEER_FILE is required when THERMALIQ_REQUIRE_SERVICES=1 (run tools/finance_peer.py)"
        );
        println!("SKIPPED: FINANCE_PEER_FILE not set (run tools/finance_peer.py)");
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (mut n, mut irrs) = (0, 0);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let rate = Decimal::from_str(v["rate"].as_str().unwrap()).unwrap();
        let flows: Vec<Decimal> = v["flows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| Decimal::from_str(f.as_str().unwrap()).unwrap())
            .collect();
        let npv: f64 = finance::npv(rate, &flows).unwrap().try_into().unwrap();
        let peer = v["npv"].as_f64().unwrap();
        assert!(
            (npv - peer).abs() < 1e-6 * peer.abs().max(1.0),
            "npv {npv} vs {peer}: {line}"
        );
        if let (Some(peer_irr), 1) = (v["irr"].as_f64(), sign_changes(&flows))
            && (-0.99..10.0).contains(&peer_irr)
        {
            let irr: f64 = finance::irr(&flows)
                .unwrap_or_else(|| panic!("no irr: {line}"))
                .try_into()
                .unwrap();
            assert!(
                (irr - peer_irr).abs() < 1e-9,
                "irr {irr} vs {peer_irr}: {line}"
            );
            irrs += 1;
        }
        n += 1;
    }
    assert!(n >= 300 && irrs >= 100, "{n} cases, {irrs} IRRs");
}

proptest! {
    /// NPV falls with the rate; at the IRR it is zero.
    #[test]
    fn irr_zeroes_npv(invest in 1_000i64..1_000_000, saving_pct in 5i64..60, years in 1u32..30) {
        let i = Decimal::from(invest);
        let s = Decimal::from(invest * saving_pct) / Decimal::ONE_HUNDRED;
        let lo = finance::npv_constant(Decimal::new(2, 2), i, s, years).unwrap();
        let hi = finance::npv_constant(Decimal::new(12, 2), i, s, years).unwrap();
        prop_assert!(hi < lo);
        if let Some(r) = finance::irr_constant(i, s, years) {
            let at = finance::npv_constant(r, i, s, years).unwrap();
            prop_assert!(at.abs() < Decimal::new(1, 4) * i, "{} at {}", at, r);
        }
    }
}
