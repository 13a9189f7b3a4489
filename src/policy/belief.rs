//! The belief-based policy: explicit discrimination, the paper's
//! Algorithm 1 (model.md A.4 and E.2).
//!
//! **Beliefs.** An agent who stays is updated by Bayes: its log-likelihood
//! under type k grows by ln(1 − p_k(r)) for every period it stayed after
//! being paid r, and the posterior of type k is ∝ λ_k·exp(L_k). Agents whose
//! posterior of the cheap type reaches the threshold are *believed cheap*.
//!
//! **Payments.** Believed-cheap agents are paid the retaining reward, the
//! oldest first, up to the target stock; everyone else is paid the lowest
//! reward. Newcomers are paid the probe reward only while the stock is
//! below its target — once it is met they are paid the lowest reward.
//!
//! **Control.** Types are hidden, so the stock is counted while paying
//! (integer counts per tenure, added across chunks, so the result does not
//! depend on threads) and predicted one period ahead from the cheap type's
//! survival under each reward. From the prediction `prepare` sets
//!
//! * the tenure cut-off of the retained stock (and the fraction kept of the
//!   boundary tenure), so the expected stock paid is the target, not more;
//! * the fraction q of newcomers probed: just enough that the expected stock
//!   next period, with the survivors of this period, is the target. In the
//!   fluid limit this is "probe while below target" switched every period,
//!   without the overshoot of an on/off rule; q is 0 once the target is met.
//!
//! Both fractions are applied agent by agent with the chunk's keyed stream.
//! The likelihood and the survival used for prediction are the memoryless
//! p_k(r); with reward memory they are approximations.

use std::sync::atomic::{AtomicU64, Ordering};

use rand::Rng;

use super::{AgentRewardView, PolicyContext, RewardPlan, RewardPolicy};
use crate::engine::StreamRng;

/// Tenures counted separately; older agents share the last bucket.
const TENURE_BUCKETS: usize = 1024;

/// Parameters of [`BeliefPolicy`], as reward indices and agent counts.
#[derive(Debug, Clone, PartialEq)]
pub struct BeliefParameters {
    /// Reward index paid to newcomers while the stock is below target.
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

impl BeliefParameters {
    /// Probability that an agent of the cheap type stays after reward `r`.
    fn cheap_stays(&self, r: u8, rewards: usize) -> f64 {
        self.log_stay[self.cheap_type * rewards + r as usize].exp()
    }

    /// The prior probability that a newcomer is of the cheap type.
    fn cheap_share(&self) -> f64 {
        let top = self.log_prior.iter().copied().fold(f64::MIN, f64::max);
        let total: f64 = self.log_prior.iter().map(|l| (l - top).exp()).sum();
        (self.log_prior[self.cheap_type] - top).exp() / total
    }
}

/// What `prepare` decided for the period about to be paid.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Decision {
    /// Believed-cheap agents with at least this tenure are retained.
    cutoff: u32,
    /// Fraction retained of those with tenure `cutoff − 1`.
    boundary: f64,
    /// Fraction of newcomers paid the probe.
    probe: f64,
    /// Newcomers this period (read by the next prediction).
    newcomers: u64,
}

/// Learns each agent's type from its stays, then pays by belief.
#[derive(Debug)]
pub struct BeliefPolicy {
    params: BeliefParameters,
    rewards: usize,
    /// Believed-cheap agents counted while paying this period, by tenure.
    counting: Vec<AtomicU64>,
    /// Newcomers paid the probe this period.
    probed: AtomicU64,
    /// Survival of the cheap type under the probe, retain and lowest rewards.
    stays: [f64; 3],
    share: f64,
    decision: Decision,
    /// Expected believed-cheap counts by tenure (scratch of `prepare`).
    expected: Vec<f64>,
}

