//! Surface heat losses: radiation (Stefan–Boltzmann) and natural, forced
//! or mixed convection from a hot surface to ambient air, and radiation
//! through furnace openings with a view factor.
//!
//! Correlations (Incropera, DeWitt, Bergman & Lavine, *Fundamentals of Heat
//! and Mass Transfer*, 6th ed., 2007):
//! - vertical plate, natural: Churchill & Chu (1975), Eq. 9.26;
//! - horizontal plate, hot face up: Lloyd & Moran / McAdams, Eqs. 9.30-9.31;
//! - horizontal plate, hot face down: McAdams, Eq. 9.32;
//! - horizontal cylinder, natural: Churchill & Chu (1975), Eq. 9.34;
//! - plate in parallel flow (wind): Eqs. 7.30 (laminar) and 7.38 (mixed);
//! - cylinder in cross flow (wind): Churchill & Bernstein (1977), Eq. 7.54;
//! - natural + forced: Nu³ = Nu_F³ + Nu_N³ (Churchill 1977; Eq. 9.64).
//!
//! Air properties at the film temperature from Incropera Table A.4.

use serde::{Deserialize, Serialize};

use crate::ThermoError;
use crate::fuels::{check_range, invalid};

/// Stefan–Boltzmann constant, W/(m² K⁴) (CODATA 2018, exact from h, c, k).
pub const STEFAN_BOLTZMANN_W_M2_K4: f64 = 5.670_374_419e-8;

/// Standard gravity, m/s² (CGPM 1901, exact).
pub const G_M_S2: f64 = 9.806_65;

/// Air at 1 atm, Incropera 6th ed. Table A.4: T [K], ν [1e-6 m²/s],
/// k [1e-3 W/(m K)], Pr.
const AIR_TABLE: [(f64, f64, f64, f64); 16] = [
    (250.0, 11.44, 22.3, 0.720),
    (300.0, 15.89, 26.3, 0.707),
    (350.0, 20.92, 30.0, 0.700),
    (400.0, 26.41, 33.8, 0.690),
    (450.0, 32.39, 37.3, 0.686),
    (500.0, 38.79, 40.7, 0.684),
    (550.0, 45.57, 43.9, 0.683),
    (600.0, 52.69, 46.9, 0.685),
    (650.0, 60.21, 49.7, 0.690),
    (700.0, 68.10, 52.4, 0.695),
    (750.0, 76.37, 54.9, 0.702),
    (800.0, 84.93, 57.3, 0.709),
    (850.0, 93.80, 59.6, 0.716),
    (900.0, 102.9, 62.0, 0.720),
    (950.0, 112.2, 64.3, 0.723),
    (1000.0, 121.9, 66.7, 0.726),
];

/// Air transport properties at a film temperature.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AirProperties {
    pub temperature_k: f64,
    pub kinematic_viscosity_m2_s: f64,
    pub conductivity_w_m_k: f64,
    pub prandtl: f64,
}

/// Air properties at `t_k` (250..=1000 K), linear in Table A.4.
pub fn air_properties(t_k: f64) -> Result<AirProperties, ThermoError> {
    check_range(
        "film_temperature_k",
        t_k,
        250.0,
        1000.0,
        "K (Incropera Table A.4 range used)",
    )?;
    let i = AIR_TABLE
        .windows(2)
        .position(|w| t_k <= w[1].0)
        .unwrap_or(AIR_TABLE.len() - 2);
    let (a, b) = (AIR_TABLE[i], AIR_TABLE[i + 1]);
    let f = (t_k - a.0) / (b.0 - a.0);
    let lerp = |x: f64, y: f64| x + (y - x) * f;
    Ok(AirProperties {
        temperature_k: t_k,
        kinematic_viscosity_m2_s: lerp(a.1, b.1) * 1e-6,
        conductivity_w_m_k: lerp(a.2, b.2) * 1e-3,
        prandtl: lerp(a.3, b.3),
    })
}

/// Orientation of a hot surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    Vertical,
    HorizontalUp,
    HorizontalDown,
    /// Horizontal cylinder (pipe, drum).
    Cylinder,
}

/// A hot surface (`surfaces[]` of the API).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurfaceSpec {
    pub area_m2: f64,
    pub temperature_c: f64,
    pub emissivity: f64,
    pub orientation: Orientation,
    /// Height of a vertical surface, m (default √area).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_m: Option<f64>,
    /// Outside diameter of a cylinder, m (required for `cylinder`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diameter_m: Option<f64>,
    /// Characteristic length of a horizontal plate (area/perimeter) or flow
    /// length of a plate in wind, m (default √area/4 for natural, √area for wind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_m: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wind_speed_m_s: Option<f64>,
    /// Ambient air and surroundings, °C (default: the process ambient, else 25 °C).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_temperature_c: Option<f64>,
}

