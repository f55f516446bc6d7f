//! CHP, dryer and kiln calculations: `thermo::process::analyze_process`
//! gives the model's result and its first-law [`BalanceSummary`]; rates (kW)
//! become energies over the calculation period. The full model result is
//! kept under `process` (field names as docs/API.md lists them).

use std::collections::BTreeMap;

use thermo::boiler::ProcessSpec;
use thermo::process::{BalanceSummary, ProcessAnalysis};

use crate::engine::{
    CalculationResult, DataQuality, EnergyBalance, EnergyFlows, FORMULAS, MethodOutcome, Methods,
    finding, loss_item, settle, sort_losses,
};
use crate::request::Basis;
use crate::settings::EngineSettings;

pub(crate) fn from_model(
    spec: &ProcessSpec,
    analysis: &ProcessAnalysis,
    hours: f64,
    settings: &EngineSettings,
) -> CalculationResult {
    let Some(summary) = analysis.summary() else {
        unreachable!("classic results are mapped by crate::process");
    };
    let BalanceSummary {
        basis,
        inputs,
        outputs,
        losses,
        efficiency_pct,
        warnings: model_warnings,
        formulas: model_formulas,
        ..
    } = summary;
    let kwh = |kw: f64| kw * hours;
    let inputs: BTreeMap<String, f64> =
        inputs.iter().map(|f| (f.name.clone(), kwh(f.kw))).collect();
    let outputs: BTreeMap<String, f64> = outputs
        .iter()
        .map(|f| (f.name.clone(), kwh(f.kw)))
        .collect();
    let total_in: f64 = inputs.values().sum();
    let total_out: f64 = outputs.values().sum();
    let mut loss_flows = BTreeMap::new();
    let mut sources = BTreeMap::new();
    for l in losses
        .iter()
        .filter(|l| l.source != "unaccounted" && l.kw != 0.0)
    {
        loss_flows.insert(l.name.clone(), kwh(l.kw));
        sources.insert(l.name.clone(), l.source);
    }
    let computed: f64 = loss_flows.values().sum();
    let unaccounted = total_in - total_out - computed;
    loss_flows.insert("unaccounted".to_owned(), unaccounted);
    sources.insert("unaccounted".to_owned(), "unaccounted");

    let share = |v: f64| (total_in > 0.0).then(|| v / total_in * 100.0);
    let mut loss_breakdown: Vec<_> = loss_flows
        .iter()
        .map(|(c, v)| loss_item(c, *v, share(*v), sources[c]))
        .collect();
    sort_losses(&mut loss_breakdown);

    let mut findings = Vec::new();
    let mut warnings: Vec<_> = model_warnings
        .into_iter()
        .map(|w| finding("process_warning", "process", w))
        .collect();
    if let Some(e) = efficiency_pct
        && e > 100.0
    {
        findings.push(finding(
            "efficiency_above_100",
            "process",
            format!("efficiency {e:.4} % exceeds 100 %: check the meters and units"),
        ));
    }
    let threshold_percent = settings.energy_balance_threshold * 100.0;
    let closure_percent = share(unaccounted);
    let within = closure_percent.map(|c| c.abs() <= threshold_percent);
    if within == Some(false) {
        warnings.push(finding(
            "balance_not_closed",
            "process",
            format!(
                "{:.2} % of the input is unaccounted, more than ENERGY_BALANCE_THRESHOLD ({threshold_percent} % of input)",
                closure_percent.unwrap_or(0.0)
            ),
        ));
    }
    let (status, violations) = settle(settings, findings, &mut warnings);

    let mut formulas: Vec<String> = FORMULAS.iter().map(|f| (*f).to_owned()).collect();
    formulas.extend(model_formulas.iter().map(|f| (*f).to_owned()));
    let spec_json = serde_json::to_value(spec).unwrap_or_default();
    let full = serde_json::to_value(analysis).ok();
    let second_law = full.as_ref().and_then(|v| v.get("second_law").cloned());

    CalculationResult {
        status,
        efficiency: efficiency_pct,
        energy_balance: EnergyBalance {
            total_input_kwh: total_in,
            total_output_kwh: total_out,
            total_losses_kwh: total_in - total_out,
            losses_method: "computed".to_owned(),
            measured_losses_kwh: None,
            computed_losses_kwh: Some(computed),
            unaccounted_kwh: Some(unaccounted),
            closure_percent,
            threshold_percent,
            within_threshold: within,
        },
        loss_breakdown,
        warnings,
        violations,
        data_quality: DataQuality {
            completeness: 1.0,
            score: 100.0,
            data_point_count: crate::process::count_numbers(&spec_json),
        },
        energy_flows: EnergyFlows {
            inputs,
            outputs,
            losses: loss_flows,
        },
        method: "input_output".to_owned(),
        basis: match basis {
            thermo::combustion::Basis::Hhv => Basis::Hhv,
            thermo::combustion::Basis::Lhv => Basis::Lhv,
        },
        formulas,
        methods: Some(Methods {
            input_output: efficiency_pct.map(|efficiency_pct| MethodOutcome { efficiency_pct }),
            heat_loss: None,
            difference_pct: None,
        }),
        second_law,
        process: full,
        data_quality_details: None,
    }
}
