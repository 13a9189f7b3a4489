//! Per-period time series of one run, buffered in memory and written once.

use serde::{Deserialize, Serialize};

use crate::engine::PeriodTally;
use crate::model::Model;

/// The `series/*` datasets of one run (interfaces.md §3), row-major.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Series {
    /// Number of types K.
    pub types: usize,
    /// Number of rewards M.
    pub rewards: usize,
    /// Periods recorded so far.
    pub periods: usize,
    /// N_k(t), [T][K].
    pub active: Vec<u64>,
    /// Λ_k(t), [T][K].
    pub arrivals: Vec<u64>,
    /// D_k(t), [T][K].
    pub departures: Vec<u64>,
    /// Agents of type k paid R[j] in t, [T][K][M].
    pub reward_counts: Vec<u64>,
    /// Veterans (present for ≥ 2 periods) of type k paid R[i] in t and R[j]
    /// in t − 1, `[T][K][M][M]`; empty unless some type has two-period memory.
    #[serde(default)]
    pub pair_counts: Vec<u64>,
    /// θ·f(N/θ), [T].
    pub revenue: Vec<f64>,
    /// c·Σ rewards, [T].
    pub reward_cost: Vec<f64>,
    /// revenue − reward_cost, [T].
    pub profit: Vec<f64>,
    /// φ_t, NaN rows for per-agent plans, [T][M].
    pub policy_dist: Vec<f64>,
    /// The token economy's series, when there is one.
    pub tokens: Option<TokenSeries>,
}

/// Per-period series of the token economy (interfaces.md §3).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TokenSeries {
    /// Number of goods J.
    pub goods: usize,
    /// Tasks completed, [T].
    pub tasks: Vec<u64>,
    /// I_t, tokens credited, [T].
    pub issuance: Vec<u64>,
    /// Tokens spent on real goods, [T].
    pub redeemed_real: Vec<u64>,
    /// Tokens spent on virtual goods, [T].
    pub redeemed_virtual: Vec<u64>,
    /// Yuan of real goods, [T].
    pub cash_cost: Vec<f64>,
    /// K_t, [T].
    pub float: Vec<u64>,
    /// F_t, [T].
    pub forfeited: Vec<u64>,
    /// Dormant float (leavers' balances), [T]; the active float is
    /// `float − dormant_float`.
    #[serde(default)]
    pub dormant_float: Vec<u64>,
    /// π_t, purchasing power of a token, [T].
    #[serde(default)]
    pub purchasing_power: Vec<f64>,
    /// V_t, value of the tasks done (yuan), [T].
    #[serde(default)]
    pub incentive_value: Vec<f64>,
    /// Levers in force: issuance rate, real and virtual price multipliers, [T][3].
    pub levers: Vec<[f64; 3]>,
    /// The levers recommended before operator overrides, [T][3].
    pub recommended_levers: Vec<[f64; 3]>,
    /// Per lever, the operator source that deviated (−1: none), [T][3].
    #[serde(default)]
    pub deviation_source: Vec<[i32; 3]>,
    /// Where each deviation source is configured (`overrides.N`,
    /// `operators.N`), indexed by `deviation_source`.
    #[serde(default)]
    pub deviation_sources: Vec<String>,
    /// Each source's kind label.
    #[serde(default)]
    pub deviation_kinds: Vec<String>,
    /// Per-class real-price multipliers in force (A, B, C, D), [T][4].
    #[serde(default)]
    pub class_levers: Vec<[f64; 4]>,
    /// Units sold per good, [T][J].
    pub sales: Vec<u64>,
    /// Per type (interfaces.md 4.2), each [T][K]: tasks completed.
    #[serde(default)]
    pub tasks_by_type: Vec<u64>,
    /// Tokens credited for tasks.
    #[serde(default)]
    pub task_tokens_by_type: Vec<u64>,
    /// Tokens credited as policy rewards (bonus).
    #[serde(default)]
    pub bonus_tokens_by_type: Vec<u64>,
    /// Tokens spent on real goods.
    #[serde(default)]
    pub redeemed_real_by_type: Vec<u64>,
    /// Tokens spent on virtual goods.
    #[serde(default)]
    pub redeemed_virtual_by_type: Vec<u64>,
    /// Yuan of real goods bought, at their cash cost.
    #[serde(default)]
    pub real_value_by_type: Vec<f64>,
    /// Yuan of virtual goods bought, at their configured value.
    #[serde(default)]
    pub virtual_value_by_type: Vec<f64>,
    /// Tokens the purchases would have cost at reference prices.
    #[serde(default)]
    pub redeemed_at_reference_by_type: Vec<f64>,
}

