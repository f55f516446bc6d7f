//! IAPWS-IF97: the industrial formulation for the thermodynamic properties of
//! water and steam (IAPWS R7-97(2012)), with the supplementary backward
//! equations SR3-03(2014) for region 3 T(p,h), v(p,h), T(p,s), v(p,s) and
//! SR5-05(2016) for region 3 v(p,T).
//!
//! Units are in the names: pressure in MPa, temperature in K, density in
//! kg/m3, specific volume in m3/kg, energies in kJ/kg, entropy and heat
//! capacities in kJ/(kg K), speed of sound in m/s.
//!
//! Every function is pure and returns `Err(ThermoError::..)` for input
//! outside the IF97 range (273.15 K..=2273.15 K; 0 < p <= 100 MPa, and
//! p <= 50 MPa above 1073.15 K), for non-finite input, quality outside
//! [0, 1] and enthalpy or entropy outside the domain at the given pressure.
//! No call panics or returns NaN.
//!
//! Regions (R7-97 Fig. 1): 1 compressed liquid, 2 vapour, 3 near-critical
//! and dense supercritical (forward equation in density and temperature),
//! 4 the saturation line, 5 high-temperature steam above 1073.15 K.
//! Inverse states from (p,h) and (p,s) start from the backward equations and
//! are refined with Newton's method on the forward equations, so that the
//! result reproduces the given h or s to about 1e-12 relative.

mod props;
mod region1;
mod region2;
mod region3;
mod region3_vpt;
mod region4;
mod region5;
mod solve;
mod sum;

use serde::Serialize;

use crate::ThermoError;
use props::Props;

/// Lowest temperature of IF97, K.
pub const T_MIN_K: f64 = 273.15;
/// Temperature of the region 1/3 boundary and where B23 meets saturation, K.
pub const T_13_K: f64 = 623.15;
/// Highest temperature of regions 1-3 (and lowest of region 5), K.
pub const T_25_K: f64 = 1073.15;
/// Highest temperature of IF97 (region 5), K.
pub const T_MAX_K: f64 = 2273.15;
/// Highest pressure of regions 1-3, MPa.
pub const P_MAX_MPA: f64 = 100.0;
/// Highest pressure of region 5, MPa.
pub const P_MAX_REGION5_MPA: f64 = 50.0;
/// Critical temperature, K (R7-97 Eq. 3).
pub const CRITICAL_TEMPERATURE_K: f64 = region3::T_C;
/// Critical pressure, MPa (R7-97 Eq. 4).
pub const CRITICAL_PRESSURE_MPA: f64 = 22.064;
/// Critical density, kg/m3 (R7-97 Eq. 2).
pub const CRITICAL_DENSITY_KG_M3: f64 = region3::RHO_C;

/// Saturation pressure at 273.15 K, MPa (R7-97 Eq. 30): below it only steam exists.
const P_SAT_T_MIN: f64 = 0.000611212677444;
/// Saturation pressure at 623.15 K, MPa (R7-97 Eq. 30): B23 meets the saturation line.
const P_SAT_623: f64 = 16.529164252604478;

/// IAPWS R7-97(2012) Table 1: coefficients of the B23 boundary (Eqs. 5, 6).
const TABLE_1: [f64; 5] = [
    0.34805185628969e3,
    -0.11671859879975e1,
    0.10192970039326e-2,
    0.57254459862746e3,
    0.1391883977887e2,
];

/// R7-97 Eq. 5: pressure on the region 2/3 boundary at `T` (623.15..=863.15 K), MPa.
pub(crate) fn b23_pressure_mpa(temperature_k: f64) -> f64 {
    let [n1, n2, n3, _, _] = TABLE_1;
    n1 + temperature_k * (n2 + temperature_k * n3)
}

/// R7-97 Eq. 6: temperature on the region 2/3 boundary at `p` (16.529..=100 MPa), K.
pub(crate) fn b23_temperature_k(pressure_mpa: f64) -> f64 {
    let [_, _, n3, n4, n5] = TABLE_1;
    n4 + ((pressure_mpa - n5) / n3).max(0.0).sqrt()
}

/// The IF97 region of a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// Compressed liquid, 273.15..=623.15 K.
    Region1,
    /// Vapour and supercritical steam up to 1073.15 K.
    Region2,
    /// Near-critical and dense supercritical water between 623.15 K and B23.
    Region3,
    /// The saturation line: saturated liquid, saturated vapour, wet steam.
    Region4,
    /// High-temperature steam, 1073.15..=2273.15 K, up to 50 MPa.
    Region5,
}

impl Region {
    /// The region number, 1..=5.
    pub fn number(self) -> u8 {
        match self {
            Region::Region1 => 1,
            Region::Region2 => 2,
            Region::Region3 => 3,
            Region::Region4 => 4,
            Region::Region5 => 5,
        }
    }
}

/// The phase of a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Below the critical temperature and above the saturation pressure
    /// (or above the critical pressure).
    Liquid,
    /// Below the saturation pressure (or below the critical pressure above
    /// the critical temperature).
    Vapour,
    /// At or above both the critical temperature and the critical pressure.
    Supercritical,
    /// Saturated liquid, quality 0.
    SaturatedLiquid,
    /// Saturated vapour, quality 1.
    SaturatedVapour,
    /// Wet steam, 0 < quality < 1.
    WetSteam,
}

/// Properties of one state of water or steam.
///
/// `cp`, `cv` and the speed of sound are `None` for wet steam (0 < x < 1),
/// where they are not defined; `quality` is `Some` only on the saturation line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SteamProperties {
    pub region: Region,
    pub phase: Phase,
    pub pressure_mpa: f64,
    pub temperature_k: f64,
    pub specific_volume_m3_kg: f64,
    pub density_kg_m3: f64,
    pub internal_energy_kj_kg: f64,
    pub enthalpy_kj_kg: f64,
    pub entropy_kj_kg_k: f64,
    pub cp_kj_kg_k: Option<f64>,
    pub cv_kj_kg_k: Option<f64>,
    pub speed_of_sound_m_s: Option<f64>,
    pub quality: Option<f64>,
}

