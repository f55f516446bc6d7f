//! Fuels: a library with sources, user fuels by ultimate analysis or by gas
//! composition, and their higher and lower heating values.
//!
//! Every fuel is reduced to its as-fired elemental analysis (mass fractions
//! of C, H, O, N, S, moisture and ash), which is all the combustion balance
//! needs. Gases keep their mole fractions too (for the chemical exergy).
//!
//! Sources (details in `docs/FORMULAS.md`, section "Fuels"):
//! - Atomic weights: IUPAC/CIAAW conventional values (Pure Appl. Chem. 88 (2016) 265).
//! - Gas heating values at 25 °C from standard enthalpies of formation:
//!   CODATA Key Values for Thermodynamics (Cox, Wagman, Medvedev 1989) for
//!   CO2, H2O, SO2, H2S; NIST-JANAF Thermochemical Tables 4th ed. (1998) for
//!   CH4 and CO; NIST Chemistry WebBook (TRC data) for C2H6, C3H8, n-C4H10,
//!   the olefins C2H4, C3H6 and the C5+ lumps n-C5H12, n-C6H14.
//! - Water vapour in a fuel gas is an inert component (ISO 6976:2016 §5:
//!   it has no calorific value and, entering as vapour, releases no latent
//!   heat): it is kept apart from liquid fuel moisture, so it lowers neither
//!   the LHV nor counts a latent heat in the moisture loss.
//!   This is the same route as ISO 6976 / GPA 2172 (ideal-gas molar
//!   calorific values summed over the mole fractions).
//! - HHV of solid and liquid fuels without a measured value: Channiwala &
//!   Parikh, Fuel 81 (2002) 1051-1063, Eq. (4) of Table 5.
//! - LHV = HHV − h_fg(25 °C) × (m_H2O from H + moisture), h_fg(25 °C) =
//!   2441.7 kJ/kg (IAPWS-95 saturation; Çengel & Boles, Table A-4).

use serde::{Deserialize, Serialize};

use crate::ThermoError;

mod library;
pub use library::{LIBRARY_FUELS, library_fuel};

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

/// Atomic weights, g/mol (IUPAC/CIAAW conventional values, 2016).
pub const M_C: f64 = 12.011;
/// Hydrogen, g/mol.
pub const M_H: f64 = 1.008;
/// Oxygen, g/mol.
pub const M_O: f64 = 15.999;
/// Nitrogen, g/mol.
pub const M_N: f64 = 14.007;
/// Sulfur, g/mol.
pub const M_S: f64 = 32.06;
/// Argon, g/mol.
pub const M_AR: f64 = 39.948;

/// Molar mass of water, g/mol.
pub const M_H2O: f64 = 2.0 * M_H + M_O;

/// Latent heat of vaporisation of water at 25 °C, kJ/kg (saturation,
/// IAPWS-95; Çengel & Boles, *Thermodynamics*, Table A-4: 2441.7 kJ/kg).
/// The IF97 value is checked against it in the tests.
pub const H_FG_25C_KJ_KG: f64 = 2441.7;

/// Mass of water formed per mass of hydrogen burnt: M(H2O) / M(H2) = 8.937.
pub const WATER_PER_HYDROGEN: f64 = M_H2O / (2.0 * M_H);

/// Standard enthalpies of formation at 298.15 K, kJ/mol.
/// CO2(g), H2O(l), H2O(g), SO2(g), H2S(g): CODATA Key Values (1989).
/// CH4(g), CO(g): NIST-JANAF Thermochemical Tables, 4th ed. (1998).
/// C2H6, C3H8, n-C4H10 (g): NIST Chemistry WebBook, gas-phase thermochemistry.
mod formation {
    pub const CO2: f64 = -393.51;
    pub const H2O_LIQUID: f64 = -285.830;
    pub const SO2: f64 = -296.81;
    pub const H2S: f64 = -20.6;
    pub const CH4: f64 = -74.87;
    pub const CO: f64 = -110.53;
    pub const C2H6: f64 = -84.0;
    pub const C3H8: f64 = -104.7;
    pub const C4H10: f64 = -125.6;
    pub const C2H4: f64 = 52.4;
    pub const C3H6: f64 = 20.0;
    pub const C5H12: f64 = -146.8;
    pub const C6H14: f64 = -166.9;
}

