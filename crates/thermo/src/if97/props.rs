//! Turning derivatives of the dimensionless Gibbs (regions 1, 2, 5) and
//! Helmholtz (region 3) free energies into properties, once for all regions.
//! R7-97(2012) Tables 3, 12, 31 and 39 give these relations.

/// Specific gas constant of ordinary water used by IF97, kJ/(kg K) (R7-97 Eq. 1).
pub(crate) const R_KJ_KG_K: f64 = 0.461526;

/// Properties of one single-phase point, SI-ish units of the public API.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Props {
    pub pressure_mpa: f64,
    pub temperature_k: f64,
    pub density_kg_m3: f64,
    pub specific_volume_m3_kg: f64,
    pub internal_energy_kj_kg: f64,
    pub enthalpy_kj_kg: f64,
    pub entropy_kj_kg_k: f64,
    pub cp_kj_kg_k: f64,
    pub cv_kj_kg_k: f64,
    pub speed_of_sound_m_s: f64,
}

/// Derivatives of `γ = g/(RT)` with respect to reduced pressure `π` and
/// inverse reduced temperature `τ`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gibbs {
    pub g: f64,
    pub gp: f64,
    pub gpp: f64,
    pub gt: f64,
    pub gtt: f64,
    pub gpt: f64,
}

/// R7-97(2012) Tables 3, 12 and 39: properties from `γ(π, τ)`.
pub(crate) fn from_gibbs(
    pressure_mpa: f64,
    temperature_k: f64,
    pi: f64,
    tau: f64,
    d: &Gibbs,
) -> Props {
    let rt = R_KJ_KG_K * temperature_k;
    // v = π γ_π R T / p, with p in kPa to get m3/kg.
    let v = pi * d.gp * rt / (pressure_mpa * 1000.0);
    let h = rt * tau * d.gt;
    let u = rt * (tau * d.gt - pi * d.gp);
    let s = R_KJ_KG_K * (tau * d.gt - d.g);
    let cp = -R_KJ_KG_K * tau * tau * d.gtt;
    let a = d.gp - tau * d.gpt;
    let cv = R_KJ_KG_K * (-tau * tau * d.gtt + a * a / d.gpp);
    let w2 = 1000.0 * rt * d.gp * d.gp / (a * a / (tau * tau * d.gtt) - d.gpp);
    Props {
        pressure_mpa,
        temperature_k,
        density_kg_m3: 1.0 / v,
        specific_volume_m3_kg: v,
        internal_energy_kj_kg: u,
        enthalpy_kj_kg: h,
        entropy_kj_kg_k: s,
        cp_kj_kg_k: cp,
        cv_kj_kg_k: cv,
        speed_of_sound_m_s: w2.sqrt(),
    }
}

/// Derivatives of `φ = f/(RT)` with respect to reduced density `δ` and
/// inverse reduced temperature `τ`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Helmholtz {
    pub f: f64,
    pub fd: f64,
    pub fdd: f64,
    pub ft: f64,
    pub ftt: f64,
    pub fdt: f64,
}

/// R7-97(2012) Table 31: properties from `φ(δ, τ)`.
pub(crate) fn from_helmholtz(
    density_kg_m3: f64,
    temperature_k: f64,
    delta: f64,
    tau: f64,
    d: &Helmholtz,
) -> Props {
    let rt = R_KJ_KG_K * temperature_k;
    let p = density_kg_m3 * rt * delta * d.fd / 1000.0;
    let u = rt * tau * d.ft;
    let h = rt * (tau * d.ft + delta * d.fd);
    let s = R_KJ_KG_K * (tau * d.ft - d.f);
    let cv = -R_KJ_KG_K * tau * tau * d.ftt;
    let a = delta * d.fd - delta * tau * d.fdt;
    let b = 2.0 * delta * d.fd + delta * delta * d.fdd;
    let cp = R_KJ_KG_K * (-tau * tau * d.ftt + a * a / b);
    let w2 = 1000.0 * rt * (b - a * a / (tau * tau * d.ftt));
    Props {
        pressure_mpa: p,
        temperature_k,
        density_kg_m3,
        specific_volume_m3_kg: 1.0 / density_kg_m3,
        internal_energy_kj_kg: u,
        enthalpy_kj_kg: h,
        entropy_kj_kg_k: s,
        cp_kj_kg_k: cp,
        cv_kj_kg_k: cv,
        speed_of_sound_m_s: w2.sqrt(),
    }
}
