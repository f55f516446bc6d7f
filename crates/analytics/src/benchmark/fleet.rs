//! The installation's own fleet: where one facility stands among the others
//! of the same process type.
//!
//! - Quantiles (p25, median, p75) by linear interpolation between order
//!   statistics, Hyndman & Fan (*The American Statistician* 50(4), 1996)
//!   definition 7 — numpy's and R's default: h = (n − 1) p, Q = x₍⌊h⌋₎ +
//!   (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎) on the sorted values (0-based).
//! - Percentile rank of a value among the peers: 100 · (below + ½ · equal) / n
//!   (the "mean" definition of scipy.stats.percentileofscore).
//! - Withheld (no numbers, only n) below [`MIN_PEERS`] peers, so a small
//!   fleet does not reveal one facility's efficiency to another.

use serde::{Deserialize, Serialize};

use crate::error::{AnalyticsError, finite};

/// The fewest peers for which fleet statistics are shown (issue 10).
pub const MIN_PEERS: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetStatistics {
    /// Number of peers.
    pub n: usize,
    /// True below [`MIN_PEERS`]: every statistic below is `null`.
    pub withheld: bool,
    pub percentile: Option<f64>,
    pub median: Option<f64>,
    pub p25: Option<f64>,
    pub p75: Option<f64>,
}

/// `value` among `peers` (the other facilities of the same process type,
/// excluding the one benchmarked).
pub fn fleet_statistics(value: f64, peers: &[f64]) -> Result<FleetStatistics, AnalyticsError> {
    finite("efficiency_pct", value)?;
    for (i, p) in peers.iter().enumerate() {
        finite(format!("peers[{i}]"), *p)?;
    }
    let n = peers.len();
    if n < MIN_PEERS {
        return Ok(FleetStatistics {
            n,
            withheld: true,
            percentile: None,
            median: None,
            p25: None,
            p75: None,
        });
    }
    let mut sorted = peers.to_vec();
    sorted.sort_by(f64::total_cmp);
    let below = sorted.iter().filter(|p| **p < value).count() as f64;
    let equal = sorted.iter().filter(|p| **p == value).count() as f64;
    Ok(FleetStatistics {
        n,
        withheld: false,
        percentile: Some(100.0 * (below + 0.5 * equal) / n as f64),
        median: Some(quantile(&sorted, 0.5)),
        p25: Some(quantile(&sorted, 0.25)),
        p75: Some(quantile(&sorted, 0.75)),
    })
}

/// Hyndman & Fan definition 7 on sorted, non-empty values.
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}
