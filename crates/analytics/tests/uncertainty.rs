//! Measurement uncertainty: a published GUM example, the published Monte
//! Carlo example of GUM Supplement 1, analytic checks of Taylor against
//! Monte Carlo on nonlinear models, and the engine as the model function.

use analytics::uncertainty::engine::{InputUncertainty, Propagation, efficiency_uncertainty};
use analytics::uncertainty::{
    COVERAGE_FACTOR_95, Estimate, UncertainInput, Uncertainty, UncertaintySpec,
    propagate_monte_carlo, propagate_taylor,
};
use proptest::prelude::*;
use thermaliq_core::{EngineSettings, parse_calculation_request};

fn est(u: Uncertainty) -> Estimate {
    match u {
        Uncertainty::Estimated(e) => e,
        other => panic!("not estimated: {other:?}"),
    }
}

/// JCGM 100:2008 (GUM) Annex H.2, "Simultaneous resistance and reactance
/// measurement". Table H.2 gives five simultaneous observations of V (V),
/// I (mA) and φ (rad); from them the means, the standard deviations of the
/// means and the correlation coefficients (r(V,I) = −0.36, r(V,φ) = 0.86,
/// r(I,φ) = −0.65). Table H.3 gives the results by the law of propagation
/// with correlations (GUM Eq. 16):
///   R = V/I cos φ = 127.732 Ω, u_c = 0.071 Ω
///   X = V/I sin φ = 219.847 Ω, u_c = 0.295 Ω
///   Z = V/I       = 254.260 Ω, u_c = 0.236 Ω
/// Computed here from the raw observations (not from the rounded table
/// values); u_c(X) then comes out 0.2956, hence the 0.001 Ω tolerance.
#[test]
fn gum_annex_h2_resistance_reactance_impedance() {
    let v = [5.007, 4.994, 5.005, 4.990, 4.999];
    let i_ma = [19.663, 19.639, 19.640, 19.685, 19.678];
    let phi = [1.0456, 1.0438, 1.0468, 1.0428, 1.0433];
    let cols = [&v[..], &i_ma[..], &phi[..]];
    let n = 5.0;
    let mean: Vec<f64> = cols.iter().map(|c| c.iter().sum::<f64>() / n).collect();
    let cov = |a: usize, b: usize| {
        cols[a]
            .iter()
            .zip(cols[b])
            .map(|(x, y)| (x - mean[a]) * (y - mean[b]))
            .sum::<f64>()
            / (n - 1.0)
    };
    // Standard deviation of the mean: s/√n (GUM 4.2.3).
    let s_mean: Vec<f64> = (0..3).map(|a| (cov(a, a) / n).sqrt()).collect();
    let mut r = vec![0.0; 9];
    for a in 0..3 {
        for b in 0..3 {
            r[a * 3 + b] = if a == b {
                1.0
            } else {
                cov(a, b) / (cov(a, a) * cov(b, b)).sqrt()
            };
        }
    }
    assert!(
        (r[1] + 0.36).abs() < 0.005 && (r[2] - 0.86).abs() < 0.005 && (r[5] + 0.65).abs() < 0.005
    );
    let inputs = vec![
        UncertainInput::new("V", mean[0], Some(s_mean[0])),
        UncertainInput::new("I", mean[1] * 1e-3, Some(s_mean[1] * 1e-3)),
        UncertainInput::new("phi", mean[2], Some(s_mean[2])),
    ];
    type Model = fn(&[f64]) -> Option<f64>;
    let cases: [(&str, Model, f64, f64); 3] = [
        ("R", |x| Some(x[0] / x[1] * x[2].cos()), 127.732, 0.071),
        ("X", |x| Some(x[0] / x[1] * x[2].sin()), 219.847, 0.295),
        ("Z", |x| Some(x[0] / x[1]), 254.260, 0.236),
    ];
    for (name, f, value, u) in cases {
        let e = est(propagate_taylor(f, &inputs, Some(&r)).unwrap());
        assert!((e.value - value).abs() < 5e-4, "{name} = {}", e.value);
        assert!(
            (e.standard_uncertainty - u).abs() < 1e-3,
            "u({name}) = {}",
            e.standard_uncertainty
        );
        assert!((e.expanded - COVERAGE_FACTOR_95 * e.standard_uncertainty).abs() < 1e-12);
        // With correlations the shares of the inputs alone do not add to 1.
        let shares: f64 = e.contributions.iter().map(|c| c.share_of_variance).sum();
        assert!((shares + e.correlation_share_of_variance - 1.0).abs() < 1e-9);
        // The Monte Carlo method with the same correlations agrees (the
        // models are nearly linear over these small uncertainties).
        let mc = est(propagate_monte_carlo(f, &inputs, Some(&r), 200_000, 7).unwrap());
        assert!(
            (mc.standard_uncertainty / e.standard_uncertainty - 1.0).abs() < 0.01,
            "{name}: {mc:?}"
        );
    }
}

