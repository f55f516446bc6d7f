//! First-law efficiency, heat balance with closure check, and loss breakdown
//! (DESIGN.md §5).
//!
//! - Efficiency (input-output method, ASME PTC 4-2013 §5-2.1 "Input-Output
//!   Method"): η = Σ useful output / Σ input × 100 %.
//! - Losses by difference: L = Σ input − Σ output.
//! - With measured losses M, the closure (unaccounted residual as a share of
//!   input) is c = (Σ input − Σ output − M) / Σ input, and the balance is
//!   accepted when |c| ≤ `ENERGY_BALANCE_THRESHOLD`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::request::{Basis, NormalizedInput};
use crate::settings::{CalculationMode, EngineSettings};

/// The formulas this engine applies, named in every result's provenance
/// (docs/FORMULAS.md explains each one and its source).
pub const FORMULAS: [&str; 4] = [
    "unit_conversion_to_kwh",
    "first_law_efficiency_input_output",
    "losses_by_difference",
    "energy_balance_closure",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultStatus {
    Completed,
    Failed,
}

impl ResultStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResultStatus::Completed => "completed",
            ResultStatus::Failed => "failed",
        }
    }
}

/// A rule the result broke (a violation in strict mode, a warning in lenient).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub code: String,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnergyBalance {
    // Fields in key order: the canonical writer then seals without sorting (core::canonical).
    /// The closure residual in percent of input; `null` when losses were not
    /// measured (a balance by difference closes by construction: nothing to check).
    pub closure_percent: Option<f64>,
    /// Losses computed from process measurements (heat-loss method), when the
    /// calculation is process-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed_losses_kwh: Option<f64>,
    /// `measured` when the request measured losses (and they were included),
    /// `by_difference` otherwise.
    pub losses_method: String,
    pub measured_losses_kwh: Option<f64>,
    pub threshold_percent: f64,
    pub total_input_kwh: f64,
    /// Σ input − Σ output: every loss, measured or not.
    pub total_losses_kwh: f64,
    pub total_output_kwh: f64,
    /// Σ input − Σ output − measured losses.
    pub unaccounted_kwh: Option<f64>,
    pub within_threshold: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossItem {
    pub category: String,
    pub energy_kwh: f64,
    /// Share of total input in percent (`null` when input is zero).
    pub share_of_input_percent: Option<f64>,
    /// `measured`, `unaccounted` (the residual beside measured losses) or
    /// `by_difference` (all losses, none measured).
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataQuality {
    // Fields in key order: the canonical writer then seals without sorting (core::canonical).
    /// Share of expected data present, 0–1. Inline energies are complete.
    pub completeness: f64,
    pub data_point_count: u64,
    /// 0–100.
    pub score: f64,
}

/// The flows of the calculation in kWh, as stored in the `energy_flows`
/// column (the input of Sankey diagrams).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnergyFlows {
    // Fields in key order: the canonical writer then seals without sorting (core::canonical).
    pub inputs: BTreeMap<String, f64>,
    pub losses: BTreeMap<String, f64>,
    pub outputs: BTreeMap<String, f64>,
}

/// Everything the engine concludes from one input. Deterministic: the same
/// input and settings give a byte-identical canonical JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalculationResult {
    // Fields in key order: the canonical writer then seals without sorting (core::canonical).
    pub basis: Basis,
    pub data_quality: DataQuality,
    /// Calculations from stored readings: the per-channel data-quality report
    /// (completeness, counts, shares, stale channels, energies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_quality_details: Option<serde_json::Value>,
    /// First-law efficiency in percent; `null` when input is zero.
    pub efficiency: Option<f64>,
    pub energy_balance: EnergyBalance,
    pub energy_flows: EnergyFlows,
    pub formulas: Vec<String>,
    pub loss_breakdown: Vec<LossItem>,
    pub method: String,
    /// Process calculations: both ASME PTC 4 methods side by side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methods: Option<Methods>,
    /// Process calculations: the full analysis (streams, combustion,
    /// surfaces, losses in kW) as `thermo::boiler::ProcessResult`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<serde_json::Value>,
    /// Process calculations: exergy input, product, destruction and
    /// second-law efficiency (`thermo::exergy::SecondLaw`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_law: Option<serde_json::Value>,
    pub status: ResultStatus,
    /// Rules broken in strict mode; non-empty exactly when `status` is failed.
    pub violations: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

