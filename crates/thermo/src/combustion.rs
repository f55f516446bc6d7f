//! Combustion balance and combustion losses by the ASME PTC 4 heat-loss
//! method: stoichiometric air, excess air from the flue-gas O2 (dry or wet,
//! CO-corrected), flue-gas composition and mass, the losses as a percent
//! of the fuel input (dry flue gas, water from hydrogen, fuel moisture, air
//! moisture, unburned CO, unburned carbon in ash), the credits for air and
//! fuel entering above the reference temperature, available heat and
//! combustion efficiency.
//!
//! Per kg of fuel as fired. Reference temperature 25 °C (77 °F, ASME
//! PTC 4-2013 §5-3). Gas enthalpies from the NASA 7-coefficient polynomials
//! of GRI-Mech 3.0 (Smith et al., 1999; themselves fits to the JANAF
//! tables, as are the PTC 4 curve fits); water vapour leaving relative to
//! liquid at 25 °C is `h_fg(25 °C) + Δh_ideal-gas`, i.e. no condensation in
//! the flue (a warning is given below the water dew point).

use serde::{Deserialize, Serialize};

use crate::ThermoError;
use crate::fuels::{
    Fuel, FuelSpec, H_FG_25C_KJ_KG, M_AR, M_C, M_H, M_H2O, M_N, M_O, M_S, check_range, invalid,
};

/// Reference temperature of the heat balance, °C (ASME PTC 4-2013: 77 °F).
pub const REFERENCE_TEMPERATURE_C: f64 = 25.0;

/// Molar gas constant, J/(mol K) (CODATA 2018, exact).
pub const R_J_MOL_K: f64 = 8.314_462_618;

/// Composition of dry air, mole fractions (ASME PTC 4-2013 §5-11: O2
/// 0.2095; remainder as N2 0.7808 and Ar 0.0097 with CO2 lumped into Ar;
/// cf. U.S. Standard Atmosphere 1976, Table 3).
pub const AIR_O2: f64 = 0.20946;
/// Nitrogen in dry air, mole fraction.
pub const AIR_N2: f64 = 0.78084;
/// Argon (+ traces) in dry air, mole fraction.
pub const AIR_AR: f64 = 1.0 - AIR_O2 - AIR_N2;

/// Heating value of unburned carbon in refuse, kJ/kg (ASME PTC 4-2013
/// §5-14.2: 14 500 Btu/lb).
pub const HHV_UNBURNED_CARBON_KJ_KG: f64 = 14_500.0 * 2.326;

/// Heating value of CO, kJ/mol: ΔfH(CO2) − ΔfH(CO) = 393.51 − 110.53
/// (CODATA 1989; NIST-JANAF 1998).
pub const HHV_CO_KJ_MOL: f64 = 282.98;

/// Default moisture of combustion air, kg water per kg dry air (ABMA
/// standard air, 60 % RH at 80 °F: 0.013 lb/lb; ASME PTC 4.1-1964).
pub const DEFAULT_AIR_MOISTURE: f64 = 0.013;

// ---------------------------------------------------------------------------
// Ideal-gas enthalpies
// ---------------------------------------------------------------------------

/// NASA 7-coefficient polynomial, two ranges split at `t_mid`.
struct Nasa7 {
    molar_mass: f64,
    t_mid: f64,
    low: [f64; 7],
    high: [f64; 7],
}

impl Nasa7 {
    /// Absolute enthalpy, kJ/kg.
    fn h_kj_kg(&self, t_k: f64) -> f64 {
        let a = if t_k < self.t_mid {
            &self.low
        } else {
            &self.high
        };
        let h_rt = a[0]
            + t_k * (a[1] / 2.0 + t_k * (a[2] / 3.0 + t_k * (a[3] / 4.0 + t_k * a[4] / 5.0)))
            + a[5] / t_k;
        h_rt * R_J_MOL_K * t_k / self.molar_mass
    }
}

