//! `departure = { kind = ..., ... }`: a type's departure function
//! (model.md A.3), parsed into one variant per family.
//!
//! Design note. The TOML form is one flat table (`kind` plus the keys of
//! every family), so that a key of the wrong family is reported by name
//! ("no such key for departure kind linear_s") rather than as an unmatched
//! enum variant, and so that `--set types.0.departure.gamma=2` or a sweep
//! can change one parameter. Parsing turns it into [`DepartureFamily`],
//! whose variants carry exactly their own parameters: once a configuration
//! is loaded there is no optional field to unwrap, so compiling the model
//! ([`crate::model::DepartureFn::new`]) is a total match that cannot panic.
//! What needs the reward set (table lengths) or is a range (probabilities,
//! positive widths) is checked afterwards by [`DepartureConfig::validate`],
//! with every problem reported at its own key.

use serde::{Deserialize, Serialize};

use super::validate::Problems;

/// Longest reward memory the engine keeps per agent, in periods.
pub const MAX_MEMORY: usize = 8;

/// The names of the departure families, as spelled in TOML.
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

impl DepartureKind {
    /// The TOML spelling.
    pub fn name(self) -> &'static str {
        match self {
            DepartureKind::Table => "table",
            DepartureKind::LinearS => "linear_s",
            DepartureKind::Logistic => "logistic",
            DepartureKind::Power => "power",
            DepartureKind::JointTable => "joint_table",
        }
    }
}

/// The TOML spelling of a departure kind.
pub fn kind_name(kind: DepartureKind) -> &'static str {
    kind.name()
}

/// A departure family with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum DepartureFamily {
    /// `table`: p(r_1), …, p(r_M); linear interpolation between.
    Table {
        /// One probability per reward of R.
        p: Vec<f64>,
    },
    /// `linear_s`: 1 below v − δ, 0 above v + δ, linear between.
    LinearS {
        /// The value v.
        value: f64,
        /// The half-width δ > 0.
        half_width: f64,
    },
    /// `logistic`: lo + (hi − lo)/(1 + exp((r − midpoint)/scale)).
    Logistic {
        /// r0, where p is halfway between lo and hi.
        midpoint: f64,
        /// s > 0.
        scale: f64,
        /// Probability as r → ∞ (default 0).
        lo: f64,
        /// Probability as r → −∞ (default 1).
        hi: f64,
    },
    /// `power`: lo + (hi − lo)(1 − r/r_max)^γ.
    Power {
        /// γ > 0: > 1 convex ("loss averse"), < 1 concave ("risk seeking").
        gamma: f64,
        /// Probability at r_max (default 0).
        lo: f64,
        /// Probability at 0 (default 1).
        hi: f64,
    },
    /// `joint_table` (two-period memory, the paper's Appendix G).
    JointTable {
        /// `p[i][j]`: leave when paid `R[i]` now and `R[j]` the period before.
        p: Vec<Vec<f64>>,
    },
}

impl DepartureFamily {
    /// Which family.
    pub fn kind(&self) -> DepartureKind {
        match self {
            DepartureFamily::Table { .. } => DepartureKind::Table,
            DepartureFamily::LinearS { .. } => DepartureKind::LinearS,
            DepartureFamily::Logistic { .. } => DepartureKind::Logistic,
            DepartureFamily::Power { .. } => DepartureKind::Power,
            DepartureFamily::JointTable { .. } => DepartureKind::JointTable,
        }
    }
}

/// Reward memory: perceived reward = Σ_j w_j r(t−j), renormalized over the
/// periods actually stayed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryConfig {
    /// Weights, most recent period first.
    pub weights: Vec<f64>,
}

/// A type's departure function: the family, an optional reward memory and
/// a grace period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DepartureToml", into = "DepartureToml")]
pub struct DepartureConfig {
    /// The family and its parameters.
    pub family: DepartureFamily,
    /// Optional reward memory (not with `joint_table`).
    pub memory: Option<MemoryConfig>,
    /// No departure in an agent's first `grace_periods` periods.
    pub grace_periods: u32,
}

impl DepartureConfig {
    /// A memoryless function of `family` without grace period.
    pub fn new(family: DepartureFamily) -> Self {
        DepartureConfig {
            family,
            memory: None,
            grace_periods: 0,
        }
    }