// ---------------------------------------------------------------------------
// Input checks
// ---------------------------------------------------------------------------

fn finite(quantity: &'static str, value: f64) -> Result<f64, ThermoError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ThermoError::NotFinite { quantity, value })
    }
}

fn out_of_range(quantity: &'static str, value: f64, limit: impl Into<String>) -> ThermoError {
    ThermoError::OutOfRange {
        quantity,
        value,
        limit: limit.into(),
    }
}

fn check_pressure(pressure_mpa: f64) -> Result<f64, ThermoError> {
    let p = finite("pressure_mpa", pressure_mpa)?;
    if p <= 0.0 {
        return Err(out_of_range("pressure_mpa", p, "> 0 MPa"));
    }
    if p > P_MAX_MPA {
        return Err(out_of_range("pressure_mpa", p, "<= 100 MPa"));
    }
    Ok(p)
}

fn check_temperature(temperature_k: f64) -> Result<f64, ThermoError> {
    let t = finite("temperature_k", temperature_k)?;
    if t < T_MIN_K {
        return Err(out_of_range("temperature_k", t, ">= 273.15 K"));
    }
    if t > T_MAX_K {
        return Err(out_of_range("temperature_k", t, "<= 2273.15 K"));
    }
    Ok(t)
}

fn check_pt(pressure_mpa: f64, temperature_k: f64) -> Result<(f64, f64), ThermoError> {
    let p = check_pressure(pressure_mpa)?;
    let t = check_temperature(temperature_k)?;
    if t > T_25_K && p > P_MAX_REGION5_MPA {
        return Err(out_of_range("pressure_mpa", p, "<= 50 MPa above 1073.15 K"));
    }
    Ok((p, t))
}

fn check_quality(quality: f64) -> Result<f64, ThermoError> {
    let x = finite("quality", quality)?;
    if !(0.0..=1.0).contains(&x) {
        return Err(out_of_range("quality", x, "between 0 and 1"));
    }
    Ok(x)
}

fn check_saturation_temperature(temperature_k: f64) -> Result<f64, ThermoError> {
    let t = finite("temperature_k", temperature_k)?;
    if t < T_MIN_K {
        return Err(out_of_range(
            "temperature_k",
            t,
            ">= 273.15 K on the saturation line",
        ));
    }
    if t > CRITICAL_TEMPERATURE_K {
        return Err(out_of_range(
            "temperature_k",
            t,
            "<= 647.096 K (critical temperature) on the saturation line",
        ));
    }
    Ok(t)
}

fn check_saturation_pressure(pressure_mpa: f64) -> Result<f64, ThermoError> {
    let p = finite("pressure_mpa", pressure_mpa)?;
    if p < P_SAT_T_MIN {
        return Err(out_of_range(
            "pressure_mpa",
            p,
            ">= 0.000611212677 MPa (saturation at 273.15 K) on the saturation line",
        ));
    }
    if p > CRITICAL_PRESSURE_MPA {
        return Err(out_of_range(
            "pressure_mpa",
            p,
            "<= 22.064 MPa (critical pressure) on the saturation line",
        ));
    }
    Ok(p)
}

fn no_convergence(method: &'static str, inputs: String) -> ThermoError {
    ThermoError::NoConvergence { method, inputs }
}

// ---------------------------------------------------------------------------
// Region selection and single-phase states
// ---------------------------------------------------------------------------

/// R7-97 section 4 and Fig. 1: the region of `(p, T)`, with the B23 boundary,
/// the saturation line below 623.15 K, 1073.15 K and the region 5 limits.
/// On the saturation line itself (p == psat(T)) the liquid region is chosen.
pub fn region_pt(pressure_mpa: f64, temperature_k: f64) -> Result<Region, ThermoError> {
    let (p, t) = check_pt(pressure_mpa, temperature_k)?;
    Ok(region_of(p, t))
}

fn region_of(p: f64, t: f64) -> Region {
    if t > T_25_K {
        Region::Region5
    } else if t <= T_13_K {
        if p >= region4::psat(t) {
            Region::Region1
        } else {
            Region::Region2
        }
    } else if p > b23_pressure_mpa(t) {
        Region::Region3
    } else {
        Region::Region2
    }
}

fn phase_of(p: f64, t: f64) -> Phase {
    if t >= CRITICAL_TEMPERATURE_K {
        if p >= CRITICAL_PRESSURE_MPA {
            Phase::Supercritical
        } else {
            Phase::Vapour
        }
    } else if p >= CRITICAL_PRESSURE_MPA || p >= region4::psat(t) {
        Phase::Liquid
    } else {
        Phase::Vapour
    }
}

fn single_phase(region: Region, pr: &Props) -> Result<SteamProperties, ThermoError> {
    let values = [
        pr.specific_volume_m3_kg,
        pr.internal_energy_kj_kg,
        pr.enthalpy_kj_kg,
        pr.entropy_kj_kg_k,
        pr.cp_kj_kg_k,
        pr.cv_kj_kg_k,
        pr.speed_of_sound_m_s,
    ];
    if values.iter().any(|v| !v.is_finite()) || pr.density_kg_m3 <= 0.0 {
        return Err(no_convergence(
            "property evaluation",
            format!("p = {} MPa, T = {} K", pr.pressure_mpa, pr.temperature_k),
        ));
    }
    Ok(SteamProperties {
        region,
        phase: phase_of(pr.pressure_mpa, pr.temperature_k),
        pressure_mpa: pr.pressure_mpa,
        temperature_k: pr.temperature_k,
        specific_volume_m3_kg: pr.specific_volume_m3_kg,
        density_kg_m3: pr.density_kg_m3,
        internal_energy_kj_kg: pr.internal_energy_kj_kg,
        enthalpy_kj_kg: pr.enthalpy_kj_kg,
        entropy_kj_kg_k: pr.entropy_kj_kg_k,
        cp_kj_kg_k: Some(pr.cp_kj_kg_k),
        cv_kj_kg_k: Some(pr.cv_kj_kg_k),
        speed_of_sound_m_s: Some(pr.speed_of_sound_m_s),
        quality: None,
    })
}

