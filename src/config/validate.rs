//! Collecting validation problems with the dotted key they concern.
//!
//! Each configuration section checks itself and reports problems here; the
//! loader then attaches file, line and column (or the `--set` flag) to each.

/// Problems found while validating a configuration, each with its key path.
#[derive(Debug, Default)]
pub struct Problems {
    found: Vec<(String, String)>,
}

impl Problems {
    /// Records that `key` did not hold what was `expected`.
    pub fn push(&mut self, key: impl Into<String>, expected: impl Into<String>) {
        self.found.push((key.into(), expected.into()));
    }

    /// True when nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// The problems as (key, expected) pairs, in the order found.
    pub fn into_vec(self) -> Vec<(String, String)> {
        self.found
    }

    /// Checks that `value` is a probability.
    pub fn probability(&mut self, key: &str, value: f64) {
        if !(0.0..=1.0).contains(&value) {
            self.push(key, format!("a probability in [0, 1], got {value}"));
        }
    }

    /// Checks that `value` is finite and > 0.
    pub fn positive(&mut self, key: &str, value: f64) {
        if !(value.is_finite() && value > 0.0) {
            self.push(key, format!("a finite number > 0, got {value}"));
        }
    }

    /// Checks that `value` is finite and ≥ 0.
    pub fn non_negative(&mut self, key: &str, value: f64) {
        if !(value.is_finite() && value >= 0.0) {
            self.push(key, format!("a finite number >= 0, got {value}"));
        }
    }

    /// Checks that `dist` is a probability distribution over `len` outcomes.
    pub fn distribution(&mut self, key: &str, dist: &[f64], len: usize) {
        if dist.len() != len {
            self.push(
                key,
                format!(
                    "{len} probabilities (one per reward in rewards.values), got {}",
                    dist.len()
                ),
            );
            return;
        }
        for (i, &p) in dist.iter().enumerate() {
            if !(0.0..=1.0).contains(&p) {
                self.push(
                    format!("{key}.{i}"),
                    format!("a probability in [0, 1], got {p}"),
                );
                return;
            }
        }
        let total: f64 = dist.iter().sum();
        if (total - 1.0).abs() > 1e-9 {
            self.push(
                key,
                format!("probabilities summing to 1 (within 1e-9), got sum {total}"),
            );
        }
    }

    /// Reports `key` as missing, needed by `because`.
    pub fn require<T>(&mut self, key: &str, value: &Option<T>, because: &str) {
        if value.is_none() {
            self.push(key, format!("this key, required {because}"));
        }
    }

    /// Reports `key` as present although `because` makes it meaningless.
    pub fn forbid<T>(&mut self, key: &str, value: &Option<T>, because: &str) {
        if value.is_some() {
            self.push(key, format!("no such key {because}"));
        }
    }
}
