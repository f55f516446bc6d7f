//! Energy units and their conversion to kWh, the unit ThermalIQ computes in.
//!
//! Every factor is built from its *definition* in joules, then divided once by
//! 3.6 MJ (1 kWh = 3 600 000 J exactly, SI Brochure 9th ed., Table 8), so a
//! value in kWh converts with factor exactly 1.0 and no rounding is stacked.
//!
//! Sources of the definitions:
//! - SI prefixes and the joule: BIPM SI Brochure, 9th edition (2019).
//! - British thermal unit (International Table): 1 Btu_IT = 1055.055 852 62 J
//!   exactly (NIST SP 811, 2008 ed., Appendix B.8; ISO 80000-5).
//! - therm: the EC therm is 100 000 Btu_IT = 105 505 585.262 J (NIST SP 811
//!   B.8, "therm (EC)"; Council Directive 80/181/EEC). The US therm is
//!   105 480 400 J exactly (NIST SP 811 B.8, "therm (U.S.)"), offered as
//!   `therm_us` because US gas tariffs use it.
//! - calorie (International Table): 1 cal_IT = 4.1868 J exactly (NIST SP 811
//!   B.8; 5th International Conference on the Properties of Steam, 1956).
//! - tonne of oil equivalent: 1 toe = 10^7 kcal_IT = 41.868 GJ exactly
//!   (IEA/OECD/Eurostat Energy Statistics Manual, 2005, Annex 3).

use crate::error::ThermoError;
use serde::{Deserialize, Serialize};

/// Joules in one kilowatt-hour (exact by definition).
pub const JOULES_PER_KWH: f64 = 3_600_000.0;

/// Joules in one International Table British thermal unit (exact, NIST SP 811 B.8).
pub const JOULES_PER_BTU_IT: f64 = 1_055.055_852_62;

/// Joules in one International Table kilocalorie (exact, NIST SP 811 B.8).
pub const JOULES_PER_KCAL_IT: f64 = 4186.8;

/// A unit of energy a request or a meter may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EnergyUnit {
    Wh,
    KWh,
    MWh,
    GWh,
    J,
    KJ,
    MJ,
    GJ,
    TJ,
    Btu,
    KBtu,
    MMBtu,
    Therm,
    ThermUs,
    Kcal,
    Mcal,
    Gcal,
    Toe,
}

impl EnergyUnit {
    /// Every unit, in the order they are listed to users.
    pub const ALL: [EnergyUnit; 18] = [
        EnergyUnit::Wh,
        EnergyUnit::KWh,
        EnergyUnit::MWh,
        EnergyUnit::GWh,
        EnergyUnit::J,
        EnergyUnit::KJ,
        EnergyUnit::MJ,
        EnergyUnit::GJ,
        EnergyUnit::TJ,
        EnergyUnit::Btu,
        EnergyUnit::KBtu,
        EnergyUnit::MMBtu,
        EnergyUnit::Therm,
        EnergyUnit::ThermUs,
        EnergyUnit::Kcal,
        EnergyUnit::Mcal,
        EnergyUnit::Gcal,
        EnergyUnit::Toe,
    ];

