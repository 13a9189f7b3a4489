//! Distributions of what agents got over their whole stay, by type.
//!
//! Recorded when an agent leaves, for agents that arrived at period 0 or
//! later (the stay of agents present at the start began before the run).
//! Agents still present at the end are not included (their stay is censored).

use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Lifetime rewards are recorded in thousandths of a token (hdrhistogram
/// stores integers); 3 significant digits are kept.
pub const LIFETIME_UNITS_PER_TOKEN: f64 = 1000.0;
const SIGNIFICANT_DIGITS: u8 = 3;

/// [`LeaverHistograms`] in a checkpoint: every histogram as its V2 bytes,
/// and the small-credit counts not yet folded in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaverState {
    lifetime_reward: Vec<Vec<u8>>,
    tenure: Vec<Vec<u8>>,
    credited: Vec<Vec<u8>>,
    balance_at_end: Vec<Vec<u8>>,
    credited_small: Vec<Vec<u64>>,
}

fn encode(hs: &[Histogram<u64>]) -> Vec<Vec<u8>> {
    hs.iter()
        .map(|h| {
            let mut bytes = Vec::new();
            V2Serializer::new()
                .serialize(h, &mut bytes)
                .expect("serializing to memory cannot fail");
            bytes
        })
        .collect()
}

fn decode_into(hs: &mut [Histogram<u64>], parts: &[Vec<u8>]) -> Result<(), String> {
    if hs.len() != parts.len() {
        return Err(format!(
            "{} histograms in the checkpoint, expected {}",
            parts.len(),
            hs.len()
        ));
    }
    for (h, bytes) in hs.iter_mut().zip(parts) {
        let saved: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| format!("a histogram of the checkpoint is corrupt ({e:?})"))?;
        h.add(&saved)
            .map_err(|e| format!("a histogram of the checkpoint does not fit ({e:?})"))?;
    }
    Ok(())
}

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

    /// The counts so far, for a checkpoint.
    pub fn save(&self) -> LeaverState {
        LeaverState {
            lifetime_reward: encode(&self.lifetime_reward),
            tenure: encode(&self.tenure),
            credited: encode(&self.credited),
            balance_at_end: encode(&self.balance_at_end),
            credited_small: self.credited_small.clone(),
        }
    }

    /// Adds the counts of a checkpoint to these (empty) histograms.
    pub fn restore(&mut self, state: &LeaverState) -> Result<(), String> {
        decode_into(&mut self.lifetime_reward, &state.lifetime_reward)?;
        decode_into(&mut self.tenure, &state.tenure)?;
        decode_into(&mut self.credited, &state.credited)?;
        decode_into(&mut self.balance_at_end, &state.balance_at_end)?;
        if state.credited_small.len() != self.credited_small.len()
            || state
                .credited_small
                .iter()
                .any(|v| v.len() != SMALL_CREDITS)
        {
            return Err("small-credit counts of the checkpoint have the wrong shape".into());
        }
        for (a, b) in self.credited_small.iter_mut().zip(&state.credited_small) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        Ok(())
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