    /// Which family.
    pub fn kind(&self) -> DepartureKind {
        self.family.kind()
    }

    /// Range and length checks that need the number of rewards; every
    /// problem at its own key under `key`.
    pub(crate) fn validate(&self, key: &str, rewards: usize, problems: &mut Problems) {
        let k = |name: &str| format!("{key}.{name}");
        match &self.family {
            DepartureFamily::Table { p } => check_row(&k("p"), p, rewards, problems),
            DepartureFamily::JointTable { p } => {
                if p.len() != rewards {
                    problems.push(
                        k("p"),
                        format!(
                            "a {rewards}x{rewards} table (one row per reward), got {} rows",
                            p.len()
                        ),
                    );
                }
                for (i, row) in p.iter().enumerate() {
                    check_row(&format!("{}.{i}", k("p")), row, rewards, problems);
                }
            }
            DepartureFamily::LinearS { value, half_width } => {
                if !value.is_finite() {
                    problems.push(k("value"), format!("a finite number, got {value}"));
                }
                problems.positive(&k("half_width"), *half_width);
            }
            DepartureFamily::Logistic {
                midpoint,
                scale,
                lo,
                hi,
            } => {
                if !midpoint.is_finite() {
                    problems.push(k("midpoint"), format!("a finite number, got {midpoint}"));
                }
                problems.positive(&k("scale"), *scale);
                problems.probability(&k("lo"), *lo);
                problems.probability(&k("hi"), *hi);
            }
            DepartureFamily::Power { gamma, lo, hi } => {
                problems.positive(&k("gamma"), *gamma);
                problems.probability(&k("lo"), *lo);
                problems.probability(&k("hi"), *hi);
            }
        }
        if let Some(memory) = &self.memory {
            let wk = format!("{}.weights", k("memory"));
            if self.kind() == DepartureKind::JointTable {
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

/// A probability table as written: one row for `table`, M×M for
/// `joint_table`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "an array of probabilities (table) or an array of arrays (joint_table)"
)]
enum ProbabilityTable {
    Row(Vec<f64>),
    Matrix(Vec<Vec<f64>>),
}

/// The flat TOML form (see the design note at the top).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DepartureToml {
    kind: DepartureKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<ProbabilityTable>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    half_width: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    midpoint: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scale: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gamma: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lo: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hi: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    memory: Option<MemoryConfig>,
    #[serde(default)]
    grace_periods: u32,
}

/// Errors of the conversion name their key as "key `name`: …", which
/// config loading turns into the dotted key of the issue.
pub(crate) const KEY_PREFIX: &str = "key `";

fn key_error(name: &str, expected: impl std::fmt::Display) -> String {
    format!("{KEY_PREFIX}{name}`: {expected}")
}

impl TryFrom<DepartureToml> for DepartureConfig {
    type Error = String;

