//! Expected vs actual energy, savings, SEnPI and CUSUM.

use analytics::AnalyticsError;
use analytics::baseline::{BaselineEquation, performance};
use analytics::regression::{ValidityRules, Variable, fit_ols};
use proptest::prelude::*;

fn eq(intercept: f64, terms: &[(&str, f64)]) -> BaselineEquation {
    BaselineEquation {
        intercept,
        terms: terms.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
    }
}

/// V. Vesma, "Example of multi-driver targeting" (vesma.com, Monitoring and
/// Targeting pages, mdfx): a factory's expected weekly consumption from its
/// production and weather records, week 37: "5000 + (100 x 12) + (20 x 245) +
/// (500 x 8) = 15,100 kWh" — a fixed 5000 kWh plus three drivers with
/// coefficients 100, 20 and 500 kWh per unit at 12, 245 and 8 units.
#[test]
fn expected_consumption_of_the_published_multi_driver_example() {
    let e = eq(
        5000.0,
        &[("driver_a", 100.0), ("driver_b", 20.0), ("driver_c", 500.0)],
    );
    let vars = [
        Variable::new("driver_a", vec![12.0]),
        Variable::new("driver_b", vec![245.0]),
        Variable::new("driver_c", vec![8.0]),
    ];
    let p = performance(&e, &vars, &[15_100.0]).unwrap();
    assert_eq!(p.intervals[0].expected, 15_100.0);
    assert_eq!(p.intervals[0].savings, 0.0);
    assert_eq!(p.senpi, Some(1.0));
}

/// The baseline of "Energy Monitoring & Target Setting using CUSUM"
/// (Cheriton Technology Publications, 1989), a gas-fired furnace regressed on
/// its first 8 weeks: E = 9831 + 15.16 × P (therms, P in tonnes a week).
/// Four reporting weeks (production and therms chosen here, the arithmetic by
/// hand): expected = 9831 + 15.16 P
///   P = 1000 → 24 991;  P = 1500 → 32 571;  P = 800 → 21 959;  P = 1200 → 28 023
/// actual 25 500, 31 000, 21 000, 27 500
/// savings (expected − actual): −509, 1 571, 959, 523
/// CUSUM: −509, 1 062, 2 021, 2 544
/// SEnPI (DOE SEP M&V Protocol 2012 §3.1.2, Σ actual / Σ expected)
///   = 105 000 / 107 544 = 0.976 344…, improvement 1 − SEnPI = 2.3656 %.
#[test]
fn cusum_and_senpi_of_a_furnace_baseline_by_hand() {
    let e = eq(9831.0, &[("production_t", 15.16)]);
    let vars = [Variable::new(
        "production_t",
        vec![1000.0, 1500.0, 800.0, 1200.0],
    )];
    let p = performance(&e, &vars, &[25_500.0, 31_000.0, 21_000.0, 27_500.0]).unwrap();
    let expected: Vec<f64> = p.intervals.iter().map(|i| i.expected).collect();
    let savings: Vec<f64> = p.intervals.iter().map(|i| i.savings).collect();
    let cusum: Vec<f64> = p.intervals.iter().map(|i| i.cusum).collect();
    for (got, want) in expected
        .iter()
        .zip([24_991.0, 32_571.0, 21_959.0, 28_023.0])
    {
        assert!((got - want).abs() < 1e-9, "{got} {want}");
    }
    for (got, want) in savings.iter().zip([-509.0, 1_571.0, 959.0, 523.0]) {
        assert!((got - want).abs() < 1e-9, "{got} {want}");
    }
    for (got, want) in cusum.iter().zip([-509.0, 1_062.0, 2_021.0, 2_544.0]) {
        assert!((got - want).abs() < 1e-9, "{got} {want}");
    }
    assert!((p.senpi.unwrap() - 105_000.0 / 107_544.0).abs() < 1e-12);
    assert!((p.improvement_pct.unwrap() - 2.365_543).abs() < 1e-5);
    assert!((p.total_savings - 2_544.0).abs() < 1e-9);
    assert!((p.intervals[0].senpi.unwrap() - 25_500.0 / 24_991.0).abs() < 1e-12);
}

#[test]
fn a_missing_variable_or_a_short_column_is_refused() {
    let e = eq(1.0, &[("hdd", 2.0)]);
    let err = performance(&e, &[Variable::new("cdd", vec![1.0])], &[3.0]).unwrap_err();
    assert!(matches!(err, AnalyticsError::NotFound { ref name, .. } if name == "hdd"));
    let err = performance(&e, &[Variable::new("hdd", vec![1.0])], &[3.0, 4.0]).unwrap_err();
    assert!(matches!(err, AnalyticsError::Shape { .. }));
    let err = performance(&e, &[Variable::new("hdd", vec![1.0])], &[f64::NAN]).unwrap_err();
    assert!(err.to_string().contains("actual[0]"), "{err}");
}

proptest! {
    /// On the baseline period itself an OLS model with an intercept predicts
    /// the total exactly (its residuals sum to zero): the CUSUM returns to 0
    /// and SEnPI = 1.
    #[test]
    fn cusum_over_the_baseline_period_returns_to_zero(
        pts in prop::collection::vec((0f64..100.0, 0f64..50.0), 6..60),
    ) {
        let x: Vec<f64> = pts.iter().map(|p| p.0).collect();
        let y: Vec<f64> = pts.iter().map(|p| 200.0 + 3.0 * p.0 + p.1).collect();
        let vars = [Variable::new("x", x)];
        let Ok(fit) = fit_ols(&y, &vars, &ValidityRules::default()) else { return Ok(()) };
        let p = performance(&BaselineEquation::from(&fit), &vars, &y).unwrap();
        let last = p.intervals.last().unwrap().cusum;
        prop_assert!(last.abs() < 1e-9 * p.total_actual, "{last}");
        prop_assert!((p.senpi.unwrap() - 1.0).abs() < 1e-12);
    }

    /// The last CUSUM is the total savings, and SEnPI · Σ expected = Σ actual.
    #[test]
    fn cusum_ends_at_the_total_savings(
        rows in prop::collection::vec((0f64..10.0, 1f64..1000.0), 1..50),
        b0 in 10f64..100.0, b1 in 0f64..20.0,
    ) {
        let e = eq(b0, &[("x", b1)]);
        let vars = [Variable::new("x", rows.iter().map(|r| r.0).collect())];
        let actual: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let p = performance(&e, &vars, &actual).unwrap();
        let last = p.intervals.last().unwrap().cusum;
        prop_assert!((last - p.total_savings).abs() < 1e-9 * p.total_expected.max(1.0));
        prop_assert!((p.senpi.unwrap() * p.total_expected - p.total_actual).abs() < 1e-9 * p.total_actual);
    }
}
