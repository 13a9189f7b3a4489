//! A reward distribution φ over R with an O(1) sampler.

use rand::Rng;

/// φ ∈ Δ(R), kept with a Walker alias table so that each draw costs 32
/// random bits, one multiplication and one comparison.
#[derive(Debug, Clone)]
pub struct RewardDistribution {
    probabilities: Vec<f64>,
    sampler: AliasTable,
    /// The index of a point mass: drawn without random numbers.
    certain: Option<u8>,
}

impl PartialEq for RewardDistribution {
    fn eq(&self, other: &Self) -> bool {
        self.probabilities == other.probabilities
    }
}

impl RewardDistribution {
    /// φ from probabilities over R (validated: non-negative, summing to 1).
    pub fn new(probabilities: Vec<f64>) -> Self {
        let sampler = AliasTable::new(&probabilities);
        let certain = probabilities
            .iter()
            .position(|&p| p == 1.0)
            .map(|i| i as u8);
        RewardDistribution {
            probabilities,
            sampler,
            certain,
        }
    }

    /// The point mass e_i on reward index i of a set of `len` rewards.
    pub fn point_mass(index: usize, len: usize) -> Self {
        let mut p = vec![0.0; len];
        p[index] = 1.0;
        RewardDistribution::new(p)
    }

    /// φ(r) for each r in R.
    pub fn probabilities(&self) -> &[f64] {
        &self.probabilities
    }

    /// Draws a reward index (a point mass draws no random numbers).
    #[inline]
    pub fn sample<G: Rng + ?Sized>(&self, rng: &mut G) -> u8 {
        match self.certain {
            Some(index) => index,
            None => self.sampler.sample(rng.next_u32()),
        }
    }

    /// Draws a reward index from 32 uniform random bits (the step loop
    /// draws one 64-bit number per agent and splits it).
    #[inline(always)]
    pub fn sample_bits(&self, bits: u32) -> u8 {
        self.sampler.sample(bits)
    }
}

/// Walker's alias table (built by Vose's method) in fixed point: outcome
/// `i` of `n` is kept with probability `keep[i] / 2³²`, else `alias[i]`.
///
/// A draw takes 32 uniform bits `u`: `u · n` is a 32.32 fixed-point number
/// whose integer part is the column (uniform on 0..n) and whose fraction,
/// compared with `keep`, is the coin. Each probability is exact to within
/// n · 2⁻³² (the fraction's grain), far below any sampling error a run
/// can see.
#[derive(Debug, Clone)]
pub struct AliasTable {
    /// Keep thresholds on the 2³² scale (2³² = always keep).
    keep: Vec<u64>,
    alias: Vec<u8>,
}

impl AliasTable {
    /// The table of `probabilities` (non-negative, summing to 1, at most
    /// 256 outcomes).
    pub fn new(probabilities: &[f64]) -> Self {
        let n = probabilities.len();
        assert!(
            (1..=256).contains(&n),
            "an alias table has 1 to 256 outcomes"
        );
        let total: f64 = probabilities.iter().sum();
        let mut scaled: Vec<f64> = probabilities
            .iter()
            .map(|&p| p * n as f64 / total)
            .collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| scaled[i] < 1.0);
        let mut keep = vec![1u64 << 32; n];
        let mut alias: Vec<u8> = (0..n).map(|i| i as u8).collect();
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            keep[s] = (scaled[s] * 4_294_967_296.0).round() as u64;
            alias[s] = l as u8;
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // What is left in either list has weight 1 up to rounding: kept.
        AliasTable { keep, alias }
    }

    /// The outcome for 32 uniform random bits.
    #[inline(always)]
    pub fn sample(&self, bits: u32) -> u8 {
        let x = u64::from(bits) * self.keep.len() as u64;
        let column = (x >> 32) as usize;
        // Branch-free: the coin is unpredictable by design.
        let keep = ((x & 0xffff_ffff) < self.keep[column]) as u8;
        let mask = keep.wrapping_neg();
        (column as u8 & mask) | (self.alias[column] & !mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The exact probability of each outcome over all 2³² inputs, counted
    /// column by column: the inputs of column c are [⌈c·2³²/n⌉, ⌈(c+1)·2³²/n⌉)
    /// and those kept satisfy u·n < c·2³² + keep[c].
    fn exact(table: &AliasTable) -> Vec<f64> {
        let n = table.keep.len() as u128;
        let full = 1u128 << 32;
        let first = |c: u128| (c * full).div_ceil(n);
        let mut p = vec![0.0; n as usize];
        for c in 0..n {
            let (lo, hi) = (first(c), first(c + 1));
            let kept_end = (c * full + table.keep[c as usize] as u128)
                .div_ceil(n)
                .clamp(lo, hi);
            p[c as usize] += (kept_end - lo) as f64 / full as f64;
            p[table.alias[c as usize] as usize] += (hi - kept_end) as f64 / full as f64;
        }
        p
    }

    #[test]
    fn alias_table_is_exact_to_its_grain() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        for n in [1usize, 2, 3, 4, 5, 7, 16, 100, 256] {
            for _ in 0..20 {
                let mut w: Vec<f64> = (0..n)
                    .map(|_| {
                        let u: f64 = rng.random();
                        // Some exact zeros, some tiny weights.
                        if u < 0.2 {
                            0.0
                        } else {
                            u * u * u
                        }
                    })
                    .collect();
                if w.iter().all(|&x| x == 0.0) {
                    w[n - 1] = 1.0;
                }
                let total: f64 = w.iter().sum();
                let p: Vec<f64> = w.iter().map(|x| x / total).collect();
                let got = exact(&AliasTable::new(&p));
                for (i, (&g, &want)) in got.iter().zip(&p).enumerate() {
                    // Grain n·2⁻³² per column a value can take part in, plus
                    // rounding of the keep thresholds.
                    let grain = 2.0 * n as f64 / 4_294_967_296.0 + 1e-12;
                    assert!((g - want).abs() <= grain, "n {n}, i {i}: {g} vs {want}");
                    if want == 0.0 {
                        assert_eq!(g, 0.0, "an outcome of probability 0 is never drawn");
                    }
                }
            }
        }
    }

    #[test]
    fn point_masses_and_extremes() {
        let t = AliasTable::new(&[0.0, 1.0, 0.0]);
        for bits in [0, 1, u32::MAX / 3, u32::MAX / 2, u32::MAX - 1, u32::MAX] {
            assert_eq!(t.sample(bits), 1);
        }
        let t = AliasTable::new(&[0.5, 0.5]);
        assert_eq!(t.sample(0), 0);
        assert_eq!(t.sample(u32::MAX), 1);
    }
}
