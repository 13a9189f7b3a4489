//! Poisson draws for the small per-agent means of the token economy (tasks
//! per agent and period), by inversion of a tabulated CDF with a guide
//! table (Chen and Asau): one uniform, a table look-up and on average about
//! one comparison per draw, instead of rand_distr's general-purpose
//! algorithm or a branchy binary search. Exact up to the f64 rounding of
//! the CDF; the far tail (beyond 1 − 1e-12 of the mass) falls back to
//! rand_distr.

use rand::Rng;
use rand_distr::{Distribution, Poisson};

use super::rng::StreamRng;

/// Poisson(mean) with a tabulated CDF.
#[derive(Debug, Clone)]
pub(crate) struct SmallPoisson {
    cdf: Vec<f64>,
    /// guide[g] = the least k with cdf[k] > g / guide.len(): where the
    /// search for a uniform in [g/G, (g+1)/G) starts.
    guide: Vec<u32>,
    fallback: Option<Poisson<f64>>,
}

/// Means above which the table would be long: use rand_distr directly.
const TABLE_MEAN_LIMIT: f64 = 64.0;

impl SmallPoisson {
    /// Poisson(mean); None when the mean is not positive.
    pub fn new(mean: f64) -> Option<Self> {
        let fallback = Poisson::new(mean).ok()?;
        if mean > TABLE_MEAN_LIMIT {
            return Some(SmallPoisson {
                cdf: Vec::new(),
                guide: Vec::new(),
                fallback: Some(fallback),
            });
        }
        let mut cdf = Vec::new();
        let (mut p, mut total, mut k) = ((-mean).exp(), 0.0, 0u32);
        while total < 1.0 - 1e-12 && k < 1_000 {
            total += p;
            cdf.push(total);
            k += 1;
            p *= mean / k as f64;
        }
        // Eight guide entries per table entry: a uniform then falls in a
        // guide interval that holds a CDF step only about one time in ten,
        // so the search loop is rarely taken (and rarely mispredicted).
        let slots = 8 * cdf.len().next_power_of_two();
        let guide = (0..slots)
            .map(|g| cdf.partition_point(|&c| c <= g as f64 / slots as f64) as u32)
            .collect();
        Some(SmallPoisson {
            cdf,
            guide,
            fallback: Some(fallback),
        })
    }

    /// One draw.
    #[inline]
    pub fn sample(&self, rng: &mut StreamRng) -> u64 {
        if !self.cdf.is_empty() {
            let u = rng.random::<f64>();
            // The least k with cdf[k] > u, searched from the guide entry.
            let mut k = self.guide[(u * self.guide.len() as f64) as usize] as usize;
            while k < self.cdf.len() && self.cdf[k] <= u {
                k += 1;
            }
            if k < self.cdf.len() {
                return k as u64;
            }
        }
        self.fallback.as_ref().map_or(0, |d| d.sample(rng) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn mean_and_variance_match() {
        for mean in [0.3, 2.7, 17.0, 90.0] {
            let d = SmallPoisson::new(mean).unwrap();
            let mut rng = StreamRng::seed_from_u64(9);
            let n = 200_000;
            let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng) as f64).collect();
            let m = xs.iter().sum::<f64>() / n as f64;
            let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
            assert!(
                (m - mean).abs() < 4.0 * (mean / n as f64).sqrt(),
                "mean {m} vs {mean}"
            );
            assert!((v / mean - 1.0).abs() < 0.02, "variance {v} vs {mean}");
        }
        assert!(SmallPoisson::new(0.0).is_none());
    }

    #[test]
    fn guide_table_search_is_the_plain_inversion() {
        let d = SmallPoisson::new(4.786).unwrap();
        let mut a = StreamRng::seed_from_u64(3);
        let mut b = StreamRng::seed_from_u64(3);
        for _ in 0..100_000 {
            let u = b.random::<f64>();
            let plain = d.cdf.partition_point(|&c| c <= u) as u64;
            assert_eq!(d.sample(&mut a), plain);
        }
    }
}
