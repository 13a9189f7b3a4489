//! The token economy (model.md Part B): `[economy]`, `[[mall.goods]]` and
//! `[budget]`, plus the per-type work and shopping rates in `[[types]]`.
//!
//! The description only: [`crate::model::Economy`] and
//! [`crate::model::Steering`] are what the engine runs, compiled from these.
//! The enums shared by both (what effort answers, what the valve steers…)
//! are the model's, re-exported here for the TOML keys that name them.

use serde::{Deserialize, Serialize};

use super::validate::Problems;
pub use crate::model::{FloatMeasure, IncentiveMeasure, IssuanceRule, RealPriceControl, ValveRole};

/// How the balances of agents present at period 0 are drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialBalance {
    /// `fixed`, `poisson` or `exponential`.
    pub kind: InitialBalanceKind,
    /// Its mean, in tokens.
    pub mean: f64,
}

/// Families of initial balance distributions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitialBalanceKind {
    /// Everyone starts with `mean` (rounded).
    Fixed,
    /// Poisson(mean).
    Poisson,
    /// Exponential(mean), rounded down.
    Exponential,
}

/// `[economy]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EconomyConfig {
    /// Lever 1: tokens issued per task (ι).
    pub issuance_rate: f64,
    /// ι_ref, the rate at which task rates are as configured.
    #[serde(default = "one")]
    pub reference_issuance_rate: f64,
    /// Lever 2: multiplier on real goods' reference prices.
    #[serde(default = "one")]
    pub real_price_multiplier: f64,
    /// Lever 3: multiplier on virtual goods' reference prices (the valve).
    #[serde(default = "one")]
    pub virtual_price_multiplier: f64,
    /// Periods in a budget year.
    #[serde(default = "weeks")]
    pub periods_per_year: u32,
    /// True: a leaver's balance is forfeited (F_t); false: it stays a liability.
    #[serde(default = "yes")]
    pub forfeit_on_departure: bool,
    /// Balances of the agents present at period 0 (newcomers start at 0).
    #[serde(default = "no_balance")]
    pub initial_balance: InitialBalance,
    /// Weight w_0 of "no purchase" in the mall's logit.
    #[serde(default = "one")]
    pub no_purchase_weight: f64,
    /// What effort (and a `departure_signal = "credited"` departure)
    /// responds to: tokens per task alone, or what those tokens buy.
    #[serde(default)]
    pub incentive: IncentiveMeasure,
    /// Yuan of value per task done: the incentive value V_t = this × tasks.
    #[serde(default = "one")]
    pub task_value: f64,
}

fn one() -> f64 {
    1.0
}
fn weeks() -> u32 {
    52
}
fn yes() -> bool {
    true
}
fn no_balance() -> InitialBalance {
    InitialBalance {
        kind: InitialBalanceKind::Fixed,
        mean: 0.0,
    }
}

/// Redemption channel of a good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Zero cash cost to the firm.
    Virtual,
    /// Draws on the annual budget.
    Real,
}

/// Elasticity classes of model.md B.2 (penetration × depth).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ElasticityClass {
    /// Habit: many buyers, high quantity; e ∈ (−0.4, −0.1).
    A,
    /// Substitutable: many buyers, low quantity; e ∈ (−1.5, −1.1).
    B,
    /// Sticky: few buyers, high quantity; e ∈ (−0.9, −0.5).
    C,
    /// Threshold-sensitive: few buyers, low quantity; e ∈ (−1.5, −1.1).
    D,
}

impl ElasticityClass {
    /// The class's default elasticity: the midpoint of its range.
    pub fn default_elasticity(self) -> f64 {
        match self {
            ElasticityClass::A => -0.25,
            ElasticityClass::B | ElasticityClass::D => -1.3,
            ElasticityClass::C => -0.7,
        }
    }
}

