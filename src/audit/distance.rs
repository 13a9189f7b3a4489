//! Distances between distributions: Kolmogorov–Smirnov and Wasserstein-1,
//! for distributions on a finite support (rewards) and for HdrHistograms.

use hdrhistogram::Histogram;

/// A distribution as sorted (value, probability) atoms.
pub type Atoms = Vec<(f64, f64)>;

/// Atoms of a recorded histogram, in natural units (`scale` per integer).
pub fn atoms_of(h: &Histogram<u64>, scale: f64) -> Atoms {
    let n = h.len() as f64;
    if n == 0.0 {
        return Vec::new();
    }
    h.iter_recorded()
        .map(|v| {
            (
                h.median_equivalent(v.value_iterated_to()) as f64 * scale,
                v.count_at_value() as f64 / n,
            )
        })
        .collect()
}

/// Atoms of a distribution q over reward values.
pub fn atoms_on(values: &[f64], q: &[f64]) -> Atoms {
    values
        .iter()
        .copied()
        .zip(q.iter().copied())
        .filter(|(_, p)| *p > 0.0)
        .collect()
}

/// (KS, W1) between two distributions given as atoms; NaN if either is empty.
pub fn ks_and_wasserstein(a: &Atoms, b: &Atoms) -> (f64, f64) {
    if a.is_empty() || b.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mut points: Vec<f64> = a.iter().chain(b).map(|x| x.0).collect();
    points.sort_by(f64::total_cmp);
    points.dedup();
    let cdf = |atoms: &Atoms, x: f64| {
        atoms
            .iter()
            .filter(|(v, _)| *v <= x)
            .map(|(_, p)| p)
            .sum::<f64>()
    };
    let (mut ks, mut w1) = (0.0f64, 0.0);
    for (i, &x) in points.iter().enumerate() {
        let gap = (cdf(a, x) - cdf(b, x)).abs();
        ks = ks.max(gap);
        if let Some(&next) = points.get(i + 1) {
            w1 += gap * (next - x);
        }
    }
    (ks, w1)
}

/// Mean of a distribution given as atoms.
pub fn mean(atoms: &Atoms) -> f64 {
    if atoms.is_empty() {
        return f64::NAN;
    }
    atoms.iter().map(|(v, p)| v * p).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_masses() {
        let a = vec![(0.0, 1.0)];
        let b = vec![(2.0, 1.0)];
        assert_eq!(ks_and_wasserstein(&a, &b), (1.0, 2.0));
        let c = vec![(0.0, 0.5), (2.0, 0.5)];
        assert_eq!(ks_and_wasserstein(&a, &c), (0.5, 1.0));
    }
}