impl Series {
    /// Empty series with room for `periods` periods.
    pub fn with_capacity(types: usize, rewards: usize, periods: usize) -> Self {
        Series {
            types,
            rewards,
            periods: 0,
            active: Vec::with_capacity(periods * types),
            arrivals: Vec::with_capacity(periods * types),
            departures: Vec::with_capacity(periods * types),
            reward_counts: Vec::with_capacity(periods * types * rewards),
            pair_counts: Vec::new(),
            revenue: Vec::with_capacity(periods),
            reward_cost: Vec::with_capacity(periods),
            profit: Vec::with_capacity(periods),
            policy_dist: Vec::with_capacity(periods * rewards),
            tokens: None,
        }
    }

    /// Adds token-economy series for `goods` goods.
    pub fn with_tokens(mut self, goods: usize) -> Self {
        self.tokens = Some(TokenSeries {
            goods,
            ..TokenSeries::default()
        });
        self
    }

    /// Appends one period.
    pub fn push(&mut self, tally: &PeriodTally, model: &Model, scale: f64) {
        self.active.extend_from_slice(&tally.active);
        self.arrivals.extend_from_slice(&tally.arrivals);
        self.departures.extend_from_slice(&tally.departures);
        self.reward_counts.extend_from_slice(&tally.reward_counts);
        self.pair_counts.extend_from_slice(&tally.pair_counts);
        let revenue = model
            .revenue
            .market_revenue(tally.total_active() as f64, scale);
        let cost = model.cost_per_token * tally.reward_tokens(&model.rewards);
        self.revenue.push(revenue);
        self.reward_cost.push(cost);
        self.profit.push(revenue - cost);
        self.policy_dist
            .extend_from_slice(&tally.policy_distribution);
        if let Some(t) = &mut self.tokens {
            t.tasks.push(tally.tasks);
            t.issuance.push(tally.issuance);
            t.redeemed_real.push(tally.redeemed_real);
            t.redeemed_virtual.push(tally.redeemed_virtual);
            t.cash_cost.push(tally.cash_cost);
            t.float.push(tally.float);
            t.dormant_float.push(tally.dormant_float);
            t.purchasing_power.push(tally.purchasing_power);
            t.incentive_value.push(tally.incentive_value);
            t.forfeited.push(tally.forfeited);
            t.levers.push(tally.levers);
            t.recommended_levers.push(tally.recommended_levers);
            t.deviation_source.push(tally.deviation_source);
            t.class_levers.push(tally.class_levers);
            t.sales.extend_from_slice(&tally.sales);
            t.tasks_by_type.extend_from_slice(&tally.type_tasks);
            t.task_tokens_by_type
                .extend_from_slice(&tally.type_task_tokens);
            t.bonus_tokens_by_type
                .extend_from_slice(&tally.type_bonus_tokens);
            t.redeemed_real_by_type
                .extend_from_slice(&tally.type_redeemed_real);
            t.redeemed_virtual_by_type
                .extend_from_slice(&tally.type_redeemed_virtual);
            t.real_value_by_type
                .extend_from_slice(&tally.type_real_value);
            t.virtual_value_by_type
                .extend_from_slice(&tally.type_virtual_value);
            t.redeemed_at_reference_by_type
                .extend_from_slice(&tally.type_redeemed_at_reference);
        }
        self.periods += 1;
    }

    /// N_k(t) for periods `from..` as floats.
    pub fn active_of(&self, k: usize, from: usize) -> Vec<f64> {
        (from..self.periods)
            .map(|t| self.active[t * self.types + k] as f64)
            .collect()
    }

    /// True when every period announced one distribution for everyone.
    pub fn all_periods_shared(&self) -> bool {
        self.policy_dist.iter().all(|p| !p.is_nan())
    }
}
