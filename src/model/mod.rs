//! The compiled model: reward set, revenue and agent types, ready to simulate.
//!
//! Built once from a validated [`Config`](crate::config::Config); the engine
//! and the policies read it, nothing mutates it.

mod departure;
mod economy;
mod history;
pub mod operators;
pub mod ratchet;
mod revenue;
mod stationary;
mod steering;
mod thresholds;

pub use departure::{departure_threshold, DepartureCurve, DepartureFn, DepartureSignal, Recall};
pub use economy::{BalanceDistribution, Budget, Economy, Good, IncentiveMeasure, Levers};
pub use history::HistoryLayout;
pub use revenue::RevenueFn;
pub use stationary::{
    stationary_cohort, StationaryCohort, StationaryError, MAX_AGE, MAX_HISTORY_STATES,
};
pub use steering::{
    FloatBand, FloatMeasure, IssuanceRule, RatchetPlanning, RealPriceControl, Steering, ValveRole,
};
pub use thresholds::DepartureThresholds;

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
    /// Rational entry: its agents arrive only while the reward they can
    /// expect is worth it (None: always).
    pub entry: Option<RationalEntry>,
}

/// Rational entry of a type (model.md E.1, the paper's Appendix C.1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RationalEntry {
    /// v_k: agents join only while the expected reward is at least this.
    pub reservation_value: f64,
    /// Periods of announced mean rewards averaged for dynamic policies.
    pub window: u32,
}

impl AgentType {
    /// True when agents of this type join under an expected reward `r`
    /// (boundary included: r = v_k joins).
    pub fn joins_at(&self, r: f64) -> bool {
        self.entry
            .is_none_or(|e| r >= e.reservation_value - 1e-12 * e.reservation_value.abs().max(1.0))
    }
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
                    entry: t.reservation_value.map(|v| RationalEntry {
                        reservation_value: v,
                        window: t.entry_window.unwrap_or(1),
                    }),
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

    /// True when some type decides on two consecutive rewards
    /// (`joint_table`, the paper's Appendix G): runs then count veterans
    /// by (reward now, reward before) for Definition G.1.
    pub fn has_two_period_memory(&self) -> bool {
        self.types
            .iter()
            .any(|t| matches!(t.departure.recall(), Recall::Joint(_)))
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