/// The efficiency by each method that could be applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Methods {
    // Fields in key order: the canonical writer then seals without sorting (core::canonical).
    /// Input-output minus heat-loss, percentage points.
    pub difference_pct: Option<f64>,
    pub heat_loss: Option<MethodOutcome>,
    pub input_output: Option<MethodOutcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MethodOutcome {
    pub efficiency_pct: f64,
}

/// Computes the result of `input` under `settings`.
pub fn evaluate(input: &NormalizedInput, settings: &EngineSettings) -> CalculationResult {
    if let Some(spec) = &input.process {
        return crate::process::evaluate_process(input, spec, settings);
    }
    let total_in: f64 = input.energy_input_kwh.values().sum();
    let total_out: f64 = input.energy_output_kwh.values().sum();
    let total_losses = total_in - total_out;
    let share = |kwh: f64| (total_in > 0.0).then(|| kwh / total_in * 100.0);

    let mut findings = Vec::new();
    let mut warnings = Vec::new();

    let efficiency = judge_efficiency(total_in, total_out, settings, &mut findings);

    let measured = match (&input.energy_losses_kwh, settings.include_energy_losses) {
        (Some(losses), true) => Some(losses),
        (Some(_), false) => {
            warnings.push(finding(
                "energy_losses_ignored",
                "energy_losses",
                "measured losses were given but INCLUDE_ENERGY_LOSSES is false: they are \
                 not used in the balance"
                    .to_owned(),
            ));
            None
        }
        (None, _) => None,
    };

    let threshold_percent = settings.energy_balance_threshold * 100.0;
    let mut loss_breakdown = Vec::new();
    let mut loss_flows = BTreeMap::new();
    let balance = match measured {
        Some(losses) => {
            let measured_total: f64 = losses.values().sum();
            let unaccounted = total_in - total_out - measured_total;
            let closure_percent = share(unaccounted);
            let within = closure_percent.map(|c| c.abs() <= threshold_percent);
            if within == Some(false) && settings.energy_balance_check_enabled {
                findings.push(finding(
                    "energy_balance_not_closed",
                    "energy_losses",
                    format!(
                        "energy balance does not close: {unaccounted:.3} kWh ({:.3} % of input) \
                         unaccounted, threshold {threshold_percent} %",
                        closure_percent.unwrap_or_default()
                    ),
                ));
            }
            for (category, kwh) in losses {
                loss_breakdown.push(loss_item(category, *kwh, share(*kwh), "measured"));
                loss_flows.insert(category.clone(), *kwh);
            }
            loss_breakdown.push(loss_item(
                "unaccounted",
                unaccounted,
                share(unaccounted),
                "unaccounted",
            ));
            loss_flows.insert("unaccounted".to_owned(), unaccounted);
            EnergyBalance {
                total_input_kwh: total_in,
                total_output_kwh: total_out,
                total_losses_kwh: total_losses,
                losses_method: "measured".to_owned(),
                measured_losses_kwh: Some(measured_total),
                computed_losses_kwh: None,
                unaccounted_kwh: Some(unaccounted),
                closure_percent,
                threshold_percent,
                within_threshold: within,
            }
        }
        None => {
            loss_breakdown.push(loss_item(
                "unmeasured",
                total_losses,
                share(total_losses),
                "by_difference",
            ));
            loss_flows.insert("unmeasured".to_owned(), total_losses);
            EnergyBalance {
                total_input_kwh: total_in,
                total_output_kwh: total_out,
                total_losses_kwh: total_losses,
                losses_method: "by_difference".to_owned(),
                measured_losses_kwh: None,
                computed_losses_kwh: None,
                unaccounted_kwh: None,
                closure_percent: None,
                threshold_percent,
                within_threshold: None,
            }
        }
    };
    sort_losses(&mut loss_breakdown);
    if let Some(readings) = &input.readings {
        let below: Vec<String> = readings
            .channel_completeness
            .iter()
            .filter(|(_, c)| **c < settings.min_data_completeness)
            .map(|(tag, c)| format!("{tag} ({c:.4})"))
            .collect();
        if !below.is_empty() {
            findings.push(finding(
                "data_incomplete",
                "data_quality",
                format!(
                    "data completeness is below MIN_DATA_COMPLETENESS ({}) for: {}",
                    settings.min_data_completeness,
                    below.join(", ")
                ),
            ));
        }
        warnings.extend(readings.notes.iter().cloned());
    }
    let (status, violations) = settle(settings, findings, &mut warnings);

    let data_point_count = (input.energy_input_kwh.len()
        + input.energy_output_kwh.len()
        + input.energy_losses_kwh.as_ref().map_or(0, BTreeMap::len))
        as u64;

    CalculationResult {
        status,
        efficiency,
        energy_balance: balance,
        loss_breakdown,
        warnings,
        violations,
        data_quality: match &input.readings {
            Some(readings) => readings.data_quality.clone(),
            None => DataQuality {
                completeness: 1.0,
                score: 100.0,
                data_point_count,
            },
        },
        energy_flows: EnergyFlows {
            inputs: input.energy_input_kwh.clone(),
            outputs: input.energy_output_kwh.clone(),
            losses: loss_flows,
        },
        method: "input_output".to_owned(),
        basis: input.basis,
        formulas: FORMULAS
            .iter()
            .map(|f| (*f).to_owned())
            .chain(
                input
                    .readings
                    .as_ref()
                    .map(|_| "meter_data_aggregation".to_owned()),
            )
            .collect(),
        methods: None,
        second_law: None,
        process: None,
        data_quality_details: input.readings.as_ref().map(|r| r.report.clone()),
    }
}

