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
    let f = |n: &str| format!("{field}.{n}");
    let p = spec
        .pressure_mpa
        .map(|v| check_range(&f("pressure_mpa"), v, 611.212e-6, 100.0, "MPa"))
        .transpose()?;
    let t = spec
        .temperature_c
        .map(|v| check_range(&f("temperature_c"), v, 0.0, 2000.0, "°C"))
        .transpose()?;
    let x = spec
        .quality
        .map(|v| check_range(&f("quality"), v, 0.0, 1.0, ""))
        .transpose()?;
    let h = spec
        .enthalpy_kj_kg
        .map(|v| check_range(&f("enthalpy_kj_kg"), v, -10.0, 8000.0, "kJ/kg"))
        .transpose()?;
    let tag = |e: ThermoError| match e {
        ThermoError::OutOfRange {
            quantity,
            value,
            limit,
        } => invalid(
            &format!(
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
// Shared: fuel input and heat-loss assembly
// ---------------------------------------------------------------------------

struct Fired {
    fuel: Fuel,
    combustion: CombustionResult,
    /// Measured fuel input on the basis, kW.
    input_kw: Option<f64>,
    /// Fuel mass flow, kg/s (given or from a meter and the heating value).
    fuel_kg_s: Option<f64>,
}

#[allow(clippy::too_many_arguments)]
fn fire(
    fuel: &FuelStreamSpec,
    flue: &FlueGasSpec,
    cond: CombustionConditions,
) -> Result<Fired, ThermoError> {
    let resolved = fuel.fuel_spec().resolve("process.fuel")?;
    let combustion = combustion_of(&resolved, flue, &cond).map_err(|e| prefix(e, "process"))?;
    let hv = combustion.heating_value_kj_kg;
    let (input_kw, fuel_kg_s) = match (fuel.mass_flow_kg_h, fuel.energy_kw) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "process.fuel",
                "give mass_flow_kg_h or energy_kw, not both",
            ));
        }
        (Some(m), None) => {
            let m = check_range("process.fuel.mass_flow_kg_h", m, 0.0, 1e8, "kg/h")? / 3600.0;
            (Some(m * hv), Some(m))
        }
        (None, Some(q)) => {
            let q = check_range("process.fuel.energy_kw", q, 0.0, 1e8, "kW")?;
            (Some(q), Some(q / hv))
        }
        (None, None) => (None, None),
    };
    Ok(Fired {
        fuel: resolved,
        combustion,
        input_kw,
        fuel_kg_s,
    })
}

/// Prefixes the field of an `Invalid` error with `process.`.
fn prefix(e: ThermoError, p: &str) -> ThermoError {
    match e {
        ThermoError::Invalid { field, problem } => ThermoError::Invalid {
            field: format!("{p}.{field}"),
            problem,
        },
        other => other,
    }
}

struct Surfaces {
    radiation_kw: f64,
    convection_kw: f64,
    openings_kw: f64,
    exergy_kw: f64,
    surfaces: Vec<SurfaceLoss>,
    openings: Vec<OpeningLoss>,
}

fn surfaces_and_openings(
    surfaces: &[SurfaceSpec],
    openings: &[OpeningSpec],
    ambient_c: f64,
    dead: &DeadState,
) -> Result<Surfaces, ThermoError> {
    let mut out = Surfaces {
        radiation_kw: 0.0,
        convection_kw: 0.0,
        openings_kw: 0.0,
        exergy_kw: 0.0,
        surfaces: Vec::with_capacity(surfaces.len()),
        openings: Vec::with_capacity(openings.len()),
    };
    for (i, s) in surfaces.iter().enumerate() {
        let l = surface_loss(s, ambient_c, &format!("process.surfaces[{i}]"))?;
        out.radiation_kw += l.radiation_w / 1000.0;
        out.convection_kw += l.convection_w / 1000.0;
        out.exergy_kw += heat_exergy_kw(l.total_w / 1000.0, s.temperature_c + 273.15, dead);
        out.surfaces.push(l);
    }
    for (i, o) in openings.iter().enumerate() {
        let l = opening_loss(o, ambient_c, &format!("process.openings[{i}]"))?;
        out.openings_kw += l.radiation_w / 1000.0;
        out.exergy_kw += heat_exergy_kw(
            l.radiation_w / 1000.0,
            o.furnace_temperature_c + 273.15,
            dead,
        );
        out.openings.push(l);
    }
    Ok(out)
}