/// One component of a fuel gas: atoms per molecule and molar gross
/// (higher) heating value at 25 °C from the enthalpies of formation.
#[derive(Debug, Clone, Copy)]
struct GasSpecies {
    c: f64,
    h: f64,
    o: f64,
    n: f64,
    s: f64,
    /// Gross heating value, kJ/mol, water as liquid, 25 °C.
    hhv_kj_mol: f64,
    /// Ideal-gas cp at 300 K, kJ/(kg K) (Çengel & Boles, Table A-2a;
    /// H2S from NIST WebBook Shomate data at 298 K).
    cp_kj_kg_k: f64,
}

impl GasSpecies {
    const fn molar_mass(&self) -> f64 {
        self.c * M_C + self.h * M_H + self.o * M_O + self.n * M_N + self.s * M_S
    }
}

/// HHV from enthalpies of formation: −[Σ products − Σ reactants].
const fn hhv_hydrocarbon(c: f64, h: f64, dhf: f64) -> f64 {
    -(c * formation::CO2 + h / 2.0 * formation::H2O_LIQUID - dhf)
}

/// Number of fuel-gas components.
pub(crate) const GAS_COUNT: usize = 15;

/// Components in the order of [`GasComposition`].
const GAS_SPECIES: [GasSpecies; GAS_COUNT] = [
    // CH4
    GasSpecies {
        c: 1.0,
        h: 4.0,
        o: 0.0,
        n: 0.0,
        s: 0.0,
        hhv_kj_mol: hhv_hydrocarbon(1.0, 4.0, formation::CH4),
        cp_kj_kg_k: 2.2537,
    },
    // C2H6
    GasSpecies {
        c: 2.0,
        h: 6.0,
        o: 0.0,
        n: 0.0,
        s: 0.0,
        hhv_kj_mol: hhv_hydrocarbon(2.0, 6.0, formation::C2H6),
        cp_kj_kg_k: 1.7662,
    },
    // C3H8
    GasSpecies {
        c: 3.0,
        h: 8.0,
        o: 0.0,
        n: 0.0,
        s: 0.0,
        hhv_kj_mol: hhv_hydrocarbon(3.0, 8.0, formation::C3H8),
        cp_kj_kg_k: 1.6794,
    },
    // n-C4H10
    GasSpecies {
        c: 4.0,
        h: 10.0,
        o: 0.0,
        n: 0.0,
        s: 0.0,
        hhv_kj_mol: hhv_hydrocarbon(4.0, 10.0, formation::C4H10),
        cp_kj_kg_k: 1.7164,
    },
    // H2
    GasSpecies {
        c: 0.0,
        h: 2.0,
        o: 0.0,
        n: 0.0,
        s: 0.0,
        hhv_kj_mol: -formation::H2O_LIQUID,
        cp_kj_kg_k: 14.307,
    },
    // CO
    GasSpecies {
        c: 1.0,
        h: 0.0,
        o: 1.0,
        n: 0.0,
        s: 0.0,
        hhv_kj_mol: -(formation::CO2 - formation::CO),
        cp_kj_kg_k: 1.0413,
    },
    // CO2
    GasSpecies {
        c: 1.0,
        h: 0.0,
        o: 2.0,
        n: 0.0,
        s: 0.0,
        hhv_kj_mol: 0.0,
        cp_kj_kg_k: 0.846,
    },
    // N2
    GasSpecies {
        c: 0.0,
        h: 0.0,
        o: 0.0,
        n: 2.0,
        s: 0.0,
        hhv_kj_mol: 0.0,
        cp_kj_kg_k: 1.039,
    },
    // O2
    GasSpecies {
        c: 0.0,
        h: 0.0,
        o: 2.0,
        n: 0.0,
        s: 0.0,
        hhv_kj_mol: 0.0,
        cp_kj_kg_k: 0.918,
    },
    // H2S -> SO2 + H2O(l)
    GasSpecies {
        c: 0.0,
        h: 2.0,
        o: 0.0,
        n: 0.0,
        s: 1.0,
        hhv_kj_mol: -(formation::SO2 + formation::H2O_LIQUID - formation::H2S),
        cp_kj_kg_k: 1.004,
    },
    // H2O (vapour in the gas; no heating value)
    GasSpecies {
        c: 0.0,
        h: 2.0,
        o: 1.0,
        n: 0.0,
        s: 0.0,
        hhv_kj_mol: 0.0,
        cp_kj_kg_k: 1.8723,
    },
    // C2H4 (ethylene; cp Çengel & Boles Table A-2a)
    GasSpecies {
        c: 2.0,
        h: 4.0,
        o: 0.0,
        n: 0.0,
        s: 0.0,
        hhv_kj_mol: hhv_hydrocarbon(2.0, 4.0, formation::C2H4),
        cp_kj_kg_k: 1.5482,
    },
    // C3H6 (propylene; cp Çengel & Boles Table A-2a)
    GasSpecies {
        c: 3.0,
        h: 6.0,
        o: 0.0,
        n: 0.0,
        s: 0.0,
        hhv_kj_mol: hhv_hydrocarbon(3.0, 6.0, formation::C3H6),
        cp_kj_kg_k: 1.5223,
    },
    // n-C5H12 (C5+ lumped as n-pentane; cp Çengel & Boles Table A-2a)
    GasSpecies {
        c: 5.0,
        h: 12.0,
        o: 0.0,
        n: 0.0,
        s: 0.0,
        hhv_kj_mol: hhv_hydrocarbon(5.0, 12.0, formation::C5H12),
        cp_kj_kg_k: 1.6683,
    },
    // n-C6H14 (C6+ lumped as n-hexane; cp 143.1 J/(mol K), NIST WebBook)
    GasSpecies {
        c: 6.0,
        h: 14.0,
        o: 0.0,
        n: 0.0,
        s: 0.0,
        hhv_kj_mol: hhv_hydrocarbon(6.0, 14.0, formation::C6H14),
        cp_kj_kg_k: 1.6605,
    },
];

