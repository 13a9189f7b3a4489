//! Departure functions p_k (model.md A.3), compiled for the step loop.
//!
//! An agent's recent rewards are kept as reward *indices* packed in one
//! `u64` ([`HistoryLayout`]), enough for `memory.weights` (up to
//! [`MAX_MEMORY`] periods) and for `joint_table`, in 8 bytes per agent.
//!
//! The step loop never evaluates a curve: every probability an agent can
//! face — one per (periods remembered so far, last m rewards) — is tabulated
//! when the function is compiled (when that table has at most 2^20
//! entries), so the hot path is one masked load.

use serde::{Deserialize, Serialize};

use super::HistoryLayout;
use crate::config::{DepartureConfig, DepartureFamily, MAX_MEMORY};

/// What an agent's departure decision looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DepartureSignal {
    /// The policy reward (with memory, as configured).
    #[default]
    Reward,
    /// All tokens credited this period (tasks and reward); memory is not
    /// applied to this signal.
    Credited,
}

/// A probability as a threshold on 32 random bits: round(p · 2³²), so
/// P(bits < t) = t / 2³² is p to within 2⁻³³; 0 for p ≤ 0 or NaN (a
/// history no agent can have), 2³² for p ≥ 1.
#[inline]
pub fn departure_threshold(p: f64) -> u64 {
    if p >= 1.0 {
        1 << 32
    } else if p > 0.0 {
        // Adding ½ and truncating rounds (exactly: p·2³² < 2³² leaves the
        // sum exact); `f64::round` is a libm call, 6 % of a token-economy
        // run when every courier's probability is converted.
        (p * 4_294_967_296.0 + 0.5) as u64
    } else {
        0
    }
}

/// Largest departure lookup table built (entries).
const MAX_LOOKUP: usize = 1 << 20;

/// Departure probability as a function of a (perceived) reward value.
#[derive(Debug, Clone, PartialEq)]
pub enum DepartureCurve {
    /// Piecewise linear through (R[i], p[i]), constant beyond the ends.
    Table {
        /// Reward values (strictly increasing).
        rewards: Vec<f64>,
        /// Probability at each reward.
        p: Vec<f64>,
    },
    /// Linearized S-shape: 1 below v − δ, 0 above v + δ, linear between.
    LinearS {
        /// The value v.
        value: f64,
        /// The half-width δ.
        half_width: f64,
    },
    /// lo + (hi − lo) / (1 + exp((r − midpoint)/scale)).
    Logistic {
        /// r0.
        midpoint: f64,
        /// s.
        scale: f64,
        /// Probability as r → ∞.
        lo: f64,
        /// Probability as r → −∞.
        hi: f64,
    },
    /// lo + (hi − lo)(1 − r/r_max)^γ.
    Power {
        /// γ.
        gamma: f64,
        /// Probability at r_max.
        lo: f64,
        /// Probability at 0.
        hi: f64,
        /// The largest reward in R.
        r_max: f64,
    },
}

impl DepartureCurve {
    /// p(r) for a reward value r.
    pub fn at(&self, r: f64) -> f64 {
        let p = match self {
            DepartureCurve::Table { rewards, p } => interpolate(rewards, p, r),
            DepartureCurve::LinearS { value, half_width } => {
                ((value + half_width - r) / (2.0 * half_width)).clamp(0.0, 1.0)
            }
            DepartureCurve::Logistic {
                midpoint,
                scale,
                lo,
                hi,
            } => lo + (hi - lo) / (1.0 + ((r - midpoint) / scale).exp()),
            DepartureCurve::Power {
                gamma,
                lo,
                hi,
                r_max,
            } => {
                let base = if *r_max > 0.0 {
                    (1.0 - r / r_max).clamp(0.0, 1.0)
                } else {
                    1.0
                };
                lo + (hi - lo) * base.powf(*gamma)
            }
        };
        p.clamp(0.0, 1.0)
    }
}

fn interpolate(xs: &[f64], ys: &[f64], x: f64) -> f64 {
    if x <= xs[0] {
        return ys[0];
    }
    let last = xs.len() - 1;
    if x >= xs[last] {
        return ys[last];
    }
    // First index with xs[i] > x; x lies in [xs[i−1], xs[i]).
    let i = xs.partition_point(|&v| v <= x);
    let (x0, x1, y0, y1) = (xs[i - 1], xs[i], ys[i - 1], ys[i]);
    y0 + (y1 - y0) * (x - x0) / (x1 - x0)
}

/// How an agent's past rewards enter its departure decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Recall {
    /// Only this period's reward counts.
    Current,
    /// Perceived reward Σ w_j r(t−j) / Σ w_j over the periods actually stayed.
    Weighted(Vec<f64>),
    /// `joint_table`: p[now][previous], M×M row-major; never leaves after the
    /// first period.
    Joint(Vec<f64>),
}

