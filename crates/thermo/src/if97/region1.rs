//! Region 1 (compressed liquid): the basic Gibbs equation and the backward
//! equations T(p,h) and T(p,s), IAPWS R7-97(2012) section 5.

use super::props::{Gibbs, Props, from_gibbs};
use super::sum::{PowerSum, sum_value, sum_with_derivatives};

/// IAPWS R7-97(2012) Table 2: coefficients and exponents of the region 1 Gibbs equation (Eq. 7).
const TABLE_2: [(i32, i32, f64); 34] = [
    (0, -2, 0.14632971213167),
    (0, -1, -0.84548187169114),
    (0, 0, -3.756360367204),
    (0, 1, 3.3855169168385),
    (0, 2, -0.95791963387872),
    (0, 3, 0.15772038513228),
    (0, 4, -0.016616417199501),
    (0, 5, 0.00081214629983568),
    (1, -9, 0.00028319080123804),
    (1, -7, -0.00060706301565874),
    (1, -1, -0.018990068218419),
    (1, 0, -0.032529748770505),
    (1, 1, -0.021841717175414),
    (1, 3, -5.283835796993e-05),
    (2, -3, -0.00047184321073267),
    (2, 0, -0.00030001780793026),
    (2, 1, 4.7661393906987e-05),
    (2, 3, -4.4141845330846e-06),
    (2, 17, -7.2694996297594e-16),
    (3, -4, -3.1679644845054e-05),
    (3, 0, -2.8270797985312e-06),
    (3, 6, -8.5205128120103e-10),
    (4, -5, -2.2425281908e-06),
    (4, -2, -6.5171222895601e-07),
    (4, 10, -1.4341729937924e-13),
    (5, -8, -4.0516996860117e-07),
    (8, -11, -1.2734301741641e-09),
    (8, -6, -1.7424871230634e-10),
    (21, -29, -6.8762131295531e-19),
    (23, -31, 1.4478307828521e-20),
    (29, -38, 2.6335781662795e-23),
    (30, -39, -1.1947622640071e-23),
    (31, -40, 1.8228094581404e-24),
    (32, -41, -9.3537087292458e-26),
];
/// TABLE_2 with its exponent ranges, for the power-table evaluation.
const TABLE_2_SUM: PowerSum<33, 59> = PowerSum::new(&TABLE_2);
/// IAPWS R7-97(2012) Table 6: coefficients and exponents of the backward equation T(p,h) for region 1 (Eq. 11).
const TABLE_6: [(i32, i32, f64); 20] = [
    (0, 0, -238.72489924521),
    (0, 1, 404.21188637945),
    (0, 2, 113.49746881718),
    (0, 6, -5.8457616048039),
    (0, 22, -0.0001528548241314),
    (0, 32, -1.0866707695377e-06),
    (1, 0, -13.391744872602),
    (1, 1, 43.211039183559),
    (1, 2, -54.010067170506),
    (1, 3, 30.535892203916),
    (1, 4, -6.5964749423638),
    (1, 10, 0.0093965400878363),
    (1, 32, 1.157364750534e-07),
    (2, 10, -2.5858641282073e-05),
    (2, 32, -4.0644363084799e-09),
    (3, 10, 6.6456186191635e-08),
    (3, 32, 8.0670734103027e-11),
    (4, 32, -9.3477771213947e-13),
    (5, 32, 5.8265442020601e-15),
    (6, 32, -1.5020185953503e-17),
];
/// IAPWS R7-97(2012) Table 8: coefficients and exponents of the backward equation T(p,s) for region 1 (Eq. 13).
const TABLE_8: [(i32, i32, f64); 20] = [
    (0, 0, 174.78268058307),
    (0, 1, 34.806930892873),
    (0, 2, 6.5292584978455),
    (0, 3, 0.33039981775489),
    (0, 11, -1.9281382923196e-07),
    (0, 31, -2.4909197244573e-23),
    (1, 0, -0.26107636489332),
    (1, 1, 0.22592965981586),
    (1, 2, -0.064256463395226),
    (1, 3, 0.0078876289270526),
    (1, 12, 3.5672110607366e-10),
    (1, 31, 1.7332496994895e-24),
    (2, 0, 0.00056608900654837),
    (2, 1, -0.00032635483139717),
    (2, 2, 4.4778286690632e-05),
    (2, 9, -5.1322156908507e-10),
    (2, 31, -4.2522657042207e-26),
    (3, 10, 2.6400441360689e-13),
    (3, 32, 7.8124600459723e-29),
    (4, 32, -3.0732199903668e-31),
];

/// R7-97 Eq. 7: properties at `(p, T)` from the region 1 Gibbs equation.
pub(crate) fn props(pressure_mpa: f64, temperature_k: f64) -> Props {
    let pi = pressure_mpa / 16.53;
    let tau = 1386.0 / temperature_k;
    let s = sum_with_derivatives(&TABLE_2_SUM, 7.1 - pi, tau - 1.222);
    // d/dπ of (7.1 - π)^I flips the sign of every odd π derivative.
    let d = Gibbs {
        g: s.f,
        gp: -s.fx,
        gpp: s.fxx,
        gt: s.fy,
        gtt: s.fyy,
        gpt: -s.fxy,
    };
    from_gibbs(pressure_mpa, temperature_k, pi, tau, &d)
}

/// R7-97 Eq. 11: backward equation T(p,h) in region 1, K.
pub(crate) fn temperature_ph(pressure_mpa: f64, enthalpy_kj_kg: f64) -> f64 {
    sum_value(&TABLE_6, pressure_mpa, enthalpy_kj_kg / 2500.0 + 1.0)
}

/// R7-97 Eq. 13: backward equation T(p,s) in region 1, K.
pub(crate) fn temperature_ps(pressure_mpa: f64, entropy_kj_kg_k: f64) -> f64 {
    sum_value(&TABLE_8, pressure_mpa, entropy_kj_kg_k + 2.0)
}
