//! IAPWS-IF97 call costs: forward (p,T) per region, saturation, and the
//! (p,h) and (p,s) inverses. `cargo bench -p thermaliq-thermo --bench if97`.

use divan::black_box;
use thermo::if97;

fn main() {
    divan::main();
}

#[divan::bench]
fn forward_region1_pt() -> f64 {
    if97::props_pt(black_box(3.0), black_box(300.0)).map_or(0.0, |s| s.enthalpy_kj_kg)
}

#[divan::bench]
fn forward_region2_pt() -> f64 {
    if97::props_pt(black_box(0.0035), black_box(700.0)).map_or(0.0, |s| s.enthalpy_kj_kg)
}

/// Region 3 at (p,T): SR5-05 start plus Newton on the Helmholtz equation.
#[divan::bench]
fn forward_region3_pt() -> f64 {
    if97::props_pt(black_box(25.5837018), black_box(650.0)).map_or(0.0, |s| s.enthalpy_kj_kg)
}

/// Region 3 in its natural variables (ρ,T): one Helmholtz evaluation (plus
/// the dome check below the critical temperature).
#[divan::bench]
fn forward_region3_rho_t() -> f64 {
    if97::region3_rho_t(black_box(500.0), black_box(750.0)).map_or(0.0, |s| s.enthalpy_kj_kg)
}

#[divan::bench]
fn forward_region5_pt() -> f64 {
    if97::props_pt(black_box(30.0), black_box(1500.0)).map_or(0.0, |s| s.enthalpy_kj_kg)
}

#[divan::bench]
fn saturation_pressure_t() -> f64 {
    if97::saturation_pressure_mpa(black_box(500.0)).unwrap_or(0.0)
}

#[divan::bench]
fn saturation_temperature_p() -> f64 {
    if97::saturation_temperature_k(black_box(1.0)).unwrap_or(0.0)
}

#[divan::bench]
fn saturated_vapour_at_1_mpa() -> f64 {
    if97::saturated_vapour_at_pressure(black_box(1.0)).map_or(0.0, |s| s.enthalpy_kj_kg)
}

/// Saturated liquid above 623.15 K: two region 3 density solves.
#[divan::bench]
fn saturated_liquid_at_20_mpa_region3() -> f64 {
    if97::saturated_liquid_at_pressure(black_box(20.0)).map_or(0.0, |s| s.enthalpy_kj_kg)
}

#[divan::bench(args = [(3.0, 500.0), (3.0, 3000.0), (25.0, 2000.0), (1.0, 1500.0), (30.0, 5000.0), (20.0, 1700.0), (20.0, 2450.0), (23.0, 2100.0), (22.1, 2087.0)])]
fn inverse_ph(args: (f64, f64)) -> f64 {
    if97::props_ph(black_box(args.0), black_box(args.1)).map_or(0.0, |s| s.temperature_k)
}

#[divan::bench(args = [(3.0, 0.5), (3.0, 7.0), (25.0, 4.0), (1.0, 4.0), (30.0, 8.0), (20.0, 3.8), (20.0, 4.95), (23.0, 4.4), (22.1, 4.41)])]
fn inverse_ps(args: (f64, f64)) -> f64 {
    if97::props_ps(black_box(args.0), black_box(args.1)).map_or(0.0, |s| s.temperature_k)
}
