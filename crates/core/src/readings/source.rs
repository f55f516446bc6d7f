//! Where a channel's readings come from (`channels[i].source`), and the
//! record of where a calculation's readings were served from
//! (`data_quality.sources`).
//!
//! `push` (the default) is today's behaviour: someone sends readings to the
//! ingest endpoint. `energy_meter` pulls them from the meter vendor's REST
//! API when a period is computed; `modbus` and `mqtt` are collected into the
//! store by the worker; `historian` names a tag in a process historian.
//! Parsing is two-pass like the rest of the facility model: serde names a
//! mistyped field by its path, then every rule is checked and all problems
//! are reported at once.

use serde::{Deserialize, Serialize};

use crate::error::FieldProblem;
use crate::request::NormalizedInput;

/// The longest meter id, historian name or source id accepted.
const MAX_SOURCE_ID_LEN: usize = 64;
/// The longest historian tag accepted (historian tags can be long paths).
const MAX_HISTORIAN_TAG_LEN: usize = 256;
/// The longest host name (RFC 1035 §2.3.4: 255 octets, 253 in text form).
const MAX_HOST_LEN: usize = 253;
/// The longest MQTT topic (MQTT 3.1.1 §1.5.3: a UTF-8 string of at most 65,535 bytes).
const MAX_TOPIC_BYTES: usize = 65_535;
/// The longest JSON Pointer accepted in `value_path`.
const MAX_POINTER_LEN: usize = 512;
/// The longest Modbus poll interval (one day).
const MAX_POLL_SECONDS: u32 = 86_400;

/// Which Modbus register table a value is read from (Modbus Application
/// Protocol V1.1b3 §4.3: holding registers FC 03, input registers FC 04).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterType {
    #[default]
    Holding,
    Input,
}

/// How the registers of a value are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModbusDataType {
    U16,
    I16,
    U32,
    I32,
    U64,
    F32,
    F64,
}

impl ModbusDataType {
    /// 16-bit registers one value takes.
    pub fn registers(self) -> u16 {
        match self {
            ModbusDataType::U16 | ModbusDataType::I16 => 1,
            ModbusDataType::U32 | ModbusDataType::I32 | ModbusDataType::F32 => 2,
            ModbusDataType::U64 | ModbusDataType::F64 => 4,
        }
    }
}

/// Register order of multi-register values: `big` sends the high word first
/// (the Modbus byte order within a register is always big-endian, §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WordOrder {
    #[default]
    Big,
    Little,
}

/// A Modbus TCP register a value is polled from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModbusSource {
    pub host: String,
    pub port: u16,
    pub unit_id: u8,
    /// The 0-based protocol address (register 40001 in 1-based "Modicon"
    /// notation is address 0 of the holding registers).
    pub register: u16,
    pub register_type: RegisterType,
    pub data_type: ModbusDataType,
    pub word_order: WordOrder,
    /// Multiplier from the raw register value to the channel's unit.
    pub scale: f64,
    pub poll_seconds: u32,
}

/// Where a channel's readings come from.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChannelSource {
    /// Readings are sent to the ingest endpoint (the default).
    #[default]
    Push,
    /// Pulled from the meter vendor's REST API for each period computed.
    EnergyMeter { meter_id: String },
    /// Polled by the worker from a Modbus TCP device into the store.
    Modbus(ModbusSource),
    /// Subscribed to by the worker (QoS 1) into the store.
    Mqtt {
        topic: String,
        /// A JSON Pointer (RFC 6901) to the number in the payload, e.g. `/data/kw`.
        #[serde(skip_serializing_if = "Option::is_none")]
        value_path: Option<String>,
    },
    /// A tag of a process historian.
    Historian { historian: String, tag: String },
}

impl ChannelSource {
    pub fn is_push(&self) -> bool {
        matches!(self, ChannelSource::Push)
    }

