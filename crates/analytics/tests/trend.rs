//! Trends and change points on generated series with planted steps, at
//! several noise levels (seeded, so every run sees the same series).

use analytics::rng::Rng;
use analytics::trend::{
    CalculationPoint, ChangePointSettings, Interval, SeriesPoint, TrendSettings,
    aggregate_efficiency, analyze_trend, detect_change_points, linear_trend, rolling_mean,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

fn stepped(n: usize, steps: &[(usize, f64)], sigma: f64, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let level: f64 = 82.0 + steps.iter().filter(|s| i >= s.0).map(|s| s.1).sum::<f64>();
            level + sigma * rng.normal()
        })
        .collect()
}

fn hourly(values: &[f64]) -> Vec<SeriesPoint> {
    let t0 = datetime!(2025-01-01 00:00 UTC);
    values
        .iter()
        .enumerate()
        .map(|(i, v)| SeriesPoint {
            time: t0 + Duration::hours(i as i64),
            value: *v,
        })
        .collect()
}

#[test]
fn a_planted_drop_is_found_near_its_place_and_flagged_at_every_noise_level() {
    let settings = ChangePointSettings::default();
    // A year of hours, a 4-point drop at hour 5000; noise σ from 0.5 to 2 points.
    for (sigma, tolerance) in [(0.5, 2usize), (1.0, 6), (2.0, 25)] {
        for seed in 1..=5 {
            let v = stepped(8760, &[(5000, -4.0)], sigma, seed);
            let cps = detect_change_points(&v, &settings).unwrap();
            assert_eq!(cps.len(), 1, "σ={sigma} seed={seed}: {cps:?}");
            let c = &cps[0];
            assert!(
                c.index.abs_diff(5000) <= tolerance,
                "σ={sigma} seed={seed}: at {}",
                c.index
            );
            assert!(
                (c.shift_points + 4.0).abs() < 0.2,
                "σ={sigma}: shift {}",
                c.shift_points
            );
            assert!(c.degradation);
        }
    }
    // A year of days, a 3-point drop at day 200, σ up to 1.5.
    for sigma in [0.5, 1.0, 1.5] {
        for seed in 11..=15 {
            let v = stepped(365, &[(200, -3.0)], sigma, seed);
            let cps = detect_change_points(&v, &settings).unwrap();
            assert_eq!(cps.len(), 1, "daily σ={sigma} seed={seed}: {cps:?}");
            assert!(
                cps[0].index.abs_diff(200) <= 10,
                "daily σ={sigma}: {}",
                cps[0].index
            );
            assert!(cps[0].degradation);
        }
    }
}

#[test]
fn a_series_without_a_step_has_no_change_point() {
    for sigma in [0.5, 1.0, 2.0] {
        for seed in 21..=30 {
            let v = stepped(8760, &[], sigma, seed);
            let cps = detect_change_points(&v, &ChangePointSettings::default()).unwrap();
            assert!(cps.is_empty(), "σ={sigma} seed={seed}: {cps:?}");
        }
    }
}

#[test]
fn rises_and_small_drops_are_change_points_but_not_degradation() {
    let settings = ChangePointSettings::default();
    let up = detect_change_points(&stepped(2000, &[(1000, 3.0)], 1.0, 7), &settings).unwrap();
    assert_eq!(up.len(), 1);
    assert!(!up[0].degradation && up[0].shift_points > 2.5);
    let small = detect_change_points(&stepped(2000, &[(1000, -1.0)], 0.2, 8), &settings).unwrap();
    assert_eq!(small.len(), 1);
    assert!(
        !small[0].degradation,
        "a 1-point drop is under the 2-point threshold"
    );
    let strict = ChangePointSettings {
        degradation_threshold_points: 0.5,
        ..settings
    };
    let small = detect_change_points(&stepped(2000, &[(1000, -1.0)], 0.2, 8), &strict).unwrap();
    assert!(small[0].degradation);
}