/// Index of water in [`GAS_SPECIES`].
const IDX_H2O: usize = 10;

/// Standard chemical exergy of each gas component, kJ/mol, at 298.15 K and
/// 101.325 kPa (Szargut, Morris & Steward, *Exergy Analysis of Thermal,
/// Chemical and Metallurgical Processes*, 1988, Table I; also Kotas,
/// *The Exergy Method of Thermal Plant Analysis*, 1985, Table D.3, Model II).
pub(crate) const GAS_CHEMICAL_EXERGY_KJ_MOL: [f64; GAS_COUNT] = [
    831.2,  // CH4
    1495.0, // C2H6
    2154.0, // C3H8
    2805.8, // n-C4H10
    236.1,  // H2
    275.1,  // CO
    19.87,  // CO2
    0.72,   // N2
    3.97,   // O2
    812.0,  // H2S
    9.5,    // H2O (g)
    1361.1, // C2H4
    2003.9, // C3H6
    3461.3, // n-C5H12
    4118.5, // n-C6H14
];

/// Molar mass of each gas component, g/mol, in the order of [`GasComposition`].
pub(crate) fn gas_molar_masses() -> [f64; GAS_COUNT] {
    std::array::from_fn(|i| GAS_SPECIES[i].molar_mass())
}

// ---------------------------------------------------------------------------
// Input shapes
// ---------------------------------------------------------------------------

/// A fuel gas by volume (= mole, ideal gas) percent. Missing components are 0.
/// Accepts lower-case (`ch4`) or formula (`CH4`) keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GasComposition {
    #[serde(default, alias = "CH4")]
    pub ch4: f64,
    #[serde(default, alias = "C2H6")]
    pub c2h6: f64,
    #[serde(default, alias = "C3H8")]
    pub c3h8: f64,
    #[serde(default, alias = "C4H10")]
    pub c4h10: f64,
    #[serde(default, alias = "H2")]
    pub h2: f64,
    #[serde(default, alias = "CO")]
    pub co: f64,
    #[serde(default, alias = "CO2")]
    pub co2: f64,
    #[serde(default, alias = "N2")]
    pub n2: f64,
    #[serde(default, alias = "O2")]
    pub o2: f64,
    #[serde(default, alias = "H2S")]
    pub h2s: f64,
    #[serde(default, alias = "H2O")]
    pub h2o: f64,
    /// Ethylene.
    #[serde(default, alias = "C2H4", skip_serializing_if = "is_zero")]
    pub c2h4: f64,
    /// Propylene.
    #[serde(default, alias = "C3H6", skip_serializing_if = "is_zero")]
    pub c3h6: f64,
    /// n-Pentane, or the C5+ fraction lumped as n-pentane.
    #[serde(
        default,
        alias = "C5H12",
        alias = "c5_plus",
        skip_serializing_if = "is_zero"
    )]
    pub c5h12: f64,
    /// n-Hexane, or the C6+ fraction lumped as n-hexane.
    #[serde(
        default,
        alias = "C6H14",
        alias = "c6_plus",
        skip_serializing_if = "is_zero"
    )]
    pub c6h14: f64,
}