/// Properties at `(p, T)` in whichever region holds the state (R7-97 Fig. 1).
/// Region 3 is solved for density from the SR5-05 v(p,T) starting value.
pub fn props_pt(pressure_mpa: f64, temperature_k: f64) -> Result<SteamProperties, ThermoError> {
    let (p, t) = check_pt(pressure_mpa, temperature_k)?;
    let region = region_of(p, t);
    let pr = match region {
        Region::Region1 => region1::props(p, t),
        Region::Region3 => region3_props_pt(p, t, branch_of(p, t))?,
        Region::Region5 => region5::props(p, t),
        Region::Region2 | Region::Region4 => region2::props(p, t),
    };
    single_phase(region, &pr)
}

fn check_in_region(region: Region, p: f64, t: f64) -> Result<(), ThermoError> {
    let ok = match region {
        Region::Region1 => t <= T_13_K && p >= region4::psat(t),
        Region::Region2 => {
            t <= T_25_K
                && (if t <= T_13_K {
                    p <= region4::psat(t)
                } else {
                    p <= b23_pressure_mpa(t)
                })
        }
        Region::Region3 => (T_13_K..=T_25_K).contains(&t) && p >= b23_pressure_mpa(t),
        Region::Region5 => t >= T_25_K,
        Region::Region4 => false,
    };
    if ok {
        Ok(())
    } else {
        Err(out_of_range(
            "pressure_mpa",
            p,
            format!(
                "inside region {} at T = {t} K (R7-97 Fig. 1)",
                region.number()
            ),
        ))
    }
}

/// R7-97 Eq. 7 (Table 3): region 1 properties at `(p, T)`; the state must lie in region 1.
pub fn region1_pt(pressure_mpa: f64, temperature_k: f64) -> Result<SteamProperties, ThermoError> {
    let (p, t) = check_pt(pressure_mpa, temperature_k)?;
    check_in_region(Region::Region1, p, t)?;
    single_phase(Region::Region1, &region1::props(p, t))
}

/// R7-97 Eq. 15 (Table 12): region 2 properties at `(p, T)`; the state must lie in region 2.
pub fn region2_pt(pressure_mpa: f64, temperature_k: f64) -> Result<SteamProperties, ThermoError> {
    let (p, t) = check_pt(pressure_mpa, temperature_k)?;
    check_in_region(Region::Region2, p, t)?;
    single_phase(Region::Region2, &region2::props(p, t))
}

/// R7-97 Eq. 32 (Table 39): region 5 properties at `(p, T)`; the state must lie in region 5.
pub fn region5_pt(pressure_mpa: f64, temperature_k: f64) -> Result<SteamProperties, ThermoError> {
    let (p, t) = check_pt(pressure_mpa, temperature_k)?;
    check_in_region(Region::Region5, p, t)?;
    single_phase(Region::Region5, &region5::props(p, t))
}

/// Region 3 properties at `(p, T)`: SR5-05 v(p,T) gives the starting density,
/// Newton on the R7-97 Eq. 28 pressure refines it. The state must lie in region 3.
pub fn region3_pt(pressure_mpa: f64, temperature_k: f64) -> Result<SteamProperties, ThermoError> {
    let (p, t) = check_pt(pressure_mpa, temperature_k)?;
    check_in_region(Region::Region3, p, t)?;
    single_phase(Region::Region3, &region3_props_pt(p, t, branch_of(p, t))?)
}

/// R7-97 Eq. 28 (Table 31): region 3 properties at `(ρ, T)`, the natural
/// variables of region 3. Temperature must be 623.15..=1073.15 K and the
/// resulting pressure must lie in region 3 (above B23, at most 100 MPa);
/// states inside the two-phase dome are refused (use the wet-steam functions).
pub fn region3_rho_t(
    density_kg_m3: f64,
    temperature_k: f64,
) -> Result<SteamProperties, ThermoError> {
    let rho = finite("density_kg_m3", density_kg_m3)?;
    let t = finite("temperature_k", temperature_k)?;
    if rho <= 0.0 {
        return Err(out_of_range("density_kg_m3", rho, "> 0 kg/m3"));
    }
    if !(T_13_K..=T_25_K).contains(&t) {
        return Err(out_of_range(
            "temperature_k",
            t,
            "between 623.15 K and 1073.15 K in region 3",
        ));
    }
    let pr = region3::props(rho, t);
    let p = pr.pressure_mpa;
    if !p.is_finite() || p > P_MAX_MPA || p < b23_pressure_mpa(t) {
        return Err(out_of_range(
            "density_kg_m3",
            rho,
            format!(
                "such that the pressure ({p} MPa) lies in region 3 at T = {t} K: above B23 and <= 100 MPa"
            ),
        ));
    }
    if t < CRITICAL_TEMPERATURE_K {
        let (liquid, vapour) = saturation_pair_at_t(t)?;
        if rho < liquid.density_kg_m3 && rho > vapour.density_kg_m3 {
            return Err(out_of_range(
                "density_kg_m3",
                rho,
                format!(
                    "outside the two-phase dome at T = {t} K (<= {} or >= {} kg/m3)",
                    vapour.density_kg_m3, liquid.density_kg_m3
                ),
            ));
        }
    }
    single_phase(Region::Region3, &pr)
}