#[test]
fn two_steps_are_both_found_and_segments_respect_the_minimum_length() {
    let v = stepped(3000, &[(1000, -5.0), (2000, 3.0)], 1.0, 3);
    let cps = detect_change_points(&v, &ChangePointSettings::default()).unwrap();
    let at: Vec<usize> = cps.iter().map(|c| c.index).collect();
    assert_eq!(at.len(), 2, "{at:?}");
    assert!(
        at[0].abs_diff(1000) <= 5 && at[1].abs_diff(2000) <= 5,
        "{at:?}"
    );
    assert!(cps[0].degradation && !cps[1].degradation);
    // A jump 3 points from the start cannot make a segment shorter than 10.
    let mut v = vec![80.0; 200];
    v[..3].iter_mut().for_each(|x| *x = 60.0);
    let s = ChangePointSettings {
        min_segment_len: 10,
        ..ChangePointSettings::default()
    };
    for c in detect_change_points(&v, &s).unwrap() {
        assert!(c.index >= 10 && c.index <= 190, "{c:?}");
    }
    // Noise-free: the step is found exactly, a constant series has none.
    let mut v = vec![80.0; 100];
    v[40..].iter_mut().for_each(|x| *x = 77.0);
    let cps = detect_change_points(&v, &ChangePointSettings::default()).unwrap();
    assert_eq!(cps.iter().map(|c| c.index).collect::<Vec<_>>(), [40]);
    assert!(
        detect_change_points(&[80.0; 100], &ChangePointSettings::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn the_trend_interval_covers_the_true_slope_about_95_percent_of_the_time() {
    // Three years of daily points, slope −1.5 points a year, σ = 1 point.
    let t0 = datetime!(2023-01-01 00:00 UTC);
    let slope = -1.5;
    let mut covered = 0;
    let runs = 400;
    for seed in 0..runs {
        let mut rng = Rng::new(1000 + seed);
        let pts: Vec<SeriesPoint> = (0..1095)
            .map(|d| {
                let t = t0 + Duration::days(d);
                let years = (t - t0).as_seconds_f64() / (365.25 * 86_400.0);
                SeriesPoint {
                    time: t,
                    value: 85.0 + slope * years + rng.normal(),
                }
            })
            .collect();
        let tr = linear_trend(&pts).unwrap();
        if tr.ci95_low <= slope && slope <= tr.ci95_high {
            covered += 1;
        }
    }
    // Binomial(400, 0.95): mean 380, sd 4.4; 366..394 is ±3.2 sd.
    assert!(
        (366..=394).contains(&covered),
        "covered {covered} of {runs}"
    );
}

#[test]
fn noise_free_trend_is_exact_and_rolling_mean_by_hand() {
    let t0 = datetime!(2024-01-01 00:00 UTC);
    let pts: Vec<SeriesPoint> = (0..10)
        .map(|i| SeriesPoint {
            time: t0 + Duration::seconds_f64(i as f64 * 365.25 * 86_400.0 / 4.0),
            value: 90.0 - 2.0 * (i as f64 / 4.0),
        })
        .collect();
    let tr = linear_trend(&pts).unwrap();
    assert!((tr.slope_points_per_year + 2.0).abs() < 1e-9, "{tr:?}");
    assert!(tr.ci95_high - tr.ci95_low < 1e-6);
    assert!(linear_trend(&pts[..2]).is_none());
    let rm = rolling_mean(&[1.0, 2.0, 3.0, 4.0, 10.0], 3);
    assert_eq!(rm, [None, None, Some(2.0), Some(3.0), Some(17.0 / 3.0)]);
}

#[test]
fn analyze_trend_puts_times_on_change_points_and_refuses_disorder() {
    let v = stepped(8760, &[(6000, -5.0)], 1.0, 99);
    let pts = hourly(&v);
    let a = analyze_trend(&pts, &TrendSettings::default()).unwrap();
    assert_eq!(a.change_points.len(), 1);
    let c = &a.change_points[0];
    assert_eq!(c.time, Some(pts[c.index].time));
    assert_eq!(a.rolling_mean.len(), 8760);
    assert!(a.trend.unwrap().slope_points_per_year < 0.0);
    let mut bad = pts.clone();
    bad.swap(3, 4);
    assert!(analyze_trend(&bad, &TrendSettings::default()).is_err());
}

#[test]
fn calculations_are_grouped_by_interval_and_weighted_by_energy() {
    let at = |s: OffsetDateTime, i: f64, o: f64| CalculationPoint {
        time: s,
        input_kwh: i,
        output_kwh: o,
    };
    let calcs = [
        at(datetime!(2025-11-05 10:15 UTC), 1000.0, 900.0),
        at(datetime!(2025-11-05 10:45 UTC), 100.0, 50.0),
        at(datetime!(2025-11-05 11:00 UTC), 10.0, 8.0),
        at(datetime!(2025-11-10 00:00 UTC), 200.0, 150.0),
    ];
    let hours = aggregate_efficiency(&calcs, Interval::Hour).unwrap();
    assert_eq!(hours.len(), 3);
    // (900 + 50) / (1000 + 100) = 86.3636…, not the mean of 90 % and 50 %.
    assert!((hours[0].efficiency_pct - 950.0 / 1100.0 * 100.0).abs() < 1e-12);
    assert_eq!(hours[0].start, datetime!(2025-11-05 10:00 UTC));
    // 2025-11-05 is a Wednesday: its ISO week starts on Monday 2025-11-03.
    let weeks = aggregate_efficiency(&calcs, Interval::Week).unwrap();
    assert_eq!(weeks[0].start, datetime!(2025-11-03 00:00 UTC));
    assert_eq!(weeks[0].calculations, 3);
    assert_eq!(weeks[1].start, datetime!(2025-11-10 00:00 UTC));
    let months = aggregate_efficiency(&calcs, Interval::Month).unwrap();
    assert_eq!(months.len(), 1);
    assert_eq!(months[0].start, datetime!(2025-11-01 00:00 UTC));
    assert!((months[0].efficiency_pct - 1108.0 / 1310.0 * 100.0).abs() < 1e-12);
    assert!(
        aggregate_efficiency(
            &[at(datetime!(2025-01-01 00:00 UTC), -1.0, 0.0)],
            Interval::Day
        )
        .is_err()
    );
}
