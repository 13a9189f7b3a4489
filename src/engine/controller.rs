//! The predict-then-optimize lever controller (`steer`, model.md B.5).
//!
//! Every period, before redemption is seen: *predict* this period's cash
//! cost, real and virtual redemption and issuance from exponentially
//! smoothed observations; *target* the budget by the newsvendor critical
//! fractile — the planned cost of the rest of the year is B − C_so_far −
//! z*·σ_C·√n, z* = Φ⁻¹(κ_o/(κ_o+κ_u)) (or κ_o/(κ_o+κ_u+ρV') when
//! ratchet-aware); then set the *levers*: real prices (within their band)
//! so that predicted cash cost meets the target, the virtual-price valve so
//! that extra virtual redemption closes the gap between the float and its
//! return point Z over `horizon` periods, and the issuance rate moved only
//! when the float leaves its band. Demand responses use the controller's
//! beliefs about elasticities (the true ones × `elasticity_error`).

use serde::{Deserialize, Serialize};

use super::tally::PeriodTally;
use crate::config::SteerConfig;
use crate::model::{Economy, Levers};
use crate::policy::{BudgetView, LeverContext, LeverController};

/// Φ⁻¹(p), Acklam's rational approximation (relative error < 1.2e-9).
pub fn inverse_normal(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// An exponentially smoothed mean and variance.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct Smoothed {
    mean: Option<f64>,
    var: f64,
}

impl Smoothed {
    fn update(&mut self, x: f64, w: f64) {
        match self.mean {
            None => self.mean = Some(x),
            Some(m) => {
                let d = x - m;
                self.mean = Some(m + w * d);
                self.var = (1.0 - w) * (self.var + w * d * d);
            }
        }
    }
}

/// The state of the lever controller.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Controller {
    config: SteerConfig,
    real_elasticity: f64,
    virtual_elasticity: f64,
    cash: Smoothed,
    virtual_tokens: Smoothed,
    net_inflow: Smoothed,
    /// Market size θ: the float band is given per unit of it.
    scale: f64,
    /// The recommendation in force.
    pub levers: Levers,
}

impl Controller {
    pub fn new(config: SteerConfig, economy: &Economy, scale: f64) -> Self {
        let believed = |real: bool| {
            let goods: Vec<_> = economy.goods.iter().filter(|g| g.real == real).collect();
            let weight: f64 = goods.iter().map(|g| g.weight).sum();
            let e = goods.iter().map(|g| g.weight * g.elasticity).sum::<f64>() / weight.max(1e-12);
            e * config.elasticity_error
        };
        Controller {
            real_elasticity: believed(true),
            virtual_elasticity: believed(false),
            cash: Smoothed::default(),
            virtual_tokens: Smoothed::default(),
            net_inflow: Smoothed::default(),
            levers: economy.levers,
            scale,
            config,
        }
    }

    /// Takes the configuration and the believed elasticities of a new
    /// phase (scheduled events), keeping what it has learned and the levers
    /// it recommends.
    pub fn reconfigure(&mut self, config: SteerConfig, economy: &Economy) {
        let fresh = Controller::new(config, economy, self.scale);
        self.real_elasticity = fresh.real_elasticity;
        self.virtual_elasticity = fresh.virtual_elasticity;
        self.config = fresh.config;
    }

    /// Learns from the period just ended.
    pub fn observe(&mut self, tally: &PeriodTally) {
        let w = self.config.smoothing;
        self.cash.update(tally.cash_cost, w);
        self.virtual_tokens.update(tally.redeemed_virtual as f64, w);
        let net = tally.issuance as f64 - (tally.redeemed_real + tally.redeemed_virtual) as f64;
        self.net_inflow.update(net, w);
    }

    /// (K_lo, Z, K_hi) of the float band, in tokens (configured per unit of
    /// market size θ, so that a scenario keeps its meaning at another θ).
    fn band(&self) -> (f64, f64, f64) {
        let s = self.scale;
        match (&self.config.float_band, &self.config.miller_orr) {
            (Some([lo, hi]), _) => (lo * s, 0.5 * (lo + hi) * s, hi * s),
            (None, Some(m)) => {
                // σ² of the net inflow per unit of θ.
                let var = self.net_inflow.var / (s * s);
                let spread = 3.0 * (0.75 * m.change_cost * var / m.carrying_cost).cbrt();
                (
                    (m.lower) * s,
                    (m.lower + spread / 3.0) * s,
                    (m.lower + spread) * s,
                )
            }
            (None, None) => (0.0, f64::INFINITY, f64::INFINITY),
        }
    }

