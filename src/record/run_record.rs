//! Everything recorded about one run, and its summary statistics.

use super::{LeaverHistograms, Series};
use crate::fairness::{reward_distributions, GroupFairness};
use crate::stats::{batch_means, Estimate, DEFAULT_BATCHES};

/// Identity of a run: where it sits in an experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// The fully resolved configuration, as TOML.
    pub config_toml: String,
    /// Root seed.
    pub seed: u64,
    /// Replication index.
    pub replication: u64,
    /// Market size θ.
    pub scale: f64,
    /// Recorded periods T.
    pub periods: u32,
    /// Periods left out of steady-state statistics.
    pub warmup: u32,
    /// Burn-in periods simulated before period 0.
    pub burn_in: u32,
    /// Name of the policy.
    pub policy: String,
    /// Type names, in order.
    pub type_names: Vec<String>,
    /// The reward set R.
    pub reward_values: Vec<f64>,
    /// Names of the mall's goods (token economy).
    pub good_names: Vec<String>,
    /// Budget years closed during the run (token economy with a budget).
    pub budget_years: Vec<crate::engine::BudgetYear>,
    /// Scheduled events of the run.
    pub events: Vec<crate::config::EventConfig>,
}

/// Steady-state summary of a run (periods after warm-up).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Mean N_k per type, each with a batch-means standard error.
    pub mean_active_per_type: Vec<Estimate>,
    /// Mean profit / θ per period (the paper's normalized profit).
    pub mean_profit_per_scale: Estimate,
    /// Mean revenue / θ per period.
    pub mean_revenue_per_scale: Estimate,
    /// Mean reward cost / θ per period.
    pub mean_reward_cost_per_scale: Estimate,
}

/// One finished run.
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// Identity and parameters.
    pub info: RunInfo,
    /// Per-period series.
    pub series: Series,
    /// Lifetime reward and tenure of departed agents, per type.
    pub leavers: LeaverHistograms,
    /// Steady-state summary.
    pub summary: Summary,
    /// Group fairness after warm-up.
    pub fairness: GroupFairness,
}

impl RunRecord {
    /// Assembles a run's record and computes its summaries.
    pub fn new(info: RunInfo, series: Series, leavers: LeaverHistograms, epsilon: f64) -> Self {
        let from = (info.warmup as usize).min(series.periods);
        let per_scale = |xs: &[f64]| -> Estimate {
            let scaled: Vec<f64> = xs[from..].iter().map(|x| x / info.scale).collect();
            batch_means(&scaled, DEFAULT_BATCHES)
        };
        let summary = Summary {
            mean_active_per_type: (0..series.types)
                .map(|k| batch_means(&series.active_of(k, from), DEFAULT_BATCHES))
                .collect(),
            mean_profit_per_scale: per_scale(&series.profit),
            mean_revenue_per_scale: per_scale(&series.revenue),
            mean_reward_cost_per_scale: per_scale(&series.reward_cost),
        };
        let dist = reward_distributions(
            &series.reward_counts,
            &series.active,
            series.types,
            series.rewards,
            from..series.periods,
        );
        let mut fairness = GroupFairness::new(dist, series.all_periods_shared(), epsilon);
        fairness.two_period_gap =
            crate::fairness::two_period_fairness(&series, from).map(|g| g.max_gap);
        RunRecord {
            info,
            series,
            leavers,
            summary,
            fairness,
        }
    }
}
