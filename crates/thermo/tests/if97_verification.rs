//! IAPWS-IF97 against the IAPWS R7-97(2012) verification tables.
//!
//! Reads `shared/reference/iapws_if97_verification.jsonl` (Tables 5, 7, 9,
//! 15, 24, 29, 33, 35, 36 and 42 of R7-97, transcribed with their sources)
//! and checks every line at its stated tolerance. Every `function` in the
//! file must be known here: an unknown one fails the test rather than being
//! skipped, and the number of lines checked per table is asserted.

use std::collections::BTreeMap;

use serde_json::Value;
use thermo::if97;

/// A copy of the team's `shared/reference/iapws_if97_verification.jsonl`
/// (IAPWS R7-97(2012) verification tables, cross-checked against an
/// independent implementation), kept in the repository so a clean clone
/// tests the same values; `shared_reference_is_unchanged` catches drift.
const FILE: &str = "tests/data/iapws_if97_verification.jsonl";
/// The shared original, beside the checkout (present on the team's machines and in CI).
const SHARED: &str = "../../../shared/reference/iapws_if97_verification.jsonl";

/// Lines per table in the reference file (R7-97 Tables 5, 15, 33, 42 give
/// v, u, h, s and cp, w at three points each; the backward tables give T).
const EXPECTED_COUNTS: [(&str, usize); 10] = [
    ("R7-97 Table 15", 6),
    ("R7-97 Table 24", 9),
    ("R7-97 Table 29", 9),
    ("R7-97 Table 33", 6),
    ("R7-97 Table 35", 3),
    ("R7-97 Table 36", 3),
    ("R7-97 Table 42", 6),
    ("R7-97 Table 5", 6),
    ("R7-97 Table 7", 3),
    ("R7-97 Table 9", 3),
];

fn input(line: &Value, key: &str) -> f64 {
    line["inputs"][key]
        .as_f64()
        .unwrap_or_else(|| panic!("line without input {key}: {line}"))
}

fn pt_values(s: &if97::SteamProperties) -> BTreeMap<&'static str, f64> {
    BTreeMap::from([
        ("v_m3_per_kg", s.specific_volume_m3_kg),
        ("u_kJ_per_kg", s.internal_energy_kj_kg),
        ("h_kJ_per_kg", s.enthalpy_kj_kg),
        ("s_kJ_per_kgK", s.entropy_kj_kg_k),
        ("p_MPa", s.pressure_mpa),
        (
            "cp_kJ_per_kgK",
            s.cp_kj_kg_k.expect("cp of a single-phase state"),
        ),
        (
            "w_m_per_s",
            s.speed_of_sound_m_s.expect("w of a single-phase state"),
        ),
    ])
}

/// What this implementation gives for one line of the file.
fn actual(line: &Value) -> BTreeMap<&'static str, f64> {
    let function = line["function"].as_str().expect("function");
    let one =
        |key, v: Result<f64, thermo::ThermoError>| BTreeMap::from([(key, v.expect(function))]);
    match function {
        "region1(p,T)" | "region1 cp,w" => {
            pt_values(&if97::region1_pt(input(line, "p_MPa"), input(line, "T_K")).unwrap())
        }
        "region2(p,T)" | "region2 cp,w" => {
            pt_values(&if97::region2_pt(input(line, "p_MPa"), input(line, "T_K")).unwrap())
        }
        "region5(p,T)" | "region5 cp,w" => {
            pt_values(&if97::region5_pt(input(line, "p_MPa"), input(line, "T_K")).unwrap())
        }
        "region3(rho,T)" | "region3 cp,w" => pt_values(
            &if97::region3_rho_t(input(line, "rho_kg_per_m3"), input(line, "T_K")).unwrap(),
        ),
        "psat(T)" => one(
            "psat_MPa",
            if97::saturation_pressure_mpa(input(line, "T_K")),
        ),
        "Tsat(p)" => one(
            "Tsat_K",
            if97::saturation_temperature_k(input(line, "p_MPa")),
        ),
        "T1(p,h) backward" => one(
            "T_K",
            if97::backward::region1_temperature_ph(
                input(line, "p_MPa"),
                input(line, "h_kJ_per_kg"),
            ),
        ),
        "T1(p,s) backward" => one(
            "T_K",
            if97::backward::region1_temperature_ps(
                input(line, "p_MPa"),
                input(line, "s_kJ_per_kgK"),
            ),
        ),
        f if f.starts_with("T2(p,h) backward") => one(
            "T_K",
            if97::backward::region2_temperature_ph(
                input(line, "p_MPa"),
                input(line, "h_kJ_per_kg"),
            ),
        ),
        f if f.starts_with("T2(p,s) backward") => one(
            "T_K",
            if97::backward::region2_temperature_ps(
                input(line, "p_MPa"),
                input(line, "s_kJ_per_kgK"),
            ),
        ),
        other => panic!("unknown function '{other}' in {FILE}: teach this test about it"),
    }
}

