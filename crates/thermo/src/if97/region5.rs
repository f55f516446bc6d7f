//! Region 5 (high-temperature steam, 1073.15 K to 2273.15 K, up to 50 MPa):
//! the basic Gibbs equation, IAPWS R7-97(2012) section 9.

use super::props::{Gibbs, Props, from_gibbs};
use super::sum::{PowerSum, ideal_sum, sum_with_derivatives};

/// IAPWS R7-97(2012) Table 37: ideal-gas part of the region 5 Gibbs equation (Eq. 33), (J°, n°).
const TABLE_37: [(i32, f64); 6] = [
    (0, -13.179983674201),
    (1, 6.8540841634434),
    (-3, -0.024805148933466),
    (-2, 0.36901534980333),
    (-1, -3.1161318213925),
    (2, -0.32961626538917),
];
/// IAPWS R7-97(2012) Table 38: residual part of the region 5 Gibbs equation (Eq. 34).
const TABLE_38: [(i32, i32, f64); 6] = [
    (1, 1, 0.0015736404855259),
    (1, 2, 0.00090153761673944),
    (1, 3, -0.0050270077677648),
    (2, 3, 2.2440037409485e-06),
    (2, 9, -4.1163275453471e-06),
    (3, 7, 3.7919454822955e-08),
];
/// TABLE_38 with its exponent ranges, for the power-table evaluation.
const TABLE_38_SUM: PowerSum<3, 9> = PowerSum::new(&TABLE_38);

/// R7-97 Eqs. 32-34: properties at `(p, T)` from the region 5 Gibbs equation.
pub(crate) fn props(pressure_mpa: f64, temperature_k: f64) -> Props {
    let pi = pressure_mpa;
    let tau = 1000.0 / temperature_k;
    let (g0, g0t, g0tt) = ideal_sum(&TABLE_37, tau);
    let r = sum_with_derivatives(&TABLE_38_SUM, pi, tau);
    let d = Gibbs {
        g: pi.ln() + g0 + r.f,
        gp: 1.0 / pi + r.fx,
        gpp: -1.0 / (pi * pi) + r.fxx,
        gt: g0t + r.fy,
        gtt: g0tt + r.fyy,
        gpt: r.fxy,
    };
    from_gibbs(pressure_mpa, temperature_k, pi, tau, &d)
}
