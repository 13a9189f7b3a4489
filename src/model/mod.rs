//! The compiled model: reward set, revenue and agent types, ready to simulate.
//!
//! Built once from a validated [`Config`](crate::config::Config); the engine
//! and the policies read it, nothing mutates it.

mod departure;
mod economy;
mod history;
mod revenue;
mod stationary;

pub use departure::{DepartureCurve, DepartureFn, Recall};
pub use economy::{Economy, Good, Levers};
pub use history::HistoryLayout;
pub use revenue::RevenueFn;
pub use stationary::{
    stationary_cohort, StationaryCohort, StationaryError, MAX_AGE, MAX_HISTORY_STATES,
};

use crate::config::Config;

/// One agent type of the compiled model.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentType {
    /// Its unique name.
    pub name: String,
    /// Arrival rate λ_k per unit market size.
    pub arrival_rate: f64,
    /// Its departure function p_k.
    pub departure: DepartureFn,
}

/// Reward set, revenue and types of one experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// R, strictly increasing.
    pub rewards: Vec<f64>,
    /// Money cost c of one reward token.
    pub cost_per_token: f64,
    /// The revenue function f.
    pub revenue: RevenueFn,
    /// The agent types.
    pub types: Vec<AgentType>,
    /// The token economy, when configured.
    pub economy: Option<Economy>,
}

impl Model {
    /// Compiles a validated configuration.
    pub fn new(config: &Config) -> Self {
        let rewards = config.rewards.values.clone();
        Model {
            types: config
                .types
                .iter()
                .map(|t| AgentType {
                    name: t.name.clone(),
                    arrival_rate: t.arrival_rate,
                    departure: DepartureFn::new(&t.departure, &rewards),
                })
                .collect(),
            cost_per_token: config.rewards.cost_per_token,
            revenue: RevenueFn::new(&config.revenue),
            economy: Economy::new(config),
            rewards,
        }
    }

    /// How reward histories are packed for this reward set.
    pub fn history_layout(&self) -> HistoryLayout {
        HistoryLayout::for_rewards(self.rewards.len())
    }

    /// Number of types K.
    pub fn type_count(&self) -> usize {
        self.types.len()
    }

    /// Number of rewards M = |R|.
    pub fn reward_count(&self) -> usize {
        self.rewards.len()
    }

    /// Index of a reward value in R, if present.
    pub fn reward_index(&self, value: f64) -> Option<usize> {
        self.rewards.iter().position(|&r| r == value)
    }

    /// Expected reward r(φ) = Σ φ(r) r.
    pub fn mean_reward(&self, phi: &[f64]) -> f64 {
        phi.iter().zip(&self.rewards).map(|(p, r)| p * r).sum()
    }
}
