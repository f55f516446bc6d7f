//! Boilers: water side by IAPWS-IF97, both ASME PTC 4 methods, the ABMA
//! radiation estimate without surfaces, input-output alone without flue gas.

use super::shared::*;
use super::*;

pub(super) fn boiler(b: &BoilerSpec, dead: &DeadState) -> Result<ProcessResult, ThermoError> {
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
