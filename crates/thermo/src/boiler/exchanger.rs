//! Two-stream heat exchangers.

use super::shared::*;
use super::*;

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
        crate::fuels::FieldPath(&field, "mass_flow_kg_h"),
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
                crate::fuels::FieldPath(&field, "specific_heat_kj_kg_k"),
                cp,
                0.01,
                50.0,
                "kJ/(kg K)",
            )?;
            let t1 = check_range(
                crate::fuels::FieldPath(&field, "inlet_temperature_c"),
                t1,
                -100.0,
                2500.0,
                "°C",
            )? + 273.15;
            let t2 = check_range(
                crate::fuels::FieldPath(&field, "outlet_temperature_c"),
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

pub(super) fn heat_exchanger(
    h: &HeatExchangerSpec,
    dead: &DeadState,
) -> Result<ProcessResult, ThermoError> {
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
