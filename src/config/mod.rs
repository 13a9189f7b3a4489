//! Configuration: the *description* of an experiment (interfaces.md §2).
//!
//! A [`Config`] is plain data deserialized from TOML with unknown keys
//! rejected, then validated as a whole. Loading attaches to every problem the
//! file, the dotted key, its line and column (or the `--set` flag that set
//! it) and what was expected. Nothing here simulates; see [`crate::engine`].

mod agent_type;
mod departure;
mod economy;
mod fairness;
mod operators;
mod overrides;
mod policy;
mod revenue;
mod rewards;
mod schedule;
mod simulation;
mod source_map;
mod validate;

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use agent_type::{DepartureSignal, TypeConfig, MAX_ENTRY_WINDOW};
pub use departure::{
    kind_name, DepartureConfig, DepartureFamily, DepartureKind, MemoryConfig, MAX_MEMORY,
};
pub use economy::{
    BudgetConfig, Channel, EconomyConfig, ElasticityClass, FloatMeasure, GoodConfig,
    IncentiveMeasure, InitialBalance, InitialBalanceKind, IssuanceRule, MallConfig, MillerOrr,
    RealPriceControl, SteerConfig, ValveRole,
};
pub use fairness::{FairnessConfig, DEFAULT_EPSILON};
pub use operators::OperatorConfig;
pub use overrides::Override;
pub use policy::{PolicyConfig, PolicyKind};
pub use revenue::{RevenueConfig, RevenueKind};
pub use rewards::{RewardsConfig, MAX_REWARDS};
pub use schedule::{changeable, get_path, EventConfig, Lever, OverrideConfig, Window};
pub use simulation::{InitialState, SimulationConfig};
pub use validate::Problems;

use crate::error::{ConfigIssue, Error, Origin, Result};
pub use source_map::{line_col, SourceMap};

/// A complete, validated experiment description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Horizon, seed, market size, initial state.
    pub simulation: SimulationConfig,
    /// The reward set R.
    pub rewards: RewardsConfig,
    /// The revenue function f.
    pub revenue: RevenueConfig,
    /// Agent types, at least one.
    pub types: Vec<TypeConfig>,
    /// The reward policy.
    pub policy: PolicyConfig,
    /// The built-in fairness check.
    #[serde(default)]
    pub fairness: FairnessConfig,
    /// The token economy (absent: the paper's model alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub economy: Option<EconomyConfig>,
    /// The mall (token economy).
    #[serde(default, skip_serializing_if = "mall_is_empty")]
    pub mall: MallConfig,
    /// The annual budget for real goods (token economy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetConfig>,
    /// The lever controller (`policy.kind = "steer"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steer: Option<SteerConfig>,
    /// Operator changes to the levers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<OverrideConfig>,
    /// Models of the operators who implement the recommended levers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operators: Vec<OperatorConfig>,
    /// Scheduled changes of configuration values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventConfig>,
}

fn mall_is_empty(mall: &MallConfig) -> bool {
    mall.goods.is_empty()
}

/// Finds a key's 1-based line and column in a configuration's source.
type KeyPosition<'a> = dyn Fn(&[String]) -> Option<(usize, usize)> + 'a;

