//! What one period produced, counted per chunk and then summed.

/// Counts of one period: per chunk while stepping, then for the whole market.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodTally {
    /// The period (negative during burn-in).
    pub period: i64,
    /// Λ_k(t): arrivals of each type.
    pub arrivals: Vec<u64>,
    /// N_k(t): agents of each type paid this period.
    pub active: Vec<u64>,
    /// D_k(t): agents of each type leaving after this period.
    pub departures: Vec<u64>,
    /// Agents of type k paid reward index j, row-major [K][M].
    pub reward_counts: Vec<u64>,
    /// Agents of type k present for at least two periods, paid index i now
    /// and j the period before, `[K][M][M]`; empty unless the model has
    /// two-period memory ([`crate::model::Model::has_two_period_memory`]).
    pub pair_counts: Vec<u64>,
    /// φ_t announced by the policy; NaN for per-agent plans.
    pub policy_distribution: Vec<f64>,
    /// Token economy (zero otherwise): tasks completed.
    pub tasks: u64,
    /// I_t: tokens credited (earned for tasks plus policy rewards).
    pub issuance: u64,
    /// Tokens spent on real goods.
    pub redeemed_real: u64,
    /// Tokens spent on virtual goods.
    pub redeemed_virtual: u64,
    /// F_t: balances forfeited by leavers.
    pub forfeited: u64,
    /// Balances leavers kept (when not forfeited): they stay in the float.
    pub departed_balances: u64,
    /// Units sold of each good, set after reduction (from `type_sales`).
    pub sales: Vec<u64>,
    /// Per type (token economy): tasks completed, [K].
    pub type_tasks: Vec<u64>,
    /// Per type: tokens credited for tasks (ι × tasks, rounded), [K].
    pub type_task_tokens: Vec<u64>,
    /// Per type: tokens credited as policy rewards (bonus), [K].
    pub type_bonus_tokens: Vec<u64>,
    /// Units of good j bought by agents of type k, `[K][J]`.
    pub type_sales: Vec<u64>,
    /// Per type: tokens spent on real goods, set after reduction, [K].
    pub type_redeemed_real: Vec<u64>,
    /// Per type: tokens spent on virtual goods, set after reduction, [K].
    pub type_redeemed_virtual: Vec<u64>,
    /// Per type: yuan of real goods bought (cash cost), set after reduction, [K].
    pub type_real_value: Vec<f64>,
    /// Per type: yuan of virtual goods bought at their configured value,
    /// set after reduction, [K].
    pub type_virtual_value: Vec<f64>,
    /// Per type: what its purchases would have cost in tokens at reference
    /// prices (both channels), set after reduction, [K].
    pub type_redeemed_at_reference: Vec<f64>,
    /// Yuan of real goods sold (Σ units × cash cost), set after reduction.
    pub cash_cost: f64,
    /// K_t: tokens outstanding after this period, set after reduction.
    pub float: u64,
    /// The dormant part of K_t: balances kept by agents who have left
    /// (never redeemed: breakage), set after reduction. The active float is
    /// `float − dormant_float`, the balances of agents present.
    pub dormant_float: u64,
    /// π_t: purchasing power of a token this period (1 unless effort
    /// responds to it), set after reduction.
    pub purchasing_power: f64,
    /// V_t: value of the tasks done (task_value × tasks), set after reduction.
    pub incentive_value: f64,
    /// The levers in force: issuance rate, real and virtual price multipliers.
    pub levers: [f64; 3],
    /// The levers recommended before operator overrides.
    pub recommended_levers: [f64; 3],
    /// Per lever, the operator source (`overrides.N`, then `operators.N`,
    /// numbered together) that deviated from the recommendation, or −1.
    pub deviation_source: [i32; 3],
    /// The per-class real-price multipliers in force (A, B, C, D).
    pub class_levers: [f64; 4],
}

impl PeriodTally {
    /// Zero counts for `types` types and `rewards` rewards.
    pub fn new(types: usize, rewards: usize) -> Self {
        PeriodTally::with_goods(types, rewards, 0)
    }

    /// Zero counts with room for `goods` goods.
    pub fn with_goods(types: usize, rewards: usize, goods: usize) -> Self {
        PeriodTally {
            period: 0,
            arrivals: vec![0; types],
            active: vec![0; types],
            departures: vec![0; types],
            reward_counts: vec![0; types * rewards],
            pair_counts: Vec::new(),
            policy_distribution: vec![f64::NAN; rewards],
            tasks: 0,
            issuance: 0,
            redeemed_real: 0,
            redeemed_virtual: 0,
            forfeited: 0,
            departed_balances: 0,
            sales: vec![0; goods],
            type_tasks: vec![0; types],
            type_task_tokens: vec![0; types],
            type_bonus_tokens: vec![0; types],
            type_sales: vec![0; types * goods],
            type_redeemed_real: vec![0; types],
            type_redeemed_virtual: vec![0; types],
            type_real_value: vec![0.0; types],
            type_virtual_value: vec![0.0; types],
            type_redeemed_at_reference: vec![0.0; types],
            cash_cost: 0.0,
            purchasing_power: 1.0,
            incentive_value: 0.0,
            float: 0,
            dormant_float: 0,
            levers: [f64::NAN; 3],
            recommended_levers: [f64::NAN; 3],
            deviation_source: [-1; 3],
            class_levers: [f64::NAN; 4],
        }
    }

    /// Also counts veterans by (reward now, reward before).
    pub fn with_pairs(mut self) -> Self {
        let (k, m) = (self.active.len(), self.policy_distribution.len());
        self.pair_counts = vec![0; k * m * m];
        self
    }

    pub(crate) fn reset(&mut self) {
        self.arrivals.fill(0);
        self.active.fill(0);
        self.departures.fill(0);
        self.reward_counts.fill(0);
        self.pair_counts.fill(0);
        self.tasks = 0;
        self.issuance = 0;
        self.redeemed_real = 0;
        self.redeemed_virtual = 0;
        self.forfeited = 0;
        self.departed_balances = 0;
        self.sales.fill(0);
        self.type_tasks.fill(0);
        self.type_task_tokens.fill(0);
        self.type_bonus_tokens.fill(0);
        self.type_sales.fill(0);
    }

    pub(crate) fn add(&mut self, other: &PeriodTally) {
        let add = |a: &mut [u64], b: &[u64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.active, &other.active);
        add(&mut self.departures, &other.departures);
        add(&mut self.reward_counts, &other.reward_counts);
        add(&mut self.pair_counts, &other.pair_counts);
        add(&mut self.type_tasks, &other.type_tasks);
        add(&mut self.type_task_tokens, &other.type_task_tokens);
        add(&mut self.type_bonus_tokens, &other.type_bonus_tokens);
        add(&mut self.type_sales, &other.type_sales);
        self.tasks += other.tasks;
        self.issuance += other.issuance;
        self.forfeited += other.forfeited;
        self.departed_balances += other.departed_balances;
    }

    /// Total agents paid this period, N(t).
    pub fn total_active(&self) -> u64 {
        self.active.iter().sum()
    }

    /// Σ_i r_i(t): reward tokens paid this period (exact from the counts).
    pub fn reward_tokens(&self, rewards: &[f64]) -> f64 {
        let m = rewards.len();
        self.reward_counts
            .chunks(m)
            .map(|row| {
                row.iter()
                    .zip(rewards)
                    .map(|(&n, &r)| n as f64 * r)
                    .sum::<f64>()
            })
            .sum()
    }
}
