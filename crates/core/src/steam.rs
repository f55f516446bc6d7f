//! Steam-table look-ups (`GET /steam`, `thermaliq steam`): any two of
//! pressure, temperature, enthalpy, entropy and quality, or one of pressure
//! and temperature with `saturated`, resolved by IAPWS-IF97 (`thermo::if97`).

use serde::Serialize;
use thermo::ThermoError;
use thermo::if97::{self, SteamProperties};

use crate::error::{CoreError, FieldProblem};

/// 0 °C in kelvin (ITS-90 definition of the Celsius scale).
const CELSIUS_OFFSET_K: f64 = 273.15;

/// A look-up as asked, every quantity already in IF97 units (MPa, K).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SteamQuery {
    pub pressure_mpa: Option<f64>,
    pub temperature_k: Option<f64>,
    pub enthalpy_kj_kg: Option<f64>,
    pub entropy_kj_kg_k: Option<f64>,
    pub quality: Option<f64>,
    pub saturated: Option<Saturated>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saturated {
    Liquid,
    Vapour,
}

/// The answer, in the API's field names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SteamState {
    pub region: u8,
    pub phase: thermo::if97::Phase,
    pub pressure_mpa: f64,
    pub temperature_k: f64,
    pub temperature_c: f64,
    pub enthalpy_kj_kg: f64,
    pub entropy_kj_kg_k: f64,
    pub specific_volume_m3_kg: f64,
    pub density_kg_m3: f64,
    pub internal_energy_kj_kg: f64,
    pub cp_kj_kg_k: Option<f64>,
    pub cv_kj_kg_k: Option<f64>,
    pub speed_of_sound_m_s: Option<f64>,
    pub quality: Option<f64>,
}

impl From<SteamProperties> for SteamState {
    fn from(p: SteamProperties) -> Self {
        Self {
            region: p.region.number(),
            phase: p.phase,
            pressure_mpa: p.pressure_mpa,
            temperature_k: p.temperature_k,
            temperature_c: p.temperature_k - CELSIUS_OFFSET_K,
            enthalpy_kj_kg: p.enthalpy_kj_kg,
            entropy_kj_kg_k: p.entropy_kj_kg_k,
            specific_volume_m3_kg: p.specific_volume_m3_kg,
            density_kg_m3: p.density_kg_m3,
            internal_energy_kj_kg: p.internal_energy_kj_kg,
            cp_kj_kg_k: p.cp_kj_kg_k,
            cv_kj_kg_k: p.cv_kj_kg_k,
            speed_of_sound_m_s: p.speed_of_sound_m_s,
            quality: p.quality,
        }
    }
}

/// Builds a query from named parameters as the API and CLI take them
/// (`pressure_mpa|pressure_bar|pressure_kpa`, `temperature_k|temperature_c`,
/// `enthalpy_kj_kg`, `entropy_kj_kg_k`, `quality`, `saturated=liquid|vapor`).
/// Unknown names, unreadable numbers and a quantity given twice are reported together.
pub fn query_from_params<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<SteamQuery, CoreError> {
    let mut q = SteamQuery::default();
    let mut problems = Vec::new();
    for (name, text) in params {
        let number = || -> Result<f64, FieldProblem> {
            text.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| FieldProblem::new(name, "must be a finite number"))
        };
        let mut set = |slot: &mut Option<f64>, value: Result<f64, FieldProblem>, quantity: &str| {
            match value {
                Ok(_) if slot.is_some() => problems.push(FieldProblem::new(
                    name,
                    format!("{quantity} is given twice"),
                )),
                Ok(v) => *slot = Some(v),
                Err(p) => problems.push(p),
            }
        };
        match name {
            "pressure_mpa" => set(&mut q.pressure_mpa, number(), "pressure"),
            "pressure_bar" => set(&mut q.pressure_mpa, number().map(|v| v * 0.1), "pressure"),
            "pressure_kpa" => set(&mut q.pressure_mpa, number().map(|v| v * 1e-3), "pressure"),
            "temperature_k" => set(&mut q.temperature_k, number(), "temperature"),
            "temperature_c" => set(&mut q.temperature_k, number().map(|v| v + CELSIUS_OFFSET_K), "temperature"),
            "enthalpy_kj_kg" => set(&mut q.enthalpy_kj_kg, number(), "enthalpy"),
            "entropy_kj_kg_k" => set(&mut q.entropy_kj_kg_k, number(), "entropy"),
            "quality" => set(&mut q.quality, number(), "quality"),
            "saturated" => match text {
                "liquid" => q.saturated = Some(Saturated::Liquid),
                "vapor" | "vapour" => q.saturated = Some(Saturated::Vapour),
                _ => problems.push(FieldProblem::new(name, "must be liquid or vapor")),
            },
            other => problems.push(FieldProblem::new(
                other,
                "is not a steam parameter; use pressure_mpa|pressure_bar|pressure_kpa, temperature_k|temperature_c, \
                 enthalpy_kj_kg, entropy_kj_kg_k, quality, saturated",
            )),
        }
    }
    if problems.is_empty() {
        Ok(q)
    } else {
        Err(CoreError::Validation(problems))
    }
}