/// Serde helper: components added later are left out of the canonical JSON
/// when absent, so stored inputs keep their bytes.
fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl GasComposition {
    const NAMES: [&'static str; GAS_COUNT] = [
        "ch4", "c2h6", "c3h8", "c4h10", "h2", "co", "co2", "n2", "o2", "h2s", "h2o", "c2h4",
        "c3h6", "c5h12", "c6h14",
    ];

    /// Mole (volume) fractions or percent in the order of the species table.
    pub(crate) fn as_array(&self) -> [f64; GAS_COUNT] {
        [
            self.ch4, self.c2h6, self.c3h8, self.c4h10, self.h2, self.co, self.co2, self.n2,
            self.o2, self.h2s, self.h2o, self.c2h4, self.c3h6, self.c5h12, self.c6h14,
        ]
    }

    fn from_array(a: [f64; GAS_COUNT]) -> Self {
        Self {
            ch4: a[0],
            c2h6: a[1],
            c3h8: a[2],
            c4h10: a[3],
            h2: a[4],
            co: a[5],
            co2: a[6],
            n2: a[7],
            o2: a[8],
            h2s: a[9],
            h2o: a[10],
            c2h4: a[11],
            c3h6: a[12],
            c5h12: a[13],
            c6h14: a[14],
        }
    }
}

/// Ultimate analysis, mass percent as fired (moisture and ash included).
/// Accepts `c`/`C`/`carbon` etc.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UltimateAnalysis {
    #[serde(default, alias = "C", alias = "carbon")]
    pub c: f64,
    #[serde(default, alias = "H", alias = "hydrogen")]
    pub h: f64,
    #[serde(default, alias = "O", alias = "oxygen")]
    pub o: f64,
    #[serde(default, alias = "N", alias = "nitrogen")]
    pub n: f64,
    #[serde(default, alias = "S", alias = "sulfur", alias = "sulphur")]
    pub s: f64,
    #[serde(default, alias = "h2o", alias = "H2O", alias = "water")]
    pub moisture: f64,
    #[serde(default)]
    pub ash: f64,
}

/// The state of a fuel given by its ultimate analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FuelState {
    /// Fuel oils, diesel, bio-liquids: liquid specific heat and the
    /// liquid-fuel chemical-exergy correlation.
    Liquid,
    /// Coal, coke, biomass (the default).
    Solid,
}

/// A fuel as the API names it: a library name, or a name with a gas
/// composition or an ultimate analysis (and optionally a measured HHV).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FuelSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_composition_vol_pct: Option<GasComposition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ultimate_analysis_wt_pct: Option<UltimateAnalysis>,
    /// Measured higher heating value, kJ/kg as fired; overrides the computed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hhv_kj_kg: Option<f64>,
    /// With `ultimate_analysis_wt_pct`: `liquid` or `solid` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<FuelState>,
}

impl FuelSpec {
    /// A library fuel by name.
    pub fn library(name: &str) -> Self {
        Self {
            name: name.to_string(),
            gas_composition_vol_pct: None,
            ultimate_analysis_wt_pct: None,
            hhv_kj_kg: None,
            state: None,
        }
    }

