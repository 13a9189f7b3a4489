//! Group fairness with two-period memory (the paper's Appendix G,
//! Definition G.1).
//!
//! With `joint_table` departures an agent's decision depends on the pair
//! (r_t, r_{t−1}), so the policy space is the joint distributions ψ_t of
//! two consecutive rewards, and fairness compares, across types, the
//! time-averaged joint distribution seen by the agents present for at least
//! two periods (Ñ_k(t) = N_k(t) − Λ_k(t)):
//!
//!   q_k(r, r') = Σ_t Ñ_k(t) ψ_t(r, r') / Σ_t Ñ_k(t).
//!
//! The audit counts what each veteran was actually paid (the engine's
//! `pair_counts`). In the paper's fluid model the platform imposes ψ_t on
//! all veterans, so a static ψ is fair by construction. In the stochastic
//! model a policy that draws every agent's reward i.i.d. from a static φ is
//! *not* automatically fair on realized pairs: which veterans are still
//! present depends on what they were paid last period and on their type
//! (selection), so q_k(·, r') differs across types. Paying everyone the
//! same reward each period (a fixed reward, or a cycle of point masses)
//! has no such selection: ψ_t is then exactly e_{r_t} ⊗ e_{r_{t−1}}.
//!
//! Theorem G.2 (some optimal fair policy is static) rests on Lemma G.3:
//! the long-run veteran population of type k is λ_k / p_k(q_k) with
//! p_k(ψ) = Σ ψ(r, r') p_k(r, r') — flow balance, since newcomers never
//! leave after their first period — so the static ψ = q_k keeps it, and
//! under fairness q_k is one ψ for all k.

use serde::Serialize;

use crate::record::Series;

/// Definition G.1 evaluated on one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwoPeriodFairness {
    /// q_k(r, r') per type, row-major M×M (r = now, r' = previous).
    pub joint: Vec<Vec<f64>>,
    /// Mean veterans Ñ_k per period (agents, not per unit θ), per type.
    pub mean_veterans: Vec<f64>,
    /// max over type pairs and (r, r') of |q_k − q_k'|.
    pub max_gap: f64,
}

/// Definition G.1 over periods `from..` of a run, from its realized
/// `pair_counts` (every veteran's own reward now and before, so selection —
/// who survived which reward — is included); `None` when the run did not
/// count pairs (no type with two-period memory) or the window is empty.
pub fn two_period_fairness(series: &Series, from: usize) -> Option<TwoPeriodFairness> {
    two_period_fairness_of(
        &series.pair_counts,
        series.types,
        series.rewards,
        from..series.periods,
    )
}

/// Definition G.1 from pair counts `[T][K][M][M]` over `periods`; `None` when
/// the counts do not cover them or the window is empty.
pub fn two_period_fairness_of(
    pair_counts: &[u64],
    k: usize,
    m: usize,
    periods: std::ops::Range<usize>,
) -> Option<TwoPeriodFairness> {
    let cell = k * m * m;
    if pair_counts.len() < periods.end * cell || periods.is_empty() {
        return None;
    }
    let window = periods.len();
    let mut counts = vec![vec![0u64; m * m]; k];
    for t in periods {
        let period = &pair_counts[t * cell..(t + 1) * cell];
        for (kk, row) in counts.iter_mut().enumerate() {
            row.iter_mut()
                .zip(&period[kk * m * m..(kk + 1) * m * m])
                .for_each(|(a, b)| *a += b);
        }
    }
    let veterans: Vec<u64> = counts.iter().map(|row| row.iter().sum()).collect();
    let joint: Vec<Vec<f64>> = counts
        .iter()
        .zip(&veterans)
        .map(|(row, &total)| super::shares(row, total))
        .collect();
    let max_gap = super::max_pairwise_gap(&joint);
    Some(TwoPeriodFairness {
        joint,
        mean_veterans: veterans.iter().map(|&v| v as f64 / window as f64).collect(),
        max_gap,
    })
}
