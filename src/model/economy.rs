//! The compiled token economy (model.md Part B.1–B.4).

use serde::{Deserialize, Serialize};

use super::steering::Steering;
use super::DepartureSignal;
use crate::config::{
    BudgetConfig, Channel, Config, InitialBalance, InitialBalanceKind, PolicyKind,
};

/// What couriers' effort responds to (model.md B.1 and E.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncentiveMeasure {
    /// Tasks ~ μ_k (ι/ι_ref)^η_k: tokens per task alone (B.1).
    #[default]
    Issuance,
    /// Tasks ~ μ_k (ι π_t/ι_ref)^η_k, with π_t the purchasing-power index
    /// of a token (E.3): raising prices lowers effort as cutting ι does,
    /// and a credited-tokens departure looks at credited × π_t.
    PurchasingPower,
}

/// How the balances of the agents present at period 0 are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BalanceDistribution {
    /// Everyone holds this many tokens (rounded).
    Fixed(f64),
    /// Poisson with this mean.
    Poisson(f64),
    /// Exponential with this mean, rounded down.
    Exponential(f64),
}

impl BalanceDistribution {
    fn new(config: &InitialBalance) -> Self {
        match config.kind {
            InitialBalanceKind::Fixed => BalanceDistribution::Fixed(config.mean),
            InitialBalanceKind::Poisson => BalanceDistribution::Poisson(config.mean),
            InitialBalanceKind::Exponential => BalanceDistribution::Exponential(config.mean),
        }
    }
}

/// The annual budget for real goods and what a budget year's close costs
/// (model.md B.3).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// B, yuan a year.
    pub annual: f64,
    /// κ_o per yuan over.
    pub over_penalty: f64,
    /// κ_u per yuan under.
    pub under_penalty: f64,
    /// ρ: the next year's budget falls by ρ × the underspend.
    pub ratchet: f64,
    /// Real goods are rationed once the year's budget is spent.
    pub hard_cap: bool,
}

impl Budget {
    fn new(config: &BudgetConfig) -> Self {
        Budget {
            annual: config.annual,
            over_penalty: config.over_penalty,
            under_penalty: config.under_penalty,
            ratchet: config.ratchet,
            hard_cap: config.hard_cap,
        }
    }
}

/// One good of the mall.
#[derive(Debug, Clone, PartialEq)]
pub struct Good {
    /// Name.
    pub name: String,
    /// Real goods cost the firm `cash_cost` yuan per unit.
    pub real: bool,
    /// Reference token price p_ref.
    pub reference_price: f64,
    /// Yuan per unit (0 for virtual goods).
    pub cash_cost: f64,
    /// Yuan a unit is worth to a courier: the cash cost of a real good,
    /// the configured `value` of a virtual one (default 0).
    pub value: f64,
    /// Own-price elasticity e_j.
    pub elasticity: f64,
    /// Elasticity class index (A = 0 … D = 3), when the good has one.
    pub class: Option<usize>,
    /// Appeal weight w_j.
    pub weight: f64,
}

/// The levers in force in a period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Levers {
    /// ι: tokens per task.
    pub issuance_rate: f64,
    /// Multiplier on real goods' reference prices.
    pub real_price_mult: f64,
    /// Multiplier on virtual goods' reference prices.
    pub virtual_price_mult: f64,
    /// Per elasticity class (A, B, C, D), a further multiplier on the
    /// real goods of that class (1 for all unless a controller fine-tunes
    /// by class; goods with an explicit elasticity and no class get none).
    #[serde(default = "unit_classes")]
    pub class_mult: [f64; 4],
}

fn unit_classes() -> [f64; 4] {
    [1.0; 4]
}

/// Work, issuance, the mall and the budget.
#[derive(Debug, Clone, PartialEq)]
pub struct Economy {
    /// The configured (fixed) levers.
    pub levers: Levers,
    /// ι_ref.
    pub reference_issuance_rate: f64,
    /// Periods per budget year.
    pub periods_per_year: u32,
    /// Balances of leavers are forfeited (else they stay a liability).
    pub forfeit_on_departure: bool,
    /// Balances of the agents present at period 0.
    pub initial_balance: BalanceDistribution,
    /// w_0.
    pub no_purchase_weight: f64,
    /// What effort responds to.
    pub incentive: IncentiveMeasure,
    /// Yuan of value per task (V_t = this × tasks).
    pub task_value: f64,
    /// The goods.
    pub goods: Vec<Good>,
    /// μ_k per type.
    pub task_rates: Vec<f64>,
    /// η_k per type.
    pub effort_elasticities: Vec<f64>,
    /// ν_k per type.
    pub shopping_rates: Vec<f64>,
    /// What each type's departure looks at.
    pub signals: Vec<DepartureSignal>,
    /// The budget, if any.
    pub budget: Option<Budget>,
    /// Who turns the recommended levers into the levers in force:
    /// scheduled overrides and operator models (model.md E.4).
    pub operators: super::operators::OperatorLayer,
    /// The lever controller's settings, when the policy is `steer`.
    pub steer: Option<Steering>,
}

