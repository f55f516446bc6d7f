//! The fuel library: named fuels with their sources.

use super::*;

// ---------------------------------------------------------------------------
// Library
// ---------------------------------------------------------------------------

/// Names of the library fuels.
pub const LIBRARY_FUELS: [&str; 14] = [
    "natural_gas",
    "propane",
    "butane",
    "hydrogen",
    "biogas",
    "fuel_oil_no2",
    "fuel_oil_no6",
    "diesel",
    "bituminous_coal",
    "sub_bituminous_coal",
    "lignite",
    "petcoke",
    "wood",
    "biomass",
];

/// A library fuel by name (case-insensitive; `-` and spaces read as `_`).
pub fn library_fuel(name: &str) -> Result<Fuel, ThermoError> {
    let key = name.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    let gas = |comp: GasComposition, source: &str| {
        Fuel::from_gas_composition(&key, &comp, "fuel.gas_composition_vol_pct", source)
    };
    let ult = |a: UltimateAnalysis, kind: FuelKind, source: &str| {
        Fuel::from_ultimate_analysis(&key, &a, kind, "fuel.ultimate_analysis_wt_pct", source)
    };
    match key.as_str() {
        // AGA Report No. 8 (1994) "Gulf Coast" natural gas, C5+ (0.146 %) and
        // i-butane lumped into n-butane (mole basis).
        "natural_gas" => gas(
            GasComposition {
                ch4: 96.5222,
                c2h6: 1.8186,
                c3h8: 0.4596,
                c4h10: 0.3445,
                co2: 0.5956,
                n2: 0.2595,
                ..Default::default()
            },
            "AGA Report No. 8 Gulf Coast gas (C4+ lumped as n-butane); HHV from component heating values at 25 °C",
        ),
        "propane" => gas(
            GasComposition {
                c3h8: 100.0,
                ..Default::default()
            },
            "pure propane; HHV from enthalpies of formation at 25 °C",
        ),
        "butane" => gas(
            GasComposition {
                c4h10: 100.0,
                ..Default::default()
            },
            "pure n-butane; HHV from enthalpies of formation at 25 °C",
        ),
        "hydrogen" => gas(
            GasComposition {
                h2: 100.0,
                ..Default::default()
            },
            "pure hydrogen; HHV from the enthalpy of formation of liquid water at 25 °C",
        ),
        // Typical anaerobic-digester gas, 60 % CH4 / 40 % CO2 (IEA Bioenergy
        // Task 37 gives 50-75 % CH4); give a measured composition for audits.
        "biogas" => gas(
            GasComposition {
                ch4: 60.0,
                co2: 40.0,
                ..Default::default()
            },
            "typical biogas 60 % CH4 / 40 % CO2 (assumed); HHV from component heating values",
        ),
        // DOE MEASUR / AMO-Tools-Suite fuel table "Fuel Oil No. 2 (Average)"
        // (from B&W, Steam 41st ed.), normalised to 100 %.
        "fuel_oil_no2" | "fuel_oil_2" | "no2_fuel_oil" | "heating_oil" => ult(
            UltimateAnalysis {
                c: 87.15,
                h: 12.85,
                n: 0.05,
                s: 0.53,
                ..Default::default()
            },
            FuelKind::Liquid,
            "DOE MEASUR fuel table, Fuel Oil No. 2 (Average); HHV by Channiwala & Parikh (2002)",
        ),
        "fuel_oil_no6" | "fuel_oil_6" | "no6_fuel_oil" | "residual_oil" => ult(
            UltimateAnalysis {
                c: 88.35,
                h: 10.75,
                s: 2.10,
                ash: 0.26,
                ..Default::default()
            },
            FuelKind::Liquid,
            "DOE MEASUR fuel table, Fuel Oil No. 6 (Average); HHV by Channiwala & Parikh (2002)",
        ),
        // Ultra-low-sulfur diesel: C 86.5 % by mass (Argonne GREET fuel
        // specifications), H by difference, 15 ppm S.
        "diesel" => ult(
            UltimateAnalysis {
                c: 86.5,
                h: 13.4985,
                s: 0.0015,
                ..Default::default()
            },
            FuelKind::Liquid,
            "ULSD, C 86.5 % (Argonne GREET); HHV by Channiwala & Parikh (2002)",
        ),
        // DOE MEASUR "Pittsburgh #8 Bituminous" dry analysis, with 5 % as-fired moisture (assumed).
        "bituminous_coal" | "bituminous" | "coal" => ult(
            as_fired(
                UltimateAnalysis {
                    c: 74.0,
                    h: 5.1,
                    n: 1.6,
                    s: 2.3,
                    o: 7.9,
                    ash: 9.1,
                    moisture: 0.0,
                },
                5.0,
            ),
            FuelKind::Solid,
            "DOE MEASUR fuel table, Pittsburgh #8 bituminous (dry) + 5 % moisture (assumed); HHV by Channiwala & Parikh (2002)",
        ),
        // DOE MEASUR "SpringCreek Subbituminous, Wyoming" dry, 25 % moisture (assumed).
        "sub_bituminous_coal" | "subbituminous_coal" | "sub_bituminous" => ult(
            as_fired(
                UltimateAnalysis {
                    c: 70.3,
                    h: 5.0,
                    n: 0.96,
                    s: 0.35,
                    o: 17.69,
                    ash: 5.7,
                    moisture: 0.0,
                },
                25.0,
            ),
            FuelKind::Solid,
            "DOE MEASUR fuel table, Spring Creek sub-bituminous (dry) + 25 % moisture (assumed); HHV by Channiwala & Parikh (2002)",
        ),
        // DOE MEASUR "Lignite, North Dakota" dry, 35 % moisture (assumed).
        "lignite" => ult(
            as_fired(
                UltimateAnalysis {
                    c: 63.3,
                    h: 4.5,
                    n: 1.0,
                    s: 1.1,
                    o: 19.0,
                    ash: 11.1,
                    moisture: 0.0,
                },
                35.0,
            ),
            FuelKind::Solid,
            "DOE MEASUR fuel table, North Dakota lignite (dry) + 35 % moisture (assumed); HHV by Channiwala & Parikh (2002)",
        ),
        // Fuel-grade (delayed) petroleum coke, a typical as-fired analysis
        // (assumed; kiln fuel). Its correlated NCV, 34.7 MJ/kg, lies in the
        // IPCC 2006 Guidelines Vol. 2 Table 1.2 range for petroleum coke
        // (29.7-41.9 MJ/kg, default 32.5); give a measured analysis for audits.
        "petcoke" | "petroleum_coke" | "pet_coke" => ult(
            UltimateAnalysis {
                c: 88.0,
                h: 3.8,
                o: 1.0,
                n: 1.6,
                s: 4.5,
                ash: 0.5,
                moisture: 0.6,
            },
            FuelKind::Solid,
            "typical fuel-grade petroleum coke (assumed analysis); HHV by Channiwala & Parikh (2002)",
        ),
        // DOE MEASUR "Pine Bark" dry, 40 % moisture (assumed, green wood 30-55 %).
        "wood" | "biomass" | "wood_biomass" => ult(
            as_fired(
                UltimateAnalysis {
                    c: 53.4,
                    h: 5.6,
                    n: 0.1,
                    s: 0.1,
                    o: 37.9,
                    ash: 2.9,
                    moisture: 0.0,
                },
                40.0,
            ),
            FuelKind::Biomass,
            "DOE MEASUR fuel table, pine bark (dry) + 40 % moisture (assumed); HHV by Channiwala & Parikh (2002)",
        ),
        _ => Err(ThermoError::UnknownFuel {
            name: name.to_string(),
            accepted: LIBRARY_FUELS.join(", "),
        }),
    }
}

/// A dry analysis re-based to `moisture_pct` of moisture as fired.
fn as_fired(dry: UltimateAnalysis, moisture_pct: f64) -> UltimateAnalysis {
    let f = (100.0 - moisture_pct) / (dry.c + dry.h + dry.o + dry.n + dry.s + dry.ash);
    UltimateAnalysis {
        c: dry.c * f,
        h: dry.h * f,
        o: dry.o * f,
        n: dry.n * f,
        s: dry.s * f,
        ash: dry.ash * f,
        moisture: moisture_pct,
    }
}
