//! The physics of each improvement measure, derived from the calculation's
//! own analysis (its fuel, flue gas, surfaces, blowdown and water states).
//! Every measure returns the fuel input it saves, kW on the calculation's
//! heating-value basis, with what it assumed.

use std::collections::BTreeMap;

use thermo::boiler::{BoilerSpec, FurnaceSpec, ProcessResult, ProcessSpec};
use thermo::combustion::{CombustionConditions, CombustionResult, FlueGasSpec, combustion_of};
use thermo::fuels::{Fuel, FuelKind, M_H2O};
use thermo::heat_transfer::{SurfaceSpec, surface_loss};
use thermo::if97;

/// What a measure costs, before prices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CostBasis {
    /// A fixed installation (controls, a flash tank).
    Fixed,
    /// Proportional to the fuel saved, kW.
    PerKwSaved(f64),
    /// Insulation: area m² and thickness m.
    Insulation { area_m2: f64, thickness_m: f64 },
}

/// One measure's physics.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MeasurePhysics {
    pub id: &'static str,
    pub title: &'static str,
    pub applicable: bool,
    pub reason: String,
    pub fuel_saved_kw: f64,
    pub parameters: BTreeMap<&'static str, f64>,
    pub cost: CostBasis,
}

impl MeasurePhysics {
    fn not_applicable(id: &'static str, title: &'static str, reason: String) -> Self {
        Self {
            id,
            title,
            applicable: false,
            reason,
            fuel_saved_kw: 0.0,
            parameters: BTreeMap::new(),
            cost: CostBasis::Fixed,
        }
    }
}

/// Target O2 in the dry flue gas after trim, % (U.S. DOE *Steam Tip Sheet
/// #4*, "Improve your boiler's combustion efficiency", typical optimum
/// excess air: natural gas 5–10 % ≈ 1–2 % O2, No. 2 oil 10–15 % ≈ 2–3 %
/// O2, coal 15–20 % ≈ 3–3.5 % O2; upper ends taken; biomass assumed 4.5 %).
pub(crate) fn default_target_o2(kind: FuelKind) -> f64 {
    match kind {
        FuelKind::Gas => 2.0,
        FuelKind::Liquid => 3.0,
        FuelKind::Solid => 3.5,
        FuelKind::Biomass => 4.5,
    }
}

/// Sulfuric-acid dew point, °C, by Verhoff & Banchero, *Chem. Eng. Prog.*
/// 70(8) (1974) 71: `1000/T = 2.276 − 0.0294 ln p_H2O − 0.0858 ln p_SO3 +
/// 0.0062 ln p_H2O ln p_SO3`, T in K, partial pressures in mmHg.
pub fn acid_dew_point_c(h2o_vol_frac: f64, so3_vol_frac: f64) -> Option<f64> {
    if h2o_vol_frac <= 0.0 || so3_vol_frac <= 0.0 {
        return None;
    }
    let (pw, ps) = (h2o_vol_frac * 760.0, so3_vol_frac * 760.0);
    let inv = 2.276 - 0.0294 * pw.ln() - 0.0858 * ps.ln() + 0.0062 * pw.ln() * ps.ln();
    Some(1000.0 / inv - 273.15)
}

/// Share of the fuel sulfur that leaves as SO3 (assumed 2 %; 1–5 % is the
/// usual range for oil and coal firing, Verhoff & Banchero 1974).
pub(crate) const SO3_SHARE_OF_SOX: f64 = 0.02;

/// Margin kept above a dew point at the economizer outlet, K (assumed).
const DEW_POINT_MARGIN_K: f64 = 10.0;
/// Approach between flue gas out and feedwater in, K (assumed).
const ECONOMIZER_APPROACH_K: f64 = 20.0;
/// Approach of a condensing economizer to its return water, K (assumed).
const CONDENSING_APPROACH_K: f64 = 10.0;
/// Thermal conductivity of mineral-wool insulation near 50–100 °C mean,
/// W/(m K) (EN ISO 12241 / VDI 2055 typical 0.035–0.045; 0.04 assumed).
pub(crate) const INSULATION_K_W_M_K: f64 = 0.04;

/// The fired process behind a boiler or furnace calculation.
pub(crate) struct Fired<'a> {
    pub fuel: Fuel,
    pub flue: FlueGasSpec,
    pub cond: CombustionConditions,
    pub combustion: &'a CombustionResult,
    pub result: &'a ProcessResult,
    pub surfaces: &'a [SurfaceSpec],
    pub ambient_c: f64,
    pub boiler: Option<&'a BoilerSpec>,
    /// The last combustion balance at another flue-gas temperature (the
    /// economizer outlet is also the condensing inlet).
    cache: std::cell::RefCell<Option<(f64, CombustionResult)>>,
}

