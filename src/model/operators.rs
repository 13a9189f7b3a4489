//! The operator layer, compiled (model.md E.4): every source of a
//! deviation from the recommended levers — scheduled `[[overrides]]` and
//! `[[operators]]` models — as one list of rules on one lever each.
//!
//! Sources are numbered overrides first, then operators, each in file
//! order; that number is what the override trace records and what keys an
//! operator's random stream, so switching one source off (its `enabled =
//! false`, the counterfactual of `tokensim overrides`) leaves every other
//! source's draws as they were. They apply operators first, then
//! scheduled overrides: an explicit decision wins over a habit.

use serde::{Deserialize, Serialize};

use super::Levers;
use crate::config::{Config, OperatorConfig, Window};

/// A lever of the token economy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lever {
    /// ι, tokens per task.
    IssuanceRate,
    /// Multiplier on real goods' prices.
    RealPriceMult,
    /// Multiplier on virtual goods' prices.
    VirtualPriceMult,
}

/// The periods a source may act in: `start` to `end` inclusive (no end:
/// to the end of the run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First period.
    pub start: i64,
    /// Last period, inclusive.
    pub end: Option<i64>,
}

impl Span {
    fn new(window: Window) -> Self {
        Span {
            start: window.start() as i64,
            end: window.to.map(i64::from),
        }
    }

    /// True when period `t` is inside the span.
    pub fn contains(&self, t: i64) -> bool {
        t >= self.start && self.end.is_none_or(|end| t <= end)
    }
}

/// What a source does to its lever inside its window.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Multiply the value reaching it (the controller plans from its own
    /// recommendation: planning from the scaled value would compound it).
    Scale(f64),
    /// Set the lever to this value.
    Set(f64),
    /// Inertia, noise and rounding of the value reaching it.
    Discretion {
        /// Round to a multiple of this.
        grid: Option<f64>,
        /// Keep the previous value while the change is below this fraction.
        threshold: Option<f64>,
        /// Relative noise.
        noise: Option<f64>,
    },
    /// Follow with this probability, else keep the previous value.
    Adherence(f64),
}

impl Rule {
    /// True when the controller should plan from the value this rule
    /// leaves (anti-windup); false for a scaling, which it would compound.
    pub fn sets(&self) -> bool {
        !matches!(self, Rule::Scale(_))
    }

    /// True when the rule needs random numbers.
    pub fn random(&self) -> bool {
        matches!(
            self,
            Rule::Adherence(_) | Rule::Discretion { noise: Some(_), .. }
        )
    }
}

/// One source of deviations.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Where it is configured: `overrides.N` or `operators.N`.
    pub label: String,
    /// Its kind label ("information", "discretion", "adherence", or an
    /// override's own `kind`).
    pub kind: String,
    /// The lever it acts on.
    pub lever: Lever,
    /// When it may act.
    pub window: Span,
    /// What it does.
    pub rule: Rule,
    /// False: kept in the list (numbering, random streams) but not applied.
    pub enabled: bool,
    /// True for a scheduled override: its whole window is a deviation,
    /// even in periods where the value it sets equals the recommendation.
    pub scheduled: bool,
}

/// All sources of a configuration, in the order they apply.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OperatorLayer {
    /// Overrides then operators (the trace's numbering).
    pub sources: Vec<Source>,
    /// Indices into `sources` in the order they apply.
    pub order: Vec<usize>,
}

/// Index of a lever in a `[f64; 3]` lever array.
pub fn lever_index(lever: Lever) -> usize {
    match lever {
        Lever::IssuanceRate => 0,
        Lever::RealPriceMult => 1,
        Lever::VirtualPriceMult => 2,
    }
}

/// The name of lever `i` in the output (`levers/NAME`).
pub const LEVER_NAMES: [&str; 3] = ["issuance_rate", "real_price_mult", "virtual_price_mult"];

impl Levers {
    /// Lever `i` (0 issuance, 1 real, 2 virtual).
    pub fn get(&self, i: usize) -> f64 {
        match i {
            0 => self.issuance_rate,
            1 => self.real_price_mult,
            _ => self.virtual_price_mult,
        }
    }

    /// Sets lever `i`.
    pub fn set(&mut self, i: usize, value: f64) {
        match i {
            0 => self.issuance_rate = value,
            1 => self.real_price_mult = value,
            _ => self.virtual_price_mult = value,
        }
    }
}

/// The outcome of the operator layer in one period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Implemented {
    /// The levers in force.
    pub levers: Levers,
    /// The levers the controller plans its next recommendation from.
    pub planning: Levers,
    /// Per lever, the source (index into `OperatorLayer::sources`) that
    /// last deviated from the recommendation, or −1.
    pub source: [i32; 3],
}

