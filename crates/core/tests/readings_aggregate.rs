//! Period aggregation against energies known from the data generator: every
//! expected value below is computed from the profile that generated the
//! readings (an analytical integral or a hand sum), never by the code under
//! test.

use std::f64::consts::PI;

use thermaliq_core::readings::{
    AggregationOptions, Channel, ChannelAccumulator, ChannelKind, ChannelResult, ChannelRole,
    ChannelUnit, Facility, FacilityAggregator, Quality, Reading, Schedule, Stamping,
    build_normalized_input, closed_periods, fetch_window, parse_facility, sort_readings,
};
use thermaliq_core::request::TimePeriod;
use thermaliq_core::settings::CalculationMode;
use thermo::power::PowerUnit;
use thermo::units::EnergyUnit;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

fn channel(tag: &str, kind: ChannelKind, unit: ChannelUnit) -> Channel {
    Channel {
        tag: tag.to_owned(),
        role: ChannelRole::Input,
        category: "fuel".to_owned(),
        kind,
        unit,
        meter_id: None,
        rollover_value: None,
        interval_minutes: None,
        stamping: None,
        plausible_max_kw: None,
        uncertainty_pct: None,
        source: Default::default(),
    }
}

fn power_kw(tag: &str) -> Channel {
    channel(tag, ChannelKind::Power, ChannelUnit::Power(PowerUnit::KW))
}

fn counter_kwh(tag: &str, rollover: Option<f64>) -> Channel {
    let mut c = channel(
        tag,
        ChannelKind::Counter,
        ChannelUnit::Energy(EnergyUnit::KWh),
    );
    c.rollover_value = rollover;
    c
}

fn interval_kwh(tag: &str, minutes: u32, stamping: Stamping) -> Channel {
    let mut c = channel(
        tag,
        ChannelKind::IntervalEnergy,
        ChannelUnit::Energy(EnergyUnit::KWh),
    );
    c.interval_minutes = Some(minutes);
    c.stamping = Some(stamping);
    c
}

fn period(start: OffsetDateTime, end: OffsetDateTime) -> TimePeriod {
    TimePeriod { start, end }
}

fn day() -> TimePeriod {
    period(
        datetime!(2025-11-01 00:00 UTC),
        datetime!(2025-11-02 00:00 UTC),
    )
}

/// Readings of `profile` (kW, as a function of seconds since `from`) every
/// `step`, from `from` to `to` inclusive.
fn sample(
    from: OffsetDateTime,
    to: OffsetDateTime,
    step: Duration,
    profile: impl Fn(f64) -> f64,
) -> Vec<Reading> {
    let mut out = Vec::new();
    let mut t = from;
    while t <= to {
        let s = (t - from).as_seconds_f64();
        out.push(Reading::good(t, profile(s)));
        t += step;
    }
    out
}

fn aggregate(channel: &Channel, p: &TimePeriod, readings: &[Reading]) -> ChannelResult {
    let mut acc = ChannelAccumulator::new(channel, p, &AggregationOptions::default());
    for r in readings {
        acc.push(*r);
    }
    acc.finish()
}

#[test]
fn constant_power_integrates_exactly() {
    // 500 kW for 24 h = 12 000 kWh; the trapezoid rule is exact for a linear profile.
    let readings = sample(day().start, day().end, Duration::minutes(1), |_| 500.0);
    let r = aggregate(&power_kw("p"), &day(), &readings);
    assert!((r.energy_kwh - 12_000.0).abs() < 1e-9, "{}", r.energy_kwh);
    assert_eq!(r.completeness, 1.0);
    assert_eq!(r.counts.readings, 1441);
    assert!(!r.stale);
}

