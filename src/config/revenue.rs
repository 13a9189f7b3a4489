//! `[revenue]`: the platform's revenue function f of normalized population.

use serde::{Deserialize, Serialize};

use super::validate::Problems;

/// Built-in revenue functions (model.md A.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevenueKind {
    /// f(x) = price · min(x, capacity).
    Newsvendor,
    /// f(x) = price · x.
    Linear,
    /// f(x) = price · √x.
    Sqrt,
    /// f(x) = price · ln(1 + x).
    Log,
    /// f(x) = price · x^exponent, 0 < exponent ≤ 1.
    Power,
}

/// `[revenue]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevenueConfig {
    /// Which revenue function.
    pub kind: RevenueKind,
    /// Scale a of the revenue function (money per unit of normalized agents).
    pub price: f64,
    /// Newsvendor capacity D, per unit of market size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<f64>,
    /// Power exponent β.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exponent: Option<f64>,
}

impl RevenueConfig {
    pub(crate) fn validate(&self, problems: &mut Problems) {
        problems.non_negative("revenue.price", self.price);
        let newsvendor = self.kind == RevenueKind::Newsvendor;
        let power = self.kind == RevenueKind::Power;
        if newsvendor {
            problems.require(
                "revenue.capacity",
                &self.capacity,
                "by kind = \"newsvendor\"",
            );
            if let Some(d) = self.capacity {
                problems.non_negative("revenue.capacity", d);
            }
        } else {
            problems.forbid("revenue.capacity", &self.capacity, "for this revenue kind");
        }
        if power {
            problems.require("revenue.exponent", &self.exponent, "by kind = \"power\"");
            if let Some(b) = self.exponent {
                if !(b > 0.0 && b <= 1.0) {
                    problems.push("revenue.exponent", format!("a number in (0, 1], got {b}"));
                }
            }
        } else {
            problems.forbid("revenue.exponent", &self.exponent, "for this revenue kind");
        }
    }
}