/// One `[[mall.goods]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoodConfig {
    /// Name.
    pub name: String,
    /// `virtual` or `real`.
    pub channel: Channel,
    /// Reference token price p_ref.
    pub price: f64,
    /// Yuan per unit (real goods only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash_cost: Option<f64>,
    /// Elasticity class (default elasticity from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<ElasticityClass>,
    /// Explicit own-price elasticity e_j (overrides the class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elasticity: Option<f64>,
    /// Appeal weight w_j in the logit.
    #[serde(default = "one")]
    pub weight: f64,
    /// Yuan a courier is taken to value one unit of a virtual good at, for
    /// the audit's value per token redeemed (virtual goods only; default 0:
    /// real goods are valued at their cash cost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

impl GoodConfig {
    /// e_j: the explicit elasticity, else the class midpoint.
    pub fn elasticity(&self) -> f64 {
        self.elasticity
            .or(self.class.map(ElasticityClass::default_elasticity))
            .unwrap_or(-1.0)
    }
}

/// `[mall]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MallConfig {
    /// The goods.
    #[serde(default)]
    pub goods: Vec<GoodConfig>,
}

/// `[budget]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetConfig {
    /// B for the first year (yuan).
    pub annual: f64,
    /// κ_o: penalty per yuan over budget.
    #[serde(default = "one")]
    pub over_penalty: f64,
    /// κ_u: penalty per yuan under budget.
    #[serde(default = "half")]
    pub under_penalty: f64,
    /// ρ: share of the underspend cut from next year's budget.
    #[serde(default = "half")]
    pub ratchet: f64,
    /// Real goods are out of stock once the year's cost reaches the budget.
    #[serde(default)]
    pub hard_cap: bool,
}

fn half() -> f64 {
    0.5
}

impl EconomyConfig {
    pub(crate) fn validate(&self, problems: &mut Problems) {
        problems.non_negative("economy.issuance_rate", self.issuance_rate);
        problems.positive(
            "economy.reference_issuance_rate",
            self.reference_issuance_rate,
        );
        problems.positive("economy.real_price_multiplier", self.real_price_multiplier);
        problems.positive(
            "economy.virtual_price_multiplier",
            self.virtual_price_multiplier,
        );
        if self.periods_per_year < 1 {
            problems.push("economy.periods_per_year", "an integer >= 1");
        }
        problems.non_negative("economy.initial_balance.mean", self.initial_balance.mean);
        problems.non_negative("economy.no_purchase_weight", self.no_purchase_weight);
        problems.non_negative("economy.task_value", self.task_value);
    }
}

impl MallConfig {
    pub(crate) fn validate(&self, problems: &mut Problems) {
        let mut names = std::collections::HashSet::new();
        for (j, g) in self.goods.iter().enumerate() {
            let key = |k: &str| format!("mall.goods.{j}.{k}");
            if g.name.is_empty() || !names.insert(g.name.as_str()) {
                problems.push(
                    key("name"),
                    format!("a unique, non-empty good name, got {:?}", g.name),
                );
            }
            problems.positive(&key("price"), g.price);
            match (g.channel, g.cash_cost) {
                (Channel::Real, None) => problems.push(
                    key("cash_cost"),
                    "a cash cost (yuan per unit) for a real good",
                ),
                (Channel::Real, Some(c)) => problems.positive(&key("cash_cost"), c),
                (Channel::Virtual, Some(_)) => problems.push(
                    key("cash_cost"),
                    "no cash cost: virtual goods cost the firm nothing",
                ),
                (Channel::Virtual, None) => {}
            }
            match (g.channel, g.value) {
                (Channel::Real, Some(_)) => problems.push(
                    key("value"),
                    "no value: a real good is valued at its cash_cost",
                ),
                (Channel::Virtual, Some(v)) => problems.non_negative(&key("value"), v),
                (_, None) => {}
            }
            if let Some(e) = g.elasticity {
                if !(e.is_finite() && e <= 0.0) {
                    problems.push(key("elasticity"), format!("an elasticity <= 0, got {e}"));
                }
            }
            problems.non_negative(&key("weight"), g.weight);
        }
    }
}

impl BudgetConfig {
    pub(crate) fn validate(&self, problems: &mut Problems) {
        problems.positive("budget.annual", self.annual);
        problems.non_negative("budget.over_penalty", self.over_penalty);
        problems.non_negative("budget.under_penalty", self.under_penalty);
        problems.probability("budget.ratchet", self.ratchet);
    }
}