fn item(kw: f64, input_kw: f64) -> LossItem {
    LossItem {
        kw,
        pct: if input_kw > 0.0 {
            kw / input_kw * 100.0
        } else {
            0.0
        },
    }
}

/// Heat-loss assembly shared by boilers and furnaces. `blowdown_loss_kw` is a
/// loss in kW that is not a combustion or surface loss (blowdown as loss);
/// `estimated_radiation_pct` an estimated casing loss in % of input.
struct HeatLoss {
    input_kw: f64,
    input_measured: bool,
    losses: LossBreakdown,
    credits: LossItem,
    efficiency_pct: f64,
}

fn heat_loss(
    fired: &Fired,
    surf: &Surfaces,
    useful_output_kw: f64,
    blowdown_loss_kw: f64,
    unaccounted_pct: f64,
    estimated_radiation_pct: f64,
) -> Result<HeatLoss, ThermoError> {
    let c = &fired.combustion;
    let comb_net_pct =
        c.losses_pct.total - c.credits_pct.total + unaccounted_pct + estimated_radiation_pct;
    let absolute_kw = surf.radiation_kw + surf.convection_kw + surf.openings_kw + blowdown_loss_kw;
    let (input_kw, measured) = match fired.input_kw {
        Some(q) => (q, true),
        None => {
            let denom = 1.0 - comb_net_pct / 100.0;
            if denom <= 0.0 {
                return Err(invalid(
                    "process.flue_gas",
                    "combustion losses reach 100 % of the fuel input",
                ));
            }
            ((useful_output_kw + absolute_kw) / denom, false)
        }
    };
    if input_kw <= 0.0 {
        return Err(invalid("process.fuel", "the fuel input is zero"));
    }
    let by_pct = |pct: f64| LossItem {
        kw: pct / 100.0 * input_kw,
        pct,
    };
    let l = &c.losses_pct;
    let mut b = LossBreakdown {
        dry_flue_gas: by_pct(l.dry_flue_gas),
        moisture: by_pct(l.moisture()),
        moisture_from_hydrogen: by_pct(l.water_from_hydrogen),
        moisture_from_fuel: by_pct(l.fuel_moisture),
        moisture_from_air: by_pct(l.air_moisture),
        unburned: by_pct(l.unburned()),
        unburned_co: by_pct(l.unburned_co),
        unburned_carbon: by_pct(l.unburned_carbon),
        radiation: {
            let measured = item(surf.radiation_kw + surf.openings_kw, input_kw);
            LossItem {
                kw: measured.kw + estimated_radiation_pct / 100.0 * input_kw,
                pct: measured.pct + estimated_radiation_pct,
            }
        },
        radiation_from_openings: item(surf.openings_kw, input_kw),
        convection: item(surf.convection_kw, input_kw),
        blowdown: item(blowdown_loss_kw, input_kw),
        unaccounted: by_pct(unaccounted_pct),
        total: LossItem::default(),
    };
    let total_pct = b.dry_flue_gas.pct
        + b.moisture.pct
        + b.unburned.pct
        + b.radiation.pct
        + b.convection.pct
        + b.blowdown.pct
        + b.unaccounted.pct;
    b.total = by_pct(total_pct);
    let credits = by_pct(c.credits_pct.total);
    Ok(HeatLoss {
        input_kw,
        input_measured: measured,
        efficiency_pct: 100.0 - total_pct + credits.pct,
        losses: b,
        credits,
    })
}

fn fuel_exergy_kw(
    fuel: &Fuel,
    fuel_kg_s: Option<f64>,
    heating_value_kj_kg: f64,
    input_kw: f64,
    dead: &DeadState,
) -> (f64, StreamExergy) {
    let ex = fuel_chemical_exergy_at(fuel, dead);
    let m_kg_s = fuel_kg_s.unwrap_or(input_kw / heating_value_kj_kg);
    let kw = m_kg_s * ex.exergy_kj_kg;
    (
        kw,
        StreamExergy {
            name: "fuel (chemical)".to_string(),
            exergy_kw: kw,
            specific_exergy_kj_kg: Some(ex.exergy_kj_kg),
        },
    )
}

