//! Canonical JSON and SHA-256 hashes: what makes a stored calculation
//! auditable (DESIGN.md §1.2).
//!
//! Canonical JSON here means: object keys sorted bytewise, no insignificant
//! white space, numbers as `serde_json` writes them (shortest round-trip form,
//! so the same `f64` always gives the same text).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::engine::{CalculationResult, evaluate};
use crate::request::NormalizedInput;
use crate::settings::EngineSettings;

/// The exact document the engine computes from: it is what `input_hash`
/// covers and what `/verify` recomputes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CanonicalInput {
    pub input: NormalizedInput,
    pub settings: EngineSettings,
}

/// A computed calculation with its canonical documents and their hashes,
/// ready to be stored.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub result: CalculationResult,
    pub canonical_input: String,
    pub canonical_result: String,
    pub canonical_energy_flows: String,
    pub input_hash: String,
    pub output_hash: String,
}

/// Evaluates `input` under `settings` and seals input and output.
pub fn compute_and_seal(input: &NormalizedInput, settings: &EngineSettings) -> Sealed {
    let canonical = CanonicalInput {
        input: input.clone(),
        settings: *settings,
    };
    let result = evaluate(input, settings);
    let canonical_input = canonical_json(&canonical);
    let canonical_result = canonical_json(&result);
    Sealed {
        canonical_energy_flows: canonical_json(&result.energy_flows),
        input_hash: sha256_hex(canonical_input.as_bytes()),
        output_hash: sha256_hex(canonical_result.as_bytes()),
        result,
        canonical_input,
        canonical_result,
    }
}

/// Serialises `value` as canonical JSON.
///
/// Every type passed here is plain data (maps with string keys, finite
/// numbers), so serialisation cannot fail; a failure would be a programming
/// error, not bad input.
pub fn canonical_json<T: Serialize>(value: &T) -> String {
    let value = serde_json::to_value(value).expect("plain data serialises to JSON");
    let mut out = String::new();
    write_canonical(&value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            // Sort explicitly: serde_json's map order depends on a cargo feature.
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (n, (key, item)) in entries.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Lower-case hex SHA-256 of `bytes` (FIPS 180-4).
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::parse_calculation_request;

    /// FIPS 180-2 Appendix B.1 test vector: SHA-256("abc").
    #[test]
    fn sha256_matches_the_fips_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_white_space() {
        let v: Value =
            serde_json::from_str(r#"{ "b": [1, {"z": 0, "a": 2.5}], "a": "x" }"#).unwrap();
        assert_eq!(canonical_json(&v), r#"{"a":"x","b":[1,{"a":2.5,"z":0}]}"#);
    }

    #[test]
    fn same_input_in_other_key_order_gives_the_same_hashes() {
        let a = r#"{"facility_id":"F","time_period":{"start":"2025-11-01T00:00:00Z","end":"2025-11-01T01:00:00Z"},
                    "energy_input":{"fuel":1000.0,"electricity":50.0},"energy_output":{"steam":750.0}}"#;
        let b = r#"{"energy_output":{"steam":750},"energy_input":{"electricity":50,"fuel":1000},
                    "time_period":{"end":"2025-11-01T02:00:00+01:00","start":"2025-11-01T01:00:00+01:00"},"facility_id":"F"}"#;
        let seal = |body: &str| {
            let req = parse_calculation_request(body.as_bytes()).unwrap();
            compute_and_seal(&req.input, &EngineSettings::default())
        };
        let (x, y) = (seal(a), seal(b));
        assert_eq!(x.canonical_input, y.canonical_input);
        assert_eq!((x.input_hash, x.output_hash), (y.input_hash, y.output_hash));
    }
}