    /// The `type` text, as in `data_quality.sources[].source`.
    pub fn kind(&self) -> &'static str {
        match self {
            ChannelSource::Push => "push",
            ChannelSource::EnergyMeter { .. } => "energy_meter",
            ChannelSource::Modbus(_) => "modbus",
            ChannelSource::Mqtt { .. } => "mqtt",
            ChannelSource::Historian { .. } => "historian",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SourceType {
    Push,
    EnergyMeter,
    Modbus,
    Mqtt,
    Historian,
}

impl SourceType {
    fn as_str(self) -> &'static str {
        match self {
            SourceType::Push => "push",
            SourceType::EnergyMeter => "energy_meter",
            SourceType::Modbus => "modbus",
            SourceType::Mqtt => "mqtt",
            SourceType::Historian => "historian",
        }
    }
}

/// The wire form of `source` (first pass): every field of every type, so
/// a field given for the wrong type is named rather than silently dropped.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceDto {
    #[serde(rename = "type")]
    kind: Option<SourceType>,
    meter_id: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    unit_id: Option<u8>,
    register: Option<u16>,
    register_type: Option<RegisterType>,
    data_type: Option<ModbusDataType>,
    word_order: Option<WordOrder>,
    scale: Option<f64>,
    poll_seconds: Option<u32>,
    topic: Option<String>,
    value_path: Option<String>,
    historian: Option<String>,
    tag: Option<String>,
}

/// Validates `source` of the channel at `at` (e.g. `channels[2].source`);
/// pushes a problem for every bad field and returns the source when none.
pub(crate) fn validate_source(
    at: &str,
    dto: Option<SourceDto>,
    problems: &mut Vec<FieldProblem>,
) -> Option<ChannelSource> {
    let Some(dto) = dto else {
        return Some(ChannelSource::Push);
    };
    let field = |name: &str| format!("{at}.{name}");
    let before = problems.len();
    let Some(kind) = dto.kind else {
        problems.push(FieldProblem::new(
            field("type"),
            "is required: one of push, energy_meter, modbus, mqtt, historian",
        ));
        return None;
    };
    // Which fields each type takes; any other given field is named.
    let given: [(&str, bool, &[SourceType]); 14] = [
        (
            "meter_id",
            dto.meter_id.is_some(),
            &[SourceType::EnergyMeter],
        ),
        ("host", dto.host.is_some(), &[SourceType::Modbus]),
        ("port", dto.port.is_some(), &[SourceType::Modbus]),
        ("unit_id", dto.unit_id.is_some(), &[SourceType::Modbus]),
        ("register", dto.register.is_some(), &[SourceType::Modbus]),
        (
            "register_type",
            dto.register_type.is_some(),
            &[SourceType::Modbus],
        ),
        ("data_type", dto.data_type.is_some(), &[SourceType::Modbus]),
        (
            "word_order",
            dto.word_order.is_some(),
            &[SourceType::Modbus],
        ),
        ("scale", dto.scale.is_some(), &[SourceType::Modbus]),
        (
            "poll_seconds",
            dto.poll_seconds.is_some(),
            &[SourceType::Modbus],
        ),
        ("topic", dto.topic.is_some(), &[SourceType::Mqtt]),
        ("value_path", dto.value_path.is_some(), &[SourceType::Mqtt]),
        (
            "historian",
            dto.historian.is_some(),
            &[SourceType::Historian],
        ),
        ("tag", dto.tag.is_some(), &[SourceType::Historian]),
    ];
    for (name, present, types) in given {
        if present && !types.contains(&kind) {
            problems.push(FieldProblem::new(
                field(name),
                format!(
                    "does not apply to sources of type `{}` (only to `{}`)",
                    kind.as_str(),
                    types[0].as_str()
                ),
            ));
        }
    }
    let required = |name: &str, value: &Option<String>, problems: &mut Vec<FieldProblem>| {
        if value.is_none() {
            problems.push(FieldProblem::new(
                field(name),
                format!("is required for sources of type `{}`", kind.as_str()),
            ));
        }
    };
    let source = match kind {
        SourceType::Push => Some(ChannelSource::Push),
        SourceType::EnergyMeter => {
            required("meter_id", &dto.meter_id, problems);
            if let Some(id) = &dto.meter_id {
                check_source_id(&field("meter_id"), id, problems);
            }
            dto.meter_id
                .map(|meter_id| ChannelSource::EnergyMeter { meter_id })
        }
        SourceType::Modbus => validate_modbus(&field, dto, problems).map(ChannelSource::Modbus),
        SourceType::Mqtt => {
            required("topic", &dto.topic, problems);
            if let Some(topic) = &dto.topic {
                check_topic(&field("topic"), topic, problems);
            }
            if let Some(pointer) = &dto.value_path
                && let Err(rule) = check_json_pointer(pointer)
            {
                problems.push(FieldProblem::new(field("value_path"), rule));
            }
            dto.topic.map(|topic| ChannelSource::Mqtt {
                topic,
                value_path: dto.value_path,
            })
        }
        SourceType::Historian => {
            required("historian", &dto.historian, problems);
            required("tag", &dto.tag, problems);
            if let Some(name) = &dto.historian {
                check_source_id(&field("historian"), name, problems);
            }
            if let Some(tag) = &dto.tag
                && (tag.trim().is_empty()
                    || tag.chars().count() > MAX_HISTORIAN_TAG_LEN
                    || tag.chars().any(char::is_control))
            {
                problems.push(FieldProblem::new(
                    field("tag"),
                    format!(
                        "must be 1 to {MAX_HISTORIAN_TAG_LEN} characters long, not blank, \
                         without control characters"
                    ),
                ));
            }
            match (dto.historian, dto.tag) {
                (Some(historian), Some(tag)) => Some(ChannelSource::Historian { historian, tag }),
                _ => None,
            }
        }
    };
    if problems.len() == before {
        source
    } else {
        None
    }
}

