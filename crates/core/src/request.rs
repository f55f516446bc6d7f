//! From request body to validated, normalised input.
//!
//! Parsing happens in two passes. The first is serde with
//! `serde_path_to_error`, so a malformed body, an unknown field or a value of
//! the wrong type is reported with the JSON path where it happened. The second
//! checks the rules serde cannot express (required fields, ranges, units, time
//! order) and reports *every* problem at once.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use thermo::boiler::ProcessSpec;
use thermo::exergy::DeadState;
use thermo::units::EnergyUnit;
use time::OffsetDateTime;

use crate::error::{CoreError, FieldProblem};

/// The longest facility id or energy-stream name accepted.
const MAX_NAME_LEN: usize = 64;

/// Whether the fuel energy of a request is on a higher or lower heating value
/// basis, or simply as the meter reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Metered energies, basis not declared by the caller.
    AsMetered,
    Hhv,
    Lhv,
}

/// The period a calculation covers, normalised to UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimePeriod {
    // Fields in key order: the canonical writer then seals without sorting (core::canonical).
    #[serde(with = "crate::timestamp::rfc3339")]
    pub end: OffsetDateTime,
    #[serde(with = "crate::timestamp::rfc3339")]
    pub start: OffsetDateTime,
}

/// What the engine computes from: every energy in kWh, keyed by stream name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizedInput {
    // Fields in key order: the canonical writer then seals without sorting (core::canonical).
    pub basis: Basis,
    /// The environment of the second-law analysis (default 25 °C, 101.325 kPa).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_state: Option<DeadState>,
    pub energy_input_kwh: BTreeMap<String, f64>,
    /// Measured losses by category, when the request gave any.
    pub energy_losses_kwh: Option<BTreeMap<String, f64>>,
    pub energy_output_kwh: BTreeMap<String, f64>,
    pub facility_id: String,
    /// Measured process quantities (fuel, steam, flue gas, surfaces, ...):
    /// the engine derives the energies from them with `thermo::boiler`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessSpec>,
    /// Computed from stored meter readings: what the aggregation found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readings: Option<ReadingsBasis>,
    pub time_period: TimePeriod,
}

/// The data behind a calculation from stored readings, kept in its canonical
/// input so `/verify` reproduces the quality checks too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingsBasis {
    pub data_quality: crate::engine::DataQuality,
    /// Completeness (0–1) of each channel, by tag.
    pub channel_completeness: BTreeMap<String, f64>,
    /// Quality notes true in any mode (stale channels, resets, outliers).
    pub notes: Vec<crate::engine::Finding>,
    /// The full per-channel report (energies, counts, coverage).
    pub report: serde_json::Value,
}

/// Where a calculation's energies come from.
#[derive(Debug, Clone, PartialEq)]
pub enum CalculationSource {
    /// Inline energies or a process block.
    Inline(Box<ValidatedRequest>),
    /// Only `facility_id` and `time_period`: from the facility's stored readings.
    FromReadings {
        facility_id: String,
        time_period: TimePeriod,
    },
}

/// One distinct unit conversion applied while normalising (logged by the
/// service under "Unit conversion", as the runbook greps for).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitConversion {
    pub from_unit: &'static str,
    pub to_unit: &'static str,
    pub conversion_factor: f64,
}

/// The stated uncertainty of one input of a request: an inline value's
/// `uncertainty_pct`, or an entry of `uncertainties` (process inputs).
/// Not part of the canonical input (so hashes of requests without it are
/// unchanged): the service propagates it (`thermaliq-analytics`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatedUncertainty {
    /// Where the input is in the normalised input, with dots:
    /// `energy_input.fuel`, `process.flue_gas.o2_pct_dry`.
    pub input: String,
    /// Relative expanded uncertainty at 95 % coverage, percent of the value.
    pub uncertainty_pct: f64,
}

/// A request that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedRequest {
    pub input: NormalizedInput,
    pub unit_conversions: Vec<UnitConversion>,
    /// Stated uncertainties, in request order (empty when none was given).
    pub uncertainties: Vec<StatedUncertainty>,
}