// GRI-Mech 3.0 thermodynamic data (thermo30.dat), valid 200(300)-3500 K.
const CO2: Nasa7 = Nasa7 {
    molar_mass: M_C + 2.0 * M_O,
    t_mid: 1000.0,
    low: [
        2.35677352,
        8.98459677e-03,
        -7.12356269e-06,
        2.45919022e-09,
        -1.43699548e-13,
        -4.83719697e+04,
        9.90105222,
    ],
    high: [
        3.85746029,
        4.41437026e-03,
        -2.21481404e-06,
        5.23490188e-10,
        -4.72084164e-14,
        -4.8759166e+04,
        2.27163806,
    ],
};
const CO: Nasa7 = Nasa7 {
    molar_mass: M_C + M_O,
    t_mid: 1000.0,
    low: [
        3.57953347,
        -6.1035368e-04,
        1.01681433e-06,
        9.07005884e-10,
        -9.04424499e-13,
        -1.4344086e+04,
        3.50840928,
    ],
    high: [
        2.71518561,
        2.06252743e-03,
        -9.98825771e-07,
        2.30053008e-10,
        -2.03647716e-14,
        -1.41518724e+04,
        7.81868772,
    ],
};
const H2O: Nasa7 = Nasa7 {
    molar_mass: M_H2O,
    t_mid: 1000.0,
    low: [
        4.19864056,
        -2.0364341e-03,
        6.52040211e-06,
        -5.48797062e-09,
        1.77197817e-12,
        -3.02937267e+04,
        -0.849032208,
    ],
    high: [
        3.03399249,
        2.17691804e-03,
        -1.64072518e-07,
        -9.7041987e-11,
        1.68200992e-14,
        -3.00042971e+04,
        4.9667701,
    ],
};
const O2: Nasa7 = Nasa7 {
    molar_mass: 2.0 * M_O,
    t_mid: 1000.0,
    low: [
        3.78245636,
        -2.99673416e-03,
        9.84730201e-06,
        -9.68129509e-09,
        3.24372837e-12,
        -1063.94356,
        3.65767573,
    ],
    high: [
        3.28253784,
        1.48308754e-03,
        -7.57966669e-07,
        2.09470555e-10,
        -2.16717794e-14,
        -1088.45772,
        5.45323129,
    ],
};
const N2: Nasa7 = Nasa7 {
    molar_mass: 2.0 * M_N,
    t_mid: 1000.0,
    low: [
        3.298677,
        1.4082404e-03,
        -3.963222e-06,
        5.641515e-09,
        -2.444854e-12,
        -1020.8999,
        3.950372,
    ],
    high: [
        2.92664,
        1.4879768e-03,
        -5.68476e-07,
        1.0097038e-10,
        -6.753351e-15,
        -922.7977,
        5.980528,
    ],
};
const AR: Nasa7 = Nasa7 {
    molar_mass: M_AR,
    t_mid: 1000.0,
    low: [2.5, 0.0, 0.0, 0.0, 0.0, -745.375, 4.366],
    high: [2.5, 0.0, 0.0, 0.0, 0.0, -745.375, 4.366],
};

/// Molar mass of SO2, g/mol.
const M_SO2: f64 = M_S + 2.0 * M_O;

/// cp of SO2 (ideal gas), J/(mol K), NIST-JANAF Thermochemical Tables
/// (4th ed., 1998), SO2 table, rounded; linear between the points.
const SO2_CP: [(f64, f64); 10] = [
    (298.15, 39.84),
    (400.0, 43.43),
    (500.0, 46.49),
    (600.0, 48.94),
    (700.0, 50.83),
    (800.0, 52.28),
    (1000.0, 54.29),
    (1200.0, 55.56),
    (1500.0, 56.76),
    (2500.0, 58.70),
];

/// Sensible enthalpy of SO2 from 298.15 K, kJ/kg (exact integral of the
/// piecewise-linear cp; constant beyond the table ends).
fn so2_sensible_kj_kg(t_k: f64) -> f64 {
    let integral_from_298 = |t: f64| -> f64 {
        let mut acc = 0.0;
        let mut prev = SO2_CP[0];
        if t <= prev.0 {
            return prev.1 * (t - prev.0);
        }
        for &pt in &SO2_CP[1..] {
            if t <= pt.0 {
                let cp_t = prev.1 + (pt.1 - prev.1) * (t - prev.0) / (pt.0 - prev.0);
                return acc + 0.5 * (prev.1 + cp_t) * (t - prev.0);
            }
            acc += 0.5 * (prev.1 + pt.1) * (pt.0 - prev.0);
            prev = pt;
        }
        acc + prev.1 * (t - prev.0)
    };
    integral_from_298(t_k) / M_SO2
}

