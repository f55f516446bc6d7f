//! Furnaces and fired heaters.

use super::shared::*;
use super::*;

pub(super) fn furnace(f: &FurnaceSpec, dead: &DeadState) -> Result<ProcessResult, ThermoError> {
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