/// Parses and validates a `POST /calculate` body that carries its energies
/// (inline or as a process block).
pub fn parse_calculation_request(body: &[u8]) -> Result<ValidatedRequest, CoreError> {
    match parse_calculation_source(body)? {
        CalculationSource::Inline(request) => Ok(*request),
        CalculationSource::FromReadings { .. } => {
            Err(CoreError::Validation(vec![FieldProblem::new(
                "energy_input",
                "is required here: give the energies inline (the service computes a period from \
             stored meter readings; this entry point has no store)",
            )]))
        }
    }
}

/// Parses and validates a `POST /calculate` body: inline energies, a process
/// block, or only a facility and a period (computed from stored readings).
pub fn parse_calculation_source(body: &[u8]) -> Result<CalculationSource, CoreError> {
    let dto: RequestDto = parse_json_document(body)?;
    let from_readings = dto.energy_input.is_none()
        && dto.energy_output.is_none()
        && dto.energy_losses.is_none()
        && dto.process.is_none()
        && dto.unit.is_none()
        && dto.basis.is_none()
        && dto.dead_state.is_none()
        && dto.uncertainties.is_none();
    if from_readings {
        let mut problems = Vec::new();
        let facility_id = match dto.facility_id {
            None => {
                problems.push(FieldProblem::new("facility_id", "is required"));
                None
            }
            Some(id) => match check_name(&id, true) {
                Ok(()) => Some(id),
                Err(rule) => {
                    problems.push(FieldProblem::new("facility_id", rule));
                    None
                }
            },
        };
        let time_period = validate_period(dto.time_period, &mut problems);
        return match (facility_id, time_period) {
            (Some(facility_id), Some(time_period)) if problems.is_empty() => {
                Ok(CalculationSource::FromReadings {
                    facility_id,
                    time_period,
                })
            }
            _ => Err(CoreError::Validation(problems)),
        };
    }
    validate(dto).map(|v| CalculationSource::Inline(Box::new(v)))
}

/// Parses a JSON document into `T`, reporting a malformed body, an unknown
/// field or a mistyped value with the JSON path where it happened.
pub fn parse_json_document<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, CoreError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(CoreError::Validation(vec![FieldProblem::new(
            "body",
            "must be a JSON object; the body is empty",
        )]));
    }
    // The fast path: most bodies are well formed, and tracking the JSON path
    // costs more than parsing. Only a failed parse is parsed again with paths.
    if let Ok(dto) = serde_json::from_slice::<T>(body) {
        return Ok(dto);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let dto: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.inner();
        let at_root = path == "." || path.is_empty();
        let message = inner.to_string();
        let problem = if message.starts_with("number out of range") {
            // JSON has no NaN or infinity; an overflowing literal is the closest thing.
            FieldProblem::new(path, format!("must be a finite number >= 0 ({message})"))
        } else if inner.is_syntax() || inner.is_eof() {
            let place = if at_root {
                String::new()
            } else {
                format!(" (inside `{path}`)")
            };
            FieldProblem::new("body", format!("is not valid JSON: {message}{place}"))
        } else if at_root {
            FieldProblem::new("body", message)
        } else {
            FieldProblem::new(path, message)
        };
        CoreError::Validation(vec![problem])
    })?;
    deserializer.end().map_err(|err| {
        CoreError::Validation(vec![FieldProblem::new(
            "body",
            format!("must hold one JSON object and nothing after it: {err}"),
        )])
    })?;
    Ok(dto)
}

