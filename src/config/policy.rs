//! `[policy]`: which reward policy pays the agents, and its parameters.

use serde::{Deserialize, Serialize};

use super::validate::Problems;

/// Reward policies (model.md A.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// One distribution φ every period.
    Static,
    /// Everyone is paid one reward every period.
    Fixed,
    /// A two-point lottery on {low, high} with a given mean.
    Lottery,
    /// A cycle of distributions, repeated.
    Cyclic,
    /// The Fluid-Opt distribution φ*.
    Fluid,
    /// Explicit discrimination by per-agent Bayesian beliefs.
    Belief,
    /// The token-economy lever controller.
    Steer,
    /// A policy registered from Rust by name (`policy.name`).
    Custom,
    /// Two-period joint policy (the paper's Appendix G): each agent's reward
    /// drawn given the reward it was paid last period.
    Markov,
}

impl PolicyKind {
    /// The TOML spelling.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Static => "static",
            PolicyKind::Fixed => "fixed",
            PolicyKind::Lottery => "lottery",
            PolicyKind::Cyclic => "cyclic",
            PolicyKind::Fluid => "fluid",
            PolicyKind::Belief => "belief",
            PolicyKind::Steer => "steer",
            PolicyKind::Custom => "custom",
            PolicyKind::Markov => "markov",
        }
    }
}

/// `[policy]` section. Flat: the keys of every kind may sit side by side and
/// those of other kinds are ignored, so that `--set policy.kind=...` or a
/// sweep over `policy.kind` can switch kinds; misspelled keys are rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// Which policy.
    pub kind: PolicyKind,
    /// `static`: φ over R.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Vec<f64>>,
    /// `fixed`: the reward paid (must be in R).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// `lottery`: the low reward (in R).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    /// `lottery`: the high reward (in R).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
    /// `lottery`: the mean reward, between low and high.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// `cyclic`: one distribution over R per period of the cycle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle: Option<Vec<Vec<f64>>>,
    /// `belief`: reward paid to newcomers while the believed-cheap stock is
    /// below its target (default: max R).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<f64>,
    /// `belief`: reward paid to retained agents believed cheap (default: the probe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain: Option<f64>,
    /// `belief`: posterior probability of the cheap type from which an agent
    /// is believed cheap (default 0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// `belief`: stock of retained agents believed cheap, per unit of
    /// simulation.scale (default: the stock that, with each period's
    /// newcomers and the other types paid the lowest reward, makes the fluid
    /// population the newsvendor capacity, or n(φ*) without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// `belief`: name of the type the policy tries to keep (default: the
    /// type least likely to leave when paid the retaining reward).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cheap_type: Option<String>,
    /// `custom`: the name it was registered under
    /// ([`crate::policy::register_policy`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `custom`: its parameters, read by its factory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<toml::Table>,
    /// `markov`: row j is the distribution over R of this period's reward
    /// for an agent paid R[j] last period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition: Option<Vec<Vec<f64>>>,
    /// `markov`: the distribution newcomers are paid from (default: the
    /// long-run average distribution of the chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial: Option<Vec<f64>>,
}

impl PolicyConfig {
    pub(crate) fn validate(&self, rewards: &[f64], type_names: &[String], problems: &mut Problems) {
        use PolicyKind::*;
        let kind = self.kind;
        let needs = format!("by policy kind \"{}\"", kind.name());
        let m = rewards.len();
        let in_set = |key: &str, v: Option<f64>, problems: &mut Problems| {
            if let Some(v) = v {
                if !rewards.contains(&v) {
                    problems.push(
                        format!("policy.{key}"),
                        format!("one of rewards.values {rewards:?}, got {v}"),
                    );
                }
            }
        };
        match kind {
            Static => {
                problems.require("policy.distribution", &self.distribution, &needs);
                if let Some(d) = &self.distribution {
                    problems.distribution("policy.distribution", d, m);
                }
            }
            Fixed => in_set("value", self.value, problems),
            Lottery => {
                for (key, v) in [("low", self.low), ("high", self.high)] {
                    in_set(key, v, problems);
                }
                if let (Some(lo), Some(hi)) = (self.low, self.high) {
                    if hi <= lo {
                        problems.push(
                            "policy.high",
                            format!("a reward above policy.low ({lo}), got {hi}"),
                        );
                    }
                    if let Some(mean) = self.mean {
                        if !(lo..=hi).contains(&mean) {
                            problems.push(
                                "policy.mean",
                                format!("a mean between low ({lo}) and high ({hi}), got {mean}"),
                            );
                        }
                    }
                }
            }
            Cyclic => {
                problems.require("policy.cycle", &self.cycle, &needs);
                if let Some(cycle) = &self.cycle {
                    if cycle.is_empty() {
                        problems.push("policy.cycle", "at least one distribution");
                    }
                    for (i, d) in cycle.iter().enumerate() {
                        problems.distribution(&format!("policy.cycle.{i}"), d, m);
                    }
                }
            }
            Belief => {
                in_set("probe", self.probe, problems);
                in_set("retain", self.retain, problems);
                if let Some(t) = self.threshold {
                    if !(t > 0.0 && t <= 1.0) {
                        problems.push(
                            "policy.threshold",
                            format!("a probability in (0, 1], got {t}"),
                        );
                    }
                }
                if let Some(t) = self.target {
                    problems.non_negative("policy.target", t);
                }
                if let Some(name) = &self.cheap_type {
                    if !type_names.contains(name) {
                        problems.push(
                            "policy.cheap_type",
                            format!("the name of a type {type_names:?}, got {name:?}"),
                        );
                    }
                }
            }
            Steer => {
                if let Some(d) = &self.distribution {
                    problems.distribution("policy.distribution", d, m);
                }
            }
            Fluid => {}
            Custom => problems.require("policy.name", &self.name, &needs),
            Markov => {
                problems.require("policy.transition", &self.transition, &needs);
                if let Some(rows) = &self.transition {
                    if rows.len() != m {
                        problems.push(
                            "policy.transition",
                            format!(
                                "{m} rows (one per reward: the one paid last period), got {}",
                                rows.len()
                            ),
                        );
                    }
                    for (j, row) in rows.iter().enumerate() {
                        problems.distribution(&format!("policy.transition.{j}"), row, m);
                    }
                }
                if let Some(d) = &self.initial {
                    problems.distribution("policy.initial", d, m);
                }
            }
        }
    }
}