impl<'a> Fired<'a> {
    pub(crate) fn new(spec: &'a ProcessSpec, result: &'a ProcessResult) -> Option<Self> {
        let combustion = result.combustion.as_ref()?;
        let (fuel, flue, cond, surfaces, ambient, boiler) = match spec {
            ProcessSpec::Boiler(b) => (
                b.fuel.fuel_spec(),
                b.flue_gas?,
                conditions_of_boiler(b),
                &b.surfaces[..],
                b.ambient_temperature_c,
                Some(b),
            ),
            ProcessSpec::Furnace(f) => (
                f.fuel.fuel_spec(),
                f.flue_gas,
                conditions_of_furnace(f),
                &f.surfaces[..],
                f.ambient_temperature_c,
                None,
            ),
            _ => return None,
        };
        Some(Self {
            fuel: fuel.resolve("process.fuel").ok()?,
            flue,
            cond,
            combustion,
            result,
            surfaces,
            ambient_c: ambient.unwrap_or(25.0),
            boiler,
            cache: std::cell::RefCell::new(None),
        })
    }

    /// Combustion balance at flue-gas temperature `t_c` (same O2), cached once.
    fn combustion_at(&self, t_c: f64) -> Option<CombustionResult> {
        if let Some((t, r)) = self.cache.borrow().as_ref()
            && *t == t_c
        {
            return Some(r.clone());
        }
        let mut flue = self.flue;
        flue.temperature_c = t_c;
        let r = combustion_of(&self.fuel, &flue, &self.cond).ok()?;
        *self.cache.borrow_mut() = Some((t_c, r.clone()));
        Some(r)
    }

    /// Available heat at another flue-gas temperature and/or O2.
    fn available_heat_at(&self, t_c: f64, o2: Option<f64>) -> Option<f64> {
        if o2.is_none() {
            return self.combustion_at(t_c).map(|r| r.available_heat_pct);
        }
        let mut flue = self.flue;
        flue.temperature_c = t_c;
        if let Some(o2) = o2 {
            flue.o2_pct_dry = Some(o2);
            flue.o2_pct_wet = None;
            flue.excess_air_pct = None;
        }
        combustion_of(&self.fuel, &flue, &self.cond)
            .ok()
            .map(|r| r.available_heat_pct)
    }

    /// Fuel saved when the available heat rises from `ah_old` to `ah_new`:
    /// the useful output and the absolute losses stay, so the input scales
    /// as ah_old / ah_new (the heat-loss balance of ASME PTC 4).
    fn saved(&self, ah_old: f64, ah_new: f64) -> f64 {
        self.result.input_kw * (1.0 - ah_old / ah_new)
    }

    fn efficiency_fraction(&self) -> f64 {
        self.result
            .input_output
            .or(self.result.heat_loss)
            .map_or(0.8, |m| m.efficiency_pct / 100.0)
    }
}

fn conditions_of_boiler(b: &BoilerSpec) -> CombustionConditions {
    CombustionConditions {
        combustion_air_temperature_c: b.combustion_air_temperature_c,
        fuel_temperature_c: b.fuel_temperature_c,
        ambient_temperature_c: b.ambient_temperature_c,
        air_moisture: b.air_moisture,
        unburned_carbon_in_ash_pct: b.unburned_carbon_in_ash_pct,
        basis: b.basis,
    }
}

fn conditions_of_furnace(f: &FurnaceSpec) -> CombustionConditions {
    CombustionConditions {
        combustion_air_temperature_c: f.combustion_air_temperature_c,
        fuel_temperature_c: f.fuel_temperature_c,
        ambient_temperature_c: f.ambient_temperature_c,
        air_moisture: f.air_moisture,
        unburned_carbon_in_ash_pct: f.unburned_carbon_in_ash_pct,
        basis: f.basis,
    }
}

/// An `f64` for messages with a fixed number of decimals (`{:.1}`), formatted
/// from the rounded integer: `f64`'s exact-precision formatting took a tenth
/// of the whole appraisal. A tie may round the other way than `{:.1}`'s
/// exact binary expansion (`tests::fixed_is_within_half_a_unit`); these are
/// human-readable reasons, never stored figures.
pub(crate) struct Fixed(pub f64);

