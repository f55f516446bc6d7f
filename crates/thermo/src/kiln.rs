//! Cement and lime kilns: specific heat consumption, the theoretical heat
//! of formation and a heat balance by the usual categories (VDZ / Duda,
//! *Cement Data Book* Vol. 1; Peray, *The Rotary Cement Kiln*), per tonne
//! of product, reference temperature 25 °C.
//!
//! - Specific heat consumption `q = Q_fuel / P` (GJ/t), fuel on the basis
//!   (default LHV, as cement practice and the GCCA/CSI protocol use).
//! - Theoretical heat of clinker formation by Zur Strassen (Zement-Kalk-
//!   Gips 10 (1957) 1; VDZ): `q_th = 4.11 Al2O3 + 6.48 MgO + 7.646 CaO −
//!   5.116 SiO2 − 0.59 Fe2O3` kcal/kg (oxides in % of clinker), ×4.1868 for
//!   kJ/kg: about 1.75 GJ/t for a typical clinker.
//! - Quicklime: `q_th = x_CaO ΔH(CaCO3 → CaO + CO2)/M_CaO + x_MgO ΔH(MgCO3
//!   → MgO + CO2)/M_MgO` at 25 °C with NBS formation enthalpies (Wagman et
//!   al., *J. Phys. Chem. Ref. Data* 11 (1982) Suppl. 2): CaCO3 −1206.92,
//!   CaO −635.09, MgCO3 −1095.8, MgO −601.70, CO2 −393.509 kJ/mol →
//!   3.18 MJ/kg CaO, 2.50 MJ/kg MgO.
//! - CO2 from calcination: all CaO and MgO of the product from carbonates,
//!   `x_CaO 44.009/56.077 + x_MgO 44.009/40.304` (the IPCC 2006 Vol. 3
//!   Eq. 2.4 clinker factor: 0.51 t/t at 65 % CaO).
//! - Exit gas: the combustion products ([`crate::combustion`]) at the excess
//!   air that gives the measured dry O2 once the calcination CO2 is in the gas,
//!   plus that CO2 and the raw-meal water, heated from 25 °C to the exit.
//! - Cooler exhaust air, product discharge heat, shell losses
//!   ([`crate::heat_transfer`]); unaccounted = the residual.

use serde::{Deserialize, Serialize};

use crate::ThermoError;
use crate::boiler::{FuelStreamSpec, metered_fuel};
use crate::combustion::{
    Basis, CombustionConditions, FlueGasSpec, REFERENCE_TEMPERATURE_C, co2_sensible_kj_kg,
    combustion_of, dry_air_sensible_kj_kg, water_vapour_sensible_kj_kg,
};
use crate::exergy::DeadState;
use crate::fuels::{H_FG_25C_KJ_KG, M_AR, M_C, M_N, M_O, M_S, check_range, invalid};
use crate::heat_transfer::{SurfaceLoss, SurfaceSpec, surface_loss};
use crate::process::{BalanceSummary, flow};

/// kJ per kcal (International Table calorie).
const KJ_PER_KCAL: f64 = 4.1868;
const M_CO2: f64 = M_C + 2.0 * M_O;
const M_CAO: f64 = 40.078 + M_O;
const M_MGO: f64 = 24.305 + M_O;
/// NBS tables (Wagman et al. 1982): reaction enthalpies at 25 °C, kJ/mol.
const DH_CACO3: f64 = -635.09 - 393.509 + 1206.92;
const DH_MGCO3: f64 = -601.70 - 393.509 + 1095.8;
/// Density of dry air at 0 °C, 101.325 kPa (normal m³): M / 22.414 L/mol
/// (ideal-gas molar volume at STP, CODATA).
const DRY_AIR_NORMAL_DENSITY: f64 = 28.965 / 22.414;
/// Default specific heat of clinker or lime leaving the cooler, kJ/(kg K)
/// (assumed; give a measured value for audits).
const DEFAULT_PRODUCT_CP: f64 = 0.80;

/// What the kiln makes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KilnProduct {
    /// Portland cement clinker (the default).
    #[default]
    #[serde(alias = "cement")]
    Clinker,
    #[serde(alias = "lime")]
    Quicklime,
}

/// Clinker oxides, % by mass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinkerOxides {
    pub cao: f64,
    pub sio2: f64,
    pub al2o3: f64,
    pub fe2o3: f64,
    #[serde(default)]
    pub mgo: f64,
}

