//! Group fairness of realized rewards (model.md Part C).
//!
//! q_k(r) = Σ_t #{type k paid r in t} / Σ_t N_k(t) over a window of periods;
//! criterion 2 compares q_k across types. With two-period memory the
//! comparison is of joint distributions ([`two_period`], Appendix G).

mod two_period;

pub use two_period::{two_period_fairness, two_period_fairness_of, TwoPeriodFairness};

/// Reward distribution of each type over periods `from..to` of a run whose
/// counts are `reward_counts` [T][K][M] and `active` [T][K]. A type with no
/// agent-period in the window gets a row of NaN.
pub fn reward_distributions(
    reward_counts: &[u64],
    active: &[u64],
    types: usize,
    rewards: usize,
    periods: std::ops::Range<usize>,
) -> Vec<Vec<f64>> {
    (0..types)
        .map(|k| {
            let mut paid = vec![0u64; rewards];
            let mut present = 0u64;
            for t in periods.clone() {
                present += active[t * types + k];
                let row = &reward_counts[(t * types + k) * rewards..][..rewards];
                paid.iter_mut().zip(row).for_each(|(a, b)| *a += b);
            }
            shares(&paid, present)
        })
        .collect()
}

/// counts / total, NaN throughout when the total is 0 (nobody to compare).
pub(crate) fn shares(counts: &[u64], total: u64) -> Vec<f64> {
    counts
        .iter()
        .map(|&n| {
            if total == 0 {
                f64::NAN
            } else {
                n as f64 / total as f64
            }
        })
        .collect()
}

/// Total variation ½ Σ_r |a(r) − b(r)|.
pub fn total_variation(a: &[f64], b: &[f64]) -> f64 {
    0.5 * a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>()
}

/// max over pairs of rows and entries of |a − b| (rows of NaN skipped).
pub fn max_pairwise_gap(rows: &[Vec<f64>]) -> f64 {
    let mut gap = 0.0f64;
    for a in 0..rows.len() {
        for b in a + 1..rows.len() {
            let g = max_abs_difference(&rows[a], &rows[b]);
            if !g.is_nan() {
                gap = gap.max(g);
            }
        }
    }
    gap
}

/// max_r |a(r) − b(r)|.
pub fn max_abs_difference(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// The built-in group-fairness check of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFairness {
    /// q_k(r), [K][M].
    pub reward_dist: Vec<Vec<f64>>,
    /// Pairwise total variation, [K][K] (NaN where a type had no agents).
    pub tv_distance: Vec<Vec<f64>>,
    /// Largest pairwise total variation.
    pub max_tv: f64,
    /// max over pairs and rewards of |q_k(r) − q_k'(r)|.
    pub max_abs_gap: f64,
    /// Criterion 1: every period paid everyone from one announced φ_t.
    pub criterion1: bool,
    /// Tolerance ε on `max_abs_gap`.
    pub epsilon: f64,
    /// With two-period memory: the largest gap of Definition G.1 (joint
    /// distributions of (reward now, reward before) of veterans).
    pub two_period_gap: Option<f64>,
}

impl GroupFairness {
    /// Compares the types' reward distributions.
    pub fn new(reward_dist: Vec<Vec<f64>>, criterion1: bool, epsilon: f64) -> Self {
        let k = reward_dist.len();
        let mut tv_distance = vec![vec![0.0; k]; k];
        let (mut max_tv, mut max_abs_gap) = (0.0f64, 0.0f64);
        for a in 0..k {
            for b in 0..k {
                let tv = total_variation(&reward_dist[a], &reward_dist[b]);
                tv_distance[a][b] = tv;
                if !tv.is_nan() {
                    max_tv = max_tv.max(tv);
                    max_abs_gap =
                        max_abs_gap.max(max_abs_difference(&reward_dist[a], &reward_dist[b]));
                }
            }
        }
        GroupFairness {
            reward_dist,
            tv_distance,
            max_tv,
            max_abs_gap,
            criterion1,
            epsilon,
            two_period_gap: None,
        }
    }

    /// "fair" when criterion 1 holds and the largest gap is at most ε (and,
    /// with two-period memory, so is the gap of Definition G.1).
    pub fn verdict(&self) -> &'static str {
        let two_period = self.two_period_gap.is_none_or(|g| g <= self.epsilon);
        if self.criterion1 && self.max_abs_gap <= self.epsilon && two_period {
            "fair"
        } else {
            "unfair"
        }
    }
}