/// P(t) = P0 + A·sin(2πt/T): over whole periods T the integral is P0 × duration.
/// The composite trapezoid error bound is |E| ≤ (b − a)·h²/12 · max|P''|, with
/// max|P''| = A(2π/T)².
#[test]
fn sinusoidal_power_matches_the_analytical_integral_within_the_trapezoid_bound() {
    let (p0, a) = (800.0, 300.0);
    for (period_s, step_s) in [(3_600.0, 60.0), (3_000.0, 420.0), (86_400.0 / 7.0, 300.0)] {
        let profile = |t: f64| p0 + a * (2.0 * PI * t / period_s).sin();
        let readings = sample(
            day().start - Duration::minutes(15),
            day().end + Duration::minutes(15),
            Duration::seconds_f64(step_s),
            |t| profile(t - 900.0),
        );
        let r = aggregate(&power_kw("p"), &day(), &readings);
        let duration_s: f64 = 86_400.0;
        // 24 h holds a whole number of periods in each case (24, 28.8 is not: check below).
        let whole = (duration_s / period_s).fract() == 0.0;
        let exact_kwh = if whole {
            p0 * 24.0
        } else {
            // ∫₀ᴰ P dt = P0·D + A·T/(2π)·(1 − cos(2πD/T)), in kW·s, then / 3600.
            (p0 * duration_s
                + a * period_s / (2.0 * PI) * (1.0 - (2.0 * PI * duration_s / period_s).cos()))
                / 3_600.0
        };
        let bound_kwh =
            duration_s * step_s * step_s / 12.0 * a * (2.0 * PI / period_s).powi(2) / 3_600.0;
        let err = (r.energy_kwh - exact_kwh).abs();
        assert!(
            err <= bound_kwh,
            "T={period_s}s h={step_s}s: got {} kWh, exact {exact_kwh} kWh, |err| {err} > bound {bound_kwh}",
            r.energy_kwh
        );
        assert_eq!(r.completeness, 1.0);
    }
}

#[test]
fn gaps_beyond_the_limit_are_not_bridged_and_completeness_drops_exactly() {
    let mut readings = sample(day().start, day().end, Duration::minutes(1), |_| 600.0);
    // A 30-minute hole: readings at 10:00 and 10:30, none between.
    let hole = (
        datetime!(2025-11-01 10:00 UTC),
        datetime!(2025-11-01 10:30 UTC),
    );
    readings.retain(|r| r.timestamp <= hole.0 || r.timestamp >= hole.1);
    // A hole of exactly 15 minutes (the limit) is bridged: 14:00 to 14:15.
    readings.retain(|r| {
        r.timestamp <= datetime!(2025-11-01 14:00 UTC)
            || r.timestamp >= datetime!(2025-11-01 14:15 UTC)
    });
    let r = aggregate(&power_kw("p"), &day(), &readings);
    assert_eq!(r.completeness, (1440.0 - 30.0) / 1440.0);
    assert!(
        (r.energy_kwh - 600.0 * 23.5).abs() < 1e-9,
        "{}",
        r.energy_kwh
    );
    assert_eq!(r.counts.gaps, 1);

    // A longer limit bridges the 30-minute hole.
    let options = AggregationOptions {
        max_interpolation_gap: Duration::minutes(30),
        ..AggregationOptions::default()
    };
    let mut acc = ChannelAccumulator::new(&power_kw("p"), &day(), &options);
    readings.iter().for_each(|r| acc.push(*r));
    let r = acc.finish();
    assert_eq!(r.completeness, 1.0);
    assert!((r.energy_kwh - 600.0 * 24.0).abs() < 1e-9);
}

#[test]
fn a_channel_silent_at_the_end_is_stale() {
    let readings = sample(
        day().start,
        datetime!(2025-11-01 23:00 UTC),
        Duration::minutes(5),
        |_| 100.0,
    );
    let r = aggregate(&power_kw("p"), &day(), &readings);
    assert!(r.stale, "no reading in the last 60 min > 2 × 15 min");
    assert_eq!(r.completeness, 23.0 / 24.0);
    let r = aggregate(&power_kw("p"), &day(), &[]);
    assert!(r.stale);
    assert_eq!(r.completeness, 0.0);
    assert_eq!(r.energy_kwh, 0.0);
}

