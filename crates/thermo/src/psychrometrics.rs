//! Moist-air properties by ASHRAE *Handbook — Fundamentals* (2017), Ch. 1
//! "Psychrometrics" (SI):
//!
//! - saturation pressure over ice (−100..0 °C) and over liquid water
//!   (0..200 °C): Hyland & Wexler (1983), ASHRAE Eqs. (5) and (6);
//! - humidity ratio `W = 0.621945 p_w / (p − p_w)` (Eq. 20);
//! - enthalpy `h = 1.006 t + W (2501 + 1.86 t)` kJ/kg dry air (Eq. 32;
//!   zero for dry air at 0 °C and liquid water at 0 °C);
//! - thermodynamic wet-bulb temperature from Eq. (33)/(35), solved for t*;
//! - dew point: `p_ws(t_d) = p_w`, solved.
//!
//! Ideal-gas moist air, the enhancement factor taken as 1 (as ASHRAE's
//! Eqs. 20–38 do; below 0.5 % error at atmospheric pressure).

use serde::{Deserialize, Serialize};

use crate::ThermoError;
use crate::fuels::{check_range, invalid};

/// Ratio of molar masses of water vapour and dry air (ASHRAE 2017 Eq. 20).
pub const MW_RATIO: f64 = 0.621_945;

/// Standard atmospheric pressure, kPa.
pub const STANDARD_PRESSURE_KPA: f64 = 101.325;

/// Saturation pressure of water vapour, kPa, at `t_c` (−100..=200 °C),
/// over ice below 0 °C, over liquid water from 0 °C (Hyland & Wexler 1983;
/// ASHRAE 2017 Fundamentals Ch. 1 Eqs. 5 and 6).
pub fn saturation_pressure_kpa(t_c: f64) -> f64 {
    let t = t_c + 273.15;
    let ln_p_pa = if t_c < 0.0 {
        -5.674_535_9e3 / t + 6.392_524_7 - 9.677_843e-3 * t
            + 6.221_570_1e-7 * t * t
            + 2.074_782_5e-9 * t.powi(3)
            - 9.484_024e-13 * t.powi(4)
            + 4.163_501_9 * t.ln()
    } else {
        -5.800_220_6e3 / t + 1.391_499_3 - 4.864_023_9e-2 * t + 4.176_476_8e-5 * t * t
            - 1.445_209_3e-8 * t.powi(3)
            + 6.545_967_3 * t.ln()
    };
    ln_p_pa.exp() / 1000.0
}

/// Humidity ratio, kg water per kg dry air, of air with vapour pressure `p_w_kpa`.
pub fn humidity_ratio_from_vapour_pressure(p_w_kpa: f64, p_kpa: f64) -> f64 {
    MW_RATIO * p_w_kpa / (p_kpa - p_w_kpa)
}

/// Vapour pressure, kPa, of air with humidity ratio `w`.
pub fn vapour_pressure_from_humidity_ratio(w: f64, p_kpa: f64) -> f64 {
    p_kpa * w / (MW_RATIO + w)
}

/// Moist-air enthalpy, kJ/kg dry air (ASHRAE Eq. 32).
pub fn enthalpy_kj_kg_da(t_c: f64, w: f64) -> f64 {
    1.006 * t_c + w * (2501.0 + 1.86 * t_c)
}

/// Humidity ratio at dry bulb `t_c` and thermodynamic wet bulb `t_wb_c`
/// (ASHRAE Eq. 35 above freezing, Eq. 37 below).
pub fn humidity_ratio_from_wet_bulb(t_c: f64, t_wb_c: f64, p_kpa: f64) -> f64 {
    let ws = humidity_ratio_from_vapour_pressure(saturation_pressure_kpa(t_wb_c), p_kpa);
    if t_wb_c >= 0.0 {
        ((2501.0 - 2.326 * t_wb_c) * ws - 1.006 * (t_c - t_wb_c))
            / (2501.0 + 1.86 * t_c - 4.186 * t_wb_c)
    } else {
        ((2830.0 - 0.24 * t_wb_c) * ws - 1.006 * (t_c - t_wb_c))
            / (2830.0 + 1.86 * t_c - 2.1 * t_wb_c)
    }
}

/// Root of `f(x) = target` for a monotone increasing `f` on `[lo, hi]`:
/// the Illinois variant of regula falsi (Dowell & Jarratt 1971), with a
/// bisection step when a step fails to halve the bracket; to 1e-9 °C.
fn solve_increasing(lo: f64, hi: f64, target: f64, f: impl Fn(f64) -> f64) -> f64 {
    let (mut a, mut b) = (lo, hi);
    let (mut fa, mut fb) = (f(a) - target, f(b) - target);
    if fa >= 0.0 {
        return a;
    }
    if fb <= 0.0 {
        return b;
    }
    let mut side = 0i8;
    let mut bisect = false;
    for _ in 0..200 {
        let width = b - a;
        if width < 1e-9 {
            break;
        }
        let mut c = if bisect {
            0.5 * (a + b)
        } else {
            b - fb * (b - a) / (fb - fa)
        };
        if !(c > a && c < b) {
            c = 0.5 * (a + b);
        }
        let fc = f(c) - target;
        if fc == 0.0 {
            return c;
        }
        if fc > 0.0 {
            b = c;
            fb = fc;
            if side == -1 {
                fa *= 0.5;
            }
            side = -1;
        } else {
            a = c;
            fa = fc;
            if side == 1 {
                fb *= 0.5;
            }
            side = 1;
        }
        bisect = b - a > 0.5 * width;
    }
    0.5 * (a + b)
}

