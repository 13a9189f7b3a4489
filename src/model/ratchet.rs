//! The ratchet-aware budget target as a dynamic programme over budget
//! years (model.md E.3, P3).
//!
//! State: the year's budget B. Decision: the planned mean cost μ of the
//! year, within what the levers can reach, [`RatchetProblem::reach`] × B.
//! The steer controller solves it at the start of every budget year when
//! `steer.ratchet_aware` is set.
//! The year's cost is C ~ N(μ, σ²) with σ = `cv` × B (the predictive spread
//! of P2, relative to the budget). The year costs
//! Π = κ_o (C − B)^+ + κ_u (B − C)^+ and the next budget is
//! B' = B − ρ (B − C)^+ (use it or lose it). After the last year the budget
//! left is worth `terminal_value` per yuan (what a yuan of budget buys in
//! incentive value). The programme is
//!
//! ```text
//! W_Y(B) = −v B,   W_y(B) = min_μ E[Π(C; B) + β W_{y+1}(B')],
//! ```
//!
//! solved backwards on a grid of B with linear interpolation between grid
//! points; the year's normal expectation is split at its kink C = B
//! (see [`RatchetProblem::year_cost`]).
//!
//! Why a programme and not the one-line fractile: without limits on μ the
//! problem is translation-invariant in B when σ is fixed, and its answer is
//! the fractile P(C ≤ B) = κ_o/(κ_o + κ_u + ρ β v) of model.md B.5 (the test
//! checks this). With σ proportional to B, a reach that binds, or a budget
//! that can only fall, the target depends on the budget and the year, and
//! only the programme gives it.

/// One ratchet problem.
#[derive(Debug, Clone, PartialEq)]
pub struct RatchetProblem {
    /// Budget years to plan.
    pub years: usize,
    /// κ_o, per yuan over.
    pub over_penalty: f64,
    /// κ_u, per yuan under.
    pub under_penalty: f64,
    /// ρ: the share of an underspend taken off next year's budget.
    pub ratchet: f64,
    /// σ / B: the year's cost spread relative to its budget.
    pub cv: f64,
    /// [lo, hi]: planned mean cost reachable, as multiples of B.
    pub reach: [f64; 2],
    /// β: discount per year.
    pub discount: f64,
    /// v: value per yuan of the budget left after the last year.
    pub terminal_value: f64,
}

/// The solved programme: W_y and the optimal planned mean on a grid of B.
#[derive(Debug, Clone)]
pub struct RatchetSolution {
    /// Grid of budgets (increasing).
    pub budgets: Vec<f64>,
    /// `value[y][i]`: W_y at `budgets[i]`, y = 0..=years.
    pub value: Vec<Vec<f64>>,
    /// `target[y][i]`: the optimal planned mean cost in year y at `budgets[i]`.
    pub target: Vec<Vec<f64>>,
}

impl RatchetProblem {
    /// Expected cost of one year at budget `b` planning mean `mu`, with the
    /// continuation `next` (W_{y+1} as a function of B').
    ///
    /// The integrand has a kink at C = B (both the penalty and the ratchet
    /// switch there), so the normal expectation is split at that point and
    /// each side is integrated by the midpoint rule on `cells` cells out to
    /// 8σ. Why not a fixed rule such as Gauss–Hermite: with fixed nodes the
    /// expectation is piecewise linear in μ with breaks where a node crosses
    /// the kink, and the optimum snaps to the rule's partial weight sums
    /// (20 Gauss–Hermite nodes give P(C ≤ B) = 0.636 for an exact 0.544).
    /// Split at the kink, the expectation is smooth in μ and the optimum's
    /// fractile is exact to the rule's O(h²).
    pub fn year_cost(&self, b: f64, mu: f64, cells: usize, next: impl Fn(f64) -> f64) -> f64 {
        let sigma = (self.cv * b).max(f64::MIN_POSITIVE);
        let kink = ((b - mu) / sigma).clamp(-8.0, 8.0);
        let density = |z: f64| (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let mut total = 0.0;
        for (lo, hi) in [(-8.0, kink), (kink, 8.0)] {
            let h = (hi - lo) / cells as f64;
            if h <= 0.0 {
                continue;
            }
            for i in 0..cells {
                let z = lo + h * (i as f64 + 0.5);
                let c = (mu + sigma * z).max(0.0);
                let penalty =
                    self.over_penalty * (c - b).max(0.0) + self.under_penalty * (b - c).max(0.0);
                let b_next = b - self.ratchet * (b - c).max(0.0);
                total += density(z) * h * (penalty + self.discount * next(b_next));
            }
        }
        total
    }

    /// Candidate planned means at budget `b`: `steps` + 1 points
    /// B + zσ for z evenly across [−5, 5], each clamped to the reach. Why
    /// around B in units of σ: the optimum lies within a few σ of the
    /// budget unless the reach binds (then the clamp finds it), so the
    /// search resolves σ whatever its size relative to the reach.
    pub fn candidates(&self, b: f64, steps: usize) -> impl Iterator<Item = f64> + '_ {
        let [lo, hi] = self.reach;
        let sigma = self.cv * b;
        (0..=steps).map(move |i| {
            let z = -5.0 + 10.0 * i as f64 / steps.max(1) as f64;
            (b + sigma * z).clamp(lo * b, hi * b)
        })
    }

