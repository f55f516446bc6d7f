//! The facility model: what a plant is and which meter channels feed its
//! energy balance (`POST/PUT /v1/thermaliq/facilities`).
//!
//! Parsing follows [`crate::request`]: serde (with `deny_unknown_fields`)
//! names a malformed or mistyped field by its JSON path, then every other
//! rule is checked and *all* problems are reported at once.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize, Serializer};
use thermo::power::PowerUnit;
use thermo::units::EnergyUnit;

use crate::error::{CoreError, FieldProblem};
use crate::request::parse_json_document;

use super::schedule::time_zone;
use super::source::{ChannelSource, SourceDto, validate_source};

/// The longest facility id, category or channel-role name accepted.
const MAX_ID_LEN: usize = 64;
/// The longest channel tag accepted (historian tags can be long paths).
const MAX_TAG_LEN: usize = 128;
/// The longest name, meter id or equipment item accepted.
const MAX_TEXT_LEN: usize = 200;
/// The longest system-boundary description accepted.
const MAX_BOUNDARY_LEN: usize = 4_000;
/// The most channels one facility may have.
pub const MAX_CHANNELS: usize = 500;
/// The longest expected reporting interval accepted (one week).
const MAX_INTERVAL_MINUTES: u32 = 7 * 24 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessType {
    Boiler,
    Furnace,
    Kiln,
    Dryer,
    HeatExchanger,
    Chp,
    Other,
}

/// How often the monitor worker computes a closed period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    #[default]
    None,
    /// Every local clock hour.
    Hourly,
    /// Every local day, midnight to midnight in the facility's time zone.
    Daily,
}

/// Which side of the energy balance a channel feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelRole {
    /// Energy input (fuel, electricity, imported steam, ...).
    Input,
    /// Useful output.
    Output,
    /// A measured loss (flue gas, blowdown, ...).
    Loss,
    /// A driver of energy use (production, degree days, ambient
    /// temperature, ...) for regression baselines (ISO 50006); never part of
    /// the energy balance. Its kind is `interval_total` or `sample`.
    Variable,
}

/// What a channel's values mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Each value is the energy of one reporting interval (an energy unit).
    IntervalEnergy,
    /// Each value is the instantaneous power at its timestamp (a power unit).
    Power,
    /// Each value is a cumulative totaliser register (an energy unit).
    Counter,
    /// Variables only: each value is a quantity of its interval (tonnes
    /// produced, degree days), summed over a period; any unit.
    IntervalTotal,
    /// Variables only: each value is a state at its timestamp (°C, % load),
    /// time-averaged over a period; any unit.
    Sample,
}

impl ChannelKind {
    /// The kinds a `variable` channel may have.
    pub fn is_variable_kind(self) -> bool {
        matches!(self, ChannelKind::IntervalTotal | ChannelKind::Sample)
    }
}

/// Which instant an interval-energy reading is stamped with.
///
/// `interval_end` (the usual convention of utility and AMI interval data):
/// a reading stamped `t` is the energy of `[t − interval, t)`.
/// `interval_start` (the usual convention of historian aggregates):
/// a reading stamped `t` is the energy of `[t, t + interval)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stamping {
    IntervalStart,
    IntervalEnd,
}

/// The unit of a channel: an energy unit for interval energy and counters,
/// a power unit for power, any text for a variable. Serialised as its
/// canonical symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelUnit {
    Energy(EnergyUnit),
    Power(PowerUnit),
    /// A variable's unit, as given (`t`, `K·d`, `°C`).
    Quantity(String),
}

impl ChannelUnit {
    pub fn symbol(&self) -> &str {
        match self {
            ChannelUnit::Energy(u) => u.symbol(),
            ChannelUnit::Power(u) => u.symbol(),
            ChannelUnit::Quantity(u) => u,
        }
    }
}

impl Serialize for ChannelUnit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.symbol())
    }
}