/// `[steer]`: the predict-then-optimize lever controller (model.md B.5),
/// used when `policy.kind = "steer"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SteerConfig {
    /// Weight of the newest period in the smoothed forecasts.
    #[serde(default = "smoothing")]
    pub smoothing: f64,
    /// The controller believes each elasticity is e_j × this (1 = right).
    #[serde(default = "one")]
    pub elasticity_error: f64,
    /// Or the controller's beliefs per good, in the order of
    /// `[[mall.goods]]` (then `elasticity_error` scales these): for true
    /// elasticities that differ from what the firm believes, e.g. drawn
    /// within their class ranges while it believes the class midpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub believed_elasticities: Option<Vec<f64>>,
    /// Band of the real-price multiplier (lever 2).
    #[serde(default = "real_band")]
    pub real_price_band: [f64; 2],
    /// Band of the virtual-price multiplier (lever 3, the valve).
    #[serde(default = "valve_band")]
    pub valve_band: [f64; 2],
    /// The float band [K_lo, K_hi] in tokens per unit of simulation.scale
    /// (≈ per courier), the return point Z = its midpoint; or give
    /// `miller_orr` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub float_band: Option<[f64; 2]>,
    /// Miller–Orr band from its parameters (model.md B.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miller_orr: Option<MillerOrr>,
    /// Which float the band acts on: `"active"` (K_t minus leavers'
    /// balances, model.md E.3; the default) or `"whole"` (K_t, the first
    /// round's). Leavers' balances never come back to be spent, so a band
    /// on the whole float chases them with ever lower issuance.
    #[serde(default)]
    pub float_measure: FloatMeasure,
    /// What the valve steers: `"budget"` (the research's separation P1:
    /// the virtual price lands real cash cost on the budget target, real
    /// prices take over only beyond the valve's reach, issuance keeps the
    /// float in its band) or `"float"` (the first round's controller: real
    /// prices steer the budget, the valve spends the float's excess).
    #[serde(default)]
    pub valve: ValveRole,
    /// How real prices fine-tune beyond the valve's reach (`valve =
    /// "budget"`): `"by_class"` (one multiplier per elasticity class, the
    /// most elastic class first; the default) or `"uniform"` (one for all
    /// real goods).
    #[serde(default)]
    pub real_prices: RealPriceControl,
    /// Periods over which the valve closes the gap between float and Z
    /// (`valve = "float"` only).
    #[serde(default = "horizon")]
    pub horizon: f64,
    /// Relative change of the issuance rate when the float leaves its band.
    #[serde(default = "step")]
    pub issuance_step: f64,
    /// How issuance serves the float band: `"band"` (the default: one
    /// `issuance_step` a period while the float is outside its band, held
    /// inside) or `"return"` (every period towards the rate predicted to
    /// close 1/`horizon` of the gap to the return point, net of the
    /// balances leaving with couriers, at most one step a period).
    #[serde(default, skip_serializing_if = "is_band")]
    pub issuance_rule: IssuanceRule,
    /// Target the ratchet-aware z* from the dynamic programme over budget
    /// years (model.md E.3, P3) instead of the one-year fractile.
    #[serde(default)]
    pub ratchet_aware: bool,
    /// v: value of a yuan of budget left after the planning horizon (the
    /// programme's terminal value). With one planning year the programme's
    /// answer is the fractile κ_o/(κ_o + κ_u + ρβv).
    #[serde(default = "one")]
    pub ratchet_value: f64,
    /// Budget years the ratchet-aware programme plans over.
    #[serde(default = "planning_years")]
    pub planning_years: usize,
    /// β: discount per budget year in the programme.
    #[serde(default = "discount")]
    pub discount: f64,
    /// Fair steering (model.md E.5): keep the pay rate of every type within
    /// this relative difference of every other's, whenever each type is
    /// present. The issuance rate then stays in [L, L(1 + tolerance)] with
    /// L = ι_0/(1 + tolerance/2), ι_0 the configured `economy.issuance_rate`:
    /// a type's pay rate is a task-weighted mean of the issuance path, so
    /// two types' rates differ by at most L · tolerance ≤ tolerance × the
    /// overall rate. Absent: issuance is unconstrained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_rate_tolerance: Option<f64>,
    /// Adherence-aware advice (model.md E.4): when an `[[operators]]`
    /// entry of kind "adherence" follows the recommendation for a lever
    /// only with probability a, recommend the move from the lever in force
    /// scaled by 1/a (within the lever's band), so that the expected lever
    /// in force is the one the controller wants.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adherence_aware: bool,
    /// λ, yuan per yuan of incentive value (model.md E.3): the controller
    /// picks the levers that minimise E[Π] − λ·V over the rest of the
    /// budget year, Π the year's expected budget penalty and V the value of
    /// the tasks couriers do (`economy.task_value` × tasks), subject to the
    /// float band. 0 (the default): V is not weighed — the valve meets the
    /// budget target, real prices take over beyond its reach, and issuance
    /// moves only when the float leaves its band.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub value_weight: f64,
}