/// The first-law rules every calculation obeys (DESIGN.md §5): zero input,
/// efficiency above 100 %, negative efficiency. Returns η in percent.
pub(crate) fn judge_efficiency(
    total_in: f64,
    total_out: f64,
    settings: &EngineSettings,
    findings: &mut Vec<Finding>,
) -> Option<f64> {
    let efficiency = if total_in > 0.0 {
        Some(total_out / total_in * 100.0)
    } else {
        findings.push(finding(
            "zero_input",
            "energy_input",
            "total input energy is zero: efficiency is undefined".to_owned(),
        ));
        None
    };
    if let Some(eff) = efficiency {
        if eff > 100.0 {
            findings.push(finding(
                "efficiency_above_100",
                "energy_output",
                format!(
                    "efficiency {eff:.4} % exceeds 100 %: useful output ({total_out} kWh) is \
                     larger than input ({total_in} kWh); check meters and units"
                ),
            ));
        }
        if eff < 0.0 && !settings.allow_negative_efficiency {
            findings.push(finding(
                "negative_efficiency",
                "energy_output",
                format!("efficiency {eff:.4} % is negative (ALLOW_NEGATIVE_EFFICIENCY is false)"),
            ));
        }
    }
    efficiency
}

/// Strict mode turns findings into violations (status failed); lenient mode
/// keeps them as warnings of a completed result.
pub(crate) fn settle(
    settings: &EngineSettings,
    findings: Vec<Finding>,
    warnings: &mut Vec<Finding>,
) -> (ResultStatus, Vec<Finding>) {
    match settings.mode {
        CalculationMode::Strict if !findings.is_empty() => (ResultStatus::Failed, findings),
        CalculationMode::Strict => (ResultStatus::Completed, Vec::new()),
        CalculationMode::Lenient => {
            warnings.extend(findings);
            (ResultStatus::Completed, Vec::new())
        }
    }
}

/// Largest loss first; names break ties so the order never depends on input order.
pub(crate) fn sort_losses(items: &mut [LossItem]) {
    items.sort_by(|a, b| {
        b.energy_kwh
            .total_cmp(&a.energy_kwh)
            .then_with(|| a.category.cmp(&b.category))
    });
}

pub(crate) fn finding(code: &str, field: &str, message: String) -> Finding {
    Finding {
        code: code.to_owned(),
        field: field.to_owned(),
        message,
    }
}