impl std::fmt::Display for Fixed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        match f.precision() {
            Some(dp @ 0..=6) if x.is_finite() && x.abs() < 1e12 => {
                let scale = 10u64.pow(dp as u32);
                let n = (x * scale as f64).round();
                let sign = if n < 0.0 { "-" } else { "" };
                let n = n.abs() as u64;
                if dp == 0 {
                    write!(f, "{sign}{n}")
                } else {
                    write!(f, "{sign}{}.{:0dp$}", n / scale, n % scale)
                }
            }
            _ => std::fmt::Display::fmt(&x, f),
        }
    }
}

/// Excess-air trim to the target O2 at the same flue-gas temperature.
pub(crate) fn excess_air_trim(f: &Fired, target: Option<f64>) -> MeasurePhysics {
    let (id, title) = ("excess_air_trim", "Trim excess air (O2 trim control)");
    let target = target.unwrap_or_else(|| default_target_o2(f.fuel.kind));
    let now = f.combustion.flue_gas.o2_pct_dry;
    if now <= target + 0.5 {
        return MeasurePhysics::not_applicable(
            id,
            title,
            format!(
                "O2 is {now:.2} % dry, already within 0.5 point of the {target} % target",
                now = Fixed(now)
            ),
        );
    }
    let Some(ah) = f.available_heat_at(f.flue.temperature_c, Some(target)) else {
        return MeasurePhysics::not_applicable(
            id,
            title,
            "the target O2 cannot be analysed".into(),
        );
    };
    let saved = f.saved(f.combustion.available_heat_pct, ah);
    MeasurePhysics {
        id,
        title,
        applicable: saved > 0.0,
        reason: format!(
            "O2 from {now:.2} % to {target} % dry at the same flue-gas temperature; keep CO under control while trimming",
            now = Fixed(now)
        ),
        fuel_saved_kw: saved.max(0.0),
        parameters: BTreeMap::from([
            ("o2_now_pct_dry", now),
            ("o2_target_pct_dry", target),
            ("available_heat_now_pct", f.combustion.available_heat_pct),
            ("available_heat_after_pct", ah),
        ]),
        cost: CostBasis::Fixed,
    }
}

/// The lowest economizer outlet temperature, °C: the acid (or, without
/// sulfur, the water) dew point plus a margin, and for a boiler not below
/// the feedwater temperature plus the approach.
pub(crate) fn economizer_outlet_c(f: &Fired) -> (f64, BTreeMap<&'static str, f64>) {
    let g = &f.combustion.flue_gas;
    let wet = g.composition_vol_pct_wet;
    let acid = acid_dew_point_c(wet.h2o / 100.0, wet.so2 / 100.0 * SO3_SHARE_OF_SOX);
    let water = g.water_dew_point_c.unwrap_or(0.0);
    let dew = acid.unwrap_or(water).max(water);
    let mut params = BTreeMap::from([("water_dew_point_c", water)]);
    if let Some(a) = acid {
        params.insert("acid_dew_point_c", a);
    }
    let mut target = dew + DEW_POINT_MARGIN_K;
    if let Some(fw) = f
        .result
        .streams
        .iter()
        .find(|s| s.name == "feedwater")
        .map(|s| s.temperature_c)
    {
        params.insert("feedwater_temperature_c", fw);
        target = target.max(fw + ECONOMIZER_APPROACH_K);
    }
    params.insert("outlet_temperature_c", target);
    (target, params)
}

/// Economizer / flue-gas heat recovery down to the dew-point limit.
pub(crate) fn economizer(f: &Fired) -> MeasurePhysics {
    let (id, title) = (
        "economizer",
        "Flue-gas heat recovery (economizer) to the dew-point limit",
    );
    let (target, mut params) = economizer_outlet_c(f);
    let now = f.flue.temperature_c;
    if now - target < 10.0 {
        return MeasurePhysics::not_applicable(
            id,
            title,
            format!(
                "flue gas leaves at {now:.1} °C, within 10 K of the {target:.1} °C limit",
                now = Fixed(now),
                target = Fixed(target)
            ),
        );
    }
    let Some(ah) = f.available_heat_at(target, None) else {
        return MeasurePhysics::not_applicable(
            id,
            title,
            "the outlet state cannot be analysed".into(),
        );
    };
    let saved = f.saved(f.combustion.available_heat_pct, ah);
    params.insert("flue_gas_now_c", now);
    MeasurePhysics {
        id,
        title,
        applicable: saved > 0.0,
        reason: format!(
            "cool the flue gas from {now:.1} °C to {target:.1} °C (dew point + {DEW_POINT_MARGIN_K} K; feedwater + {ECONOMIZER_APPROACH_K} K)",
            now = Fixed(now),
            target = Fixed(target)
        ),
        fuel_saved_kw: saved.max(0.0),
        parameters: params,
        cost: CostBasis::PerKwSaved(saved.max(0.0)),
    }
}

