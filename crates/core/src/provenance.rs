//! Canonical JSON and SHA-256 hashes: what makes a stored calculation
//! auditable (DESIGN.md §1.2).
//!
//! Canonical JSON here means: object keys sorted bytewise, no insignificant
//! white space, numbers as `serde_json` writes them (shortest round-trip form,
//! so the same `f64` always gives the same text); see [`crate::canonical`].
//!
//! Each stored document carries its schema version: schema 1 (rows written
//! before the service layer) has no `schema_version` key; schema 2 adds
//! `"schema_version": 2` to both the input and the result document. `/verify`
//! re-seals a stored input in the schema it was written in, so old rows stay
//! reproducible.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::canonical::{to_canonical_document, to_canonical_vec};
use crate::engine::{CalculationResult, evaluate};
use crate::request::NormalizedInput;
use crate::settings::EngineSettings;

/// The schema of documents sealed today.
pub const SCHEMA_VERSION: u32 = 2;
/// Documents without a `schema_version` key were written by schema 1.
const FIRST_SCHEMA: u32 = 1;

fn first_schema() -> u32 {
    FIRST_SCHEMA
}

fn is_first_schema(version: &u32) -> bool {
    *version == FIRST_SCHEMA
}

/// The exact document the engine computes from: it is what `input_hash`
/// covers and what `/verify` recomputes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CanonicalInput {
    #[serde(default = "first_schema", skip_serializing_if = "is_first_schema")]
    pub schema_version: u32,
    pub input: NormalizedInput,
    pub settings: EngineSettings,
}

/// [`CanonicalInput`] by reference, so sealing does not copy the input.
#[derive(Serialize)]
struct CanonicalInputRef<'a> {
    // Fields in key order: the canonical writer then seals without sorting.
    input: &'a NormalizedInput,
    #[serde(skip_serializing_if = "is_first_schema")]
    schema_version: u32,
    settings: &'a EngineSettings,
}

/// The stored result document as one type: the engine result plus its
/// schema version (sealing injects the version instead; the test holds the
/// two to the same bytes).
#[cfg(test)]
#[derive(Serialize)]
struct ResultDocument<'a> {
    #[serde(skip_serializing_if = "is_first_schema")]
    schema_version: u32,
    #[serde(flatten)]
    result: &'a CalculationResult,
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

/// Evaluates `input` under `settings` and seals input and output in today's schema.
pub fn compute_and_seal(input: &NormalizedInput, settings: &EngineSettings) -> Sealed {
    seal_in_schema(input, settings, SCHEMA_VERSION)
}

/// [`compute_and_seal`] in a given schema version (`/verify` re-seals an old
/// row in the schema it was written in).
pub fn seal_in_schema(
    input: &NormalizedInput,
    settings: &EngineSettings,
    schema_version: u32,
) -> Sealed {
    let result = evaluate(input, settings);
    let canonical_input = canonical_json(&CanonicalInputRef {
        schema_version,
        input,
        settings,
    });
    // The flows are a top-level member of the result document, and the
    // canonical form is compositional: their canonical form is that member's
    // value, so it is cut out rather than written a second time.
    // `schema_version` joins the result's own members in its key place,
    // as the flattened `ResultDocument` would write it.
    let extra =
        (schema_version != FIRST_SCHEMA).then_some(("schema_version", u64::from(schema_version)));
    let (canonical_result, flows) = to_canonical_document(&result, extra, Some("energy_flows"))
        .expect("plain data serialises to canonical JSON");
    let canonical_energy_flows = match flows {
        Some(range) => utf8(canonical_result[range].to_vec()),
        None => canonical_json(&result.energy_flows),
    };
    let canonical_result = utf8(canonical_result);
    Sealed {
        canonical_energy_flows,
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
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> String {
    utf8(to_canonical_vec(value).expect("plain data serialises to canonical JSON"))
}

fn utf8(bytes: Vec<u8>) -> String {
    // The writer emits only UTF-8 strings and ASCII punctuation and numbers.
    String::from_utf8(bytes).expect("canonical JSON is UTF-8")
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
    use serde_json::Value;

    /// FIPS 180-2 Appendix B.1 test vector: SHA-256("abc").
    #[test]
    fn sha256_matches_the_fips_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// The sealed types declare their fields in key order, so sealing copies
    /// each object once instead of sorting it (a third of the engine call
    /// before); `schema_version` is injected in its key place.
    #[test]
    fn sealed_documents_arrive_in_key_order() {
        let body = r#"{"facility_id":"F","time_period":{"start":"2025-11-01T00:00:00Z","end":"2025-11-01T01:00:00Z"},
            "energy_input":{"fuel":1000.0},"energy_output":{"steam":800.0},"energy_losses":{"flue":150.0}}"#;
        let req = parse_calculation_request(body.as_bytes()).unwrap();
        let settings = EngineSettings::default();
        let input = CanonicalInputRef {
            schema_version: SCHEMA_VERSION,
            input: &req.input,
            settings: &settings,
        };
        assert_eq!(crate::canonical::objects_reordered(&input, None), 0);
        let result = evaluate(&req.input, &settings);
        let extra = Some(("schema_version", u64::from(SCHEMA_VERSION)));
        assert_eq!(crate::canonical::objects_reordered(&result, extra), 0);
        // The injected member gives the flattened wrapper's bytes.
        let document = ResultDocument {
            schema_version: SCHEMA_VERSION,
            result: &result,
        };
        assert_eq!(crate::canonical::objects_reordered(&document, None), 1);
        assert_eq!(
            crate::canonical::to_canonical_document(&result, extra, None)
                .unwrap()
                .0,
            to_canonical_vec(&document).unwrap()
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