/// Sensible enthalpies per kg from `t_ref_k` to `t_k` of the flue-gas species.
#[derive(Debug, Clone, Copy)]
struct SensibleKjKg {
    co2: f64,
    co: f64,
    so2: f64,
    h2o: f64,
    o2: f64,
    n2: f64,
    ar: f64,
}

fn sensible(t_k: f64, t_ref_k: f64) -> SensibleKjKg {
    SensibleKjKg {
        co2: CO2.h_kj_kg(t_k) - CO2.h_kj_kg(t_ref_k),
        co: CO.h_kj_kg(t_k) - CO.h_kj_kg(t_ref_k),
        so2: so2_sensible_kj_kg(t_k) - so2_sensible_kj_kg(t_ref_k),
        h2o: H2O.h_kj_kg(t_k) - H2O.h_kj_kg(t_ref_k),
        o2: O2.h_kj_kg(t_k) - O2.h_kj_kg(t_ref_k),
        n2: N2.h_kj_kg(t_k) - N2.h_kj_kg(t_ref_k),
        ar: AR.h_kj_kg(t_k) - AR.h_kj_kg(t_ref_k),
    }
}

/// Sensible enthalpy of dry air between two temperatures, kJ/kg dry air.
pub fn dry_air_sensible_kj_kg(t_k: f64, t_ref_k: f64) -> f64 {
    let s = sensible(t_k, t_ref_k);
    let m_air = air_molar_mass();
    (AIR_O2 * O2.molar_mass * s.o2 + AIR_N2 * N2.molar_mass * s.n2 + AIR_AR * AR.molar_mass * s.ar)
        / m_air
}

/// Sensible enthalpy of water vapour (ideal gas) between two temperatures, kJ/kg.
pub fn water_vapour_sensible_kj_kg(t_k: f64, t_ref_k: f64) -> f64 {
    H2O.h_kj_kg(t_k) - H2O.h_kj_kg(t_ref_k)
}

/// Sensible enthalpy of CO2 (ideal gas) between two temperatures, kJ/kg.
pub fn co2_sensible_kj_kg(t_k: f64, t_ref_k: f64) -> f64 {
    CO2.h_kj_kg(t_k) - CO2.h_kj_kg(t_ref_k)
}

/// Molar mass of dry air, g/mol (28.965 with the composition above).
pub fn air_molar_mass() -> f64 {
    AIR_O2 * O2.molar_mass + AIR_N2 * N2.molar_mass + AIR_AR * AR.molar_mass
}

// ---------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------

/// Heating-value basis of percentages and efficiencies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// Higher (gross) heating value; ASME PTC 4 and US practice.
    #[default]
    Hhv,
    /// Lower (net) heating value; EN 12952-15 and European practice.
    Lhv,
}

/// Measured flue gas: temperature and one of O2 (dry or wet) or excess air.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlueGasSpec {
    /// Flue-gas temperature leaving the boundary, °C.
    pub temperature_c: f64,
    /// O2 in the dry flue gas, % by volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub o2_pct_dry: Option<f64>,
    /// O2 in the wet flue gas, % by volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub o2_pct_wet: Option<f64>,
    /// Excess air, % of stoichiometric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excess_air_pct: Option<f64>,
    /// CO in the dry flue gas, ppm by volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub co_ppm: Option<f64>,
}

/// `POST /combustion` body: a fuel and the measured combustion conditions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombustionInput {
    pub fuel: FuelSpec,
    pub flue_gas: FlueGasSpec,
    /// Combustion air temperature entering the boundary, °C.
    #[serde(default = "default_reference_temperature_c")]
    pub combustion_air_temperature_c: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel_temperature_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_temperature_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub air_moisture: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unburned_carbon_in_ash_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
}

impl CombustionInput {
    /// The conditions besides fuel and flue gas.
    pub fn conditions(&self) -> CombustionConditions {
        CombustionConditions {
            combustion_air_temperature_c: self.combustion_air_temperature_c,
            fuel_temperature_c: self.fuel_temperature_c,
            ambient_temperature_c: self.ambient_temperature_c,
            air_moisture: self.air_moisture,
            unburned_carbon_in_ash_pct: self.unburned_carbon_in_ash_pct,
            basis: self.basis,
        }
    }
}