/// A typical Portland clinker (Taylor, *Cement Chemistry*, 2nd ed. 1997,
/// Table 1.2 rounded): CaO 67, SiO2 22, Al2O3 5, Fe2O3 3, MgO 1.5 %.
pub const TYPICAL_CLINKER: ClinkerOxides = ClinkerOxides {
    cao: 67.0,
    sio2: 22.0,
    al2o3: 5.0,
    fe2o3: 3.0,
    mgo: 1.5,
};

/// Quicklime composition, % by mass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuicklimeComposition {
    pub cao: f64,
    #[serde(default)]
    pub mgo: f64,
}

/// Raw meal (kiln feed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMealSpec {
    /// Moisture of the feed, % of the wet feed.
    #[serde(default)]
    pub moisture_pct: f64,
    /// Wet feed, t/h (default: from the product and the loss on ignition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_t_h: Option<f64>,
    /// Loss on ignition of the dry feed, % (informative; CO2 is from the product oxides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loi_pct: Option<f64>,
}

/// Kiln (preheater) exit gas.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KilnGasSpec {
    pub temperature_c: f64,
    /// O2 in the dry exit gas (calcination CO2 included), % by volume.
    pub o2_pct_dry: f64,
}

/// Cooler exhaust (vent) air.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoolerExhaustSpec {
    pub temperature_c: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub air_mass_flow_kg_h: Option<f64>,
    /// Normal m³/h (0 °C, 101.325 kPa, dry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub air_flow_nm3_h: Option<f64>,
}

/// A kiln (`"type": "kiln"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KilnSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<KilnProduct>,
    pub fuel: FuelStreamSpec,
    /// Basis of the fuel input (default `lhv`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clinker_t_h: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quicklime_t_h: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clinker_oxides_pct: Option<ClinkerOxides>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quicklime_composition_pct: Option<QuicklimeComposition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_meal: Option<RawMealSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_gas: Option<KilnGasSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooler_exhaust: Option<CoolerExhaustSpec>,
    /// Product leaving the cooler, °C (without it the discharge heat is not counted).
    #[serde(
        default,
        alias = "clinker_exit_temperature_c",
        skip_serializing_if = "Option::is_none"
    )]
    pub product_exit_temperature_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_specific_heat_kj_kg_k: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combustion_air_temperature_c: Option<f64>,
    #[serde(default)]
    pub surfaces: Vec<SurfaceSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_temperature_c: Option<f64>,
}

/// One line of the heat balance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KilnBalanceItem {
    pub category: &'static str,
    pub gj_per_t: f64,
    /// % of the fuel heat.
    pub pct: f64,
    /// `computed`, `unaccounted` or `not_measured` (0, in the residual).
    pub source: &'static str,
}

/// Result of a kiln analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KilnResult {
    pub process_type: &'static str,
    pub product: KilnProduct,
    pub basis: Basis,
    pub production_t_h: f64,
    pub fuel_input_kw: f64,
    pub specific_heat_consumption_gj_per_t: f64,
    pub theoretical_heat_gj_per_t: f64,
    pub theoretical_heat_method: &'static str,
    /// Theoretical heat / specific heat consumption, %.
    pub thermal_efficiency_pct: f64,
    pub co2_from_calcination_t_per_t: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excess_air_pct: Option<f64>,
    /// Heat in (fuel + air credit) and out by category, GJ/t; sums close.
    pub heat_balance: Vec<KilnBalanceItem>,
    pub air_credit_gj_per_t: f64,
    pub surfaces: Vec<SurfaceLoss>,
    pub formulas: Vec<&'static str>,
    pub warnings: Vec<String>,
}

impl KilnResult {
    /// The first-law balance for the engine (kW).
    pub fn summary(&self) -> BalanceSummary {
        let kw = |gj_t: f64| gj_t * 1e6 * self.production_t_h / 3600.0;
        let mut inputs = vec![flow("fuel", self.fuel_input_kw, "measured")];
        if self.air_credit_gj_per_t > 0.0 {
            inputs.push(flow(
                "heat_credits",
                kw(self.air_credit_gj_per_t),
                "computed",
            ));
        }
        let mut outputs = Vec::new();
        let mut losses = Vec::new();
        for item in &self.heat_balance {
            if item.category == "theoretical_heat" {
                outputs.push(flow("theoretical_heat", kw(item.gj_per_t), "computed"));
            } else if item.source != "not_measured" {
                losses.push(flow(item.category, kw(item.gj_per_t), item.source));
            }
        }
        BalanceSummary {
            process_type: "kiln",
            basis: self.basis,
            inputs,
            outputs,
            losses,
            efficiency_pct: Some(self.thermal_efficiency_pct),
            warnings: self.warnings.clone(),
            formulas: self.formulas.clone(),
        }
    }
}