/// One meter channel of a facility.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Channel {
    pub tag: String,
    pub role: ChannelRole,
    /// The energy-balance category the channel is summed into, e.g. `fuel`,
    /// `electricity`, `steam`, `hot_water`, `flue_gas`.
    pub category: String,
    pub kind: ChannelKind,
    pub unit: ChannelUnit,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meter_id: Option<String>,
    /// Counters only: the register value at which the counter wraps to 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollover_value: Option<f64>,
    /// The expected reporting interval; required for interval energy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_minutes: Option<u32>,
    /// Interval energy only (required there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stamping: Option<Stamping>,
    /// The largest physically plausible power of the channel in kW; a power
    /// reading above it, or an interval energy or counter increase whose mean
    /// power is above it, is an outlier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plausible_max_kw: Option<f64>,
    /// The meter's relative expanded uncertainty at 95 % coverage, percent
    /// of the value (ASME PTC 19.1), for the uncertainty of calculations
    /// from readings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncertainty_pct: Option<f64>,
    /// Where the readings come from (`push` when absent; see [`super::source`]).
    #[serde(skip_serializing_if = "ChannelSource::is_push")]
    pub source: ChannelSource,
}

/// A validated facility. Serialises to the same JSON shape it was parsed
/// from (units in their canonical symbols, defaults filled in).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Facility {
    pub facility_id: String,
    pub name: String,
    pub process_type: ProcessType,
    /// IANA time zone name, e.g. `Europe/Berlin`.
    pub time_zone: String,
    pub system_boundary: String,
    pub included_equipment: Vec<String>,
    pub excluded_equipment: Vec<String>,
    /// The facility's own `ENERGY_BALANCE_THRESHOLD` (a fraction 0–1), if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub energy_balance_threshold: Option<f64>,
    pub schedule: Schedule,
    pub channels: Vec<Channel>,
}

impl Facility {
    /// The channel with `tag`, if any.
    pub fn channel(&self, tag: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.tag == tag)
    }

    /// The channels of the energy balance (every role but `variable`).
    pub fn energy_channels(&self) -> impl Iterator<Item = &Channel> {
        self.channels
            .iter()
            .filter(|c| c.role != ChannelRole::Variable)
    }

    /// The `variable` channels (regression drivers).
    pub fn variable_channels(&self) -> impl Iterator<Item = &Channel> {
        self.channels
            .iter()
            .filter(|c| c.role == ChannelRole::Variable)
    }
}

/// Parses and validates a `POST/PUT /v1/thermaliq/facilities` body.
pub fn parse_facility(body: &[u8]) -> Result<Facility, CoreError> {
    let dto: FacilityDto = parse_json_document(body)?;
    validate_facility(dto)
}

fn validate_facility(dto: FacilityDto) -> Result<Facility, CoreError> {
    let mut problems = Vec::new();
    let require = |field: &str, value: Option<String>, problems: &mut Vec<FieldProblem>| {
        if value.is_none() {
            problems.push(FieldProblem::new(field, "is required"));
        }
        value
    };

    let facility_id = require("facility_id", dto.facility_id, &mut problems);
    if let Some(id) = &facility_id
        && let Err(rule) = check_facility_id(id)
    {
        problems.push(FieldProblem::new("facility_id", rule));
    }
    let name = require("name", dto.name, &mut problems);
    if let Some(name) = &name {
        check_text("name", name, MAX_TEXT_LEN, &mut problems);
    }
    if dto.process_type.is_none() {
        problems.push(FieldProblem::new(
            "process_type",
            "is required: one of boiler, furnace, kiln, dryer, heat_exchanger, chp, other",
        ));
    }
    let time_zone_name = require("time_zone", dto.time_zone, &mut problems);
    if let Some(tz) = &time_zone_name
        && time_zone(tz).is_err()
    {
        problems.push(FieldProblem::new(
            "time_zone",
            format!("`{tz}` is not an IANA time zone name, e.g. Europe/Berlin or UTC"),
        ));
    }
    let system_boundary = dto.system_boundary.unwrap_or_default();
    if system_boundary.chars().count() > MAX_BOUNDARY_LEN {
        problems.push(FieldProblem::new(
            "system_boundary",
            format!("must be at most {MAX_BOUNDARY_LEN} characters long"),
        ));
    }
    let included = dto.included_equipment.unwrap_or_default();
    let excluded = dto.excluded_equipment.unwrap_or_default();
    for (field, list) in [
        ("included_equipment", &included),
        ("excluded_equipment", &excluded),
    ] {
        let mut seen = BTreeSet::new();
        for (i, item) in list.iter().enumerate() {
            let path = format!("{field}[{i}]");
            check_text(&path, item, MAX_TEXT_LEN, &mut problems);
            if !seen.insert(item.as_str()) {
                problems.push(FieldProblem::new(path, format!("repeats `{item}`")));
            }
        }
    }
    for (i, item) in excluded.iter().enumerate() {
        if included.contains(item) {
            problems.push(FieldProblem::new(
                format!("excluded_equipment[{i}]"),
                format!("`{item}` is also in included_equipment"),
            ));
        }
    }
    if let Some(t) = dto.energy_balance_threshold
        && !(t.is_finite() && (0.0..=1.0).contains(&t))
    {
        problems.push(FieldProblem::new(
            "energy_balance_threshold",
            "must be a fraction between 0 and 1, e.g. 0.05",
        ));
    }

    let channels = match dto.channels {
        None => {
            problems.push(FieldProblem::new(
                "channels",
                "is required: at least one input and one output channel",
            ));
            Vec::new()
        }
        Some(list) => validate_channels(list, &mut problems),
    };

    if !problems.is_empty() {
        return Err(CoreError::Validation(problems));
    }
    let (Some(facility_id), Some(name), Some(process_type), Some(time_zone)) =
        (facility_id, name, dto.process_type, time_zone_name)
    else {
        unreachable!("every missing part pushed a problem above");
    };
    Ok(Facility {
        facility_id,
        name,
        process_type,
        time_zone,
        system_boundary,
        included_equipment: included,
        excluded_equipment: excluded,
        energy_balance_threshold: dto.energy_balance_threshold,
        schedule: dto.schedule.unwrap_or_default(),
        channels,
    })
}