/// A compiled departure function of one type.
#[derive(Debug, Clone, PartialEq)]
pub struct DepartureFn {
    rewards: Vec<f64>,
    curve: Option<DepartureCurve>,
    recall: Recall,
    /// p at each reward of R.
    at_index: Vec<f64>,
    grace_periods: u32,
    layout: HistoryLayout,
    /// Periods the decision depends on (m).
    memory: usize,
    /// p for (min(tenure, m) − 1, last m rewards), when small enough.
    lookup: Option<Vec<f64>>,
    /// Bits of the history key: bits per reward × m.
    key_width: usize,
}

impl DepartureFn {
    /// Compiles a validated departure configuration over the reward set R.
    pub fn new(config: &DepartureConfig, rewards: &[f64]) -> Self {
        let r_max = rewards.iter().copied().fold(0.0, f64::max);
        let curve = match &config.family {
            DepartureFamily::JointTable { p } => {
                let table = Recall::Joint(p.iter().flatten().copied().collect());
                let at_index = vec![f64::NAN; rewards.len()];
                return DepartureFn::compile(rewards, None, table, at_index, config.grace_periods);
            }
            DepartureFamily::Table { p } => DepartureCurve::Table {
                rewards: rewards.to_vec(),
                p: p.clone(),
            },
            &DepartureFamily::LinearS { value, half_width } => {
                DepartureCurve::LinearS { value, half_width }
            }
            &DepartureFamily::Logistic {
                midpoint,
                scale,
                lo,
                hi,
            } => DepartureCurve::Logistic {
                midpoint,
                scale,
                lo,
                hi,
            },
            &DepartureFamily::Power { gamma, lo, hi } => DepartureCurve::Power {
                gamma,
                lo,
                hi,
                r_max,
            },
        };
        let recall = match &config.memory {
            Some(m) => Recall::Weighted(m.weights.clone()),
            None => Recall::Current,
        };
        let at_index = rewards.iter().map(|&r| curve.at(r)).collect();
        DepartureFn::compile(rewards, Some(curve), recall, at_index, config.grace_periods)
    }

    fn compile(
        rewards: &[f64],
        curve: Option<DepartureCurve>,
        recall: Recall,
        at_index: Vec<f64>,
        grace_periods: u32,
    ) -> Self {
        let memory = match &recall {
            Recall::Current => 1,
            Recall::Joint(_) => 2,
            Recall::Weighted(w) => w.len().clamp(1, MAX_MEMORY),
        };
        let layout = HistoryLayout::for_rewards(rewards.len());
        let key_width = layout.bits() as usize * memory;
        let mut f = DepartureFn {
            rewards: rewards.to_vec(),
            curve,
            recall,
            at_index,
            grace_periods,
            layout,
            memory,
            lookup: None,
            key_width,
        };
        if key_width < 32 && memory << key_width <= MAX_LOOKUP {
            let keys = 1usize << key_width;
            let m = rewards.len();
            let table = (0..memory * keys)
                .map(|i| {
                    let (level, key) = (i / keys + 1, i % keys);
                    let valid = (0..memory).all(|j| layout.get(key as u64, j) < m);
                    if valid {
                        f.evaluate(key as u64, level as u32)
                    } else {
                        f64::NAN // a history no agent can have
                    }
                })
                .collect();
            f.lookup = Some(table);
        }
        f
    }

    /// A memoryless function given directly by its probabilities on R.
    pub fn from_table(rewards: &[f64], p: &[f64]) -> Self {
        let curve = DepartureCurve::Table {
            rewards: rewards.to_vec(),
            p: p.to_vec(),
        };
        let at_index = rewards.iter().map(|&r| curve.at(r)).collect();
        DepartureFn::compile(rewards, Some(curve), Recall::Current, at_index, 0)
    }

    /// Probability of leaving after this period, for an agent whose reward
    /// indices are packed in `history` (newest: this period's) and who has
    /// now been paid `tenure` ≥ 1 times. The step loop's hot path.
    #[inline]
    pub fn probability(&self, history: u64, tenure: u32) -> f64 {
        if tenure <= self.grace_periods {
            return 0.0;
        }
        match &self.lookup {
            Some(table) => {
                let level = (tenure as usize).min(self.memory) - 1;
                table[(level << self.key_width) | self.layout.key(history, self.memory)]
            }
            None => self.evaluate(history, tenure),
        }
    }

