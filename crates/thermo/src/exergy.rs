//! Second law: flow exergy of water and steam against a configurable dead
//! state (IAPWS-IF97), chemical exergy of fuels, exergy of heat (Carnot
//! factor), exergy destroyed and second-law efficiency.
//!
//! Sources: Kotas, *The Exergy Method of Thermal Plant Analysis* (1985),
//! §2.6 and Appendix D; Szargut, Morris & Steward, *Exergy Analysis of
//! Thermal, Chemical and Metallurgical Processes* (1988); Bejan, Tsatsaronis
//! & Moran, *Thermal Design and Optimization* (1996), Ch. 3.

use serde::{Deserialize, Serialize};

use crate::ThermoError;
use crate::combustion::R_J_MOL_K;
use crate::fuels::{
    Fuel, FuelKind, GAS_CHEMICAL_EXERGY_KJ_MOL, H_FG_25C_KJ_KG, M_H2O, M_S, check_range,
    gas_molar_masses,
};
use crate::if97::{self, SteamProperties};

/// The environment exergy is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadState {
    #[serde(default = "default_t0")]
    pub temperature_c: f64,
    #[serde(default = "default_p0")]
    pub pressure_kpa: f64,
}

fn default_t0() -> f64 {
    25.0
}
fn default_p0() -> f64 {
    101.325
}

impl Default for DeadState {
    /// 25 °C, 101.325 kPa (the standard reference environment).
    fn default() -> Self {
        Self {
            temperature_c: 25.0,
            pressure_kpa: 101.325,
        }
    }
}

impl DeadState {
    /// Dead-state temperature, K.
    pub fn temperature_k(&self) -> f64 {
        self.temperature_c + 273.15
    }

    /// Checks the dead state (0.01..=60 °C, 50..=200 kPa).
    pub fn validate(&self) -> Result<(), ThermoError> {
        check_range(
            "dead_state.temperature_c",
            self.temperature_c,
            0.01,
            60.0,
            "°C",
        )?;
        check_range(
            "dead_state.pressure_kpa",
            self.pressure_kpa,
            50.0,
            200.0,
            "kPa",
        )?;
        Ok(())
    }

    /// Liquid water at the dead state (IF97).
    pub fn water(&self) -> Result<SteamProperties, ThermoError> {
        self.validate()?;
        if97::props_pt(self.pressure_kpa / 1000.0, self.temperature_k())
    }
}

/// Specific flow exergy of water/steam, kJ/kg: e = h − h0 − T0 (s − s0)
/// (Kotas 1985, Eq. 2.23), kinetic and potential terms neglected.
pub fn specific_flow_exergy_kj_kg(state: &SteamProperties, dead_water: &SteamProperties) -> f64 {
    state.enthalpy_kj_kg
        - dead_water.enthalpy_kj_kg
        - dead_water.temperature_k * (state.entropy_kj_kg_k - dead_water.entropy_kj_kg_k)
}

/// Exergy of heat `q_kw` crossing the boundary at `t_k`: q (1 − T0/T).
pub fn heat_exergy_kw(q_kw: f64, t_k: f64, dead: &DeadState) -> f64 {
    q_kw * (1.0 - dead.temperature_k() / t_k)
}

/// Exergy change of a stream of constant cp heated from `t1_k` to `t2_k`,
/// kW: m cp [(T2 − T1) − T0 ln(T2/T1)].
pub fn constant_cp_exergy_change_kw(
    mass_flow_kg_s: f64,
    cp_kj_kg_k: f64,
    t1_k: f64,
    t2_k: f64,
    dead: &DeadState,
) -> f64 {
    mass_flow_kg_s * cp_kj_kg_k * ((t2_k - t1_k) - dead.temperature_k() * (t2_k / t1_k).ln())
}

/// Chemical exergy of a fuel and the correlation used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FuelExergy {
    /// Specific chemical exergy, kJ/kg as fired.
    pub exergy_kj_kg: f64,
    /// Ratio of chemical exergy to LHV.
    pub phi_lhv: f64,
    pub method: &'static str,
}

/// Standard chemical exergy of rhombic sulfur, kJ/mol (Szargut, Morris &
/// Steward 1988, Table I).
const SULFUR_CHEMICAL_EXERGY_KJ_MOL: f64 = 609.6;