/// Heat lost by one surface.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurfaceLoss {
    pub radiation_w: f64,
    pub convection_w: f64,
    pub total_w: f64,
    pub radiation_coefficient_w_m2_k: f64,
    pub convection_coefficient_w_m2_k: f64,
    pub rayleigh: f64,
    pub reynolds: f64,
    pub nusselt: f64,
    pub correlation: String,
    pub film_temperature_c: f64,
    pub ambient_temperature_c: f64,
}

/// Radiation from a grey surface to large surroundings, W/m².
pub fn radiation_flux_w_m2(emissivity: f64, surface_k: f64, surroundings_k: f64) -> f64 {
    emissivity * STEFAN_BOLTZMANN_W_M2_K4 * (surface_k.powi(4) - surroundings_k.powi(4))
}

/// Radiation and convection losses of a surface; `default_ambient_c` is
/// used when the surface has no ambient temperature of its own. `field` is
/// the JSON path used in errors (e.g. `surfaces[0]`).
pub fn surface_loss(
    s: &SurfaceSpec,
    default_ambient_c: f64,
    field: &str,
) -> Result<SurfaceLoss, ThermoError> {
    let f = |name: &'static str| crate::fuels::FieldPath(field, name);
    let area = check_range(f("area_m2"), s.area_m2, 0.0, 1e6, "m²")?;
    let ts_c = check_range(f("temperature_c"), s.temperature_c, -50.0, 1500.0, "°C")?;
    let eps = check_range(f("emissivity"), s.emissivity, 0.0, 1.0, "")?;
    let ta_c = match s.ambient_temperature_c {
        Some(t) => check_range(f("ambient_temperature_c"), t, -50.0, 60.0, "°C")?,
        None => default_ambient_c,
    };
    let wind = match s.wind_speed_m_s {
        Some(v) => check_range(f("wind_speed_m_s"), v, 0.0, 50.0, "m/s")?,
        None => 0.0,
    };
    let ts = ts_c + 273.15;
    let ta = ta_c + 273.15;
    let q_rad = radiation_flux_w_m2(eps, ts, ta);
    let dt = ts - ta;
    let h_rad = if dt.abs() > 1e-9 {
        q_rad / dt
    } else {
        4.0 * eps * STEFAN_BOLTZMANN_W_M2_K4 * ts.powi(3)
    };

    let film = 0.5 * (ts + ta);
    let air = air_properties(film).map_err(|_| {
        invalid(
            f("temperature_c"),
            "gives a film temperature outside 250..=1000 K, the range of the air property table",
        )
    })?;
    let nu_air = air.kinematic_viscosity_m2_s;
    let pr = air.prandtl;
    let k = air.conductivity_w_m_k;
    let beta = 1.0 / film;
    let ra_of = |l: f64| G_M_S2 * beta * dt.abs() * l.powi(3) / (nu_air * nu_air) * pr;

    let length = |name: &'static str, v: Option<f64>, default: f64| -> Result<f64, ThermoError> {
        match v {
            Some(x) => check_range(f(name), x, 1e-4, 1000.0, "m"),
            None => Ok(default),
        }
    };
    let (l_nat, nu_nat, ra, corr_nat) = match s.orientation {
        Orientation::Vertical => {
            let l = length("height_m", s.height_m, area.sqrt())?;
            let ra = ra_of(l);
            let nu = (0.825
                + 0.387 * ra.powf(1.0 / 6.0)
                    / (1.0 + (0.492 / pr).powf(9.0 / 16.0)).powf(8.0 / 27.0))
            .powi(2);
            (
                l,
                nu,
                ra,
                "Churchill-Chu vertical plate (Incropera Eq. 9.26)",
            )
        }
        Orientation::HorizontalUp | Orientation::HorizontalDown => {
            let l = length("length_m", s.length_m, area.sqrt() / 4.0)?;
            let ra = ra_of(l);
            // A hot face up behaves as the upper surface of a hot plate when
            // hotter than the air, as the lower surface of a cold plate when colder.
            let up = (s.orientation == Orientation::HorizontalUp) == (dt >= 0.0);
            if up {
                if ra <= 1e7 {
                    (
                        l,
                        0.54 * ra.powf(0.25),
                        ra,
                        "McAdams/Lloyd-Moran hot face up, laminar (Incropera Eq. 9.30)",
                    )
                } else {
                    (
                        l,
                        0.15 * ra.powf(1.0 / 3.0),
                        ra,
                        "McAdams/Lloyd-Moran hot face up, turbulent (Incropera Eq. 9.31)",
                    )
                }
            } else {
                (
                    l,
                    0.27 * ra.powf(0.25),
                    ra,
                    "McAdams hot face down (Incropera Eq. 9.32)",
                )
            }
        }
        Orientation::Cylinder => {
            let d = match s.diameter_m {
                Some(d) => check_range(f("diameter_m"), d, 1e-4, 100.0, "m")?,
                None => {
                    return Err(invalid(
                        f("diameter_m"),
                        "is required for orientation \"cylinder\"",
                    ));
                }
            };
            let ra = ra_of(d);
            let nu = (0.60
                + 0.387 * ra.powf(1.0 / 6.0)
                    / (1.0 + (0.559 / pr).powf(9.0 / 16.0)).powf(8.0 / 27.0))
            .powi(2);
            (
                d,
                nu,
                ra,
                "Churchill-Chu horizontal cylinder (Incropera Eq. 9.34)",
            )
        }
    };
    let h_nat = nu_nat * k / l_nat;

    let (h_conv, nu_used, re, correlation) = if wind > 0.0 {
        let (l_f, nu_f, re, corr_f) = match s.orientation {
            Orientation::Cylinder => {
                let d = l_nat;
                let re = wind * d / nu_air;
                let nu = 0.3
                    + 0.62 * re.sqrt() * pr.powf(1.0 / 3.0)
                        / (1.0 + (0.4 / pr).powf(2.0 / 3.0)).powf(0.25)
                        * (1.0 + (re / 282_000.0).powf(5.0 / 8.0)).powf(4.0 / 5.0);
                (
                    d,
                    nu,
                    re,
                    "Churchill-Bernstein cylinder in cross flow (Incropera Eq. 7.54)",
                )
            }
            _ => {
                let l = length("length_m", s.length_m, area.sqrt())?;
                let re = wind * l / nu_air;
                let nu = if re <= 5e5 {
                    0.664 * re.sqrt() * pr.powf(1.0 / 3.0)
                } else {
                    (0.037 * re.powf(0.8) - 871.0) * pr.powf(1.0 / 3.0)
                };
                (
                    l,
                    nu,
                    re,
                    "flat plate in parallel flow (Incropera Eqs. 7.30/7.38)",
                )
            }
        };
        let h_f = nu_f * k / l_f;
        // Mixed convection, transverse/assisting: h³ = h_F³ + h_N³.
        let h = (h_f.powi(3) + h_nat.powi(3)).cbrt();
        (
            h,
            h * l_f / k,
            re,
            format!(
                "{corr_f} combined with {corr_nat} as Nu³ = Nu_F³ + Nu_N³ (Incropera Eq. 9.64)"
            ),
        )
    } else {
        (h_nat, nu_nat, 0.0, corr_nat.to_string())
    };

    let convection_w = h_conv * area * dt;
    let radiation_w = q_rad * area;
    let out = SurfaceLoss {
        radiation_w,
        convection_w,
        total_w: radiation_w + convection_w,
        radiation_coefficient_w_m2_k: h_rad,
        convection_coefficient_w_m2_k: h_conv,
        rayleigh: ra,
        reynolds: re,
        nusselt: nu_used,
        correlation,
        film_temperature_c: film - 273.15,
        ambient_temperature_c: ta_c,
    };
    if !(out.total_w.is_finite() && out.convection_coefficient_w_m2_k.is_finite()) {
        return Err(invalid(field, "produced a non-finite heat loss"));
    }
    Ok(out)
}

