//! Region 4 (saturation line): the saturation-pressure equation and its
//! inverse, IAPWS R7-97(2012) section 8, Eqs. 30 and 31.

/// IAPWS R7-97(2012) Table 34: coefficients n1..n10 of the saturation equation (Eq. 29).
const TABLE_34: [f64; 10] = [
    0.11670521452767e4,
    -0.72421316703206e6,
    -0.17073846940092e2,
    0.12020824702470e5,
    -0.32325550322333e7,
    0.14915108613530e2,
    -0.48232657361591e4,
    0.40511340542057e6,
    -0.23855557567849,
    0.65017534844798e3,
];

/// R7-97 Eq. 30: saturation pressure at temperature `T` (273.15 K..=647.096 K), MPa.
pub(crate) fn psat(temperature_k: f64) -> f64 {
    let [n1, n2, n3, n4, n5, n6, n7, n8, n9, n10] = TABLE_34;
    let th = temperature_k + n9 / (temperature_k - n10);
    let a = th * th + n1 * th + n2;
    let b = n3 * th * th + n4 * th + n5;
    let c = n6 * th * th + n7 * th + n8;
    let x = 2.0 * c / (-b + (b * b - 4.0 * a * c).sqrt());
    x.powi(4)
}

/// R7-97 Eq. 31: saturation temperature at pressure `p` (611.213 Pa..=22.064 MPa), K.
pub(crate) fn tsat(pressure_mpa: f64) -> f64 {
    let [n1, n2, n3, n4, n5, n6, n7, n8, n9, n10] = TABLE_34;
    let beta = pressure_mpa.powf(0.25);
    let e = beta * beta + n3 * beta + n6;
    let f = n1 * beta * beta + n4 * beta + n7;
    let g = n2 * beta * beta + n5 * beta + n8;
    let d = 2.0 * g / (-f - (f * f - 4.0 * e * g).sqrt());
    (n10 + d - ((n10 + d) * (n10 + d) - 4.0 * (n9 + n10 * d)).sqrt()) / 2.0
}
