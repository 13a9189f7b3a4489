//! Lever controllers: who sets the token economy's three levers — issuance
//! rate, real-price multiplier and the virtual-price valve (model.md B.1–B.5)
//! — period by period. The counterpart, for the economy, of
//! [`super::RewardPolicy`] for rewards: the engine asks for a
//! recommendation before each period ([`LeverController::recommend`]),
//! operators' overrides are applied on top of it, and the controller is
//! shown the period's counts afterwards ([`LeverController::observe`]).

use crate::engine::PeriodTally;
use crate::model::{Economy, Levers};

/// The budget year as a controller sees it before a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetView {
    /// B_y: this year's budget (yuan).
    pub budget: f64,
    /// C so far this year.
    pub spent: f64,
    /// κ_o, per yuan over.
    pub over_penalty: f64,
    /// κ_u, per yuan under.
    pub under_penalty: f64,
    /// ρ: share of an under-spend cut from next year's budget.
    pub ratchet: f64,
}

/// What a controller sees before period `t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeverContext {
    /// The period about to run.
    pub period: i64,
    /// K_t, tokens outstanding (active + dormant).
    pub float: f64,
    /// The active float: balances of couriers present.
    pub active_float: f64,
    /// The budget year, when the economy has a budget.
    pub budget: Option<BudgetView>,
    /// Periods left in the budget year, this one included.
    pub periods_left: u32,
    /// Periods in a budget year.
    pub periods_per_year: u32,
}

/// Sets the levers. Implement it to plug in another controller.
pub trait LeverController: Send + Sync + std::fmt::Debug {
    /// A short name.
    fn name(&self) -> &str;

    /// The levers recommended for the coming period (before overrides).
    fn recommend(&mut self, ctx: &LeverContext) -> Levers;

    /// The levers in force this period, in recommendation terms (a lever
    /// an operator set, at the value set: [`Economy::planning_levers`]).
    /// A controller that plans from its previous recommendation should
    /// plan from these instead, so it does not wind up while overridden.
    fn implemented(&mut self, levers: &Levers) {
        let _ = levers;
    }

    /// Learns from the period just ended.
    fn observe(&mut self, tally: &PeriodTally) {
        let _ = tally;
    }

    /// A scheduled event changed the economy: take what the new phase
    /// describes, keep what has been learned.
    fn reconfigure(&mut self, economy: &Economy);

    /// State carried between periods, for checkpoints.
    fn save_state(&self) -> Vec<u8> {
        Vec::new()
    }

    /// Takes back what [`LeverController::save_state`] returned.
    fn restore_state(&mut self, state: &[u8]) -> Result<(), String> {
        if state.is_empty() {
            Ok(())
        } else {
            Err(format!("lever controller {} keeps no state", self.name()))
        }
    }
}

/// The configured levers, every period (`[economy]`'s multipliers).
#[derive(Debug, Clone)]
pub struct FixedLevers {
    levers: Levers,
}

impl FixedLevers {
    /// The levers of `economy`.
    pub fn new(economy: &Economy) -> Self {
        FixedLevers {
            levers: economy.levers,
        }
    }
}

impl LeverController for FixedLevers {
    fn name(&self) -> &str {
        "fixed"
    }

    fn recommend(&mut self, _ctx: &LeverContext) -> Levers {
        self.levers
    }

    fn reconfigure(&mut self, economy: &Economy) {
        self.levers = economy.levers;
    }
}