/// A metered fuel input without a combustion analysis.
pub(crate) struct MeteredFuel {
    pub fuel: Fuel,
    pub basis: Basis,
    pub heating_value_kj_kg: f64,
    pub input_kw: f64,
    pub fuel_kg_s: f64,
}

/// Resolves a fuel stream whose input is metered (`energy_kw`, on `basis`)
/// or weighed (`mass_flow_kg_h` × heating value); `process.fuel` in errors.
pub(crate) fn metered_fuel(
    spec: &FuelStreamSpec,
    basis: Basis,
) -> Result<MeteredFuel, ThermoError> {
    let fuel = spec.fuel_spec().resolve("process.fuel")?;
    let hv = match basis {
        Basis::Hhv => fuel.hhv_kj_kg,
        Basis::Lhv => fuel.lhv_kj_kg,
    };
    let (input_kw, kg_s) = match (spec.mass_flow_kg_h, spec.energy_kw) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "process.fuel",
                "give mass_flow_kg_h or energy_kw, not both",
            ));
        }
        (Some(m), None) => {
            let m = check_range("process.fuel.mass_flow_kg_h", m, 0.0, 1e8, "kg/h")? / 3600.0;
            (m * hv, m)
        }
        (None, Some(q)) => {
            let q = check_range("process.fuel.energy_kw", q, 0.0, 1e8, "kW")?;
            (q, q / hv)
        }
        (None, None) => {
            return Err(invalid(
                "process.fuel",
                "give energy_kw or mass_flow_kg_h (without a flue_gas analysis the input must be metered)",
            ));
        }
    };
    if input_kw <= 0.0 {
        return Err(invalid("process.fuel", "the fuel input is zero"));
    }
    Ok(MeteredFuel {
        fuel,
        basis,
        heating_value_kj_kg: hv,
        input_kw,
        fuel_kg_s: kg_s,
    })
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

