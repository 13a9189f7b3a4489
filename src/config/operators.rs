//! `[[operators]]`: models of the human operators who turn the lever
//! controller's recommendation into the levers in force (model.md E.4).
//!
//! Each entry is one operator habit on one lever, with its `kind` — the
//! label the override trace records and `tokensim overrides` scores:
//!
//! - `information`: the operator knows of an `[[events]]` entry `lead`
//!   periods before it starts and moves the lever by a rule (a factor on
//!   the recommendation, or a value) from then to the event's end — what
//!   the controller, which only learns a shock after observing it, cannot;
//! - `discretion`: the operator implements the recommendation in their own
//!   way: rounded to a `grid`, not at all while the change is below a
//!   relative `threshold` (inertia), with relative `noise`;
//! - `adherence`: the operator follows the recommendation with
//!   probability `probability` each period, and otherwise leaves the lever
//!   where it was.
//!
//! Design note: an enum tagged by `kind` (not a struct of options), so
//! each habit carries exactly its own keys and a misspelt key is refused.

use serde::{Deserialize, Serialize};

use super::schedule::{Lever, Window};
use super::validate::Problems;

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// One `[[operators]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OperatorConfig {
    /// Knows of an event ahead and acts on it.
    Information {
        /// The `name` of the `[[events]]` entry the operator knows of.
        event: String,
        /// Periods before the event's start from which the operator acts.
        #[serde(default)]
        lead: u32,
        /// Which lever.
        lever: Lever,
        /// Multiply the recommendation by this while acting.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        factor: Option<f64>,
        /// Or set the lever to this.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<f64>,
        /// `false` keeps the entry but follows the recommendation
        /// (the counterfactual of `tokensim overrides`).
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        enabled: bool,
    },
    /// Implements the recommendation with discretion.
    Discretion {
        /// Which lever.
        lever: Lever,
        /// First period (default 0).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<u32>,
        /// Last period, inclusive (default: the end of the run).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<u32>,
        /// Round the implemented value to a multiple of this.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        grid: Option<f64>,
        /// Leave the lever where it was while the recommended change is
        /// below this fraction of it (inertia).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        threshold: Option<f64>,
        /// Relative noise: the value implemented is × (1 + noise · Z),
        /// Z standard normal, before rounding.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        noise: Option<f64>,
        /// See `Information::enabled`.
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        enabled: bool,
    },
    /// Follows the recommendation only sometimes.
    Adherence {
        /// Which lever.
        lever: Lever,
        /// First period (default 0).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<u32>,
        /// Last period, inclusive (default: the end of the run).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<u32>,
        /// Probability of following the recommendation in a period.
        probability: f64,
        /// See `Information::enabled`.
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        enabled: bool,
    },
}

impl OperatorConfig {
    /// The `kind` label.
    pub fn kind(&self) -> &'static str {
        match self {
            OperatorConfig::Information { .. } => "information",
            OperatorConfig::Discretion { .. } => "discretion",
            OperatorConfig::Adherence { .. } => "adherence",
        }
    }

    /// The lever it acts on.
    pub fn lever(&self) -> Lever {
        match self {
            OperatorConfig::Information { lever, .. }
            | OperatorConfig::Discretion { lever, .. }
            | OperatorConfig::Adherence { lever, .. } => *lever,
        }
    }

    /// False when the entry is kept but not applied.
    pub fn enabled(&self) -> bool {
        match self {
            OperatorConfig::Information { enabled, .. }
            | OperatorConfig::Discretion { enabled, .. }
            | OperatorConfig::Adherence { enabled, .. } => *enabled,
        }
    }

    /// The periods in which the operator may act, given the run's events
    /// (an information operator: from `lead` periods before its event to
    /// the event's end; others: `from`..=`to`).
    pub fn window(&self, events: &[super::EventConfig]) -> Option<Window> {
        match self {
            OperatorConfig::Information { event, lead, .. } => {
                let e = events.iter().find(|e| &e.name == event)?.window();
                Some(Window {
                    period: None,
                    from: Some(e.start().saturating_sub(*lead)),
                    to: e.to,
                })
            }
            OperatorConfig::Discretion { from, to, .. }
            | OperatorConfig::Adherence { from, to, .. } => Some(Window {
                period: None,
                from: Some(from.unwrap_or(0)),
                to: *to,
            }),
        }
    }

    pub(crate) fn validate(
        &self,
        key: &str,
        periods: u32,
        events: &[super::EventConfig],
        has_economy: bool,
        problems: &mut Problems,
    ) {
        if !has_economy {
            problems.push(
                format!("{key}.kind"),
                "an [economy] section: operators set the token economy's levers",
            );
        }
        match self {
            OperatorConfig::Information {
                event,
                factor,
                value,
                ..
            } => {
                if !events.iter().any(|e| &e.name == event) {
                    let names: Vec<&str> = events
                        .iter()
                        .map(|e| e.name.as_str())
                        .filter(|n| !n.is_empty())
                        .collect();
                    problems.push(
                        format!("{key}.event"),
                        format!(
                            "the name of an [[events]] entry ({}), got {event:?}",
                            if names.is_empty() {
                                "this configuration names none".to_string()
                            } else {
                                names.join(", ")
                            }
                        ),
                    );
                }
                match (factor, value) {
                    (Some(_), Some(_)) | (None, None) => {
                        problems.push(key, "exactly one of factor or value")
                    }
                    (Some(f), None) => problems.positive(&format!("{key}.factor"), *f),
                    (None, Some(v)) => problems.positive(&format!("{key}.value"), *v),
                }
            }
            OperatorConfig::Discretion {
                grid,
                threshold,
                noise,
                ..
            } => {
                if grid.is_none() && threshold.is_none() && noise.is_none() {
                    problems.push(key, "at least one of grid, threshold or noise");
                }
                if let Some(g) = grid {
                    problems.positive(&format!("{key}.grid"), *g);
                }
                if let Some(t) = threshold {
                    problems.non_negative(&format!("{key}.threshold"), *t);
                }
                if let Some(n) = noise {
                    problems.non_negative(&format!("{key}.noise"), *n);
                }
            }
            OperatorConfig::Adherence { probability, .. } => {
                problems.probability(&format!("{key}.probability"), *probability);
            }
        }
        if let Some(w) = self.window(events) {
            w.validate(key, periods, problems);
        }
    }
}