/// JCGM 101:2008 (GUM Supplement 1) §9.2.2, additive model Y = X₁ + X₂ +
/// X₃ + X₄ with Xᵢ ~ N(0, 1): the GUM framework and the Monte Carlo method
/// both give u(y) = 2.00 and the 95 % coverage interval [−3.92, 3.92]
/// (Table 2 of the Supplement).
#[test]
fn gum_supplement_1_additive_model() {
    let inputs: Vec<UncertainInput> = (1..=4)
        .map(|i| UncertainInput::new(format!("X{i}"), 0.0, Some(1.0)))
        .collect();
    let sum = |x: &[f64]| Some(x.iter().sum::<f64>());
    let t = est(propagate_taylor(sum, &inputs, None).unwrap());
    assert!((t.standard_uncertainty - 2.0).abs() < 1e-9);
    assert!((t.expanded - 3.92).abs() < 0.005);
    assert_eq!(t.contributions.len(), 4);
    assert!(
        t.contributions
            .iter()
            .all(|c| (c.share_of_variance - 0.25).abs() < 1e-9)
    );
    let mc = est(propagate_monte_carlo(sum, &inputs, None, 1_000_000, 2008).unwrap());
    assert!((mc.standard_uncertainty - 2.0).abs() < 0.01, "{mc:?}");
    let (lo, hi) = mc.interval_95.unwrap();
    assert!(
        (lo + 3.92).abs() < 0.02 && (hi - 3.92).abs() < 0.02,
        "[{lo}, {hi}]"
    );
    // Same seed, same answer.
    let again = est(propagate_monte_carlo(sum, &inputs, None, 1_000_000, 2008).unwrap());
    assert_eq!(mc.standard_uncertainty, again.standard_uncertainty);
}

/// y = x², x ~ N(μ, σ²): Var(y) = 4μ²σ² + 2σ⁴ exactly (moments of the
/// normal distribution), while first-order Taylor gives 2|μ|σ. At μ = 1,
/// σ = 0.3: Taylor 0.6000, exact 0.61335. Monte Carlo must find the exact
/// value, so the cross-check shows where Taylor is not enough.
#[test]
fn monte_carlo_finds_what_first_order_taylor_misses() {
    let inputs = [UncertainInput::new("x", 1.0, Some(0.3))];
    let sq = |x: &[f64]| Some(x[0] * x[0]);
    let t = est(propagate_taylor(sq, &inputs, None).unwrap());
    assert!((t.standard_uncertainty - 0.6).abs() < 1e-9);
    let mc = est(propagate_monte_carlo(sq, &inputs, None, 400_000, 1).unwrap());
    let exact = (4.0f64 * 0.09 + 2.0 * 0.0081).sqrt();
    assert!(
        (mc.standard_uncertainty / exact - 1.0).abs() < 0.005,
        "{}",
        mc.standard_uncertainty
    );
    // Efficiency = out/in with 2 % and 3 % (standard) uncertainties: mildly
    // nonlinear; Taylor and Monte Carlo agree to 1 %.
    let inputs = [
        UncertainInput::new("out", 800.0, Some(16.0)),
        UncertainInput::new("in", 1000.0, Some(30.0)),
    ];
    let eta = |x: &[f64]| Some(100.0 * x[0] / x[1]);
    let t = est(propagate_taylor(eta, &inputs, None).unwrap());
    // Relative uncertainties add in quadrature for a ratio: 80 · √(0.02² + 0.03²).
    assert!((t.standard_uncertainty - 80.0 * (0.0004f64 + 0.0009).sqrt()).abs() < 1e-6);
    let mc = est(propagate_monte_carlo(eta, &inputs, None, 200_000, 3).unwrap());
    assert!((mc.standard_uncertainty / t.standard_uncertainty - 1.0).abs() < 0.01);
}