/// Condensing recovery for gas fuels: from the economizer outlet (or the
/// present temperature) down to the return water + approach, with the latent
/// heat of the water condensed (saturation at the outlet, Dalton's law).
pub(crate) fn condensing(f: &Fired, return_water_c: Option<f64>) -> MeasurePhysics {
    let (id, title) = (
        "condensing_recovery",
        "Condensing heat recovery (gas fuels)",
    );
    if f.fuel.kind != FuelKind::Gas {
        return MeasurePhysics::not_applicable(
            id,
            title,
            "condensing recovery is assessed for gas fuels only".into(),
        );
    }
    let t_c = return_water_c.unwrap_or(30.0) + CONDENSING_APPROACH_K;
    let dew = f.combustion.flue_gas.water_dew_point_c.unwrap_or(0.0);
    if t_c >= dew - 2.0 {
        return MeasurePhysics::not_applicable(
            id,
            title,
            format!(
                "the outlet {t_c:.1} °C is not below the water dew point {dew:.1} °C",
                t_c = Fixed(t_c),
                dew = Fixed(dew)
            ),
        );
    }
    let (econ, _) = economizer_outlet_c(f);
    let start = econ.min(f.flue.temperature_c);
    let lo = {
        let mut flue = f.flue;
        flue.temperature_c = t_c.max(25.0);
        combustion_of(&f.fuel, &flue, &f.cond).ok()
    };
    let (Some(hi), Some(lo)) = (f.combustion_at(start), lo) else {
        return MeasurePhysics::not_applicable(
            id,
            title,
            "the outlet state cannot be analysed".into(),
        );
    };
    let sensible = hi.losses_kj_per_kg_fuel.total - lo.losses_kj_per_kg_fuel.total;
    let k = lo.flue_gas.species_kg_per_kg_fuel;
    let n_v = k.h2o / M_H2O;
    let n_dry = lo.flue_gas.dry_mass_kg_per_kg_fuel
        / (lo.flue_gas.composition_vol_pct_dry.co2 / 100.0 * 44.009
            + lo.flue_gas.composition_vol_pct_dry.o2 / 100.0 * 31.998
            + lo.flue_gas.composition_vol_pct_dry.n2 / 100.0 * 28.014
            + lo.flue_gas.composition_vol_pct_dry.ar / 100.0 * 39.948
            + lo.flue_gas.composition_vol_pct_dry.so2 / 100.0 * 64.058
            + lo.flue_gas.composition_vol_pct_dry.co / 100.0 * 28.010);
    let ps = if97::saturation_pressure_mpa(t_c + 273.15).unwrap_or(0.0) * 1000.0;
    let n_sat = n_dry * ps / (101.325 - ps);
    let condensed = ((n_v - n_sat) * M_H2O).max(0.0);
    let h_fg = if97::saturated_vapour_at_temperature(t_c + 273.15)
        .and_then(|v| {
            if97::saturated_liquid_at_temperature(t_c + 273.15)
                .map(|l| v.enthalpy_kj_kg - l.enthalpy_kj_kg)
        })
        .unwrap_or(0.0);
    // The vapour's sensible heat down to T_c is in `sensible`; the
    // condensate's latent heat is recovered on top.
    let recovered = sensible + condensed * h_fg;
    let ah_start = hi.available_heat_pct;
    let ah_new = ah_start + recovered / hi.heating_value_kj_kg * 100.0;
    let saved =
        f.result.input_kw * f.combustion.available_heat_pct / ah_start * (1.0 - ah_start / ah_new);
    MeasurePhysics {
        id,
        title,
        applicable: saved > 0.0,
        reason: format!(
            "cool the flue gas from {start:.1} °C (after the economizer limit) to {t_c:.1} °C, condensing {:.0} % of its water; needs a heat sink at {:.0} °C",
            Fixed(condensed / (n_v * M_H2O).max(1e-12) * 100.0),
            Fixed(t_c - CONDENSING_APPROACH_K),
            start = Fixed(start),
            t_c = Fixed(t_c),
        ),
        fuel_saved_kw: saved.max(0.0),
        parameters: BTreeMap::from([
            ("inlet_temperature_c", start),
            ("outlet_temperature_c", t_c),
            ("water_condensed_kg_per_kg_fuel", condensed),
        ]),
        cost: CostBasis::PerKwSaved(saved.max(0.0)),
    }
}

