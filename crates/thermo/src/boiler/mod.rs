//! Process analyses by both ASME PTC 4 methods: boilers, furnaces/heaters
//! and heat exchangers.
//!
//! - Input-output (direct, PTC 4-2013 §5-2.1): η = useful output / input.
//!   Boiler output = m_steam (h_steam − h_fw) + m_bd (h_bd − h_fw) (blowdown
//!   counted as output, as PTC 4 defines it), enthalpies by IAPWS-IF97.
//! - Heat-loss (indirect, PTC 4-2013 §5-2.2): η = 100 − Σ losses + Σ credits,
//!   losses = combustion losses ([`crate::combustion`]) + surface radiation
//!   and convection ([`crate::heat_transfer`]) + openings + blowdown (only
//!   when it is treated as a loss) + unaccounted (given).
//!
//! One entry point: [`analyze`]. Rates are per hour in the input (kg/h),
//! kW in the result.

use serde::{Deserialize, Serialize};

use crate::ThermoError;
use crate::combustion::{
    Basis, CombustionConditions, CombustionResult, FlueGasSpec, combustion_of,
};
use crate::exergy::{
    DeadState, SecondLaw, StreamExergy, constant_cp_exergy_change_kw, fuel_chemical_exergy_at,
    heat_exergy_kw, specific_flow_exergy_kj_kg,
};
use crate::fuels::{
    Fuel, FuelSpec, FuelState, GasComposition, UltimateAnalysis, check_range, invalid,
};
use crate::heat_transfer::{
    OpeningLoss, OpeningSpec, SurfaceLoss, SurfaceSpec, opening_loss, surface_loss,
};
use crate::if97::{self, SteamProperties};
use crate::radiation_estimate::{RadiationLossEstimate, abma_radiation_loss};

mod exchanger;
mod furnace;
mod shared;
mod steam_boiler;

use exchanger::heat_exchanger;
use furnace::furnace;
pub(crate) use shared::metered_fuel;
use steam_boiler::boiler;

// ---------------------------------------------------------------------------
// Input shapes
// ---------------------------------------------------------------------------

/// The `process` block of a calculation request, by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProcessSpec {
    Boiler(BoilerSpec),
    #[serde(alias = "heater")]
    Furnace(FurnaceSpec),
    HeatExchanger(HeatExchangerSpec),
    /// Combined heat and power ([`crate::chp`]).
    Chp(crate::chp::ChpSpec),
    /// Convective dryer ([`crate::dryer`]).
    Dryer(crate::dryer::DryerSpec),
    /// Cement or lime kiln ([`crate::kiln`]).
    Kiln(crate::kiln::KilnSpec),
}

/// A fuel stream: the fuel and its mass flow or metered heat input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FuelStreamSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_composition_vol_pct: Option<GasComposition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ultimate_analysis_wt_pct: Option<UltimateAnalysis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hhv_kj_kg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mass_flow_kg_h: Option<f64>,
    /// Metered heat input on the analysis basis, kW.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_kw: Option<f64>,
    /// With `ultimate_analysis_wt_pct`: `liquid` or `solid` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<FuelState>,
}

impl FuelStreamSpec {
    /// The fuel without its flow.
    pub fn fuel_spec(&self) -> FuelSpec {
        FuelSpec {
            name: self.name.clone(),
            gas_composition_vol_pct: self.gas_composition_vol_pct,
            ultimate_analysis_wt_pct: self.ultimate_analysis_wt_pct,
            hhv_kj_kg: self.hhv_kj_kg,
            state: self.state,
        }
    }
}

/// Which saturation state a stream is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Saturated {
    Liquid,
    #[serde(alias = "vapour")]
    Vapor,
}

/// A water or steam stream: mass flow and any two of pressure,
/// temperature, quality, enthalpy (or one of p, T with `saturated`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaterStreamSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mass_flow_kg_h: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pressure_mpa: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enthalpy_kj_kg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saturated: Option<Saturated>,
}

