//! A reward distribution φ over R with an O(1) sampler.

use rand::Rng;
use rand_distr::weighted::WeightedAliasIndex;
use rand_distr::Distribution;

/// φ ∈ Δ(R), kept with a Walker alias table so that each draw costs one
/// random integer and one comparison.
#[derive(Debug, Clone)]
pub struct RewardDistribution {
    probabilities: Vec<f64>,
    sampler: WeightedAliasIndex<f64>,
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
        let sampler = WeightedAliasIndex::new(probabilities.clone())
            .expect("a validated distribution has non-negative weights summing to 1");
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
            None => self.sampler.sample(rng) as u8,
        }
    }
}
