//! The validity verdict of a baseline model.
//!
//! The rules are those DOE's EnPI Lite / VERIFI tools and LBNL apply to a
//! regression baseline for 50001 Ready and SEP (issue 10): the model's F-test
//! p ≤ 0.10, every variable's p ≤ 0.20, at least one variable with p < 0.10,
//! and R² ≥ 0.5. ASHRAE Guideline 14-2014's calibration limits on CV(RMSE) and
//! NMBE (monthly data: 15 % and ±5 %; hourly data: 30 % and ±10 %) are shown
//! for information only: they were written for calibrated simulation models
//! and do not enter the verdict.

use serde::{Deserialize, Serialize};

use crate::regression::OlsFit;

/// Thresholds of the verdict; [`Default`] gives the DOE tools' values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ValidityRules {
    pub max_model_p: f64,
    pub max_variable_p: f64,
    pub min_best_variable_p: f64,
    pub min_r_squared: f64,
}

impl Default for ValidityRules {
    fn default() -> Self {
        Self {
            max_model_p: 0.10,
            max_variable_p: 0.20,
            min_best_variable_p: 0.10,
            min_r_squared: 0.5,
        }
    }
}

/// One rule and whether the model kept it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidityCheck {
    /// `model_f_test`, `variable_p_values`, `one_significant_variable`, `r_squared`.
    pub rule: String,
    pub passed: bool,
    /// What was compared, e.g. "F-test p = 0.031 ≤ 0.10".
    pub detail: String,
}

/// One set of ASHRAE Guideline 14 limits, for information.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guideline14Limit {
    /// `monthly` or `hourly` (the two data resolutions Guideline 14 names).
    pub data: String,
    pub cv_rmse_max_pct: f64,
    pub nmbe_max_abs_pct: f64,
}

/// The model's CV(RMSE) and NMBE against one set of Guideline 14 limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guideline14Check {
    pub limit: Guideline14Limit,
    /// `null` when the statistic is undefined (mean energy zero).
    pub cv_rmse_within: Option<bool>,
    pub nmbe_within: Option<bool>,
}

/// The verdict with every reason.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Validity {
    pub valid: bool,
    /// The details of the failed checks (empty when valid).
    pub reasons: Vec<String>,
    pub checks: Vec<ValidityCheck>,
    /// For information; not part of `valid`.
    pub ashrae_guideline_14: Vec<Guideline14Check>,
}

/// ASHRAE Guideline 14-2014 calibration criteria (monthly: CV(RMSE) ≤ 15 %,
/// |NMBE| ≤ 5 %; hourly: CV(RMSE) ≤ 30 %, |NMBE| ≤ 10 %).
pub const GUIDELINE_14_LIMITS: [(&str, f64, f64); 2] =
    [("monthly", 15.0, 5.0), ("hourly", 30.0, 10.0)];

impl Validity {
    pub(crate) fn judge(fit: &OlsFit, rules: &ValidityRules) -> Validity {
        let mut checks = Vec::with_capacity(4);
        let fmt_p =
            |p: Option<f64>| p.map_or_else(|| "undefined".to_owned(), |p| format!("{p:.4}"));

        let model_ok = fit.f_p_value.is_some_and(|p| p <= rules.max_model_p);
        checks.push(ValidityCheck {
            rule: "model_f_test".to_owned(),
            passed: model_ok,
            detail: format!(
                "model F-test p = {} must be ≤ {}",
                fmt_p(fit.f_p_value),
                rules.max_model_p
            ),
        });

        let too_high: Vec<String> = fit
            .coefficients
            .iter()
            .filter(|c| !c.p_value.is_some_and(|p| p <= rules.max_variable_p))
            .map(|c| format!("{} (p = {})", c.name, fmt_p(c.p_value)))
            .collect();
        checks.push(ValidityCheck {
            rule: "variable_p_values".to_owned(),
            passed: too_high.is_empty() && !fit.coefficients.is_empty(),
            detail: if fit.coefficients.is_empty() {
                "the model has no variable".to_owned()
            } else if too_high.is_empty() {
                format!("every variable has p ≤ {}", rules.max_variable_p)
            } else {
                format!(
                    "every variable must have p ≤ {}; not: {}",
                    rules.max_variable_p,
                    too_high.join(", ")
                )
            },
        });

        let best_p = fit
            .coefficients
            .iter()
            .filter_map(|c| c.p_value)
            .fold(f64::INFINITY, f64::min);
        checks.push(ValidityCheck {
            rule: "one_significant_variable".to_owned(),
            passed: best_p < rules.min_best_variable_p,
            detail: format!(
                "at least one variable must have p < {}; the lowest is {}",
                rules.min_best_variable_p,
                fmt_p(best_p.is_finite().then_some(best_p))
            ),
        });

        checks.push(ValidityCheck {
            rule: "r_squared".to_owned(),
            passed: fit.r_squared >= rules.min_r_squared,
            detail: format!(
                "R² = {:.4} must be ≥ {}",
                fit.r_squared, rules.min_r_squared
            ),
        });

        let reasons: Vec<String> = checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.detail.clone())
            .collect();
        let ashrae_guideline_14 = GUIDELINE_14_LIMITS
            .iter()
            .map(|&(data, cv, nmbe)| Guideline14Check {
                limit: Guideline14Limit {
                    data: data.to_owned(),
                    cv_rmse_max_pct: cv,
                    nmbe_max_abs_pct: nmbe,
                },
                cv_rmse_within: fit.cv_rmse_pct.map(|v| v.abs() <= cv),
                nmbe_within: fit.nmbe_pct.map(|v| v.abs() <= nmbe),
            })
            .collect();
        Validity {
            valid: reasons.is_empty(),
            reasons,
            checks,
            ashrae_guideline_14,
        }
    }
}