/// How blowdown enters the efficiency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlowdownTreatment {
    /// Blowdown energy is boiler output (ASME PTC 4).
    #[default]
    Output,
    /// Blowdown energy is a loss (fuel-to-steam efficiency).
    Loss,
}

/// A boiler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoilerSpec {
    pub fuel: FuelStreamSpec,
    pub steam: WaterStreamSpec,
    pub feedwater: WaterStreamSpec,
    /// Blowdown, % of feedwater flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blowdown_pct: Option<f64>,
    /// Drum pressure for the blowdown state, MPa (default: steam pressure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drum_pressure_mpa: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blowdown_treatment: Option<BlowdownTreatment>,
    /// Flue-gas analysis; without it (and with a metered fuel input) only
    /// the input-output efficiency is computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flue_gas: Option<FlueGasSpec>,
    /// Maximum continuous output, kW: the rating the ABMA radiation-loss
    /// estimate is read at when no surfaces are given (default: the output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rated_output_kw: Option<f64>,
    #[serde(default = "crate::combustion::default_reference_temperature_c")]
    pub combustion_air_temperature_c: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel_temperature_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_temperature_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub air_moisture: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unburned_carbon_in_ash_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
    #[serde(default)]
    pub surfaces: Vec<SurfaceSpec>,
    /// Unmeasured losses by agreement, % of input (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unaccounted_loss_pct: Option<f64>,
}

/// The heated load of a furnace or fired heater: a duty, or a stream
/// heated with a constant specific heat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duty_kw: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mass_flow_kg_h: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specific_heat_kj_kg_k: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inlet_temperature_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlet_temperature_c: Option<f64>,
}

/// A furnace or fired heater.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FurnaceSpec {
    pub fuel: FuelStreamSpec,
    pub load: LoadSpec,
    pub flue_gas: FlueGasSpec,
    #[serde(default = "crate::combustion::default_reference_temperature_c")]
    pub combustion_air_temperature_c: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel_temperature_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_temperature_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub air_moisture: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unburned_carbon_in_ash_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
    #[serde(default)]
    pub surfaces: Vec<SurfaceSpec>,
    #[serde(default)]
    pub openings: Vec<OpeningSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unaccounted_loss_pct: Option<f64>,
}

/// One side of a heat exchanger: water/steam states (`inlet`, `outlet`) or
/// a constant-cp fluid (`specific_heat_kj_kg_k` with inlet/outlet temperatures).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangerStreamSpec {
    pub mass_flow_kg_h: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specific_heat_kj_kg_k: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inlet_temperature_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlet_temperature_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inlet: Option<WaterStreamSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlet: Option<WaterStreamSpec>,
}

/// A two-stream heat exchanger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeatExchangerSpec {
    pub hot: ExchangerStreamSpec,
    pub cold: ExchangerStreamSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_temperature_c: Option<f64>,
    #[serde(default)]
    pub surfaces: Vec<SurfaceSpec>,
}

// ---------------------------------------------------------------------------
// Result shapes
// ---------------------------------------------------------------------------

/// A loss in kW and in % of the input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LossItem {
    pub kw: f64,
    pub pct: f64,
}

/// Losses by category. The top-level categories (`dry_flue_gas`,
/// `moisture`, `unburned`, `radiation`, `convection`, `blowdown`,
/// `unaccounted`) add up to `total`; the others break them down.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LossBreakdown {
    pub dry_flue_gas: LossItem,
    pub moisture: LossItem,
    pub moisture_from_hydrogen: LossItem,
    pub moisture_from_fuel: LossItem,
    pub moisture_from_air: LossItem,
    pub unburned: LossItem,
    pub unburned_co: LossItem,
    pub unburned_carbon: LossItem,
    /// Surface radiation plus radiation through openings.
    pub radiation: LossItem,
    pub radiation_from_openings: LossItem,
    pub convection: LossItem,
    pub blowdown: LossItem,
    pub unaccounted: LossItem,
    pub total: LossItem,
}