fn boiler(b: &BoilerSpec, dead: &DeadState) -> Result<ProcessResult, ThermoError> {
    let ambient_c = ambient(b.ambient_temperature_c)?;
    let unacc = unaccounted(b.unaccounted_loss_pct)?;
    let fired = match &b.flue_gas {
        Some(flue) => Some(fire(
            &b.fuel,
            flue,
            conditions(
                b.combustion_air_temperature_c,
                b.fuel_temperature_c,
                b.ambient_temperature_c,
                b.air_moisture,
                b.unburned_carbon_in_ash_pct,
                b.basis,
            ),
        )?),
        None => None,
    };
    let mut warnings = fired
        .as_ref()
        .map(|f| f.combustion.warnings.clone())
        .unwrap_or_default();

    let m_steam_kg_h = match b.steam.mass_flow_kg_h {
        Some(m) => check_range("process.steam.mass_flow_kg_h", m, 0.0, 1e8, "kg/h")?,
        None => return Err(invalid("process.steam.mass_flow_kg_h", "is required")),
    };
    let steam = water_state(&b.steam, "process.steam")?;
    let fw = water_state(&b.feedwater, "process.feedwater")?;
    let bd_frac = match b.blowdown_pct {
        Some(p) => check_range("process.blowdown_pct", p, 0.0, 50.0, "% of feedwater")? / 100.0,
        None => 0.0,
    };
    let m_fw_kg_h = m_steam_kg_h / (1.0 - bd_frac);
    if let Some(m) = b.feedwater.mass_flow_kg_h {
        let m = check_range("process.feedwater.mass_flow_kg_h", m, 0.0, 1e8, "kg/h")?;
        if (m - m_fw_kg_h).abs() > 0.02 * m_fw_kg_h.max(1e-9) {
            warnings.push(format!(
                "feedwater.mass_flow_kg_h {m} differs by more than 2 % from steam + blowdown {m_fw_kg_h:.1}; steam + blowdown is used"
            ));
        }
    }
    let m_bd_kg_h = m_fw_kg_h * bd_frac;
    let drum_p = match b.drum_pressure_mpa {
        Some(p) => check_range("process.drum_pressure_mpa", p, 611.212e-6, 22.064, "MPa")?,
        None => {
            if bd_frac > 0.0 && steam.quality.is_none() {
                warnings.push("steam is not saturated and drum_pressure_mpa is not given; blowdown is taken at the steam pressure".to_string());
            }
            steam.pressure_mpa
        }
    };
    let bd = if97::saturated_liquid_at_pressure(drum_p.min(22.064))
        .map_err(|e| prefix(e, "process.drum_pressure_mpa"))?;
    if steam.enthalpy_kj_kg <= fw.enthalpy_kj_kg {
        return Err(invalid(
            "process.steam",
            "steam enthalpy must exceed the feedwater enthalpy",
        ));
    }
    let m_s = m_steam_kg_h / 3600.0;
    let m_bd = m_bd_kg_h / 3600.0;
    let steam_kw = m_s * (steam.enthalpy_kj_kg - fw.enthalpy_kj_kg);
    let bd_kw = m_bd * (bd.enthalpy_kj_kg - fw.enthalpy_kj_kg);
    let treatment = b.blowdown_treatment.unwrap_or_default();
    let (useful_kw, bd_loss_kw) = match treatment {
        BlowdownTreatment::Output => (steam_kw + bd_kw, 0.0),
        BlowdownTreatment::Loss => (steam_kw, bd_kw.max(0.0)),
    };

    let surf = surfaces_and_openings(&b.surfaces, &[], ambient_c, dead)?;
    let Some(fired) = fired else {
        // No flue-gas analysis: the input-output method alone, on a metered input.
        let metered = metered_fuel(&b.fuel, b.basis.unwrap_or_default())?;
        let input_kw = metered.input_kw;
        let mut losses = LossBreakdown {
            radiation: item(surf.radiation_kw, input_kw),
            convection: item(surf.convection_kw, input_kw),
            blowdown: item(bd_loss_kw, input_kw),
            ..Default::default()
        };
        let known = surf.radiation_kw + surf.convection_kw + bd_loss_kw;
        losses.unaccounted = item(input_kw - useful_kw - known, input_kw);
        losses.total = item(input_kw - useful_kw, input_kw);
        warnings.push("no flue_gas analysis: only the input-output efficiency is computed; combustion losses are not broken down".to_string());
        let parts = BoilerParts {
            input_kw,
            input_measured: true,
            io: Some(MethodResult {
                efficiency_pct: useful_kw / input_kw * 100.0,
                method: "input_output",
            }),
            hl: None,
            losses,
            credits: LossItem::default(),
            combustion: None,
            estimate: None,
            fuel: metered.fuel,
            fuel_kg_s: Some(metered.fuel_kg_s),
            heating_value_kj_kg: metered.heating_value_kj_kg,
            basis: metered.basis,
            formulas: vec![
                "boiler_input_output_ptc4",
                "fuel_heating_values",
                "iapws_if97",
                "surface_radiation_convection",
                "exergy",
            ],
        };
        return boiler_result(
            parts,
            BoilerWater {
                steam,
                fw,
                bd,
                m_steam_kg_h,
                m_fw_kg_h,
                m_bd_kg_h,
                drum_p,
                bd_kw,
                useful_kw,
                treatment,
            },
            surf,
            dead,
            warnings,
        );
    };
    // No casing surfaces measured: the ABMA chart's estimate, flagged, not a silent 0.
    let estimate = if b.surfaces.is_empty() {
        Some(abma_radiation_loss(useful_kw, b.rated_output_kw)?)
    } else {
        None
    };
    let est_pct = estimate.map_or(0.0, |e| e.pct_of_input);
    let hl = heat_loss(&fired, &surf, useful_kw, bd_loss_kw, unacc, est_pct)?;
    let input_kw = hl.input_kw;
    let io = fired.input_kw.map(|q| MethodResult {
        efficiency_pct: useful_kw / q * 100.0,
        method: "input_output",
    });
    let hlm = MethodResult {
        efficiency_pct: hl.efficiency_pct,
        method: "heat_loss",
    };
    if estimate.is_some() {
        warnings.push(format!(
            "no surfaces measured: radiation loss estimated at {est_pct:.2} % of input by the ABMA standard radiation loss chart"
        ));
    }
    let mut formulas = vec![
        "boiler_input_output_ptc4",
        "boiler_heat_loss_ptc4",
        "combustion_ptc4",
        "fuel_heating_values",
        "iapws_if97",
        "surface_radiation_convection",
        "exergy",
    ];
    if estimate.is_some() {
        formulas.push("abma_radiation_loss");
    }
    let parts = BoilerParts {
        input_kw,
        input_measured: hl.input_measured,
        io,
        hl: Some(hlm),
        losses: hl.losses,
        credits: hl.credits,
        heating_value_kj_kg: fired.combustion.heating_value_kj_kg,
        basis: fired.combustion.basis,
        fuel_kg_s: fired.fuel_kg_s,
        fuel: fired.fuel,
        combustion: Some(fired.combustion),
        estimate,
        formulas,
    };
    boiler_result(
        parts,
        BoilerWater {
            steam,
            fw,
            bd,
            m_steam_kg_h,
            m_fw_kg_h,
            m_bd_kg_h,
            drum_p,
            bd_kw,
            useful_kw,
            treatment,
        },
        surf,
        dead,
        warnings,
    )
}

