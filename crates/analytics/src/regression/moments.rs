//! Means and centred cross-products of every candidate column and the
//! response, computed once so each of the (up to 56) models of a search is a
//! small solve instead of a pass over the data.

use crate::error::{AnalyticsError, finite};
use crate::regression::Variable;

/// Column 0..k are the candidates, column k is the response.
pub(crate) struct Moments<'a> {
    pub n: usize,
    pub k: usize,
    pub means: Vec<f64>,
    /// (k+1)×(k+1), row-major: Σ (xᵢ − x̄)(xⱼ − x̄).
    pub cross: Vec<f64>,
    pub y: &'a [f64],
    pub columns: Vec<&'a [f64]>,
}

impl<'a> Moments<'a> {
    pub fn new(y: &'a [f64], candidates: &'a [Variable]) -> Result<Self, AnalyticsError> {
        let n = y.len();
        for (i, v) in y.iter().enumerate() {
            finite(format!("energy[{i}]"), *v)?;
        }
        let mut columns: Vec<&[f64]> = Vec::with_capacity(candidates.len() + 1);
        for (j, c) in candidates.iter().enumerate() {
            if c.values.len() != n {
                return Err(AnalyticsError::Shape {
                    field: format!("variables[{j}] ({})", c.name),
                    problem: format!(
                        "{} values, but the energy series has {n}: every variable needs one \
                         value per interval",
                        c.values.len()
                    ),
                });
            }
            if candidates[..j].iter().any(|o| o.name == c.name) {
                return Err(AnalyticsError::Shape {
                    field: format!("variables[{j}]"),
                    problem: format!("the name '{}' is used twice", c.name),
                });
            }
            for (i, v) in c.values.iter().enumerate() {
                finite(format!("variables[{j}] ({})[{i}]", c.name), *v)?;
            }
            columns.push(&c.values);
        }
        columns.push(y);
        let k = candidates.len();
        let m = k + 1;
        let nf = n as f64;
        let means: Vec<f64> = columns
            .iter()
            .map(|c| c.iter().sum::<f64>() / nf.max(1.0))
            .collect();
        // Two passes (mean, then deviations) keep the cross-products exact to
        // rounding even when the values sit far from zero (ambient in K).
        let mut cross = vec![0.0; m * m];
        let mut dev = vec![0.0; m];
        for i in 0..n {
            for (j, c) in columns.iter().enumerate() {
                dev[j] = c[i] - means[j];
            }
            for a in 0..m {
                for b in a..m {
                    cross[a * m + b] += dev[a] * dev[b];
                }
            }
        }
        for a in 0..m {
            for b in 0..a {
                cross[a * m + b] = cross[b * m + a];
            }
        }
        Ok(Self {
            n,
            k,
            means,
            cross,
            y,
            columns,
        })
    }

    pub fn at(&self, a: usize, b: usize) -> f64 {
        self.cross[a * (self.k + 1) + b]
    }
}