fn validate_channels(list: Vec<ChannelDto>, problems: &mut Vec<FieldProblem>) -> Vec<Channel> {
    if list.len() > MAX_CHANNELS {
        problems.push(FieldProblem::new(
            "channels",
            format!("must hold at most {MAX_CHANNELS} channels"),
        ));
    }
    let has = |role| list.iter().any(|c| c.role == Some(role));
    if !has(ChannelRole::Input) {
        problems.push(FieldProblem::new(
            "channels",
            "must hold at least one channel with role `input`",
        ));
    }
    if !has(ChannelRole::Output) {
        problems.push(FieldProblem::new(
            "channels",
            "must hold at least one channel with role `output`",
        ));
    }
    let mut tags = BTreeSet::new();
    let mut out = Vec::with_capacity(list.len());
    for (i, dto) in list.into_iter().enumerate() {
        let at = |field: &str| format!("channels[{i}].{field}");
        let before = problems.len();

        match &dto.tag {
            None => problems.push(FieldProblem::new(at("tag"), "is required")),
            Some(tag) => {
                if let Err(rule) = check_tag(tag) {
                    problems.push(FieldProblem::new(at("tag"), rule));
                } else if !tags.insert(tag.clone()) {
                    problems.push(FieldProblem::new(
                        at("tag"),
                        format!("`{tag}` is used by an earlier channel; tags must be unique"),
                    ));
                }
            }
        }
        if dto.role.is_none() {
            problems.push(FieldProblem::new(
                at("role"),
                "is required: one of input, output, loss, variable",
            ));
        }
        match &dto.category {
            None => problems.push(FieldProblem::new(
                at("category"),
                "is required, e.g. fuel, electricity, steam, hot_water, flue_gas",
            )),
            Some(c) => {
                if let Err(rule) = check_category(c) {
                    problems.push(FieldProblem::new(at("category"), rule));
                }
            }
        }
        let variable = dto.role == Some(ChannelRole::Variable);
        if let Some(kind) = dto.kind
            && dto.role.is_some()
            && variable != kind.is_variable_kind()
        {
            problems.push(FieldProblem::new(
                at("kind"),
                if variable {
                    "a `variable` channel must be of kind interval_total (a quantity per interval, \
                     summed) or sample (a state, time-averaged)"
                } else {
                    "interval_total and sample are for channels of role `variable`; an energy \
                     channel is interval_energy, power or counter"
                },
            ));
        }
        if let Some(p) = dto.uncertainty_pct
            && !(p.is_finite() && (0.0..=100.0).contains(&p))
        {
            problems.push(FieldProblem::new(
                at("uncertainty_pct"),
                "must be a percentage from 0 to 100 (relative expanded uncertainty, 95 % coverage)",
            ));
        }
        let unit = match (dto.kind, dto.unit.as_deref()) {
            (None, _) => {
                problems.push(FieldProblem::new(
                    at("kind"),
                    "is required: one of interval_energy, power, counter (energy channels), \
                     interval_total, sample (variables)",
                ));
                None
            }
            (Some(ChannelKind::IntervalTotal | ChannelKind::Sample), Some(symbol)) => {
                check_text(&at("unit"), symbol, MAX_ID_LEN, problems);
                Some(ChannelUnit::Quantity(symbol.to_owned()))
            }
            (Some(_), None) => {
                problems.push(FieldProblem::new(at("unit"), "is required"));
                None
            }
            (Some(ChannelKind::Power), Some(symbol)) => match PowerUnit::parse(symbol) {
                Ok(u) => Some(ChannelUnit::Power(u)),
                Err(_) => {
                    problems.push(FieldProblem::new(
                        at("unit"),
                        format!(
                            "`{symbol}` is not a power unit (a power channel needs one of {})",
                            PowerUnit::accepted_list()
                        ),
                    ));
                    None
                }
            },
            (Some(kind), Some(symbol)) => match EnergyUnit::parse(symbol) {
                Ok(u) => Some(ChannelUnit::Energy(u)),
                Err(_) => {
                    let what = if kind == ChannelKind::Counter {
                        "a counter"
                    } else {
                        "an interval_energy channel"
                    };
                    problems.push(FieldProblem::new(
                        at("unit"),
                        format!(
                            "`{symbol}` is not an energy unit ({what} needs one of {})",
                            EnergyUnit::accepted_list()
                        ),
                    ));
                    None
                }
            },
        };
        if let Some(meter) = &dto.meter_id {
            check_text(&at("meter_id"), meter, MAX_TEXT_LEN, problems);
        }
        match (dto.kind, dto.rollover_value) {
            (_, None) => {}
            (Some(ChannelKind::Counter), Some(r)) => {
                if !(r.is_finite() && r > 0.0) {
                    problems.push(FieldProblem::new(
                        at("rollover_value"),
                        "must be a finite number > 0 (the register value at which the counter wraps to 0)",
                    ));
                }
            }
            (_, Some(_)) => problems.push(FieldProblem::new(
                at("rollover_value"),
                "applies only to channels of kind `counter`",
            )),
        }
        match dto.interval_minutes {
            None if dto.kind == Some(ChannelKind::IntervalEnergy) => {
                problems.push(FieldProblem::new(
                    at("interval_minutes"),
                    "is required for interval_energy channels (the length of one interval)",
                ));
            }
            Some(m) if m == 0 || m > MAX_INTERVAL_MINUTES => {
                problems.push(FieldProblem::new(
                    at("interval_minutes"),
                    format!("must be a whole number of minutes from 1 to {MAX_INTERVAL_MINUTES}"),
                ));
            }
            _ => {}
        }
        match (dto.kind, dto.stamping) {
            (Some(ChannelKind::IntervalEnergy), None) => problems.push(FieldProblem::new(
                at("stamping"),
                "is required for interval_energy channels: interval_start (a reading stamped t \
                 covers [t, t+interval)) or interval_end (it covers [t-interval, t))",
            )),
            (
                Some(
                    ChannelKind::Power
                    | ChannelKind::Counter
                    | ChannelKind::IntervalTotal
                    | ChannelKind::Sample,
                ),
                Some(_),
            ) => {
                problems.push(FieldProblem::new(
                    at("stamping"),
                    "applies only to channels of kind `interval_energy`",
                ));
            }
            _ => {}
        }
        if let Some(max) = dto.plausible_max_kw
            && !(max.is_finite() && max > 0.0)
        {
            problems.push(FieldProblem::new(
                at("plausible_max_kw"),
                "must be a finite number > 0 (kW)",
            ));
        }
        let source = validate_source(&at("source"), dto.source, problems);

        if problems.len() == before
            && let (Some(tag), Some(role), Some(category), Some(kind), Some(unit), Some(source)) =
                (dto.tag, dto.role, dto.category, dto.kind, unit, source)
        {
            out.push(Channel {
                tag,
                role,
                category,
                kind,
                unit,
                meter_id: dto.meter_id,
                rollover_value: dto.rollover_value,
                interval_minutes: dto.interval_minutes,
                stamping: dto.stamping,
                plausible_max_kw: dto.plausible_max_kw,
                uncertainty_pct: dto.uncertainty_pct,
                source,
            });
        }
    }
    out
}