/// Which branch of the region 3 isotherm holds the wanted density.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Branch {
    /// Below the critical temperature, liquid side: density above critical.
    Liquid,
    /// Below the critical temperature, vapour side: density below critical.
    Vapour,
    /// At or above the critical temperature: one monotone isotherm.
    Single,
}

fn branch_of(p: f64, t: f64) -> Branch {
    if t >= CRITICAL_TEMPERATURE_K {
        Branch::Single
    } else if p >= CRITICAL_PRESSURE_MPA || p >= region4::psat(t) {
        Branch::Liquid
    } else {
        Branch::Vapour
    }
}

/// Density at `(p, T)` in region 3 on the given branch, from `rho0`.
/// Points where dp/dρ <= 0 (the unstable part of the isotherm below the
/// critical temperature) are steered away from: they lie below the liquid
/// branch and above the vapour branch.
fn region3_density(p: f64, t: f64, branch: Branch, rho0: f64) -> Option<f64> {
    let (lo, hi) = match branch {
        Branch::Liquid => (region3::RHO_C, 1200.0),
        Branch::Vapour => (1.0, region3::RHO_C),
        Branch::Single => (1.0, 1200.0),
    };
    let residual = |rho: f64| {
        let (pp, dp) = region3::pressure_and_slope(rho, t);
        if dp > 0.0 {
            (pp - p, dp)
        } else {
            let below = match branch {
                Branch::Liquid => true,
                Branch::Vapour => false,
                Branch::Single => rho > region3::RHO_C,
            };
            (
                if below {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                },
                0.0,
            )
        }
    };
    let rho = solve::newton_bracketed(residual, rho0, lo, hi, 1e-13 * p)?;
    let (pp, _) = region3::pressure_and_slope(rho, t);
    ((pp - p).abs() <= 1e-9 * p).then_some(rho)
}

fn region3_props_pt(p: f64, t: f64, branch: Branch) -> Result<Props, ThermoError> {
    let rho0 = 1.0 / region3_vpt::select(p, t).volume(p, t);
    region3_props_from(p, t, branch, rho0)
}

fn region3_props_from(p: f64, t: f64, branch: Branch, rho0: f64) -> Result<Props, ThermoError> {
    let rho = region3_density(p, t, branch, rho0)
        .ok_or_else(|| no_convergence("density in region 3", format!("p = {p} MPa, T = {t} K")))?;
    let mut pr = region3::props(rho, t);
    // Report the pressure asked for; the equation reproduces it to 1e-9.
    pr.pressure_mpa = p;
    Ok(pr)
}

// ---------------------------------------------------------------------------
// Region 4: saturation
// ---------------------------------------------------------------------------

/// R7-97 Eq. 30: saturation pressure at `T` (273.15..=647.096 K), MPa.
pub fn saturation_pressure_mpa(temperature_k: f64) -> Result<f64, ThermoError> {
    let t = check_saturation_temperature(temperature_k)?;
    Ok(region4::psat(t).min(CRITICAL_PRESSURE_MPA))
}

/// R7-97 Eq. 31: saturation temperature at `p` (611.213 Pa..=22.064 MPa), K.
pub fn saturation_temperature_k(pressure_mpa: f64) -> Result<f64, ThermoError> {
    let p = check_saturation_pressure(pressure_mpa)?;
    Ok(region4::tsat(p).clamp(T_MIN_K, CRITICAL_TEMPERATURE_K))
}

/// The saturated liquid and vapour at `(p, T)` on the saturation line:
/// regions 1 and 2 up to 623.15 K, region 3 above (densities from SR5-05,
/// refined by Newton on the region 3 pressure).
fn saturation_pair(p: f64, t: f64) -> Result<(Props, Props), ThermoError> {
    if t <= T_13_K {
        return Ok((region1::props(p, t), region2::props(p, t)));
    }
    if p >= CRITICAL_PRESSURE_MPA || t >= CRITICAL_TEMPERATURE_K {
        let mut pr = region3::props(region3::RHO_C, CRITICAL_TEMPERATURE_K);
        pr.pressure_mpa = CRITICAL_PRESSURE_MPA;
        return Ok((pr, pr));
    }
    let start = |vapour: bool| 1.0 / region3_vpt::select_saturated(p, vapour).volume(p, t);
    let liquid = region3_props_from(p, t, Branch::Liquid, start(false))?;
    let vapour = region3_props_from(p, t, Branch::Vapour, start(true))?;
    Ok((liquid, vapour))
}

fn saturation_pair_at_t(t: f64) -> Result<(Props, Props), ThermoError> {
    saturation_pair(region4::psat(t).min(CRITICAL_PRESSURE_MPA), t)
}

fn saturation_pair_at_p(p: f64) -> Result<(Props, Props), ThermoError> {
    saturation_pair(p, region4::tsat(p).clamp(T_MIN_K, CRITICAL_TEMPERATURE_K))
}

fn saturated(pr: &Props, vapour: bool) -> Result<SteamProperties, ThermoError> {
    let mut s = single_phase(Region::Region4, pr)?;
    s.phase = if vapour {
        Phase::SaturatedVapour
    } else {
        Phase::SaturatedLiquid
    };
    s.quality = Some(if vapour { 1.0 } else { 0.0 });
    Ok(s)
}