/// An opening in a furnace wall (door, peep hole, slot).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningSpec {
    pub area_m2: f64,
    /// Temperature inside the furnace, °C.
    pub furnace_temperature_c: f64,
    /// View factor from the opening to the outside (default: from the
    /// opening shape and wall thickness, else 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_factor: Option<f64>,
    /// Wall thickness, m (with `diameter_m`, or `width_m` and `height_m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_thickness_m: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diameter_m: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width_m: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_m: Option<f64>,
    /// Effective emissivity of the furnace cavity (default 1, black body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emissivity: Option<f64>,
    /// Fraction of time open, 0..=1 (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_fraction: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_temperature_c: Option<f64>,
}

/// Radiation through an opening.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OpeningLoss {
    pub radiation_w: f64,
    pub view_factor: f64,
}

/// View factor between coaxial parallel disks of equal radius r at distance
/// L (Incropera Table 13.2): F = ½[S − √(S² − 4)], S = 2 + L²/r².
pub fn view_factor_coaxial_disks(diameter_m: f64, distance_m: f64) -> f64 {
    if distance_m <= 0.0 {
        return 1.0;
    }
    let r = 0.5 * diameter_m / distance_m;
    let s = 1.0 + (1.0 + r * r) / (r * r);
    0.5 * (s - (s * s - 4.0).sqrt())
}