/// Standard chemical exergy of liquid water, kJ/mol (Szargut et al. 1988,
/// Table I: 0.9 kJ/mol = 50 kJ/kg).
const LIQUID_WATER_CHEMICAL_EXERGY_KJ_MOL: f64 = 0.9;

/// Heating value of sulfur burnt to SO2, kJ/kg: −ΔfH(SO2) / M(S) =
/// 296.81 / 32.06 (CODATA Key Values 1989).
const SULFUR_HEATING_VALUE_KJ_KG: f64 = 296.81 / M_S * 1000.0;

/// Chemical exergy of a fuel at the standard environment (298.15 K,
/// 101.325 kPa); see [`fuel_chemical_exergy_at`] for another dead state.
pub fn fuel_chemical_exergy(fuel: &Fuel) -> FuelExergy {
    fuel_chemical_exergy_at(fuel, &DeadState::default())
}

/// Chemical exergy of a fuel against `dead`.
///
/// - Gases: Σ xᵢ ε⁰ᵢ + R T0 Σ xᵢ ln xᵢ with the standard chemical exergies
///   of Szargut et al. (1988) (Kotas 1985, Eq. 2.41 for an ideal mixture).
///   The mixing term uses the dead-state T0; the standard exergies
///   themselves are the 298.15 K values (their change with T0 over
///   0–40 °C is below 0.5 %, Szargut et al. 1988 §2.6, and is neglected).
/// - Liquid fuels: φ = 1.0401 + 0.1728 h/c + 0.0432 o/c + 0.2169 s/c (1 − 2.0628 h/c),
///   ε = φ LHV (Szargut & Styrylska, *Brennstoff-Wärme-Kraft* 16 (1964)
///   589; Kotas 1985, Appendix D, liquid fuels).
/// - Coal (o/c ≤ 0.667): φ_dry = 1.0437 + 0.1882 h/c + 0.0610 o/c + 0.0404 n/c;
///   wood/biomass (0.667 < o/c < 2.67): φ_dry = [1.0412 + 0.2160 h/c −
///   0.2499 o/c (1 + 0.7884 h/c) + 0.0450 n/c] / (1 − 0.3035 o/c) (same sources).
///   Szargut's solid-fuel formula then adds the sulfur, moisture and ash terms:
///   ε = φ_dry (LHV + h_fg w) + (ε_S − NCV_S) s + ε_w w + ε_ash a
///   (Szargut et al. 1988, §5 "solid fuels"; Kotas 1985 App. D with
///   9417 kJ/kg for ε_S − NCV_S in his older reference environment; here
///   ε_S = 609.6 kJ/mol and NCV_S = 9258 kJ/kg give 9756 kJ/kg). ε_w is
///   liquid water's 0.9 kJ/mol; ε_ash = 0, as Song et al., *Energy* 40
///   (2012) 164, show the inorganic matter's exergy is negligible.
///
/// h/c, o/c, n/c, s/c are mass ratios.
pub fn fuel_chemical_exergy_at(fuel: &Fuel, dead: &DeadState) -> FuelExergy {
    let mf = fuel.mass_fractions;
    if let (FuelKind::Gas, Some(x)) = (fuel.kind, fuel.gas_mole_fractions) {
        let xs = x.as_array();
        let molar_masses = gas_molar_masses();
        let t0 = dead.temperature_k();
        let mut ex = 0.0;
        let mut m = 0.0;
        for i in 0..xs.len() {
            if xs[i] > 0.0 {
                ex += xs[i] * (GAS_CHEMICAL_EXERGY_KJ_MOL[i] + R_J_MOL_K * 1e-3 * t0 * xs[i].ln());
                m += xs[i] * molar_masses[i];
            }
        }
        let ex_kg = ex / m * 1000.0;
        return FuelExergy {
            exergy_kj_kg: ex_kg,
            phi_lhv: ex_kg / fuel.lhv_kj_kg,
            method: "gas: standard chemical exergies (Szargut et al. 1988) + mixing term at T0",
        };
    }
    let c = mf.c.max(1e-12);
    let (h_c, o_c, n_c, s_c) = (mf.h / c, mf.o / c, mf.n / c, mf.s / c);
    match fuel.kind {
        FuelKind::Liquid | FuelKind::Gas => {
            let phi = 1.0401 + 0.1728 * h_c + 0.0432 * o_c + 0.2169 * s_c * (1.0 - 2.0628 * h_c);
            FuelExergy {
                exergy_kj_kg: phi * fuel.lhv_kj_kg,
                phi_lhv: phi,
                method: "liquid fuel: Szargut-Styrylska phi (Kotas 1985 App. D)",
            }
        }
        FuelKind::Solid | FuelKind::Biomass => {
            let (phi, method) = if o_c <= 0.667 {
                (
                    1.0437 + 0.1882 * h_c + 0.0610 * o_c + 0.0404 * n_c,
                    "solid fuel (o/c <= 0.667): Szargut-Styrylska phi_dry with sulfur, moisture and ash terms (Szargut et al. 1988; Kotas 1985 App. D)",
                )
            } else {
                (
                    (1.0412 + 0.2160 * h_c - 0.2499 * o_c * (1.0 + 0.7884 * h_c) + 0.0450 * n_c)
                        / (1.0 - 0.3035 * o_c),
                    "wood/biomass (0.667 < o/c < 2.67): Szargut-Styrylska phi_dry with sulfur, moisture and ash terms (Szargut et al. 1988; Kotas 1985 App. D)",
                )
            };
            let ex = phi * (fuel.lhv_kj_kg + H_FG_25C_KJ_KG * mf.moisture)
                + sulfur_exergy_excess_kj_kg() * mf.s
                + LIQUID_WATER_CHEMICAL_EXERGY_KJ_MOL / M_H2O * 1000.0 * mf.moisture;
            FuelExergy {
                exergy_kj_kg: ex,
                phi_lhv: ex / fuel.lhv_kj_kg,
                method,
            }
        }
    }
}