fn validate(dto: RequestDto) -> Result<ValidatedRequest, CoreError> {
    let mut problems = Vec::new();

    let process = dto.process;
    if let Some(spec) = &process {
        if dto.energy_input.is_some() || dto.energy_output.is_some() || dto.energy_losses.is_some()
        {
            problems.push(FieldProblem::new(
                "process",
                "give either process (measured quantities) or energy_input/energy_output, not both",
            ));
        }
        let dead = dto.dead_state.unwrap_or_default();
        if let Err(err) = thermo::process::analyze_process(spec, &dead) {
            match crate::steam::thermo_problem("process", err) {
                CoreError::Validation(p) => problems.extend(p),
                other => problems.push(FieldProblem::new("process", other.to_string())),
            }
        }
    } else if dto.dead_state.is_some() {
        problems.push(FieldProblem::new(
            "dead_state",
            "applies only to process calculations",
        ));
    }

    let facility_id = match dto.facility_id {
        None => {
            problems.push(FieldProblem::new("facility_id", "is required"));
            None
        }
        Some(id) => match check_name(&id, true) {
            Ok(()) => Some(id),
            Err(rule) => {
                problems.push(FieldProblem::new("facility_id", rule));
                None
            }
        },
    };

    let time_period = validate_period(dto.time_period, &mut problems);

    let default_unit = match dto.unit.as_deref() {
        None => Some(EnergyUnit::KWh),
        Some(symbol) => match EnergyUnit::parse(symbol) {
            Ok(unit) => Some(unit),
            Err(err) => {
                problems.push(FieldProblem::new("unit", err.to_string()));
                None
            }
        },
    };

    let basis = match dto.basis.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("as_metered") => Basis::AsMetered,
        Some("hhv") => Basis::Hhv,
        Some("lhv") => Basis::Lhv,
        Some(_) => {
            problems.push(FieldProblem::new(
                "basis",
                "must be one of HHV, LHV, as_metered",
            ));
            Basis::AsMetered
        }
    };

    let no_energies =
        dto.energy_input.is_none() && dto.energy_output.is_none() && dto.energy_losses.is_none();
    let energies_required = process.is_none();
    let mut conversions = Vec::new();
    let mut uncertainties = Vec::new();
    let mut stream = |name: &'static str, map: Option<EnergyMapDto>, required: bool| {
        let Some(map) = map else {
            if required {
                let rule = if no_energies && name == "energy_input" {
                    "is required: give the input energies inline (computing a period from \
                     stored meter readings is not available in this engine version)"
                } else {
                    "is required"
                };
                problems.push(FieldProblem::new(name, rule));
            }
            return None;
        };
        if name == "energy_input" && map.0.is_empty() {
            problems.push(FieldProblem::new(
                name,
                "must name at least one input energy, e.g. {\"fuel\": 1000.0}",
            ));
        }
        let unit = default_unit.unwrap_or(EnergyUnit::KWh);
        let mut out = BTreeMap::new();
        for (key, value) in map.0 {
            // Paths are spelled only for a problem: formatting them for every
            // value cost more than the rest of the validation.
            if let Err(rule) = check_name(&key, false) {
                problems.push(FieldProblem::new(
                    format!("{name}.{key}"),
                    format!("name {rule}"),
                ));
            }
            if let EnergyValueDto::WithUnit {
                uncertainty_pct: Some(pct),
                ..
            } = &value
            {
                let path = format!("{name}.{key}");
                match check_uncertainty_pct(*pct) {
                    Ok(()) => uncertainties.push(StatedUncertainty {
                        input: path,
                        uncertainty_pct: *pct,
                    }),
                    Err(rule) => {
                        problems.push(FieldProblem::new(format!("{path}.uncertainty_pct"), rule))
                    }
                }
            }
            match value.to_kwh(unit, &mut conversions) {
                Ok(kwh) => {
                    out.insert(key, kwh);
                }
                Err((at, rule)) => {
                    problems.push(FieldProblem::new(format!("{name}.{key}{at}"), rule))
                }
            }
        }
        Some(out)
    };
    let inputs = stream("energy_input", dto.energy_input, energies_required);
    let outputs = stream("energy_output", dto.energy_output, energies_required);
    let losses = stream("energy_losses", dto.energy_losses, false);
    check_finite_figures(
        inputs.as_ref(),
        outputs.as_ref(),
        losses.as_ref(),
        &mut problems,
    );
    let stated = dto.uncertainties.unwrap_or_default();
    // The process block as a JSON tree, only when an uncertainty must be
    // located in it (every process request paid for the tree before).
    let process_doc = process
        .as_ref()
        .filter(|_| !stated.is_empty())
        .and_then(|p| serde_json::to_value(p).ok());
    for (i, u) in stated.into_iter().enumerate() {
        let at = |f: &str| format!("uncertainties[{i}].{f}");
        let input = u.input.unwrap_or_default();
        let numeric = |doc: &serde_json::Value| {
            input.strip_prefix("process.").is_some_and(|rest| {
                doc.pointer(&format!("/{}", rest.replace('.', "/")))
                    .is_some_and(serde_json::Value::is_number)
            })
        };
        if process_doc.as_ref().is_some_and(|d| !numeric(d)) && input.starts_with("process.") {
            problems.push(FieldProblem::new(
                at("input"),
                format!("`{input}` is not a number given in the process block"),
            ));
        } else if !input.starts_with("process.") || process.is_none() {
            problems.push(FieldProblem::new(
                at("input"),
                "must name a process input with dots, e.g. process.flue_gas.o2_pct_dry \
                 (inline energies take uncertainty_pct next to their value)",
            ));
        } else if uncertainties
            .iter()
            .any(|s: &StatedUncertainty| s.input == input)
        {
            problems.push(FieldProblem::new(at("input"), "is given twice"));
        }
        match u.uncertainty_pct.map(check_uncertainty_pct) {
            None => problems.push(FieldProblem::new(at("uncertainty_pct"), "is required")),
            Some(Err(rule)) => problems.push(FieldProblem::new(at("uncertainty_pct"), rule)),
            Some(Ok(())) => uncertainties.push(StatedUncertainty {
                input,
                uncertainty_pct: u.uncertainty_pct.unwrap_or_default(),
            }),
        }
    }

    if !problems.is_empty() {
        return Err(CoreError::Validation(problems));
    }
    let (Some(facility_id), Some(time_period)) = (facility_id, time_period) else {
        unreachable!("every missing part pushed a problem above");
    };
    conversions.sort_by(|a, b| a.from_unit.cmp(b.from_unit));
    conversions.dedup_by(|a, b| a.from_unit == b.from_unit);
    Ok(ValidatedRequest {
        input: NormalizedInput {
            facility_id,
            time_period,
            basis,
            energy_input_kwh: inputs.unwrap_or_default(),
            energy_output_kwh: outputs.unwrap_or_default(),
            energy_losses_kwh: losses,
            dead_state: process.as_ref().map(|_| dto.dead_state.unwrap_or_default()),
            process,
            readings: None,
        },
        unit_conversions: conversions,
        uncertainties,
    })
}