    /// The departure probability as a threshold t on the 2³² scale: the
    /// agent leaves when 32 uniform random bits, read as an integer, are
    /// below t (t = 2³² always leaves, t = 0 never). The step loop
    /// reads these from [`super::DepartureThresholds`], one flat table
    /// of all types built from this.
    #[inline]
    pub fn threshold(&self, history: u64, tenure: u32) -> u64 {
        departure_threshold(self.probability(history, tenure))
    }

    /// The departure probability computed from its definition (no table,
    /// no grace period).
    fn evaluate(&self, history: u64, tenure: u32) -> f64 {
        let now = self.layout.get(history, 0);
        match &self.recall {
            Recall::Current => self.at_index[now],
            Recall::Joint(table) => {
                if tenure < 2 {
                    0.0
                } else {
                    let previous = self.layout.get(history, 1);
                    table[now * self.rewards.len() + previous]
                }
            }
            Recall::Weighted(weights) => {
                let stayed = (tenure as usize).min(weights.len());
                let (mut sum, mut total) = (0.0, 0.0);
                for (j, &w) in weights[..stayed].iter().enumerate() {
                    sum += w * self.rewards[self.layout.get(history, j)];
                    total += w;
                }
                // Zero weight on every period stayed so far (w_0 = 0 in the
                // first period): fall back to this period's reward.
                let perceived = if total > 0.0 {
                    sum / total
                } else {
                    self.rewards[now]
                };
                self.curve
                    .as_ref()
                    .expect("weighted recall has a curve")
                    .at(perceived)
            }
        }
    }

    /// The packing of reward histories this function reads.
    pub fn layout(&self) -> HistoryLayout {
        self.layout
    }

    /// p(r) at reward index i as a memoryless agent would see it; for
    /// `joint_table`, the probability when paid R[i] twice in a row.
    pub fn at_reward_index(&self, i: usize) -> f64 {
        match &self.recall {
            Recall::Joint(table) => table[i * self.rewards.len() + i],
            _ => self.at_index[i],
        }
    }

    /// p(r) for an arbitrary reward value (memoryless reading of the curve).
    pub fn at_value(&self, r: f64) -> Option<f64> {
        self.curve.as_ref().map(|c| c.at(r))
    }

    /// p_k(φ) = Σ_r φ(r) p(r): the memoryless departure probability under φ.
    pub fn under_distribution(&self, phi: &[f64]) -> f64 {
        phi.iter()
            .enumerate()
            .map(|(i, &w)| w * self.at_reward_index(i))
            .sum()
    }

    /// True when the decision depends only on this period's reward and no
    /// grace period applies: then the static policy's stationary population
    /// is exactly Poisson(θλ/p(φ)).
    pub fn is_memoryless(&self) -> bool {
        matches!(self.recall, Recall::Current) && self.grace_periods == 0
    }

    /// How many past periods (including this one) the decision can depend on.
    pub fn memory_len(&self) -> usize {
        self.memory
    }

    /// Periods at the start of a stay in which the agent never leaves.
    pub fn grace_periods(&self) -> u32 {
        self.grace_periods
    }

    /// How past rewards enter the decision.
    pub fn recall(&self) -> &Recall {
        &self.recall
    }

    /// The memoryless curve, absent for `joint_table`.
    pub fn curve(&self) -> Option<&DepartureCurve> {
        self.curve.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_interpolates_and_clamps() {
        let f = DepartureFn::from_table(&[0.0, 1.0, 3.0], &[0.9, 0.5, 0.1]);
        assert_eq!(f.at_value(-1.0), Some(0.9));
        assert!((f.at_value(0.5).unwrap() - 0.7).abs() < 1e-15);
        assert!((f.at_value(2.0).unwrap() - 0.3).abs() < 1e-15);
        assert_eq!(f.at_value(9.0), Some(0.1));
    }

    #[test]
    fn linear_s_limits() {
        let c = DepartureCurve::LinearS {
            value: 1.0,
            half_width: 0.5,
        };
        assert_eq!(c.at(0.4), 1.0);
        assert_eq!(c.at(1.0), 0.5);
        assert_eq!(c.at(1.6), 0.0);
    }

    #[test]
    fn weighted_memory_renormalizes_over_stayed_periods() {
        let config: DepartureConfig =
            toml::from_str("kind = 'table'\np = [1.0, 0.0]\nmemory = { weights = [0.5, 0.5] }")
                .unwrap();
        let f = DepartureFn::new(&config, &[0.0, 1.0]);
        let l = f.layout();
        // First period, paid R[1] = 1: perceived 1 → p = 0.
        assert_eq!(f.probability(l.pack(&[1]), 1), 0.0);
        // Paid 1 now and 0 before: perceived 0.5 → p = 0.5.
        assert_eq!(f.probability(l.pack(&[1, 0]), 2), 0.5);
        assert_eq!(f.evaluate(l.pack(&[1, 0]), 2), 0.5);
    }
}