    /// The levers recommended for period `t`, given the float and the budget
    /// year so far (`periods_left` periods remain in it, this one included).
    pub fn recommend(&mut self, float: f64, budget: &BudgetView, periods_left: u32) -> Levers {
        let (Some(cash), Some(virt)) = (self.cash.mean, self.virtual_tokens.mean) else {
            return self.levers;
        };
        let c = &self.config;
        let clamp = |x: f64, band: [f64; 2]| x.clamp(band[0], band[1]);

        // Target: the critical fractile of the remaining year's cost.
        let fractile = if c.ratchet_aware {
            budget.over_penalty
                / (budget.over_penalty + budget.under_penalty + budget.ratchet * c.ratchet_value)
        } else {
            budget.over_penalty / (budget.over_penalty + budget.under_penalty)
        };
        let n = periods_left.max(1) as f64;
        let sigma = (self.cash.var * n).sqrt();
        let planned = (budget.budget - budget.spent - inverse_normal(fractile) * sigma).max(0.0);
        let target = planned / n;

        // Lever 2: cash cost ∝ units ∝ m^ê (damped by half a step).
        if cash > 0.0 && target > 0.0 && self.real_elasticity < 0.0 {
            let step = 0.5 * (target / cash).ln() / self.real_elasticity;
            self.levers.real_price_mult =
                clamp(self.levers.real_price_mult * step.exp(), c.real_price_band);
        }

        // Lever 3, the valve: virtual tokens ∝ m^(1+ê); spend the float's
        // excess over Z within `horizon` periods.
        let (lo, z, hi) = self.band();
        if z.is_finite() && virt > 0.0 {
            let wanted = (virt + (float - z) / c.horizon).max(0.1 * virt);
            let response = 1.0 + self.virtual_elasticity;
            let step = if response < -0.05 {
                0.5 * (wanted / virt).ln() / response
            } else {
                // Spending barely responds to price: move in the right direction.
                -0.05 * (wanted - virt).signum()
            };
            self.levers.virtual_price_mult =
                clamp(self.levers.virtual_price_mult * step.exp(), c.valve_band);
        }

        // Lever 1: moved only to keep the float inside its band.
        if float > hi {
            self.levers.issuance_rate *= 1.0 - c.issuance_step;
        } else if float < lo {
            self.levers.issuance_rate *= 1.0 + c.issuance_step;
        }
        self.levers
    }
}

impl LeverController for Controller {
    fn name(&self) -> &str {
        "steer"
    }

    /// Steers only with a budget to steer to; without one the
    /// recommendation stays where it is.
    fn recommend(&mut self, ctx: &LeverContext) -> Levers {
        match &ctx.budget {
            // The band still acts on the whole float K_t. model.md E.3
            // wants the active float; with today's controller and mall that
            // reverses the steering row (virtual −32 %), so the switch waits
            // for the valve to steer the budget (issue 12, points 2 and 4).
            Some(budget) => Controller::recommend(self, ctx.float, budget, ctx.periods_left),
            None => self.levers,
        }
    }

    fn observe(&mut self, tally: &PeriodTally) {
        Controller::observe(self, tally);
    }

    fn reconfigure(&mut self, economy: &Economy) {
        let config = economy.steer.clone().unwrap_or_else(|| self.config.clone());
        Controller::reconfigure(self, config, economy);
    }

    fn save_state(&self) -> Vec<u8> {
        rmp_serde::to_vec_named(self).expect("the controller serializes")
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), String> {
        *self = rmp_serde::from_slice(state).map_err(|e| format!("steer controller: {e}"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn inverse_normal_known_values() {
        assert!((super::inverse_normal(0.5)).abs() < 1e-9);
        assert!((super::inverse_normal(0.975) - 1.959963985).abs() < 1e-6);
        assert!((super::inverse_normal(0.1) + 1.281551566).abs() < 1e-6);
    }
}
