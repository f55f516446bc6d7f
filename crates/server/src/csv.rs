//! CSV the service writes (RFC 4180), with spreadsheet formulas neutralised:
//! a text cell beginning with `=`, `+`, `-`, `@`, tab or carriage return is
//! prefixed with `'` (the OWASP "CSV Injection" rule), so an invalidation
//! reason `=HYPERLINK(…)` or a facility id `-1-1` opens as text.

use thermaliq_store::CalculationRecord;
use time::format_description::well_known::Rfc3339;

const CALCULATION_COLUMNS: [&str; 9] = [
    "calculation_id",
    "facility_id",
    "period_start",
    "period_end",
    "efficiency",
    "status",
    "invalid_reason",
    "recalculated_from",
    "created_at",
];

/// A cell the service formatted itself (numbers, times): never a formula.
pub fn number_cell(out: &mut String, text: &str) {
    quoted(out, text);
}

/// A cell whose text came from a client: formulas neutralised.
pub fn text_cell(out: &mut String, text: &str) {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        let mut escaped = String::with_capacity(text.len() + 1);
        escaped.push('\'');
        escaped.push_str(text);
        quoted(out, &escaped);
    } else {
        quoted(out, text);
    }
}

/// RFC 4180: a field with a comma, quote or line break is quoted.
fn quoted(out: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// `GET /calculations?format=csv`.
pub fn calculations(rows: &[CalculationRecord]) -> String {
    let mut out = CALCULATION_COLUMNS.join(",");
    out.push_str("\r\n");
    for r in rows {
        let efficiency = r.efficiency.map(|e| e.to_string()).unwrap_or_default();
        text_cell(&mut out, &r.calculation_id);
        out.push(',');
        text_cell(&mut out, &r.facility_id);
        out.push(',');
        number_cell(&mut out, &rfc3339(r.period_start));
        out.push(',');
        number_cell(&mut out, &rfc3339(r.period_end));
        out.push(',');
        number_cell(&mut out, &efficiency);
        out.push(',');
        text_cell(&mut out, &r.status.to_string());
        out.push(',');
        text_cell(&mut out, r.invalid_reason.as_deref().unwrap_or(""));
        out.push(',');
        text_cell(&mut out, r.recalculated_from.as_deref().unwrap_or(""));
        out.push(',');
        number_cell(&mut out, &rfc3339(r.created_at));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_are_not() {
        let mut out = String::new();
        for text in [
            "=HYPERLINK(\"http://x\")",
            "-1-1",
            "+A1",
            "@SUM(A1)",
            "FAC-1",
        ] {
            text_cell(&mut out, text);
            out.push('|');
        }
        assert_eq!(
            out,
            "\"'=HYPERLINK(\"\"http://x\"\")\"|'-1-1|'+A1|'@SUM(A1)|FAC-1|"
        );
        let mut number = String::new();
        number_cell(&mut number, "-5.5");
        assert_eq!(number, "-5.5");
    }
}
