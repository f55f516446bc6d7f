//! Readings as they arrive: a JSON batch, NDJSON or CSV, checked row by row.
//!
//! A problem with the document itself (not JSON, not UTF-8, a CSV header
//! without the required columns) rejects the whole body as a
//! [`CoreError::Validation`]. A problem with one reading rejects that row
//! only: good rows come back in [`ParsedReadings::rows`] and each rejected
//! row's problems in [`ParsedReadings::errors`], with its row number, field
//! and rule.
//!
//! Row numbers: for a JSON batch, the 1-based position of the reading in the
//! `readings` array; for NDJSON and CSV, the 1-based line number in the file
//! (a CSV header is line 1, so the first reading is row 2).
//!
//! Shapes:
//!
//! ```text
//! {"readings": [{"tag": "gas_energy", "timestamp": "2025-11-01T00:15:00Z",
//!                "value": 12.5, "quality": "good", "correction": false}]}
//! {"tag": "gas_energy", "timestamp": "2025-11-01T00:15:00Z", "value": 12.5}      (NDJSON, one a line)
//! tag,timestamp,value,quality                                                   (CSV header; quality
//! gas_energy,2025-11-01T00:15:00Z,12.5,good                                      and correction optional)
//! ```

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::error::{CoreError, FieldProblem};
use crate::request::parse_json_document;

use super::Quality;
use super::facility::Facility;

/// The earliest year a reading may carry.
pub const EARLIEST_READING_YEAR: i32 = 1900;
/// How far in the future a reading may be stamped by default (meter clocks drift).
pub const DEFAULT_FUTURE_HORIZON_MINUTES: i64 = 5;

/// The body formats of `POST /facilities/{id}/readings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadingsFormat {
    /// `{"readings": [...]}` (`application/json`).
    Json,
    /// One reading object a line (`application/x-ndjson`).
    Ndjson,
    /// `tag,timestamp,value[,quality][,correction]` with a header (`text/csv`).
    Csv,
}

impl ReadingsFormat {
    /// The format of a `Content-Type` value (parameters such as `charset` ignored).
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "application/json" => Some(Self::Json),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" => {
                Some(Self::Ndjson)
            }
            "text/csv" => Some(Self::Csv),
            _ => None,
        }
    }
}

/// What ingest checks rows against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IngestOptions {
    /// The current time (core has no clock).
    pub now: OffsetDateTime,
    /// Readings stamped later than `now + future_horizon` are refused.
    pub future_horizon: Duration,
}

impl IngestOptions {
    pub fn new(now: OffsetDateTime) -> Self {
        Self {
            now,
            future_horizon: Duration::minutes(DEFAULT_FUTURE_HORIZON_MINUTES),
        }
    }
}

/// One accepted reading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestRow {
    pub row: u64,
    pub tag: String,
    /// In UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
    pub value: f64,
    pub quality: Quality,
    /// The sender marks a value that replaces an earlier one for the same
    /// (facility, tag, timestamp); without it a re-sent key is a duplicate.
    pub correction: bool,
}

/// One problem of one rejected row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: u64,
    pub field: String,
    pub problem: String,
}

/// The accepted rows and the problems of the rejected ones.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ParsedReadings {
    pub rows: Vec<IngestRow>,
    pub errors: Vec<RowError>,
}

/// Parses a readings body for `facility`.
pub fn parse_readings(
    body: &[u8],
    format: ReadingsFormat,
    facility: &Facility,
    options: &IngestOptions,
) -> Result<ParsedReadings, CoreError> {
    let checker = RowChecker::new(facility, options);
    match format {
        ReadingsFormat::Json => parse_json_batch(body, &checker),
        ReadingsFormat::Ndjson => {
            let text = utf8(body)?;
            let mut out = ParsedReadings::default();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                out.push(checker.ndjson_line(i as u64 + 1, line));
            }
            Ok(out)
        }
        ReadingsFormat::Csv => {
            let text = utf8(body)?;
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            let mut lines = text.lines().enumerate();
            let header = lines
                .by_ref()
                .find(|(_, l)| !l.trim().is_empty())
                .ok_or_else(|| {
                    CoreError::Validation(vec![FieldProblem::new(
                        "body",
                        "is empty: a CSV body needs the header tag,timestamp,value,quality",
                    )])
                })?;
            let columns = CsvColumns::from_header(header.1)?;
            let mut out = ParsedReadings::default();
            for (i, line) in lines {
                if line.trim().is_empty() {
                    continue;
                }
                out.push(checker.csv_line(&columns, i as u64 + 1, line));
            }
            Ok(out)
        }
    }
}

impl ParsedReadings {
    fn push(&mut self, row: Result<IngestRow, Vec<RowError>>) {
        match row {
            Ok(r) => self.rows.push(r),
            Err(e) => self.errors.extend(e),
        }
    }
}

fn utf8(body: &[u8]) -> Result<&str, CoreError> {
    std::str::from_utf8(body).map_err(|e| {
        CoreError::Validation(vec![FieldProblem::new(
            "body",
            format!("is not UTF-8 text: {e}"),
        )])
    })
}

