//! The report use case: a calculation or a facility's period, read from the
//! store and arranged as a [`Report`] (title block, efficiency by method,
//! Sankey, losses, data quality, trend, opportunities, formulas and their
//! sources, provenance and how to verify it). Takes the store itself, not the
//! HTTP state, so `thermaliq report` builds the same report offline.

use serde_json::Value;
use thermaliq_store::{CalculationQuery, CalculationRecord, CalculationStatus, Store};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::ServiceError;
use crate::config::Settings;
use crate::report::{Block, Report, Section};
use crate::views::CalculationView;

/// The most calculations a facility report reads (newest first).
pub const FACILITY_REPORT_MAX_CALCULATIONS: u32 = 1000;

/// Options of a report that are not in the store.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Fuel price per MWh of fuel (decimal text) to appraise opportunities in money.
    pub fuel_price_per_mwh: Option<String>,
    /// ISO 4217 code of that price.
    pub currency: Option<String>,
}

/// Where each formula id of the provenance comes from (docs/FORMULAS.md gives the details).
pub fn formula_source(id: &str) -> &'static str {
    match id {
        "unit_conversion_to_kwh" => "NIST SP 811 (2008) App. B.8; ISO 80000-5",
        "first_law_efficiency_input_output" => {
            "ASME PTC 4-2013 §5-2.1; EN 12952-15:2003 §8.2 (input-output method)"
        }
        "losses_by_difference" | "energy_balance_closure" => {
            "ASME PTC 4-2013 §5-14; US DOE Process Heating Assessment and Survey Tool"
        }
        "fuel_heating_values" => "ISO 6976 / GPA 2172 summation; NIST-JANAF; CODATA",
        "combustion_ptc4" => "ASME PTC 4-2013 heat-loss method",
        id if id.starts_with("boiler")
            || id.starts_with("furnace")
            || id.starts_with("heat_exchanger") =>
        {
            "ASME PTC 4-2013 §5 (input-output and heat-loss methods); EN 12952-15:2003"
        }
        "surface_radiation_convection" | "furnace_openings" => {
            "Stefan-Boltzmann radiation; Churchill-Chu natural convection (Incropera)"
        }
        "exergy" => "Kotas (1985); Szargut & Styrylska (1964) chemical exergy",
        "meter_data_aggregation" => "trapezoid rule; interval proration (docs/FORMULAS.md)",
        "chp_efficiencies" | "chp_primary_energy_savings" => {
            "Directive 2012/27/EU Annex II; Delegated Regulation (EU) 2015/2402"
        }
        "psychrometrics_ashrae" | "dryer_balance" => "ASHRAE Handbook Fundamentals (2017) ch. 1",
        "kiln_heat_balance" | "kiln_theoretical_heat" => "Zur Strassen (VDZ); EU BAT CLM",
        id if id.starts_with("iapws") || id.contains("if97") => "IAPWS-IF97 (2007 revision)",
        _ => "see docs/FORMULAS.md",
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2} %"))
        .unwrap_or_else(|| "-".to_owned())
}

fn num(v: &Value, decimals: usize) -> String {
    v.as_f64()
        .map(|v| format!("{v:.decimals$}"))
        .unwrap_or_else(|| "-".to_owned())
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

fn basis_name(v: &Value) -> String {
    match v.as_str() {
        Some("hhv") => "HHV (higher heating value)".to_owned(),
        Some("lhv") => "LHV (lower heating value)".to_owned(),
        Some("as_metered") | None => "as metered".to_owned(),
        Some(other) => other.to_owned(),
    }
}

/// "± 1.20 points (95 %, taylor)" when the result states the method's
/// uncertainty (a list by `efficiency_method`, or on the method itself).
fn uncertainty(view: &Value, method: &str) -> String {
    let listed = view["uncertainty"]
        .as_array()
        .and_then(|a| a.iter().find(|u| u["efficiency_method"] == method));
    let u = listed.unwrap_or(&view["methods"][method]["uncertainty"]);
    match u["expanded_points"].as_f64() {
        Some(points) => format!(
            "± {points:.2} points ({:.0} %, {})",
            u["coverage"].as_f64().unwrap_or(0.95) * 100.0,
            u["method"].as_str().unwrap_or("taylor")
        ),
        None => "not stated (inputs without uncertainty)".to_owned(),
    }
}

async fn load(store: &dyn Store, id: &str) -> Result<CalculationRecord, ServiceError> {
    store
        .get_calculation(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("calculation {id} does not exist")))
}

