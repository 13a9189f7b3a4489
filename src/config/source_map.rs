//! Finding where a dotted key was written in a TOML file (line and column).

use serde::de::Deserialize as _;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The parsed TOML text kept with its spans, to locate keys in error messages.
pub struct SourceMap<'a> {
    text: &'a str,
    root: Spanned<DeTable<'a>>,
}

impl<'a> SourceMap<'a> {
    /// Parses `text`; on a syntax error returns the message and its byte span.
    pub fn parse(text: &'a str) -> Result<Self, (String, Option<std::ops::Range<usize>>)> {
        match DeTable::parse(text) {
            Ok(root) => Ok(SourceMap { text, root }),
            Err(e) => Err((e.message().to_string(), e.span())),
        }
    }

    /// Parses the text into a plain TOML table (values without spans).
    pub fn to_table(&self) -> Result<toml::Table, String> {
        toml::Table::deserialize(
            toml::de::Deserializer::parse(self.text).map_err(|e| e.message().to_string())?,
        )
        .map_err(|e| e.message().to_string())
    }

    /// 1-based line and column of the deepest part of `path` present in the file.
    pub fn locate(&self, path: &[String]) -> Option<(usize, usize)> {
        let mut span = None;
        let mut table: Option<&DeTable<'_>> = Some(self.root.get_ref());
        let mut value: Option<&DeValue<'_>> = None;
        for segment in path {
            let next = if let Some(t) = table {
                t.iter()
                    .find(|(k, _)| k.get_ref().as_ref() == segment.as_str())
                    .map(|(k, v)| (k.span(), v))
            } else if let Some(DeValue::Array(items)) = value {
                segment
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i))
                    .map(|v| (v.span(), v))
            } else {
                None
            };
            let Some((key_span, v)) = next else { break };
            span = Some(key_span);
            value = Some(v.get_ref());
            table = match v.get_ref() {
                DeValue::Table(t) => Some(t),
                _ => None,
            };
        }
        span.map(|s| self.line_col(s.start))
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(self.text, offset)
    }
}

/// 1-based line and column of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