/// The water side of a boiler, resolved.
struct BoilerWater {
    steam: SteamProperties,
    fw: SteamProperties,
    bd: SteamProperties,
    m_steam_kg_h: f64,
    m_fw_kg_h: f64,
    m_bd_kg_h: f64,
    drum_p: f64,
    bd_kw: f64,
    useful_kw: f64,
    treatment: BlowdownTreatment,
}

/// The fuel side of a boiler by whichever methods applied.
struct BoilerParts {
    input_kw: f64,
    input_measured: bool,
    io: Option<MethodResult>,
    hl: Option<MethodResult>,
    losses: LossBreakdown,
    credits: LossItem,
    combustion: Option<CombustionResult>,
    estimate: Option<RadiationLossEstimate>,
    fuel: Fuel,
    fuel_kg_s: Option<f64>,
    heating_value_kj_kg: f64,
    basis: Basis,
    formulas: Vec<&'static str>,
}

fn boiler_result(
    p: BoilerParts,
    w: BoilerWater,
    surf: Surfaces,
    dead: &DeadState,
    warnings: Vec<String>,
) -> Result<ProcessResult, ThermoError> {
    let BoilerWater {
        steam,
        fw,
        bd,
        m_steam_kg_h,
        m_fw_kg_h,
        m_bd_kg_h,
        drum_p,
        bd_kw,
        useful_kw,
        treatment,
    } = w;
    let input_kw = p.input_kw;
    let m_s = m_steam_kg_h / 3600.0;
    let m_bd = m_bd_kg_h / 3600.0;

    // Second law.
    let dw = dead.water()?;
    let e_s = specific_flow_exergy_kj_kg(&steam, &dw);
    let e_fw = specific_flow_exergy_kj_kg(&fw, &dw);
    let e_bd = specific_flow_exergy_kj_kg(&bd, &dw);
    let (fuel_ex_kw, fuel_stream) =
        fuel_exergy_kw(&p.fuel, p.fuel_kg_s, p.heating_value_kj_kg, input_kw, dead);
    let product_kw = m_s * (e_s - e_fw)
        + if treatment == BlowdownTreatment::Output {
            m_bd * (e_bd - e_fw)
        } else {
            0.0
        };
    let streams_ex = vec![
        fuel_stream,
        StreamExergy {
            name: "steam".into(),
            exergy_kw: m_s * e_s,
            specific_exergy_kj_kg: Some(e_s),
        },
        StreamExergy {
            name: "feedwater".into(),
            exergy_kw: (m_s + m_bd) * e_fw,
            specific_exergy_kj_kg: Some(e_fw),
        },
        StreamExergy {
            name: "blowdown".into(),
            exergy_kw: m_bd * e_bd,
            specific_exergy_kj_kg: Some(e_bd),
        },
    ];
    let second_law = SecondLaw::new(*dead, fuel_ex_kw, product_kw, surf.exergy_kw, streams_ex);

    Ok(ProcessResult {
        process_type: "boiler",
        basis: p.basis,
        reference_temperature_c: crate::combustion::REFERENCE_TEMPERATURE_C,
        input_kw,
        input_measured: p.input_measured,
        useful_output_kw: useful_kw,
        efficiency_difference_pct: match (p.io, p.hl) {
            (Some(io), Some(hl)) => Some(io.efficiency_pct - hl.efficiency_pct),
            _ => None,
        },
        input_output: p.io,
        heat_loss: p.hl,
        losses: p.losses,
        credits: p.credits,
        blowdown: Some(BlowdownResult {
            mass_flow_kg_h: m_bd_kg_h,
            pressure_mpa: drum_p,
            enthalpy_kj_kg: bd.enthalpy_kj_kg,
            energy_kw: bd_kw,
            pct_of_input: bd_kw / input_kw * 100.0,
            counted_as: treatment,
        }),
        effectiveness: None,
        streams: vec![
            stream_state("steam", m_steam_kg_h, &steam),
            stream_state("feedwater", m_fw_kg_h, &fw),
            stream_state("blowdown", m_bd_kg_h, &bd),
        ],
        combustion: p.combustion,
        surfaces: surf.surfaces,
        openings: surf.openings,
        second_law,
        radiation_loss_estimate: p.estimate,
        formulas: p.formulas,
        warnings,
    })
}

