//! Improvement opportunities of a calculation: measures derived from its
//! own losses, each with the energy and fuel cost saved per year, the CO2
//! avoided, an investment range, simple payback, NPV and IRR.
//!
//! Pure: the stored calculation's normalised input goes in (the engine is
//! deterministic, so re-running its process analysis reproduces the stored
//! losses), with [`OpportunityParams`]; an [`OpportunityReport`] comes out.
//! Money is `rust_decimal::Decimal` in an explicit currency; physical
//! quantities stay `f64`. Energy saved is fuel input on the calculation's
//! heating-value basis, and the fuel price is per MWh on that basis.
//!
//! Measures (see docs/FORMULAS.md, "Improvement opportunities"):
//! excess-air trim, economizer to the dew-point limit, condensing recovery
//! (gas), insulation with the economic thickness, blowdown heat recovery,
//! condensate return.

pub mod finance;
mod measures;

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::{Deserialize, Serialize};
use thermo::boiler::ProcessSpec;
use thermo::fuels::FuelKind;
use thermo::process::{ProcessAnalysis, analyze_process};

pub use measures::acid_dew_point_c;
use measures::{CostBasis, Fired, MeasurePhysics};

use crate::error::{CoreError, FieldProblem};
use crate::request::NormalizedInput;

/// A low–high investment, in the report's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvestmentRange {
    pub low: Decimal,
    pub high: Decimal,
}

/// Condensate return as it is and as it could be.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CondensateParams {
    pub current_return_pct: f64,
    pub target_return_pct: f64,
    #[serde(default = "default_condensate_c")]
    pub condensate_temperature_c: f64,
}

fn default_condensate_c() -> f64 {
    80.0
}

/// What the appraisal needs besides the calculation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpportunityParams {
    /// Operating hours per year (the facility's, or given).
    pub operating_hours_per_year: f64,
    /// Fuel price per MWh of fuel input on the calculation's basis.
    pub fuel_price_per_mwh: Decimal,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    /// Real discount rate as a fraction, e.g. 0.08.
    pub discount_rate: Decimal,
    pub horizon_years: u32,
    /// Investment ranges by measure id; the default table otherwise (EUR only).
    #[serde(default)]
    pub investments: BTreeMap<String, InvestmentRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_o2_pct_dry: Option<f64>,
    /// Default 50 °C (touch protection, EN ISO 13732-1 order of magnitude).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insulation_target_surface_temperature_c: Option<f64>,
    /// Return water of a condensing economizer, °C (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condensing_return_water_temperature_c: Option<f64>,
    /// Make-up water temperature, °C (default 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub makeup_water_temperature_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condensate: Option<CondensateParams>,
}

/// Where an investment range came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvestmentSource {
    User,
    /// The default table of [`default_investment`]: indicative assumptions.
    DefaultAssumed,
}

/// Investment of one measure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Investment {
    pub low: Decimal,
    pub high: Decimal,
    pub source: InvestmentSource,
}

/// One measure, appraised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Opportunity {
    pub id: &'static str,
    pub title: &'static str,
    pub applicable: bool,
    /// What the measure does, or why it does not apply.
    pub reason: String,
    pub fuel_saved_kw: f64,
    pub energy_saved_mwh_per_year: f64,
    pub fuel_cost_saved_per_year: Decimal,
    pub co2_avoided_t_per_year: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub investment: Option<Investment>,
    /// On the mid investment, years.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simple_payback_years: Option<Decimal>,
    /// NPV at the mid, low and high investment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub npv: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub npv_low_investment: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub npv_high_investment: Option<Decimal>,
    /// IRR on the mid investment, %.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub irr_pct: Option<Decimal>,
    pub worth_it: bool,
    pub verdict: String,
    pub parameters: BTreeMap<&'static str, f64>,
}

/// The appraisal of a calculation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpportunityReport {
    pub process_type: String,
    pub currency: String,
    pub operating_hours_per_year: f64,
    pub fuel_price_per_mwh: Decimal,
    pub discount_rate: Decimal,
    pub horizon_years: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel: Option<String>,
    /// CO2 per MWh of fuel input on the basis, from the fuel's carbon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub co2_t_per_mwh_fuel: Option<f64>,
    /// Biomass or biogas: the CO2 is biogenic.
    pub co2_biogenic: bool,
    pub opportunities: Vec<Opportunity>,
    /// Fuel cost saved per year by the measures worth it (not additive in
    /// physics where two measures act on the same flue gas; see notes).
    pub worthwhile_fuel_cost_saved_per_year: Decimal,
    pub notes: Vec<String>,
}

