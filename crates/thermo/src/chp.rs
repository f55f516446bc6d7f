//! Combined heat and power: electrical, thermal and total efficiency,
//! power-to-heat ratio, and the primary energy savings (PES) of Directive
//! 2012/27/EU Annex II with the harmonised efficiency reference values of
//! Commission Delegated Regulation (EU) 2015/2402:
//!
//! `PES = (1 − 1 / (CHP Hη / Ref Hη + CHP Eη / Ref Eη)) × 100 %`
//!
//! - Ref Eη: Annex I of 2015/2402 by fuel category (S1–S6, L7–L9,
//!   G10–G13, O14) and year of construction (before 2012, 2012–2015, from
//!   2016); a unit uses the values of its construction year for 10 years,
//!   then those of a 10-year-old unit (Art. 2(5)); corrected for climate
//!   (Annex III: +0.1 point per °C below 15 °C, −0.1 above, gaseous fuels)
//!   and for avoided grid losses (Annex IV, by connection voltage, exported
//!   vs consumed on site; not applied to wood fuels and biogas).
//! - Ref Hη: Annex II by fuel category and medium (hot water, steam,
//!   direct use of exhaust gases); a unit delivering several media uses
//!   `Ref Hη = H / Σ (Hᵢ / Ref Hᵢ)` (each heat replaced by its own boiler).
//! - High-efficiency cogeneration (Directive Annex II (a)): PES ≥ 10 %;
//!   small-scale (< 1 MWe) and micro (< 50 kWe) units: PES > 0.
//! - All efficiencies on the net (lower) calorific value, as Annex II
//!   requires. The Annex I overall-efficiency threshold (75 %, 80 % for
//!   CCGT and extraction-condensing units) is reported: below it the unit's
//!   non-CHP electricity must be split off first, which this model does not.

use serde::{Deserialize, Serialize};

use crate::ThermoError;
use crate::boiler::{FuelStreamSpec, WaterStreamSpec, metered_fuel, water_state};
use crate::combustion::Basis;
use crate::exergy::{
    DeadState, SecondLaw, StreamExergy, fuel_chemical_exergy_at, specific_flow_exergy_kj_kg,
};
use crate::fuels::{FuelKind, check_range, invalid};
use crate::process::{BalanceSummary, flow};

// ---------------------------------------------------------------------------
// Reference values of Delegated Regulation (EU) 2015/2402
// ---------------------------------------------------------------------------

/// Fuel categories of Annexes I and II of Delegated Regulation (EU) 2015/2402.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FuelCategory {
    /// Hard coal incl. anthracite, bituminous and sub-bituminous coal, coke, petroleum coke.
    S1,
    /// Lignite, lignite briquettes, shale oil.
    S2,
    /// Peat, peat briquettes.
    S3,
    /// Dry biomass incl. wood, wood pellets and briquettes, dried wood chips.
    S4,
    /// Other solid biomass incl. wood not under S4, black and brown liquor.
    S5,
    /// Municipal and industrial waste (non-renewable) and renewable waste.
    S6,
    /// Heavy fuel oil, gas/diesel oil, other oil products.
    L7,
    /// Bio-liquids.
    L8,
    /// Waste liquids.
    L9,
    /// Natural gas, LPG, LNG and biomethane.
    G10,
    /// Refinery gases, hydrogen and synthesis gas.
    G11,
    /// Biogas from anaerobic digestion, landfill and sewage treatment.
    G12,
    /// Coke-oven gas, blast-furnace gas, mining gas and other recovered gases.
    G13,
    /// Waste heat (high-temperature process exhaust, exothermic reactions).
    O14,
}