/// The report of one stored calculation.
pub async fn calculation_report(
    store: &dyn Store,
    settings: &Settings,
    id: &str,
    options: &ReportOptions,
) -> Result<Report, ServiceError> {
    let record = load(store, id).await?;
    let facility = store.get_facility(&record.facility_id).await?;
    let view = serde_json::to_value(CalculationView::from(&record))
        .map_err(|e| ServiceError::Internal(format!("calculation view: {e}")))?;
    let mut title_block = vec![
        (
            "Facility".to_owned(),
            match &facility {
                Some(f) => format!("{} ({})", f.name, f.facility_id),
                None => record.facility_id.clone(),
            },
        ),
        (
            "Period".to_owned(),
            format!(
                "{} to {}",
                rfc3339(record.period_start),
                rfc3339(record.period_end)
            ),
        ),
        ("Status".to_owned(), record.status.to_string()),
        ("Calculated at".to_owned(), rfc3339(record.created_at)),
        (
            "Report generated".to_owned(),
            rfc3339(OffsetDateTime::now_utc()),
        ),
    ];
    if let Some(reason) = &record.invalid_reason {
        title_block.push(("Invalid because".to_owned(), reason.clone()));
    }
    let mut sections = vec![efficiency_section(&view)];
    sections.push(sankey_section(settings, &record));
    if let Some(exergy) = exergy_section(settings, &record) {
        sections.push(exergy);
    }
    sections.push(losses_section(&view));
    sections.push(data_quality_section(&view));
    sections.push(opportunities_section(&record, options));
    sections.push(formulas_section(&view));
    sections.push(provenance_section(std::slice::from_ref(&record)));
    Ok(Report {
        title: "Thermal efficiency report".to_owned(),
        subject_id: record.calculation_id.clone(),
        title_block,
        sections,
    })
}

fn efficiency_section(view: &Value) -> Section {
    let basis = basis_name(&view["provenance"]["basis"]);
    let mut section = Section::new("Efficiency").with(Block::Facts(vec![
        ("Efficiency".to_owned(), pct(view["efficiency"].as_f64())),
        ("Basis".to_owned(), basis.clone()),
        (
            "Method of the headline".to_owned(),
            text(&view["provenance"]["method"]).replace('_', "-"),
        ),
    ]));
    let methods = &view["methods"];
    let mut rows = Vec::new();
    for (key, name) in [
        ("input_output", "Input-output (direct)"),
        ("heat_loss", "Heat loss (indirect)"),
    ] {
        let m = &methods[key];
        if m.is_object() {
            rows.push(vec![
                name.to_owned(),
                pct(m["efficiency_pct"].as_f64()),
                basis.clone(),
                uncertainty(view, key),
            ]);
        }
    }
    if rows.is_empty() {
        rows.push(vec![
            "Input-output (direct)".to_owned(),
            pct(view["efficiency"].as_f64()),
            basis,
            uncertainty(view, "input_output"),
        ]);
    }
    section = section.with(Block::Table {
        head: vec![
            "Method".into(),
            "Efficiency".into(),
            "Basis".into(),
            "Uncertainty".into(),
        ],
        rows,
    });
    if let Some(diff) = methods["difference_pct"].as_f64() {
        section = section.with(Block::Paragraph(format!(
            "The two methods differ by {diff:.2} points."
        )));
    }
    if let Some(law2) = view["second_law"]["second_law_efficiency_pct"].as_f64() {
        section = section.with(Block::Paragraph(format!(
            "Second-law (exergy) efficiency: {law2:.2} %."
        )));
    }
    let warnings: Vec<String> = view["warnings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|w| match w["message"].as_str() {
                    Some(m) => m.to_owned(),
                    None => text(w),
                })
                .collect()
        })
        .unwrap_or_default();
    if !warnings.is_empty() {
        section = section.with(Block::Paragraph(format!(
            "Warnings: {}",
            warnings.join("; ")
        )));
    }
    section
}

