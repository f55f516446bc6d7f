//! Small dense linear algebra for the regression: Cholesky factorisation of
//! a symmetric positive-definite matrix (at most a handful of rows), solve
//! and inverse. Row-major `Vec<f64>`, dimension passed alongside.

/// The lower-triangular Cholesky factor L (A = L Lᵀ) of the `n`×`n` matrix
/// `a`, or `None` when `a` is not positive definite to working precision.
/// A pivot below `rel_tol` times the matching diagonal entry of `a` counts
/// as zero: the column is (nearly) a combination of the earlier ones.
pub fn cholesky(a: &[f64], n: usize, rel_tol: f64) -> Option<Vec<f64>> {
    debug_assert_eq!(a.len(), n * n);
    let mut l = vec![0.0; n * n];
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= l[j * n + k] * l[j * n + k];
        }
        // NaN compares false: refused too.
        let pivot_ok = d > rel_tol * a[j * n + j].abs() && d.is_finite();
        if !pivot_ok {
            return None;
        }
        let djj = d.sqrt();
        l[j * n + j] = djj;
        for i in (j + 1)..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            l[i * n + j] = s / djj;
        }
    }
    Some(l)
}

/// Solves L Lᵀ x = b in place.
pub fn cholesky_solve(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in (i + 1)..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// (L Lᵀ)⁻¹, column by column.
pub fn cholesky_inverse(l: &[f64], n: usize) -> Vec<f64> {
    let mut inv = vec![0.0; n * n];
    let mut col = vec![0.0; n];
    for j in 0..n {
        col.iter_mut().for_each(|c| *c = 0.0);
        col[j] = 1.0;
        cholesky_solve(l, n, &mut col);
        for i in 0..n {
            inv[i * n + j] = col[i];
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_times_matrix_is_identity() {
        let a = [4.0, 12.0, -16.0, 12.0, 37.0, -43.0, -16.0, -43.0, 98.0];
        // The textbook example: L = [[2,0,0],[6,1,0],[-8,5,3]].
        let l = cholesky(&a, 3, 1e-12).unwrap();
        assert_eq!(l, vec![2.0, 0.0, 0.0, 6.0, 1.0, 0.0, -8.0, 5.0, 3.0]);
        let inv = cholesky_inverse(&l, 3);
        for i in 0..3 {
            for j in 0..3 {
                let s: f64 = (0..3).map(|k| a[i * 3 + k] * inv[k * 3 + j]).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((s - want).abs() < 1e-10, "{i} {j} {s}");
            }
        }
    }

    #[test]
    fn singular_matrix_is_refused() {
        let a = [1.0, 2.0, 2.0, 4.0];
        assert!(cholesky(&a, 2, 1e-10).is_none());
    }
}