/// Annex I of 2015/2402: Ref Eη, % (net calorific value), for units built
/// before 2012, in 2012–2015 and from 2016; `None` where the Annex has none.
fn annex_i(cat: FuelCategory) -> [Option<f64>; 3] {
    use FuelCategory::*;
    let all = |v: f64| [Some(v), Some(v), Some(v)];
    match cat {
        S1 => all(44.2),
        S2 => all(41.8),
        S3 => all(39.0),
        S4 => [Some(33.0), Some(33.0), Some(37.0)],
        S5 => [Some(25.0), Some(25.0), Some(30.0)],
        S6 => all(25.0),
        L7 => all(44.2),
        L8 => all(44.2),
        L9 => [Some(25.0), Some(25.0), Some(29.0)],
        G10 => [Some(52.5), Some(52.5), Some(53.0)],
        G11 => all(44.2),
        G12 => all(42.0),
        G13 => all(35.0),
        O14 => [None, None, Some(30.0)],
    }
}

/// Annex II of 2015/2402: Ref Hη, % (net calorific value), for hot water,
/// steam and direct use of exhaust gases.
fn annex_ii(cat: FuelCategory) -> [Option<f64>; 3] {
    use FuelCategory::*;
    let three = |a: f64, b: f64, c: f64| [Some(a), Some(b), Some(c)];
    match cat {
        S1 => three(88.0, 83.0, 80.0),
        S2 | S3 | S4 => three(86.0, 81.0, 78.0),
        S5 | S6 => three(80.0, 75.0, 72.0),
        L7 | L8 => three(89.0, 84.0, 81.0),
        L9 => three(80.0, 75.0, 72.0),
        G10 => three(92.0, 87.0, 84.0),
        G11 => three(90.0, 85.0, 82.0),
        G12 | G13 => three(80.0, 75.0, 72.0),
        O14 => [Some(92.0), Some(87.0), None],
    }
}

/// Annex IV of 2015/2402: avoided-grid-loss factors by connection voltage:
/// (lower bound kV, exported to the grid, consumed on site).
const ANNEX_IV: [(f64, f64, f64); 7] = [
    (345.0, 1.0, 0.976),
    (200.0, 0.972, 0.963),
    (100.0, 0.963, 0.951),
    (50.0, 0.952, 0.936),
    (12.0, 0.935, 0.914),
    (0.45, 0.918, 0.891),
    (0.0, 0.888, 0.851),
];

/// Annex III: ISO ambient of the climate correction, °C.
const ISO_AMBIENT_C: f64 = 15.0;
/// Annex III: points of electrical efficiency per °C from 15 °C.
const CLIMATE_POINTS_PER_K: f64 = 0.1;

/// Annex I of the Directive: overall-efficiency thresholds, %.
const OVERALL_THRESHOLD_PCT: f64 = 75.0;
const OVERALL_THRESHOLD_CCGT_PCT: f64 = 80.0;

/// The category of a library fuel (user fuels: by their kind, or give `reference_fuel`).
fn category_of(name: &str, kind: FuelKind) -> Option<FuelCategory> {
    use FuelCategory::*;
    let key = name.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    Some(match key.as_str() {
        "natural_gas" | "propane" | "butane" | "lpg" | "lng" | "biomethane" => G10,
        "hydrogen" | "refinery_gas" | "syngas" => G11,
        "biogas" => G12,
        "fuel_oil_no2" | "fuel_oil_2" | "no2_fuel_oil" | "heating_oil" | "fuel_oil_no6"
        | "fuel_oil_6" | "no6_fuel_oil" | "residual_oil" | "diesel" => L7,
        "bituminous_coal"
        | "bituminous"
        | "coal"
        | "sub_bituminous_coal"
        | "subbituminous_coal"
        | "sub_bituminous"
        | "petcoke"
        | "petroleum_coke"
        | "pet_coke" => S1,
        "lignite" => S2,
        // The library's wood has 40 % moisture: not "dry biomass" (S4).
        "wood" | "biomass" | "wood_biomass" => S5,
        _ => match kind {
            FuelKind::Gas => return None,
            FuelKind::Liquid => L7,
            FuelKind::Solid => S1,
            FuelKind::Biomass => S5,
        },
    })
}

// ---------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------

/// Medium of a heat stream (chooses the column of Annex II).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeatMedium {
    HotWater,
    Steam,
    /// Direct use of exhaust gases.
    #[serde(alias = "direct_exhaust", alias = "exhaust")]
    ExhaustGas,
}

