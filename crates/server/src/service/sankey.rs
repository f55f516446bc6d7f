//! Sankey diagrams of stored calculations (runbook scenario 10): the flow
//! graph a calculation's stored flows (or second-law results) make, and its
//! rendering on the blocking pool under `SANKEY_GENERATION_TIMEOUT`, counted
//! and logged as the runbook greps it (`SankeyGenerator`).

use std::collections::BTreeMap;
use std::time::Instant;

use sankey::{DiagramKind, ExergyStreams, FlowGraph, Format, SankeyError, SankeyOptions, Title};
use serde_json::Value;
use thermaliq_core::FieldProblem;
use thermaliq_core::provenance::sha256_hex;
use thermaliq_store::CalculationRecord;
use time::format_description::well_known::Rfc3339;

use super::ServiceError;
use crate::config::Settings;
use crate::state::AppState;

/// The generator's options from the service settings.
pub fn options(settings: &Settings) -> SankeyOptions {
    let s = &settings.sankey;
    SankeyOptions {
        max_nodes: s.max_nodes,
        max_links: s.max_links,
        aggregate_small_flows: s.aggregate_small_flows,
        small_flow_threshold: s.small_flow_threshold,
        validate_flows: s.validate_flows,
        allow_circular_flows: s.allow_circular_flows,
        balance_threshold: settings.engine.energy_balance_threshold,
    }
}

/// The flow graph of a stored calculation. `kind=exergy` needs second-law
/// results, which process calculations carry.
pub fn graph_for_record(
    record: &CalculationRecord,
    kind: DiagramKind,
) -> Result<FlowGraph, FieldProblem> {
    let result: Value = serde_json::from_str(&record.result).map_err(|_| {
        FieldProblem::new(
            "calculation",
            "the stored result is not readable; run /verify",
        )
    })?;
    let basis = match result["basis"].as_str() {
        Some("hhv") => "HHV",
        Some("lhv") => "LHV",
        _ => "as metered",
    };
    let process = result["process"]["process_type"].as_str().map(|p| match p {
        "boiler" => "Boiler".to_owned(),
        "furnace" => "Furnace".to_owned(),
        "heat_exchanger" => "Heat exchanger".to_owned(),
        other => other.to_owned(),
    });
    let period = format!(
        "{} to {}",
        record.period_start.format(&Rfc3339).unwrap_or_default(),
        record.period_end.format(&Rfc3339).unwrap_or_default()
    );
    let mut title = Title {
        facility: Some(record.facility_id.clone()),
        process,
        period: Some(period),
        efficiency_percent: record.efficiency,
        basis: Some(basis.to_owned()),
    };
    let sankey_problem = |e: SankeyError| FieldProblem::new(e.field(), e.to_string());
    match kind {
        DiagramKind::Energy => {
            FlowGraph::from_energy_flows_json(record.energy_flows.as_bytes(), &title)
                .map_err(sankey_problem)
        }
        DiagramKind::Exergy => {
            let law = &result["second_law"];
            let kw = |key: &str| law[key].as_f64();
            let (Some(input), Some(product), Some(destroyed_and_lost), Some(surface)) = (
                kw("exergy_input_kw"),
                kw("exergy_product_kw"),
                kw("exergy_destroyed_and_lost_kw"),
                kw("exergy_lost_with_surface_heat_kw"),
            ) else {
                return Err(FieldProblem::new(
                    "kind",
                    "exergy diagrams need second-law results: calculate from a process block (fuel, steam, flue gas)",
                ));
            };
            let hours = (record.period_end - record.period_start).as_seconds_f64() / 3600.0;
            title.efficiency_percent = law["second_law_efficiency_pct"].as_f64();
            let mut losses = BTreeMap::new();
            if surface > 0.0 {
                losses.insert("Heat from surfaces".to_owned(), surface * hours);
            }
            let streams = ExergyStreams {
                inputs: BTreeMap::from([("Fuel exergy".to_owned(), input * hours)]),
                products: BTreeMap::from([("Product exergy".to_owned(), product * hours)]),
                losses,
                destroyed_kwh: (destroyed_and_lost - surface) * hours,
            };
            FlowGraph::from_exergy(&streams, &title).map_err(sankey_problem)
        }
    }
}

/// Renders with the timeout, counting and logging as the runbook expects
/// (`grep SankeyGenerator`, `thermaliq_sankey_generation_*`).
pub async fn generate(
    state: &AppState,
    graph: FlowGraph,
    format: Format,
) -> Result<sankey::Rendered, ServiceError> {
    let started = Instant::now();
    let options = options(&state.settings);
    let timeout = state.settings.sankey.generation_timeout;
    let (nodes_in, flows_in) = (graph.nodes.len() as u64, graph.flows.len() as u64);
    // The runbook's Scenario 10 greps failures by facility: a stored
    // calculation's graph carries it in its title (ad-hoc graphs may not).
    let facility_id = graph.title.facility.clone();
    // The renderer polls `cancel`: at the deadline it stops by itself, and a
    // dropped request (the timeout below, a client gone) cancels it too, so no
    // abandoned render keeps a core busy.
    let cancel = sankey::Cancel::with_deadline(started + timeout);
    let stop_on_drop = CancelOnDrop(cancel.clone());
    let work =
        tokio::task::spawn_blocking(move || sankey::render_with(&graph, &options, format, &cancel));
    let outcome = tokio::time::timeout(timeout, work).await;
    drop(stop_on_drop);
    let duration = started.elapsed().as_secs_f64();
    let fail = |error_type: &str, message: String| {
        state.metrics.count_sankey_error(error_type);
        tracing::error!(
            component = "SankeyGenerator",
            error_type,
            facility_id = facility_id.as_deref(),
            error_message = message.as_str(),
            node_count = nodes_in,
            link_count = flows_in,
            duration,
            "SankeyGenerator: generation failed"
        );
    };
    match outcome {
        Ok(Ok(Ok(rendered))) => {
            state.metrics.sankey_duration.observe(duration);
            tracing::info!(
                component = "SankeyGenerator",
                format = format.as_str(),
                node_count = rendered.node_count as u64,
                link_count = rendered.link_count as u64,
                warnings = rendered.warnings.len() as u64,
                duration,
                "SankeyGenerator: diagram generated"
            );
            Ok(rendered)
        }
        Ok(Ok(Err(SankeyError::Cancelled { .. }))) | Err(_) => {
            fail(
                "timeout",
                format!(
                    "exceeded SANKEY_GENERATION_TIMEOUT ({} s)",
                    timeout.as_secs_f64()
                ),
            );
            Err(ServiceError::Timeout(format!(
                "the diagram was not ready within SANKEY_GENERATION_TIMEOUT ({} s)",
                timeout.as_secs_f64()
            )))
        }
        Ok(Ok(Err(err))) => {
            fail(err.code(), err.to_string());
            Err(ServiceError::Unprocessable(vec![FieldProblem::new(
                err.field(),
                err.to_string(),
            )]))
        }
        Ok(Err(join)) => {
            fail("internal", join.to_string());
            Err(ServiceError::Internal(format!(
                "sankey renderer stopped: {join}"
            )))
        }
    }
}

/// Cancels a render when the request that started it is gone.
struct CancelOnDrop(sankey::Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// A fingerprint of the options, so a changed setting never serves an old diagram.
pub fn options_key(settings: &Settings) -> String {
    let text = serde_json::to_string(&settings.sankey).unwrap_or_default();
    sha256_hex(format!("{text}|{}", settings.engine.energy_balance_threshold).as_bytes())[..12]
        .to_owned()
}