    /// Resolve to a [`Fuel`]; `field` is the JSON path used in errors (e.g. `fuel`).
    pub fn resolve(&self, field: &str) -> Result<Fuel, ThermoError> {
        if self.state.is_some() && self.ultimate_analysis_wt_pct.is_none() {
            return Err(invalid(
                format!("{field}.state"),
                "applies only with ultimate_analysis_wt_pct (library fuels and gases have their own state)",
            ));
        }
        let mut fuel = match (
            &self.gas_composition_vol_pct,
            &self.ultimate_analysis_wt_pct,
        ) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    field,
                    "give either gas_composition_vol_pct or ultimate_analysis_wt_pct, not both",
                ));
            }
            (Some(g), None) => Fuel::from_gas_composition(
                &self.name,
                g,
                &format!("{field}.gas_composition_vol_pct"),
                "user gas composition; HHV from component heating values at 25 °C",
            )?,
            (None, Some(u)) => Fuel::from_ultimate_analysis(
                &self.name,
                u,
                match self.state {
                    Some(FuelState::Liquid) => FuelKind::Liquid,
                    Some(FuelState::Solid) | None => FuelKind::Solid,
                },
                &format!("{field}.ultimate_analysis_wt_pct"),
                "user ultimate analysis; HHV by Channiwala & Parikh (2002)",
            )?,
            (None, None) => library_fuel(&self.name)?,
        };
        if let Some(hhv) = self.hhv_kj_kg {
            let hhv = check_range(format!("{field}.hhv_kj_kg"), hhv, 1.0, 150_000.0, "kJ/kg")?;
            fuel.set_hhv(hhv, "measured HHV (input)")?;
        }
        Ok(fuel)
    }
}

// ---------------------------------------------------------------------------
// The resolved fuel
// ---------------------------------------------------------------------------

/// State of a fuel as fired (chooses the sensible-heat model and the
/// chemical-exergy correlation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FuelKind {
    Gas,
    Liquid,
    Solid,
    /// Wood and other biomass (oxygen-rich solids).
    Biomass,
}

/// Elemental analysis as mass fractions (kg per kg fuel as fired).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MassFractions {
    pub c: f64,
    pub h: f64,
    pub o: f64,
    pub n: f64,
    pub s: f64,
    pub moisture: f64,
    pub ash: f64,
    /// Water vapour of a fuel gas: inert (ISO 6976), no latent heat.
    #[serde(skip_serializing_if = "is_zero")]
    pub vapour: f64,
}

/// A fuel ready for the combustion balance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fuel {
    pub name: String,
    pub kind: FuelKind,
    /// As-fired elemental analysis (water vapour of a fuel gas is `vapour`, not moisture).
    pub mass_fractions: MassFractions,
    /// Mole fractions of a fuel gas (sum 1), `None` for solids and liquids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas_mole_fractions: Option<GasComposition>,
    /// Higher (gross) heating value at 25 °C, kJ/kg as fired.
    pub hhv_kj_kg: f64,
    /// Lower (net) heating value at 25 °C, kJ/kg as fired.
    pub lhv_kj_kg: f64,
    /// Specific heat of the fuel as fired, kJ/(kg K), for the fuel sensible-heat credit.
    pub specific_heat_kj_kg_k: f64,
    /// Where the composition and the heating value come from.
    pub source: String,
}

impl Fuel {
    /// A fuel gas from its volume percent composition (normalised to 100 %
    /// when the sum is within 98..=102 %).
    pub fn from_gas_composition(
        name: &str,
        composition: &GasComposition,
        field: &str,
        source: &str,
    ) -> Result<Self, ThermoError> {
        let raw = composition.as_array();
        let mut sum = 0.0;
        for (i, v) in raw.iter().enumerate() {
            check_range(
                FieldPath(field, GasComposition::NAMES[i]),
                *v,
                0.0,
                100.0,
                "%",
            )?;
            sum += v;
        }
        if !(98.0..=102.0).contains(&sum) {
            return Err(invalid(
                field,
                &format!(
                    "components must sum to 100 % (98..=102 accepted and normalised), got {sum}"
                ),
            ));
        }
        let x: [f64; GAS_COUNT] = std::array::from_fn(|i| raw[i] / sum);
        // Molar mass and elemental masses per mole of gas.
        let mut molar_mass = 0.0;
        let (mut c, mut h, mut o, mut n, mut s) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let mut hhv_molar = 0.0;
        let mut cp_mass_weighted = 0.0;
        for (i, sp) in GAS_SPECIES.iter().enumerate() {
            let m = x[i] * sp.molar_mass();
            molar_mass += m;
            hhv_molar += x[i] * sp.hhv_kj_mol;
            cp_mass_weighted += m * sp.cp_kj_kg_k;
            if i == IDX_H2O {
                continue; // inert vapour, kept apart below
            }
            c += x[i] * sp.c * M_C;
            h += x[i] * sp.h * M_H;
            o += x[i] * sp.o * M_O;
            n += x[i] * sp.n * M_N;
            s += x[i] * sp.s * M_S;
        }
        let vapour = x[IDX_H2O] * GAS_SPECIES[IDX_H2O].molar_mass();
        if hhv_molar <= 0.0 {
            return Err(invalid(field, "the gas has no combustible component"));
        }
        let mass_fractions = MassFractions {
            c: c / molar_mass,
            h: h / molar_mass,
            o: o / molar_mass,
            n: n / molar_mass,
            s: s / molar_mass,
            moisture: 0.0,
            ash: 0.0,
            vapour: vapour / molar_mass,
        };
        let hhv = hhv_molar / molar_mass * 1000.0;
        Ok(Self {
            name: name.to_string(),
            kind: FuelKind::Gas,
            mass_fractions,
            gas_mole_fractions: Some(GasComposition::from_array(x)),
            hhv_kj_kg: hhv,
            lhv_kj_kg: lhv_from_hhv(hhv, &mass_fractions),
            specific_heat_kj_kg_k: cp_mass_weighted / molar_mass,
            source: source.to_string(),
        })
    }