/// The conditions of a combustion test besides fuel and flue gas (shared
/// by the combustion, boiler and furnace analyses).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombustionConditions {
    /// Combustion air temperature entering the boundary, °C.
    #[serde(default = "default_reference_temperature_c")]
    pub combustion_air_temperature_c: f64,
    /// Fuel temperature, °C (default: the reference temperature, no credit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel_temperature_c: Option<f64>,
    /// Ambient temperature, °C (surface losses; default 25 °C).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_temperature_c: Option<f64>,
    /// Moisture in the combustion air, kg water per kg dry air (default 0.013).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub air_moisture: Option<f64>,
    /// Carbon in the refuse (ash + unburned carbon), mass %.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unburned_carbon_in_ash_pct: Option<f64>,
    /// Heating-value basis (default HHV).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
}

/// Serde default of air and fuel temperatures: the PTC 4 reference temperature.
pub(crate) fn default_reference_temperature_c() -> f64 {
    REFERENCE_TEMPERATURE_C
}

// ---------------------------------------------------------------------------
// Result
// ---------------------------------------------------------------------------

/// One value per flue-gas species.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct FlueSpecies {
    pub co2: f64,
    pub co: f64,
    pub so2: f64,
    pub h2o: f64,
    pub o2: f64,
    pub n2: f64,
    pub ar: f64,
}

impl FlueSpecies {
    fn sum(&self) -> f64 {
        self.co2 + self.co + self.so2 + self.h2o + self.o2 + self.n2 + self.ar
    }
    fn dry_sum(&self) -> f64 {
        self.sum() - self.h2o
    }
}

/// Flue gas per kg of fuel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlueGas {
    pub temperature_c: f64,
    /// Wet flue gas, kg per kg fuel.
    pub mass_kg_per_kg_fuel: f64,
    /// Dry flue gas, kg per kg fuel.
    pub dry_mass_kg_per_kg_fuel: f64,
    /// Mass of each species, kg per kg fuel.
    pub species_kg_per_kg_fuel: FlueSpecies,
    /// Composition, % by volume, wet.
    pub composition_vol_pct_wet: FlueSpecies,
    /// Composition, % by volume, dry (h2o = 0).
    pub composition_vol_pct_dry: FlueSpecies,
    pub o2_pct_dry: f64,
    pub o2_pct_wet: f64,
    pub co_ppm_dry: f64,
    /// Water dew point of the flue gas at 101.325 kPa, °C (IF97 saturation).
    pub water_dew_point_c: Option<f64>,
}

/// Combustion losses by PTC 4 category (same unit throughout a struct).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CombustionLosses {
    pub dry_flue_gas: f64,
    pub water_from_hydrogen: f64,
    pub fuel_moisture: f64,
    pub air_moisture: f64,
    pub unburned_co: f64,
    pub unburned_carbon: f64,
    pub total: f64,
}

impl CombustionLosses {
    fn scaled(&self, k: f64) -> Self {
        Self {
            dry_flue_gas: self.dry_flue_gas * k,
            water_from_hydrogen: self.water_from_hydrogen * k,
            fuel_moisture: self.fuel_moisture * k,
            air_moisture: self.air_moisture * k,
            unburned_co: self.unburned_co * k,
            unburned_carbon: self.unburned_carbon * k,
            total: self.total * k,
        }
    }
    /// Stack losses: dry gas + all moisture.
    pub fn stack(&self) -> f64 {
        self.dry_flue_gas + self.moisture()
    }
    /// Water from hydrogen + fuel moisture + air moisture.
    pub fn moisture(&self) -> f64 {
        self.water_from_hydrogen + self.fuel_moisture + self.air_moisture
    }
    /// Unburned CO + unburned carbon.
    pub fn unburned(&self) -> f64 {
        self.unburned_co + self.unburned_carbon
    }
}

/// Credits for energy entering above the reference temperature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CombustionCredits {
    pub combustion_air: f64,
    pub fuel_sensible_heat: f64,
    pub total: f64,
}

