//! Surface losses against textbook examples.

use thermo::heat_transfer::{
    OpeningSpec, STEFAN_BOLTZMANN_W_M2_K4, SurfaceSpec, opening_loss, surface_loss,
};

fn surface(json: &str) -> SurfaceSpec {
    serde_json::from_str(json).unwrap()
}

/// Çengel & Ghajar, *Heat and Mass Transfer*, Example 9-1 "Heat loss from
/// hot water pipes": 6 m of 8 cm pipe at 70 °C in 20 °C air: Ra = 1.869e6,
/// Nu = 17.40, h = 5.869 W/(m² K), Q_conv = 443 W. Çengel evaluates air at
/// 45 °C from his Table A-15 (k = 0.02699); we use Incropera Table A.4
/// (k ≈ 0.0276 at 318 K), so we allow 5 %.
#[test]
fn cengel_example_9_1_horizontal_pipe() {
    let area = std::f64::consts::PI * 0.08 * 6.0;
    let s = surface(&format!(
        r#"{{"area_m2": {area}, "temperature_c": 70, "emissivity": 1.0, "orientation": "cylinder", "diameter_m": 0.08, "ambient_temperature_c": 20}}"#
    ));
    let l = surface_loss(&s, 25.0, "surfaces[0]").unwrap();
    assert!(
        (l.convection_w - 443.0).abs() / 443.0 < 0.05,
        "{}",
        l.convection_w
    );
    // Ra ∝ Pr/ν²: Incropera's ν and Pr at 318 K are 1.1 % and 2.7 % off
    // Çengel's, so Ra differs by about 5 %.
    assert!(
        (l.rayleigh - 1.869e6).abs() / 1.869e6 < 0.07,
        "{}",
        l.rayleigh
    );
    // Radiation, black surface, from first principles with CODATA σ:
    // σ A (343.15⁴ − 293.15⁴) = 554 W (Çengel reports 553 W with σ = 5.67e-8).
    let q_rad = STEFAN_BOLTZMANN_W_M2_K4 * area * (343.15f64.powi(4) - 293.15f64.powi(4));
    assert!((l.radiation_w - q_rad).abs() < 1e-9);
    assert!((l.radiation_w - 553.0).abs() < 3.0, "{}", l.radiation_w);
}

/// Incropera & DeWitt 6th ed., Example 9.2 (glass-door fire screen 0.71 m
/// high at 232 °C in a 23 °C room): the text finds Ra_L = 1.813e9 (turbulent,
/// Churchill-Chu). Only Ra is asserted; h follows from Eq. 9.26.
#[test]
fn incropera_vertical_plate_rayleigh_and_h() {
    let s = surface(
        r#"{"area_m2": 0.7242, "temperature_c": 232, "emissivity": 1.0, "orientation": "vertical", "height_m": 0.71, "ambient_temperature_c": 23}"#,
    );
    let l = surface_loss(&s, 25.0, "surfaces[0]").unwrap();
    assert!(
        (l.rayleigh - 1.813e9).abs() / 1.813e9 < 0.03,
        "{}",
        l.rayleigh
    );
    assert!(l.correlation.contains("Churchill-Chu"));
}

#[test]
fn wind_raises_convection_and_orientations_differ() {
    let base =
        r#""area_m2": 10, "temperature_c": 80, "emissivity": 0.9, "ambient_temperature_c": 20"#;
    let up = surface_loss(
        &surface(&format!(r#"{{{base}, "orientation": "horizontal_up"}}"#)),
        25.0,
        "s",
    )
    .unwrap();
    let down = surface_loss(
        &surface(&format!(r#"{{{base}, "orientation": "horizontal_down"}}"#)),
        25.0,
        "s",
    )
    .unwrap();
    let windy = surface_loss(
        &surface(&format!(
            r#"{{{base}, "orientation": "vertical", "wind_speed_m_s": 5}}"#
        )),
        25.0,
        "s",
    )
    .unwrap();
    let still = surface_loss(
        &surface(&format!(r#"{{{base}, "orientation": "vertical"}}"#)),
        25.0,
        "s",
    )
    .unwrap();
    assert!(up.convection_w > down.convection_w);
    assert!(windy.convection_w > 2.0 * still.convection_w);
    assert_eq!(up.radiation_w, down.radiation_w);
}

#[test]
fn surface_errors_name_the_field() {
    let e = surface_loss(
        &surface(
            r#"{"area_m2": 1, "temperature_c": 80, "emissivity": 0.9, "orientation": "cylinder"}"#,
        ),
        25.0,
        "surfaces[2]",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "surfaces[2].diameter_m: is required for orientation \"cylinder\""
    );
    let e = surface_loss(
        &surface(
            r#"{"area_m2": 1, "temperature_c": 80, "emissivity": 1.5, "orientation": "vertical"}"#,
        ),
        25.0,
        "surfaces[0]",
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("surfaces[0].emissivity"), "{e}");
    assert!(
        serde_json::from_str::<SurfaceSpec>(
            r#"{"area_m2": 1, "temperature_c": 80, "emissivity": 0.9, "orientation": "slanted"}"#
        )
        .is_err()
    );
}

/// Radiation through an opening, first principles: a 0.3 m × 0.3 m door of a
/// 1000 °C furnace into 25 °C, black, F = 1: σ A (1273.15⁴ − 298.15⁴) = 13.368 kW.
/// Through a 0.3 m wall the aligned-square view factor (Incropera Table
/// 13.2, X/L = Y/L = 1) is 0.1998.
#[test]
fn furnace_opening() {
    let o: OpeningSpec =
        serde_json::from_str(r#"{"area_m2": 0.09, "furnace_temperature_c": 1000}"#).unwrap();
    let q = opening_loss(&o, 25.0, "openings[0]").unwrap();
    assert!((q.radiation_w - 13_368.0).abs() < 2.0, "{}", q.radiation_w);
    let o: OpeningSpec = serde_json::from_str(r#"{"area_m2": 0.09, "furnace_temperature_c": 1000, "wall_thickness_m": 0.3, "width_m": 0.3, "height_m": 0.3}"#).unwrap();
    let q2 = opening_loss(&o, 25.0, "openings[0]").unwrap();
    assert!((q2.view_factor - 0.1998).abs() < 1e-3);
}
