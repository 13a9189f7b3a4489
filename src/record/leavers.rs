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
    /// Lifetime rewards and tenures not yet folded into their histograms.
    lifetime_buckets: Vec<BucketCounts>,
    tenure_buckets: Vec<BucketCounts>,
}

/// Credited amounts below this are counted in a plain array first.
const SMALL_CREDITS: usize = 1024;

/// Counts by hdrhistogram bucket, in a plain array: a record is one index
/// computation and one increment, where `Histogram::record` also keeps
/// totals, extremes and bounds (a tenth of the step loop's time when every
/// departure was recorded directly). Folded into the histogram by
/// [`BucketCounts::flush_into`]; values beyond the array go to it directly.
///
/// The buckets are those of a histogram with lowest value 1 and 3
/// significant digits (2,048 sub-buckets): every value below 2,048 is its
/// own bucket, and above, [2¹⁰⁺ᵉ, 2¹¹⁺ᵉ) is cut into 1,024 buckets of width
/// 2ᵉ. A histogram keeps only a count per bucket (its extremes and mean are
/// read from the buckets), so recording a bucket's lowest value n times is
/// the same as recording its n values: the folded histogram is identical to
/// one recorded directly.
#[derive(Debug, Clone)]
struct BucketCounts {
    counts: Vec<u64>,
}

impl BucketCounts {
    /// Counts for values below 2¹¹⁺ˡᵉᵛᵉˡˢ⁻² (levels ≥ 2).
    fn new(levels: usize) -> Self {
        BucketCounts {
            counts: vec![0; 1024 * levels],
        }
    }

    #[inline(always)]
    fn index(value: u64) -> usize {
        if value < 2048 {
            value as usize
        } else {
            // e = ⌊log₂ value⌋ − 10 ≥ 1.
            let e = 53 - value.leading_zeros();
            (e as usize) * 1024 + (value >> e) as usize
        }
    }

    /// The lowest value of the bucket at `index`.
    fn value(index: usize) -> u64 {
        if index < 2048 {
            index as u64
        } else {
            let e = index / 1024 - 1;
            ((index - e * 1024) as u64) << e
        }
    }

    #[inline(always)]
    fn record(&mut self, value: u64, overflow: &mut Histogram<u64>) {
        match self.counts.get_mut(Self::index(value)) {
            Some(count) => *count += 1,
            None => overflow.saturating_record(value),
        }
    }

    fn merge(&mut self, other: &BucketCounts) {
        self.counts
            .iter_mut()
            .zip(&other.counts)
            .for_each(|(a, b)| *a += b);
    }

    fn flush_into(&mut self, histogram: &mut Histogram<u64>) {
        for (index, count) in self.counts.iter_mut().enumerate() {
            if *count > 0 {
                histogram.saturating_record_n(Self::value(index), *count);
                *count = 0;
            }
        }
    }
}

/// Lifetime rewards below 2¹⁷ units (131 tokens) are counted by bucket.
const LIFETIME_LEVELS: usize = 8;
/// Tenures below 2,048 periods are counted by value.
const TENURE_LEVELS: usize = 2;

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
            lifetime_buckets: vec![BucketCounts::new(LIFETIME_LEVELS); types],
            tenure_buckets: vec![BucketCounts::new(TENURE_LEVELS); types],
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
        self.lifetime_buckets[k].record(units, &mut self.lifetime_reward[k]);
        self.tenure_buckets[k].record(tenure as u64, &mut self.tenure[k]);
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

    /// Folds the counts kept in plain arrays into the histograms; call it
    /// before reading them.
    pub fn flush(&mut self) {
        for (h, b) in self
            .lifetime_reward
            .iter_mut()
            .zip(&mut self.lifetime_buckets)
        {
            b.flush_into(h);
        }
        for (h, b) in self.tenure.iter_mut().zip(&mut self.tenure_buckets) {
            b.flush_into(h);
        }
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
        // The histograms with the bucket counts folded in (a checkpoint
        // keeps histograms only).
        let folded = |histograms: &[Histogram<u64>], buckets: &[BucketCounts]| {
            let mut histograms = histograms.to_vec();
            for (h, b) in histograms.iter_mut().zip(buckets) {
                b.clone().flush_into(h);
            }
            encode(&histograms)
        };
        LeaverState {
            lifetime_reward: folded(&self.lifetime_reward, &self.lifetime_buckets),
            tenure: folded(&self.tenure, &self.tenure_buckets),
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
        for (a, b) in self
            .lifetime_buckets
            .iter_mut()
            .zip(&other.lifetime_buckets)
        {
            a.merge(b);
        }
        for (a, b) in self.tenure_buckets.iter_mut().zip(&other.tenure_buckets) {
            a.merge(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Recording through the bucket array and folding gives exactly the
    /// histogram that direct recording gives — every bucket count, the
    /// extremes, the mean and the serialized bytes — for values across
    /// every level, beyond the array, and beyond the histogram's bound.
    #[test]
    fn bucket_counts_fold_to_the_directly_recorded_histogram() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        let high = 5_000_000;
        let mut direct = Histogram::<u64>::new_with_bounds(1, high, SIGNIFICANT_DIGITS).unwrap();
        let mut folded = direct.clone();
        let mut buckets = BucketCounts::new(LIFETIME_LEVELS);
        for _ in 0..200_000 {
            // Log-uniform over 0 .. 2²⁴ (past the array and the bound).
            let value = (2f64.powf(rng.random::<f64>() * 24.0) - 1.0) as u64;
            direct.saturating_record(value);
            buckets.record(value, &mut folded);
        }
        buckets.flush_into(&mut folded);
        assert_eq!(folded.len(), direct.len());
        assert_eq!(folded.max(), direct.max());
        assert_eq!(folded.min(), direct.min());
        assert_eq!(folded.mean(), direct.mean());
        for (a, b) in folded.iter_all().zip(direct.iter_all()) {
            assert_eq!(
                a.count_since_last_iteration(),
                b.count_since_last_iteration()
            );
        }
        assert_eq!(encode(&[folded]), encode(&[direct]));
        assert!(buckets.counts.iter().all(|&c| c == 0), "flushing empties");
    }

    /// Each bucket's lowest value maps back to the bucket.
    #[test]
    fn bucket_values_round_trip() {
        for index in 0..1024 * LIFETIME_LEVELS {
            let v = BucketCounts::value(index);
            assert_eq!(BucketCounts::index(v), index, "index {index}");
            if index >= 2048 {
                // The bucket below ends just under it.
                assert_eq!(BucketCounts::index(v - 1), index - 1, "index {index}");
            }
        }
    }
}