/// The random numbers one source may use in one period: a uniform on
/// [0, 1) and a standard normal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Draws {
    /// U(0, 1).
    pub uniform: f64,
    /// N(0, 1).
    pub normal: f64,
}

impl OperatorLayer {
    /// Compiles the overrides and operators of `config`.
    pub fn new(config: &Config) -> OperatorLayer {
        let mut sources = Vec::new();
        for (i, o) in config.overrides.iter().enumerate() {
            sources.push(Source {
                label: format!("overrides.{i}"),
                kind: o.kind.clone(),
                lever: o.lever,
                window: Span::new(o.window()),
                rule: match (o.factor, o.value) {
                    (Some(f), _) => Rule::Scale(f),
                    (None, Some(v)) => Rule::Set(v),
                    (None, None) => Rule::Scale(1.0),
                },
                enabled: o.enabled,
                scheduled: true,
            });
        }
        let overrides = sources.len();
        for (i, o) in config.operators.iter().enumerate() {
            let Some(window) = o.window(&config.events) else {
                continue; // refused by validation: an unknown event
            };
            let rule = match o {
                OperatorConfig::Information { factor, value, .. } => match (factor, value) {
                    (Some(f), _) => Rule::Scale(*f),
                    (None, Some(v)) => Rule::Set(*v),
                    (None, None) => Rule::Scale(1.0),
                },
                OperatorConfig::Discretion {
                    grid,
                    threshold,
                    noise,
                    ..
                } => Rule::Discretion {
                    grid: *grid,
                    threshold: *threshold,
                    noise: *noise,
                },
                OperatorConfig::Adherence { probability, .. } => Rule::Adherence(*probability),
            };
            sources.push(Source {
                label: format!("operators.{i}"),
                kind: o.kind().to_string(),
                lever: o.lever(),
                window: Span::new(window),
                rule,
                enabled: o.enabled(),
                scheduled: matches!(o, OperatorConfig::Information { .. }),
            });
        }
        let order = (overrides..sources.len()).chain(0..overrides).collect();
        OperatorLayer { sources, order }
    }

    /// True when no source can act.
    pub fn is_empty(&self) -> bool {
        !self.sources.iter().any(|s| s.enabled)
    }

    /// The levers in force in period `t`: `recommended` passed through
    /// every enabled source active at `t`, in order; `previous` are the
    /// levers in force last period (what inertia and non-adherence keep);
    /// `draws(i)` gives source `i`'s random numbers for this period.
    pub fn apply(
        &self,
        recommended: Levers,
        previous: Levers,
        t: i64,
        mut draws: impl FnMut(usize) -> Draws,
    ) -> Implemented {
        let mut levers = recommended;
        let mut planning = recommended;
        let mut source = [-1i32; 3];
        for &i in &self.order {
            let s = &self.sources[i];
            if !s.enabled || !s.window.contains(t) {
                continue;
            }
            let l = lever_index(s.lever);
            let before = levers.get(l);
            let after = match &s.rule {
                Rule::Scale(f) => before * f,
                Rule::Set(v) => *v,
                Rule::Discretion {
                    grid,
                    threshold,
                    noise,
                } => {
                    let prev = previous.get(l);
                    if threshold.is_some_and(|th| (before - prev).abs() <= th * prev.abs()) {
                        prev
                    } else {
                        let mut v = before;
                        if let Some(n) = noise {
                            v *= (1.0 + n * draws(i).normal).max(0.01);
                        }
                        if let Some(g) = grid {
                            v = ((v / g).round() * g).max(*g);
                        }
                        v
                    }
                }
                Rule::Adherence(p) => {
                    if draws(i).uniform < *p {
                        before
                    } else {
                        previous.get(l)
                    }
                }
            };
            levers.set(l, after);
            if s.rule.sets() {
                planning.set(l, after);
            }
            if s.scheduled || after != before {
                source[l] = i as i32;
            }
        }
        Implemented {
            levers,
            planning,
            source,
        }
    }

    /// The probability that the recommendation for lever `l` is followed
    /// in period `t` (the product over enabled adherence sources active
    /// then; 1 without any): what an adherence-aware controller knows.
    pub fn adherence(&self, l: usize, t: i64) -> f64 {
        self.sources
            .iter()
            .filter(|s| s.enabled && lever_index(s.lever) == l && s.window.contains(t))
            .map(|s| match s.rule {
                Rule::Adherence(p) => p,
                _ => 1.0,
            })
            .product()
    }
}