/// A deterministic shuffle (no RNG dependency): a fixed LCG permutation.
fn shuffle<T>(v: &mut [T]) {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in (1..v.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        let j = (state >> 33) as usize % (i + 1);
        v.swap(i, j);
    }
}

#[test]
fn duplicated_and_unordered_rows_count_once_after_sorting() {
    let clean = sample(day().start, day().end, Duration::minutes(1), |_| 250.0);
    let mut messy = clean.clone();
    messy.extend_from_slice(&clean[100..400]); // 300 duplicates
    shuffle(&mut messy);

    // Fed unsorted, the accumulator does not guess: it flags what it ignored.
    let unsorted = aggregate(&power_kw("p"), &day(), &messy);
    assert!(unsorted.counts.out_of_order > 0);

    sort_readings(&mut messy);
    let r = aggregate(&power_kw("p"), &day(), &messy);
    assert!((r.energy_kwh - 250.0 * 24.0).abs() < 1e-9);
    assert_eq!(r.counts.duplicates, 300);
    assert_eq!(r.counts.readings, 1441);
    assert_eq!(r.counts.out_of_order, 0);
    assert_eq!(r.completeness, 1.0);
}

#[test]
fn counter_rollover_is_unwrapped() {
    // 120 kW for 24 h = 2880 kWh, read every 5 min (10 kWh per reading) on a
    // register that wraps at 10 000 kWh and starts at 9 000 kWh.
    let rollover = 10_000.0;
    let readings: Vec<Reading> = (0..=288)
        .map(|i| {
            let t = day().start + Duration::minutes(5 * i);
            Reading::good(t, (9_000.0 + 10.0 * i as f64) % rollover)
        })
        .collect();
    let r = aggregate(&counter_kwh("c", Some(rollover)), &day(), &readings);
    assert!((r.energy_kwh - 2_880.0).abs() < 1e-6, "{}", r.energy_kwh);
    assert_eq!(r.counts.rollovers, 1);
    assert_eq!(r.counts.resets, 0);
    assert_eq!(r.completeness, 1.0);
}

#[test]
fn counter_reset_counts_the_new_value_and_is_flagged() {
    // 60 kW, read every 10 min (10 kWh each). The meter is reset to 0 right
    // after the 12:00 reading, so at 12:10 it reads 10 kWh.
    let readings: Vec<Reading> = (0..=144)
        .map(|i| {
            let t = day().start + Duration::minutes(10 * i);
            let register = if i <= 72 {
                5_000.0 + 10.0 * i as f64
            } else {
                10.0 * (i - 72) as f64
            };
            Reading::good(t, register)
        })
        .collect();
    // Without a rollover value every drop is a reset.
    let r = aggregate(&counter_kwh("c", None), &day(), &readings);
    assert!((r.energy_kwh - 1_440.0).abs() < 1e-9, "{}", r.energy_kwh);
    assert_eq!(r.counts.resets, 1);
    // With a rollover value, a drop that would mean running through more than
    // half the register is a reset too.
    let r = aggregate(&counter_kwh("c", Some(1e6)), &day(), &readings);
    assert!((r.energy_kwh - 1_440.0).abs() < 1e-9);
    assert_eq!((r.counts.resets, r.counts.rollovers), (1, 0));
    let report = thermaliq_core::readings::DataQualityReport::from_results(vec![r]);
    let warnings = report
        .check_completeness(0.95, CalculationMode::Strict)
        .unwrap();
    assert_eq!(warnings[0].code, "counter_reset");
}