impl Config {
    /// Reads and validates a TOML file, applying `--set` overrides.
    pub fn load(path: &Path, sets: &[String]) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            Error::Input(format!(
                "{}: cannot read configuration: {source}",
                path.display()
            ))
        })?;
        Config::from_toml(&text, path, sets)
    }

    /// Parses and validates TOML text; `path` is used in messages only.
    pub fn from_toml(text: &str, path: &Path, sets: &[String]) -> Result<Config> {
        let at = |line_col| Origin::File {
            path: path.to_path_buf(),
            line_col,
        };
        let source = SourceMap::parse(text).map_err(|(message, span)| {
            Error::Config(vec![ConfigIssue {
                origin: at(span.map(|s| line_col(text, s.start))),
                key: String::new(),
                expected: format!("valid TOML: {}", message.trim()),
            }])
        })?;
        let table = source.to_table().map_err(|message| {
            Error::Config(vec![ConfigIssue {
                origin: at(None),
                key: String::new(),
                expected: format!("valid TOML: {message}"),
            }])
        })?;
        Config::resolve(table, &|key| source.locate(key), path, sets)
    }

    /// Validates a configuration given as a TOML table (the Python
    /// module's dict), applying `--set` overrides; `label` names it in
    /// messages, which name keys but no lines.
    pub fn from_table(table: toml::Table, label: &str, sets: &[String]) -> Result<Config> {
        Config::resolve(table, &|_| None, Path::new(label), sets)
    }

    /// Applies overrides to a parsed table, deserializes and validates it;
    /// `position` finds a key's line and column in the source, if any.
    fn resolve(
        mut table: toml::Table,
        position: &KeyPosition,
        path: &Path,
        sets: &[String],
    ) -> Result<Config> {
        let at = |line_col| Origin::File {
            path: path.to_path_buf(),
            line_col,
        };
        let overrides = sets
            .iter()
            .map(|raw| Override::parse(raw))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|issue| Error::Config(vec![issue]))?;
        for o in &overrides {
            o.apply(&mut table)
                .map_err(|issue| Error::Config(vec![issue]))?;
        }
        let locate = |key: &[String]| -> Origin {
            let from_flag = overrides.iter().find(|o| {
                let n = o.path.len().min(key.len());
                n > 0 && o.path[..n] == key[..n]
            });
            match from_flag {
                Some(o) => Origin::CommandLine(o.raw.clone()),
                None => at(position(key)),
            }
        };

        let config: Config =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                let (key, expected) = describe_serde_error(&e);
                Error::Config(vec![ConfigIssue {
                    origin: locate(&key),
                    key: key.join("."),
                    expected,
                }])
            })?;

        let mut problems = Problems::default();
        config.validate(&mut problems);
        if problems.is_empty() {
            // Every event must apply cleanly where it starts.
            for (i, e) in config.events.iter().enumerate() {
                let start = e.window().start() as i64;
                let phase = config.with_events_at(start);
                if let Ok(phase) = &phase {
                    let (from, to) = (config.policy.kind, phase.policy.kind);
                    if from != to && (from == PolicyKind::Belief || to == PolicyKind::Belief) {
                        let key = vec!["events".to_string(), i.to_string(), "key".to_string()];
                        return Err(Error::Config(vec![ConfigIssue {
                            origin: locate(&key),
                            key: format!("events.{i}.key ({})", e.key),
                            expected: format!(
                                "an event that keeps the belief policy or leaves it out: switching \
                                 policy.kind from \"{}\" to \"{}\" at period {start} would need \
                                 beliefs about agents nobody observed (switch among static, fixed, \
                                 lottery, fluid and cyclic)",
                                from.name(),
                                to.name()
                            ),
                        }]));
                    }
                }
                if let Err(Error::Config(issues)) = phase {
                    let key = vec!["events".to_string(), i.to_string(), "key".to_string()];
                    return Err(Error::Config(
                        issues
                            .into_iter()
                            .map(|issue| ConfigIssue {
                                origin: locate(&key),
                                key: format!("events.{i}.key ({})", e.key),
                                expected: format!(
                                    "{} (when applied at period {start}: {})",
                                    issue.expected, issue.key
                                ),
                            })
                            .collect(),
                    ));
                }
            }
            Ok(config)
        } else {
            let issues = problems
                .into_vec()
                .into_iter()
                .map(|(key, expected)| {
                    let segments: Vec<String> = key.split('.').map(String::from).collect();
                    ConfigIssue {
                        origin: locate(&segments),
                        key,
                        expected,
                    }
                })
                .collect();
            Err(Error::Config(issues))
        }
    }

    /// Checks every value; problems are collected, not returned one by one.
    pub fn validate(&self, problems: &mut Problems) {
        self.simulation.validate(problems);
        self.rewards.validate(problems);
        self.revenue.validate(problems);
        let m = self.rewards.values.len();
        if self.types.is_empty() {
            problems.push("types", "at least one [[types]] entry");
        }
        let mut seen = HashSet::new();
        for (i, t) in self.types.iter().enumerate() {
            t.validate(&format!("types.{i}"), m, problems);
            if !seen.insert(t.name.as_str()) {
                problems.push(
                    format!("types.{i}.name"),
                    format!("a unique type name, but {:?} is used twice", t.name),
                );
            }
        }
        if self.types.len() > u8::MAX as usize {
            problems.push("types", format!("at most {} types", u8::MAX));
        }
        self.policy
            .validate(&self.rewards.values, &self.type_names(), problems);
        self.fairness.validate(problems);
        if let Some(economy) = &self.economy {
            economy.validate(problems);
        } else {
            let economy_keys = !self.mall.goods.is_empty()
                || self.budget.is_some()
                || self
                    .types
                    .iter()
                    .any(|t| t.task_rate > 0.0 || t.shopping_rate > 0.0);
            if economy_keys {
                problems.push(
                    "economy",
                    "an [economy] section (issuance_rate, ...) when the mall, a budget or task and shopping rates are configured",
                );
            }
        }
        self.mall.validate(problems);
        if let Some(budget) = &self.budget {
            budget.validate(problems);
        }
        let steering = self.policy.kind == PolicyKind::Steer;
        match (&self.steer, steering) {
            (Some(s), _) => {
                s.validate(problems);
                if let Some(beliefs) = &s.believed_elasticities {
                    if beliefs.len() != self.mall.goods.len() {
                        problems.push(
                            "steer.believed_elasticities",
                            format!(
                                "one elasticity per good ({}), got {}",
                                self.mall.goods.len(),
                                beliefs.len()
                            ),
                        );
                    }
                    if let Some(e) = beliefs.iter().find(|e| !(e.is_finite() && **e <= 0.0)) {
                        problems.push(
                            "steer.believed_elasticities",
                            format!("elasticities <= 0, got {e}"),
                        );
                    }
                }
            }
            (None, true) => problems.push(
                "steer",
                "a [steer] section: policy.kind = \"steer\" runs the lever controller",
            ),
            _ => {}
        }
        if steering && (self.economy.is_none() || self.budget.is_none()) {
            problems.push(
                "policy.kind",
                "an [economy] and a [budget] for \"steer\" (it steers the token economy's levers onto the budget)",
            );
        }
        let periods = self.simulation.periods;
        for (i, o) in self.overrides.iter().enumerate() {
            o.validate(
                &format!("overrides.{i}"),
                periods,
                self.economy.is_some(),
                problems,
            );
        }
        for (i, o) in self.operators.iter().enumerate() {
            o.validate(
                &format!("operators.{i}"),
                periods,
                &self.events,
                self.economy.is_some(),
                problems,
            );
        }
        for (i, e) in self.events.iter().enumerate() {
            e.validate(&format!("events.{i}"), periods, problems);
        }
    }

    /// The configuration in force in period `t`: every event active at `t`
    /// applied in file order (a factor multiplies the value the key has at
    /// that point). Events are checked when the file is loaded, so this only
    /// fails for configurations built by hand.
    pub fn with_events_at(&self, t: i64) -> Result<Config> {
        let active: Vec<&EventConfig> = self
            .events
            .iter()
            .filter(|e| e.window().contains(t))
            .collect();
        if active.is_empty() {
            return Ok(self.clone());
        }
        let mut table = match toml::Value::try_from(self) {
            Ok(toml::Value::Table(t)) => t,
            _ => unreachable!("a Config serializes to a table"),
        };
        for (i, e) in active.iter().enumerate() {
            let path: Vec<String> = e.key.split('.').map(String::from).collect();
            let issue = |expected: String| {
                Error::Config(vec![ConfigIssue {
                    origin: Origin::CommandLine(format!("events: {}", e.key)),
                    key: format!("events.{i}.key"),
                    expected,
                }])
            };
            let value = match (&e.value, e.factor) {
                (Some(v), _) => v.clone(),
                (None, Some(f)) => match get_path(&table, &path) {
                    Some(toml::Value::Float(x)) => toml::Value::Float(x * f),
                    Some(toml::Value::Integer(x)) => toml::Value::Float(*x as f64 * f),
                    Some(other) => {
                        return Err(issue(format!("a numeric value to multiply, got {other}")))
                    }
                    None => {
                        return Err(issue(format!("an existing key, but {} is not set", e.key)))
                    }
                },
                (None, None) => unreachable!("validated: factor or value"),
            };
            let change = Override {
                raw: format!("{}={value}", e.key),
                path,
                value,
            };
            change
                .apply(&mut table)
                .map_err(|i| Error::Config(vec![i]))?;
        }
        let config: Config =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                let (key, expected) = describe_serde_error(&e);
                Error::Config(vec![ConfigIssue {
                    origin: Origin::CommandLine(format!("events active in period {t}")),
                    key: key.join("."),
                    expected,
                }])
            })?;
        let mut problems = Problems::default();
        config.validate(&mut problems);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(Error::Config(
                problems
                    .into_vec()
                    .into_iter()
                    .map(|(key, expected)| ConfigIssue {
                        origin: Origin::CommandLine(format!("events active in period {t}")),
                        key,
                        expected,
                    })
                    .collect(),
            ))
        }
    }

    /// The fully resolved configuration (defaults filled in) as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a Config always serializes to TOML")
    }

    /// Type names in order.
    pub fn type_names(&self) -> Vec<String> {
        self.types.iter().map(|t| t.name.clone()).collect()
    }
}

/// Turns a serde error with its path into (dotted key segments, expected).
fn describe_serde_error(e: &serde_path_to_error::Error<toml::de::Error>) -> (Vec<String>, String) {
    use serde_path_to_error::Segment;
    let mut key: Vec<String> = e
        .path()
        .iter()
        .filter_map(|s| match s {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .collect();
    let message = e.inner().message().trim().to_string();
    // A departure table's conversion names its key: "key `x`: expected".
    let message = match message.strip_prefix(departure::KEY_PREFIX) {
        Some(rest) => match rest.split_once("`: ") {
            Some((name, expected)) => {
                key.push(name.to_string());
                expected.to_string()
            }
            None => message,
        },
        None => message,
    };
    // "unknown field `x`, expected ..." names the key itself: point at it.
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some(name) = rest.split('`').next() {
            if key.last().map(String::as_str) != Some(name) {
                key.push(name.to_string());
            }
        }
    }
    let expected = if message.starts_with("missing field") {
        format!("a value: {message}")
    } else {
        message
    };
    (key, expected)
}
