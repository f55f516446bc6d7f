//! Readings ingest: every format, per-row errors with row numbers, and the
//! good rows landing beside them.

use thermaliq_core::CoreError;
use thermaliq_core::readings::{
    IngestOptions, ParsedReadings, Quality, ReadingsFormat, RowError, parse_facility,
    parse_readings,
};
use time::Duration;
use time::macros::datetime;

fn facility() -> thermaliq_core::readings::Facility {
    parse_facility(
        br#"{"facility_id": "FAC-001", "name": "t", "process_type": "kiln", "time_zone": "UTC",
        "channels": [
          {"tag": "gas", "role": "input", "category": "fuel", "kind": "counter", "unit": "MWh"},
          {"tag": "heat", "role": "output", "category": "process_heat", "kind": "power", "unit": "kW"}]}"#,
    )
    .unwrap()
}

fn options() -> IngestOptions {
    IngestOptions::new(datetime!(2025-11-02 12:00 UTC))
}

fn parse(body: &str, format: ReadingsFormat) -> ParsedReadings {
    parse_readings(body.as_bytes(), format, &facility(), &options()).unwrap()
}

fn errors(p: &ParsedReadings) -> Vec<(u64, &str)> {
    p.errors.iter().map(|e| (e.row, e.field.as_str())).collect()
}

#[test]
fn json_batch_reports_bad_rows_by_position_and_keeps_good_ones() {
    let body = r#"{"readings": [
      {"tag": "gas", "timestamp": "2025-11-01T00:15:00+01:00", "value": 12.5},
      {"tag": "oil", "timestamp": "2025-11-01T00:15:00Z", "value": 1},
      {"tag": "heat", "timestamp": "yesterday", "value": 1, "quality": "meh"},
      {"tag": "heat", "timestamp": "2025-11-02T12:06:00Z", "value": 1},
      {"tag": "heat", "timestamp": "2025-11-02T12:05:00Z", "value": 3, "quality": "uncertain", "correction": true},
      {"tag": "heat", "timestamp": "2025-11-01T00:00:00Z", "value": "x"},
      {"tag": "heat", "timestamp": "2025-11-01T00:00:00Z"},
      {"tag": "heat", "timestamp": "2025-11-01T00:00:00Z", "value": 1, "colour": 2},
      [1, 2]
    ]}"#;
    let p = parse(body, ReadingsFormat::Json);
    assert_eq!(p.rows.len(), 2);
    assert_eq!(p.rows[0].row, 1);
    // Offsets are normalised to UTC.
    assert_eq!(p.rows[0].timestamp, datetime!(2025-10-31 23:15 UTC));
    assert_eq!(p.rows[0].quality, Quality::Good);
    assert_eq!(p.rows[1].row, 5);
    assert!(p.rows[1].correction);
    assert_eq!(p.rows[1].quality, Quality::Uncertain);
    assert_eq!(
        errors(&p),
        [
            (2, "tag"),
            (3, "timestamp"),
            (3, "quality"),
            (4, "timestamp"),
            (6, "value"),
            (7, "value"),
            (8, "colour"),
            (9, "row"),
        ]
    );
    assert!(p.errors[0].problem.contains("`oil` is not a channel"));
    assert!(
        p.errors[3]
            .problem
            .contains("more than 5 minutes in the future")
    );
}

#[test]
fn ndjson_rows_are_numbered_by_line() {
    let body = "{\"tag\":\"gas\",\"timestamp\":\"2025-11-01T00:00:00Z\",\"value\":1}\n\
                \n\
                {\"tag\":\"gas\",\"timestamp\":\"2025-11-01T00:05:00Z\",\"value\":2\n\
                {\"tag\":\"gas\",\"timestamp\":\"2025-11-01T00:10:00Z\",\"value\":3,\"quality\":\"bad\"}\n";
    let p = parse(body, ReadingsFormat::Ndjson);
    assert_eq!(p.rows.len(), 2);
    assert_eq!(p.rows[1].row, 4);
    assert_eq!(p.rows[1].quality, Quality::Bad);
    assert_eq!(errors(&p), [(3, "row")]);
}

#[test]
fn csv_rows_are_numbered_by_line_and_non_finite_values_refused() {
    let body = "tag,timestamp,value,quality\r\n\
                gas,2025-11-01T00:00:00Z,1.5,good\r\n\
                gas,2025-11-01T00:05:00Z,NaN,good\r\n\
                gas,2025-11-01T00:10:00Z,inf,\r\n\
                \"heat\",2025-11-01T00:10:00Z,\"2\",uncertain\r\n\
                heat,2025-11-01 00:15,abc,\r\n\
                heat,2025-11-01T00:20:00Z\r\n\
                pump,2025-11-01T00:20:00Z,1,good\r\n\
                heat,2025-11-01T00:25:00Z,4,\r\n";
    let p = parse(body, ReadingsFormat::Csv);
    let rows: Vec<u64> = p.rows.iter().map(|r| r.row).collect();
    assert_eq!(rows, [2, 5, 9]);
    assert_eq!(p.rows[2].quality, Quality::Good, "an empty quality is good");
    assert_eq!(
        errors(&p),
        [
            (3, "value"),
            (4, "value"),
            (6, "timestamp"),
            (6, "value"),
            (7, "row"),
            (8, "tag"),
        ]
    );
    assert_eq!(
        p.errors[0],
        RowError {
            row: 3,
            field: "value".into(),
            problem: "must be a finite number".into()
        }
    );
}

#[test]
fn csv_header_problems_reject_the_document() {
    let bad = |body: &str| match parse_readings(
        body.as_bytes(),
        ReadingsFormat::Csv,
        &facility(),
        &options(),
    ) {
        Err(CoreError::Validation(p)) => p.into_iter().map(|p| p.problem).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert!(bad("tag,time,value\n")[0].contains("unknown column `time`"));
    assert!(bad("")[0].contains("is empty"));
    assert!(bad("tag,tag,timestamp,value\n")[0].contains("repeats column"));
    // Columns in any order, quality and correction optional.
    let p = parse(
        "value,tag,timestamp,correction\n7,heat,2025-11-01T00:00:00Z,true\n",
        ReadingsFormat::Csv,
    );
    assert_eq!(p.rows[0].value, 7.0);
    assert!(p.rows[0].correction);
}

#[test]
fn the_future_horizon_is_configurable() {
    let body = r#"{"readings": [{"tag": "gas", "timestamp": "2025-11-02T13:00:00Z", "value": 1}]}"#;
    let mut o = options();
    o.future_horizon = Duration::hours(1);
    let p = parse_readings(body.as_bytes(), ReadingsFormat::Json, &facility(), &o).unwrap();
    assert_eq!(p.rows.len(), 1);
    o.future_horizon = Duration::minutes(59);
    let p = parse_readings(body.as_bytes(), ReadingsFormat::Json, &facility(), &o).unwrap();
    assert_eq!(errors(&p), [(1, "timestamp")]);
}

#[test]
fn a_malformed_json_body_is_rejected_whole() {
    for body in ["", "{\"readings\": [", "{\"rows\": []}"] {
        assert!(
            parse_readings(
                body.as_bytes(),
                ReadingsFormat::Json,
                &facility(),
                &options()
            )
            .is_err(),
            "{body}"
        );
    }
}