pub(crate) fn loss_item(category: &str, kwh: f64, share: Option<f64>, source: &str) -> LossItem {
    LossItem {
        category: category.to_owned(),
        energy_kwh: kwh,
        share_of_input_percent: share,
        source: source.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{TimePeriod, parse_calculation_request};
    use proptest::prelude::*;
    use time::macros::datetime;

    fn input(
        inputs: &[(&str, f64)],
        outputs: &[(&str, f64)],
        losses: Option<&[(&str, f64)]>,
    ) -> NormalizedInput {
        let map =
            |pairs: &[(&str, f64)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
        NormalizedInput {
            facility_id: "FAC-T".to_owned(),
            time_period: TimePeriod {
                start: datetime!(2025-11-01 00:00 UTC),
                end: datetime!(2025-11-01 01:00 UTC),
            },
            basis: Basis::AsMetered,
            energy_input_kwh: map(inputs),
            energy_output_kwh: map(outputs),
            energy_losses_kwh: losses.map(map),
            process: None,
            dead_state: None,
            readings: None,
        }
    }

    fn lenient() -> EngineSettings {
        EngineSettings {
            mode: CalculationMode::Lenient,
            ..EngineSettings::default()
        }
    }

    fn codes(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.code.as_str()).collect()
    }

    /// GL-009 runbook, scenario 9 step 3: "Expected efficiency:
    /// (750 + 200) / (1000 + 50) = 90.48%".
    #[test]
    fn runbook_case_is_90_48_percent() {
        let req =
            parse_calculation_request(crate::request::tests::RUNBOOK_CASE.as_bytes()).unwrap();
        let result = evaluate(&req.input, &EngineSettings::default());
        assert_eq!(result.status, ResultStatus::Completed);
        let eff = result.efficiency.unwrap();
        assert!((eff - 90.48).abs() < 0.005, "{eff}");
        assert!((eff - 90.476_190_476).abs() < 1e-6, "{eff}");
        assert_eq!(result.energy_balance.total_input_kwh, 1050.0);
        assert_eq!(result.energy_balance.total_output_kwh, 950.0);
        assert_eq!(result.energy_balance.total_losses_kwh, 100.0);
        assert_eq!(result.energy_balance.losses_method, "by_difference");
        assert_eq!(result.energy_balance.closure_percent, None);
        assert!(result.violations.is_empty() && result.warnings.is_empty());
    }

    /// Measured losses that close the balance within 5 % are accepted; the
    /// residual is reported as `unaccounted`.
    /// Worked numbers: 1000 in, 800 out, 180 measured -> 20 kWh = 2 % unaccounted.
    #[test]
    fn closure_within_threshold() {
        let i = input(
            &[("fuel", 1000.0)],
            &[("steam", 800.0)],
            Some(&[("flue_gas", 150.0), ("radiation", 30.0)]),
        );
        let r = evaluate(&i, &EngineSettings::default());
        assert_eq!(r.status, ResultStatus::Completed);
        assert_eq!(r.energy_balance.unaccounted_kwh, Some(20.0));
        assert_eq!(r.energy_balance.closure_percent, Some(2.0));
        assert_eq!(r.energy_balance.within_threshold, Some(true));
        let cats: Vec<_> = r
            .loss_breakdown
            .iter()
            .map(|l| l.category.as_str())
            .collect();
        assert_eq!(cats, ["flue_gas", "radiation", "unaccounted"]);
        assert_eq!(r.loss_breakdown[0].share_of_input_percent, Some(15.0));
    }

    /// 1000 in, 800 out, 100 measured -> 10 % unaccounted, over the 5 % default.
    #[test]
    fn closure_outside_threshold_fails_in_strict_and_warns_in_lenient() {
        let i = input(
            &[("fuel", 1000.0)],
            &[("steam", 800.0)],
            Some(&[("flue_gas", 100.0)]),
        );
        let strict = evaluate(&i, &EngineSettings::default());
        assert_eq!(strict.status, ResultStatus::Failed);
        assert_eq!(codes(&strict.violations), ["energy_balance_not_closed"]);
        assert_eq!(strict.energy_balance.closure_percent, Some(10.0));

        let lax = evaluate(&i, &lenient());
        assert_eq!(lax.status, ResultStatus::Completed);
        assert_eq!(codes(&lax.warnings), ["energy_balance_not_closed"]);
        assert_eq!(lax.efficiency, Some(80.0));

        // A 0.10 threshold (the runbook's relaxed value) accepts it.
        let relaxed = EngineSettings {
            energy_balance_threshold: 0.10,
            ..EngineSettings::default()
        };
        assert_eq!(evaluate(&i, &relaxed).status, ResultStatus::Completed);
        // With the check disabled the closure is reported but not enforced.
        let unchecked = EngineSettings {
            energy_balance_check_enabled: false,
            ..EngineSettings::default()
        };
        let r = evaluate(&i, &unchecked);
        assert_eq!(
            (r.status, r.energy_balance.within_threshold),
            (ResultStatus::Completed, Some(false))
        );
        // Losses not included: balance by difference, with a warning that they were ignored.
        let excluded = EngineSettings {
            include_energy_losses: false,
            ..EngineSettings::default()
        };
        let r = evaluate(&i, &excluded);
        assert_eq!(r.status, ResultStatus::Completed);
        assert_eq!(codes(&r.warnings), ["energy_losses_ignored"]);
        assert_eq!(r.energy_balance.losses_method, "by_difference");
    }

    #[test]
    fn output_above_input_is_a_violation() {
        let i = input(&[("fuel", 100.0)], &[("steam", 120.0)], None);
        let r = evaluate(&i, &EngineSettings::default());
        assert_eq!(r.status, ResultStatus::Failed);
        assert_eq!(codes(&r.violations), ["efficiency_above_100"]);
        assert_eq!(r.efficiency, Some(120.0));
        let r = evaluate(&i, &lenient());
        assert_eq!(
            (r.status, codes(&r.warnings)),
            (ResultStatus::Completed, vec!["efficiency_above_100"])
        );
    }

    #[test]
    fn zero_input_is_a_violation_with_no_efficiency() {
        let i = input(&[("fuel", 0.0)], &[("steam", 0.0)], None);
        let r = evaluate(&i, &EngineSettings::default());
        assert_eq!((r.status, r.efficiency), (ResultStatus::Failed, None));
        assert_eq!(codes(&r.violations), ["zero_input"]);
        assert_eq!(r.loss_breakdown[0].share_of_input_percent, None);
    }

    /// A net output below zero (e.g. a process that consumed more auxiliary
    /// heat than it delivered, reported as a negative net stream by a reading
    /// pipeline) gives a negative efficiency: rejected unless allowed.
    #[test]
    fn negative_efficiency_needs_permission() {
        let i = input(&[("fuel", 100.0)], &[("net_heat", -5.0)], None);
        assert_eq!(
            codes(&evaluate(&i, &EngineSettings::default()).violations),
            ["negative_efficiency"]
        );
        let allowed = EngineSettings {
            allow_negative_efficiency: true,
            ..EngineSettings::default()
        };
        let r = evaluate(&i, &allowed);
        assert_eq!(
            (r.status, r.efficiency),
            (ResultStatus::Completed, Some(-5.0))
        );
    }

    proptest! {
        /// Energy is conserved: output + every loss item = input.
        #[test]
        fn breakdown_conserves_energy(
            ins in proptest::collection::vec(0.0f64..1e6, 1..5),
            frac_out in 0.0f64..1.0,
            frac_loss in proptest::option::of(0.0f64..1.0),
        ) {
            let total: f64 = ins.iter().sum();
            let named: Vec<(String, f64)> = ins.iter().enumerate().map(|(n, v)| (format!("in{n}"), *v)).collect();
            let refs: Vec<(&str, f64)> = named.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            let out = total * frac_out;
            let losses = frac_loss.map(|f| vec![("stack", (total - out) * f)]);
            let i = input(&refs, &[("steam", out)], losses.as_deref());
            let r = evaluate(&i, &lenient());
            let accounted: f64 = r.energy_balance.total_output_kwh + r.loss_breakdown.iter().map(|l| l.energy_kwh).sum::<f64>();
            prop_assert!((accounted - total).abs() <= 1e-9 * total.max(1.0));
        }

        /// More output for the same input never lowers efficiency.
        #[test]
        fn efficiency_is_monotone_in_losses(input_kwh in 1.0f64..1e6, a in 0.0f64..1.0, b in 0.0f64..1.0) {
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            let e = |f: f64| evaluate(&input(&[("fuel", input_kwh)], &[("steam", input_kwh * f)], None), &lenient()).efficiency.unwrap();
            prop_assert!(e(lo) <= e(hi));
        }
    }
}