    /// A solid or liquid fuel from its as-fired ultimate analysis (mass %,
    /// normalised when the sum is within 98..=102 %). The HHV comes from
    /// Channiwala & Parikh (2002) until a measured value is set.
    pub fn from_ultimate_analysis(
        name: &str,
        analysis: &UltimateAnalysis,
        kind: FuelKind,
        field: &str,
        source: &str,
    ) -> Result<Self, ThermoError> {
        let raw = [
            ("c", analysis.c),
            ("h", analysis.h),
            ("o", analysis.o),
            ("n", analysis.n),
            ("s", analysis.s),
            ("moisture", analysis.moisture),
            ("ash", analysis.ash),
        ];
        let mut sum = 0.0;
        for (k, v) in raw {
            check_range(format!("{field}.{k}"), v, 0.0, 100.0, "%")?;
            sum += v;
        }
        if !(98.0..=102.0).contains(&sum) {
            return Err(invalid(
                field,
                &format!(
                    "c+h+o+n+s+moisture+ash must sum to 100 % (98..=102 accepted and normalised), got {sum}"
                ),
            ));
        }
        let mf = MassFractions {
            c: analysis.c / sum,
            h: analysis.h / sum,
            o: analysis.o / sum,
            n: analysis.n / sum,
            s: analysis.s / sum,
            moisture: analysis.moisture / sum,
            ash: analysis.ash / sum,
            vapour: 0.0,
        };
        if mf.c + mf.h + mf.s <= 0.0 {
            return Err(invalid(
                field,
                "the fuel has no combustible element (c, h or s)",
            ));
        }
        let kind = if kind == FuelKind::Solid && mf.c > 0.0 && mf.o / mf.c > 0.667 {
            FuelKind::Biomass
        } else {
            kind
        };
        let hhv = hhv_channiwala_parikh_kj_kg(&mf);
        if hhv <= 0.0 {
            return Err(invalid(
                field,
                "the correlated HHV is not positive; give hhv_kj_kg",
            ));
        }
        Ok(Self {
            name: name.to_string(),
            kind,
            mass_fractions: mf,
            gas_mole_fractions: None,
            hhv_kj_kg: hhv,
            lhv_kj_kg: lhv_from_hhv(hhv, &mf),
            specific_heat_kj_kg_k: default_specific_heat(kind, mf.moisture),
            source: source.to_string(),
        })
    }

    /// Replace the HHV (e.g. by a bomb-calorimeter value) and recompute the LHV.
    pub fn set_hhv(&mut self, hhv_kj_kg: f64, source: &str) -> Result<(), ThermoError> {
        let lhv = lhv_from_hhv(hhv_kj_kg, &self.mass_fractions);
        if lhv <= 0.0 {
            return Err(invalid(
                "fuel.hhv_kj_kg",
                "is smaller than the latent heat of the water the fuel forms; LHV would be <= 0",
            ));
        }
        self.hhv_kj_kg = hhv_kj_kg;
        self.lhv_kj_kg = lhv;
        self.source = format!("{}; {source}", self.source);
        Ok(())
    }

