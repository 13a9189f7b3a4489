//! Reward policies (model.md A.4): who is paid what, period by period.
//!
//! A policy is told the aggregate state once per period
//! ([`RewardPolicy::prepare`]) and then answers with a [`RewardPlan`]:
//! either one distribution φ_t for everyone (criterion 1 holds), or
//! per-agent rewards, which the engine asks for one chunk of agents at a time
//! through [`RewardPolicy::assign_rewards`] — so there is dynamic dispatch
//! per chunk, never per agent. Per-agent policies see each agent's tenure,
//! reward history and a private state vector, but not its type.

mod belief;
mod build;
mod cyclic;
mod distribution;
mod lever;
mod markov;
mod registry;
mod static_policy;

pub use belief::{BeliefParameters, BeliefPolicy};
pub use build::{build_policy, default_belief_target, solve_fluid};
pub use cyclic::CyclicPolicy;
pub use distribution::RewardDistribution;
pub use lever::{BudgetView, FixedLevers, LeverContext, LeverController};
pub use markov::{long_run_distribution, MarkovPolicy};
pub use registry::{register_policy, registered_policies, PolicyFactory};
pub use static_policy::StaticPolicy;

use crate::engine::StreamRng;
use crate::model::HistoryLayout;

/// What the policy announces for the current period.
#[derive(Debug, Clone, Copy)]
pub enum RewardPlan<'a> {
    /// Everyone present is paid an independent draw from this φ_t.
    Shared(&'a RewardDistribution),
    /// Rewards differ between agents: see [`RewardPolicy::assign_rewards`].
    PerAgent,
}

/// Aggregate state a policy may look at before paying.
#[derive(Debug, Clone, Copy)]
pub struct PolicyContext<'a> {
    /// The period about to be paid (negative during burn-in).
    pub period: i64,
    /// Agents of each type present last period (N_k(t−1)), if any.
    pub previous_active: Option<&'a [u64]>,
    /// Agents of each type arriving this period (Λ_k(t)).
    pub arrivals: &'a [u64],
}

/// The agents of one chunk, as a per-agent policy sees them.
pub struct AgentRewardView<'a> {
    /// The period being paid.
    pub period: i64,
    /// Periods each agent has been paid before this one (0 for newcomers).
    pub tenure: &'a [u32],
    /// Reward indices of past periods, newest first (last period's reward is
    /// entry 0 of `layout`; this period's is not added yet).
    pub history: &'a [u64],
    /// How `history` is packed.
    pub layout: HistoryLayout,
    /// Policy-private state, [`RewardPolicy::agent_state_width`] floats per
    /// agent, zero for newcomers, moved with the agent.
    pub state: &'a mut [f32],
}

/// A reward policy. Implement it to plug in a custom policy.
pub trait RewardPolicy: Send + Sync {
    /// A short name, recorded in the output.
    fn name(&self) -> &str;

    /// Updates internal state from the aggregate state before period
    /// `ctx.period`. `rng` is the policy's own stream for this period, keyed
    /// by (seed, replication, period): draws made here are the same whatever
    /// the thread count, and do not move any other stream.
    fn prepare(&mut self, ctx: &PolicyContext<'_>, rng: &mut StreamRng);

    /// The plan for the period last prepared.
    fn plan(&self) -> RewardPlan<'_>;

    /// The distribution paid every period, for policies that are static; used
    /// for the exact steady-state initial population.
    fn stationary_distribution(&self) -> Option<&[f64]> {
        None
    }

    /// Number of periods after which the plan repeats (1 for static), so a
    /// burn-in can end on a whole cycle.
    fn cycle_length(&self) -> u32 {
        1
    }

    /// Floats of private state per agent (per-agent policies).
    fn agent_state_width(&self) -> usize {
        0
    }

    /// The policy's own state carried from one period to the next, for
    /// checkpoints (`run --checkpoint-every`). Policies whose plan depends
    /// only on the period and the context given to `prepare` keep the
    /// default (nothing); a custom policy that accumulates state must
    /// return it here and take it back in [`RewardPolicy::restore_state`],
    /// or a restarted run will differ from an uninterrupted one.
    fn save_state(&self) -> Vec<f64> {
        Vec::new()
    }

    /// Takes back what [`RewardPolicy::save_state`] returned.
    fn restore_state(&mut self, state: &[f64]) -> Result<(), String> {
        if state.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "policy {} keeps no state, but the checkpoint holds {} values",
                self.name(),
                state.len()
            ))
        }
    }

    /// Writes one reward index per agent into `rewards` (same length as the
    /// view). Called only when [`RewardPolicy::plan`] is
    /// [`RewardPlan::PerAgent`], once per chunk, possibly from several
    /// threads at once; `rng` is the chunk's own keyed stream.
    fn assign_rewards(&self, agents: AgentRewardView<'_>, rewards: &mut [u8], rng: &mut StreamRng) {
        let _ = (agents, rng);
        rewards.fill(0);
    }
}