/// View factor between aligned parallel rectangles X × Y at distance L
/// (Incropera Table 13.2, Hottel's formula).
pub fn view_factor_parallel_rectangles(width_m: f64, height_m: f64, distance_m: f64) -> f64 {
    if distance_m <= 0.0 {
        return 1.0;
    }
    let x = width_m / distance_m;
    let y = height_m / distance_m;
    let (x2, y2) = (x * x, y * y);
    let pi = std::f64::consts::PI;
    2.0 / (pi * x * y)
        * (((1.0 + x2) * (1.0 + y2) / (1.0 + x2 + y2)).sqrt().ln()
            + x * (1.0 + y2).sqrt() * (x / (1.0 + y2).sqrt()).atan()
            + y * (1.0 + x2).sqrt() * (y / (1.0 + x2).sqrt()).atan()
            - x * x.atan()
            - y * y.atan())
}

/// Radiation loss through a furnace opening:
/// Q = σ ε F A (T_f⁴ − T_a⁴) × open fraction (DOE *Process Heating
/// Assessment and Survey Tool* opening-loss method; view factor through
/// the wall thickness from Incropera Table 13.2).
pub fn opening_loss(
    o: &OpeningSpec,
    default_ambient_c: f64,
    field: &str,
) -> Result<OpeningLoss, ThermoError> {
    let f = |name: &'static str| crate::fuels::FieldPath(field, name);
    let area = check_range(f("area_m2"), o.area_m2, 0.0, 1e4, "m²")?;
    let tf_c = check_range(
        f("furnace_temperature_c"),
        o.furnace_temperature_c,
        -50.0,
        2500.0,
        "°C",
    )?;
    let eps = match o.emissivity {
        Some(e) => check_range(f("emissivity"), e, 0.0, 1.0, "")?,
        None => 1.0,
    };
    let frac = match o.open_fraction {
        Some(x) => check_range(f("open_fraction"), x, 0.0, 1.0, "")?,
        None => 1.0,
    };
    let ta_c = match o.ambient_temperature_c {
        Some(t) => check_range(f("ambient_temperature_c"), t, -50.0, 60.0, "°C")?,
        None => default_ambient_c,
    };
    let view_factor = match (o.view_factor, o.wall_thickness_m) {
        (Some(v), _) => check_range(f("view_factor"), v, 0.0, 1.0, "")?,
        (None, Some(t)) => {
            let t = check_range(f("wall_thickness_m"), t, 0.0, 10.0, "m")?;
            match (o.diameter_m, o.width_m, o.height_m) {
                (Some(d), _, _) => {
                    view_factor_coaxial_disks(check_range(f("diameter_m"), d, 1e-4, 100.0, "m")?, t)
                }
                (None, Some(w), Some(h)) => view_factor_parallel_rectangles(
                    check_range(f("width_m"), w, 1e-4, 100.0, "m")?,
                    check_range(f("height_m"), h, 1e-4, 100.0, "m")?,
                    t,
                ),
                _ => {
                    return Err(invalid(
                        field,
                        "wall_thickness_m needs diameter_m, or width_m and height_m",
                    ));
                }
            }
        }
        (None, None) => 1.0,
    };
    let q = radiation_flux_w_m2(eps, tf_c + 273.15, ta_c + 273.15) * view_factor * area * frac;
    Ok(OpeningLoss {
        radiation_w: q,
        view_factor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn air_table_interpolates_and_refuses_outside() {
        let a = air_properties(325.0).unwrap();
        assert!((a.conductivity_w_m_k - 0.02815).abs() < 1e-9);
        assert!(air_properties(1200.0).is_err());
    }

    #[test]
    fn view_factors_tend_to_one_for_thin_walls() {
        assert!(view_factor_coaxial_disks(0.5, 1e-6) > 0.999);
        assert!(view_factor_parallel_rectangles(1.0, 1.0, 1e-4) > 0.999);
        // Incropera Fig. 13.5: aligned squares with X/L = Y/L = 1 -> F ≈ 0.2.
        let f = view_factor_parallel_rectangles(1.0, 1.0, 1.0);
        assert!((f - 0.1998).abs() < 1e-3, "{f}");
    }
}
