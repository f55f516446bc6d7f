//! Convective dryers: water evaporated, specific energy consumption,
//! thermal efficiency and the heat balance (Kemp, "Fundamentals of energy
//! analysis of dryers", in Tsotsas & Mujumdar, *Modern Drying Technology*
//! Vol. 4, 2012; Mujumdar, *Handbook of Industrial Drying*, 4th ed., Ch. 1).
//!
//! - Moisture: wet basis w = water / wet mass, dry basis X = w / (1 − w);
//!   dry solids `m_s = m_wet (1 − w_in)`; water evaporated `m_w = m_s (X_in − X_out)`.
//! - Air: ASHRAE psychrometrics ([`crate::psychrometrics`]); the dry-air flow
//!   is given, or follows from the moisture balance
//!   `m_da (W_out − W_in) = m_w + m_cw` (m_cw: water of combustion of a
//!   direct-fired dryer).
//! - Evaporation heat `Q_ev = m_w λ(t_wb)`, λ by IAPWS-IF97 at the exhaust
//!   air's wet-bulb temperature (the surface temperature of constant-rate
//!   drying in an adiabatic dryer).
//! - Thermal efficiency `η = Q_ev / Q_in`; specific energy consumption
//!   `SEC = Q_in / m_w` (kJ per kg water evaporated).
//! - Exhaust loss (sensible heat of the exhaust above the inlet air, less the
//!   evaporation heat): `m_da (h_out − h_in) − m_w (λ + c_w t_p,in)`, with
//!   ASHRAE enthalpies (liquid water at 0 °C, c_w = 4.186 kJ/(kg K)); on the
//!   LHV basis the latent heat of the combustion water is not in the input
//!   and is taken out of the exhaust loss.
//! - Product heating `m_s c_s (t_p,out − t_p,in) + m_s X_out c_w (t_p,out − t_p,in)`;
//!   shell losses by [`crate::heat_transfer`]; closure = the residual.

use serde::{Deserialize, Serialize};

use crate::ThermoError;
use crate::boiler::{FuelStreamSpec, WaterStreamSpec, metered_fuel, water_state};
use crate::combustion::Basis;
use crate::exergy::DeadState;
use crate::fuels::{H_FG_25C_KJ_KG, check_range, invalid};
use crate::heat_transfer::{SurfaceLoss, SurfaceSpec, surface_loss};
use crate::if97;
use crate::process::{BalanceSummary, flow};
use crate::psychrometrics::{MoistAir, MoistAirSpec, STANDARD_PRESSURE_KPA, moist_air};

/// Specific heat of liquid water in the ASHRAE enthalpy convention, kJ/(kg K).
const CP_LIQUID_WATER: f64 = 4.186;

/// The wet product.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DryerProductSpec {
    pub wet_mass_flow_kg_h: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moisture_in_pct_wet: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moisture_in_pct_dry: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moisture_out_pct_wet: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moisture_out_pct_dry: Option<f64>,
    /// Product temperature in, °C (default: the inlet air temperature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inlet_temperature_c: Option<f64>,
    /// Product temperature out, °C (default: the inlet temperature, no heating).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlet_temperature_c: Option<f64>,
    /// Specific heat of the dry solids, kJ/(kg K) (required with product temperatures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_solid_specific_heat_kj_kg_k: Option<f64>,
}

/// Drying air: fresh air in (before any heater) and the exhaust.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DryerAirSpec {
    #[serde(alias = "in")]
    pub inlet: MoistAirSpec,
    #[serde(alias = "out", alias = "outlet")]
    pub exhaust: MoistAirSpec,
    /// Dry-air mass flow, kg/h (default: from the moisture balance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_air_mass_flow_kg_h: Option<f64>,
    /// Total pressure, kPa (default 101.325).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pressure_kpa: Option<f64>,
}

/// Steam heating: flow with supply and condensate states (IAPWS-IF97).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DryerSteamSpec {
    pub mass_flow_kg_h: f64,
    pub supply: WaterStreamSpec,
    pub condensate: WaterStreamSpec,
}

/// How the fuel heats the air.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Firing {
    /// Combustion gases mix with the drying air (their water joins the air).
    #[default]
    Direct,
    /// Through a heat exchanger.
    Indirect,
}