    /// The canonical symbol, as written in responses and stored inputs.
    pub fn symbol(self) -> &'static str {
        match self {
            EnergyUnit::Wh => "Wh",
            EnergyUnit::KWh => "kWh",
            EnergyUnit::MWh => "MWh",
            EnergyUnit::GWh => "GWh",
            EnergyUnit::J => "J",
            EnergyUnit::KJ => "kJ",
            EnergyUnit::MJ => "MJ",
            EnergyUnit::GJ => "GJ",
            EnergyUnit::TJ => "TJ",
            EnergyUnit::Btu => "BTU",
            EnergyUnit::KBtu => "kBTU",
            EnergyUnit::MMBtu => "MMBtu",
            EnergyUnit::Therm => "therm",
            EnergyUnit::ThermUs => "therm_us",
            EnergyUnit::Kcal => "kcal",
            EnergyUnit::Mcal => "Mcal",
            EnergyUnit::Gcal => "Gcal",
            EnergyUnit::Toe => "toe",
        }
    }

    /// The unit's definition in joules.
    pub fn joules(self) -> f64 {
        match self {
            EnergyUnit::Wh => 3_600.0,
            EnergyUnit::KWh => JOULES_PER_KWH,
            EnergyUnit::MWh => 3.6e9,
            EnergyUnit::GWh => 3.6e12,
            EnergyUnit::J => 1.0,
            EnergyUnit::KJ => 1e3,
            EnergyUnit::MJ => 1e6,
            EnergyUnit::GJ => 1e9,
            EnergyUnit::TJ => 1e12,
            EnergyUnit::Btu => JOULES_PER_BTU_IT,
            EnergyUnit::KBtu => JOULES_PER_BTU_IT * 1e3,
            EnergyUnit::MMBtu => JOULES_PER_BTU_IT * 1e6,
            EnergyUnit::Therm => JOULES_PER_BTU_IT * 1e5,
            EnergyUnit::ThermUs => 105_480_400.0,
            EnergyUnit::Kcal => JOULES_PER_KCAL_IT,
            EnergyUnit::Mcal => JOULES_PER_KCAL_IT * 1e3,
            EnergyUnit::Gcal => JOULES_PER_KCAL_IT * 1e6,
            EnergyUnit::Toe => 41.868e9,
        }
    }

    /// kWh in one of this unit.
    pub fn kwh_factor(self) -> f64 {
        match self {
            // Exact by construction; spelled out so kWh input is never touched.
            EnergyUnit::KWh => 1.0,
            other => other.joules() / JOULES_PER_KWH,
        }
    }

    /// Converts `value` in this unit to kWh.
    pub fn to_kwh(self, value: f64) -> f64 {
        value * self.kwh_factor()
    }

    /// Parses a unit symbol. Case matters where it carries meaning (`MWh` is
    /// not `mWh`), so only the canonical symbol and a few unambiguous common
    /// spellings are accepted.
    pub fn parse(symbol: &str) -> Result<Self, ThermoError> {
        let unit = match symbol {
            "Wh" => EnergyUnit::Wh,
            "kWh" | "KWh" | "kwh" | "KWH" => EnergyUnit::KWh,
            "MWh" | "MWH" => EnergyUnit::MWh,
            "GWh" | "GWH" => EnergyUnit::GWh,
            "J" => EnergyUnit::J,
            "kJ" | "KJ" => EnergyUnit::KJ,
            "MJ" => EnergyUnit::MJ,
            "GJ" => EnergyUnit::GJ,
            "TJ" => EnergyUnit::TJ,
            "BTU" | "Btu" | "btu" => EnergyUnit::Btu,
            "kBTU" | "kBtu" | "KBTU" | "MBtu" => EnergyUnit::KBtu,
            "MMBtu" | "MMBTU" | "mmbtu" => EnergyUnit::MMBtu,
            "therm" | "thm" => EnergyUnit::Therm,
            "therm_us" => EnergyUnit::ThermUs,
            "kcal" => EnergyUnit::Kcal,
            "Mcal" => EnergyUnit::Mcal,
            "Gcal" => EnergyUnit::Gcal,
            "toe" => EnergyUnit::Toe,
            _ => {
                return Err(ThermoError::UnknownUnit {
                    symbol: symbol.to_owned(),
                    accepted: Self::accepted_list(),
                });
            }
        };
        Ok(unit)
    }

    /// The canonical symbols, comma separated, for error messages.
    pub fn accepted_list() -> String {
        Self::ALL.map(EnergyUnit::symbol).join(", ")
    }
}

