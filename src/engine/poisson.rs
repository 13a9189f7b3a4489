//! Poisson draws for the small per-agent means of the token economy (tasks
//! and shopping visits per agent and period), by inversion of a tabulated
//! CDF: one uniform and a short search per draw instead of rand_distr's
//! general-purpose algorithm. Exact up to the f64 rounding of the CDF; the
//! far tail (beyond 1 − 1e-12 of the mass) falls back to rand_distr.

use rand::Rng;
use rand_distr::{Distribution, Poisson};

use super::rng::StreamRng;

/// Poisson(mean) with a tabulated CDF.
#[derive(Debug, Clone)]
pub(crate) struct SmallPoisson {
    cdf: Vec<f64>,
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
        Some(SmallPoisson {
            cdf,
            fallback: Some(fallback),
        })
    }

    /// One draw.
    #[inline]
    pub fn sample(&self, rng: &mut StreamRng) -> u64 {
        if !self.cdf.is_empty() {
            let u = rng.random::<f64>();
            let k = self.cdf.partition_point(|&c| c <= u);
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
}