fn furnace(f: &FurnaceSpec, dead: &DeadState) -> Result<ProcessResult, ThermoError> {
    let ambient_c = ambient(f.ambient_temperature_c)?;
    let unacc = unaccounted(f.unaccounted_loss_pct)?;
    let fired = fire(
        &f.fuel,
        &f.flue_gas,
        conditions(
            f.combustion_air_temperature_c,
            f.fuel_temperature_c,
            f.ambient_temperature_c,
            f.air_moisture,
            f.unburned_carbon_in_ash_pct,
            f.basis,
        ),
    )?;
    let warnings = fired.combustion.warnings.clone();
    let l = &f.load;
    let (useful_kw, product_ex) = match (
        l.duty_kw,
        l.mass_flow_kg_h,
        l.specific_heat_kj_kg_k,
        l.inlet_temperature_c,
        l.outlet_temperature_c,
    ) {
        (Some(q), None, None, None, None) => (
            check_range("process.load.duty_kw", q, 0.0, 1e8, "kW")?,
            None,
        ),
        (None, Some(m), Some(cp), Some(t1), Some(t2)) => {
            let m = check_range("process.load.mass_flow_kg_h", m, 0.0, 1e8, "kg/h")? / 3600.0;
            let cp = check_range(
                "process.load.specific_heat_kj_kg_k",
                cp,
                0.01,
                50.0,
                "kJ/(kg K)",
            )?;
            let t1 =
                check_range("process.load.inlet_temperature_c", t1, -50.0, 2500.0, "°C")? + 273.15;
            let t2 =
                check_range("process.load.outlet_temperature_c", t2, -50.0, 2500.0, "°C")? + 273.15;
            (
                m * cp * (t2 - t1),
                Some(constant_cp_exergy_change_kw(m, cp, t1, t2, dead)),
            )
        }
        _ => {
            return Err(invalid(
                "process.load",
                "give duty_kw, or mass_flow_kg_h with specific_heat_kj_kg_k, inlet_temperature_c and outlet_temperature_c",
            ));
        }
    };
    let surf = surfaces_and_openings(&f.surfaces, &f.openings, ambient_c, dead)?;
    let hl = heat_loss(&fired, &surf, useful_kw, 0.0, unacc, 0.0)?;
    let input_kw = hl.input_kw;
    let io = fired.input_kw.map(|q| MethodResult {
        efficiency_pct: useful_kw / q * 100.0,
        method: "input_output",
    });
    let (fuel_ex_kw, fuel_stream) = fuel_exergy_kw(
        &fired.fuel,
        fired.fuel_kg_s,
        fired.combustion.heating_value_kj_kg,
        input_kw,
        dead,
    );
    let product_kw = product_ex.unwrap_or(0.0);
    let mut streams_ex = vec![fuel_stream];
    if let Some(p) = product_ex {
        streams_ex.push(StreamExergy {
            name: "load (exergy gain)".into(),
            exergy_kw: p,
            specific_exergy_kj_kg: None,
        });
    }
    let mut second_law = SecondLaw::new(*dead, fuel_ex_kw, product_kw, surf.exergy_kw, streams_ex);
    let mut warnings = warnings;
    if product_ex.is_none() {
        warnings.push(
            "load given as duty_kw only: its exergy is unknown, so the second-law efficiency is undefined (null)"
                .to_string(),
        );
        second_law.second_law_efficiency_pct = None;
    }
    Ok(ProcessResult {
        process_type: "furnace",
        basis: fired.combustion.basis,
        reference_temperature_c: fired.combustion.reference_temperature_c,
        input_kw,
        input_measured: hl.input_measured,
        useful_output_kw: useful_kw,
        efficiency_difference_pct: io.map(|m| m.efficiency_pct - hl.efficiency_pct),
        input_output: io,
        heat_loss: Some(MethodResult {
            efficiency_pct: hl.efficiency_pct,
            method: "heat_loss",
        }),
        losses: hl.losses,
        credits: hl.credits,
        blowdown: None,
        effectiveness: None,
        streams: Vec::new(),
        combustion: Some(fired.combustion),
        surfaces: surf.surfaces,
        openings: surf.openings,
        second_law,
        radiation_loss_estimate: None,
        formulas: vec![
            "furnace_input_output",
            "furnace_heat_loss",
            "combustion_ptc4",
            "fuel_heating_values",
            "surface_radiation_convection",
            "furnace_openings",
            "exergy",
        ],
        warnings,
    })
}