/// Zur Strassen's theoretical heat of clinker formation, kJ/kg clinker.
pub fn zur_strassen_kj_kg(o: &ClinkerOxides) -> f64 {
    (4.11 * o.al2o3 + 6.48 * o.mgo + 7.646 * o.cao - 5.116 * o.sio2 - 0.59 * o.fe2o3) * KJ_PER_KCAL
}

/// Theoretical heat of quicklime, kJ/kg lime: CaO and MgO from their carbonates at 25 °C.
pub fn quicklime_theoretical_kj_kg(c: &QuicklimeComposition) -> f64 {
    c.cao / 100.0 * DH_CACO3 / M_CAO * 1000.0 + c.mgo / 100.0 * DH_MGCO3 / M_MGO * 1000.0
}

/// CO2 released by calcination, kg per kg product, from its CaO and MgO (%).
pub fn calcination_co2_kg_per_kg(cao_pct: f64, mgo_pct: f64) -> f64 {
    cao_pct / 100.0 * M_CO2 / M_CAO + mgo_pct / 100.0 * M_CO2 / M_MGO
}

/// Dry moles and free O2 per kg fuel of a combustion result.
fn dry_and_o2_mol(r: &crate::combustion::CombustionResult) -> (f64, f64) {
    let k = r.flue_gas.species_kg_per_kg_fuel;
    let o2 = k.o2 / (2.0 * M_O) * 1000.0;
    let dry = k.co2 / M_CO2 * 1000.0
        + k.co / (M_C + M_O) * 1000.0
        + k.so2 / (M_S + 2.0 * M_O) * 1000.0
        + o2
        + k.n2 / (2.0 * M_N) * 1000.0
        + k.ar / M_AR * 1000.0;
    (dry, o2)
}