/// Blowdown stream and energy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BlowdownResult {
    pub mass_flow_kg_h: f64,
    pub pressure_mpa: f64,
    pub enthalpy_kj_kg: f64,
    /// m_bd (h_bd − h_fw), kW.
    pub energy_kw: f64,
    pub pct_of_input: f64,
    pub counted_as: BlowdownTreatment,
}

/// A water/steam stream in the result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamState {
    pub name: String,
    pub mass_flow_kg_h: f64,
    pub pressure_mpa: f64,
    pub temperature_c: f64,
    pub enthalpy_kj_kg: f64,
    pub entropy_kj_kg_k: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<f64>,
}

/// Result of one method.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MethodResult {
    pub efficiency_pct: f64,
    /// `input_output` or `heat_loss`.
    pub method: &'static str,
}

/// Result of [`analyze`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessResult {
    pub process_type: &'static str,
    pub basis: Basis,
    pub reference_temperature_c: f64,
    /// Energy input (fuel on the basis, or hot-side duty), kW.
    pub input_kw: f64,
    /// Whether `input_kw` was measured (fuel flow or meter) or implied by the heat-loss efficiency.
    pub input_measured: bool,
    pub useful_output_kw: f64,
    pub input_output: Option<MethodResult>,
    pub heat_loss: Option<MethodResult>,
    /// Input-output minus heat-loss efficiency, percentage points.
    pub efficiency_difference_pct: Option<f64>,
    pub losses: LossBreakdown,
    pub credits: LossItem,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blowdown: Option<BlowdownResult>,
    /// Heat-exchanger effectiveness ε = Q_cold / Q_max.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effectiveness: Option<f64>,
    pub streams: Vec<StreamState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub combustion: Option<CombustionResult>,
    pub surfaces: Vec<SurfaceLoss>,
    pub openings: Vec<OpeningLoss>,
    pub second_law: SecondLaw,
    /// A boiler without measured surfaces: the radiation loss estimated by
    /// the ABMA chart (flagged `estimated`), included in `losses.radiation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub radiation_loss_estimate: Option<RadiationLossEstimate>,
    /// Formula ids (sections of docs/FORMULAS.md) used.
    pub formulas: Vec<&'static str>,
    pub warnings: Vec<String>,
}

// ---------------------------------------------------------------------------
// Water states
// ---------------------------------------------------------------------------

