//! Options mirroring the service settings `SANKEY_*`.

use serde::{Deserialize, Serialize};

use crate::SankeyError;

/// How a diagram is validated and simplified. Defaults are the service's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SankeyOptions {
    /// `SANKEY_MAX_NODES`: met by folding the smallest flows into "Other …".
    pub max_nodes: usize,
    /// `SANKEY_MAX_LINKS`: met the same way.
    pub max_links: usize,
    /// `SANKEY_AGGREGATE_SMALL_FLOWS`: fold flows below the threshold on request.
    pub aggregate_small_flows: bool,
    /// `SANKEY_SMALL_FLOW_THRESHOLD`: share of total input (0–1).
    pub small_flow_threshold: f64,
    /// `SANKEY_VALIDATE_FLOWS`: check conservation at every intermediate node.
    pub validate_flows: bool,
    /// `SANKEY_ALLOW_CIRCULAR_FLOWS`: draw declared recycles as return loops.
    pub allow_circular_flows: bool,
    /// `ENERGY_BALANCE_THRESHOLD`: allowed imbalance of an intermediate node,
    /// as a share of its inflow (0–1).
    pub balance_threshold: f64,
}

impl Default for SankeyOptions {
    fn default() -> Self {
        SankeyOptions {
            max_nodes: 50,
            max_links: 100,
            aggregate_small_flows: false,
            small_flow_threshold: 0.01,
            validate_flows: true,
            allow_circular_flows: false,
            balance_threshold: 0.05,
        }
    }
}

impl SankeyOptions {
    /// Checks every option is inside its range.
    pub fn validate(&self) -> Result<(), SankeyError> {
        if self.max_nodes < 3 {
            return Err(invalid("max_nodes", self.max_nodes, "must be >= 3"));
        }
        if self.max_links < 2 {
            return Err(invalid("max_links", self.max_links, "must be >= 2"));
        }
        if !(self.small_flow_threshold.is_finite()
            && (0.0..1.0).contains(&self.small_flow_threshold))
        {
            return Err(invalid(
                "small_flow_threshold",
                self.small_flow_threshold,
                "must be a finite share in [0, 1)",
            ));
        }
        if !(self.balance_threshold.is_finite() && (0.0..=1.0).contains(&self.balance_threshold)) {
            return Err(invalid(
                "balance_threshold",
                self.balance_threshold,
                "must be a finite share in [0, 1]",
            ));
        }
        Ok(())
    }
}

fn invalid(name: &'static str, value: impl ToString, rule: &'static str) -> SankeyError {
    SankeyError::InvalidOption {
        name,
        value: value.to_string(),
        rule,
    }
}
