//! Maximizing g(x) = F((1−x)e_i + x e_j) over x ∈ [0, 1] for one pair.

use super::{mix, FluidProblem};
use crate::model::RevenueFn;

/// Grid on which sign changes of g' (and of n(x) − D) are looked for.
pub const GRID_POINTS: usize = 400;
const BISECTIONS: usize = 80;

/// Local-maximum candidates (x, g(x)) of one pair: the feasible endpoints,
/// refined roots of g', and for newsvendor revenue the kink n(x) = D.
pub(crate) fn pair_candidates(problem: &FluidProblem<'_>, i: usize, j: usize) -> Vec<(f64, f64)> {
    let m = problem.model().reward_count();
    let g = |x: f64| problem.evaluate(&mix(i, j, x, m)).ok().map(|v| v.profit);
    let n = |x: f64| problem.evaluate(&mix(i, j, x, m)).ok().map(|v| v.n_total);
    let slope = |x: f64| slope(problem, i, j, x);

    // The scan covers the whole of [0, 1], ends included, with points
    // geometrically closer to each end (down to 1e−12 from it): optima of
    // near-degenerate pairs sit within a grid cell of an end, where a
    // uniform interior grid never sees g′ change sign.
    let grid = scan_grid();
    let mut xs: Vec<f64> = grid.clone();
    let signs: Vec<Option<f64>> = grid.iter().map(|&x| slope(x)).collect();
    for (w, pair) in signs.windows(2).enumerate() {
        if let [Some(a), Some(b)] = pair {
            if a.signum() != b.signum() {
                xs.push(bisect(&slope, grid[w], grid[w + 1]));
            }
        }
    }
    // Rational entry: the profit jumps where r(φ_x) crosses a reservation
    // value; the boundary r(φ_x) = v_k (where the type still joins) is a
    // candidate.
    let (ri, rj) = (problem.model().rewards[i], problem.model().rewards[j]);
    for t in &problem.model().types {
        if let Some(e) = t.entry {
            let x = (e.reservation_value - ri) / (rj - ri);
            if (0.0..=1.0).contains(&x) {
                xs.push(x);
                // Just inside, in case rounding put x on the wrong side.
                xs.push((x + 1e-12).min(1.0));
            }
        }
    }
    if let RevenueFn::Newsvendor { capacity, .. } = *problem.revenue() {
        let excess = |x: f64| n(x).map(|v| v - capacity);
        let values: Vec<Option<f64>> = grid.iter().map(|&x| excess(x)).collect();
        for (w, pair) in values.windows(2).enumerate() {
            if let [Some(a), Some(b)] = pair {
                if a.signum() != b.signum() {
                    xs.push(bisect(&excess, grid[w], grid[w + 1]));
                }
            }
        }
    }
    xs.into_iter()
        .filter_map(|x| g(x).map(|v| (x, v)))
        .collect()
}

/// g'(x): the closed form of model.md A.5 for memoryless types, central
/// differences otherwise. None where g is not defined.
fn slope(problem: &FluidProblem<'_>, i: usize, j: usize, x: f64) -> Option<f64> {
    let model = problem.model();
    let (ri, rj) = (model.rewards[i], model.rewards[j]);
    let c = model.cost_per_token;
    if problem.memoryless() {
        let (mut n, mut dn) = (0.0, 0.0);
        let r = (1.0 - x) * ri + x * rj;
        // Types that do not join at x contribute nothing (their indicator
        // is constant between boundaries).
        for t in model.types.iter().filter(|t| t.joins_at(r)) {
            let (pi, pj) = (
                t.departure.at_reward_index(i),
                t.departure.at_reward_index(j),
            );
            let p = (1.0 - x) * pi + x * pj;
            if t.arrival_rate == 0.0 {
                continue;
            }
            if p <= 0.0 {
                return None;
            }
            n += t.arrival_rate / p;
            dn += t.arrival_rate * (pi - pj) / (p * p);
        }
        let fprime = model.revenue.derivative(n);
        return Some((fprime - c * r) * dn - c * n * (rj - ri));
    }
    let m = model.reward_count();
    let h = 1e-6;
    let (lo, hi) = ((x - h).max(0.0), (x + h).min(1.0));
    let g = |x: f64| problem.evaluate(&mix(i, j, x, m)).ok().map(|v| v.profit);
    Some((g(hi)? - g(lo)?) / (hi - lo))
}

/// The points where g′ (and n − D) are evaluated: 0 and 1, the uniform
/// grid k/[`GRID_POINTS`], and 10⁻¹² … 10⁻³ from each end.
fn scan_grid() -> Vec<f64> {
    let mut xs: Vec<f64> = (0..=GRID_POINTS)
        .map(|k| k as f64 / GRID_POINTS as f64)
        .collect();
    for e in 3..=12 {
        let d = 10f64.powi(-e);
        xs.push(d);
        xs.push(1.0 - d);
    }
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    xs
}

/// A root of `f` in [a, b], where f(a) and f(b) differ in sign.
fn bisect(f: &impl Fn(f64) -> Option<f64>, mut a: f64, mut b: f64) -> f64 {
    let fa = f(a);
    for _ in 0..BISECTIONS {
        let mid = 0.5 * (a + b);
        match (f(mid), fa) {
            (Some(v), Some(fa)) if v.signum() == fa.signum() => a = mid,
            (Some(_), _) => b = mid,
            (None, _) => a = mid,
        }
    }
    0.5 * (a + b)
}