fn sankey_section(settings: &Settings, record: &CalculationRecord) -> Section {
    let section = Section::new("Energy flows (Sankey)");
    let graph = match super::sankey::graph_for_record(record, sankey::DiagramKind::Energy) {
        Ok(graph) => graph,
        Err(p) => {
            return section.with(Block::Paragraph(format!(
                "No diagram: {}: {}",
                p.field, p.problem
            )));
        }
    };
    match sankey::prepare(&graph, &super::sankey::options(settings)) {
        Ok(diagram) => section.with(Block::Sankey(Box::new(diagram))),
        Err(e) => section.with(Block::Paragraph(format!("No diagram: {e}"))),
    }
}

/// The exergy diagram, for calculations with second-law results (process blocks).
fn exergy_section(settings: &Settings, record: &CalculationRecord) -> Option<Section> {
    let graph = super::sankey::graph_for_record(record, sankey::DiagramKind::Exergy).ok()?;
    let diagram = sankey::prepare(&graph, &super::sankey::options(settings)).ok()?;
    Some(Section::new("Exergy flows (Grassmann)").with(Block::Sankey(Box::new(diagram))))
}

fn losses_section(view: &Value) -> Section {
    let rows: Vec<Vec<String>> = view["loss_breakdown"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|l| {
                    vec![
                        text(&l["category"]).replace('_', " "),
                        num(&l["energy_kwh"], 1),
                        num(&l["share_of_input_percent"], 2),
                        text(&l["source"]).replace('_', " "),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    let b = &view["energy_balance"];
    Section::new("Losses")
        .with(Block::Facts(vec![
            (
                "Total input".to_owned(),
                format!("{} kWh", num(&b["total_input_kwh"], 1)),
            ),
            (
                "Useful output".to_owned(),
                format!("{} kWh", num(&b["total_output_kwh"], 1)),
            ),
            (
                "Losses".to_owned(),
                format!("{} kWh", num(&b["total_losses_kwh"], 1)),
            ),
            (
                "Closure".to_owned(),
                match b["closure_percent"].as_f64() {
                    Some(c) => {
                        format!("{c:.2} % (threshold {} %)", num(&b["threshold_percent"], 1))
                    }
                    None => "not measured (losses by difference)".to_owned(),
                },
            ),
        ]))
        .with(Block::Table {
            head: vec![
                "Loss".into(),
                "Energy (kWh)".into(),
                "Share of input (%)".into(),
                "Source".into(),
            ],
            rows,
        })
}

fn data_quality_section(view: &Value) -> Section {
    let q = &view["data_quality"];
    let mut facts = vec![
        (
            "Completeness".to_owned(),
            q["completeness"]
                .as_f64()
                .map(|c| format!("{:.1} %", c * 100.0))
                .unwrap_or_else(|| "-".to_owned()),
        ),
        ("Score".to_owned(), format!("{} / 100", num(&q["score"], 1))),
        ("Data points".to_owned(), text(&q["data_point_count"])),
    ];
    if let Some(channels) = q["channels"].as_array() {
        facts.push(("Channels".to_owned(), channels.len().to_string()));
    }
    Section::new("Data quality").with(Block::Facts(facts))
}

fn opportunities_section(record: &CalculationRecord, options: &ReportOptions) -> Section {
    let mut section = Section::new("Improvement opportunities");
    let input: Value = match serde_json::from_str::<Value>(&record.canonical_input) {
        Ok(doc) => doc["input"].clone(),
        Err(_) => {
            return section.with(Block::Paragraph("The stored input is not readable.".into()));
        }
    };
    let priced = options.fuel_price_per_mwh.is_some();
    let params = serde_json::json!({
        "operating_hours_per_year": 8000.0,
        "fuel_price_per_mwh": options.fuel_price_per_mwh.clone().unwrap_or_else(|| "0".to_owned()),
        "currency": options.currency.clone().unwrap_or_else(|| "EUR".to_owned()),
        "discount_rate": "0.08",
        "horizon_years": 10,
    });
    let report = serde_json::from_value(params)
        .map_err(|e| e.to_string())
        .and_then(|p| {
            thermaliq_core::opportunities::opportunities_from_stored(&input, &p)
                .map_err(|e| e.to_string())
        });
    let report = match report {
        Ok(r) => serde_json::to_value(r).unwrap_or(Value::Null),
        Err(e) => return section.with(Block::Paragraph(format!("Not appraised: {e}"))),
    };
    let rows: Vec<Vec<String>> = report["opportunities"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|o| o["applicable"].as_bool() == Some(true))
                .map(|o| {
                    vec![
                        text(&o["title"]),
                        num(&o["energy_saved_mwh_per_year"], 1),
                        num(&o["co2_avoided_t_per_year"], 1),
                        if priced {
                            text(&o["fuel_cost_saved_per_year"])
                        } else {
                            "-".into()
                        },
                        if priced {
                            text(&o["simple_payback_years"])
                        } else {
                            "-".into()
                        },
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    if rows.is_empty() {
        section = section.with(Block::Paragraph(
            "No measure applies: opportunities are derived from a process analysis \
             (boiler or furnace) with flue gas, surfaces and blowdown."
                .into(),
        ));
    } else {
        section = section.with(Block::Table {
            head: vec![
                "Measure".into(),
                "Saved (MWh/yr)".into(),
                "CO2 avoided (t/yr)".into(),
                format!("Saved ({}/yr)", text(&report["currency"])),
                "Payback (yr)".into(),
            ],
            rows,
        });
    }
    if !priced {
        section = section.with(Block::Paragraph(
            "Money not appraised: give fuel_price_per_mwh (and currency) to the report for savings \
             and payback. 8,000 operating hours a year assumed."
                .into(),
        ));
    }
    section
}

fn formulas_section(view: &Value) -> Section {
    let rows: Vec<Vec<String>> = view["provenance"]["formulas"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|id| vec![id.to_owned(), formula_source(id).to_owned()])
                .collect()
        })
        .unwrap_or_default();
    Section::new("Formulas and their sources").with(Block::Table {
        head: vec!["Formula".into(), "Source".into()],
        rows,
    })
}

fn provenance_section(records: &[CalculationRecord]) -> Section {
    let mut code = String::new();
    for r in records {
        code.push_str(&format!(
            "calculation_id  {}\ninput_hash      {}\noutput_hash     {}\nengine_version  {}\n\n",
            r.calculation_id, r.input_hash, r.output_hash, r.engine_version
        ));
    }
    let first = records
        .first()
        .map(|r| r.calculation_id.as_str())
        .unwrap_or("CALC-...");
    Section::new("Provenance")
        .with(Block::Paragraph(
            "Each hash is the SHA-256 of the canonical JSON of the calculation's input and output \
             (docs/FORMULAS.md, Provenance). Anyone with the stored row can re-hash it and re-run \
             the engine on the stored input:"
                .into(),
        ))
        .with(Block::Code(code.trim_end().to_owned()))
        .with(Block::Code(format!(
            "GET /v1/thermaliq/calculations/{first}/verify\n\
             Authorization: Bearer <a token with scope read>\n\
             -> \"verdict\": \"intact\" when both hashes match and today's engine\n   \
             reproduces the output"
        )))
}

/// The report of a facility's calculations whose period starts in `[from, to)`.
pub async fn facility_report(
    store: &dyn Store,
    settings: &Settings,
    facility_id: &str,
    (from, to): (OffsetDateTime, OffsetDateTime),
    options: &ReportOptions,
) -> Result<Report, ServiceError> {
    let facility = store
        .get_facility(facility_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("facility {facility_id} does not exist")))?;
    let mut records = store
        .list_calculations(&CalculationQuery {
            facility_id: Some(facility_id.to_owned()),
            status: None,
            created_from: None,
            created_to: None,
            before_id: None,
            limit: FACILITY_REPORT_MAX_CALCULATIONS,
        })
        .await?;
    records.retain(|r| r.period_start >= from && r.period_start < to);
    records.sort_by_key(|r| r.period_start);
    let completed: Vec<&CalculationRecord> = records
        .iter()
        .filter(|r| r.status == CalculationStatus::Completed && r.efficiency.is_some())
        .collect();
    let effs: Vec<f64> = completed.iter().filter_map(|r| r.efficiency).collect();
    let mean = (!effs.is_empty()).then(|| effs.iter().sum::<f64>() / effs.len() as f64);
    let title_block = vec![
        (
            "Facility".to_owned(),
            format!("{} ({})", facility.name, facility.facility_id),
        ),
        ("Process type".to_owned(), facility.process_type.clone()),
        (
            "Period".to_owned(),
            format!("{} to {}", rfc3339(from), rfc3339(to)),
        ),
        (
            "Report generated".to_owned(),
            rfc3339(OffsetDateTime::now_utc()),
        ),
    ];
    let mut summary = Section::new("Efficiency").with(Block::Facts(vec![
        ("Calculations".to_owned(), records.len().to_string()),
        ("Completed".to_owned(), completed.len().to_string()),
        ("Mean efficiency".to_owned(), pct(mean)),
        (
            "Lowest".to_owned(),
            pct(effs.iter().copied().reduce(f64::min)),
        ),
        (
            "Highest".to_owned(),
            pct(effs.iter().copied().reduce(f64::max)),
        ),
    ]));
    summary = summary.with(Block::Table {
        head: vec![
            "Calculation".into(),
            "Period start".into(),
            "Efficiency (%)".into(),
            "Status".into(),
        ],
        rows: records
            .iter()
            .map(|r| {
                vec![
                    r.calculation_id.clone(),
                    rfc3339(r.period_start),
                    r.efficiency
                        .map(|e| format!("{e:.2}"))
                        .unwrap_or_else(|| "-".into()),
                    r.status.to_string(),
                ]
            })
            .collect(),
    });
    let mut sections = vec![summary, trend_section(&completed)];
    if let Some(latest) = completed.last() {
        let view = serde_json::to_value(CalculationView::from(*latest))
            .map_err(|e| ServiceError::Internal(format!("calculation view: {e}")))?;
        let mut s = sankey_section(settings, latest);
        s.heading = format!(
            "Energy flows of the latest calculation ({})",
            latest.calculation_id
        );
        sections.push(s);
        sections.push(losses_section(&view));
        sections.push(data_quality_section(&view));
        sections.push(opportunities_section(latest, options));
        sections.push(formulas_section(&view));
    }
    sections.push(provenance_section(&records));
    Ok(Report {
        title: "Facility efficiency report".to_owned(),
        subject_id: facility.facility_id.clone(),
        title_block,
        sections,
    })
}

/// Linear trend and change points of the period's efficiencies (`analytics::trend`).
fn trend_section(completed: &[&CalculationRecord]) -> Section {
    let section = Section::new("Trend");
    let points: Vec<analytics::trend::SeriesPoint> = completed
        .iter()
        .filter_map(|r| {
            r.efficiency.map(|value| analytics::trend::SeriesPoint {
                time: r.period_start,
                value,
            })
        })
        .collect();
    match analytics::trend::analyze_trend(&points, &analytics::trend::TrendSettings::default()) {
        Ok(analysis) => {
            let mut facts = vec![("Points".to_owned(), points.len().to_string())];
            match analysis.trend {
                Some(t) => facts.push((
                    "Linear trend".to_owned(),
                    format!(
                        "{:+.2} points/year (95 % interval {:+.2} to {:+.2})",
                        t.slope_points_per_year, t.ci95_low, t.ci95_high
                    ),
                )),
                None => facts.push(("Linear trend".to_owned(), "too few points".to_owned())),
            }
            let cps = analysis
                .change_points
                .iter()
                .map(|c| {
                    format!(
                        "{}: {:.2} % -> {:.2} %{}",
                        c.time.map(rfc3339).unwrap_or_default(),
                        c.mean_before,
                        c.mean_after,
                        if c.degradation { " (degradation)" } else { "" }
                    )
                })
                .collect::<Vec<_>>();
            facts.push((
                "Change points".to_owned(),
                if cps.is_empty() {
                    "none".to_owned()
                } else {
                    cps.join("; ")
                },
            ));
            section.with(Block::Facts(facts))
        }
        Err(e) => section.with(Block::Paragraph(format!("No trend: {e}"))),
    }
}
