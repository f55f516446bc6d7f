//! Shared by the boiler, furnace and exchanger analyses: the fuel input
//! and combustion, surface losses, the heat-loss assembly, fuel exergy.

use super::*;

// ---------------------------------------------------------------------------
// Shared: fuel input and heat-loss assembly
// ---------------------------------------------------------------------------

pub(super) struct Fired {
    pub(super) fuel: Fuel,
    pub(super) combustion: CombustionResult,
    /// Measured fuel input on the basis, kW.
    pub(super) input_kw: Option<f64>,
    /// Fuel mass flow, kg/s (given or from a meter and the heating value).
    pub(super) fuel_kg_s: Option<f64>,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn fire(
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
pub(super) fn prefix(e: ThermoError, p: &str) -> ThermoError {
    match e {
        ThermoError::Invalid { field, problem } => ThermoError::Invalid {
            field: format!("{p}.{field}"),
            problem,
        },
        other => other,
    }
}

pub(super) struct Surfaces {
    pub(super) radiation_kw: f64,
    pub(super) convection_kw: f64,
    pub(super) openings_kw: f64,
    pub(super) exergy_kw: f64,
    pub(super) surfaces: Vec<SurfaceLoss>,
    pub(super) openings: Vec<OpeningLoss>,
}

pub(super) fn surfaces_and_openings(
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

pub(super) fn item(kw: f64, input_kw: f64) -> LossItem {
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
pub(super) struct HeatLoss {
    pub(super) input_kw: f64,
    pub(super) input_measured: bool,
    pub(super) losses: LossBreakdown,
    pub(super) credits: LossItem,
    pub(super) efficiency_pct: f64,
}

pub(super) fn heat_loss(
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

pub(super) fn fuel_exergy_kw(
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