fn wet(liquid: &Props, vapour: &Props, x: f64) -> Result<SteamProperties, ThermoError> {
    if x == 0.0 {
        return saturated(liquid, false);
    }
    if x == 1.0 {
        return saturated(vapour, true);
    }
    let mix = |a: f64, b: f64| a + x * (b - a);
    let v = mix(liquid.specific_volume_m3_kg, vapour.specific_volume_m3_kg);
    Ok(SteamProperties {
        region: Region::Region4,
        phase: Phase::WetSteam,
        pressure_mpa: liquid.pressure_mpa,
        temperature_k: liquid.temperature_k,
        specific_volume_m3_kg: v,
        density_kg_m3: 1.0 / v,
        internal_energy_kj_kg: mix(liquid.internal_energy_kj_kg, vapour.internal_energy_kj_kg),
        enthalpy_kj_kg: mix(liquid.enthalpy_kj_kg, vapour.enthalpy_kj_kg),
        entropy_kj_kg_k: mix(liquid.entropy_kj_kg_k, vapour.entropy_kj_kg_k),
        cp_kj_kg_k: None,
        cv_kj_kg_k: None,
        speed_of_sound_m_s: None,
        quality: Some(x),
    })
}

/// Saturated liquid at pressure `p` (611.213 Pa..=22.064 MPa).
pub fn saturated_liquid_at_pressure(pressure_mpa: f64) -> Result<SteamProperties, ThermoError> {
    let p = check_saturation_pressure(pressure_mpa)?;
    saturated(&saturation_pair_at_p(p)?.0, false)
}

/// Saturated vapour at pressure `p` (611.213 Pa..=22.064 MPa).
pub fn saturated_vapour_at_pressure(pressure_mpa: f64) -> Result<SteamProperties, ThermoError> {
    let p = check_saturation_pressure(pressure_mpa)?;
    saturated(&saturation_pair_at_p(p)?.1, true)
}

/// Saturated liquid at temperature `T` (273.15..=647.096 K).
pub fn saturated_liquid_at_temperature(temperature_k: f64) -> Result<SteamProperties, ThermoError> {
    let t = check_saturation_temperature(temperature_k)?;
    saturated(&saturation_pair_at_t(t)?.0, false)
}

/// Saturated vapour at temperature `T` (273.15..=647.096 K).
pub fn saturated_vapour_at_temperature(temperature_k: f64) -> Result<SteamProperties, ThermoError> {
    let t = check_saturation_temperature(temperature_k)?;
    saturated(&saturation_pair_at_t(t)?.1, true)
}

/// Wet steam of quality `x` (0..=1, vapour mass fraction) at pressure `p`.
pub fn wet_steam_at_pressure(
    pressure_mpa: f64,
    quality: f64,
) -> Result<SteamProperties, ThermoError> {
    let p = check_saturation_pressure(pressure_mpa)?;
    let x = check_quality(quality)?;
    let (l, v) = saturation_pair_at_p(p)?;
    wet(&l, &v, x)
}

/// Wet steam of quality `x` (0..=1, vapour mass fraction) at temperature `T`.
pub fn wet_steam_at_temperature(
    temperature_k: f64,
    quality: f64,
) -> Result<SteamProperties, ThermoError> {
    let t = check_saturation_temperature(temperature_k)?;
    let x = check_quality(quality)?;
    let (l, v) = saturation_pair_at_t(t)?;
    wet(&l, &v, x)
}

// ---------------------------------------------------------------------------
// Inverse states (p,h) and (p,s)
// ---------------------------------------------------------------------------

/// The second variable of an inverse state.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Given {
    Enthalpy,
    Entropy,
}

impl Given {
    fn quantity(self) -> &'static str {
        match self {
            Given::Enthalpy => "enthalpy_kj_kg",
            Given::Entropy => "entropy_kj_kg_k",
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Given::Enthalpy => "kJ/kg",
            Given::Entropy => "kJ/(kg K)",
        }
    }

    fn of(self, pr: &Props) -> f64 {
        match self {
            Given::Enthalpy => pr.enthalpy_kj_kg,
            Given::Entropy => pr.entropy_kj_kg_k,
        }
    }

    /// d(h or s)/dT at constant pressure: cp, or cp/T.
    fn slope(self, pr: &Props) -> f64 {
        match self {
            Given::Enthalpy => pr.cp_kj_kg_k,
            Given::Entropy => pr.cp_kj_kg_k / pr.temperature_k,
        }
    }

    fn start(self, region: Region, p: f64, y: f64) -> f64 {
        match (self, region) {
            (Given::Enthalpy, Region::Region1) => region1::temperature_ph(p, y),
            (Given::Entropy, Region::Region1) => region1::temperature_ps(p, y),
            (Given::Enthalpy, Region::Region2) => region2::temperature_ph(p, y),
            (Given::Entropy, Region::Region2) => region2::temperature_ps(p, y),
            (Given::Enthalpy, Region::Region3) => region3::temperature_ph(p, y),
            (Given::Entropy, Region::Region3) => region3::temperature_ps(p, y),
            // Region 5 has no backward equation: start mid-range.
            _ => f64::NAN,
        }
    }
}

/// Properties from pressure and specific enthalpy in every region,
/// including wet steam. The backward equations (R7-97 Eqs. 11, 22-24;
/// SR3-03 Eqs. 2-3) give the starting temperature; Newton on the forward
/// equations makes h(p, T) reproduce `h` to about 1e-12 relative.
pub fn props_ph(pressure_mpa: f64, enthalpy_kj_kg: f64) -> Result<SteamProperties, ThermoError> {
    let p = check_pressure(pressure_mpa)?;
    let h = finite("enthalpy_kj_kg", enthalpy_kj_kg)?;
    inverse(p, h, Given::Enthalpy)
}

/// Properties from pressure and specific entropy in every region,
/// including wet steam. The backward equations (R7-97 Eqs. 13, 25-27;
/// SR3-03 Eqs. 6-7) give the starting temperature; Newton on the forward
/// equations makes s(p, T) reproduce `s` to about 1e-12 relative.
pub fn props_ps(pressure_mpa: f64, entropy_kj_kg_k: f64) -> Result<SteamProperties, ThermoError> {
    let p = check_pressure(pressure_mpa)?;
    let s = finite("entropy_kj_kg_k", entropy_kj_kg_k)?;
    inverse(p, s, Given::Entropy)
}

