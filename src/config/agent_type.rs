//! `[[types]]`: agent types, their arrival rates and departure functions.

use serde::{Deserialize, Serialize};

use super::departure::{DepartureConfig, DepartureKind};
use super::validate::Problems;
pub use crate::model::DepartureSignal;

/// One `[[types]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeConfig {
    /// Unique name, used for HDF5 group names.
    pub name: String,
    /// Arrival rate λ_k per unit of market size.
    pub arrival_rate: f64,
    /// Departure function p_k.
    pub departure: DepartureConfig,
    /// Token economy: tasks per period at the reference issuance rate (μ_k).
    #[serde(default)]
    pub task_rate: f64,
    /// Token economy: effort response η_k ≥ 0 to the issuance rate.
    #[serde(default)]
    pub effort_elasticity: f64,
    /// Token economy: shopping visits per period (ν_k).
    #[serde(default)]
    pub shopping_rate: f64,
    /// Token economy: what departure looks at — the policy reward (the
    /// paper's model) or all tokens credited this period.
    #[serde(default)]
    pub departure_signal: DepartureSignal,
    /// Rational entry (the paper's Appendix C.1): agents of this type arrive
    /// only while the average reward they can expect is at least this many
    /// tokens. Absent: they always arrive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation_value: Option<f64>,
    /// Periods of announced rewards averaged for that decision (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_window: Option<u32>,
}

/// The longest `entry_window` accepted.
pub const MAX_ENTRY_WINDOW: u32 = 10_000;

impl TypeConfig {
    pub(crate) fn validate(&self, key: &str, rewards: usize, problems: &mut Problems) {
        if self.name.is_empty() || self.name.contains(['/', '.']) || self.name.trim() != self.name {
            problems.push(
                format!("{key}.name"),
                format!(
                    "a non-empty name without '/', '.' or surrounding spaces, got {:?}",
                    self.name
                ),
            );
        }
        problems.non_negative(&format!("{key}.arrival_rate"), self.arrival_rate);
        problems.non_negative(&format!("{key}.task_rate"), self.task_rate);
        problems.non_negative(&format!("{key}.effort_elasticity"), self.effort_elasticity);
        problems.non_negative(&format!("{key}.shopping_rate"), self.shopping_rate);
        if self.departure_signal == DepartureSignal::Credited
            && self.departure.kind() == DepartureKind::JointTable
        {
            problems.push(
                format!("{key}.departure_signal"),
                "\"reward\" with a joint_table departure (it is defined on rewards)",
            );
        }
        if let Some(v) = self.reservation_value {
            if !v.is_finite() {
                problems.push(
                    format!("{key}.reservation_value"),
                    format!("a finite number of tokens, got {v}"),
                );
            }
        }
        if let Some(w) = self.entry_window {
            if !(1..=MAX_ENTRY_WINDOW).contains(&w) {
                problems.push(
                    format!("{key}.entry_window"),
                    format!("a number of periods in [1, {MAX_ENTRY_WINDOW}], got {w}"),
                );
            }
            if self.reservation_value.is_none() {
                problems.push(
                    format!("{key}.entry_window"),
                    "to be set only with reservation_value",
                );
            }
        }
        self.departure
            .validate(&format!("{key}.departure"), rewards, problems);
    }
}