const RUNBOOK: &[u8] = br#"{"facility_id": "FAC-TEST-001",
 "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
 "energy_input": {"fuel": 1000.0, "electricity": 50.0},
 "energy_output": {"steam": 750.0, "electricity": 200.0}}"#;

fn given(input: &str, pct: f64) -> InputUncertainty {
    InputUncertainty {
        input: input.to_owned(),
        uncertainty: UncertaintySpec::RelativePct95 {
            uncertainty_pct: pct,
        },
    }
}

#[test]
fn engine_uncertainty_of_inline_energies_matches_the_closed_form() {
    let input = parse_calculation_request(RUNBOOK).unwrap().input;
    let settings = EngineSettings::default();
    let g = [
        given("energy_input.fuel", 2.0),
        given("energy_output.steam", 1.0),
        InputUncertainty {
            input: "/energy_input_kwh/electricity".into(),
            uncertainty: UncertaintySpec::MeterClass { class_pct: 1.0 },
        },
    ];
    let r = efficiency_uncertainty(&input, &settings, &g, Propagation::Taylor).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].efficiency_method, "input_output");
    let e = r[0].uncertainty.estimate().unwrap();
    // η = 100 ΣO/ΣI; ∂η/∂Iᵢ = −100 ΣO/ΣI², ∂η/∂Oⱼ = 100/ΣI.
    let (si, so) = (1050.0f64, 950.0f64);
    let u_fuel = 1000.0 * 0.02 / 1.959_963_984_540_054;
    let u_steam = 750.0 * 0.01 / 1.959_963_984_540_054;
    let u_el = 50.0 * 0.01 / 3f64.sqrt();
    let ci = -100.0 * so / (si * si);
    let co = 100.0 / si;
    let want = ((ci * u_fuel).powi(2) + (co * u_steam).powi(2) + (ci * u_el).powi(2)).sqrt();
    assert!(
        (e.standard_uncertainty / want - 1.0).abs() < 1e-6,
        "{} vs {want}",
        e.standard_uncertainty
    );
    assert!((e.value - 100.0 * so / si).abs() < 1e-12);
    assert_eq!(e.contributions[0].input, "energy_input.fuel");
    assert!(e.inputs_without_uncertainty.is_empty());
    let shares: f64 = e.contributions.iter().map(|c| c.share_of_variance).sum();
    assert!((shares - 1.0).abs() < 1e-12);
}

#[test]
fn no_uncertainty_given_is_not_zero_uncertainty() {
    let input = parse_calculation_request(RUNBOOK).unwrap().input;
    let settings = EngineSettings::default();
    let none = efficiency_uncertainty(&input, &settings, &[], Propagation::Taylor).unwrap();
    assert!(matches!(none[0].uncertainty, Uncertainty::NotGiven { .. }));
    let json = serde_json::to_value(&none[0].uncertainty).unwrap();
    assert_eq!(json["status"], "not_given");
    let zero = [InputUncertainty {
        input: "energy_input.fuel".into(),
        uncertainty: UncertaintySpec::Standard {
            standard_uncertainty: 0.0,
        },
    }];
    let z = efficiency_uncertainty(&input, &settings, &zero, Propagation::Taylor).unwrap();
    let e = z[0].uncertainty.estimate().unwrap();
    assert_eq!(e.standard_uncertainty, 0.0);
    assert_eq!(
        serde_json::to_value(&z[0].uncertainty).unwrap()["status"],
        "estimated"
    );
    // Unknown inputs and negative uncertainties are refused by name.
    let err = efficiency_uncertainty(
        &input,
        &settings,
        &[given("energy_input.coal", 1.0)],
        Propagation::Taylor,
    )
    .unwrap_err();
    assert!(err.to_string().contains("energy_input.coal"), "{err}");
    assert!(
        efficiency_uncertainty(
            &input,
            &settings,
            &[given("energy_input.fuel", -1.0)],
            Propagation::Taylor
        )
        .is_err()
    );
    // Monte Carlo with too few samples is refused (JCGM 101 §7.2.2).
    let mc = Propagation::MonteCarlo {
        samples: 100,
        seed: 1,
    };
    assert!(
        efficiency_uncertainty(&input, &settings, &[given("energy_input.fuel", 1.0)], mc).is_err()
    );
}