/// Resolves the state. Supported pairs: (p,T), (p,h), (p,s), (p,x), (T,x);
/// or p or T alone with `saturated`.
pub fn resolve(q: &SteamQuery) -> Result<SteamState, CoreError> {
    let given = [
        q.pressure_mpa.is_some(),
        q.temperature_k.is_some(),
        q.enthalpy_kj_kg.is_some(),
        q.entropy_kj_kg_k.is_some(),
        q.quality.is_some(),
    ]
    .iter()
    .filter(|g| **g)
    .count();
    let state = match (q.saturated, q.pressure_mpa, q.temperature_k) {
        (Some(side), p, t) if given == 1 && (p.is_some() || t.is_some()) => match (side, p, t) {
            (Saturated::Liquid, Some(p), _) => if97::saturated_liquid_at_pressure(p),
            (Saturated::Vapour, Some(p), _) => if97::saturated_vapour_at_pressure(p),
            (Saturated::Liquid, None, Some(t)) => if97::saturated_liquid_at_temperature(t),
            (Saturated::Vapour, None, Some(t)) => if97::saturated_vapour_at_temperature(t),
            _ => unreachable!("one of p and T is present"),
        },
        (Some(_), _, _) => {
            return Err(invalid(
                "saturated",
                "goes with exactly one of pressure or temperature, and nothing else",
            ));
        }
        (None, _, _) if given != 2 => {
            return Err(invalid(
                "query",
                "give exactly two of pressure, temperature, enthalpy, entropy, quality (or one of pressure \
                 and temperature with saturated=liquid|vapor)",
            ));
        }
        (None, Some(p), Some(t)) => if97::props_pt(p, t),
        (None, Some(p), None) => match (q.enthalpy_kj_kg, q.entropy_kj_kg_k, q.quality) {
            (Some(h), _, _) => if97::props_ph(p, h),
            (_, Some(s), _) => if97::props_ps(p, s),
            (_, _, Some(x)) => if97::wet_steam_at_pressure(p, x),
            _ => unreachable!("two quantities are given"),
        },
        (None, None, Some(t)) if q.quality.is_some() => {
            if97::wet_steam_at_temperature(t, q.quality.unwrap_or_default())
        }
        (None, _, _) => {
            return Err(invalid(
                "query",
                "this pair is not supported; use (p,T), (p,h), (p,s), (p,x) or (T,x)",
            ));
        }
    };
    state
        .map(SteamState::from)
        .map_err(|e| thermo_problem("", e))
}

fn invalid(field: &str, problem: &str) -> CoreError {
    CoreError::Validation(vec![FieldProblem::new(field, problem)])
}

/// Turns a physics refusal into a field error under `prefix` (e.g. `process`).
pub fn thermo_problem(prefix: &str, err: ThermoError) -> CoreError {
    let join = |field: &str| match (prefix.is_empty(), field.is_empty()) {
        (true, _) => field.to_owned(),
        (false, false) if field == prefix || field.starts_with(&format!("{prefix}.")) => {
            field.to_owned()
        }
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}.{field}"),
    };
    let problem = match &err {
        ThermoError::Invalid { field, problem } => FieldProblem::new(join(field), problem.clone()),
        ThermoError::OutOfRange { quantity, .. } | ThermoError::NotFinite { quantity, .. } => {
            FieldProblem::new(join(quantity), err.to_string())
        }
        _ => FieldProblem::new(
            if prefix.is_empty() {
                "query".to_owned()
            } else {
                prefix.to_owned()
            },
            err.to_string(),
        ),
    };
    CoreError::Validation(vec![problem])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look_up(params: &[(&str, &str)]) -> Result<SteamState, CoreError> {
        resolve(&query_from_params(params.iter().copied())?)
    }

    fn fields(err: CoreError) -> Vec<String> {
        match err {
            CoreError::Validation(p) => p.into_iter().map(|p| p.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    /// IAPWS R7-97(2012) Table 5: p = 3 MPa, T = 300 K -> h = 115.331273 kJ/kg.
    #[test]
    fn pressure_and_temperature_in_any_unit() {
        let s = look_up(&[("pressure_mpa", "3"), ("temperature_k", "300")]).unwrap();
        assert_eq!(s.region, 1);
        assert!((s.enthalpy_kj_kg - 115.331_273).abs() < 1e-6);
        let bar = look_up(&[("pressure_bar", "30"), ("temperature_c", "26.85")]).unwrap();
        assert!(
            (bar.enthalpy_kj_kg - 115.331_273).abs() < 1e-5,
            "{}",
            bar.enthalpy_kj_kg
        );
    }

    /// IAPWS R7-97(2012) Table 35: psat(300 K) = 0.353658941e-2 MPa.
    #[test]
    fn saturation_and_quality() {
        let s = look_up(&[("temperature_k", "300"), ("saturated", "liquid")]).unwrap();
        assert!((s.pressure_mpa - 0.353_658_941e-2).abs() < 1e-11);
        let wet = look_up(&[("pressure_mpa", "1"), ("quality", "0.5")]).unwrap();
        assert_eq!(wet.quality, Some(0.5));
        assert_eq!(wet.cp_kj_kg_k, None);
    }

    #[test]
    fn bad_queries_name_the_parameter() {
        assert_eq!(
            fields(look_up(&[("pressure_mpa", "3")]).unwrap_err()),
            ["query"]
        );
        assert_eq!(
            fields(look_up(&[("pressure_mpa", "x"), ("temperature_k", "300")]).unwrap_err()),
            ["pressure_mpa"]
        );
        assert_eq!(
            fields(look_up(&[("pressure_mpa", "3"), ("pressure_bar", "30")]).unwrap_err()),
            ["pressure_bar"]
        );
        assert_eq!(
            fields(look_up(&[("colour", "blue")]).unwrap_err()),
            ["colour"]
        );
        assert_eq!(
            fields(look_up(&[("temperature_k", "300"), ("enthalpy_kj_kg", "100")]).unwrap_err()),
            ["query"]
        );
        // Outside IF97: T above 2273.15 K.
        let err = look_up(&[("pressure_mpa", "1"), ("temperature_k", "3000")]).unwrap_err();
        assert!(!fields(err).is_empty());
    }
}
