//! The standard radiation-loss estimate of a boiler whose casing was not
//! measured: the ABMA Standard Radiation Loss Chart (American Boiler
//! Manufacturers Association; reproduced as Fig. 8 of ASME PTC 4.1-1964 and
//! in Taplin, *Boiler Plant and Distribution System Optimization Manual*,
//! p. 57).
//!
//! The chart gives the radiation and convection loss of the casing in percent
//! of the heat input against the actual output (million Btu/h), for boilers
//! with water-cooled furnace walls at full load; the loss in kW is about
//! constant with load, so at part load the percentage grows as rated /
//! actual output (the chart's load lines; the same rule as Spirax Sarco and
//! Forbes Marshall quote: 1 % at full load is 4 % at quarter load).
//!
//! Chart points used (water-tube, water-cooled walls, full load): 1.8 % at
//! 10 MBtu/h and 0.3 % at 500 MBtu/h output; the chart is a straight line
//! on its log-log axes between them, extended over 1 to 10 000 MBtu/h
//! (the chart's span). The estimate is flagged `estimated` in every result.

use serde::Serialize;

use crate::ThermoError;
use crate::fuels::check_range;

/// kW per million Btu/h: 1 Btu = 1.055 055 852 62 kJ (International Table
/// Btu, ISO 31-4), so 10⁶ Btu/h = 293.071 kW.
pub const KW_PER_MBTU_H: f64 = 1.055_055_852_62e6 / 3600.0;

/// The two chart points (MBtu/h output, % of input) the line joins.
const CHART_POINTS: [(f64, f64); 2] = [(10.0, 1.8), (500.0, 0.3)];

/// The span of the chart's output axis, MBtu/h.
const CHART_SPAN_MBTU_H: (f64, f64) = (1.0, 10_000.0);

/// An estimated radiation loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RadiationLossEstimate {
    /// Always `true`: the loss was not measured.
    pub estimated: bool,
    pub method: &'static str,
    /// Output the chart was read at (the rating), MBtu/h.
    pub rated_output_mbtu_h: f64,
    /// Actual output / rated output.
    pub load_fraction: f64,
    /// Loss at full load, % of input (the chart value).
    pub full_load_pct: f64,
    /// Loss at the actual load, % of input.
    pub pct_of_input: f64,
}

/// The chart's full-load loss at `output_mbtu_h`, % of input.
pub fn abma_full_load_pct(output_mbtu_h: f64) -> f64 {
    let (lo, hi) = CHART_SPAN_MBTU_H;
    let q = output_mbtu_h.clamp(lo, hi);
    let [(q1, l1), (q2, l2)] = CHART_POINTS;
    let slope = (l2 / l1).ln() / (q2 / q1).ln();
    l1 * (q / q1).powf(slope)
}

/// Estimated radiation loss of a boiler with `actual_output_kw` and an
/// optional rating (default: the actual output, i.e. full load).
pub fn abma_radiation_loss(
    actual_output_kw: f64,
    rated_output_kw: Option<f64>,
) -> Result<RadiationLossEstimate, ThermoError> {
    let rated = match rated_output_kw {
        Some(r) => check_range("process.rated_output_kw", r, 1.0, 1e8, "kW")?,
        None => actual_output_kw,
    };
    if actual_output_kw <= 0.0 {
        return Err(crate::fuels::invalid(
            "process.steam",
            "the boiler output is zero, so no radiation-loss estimate applies",
        ));
    }
    let load = actual_output_kw / rated;
    let rated_mbtu_h = rated / KW_PER_MBTU_H;
    let full = abma_full_load_pct(rated_mbtu_h);
    Ok(RadiationLossEstimate {
        estimated: true,
        method: "ABMA standard radiation loss chart (no surfaces measured)",
        rated_output_mbtu_h: rated_mbtu_h,
        load_fraction: load,
        full_load_pct: full,
        pct_of_input: full / load,
    })
}
