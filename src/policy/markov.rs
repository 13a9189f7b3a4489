//! Two-period joint policies (the paper's Appendix G): every agent's reward
//! is drawn given the reward it was paid the period before, so the joint
//! distribution ψ(r_t, r_{t−1}) the platform pays is the same every period
//! — "static" in the space of joint policies — while agents of one period
//! are paid differently (criterion 1 fails by design).
//!
//! Example: the transition [[0, 1], [1, 0]] with newcomers paid 50/50 lets
//! every agent alternate on its own clock. It reproduces, per type, the
//! veterans and reward pairs of the alternating cycle (the construction
//! behind Theorem G.2) with a constant total population.

use super::{AgentRewardView, PolicyContext, RewardDistribution, RewardPlan, RewardPolicy};
use crate::engine::StreamRng;

/// Pays newcomers from `initial` and everyone else from `transition[j]`,
/// j the index of the reward it was paid last period.
#[derive(Debug, Clone)]
pub struct MarkovPolicy {
    initial: RewardDistribution,
    transition: Vec<RewardDistribution>,
}

impl MarkovPolicy {
    /// A validated transition matrix (M rows over R) and the newcomers'
    /// distribution (default: [`long_run_distribution`]).
    pub fn new(transition: Vec<Vec<f64>>, initial: Option<Vec<f64>>) -> Self {
        let initial = initial.unwrap_or_else(|| long_run_distribution(&transition));
        MarkovPolicy {
            initial: RewardDistribution::new(initial),
            transition: transition
                .into_iter()
                .map(RewardDistribution::new)
                .collect(),
        }
    }
}

/// The Cesàro average of the chain's distribution from the uniform start:
/// the stationary distribution, also for periodic chains (where the plain
/// powers oscillate).
pub fn long_run_distribution(transition: &[Vec<f64>]) -> Vec<f64> {
    let m = transition.len();
    let mut current = vec![1.0 / m as f64; m];
    let mut sum = vec![0.0; m];
    let steps = 10_000;
    for _ in 0..steps {
        sum.iter_mut().zip(&current).for_each(|(s, c)| *s += c);
        let mut next = vec![0.0; m];
        for (j, row) in transition.iter().enumerate() {
            for (i, p) in row.iter().enumerate() {
                next[i] += current[j] * p;
            }
        }
        current = next;
    }
    let total: f64 = sum.iter().sum();
    sum.iter().map(|s| s / total).collect()
}

impl RewardPolicy for MarkovPolicy {
    fn name(&self) -> &str {
        "markov"
    }

    fn prepare(&mut self, _ctx: &PolicyContext<'_>, _rng: &mut StreamRng) {}

    fn plan(&self) -> RewardPlan<'_> {
        RewardPlan::PerAgent
    }

    fn assign_rewards(&self, agents: AgentRewardView<'_>, rewards: &mut [u8], rng: &mut StreamRng) {
        for ((reward, &tenure), &history) in
            rewards.iter_mut().zip(agents.tenure).zip(agents.history)
        {
            *reward = if tenure == 0 {
                self.initial.sample(rng)
            } else {
                self.transition[agents.layout.get(history, 0)].sample(rng)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_run_distribution_of_a_periodic_chain() {
        let pi = long_run_distribution(&[vec![0.0, 1.0], vec![1.0, 0.0]]);
        assert!((pi[0] - 0.5).abs() < 1e-12);
        // Two-state chain: π = (b, a)/(a + b) for P = [[1−a, a], [b, 1−b]].
        let pi = long_run_distribution(&[vec![0.7, 0.3], vec![0.1, 0.9]]);
        assert!((pi[0] - 0.25).abs() < 1e-3, "{pi:?}");
    }
}