/// Result of a combustion analysis, per kg of fuel and in % of the fuel input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CombustionResult {
    pub fuel: String,
    pub fuel_source: String,
    pub basis: Basis,
    pub reference_temperature_c: f64,
    pub hhv_kj_kg: f64,
    pub lhv_kj_kg: f64,
    /// The heating value of the basis, kJ/kg.
    pub heating_value_kj_kg: f64,
    /// Dry air for complete combustion, kg per kg fuel (of the carbon actually burnt).
    pub stoichiometric_air_kg_per_kg_fuel: f64,
    /// Dry air supplied, kg per kg fuel.
    pub actual_air_kg_per_kg_fuel: f64,
    /// Moist air supplied, kg per kg fuel.
    pub wet_air_kg_per_kg_fuel: f64,
    pub excess_air_pct: f64,
    pub air_moisture_kg_per_kg_dry_air: f64,
    /// Unburned carbon, kg per kg fuel.
    pub unburned_carbon_kg_per_kg_fuel: f64,
    pub flue_gas: FlueGas,
    pub losses_pct: CombustionLosses,
    pub losses_kj_per_kg_fuel: CombustionLosses,
    pub credits_pct: CombustionCredits,
    pub credits_kj_per_kg_fuel: CombustionCredits,
    /// 100 − stack losses (dry gas + moisture) − unburned losses + credits:
    /// the share of the fuel input released and kept inside the boundary.
    pub available_heat_pct: f64,
    /// 100 − stack losses + credits (complete-combustion convention of
    /// flue-gas analysers and DOE Steam Tip Sheet #4).
    pub combustion_efficiency_pct: f64,
    pub warnings: Vec<String>,
}

// ---------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------

/// Combustion analysis of a `POST /combustion` body.
///
/// `ambient_temperature_c` is refused here: a combustion balance has no
/// surface losses, and the air and fuel credits use their own temperatures,
/// so an ambient temperature would be accepted and silently ignored.
pub fn analyze_combustion(input: &CombustionInput) -> Result<CombustionResult, ThermoError> {
    if input.ambient_temperature_c.is_some() {
        return Err(invalid(
            "ambient_temperature_c",
            "is not used by a combustion analysis (it sets the ambient of surface losses in a process calculation); give combustion_air_temperature_c for the air credit",
        ));
    }
    let fuel = input.fuel.resolve("fuel")?;
    combustion_of(&fuel, &input.flue_gas, &input.conditions())
}

