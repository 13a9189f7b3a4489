//! The lever controller's settings, compiled (model.md B.5 and E.3).
//!
//! `[steer]` is a description with alternatives spelled as optional keys
//! (a `float_band` or a `miller_orr`, beliefs as a list or a scale on the
//! truth, `ratchet_aware` with its programme's parameters); the controller
//! reads this instead: one typed variant per alternative, the beliefs
//! resolved per good. Compiled once per model phase (an `[[events]]` entry
//! that changes a `steer.*` key gives its window a phase of its own).

use serde::{Deserialize, Serialize};

use super::Good;
use crate::config::SteerConfig;

/// What the valve (the virtual-price multiplier) steers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValveRole {
    /// Real cash cost onto the budget target, through cross-channel
    /// substitution (model.md E.3, P1).
    #[default]
    Budget,
    /// The float's excess over its return point (the first round's design).
    Float,
}

/// How real prices are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RealPriceControl {
    /// One multiplier per elasticity class (A–D), each within the real band.
    #[default]
    ByClass,
    /// One multiplier for every real good.
    Uniform,
}

/// The float a controller's band applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FloatMeasure {
    /// K_t, every token outstanding, leavers' balances included.
    Whole,
    /// The balances of couriers present: K_t − dormant float.
    #[default]
    Active,
}

/// How the issuance rate serves the float band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssuanceRule {
    /// One `issuance_step` a period while the float is outside its band,
    /// held inside it (the first design; it swings between the edges).
    #[default]
    Band,
    /// Every period, towards the rate at which the float is predicted to
    /// close 1/`horizon` of its gap to the return point (at most one
    /// `issuance_step` a period).
    Return,
}

/// The float band, in tokens per unit of market size θ.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum FloatBand {
    /// No band: issuance never moves for the float.
    Unbounded,
    /// [K_lo, K_hi] with the return point Z at its midpoint.
    Fixed {
        /// K_lo.
        low: f64,
        /// K_hi.
        high: f64,
    },
    /// Miller–Orr: spread S = 3(¾·F_c σ²/i)^{1/3} from the variance σ² of
    /// the net inflow per period, Z = K_lo + S/3, K_hi = K_lo + S.
    MillerOrr {
        /// K_lo.
        lower: f64,
        /// F_c: cost of one lever change.
        change_cost: f64,
        /// i: carrying cost per token per period.
        carrying_cost: f64,
    },
}

/// The ratchet-aware target's programme over budget years (model.md E.3,
/// P3).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RatchetPlanning {
    /// Budget years planned over.
    pub years: usize,
    /// β, discount per budget year.
    pub discount: f64,
    /// v, the terminal value of a yuan of budget.
    pub terminal_value: f64,
}

/// Everything the steer controller is told, compiled from `[steer]` and
/// the mall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Steering {
    /// Weight of the newest period in the smoothed forecasts.
    pub smoothing: f64,
    /// The elasticity the controller believes of each good, in mall order
    /// (`believed_elasticities` or the truth, times `elasticity_error`).
    pub believed_elasticities: Vec<f64>,
    /// Band of the real-price multipliers.
    pub real_price_band: [f64; 2],
    /// Band of the valve.
    pub valve_band: [f64; 2],
    /// The float band.
    pub float_band: FloatBand,
    /// Which float the band acts on.
    pub float_measure: FloatMeasure,
    /// What the valve steers.
    pub valve: ValveRole,
    /// How real prices are set.
    pub real_prices: RealPriceControl,
    /// Periods ahead the float is projected (λ > 0), or over which the
    /// valve closes K − Z (`valve = "float"`).
    pub horizon: f64,
    /// Relative move of ι when the float leaves its band (at most, per
    /// period, under the return rule).
    pub issuance_step: f64,
    /// How issuance serves the band.
    pub issuance_rule: IssuanceRule,
    /// The ratchet-aware target's programme; `None`: the one-year fractile.
    pub ratchet: Option<RatchetPlanning>,
    /// Fair steering's bound on the types' pay-rate difference.
    pub pay_rate_tolerance: Option<f64>,
    /// Advise knowing the operators' adherence.
    pub adherence_aware: bool,
    /// λ, yuan per yuan of incentive value in the objective.
    pub value_weight: f64,
}

impl Steering {
    /// Compiles a validated `[steer]` for the mall `goods`.
    pub fn new(config: &SteerConfig, goods: &[Good]) -> Steering {
        let believed_elasticities = goods
            .iter()
            .enumerate()
            .map(|(j, g)| {
                let belief = config
                    .believed_elasticities
                    .as_ref()
                    .map_or(g.elasticity, |beliefs| beliefs[j]);
                belief * config.elasticity_error
            })
            .collect();
        let float_band = match (&config.float_band, &config.miller_orr) {
            (Some([low, high]), _) => FloatBand::Fixed {
                low: *low,
                high: *high,
            },
            (None, Some(m)) => FloatBand::MillerOrr {
                lower: m.lower,
                change_cost: m.change_cost,
                carrying_cost: m.carrying_cost,
            },
            (None, None) => FloatBand::Unbounded,
        };
        Steering {
            smoothing: config.smoothing,
            believed_elasticities,
            real_price_band: config.real_price_band,
            valve_band: config.valve_band,
            float_band,
            float_measure: config.float_measure,
            valve: config.valve,
            real_prices: config.real_prices,
            horizon: config.horizon,
            issuance_step: config.issuance_step,
            issuance_rule: config.issuance_rule,
            ratchet: config.ratchet_aware.then_some(RatchetPlanning {
                years: config.planning_years,
                discount: config.discount,
                terminal_value: config.ratchet_value,
            }),
            pay_rate_tolerance: config.pay_rate_tolerance,
            adherence_aware: config.adherence_aware,
            value_weight: config.value_weight,
        }
    }
}