#[test]
fn counter_increase_is_prorated_across_the_period_edges() {
    // 90 kW constant, readings every 10 min at :05, :15, ...: the hour
    // 01:00–02:00 gets half of the 00:55–01:05 and 01:55–02:05 increases.
    let p = period(
        datetime!(2025-11-01 01:00 UTC),
        datetime!(2025-11-01 02:00 UTC),
    );
    let readings: Vec<Reading> = (0..20)
        .map(|i| {
            let t = datetime!(2025-11-01 00:05 UTC) + Duration::minutes(10 * i);
            Reading::good(t, 15.0 * i as f64)
        })
        .collect();
    let r = aggregate(&counter_kwh("c", None), &p, &readings);
    assert!((r.energy_kwh - 90.0).abs() < 1e-9, "{}", r.energy_kwh);
    assert_eq!(r.completeness, 1.0);
}

#[test]
fn partial_intervals_at_the_edges_with_both_stamping_conventions() {
    // The energy of the hour [h, h+1) is 10·(h+1) kWh. The period 00:30–02:30
    // holds half of hour 0, all of hour 1 and half of hour 2:
    // 0.5·10 + 20 + 0.5·30 = 40 kWh.
    let p = period(
        datetime!(2025-11-01 00:30 UTC),
        datetime!(2025-11-01 02:30 UTC),
    );
    let hour = |h: i64| datetime!(2025-11-01 00:00 UTC) + Duration::hours(h);
    for stamping in [Stamping::IntervalStart, Stamping::IntervalEnd] {
        let c = interval_kwh("e", 60, stamping);
        let readings: Vec<Reading> = (0..3)
            .map(|h| {
                let stamp = match stamping {
                    Stamping::IntervalStart => hour(h),
                    Stamping::IntervalEnd => hour(h + 1),
                };
                Reading::good(stamp, 10.0 * (h + 1) as f64)
            })
            .collect();
        // The fetch window reaches every reading whose interval overlaps.
        let facility = Facility {
            channels: vec![c.clone()],
            ..minimal_facility()
        };
        let w = fetch_window(&facility, &p, &AggregationOptions::default());
        assert!(
            readings
                .iter()
                .all(|r| w.start <= r.timestamp && r.timestamp <= w.end)
        );
        let r = aggregate(&c, &p, &readings);
        assert!(
            (r.energy_kwh - 40.0).abs() < 1e-12,
            "{stamping:?}: {}",
            r.energy_kwh
        );
        assert_eq!(r.completeness, 1.0);
        assert_eq!(r.intervals_expected, Some(2));
        assert_eq!(r.intervals_present, Some(3));
    }
}

#[test]
fn missing_and_bad_intervals_lower_completeness_exactly() {
    // 96 quarter-hours of 25 kWh; 3 missing, 2 bad, 1 uncertain.
    let c = interval_kwh("e", 15, Stamping::IntervalEnd);
    let mut readings = Vec::new();
    for i in 1..=96 {
        let t = day().start + Duration::minutes(15 * i);
        match i {
            10..=12 => continue,
            20 | 21 => readings.push(Reading::new(t, 25.0, Quality::Bad)),
            30 => readings.push(Reading::new(t, 25.0, Quality::Uncertain)),
            _ => readings.push(Reading::good(t, 25.0)),
        }
    }
    let r = aggregate(&c, &day(), &readings);
    assert_eq!(r.energy_kwh, 25.0 * 91.0);
    assert_eq!(r.intervals_expected, Some(96));
    assert_eq!(r.intervals_present, Some(91));
    assert_eq!(r.completeness, 91.0 / 96.0);
    assert_eq!((r.counts.bad, r.counts.uncertain), (2, 1));
    // score = 100 × C × (1 − u/2), u = 1/93 distinct readings.
    let expected_score = 100.0 * (91.0 / 96.0) * (1.0 - (1.0 / 93.0) / 2.0);
    assert!((r.score - expected_score).abs() < 1e-9);
}