fn is_band(rule: &IssuanceRule) -> bool {
    *rule == IssuanceRule::Band
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// Miller–Orr parameters: spread S = 3(¾·F_c σ²/i)^{1/3}, Z = K_lo + S/3,
/// K_hi = K_lo + S, with σ² the variance of I_t − R_t per period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MillerOrr {
    /// K_lo, tokens per unit of simulation.scale.
    pub lower: f64,
    /// F_c: cost of one lever change.
    pub change_cost: f64,
    /// i: carrying cost per token per period.
    pub carrying_cost: f64,
}

fn smoothing() -> f64 {
    0.3
}
fn real_band() -> [f64; 2] {
    [0.85, 1.15]
}
fn valve_band() -> [f64; 2] {
    [0.3, 1.5]
}
fn planning_years() -> usize {
    3
}
fn discount() -> f64 {
    0.9
}
fn horizon() -> f64 {
    20.0
}
fn step() -> f64 {
    0.01
}

impl SteerConfig {
    pub(crate) fn validate(&self, problems: &mut Problems) {
        if !(self.smoothing > 0.0 && self.smoothing <= 1.0) {
            problems.push(
                "steer.smoothing",
                format!("a weight in (0, 1], got {}", self.smoothing),
            );
        }
        problems.positive("steer.elasticity_error", self.elasticity_error);
        for (key, [lo, hi]) in [
            ("steer.real_price_band", self.real_price_band),
            ("steer.valve_band", self.valve_band),
        ] {
            if !(lo > 0.0 && hi >= lo && hi.is_finite()) {
                problems.push(
                    key,
                    format!("[low, high] with 0 < low <= high, got [{lo}, {hi}]"),
                );
            }
        }
        match (&self.float_band, &self.miller_orr) {
            (Some(_), Some(_)) => problems.push(
                "steer.miller_orr",
                "either float_band or miller_orr, not both",
            ),
            (None, None) => problems.push(
                "steer.float_band",
                "a float band [low, high] in tokens, or a miller_orr table",
            ),
            (Some([lo, hi]), None) => {
                if !(*lo >= 0.0 && hi > lo) {
                    problems.push(
                        "steer.float_band",
                        format!("[low, high] with 0 <= low < high, got [{lo}, {hi}]"),
                    );
                }
            }
            (None, Some(m)) => {
                problems.non_negative("steer.miller_orr.lower", m.lower);
                problems.positive("steer.miller_orr.change_cost", m.change_cost);
                problems.positive("steer.miller_orr.carrying_cost", m.carrying_cost);
            }
        }
        problems.positive("steer.horizon", self.horizon);
        problems.non_negative("steer.issuance_step", self.issuance_step);
        if let Some(t) = self.pay_rate_tolerance {
            if !(t.is_finite() && t > 0.0 && t < 1.0) {
                problems.push(
                    "steer.pay_rate_tolerance",
                    format!("a relative tolerance in (0, 1), got {t}"),
                );
            }
        }
        problems.non_negative("steer.ratchet_value", self.ratchet_value);
        if !(1..=20).contains(&self.planning_years) {
            problems.push(
                "steer.planning_years",
                format!("1 to 20 budget years, got {}", self.planning_years),
            );
        }
        problems.probability("steer.discount", self.discount);
        problems.non_negative("steer.value_weight", self.value_weight);
    }
}
