//! Rules and invariants of the OLS fit that do not need the peer: the points
//! rule, collinearity, exact recovery of noise-free data, and invariances that
//! any correct least-squares fit has (property tests).

use analytics::AnalyticsError;
use analytics::regression::{MIN_POINTS_RULE, ValidityRules, Variable, fit_ols, search_models};
use proptest::prelude::*;

fn rules() -> ValidityRules {
    ValidityRules::default()
}

#[test]
fn fewer_points_than_variables_plus_two_is_refused_naming_the_rule() {
    let y = [1.0, 2.0, 4.0];
    let vars = [
        Variable::new("a", vec![1.0, 2.0, 3.0]),
        Variable::new("b", vec![0.0, 1.0, 5.0]),
    ];
    let err = fit_ols(&y, &vars, &rules()).unwrap_err();
    match &err {
        AnalyticsError::TooFewPoints {
            got, needed, rule, ..
        } => {
            assert_eq!((*got, *needed), (3, 4));
            assert_eq!(*rule, MIN_POINTS_RULE);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("variables + 2"), "{err}");
    // The search refuses by its largest model: 2 variables need 4 points.
    assert!(matches!(
        search_models(&y, &vars, 4, &rules()),
        Err(AnalyticsError::TooFewPoints { needed: 4, .. })
    ));
    // With one more point both are fine.
    let y4 = [1.0, 2.0, 4.0, 3.0];
    let vars4 = [
        Variable::new("a", vec![1.0, 2.0, 3.0, 4.0]),
        Variable::new("b", vec![0.0, 1.0, 5.0, 2.0]),
    ];
    assert_eq!(fit_ols(&y4, &vars4, &rules()).unwrap().residual_dof, 1);
}

#[test]
fn collinear_variables_are_skipped_in_a_search_and_refused_in_a_fit() {
    let x: Vec<f64> = (0..20).map(f64::from).collect();
    let twice: Vec<f64> = x.iter().map(|v| 2.0 * v + 1.0).collect();
    let other: Vec<f64> = x.iter().map(|v| (v * 0.7).sin()).collect();
    let y: Vec<f64> = x
        .iter()
        .zip(&other)
        .map(|(a, b)| 3.0 * a + 5.0 * b + 1.0)
        .collect();
    let vars = [
        Variable::new("x", x),
        Variable::new("twice_x", twice),
        Variable::new("other", other),
    ];
    let search = search_models(&y, &vars, 4, &rules()).unwrap();
    let skipped: Vec<&str> = search.skipped.iter().map(|s| s.model.as_str()).collect();
    assert_eq!(skipped, ["x+twice_x", "x+twice_x+other"]);
    assert_eq!(search.models.len(), 7 - 2);
    assert!(matches!(
        fit_ols(&y, &vars, &rules()),
        Err(AnalyticsError::Singular { .. })
    ));
}

#[test]
fn bad_input_is_refused_with_the_field() {
    let vars = [Variable::new("a", vec![1.0, 2.0, f64::NAN, 4.0])];
    let err = fit_ols(&[1.0, 2.0, 3.0, 5.0], &vars, &rules()).unwrap_err();
    assert!(err.to_string().contains("variables[0] (a)[2]"), "{err}");
    let short = [Variable::new("a", vec![1.0, 2.0])];
    assert!(matches!(
        fit_ols(&[1.0, 2.0, 3.0], &short, &rules()),
        Err(AnalyticsError::Shape { .. })
    ));
    let constant = [Variable::new("a", vec![1.0, 2.0, 3.0])];
    let err = fit_ols(&[7.0, 7.0, 7.0], &constant, &rules()).unwrap_err();
    assert!(err.to_string().contains("same in every interval"), "{err}");
    let dup = [
        Variable::new("a", vec![1.0, 2.0, 3.0]),
        Variable::new("a", vec![3.0, 1.0, 2.0]),
    ];
    assert!(search_models(&[1.0, 2.0, 4.0], &dup, 1, &rules()).is_err());
}

#[test]
fn a_weak_model_is_invalid_with_every_reason() {
    // y does not depend on x: the F test, the variable's p and R² all fail.
    let x: Vec<f64> = (0..12).map(f64::from).collect();
    let y = [5.0, 3.0, 6.0, 2.0, 5.0, 4.0, 6.0, 3.0, 4.0, 5.0, 3.0, 5.0];
    let fit = fit_ols(&y, &[Variable::new("x", x)], &rules()).unwrap();
    assert!(!fit.validity.valid);
    let failed: Vec<&str> = fit
        .validity
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.rule.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "model_f_test",
            "variable_p_values",
            "one_significant_variable",
            "r_squared"
        ]
    );
    assert_eq!(fit.validity.reasons.len(), 4);
    assert_eq!(fit.validity.ashrae_guideline_14.len(), 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Noise-free linear data is recovered exactly, with R² = 1.
    #[test]
    fn noise_free_data_is_recovered(
        b0 in -1e3f64..1e3, b1 in -50f64..50.0, b2 in -50f64..50.0,
        xs in prop::collection::vec((0f64..100.0, 0f64..100.0), 8..40),
    ) {
        let x1: Vec<f64> = xs.iter().map(|p| p.0).collect();
        let x2: Vec<f64> = xs.iter().map(|p| p.1).collect();
        let y: Vec<f64> = xs.iter().map(|(a, b)| b0 + b1 * a + b2 * b).collect();
        let vars = [Variable::new("x1", x1), Variable::new("x2", x2)];
        match fit_ols(&y, &vars, &rules()) {
            Ok(fit) => {
                let scale = b0.abs() + 100.0 * (b1.abs() + b2.abs());
                prop_assert!((fit.coefficients[0].estimate - b1).abs() < 1e-6 * scale);
                prop_assert!((fit.coefficients[1].estimate - b2).abs() < 1e-6 * scale);
                prop_assert!((fit.intercept.estimate - b0).abs() < 1e-5 * scale);
                prop_assert!(fit.r_squared > 1.0 - 1e-9);
            }
            // Random points can be (nearly) collinear or y constant when b1 = b2 = 0.
            Err(AnalyticsError::Singular { .. } | AnalyticsError::Shape { .. }) => {}
            Err(e) => prop_assert!(false, "{e}"),
        }
    }

    /// Rescaling a variable by c divides its coefficient by c and leaves R²,
    /// t and p unchanged (least squares is equivariant under scaling).
    #[test]
    fn rescaling_a_variable_changes_only_its_coefficient(
        c in 0.001f64..1000.0,
        pts in prop::collection::vec((0f64..10.0, -5f64..5.0), 6..30),
    ) {
        let x: Vec<f64> = pts.iter().map(|p| p.0).collect();
        let y: Vec<f64> = pts.iter().map(|p| 2.0 * p.0 + p.1).collect();
        let xs: Vec<f64> = x.iter().map(|v| v * c).collect();
        let (Ok(a), Ok(b)) = (
            fit_ols(&y, &[Variable::new("x", x)], &rules()),
            fit_ols(&y, &[Variable::new("x", xs)], &rules()),
        ) else { return Ok(()) };
        prop_assert!((a.r_squared - b.r_squared).abs() < 1e-9);
        prop_assert!((a.coefficients[0].estimate - c * b.coefficients[0].estimate).abs()
            < 1e-8 * a.coefficients[0].estimate.abs().max(1.0));
        if let (Some(ta), Some(tb)) = (a.coefficients[0].t_value, b.coefficients[0].t_value) {
            prop_assert!((ta - tb).abs() < 1e-6 * ta.abs().max(1.0));
        }
    }

    /// The residuals of a fit with an intercept sum to zero: NMBE ≈ 0, and
    /// 0 ≤ R² ≤ 1, adj R² ≤ R².
    #[test]
    fn statistics_stay_in_their_ranges(
        pts in prop::collection::vec((0f64..10.0, 0f64..10.0, 1f64..100.0), 5..40),
    ) {
        let x1: Vec<f64> = pts.iter().map(|p| p.0).collect();
        let x2: Vec<f64> = pts.iter().map(|p| p.1).collect();
        let y: Vec<f64> = pts.iter().map(|p| p.2).collect();
        let Ok(fit) = fit_ols(&y, &[Variable::new("a", x1), Variable::new("b", x2)], &rules())
        else { return Ok(()) };
        prop_assert!((-1e-12..=1.0 + 1e-12).contains(&fit.r_squared));
        prop_assert!(fit.adj_r_squared <= fit.r_squared + 1e-12);
        prop_assert!(fit.nmbe_pct.unwrap().abs() < 1e-8);
        for c in &fit.coefficients {
            if let Some(p) = c.p_value { prop_assert!((0.0..=1.0).contains(&p)); }
        }
    }
}