/// Europe/Berlin follows the EU rule (tzdb `Rule EU 1981 max - Mar lastSun
/// 1:00u 1:00 S` / `Oct lastSun 1:00u 0 -`): 2025-03-30 has 23 local hours,
/// 2025-10-26 has 25.
#[test]
fn dst_days_in_berlin_have_23_and_25_hours_of_energy() {
    for (from, to, hours) in [
        (
            datetime!(2025-03-29 23:00 UTC),
            datetime!(2025-03-30 22:00 UTC),
            23,
        ),
        (
            datetime!(2025-10-25 22:00 UTC),
            datetime!(2025-10-26 23:00 UTC),
            25,
        ),
    ] {
        let periods = closed_periods("Europe/Berlin", Schedule::Daily, from, to).unwrap();
        assert_eq!(periods.len(), 1);
        let p = periods[0];
        assert_eq!((p.start, p.end), (from, to));

        // 1 MW constant: hours × 1000 kWh.
        let readings = sample(p.start, p.end, Duration::minutes(1), |_| 1.0);
        let mut mw = power_kw("p");
        mw.unit = ChannelUnit::Power(PowerUnit::MW);
        let r = aggregate(&mw, &p, &readings);
        assert!((r.energy_kwh - 1_000.0 * hours as f64).abs() < 1e-9);

        // Quarter-hour energies of 250 kWh: 4 × hours of them.
        let c = interval_kwh("e", 15, Stamping::IntervalStart);
        let quarter_hours: Vec<Reading> = (0..4 * hours)
            .map(|i| Reading::good(p.start + Duration::minutes(15 * i), 250.0))
            .collect();
        let r = aggregate(&c, &p, &quarter_hours);
        assert_eq!(r.energy_kwh, 250.0 * 4.0 * hours as f64);
        assert_eq!(r.intervals_expected, Some(4 * hours as u64));
        assert_eq!(r.completeness, 1.0);
    }
}

fn minimal_facility() -> Facility {
    parse_facility(
        br#"{"facility_id": "FAC-T", "name": "t", "process_type": "boiler", "time_zone": "UTC",
        "channels": [
          {"tag": "i", "role": "input", "category": "fuel", "kind": "power", "unit": "kW"},
          {"tag": "o", "role": "output", "category": "steam", "kind": "power", "unit": "kW"}]}"#,
    )
    .unwrap()
}

const FACILITY: &str = r#"{
  "facility_id": "FAC-001", "name": "Boiler house", "process_type": "boiler",
  "time_zone": "Europe/Berlin", "schedule": "daily",
  "channels": [
    {"tag": "gas", "role": "input", "category": "fuel", "kind": "interval_energy",
     "unit": "MWh", "interval_minutes": 15, "stamping": "interval_end"},
    {"tag": "aux", "role": "input", "category": "electricity", "kind": "power", "unit": "kW"},
    {"tag": "steam", "role": "output", "category": "steam", "kind": "counter", "unit": "GJ",
     "rollover_value": 1000000},
    {"tag": "flue", "role": "loss", "category": "flue_gas", "kind": "power", "unit": "kW"}
  ]}"#;

/// Streams one day of a four-channel facility through the aggregator in
/// chunks; energies by category come from the generator's constants.
fn facility_day(drop_aux_after: Option<OffsetDateTime>) -> (Facility, Vec<ChannelResult>) {
    let facility = parse_facility(FACILITY.as_bytes()).unwrap();
    let p = day();
    let options = AggregationOptions::default();
    let w = fetch_window(&facility, &p, &options);
    assert_eq!(w.start, p.start - Duration::minutes(15));
    let mut rows: Vec<(String, Reading)> = Vec::new();
    // gas: 0.25 MWh per quarter hour = 1 MW = 24 000 kWh/day.
    for i in 0..=97 {
        let t = p.start + Duration::minutes(15 * i);
        rows.push(("gas".into(), Reading::good(t, 0.25)));
    }
    // aux: 50 kW.
    for r in sample(w.start, w.end, Duration::minutes(1), |_| 50.0) {
        if drop_aux_after.is_none_or(|cut| r.timestamp <= cut) {
            rows.push(("aux".into(), r));
        }
    }
    // steam counter: 0.045 GJ per minute = 12.5 kWh per minute = 750 kW = 18 000 kWh/day.
    for (i, t) in (0..).zip(sample(w.start, w.end, Duration::minutes(1), |_| 0.0)) {
        rows.push((
            "steam".into(),
            Reading::good(t.timestamp, 5_000.0 + 0.045 * i as f64),
        ));
    }
    // flue gas loss: 100 kW.
    for r in sample(w.start, w.end, Duration::minutes(1), |_| 100.0) {
        rows.push(("flue".into(), r));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.timestamp.cmp(&b.1.timestamp)));
    let mut agg = FacilityAggregator::new(&facility, &p, &options);
    for chunk in rows.chunks(1_000) {
        for (tag, r) in chunk {
            assert!(agg.push(tag, *r));
        }
    }
    assert!(!agg.push("nope", Reading::good(p.start, 1.0)));
    assert_eq!(agg.unknown_tag_readings(), 1);
    (facility, agg.finish())
}

