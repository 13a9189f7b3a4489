//! The belief-based policy (explicit discrimination; model.md A.4, the
//! paper's Algorithm 1 as reconstructed).
//!
//! Every newcomer is paid the probe reward. An agent who stays is updated by
//! Bayes: its log-likelihood under type k grows by ln(1 − p_k(r)) for every
//! period it stayed after being paid r, and the posterior of type k is
//! ∝ λ_k·exp(L_k). Agents whose posterior of the cheap type reaches the
//! threshold are "believed cheap"; the oldest of them, up to the target
//! stock, are paid the retaining reward, and everyone else the lowest reward.
//!
//! The stock is counted per tenure while paying (integer counts added
//! across chunks, so the result is independent of threads) and the next
//! period's tenure cut-off is chosen from it: veterans are kept, the newest
//! identified agents are let go once the stock is full. The likelihood uses
//! the memoryless p_k(r); with reward memory it is an approximation.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{AgentRewardView, PolicyContext, RewardPlan, RewardPolicy};
use crate::engine::StreamRng;

/// Tenures counted separately; older agents share the last bucket.
const TENURE_BUCKETS: usize = 1024;

/// Parameters of [`BeliefPolicy`], as reward indices and agent counts.
#[derive(Debug, Clone, PartialEq)]
pub struct BeliefParameters {
    /// Reward index paid in an agent's first period.
    pub probe: u8,
    /// Reward index paid to retained agents believed cheap.
    pub retain: u8,
    /// Reward index paid to everyone else.
    pub lowest: u8,
    /// Index of the type the policy tries to keep.
    pub cheap_type: usize,
    /// Posterior of the cheap type from which an agent is believed cheap.
    pub threshold: f64,
    /// Stock of retained believed-cheap agents (absolute count).
    pub target: f64,
    /// ln λ_k of each type (the prior).
    pub log_prior: Vec<f64>,
    /// ln(1 − p_k(r)) for type k and reward index r, row-major [K][M].
    pub log_stay: Vec<f64>,
}

/// Learns each agent's type from its stays, then pays by belief.
#[derive(Debug)]
pub struct BeliefPolicy {
    params: BeliefParameters,
    rewards: usize,
    /// Believed-cheap agents counted while paying this period, by tenure.
    counting: Vec<AtomicU64>,
    /// The same counts for the last period, read in `prepare`.
    last: Vec<u64>,
    /// Believed-cheap agents with at least this tenure are retained.
    cutoff: u32,
}

impl BeliefPolicy {
    /// A belief policy over `rewards` rewards.
    pub fn new(params: BeliefParameters, rewards: usize) -> Self {
        BeliefPolicy {
            params,
            rewards,
            counting: (0..TENURE_BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            last: vec![0; TENURE_BUCKETS],
            cutoff: 1,
        }
    }

    /// The tenure from which believed-cheap agents are retained this period.
    pub fn cutoff(&self) -> u32 {
        self.cutoff
    }

    fn posterior_of_cheap(&self, likelihood: &[f32]) -> f64 {
        let p = &self.params;
        let logs = p
            .log_prior
            .iter()
            .zip(likelihood)
            .map(|(a, &b)| a + b as f64);
        let top = logs.clone().fold(f64::NEG_INFINITY, f64::max);
        if top == f64::NEG_INFINITY {
            return 0.0;
        }
        let total: f64 = logs.map(|l| (l - top).exp()).sum();
        (p.log_prior[p.cheap_type] + likelihood[p.cheap_type] as f64 - top).exp() / total
    }
}

impl RewardPolicy for BeliefPolicy {
    fn name(&self) -> &str {
        "belief"
    }

    fn prepare(&mut self, _ctx: &PolicyContext<'_>) {
        for (last, counter) in self.last.iter_mut().zip(&self.counting) {
            *last = counter.swap(0, Ordering::Relaxed);
        }
        // Agents counted at tenure τ−1 last period have tenure τ now: keep
        // the oldest, as many as the target allows.
        let mut kept = 0u64;
        let mut cutoff = TENURE_BUCKETS as u32;
        for tenure in (1..TENURE_BUCKETS).rev() {
            kept += self.last[tenure - 1];
            if kept as f64 > self.params.target {
                break;
            }
            cutoff = tenure as u32;
        }
        self.cutoff = cutoff;
    }

    fn plan(&self) -> RewardPlan<'_> {
        RewardPlan::PerAgent
    }

    /// The believed-cheap counts of the period just paid (what the next
    /// `prepare` reads); the cutoff is recomputed from them.
    fn save_state(&self) -> Vec<f64> {
        self.counting
            .iter()
            .map(|c| c.load(Ordering::Relaxed) as f64)
            .collect()
    }

    fn restore_state(&mut self, state: &[f64]) -> Result<(), String> {
        if state.len() != self.counting.len() {
            return Err(format!(
                "belief policy: the checkpoint holds {} tenure counts, expected {}",
                state.len(),
                self.counting.len()
            ));
        }
        for (c, &v) in self.counting.iter().zip(state) {
            c.store(v as u64, Ordering::Relaxed);
        }
        Ok(())
    }

    fn cycle_length(&self) -> u32 {
        1
    }

    fn agent_state_width(&self) -> usize {
        self.params.log_prior.len()
    }

    fn assign_rewards(
        &self,
        agents: AgentRewardView<'_>,
        rewards: &mut [u8],
        _rng: &mut StreamRng,
    ) {
        let p = &self.params;
        let k = p.log_prior.len();
        let mut counts = [0u32; TENURE_BUCKETS];
        for (i, reward) in rewards.iter_mut().enumerate() {
            let tenure = agents.tenure[i];
            if tenure == 0 {
                *reward = p.probe;
                continue;
            }
            // It stayed after last period's reward: Bayes update.
            let paid = agents.layout.get(agents.history[i], 0);
            let likelihood = &mut agents.state[i * k..(i + 1) * k];
            for (t, l) in likelihood.iter_mut().enumerate() {
                *l += p.log_stay[t * self.rewards + paid] as f32;
            }
            if self.posterior_of_cheap(likelihood) >= p.threshold {
                counts[(tenure as usize).min(TENURE_BUCKETS - 1)] += 1;
                *reward = if tenure >= self.cutoff {
                    p.retain
                } else {
                    p.lowest
                };
            } else {
                *reward = p.lowest;
            }
        }
        for (counter, &n) in self.counting.iter().zip(counts.iter()) {
            if n > 0 {
                counter.fetch_add(n as u64, Ordering::Relaxed);
            }
        }
    }
}