fn parse_json_batch(body: &[u8], checker: &RowChecker) -> Result<ParsedReadings, CoreError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Batch {
        readings: Vec<serde_json::Value>,
    }
    let batch: Batch = parse_json_document(body)?;
    let mut out = ParsedReadings::default();
    for (i, value) in batch.readings.into_iter().enumerate() {
        out.push(checker.json_value(i as u64 + 1, value));
    }
    Ok(out)
}

/// One reading before checking, from any format.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowDto {
    tag: Option<String>,
    timestamp: Option<String>,
    value: Option<f64>,
    quality: Option<String>,
    correction: Option<bool>,
}

/// The per-row rules, shared by every format; usable line by line so a CLI
/// import can stream a large file with a progress bar.
pub struct RowChecker<'a> {
    tags: HashSet<&'a str>,
    latest: OffsetDateTime,
    horizon: Duration,
}

impl<'a> RowChecker<'a> {
    pub fn new(facility: &'a Facility, options: &IngestOptions) -> Self {
        Self {
            tags: facility.channels.iter().map(|c| c.tag.as_str()).collect(),
            latest: options.now.saturating_add(options.future_horizon),
            horizon: options.future_horizon,
        }
    }

    /// One NDJSON line, `row` being its line number.
    pub fn ndjson_line(&self, row: u64, line: &str) -> Result<IngestRow, Vec<RowError>> {
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(value) => self.json_value(row, value),
            Err(e) => Err(vec![RowError {
                row,
                field: "row".to_owned(),
                problem: format!("is not a JSON object: {e}"),
            }]),
        }
    }

    fn json_value(&self, row: u64, value: serde_json::Value) -> Result<IngestRow, Vec<RowError>> {
        if !value.is_object() {
            return Err(vec![RowError {
                row,
                field: "row".to_owned(),
                problem: "must be a JSON object with tag, timestamp and value".to_owned(),
            }]);
        }
        match serde_path_to_error::deserialize::<_, RowDto>(value) {
            Ok(dto) => self.check(row, dto),
            Err(e) => {
                let path = e.path().to_string();
                let field = if path == "." || path.is_empty() {
                    "row".to_owned()
                } else {
                    path
                };
                Err(vec![RowError {
                    row,
                    field,
                    problem: e.into_inner().to_string(),
                }])
            }
        }
    }

    /// One CSV data line, `row` being its line number.
    pub fn csv_line(
        &self,
        columns: &CsvColumns,
        row: u64,
        line: &str,
    ) -> Result<IngestRow, Vec<RowError>> {
        let fields = split_csv_line(line).map_err(|problem| {
            vec![RowError {
                row,
                field: "row".to_owned(),
                problem,
            }]
        })?;
        if fields.len() != columns.count {
            return Err(vec![RowError {
                row,
                field: "row".to_owned(),
                problem: format!(
                    "has {} fields, the header has {}",
                    fields.len(),
                    columns.count
                ),
            }]);
        }
        let get = |i: Option<usize>| i.map(|i| fields[i].clone()).filter(|s| !s.is_empty());
        let mut errors = Vec::new();
        let value = match get(Some(columns.value)) {
            None => None,
            Some(text) => match text.trim().parse::<f64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    errors.push(RowError {
                        row,
                        field: "value".to_owned(),
                        problem: format!("`{text}` is not a number"),
                    });
                    Some(0.0)
                }
            },
        };
        let correction = match get(columns.correction).as_deref().map(str::trim) {
            None | Some("false") | Some("0") => Some(false),
            Some("true") | Some("1") => Some(true),
            Some(other) => {
                errors.push(RowError {
                    row,
                    field: "correction".to_owned(),
                    problem: format!("`{other}` must be true or false"),
                });
                None
            }
        };
        let dto = RowDto {
            tag: get(Some(columns.tag)),
            timestamp: get(Some(columns.timestamp)).map(|s| s.trim().to_owned()),
            value,
            quality: get(columns.quality).map(|s| s.trim().to_owned()),
            correction,
        };
        match self.check(row, dto) {
            Ok(r) if errors.is_empty() => Ok(r),
            Ok(_) => Err(errors),
            Err(mut more) => {
                errors.append(&mut more);
                errors.sort_by_key(|e| field_order(&e.field));
                Err(errors)
            }
        }
    }

    fn check(&self, row: u64, dto: RowDto) -> Result<IngestRow, Vec<RowError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, problem: String| {
            errors.push(RowError {
                row,
                field: field.to_owned(),
                problem,
            });
        };
        match &dto.tag {
            None => fail("tag", "is required".to_owned()),
            Some(tag) if !self.tags.contains(tag.as_str()) => {
                fail("tag", format!("`{tag}` is not a channel of this facility"));
            }
            Some(_) => {}
        }
        let timestamp = match &dto.timestamp {
            None => {
                fail("timestamp", "is required".to_owned());
                None
            }
            Some(text) => match crate::timestamp::parse_rfc3339(text) {
                Err(_) => {
                    fail(
                        "timestamp",
                        format!(
                            "`{text}` is not an RFC 3339 timestamp with a UTC offset, e.g. \
                             2025-11-01T00:15:00Z"
                        ),
                    );
                    None
                }
                // No meter kept readings before 1900; earlier years are typos
                // (year 0 or 1) that the databases store inconsistently.
                Ok(t) if t.year() < EARLIEST_READING_YEAR => {
                    fail(
                        "timestamp",
                        format!("{text} is before the year {EARLIEST_READING_YEAR}"),
                    );
                    None
                }
                Ok(t) if t > self.latest => {
                    fail(
                        "timestamp",
                        format!(
                            "{text} is more than {} minutes in the future",
                            self.horizon.whole_minutes()
                        ),
                    );
                    None
                }
                Ok(t) => Some(t.to_offset(UtcOffset::UTC)),
            },
        };
        match dto.value {
            None => fail("value", "is required".to_owned()),
            Some(v) if !v.is_finite() => fail("value", "must be a finite number".to_owned()),
            Some(_) => {}
        }
        let quality = match dto.quality.as_deref() {
            None => Some(Quality::Good),
            Some(q) => match Quality::parse(q) {
                Some(q) => Some(q),
                None => {
                    fail(
                        "quality",
                        format!("`{q}` must be one of good, uncertain, bad"),
                    );
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        match (dto.tag, timestamp, dto.value, quality, dto.correction) {
            (Some(tag), Some(timestamp), Some(value), Some(quality), correction) => Ok(IngestRow {
                row,
                tag,
                timestamp,
                value,
                quality,
                correction: correction.unwrap_or(false),
            }),
            _ => unreachable!("every missing part pushed an error above"),
        }
    }
}

fn field_order(field: &str) -> usize {
    ["row", "tag", "timestamp", "value", "quality", "correction"]
        .iter()
        .position(|f| *f == field)
        .unwrap_or(usize::MAX)
}

/// Where each column is in a CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvColumns {
    count: usize,
    tag: usize,
    timestamp: usize,
    value: usize,
    quality: Option<usize>,
    correction: Option<usize>,
}

