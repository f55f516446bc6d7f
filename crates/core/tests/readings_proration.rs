//! Property: energy is additive over time. Splitting a period in two at any
//! instant gives the same total as the whole period, for every channel kind,
//! whatever the readings (gaps, bad flags, resets, off-grid timestamps).

use proptest::prelude::*;
use thermaliq_core::readings::{
    AggregationOptions, Channel, ChannelAccumulator, ChannelKind, ChannelRole, ChannelUnit,
    Quality, Reading, Stamping,
};
use thermaliq_core::request::TimePeriod;
use thermo::power::PowerUnit;
use thermo::units::EnergyUnit;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

fn channel(kind: ChannelKind, stamping: Option<Stamping>) -> Channel {
    Channel {
        tag: "x".into(),
        role: ChannelRole::Input,
        category: "fuel".into(),
        kind,
        unit: match kind {
            ChannelKind::Power => ChannelUnit::Power(PowerUnit::MW),
            _ => ChannelUnit::Energy(EnergyUnit::GJ),
        },
        meter_id: None,
        rollover_value: (kind == ChannelKind::Counter).then_some(1_000.0),
        interval_minutes: (kind == ChannelKind::IntervalEnergy).then_some(15),
        stamping,
        plausible_max_kw: None,
        uncertainty_pct: None,
        source: Default::default(),
    }
}

fn energy(c: &Channel, start: OffsetDateTime, end: OffsetDateTime, readings: &[Reading]) -> f64 {
    let mut acc = ChannelAccumulator::new(
        c,
        &TimePeriod { start, end },
        &AggregationOptions::default(),
    );
    readings.iter().for_each(|r| acc.push(*r));
    acc.finish().energy_kwh
}

/// Ascending readings with steps of 1 s to 20 min (so some exceed the gap
/// limit), values 0–999 and about one in ten flagged bad.
fn readings() -> impl Strategy<Value = Vec<Reading>> {
    prop::collection::vec((1i64..1_200, 0.0f64..999.0, 0u8..10), 2..300).prop_map(|steps| {
        let mut t = datetime!(2025-11-01 00:00 UTC);
        steps
            .into_iter()
            .map(|(dt, v, q)| {
                t += Duration::seconds(dt);
                let quality = if q == 0 { Quality::Bad } else { Quality::Good };
                Reading::new(t, v, quality)
            })
            .collect()
    })
}

fn kinds() -> impl Strategy<Value = Channel> {
    prop_oneof![
        Just(channel(ChannelKind::Power, None)),
        Just(channel(ChannelKind::Counter, None)),
        Just(channel(
            ChannelKind::IntervalEnergy,
            Some(Stamping::IntervalStart)
        )),
        Just(channel(
            ChannelKind::IntervalEnergy,
            Some(Stamping::IntervalEnd)
        )),
    ]
}

proptest! {
    #[test]
    fn splitting_a_period_preserves_energy(
        c in kinds(),
        rs in readings(),
        start_s in 0i64..20_000,
        len_s in 1i64..80_000,
        split in 0.0f64..1.0,
    ) {
        let start = datetime!(2025-11-01 00:00 UTC) + Duration::seconds(start_s);
        let end = start + Duration::seconds(len_s);
        let mid = start + Duration::milliseconds((len_s as f64 * 1000.0 * split) as i64);
        let whole = energy(&c, start, end, &rs);
        let parts = energy(&c, start, mid, &rs) + energy(&c, mid, end, &rs);
        let scale = whole.abs().max(1.0);
        prop_assert!((whole - parts).abs() <= 1e-9 * scale,
            "{:?}: whole {} vs parts {}", c.kind, whole, parts);
    }
}
