//! Every combination of 1..=4 candidate variables, fitted and judged; the
//! best valid model is the one with the highest adjusted R² (ties: fewer
//! variables, then the earlier combination).

use serde::{Deserialize, Serialize};

use crate::error::AnalyticsError;
use crate::regression::moments::Moments;
use crate::regression::ols::{check_points, check_response, fit_subset};
use crate::regression::{MAX_VARIABLES_PER_MODEL, OlsFit, ValidityRules, Variable};

/// A combination that could not be fitted, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedModel {
    pub model: String,
    pub reason: String,
}

/// The result of [`search_models`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSearch {
    /// Every fitted model: by number of variables, then in candidate order.
    pub models: Vec<OlsFit>,
    /// Index into `models` of the best valid model, if any model is valid.
    pub best: Option<usize>,
    pub skipped: Vec<SkippedModel>,
}

impl ModelSearch {
    pub fn best_model(&self) -> Option<&OlsFit> {
        self.best.map(|i| &self.models[i])
    }

    /// The model whose variables are exactly `names` (in any order).
    pub fn find(&self, names: &[&str]) -> Option<&OlsFit> {
        self.models.iter().find(|m| {
            m.coefficients.len() == names.len()
                && names
                    .iter()
                    .all(|n| m.coefficients.iter().any(|c| c.name == *n))
        })
    }
}

/// Fits every combination of 1..=`max_variables` (at most
/// [`MAX_VARIABLES_PER_MODEL`]) of the `candidates`. Refuses an empty
/// candidate list, a constant energy series, and fewer points than the
/// largest model's variables + 2 ([`crate::regression::MIN_POINTS_RULE`]);
/// a combination of collinear variables is listed in `skipped`.
pub fn search_models(
    energy: &[f64],
    candidates: &[Variable],
    max_variables: usize,
    rules: &ValidityRules,
) -> Result<ModelSearch, AnalyticsError> {
    if candidates.is_empty() {
        return Err(AnalyticsError::Shape {
            field: "variables".to_owned(),
            problem: "at least one candidate variable is needed".to_owned(),
        });
    }
    if max_variables == 0 || max_variables > MAX_VARIABLES_PER_MODEL {
        return Err(AnalyticsError::invalid(
            "max_variables",
            max_variables as f64,
            "must be between 1 and 4",
        ));
    }
    check_points(energy.len(), max_variables.min(candidates.len()))?;
    let moments = Moments::new(energy, candidates)?;
    check_response(&moments)?;
    let mut models = Vec::new();
    let mut skipped = Vec::new();
    let mut subset = Vec::with_capacity(max_variables);
    for size in 1..=max_variables.min(candidates.len()) {
        combinations(
            candidates.len(),
            size,
            0,
            &mut subset,
            &mut |s| match fit_subset(&moments, candidates, s, rules) {
                Ok(fit) => models.push(fit),
                Err(e) => skipped.push(skip(candidates, s, &e)),
            },
        );
    }
    let best = models
        .iter()
        .enumerate()
        .filter(|(_, m)| m.validity.valid)
        .fold(None::<(usize, &OlsFit)>, |acc, (i, m)| match acc {
            Some((_, b)) if b.adj_r_squared >= m.adj_r_squared => acc,
            _ => Some((i, m)),
        })
        .map(|(i, _)| i);
    Ok(ModelSearch {
        models,
        best,
        skipped,
    })
}

fn skip(candidates: &[Variable], s: &[usize], e: &AnalyticsError) -> SkippedModel {
    SkippedModel {
        model: s
            .iter()
            .map(|&j| candidates[j].name.as_str())
            .collect::<Vec<_>>()
            .join("+"),
        reason: e.to_string(),
    }
}

/// Calls `f` with every increasing `size`-subset of 0..n, in lexicographic order.
fn combinations(
    n: usize,
    size: usize,
    start: usize,
    subset: &mut Vec<usize>,
    f: &mut impl FnMut(&[usize]),
) {
    if subset.len() == size {
        f(subset);
        return;
    }
    for i in start..n {
        if n - i < size - subset.len() {
            break;
        }
        subset.push(i);
        combinations(n, size, i + 1, subset, f);
        subset.pop();
    }
}
