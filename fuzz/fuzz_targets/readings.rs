//! Readings ingest: a JSON batch, NDJSON or CSV body for
//! `POST /v1/thermaliq/facilities/{id}/readings`, checked against a fixed
//! facility (gas counter in MWh, heat power in kW) at a fixed "now"; and the
//! facility document itself. The first byte picks the case.
#![no_main]

use libfuzzer_sys::fuzz_target;
use thermaliq_core::readings::{
    Facility, IngestOptions, ReadingsFormat, parse_facility, parse_readings,
};
use time::macros::datetime;

const FACILITY: &[u8] = br#"{"facility_id": "FAC-001", "name": "t", "process_type": "kiln",
 "time_zone": "Europe/Berlin",
 "channels": [
   {"tag": "gas", "role": "input", "category": "fuel", "kind": "counter", "unit": "MWh"},
   {"tag": "heat", "role": "output", "category": "process_heat", "kind": "power", "unit": "kW"},
   {"tag": "steam", "role": "output", "category": "steam", "kind": "interval_energy", "unit": "GJ",
    "interval_minutes": 15, "stamping": "interval_end"}]}"#;

fn facility() -> Facility {
    parse_facility(FACILITY).expect("the fixed facility is valid")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let options = IngestOptions::new(datetime!(2025-11-02 12:00 UTC));
    let format = match selector % 4 {
        0 => ReadingsFormat::Json,
        1 => ReadingsFormat::Ndjson,
        2 => ReadingsFormat::Csv,
        _ => {
            let _ = parse_facility(body);
            return;
        }
    };
    if let Ok(parsed) = parse_readings(body, format, &facility(), &options) {
        // Every accepted reading is a number the aggregation can use.
        for row in &parsed.rows {
            assert!(
                row.value.is_finite(),
                "accepted a non-finite value: {row:?}"
            );
        }
    }
});