/// A boiler by measured quantities (the states of the server's physics
/// test): both ASME PTC 4 methods get an uncertainty; flue-gas readings move
/// only the heat-loss method, the fuel meter mostly the input-output one;
/// Taylor and Monte Carlo agree within 2 %.
#[test]
fn engine_uncertainty_of_a_process_boiler_by_both_methods() {
    let body = br#"{"facility_id": "FAC-B2",
      "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T02:00:00Z"},
      "process": {"type": "boiler",
        "fuel": {"name": "natural_gas", "energy_kw": 1000},
        "steam": {"mass_flow_kg_h": 1000, "pressure_mpa": 30, "temperature_c": 426.85},
        "feedwater": {"pressure_mpa": 3, "temperature_c": 26.85},
        "blowdown_pct": 0,
        "flue_gas": {"temperature_c": 180, "o2_pct_dry": 3.0}}}"#;
    let input = parse_calculation_request(body).unwrap().input;
    let settings = EngineSettings::default();
    let g = [
        given("process.fuel.energy_kw", 2.0),
        given("process.steam.mass_flow_kg_h", 1.5),
        given("process.flue_gas.temperature_c", 2.0),
        given("process.flue_gas.o2_pct_dry", 5.0),
    ];
    let t = efficiency_uncertainty(&input, &settings, &g, Propagation::Taylor).unwrap();
    let names: Vec<&str> = t.iter().map(|m| m.efficiency_method.as_str()).collect();
    assert_eq!(names, ["input_output", "heat_loss"]);
    let io = t[0].uncertainty.estimate().unwrap();
    let hl = t[1].uncertainty.estimate().unwrap();
    let share = |e: &Estimate, name: &str| {
        e.contributions
            .iter()
            .find(|c| c.input == name)
            .map(|c| c.share_of_variance)
            .unwrap()
    };
    assert!(share(io, "process.flue_gas.temperature_c") < 1e-12);
    assert!(share(hl, "process.flue_gas.temperature_c") > 0.01, "{hl:?}");
    assert!(share(io, "process.fuel.energy_kw") > 0.5);
    // Input-output: η ∝ steam flow / fuel, relative uncertainties in quadrature.
    let k = 1.959_963_984_540_054f64;
    let rel = ((0.02 / k).powi(2) + (0.015 / k).powi(2)).sqrt();
    assert!((io.standard_uncertainty / (io.value * rel) - 1.0).abs() < 1e-5);
    let mc = efficiency_uncertainty(
        &input,
        &settings,
        &g,
        Propagation::MonteCarlo {
            samples: 10_000,
            seed: 11,
        },
    )
    .unwrap();
    for (a, b) in t.iter().zip(&mc) {
        let (ua, ub) = (
            a.uncertainty.estimate().unwrap().standard_uncertainty,
            b.uncertainty.estimate().unwrap().standard_uncertainty,
        );
        // 10⁴ trials: the sample sd is within ±1.4 % (1σ ≈ 1/√(2M)) of the truth.
        assert!(
            (ub / ua - 1.0).abs() < 0.04,
            "{}: taylor {ua}, monte carlo {ub}",
            a.efficiency_method
        );
    }
}

proptest! {
    /// For a linear model the law of propagation is exact: u² = Σ (aᵢ uᵢ)².
    #[test]
    fn taylor_is_exact_for_linear_models(
        terms in prop::collection::vec((-10f64..10.0, -100f64..100.0, 0f64..5.0), 1..6),
    ) {
        let a: Vec<f64> = terms.iter().map(|t| t.0).collect();
        let inputs: Vec<UncertainInput> = terms
            .iter()
            .enumerate()
            .map(|(i, t)| UncertainInput::new(format!("x{i}"), t.1, Some(t.2)))
            .collect();
        let f = |x: &[f64]| Some(x.iter().zip(&a).map(|(x, a)| x * a).sum::<f64>());
        let e = est(propagate_taylor(f, &inputs, None).unwrap());
        let want = terms.iter().map(|t| (t.0 * t.2).powi(2)).sum::<f64>().sqrt();
        prop_assert!((e.standard_uncertainty - want).abs() <= 1e-7 * want.max(1e-9) + 1e-9);
    }
}