fn inverse(p: f64, y: f64, given: Given) -> Result<SteamProperties, ThermoError> {
    // The domain limits (h or s at 273.15 K and at the top temperature) are
    // only evaluated on the paths that can cross them: below the minimum a
    // state falls into region 1 (or region 2 below 611 Pa), above the maximum
    // into region 5 (or past region 2 above 50 MPa).
    let bottom = || {
        if p >= P_SAT_T_MIN {
            region1::props(p, T_MIN_K)
        } else {
            region2::props(p, T_MIN_K)
        }
    };
    let range_error = || {
        let (t_top, top) = if p <= P_MAX_REGION5_MPA {
            (T_MAX_K, region5::props(p, T_MAX_K))
        } else {
            (T_25_K, region2::props(p, T_25_K))
        };
        let (y_min, y_max) = (given.of(&bottom()), given.of(&top));
        out_of_range(
            given.quantity(),
            y,
            format!(
                "between {y_min} and {y_max} {} at p = {p} MPa (273.15 K to {t_top} K)",
                given.unit()
            ),
        )
    };
    let check_min = || {
        if y < given.of(&bottom()) {
            Err(range_error())
        } else {
            Ok(())
        }
    };
    // Called only once y lies above region 2 at 1073.15 K.
    let solve_top = || {
        if p > P_MAX_REGION5_MPA || y > given.of(&region5::props(p, T_MAX_K)) {
            return Err(range_error());
        }
        solve_in(Region::Region5, p, y, given, T_25_K, T_MAX_K)
    };
    let y2_top = || given.of(&region2::props(p, T_25_K));
    if p <= P_SAT_623 {
        let t_low = if p >= P_SAT_T_MIN {
            let (l, v) = saturation_pair_at_p(p)?;
            let (yl, yv) = (given.of(&l), given.of(&v));
            if y < yl {
                check_min()?;
                return solve_in(Region::Region1, p, y, given, T_MIN_K, l.temperature_k);
            }
            if y <= yv {
                return wet(&l, &v, ((y - yl) / (yv - yl)).clamp(0.0, 1.0));
            }
            l.temperature_k
        } else {
            check_min()?;
            T_MIN_K
        };
        if y <= y2_top() {
            return solve_in(Region::Region2, p, y, given, t_low, T_25_K);
        }
        return solve_top();
    }
    if y <= given.of(&region1::props(p, T_13_K)) {
        check_min()?;
        return solve_in(Region::Region1, p, y, given, T_MIN_K, T_13_K);
    }
    let t23 = b23_temperature_k(p);
    if y < given.of(&region2::props(p, t23)) {
        if p < CRITICAL_PRESSURE_MPA {
            // A converged stable state on either side of the saturation
            // line settles the question without the saturated states.
            if let Some(pr) = region3_inverse_newton(p, y, given, T_13_K, t23) {
                return single_phase(Region::Region3, &pr);
            }
            let (l, v) = saturation_pair_at_p(p)?;
            let (yl, yv) = (given.of(&l), given.of(&v));
            if y < yl {
                return solve_in(Region::Region3, p, y, given, T_13_K, l.temperature_k);
            }
            if y <= yv {
                return wet(&l, &v, ((y - yl) / (yv - yl)).clamp(0.0, 1.0));
            }
            return solve_in(Region::Region3, p, y, given, v.temperature_k, t23);
        }
        return solve_in(Region::Region3, p, y, given, T_13_K, t23);
    }
    if y <= y2_top() {
        return solve_in(Region::Region2, p, y, given, t23, T_25_K);
    }
    solve_top()
}

/// Region 3 branch of the isotherm at `T` for an inverse whose temperature
/// bracket ends at `t_hi`: below the critical pressure the bracket says which
/// side of the saturation line the state is on.
fn region3_inverse_branch(p: f64, t: f64, liquid_side: bool) -> Branch {
    if t >= CRITICAL_TEMPERATURE_K {
        Branch::Single
    } else if p >= CRITICAL_PRESSURE_MPA || liquid_side {
        Branch::Liquid
    } else {
        Branch::Vapour
    }
}