/// Resolves a water/steam state from any two of p, T, x, h (or one with
/// `saturated`). `field` is the JSON path for errors.
pub fn water_state(spec: &WaterStreamSpec, field: &str) -> Result<SteamProperties, ThermoError> {
    let f = |n: &'static str| crate::fuels::FieldPath(field, n);
    let p = spec
        .pressure_mpa
        .map(|v| check_range(f("pressure_mpa"), v, 611.212e-6, 100.0, "MPa"))
        .transpose()?;
    let t = spec
        .temperature_c
        .map(|v| check_range(f("temperature_c"), v, 0.0, 2000.0, "°C"))
        .transpose()?;
    let x = spec
        .quality
        .map(|v| check_range(f("quality"), v, 0.0, 1.0, ""))
        .transpose()?;
    let h = spec
        .enthalpy_kj_kg
        .map(|v| check_range(f("enthalpy_kj_kg"), v, -10.0, 8000.0, "kJ/kg"))
        .transpose()?;
    let tag = |e: ThermoError| match e {
        ThermoError::OutOfRange {
            quantity,
            value,
            limit,
        } => invalid(
            format!(
                "{field}.{}",
                quantity.replace("temperature_k", "temperature_c")
            ),
            &format!("= {value} is outside the IAPWS-IF97 range: it must be {limit}"),
        ),
        other => other,
    };
    let given = [p.is_some(), t.is_some(), x.is_some(), h.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    let state = match (spec.saturated, p, t, x, h) {
        (Some(sat), Some(p), None, None, None) => match sat {
            Saturated::Liquid => if97::saturated_liquid_at_pressure(p),
            Saturated::Vapor => if97::saturated_vapour_at_pressure(p),
        },
        (Some(sat), None, Some(t), None, None) => match sat {
            Saturated::Liquid => if97::saturated_liquid_at_temperature(t + 273.15),
            Saturated::Vapor => if97::saturated_vapour_at_temperature(t + 273.15),
        },
        (Some(_), ..) => {
            return Err(invalid(
                field,
                "with \"saturated\" give exactly one of pressure_mpa or temperature_c",
            ));
        }
        (None, Some(p), None, Some(x), None) => if97::wet_steam_at_pressure(p, x),
        (None, None, Some(t), Some(x), None) => if97::wet_steam_at_temperature(t + 273.15, x),
        (None, Some(p), Some(t), None, None) => if97::props_pt(p, t + 273.15),
        (None, Some(p), None, None, Some(h)) => if97::props_ph(p, h),
        _ => {
            return Err(invalid(
                field,
                &format!(
                    "give exactly two of pressure_mpa, temperature_c, quality, enthalpy_kj_kg (pressure with temperature, quality or enthalpy; temperature with quality), or one of pressure_mpa/temperature_c with saturated; got {given}"
                ),
            ));
        }
    };
    state.map_err(tag)
}

fn stream_state(name: &str, m_kg_h: f64, s: &SteamProperties) -> StreamState {
    StreamState {
        name: name.to_string(),
        mass_flow_kg_h: m_kg_h,
        pressure_mpa: s.pressure_mpa,
        temperature_c: s.temperature_k - 273.15,
        enthalpy_kj_kg: s.enthalpy_kj_kg,
        entropy_kj_kg_k: s.entropy_kj_kg_k,
        quality: s.quality,
    }
}

// ---------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------

/// Analyses a process by both methods and the second law.
pub fn analyze(spec: &ProcessSpec, dead: &DeadState) -> Result<ProcessResult, ThermoError> {
    dead.validate()?;
    let out = match spec {
        ProcessSpec::Boiler(b) => boiler(b, dead),
        ProcessSpec::Furnace(f) => furnace(f, dead),
        ProcessSpec::HeatExchanger(h) => heat_exchanger(h, dead),
        ProcessSpec::Chp(_) | ProcessSpec::Dryer(_) | ProcessSpec::Kiln(_) => {
            return Err(invalid(
                "process.type",
                "chp, dryer and kiln have their own results: use thermo::process::analyze_process",
            ));
        }
    }?;
    if !(out.input_kw.is_finite()
        && out.useful_output_kw.is_finite()
        && out.losses.total.kw.is_finite())
    {
        return Err(invalid(
            "process",
            "the analysis produced a non-finite number",
        ));
    }
    Ok(out)
}

fn conditions(
    air_c: f64,
    fuel_c: Option<f64>,
    ambient_c: Option<f64>,
    air_moisture: Option<f64>,
    ubc: Option<f64>,
    basis: Option<Basis>,
) -> CombustionConditions {
    CombustionConditions {
        combustion_air_temperature_c: air_c,
        fuel_temperature_c: fuel_c,
        ambient_temperature_c: ambient_c,
        air_moisture,
        unburned_carbon_in_ash_pct: ubc,
        basis,
    }
}

fn ambient(v: Option<f64>) -> Result<f64, ThermoError> {
    match v {
        Some(t) => check_range("process.ambient_temperature_c", t, -50.0, 60.0, "°C"),
        None => Ok(25.0),
    }
}

fn unaccounted(v: Option<f64>) -> Result<f64, ThermoError> {
    match v {
        Some(u) => check_range("process.unaccounted_loss_pct", u, 0.0, 50.0, "%"),
        None => Ok(0.0),
    }
}
