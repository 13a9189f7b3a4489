//! `[rewards]`: the finite reward set R and the money cost of a token.

use serde::{Deserialize, Serialize};

use super::validate::Problems;

/// Largest reward set the engine stores (reward indices are stored in a byte).
pub const MAX_REWARDS: usize = 255;

/// `[rewards]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardsConfig {
    /// The reward set R, in tokens, strictly increasing and non-negative.
    pub values: Vec<f64>,
    /// Money cost c of one reward token.
    #[serde(default = "default_cost")]
    pub cost_per_token: f64,
}

fn default_cost() -> f64 {
    1.0
}

impl RewardsConfig {
    pub(crate) fn validate(&self, problems: &mut Problems) {
        let values = &self.values;
        if values.is_empty() {
            problems.push("rewards.values", "a non-empty list of rewards");
        }
        if values.len() > MAX_REWARDS {
            problems.push(
                "rewards.values",
                format!("at most {MAX_REWARDS} rewards, got {}", values.len()),
            );
        }
        for (i, &r) in values.iter().enumerate() {
            if !(r.is_finite() && r >= 0.0) {
                problems.push(
                    format!("rewards.values.{i}"),
                    format!("a finite reward >= 0, got {r}"),
                );
            }
        }
        if values.windows(2).any(|w| w[1] <= w[0]) {
            problems.push("rewards.values", "strictly increasing rewards");
        }
        problems.non_negative("rewards.cost_per_token", self.cost_per_token);
    }
}