/// One side of an exchanger resolved: enthalpy change, exergy change,
/// inlet temperature, and a function for the enthalpy at another temperature.
struct Side {
    duty_kw: f64,
    exergy_change_kw: f64,
    t_in_k: f64,
    /// Duty if the stream left at temperature `t_k` instead.
    max_duty_to: Box<dyn Fn(f64) -> Option<f64>>,
    states: Vec<StreamState>,
}

fn exchanger_side(
    s: &ExchangerStreamSpec,
    name: &str,
    dead: &DeadState,
    dw: &SteamProperties,
) -> Result<Side, ThermoError> {
    let field = format!("process.{name}");
    let m_kg_h = check_range(
        &format!("{field}.mass_flow_kg_h"),
        s.mass_flow_kg_h,
        0.0,
        1e8,
        "kg/h",
    )?;
    let m = m_kg_h / 3600.0;
    match (
        s.inlet,
        s.outlet,
        s.specific_heat_kj_kg_k,
        s.inlet_temperature_c,
        s.outlet_temperature_c,
    ) {
        (Some(i), Some(o), None, None, None) => {
            let a = water_state(&i, &format!("{field}.inlet"))?;
            let b = water_state(&o, &format!("{field}.outlet"))?;
            let h_in = a.enthalpy_kj_kg;
            let p_out = b.pressure_mpa;
            let (ea, eb) = (
                specific_flow_exergy_kj_kg(&a, dw),
                specific_flow_exergy_kj_kg(&b, dw),
            );
            Ok(Side {
                duty_kw: m * (b.enthalpy_kj_kg - h_in),
                exergy_change_kw: m * (eb - ea),
                t_in_k: a.temperature_k,
                max_duty_to: Box::new(move |t_k| {
                    if97::props_pt(p_out, t_k)
                        .ok()
                        .map(|st| m * (st.enthalpy_kj_kg - h_in))
                }),
                states: vec![
                    stream_state(&format!("{name} inlet"), m_kg_h, &a),
                    stream_state(&format!("{name} outlet"), m_kg_h, &b),
                ],
            })
        }
        (None, None, Some(cp), Some(t1), Some(t2)) => {
            let cp = check_range(
                &format!("{field}.specific_heat_kj_kg_k"),
                cp,
                0.01,
                50.0,
                "kJ/(kg K)",
            )?;
            let t1 = check_range(
                &format!("{field}.inlet_temperature_c"),
                t1,
                -100.0,
                2500.0,
                "°C",
            )? + 273.15;
            let t2 = check_range(
                &format!("{field}.outlet_temperature_c"),
                t2,
                -100.0,
                2500.0,
                "°C",
            )? + 273.15;
            Ok(Side {
                duty_kw: m * cp * (t2 - t1),
                exergy_change_kw: constant_cp_exergy_change_kw(m, cp, t1, t2, dead),
                t_in_k: t1,
                max_duty_to: Box::new(move |t_k| Some(m * cp * (t_k - t1))),
                states: Vec::new(),
            })
        }
        _ => Err(invalid(
            &field,
            "give inlet and outlet water/steam states, or specific_heat_kj_kg_k with inlet_temperature_c and outlet_temperature_c",
        )),
    }
}

