//! Cyclic policies: φ_{t+τ} = φ_t (implicit discrimination, model.md A.4).

use super::{PolicyContext, RewardDistribution, RewardPlan, RewardPolicy};
use crate::engine::StreamRng;

/// Pays period t from `cycle[t mod τ]`; period 0 uses the first entry.
#[derive(Debug, Clone)]
pub struct CyclicPolicy {
    cycle: Vec<RewardDistribution>,
    current: usize,
}

impl CyclicPolicy {
    /// A cycle of distributions over R (validated, non-empty).
    pub fn new(cycle: Vec<Vec<f64>>) -> Self {
        CyclicPolicy {
            cycle: cycle.into_iter().map(RewardDistribution::new).collect(),
            current: 0,
        }
    }
}

impl RewardPolicy for CyclicPolicy {
    fn name(&self) -> &str {
        "cyclic"
    }

    fn prepare(&mut self, ctx: &PolicyContext<'_>, _rng: &mut StreamRng) {
        self.current = ctx.period.rem_euclid(self.cycle.len() as i64) as usize;
    }

    fn plan(&self) -> RewardPlan<'_> {
        RewardPlan::Shared(&self.cycle[self.current])
    }

    fn stationary_distribution(&self) -> Option<&[f64]> {
        match self.cycle.as_slice() {
            [only] => Some(only.probabilities()),
            _ => None,
        }
    }

    fn cycle_length(&self) -> u32 {
        self.cycle.len() as u32
    }
}