/// A dryer (`"type": "dryer"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DryerSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<FuelStreamSpec>,
    /// Direct (default) or indirect firing of `fuel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firing: Option<Firing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steam: Option<DryerSteamSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub electricity_kw: Option<f64>,
    pub product: DryerProductSpec,
    pub air: DryerAirSpec,
    #[serde(default)]
    pub surfaces: Vec<SurfaceSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_temperature_c: Option<f64>,
    /// Basis of `fuel.energy_kw` (default HHV).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
}

/// The product side of the result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DryerProduct {
    pub dry_solids_kg_h: f64,
    pub moisture_in_kg_per_kg_dry: f64,
    pub moisture_out_kg_per_kg_dry: f64,
    pub dried_mass_flow_kg_h: f64,
}

/// Result of a dryer analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DryerResult {
    pub process_type: &'static str,
    pub basis: Basis,
    pub heat_input_kw: f64,
    pub fuel_kw: f64,
    pub steam_kw: f64,
    pub electricity_kw: f64,
    pub water_evaporated_kg_h: f64,
    pub specific_energy_consumption_kj_per_kg_water: f64,
    pub thermal_efficiency_pct: f64,
    /// λ at the exhaust wet bulb, kJ/kg.
    pub latent_heat_kj_kg: f64,
    pub evaporation_heat_kw: f64,
    pub exhaust_loss_kw: f64,
    pub exhaust_loss_pct: f64,
    pub product_heating_kw: f64,
    pub surface_loss_kw: f64,
    /// Heat input not explained by the terms above, kW.
    pub unaccounted_kw: f64,
    /// `unaccounted_kw` in % of the heat input.
    pub balance_closure_pct: f64,
    pub dry_air_mass_flow_kg_h: f64,
    /// `true` when the dry-air flow was given (else it closes the moisture balance).
    pub dry_air_flow_measured: bool,
    /// With a measured air flow: (water picked up by the air − evaporated − combustion water) / evaporated, %.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moisture_balance_closure_pct: Option<f64>,
    pub combustion_water_kg_h: f64,
    pub air_inlet: MoistAir,
    pub air_exhaust: MoistAir,
    pub product: DryerProduct,
    pub surfaces: Vec<SurfaceLoss>,
    pub formulas: Vec<&'static str>,
    pub warnings: Vec<String>,
}

impl DryerResult {
    /// The first-law balance for the engine.
    pub fn summary(&self) -> BalanceSummary {
        let mut inputs = Vec::new();
        for (name, kw) in [
            ("fuel", self.fuel_kw),
            ("steam", self.steam_kw),
            ("electricity", self.electricity_kw),
        ] {
            if kw > 0.0 {
                inputs.push(flow(name, kw, "measured"));
            }
        }
        BalanceSummary {
            process_type: "dryer",
            basis: self.basis,
            inputs,
            outputs: vec![flow("evaporation", self.evaporation_heat_kw, "computed")],
            losses: vec![
                flow("exhaust", self.exhaust_loss_kw, "computed"),
                flow("product_heating", self.product_heating_kw, "computed"),
                flow("surfaces", self.surface_loss_kw, "computed"),
                flow("unaccounted", self.unaccounted_kw, "unaccounted"),
            ],
            efficiency_pct: Some(self.thermal_efficiency_pct),
            warnings: self.warnings.clone(),
            formulas: self.formulas.clone(),
        }
    }
}

/// Moisture as kg water per kg dry solids from a wet or dry basis percent.
fn dry_basis(wet: Option<f64>, dry: Option<f64>, field: &str) -> Result<f64, ThermoError> {
    match (wet, dry) {
        (Some(w), None) => {
            let w = check_range(format!("{field}_pct_wet"), w, 0.0, 99.9, "%")? / 100.0;
            Ok(w / (1.0 - w))
        }
        (None, Some(x)) => {
            Ok(check_range(format!("{field}_pct_dry"), x, 0.0, 10_000.0, "%")? / 100.0)
        }
        _ => Err(invalid(
            field,
            "give exactly one of the wet-basis (_pct_wet) or dry-basis (_pct_dry) moisture",
        )),
    }
}