impl std::fmt::Display for EnergyUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.symbol())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_rel;

    #[test]
    fn kwh_is_the_identity() {
        for v in [0.0, 1.0, 90.476_190_476, 1e-300, 1.7e308] {
            assert_eq!(EnergyUnit::KWh.to_kwh(v), v);
        }
    }

    /// Published conversion figures, each from a source outside this code.
    #[test]
    fn factors_match_published_conversions() {
        // Runbook GL-009 scenario 9 sub-procedure B: "MWh to kWh: factor should be 1000".
        assert_eq!(EnergyUnit::MWh.kwh_factor(), 1000.0);
        // Runbook: "BTU to kWh: factor should be 0.000293071" (6 significant digits).
        assert_rel(EnergyUnit::Btu.kwh_factor(), 0.000_293_071, 1e-6, "BTU");
        // Runbook: "GJ to kWh: factor should be 277.778" (6 significant digits).
        assert_rel(EnergyUnit::GJ.kwh_factor(), 277.778, 1e-6, "GJ");
        // 1 GJ = 1e9 J / 3.6e6 J = 2500/9 kWh exactly; f64 nearest is 277.77777777777777.
        assert_eq!(EnergyUnit::GJ.kwh_factor(), 277.777_777_777_777_77);
        // IEA Energy Statistics Manual (2005), Annex 3 Table A3.1: 1 toe = 11.63 MWh.
        assert_rel(EnergyUnit::Toe.kwh_factor(), 11_630.0, 1e-12, "toe");
        // IEA manual Table A3.1: 1 Gcal = 1.163 MWh.
        assert_rel(EnergyUnit::Gcal.kwh_factor(), 1_163.0, 1e-12, "Gcal");
        assert_rel(EnergyUnit::Mcal.kwh_factor(), 1.163, 1e-12, "Mcal");
        assert_rel(EnergyUnit::Kcal.kwh_factor(), 0.001_163, 1e-12, "kcal");
        // US EIA energy conversion calculators: 1 MMBtu = 293.07107 kWh (8 s.f.).
        assert_rel(EnergyUnit::MMBtu.kwh_factor(), 293.071_07, 2e-8, "MMBtu");
        // US EIA: 1 kBtu = 0.29307107 kWh; 1 therm = 29.307107 kWh (100 000 Btu).
        assert_rel(EnergyUnit::KBtu.kwh_factor(), 0.293_071_07, 2e-8, "kBTU");
        assert_rel(EnergyUnit::Therm.kwh_factor(), 29.307_107, 2e-8, "therm");
        // NIST SP 811 B.8: therm (U.S.) = 1.054 804 E+08 J exactly -> 29.300111 kWh.
        assert_rel(
            EnergyUnit::ThermUs.kwh_factor(),
            29.300_111_1,
            1e-8,
            "therm_us",
        );
        // SI: 1 kWh = 3.6 MJ, so 1 MJ = 0.2777... kWh, 1 TJ = 277 777.7... kWh.
        assert_rel(EnergyUnit::MJ.kwh_factor(), 1.0 / 3.6, 1e-15, "MJ");
        assert_rel(EnergyUnit::TJ.kwh_factor(), 1e6 / 3.6, 1e-15, "TJ");
        assert_rel(EnergyUnit::KJ.kwh_factor(), 1.0 / 3600.0, 1e-15, "kJ");
        assert_rel(EnergyUnit::J.kwh_factor(), 1.0 / 3.6e6, 1e-15, "J");
        assert_rel(EnergyUnit::Wh.kwh_factor(), 1e-3, 1e-15, "Wh");
        assert_rel(EnergyUnit::GWh.kwh_factor(), 1e6, 1e-15, "GWh");
    }

    #[test]
    fn every_unit_parses_from_its_own_symbol() {
        for unit in EnergyUnit::ALL {
            assert_eq!(EnergyUnit::parse(unit.symbol()), Ok(unit));
        }
    }

    #[test]
    fn ambiguous_or_unknown_symbols_are_refused_with_the_list() {
        for bad in ["mWh", "", "kw", "calories", "MMBTU/h"] {
            match EnergyUnit::parse(bad) {
                Err(ThermoError::UnknownUnit { symbol, accepted }) => {
                    assert_eq!(symbol, bad);
                    assert!(accepted.contains("MMBtu") && accepted.contains("kWh"));
                }
                other => panic!("{bad:?} parsed as {other:?}"),
            }
        }
    }
}