/// A relative expanded uncertainty (95 %) in percent: 0 to 100.
fn check_uncertainty_pct(pct: f64) -> Result<(), String> {
    if pct.is_finite() && (0.0..=100.0).contains(&pct) {
        Ok(())
    } else {
        Err(
            "must be a percentage from 0 to 100 (relative expanded uncertainty at 95 % coverage)"
                .to_owned(),
        )
    }
}

/// Every figure the engine derives (sums, efficiency, shares, closure) must be
/// finite: each value may be finite while their sum, or a ratio against a
/// vanishing input, overflows `f64` (e.g. two inputs of 1e308 kWh, or 5e-324
/// kWh of fuel against 1 kWh of steam).
fn check_finite_figures(
    inputs: Option<&BTreeMap<String, f64>>,
    outputs: Option<&BTreeMap<String, f64>>,
    losses: Option<&BTreeMap<String, f64>>,
    problems: &mut Vec<FieldProblem>,
) {
    let sum = |map: Option<&BTreeMap<String, f64>>| map.map_or(0.0, |m| m.values().sum::<f64>());
    let (total_in, total_out, total_losses) = (sum(inputs), sum(outputs), sum(losses));
    let mut overflowed = false;
    for (field, total) in [
        ("energy_input", total_in),
        ("energy_output", total_out),
        ("energy_losses", total_losses),
    ] {
        if !total.is_finite() {
            overflowed = true;
            problems.push(FieldProblem::new(
                field,
                format!("must sum to a finite energy (at most {:e} kWh)", f64::MAX),
            ));
        }
    }
    if overflowed {
        return;
    }
    if !(total_out + total_losses).is_finite() {
        problems.push(FieldProblem::new(
            "energy_output",
            "with energy_losses must sum to a finite energy",
        ));
        return;
    }
    let largest = total_in.max(total_out + total_losses);
    if total_in > 0.0 && !(largest / total_in * 100.0).is_finite() {
        problems.push(FieldProblem::new(
            "energy_input",
            "is too small against energy_output/energy_losses for a finite efficiency and balance",
        ));
    }
}