/// The tolerance for one expected key: a per-quantity value (`v`, `u`, `h`,
/// `s`, `p`, `cp`, `w`) or one `value` for the whole line.
fn tolerance(line: &Value, key: &str) -> (bool, f64) {
    let tol = &line["tolerance"];
    let relative = match tol["type"].as_str() {
        Some("rel") => true,
        Some("abs") => false,
        other => panic!("unknown tolerance type {other:?} in {line}"),
    };
    let short = key.split('_').next().unwrap_or(key);
    let value = tol[short].as_f64().or_else(|| tol["value"].as_f64());
    (
        relative,
        value.unwrap_or_else(|| panic!("no tolerance for {key} in {line}")),
    )
}

/// Half a unit in the last digit of a published value, e.g. 5e-6 for 1067.36948.
fn half_unit_in_last_digit(published: f64) -> f64 {
    let text = format!("{published}");
    let decimals = text.split('.').nth(1).map_or(0, str::len);
    0.5 * 10f64.powi(-i32::try_from(decimals).unwrap_or(0))
}

#[test]
fn r7_97_verification_tables_5_7_9_15_24_29_33_35_36_42() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FILE);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("IAPWS verification file missing: {} ({e})", path.display()));
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut per_table: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut rounding_limited = Vec::new();
    for raw in &lines {
        let line: Value = serde_json::from_str(raw).expect("a JSON object per line");
        let table = line["iapws_table"]
            .as_str()
            .expect("iapws_table")
            .to_string();
        let got = actual(&line);
        let expected = line["expected"].as_object().expect("expected");
        assert!(!expected.is_empty(), "line without expected values: {raw}");
        for (key, want) in expected {
            let want = want.as_f64().expect("numeric expected value");
            let have = *got
                .get(key.as_str())
                .unwrap_or_else(|| panic!("no value for {key} in {raw}"));
            let (relative, tol) = tolerance(&line, key);
            let dev = if relative {
                (have - want).abs() / want.abs()
            } else {
                (have - want).abs()
            };
            if dev.is_nan() || dev > tol {
                let what = format!(
                    "{table} {} {key}: got {have}, expected {want}, deviation {dev:e} > {tol:e}",
                    line["inputs"]
                );
                if !relative && (have - want).abs() <= half_unit_in_last_digit(want) {
                    rounding_limited.push(what);
                } else {
                    failures.push(what);
                }
            }
        }
        *per_table.entry(table).or_default() += 1;
    }
    for (table, n) in &per_table {
        println!("{table}: {n} lines checked");
    }
    assert!(
        failures.is_empty(),
        "{} deviations:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for what in &rounding_limited {
        println!("within the rounding of the published value, not the stated tolerance: {what}");
    }
    // R7-97 Table 42 prints w(30 MPa, 2000 K) = 0.106736948e4, nine figures;
    // the file asks for 1e-6 m/s, below that rounding (5e-6 m/s). The exact
    // value of Eq. 32 is 1067.3694787774 (Python iapws gives the same digits),
    // 1.2e-6 from the printed one. Only this line may rely on the rounding.
    assert_eq!(
        rounding_limited.len(),
        1,
        "lines checked only to the published rounding: {rounding_limited:?}"
    );
    assert!(
        rounding_limited[0].starts_with("R7-97 Table 42 {\"T_K\":2000,\"p_MPa\":30} w_m_per_s")
    );
    let checked: usize = per_table.values().sum();
    assert_eq!(checked, lines.len(), "every line of the file is checked");
    let expected: BTreeMap<String, usize> = EXPECTED_COUNTS
        .iter()
        .map(|(t, n)| (t.to_string(), *n))
        .collect();
    assert_eq!(
        per_table, expected,
        "lines per table differ from the file as transcribed (54 lines)"
    );
}

/// The repository copy must equal the shared reference whenever the latter is
/// there; where it is not (a clone outside the workplace) say so.
#[test]
fn shared_reference_is_unchanged() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let Ok(shared) = std::fs::read_to_string(dir.join(SHARED)) else {
        println!("SKIPPED: shared/reference not beside the checkout; the repository copy is used");
        return;
    };
    let copy = std::fs::read_to_string(dir.join(FILE)).expect("repository copy");
    assert_eq!(
        copy, shared,
        "shared/reference changed: update crates/thermo/tests/data"
    );
}
