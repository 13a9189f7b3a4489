//! Distributions of what agents got over their whole stay, by type.
//!
//! Recorded when an agent leaves, for agents that arrived at period 0 or
//! later (the stay of agents present at the start began before the run).
//! Agents still present at the end are not included (their stay is censored).

use hdrhistogram::Histogram;

/// Lifetime rewards are recorded in thousandths of a token (hdrhistogram
/// stores integers); 3 significant digits are kept.
pub const LIFETIME_UNITS_PER_TOKEN: f64 = 1000.0;
const SIGNIFICANT_DIGITS: u8 = 3;

/// Per-type histograms of lifetime reward and tenure of departed agents.
#[derive(Debug, Clone)]
pub struct LeaverHistograms {
    /// Lifetime reward, in 1/[`LIFETIME_UNITS_PER_TOKEN`] tokens.
    pub lifetime_reward: Vec<Histogram<u64>>,
    /// Periods stayed.
    pub tenure: Vec<Histogram<u64>>,
    /// Token economy: tokens credited to each agent in each period (every
    /// agent-period from period 0 on); empty without an economy.
    pub credited: Vec<Histogram<u64>>,
    /// Token economy: balances of the agents present at the end; empty
    /// without an economy.
    pub balance_at_end: Vec<Histogram<u64>>,
    /// Counts of small credited amounts, per type, folded into `credited`
    /// by [`LeaverHistograms::flush`]: an array increment is far cheaper
    /// than a histogram record at one record per agent-period.
    credited_small: Vec<Vec<u64>>,
}

/// Credited amounts below this are counted in a plain array first.
const SMALL_CREDITS: usize = 1024;

impl LeaverHistograms {
    /// Empty histograms for `types` types, sized for stays of up to
    /// `max_tenure` periods paid at most `max_reward` each.
    pub fn new(types: usize, max_tenure: u64, max_reward: f64) -> Self {
        let max_tenure = max_tenure.max(2);
        let max_lifetime = ((max_reward * LIFETIME_UNITS_PER_TOKEN).ceil() as u64)
            .saturating_mul(max_tenure)
            .max(2);
        let make = |high: u64| {
            Histogram::new_with_bounds(1, high, SIGNIFICANT_DIGITS)
                .expect("bounds are valid: 1 <= high, 3 significant digits")
        };
        LeaverHistograms {
            lifetime_reward: (0..types).map(|_| make(max_lifetime)).collect(),
            tenure: (0..types).map(|_| make(max_tenure)).collect(),
            credited: Vec::new(),
            balance_at_end: Vec::new(),
            credited_small: Vec::new(),
        }
    }

    /// Adds the token-economy histograms (values up to 2^40 tokens).
    pub fn with_tokens(mut self) -> Self {
        let types = self.tenure.len();
        let make =
            || Histogram::new_with_bounds(1, 1 << 40, SIGNIFICANT_DIGITS).expect("valid bounds");
        self.credited = (0..types).map(|_| make()).collect();
        self.credited_small = vec![vec![0; SMALL_CREDITS]; types];
        self.balance_at_end = (0..types).map(|_| make()).collect();
        self
    }

    /// Records one departure of type `k`.
    #[inline]
    pub fn record(&mut self, k: usize, lifetime_reward: f64, tenure: u32) {
        // Non-negative, so adding ½ and truncating rounds (f64::round is a
        // libm call, measurable at this call rate).
        let units = (lifetime_reward * LIFETIME_UNITS_PER_TOKEN + 0.5) as u64;
        self.lifetime_reward[k].saturating_record(units);
        self.tenure[k].saturating_record(tenure as u64);
    }

    /// Records the tokens credited to an agent of type `k` in one period.
    #[inline]
    pub fn record_credited(&mut self, k: usize, tokens: u64) {
        match self.credited_small.get_mut(k) {
            Some(small) if (tokens as usize) < SMALL_CREDITS => small[tokens as usize] += 1,
            Some(_) => self.credited[k].saturating_record(tokens),
            None => {}
        }
    }

    /// Folds the small-amount counts into the `credited` histograms.
    pub fn flush(&mut self) {
        for (h, small) in self.credited.iter_mut().zip(&mut self.credited_small) {
            for (value, count) in small.iter_mut().enumerate() {
                if *count > 0 {
                    h.saturating_record_n(value as u64, *count);
                    *count = 0;
                }
            }
        }
    }

    /// Adds another set of counts (exact and order-independent).
    pub fn merge(&mut self, other: &LeaverHistograms) {
        for (a, b) in self.lifetime_reward.iter_mut().zip(&other.lifetime_reward) {
            a.add(b).expect("histograms share their bounds");
        }
        for (a, b) in self.tenure.iter_mut().zip(&other.tenure) {
            a.add(b).expect("histograms share their bounds");
        }
        for (a, b) in self.credited.iter_mut().zip(&other.credited) {
            a.add(b).expect("histograms share their bounds");
        }
        for (a, b) in self.balance_at_end.iter_mut().zip(&other.balance_at_end) {
            a.add(b).expect("histograms share their bounds");
        }
        for (a, b) in self.credited_small.iter_mut().zip(&other.credited_small) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
    }
}