impl Economy {
    /// Compiles the economy of a validated configuration, if it has one.
    pub fn new(config: &Config) -> Option<Economy> {
        let e = config.economy.as_ref()?;
        let goods: Vec<Good> = config
            .mall
            .goods
            .iter()
            .map(|g| Good {
                name: g.name.clone(),
                real: g.channel == Channel::Real,
                reference_price: g.price,
                cash_cost: g.cash_cost.unwrap_or(0.0),
                value: g.cash_cost.or(g.value).unwrap_or(0.0),
                elasticity: g.elasticity(),
                class: g.class.map(|c| c as usize),
                weight: g.weight,
            })
            .collect();
        let steer = match (&config.policy.kind, &config.steer) {
            (PolicyKind::Steer, Some(steer)) => Some(Steering::new(steer, &goods)),
            _ => None,
        };
        Some(Economy {
            levers: Levers {
                issuance_rate: e.issuance_rate,
                real_price_mult: e.real_price_multiplier,
                virtual_price_mult: e.virtual_price_multiplier,
                class_mult: unit_classes(),
            },
            reference_issuance_rate: e.reference_issuance_rate,
            periods_per_year: e.periods_per_year,
            forfeit_on_departure: e.forfeit_on_departure,
            initial_balance: BalanceDistribution::new(&e.initial_balance),
            no_purchase_weight: e.no_purchase_weight,
            incentive: e.incentive,
            task_value: e.task_value,
            goods,
            task_rates: config.types.iter().map(|t| t.task_rate).collect(),
            effort_elasticities: config.types.iter().map(|t| t.effort_elasticity).collect(),
            shopping_rates: config.types.iter().map(|t| t.shopping_rate).collect(),
            signals: config.types.iter().map(|t| t.departure_signal).collect(),
            budget: config.budget.as_ref().map(Budget::new),
            operators: super::operators::OperatorLayer::new(config),
            steer,
        })
    }

    /// Token price of good j under `levers`: p_ref × multiplier, rounded to
    /// whole tokens (balances are integers), at least 1.
    pub fn price(&self, j: usize, levers: &Levers) -> u64 {
        let g = &self.goods[j];
        let mult = if g.real {
            levers.real_price_mult * g.class.map_or(1.0, |c| levers.class_mult[c])
        } else {
            levers.virtual_price_mult
        };
        (g.reference_price * mult).round().max(1.0) as u64
    }

    /// Logit attraction w_j (p_j/p_ref)^{e_j} at token price `price`.
    pub fn attraction(&self, j: usize, price: u64) -> f64 {
        let g = &self.goods[j];
        g.weight * (price as f64 / g.reference_price).powf(g.elasticity)
    }

    /// Expected tasks of type k per period under incentive power x (ι, or
    /// ι π_t when effort responds to purchasing power): μ_k (x/ι_ref)^{η_k}.
    pub fn task_mean(&self, k: usize, incentive_power: f64) -> f64 {
        self.task_rates[k]
            * (incentive_power / self.reference_issuance_rate).powf(self.effort_elasticities[k])
    }

    /// The purchasing-power index π = Σ_j s_j p_j^ref / p_j of a token
    /// under `levers`, with shares s_j = `spend`_j / Σ spend of the tokens
    /// spent per good (empty or all zero: nothing bought yet, π = 1).
    /// Prices are the whole-token prices couriers pay; the ratio is taken
    /// last, so π = 1 exactly at multipliers of 1 on integer reference prices.
    pub fn purchasing_power(&self, spend: &[f64], levers: &Levers) -> f64 {
        let total: f64 = spend.iter().sum();
        if total <= 0.0 {
            return 1.0;
        }
        let weighted: f64 = spend
            .iter()
            .enumerate()
            .map(|(j, &s)| s * self.goods[j].reference_price / self.price(j, levers) as f64)
            .sum();
        weighted / total
    }
}