impl HeatMedium {
    fn column(self) -> usize {
        match self {
            HeatMedium::HotWater => 0,
            HeatMedium::Steam => 1,
            HeatMedium::ExhaustGas => 2,
        }
    }
}

/// One useful-heat stream: metered (`energy_kw`) or a water/steam stream
/// (`mass_flow_kg_h` with `supply` and `return` states, IAPWS-IF97).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChpHeatSpec {
    pub medium: HeatMedium,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_kw: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mass_flow_kg_h: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supply: Option<WaterStreamSpec>,
    #[serde(default, rename = "return", skip_serializing_if = "Option::is_none")]
    pub return_: Option<WaterStreamSpec>,
}

/// Electricity of a CHP unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChpElectricitySpec {
    /// Electricity from cogeneration, kW (the Directive measures it at the
    /// generator terminals; give the figure on that boundary).
    pub net_kw: f64,
    /// Connection voltage, kV, for the Annex IV grid-loss correction
    /// (without it no grid-loss correction is applied, with a warning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voltage_kv: Option<f64>,
    /// Share of the electricity exported to the grid, 0..=1 (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_fraction: Option<f64>,
    /// Electrical capacity, kW, for the small-scale rule (default `net_kw`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_kw: Option<f64>,
}

/// A CHP unit (`"type": "chp"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChpSpec {
    /// Fuel and its input (`energy_kw` on `basis`, default LHV, or `mass_flow_kg_h`).
    pub fuel: FuelStreamSpec,
    pub electricity: ChpElectricitySpec,
    pub heat: Vec<ChpHeatSpec>,
    pub construction_year: i32,
    /// Year the PES is assessed for (the 10-year rule of Art. 2(5)); default: no ageing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_year: Option<i32>,
    /// Fuel category of 2015/2402 (e.g. `G10`) when the fuel name does not say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_fuel: Option<FuelCategory>,
    /// Annual average ambient temperature of the site, °C (Annex III; default 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual_average_temperature_c: Option<f64>,
    /// Combined-cycle gas turbine with heat recovery or steam extraction-
    /// condensing turbine (Directive Annex I threshold 80 % instead of 75 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combined_cycle_or_extraction_condensing: Option<bool>,
    /// Basis of `fuel.energy_kw` (default `lhv`, as the Directive uses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
}

// ---------------------------------------------------------------------------
// Result
// ---------------------------------------------------------------------------

/// The reference values a PES used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferenceEfficiencies {
    pub source: &'static str,
    pub fuel_category: FuelCategory,
    pub construction_year: i32,
    /// The year whose values apply (construction year, or assessment year − 10).
    pub reference_year: i32,
    /// `before_2012`, `2012_2015` or `from_2016`.
    pub year_band: &'static str,
    /// Annex I value before corrections, %.
    pub electrical_harmonised_pct: f64,
    /// Annex III correction, percentage points.
    pub climate_correction_pct_points: f64,
    /// Annex IV factor (1 when not applied).
    pub grid_loss_correction_factor: f64,
    /// Ref Eη used, %.
    pub electrical_pct: f64,
    /// Ref Hη used (heat-weighted over the media), %.
    pub heat_pct: f64,
}

/// One heat stream in the result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChpHeat {
    pub medium: HeatMedium,
    pub energy_kw: f64,
    pub reference_efficiency_pct: f64,
}

/// Result of a CHP analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChpResult {
    pub process_type: &'static str,
    pub basis: Basis,
    pub fuel_input_kw: f64,
    pub electricity_kw: f64,
    pub useful_heat_kw: f64,
    pub electrical_efficiency_pct: f64,
    pub thermal_efficiency_pct: f64,
    pub total_efficiency_pct: f64,
    pub power_to_heat_ratio: f64,
    pub primary_energy_savings_pct: f64,
    /// Fuel the same outputs need by separate production, minus the CHP fuel, kW.
    pub primary_energy_saved_kw: f64,
    pub reference_efficiencies: ReferenceEfficiencies,
    pub high_efficiency_cogeneration: bool,
    /// `micro` (< 50 kWe), `small` (< 1 MWe) or `large`.
    pub scale: &'static str,
    pub high_efficiency_rule: &'static str,
    /// Directive Annex I overall-efficiency threshold, %.
    pub overall_efficiency_threshold_pct: f64,
    /// Whether all output counts as cogeneration (total efficiency ≥ threshold).
    pub all_output_is_cogeneration: bool,
    pub heat: Vec<ChpHeat>,
    /// Fuel input not turned into electricity or useful heat, kW.
    pub unrecovered_kw: f64,
    pub second_law: SecondLaw,
    pub formulas: Vec<&'static str>,
    pub warnings: Vec<String>,
}

