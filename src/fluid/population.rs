//! Steady-state populations n_k(φ) of the fluid system (model.md A.5).

use crate::model::{stationary_cohort, AgentType, StationaryError};

/// Why a distribution cannot be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum Infeasible {
    /// This type never leaves under φ: its population is infinite.
    NeverLeaves(String),
    /// The exact stationary population is too expensive to compute.
    TooManyStates(String),
}

impl std::fmt::Display for Infeasible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Infeasible::NeverLeaves(t) => {
                write!(f, "type {t:?} never leaves (infinite population)")
            }
            Infeasible::TooManyStates(t) => {
                write!(
                    f,
                    "type {t:?}: history space too large for the exact stationary population"
                )
            }
        }
    }
}

/// n_k(φ) per unit market size: λ_k/p_k(φ) for memoryless departures, and
/// λ_k times the agents present per arrival of the exact stationary
/// recursion otherwise (memory, grace periods, `joint_table`).
pub fn population_of(t: &AgentType, phi: &[f64]) -> Result<f64, Infeasible> {
    if t.arrival_rate == 0.0 {
        return Ok(0.0);
    }
    if t.departure.is_memoryless() {
        let p = t.departure.under_distribution(phi);
        return if p > 0.0 {
            Ok(t.arrival_rate / p)
        } else {
            Err(Infeasible::NeverLeaves(t.name.clone()))
        };
    }
    match stationary_cohort(&t.departure, phi) {
        Ok(c) => Ok(t.arrival_rate * c.present_per_arrival),
        Err(StationaryError::NeverLeaves) => Err(Infeasible::NeverLeaves(t.name.clone())),
        Err(StationaryError::TooManyStates(_)) => Err(Infeasible::TooManyStates(t.name.clone())),
    }
}