/// Analyses a kiln.
pub fn analyze_kiln(k: &KilnSpec, _dead: &DeadState) -> Result<KilnResult, ThermoError> {
    let mut warnings = Vec::new();
    let product = k.product.unwrap_or_default();
    let basis = k.basis.unwrap_or(Basis::Lhv);
    let (prod_field, prod_t_h) = match product {
        KilnProduct::Clinker => ("process.clinker_t_h", k.clinker_t_h),
        KilnProduct::Quicklime => ("process.quicklime_t_h", k.quicklime_t_h),
    };
    let p_t_h = match prod_t_h {
        Some(p) => check_range(prod_field, p, 0.001, 1e5, "t/h")?,
        None => return Err(invalid(prod_field, "is required")),
    };
    let p_kg_s = p_t_h * 1000.0 / 3600.0;
    let per_t = |kw: f64| kw / p_kg_s / 1000.0; // kW -> GJ/t (kJ/kg / 1000)

    let metered = metered_fuel(&k.fuel, basis)?;
    let q_fuel = per_t(metered.input_kw);

    let (q_th, method, cao, mgo) = match product {
        KilnProduct::Clinker => {
            let o = match k.clinker_oxides_pct {
                Some(o) => {
                    for (n, v) in [
                        ("cao", o.cao),
                        ("sio2", o.sio2),
                        ("al2o3", o.al2o3),
                        ("fe2o3", o.fe2o3),
                        ("mgo", o.mgo),
                    ] {
                        check_range(
                            format!("process.clinker_oxides_pct.{n}"),
                            v,
                            0.0,
                            100.0,
                            "%",
                        )?;
                    }
                    o
                }
                None => {
                    warnings.push("clinker_oxides_pct not given: a typical clinker (Taylor 1997) is assumed for the theoretical heat".to_string());
                    TYPICAL_CLINKER
                }
            };
            (
                zur_strassen_kj_kg(&o) / 1000.0,
                "Zur Strassen (VDZ) from the clinker oxides",
                o.cao,
                o.mgo,
            )
        }
        KilnProduct::Quicklime => {
            let c = match k.quicklime_composition_pct {
                Some(c) => {
                    check_range(
                        "process.quicklime_composition_pct.cao",
                        c.cao,
                        0.0,
                        100.0,
                        "%",
                    )?;
                    check_range(
                        "process.quicklime_composition_pct.mgo",
                        c.mgo,
                        0.0,
                        100.0,
                        "%",
                    )?;
                    c
                }
                None => {
                    warnings.push(
                        "quicklime_composition_pct not given: 95 % CaO, 1 % MgO assumed"
                            .to_string(),
                    );
                    QuicklimeComposition {
                        cao: 95.0,
                        mgo: 1.0,
                    }
                }
            };
            (
                quicklime_theoretical_kj_kg(&c) / 1000.0,
                "CaCO3 and MgCO3 decomposition enthalpies at 25 °C (NBS tables)",
                c.cao,
                c.mgo,
            )
        }
    };
    let co2_kg = calcination_co2_kg_per_kg(cao, mgo);

    // Raw-meal water, kg per kg product.
    let water = match &k.raw_meal {
        Some(r) => {
            let mpct = check_range(
                "process.raw_meal.moisture_pct",
                r.moisture_pct,
                0.0,
                60.0,
                "%",
            )? / 100.0;
            let feed_dry_per_kg = match r.feed_t_h {
                Some(f) => {
                    check_range("process.raw_meal.feed_t_h", f, 0.0, 1e5, "t/h")? * (1.0 - mpct)
                        / p_t_h
                }
                None => 1.0 + co2_kg,
            };
            if let Some(loi) = r.loi_pct {
                check_range("process.raw_meal.loi_pct", loi, 0.0, 60.0, "%")?;
            }
            feed_dry_per_kg * mpct / (1.0 - mpct)
        }
        None => 0.0,
    };
    let t_ref = REFERENCE_TEMPERATURE_C + 273.15;

    let air_c = match k.combustion_air_temperature_c {
        Some(t) => check_range(
            "process.combustion_air_temperature_c",
            t,
            -50.0,
            1200.0,
            "°C",
        )?,
        None => REFERENCE_TEMPERATURE_C,
    };
    let (q_exit, q_credit, excess) = match &k.exit_gas {
        Some(g) => {
            let t_g = check_range(
                "process.exit_gas.temperature_c",
                g.temperature_c,
                REFERENCE_TEMPERATURE_C,
                1500.0,
                "°C",
            )?;
            let y = check_range(
                "process.exit_gas.o2_pct_dry",
                g.o2_pct_dry,
                0.0,
                20.0,
                "% by volume",
            )? / 100.0;
            let cond = CombustionConditions {
                combustion_air_temperature_c: air_c,
                basis: Some(basis),
                ..Default::default()
            };
            let at = |ea: f64| {
                combustion_of(
                    &metered.fuel,
                    &FlueGasSpec {
                        temperature_c: t_g,
                        excess_air_pct: Some(ea),
                        ..Default::default()
                    },
                    &cond,
                )
                .map_err(|e| match e {
                    ThermoError::Invalid { field, problem } => {
                        invalid(format!("process.{field}"), &problem)
                    }
                    other => other,
                })
            };
            // Dry moles and O2 are linear in the excess-air fraction e.
            let (d0, _) = dry_and_o2_mol(&at(0.0)?);
            let (d1, o2s) = dry_and_o2_mol(&at(100.0)?);
            let f = metered.fuel_kg_s / p_kg_s; // kg fuel per kg product
            let c_mol = co2_kg / M_CO2 * 1000.0; // mol per kg product
            // y (f (d0 + (d1 − d0) e) + c) = f o2s e
            let den = f * o2s - y * f * (d1 - d0);
            if den <= 0.0 {
                return Err(invalid(
                    "process.exit_gas.o2_pct_dry",
                    "is too high: it implies unlimited excess air",
                ));
            }
            let e = (y * (f * d0 + c_mol) / den).max(0.0);
            if e > 10.0 {
                return Err(invalid(
                    "process.exit_gas.o2_pct_dry",
                    "implies more than 1000 % excess air",
                ));
            }
            let r = at(e * 100.0)?;
            let l = r.losses_kj_per_kg_fuel;
            let comb = (l.dry_flue_gas + l.moisture()) * f;
            let t_g_k = t_g + 273.15;
            let co2_sens = co2_kg * co2_sensible_kj_kg(t_g_k, t_ref);
            let water_sens = water * water_vapour_sensible_kj_kg(t_g_k, t_ref);
            (
                Some((comb + co2_sens + water_sens) / 1000.0),
                r.credits_kj_per_kg_fuel.total * f / 1000.0,
                Some(e * 100.0),
            )
        }
        None => {
            warnings.push(
                "exit_gas not given: the exit-gas loss is in the unaccounted residual".to_string(),
            );
            (None, 0.0, None)
        }
    };
    let q_evap = water * H_FG_25C_KJ_KG / 1000.0;

    let q_cooler = match &k.cooler_exhaust {
        Some(c) => {
            let t = check_range(
                "process.cooler_exhaust.temperature_c",
                c.temperature_c,
                -50.0,
                1200.0,
                "°C",
            )?;
            let m = match (c.air_mass_flow_kg_h, c.air_flow_nm3_h) {
                (Some(m), None) => check_range(
                    "process.cooler_exhaust.air_mass_flow_kg_h",
                    m,
                    0.0,
                    1e9,
                    "kg/h",
                )?,
                (None, Some(v)) => {
                    check_range(
                        "process.cooler_exhaust.air_flow_nm3_h",
                        v,
                        0.0,
                        1e9,
                        "Nm³/h",
                    )? * DRY_AIR_NORMAL_DENSITY
                }
                _ => {
                    return Err(invalid(
                        "process.cooler_exhaust",
                        "give air_mass_flow_kg_h or air_flow_nm3_h",
                    ));
                }
            } / 3600.0;
            Some(per_t(m * dry_air_sensible_kj_kg(t + 273.15, t_ref)))
        }
        None => None,
    };
    let q_product = match k.product_exit_temperature_c {
        Some(t) => {
            let t = check_range("process.product_exit_temperature_c", t, -50.0, 1500.0, "°C")?;
            let cp = match k.product_specific_heat_kj_kg_k {
                Some(c) => check_range(
                    "process.product_specific_heat_kj_kg_k",
                    c,
                    0.1,
                    5.0,
                    "kJ/(kg K)",
                )?,
                None => {
                    warnings.push(format!("product_specific_heat_kj_kg_k not given: {DEFAULT_PRODUCT_CP} kJ/(kg K) assumed"));
                    DEFAULT_PRODUCT_CP
                }
            };
            Some(cp * (t - REFERENCE_TEMPERATURE_C) / 1000.0)
        }
        None => None,
    };
    let ambient_c = match k.ambient_temperature_c {
        Some(t) => check_range("process.ambient_temperature_c", t, -50.0, 60.0, "°C")?,
        None => 25.0,
    };
    let mut surfaces = Vec::with_capacity(k.surfaces.len());
    let mut shell_kw = 0.0;
    for (i, s) in k.surfaces.iter().enumerate() {
        let l = surface_loss(s, ambient_c, &format!("process.surfaces[{i}]"))?;
        shell_kw += l.total_w / 1000.0;
        surfaces.push(l);
    }
    let q_shell = (!k.surfaces.is_empty()).then(|| per_t(shell_kw));

    let q_in = q_fuel + q_credit;
    let pct = |v: f64| v / q_fuel * 100.0;
    let mut balance = vec![KilnBalanceItem {
        category: "theoretical_heat",
        gj_per_t: q_th,
        pct: pct(q_th),
        source: "computed",
    }];
    let mut explained = q_th;
    for (cat, v) in [
        (
            "raw_meal_moisture_evaporation",
            (water > 0.0).then_some(q_evap),
        ),
        ("exit_gas", q_exit),
        ("cooler_exhaust", q_cooler),
        ("product_discharge", q_product),
        ("shell_and_surfaces", q_shell),
    ] {
        match v {
            Some(v) => {
                explained += v;
                balance.push(KilnBalanceItem {
                    category: cat,
                    gj_per_t: v,
                    pct: pct(v),
                    source: "computed",
                });
            }
            None => balance.push(KilnBalanceItem {
                category: cat,
                gj_per_t: 0.0,
                pct: 0.0,
                source: "not_measured",
            }),
        }
    }
    let residual = q_in - explained;
    balance.push(KilnBalanceItem {
        category: "unaccounted",
        gj_per_t: residual,
        pct: pct(residual),
        source: "unaccounted",
    });
    if residual < -0.05 * q_fuel {
        warnings.push(format!(
            "the computed heat outputs exceed the fuel heat by {:.2} GJ/t: check the fuel input and the gas flows",
            -residual
        ));
    }
    let out = KilnResult {
        process_type: "kiln",
        product,
        basis,
        production_t_h: p_t_h,
        fuel_input_kw: metered.input_kw,
        specific_heat_consumption_gj_per_t: q_fuel,
        theoretical_heat_gj_per_t: q_th,
        theoretical_heat_method: method,
        thermal_efficiency_pct: q_th / q_fuel * 100.0,
        co2_from_calcination_t_per_t: co2_kg,
        excess_air_pct: excess,
        heat_balance: balance,
        air_credit_gj_per_t: q_credit,
        surfaces,
        formulas: vec![
            "kiln_heat_balance",
            "kiln_theoretical_heat",
            "combustion_ptc4",
            "fuel_heating_values",
            "surface_radiation_convection",
        ],
        warnings,
    };
    if !(out.specific_heat_consumption_gj_per_t.is_finite() && residual.is_finite()) {
        return Err(invalid(
            "process",
            "the kiln balance produced a non-finite number",
        ));
    }
    Ok(out)
}
