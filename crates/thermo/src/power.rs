//! Power units and their conversion to kW, the power unit ThermalIQ
//! integrates meter readings in (kW × h = kWh).
//!
//! As in [`crate::units`], every factor is built from its *definition* in
//! watts and divided once by 1000 W, so kW converts with factor exactly 1.0.
//!
//! Sources of the definitions:
//! - SI prefixes and the watt (1 W = 1 J/s): BIPM SI Brochure, 9th edition (2019).
//! - British thermal unit per hour: 1 Btu_IT/h = 1055.055 852 62 J / 3600 s
//!   = 0.293 071 070 172 2… W (NIST SP 811, 2008 ed., Appendix B.8, "British
//!   thermal unit_IT per hour"; the Btu_IT is exact, so the factor is too).
//! - MMBtu/h: 10^6 Btu_IT/h (the industry's "million Btu per hour").

use serde::{Deserialize, Serialize};

use crate::error::ThermoError;
use crate::units::JOULES_PER_BTU_IT;

/// Watts in one kilowatt (exact by definition).
pub const WATTS_PER_KW: f64 = 1_000.0;

/// Seconds in one hour (exact by definition).
pub const SECONDS_PER_HOUR: f64 = 3_600.0;

/// A unit of power a meter channel may report in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PowerUnit {
    W,
    KW,
    MW,
    BtuPerHour,
    MMBtuPerHour,
}

impl PowerUnit {
    /// Every unit, in the order they are listed to users.
    pub const ALL: [PowerUnit; 5] = [
        PowerUnit::W,
        PowerUnit::KW,
        PowerUnit::MW,
        PowerUnit::BtuPerHour,
        PowerUnit::MMBtuPerHour,
    ];

    /// The canonical symbol, as written in responses and stored facilities.
    pub fn symbol(self) -> &'static str {
        match self {
            PowerUnit::W => "W",
            PowerUnit::KW => "kW",
            PowerUnit::MW => "MW",
            PowerUnit::BtuPerHour => "BTU/h",
            PowerUnit::MMBtuPerHour => "MMBtu/h",
        }
    }

    /// The unit's definition in watts.
    pub fn watts(self) -> f64 {
        match self {
            PowerUnit::W => 1.0,
            PowerUnit::KW => WATTS_PER_KW,
            PowerUnit::MW => 1e6,
            PowerUnit::BtuPerHour => JOULES_PER_BTU_IT / SECONDS_PER_HOUR,
            PowerUnit::MMBtuPerHour => JOULES_PER_BTU_IT * 1e6 / SECONDS_PER_HOUR,
        }
    }

    /// kW in one of this unit.
    pub fn kw_factor(self) -> f64 {
        match self {
            // Exact by construction; spelled out so kW input is never touched.
            PowerUnit::KW => 1.0,
            other => other.watts() / WATTS_PER_KW,
        }
    }

    /// Converts `value` in this unit to kW.
    pub fn to_kw(self, value: f64) -> f64 {
        value * self.kw_factor()
    }

    /// Parses a unit symbol. Case matters where it carries meaning (`MW` is
    /// not `mW`), so only the canonical symbol and a few unambiguous common
    /// spellings are accepted.
    pub fn parse(symbol: &str) -> Result<Self, ThermoError> {
        let unit = match symbol {
            "W" => PowerUnit::W,
            "kW" | "KW" | "kw" => PowerUnit::KW,
            "MW" => PowerUnit::MW,
            "BTU/h" | "Btu/h" | "btu/h" | "BTU/hr" | "Btu/hr" | "BTUH" => PowerUnit::BtuPerHour,
            "MMBtu/h" | "MMBTU/h" | "mmbtu/h" | "MMBtu/hr" | "MMBTU/hr" => PowerUnit::MMBtuPerHour,
            _ => {
                return Err(ThermoError::Invalid {
                    field: "unit".to_owned(),
                    problem: format!(
                        "unknown power unit '{symbol}'; accepted: {}",
                        Self::accepted_list()
                    ),
                });
            }
        };
        Ok(unit)
    }

    /// The canonical symbols, comma separated, for error messages.
    pub fn accepted_list() -> String {
        Self::ALL.map(PowerUnit::symbol).join(", ")
    }
}

impl std::fmt::Display for PowerUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.symbol())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_rel;

    #[test]
    fn kw_is_the_identity() {
        for v in [0.0, 1.0, 123.456, 1e-300, 1.7e308] {
            assert_eq!(PowerUnit::KW.to_kw(v), v);
        }
    }

    /// Published conversion figures, each from a source outside this code.
    #[test]
    fn factors_match_published_conversions() {
        // SI prefixes: 1 W = 0.001 kW, 1 MW = 1000 kW.
        assert_eq!(PowerUnit::W.kw_factor(), 1e-3);
        assert_eq!(PowerUnit::MW.kw_factor(), 1e3);
        // NIST SP 811 B.8: Btu_IT/h = 2.930 711 E-01 W (7 significant digits).
        assert_rel(PowerUnit::BtuPerHour.watts(), 0.293_071_1, 2e-7, "BTU/h");
        // US EIA: 1 MMBtu = 293.07107 kWh, so 1 MMBtu/h = 293.07107 kW (8 s.f.).
        assert_rel(
            PowerUnit::MMBtuPerHour.kw_factor(),
            293.071_07,
            2e-8,
            "MMBtu/h",
        );
        // Engineering rule of thumb: 3412.14 Btu/h = 1 kW (6 s.f.).
        assert_rel(
            PowerUnit::BtuPerHour.to_kw(3_412.141_633),
            1.0,
            1e-9,
            "3412.14 BTU/h",
        );
    }

    #[test]
    fn every_unit_parses_from_its_own_symbol() {
        for unit in PowerUnit::ALL {
            assert_eq!(PowerUnit::parse(unit.symbol()), Ok(unit));
        }
    }

    #[test]
    fn energy_and_unknown_symbols_are_refused_with_the_list() {
        for bad in ["kWh", "", "mW", "hp", "MMBtu"] {
            match PowerUnit::parse(bad) {
                Err(ThermoError::Invalid { field, problem }) => {
                    assert_eq!(field, "unit");
                    assert!(
                        problem.contains("MMBtu/h") && problem.contains("kW"),
                        "{problem}"
                    );
                }
                other => panic!("{bad:?} parsed as {other:?}"),
            }
        }
    }
}