/// Thermodynamic wet-bulb temperature, °C, of air at `t_c` with humidity ratio `w`.
pub fn wet_bulb_c(t_c: f64, w: f64, p_kpa: f64) -> f64 {
    // W(t, t*) increases with t* from the dew point up to t or the boiling
    // point at p (where W_s* has its pole; IF97 saturation less 0.1 K, as
    // Hyland–Wexler and IF97 differ by 0.03 K there), whichever is lower.
    let boil =
        crate::if97::saturation_temperature_k(p_kpa / 1000.0).map_or(100.0, |t| t - 273.15 - 0.1);
    let lo = dew_point_c(vapour_pressure_from_humidity_ratio(w, p_kpa)).min(t_c) - 1.0;
    solve_increasing(lo.max(-100.0), t_c.min(boil), w, |twb| {
        humidity_ratio_from_wet_bulb(t_c, twb, p_kpa)
    })
}

/// Dew-point temperature, °C, at vapour pressure `p_w_kpa` (frost point below 0 °C).
pub fn dew_point_c(p_w_kpa: f64) -> f64 {
    if p_w_kpa <= 0.0 {
        return -100.0;
    }
    // ln p_ws is nearly linear in 1/T: solve in ln p.
    solve_increasing(-100.0, 200.0, p_w_kpa.ln(), |t| {
        saturation_pressure_kpa(t).ln()
    })
}

/// How a moist-air state is given: the dry-bulb temperature and one humidity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoistAirSpec {
    pub temperature_c: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relative_humidity_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub humidity_ratio_kg_kg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dew_point_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wet_bulb_c: Option<f64>,
}

/// A resolved moist-air state.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MoistAir {
    pub temperature_c: f64,
    pub pressure_kpa: f64,
    pub humidity_ratio_kg_kg: f64,
    pub relative_humidity_pct: f64,
    pub vapour_pressure_kpa: f64,
    pub dew_point_c: f64,
    pub wet_bulb_c: f64,
    /// kJ per kg dry air (ASHRAE reference: dry air and liquid water at 0 °C).
    pub enthalpy_kj_kg_da: f64,
}

/// Resolves a moist-air state; `field` is the JSON path for errors.
pub fn moist_air(spec: &MoistAirSpec, p_kpa: f64, field: &str) -> Result<MoistAir, ThermoError> {
    let f = |n: &'static str| crate::fuels::FieldPath(field, n);
    let t = check_range(f("temperature_c"), spec.temperature_c, -100.0, 200.0, "°C")?;
    let pws = saturation_pressure_kpa(t);
    let given = [
        spec.relative_humidity_pct.is_some(),
        spec.humidity_ratio_kg_kg.is_some(),
        spec.dew_point_c.is_some(),
        spec.wet_bulb_c.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given != 1 {
        return Err(invalid(
            field,
            &format!(
                "give exactly one of relative_humidity_pct, humidity_ratio_kg_kg, dew_point_c, wet_bulb_c; got {given}"
            ),
        ));
    }
    let w = if let Some(rh) = spec.relative_humidity_pct {
        let rh = check_range(f("relative_humidity_pct"), rh, 0.0, 100.0, "%")?;
        let pw = rh / 100.0 * pws.min(p_kpa);
        humidity_ratio_from_vapour_pressure(pw, p_kpa)
    } else if let Some(w) = spec.humidity_ratio_kg_kg {
        check_range(f("humidity_ratio_kg_kg"), w, 0.0, 10.0, "kg/kg dry air")?
    } else if let Some(td) = spec.dew_point_c {
        let td = check_range(f("dew_point_c"), td, -100.0, t, "°C (at most the dry bulb)")?;
        humidity_ratio_from_vapour_pressure(saturation_pressure_kpa(td), p_kpa)
    } else {
        let twb = spec.wet_bulb_c.unwrap_or(t);
        let twb = check_range(f("wet_bulb_c"), twb, -100.0, t, "°C (at most the dry bulb)")?;
        humidity_ratio_from_wet_bulb(t, twb, p_kpa)
    };
    let pw = vapour_pressure_from_humidity_ratio(w, p_kpa);
    if pws < p_kpa && pw > pws * (1.0 + 1e-9) {
        return Err(invalid(
            field,
            &format!(
                "is supersaturated: vapour pressure {pw:.4} kPa above saturation {pws:.4} kPa at {t} °C"
            ),
        ));
    }
    if w < 0.0 {
        return Err(invalid(field, "gives a negative humidity ratio"));
    }
    Ok(MoistAir {
        temperature_c: t,
        pressure_kpa: p_kpa,
        humidity_ratio_kg_kg: w,
        relative_humidity_pct: pw / pws * 100.0,
        vapour_pressure_kpa: pw,
        dew_point_c: if pw > 0.0 { dew_point_c(pw) } else { -100.0 },
        wet_bulb_c: wet_bulb_c(t, w, p_kpa),
        enthalpy_kj_kg_da: enthalpy_kj_kg_da(t, w),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ASHRAE 2017 Fundamentals Ch. 1 Table 3: p_ws(20 °C) = 2.3389 kPa,
    /// p_ws(100 °C) = 101.42 kPa (Hyland–Wexler, not exactly 101.325).
    #[test]
    fn hyland_wexler_table_points() {
        assert!((saturation_pressure_kpa(20.0) - 2.3389).abs() < 2e-4);
        assert!((saturation_pressure_kpa(100.0) - 101.42).abs() < 0.01);
        assert!((saturation_pressure_kpa(0.0) - 0.6112).abs() < 2e-4);
    }
}