/// Region 3 (p,h) or (p,s) by a 2-D Newton iteration on `(δ, τ)` for
/// `p(δ,τ) = p` and `h(δ,τ) = h` (or `s`), started from the SR3-03 backward
/// equations T(p,y) and v(p,y). Returns `None` (the caller then falls back
/// to the bracketed nested solve) when the iteration does not converge in a
/// few steps or ends outside the temperature bracket, on the wrong branch of
/// the isotherm or on its mechanically unstable part.
fn region3_inverse_newton(p: f64, y: f64, given: Given, t_lo: f64, t_hi: f64) -> Option<Props> {
    let (t0, v0) = match given {
        Given::Enthalpy => (region3::temperature_ph(p, y), region3::volume_ph(p, y)),
        Given::Entropy => (region3::temperature_ps(p, y), region3::volume_ps(p, y)),
    };
    if !(t0.is_finite() && v0.is_finite() && t0 > 0.0 && v0 > 0.0) {
        return None;
    }
    // Stay inside the bracket (the backward equations are only accurate to
    // tens of mK, and the bracket may be narrower near saturation).
    let t0 = t0.clamp(t_lo, t_hi);
    let mut delta = 1.0 / (v0 * region3::RHO_C);
    let mut tau = region3::T_C / t0;
    let scale = y.abs().max(1.0);
    let (delta_min, delta_max) = (1.0 / region3::RHO_C, 1200.0 / region3::RHO_C);
    let mut converged = None;
    for _ in 0..8 {
        let j = region3::state_jacobian(delta, tau);
        let (yy, y_d, y_t) = match given {
            Given::Enthalpy => (j.h, j.h_d, j.h_t),
            Given::Entropy => (j.s, j.s_d, j.s_t),
        };
        let (rp, ry) = (j.p - p, yy - y);
        if !(rp.is_finite() && ry.is_finite()) {
            return None;
        }
        // 1e-12 is the rounding floor of p(δ,τ) near 100 MPa, 1000 times
        // tighter than the 1e-9 contract.
        if rp.abs() <= 1e-12 * p && ry.abs() <= 1e-12 * scale {
            converged = (j.p_d > 0.0).then_some(j.phi);
            break;
        }
        let det = j.p_d * y_t - j.p_t * y_d;
        if !(det.is_finite() && det != 0.0) {
            return None;
        }
        let step_d = (rp * y_t - ry * j.p_t) / det;
        let step_t = (j.p_d * ry - y_d * rp) / det;
        // The step can no longer change the point: it is the root to double
        // precision, even if rounding keeps the residuals above 1e-13.
        if step_d.abs() <= 1e-14 * delta
            && step_t.abs() <= 1e-14 * tau
            && rp.abs() <= 1e-11 * p
            && ry.abs() <= 1e-11 * scale
        {
            converged = (j.p_d > 0.0).then_some(j.phi);
            break;
        }
        delta -= step_d;
        tau -= step_t;
        if !(delta > delta_min && delta < delta_max && tau > 0.0 && tau.is_finite()) {
            return None;
        }
    }
    let phi = converged?;
    let t = region3::T_C / tau;
    if !(t >= t_lo && t <= t_hi) {
        return None;
    }
    let rho = delta * region3::RHO_C;
    // The stable state on the side of the saturation line its temperature
    // says (liquid below Tsat(p), vapour above): metastable states, and any
    // (p,h) or (p,s) inside the dome, are left to the caller's fallback.
    let on_branch = if t >= CRITICAL_TEMPERATURE_K {
        true
    } else if p >= CRITICAL_PRESSURE_MPA {
        rho > region3::RHO_C
    } else {
        let t_sat = region4::tsat(p);
        (t < t_sat && rho > region3::RHO_C) || (t > t_sat && rho < region3::RHO_C)
    };
    if !on_branch {
        return None;
    }
    let mut pr = props::from_helmholtz(rho, t, delta, tau, &phi);
    if !((pr.pressure_mpa - p).abs() <= 1e-9 * p && (given.of(&pr) - y).abs() <= 1e-9 * scale) {
        return None;
    }
    // Report the pressure asked for, as the (p,T) path does.
    pr.pressure_mpa = p;
    Some(pr)
}

/// Solves `given(p, T) = y` for T in `(t_lo, t_hi)` inside one region.
fn solve_in(
    region: Region,
    p: f64,
    y: f64,
    given: Given,
    t_lo: f64,
    t_hi: f64,
) -> Result<SteamProperties, ThermoError> {
    // Region 3 below the critical pressure: the bracket says which side of
    // the saturation line the state is on.
    let liquid_side = p < CRITICAL_PRESSURE_MPA && t_hi <= region4::tsat(p) + 1e-9;
    if region == Region::Region3
        && let Some(pr) = region3_inverse_newton(p, y, given, t_lo, t_hi)
    {
        return single_phase(region, &pr);
    }
    let eval = |t: f64| -> Result<Props, ThermoError> {
        Ok(match region {
            Region::Region1 => region1::props(p, t),
            Region::Region3 => region3_props_pt(p, t, region3_inverse_branch(p, t, liquid_side))?,
            Region::Region5 => region5::props(p, t),
            Region::Region2 | Region::Region4 => region2::props(p, t),
        })
    };
    let t0 = given.start(region, p, y);
    let scale = y.abs().max(1.0);
    // The last evaluated state: the solver usually returns its temperature,
    // and then the state need not be evaluated again.
    let last: std::cell::Cell<Option<Props>> = std::cell::Cell::new(None);
    let residual = |t: f64| match eval(t) {
        Ok(pr) => {
            last.set(Some(pr));
            (given.of(&pr) - y, given.slope(&pr))
        }
        Err(_) => (f64::NAN, f64::NAN),
    };
    let inputs = || format!("p = {p} MPa, {} = {y}", given.quantity());
    let method = match given {
        Given::Enthalpy => "T(p,h)",
        Given::Entropy => "T(p,s)",
    };
    let t = solve::newton_bracketed(residual, t0, t_lo, t_hi, 1e-13 * scale)
        .ok_or_else(|| no_convergence(method, inputs()))?;
    let pr = match last.get() {
        Some(pr) if pr.temperature_k == t => pr,
        _ => eval(t)?,
    };
    // States in the small gaps left by IF97 between regions cannot be met
    // exactly; anything else must be reproduced to 1e-9.
    if (given.of(&pr) - y).abs() > 1e-9 * scale {
        return Err(no_convergence(method, inputs()));
    }
    single_phase(region, &pr)
}

// ---------------------------------------------------------------------------
// Backward equations, exposed for verification against the IAPWS tables
// ---------------------------------------------------------------------------

/// The raw IF97 backward equations, without Newton refinement. They are
/// exposed for verification against the IAPWS check tables; use
/// [`props_ph`] and [`props_ps`] for states. Inputs are checked for
/// finiteness and 0 < p <= 100 MPa only: outside their subregion the
/// equations return meaningless (but finite or refused) numbers.
pub mod backward {
    use super::{check_pressure, finite, out_of_range, region1, region2, region3, region3_vpt};
    use crate::ThermoError;