    /// Mass of water in the products from the fuel's hydrogen, moisture and
    /// (for gases) water vapour, kg/kg fuel.
    pub fn water_formed_kg_per_kg(&self) -> f64 {
        WATER_PER_HYDROGEN * self.mass_fractions.h
            + self.mass_fractions.moisture
            + self.mass_fractions.vapour
    }
}

/// LHV = HHV − h_fg(25 °C) × (8.937 H + M) (mass fractions; ISO 1928:2009
/// §E / ASME PTC 4-2013 §5-19.14 water-of-combustion correction). The
/// water vapour of a fuel gas is not in M: it is already vapour (ISO 6976).
pub fn lhv_from_hhv(hhv_kj_kg: f64, mf: &MassFractions) -> f64 {
    hhv_kj_kg - H_FG_25C_KJ_KG * (WATER_PER_HYDROGEN * mf.h + mf.moisture)
}

/// Channiwala & Parikh (2002), Fuel 81, 1051-1063, Eq. (4):
/// HHV [MJ/kg] = 0.3491 C + 1.1783 H + 0.1005 S − 0.1034 O − 0.0151 N − 0.0211 A,
/// with mass % of the fuel (moisture contributes nothing). Returns kJ/kg.
pub fn hhv_channiwala_parikh_kj_kg(mf: &MassFractions) -> f64 {
    let p = |x: f64| x * 100.0;
    (0.3491 * p(mf.c) + 1.1783 * p(mf.h) + 0.1005 * p(mf.s)
        - 0.1034 * p(mf.o)
        - 0.0151 * p(mf.n)
        - 0.0211 * p(mf.ash))
        * 1000.0
}

/// Typical specific heat of a fuel as fired, kJ/(kg K): dry solid 1.26 (coal,
/// 0.30 Btu/(lb °F)), dry biomass 1.34, liquid fuels 1.88 (0.45 Btu/(lb °F)),
/// moisture 4.18 (Perry's Chemical Engineers' Handbook, 8th ed., Tables 2-194
/// and 27-6, rounded). Only the small fuel sensible-heat credit uses it.
fn default_specific_heat(kind: FuelKind, moisture: f64) -> f64 {
    let dry = match kind {
        FuelKind::Liquid => 1.88,
        FuelKind::Biomass => 1.34,
        _ => 1.26,
    };
    dry * (1.0 - moisture) + 4.18 * moisture
}

// ---------------------------------------------------------------------------
// Input checks shared by the physics modules
// ---------------------------------------------------------------------------

/// A JSON path `parent.name`, spelled only when an error needs it: the
/// checks run on every analysis, and formatting every path up front cost
/// more than the physics of a surface.
#[derive(Clone, Copy)]
pub(crate) struct FieldPath<'a>(pub &'a str, pub &'a str);

impl std::fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

pub(crate) fn invalid(field: impl std::fmt::Display, problem: &str) -> ThermoError {
    ThermoError::Invalid {
        field: field.to_string(),
        problem: problem.to_string(),
    }
}

/// `value` must be finite and within `lo..=hi` (`unit` for the message).
pub(crate) fn check_range(
    field: impl std::fmt::Display,
    value: f64,
    lo: f64,
    hi: f64,
    unit: &str,
) -> Result<f64, ThermoError> {
    if !value.is_finite() {
        return Err(invalid(
            field,
            &format!("must be a finite number, got {value}"),
        ));
    }
    if value < lo || value > hi {
        return Err(invalid(
            field,
            &format!("must be between {lo} and {hi} {unit}, got {value}"),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_library_fuel_resolves_with_lhv_below_hhv() {
        for name in LIBRARY_FUELS {
            let f = library_fuel(name).unwrap();
            assert!(f.lhv_kj_kg < f.hhv_kj_kg && f.lhv_kj_kg > 0.0, "{name}");
            let m = f.mass_fractions;
            let sum = m.c + m.h + m.o + m.n + m.s + m.moisture + m.ash;
            assert!((sum - 1.0).abs() < 1e-12, "{name}: {sum}");
        }
    }

    #[test]
    fn unknown_fuel_names_the_field() {
        let e = library_fuel("unobtainium").unwrap_err();
        assert!(e.to_string().starts_with("fuel.name"), "{e}");
    }
}