/// Combustion analysis of a resolved fuel (used by the boiler and furnace analyses).
pub fn combustion_of(
    fuel: &Fuel,
    flue: &FlueGasSpec,
    cond: &CombustionConditions,
) -> Result<CombustionResult, ThermoError> {
    let t_ref_c = REFERENCE_TEMPERATURE_C;
    let t_ref = t_ref_c + 273.15;
    let t_gas_c = check_range(
        "flue_gas.temperature_c",
        flue.temperature_c,
        t_ref_c,
        1800.0,
        "°C (from the 25 °C reference temperature)",
    )?;
    let t_air_c = check_range(
        "combustion_air_temperature_c",
        cond.combustion_air_temperature_c,
        -50.0,
        1000.0,
        "°C",
    )?;
    let t_fuel_c = match cond.fuel_temperature_c {
        Some(t) => check_range("fuel_temperature_c", t, -50.0, 500.0, "°C")?,
        None => t_ref_c,
    };
    if let Some(t) = cond.ambient_temperature_c {
        check_range("ambient_temperature_c", t, -50.0, 60.0, "°C")?;
    }
    let omega = match cond.air_moisture {
        Some(w) => check_range("air_moisture", w, 0.0, 0.2, "kg water per kg dry air")?,
        None => DEFAULT_AIR_MOISTURE,
    };
    let ubc_pct = match cond.unburned_carbon_in_ash_pct {
        Some(u) => check_range("unburned_carbon_in_ash_pct", u, 0.0, 99.0, "%")?,
        None => 0.0,
    };
    let basis = cond.basis.unwrap_or_default();
    let co_frac = match flue.co_ppm {
        Some(c) => check_range("flue_gas.co_ppm", c, 0.0, 100_000.0, "ppm")? * 1e-6,
        None => 0.0,
    };

    let mf = fuel.mass_fractions;
    // Unburned carbon: refuse = ash + carbon; carbon is ubc % of refuse.
    let c_unburned = mf.ash * ubc_pct / (100.0 - ubc_pct);
    if c_unburned > mf.c {
        return Err(invalid(
            "unburned_carbon_in_ash_pct",
            &format!(
                "implies {c_unburned:.4} kg unburned carbon per kg fuel, more than the fuel's carbon {:.4}",
                mf.c
            ),
        ));
    }
    let c_burnt = mf.c - c_unburned;

    // Moles per kg fuel (kmol/kg × 1000 = mol/kg; work in mol per kg).
    let n_c = c_burnt / M_C * 1000.0;
    let n_h2 = mf.h / (2.0 * M_H) * 1000.0;
    let n_s = mf.s / M_S * 1000.0;
    let n_o2_fuel = mf.o / (2.0 * M_O) * 1000.0;
    let n_n2_fuel = mf.n / (2.0 * M_N) * 1000.0;
    // Liquid moisture and the inert water vapour of a fuel gas both leave as
    // flue-gas water; only the liquid needs its latent heat (below).
    let n_h2o_fuel = (mf.moisture + mf.vapour) / M_H2O * 1000.0;

    let o2_stoich = n_c + 0.5 * n_h2 + n_s - n_o2_fuel;
    if o2_stoich <= 0.0 {
        return Err(invalid(
            "fuel",
            "needs no oxygen from air (oxygen content too high)",
        ));
    }
    let m_air = air_molar_mass();
    let n_air_stoich = o2_stoich / AIR_O2;
    let omega_mol = omega * m_air / M_H2O; // mol water per mol dry air
    let r_inert = (AIR_N2 + AIR_AR) / AIR_O2;

    // Dry product moles as a linear function of excess-air fraction e:
    // n_dry = d0 + d1 e, with CO as a fraction `co_frac` of n_dry (dry basis).
    let k0 = n_c + n_s + n_n2_fuel;
    let d_co = 1.0 - 0.5 * co_frac;
    let d0 = (k0 + o2_stoich * r_inert) / d_co;
    let d1 = o2_stoich * (1.0 + r_inert) / d_co;
    // Wet water moles: w_h2o = h0 + h1 e.
    let h0 = n_h2 + n_h2o_fuel + omega_mol * n_air_stoich;
    let h1 = omega_mol * n_air_stoich;

    let e = match (flue.o2_pct_dry, flue.o2_pct_wet, flue.excess_air_pct) {
        (Some(o2), None, None) => {
            let y = check_range("flue_gas.o2_pct_dry", o2, 0.0, 20.0, "% by volume")? / 100.0;
            // y (d0 + d1 e) = e O2s + 0.5 co_frac (d0 + d1 e)
            let num = (y - 0.5 * co_frac) * d0;
            let den = o2_stoich - (y - 0.5 * co_frac) * d1;
            excess_from(num, den, "flue_gas.o2_pct_dry")?
        }
        (None, Some(o2), None) => {
            let y = check_range("flue_gas.o2_pct_wet", o2, 0.0, 20.0, "% by volume")? / 100.0;
            // y (d0 + h0 + (d1 + h1) e) = e O2s + 0.5 co_frac (d0 + d1 e)
            let num = y * (d0 + h0) - 0.5 * co_frac * d0;
            let den = o2_stoich + 0.5 * co_frac * d1 - y * (d1 + h1);
            excess_from(num, den, "flue_gas.o2_pct_wet")?
        }
        (None, None, Some(ea)) => {
            check_range("flue_gas.excess_air_pct", ea, 0.0, 1000.0, "%")? / 100.0
        }
        (None, None, None) => {
            return Err(invalid(
                "flue_gas",
                "give one of o2_pct_dry, o2_pct_wet or excess_air_pct",
            ));
        }
        _ => {
            return Err(invalid(
                "flue_gas",
                "give only one of o2_pct_dry, o2_pct_wet or excess_air_pct",
            ));
        }
    };
    if e > 10.0 {
        return Err(invalid(
            "flue_gas",
            &format!("implies {:.0} % excess air; the limit is 1000 %", e * 100.0),
        ));
    }

    let n_air = (1.0 + e) * n_air_stoich;
    let n_dry = d0 + d1 * e;
    let n_co = co_frac * n_dry;
    let moles = FlueSpecies {
        co2: n_c - n_co,
        co: n_co,
        so2: n_s,
        h2o: n_h2 + n_h2o_fuel + omega_mol * n_air,
        o2: e * o2_stoich + 0.5 * n_co,
        n2: n_n2_fuel + AIR_N2 * n_air,
        ar: AIR_AR * n_air,
    };
    if moles.co2 < 0.0 {
        return Err(invalid(
            "flue_gas.co_ppm",
            "implies more CO than the fuel has carbon",
        ));
    }
    let kg = FlueSpecies {
        co2: moles.co2 * CO2.molar_mass / 1000.0,
        co: moles.co * CO.molar_mass / 1000.0,
        so2: moles.so2 * M_SO2 / 1000.0,
        h2o: moles.h2o * M_H2O / 1000.0,
        o2: moles.o2 * O2.molar_mass / 1000.0,
        n2: moles.n2 * N2.molar_mass / 1000.0,
        ar: moles.ar * AR.molar_mass / 1000.0,
    };
    let n_wet = moles.sum();
    let n_dry_check = moles.dry_sum();
    let pct = |n: f64, total: f64| n / total * 100.0;
    let wet_pct = FlueSpecies {
        co2: pct(moles.co2, n_wet),
        co: pct(moles.co, n_wet),
        so2: pct(moles.so2, n_wet),
        h2o: pct(moles.h2o, n_wet),
        o2: pct(moles.o2, n_wet),
        n2: pct(moles.n2, n_wet),
        ar: pct(moles.ar, n_wet),
    };
    let dry_pct = FlueSpecies {
        co2: pct(moles.co2, n_dry_check),
        co: pct(moles.co, n_dry_check),
        so2: pct(moles.so2, n_dry_check),
        h2o: 0.0,
        o2: pct(moles.o2, n_dry_check),
        n2: pct(moles.n2, n_dry_check),
        ar: pct(moles.ar, n_dry_check),
    };

    // Water dew point at the partial pressure of water (101.325 kPa total).
    let p_h2o_mpa = 0.101_325 * moles.h2o / n_wet;
    let dew_point_c = if p_h2o_mpa >= 611.213e-6 {
        crate::if97::saturation_temperature_k(p_h2o_mpa)
            .ok()
            .map(|t| t - 273.15)
    } else {
        None
    };

    // ---- Losses, kJ per kg fuel ----
    let t_gas = t_gas_c + 273.15;
    let s_gas = sensible(t_gas, t_ref);
    let dry_flue_gas = kg.co2 * s_gas.co2
        + kg.co * s_gas.co
        + kg.so2 * s_gas.so2
        + kg.o2 * s_gas.o2
        + kg.n2 * s_gas.n2
        + kg.ar * s_gas.ar;
    // Water leaving as vapour at T_gas relative to liquid at 25 °C (HHV),
    // or relative to vapour at 25 °C (LHV: the latent heat is not in the input).
    let latent = match basis {
        Basis::Hhv => H_FG_25C_KJ_KG,
        Basis::Lhv => 0.0,
    };
    let h_water_out = latent + s_gas.h2o;
    let m_h2o_from_h = n_h2 * M_H2O / 1000.0;
    let m_air_dry = n_air * m_air / 1000.0;
    let m_air_moisture = omega * m_air_dry;
    let losses_kj = {
        let mut l = CombustionLosses {
            dry_flue_gas,
            water_from_hydrogen: m_h2o_from_h * h_water_out,
            fuel_moisture: mf.moisture * h_water_out + mf.vapour * s_gas.h2o,
            air_moisture: m_air_moisture * s_gas.h2o,
            unburned_co: n_co * HHV_CO_KJ_MOL,
            unburned_carbon: c_unburned * HHV_UNBURNED_CARBON_KJ_KG,
            total: 0.0,
        };
        l.total = l.dry_flue_gas
            + l.water_from_hydrogen
            + l.fuel_moisture
            + l.air_moisture
            + l.unburned_co
            + l.unburned_carbon;
        l
    };

    // ---- Credits, kJ per kg fuel ----
    let t_air = t_air_c + 273.15;
    let credits_kj = {
        let air = m_air_dry * dry_air_sensible_kj_kg(t_air, t_ref)
            + m_air_moisture * water_vapour_sensible_kj_kg(t_air, t_ref);
        let fuel_heat = fuel.specific_heat_kj_kg_k * (t_fuel_c - t_ref_c);
        CombustionCredits {
            combustion_air: air,
            fuel_sensible_heat: fuel_heat,
            total: air + fuel_heat,
        }
    };

    let hv = match basis {
        Basis::Hhv => fuel.hhv_kj_kg,
        Basis::Lhv => fuel.lhv_kj_kg,
    };
    let to_pct = 100.0 / hv;
    let losses_pct = losses_kj.scaled(to_pct);
    let credits_pct = CombustionCredits {
        combustion_air: credits_kj.combustion_air * to_pct,
        fuel_sensible_heat: credits_kj.fuel_sensible_heat * to_pct,
        total: credits_kj.total * to_pct,
    };
    let combustion_efficiency_pct = 100.0 - losses_pct.stack() + credits_pct.total;
    let available_heat_pct = combustion_efficiency_pct - losses_pct.unburned();

    let mut warnings = Vec::new();
    if let Some(dp) = dew_point_c
        && t_gas_c < dp
    {
        warnings.push(format!(
            "flue gas at {t_gas_c} °C is below its water dew point {dp:.1} °C; condensation is not modelled and the moisture losses are overstated"
        ));
    }
    if t_gas_c < t_air_c {
        warnings.push("flue gas is colder than the combustion air".to_string());
    }

    let result = CombustionResult {
        fuel: fuel.name.clone(),
        fuel_source: fuel.source.clone(),
        basis,
        reference_temperature_c: t_ref_c,
        hhv_kj_kg: fuel.hhv_kj_kg,
        lhv_kj_kg: fuel.lhv_kj_kg,
        heating_value_kj_kg: hv,
        stoichiometric_air_kg_per_kg_fuel: n_air_stoich * m_air / 1000.0,
        actual_air_kg_per_kg_fuel: m_air_dry,
        wet_air_kg_per_kg_fuel: m_air_dry * (1.0 + omega),
        excess_air_pct: e * 100.0,
        air_moisture_kg_per_kg_dry_air: omega,
        unburned_carbon_kg_per_kg_fuel: c_unburned,
        flue_gas: FlueGas {
            temperature_c: t_gas_c,
            mass_kg_per_kg_fuel: kg.sum(),
            dry_mass_kg_per_kg_fuel: kg.dry_sum(),
            species_kg_per_kg_fuel: kg,
            composition_vol_pct_wet: wet_pct,
            composition_vol_pct_dry: dry_pct,
            o2_pct_dry: dry_pct.o2,
            o2_pct_wet: wet_pct.o2,
            co_ppm_dry: moles.co / n_dry_check * 1e6,
            water_dew_point_c: dew_point_c,
        },
        losses_pct,
        losses_kj_per_kg_fuel: losses_kj,
        credits_pct,
        credits_kj_per_kg_fuel: credits_kj,
        available_heat_pct,
        combustion_efficiency_pct,
        warnings,
    };
    if !all_finite(&result) {
        return Err(invalid(
            "flue_gas",
            "the balance produced a non-finite number",
        ));
    }
    Ok(result)
}