    fn try_from(raw: DepartureToml) -> Result<Self, String> {
        use DepartureKind::*;
        let kind = raw.kind;
        let name = kind.name();
        // Keys of other families are rejected, so typos surface.
        let present: [(&str, bool, bool); 8] = [
            ("p", raw.p.is_some(), matches!(kind, Table | JointTable)),
            ("value", raw.value.is_some(), kind == LinearS),
            ("half_width", raw.half_width.is_some(), kind == LinearS),
            ("midpoint", raw.midpoint.is_some(), kind == Logistic),
            ("scale", raw.scale.is_some(), kind == Logistic),
            ("gamma", raw.gamma.is_some(), kind == Power),
            ("lo", raw.lo.is_some(), matches!(kind, Logistic | Power)),
            ("hi", raw.hi.is_some(), matches!(kind, Logistic | Power)),
        ];
        if let Some((key, ..)) = present
            .iter()
            .find(|(_, given, allowed)| *given && !allowed)
        {
            return Err(key_error(
                key,
                format!("no such key for departure kind {name:?}"),
            ));
        }
        let missing = |key: &str| {
            key_error(
                key,
                format!("this key, required by departure kind {name:?}"),
            )
        };
        let required = |key: &str, v: Option<f64>| v.ok_or_else(|| missing(key));
        let family = match kind {
            Table | JointTable => match (kind, raw.p.ok_or_else(|| missing("p"))?) {
                (Table, ProbabilityTable::Row(p)) => DepartureFamily::Table { p },
                (_, ProbabilityTable::Matrix(p)) if kind == JointTable => {
                    DepartureFamily::JointTable { p }
                }
                (Table, _) => {
                    return Err(key_error(
                        "p",
                        "one probability per reward (a flat array), got an array of arrays",
                    ))
                }
                _ => {
                    return Err(key_error(
                        "p",
                        "an array of arrays (one row per reward), got a flat array",
                    ))
                }
            },
            LinearS => DepartureFamily::LinearS {
                value: required("value", raw.value)?,
                half_width: required("half_width", raw.half_width)?,
            },
            Logistic => DepartureFamily::Logistic {
                midpoint: required("midpoint", raw.midpoint)?,
                scale: required("scale", raw.scale)?,
                lo: raw.lo.unwrap_or(0.0),
                hi: raw.hi.unwrap_or(1.0),
            },
            Power => DepartureFamily::Power {
                gamma: required("gamma", raw.gamma)?,
                lo: raw.lo.unwrap_or(0.0),
                hi: raw.hi.unwrap_or(1.0),
            },
        };
        Ok(DepartureConfig {
            family,
            memory: raw.memory,
            grace_periods: raw.grace_periods,
        })
    }
}

impl From<DepartureConfig> for DepartureToml {
    fn from(c: DepartureConfig) -> Self {
        let mut raw = DepartureToml {
            kind: c.kind(),
            p: None,
            value: None,
            half_width: None,
            midpoint: None,
            scale: None,
            gamma: None,
            lo: None,
            hi: None,
            memory: c.memory,
            grace_periods: c.grace_periods,
        };
        match c.family {
            DepartureFamily::Table { p } => raw.p = Some(ProbabilityTable::Row(p)),
            DepartureFamily::JointTable { p } => raw.p = Some(ProbabilityTable::Matrix(p)),
            DepartureFamily::LinearS { value, half_width } => {
                raw.value = Some(value);
                raw.half_width = Some(half_width);
            }
            DepartureFamily::Logistic {
                midpoint,
                scale,
                lo,
                hi,
            } => {
                raw.midpoint = Some(midpoint);
                raw.scale = Some(scale);
                raw.lo = Some(lo);
                raw.hi = Some(hi);
            }
            DepartureFamily::Power { gamma, lo, hi } => {
                raw.gamma = Some(gamma);
                raw.lo = Some(lo);
                raw.hi = Some(hi);
            }
        }
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DepartureConfig, String> {
        toml::from_str::<DepartureConfig>(text).map_err(|e| e.message().to_string())
    }

    #[test]
    fn each_kind_parses_into_its_variant_with_defaults() {
        assert_eq!(
            parse("kind = 'power'\ngamma = 2.0").unwrap().family,
            DepartureFamily::Power {
                gamma: 2.0,
                lo: 0.0,
                hi: 1.0
            }
        );
        assert_eq!(
            parse("kind = 'joint_table'\np = [[0.1, 0.2], [0.3, 0.4]]")
                .unwrap()
                .family,
            DepartureFamily::JointTable {
                p: vec![vec![0.1, 0.2], vec![0.3, 0.4]]
            }
        );
    }

    #[test]
    fn wrong_or_missing_keys_name_the_key() {
        let e = parse("kind = 'linear_s'\nvalue = 1.0\ngamma = 2.0").unwrap_err();
        assert!(e.starts_with("key `gamma`: no such key"), "{e}");
        let e = parse("kind = 'linear_s'\nvalue = 1.0").unwrap_err();
        assert!(e.starts_with("key `half_width`: this key, required"), "{e}");
        let e = parse("kind = 'table'\np = [[0.1]]").unwrap_err();
        assert!(e.starts_with("key `p`: one probability per reward"), "{e}");
    }

    #[test]
    fn round_trips_through_toml() {
        for text in [
            "kind = 'logistic'\nmidpoint = 1.0\nscale = 0.5\nlo = 0.1\nhi = 0.9\ngrace_periods = 2",
            "kind = 'table'\np = [0.5, 0.25]\nmemory = { weights = [1.0, 0.5] }",
        ] {
            let c = parse(text).unwrap();
            let back: DepartureConfig = toml::from_str(&toml::to_string(&c).unwrap()).unwrap();
            assert_eq!(back, c);
        }
    }
}