/// Insulation of hot surfaces above the target surface temperature, at the
/// larger of the thickness reaching the target and the economic thickness.
///
/// Flat-wall model: the present surface temperature T_s is taken as the hot
/// face, outer coefficient h_o (radiation + convection at the target, from
/// [`thermo::heat_transfer`]), `q(x) = (T_s − T_a) / (x/k + 1/h_o)`.
/// Economic thickness minimises `q(x) H c_h + c₁ x CRF` (heat cost c_h per
/// Wh lost, insulation cost c₁ per m³, capital recovery factor CRF):
/// `x_e = √((T_s − T_a) k H c_h / (c₁ CRF)) − k/h_o` (the classical
/// result, e.g. Kreith & Bohn, *Principles of Heat Transfer*, §2.4;
/// VDI 2055 Part 1).
pub(crate) fn insulation(
    surfaces: &[SurfaceSpec],
    ambient_c: f64,
    target_c: f64,
    heat_cost_per_wh: f64,
    insulation_cost_per_m3: f64,
    crf: f64,
    hours: f64,
) -> MeasurePhysics {
    let (id, title) = ("insulation", "Insulate hot surfaces");
    let k = INSULATION_K_W_M_K;
    let (mut saved_w, mut area, mut volume) = (0.0, 0.0, 0.0);
    let mut count = 0.0;
    for s in surfaces {
        let ta = s.ambient_temperature_c.unwrap_or(ambient_c);
        if s.temperature_c <= target_c + 5.0 || target_c <= ta {
            continue;
        }
        let (Ok(now), Ok(at_target)) = (
            surface_loss(s, ambient_c, "surface"),
            surface_loss(
                &SurfaceSpec {
                    temperature_c: target_c,
                    ..*s
                },
                ambient_c,
                "surface",
            ),
        ) else {
            continue;
        };
        let h_o = at_target.total_w / (s.area_m2 * (target_c - ta));
        let dt = s.temperature_c - ta;
        let x_target = k * (dt / (h_o * (target_c - ta)) - 1.0 / h_o);
        let x_econ = if insulation_cost_per_m3 > 0.0 && crf > 0.0 {
            (dt * k * hours * heat_cost_per_wh / (insulation_cost_per_m3 * crf)).sqrt() - k / h_o
        } else {
            0.0
        };
        let x = x_target.max(x_econ).max(0.0);
        let after = s.area_m2 * dt / (x / k + 1.0 / h_o);
        saved_w += (now.total_w - after).max(0.0);
        area += s.area_m2;
        volume += s.area_m2 * x;
        count += 1.0;
    }
    if count == 0.0 {
        return MeasurePhysics::not_applicable(
            id,
            title,
            format!(
                "no measured surface is hotter than {:.0} °C",
                Fixed(target_c + 5.0)
            ),
        );
    }
    let thickness = volume / area;
    MeasurePhysics {
        id,
        title,
        applicable: saved_w > 0.0,
        reason: format!(
            "{count} surface(s), {area:.1} m², to at most {target_c} °C outside; mean thickness {:.0} mm of k = {k} W/(m K) insulation (flat-wall model)",
            Fixed(thickness * 1000.0),
            area = Fixed(area),
        ),
        fuel_saved_kw: 0.0, // set by the caller from the heat saved and the efficiency
        parameters: BTreeMap::from([
            ("heat_loss_saved_kw", saved_w / 1000.0),
            ("area_m2", area),
            ("mean_thickness_m", thickness),
            ("target_surface_temperature_c", target_c),
        ]),
        cost: CostBasis::Insulation {
            area_m2: area,
            thickness_m: thickness,
        },
    }
}