    /// Solves the programme on `grid` budgets spanning [b_min, b_max], the
    /// decision searched over `steps` + 1 candidates.
    pub fn solve(&self, b_min: f64, b_max: f64, grid: usize, steps: usize) -> RatchetSolution {
        self.solve_with(400, b_min, b_max, grid, steps)
    }

    /// [`RatchetProblem::solve`] with `cells` quadrature cells on each side
    /// of the kink (see [`RatchetProblem::year_cost`]).
    pub fn solve_with(
        &self,
        cells: usize,
        b_min: f64,
        b_max: f64,
        grid: usize,
        steps: usize,
    ) -> RatchetSolution {
        let budgets: Vec<f64> = (0..grid)
            .map(|i| b_min + (b_max - b_min) * i as f64 / (grid - 1) as f64)
            .collect();
        let mut value = vec![vec![0.0; grid]; self.years + 1];
        let mut target = vec![vec![0.0; grid]; self.years];
        value[self.years] = budgets.iter().map(|&b| -self.terminal_value * b).collect();
        for y in (0..self.years).rev() {
            let next_values = value[y + 1].clone();
            let next = |b: f64| interpolate(&budgets, &next_values, b);
            for (i, &b) in budgets.iter().enumerate() {
                let (best_mu, best) = self
                    .candidates(b, steps)
                    .map(|mu| (mu, self.year_cost(b, mu, cells, next)))
                    .fold(
                        (f64::NAN, f64::INFINITY),
                        |a, c| if c.1 < a.1 { c } else { a },
                    );
                value[y][i] = best;
                target[y][i] = best_mu;
            }
        }
        RatchetSolution {
            budgets,
            value,
            target,
        }
    }
}

impl RatchetSolution {
    /// The optimal planned mean cost in year `y` at budget `b` (interpolated).
    pub fn target(&self, y: usize, b: f64) -> f64 {
        interpolate(&self.budgets, &self.target[y], b)
    }

    /// W_y(b), interpolated.
    pub fn value(&self, y: usize, b: f64) -> f64 {
        interpolate(&self.budgets, &self.value[y], b)
    }
}

/// Piecewise-linear interpolation on an increasing grid, extrapolating
/// linearly from the end segments.
fn interpolate(xs: &[f64], ys: &[f64], x: f64) -> f64 {
    let n = xs.len();
    let i = xs.partition_point(|&g| g <= x).clamp(1, n - 1);
    let (x0, x1, y0, y1) = (xs[i - 1], xs[i], ys[i - 1], ys[i]);
    y0 + (y1 - y0) * (x - x0) / (x1 - x0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_rule_integrates_normal_moments() {
        let p = RatchetProblem {
            years: 1,
            over_penalty: 1.0,
            under_penalty: 1.0,
            ratchet: 0.0,
            cv: 0.1,
            reach: [0.0, 2.0],
            discount: 0.0,
            terminal_value: 0.0,
        };
        // E|C − B| with C ~ N(B, σ²) is σ √(2/π); σ = 0.1 B keeps C > 0.
        let b = 10.0;
        let sigma = 0.1 * b;
        let mean_abs = p.year_cost(b, b, 400, |_| 0.0);
        let exact = sigma * (2.0 / std::f64::consts::PI).sqrt();
        // Midpoint error on each side: h²/24 · |f'(0)| σ with f = zφ(z),
        // h = 8/400, i.e. 6.6e-6 σ per side.
        let h = 8.0 / 400.0;
        let bound = 2.0 * h * h / 24.0 * 0.3989 * sigma * 1.1;
        assert!((mean_abs - exact).abs() < bound, "{mean_abs} vs {exact}");
    }
}