fn validate_modbus(
    field: &dyn Fn(&str) -> String,
    dto: SourceDto,
    problems: &mut Vec<FieldProblem>,
) -> Option<ModbusSource> {
    for (name, missing) in [
        ("host", dto.host.is_none()),
        ("register", dto.register.is_none()),
        ("data_type", dto.data_type.is_none()),
    ] {
        if missing {
            problems.push(FieldProblem::new(
                field(name),
                "is required for sources of type `modbus`",
            ));
        }
    }
    if let Some(host) = &dto.host
        && (host.is_empty()
            || host.len() > MAX_HOST_LEN
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '_')))
    {
        problems.push(FieldProblem::new(
            field("host"),
            format!(
                "must be a host name or IP address of 1 to {MAX_HOST_LEN} letters, digits and - . : _"
            ),
        ));
    }
    if dto.port == Some(0) {
        problems.push(FieldProblem::new(
            field("port"),
            "must be a TCP port from 1 to 65535 (Modbus TCP uses 502)",
        ));
    }
    // A value's last register must exist: addresses are 0..=65535.
    if let (Some(register), Some(data_type)) = (dto.register, dto.data_type)
        && u32::from(register) + u32::from(data_type.registers()) - 1 > u32::from(u16::MAX)
    {
        problems.push(FieldProblem::new(
            field("register"),
            format!(
                "a {data_type:?} value takes {} registers: the last one would be past address 65535",
                data_type.registers()
            ),
        ));
    }
    if let Some(scale) = dto.scale
        && !(scale.is_finite() && scale != 0.0)
    {
        problems.push(FieldProblem::new(
            field("scale"),
            "must be a finite number other than 0 (a multiplier, e.g. 0.1)",
        ));
    }
    if let Some(p) = dto.poll_seconds
        && (p == 0 || p > MAX_POLL_SECONDS)
    {
        problems.push(FieldProblem::new(
            field("poll_seconds"),
            format!("must be a whole number of seconds from 1 to {MAX_POLL_SECONDS}"),
        ));
    }
    Some(ModbusSource {
        host: dto.host?,
        port: dto.port.unwrap_or(502),
        unit_id: dto.unit_id.unwrap_or(1),
        register: dto.register?,
        register_type: dto.register_type.unwrap_or_default(),
        data_type: dto.data_type?,
        word_order: dto.word_order.unwrap_or_default(),
        scale: dto.scale.unwrap_or(1.0),
        poll_seconds: dto.poll_seconds.unwrap_or(60),
    })
}

/// Meter ids and historian names go into URLs and log lines: 1 to 64
/// letters, digits and `-_.:`.
fn check_source_id(field: &str, id: &str, problems: &mut Vec<FieldProblem>) {
    let ok = !id.is_empty()
        && id.chars().count() <= MAX_SOURCE_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if !ok {
        problems.push(FieldProblem::new(
            field,
            format!("must be 1 to {MAX_SOURCE_ID_LEN} letters, digits and - _ . :"),
        ));
    }
}

/// A topic one channel subscribes to: not empty, at most 65,535 bytes, no
/// NUL (MQTT 3.1.1 §4.7.3), and no wildcard `+`/`#` (§4.7.1), which would
/// mix several devices' values into one channel.
fn check_topic(field: &str, topic: &str, problems: &mut Vec<FieldProblem>) {
    if topic.is_empty() || topic.len() > MAX_TOPIC_BYTES || topic.contains('\0') {
        problems.push(FieldProblem::new(
            field,
            format!("must be 1 to {MAX_TOPIC_BYTES} bytes without NUL (MQTT 3.1.1 §4.7.3)"),
        ));
    } else if topic.contains(['+', '#']) {
        problems.push(FieldProblem::new(
            field,
            "must name one topic: the wildcards + and # would mix several devices into one channel",
        ));
    }
}

