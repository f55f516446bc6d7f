//! Ordinary least squares baselines (ISO 50006:2014 energy baselines, the
//! regression models of DOE's EnPI and VERIFI tools): one fit with every
//! statistic an energy engineer checks, a search over every combination of
//! up to four candidate variables, and the validity verdict.
//!
//! Formulas (docs/FORMULAS.md, "Analytics: regression baselines"):
//! with n points, k variables and p = k + 1 parameters,
//! β = (XᵀX)⁻¹ Xᵀy, SSE = Σ(y − ŷ)², s² = SSE / (n − p),
//! SE(β) = √diag(s² (XᵀX)⁻¹), t = β / SE, p = P(|T_{n−p}| ≥ |t|),
//! R² = 1 − SSE/SST, R²adj = 1 − (1 − R²)(n − 1)/(n − p),
//! F = ((SST − SSE)/k) / s², p_F = P(F_{k, n−p} ≥ F),
//! CV(RMSE) = 100 √(SSE/(n − p)) / ȳ, NMBE = 100 Σ(y − ŷ) / ((n − p) ȳ)
//! (ASHRAE Guideline 14, with p parameters).

mod moments;
mod ols;
mod search;
mod validity;

pub use ols::{Coefficient, OlsFit, fit_ols};
pub use search::{ModelSearch, SkippedModel, search_models};
pub use validity::{Guideline14Check, Guideline14Limit, Validity, ValidityCheck, ValidityRules};

use serde::{Deserialize, Serialize};

/// One named column of the regression: a driver of energy use (production,
/// degree days, ambient temperature…), one value per interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variable {
    pub name: String,
    pub values: Vec<f64>,
}

impl Variable {
    pub fn new(name: impl Into<String>, values: Vec<f64>) -> Self {
        Self {
            name: name.into(),
            values,
        }
    }
}

/// The rule of ISO 50006 / the DOE tools that a baseline must have at least
/// one residual degree of freedom beyond its parameters.
pub const MIN_POINTS_RULE: &str = "a regression needs at least (number of variables + 2) points: \
     one per parameter (the variables and the intercept) plus one residual degree of freedom";

/// The largest number of variables in one model of [`search_models`]
/// (the EnPI tool's limit; issue 10).
pub const MAX_VARIABLES_PER_MODEL: usize = 4;
