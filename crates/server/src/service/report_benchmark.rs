//! The benchmark section of a report: the same comparison as
//! `GET …/benchmark` (published references and the fleet), placed after the
//! efficiency figures. A benchmark that cannot be made (no efficiency, an
//! unknown process type) is said in the section, never an error of the report.

use time::OffsetDateTime;

use super::ServiceError;
use super::analytics::benchmark::{
    BenchmarkOptions, BenchmarkReport, calculation_benchmark, facility_benchmark,
};
use super::report::{ReportOptions, calculation_report, facility_report};
use crate::report::{Block, Report, Section};
use crate::state::AppState;

/// [`calculation_report`] with its benchmark section.
pub async fn calculation_report_with_benchmark(
    state: &AppState,
    calculation_id: &str,
    options: &ReportOptions,
) -> Result<Report, ServiceError> {
    let mut report = calculation_report(
        state.store.as_ref(),
        &state.settings,
        calculation_id,
        options,
    )
    .await?;
    let options = process_of(state, calculation_id).await;
    let benchmark = calculation_benchmark(state, calculation_id, options).await;
    insert_after_efficiency(&mut report, section(benchmark));
    Ok(report)
}

/// [`facility_report`] with the facility's benchmark over the same range.
pub async fn facility_report_with_benchmark(
    state: &AppState,
    facility_id: &str,
    (from, to): (OffsetDateTime, OffsetDateTime),
    options: &ReportOptions,
) -> Result<Report, ServiceError> {
    let mut report = facility_report(
        state.store.as_ref(),
        &state.settings,
        facility_id,
        (from, to),
        options,
    )
    .await?;
    let benchmark =
        facility_benchmark(state, facility_id, from, to, BenchmarkOptions::default()).await;
    insert_after_efficiency(&mut report, section(benchmark));
    Ok(report)
}

/// The process type and fuel of a process calculation, from its canonical
/// input: what the benchmark takes when the facility has no stored
/// configuration (the facility's configuration still wins where it has one).
async fn process_of(state: &AppState, calculation_id: &str) -> BenchmarkOptions {
    let mut options = BenchmarkOptions::default();
    let Ok(record) = super::lifecycle::load(state, calculation_id).await else {
        return options;
    };
    if let Ok(Some(_)) = state.store.get_facility(&record.facility_id).await {
        return options;
    }
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(&record.canonical_input) else {
        return options;
    };
    let text = |pointer: &str| {
        doc.pointer(pointer)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    options.process_type = text("/input/process/type");
    options.fuel = text("/input/process/fuel/name");
    options
}

fn insert_after_efficiency(report: &mut Report, section: Section) {
    let at = report
        .sections
        .iter()
        .position(|s| s.heading == "Efficiency")
        .map_or(report.sections.len(), |i| i + 1);
    report.sections.insert(at, section);
}

fn points(v: Option<f64>) -> String {
    v.map_or("-".to_owned(), |v| format!("{v:.1}"))
}

fn section(outcome: Result<BenchmarkReport, ServiceError>) -> Section {
    let section = Section::new("Benchmark");
    let b = match outcome {
        Ok(b) => b,
        Err(err) => {
            // A refusal says why; any other failure only that there is none
            // (its cause goes to the log, never into a document).
            let why = match &err {
                ServiceError::Invalid(_)
                | ServiceError::Unprocessable(_)
                | ServiceError::NotFound(_) => err.to_string(),
                other => {
                    tracing::warn!(error = %other, "Report benchmark not available");
                    "the benchmark could not be computed".to_owned()
                }
            };
            return section.with(Block::Paragraph(format!(
                "No benchmark for this subject: {why}."
            )));
        }
    };
    let mut section = section.with(Block::Facts(vec![
        (
            "Efficiency".to_owned(),
            format!("{:.2} %", b.efficiency_pct),
        ),
        ("Process type".to_owned(), b.process_type.clone()),
        (
            "Fuel".to_owned(),
            b.fuel.clone().unwrap_or_else(|| "-".to_owned()),
        ),
    ]));
    if b.references.is_empty() {
        section = section.with(Block::Paragraph(
            "No published reference applies to this process type, fuel and size.".to_owned(),
        ));
    } else {
        section = section.with(Block::Table {
            head: [
                "Reference",
                "Level",
                "Efficiency %",
                "Gap (points)",
                "Gap kWh/year",
                "Source",
            ]
            .map(str::to_owned)
            .to_vec(),
            rows: b
                .references
                .iter()
                .map(|r| {
                    vec![
                        r.reference.id.clone(),
                        r.reference.level.clone(),
                        format!("{:.1} ({})", r.reference.efficiency_pct, r.reference.basis),
                        format!("{:.1}", r.gap_points),
                        r.gap_energy_kwh_per_year
                            .map_or("-".to_owned(), |v| format!("{v:.0}")),
                        r.reference.source.clone(),
                    ]
                })
                .collect(),
        });
    }
    let fleet = &b.fleet;
    let fleet_text = if fleet.withheld {
        format!(
            "Fleet: {} peer(s) of the same process type; statistics are withheld below 5.",
            fleet.n
        )
    } else {
        format!(
            "Fleet: percentile {} among {} peers (median {} %, p25 {} %, p75 {} %).",
            points(fleet.percentile),
            fleet.n,
            points(fleet.median),
            points(fleet.p25),
            points(fleet.p75)
        )
    };
    section.with(Block::Paragraph(fleet_text))
}