impl BeliefPolicy {
    /// A belief policy over `rewards` rewards.
    pub fn new(params: BeliefParameters, rewards: usize) -> Self {
        let stays =
            [params.probe, params.retain, params.lowest].map(|r| params.cheap_stays(r, rewards));
        BeliefPolicy {
            share: params.cheap_share(),
            stays,
            params,
            rewards,
            counting: (0..TENURE_BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            probed: AtomicU64::new(0),
            decision: Decision {
                cutoff: 1,
                boundary: 0.0,
                probe: 1.0,
                newcomers: 0,
            },
            expected: vec![0.0; TENURE_BUCKETS],
        }
    }

    /// The tenure from which believed-cheap agents are retained this period.
    pub fn cutoff(&self) -> u32 {
        self.decision.cutoff
    }

    /// The fraction of this period's newcomers paid the probe.
    pub fn probe_fraction(&self) -> f64 {
        self.decision.probe
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

    /// Fraction of believed-cheap agents of `tenure` retained under `d`.
    fn retained_fraction(d: &Decision, tenure: usize) -> f64 {
        let cutoff = d.cutoff as usize;
        if tenure >= cutoff {
            1.0
        } else if tenure + 1 == cutoff {
            d.boundary
        } else {
            0.0
        }
    }
}

impl RewardPolicy for BeliefPolicy {
    fn name(&self) -> &str {
        "belief"
    }

    fn prepare(&mut self, ctx: &PolicyContext<'_>, _rng: &mut StreamRng) {
        let [s_probe, s_retain, s_lowest] = self.stays;
        let previous = self.decision;
        let probed = self.probed.swap(0, Ordering::Relaxed) as f64;
        // Believed-cheap agents counted last period at tenure τ − 1 are
        // counted now at tenure τ if they stayed: predict how many did.
        self.expected.fill(0.0);
        for tenure in 1..TENURE_BUCKETS {
            let n = self.counting[tenure].swap(0, Ordering::Relaxed) as f64;
            if n > 0.0 {
                let kept = Self::retained_fraction(&previous, tenure);
                let next = (tenure + 1).min(TENURE_BUCKETS - 1);
                self.expected[next] += n * (kept * s_retain + (1.0 - kept) * s_lowest);
            }
        }
        let unprobed = previous.newcomers as f64 - probed;
        self.expected[1] += self.share * (probed * s_probe + unprobed.max(0.0) * s_lowest);

        // Keep the oldest, up to the target.
        let target = self.params.target;
        let mut kept = 0.0;
        let mut decision = Decision {
            cutoff: 1,
            boundary: 0.0,
            probe: 0.0,
            newcomers: ctx.arrivals.iter().sum(),
        };
        for tenure in (1..TENURE_BUCKETS).rev() {
            let n = self.expected[tenure];
            if kept + n > target {
                decision.cutoff = tenure as u32 + 1;
                decision.boundary = (target - kept) / n;
                kept = target;
                break;
            }
            kept += n;
        }
        // Probe just enough newcomers to bring next period's stock to target.
        let total: f64 = self.expected.iter().sum();
        let next = kept * s_retain + (total - kept) * s_lowest;
        let cheap_newcomers = self.share * decision.newcomers as f64;
        let gain = cheap_newcomers * (s_probe - s_lowest);
        let deficit = target - next - cheap_newcomers * s_lowest;
        if gain > 0.0 && deficit > 0.0 {
            decision.probe = (deficit / gain).min(1.0);
        }
        self.decision = decision;
    }

    fn plan(&self) -> RewardPlan<'_> {
        RewardPlan::PerAgent
    }

    /// The believed-cheap counts of the period just paid, the newcomers
    /// probed and the decision they were paid under (what the next
    /// `prepare` reads).
    fn save_state(&self) -> Vec<f64> {
        let d = &self.decision;
        let mut state: Vec<f64> = self
            .counting
            .iter()
            .map(|c| c.load(Ordering::Relaxed) as f64)
            .collect();
        state.extend([
            self.probed.load(Ordering::Relaxed) as f64,
            d.cutoff as f64,
            d.boundary,
            d.probe,
            d.newcomers as f64,
        ]);
        state
    }

    fn restore_state(&mut self, state: &[f64]) -> Result<(), String> {
        let expected = self.counting.len() + 5;
        if state.len() != expected {
            return Err(format!(
                "belief policy: the checkpoint holds {} values, expected {expected}",
                state.len(),
            ));
        }
        let (counts, rest) = state.split_at(self.counting.len());
        for (c, &v) in self.counting.iter().zip(counts) {
            c.store(v as u64, Ordering::Relaxed);
        }
        self.probed.store(rest[0] as u64, Ordering::Relaxed);
        self.decision = Decision {
            cutoff: rest[1] as u32,
            boundary: rest[2],
            probe: rest[3],
            newcomers: rest[4] as u64,
        };
        Ok(())
    }

    fn cycle_length(&self) -> u32 {
        1
    }

    fn agent_state_width(&self) -> usize {
        self.params.log_prior.len()
    }

    fn assign_rewards(&self, agents: AgentRewardView<'_>, rewards: &mut [u8], rng: &mut StreamRng) {
        let p = &self.params;
        let d = &self.decision;
        let k = p.log_prior.len();
        let mut counts = [0u32; TENURE_BUCKETS];
        let mut probed = 0u64;
        let chance = |rng: &mut StreamRng, q: f64| q >= 1.0 || (q > 0.0 && rng.random::<f64>() < q);
        for (i, reward) in rewards.iter_mut().enumerate() {
            let tenure = agents.tenure[i];
            if tenure == 0 {
                *reward = if chance(rng, d.probe) {
                    probed += 1;
                    p.probe
                } else {
                    p.lowest
                };
                continue;
            }
            // It stayed after last period's reward: Bayes update.
            let paid = agents.layout.get(agents.history[i], 0);
            let likelihood = &mut agents.state[i * k..(i + 1) * k];
            for (t, l) in likelihood.iter_mut().enumerate() {
                *l += p.log_stay[t * self.rewards + paid] as f32;
            }
            *reward = p.lowest;
            if self.posterior_of_cheap(likelihood) >= p.threshold {
                let bucket = (tenure as usize).min(TENURE_BUCKETS - 1);
                counts[bucket] += 1;
                if chance(rng, Self::retained_fraction(d, tenure as usize)) {
                    *reward = p.retain;
                }
            }
        }
        for (counter, &n) in self.counting.iter().zip(counts.iter()) {
            if n > 0 {
                counter.fetch_add(n as u64, Ordering::Relaxed);
            }
        }
        self.probed.fetch_add(probed, Ordering::Relaxed);
    }
}