fn excess_from(num: f64, den: f64, field: &str) -> Result<f64, ThermoError> {
    if den <= 0.0 {
        return Err(invalid(
            field,
            "is too high: it implies unlimited excess air",
        ));
    }
    let e = num / den;
    if e < -1e-9 {
        return Err(invalid(
            field,
            &format!(
                "implies sub-stoichiometric combustion ({:.1} % excess air) with the given CO; fuel-rich combustion is not modelled",
                e * 100.0
            ),
        ));
    }
    Ok(e.max(0.0))
}

fn all_finite(r: &CombustionResult) -> bool {
    let l = &r.losses_pct;
    [
        r.excess_air_pct,
        r.stoichiometric_air_kg_per_kg_fuel,
        r.flue_gas.mass_kg_per_kg_fuel,
        l.total,
        r.credits_pct.total,
        r.combustion_efficiency_pct,
        r.available_heat_pct,
    ]
    .iter()
    .all(|v| v.is_finite())
}

/// Stoichiometric dry air of a fuel, kg per kg fuel (complete combustion).
pub fn stoichiometric_air_kg_per_kg(fuel: &Fuel) -> f64 {
    let mf = fuel.mass_fractions;
    let o2 = mf.c / M_C + mf.h / (4.0 * M_H) + mf.s / M_S - mf.o / (2.0 * M_O);
    o2 / AIR_O2 * air_molar_mass()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nasa_h2o_sensible_matches_if97_low_pressure_steam() {
        // Ideal-gas water vapour from 25 °C to 200 °C vs IF97 region 2 at 1 kPa.
        let ig = water_vapour_sensible_kj_kg(473.15, 298.15);
        let h200 = crate::if97::props_pt(0.001, 473.15).unwrap().enthalpy_kj_kg;
        let h25 = crate::if97::props_pt(0.001, 298.15).unwrap().enthalpy_kj_kg;
        assert!((ig - (h200 - h25)).abs() < 1.0, "{ig} vs {}", h200 - h25);
    }
}