/// Facility ids: 1 to 64 letters, digits and `-_.:` (safe in URLs and logs),
/// the rule of [`crate::request`].
pub(crate) fn check_facility_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.chars().count() > MAX_ID_LEN {
        return Err(format!("must be 1 to {MAX_ID_LEN} characters long"));
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
    {
        return Err("may hold only letters, digits and - _ . :".to_owned());
    }
    Ok(())
}

/// Tags: 1 to 128 characters, no control characters, no surrounding spaces.
fn check_tag(tag: &str) -> Result<(), String> {
    if tag.is_empty() || tag.chars().count() > MAX_TAG_LEN {
        return Err(format!("must be 1 to {MAX_TAG_LEN} characters long"));
    }
    if tag.chars().any(char::is_control) {
        return Err("must not hold control characters".to_owned());
    }
    if tag.trim() != tag {
        return Err("must not start or end with white space".to_owned());
    }
    Ok(())
}

/// Categories become the keys of the energy balance: lower-case snake case.
fn check_category(c: &str) -> Result<(), String> {
    let ok = !c.is_empty()
        && c.len() <= MAX_ID_LEN
        && c.starts_with(|ch: char| ch.is_ascii_lowercase())
        && c.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{c}` must be 1 to {MAX_ID_LEN} lower-case letters, digits and _, starting with a \
             letter, e.g. fuel, electricity, hot_water"
        ))
    }
}

fn check_text(field: &str, text: &str, max: usize, problems: &mut Vec<FieldProblem>) {
    if text.trim().is_empty() || text.chars().count() > max {
        problems.push(FieldProblem::new(
            field,
            format!("must be 1 to {max} characters long and not blank"),
        ));
    } else if text.chars().any(char::is_control) {
        problems.push(FieldProblem::new(field, "must not hold control characters"));
    }
}

// ---------------------------------------------------------------------------
// Wire types (first pass).

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FacilityDto {
    facility_id: Option<String>,
    name: Option<String>,
    process_type: Option<ProcessType>,
    time_zone: Option<String>,
    system_boundary: Option<String>,
    included_equipment: Option<Vec<String>>,
    excluded_equipment: Option<Vec<String>>,
    energy_balance_threshold: Option<f64>,
    schedule: Option<Schedule>,
    channels: Option<Vec<ChannelDto>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelDto {
    tag: Option<String>,
    role: Option<ChannelRole>,
    category: Option<String>,
    kind: Option<ChannelKind>,
    unit: Option<String>,
    meter_id: Option<String>,
    rollover_value: Option<f64>,
    interval_minutes: Option<u32>,
    stamping: Option<Stamping>,
    plausible_max_kw: Option<f64>,
    uncertainty_pct: Option<f64>,
    source: Option<SourceDto>,
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const FACILITY: &str = r#"{
      "facility_id": "FAC-001",
      "name": "Boiler house 1",
      "process_type": "boiler",
      "time_zone": "Europe/Berlin",
      "system_boundary": "Boiler B1 from gas meter to steam header",
      "included_equipment": ["B1", "economiser"],
      "excluded_equipment": ["B2"],
      "energy_balance_threshold": 0.05,
      "schedule": "daily",
      "channels": [
        {"tag": "gas_energy", "role": "input", "category": "fuel", "kind": "interval_energy",
         "unit": "MWh", "interval_minutes": 15, "stamping": "interval_end", "meter_id": "GM-1"},
        {"tag": "aux_power", "role": "input", "category": "electricity", "kind": "power", "unit": "kW"},
        {"tag": "steam_total", "role": "output", "category": "steam", "kind": "counter",
         "unit": "GJ", "rollover_value": 1000000, "interval_minutes": 5}
      ]
    }"#;

    fn problems(body: &str) -> Vec<FieldProblem> {
        match parse_facility(body.as_bytes()) {
            Err(CoreError::Validation(p)) => p,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_full_facility_parses_and_serialises_back() {
        let f = parse_facility(FACILITY.as_bytes()).unwrap();
        assert_eq!(f.channels.len(), 3);
        assert_eq!(f.channels[0].unit, ChannelUnit::Energy(EnergyUnit::MWh));
        assert_eq!(f.channels[1].unit, ChannelUnit::Power(PowerUnit::KW));
        assert_eq!(f.schedule, Schedule::Daily);
        let json = serde_json::to_vec(&f).unwrap();
        assert_eq!(parse_facility(&json).unwrap(), f, "round trip");
    }

    #[test]
    fn every_rule_is_reported_at_once_with_paths() {
        let body = r#"{"facility_id": "FAC 1", "name": "", "process_type": "boiler",
          "time_zone": "Mars/Olympus", "energy_balance_threshold": 5,
          "included_equipment": ["B1"], "excluded_equipment": ["B1"],
          "channels": [
            {"tag": "a", "role": "input", "category": "Fuel", "kind": "interval_energy", "unit": "kW"},
            {"tag": "a", "role": "input", "category": "fuel", "kind": "power", "unit": "kWh",
             "stamping": "interval_end", "rollover_value": 10},
            {"tag": "c", "role": "loss", "category": "flue_gas", "kind": "counter", "unit": "GJ",
             "rollover_value": -1, "interval_minutes": 0}
          ]}"#;
        let got: Vec<String> = problems(body).into_iter().map(|p| p.field).collect();
        assert_eq!(
            got,
            [
                "facility_id",
                "name",
                "time_zone",
                "excluded_equipment[0]",
                "energy_balance_threshold",
                "channels",
                "channels[0].category",
                "channels[0].unit",
                "channels[0].interval_minutes",
                "channels[0].stamping",
                "channels[1].tag",
                "channels[1].unit",
                "channels[1].rollover_value",
                "channels[1].stamping",
                "channels[2].rollover_value",
                "channels[2].interval_minutes",
            ]
        );
    }

    #[test]
    fn unknown_fields_and_enum_values_are_named() {
        let extra = FACILITY.replacen("\"meter_id\"", "\"colour\": 1, \"meter_id\"", 1);
        let p = problems(&extra);
        assert_eq!(p[0].field, "channels[0].colour");
        assert!(p[0].problem.contains("unknown field `colour`"), "{p:?}");
        let bad_kind = FACILITY.replace("\"kind\": \"power\"", "\"kind\": \"flow\"");
        assert_eq!(problems(&bad_kind)[0].field, "channels[1].kind");
        let bad_process = FACILITY.replace("\"boiler\"", "\"reactor\"");
        assert_eq!(problems(&bad_process)[0].field, "process_type");
    }

    #[test]
    fn variable_channels_take_any_unit_and_only_their_kinds() {
        let with = |extra: &str| {
            FACILITY.replace(
                "\"kind\": \"power\", \"unit\": \"kW\"}",
                &format!("\"kind\": \"power\", \"unit\": \"kW\"}}, {extra}"),
            )
        };
        let ok = with(
            r#"{"tag": "prod", "role": "variable", "category": "production", "kind": "interval_total", "unit": "t"},
               {"tag": "t_amb", "role": "variable", "category": "ambient", "kind": "sample", "unit": "°C", "uncertainty_pct": 1}"#,
        );
        let f = parse_facility(ok.as_bytes()).unwrap();
        assert_eq!(f.variable_channels().count(), 2);
        assert_eq!(f.energy_channels().count(), 3);
        assert_eq!(f.channel("t_amb").unwrap().unit.symbol(), "°C");
        let json = serde_json::to_vec(&f).unwrap();
        assert_eq!(parse_facility(&json).unwrap(), f, "round trip");

        let wrong = with(
            r#"{"tag": "prod", "role": "variable", "category": "production", "kind": "power", "unit": "kW"},
               {"tag": "x", "role": "input", "category": "fuel", "kind": "sample", "unit": "t"},
               {"tag": "y", "role": "input", "category": "fuel", "kind": "power", "unit": "kW", "uncertainty_pct": -2}"#,
        );
        let got: Vec<String> = problems(&wrong).into_iter().map(|p| p.field).collect();
        assert_eq!(
            got,
            [
                "channels[2].kind",
                "channels[3].kind",
                "channels[4].uncertainty_pct"
            ]
        );
    }

    #[test]
    fn required_fields_are_listed() {
        let got: Vec<String> = problems("{}").into_iter().map(|p| p.field).collect();
        assert_eq!(
            got,
            [
                "facility_id",
                "name",
                "process_type",
                "time_zone",
                "channels"
            ]
        );
    }
}