/// ε_S − NCV_S of sulfur, kJ/kg (Szargut's sulfur term).
pub fn sulfur_exergy_excess_kj_kg() -> f64 {
    SULFUR_CHEMICAL_EXERGY_KJ_MOL / M_S * 1000.0 - SULFUR_HEATING_VALUE_KJ_KG
}

/// Exergy of one stream in a second-law result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamExergy {
    pub name: String,
    /// Exergy rate, kW (flow exergy, chemical exergy, or heat exergy).
    pub exergy_kw: f64,
    /// Specific exergy, kJ/kg, where the stream has a mass flow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specific_exergy_kj_kg: Option<f64>,
}

/// Second-law result of a process.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecondLaw {
    pub dead_state: DeadState,
    /// Exergy supplied (fuel chemical exergy, or the hot stream's decrease), kW.
    pub exergy_input_kw: f64,
    /// Exergy gained by the product streams, kW.
    pub exergy_product_kw: f64,
    /// Exergy destroyed inside the boundary plus lost with waste streams, kW.
    pub exergy_destroyed_and_lost_kw: f64,
    /// Of which lost with heat from hot surfaces and openings, kW.
    pub exergy_lost_with_surface_heat_kw: f64,
    /// Product exergy / exergy input × 100; `null` when it is undefined (no
    /// exergy input, or a product whose exergy is unknown, e.g. a duty alone).
    pub second_law_efficiency_pct: Option<f64>,
    pub streams: Vec<StreamExergy>,
}

impl SecondLaw {
    /// Builds the result from input and product exergy.
    pub fn new(
        dead_state: DeadState,
        exergy_input_kw: f64,
        exergy_product_kw: f64,
        exergy_lost_with_surface_heat_kw: f64,
        streams: Vec<StreamExergy>,
    ) -> Self {
        let eff = (exergy_input_kw > 0.0).then(|| exergy_product_kw / exergy_input_kw * 100.0);
        Self {
            dead_state,
            exergy_input_kw,
            exergy_product_kw,
            exergy_destroyed_and_lost_kw: exergy_input_kw - exergy_product_kw,
            exergy_lost_with_surface_heat_kw,
            second_law_efficiency_pct: eff,
            streams,
        }
    }
}
