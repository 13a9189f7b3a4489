//! `[fairness]`: the tolerance of the built-in group-fairness check.

use serde::{Deserialize, Serialize};

use super::validate::Problems;

/// Default tolerance ε on max_{k,k',r} |q_k(r) − q_k'(r)| (model.md Part C).
pub const DEFAULT_EPSILON: f64 = 0.02;

/// `[fairness]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FairnessConfig {
    /// Largest reward-probability gap between two types still called fair.
    #[serde(default = "default_epsilon")]
    pub epsilon: f64,
}

fn default_epsilon() -> f64 {
    DEFAULT_EPSILON
}

impl Default for FairnessConfig {
    fn default() -> Self {
        FairnessConfig {
            epsilon: DEFAULT_EPSILON,
        }
    }
}

impl FairnessConfig {
    pub(crate) fn validate(&self, problems: &mut Problems) {
        problems.probability("fairness.epsilon", self.epsilon);
    }
}