/// RFC 6901 §3: a JSON Pointer is empty or `/`-prefixed reference tokens in
/// which `~` appears only as `~0` or `~1`.
pub fn check_json_pointer(pointer: &str) -> Result<(), String> {
    if pointer.len() > MAX_POINTER_LEN {
        return Err(format!("must be at most {MAX_POINTER_LEN} characters long"));
    }
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(format!(
            "`{pointer}` is not a JSON Pointer (RFC 6901): it must start with /, e.g. /data/kw"
        ));
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(format!(
                "`{pointer}` is not a JSON Pointer (RFC 6901): ~ must be written ~0 and / inside a name ~1"
            ));
        }
    }
    Ok(())
}

/// Where a calculation's readings of one channel were served from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServedFrom {
    /// Fetched from the source while computing.
    Live,
    /// A cached pull younger than the cache TTL.
    Cache,
    /// The source failed; an older cached pull was used (fallback).
    FallbackCache,
    /// The readings stored by ingest (push, Modbus, MQTT).
    Store,
}

/// One entry of `data_quality.sources`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceUse {
    pub channel: String,
    /// The source's `type`.
    pub source: &'static str,
    pub served_from: ServedFrom,
    /// How old the served data was (`null` for the store and live pulls).
    pub age_seconds: Option<f64>,
}