impl ChpResult {
    /// The first-law balance for the engine.
    pub fn summary(&self) -> BalanceSummary {
        BalanceSummary {
            process_type: "chp",
            basis: self.basis,
            inputs: vec![flow("fuel", self.fuel_input_kw, "measured")],
            outputs: vec![
                flow("electricity", self.electricity_kw, "measured"),
                flow("heat", self.useful_heat_kw, "measured"),
            ],
            losses: vec![flow("unrecovered", self.unrecovered_kw, "by_difference")],
            efficiency_pct: Some(self.total_efficiency_pct),
            warnings: self.warnings.clone(),
            formulas: self.formulas.clone(),
        }
    }
}

// ---------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------

/// Analyses a CHP unit.
pub fn analyze_chp(c: &ChpSpec, dead: &DeadState) -> Result<ChpResult, ThermoError> {
    let mut warnings = Vec::new();
    let basis = c.basis.unwrap_or(Basis::Lhv);
    let metered = metered_fuel(&c.fuel, basis)?;
    // The Directive's efficiencies are on the net calorific value.
    let fuel_lhv_kw = match basis {
        Basis::Lhv => metered.input_kw,
        Basis::Hhv => metered.input_kw * metered.fuel.lhv_kj_kg / metered.fuel.hhv_kj_kg,
    };
    let e = &c.electricity;
    let el_kw = check_range("process.electricity.net_kw", e.net_kw, 0.0, 1e8, "kW")?;
    let exported = match e.exported_fraction {
        Some(x) => check_range("process.electricity.exported_fraction", x, 0.0, 1.0, "")?,
        None => 1.0,
    };
    let capacity_kw = match e.capacity_kw {
        Some(x) => check_range("process.electricity.capacity_kw", x, 0.0, 1e8, "kW")?,
        None => el_kw,
    };
    let year = c.construction_year;
    if !(1950..=2100).contains(&year) {
        return Err(invalid(
            "process.construction_year",
            &format!("must be a year between 1950 and 2100, got {year}"),
        ));
    }
    let reference_year = match c.assessment_year {
        Some(a) if a < year => {
            return Err(invalid(
                "process.assessment_year",
                "must not be before construction_year",
            ));
        }
        Some(a) => year.max(a - 10),
        None => year,
    };
    let (band, band_name) = match reference_year {
        ..=2011 => (0, "before_2012"),
        2012..=2015 => (1, "2012_2015"),
        _ => (2, "from_2016"),
    };
    if reference_year >= 2024 {
        warnings.push("Delegated Regulation (EU) 2023/2104 revised the reference values for units from 2024; the 2015/2402 values are used".to_string());
    }
    let category = match c.reference_fuel {
        Some(cat) => cat,
        None => category_of(&c.fuel.name, metered.fuel.kind).ok_or_else(|| {
            invalid(
                "process.reference_fuel",
                "is required for a user-defined gas: give the 2015/2402 category (G10 natural gas, G11 refinery gas/hydrogen, G12 biogas, G13 recovered gases)",
            )
        })?,
    };
    let ref_e_base = annex_i(category)[band].ok_or_else(|| {
        invalid(
            "process.construction_year",
            &format!("Annex I of 2015/2402 has no {category:?} value for units built {band_name}"),
        )
    })?;
    let gaseous = matches!(
        category,
        FuelCategory::G10 | FuelCategory::G11 | FuelCategory::G12 | FuelCategory::G13
    );
    let climate_pp = match c.annual_average_temperature_c {
        Some(t) => {
            let t = check_range("process.annual_average_temperature_c", t, -30.0, 40.0, "°C")?;
            if gaseous {
                (ISO_AMBIENT_C - t) * CLIMATE_POINTS_PER_K
            } else {
                0.0
            }
        }
        None => 0.0,
    };
    let grid_exempt = matches!(
        category,
        FuelCategory::S4 | FuelCategory::S5 | FuelCategory::G12
    );
    let grid_factor = match e.voltage_kv {
        Some(v) => {
            let v = check_range("process.electricity.voltage_kv", v, 0.0, 1000.0, "kV")?;
            if grid_exempt {
                1.0
            } else {
                let (_, exp, site) = ANNEX_IV
                    .iter()
                    .copied()
                    .find(|(lo, _, _)| v >= *lo)
                    .unwrap_or(ANNEX_IV[ANNEX_IV.len() - 1]);
                exported * exp + (1.0 - exported) * site
            }
        }
        None => {
            if !grid_exempt {
                warnings.push(
                    "electricity.voltage_kv not given: no Annex IV grid-loss correction applied"
                        .to_string(),
                );
            }
            1.0
        }
    };
    let ref_e = (ref_e_base + climate_pp) * grid_factor;

    if c.heat.is_empty() {
        return Err(invalid(
            "process.heat",
            "give at least one useful-heat stream",
        ));
    }
    let dw = dead.water()?;
    let mut heat = Vec::with_capacity(c.heat.len());
    let mut heat_exergy_kw = Some(0.0);
    let mut sum_h_over_ref = 0.0;
    for (i, h) in c.heat.iter().enumerate() {
        let field = format!("process.heat[{i}]");
        let kw = match (h.energy_kw, h.mass_flow_kg_h, &h.supply, &h.return_) {
            (Some(q), None, None, None) => {
                heat_exergy_kw = None;
                check_range(format!("{field}.energy_kw"), q, 0.0, 1e8, "kW")?
            }
            (None, Some(m), Some(s), Some(r)) => {
                let m =
                    check_range(format!("{field}.mass_flow_kg_h"), m, 0.0, 1e8, "kg/h")? / 3600.0;
                let a = water_state(s, &format!("{field}.supply"))?;
                let b = water_state(r, &format!("{field}.return"))?;
                if let Some(x) = heat_exergy_kw.as_mut() {
                    *x += m
                        * (specific_flow_exergy_kj_kg(&a, &dw)
                            - specific_flow_exergy_kj_kg(&b, &dw));
                }
                let q = m * (a.enthalpy_kj_kg - b.enthalpy_kj_kg);
                if q < 0.0 {
                    return Err(invalid(
                        &field,
                        "the supply enthalpy is below the return enthalpy",
                    ));
                }
                q
            }
            _ => {
                return Err(invalid(
                    &field,
                    "give energy_kw, or mass_flow_kg_h with supply and return water/steam states",
                ));
            }
        };
        let r = annex_ii(category)[h.medium.column()].ok_or_else(|| {
            invalid(
                format!("{field}.medium"),
                &format!("Annex II of 2015/2402 has no {category:?} value for this medium"),
            )
        })?;
        sum_h_over_ref += kw / r;
        heat.push(ChpHeat {
            medium: h.medium,
            energy_kw: kw,
            reference_efficiency_pct: r,
        });
    }
    let heat_kw: f64 = heat.iter().map(|h| h.energy_kw).sum();
    if fuel_lhv_kw <= 0.0 {
        return Err(invalid("process.fuel", "the fuel input is zero"));
    }
    let ref_h = if sum_h_over_ref > 0.0 {
        heat_kw / sum_h_over_ref
    } else {
        heat[0].reference_efficiency_pct
    };
    let e_eta = el_kw / fuel_lhv_kw * 100.0;
    let h_eta = heat_kw / fuel_lhv_kw * 100.0;
    let total = e_eta + h_eta;
    if total > 100.0 + 1e-9 {
        return Err(invalid(
            "process",
            &format!(
                "electricity + heat ({total:.2} % of the fuel's net calorific value) exceed the input; check the meters and the basis"
            ),
        ));
    }
    let denom = h_eta / ref_h + e_eta / ref_e;
    let pes = if denom > 0.0 {
        (1.0 - 1.0 / denom) * 100.0
    } else {
        -100.0
    };
    let separate_fuel_kw = heat_kw / (ref_h / 100.0) + el_kw / (ref_e / 100.0);
    let (scale, rule, high) = if capacity_kw < 50.0 {
        ("micro", "micro-cogeneration (< 50 kWe): PES > 0", pes > 0.0)
    } else if capacity_kw < 1000.0 {
        (
            "small",
            "small-scale cogeneration (< 1 MWe): PES > 0",
            pes > 0.0,
        )
    } else {
        ("large", "cogeneration >= 1 MWe: PES >= 10 %", pes >= 10.0)
    };
    let threshold = if c.combined_cycle_or_extraction_condensing.unwrap_or(false) {
        OVERALL_THRESHOLD_CCGT_PCT
    } else {
        OVERALL_THRESHOLD_PCT
    };
    let all_chp = total >= threshold;
    if !all_chp {
        warnings.push(format!(
            "total efficiency {total:.1} % is below the Directive's Annex I threshold {threshold} %: part of the electricity is not from cogeneration (E_CHP = H_CHP × C) and the PES shown treats all of it as cogeneration"
        ));
    }

    let fuel_ex = fuel_chemical_exergy_at(&metered.fuel, dead);
    let fuel_ex_kw = metered.fuel_kg_s * fuel_ex.exergy_kj_kg;
    let mut second_law = SecondLaw::new(
        *dead,
        fuel_ex_kw,
        el_kw + heat_exergy_kw.unwrap_or(0.0),
        0.0,
        vec![
            StreamExergy {
                name: "fuel (chemical)".into(),
                exergy_kw: fuel_ex_kw,
                specific_exergy_kj_kg: Some(fuel_ex.exergy_kj_kg),
            },
            StreamExergy {
                name: "electricity".into(),
                exergy_kw: el_kw,
                specific_exergy_kj_kg: None,
            },
        ],
    );
    if heat_exergy_kw.is_none() {
        second_law.second_law_efficiency_pct = None;
        warnings.push("a heat stream is given as energy_kw only: its exergy is unknown, so the second-law efficiency is undefined (null)".to_string());
    }

    Ok(ChpResult {
        process_type: "chp",
        basis: Basis::Lhv,
        fuel_input_kw: fuel_lhv_kw,
        electricity_kw: el_kw,
        useful_heat_kw: heat_kw,
        electrical_efficiency_pct: e_eta,
        thermal_efficiency_pct: h_eta,
        total_efficiency_pct: total,
        power_to_heat_ratio: if heat_kw > 0.0 {
            el_kw / heat_kw
        } else {
            f64::INFINITY
        }
        .min(1e9),
        primary_energy_savings_pct: pes,
        primary_energy_saved_kw: separate_fuel_kw - fuel_lhv_kw,
        reference_efficiencies: ReferenceEfficiencies {
            source: "Commission Delegated Regulation (EU) 2015/2402, Annexes I-IV",
            fuel_category: category,
            construction_year: year,
            reference_year,
            year_band: band_name,
            electrical_harmonised_pct: ref_e_base,
            climate_correction_pct_points: climate_pp,
            grid_loss_correction_factor: grid_factor,
            electrical_pct: ref_e,
            heat_pct: ref_h,
        },
        high_efficiency_cogeneration: high,
        scale,
        high_efficiency_rule: rule,
        overall_efficiency_threshold_pct: threshold,
        all_output_is_cogeneration: all_chp,
        heat,
        unrecovered_kw: fuel_lhv_kw - el_kw - heat_kw,
        second_law,
        formulas: vec![
            "chp_efficiencies",
            "chp_primary_energy_savings",
            "fuel_heating_values",
            "exergy",
        ],
        warnings,
    })
}
