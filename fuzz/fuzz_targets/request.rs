//! Request parsing: any body given to `POST /v1/thermaliq/calculate`.
//! `parse_calculation_source` is the entry the server uses (inline energies,
//! a process block, or facility + period from stored readings);
//! `parse_calculation_request` the one of the CLI and the engine bench.
//! A crash is a panic; an error is the expected answer to a bad body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use thermaliq_core::request::{parse_calculation_request, parse_calculation_source};

fuzz_target!(|body: &[u8]| {
    let _ = parse_calculation_source(body);
    let _ = parse_calculation_request(body);
});