#[test]
fn facility_day_builds_the_engine_input_by_category() {
    let (facility, results) = facility_day(None);
    let (input, report) = build_normalized_input(&facility, &day(), results).unwrap();
    assert_eq!(input.facility_id, "FAC-001");
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6 * b;
    assert!(close(input.energy_input_kwh["fuel"], 24_000.0));
    assert!(close(input.energy_input_kwh["electricity"], 1_200.0));
    assert!(
        close(input.energy_output_kwh["steam"], 18_000.0),
        "{input:?}"
    );
    assert!(close(
        input.energy_losses_kwh.as_ref().unwrap()["flue_gas"],
        2_400.0
    ));
    assert_eq!(report.completeness, 1.0);
    assert_eq!(report.score, 100.0);
    assert!(report.stale_channels.is_empty());
    let summary = report.summary();
    assert_eq!(summary.data_point_count, 98 + 3 * 1471);
    // The engine accepts it: 18 000 / 25 200 = 71.43 %.
    let result = thermaliq_core::evaluate(&input, &Default::default());
    assert!((result.efficiency.unwrap() - 18_000.0 / 25_200.0 * 100.0).abs() < 1e-6);
}

#[test]
fn strict_mode_completeness_failure_names_the_channels() {
    // aux stops at 18:00: completeness 18/24 = 0.75, and it is stale.
    let (facility, mut results) = facility_day(Some(datetime!(2025-11-01 18:00 UTC)));
    // And steam loses its readings entirely.
    results.retain(|r| r.tag != "steam");
    let (_, report) = build_normalized_input(&facility, &day(), results).unwrap();
    assert_eq!(report.stale_channels, ["aux", "steam"]);
    assert!((report.completeness - (1.0 + 0.75 + 0.0 + 1.0) / 4.0).abs() < 1e-12);

    let failure = report
        .check_completeness(0.95, CalculationMode::Strict)
        .unwrap_err();
    let tags: Vec<&str> = failure.channels.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(tags, ["aux", "steam"]);
    assert_eq!(failure.channels[0].1, 0.75);
    let message = failure.to_string();
    assert!(
        message.contains("aux (0.7500)") && message.contains("steam (0.0000)"),
        "{message}"
    );

    let warnings = report
        .check_completeness(0.95, CalculationMode::Lenient)
        .unwrap();
    let incomplete: Vec<&str> = warnings
        .iter()
        .filter(|w| w.code == "data_incomplete")
        .map(|w| w.field.as_str())
        .collect();
    assert_eq!(incomplete, ["readings.aux", "readings.steam"]);
    // At 0.7 only steam is below.
    let failure = report
        .check_completeness(0.7, CalculationMode::Strict)
        .unwrap_err();
    assert_eq!(failure.channels.len(), 1);
}

#[test]
fn results_for_unknown_channels_are_refused() {
    let facility = minimal_facility();
    let stray = aggregate(&power_kw("ghost"), &day(), &[]);
    assert!(build_normalized_input(&facility, &day(), vec![stray]).is_err());
}
