//! `[[types]]`: agent types, their arrival rates and departure functions.

use serde::{Deserialize, Serialize};

use super::validate::Problems;

/// Longest reward memory the engine keeps per agent, in periods.
pub const MAX_MEMORY: usize = 8;

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

/// What an agent's departure decision looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DepartureSignal {
    /// The policy reward (with memory, as configured).
    #[default]
    Reward,
    /// All tokens credited this period (tasks and reward); memory is not
    /// applied to this signal.
    Credited,
}

/// Departure function families (model.md A.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepartureKind {
    /// p(r) given on R, linear interpolation between.
    Table,
    /// Linearized S-shape around `value` with `half_width`.
    LinearS,
    /// lo + (hi − lo)/(1 + exp((r − midpoint)/scale)).
    Logistic,
    /// lo + (hi − lo)(1 − r/r_max)^gamma.
    Power,
    /// p(r_t, r_{t−1}) on R×R; never leaves after the first period.
    JointTable,
}

/// A probability table: one row for `table`, M×M for `joint_table`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "an array of probabilities (table) or an array of arrays (joint_table)"
)]
pub enum ProbabilityTable {
    /// `p = [p(r_1), …, p(r_M)]`.
    Row(Vec<f64>),
    /// `p[i][j]` = probability of leaving when paid R[i] now and R[j] before.
    Matrix(Vec<Vec<f64>>),
}

/// Reward memory: perceived reward = Σ_j w_j r(t−j), renormalized over the
/// periods actually stayed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryConfig {
    /// Weights, most recent period first.
    pub weights: Vec<f64>,
}

/// `departure = { kind = ..., ... }` of one type. One flat table so that a
/// misplaced key is reported by name rather than as an unmatched variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartureConfig {
    /// Which family.
    pub kind: DepartureKind,
    /// `table` and `joint_table`: the probabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<ProbabilityTable>,
    /// `linear_s`: the value v.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// `linear_s`: the half-width δ > 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_width: Option<f64>,
    /// `logistic`: the reward r0 at which p is halfway between lo and hi.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub midpoint: Option<f64>,
    /// `logistic`: the scale s > 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// `power`: the exponent γ > 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gamma: Option<f64>,
    /// `logistic`, `power`: lower probability (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lo: Option<f64>,
    /// `logistic`, `power`: upper probability (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hi: Option<f64>,
    /// Optional reward memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryConfig>,
    /// No departure in an agent's first `grace_periods` periods.
    #[serde(default)]
    pub grace_periods: u32,
}

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
            && self.departure.kind == DepartureKind::JointTable
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

impl DepartureConfig {
    fn validate(&self, key: &str, rewards: usize, problems: &mut Problems) {
        use DepartureKind::*;
        let k = |name: &str| format!("{key}.{name}");
        let kind = self.kind;
        let because = |used: bool| {
            if used {
                String::new()
            } else {
                format!("for departure kind {:?}", kind_name(kind))
            }
        };
        // Keys that belong to other kinds are rejected, so typos surface.
        let checks: [(&str, bool, bool); 8] = [
            ("p", self.p.is_some(), matches!(kind, Table | JointTable)),
            ("value", self.value.is_some(), kind == LinearS),
            ("half_width", self.half_width.is_some(), kind == LinearS),
            ("midpoint", self.midpoint.is_some(), kind == Logistic),
            ("scale", self.scale.is_some(), kind == Logistic),
            ("gamma", self.gamma.is_some(), kind == Power),
            ("lo", self.lo.is_some(), matches!(kind, Logistic | Power)),
            ("hi", self.hi.is_some(), matches!(kind, Logistic | Power)),
        ];
        for (name, present, allowed) in checks {
            if present && !allowed {
                problems.push(k(name), format!("no such key {}", because(false)));
            }
        }
        let needs = format!("by departure kind {:?}", kind_name(kind));
        match kind {
            Table => match &self.p {
                None => problems.push(k("p"), format!("this key, required {needs}")),
                Some(ProbabilityTable::Row(row)) => check_row(&k("p"), row, rewards, problems),
                Some(ProbabilityTable::Matrix(_)) => problems.push(
                    k("p"),
                    format!("{rewards} probabilities (one per reward), got an array of arrays"),
                ),
            },
            JointTable => match &self.p {
                None => problems.push(k("p"), format!("this key, required {needs}")),
                Some(ProbabilityTable::Matrix(rows)) => {
                    if rows.len() != rewards {
                        problems.push(
                            k("p"),
                            format!(
                                "a {rewards}x{rewards} table (one row per reward), got {} rows",
                                rows.len()
                            ),
                        );
                    }
                    for (i, row) in rows.iter().enumerate() {
                        check_row(&format!("{}.{i}", k("p")), row, rewards, problems);
                    }
                }
                Some(ProbabilityTable::Row(_)) => problems.push(
                    k("p"),
                    format!("a {rewards}x{rewards} array of arrays, got a flat array"),
                ),
            },
            LinearS => {
                problems.require(&k("value"), &self.value, &needs);
                problems.require(&k("half_width"), &self.half_width, &needs);
                if let Some(v) = self.value {
                    if !v.is_finite() {
                        problems.push(k("value"), format!("a finite number, got {v}"));
                    }
                }
                if let Some(d) = self.half_width {
                    problems.positive(&k("half_width"), d);
                }
            }
            Logistic => {
                problems.require(&k("midpoint"), &self.midpoint, &needs);
                problems.require(&k("scale"), &self.scale, &needs);
                if let Some(m) = self.midpoint {
                    if !m.is_finite() {
                        problems.push(k("midpoint"), format!("a finite number, got {m}"));
                    }
                }
                if let Some(s) = self.scale {
                    problems.positive(&k("scale"), s);
                }
            }
            Power => {
                problems.require(&k("gamma"), &self.gamma, &needs);
                if let Some(g) = self.gamma {
                    problems.positive(&k("gamma"), g);
                }
            }
        }
        if let Some(lo) = self.lo {
            problems.probability(&k("lo"), lo);
        }
        if let Some(hi) = self.hi {
            problems.probability(&k("hi"), hi);
        }
        if let Some(memory) = &self.memory {
            let wk = format!("{}.weights", k("memory"));
            if kind == JointTable {
                problems.push(
                    k("memory"),
                    "no memory for joint_table (it already remembers the previous reward)",
                );
            }
            if memory.weights.is_empty() || memory.weights.len() > MAX_MEMORY {
                problems.push(
                    &wk,
                    format!("1 to {MAX_MEMORY} weights, got {}", memory.weights.len()),
                );
            }
            for (i, &w) in memory.weights.iter().enumerate() {
                problems.non_negative(&format!("{wk}.{i}"), w);
            }
            if memory.weights.iter().all(|&w| w == 0.0) && !memory.weights.is_empty() {
                problems.push(&wk, "weights that are not all zero");
            }
        }
    }
}

fn check_row(key: &str, row: &[f64], rewards: usize, problems: &mut Problems) {
    if row.len() != rewards {
        problems.push(
            key,
            format!(
                "{rewards} probabilities (one per reward in rewards.values), got {}",
                row.len()
            ),
        );
    }
    for (i, &p) in row.iter().enumerate() {
        problems.probability(&format!("{key}.{i}"), p);
    }
}

/// The TOML spelling of a departure kind.
pub fn kind_name(kind: DepartureKind) -> &'static str {
    match kind {
        DepartureKind::Table => "table",
        DepartureKind::LinearS => "linear_s",
        DepartureKind::Logistic => "logistic",
        DepartureKind::Power => "power",
        DepartureKind::JointTable => "joint_table",
    }
}