fn validate_period(
    dto: Option<TimePeriodDto>,
    problems: &mut Vec<FieldProblem>,
) -> Option<TimePeriod> {
    let Some(dto) = dto else {
        problems.push(FieldProblem::new(
            "time_period",
            "is required: {\"start\": \"2025-11-01T00:00:00Z\", \"end\": \"2025-11-01T01:00:00Z\"}",
        ));
        return None;
    };
    let mut instant = |field: &str, text: Option<String>| -> Option<OffsetDateTime> {
        let Some(text) = text else {
            problems.push(FieldProblem::new(field, "is required"));
            return None;
        };
        match crate::timestamp::parse_rfc3339(&text) {
            // An instant late in year 9999 with a negative offset is in year 10000 in UTC.
            Ok(t) => match t.checked_to_offset(time::UtcOffset::UTC) {
                Some(utc) => Some(utc),
                None => {
                    problems.push(FieldProblem::new(
                        field,
                        "must fall between years 0001 and 9999 in UTC",
                    ));
                    None
                }
            },
            Err(_) => {
                problems.push(FieldProblem::new(
                    field,
                    "must be an RFC 3339 timestamp with a UTC offset, e.g. 2025-11-01T00:00:00Z",
                ));
                None
            }
        }
    };
    let start = instant("time_period.start", dto.start);
    let end = instant("time_period.end", dto.end);
    let (start, end) = (start?, end?);
    if end <= start {
        problems.push(FieldProblem::new(
            "time_period.end",
            "must be after time_period.start",
        ));
        return None;
    }
    Some(TimePeriod { start, end })
}

/// Facility ids and stream names: 1 to 64 characters; facility ids are also
/// limited to letters, digits and `-_.:` so they are safe in URLs and logs.
fn check_name(name: &str, facility: bool) -> Result<(), String> {
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(format!("must be 1 to {MAX_NAME_LEN} characters long"));
    }
    if facility {
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        {
            return Err("may hold only letters, digits and - _ . :".to_owned());
        }
    } else if name.chars().any(char::is_control) {
        return Err("must not hold control characters".to_owned());
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Wire types (first pass).

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestDto {
    facility_id: Option<String>,
    time_period: Option<TimePeriodDto>,
    unit: Option<String>,
    basis: Option<String>,
    energy_input: Option<EnergyMapDto>,
    energy_output: Option<EnergyMapDto>,
    energy_losses: Option<EnergyMapDto>,
    process: Option<ProcessSpec>,
    dead_state: Option<DeadState>,
    uncertainties: Option<Vec<UncertaintyDto>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UncertaintyDto {
    input: Option<String>,
    uncertainty_pct: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimePeriodDto {
    start: Option<String>,
    end: Option<String>,
}

/// `{"name": value, ...}` in document order; a repeated name is an error
/// rather than a silent "last one wins".
struct EnergyMapDto(Vec<(String, EnergyValueDto)>);

impl<'de> Deserialize<'de> for EnergyMapDto {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor;
        impl<'de> Visitor<'de> for MapVisitor {
            type Value = EnergyMapDto;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of named energies, e.g. {\"fuel\": 1000.0}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, EnergyValueDto)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if entries.iter().any(|(k, _)| *k == key) {
                        return Err(de::Error::custom(format!("duplicate name `{key}`")));
                    }
                    let value = map.next_value::<EnergyValueDto>()?;
                    entries.push((key, value));
                }
                Ok(EnergyMapDto(entries))
            }
        }
        deserializer.deserialize_map(MapVisitor)
    }
}

/// A number in the request's unit, or `{"value": 3.6, "unit": "GJ"}`,
/// optionally with `"uncertainty_pct"`.
enum EnergyValueDto {
    Plain(f64),
    WithUnit {
        value: f64,
        unit: String,
        uncertainty_pct: Option<f64>,
    },
}

impl EnergyValueDto {
    /// The value in kWh; a problem is given as the path below the value's
    /// own (`""`, `".unit"` or `".value"`) and the rule.
    fn to_kwh(
        &self,
        default_unit: EnergyUnit,
        conversions: &mut Vec<UnitConversion>,
    ) -> Result<f64, (&'static str, String)> {
        let (value, unit, value_path) = match self {
            EnergyValueDto::Plain(v) => (*v, default_unit, ""),
            EnergyValueDto::WithUnit { value, unit, .. } => {
                let unit = EnergyUnit::parse(unit).map_err(|err| (".unit", err.to_string()))?;
                (*value, unit, ".value")
            }
        };
        if !value.is_finite() || value < 0.0 {
            return Err((value_path, "must be a finite number >= 0".to_owned()));
        }
        if unit != EnergyUnit::KWh {
            conversions.push(UnitConversion {
                from_unit: unit.symbol(),
                to_unit: EnergyUnit::KWh.symbol(),
                conversion_factor: unit.kwh_factor(),
            });
        }
        let kwh = unit.to_kwh(value);
        if !kwh.is_finite() {
            return Err((value_path, "is too large once converted to kWh".to_owned()));
        }
        Ok(kwh)
    }
}