/// Default investment ranges, EUR: indicative assumptions of this repository
/// (not a published cost survey), used only when the caller gives none and
/// the currency is EUR. `(fixed low, fixed high, per kW low, per kW high)`.
pub fn default_investment(id: &str) -> Option<(Decimal, Decimal, Decimal, Decimal)> {
    let d = |v: i64| Decimal::from(v);
    Some(match id {
        "excess_air_trim" => (d(10_000), d(30_000), d(0), d(0)),
        "economizer" => (d(10_000), d(20_000), d(100), d(250)),
        "condensing_recovery" => (d(15_000), d(30_000), d(150), d(350)),
        "blowdown_recovery" => (d(8_000), d(25_000), d(0), d(0)),
        "condensate_return" => (d(5_000), d(15_000), d(100), d(300)),
        _ => return None,
    })
}

/// Installed insulation cost, EUR (assumed): per m² fixed and per m³ of insulation.
const INSULATION_EUR_PER_M2: (i64, i64) = (30, 60);
const INSULATION_EUR_PER_M3: (i64, i64) = (1_000, 2_000);

fn problem(field: &str, rule: &str) -> CoreError {
    CoreError::Validation(vec![FieldProblem::new(field, rule)])
}

fn validate(p: &OpportunityParams) -> Result<(), CoreError> {
    let mut problems = Vec::new();
    if !(p.operating_hours_per_year.is_finite()
        && (1.0..=8784.0).contains(&p.operating_hours_per_year))
    {
        problems.push(FieldProblem::new(
            "operating_hours_per_year",
            "must be between 1 and 8784 h",
        ));
    }
    if p.fuel_price_per_mwh < Decimal::ZERO {
        problems.push(FieldProblem::new("fuel_price_per_mwh", "must be >= 0"));
    }
    if p.currency.len() != 3 || !p.currency.chars().all(|c| c.is_ascii_uppercase()) {
        problems.push(FieldProblem::new(
            "currency",
            "must be an ISO 4217 code of three capital letters, e.g. EUR",
        ));
    }
    if p.discount_rate <= Decimal::new(-99, 2) || p.discount_rate > Decimal::ONE {
        problems.push(FieldProblem::new(
            "discount_rate",
            "must be a fraction between -0.99 and 1, e.g. 0.08",
        ));
    }
    if !(1..=50).contains(&p.horizon_years) {
        problems.push(FieldProblem::new(
            "horizon_years",
            "must be between 1 and 50",
        ));
    }
    for (k, r) in &p.investments {
        if r.low < Decimal::ZERO || r.high < r.low {
            problems.push(FieldProblem::new(
                format!("investments.{k}"),
                "needs 0 <= low <= high",
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CoreError::Validation(problems))
    }
}

/// Opportunities of a stored calculation from its canonical input document.
pub fn opportunities_from_stored(
    input: &serde_json::Value,
    params: &OpportunityParams,
) -> Result<OpportunityReport, CoreError> {
    let input: NormalizedInput =
        serde_json::from_value(input.clone()).map_err(|e| CoreError::Corrupt {
            what: "calculation input",
            reason: e.to_string(),
        })?;
    opportunities(&input, params)
}

/// Opportunities of a calculation.
pub fn opportunities(
    input: &NormalizedInput,
    params: &OpportunityParams,
) -> Result<OpportunityReport, CoreError> {
    validate(params)?;
    let mut report = OpportunityReport {
        process_type: "energies".to_owned(),
        currency: params.currency.clone(),
        operating_hours_per_year: params.operating_hours_per_year,
        fuel_price_per_mwh: params.fuel_price_per_mwh,
        discount_rate: params.discount_rate,
        horizon_years: params.horizon_years,
        fuel: None,
        co2_t_per_mwh_fuel: None,
        co2_biogenic: false,
        opportunities: Vec::new(),
        worthwhile_fuel_cost_saved_per_year: Decimal::ZERO,
        notes: Vec::new(),
    };
    let Some(spec) = &input.process else {
        report.notes.push("the calculation has metered energies only: measures need a process calculation (fuel, flue gas, surfaces)".to_owned());
        return Ok(report);
    };
    let dead = input.dead_state.unwrap_or_default();
    let analysis = analyze_process(spec, &dead).map_err(|e| problem("process", &e.to_string()))?;
    let ProcessAnalysis::Classic(result) = &analysis else {
        report.process_type = analysis
            .summary()
            .map_or("process", |s| s.process_type)
            .to_owned();
        report.notes.push("measures are derived for boilers and furnaces with a flue-gas analysis in this version".to_owned());
        return Ok(report);
    };
    report.process_type = result.process_type.to_owned();
    let Some(fired) = Fired::new(spec, result) else {
        report
            .notes
            .push("no flue-gas analysis: combustion measures need one".to_owned());
        return Ok(report);
    };
    let hv = fired.combustion.heating_value_kj_kg;
    // CO2 from the fuel's carbon (complete combustion): C × 44.009/12.011 per kg.
    let co2_t_per_mwh = fired.fuel.mass_fractions.c * 44.009 / thermo::fuels::M_C / hv * 3600.0;
    report.fuel = Some(fired.fuel.name.clone());
    report.co2_t_per_mwh_fuel = Some(co2_t_per_mwh);
    report.co2_biogenic = matches!(fired.fuel.kind, FuelKind::Biomass)
        || fired.fuel.name.contains("bio")
        || fired.fuel.name.contains("wood");

    let hours = params.operating_hours_per_year;
    let makeup_c = params.makeup_water_temperature_c.unwrap_or(15.0);
    let eff = result
        .input_output
        .or(result.heat_loss)
        .map_or(0.8, |m| m.efficiency_pct / 100.0);
    let crf = finance::annuity_factor(params.discount_rate, params.horizon_years)
        .and_then(|a| a.to_f64())
        .map_or(0.0, |a| if a > 0.0 { 1.0 / a } else { 0.0 });
    let price_f64 = params.fuel_price_per_mwh.to_f64().unwrap_or(0.0);
    let heat_cost_per_wh = price_f64 / 1e6 / eff;
    let per_m3_mid = (INSULATION_EUR_PER_M3.0 + INSULATION_EUR_PER_M3.1) as f64 / 2.0;

    let mut physics = vec![
        measures::excess_air_trim(&fired, params.target_o2_pct_dry),
        measures::economizer(&fired),
        measures::condensing(&fired, params.condensing_return_water_temperature_c),
    ];
    let mut ins = measures::insulation(
        fired.surfaces,
        fired.ambient_c,
        params
            .insulation_target_surface_temperature_c
            .unwrap_or(50.0),
        heat_cost_per_wh,
        if params.currency == "EUR" {
            per_m3_mid
        } else {
            0.0
        },
        crf,
        hours,
    );
    if ins.applicable {
        ins.fuel_saved_kw = ins.parameters["heat_loss_saved_kw"] / eff;
    }
    physics.push(ins);
    physics.push(measures::blowdown(&fired, makeup_c));
    physics.push(match params.condensate {
        Some(c) => measures::condensate_return(
            &fired,
            c.current_return_pct,
            c.target_return_pct,
            c.condensate_temperature_c,
            makeup_c,
        ),
        None => MeasurePhysics {
            id: "condensate_return",
            title: "Return more condensate",
            applicable: false,
            reason: "not assessed: give condensate.current_return_pct and target_return_pct"
                .to_owned(),
            fuel_saved_kw: 0.0,
            parameters: BTreeMap::new(),
            cost: CostBasis::Fixed,
        },
    });

    let annuity = finance::annuity_factor(params.discount_rate, params.horizon_years);
    for m in physics {
        let o = appraise(m, params, co2_t_per_mwh, annuity)?;
        if o.worth_it {
            report.worthwhile_fuel_cost_saved_per_year += o.fuel_cost_saved_per_year;
        }
        report.opportunities.push(o);
    }
    report.notes.push("economizer and condensing recovery are sized one after the other (condensing starts at the economizer limit); excess-air trim and the heat recovery both act on the flue gas, so their savings overlap by a few percent".to_owned());
    if report.co2_biogenic {
        report.notes.push(
            "the fuel is biogenic: its CO2 is reported but is usually accounted as zero".to_owned(),
        );
    }
    Ok(report)
}

fn dec(v: f64) -> Decimal {
    Decimal::from_f64(v).unwrap_or_default()
}

fn appraise(
    m: MeasurePhysics,
    p: &OpportunityParams,
    co2_t_per_mwh: f64,
    annuity: Option<Decimal>,
) -> Result<Opportunity, CoreError> {
    let mwh = m.fuel_saved_kw * p.operating_hours_per_year / 1000.0;
    let saving = (dec((mwh * 1000.0).round() / 1000.0) * p.fuel_price_per_mwh).round_dp(2);
    let mut o = Opportunity {
        id: m.id,
        title: m.title,
        applicable: m.applicable,
        reason: m.reason,
        fuel_saved_kw: m.fuel_saved_kw,
        energy_saved_mwh_per_year: mwh,
        fuel_cost_saved_per_year: saving,
        co2_avoided_t_per_year: mwh * co2_t_per_mwh,
        investment: None,
        simple_payback_years: None,
        npv: None,
        npv_low_investment: None,
        npv_high_investment: None,
        irr_pct: None,
        worth_it: false,
        verdict: String::new(),
        parameters: m.parameters,
    };
    if !o.applicable {
        o.verdict = format!("not applicable: {}", o.reason);
        return Ok(o);
    }
    let investment = match p.investments.get(m.id) {
        Some(r) => Some(Investment {
            low: r.low,
            high: r.high,
            source: InvestmentSource::User,
        }),
        None if p.currency == "EUR" => default_cost(m.id, m.cost).map(|(low, high)| Investment {
            low,
            high,
            source: InvestmentSource::DefaultAssumed,
        }),
        None => None,
    };
    let Some(inv) = investment else {
        o.verdict = format!(
            "saves {saving} {} a year; give investments.{} in {} to appraise it (the default table is in EUR)",
            p.currency, m.id, p.currency
        );
        return Ok(o);
    };
    let mid = ((inv.low + inv.high) / Decimal::TWO).round_dp(2);
    let (r, n) = (p.discount_rate, p.horizon_years);
    o.investment = Some(inv);
    o.simple_payback_years = finance::simple_payback(mid, saving).map(|y| y.round_dp(2));
    // NPV = S a(r, N) − I, the annuity factor shared by every measure.
    let npv_at = |i: Decimal| {
        annuity
            .and_then(|a| saving.checked_mul(a))
            .map(|v| (v - i).round_dp(2))
    };
    o.npv = npv_at(mid);
    o.npv_low_investment = npv_at(inv.low);
    o.npv_high_investment = npv_at(inv.high);
    o.irr_pct =
        finance::irr_constant(mid, saving, n).map(|v| (v * Decimal::ONE_HUNDRED).round_dp(2));
    o.worth_it = o.npv.is_some_and(|v| v > Decimal::ZERO);
    o.verdict = if o.worth_it {
        format!(
            "worth it: NPV {} {} at {} % over {n} years, payback {} years",
            o.npv.unwrap_or_default(),
            p.currency,
            (r * Decimal::ONE_HUNDRED).normalize(),
            o.simple_payback_years
                .map_or("-".to_owned(), |y| y.to_string())
        )
    } else {
        format!(
            "not worth it: NPV {} {} at {} % over {n} years does not repay the mid investment {mid}",
            o.npv.unwrap_or_default(),
            p.currency,
            (r * Decimal::ONE_HUNDRED).normalize()
        )
    };
    Ok(o)
}

/// Investment range from the default table for a measure's cost basis.
fn default_cost(id: &str, cost: CostBasis) -> Option<(Decimal, Decimal)> {
    match cost {
        CostBasis::Insulation {
            area_m2,
            thickness_m,
        } => {
            let a = dec(area_m2);
            let v = dec(area_m2 * thickness_m);
            let low = a * Decimal::from(INSULATION_EUR_PER_M2.0)
                + v * Decimal::from(INSULATION_EUR_PER_M3.0);
            let high = a * Decimal::from(INSULATION_EUR_PER_M2.1)
                + v * Decimal::from(INSULATION_EUR_PER_M3.1);
            Some((low.round_dp(2), high.round_dp(2)))
        }
        CostBasis::Fixed => default_investment(id).map(|(l, h, _, _)| (l, h)),
        CostBasis::PerKwSaved(kw) => default_investment(id).map(|(l, h, kl, kh)| {
            let kw = dec(kw);
            ((l + kl * kw).round_dp(2), (h + kh * kw).round_dp(2))
        }),
    }
}

/// Whether a `ProcessSpec` can yield measures (boilers and furnaces).
pub fn supports(spec: &ProcessSpec) -> bool {
    matches!(spec, ProcessSpec::Boiler(_) | ProcessSpec::Furnace(_))
}
