//! Static policies: one φ every period (`static`, `fixed`, `lottery`).

use super::{PolicyContext, RewardDistribution, RewardPlan, RewardPolicy};
use crate::engine::StreamRng;

/// Pays everyone an i.i.d. draw from the same φ in every period.
#[derive(Debug, Clone)]
pub struct StaticPolicy {
    name: String,
    distribution: RewardDistribution,
}

impl StaticPolicy {
    /// A static policy with distribution `phi` over R.
    pub fn new(name: impl Into<String>, phi: Vec<f64>) -> Self {
        StaticPolicy {
            name: name.into(),
            distribution: RewardDistribution::new(phi),
        }
    }

    /// `fixed`: everyone is paid reward index `index` of `len` rewards.
    pub fn fixed(index: usize, len: usize) -> Self {
        StaticPolicy {
            name: "fixed".into(),
            distribution: RewardDistribution::point_mass(index, len),
        }
    }

    /// `lottery`: low with probability 1 − x, high with x, where the mean is
    /// (1 − x)·R[low] + x·R[high].
    pub fn lottery(rewards: &[f64], low: usize, high: usize, mean: f64) -> Self {
        let x = ((mean - rewards[low]) / (rewards[high] - rewards[low])).clamp(0.0, 1.0);
        let mut phi = vec![0.0; rewards.len()];
        phi[low] += 1.0 - x;
        phi[high] += x;
        StaticPolicy::new("lottery", phi)
    }
}

impl RewardPolicy for StaticPolicy {
    fn name(&self) -> &str {
        &self.name
    }

    fn prepare(&mut self, _ctx: &PolicyContext<'_>, _rng: &mut StreamRng) {}

    fn plan(&self) -> RewardPlan<'_> {
        RewardPlan::Shared(&self.distribution)
    }

    fn stationary_distribution(&self) -> Option<&[f64]> {
        Some(self.distribution.probabilities())
    }
}