impl<'de> Deserialize<'de> for EnergyValueDto {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = EnergyValueDto;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, or {\"value\": number, \"unit\": \"GJ\"}")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(EnergyValueDto::Plain(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(EnergyValueDto::Plain(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(EnergyValueDto::Plain(v as f64))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut value: Option<f64> = None;
                let mut unit: Option<String> = None;
                let mut uncertainty_pct: Option<f64> = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "value" if value.is_none() => value = Some(map.next_value()?),
                        "unit" if unit.is_none() => unit = Some(map.next_value()?),
                        "uncertainty_pct" if uncertainty_pct.is_none() => {
                            uncertainty_pct = Some(map.next_value()?)
                        }
                        "value" | "unit" | "uncertainty_pct" => {
                            return Err(de::Error::duplicate_field(
                                "value, unit or uncertainty_pct",
                            ));
                        }
                        other => {
                            return Err(de::Error::unknown_field(
                                other,
                                &["value", "unit", "uncertainty_pct"],
                            ));
                        }
                    }
                }
                let value = value.ok_or_else(|| de::Error::missing_field("value"))?;
                let unit = unit.ok_or_else(|| de::Error::missing_field("unit"))?;
                Ok(EnergyValueDto::WithUnit {
                    value,
                    unit,
                    uncertainty_pct,
                })
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The runbook's reproduction case (GL-009 runbook, scenario 9, step 3).
    pub(crate) const RUNBOOK_CASE: &str = r#"{
      "facility_id": "FAC-TEST-001",
      "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
      "energy_input": {"fuel": 1000.0, "electricity": 50.0},
      "energy_output": {"steam": 750.0, "electricity": 200.0}
    }"#;

    fn problems(body: &str) -> Vec<FieldProblem> {
        match parse_calculation_request(body.as_bytes()) {
            Err(CoreError::Validation(p)) => p,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn fields(body: &str) -> Vec<String> {
        problems(body).into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn runbook_case_parses_in_kwh() {
        let req = parse_calculation_request(RUNBOOK_CASE.as_bytes()).unwrap();
        assert_eq!(req.input.facility_id, "FAC-TEST-001");
        assert_eq!(req.input.energy_input_kwh["fuel"], 1000.0);
        assert_eq!(req.input.energy_output_kwh["electricity"], 200.0);
        assert!(req.unit_conversions.is_empty());
    }

    #[test]
    fn per_value_units_and_request_unit_convert() {
        let body = r#"{"facility_id":"F","time_period":{"start":"2025-11-01T00:00:00+01:00","end":"2025-11-01T01:00:00+01:00"},
            "unit":"MWh","energy_input":{"fuel":{"value":3.6,"unit":"GJ"},"power":1},"energy_output":{"steam":0.5}}"#;
        let req = parse_calculation_request(body.as_bytes()).unwrap();
        // 3.6 GJ = 1000 kWh (SI: 1 kWh = 3.6 MJ); 1 MWh = 1000 kWh.
        assert!((req.input.energy_input_kwh["fuel"] - 1000.0).abs() < 1e-9);
        assert_eq!(req.input.energy_input_kwh["power"], 1000.0);
        assert_eq!(req.input.energy_output_kwh["steam"], 500.0);
        // Offsets are normalised to UTC.
        assert_eq!(req.input.time_period.start.hour(), 23);
        assert_eq!(req.unit_conversions.len(), 2);
    }

    #[test]
    fn stated_uncertainties_are_kept_outside_the_input() {
        let plain = r#"{"facility_id":"F","time_period":{"start":"2025-11-01T00:00:00Z","end":"2025-11-01T01:00:00Z"},
            "energy_input":{"fuel":{"value":1000,"unit":"kWh"}},"energy_output":{"steam":800}}"#;
        let with = plain.replace(r#""unit":"kWh"}"#, r#""unit":"kWh","uncertainty_pct":2}"#);
        let a = parse_calculation_request(plain.as_bytes()).unwrap();
        let b = parse_calculation_request(with.as_bytes()).unwrap();
        assert_eq!(a.input, b.input, "the canonical input does not change");
        assert!(a.uncertainties.is_empty());
        assert_eq!(
            b.uncertainties,
            [StatedUncertainty {
                input: "energy_input.fuel".to_owned(),
                uncertainty_pct: 2.0
            }]
        );
        let bad = plain.replace(r#""unit":"kWh"}"#, r#""unit":"kWh","uncertainty_pct":-1}"#);
        assert_eq!(fields(&bad), ["energy_input.fuel.uncertainty_pct"]);
        let stray = plain.replace(
            r#""energy_output""#,
            r#""uncertainties":[{"input":"energy_input.fuel","uncertainty_pct":2}],"energy_output""#,
        );
        assert_eq!(fields(&stray), ["uncertainties[0].input"]);
    }

    #[test]
    fn malformed_json_names_the_body() {
        assert_eq!(fields("{\"facility_id\": "), ["body"]);
        assert_eq!(fields(""), ["body"]);
        assert_eq!(fields("{} {}"), ["body"]);
    }

    #[test]
    fn unknown_and_mistyped_fields_are_named() {
        let with_extra = RUNBOOK_CASE.replacen('{', "{\"colour\": 1,", 1);
        let p = problems(&with_extra);
        assert!(p[0].problem.contains("unknown field `colour`"), "{p:?}");
        let bad_type = RUNBOOK_CASE.replace("1000.0", "\"1000\"");
        assert_eq!(fields(&bad_type), ["energy_input.fuel"]);
        let bad_inner =
            RUNBOOK_CASE.replace("1000.0", "{\"value\": 1, \"unit\": \"GJ\", \"x\": 2}");
        assert_eq!(fields(&bad_inner), ["energy_input.fuel"]);
        let dup = RUNBOOK_CASE.replace("\"electricity\": 50.0", "\"fuel\": 50.0");
        assert!(problems(&dup)[0].problem.contains("duplicate name `fuel`"));
    }

    #[test]
    fn every_rule_is_reported_at_once() {
        let body = r#"{"time_period":{"start":"2025-11-01T01:00:00Z","end":"2025-11-01T00:00:00Z"},
            "energy_input":{"fuel":-1, "gas":{"value":1,"unit":"furlongs"}},"energy_output":{}}"#;
        assert_eq!(
            fields(body),
            [
                "facility_id",
                "time_period.end",
                "energy_input.fuel",
                "energy_input.gas.unit"
            ]
        );
    }

    #[test]
    fn missing_energies_and_periods() {
        let only_ids = r#"{"facility_id":"FAC-1","time_period":{"start":"2025-11-01T00:00:00Z","end":"2025-11-01T01:00:00Z"}}"#;
        let p = problems(only_ids);
        assert_eq!(p[0].field, "energy_input");
        assert!(p[0].problem.contains("stored meter readings"));
        let empty_input = RUNBOOK_CASE.replace(r#"{"fuel": 1000.0, "electricity": 50.0}"#, "{}");
        assert_eq!(fields(&empty_input), ["energy_input"]);
        let no_period = r#"{"facility_id":"F","energy_input":{"a":1},"energy_output":{}}"#;
        assert_eq!(fields(no_period), ["time_period"]);
        let bad_time = RUNBOOK_CASE.replace("2025-11-01T00:00:00Z", "yesterday");
        assert_eq!(fields(&bad_time), ["time_period.start"]);
    }

    #[test]
    fn out_of_range_numbers_name_their_field() {
        // JSON cannot spell NaN or infinity; 1e400 overflows f64 and is refused where it stands.
        let huge = RUNBOOK_CASE.replace("1000.0", "1e400");
        assert_eq!(fields(&huge), ["energy_input.fuel"]);
        let too_big_after_conversion =
            RUNBOOK_CASE.replace("1000.0", r#"{"value": 1e306, "unit": "TJ"}"#);
        assert_eq!(
            fields(&too_big_after_conversion),
            ["energy_input.fuel.value"]
        );
    }
}