fn heat_exchanger(h: &HeatExchangerSpec, dead: &DeadState) -> Result<ProcessResult, ThermoError> {
    let ambient_c = ambient(h.ambient_temperature_c)?;
    let dw = dead.water()?;
    let hot = exchanger_side(&h.hot, "hot", dead, &dw)?;
    let cold = exchanger_side(&h.cold, "cold", dead, &dw)?;
    let q_hot = -hot.duty_kw;
    let q_cold = cold.duty_kw;
    if q_hot <= 0.0 {
        return Err(invalid(
            "process.hot",
            "the hot stream must give up heat (outlet enthalpy below inlet)",
        ));
    }
    if q_cold < 0.0 {
        return Err(invalid(
            "process.cold",
            "the cold stream must gain heat (outlet enthalpy above inlet)",
        ));
    }
    let mut warnings = Vec::new();
    if q_cold > q_hot {
        warnings.push(format!("cold-side duty {q_cold:.3} kW exceeds hot-side duty {q_hot:.3} kW: check the measurements"));
    }
    let q_max = match (
        (hot.max_duty_to)(cold.t_in_k),
        (cold.max_duty_to)(hot.t_in_k),
    ) {
        (Some(a), Some(b)) => Some((-a).min(b)),
        _ => None,
    };
    let effectiveness = q_max.filter(|q| *q > 0.0).map(|q| q_cold / q);
    let surf = surfaces_and_openings(&h.surfaces, &[], ambient_c, dead)?;
    let measured_loss_kw = surf.radiation_kw + surf.convection_kw;
    let mut losses = LossBreakdown {
        radiation: item(surf.radiation_kw, q_hot),
        convection: item(surf.convection_kw, q_hot),
        unaccounted: item(q_hot - q_cold - measured_loss_kw, q_hot),
        ..Default::default()
    };
    losses.total = item(q_hot - q_cold, q_hot);
    let io = MethodResult {
        efficiency_pct: q_cold / q_hot * 100.0,
        method: "input_output",
    };
    let hl = (!h.surfaces.is_empty()).then(|| MethodResult {
        efficiency_pct: 100.0 - measured_loss_kw / q_hot * 100.0,
        method: "heat_loss",
    });
    let mut streams = hot.states;
    streams.extend(cold.states);
    let second_law = SecondLaw::new(
        *dead,
        -hot.exergy_change_kw,
        cold.exergy_change_kw,
        surf.exergy_kw,
        vec![
            StreamExergy {
                name: "hot (exergy given up)".into(),
                exergy_kw: -hot.exergy_change_kw,
                specific_exergy_kj_kg: None,
            },
            StreamExergy {
                name: "cold (exergy gained)".into(),
                exergy_kw: cold.exergy_change_kw,
                specific_exergy_kj_kg: None,
            },
        ],
    );
    Ok(ProcessResult {
        process_type: "heat_exchanger",
        basis: Basis::Hhv,
        reference_temperature_c: 25.0,
        input_kw: q_hot,
        input_measured: true,
        useful_output_kw: q_cold,
        efficiency_difference_pct: hl.map(|m| io.efficiency_pct - m.efficiency_pct),
        input_output: Some(io),
        heat_loss: hl,
        losses,
        credits: LossItem::default(),
        blowdown: None,
        effectiveness,
        streams,
        combustion: None,
        surfaces: surf.surfaces,
        openings: surf.openings,
        second_law,
        radiation_loss_estimate: None,
        formulas: vec![
            "heat_exchanger_duty",
            "heat_exchanger_effectiveness",
            "iapws_if97",
            "surface_radiation_convection",
            "exergy",
        ],
        warnings,
    })
}