    fn checked(quantity: &'static str, input: f64, value: f64) -> Result<f64, ThermoError> {
        if value.is_finite() {
            Ok(value)
        } else {
            Err(out_of_range(
                quantity,
                input,
                "inside the domain of the backward equation",
            ))
        }
    }

    fn ph(pressure_mpa: f64, enthalpy_kj_kg: f64) -> Result<(f64, f64), ThermoError> {
        Ok((
            check_pressure(pressure_mpa)?,
            finite("enthalpy_kj_kg", enthalpy_kj_kg)?,
        ))
    }

    fn ps(pressure_mpa: f64, entropy_kj_kg_k: f64) -> Result<(f64, f64), ThermoError> {
        Ok((
            check_pressure(pressure_mpa)?,
            finite("entropy_kj_kg_k", entropy_kj_kg_k)?,
        ))
    }

    /// R7-97 Eq. 11: T(p,h) in region 1, K.
    pub fn region1_temperature_ph(
        pressure_mpa: f64,
        enthalpy_kj_kg: f64,
    ) -> Result<f64, ThermoError> {
        let (p, h) = ph(pressure_mpa, enthalpy_kj_kg)?;
        checked("enthalpy_kj_kg", h, region1::temperature_ph(p, h))
    }

    /// R7-97 Eq. 13: T(p,s) in region 1, K.
    pub fn region1_temperature_ps(
        pressure_mpa: f64,
        entropy_kj_kg_k: f64,
    ) -> Result<f64, ThermoError> {
        let (p, s) = ps(pressure_mpa, entropy_kj_kg_k)?;
        checked("entropy_kj_kg_k", s, region1::temperature_ps(p, s))
    }

    /// R7-97 Eqs. 22-24: T(p,h) in region 2 (subregion 2a, 2b or 2c), K.
    pub fn region2_temperature_ph(
        pressure_mpa: f64,
        enthalpy_kj_kg: f64,
    ) -> Result<f64, ThermoError> {
        let (p, h) = ph(pressure_mpa, enthalpy_kj_kg)?;
        checked("enthalpy_kj_kg", h, region2::temperature_ph(p, h))
    }

    /// R7-97 Eqs. 25-27: T(p,s) in region 2 (subregion 2a, 2b or 2c), K.
    pub fn region2_temperature_ps(
        pressure_mpa: f64,
        entropy_kj_kg_k: f64,
    ) -> Result<f64, ThermoError> {
        let (p, s) = ps(pressure_mpa, entropy_kj_kg_k)?;
        checked("entropy_kj_kg_k", s, region2::temperature_ps(p, s))
    }

    /// SR3-03 Eqs. 2-3: T(p,h) in region 3 (subregion 3a or 3b), K.
    pub fn region3_temperature_ph(
        pressure_mpa: f64,
        enthalpy_kj_kg: f64,
    ) -> Result<f64, ThermoError> {
        let (p, h) = ph(pressure_mpa, enthalpy_kj_kg)?;
        checked("enthalpy_kj_kg", h, region3::temperature_ph(p, h))
    }

    /// SR3-03 Eqs. 4-5: v(p,h) in region 3 (subregion 3a or 3b), m3/kg.
    pub fn region3_volume_ph(pressure_mpa: f64, enthalpy_kj_kg: f64) -> Result<f64, ThermoError> {
        let (p, h) = ph(pressure_mpa, enthalpy_kj_kg)?;
        checked("enthalpy_kj_kg", h, region3::volume_ph(p, h))
    }

    /// SR3-03 Eqs. 6-7: T(p,s) in region 3 (subregion 3a or 3b), K.
    pub fn region3_temperature_ps(
        pressure_mpa: f64,
        entropy_kj_kg_k: f64,
    ) -> Result<f64, ThermoError> {
        let (p, s) = ps(pressure_mpa, entropy_kj_kg_k)?;
        checked("entropy_kj_kg_k", s, region3::temperature_ps(p, s))
    }

    /// SR3-03 Eqs. 8-9: v(p,s) in region 3 (subregion 3a or 3b), m3/kg.
    pub fn region3_volume_ps(pressure_mpa: f64, entropy_kj_kg_k: f64) -> Result<f64, ThermoError> {
        let (p, s) = ps(pressure_mpa, entropy_kj_kg_k)?;
        checked("entropy_kj_kg_k", s, region3::volume_ps(p, s))
    }

    /// SR5-05 Eqs. 4-5: v(p,T) in region 3 with the subregion chosen by the
    /// SR5-05 boundary equations; returns the subregion letter and v, m3/kg.
    pub fn region3_volume_pt(
        pressure_mpa: f64,
        temperature_k: f64,
    ) -> Result<(char, f64), ThermoError> {
        let p = check_pressure(pressure_mpa)?;
        let t = finite("temperature_k", temperature_k)?;
        if p <= super::P_SAT_623 {
            return Err(out_of_range(
                "pressure_mpa",
                p,
                "> 16.529 MPa for SR5-05 v(p,T)",
            ));
        }
        let sub = region3_vpt::select(p, t);
        Ok((sub.name, checked("temperature_k", t, sub.volume(p, t))?))
    }

    /// SR5-05 Eqs. 4-5 in one named subregion ('a'..='z'), m3/kg, for the
    /// SR5-05 check tables.
    pub fn region3_volume_pt_in(
        subregion: char,
        pressure_mpa: f64,
        temperature_k: f64,
    ) -> Result<f64, ThermoError> {
        let p = check_pressure(pressure_mpa)?;
        let t = finite("temperature_k", temperature_k)?;
        let sub = region3_vpt::SUBREGIONS
            .iter()
            .find(|s| s.name == subregion)
            .ok_or_else(|| {
                out_of_range(
                    "subregion",
                    f64::from(u32::from(subregion)),
                    "a letter 'a'..='z'",
                )
            })?;
        checked("temperature_k", t, sub.volume(p, t))
    }
}
