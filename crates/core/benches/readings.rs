//! Period aggregation at scale: one million power readings (1 s apart,
//! about 11.6 days) integrated by the trapezoid rule, pushed one by one as the
//! store streams them; and a million quarter-hour interval energies.
//! `cargo bench -p thermaliq-core --bench readings`

use thermaliq_core::readings::{
    AggregationOptions, Channel, ChannelAccumulator, ChannelKind, ChannelRole, ChannelUnit,
    Quality, Reading, Stamping,
};
use thermaliq_core::request::TimePeriod;
use thermo::power::PowerUnit;
use thermo::units::EnergyUnit;
use time::Duration;
use time::macros::datetime;

const N: i64 = 1_000_000;

fn main() {
    divan::main();
}

fn channel(kind: ChannelKind) -> Channel {
    Channel {
        tag: "x".into(),
        role: ChannelRole::Input,
        category: "fuel".into(),
        kind,
        unit: match kind {
            ChannelKind::Power => ChannelUnit::Power(PowerUnit::KW),
            _ => ChannelUnit::Energy(EnergyUnit::KWh),
        },
        meter_id: None,
        rollover_value: None,
        interval_minutes: (kind == ChannelKind::IntervalEnergy).then_some(15),
        stamping: (kind == ChannelKind::IntervalEnergy).then_some(Stamping::IntervalEnd),
        plausible_max_kw: None,
        uncertainty_pct: None,
        source: Default::default(),
    }
}

fn readings(step: Duration) -> (TimePeriod, Vec<Reading>) {
    let start = datetime!(2025-11-01 00:00 UTC);
    let rs = (0..N)
        .map(|i| {
            let q = if i % 1000 == 7 {
                Quality::Uncertain
            } else {
                Quality::Good
            };
            Reading::new(start + step * i as i32, 500.0 + (i % 97) as f64, q)
        })
        .collect();
    let period = TimePeriod {
        start,
        end: start + step * (N as i32 - 1),
    };
    (period, rs)
}

#[divan::bench(sample_count = 20)]
fn power_1m_readings(bencher: divan::Bencher) {
    let (period, rs) = readings(Duration::seconds(1));
    let c = channel(ChannelKind::Power);
    let options = AggregationOptions::default();
    bencher.bench(|| {
        let mut acc = ChannelAccumulator::new(&c, &period, &options);
        for r in divan::black_box(&rs) {
            acc.push(*r);
        }
        acc.finish()
    });
}

#[divan::bench(sample_count = 20)]
fn interval_energy_1m_readings(bencher: divan::Bencher) {
    let (period, rs) = readings(Duration::minutes(15));
    let c = channel(ChannelKind::IntervalEnergy);
    let options = AggregationOptions::default();
    bencher.bench(|| {
        let mut acc = ChannelAccumulator::new(&c, &period, &options);
        for r in divan::black_box(&rs) {
            acc.push(*r);
        }
        acc.finish()
    });
}
