//! `[[overrides]]` (operator changes to the levers) and `[[events]]`
//! (scheduled changes of any configuration value).

use serde::{Deserialize, Serialize};

use super::validate::Problems;
pub use crate::model::operators::Lever;

/// When a scheduled change applies: from `period` (or `from`) on, until `to`
/// inclusive when given (then the previous value returns). Written as the
/// keys `period`, `from`, `to` of an override or event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// A single start period (the change stays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
    /// First period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<u32>,
    /// Last period (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<u32>,
}

impl Window {
    /// First period.
    pub fn start(&self) -> u32 {
        self.period.or(self.from).unwrap_or(0)
    }

    /// True when `t` is inside the window.
    pub fn contains(&self, t: i64) -> bool {
        t >= self.start() as i64 && self.to.is_none_or(|end| t <= end as i64)
    }

    pub(crate) fn validate(&self, key: &str, periods: u32, problems: &mut Problems) {
        match (self.period, self.from) {
            (Some(_), Some(_)) => {
                problems.push(format!("{key}.from"), "either period or from, not both")
            }
            (None, None) => problems.push(
                format!("{key}.period"),
                "a period (or from, with an optional to)",
            ),
            _ => {}
        }
        if self.period.is_some() && self.to.is_some() {
            problems.push(
                format!("{key}.to"),
                "to only with from (period starts a lasting change)",
            );
        }
        let start = self.start();
        if start >= periods {
            problems.push(
                format!(
                    "{key}.{}",
                    if self.period.is_some() {
                        "period"
                    } else {
                        "from"
                    }
                ),
                format!(
                    "a period before the end of the run (0..{}), got {start}",
                    periods.saturating_sub(1)
                ),
            );
        }
        if let Some(end) = self.to {
            if end < start || end >= periods {
                problems.push(
                    format!("{key}.to"),
                    format!(
                        "a period in {start}..{}, got {end}",
                        periods.saturating_sub(1)
                    ),
                );
            }
        }
    }
}

/// One `[[overrides]]` entry: an operator change on top of the levers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideConfig {
    /// A single start period (the change stays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
    /// First period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<u32>,
    /// Last period (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<u32>,
    /// Which lever.
    pub lever: Lever,
    /// Multiply the recommended value by this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    /// Or set it to this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// A label for the override trace: why the operator deviated, e.g.
    /// "information" or "discretion" (default "scheduled").
    #[serde(default = "scheduled")]
    pub kind: String,
    /// `false` keeps the entry but follows the recommendation (the
    /// counterfactual of `tokensim overrides`).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
}

fn scheduled() -> String {
    "scheduled".into()
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// One `[[events]]` entry: a scheduled change of a configuration value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventConfig {
    /// A label for the output.
    #[serde(default)]
    pub name: String,
    /// A single start period (the change stays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
    /// First period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<u32>,
    /// Last period (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<u32>,
    /// Dotted key of the value to change (as for --set).
    pub key: String,
    /// Multiply a numeric value by this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    /// Or set the value to this (any TOML value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<toml::Value>,
}

fn factor_or_value(key: &str, factor: Option<f64>, value_present: bool, problems: &mut Problems) {
    match (factor, value_present) {
        (Some(_), true) | (None, false) => problems.push(key, "exactly one of factor or value"),
        (Some(f), false) if !f.is_finite() || f < 0.0 => {
            problems.push(
                format!("{key}.factor"),
                format!("a finite factor >= 0, got {f}"),
            );
        }
        _ => {}
    }
}

impl OverrideConfig {
    /// When it applies.
    pub fn window(&self) -> Window {
        Window {
            period: self.period,
            from: self.from,
            to: self.to,
        }
    }

    pub(crate) fn validate(
        &self,
        key: &str,
        periods: u32,
        has_economy: bool,
        problems: &mut Problems,
    ) {
        if !has_economy {
            problems.push(
                key,
                "an [economy] section: overrides change the token economy's levers",
            );
        }
        self.window().validate(key, periods, problems);
        factor_or_value(key, self.factor, self.value.is_some(), problems);
        if let Some(v) = self.value {
            problems.positive(&format!("{key}.value"), v);
        }
        if self.kind.trim().is_empty() {
            problems.push(
                format!("{key}.kind"),
                "a label such as \"information\" or \"discretion\"",
            );
        }
    }
}

impl EventConfig {
    /// When it applies.
    pub fn window(&self) -> Window {
        Window {
            period: self.period,
            from: self.from,
            to: self.to,
        }
    }

    pub(crate) fn validate(&self, key: &str, periods: u32, problems: &mut Problems) {
        self.window().validate(key, periods, problems);
        factor_or_value(key, self.factor, self.value.is_some(), problems);
        if !changeable(&self.key) {
            problems.push(
                format!("{key}.key"),
                format!(
                    "a key an event can change (a type's rates or departure, policy, economy, a good's price, budget, revenue), got {:?}",
                    self.key
                ),
            );
        }
    }
}

/// Keys an event may not change: they fix the shape of the run (the reward
/// set, the types, the goods) or are not part of the model.
const FIXED_PREFIXES: [&str; 7] = [
    "simulation",
    "events",
    "overrides",
    "operators",
    "rewards.values",
    "mall.goods",
    "types",
];

/// True when an event may change `key` (types.N.* and mall.goods.N.* leaves
/// other than names are allowed).
pub fn changeable(key: &str) -> bool {
    let parts: Vec<&str> = key.split('.').collect();
    match parts.as_slice() {
        ["types", i, field, ..] => i.parse::<usize>().is_ok() && *field != "name",
        ["mall", "goods", i, field, ..] => {
            i.parse::<usize>().is_ok() && !matches!(*field, "name" | "channel")
        }
        _ => !FIXED_PREFIXES
            .iter()
            .any(|p| key == *p || key.starts_with(&format!("{p}."))),
    }
}

/// The value at a dotted path of a TOML table.
pub fn get_path<'a>(table: &'a toml::Table, path: &[String]) -> Option<&'a toml::Value> {
    let (first, rest) = path.split_first()?;
    let mut value = table.get(first)?;
    for segment in rest {
        value = match value {
            toml::Value::Table(t) => t.get(segment)?,
            toml::Value::Array(a) => a.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}