/// Adds `sources` to a readings-based input's data-quality report and a
/// `fallback_data_used` warning for each channel served from the fallback
/// cache. An input without readings is left as it is.
pub fn attach_sources(input: &mut NormalizedInput, sources: Vec<SourceUse>) {
    let Some(readings) = input.readings.as_mut() else {
        return;
    };
    for s in sources
        .iter()
        .filter(|s| s.served_from == ServedFrom::FallbackCache)
    {
        readings.notes.push(crate::engine::Finding {
            code: "fallback_data_used".to_owned(),
            field: "data_quality.sources".to_owned(),
            message: format!(
                "channel {}: the {} source was unavailable; cached readings {:.0} s old were used \
                 (ENERGY_METER_ENABLE_FALLBACK)",
                s.channel,
                s.source,
                s.age_seconds.unwrap_or_default()
            ),
        });
    }
    if let serde_json::Value::Object(report) = &mut readings.report {
        report.insert(
            "sources".to_owned(),
            serde_json::to_value(&sources).unwrap_or_default(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(json: &str) -> (Option<ChannelSource>, Vec<String>) {
        let dto: SourceDto = serde_json::from_str(json).unwrap();
        let mut problems = Vec::new();
        let source = validate_source("channels[0].source", Some(dto), &mut problems);
        (source, problems.into_iter().map(|p| p.field).collect())
    }

    #[test]
    fn every_shape_of_the_issue_parses_and_serialises_back() {
        for json in [
            r#"{"type":"push"}"#,
            r#"{"type":"energy_meter","meter_id":"M-1"}"#,
            r#"{"type":"modbus","host":"10.0.0.5","port":502,"unit_id":1,"register":100,"register_type":"input","data_type":"f32","word_order":"little","scale":0.1,"poll_seconds":10}"#,
            r#"{"type":"mqtt","topic":"plant/b1/gas","value_path":"/data/kw"}"#,
            r#"{"type":"historian","historian":"main","tag":"B1.FuelFlow"}"#,
        ] {
            let (source, problems) = parse(json);
            assert!(problems.is_empty(), "{json}: {problems:?}");
            let back = serde_json::to_string(&source.unwrap()).unwrap();
            let (again, _) = parse(&back);
            assert_eq!(parse(json).0, again, "{json} -> {back}");
        }
        let (source, _) = parse(r#"{"type":"modbus","host":"m1","register":0,"data_type":"u16"}"#);
        let Some(ChannelSource::Modbus(m)) = source else {
            panic!("modbus")
        };
        assert_eq!(
            (m.port, m.unit_id, m.scale, m.poll_seconds),
            (502, 1, 1.0, 60)
        );
        assert_eq!(
            (m.register_type, m.word_order),
            (RegisterType::Holding, WordOrder::Big)
        );
    }

    #[test]
    fn every_bad_field_is_named_with_its_path() {
        let (_, got) = parse(
            r#"{"type":"modbus","host":"bad host","port":0,"register":65534,"data_type":"f64",
                "scale":0,"poll_seconds":0,"topic":"x"}"#,
        );
        assert_eq!(
            got,
            [
                "channels[0].source.topic",
                "channels[0].source.host",
                "channels[0].source.port",
                "channels[0].source.register",
                "channels[0].source.scale",
                "channels[0].source.poll_seconds",
            ]
        );
        let (_, got) = parse(r#"{"type":"mqtt","topic":"a/+/b","value_path":"data/kw"}"#);
        assert_eq!(
            got,
            ["channels[0].source.topic", "channels[0].source.value_path"]
        );
        let (_, got) = parse(r#"{"type":"energy_meter","meter_id":"M 1"}"#);
        assert_eq!(got, ["channels[0].source.meter_id"]);
        let (_, got) = parse(r#"{"type":"historian"}"#);
        assert_eq!(
            got,
            ["channels[0].source.historian", "channels[0].source.tag"]
        );
        let (_, got) = parse(r#"{"meter_id":"M-1"}"#);
        assert_eq!(got, ["channels[0].source.type"]);
    }

    #[test]
    fn json_pointers_follow_rfc_6901() {
        // RFC 6901 §5's examples are all valid pointers.
        for ok in [
            "", "/foo", "/foo/0", "/", "/a~1b", "/c%d", "/e^f", "/g|h", "/i\\j", "/ m~0n",
        ] {
            assert!(check_json_pointer(ok).is_ok(), "{ok}");
        }
        for bad in ["foo", "/a~2", "/a~", "~0"] {
            assert!(check_json_pointer(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        /// Any encoded token list is a valid pointer (RFC 6901 §4 escaping).
        #[test]
        fn escaped_tokens_make_a_valid_pointer(tokens in proptest::collection::vec(".{0,8}", 0..5)) {
            let pointer: String = tokens
                .iter()
                .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
                .collect();
            prop_assert!(check_json_pointer(&pointer).is_ok() || pointer.len() > MAX_POINTER_LEN);
        }
    }
}

#[cfg(test)]
mod facility_tests {
    use crate::error::CoreError;
    use crate::readings::parse_facility;

    #[test]
    fn a_facility_names_bad_source_fields_among_its_other_problems() {
        let body = r#"{"facility_id": "FAC-S", "name": "S", "process_type": "boiler",
          "time_zone": "UTC", "channels": [
            {"tag": "gas", "role": "input", "category": "fuel", "kind": "power", "unit": "kW",
             "source": {"type": "energy_meter"}},
            {"tag": "steam", "role": "output", "category": "steam", "kind": "power", "unit": "kW",
             "source": {"type": "mqtt", "topic": "s", "register": 3}}
          ]}"#;
        let Err(CoreError::Validation(p)) = parse_facility(body.as_bytes()) else {
            panic!("expected a validation error")
        };
        let fields: Vec<&str> = p.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["channels[0].source.meter_id", "channels[1].source.register"]
        );
        let bad_type = body.replace("\"energy_meter\"", "\"opc\"");
        let Err(CoreError::Validation(p)) = parse_facility(bad_type.as_bytes()) else {
            panic!("expected a validation error")
        };
        assert_eq!(p[0].field, "channels[0].source.type", "{p:?}");
    }

    #[test]
    fn push_is_the_default_and_is_not_written_back() {
        let body = r#"{"facility_id": "FAC-S", "name": "S", "process_type": "boiler",
          "time_zone": "UTC", "channels": [
            {"tag": "gas", "role": "input", "category": "fuel", "kind": "power", "unit": "kW"},
            {"tag": "steam", "role": "output", "category": "steam", "kind": "power", "unit": "kW",
             "source": {"type": "energy_meter", "meter_id": "M-1"}}
          ]}"#;
        let f = parse_facility(body.as_bytes()).unwrap();
        let json = serde_json::to_value(&f).unwrap();
        assert!(json["channels"][0].get("source").is_none(), "{json}");
        assert_eq!(json["channels"][1]["source"]["meter_id"], "M-1");
        assert_eq!(parse_facility(json.to_string().as_bytes()).unwrap(), f);
    }
}
