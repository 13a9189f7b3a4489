//! The departure thresholds of every type in one flat table, for the step
//! loop.
//!
//! A departure decision depends on the type k, on the last m rewards (the
//! low bits of the packed history) and on the tenure only through
//! min(tenure, grace + m) — whether the agent is still in its grace period
//! and how many of its m remembered periods it has stayed. So one table
//! indexed by (k, min(tenure, C), key), with C the largest grace + m over
//! the types and the key as wide as the longest memory, holds every
//! threshold: a lookup is a few integer operations and one load, with no
//! branch and no per-type indirection. Types with a shorter memory simply
//! repeat their entries over the key bits they ignore.

use super::departure::DepartureFn;

/// Largest table built (entries of 8 bytes); larger models use
/// [`DepartureFn::threshold`] per agent.
const MAX_ENTRIES: usize = 1 << 18;

/// Departure thresholds (on the 2³² scale, see
/// [`super::departure_threshold`]) by type, capped tenure and history key.
#[derive(Debug, Clone)]
pub struct DepartureThresholds {
    table: Vec<u64>,
    /// min(tenure, levels) indexes the rows of a type (row 0: not paid yet).
    levels: u32,
    key_width: u32,
    key_mask: u64,
}

impl DepartureThresholds {
    /// The table of `departures` (one per type), or `None` when it would
    /// be too large (long memories of many rewards, long grace periods).
    pub fn new(departures: &[DepartureFn]) -> Option<Self> {
        let layout = departures.first()?.layout();
        let memory = departures.iter().map(DepartureFn::memory_len).max()?;
        let levels = departures
            .iter()
            .map(|d| u64::from(d.grace_periods()) + d.memory_len() as u64)
            .max()?;
        let key_width = layout.bits() as usize * memory;
        let rows = departures.len() as u64 * (levels + 1);
        if key_width >= 32 || rows.saturating_mul(1 << key_width) > MAX_ENTRIES as u64 {
            return None;
        }
        let keys = 1usize << key_width;
        let mut table = vec![0; rows as usize * keys];
        for (k, d) in departures.iter().enumerate() {
            for level in 1..=levels {
                let row = (k * (levels as usize + 1) + level as usize) * keys;
                for key in 0..keys {
                    table[row + key] = d.threshold(key as u64, level as u32);
                }
            }
        }
        Some(DepartureThresholds {
            table,
            levels: levels as u32,
            key_width: key_width as u32,
            key_mask: keys as u64 - 1,
        })
    }

    /// The threshold of an agent of type `k` with packed `history` (this
    /// period's reward included) paid `tenure` times: the same value as
    /// `departures[k].threshold(history, tenure)`.
    #[inline(always)]
    pub fn get(&self, k: usize, history: u64, tenure: u32) -> u64 {
        let row = k * (self.levels as usize + 1) + tenure.min(self.levels) as usize;
        self.table[(row << self.key_width) | (history & self.key_mask) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HistoryLayout;

    /// The flat table agrees with each type's own threshold for every
    /// history and tenure up to past the grace and memory periods, for types
    /// with different memories and grace periods.
    #[test]
    fn agrees_with_each_departure_function() {
        let rewards = [0.0, 1.0, 2.0];
        let text = r#"
            a = { kind = "table", p = [0.5, 0.3, 0.1], memory = { weights = [0.5, 0.3, 0.2] } }
            b = { kind = "logistic", midpoint = 1.0, scale = 0.5, lo = 0.1, hi = 0.9, grace_periods = 2 }
            c = { kind = "table", p = [1.0, 0.0, 0.25], memory = { weights = [0.7, 0.3] }, grace_periods = 1 }
        "#;
        let configs: std::collections::BTreeMap<String, crate::config::DepartureConfig> =
            toml::from_str(text).unwrap();
        let departures: Vec<DepartureFn> = configs
            .values()
            .map(|c| DepartureFn::new(c, &rewards))
            .collect();
        let table = DepartureThresholds::new(&departures).unwrap();
        let layout = HistoryLayout::for_rewards(rewards.len());
        let mut checked = 0;
        for (k, d) in departures.iter().enumerate() {
            for tenure in 1..8u32 {
                for code in 0..3u64.pow(5) {
                    let recent: Vec<usize> =
                        (0..5).map(|j| (code / 3u64.pow(j)) as usize % 3).collect();
                    let history = layout.pack(&recent);
                    assert_eq!(
                        table.get(k, history, tenure),
                        d.threshold(history, tenure),
                        "type {k}, tenure {tenure}, history {recent:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 3 * 7 * 243);
    }
}
