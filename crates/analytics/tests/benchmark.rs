//! The reference table and the comparison against it; fleet statistics
//! against numpy / scipy (peer file of tools/analytics_peer.py).

use std::collections::BTreeSet;

use analytics::benchmark::fleet::{MIN_PEERS, fleet_statistics};
use analytics::benchmark::{BenchmarkQuery, compare, references};
use serde_json::Value;

#[test]
fn every_reference_row_is_complete_and_sourced() {
    let rows = references();
    assert!(rows.len() >= 10);
    let mut ids = BTreeSet::new();
    for r in rows {
        assert!(ids.insert(r.id.as_str()), "duplicate id {}", r.id);
        assert!(
            r.efficiency_pct > 0.0 && r.efficiency_pct <= 100.0,
            "{}",
            r.id
        );
        assert!(r.source.len() > 30, "{}: source too short", r.id);
        assert!(!r.note.is_empty(), "{}: no note", r.id);
        assert!(["hhv", "lhv"].contains(&r.basis.as_str()), "{}", r.id);
        assert!(
            [
                "typical",
                "best_practice",
                "label_threshold",
                "regulatory_minimum"
            ]
            .contains(&r.level.as_str()),
            "{}",
            r.id
        );
        if let (Some(lo), Some(hi)) = (r.size_min_kw, r.size_max_kw) {
            assert!(lo < hi, "{}", r.id);
        }
    }
    // A row read from the DOE tip sheet table, to catch an edit of the file:
    // Steam Tip Sheet #4 (2006), natural gas, 44.9 % excess air, 400 °F → 78.2 %.
    let untuned = rows
        .iter()
        .find(|r| r.id == "doe-steam-tip4-ng-untuned")
        .unwrap();
    assert_eq!(untuned.efficiency_pct, 78.2);
}

#[test]
fn applicable_rows_gap_and_energy_of_the_gap() {
    // A 1.5 MW (input) gas steam boiler at 80 % making 8 GWh of steam a year.
    let q = BenchmarkQuery {
        process_type: "boiler".into(),
        fuel: Some("natural_gas".into()),
        capacity_kw: Some(1500.0),
        efficiency_pct: 80.0,
        annual_output_kwh: Some(8.0e6),
    };
    let gaps = compare(&q, references()).unwrap();
    let ids: Vec<&str> = gaps.iter().map(|g| g.reference.id.as_str()).collect();
    assert!(ids.contains(&"femp-2022-large-gas-steam"), "{ids:?}");
    assert!(ids.contains(&"doe-steam-tip4-ng-tuned"));
    assert!(!ids.iter().any(|i| i.contains("oil")), "{ids:?}");
    assert!(
        !ids.contains(&"energystar-me2012-residential-gas"),
        "size 1500 kW is not residential"
    );
    assert!(!ids.contains(&"eu-ecodesign-813-2013-boiler-70-400kw-full-load"));
    let steam = gaps
        .iter()
        .find(|g| g.reference.id == "femp-2022-large-gas-steam")
        .unwrap();
    // 83.0 − 80.0 = 3 points; 8e6/0.80 − 8e6/0.83 = 1e7 − 9 638 554.2 = 361 445.8 kWh.
    assert!((steam.gap_points - 3.0).abs() < 1e-12);
    assert!((steam.gap_energy_kwh_per_year.unwrap() - 361_445.783_132_5).abs() < 1e-3);
    assert!(steam.size_checked);
    // Better than the untuned example: a negative gap.
    let untuned = gaps
        .iter()
        .find(|g| g.reference.id == "doe-steam-tip4-ng-untuned")
        .unwrap();
    assert!(untuned.gap_points < 0.0 && untuned.gap_energy_kwh_per_year.unwrap() < 0.0);
    // Without a capacity, sized rows apply but say their size was not checked.
    let no_size = compare(
        &BenchmarkQuery {
            capacity_kw: None,
            annual_output_kwh: None,
            ..q.clone()
        },
        references(),
    )
    .unwrap();
    let femp = no_size
        .iter()
        .find(|g| g.reference.id == "femp-2022-large-gas-steam")
        .unwrap();
    assert!(!femp.size_checked && femp.gap_energy_kwh_per_year.is_none());
    // An unknown process type has no reference; a bad efficiency is refused.
    assert!(
        compare(
            &BenchmarkQuery {
                process_type: "kiln".into(),
                ..q.clone()
            },
            references()
        )
        .unwrap()
        .is_empty()
    );
    assert!(
        compare(
            &BenchmarkQuery {
                efficiency_pct: 0.0,
                ..q.clone()
            },
            references()
        )
        .is_err()
    );
    assert!(
        compare(
            &BenchmarkQuery {
                efficiency_pct: f64::NAN,
                ..q
            },
            references()
        )
        .is_err()
    );
}

#[test]
fn fleet_statistics_are_withheld_below_five_peers() {
    let s = fleet_statistics(80.0, &[70.0, 75.0, 85.0, 90.0]).unwrap();
    assert!(s.withheld && s.n == 4 && s.median.is_none() && s.percentile.is_none());
    assert_eq!(MIN_PEERS, 5);
    let s = fleet_statistics(80.0, &[70.0, 75.0, 85.0, 90.0, 95.0]).unwrap();
    assert!(!s.withheld);
    // 2 of 5 below: 40th percentile; median of 70 75 85 90 95 is 85.
    assert_eq!(s.percentile, Some(40.0));
    assert_eq!(s.median, Some(85.0));
    assert!(fleet_statistics(80.0, &[f64::NAN; 6]).is_err());
}

#[test]
fn fleet_statistics_match_numpy_and_scipy() {
    let required = std::env::var("THERMALIQ_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
    let Ok(path) = std::env::var("ANALYTICS_PEER_FILE") else {
        assert!(
            !required,
            "THERMALIQ_REQUIRE_SERVICES=1 but ANALYTICS_PEER_FILE is not set"
        );
        println!("SKIPPED: ANALYTICS_PEER_FILE not set (run tools/analytics_peer.py)");
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut n = 0;
    for line in text.lines() {
        let l: Value = serde_json::from_str(line).unwrap();
        if l["kind"] != "fleet" {
            continue;
        }
        let peers: Vec<f64> = l["peers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let s = fleet_statistics(l["value"].as_f64().unwrap(), &peers).unwrap();
        for (got, key) in [
            (s.p25, "p25"),
            (s.median, "median"),
            (s.p75, "p75"),
            (s.percentile, "percentile"),
        ] {
            let want = l[key].as_f64().unwrap();
            assert!(
                (got.unwrap() - want).abs() < 1e-9,
                "{key}: {got:?} vs {want} in {l}"
            );
        }
        n += 1;
    }
    assert!(n >= 10, "only {n} fleet lines");
}