impl CsvColumns {
    /// Reads the header line: `tag`, `timestamp` and `value` are required,
    /// `quality` and `correction` optional, in any order.
    pub fn from_header(line: &str) -> Result<Self, CoreError> {
        let bad =
            |problem: String| CoreError::Validation(vec![FieldProblem::new("header", problem)]);
        let names = split_csv_line(line).map_err(bad)?;
        let mut found: [Option<usize>; 5] = [None; 5];
        const NAMES: [&str; 5] = ["tag", "timestamp", "value", "quality", "correction"];
        let mut problems = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let name = name.trim().to_ascii_lowercase();
            match NAMES.iter().position(|n| *n == name) {
                None => problems.push(FieldProblem::new(
                    "header",
                    format!("unknown column `{name}`; the columns are tag,timestamp,value,quality,correction"),
                )),
                Some(k) if found[k].is_some() => {
                    problems.push(FieldProblem::new("header", format!("repeats column `{name}`")));
                }
                Some(k) => found[k] = Some(i),
            }
        }
        for k in 0..3 {
            if found[k].is_none() {
                problems.push(FieldProblem::new(
                    "header",
                    format!(
                        "lacks the column `{}` (expected tag,timestamp,value,quality)",
                        NAMES[k]
                    ),
                ));
            }
        }
        match (found[0], found[1], found[2]) {
            (Some(tag), Some(timestamp), Some(value)) if problems.is_empty() => Ok(Self {
                count: names.len(),
                tag,
                timestamp,
                value,
                quality: found[3],
                correction: found[4],
            }),
            _ => Err(CoreError::Validation(problems)),
        }
    }
}

/// Splits one CSV line (RFC 4180 quoting with `""` for a quote; a quoted
/// field may not span lines).
fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut fields = Vec::with_capacity(5);
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
        } else {
            match c {
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    was_quoted = false;
                }
                '"' if field.is_empty() && !was_quoted => {
                    quoted = true;
                    was_quoted = true;
                }
                '"' => return Err("has a quote inside an unquoted field".to_owned()),
                _ if was_quoted => {
                    return Err("has text after the closing quote of a field".to_owned());
                }
                _ => field.push(c),
            }
        }
    }
    if quoted {
        return Err("has an unclosed quote".to_owned());
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_splitting_handles_quotes() {
        assert_eq!(
            split_csv_line("a,\"b,c\",\"d\"\"e\",\r").unwrap(),
            ["a", "b,c", "d\"e", ""]
        );
        assert!(split_csv_line("a,\"b").is_err());
        assert!(split_csv_line("a,b\"c").is_err());
        assert!(split_csv_line("\"a\"b").is_err());
    }

    #[test]
    fn content_types() {
        assert_eq!(
            ReadingsFormat::from_content_type("text/csv; charset=utf-8"),
            Some(ReadingsFormat::Csv)
        );
        assert_eq!(
            ReadingsFormat::from_content_type("application/x-ndjson"),
            Some(ReadingsFormat::Ndjson)
        );
        assert_eq!(ReadingsFormat::from_content_type("text/plain"), None);
    }
}
