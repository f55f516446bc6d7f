//! Region 3 (p,h) and (p,s) inverses: the 2-D Newton iteration on the
//! Helmholtz equation started from the SR3-03 backward equations (with the
//! nested 1-D solve as fallback) must reproduce h or s to 1e-9 relative,
//! and the pressure of the returned (ρ, T) to 1e-9 relative, over a dense
//! region 3 grid, on both sides of the saturation line and around the
//! critical point.

use thermo::if97::{self, Region};

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

/// Round trip (p,T) -> h, s -> (p,h), (p,s) for one region 3 state.
fn check(p: f64, t: f64, failures: &mut Vec<String>) -> bool {
    let Ok(state) = if97::props_pt(p, t) else {
        failures.push(format!("props_pt({p}, {t}) failed"));
        return false;
    };
    if state.region != Region::Region3 {
        return false;
    }
    for (what, back) in [
        ("ph", if97::props_ph(p, state.enthalpy_kj_kg)),
        ("ps", if97::props_ps(p, state.entropy_kj_kg_k)),
    ] {
        let back = match back {
            Ok(b) => b,
            Err(e) => {
                failures.push(format!("{what} p={p} T={t}: {e}"));
                continue;
            }
        };
        let dy = if what == "ph" {
            rel(back.enthalpy_kj_kg, state.enthalpy_kj_kg)
        } else {
            rel(back.entropy_kj_kg_k, state.entropy_kj_kg_k)
        };
        // The pressure the Helmholtz equation gives at the returned (ρ, T).
        let dp = match if97::region3_rho_t(back.density_kg_m3, back.temperature_k) {
            Ok(at) => rel(at.pressure_mpa, p),
            Err(e) => {
                failures.push(format!("{what} p={p} T={t}: region3_rho_t: {e}"));
                continue;
            }
        };
        let all_finite = [
            back.density_kg_m3,
            back.enthalpy_kj_kg,
            back.entropy_kj_kg_k,
            back.internal_energy_kj_kg,
        ]
        .iter()
        .all(|v| v.is_finite());
        if dy > 1e-9
            || dp > 1e-9
            || !all_finite
            || back.region != Region::Region3
            || back.phase != state.phase
            || (back.temperature_k - t).abs() > 1e-6
            || rel(back.density_kg_m3, state.density_kg_m3) > 1e-6
        {
            failures.push(format!(
                "{what} p={p} T={t} ρ={}: got T={} ρ={} {:?} {:?}, d(h|s)={dy:e}, dp={dp:e}",
                state.density_kg_m3,
                back.temperature_k,
                back.density_kg_m3,
                back.region,
                back.phase
            ));
        }
    }
    true
}

fn report(count: usize, failures: &[String]) {
    println!("{count} region 3 states checked");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// 161 pressures × 101 temperatures from just above 623.15 K to B23.
#[test]
fn region3_inverse_round_trips_on_a_dense_grid() {
    let mut failures = Vec::new();
    let mut count = 0;
    for i in 0..=160 {
        // Up to 99.99 MPa: at exactly 100 MPa rounding can put p(ρ,T) a hair
        // above the range that `region3_rho_t` accepts.
        let p = 16.6 + (99.99 - 16.6) * f64::from(i) / 160.0;
        // B23 temperature at p (R7-97 Eq. 6).
        let t23 = 572.54459862746 + ((p - 13.91883977887) / 0.0010192970039326).sqrt();
        for j in 0..=100 {
            // 0.1 K clear of B23: the region 2 and 3 equations leave a gap of
            // up to ~0.02 K there, where (p,h) lands in region 2.
            let t = 623.16 + (t23 - 0.1 - 623.16) * f64::from(j) / 100.0;
            count += usize::from(check(p, t, &mut failures));
        }
    }
    assert!(count > 10_000);
    report(count, &failures);
}

/// Liquid and vapour states 1 mK to 1 K from the saturation line between
/// 623.15 K and the critical point, where the bracket is one-sided.
#[test]
fn region3_inverse_next_to_the_saturation_line() {
    let mut failures = Vec::new();
    let mut count = 0;
    for i in 0..=100 {
        let t_sat = 623.3 + (647.0 - 623.3) * f64::from(i) / 100.0;
        let p_sat = if97::saturation_pressure_mpa(t_sat).unwrap();
        for dt in [1e-3, 1e-2, 0.1, 1.0] {
            // Liquid: colder at the same pressure; vapour: hotter.
            count += usize::from(check(p_sat, t_sat - dt, &mut failures));
            count += usize::from(check(p_sat, t_sat + dt, &mut failures));
        }
    }
    assert!(count > 600);
    report(count, &failures);
}

/// A fine grid around the critical point (±0.2 MPa, ±0.5 K).
#[test]
fn region3_inverse_around_the_critical_point() {
    let mut failures = Vec::new();
    let mut count = 0;
    for i in -40..=40 {
        for j in -50..=50 {
            let p = if97::CRITICAL_PRESSURE_MPA + 0.005 * f64::from(i);
            let t = if97::CRITICAL_TEMPERATURE_K + 0.01 * f64::from(j) + 1e-4;
            if let Ok(ps) = if97::saturation_pressure_mpa(t)
                && (p / ps - 1.0).abs() < 1e-6
            {
                continue;
            }
            count += usize::from(check(p, t, &mut failures));
        }
    }
    assert!(count > 5000);
    report(count, &failures);
}