/// Analyses a dryer.
pub fn analyze_dryer(d: &DryerSpec, _dead: &DeadState) -> Result<DryerResult, ThermoError> {
    let mut warnings = Vec::new();
    let p = match d.air.pressure_kpa {
        Some(p) => check_range("process.air.pressure_kpa", p, 50.0, 200.0, "kPa")?,
        None => STANDARD_PRESSURE_KPA,
    };
    let air_in = moist_air(&d.air.inlet, p, "process.air.inlet")?;
    let air_out = moist_air(&d.air.exhaust, p, "process.air.exhaust")?;

    let pr = &d.product;
    let m_wet = check_range(
        "process.product.wet_mass_flow_kg_h",
        pr.wet_mass_flow_kg_h,
        0.0,
        1e8,
        "kg/h",
    )? / 3600.0;
    let x_in = dry_basis(
        pr.moisture_in_pct_wet,
        pr.moisture_in_pct_dry,
        "process.product.moisture_in",
    )?;
    let x_out = dry_basis(
        pr.moisture_out_pct_wet,
        pr.moisture_out_pct_dry,
        "process.product.moisture_out",
    )?;
    if x_out >= x_in {
        return Err(invalid(
            "process.product.moisture_out_pct_wet",
            "must be below the inlet moisture: a dryer removes water",
        ));
    }
    let m_s = m_wet / (1.0 + x_in);
    let m_w = m_s * (x_in - x_out);

    // Heat input.
    let basis = d.basis.unwrap_or_default();
    let (fuel_kw, m_cw) = match &d.fuel {
        Some(f) => {
            let m = metered_fuel(f, basis)?;
            let cw = match d.firing.unwrap_or_default() {
                Firing::Direct => m.fuel_kg_s * m.fuel.water_formed_kg_per_kg(),
                Firing::Indirect => 0.0,
            };
            (m.input_kw, cw)
        }
        None => (0.0, 0.0),
    };
    let steam_kw = match &d.steam {
        Some(s) => {
            let m = check_range(
                "process.steam.mass_flow_kg_h",
                s.mass_flow_kg_h,
                0.0,
                1e8,
                "kg/h",
            )? / 3600.0;
            let a = water_state(&s.supply, "process.steam.supply")?;
            let b = water_state(&s.condensate, "process.steam.condensate")?;
            m * (a.enthalpy_kj_kg - b.enthalpy_kj_kg)
        }
        None => 0.0,
    };
    let el_kw = match d.electricity_kw {
        Some(e) => check_range("process.electricity_kw", e, 0.0, 1e8, "kW")?,
        None => 0.0,
    };
    let q_in = fuel_kw + steam_kw + el_kw;
    if q_in <= 0.0 {
        return Err(invalid(
            "process",
            "give the heat input: fuel (energy_kw or mass_flow_kg_h), steam or electricity_kw",
        ));
    }

    // Air flow.
    let dw_air = air_out.humidity_ratio_kg_kg - air_in.humidity_ratio_kg_kg;
    let (m_da, measured, moisture_closure) = match d.air.dry_air_mass_flow_kg_h {
        Some(m) => {
            let m =
                check_range("process.air.dry_air_mass_flow_kg_h", m, 0.0, 1e9, "kg/h")? / 3600.0;
            let closure = (m * dw_air - m_cw - m_w) / m_w * 100.0;
            if closure.abs() > 10.0 {
                warnings.push(format!(
                    "the air picks up {:.1} kg/h of water but the product loses {:.1} kg/h (+ {:.1} kg/h combustion water): moisture balance off by {closure:.1} %",
                    m * dw_air * 3600.0,
                    m_w * 3600.0,
                    m_cw * 3600.0
                ));
            }
            (m, true, Some(closure))
        }
        None => {
            if dw_air <= 0.0 {
                return Err(invalid(
                    "process.air.exhaust",
                    "must be more humid than the inlet air to derive the air flow from the moisture balance (or give dry_air_mass_flow_kg_h)",
                ));
            }
            ((m_w + m_cw) / dw_air, false, None)
        }
    };

    let t_wb = air_out.wet_bulb_c;
    let lambda = if97::saturated_vapour_at_temperature(t_wb.max(0.01) + 273.15)
        .and_then(|v| {
            if97::saturated_liquid_at_temperature(t_wb.max(0.01) + 273.15)
                .map(|l| v.enthalpy_kj_kg - l.enthalpy_kj_kg)
        })
        .map_err(|_| {
            invalid(
                "process.air.exhaust",
                "wet-bulb temperature outside IAPWS-IF97 saturation",
            )
        })?;
    let q_ev = m_w * lambda;

    let t_pin = match pr.inlet_temperature_c {
        Some(t) => check_range("process.product.inlet_temperature_c", t, -50.0, 500.0, "°C")?,
        None => air_in.temperature_c,
    };
    let t_pout = match pr.outlet_temperature_c {
        Some(t) => check_range(
            "process.product.outlet_temperature_c",
            t,
            -50.0,
            500.0,
            "°C",
        )?,
        None => t_pin,
    };
    let q_prod = if (t_pout - t_pin).abs() > 0.0 {
        let cs = match pr.dry_solid_specific_heat_kj_kg_k {
            Some(c) => check_range(
                "process.product.dry_solid_specific_heat_kj_kg_k",
                c,
                0.1,
                10.0,
                "kJ/(kg K)",
            )?,
            None => {
                return Err(invalid(
                    "process.product.dry_solid_specific_heat_kj_kg_k",
                    "is required when the product temperatures differ",
                ));
            }
        };
        m_s * (cs + x_out * CP_LIQUID_WATER) * (t_pout - t_pin)
    } else {
        0.0
    };

    let mut q_exhaust = m_da * (air_out.enthalpy_kj_kg_da - air_in.enthalpy_kj_kg_da)
        - m_w * (lambda + CP_LIQUID_WATER * t_pin);
    if basis == Basis::Lhv {
        q_exhaust -= m_cw * H_FG_25C_KJ_KG;
    }

    let ambient_c = match d.ambient_temperature_c {
        Some(t) => check_range("process.ambient_temperature_c", t, -50.0, 60.0, "°C")?,
        None => 25.0,
    };
    let mut surfaces = Vec::with_capacity(d.surfaces.len());
    let mut q_surf = 0.0;
    for (i, s) in d.surfaces.iter().enumerate() {
        let l = surface_loss(s, ambient_c, &format!("process.surfaces[{i}]"))?;
        q_surf += l.total_w / 1000.0;
        surfaces.push(l);
    }
    let unaccounted = q_in - q_ev - q_exhaust - q_prod - q_surf;
    let closure = unaccounted / q_in * 100.0;
    if closure.abs() > 10.0 {
        warnings.push(format!(
            "the heat balance leaves {closure:.1} % of the input unexplained: check the air flow, the air states and the heat input"
        ));
    }
    if air_out.relative_humidity_pct > 95.0 {
        warnings
            .push("exhaust air is near saturation: condensation in ducts is likely".to_string());
    }
    let out = DryerResult {
        process_type: "dryer",
        basis,
        heat_input_kw: q_in,
        fuel_kw,
        steam_kw,
        electricity_kw: el_kw,
        water_evaporated_kg_h: m_w * 3600.0,
        specific_energy_consumption_kj_per_kg_water: q_in / m_w,
        thermal_efficiency_pct: q_ev / q_in * 100.0,
        latent_heat_kj_kg: lambda,
        evaporation_heat_kw: q_ev,
        exhaust_loss_kw: q_exhaust,
        exhaust_loss_pct: q_exhaust / q_in * 100.0,
        product_heating_kw: q_prod,
        surface_loss_kw: q_surf,
        unaccounted_kw: unaccounted,
        balance_closure_pct: closure,
        dry_air_mass_flow_kg_h: m_da * 3600.0,
        dry_air_flow_measured: measured,
        moisture_balance_closure_pct: moisture_closure,
        combustion_water_kg_h: m_cw * 3600.0,
        air_inlet: air_in,
        air_exhaust: air_out,
        product: DryerProduct {
            dry_solids_kg_h: m_s * 3600.0,
            moisture_in_kg_per_kg_dry: x_in,
            moisture_out_kg_per_kg_dry: x_out,
            dried_mass_flow_kg_h: m_s * (1.0 + x_out) * 3600.0,
        },
        surfaces,
        formulas: vec![
            "dryer_balance",
            "psychrometrics_ashrae",
            "iapws_if97",
            "surface_radiation_convection",
        ],
        warnings,
    };
    if !(out.specific_energy_consumption_kj_per_kg_water.is_finite()
        && out.unaccounted_kw.is_finite())
    {
        return Err(invalid(
            "process",
            "the dryer balance produced a non-finite number",
        ));
    }
    Ok(out)
}
