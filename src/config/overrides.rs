//! `--set KEY=VALUE`: command-line overrides by dotted path.

use crate::error::{ConfigIssue, Origin};

/// One parsed `--set` override.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The argument as written, for error messages.
    pub raw: String,
    /// Dotted path split into segments; numeric segments index arrays.
    pub path: Vec<String>,
    /// The value, parsed as TOML (a bare word is taken as a string).
    pub value: toml::Value,
}

impl Override {
    /// Parses `KEY=VALUE`.
    pub fn parse(raw: &str) -> Result<Self, ConfigIssue> {
        let fail = |key: &str, expected: &str| ConfigIssue {
            origin: Origin::CommandLine(raw.to_string()),
            key: key.to_string(),
            expected: expected.to_string(),
        };
        let Some((key, value)) = raw.split_once('=') else {
            return Err(fail("", "KEY=VALUE, e.g. simulation.scale=1000"));
        };
        let key = key.trim();
        let path: Vec<String> = key.split('.').map(|s| s.trim().to_string()).collect();
        if path.iter().any(|s| s.is_empty()) {
            return Err(fail(key, "a dotted key such as types.1.arrival_rate"));
        }
        let value = parse_value(value.trim());
        Ok(Override {
            raw: raw.to_string(),
            path,
            value,
        })
    }

    /// Writes the value into `table`, creating missing intermediate tables.
    pub fn apply(&self, table: &mut toml::Table) -> Result<(), ConfigIssue> {
        let fail = |upto: usize, expected: String| ConfigIssue {
            origin: Origin::CommandLine(self.raw.clone()),
            key: self.path[..upto].join("."),
            expected,
        };
        let (last, parents) = self.path.split_last().expect("path is non-empty");
        let mut current = Slot::Table(table);
        for (depth, segment) in parents.iter().enumerate() {
            current = match current {
                Slot::Table(t) => {
                    let entry = t
                        .entry(segment.clone())
                        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                    Slot::from_value(entry)
                        .ok_or_else(|| fail(depth + 1, "a table or an array here".into()))?
                }
                Slot::Array(a) => {
                    let len = a.len();
                    let item = index(segment)
                        .and_then(|i| a.get_mut(i))
                        .ok_or_else(|| fail(depth + 1, format!("an index below {len}")))?;
                    Slot::from_value(item)
                        .ok_or_else(|| fail(depth + 1, "a table or an array here".into()))?
                }
            };
        }
        match current {
            Slot::Table(t) => {
                t.insert(last.clone(), self.value.clone());
            }
            Slot::Array(a) => {
                let len = a.len();
                let item = index(last)
                    .and_then(|i| a.get_mut(i))
                    .ok_or_else(|| fail(self.path.len(), format!("an index below {len}")))?;
                *item = self.value.clone();
            }
        }
        Ok(())
    }
}

enum Slot<'a> {
    Table(&'a mut toml::Table),
    Array(&'a mut Vec<toml::Value>),
}

impl<'a> Slot<'a> {
    fn from_value(value: &'a mut toml::Value) -> Option<Self> {
        match value {
            toml::Value::Table(t) => Some(Slot::Table(t)),
            toml::Value::Array(a) => Some(Slot::Array(a)),
            _ => None,
        }
    }
}

fn index(segment: &str) -> Option<usize> {
    segment.parse().ok()
}

/// Parses a TOML value; anything that is not valid TOML is a string, so that
/// `--set policy.kind=cyclic` needs no quotes.
fn parse_value(text: &str) -> toml::Value {
    let wrapped = format!("value = {text}");
    match wrapped.parse::<toml::Table>() {
        Ok(mut t) => t
            .remove("value")
            .unwrap_or(toml::Value::String(text.into())),
        Err(_) => toml::Value::String(text.to_string()),
    }
}