/// Blowdown heat recovery (flash tank + heat exchanger): blowdown cooled
/// from its saturated state to the make-up water temperature + 10 K.
pub(crate) fn blowdown(f: &Fired, makeup_c: f64) -> MeasurePhysics {
    let (id, title) = (
        "blowdown_recovery",
        "Blowdown heat recovery (flash tank and heat exchanger)",
    );
    let Some(bd) = f.result.blowdown.filter(|b| b.mass_flow_kg_h > 0.0) else {
        return MeasurePhysics::not_applicable(id, title, "no blowdown in this calculation".into());
    };
    let t_drain = makeup_c + 10.0;
    let Ok(drain) = if97::props_pt(0.101_325, t_drain + 273.15) else {
        return MeasurePhysics::not_applicable(id, title, "drain state outside IAPWS-IF97".into());
    };
    let q_kw = bd.mass_flow_kg_h / 3600.0 * (bd.enthalpy_kj_kg - drain.enthalpy_kj_kg);
    let saved = q_kw / f.efficiency_fraction();
    MeasurePhysics {
        id,
        title,
        applicable: q_kw > 0.0,
        reason: format!(
            "recover {q_kw:.1} kW from {:.0} kg/h of blowdown down to {t_drain:.0} °C into make-up water",
            Fixed(bd.mass_flow_kg_h),
            q_kw = Fixed(q_kw),
            t_drain = Fixed(t_drain),
        ),
        fuel_saved_kw: saved.max(0.0),
        parameters: BTreeMap::from([
            ("heat_recovered_kw", q_kw),
            ("drain_temperature_c", t_drain),
        ]),
        cost: CostBasis::Fixed,
    }
}

/// More condensate returned instead of cold make-up water.
pub(crate) fn condensate_return(
    f: &Fired,
    current_pct: f64,
    target_pct: f64,
    condensate_c: f64,
    makeup_c: f64,
) -> MeasurePhysics {
    let (id, title) = ("condensate_return", "Return more condensate");
    if f.boiler.is_none() {
        return MeasurePhysics::not_applicable(
            id,
            title,
            "condensate return applies to boilers".into(),
        );
    }
    if target_pct <= current_pct {
        return MeasurePhysics::not_applicable(
            id,
            title,
            "the target return is not above the present one".into(),
        );
    }
    let Some(fw) = f.result.streams.iter().find(|s| s.name == "feedwater") else {
        return MeasurePhysics::not_applicable(id, title, "no feedwater stream".into());
    };
    let (Ok(c), Ok(m)) = (
        if97::props_pt(0.101_325, condensate_c + 273.15),
        if97::props_pt(0.101_325, makeup_c + 273.15),
    ) else {
        return MeasurePhysics::not_applicable(
            id,
            title,
            "condensate or make-up state outside IAPWS-IF97".into(),
        );
    };
    let extra = fw.mass_flow_kg_h / 3600.0 * (target_pct - current_pct) / 100.0;
    let q_kw = extra * (c.enthalpy_kj_kg - m.enthalpy_kj_kg);
    let saved = q_kw / f.efficiency_fraction();
    MeasurePhysics {
        id,
        title,
        applicable: q_kw > 0.0,
        reason: format!(
            "return {:.0} kg/h more condensate at {condensate_c} °C instead of make-up at {makeup_c} °C (water and treatment savings not counted)",
            Fixed(extra * 3600.0)
        ),
        fuel_saved_kw: saved.max(0.0),
        parameters: BTreeMap::from([
            ("heat_kept_kw", q_kw),
            ("extra_condensate_kg_h", extra * 3600.0),
        ]),
        cost: CostBasis::PerKwSaved(saved.max(0.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::Fixed;
    use proptest::prelude::*;

    proptest! {
        /// Against `f64`'s own exact formatting: the same text, or (at a tie
        /// of the decimal rounding) one unit of the last decimal away.
        #[test]
        fn fixed_is_within_half_a_unit(x in -1e9f64..1e9, dp in 0usize..4) {
            let ours = format!("{:.dp$}", Fixed(x));
            let std = format!("{x:.dp$}");
            if ours != std {
                let unit = 10f64.powi(-(dp as i32));
                let (a, b): (f64, f64) = (ours.parse().unwrap(), std.parse().unwrap());
                prop_assert!((a - b).abs() <= unit * 1.000001, "{ours} vs {std}");
                prop_assert!((a - x).abs() <= unit * 0.500001 + x.abs() * 1e-15, "{ours} for {x}");
            }
        }
    }

    #[test]
    fn fixed_spells_like_std_in_ordinary_cases() {
        for (x, dp, text) in [
            (230.0, 1, "230.0"),
            (5.994, 2, "5.99"),
            (-0.5, 0, "-1"),
            (1e15, 1, "1000000000000000.0"),
        ] {
            assert_eq!(format!("{:.dp$}", Fixed(x)), text);
        }
        assert_eq!(format!("{}", Fixed(0.1)), "0.1");
    }
}
