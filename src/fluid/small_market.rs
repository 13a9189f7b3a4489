//! Static policies in a market of finite size θ (model.md A.6).
//!
//! Under a static φ the stationary N is Poisson(θ n(φ)), so the long-run
//! normalized profit is exactly R^θ(φ) = E[f(N/θ)] − c·n(φ)·r(φ) ≤ F(φ).
//! The best static policy of the stochastic system maximizes R^θ rather
//! than F: it is found here by a grid search over one- and two-point
//! distributions, refined by golden-section search around the best pair.

use super::{mix, point_mass, FluidProblem};

/// E[f(N/θ)] for N ~ Poisson(θ·n), summed over ±12 standard deviations.
pub fn expected_revenue(problem: &FluidProblem<'_>, n: f64, scale: f64) -> f64 {
    let mu = scale * n;
    if mu <= 0.0 {
        return problem.revenue().value(0.0);
    }
    let spread = 12.0 * mu.sqrt() + 12.0;
    let lo = (mu - spread).max(0.0).floor() as u64;
    let hi = (mu + spread).ceil() as u64;
    // log P(N = k) = k ln μ − μ − ln k!, computed with ln Γ via Stirling's series.
    let mut total = 0.0;
    for k in lo..=hi {
        let log_p = k as f64 * mu.ln() - mu - ln_factorial(k);
        total += log_p.exp() * problem.revenue().value(k as f64 / scale);
    }
    total
}

/// ln k!, exact for small k and Stirling's series beyond.
fn ln_factorial(k: u64) -> f64 {
    if k < 20 {
        return (1..=k).map(|i| (i as f64).ln()).sum();
    }
    let x = k as f64 + 1.0;
    (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x.powi(3))
        + 1.0 / (1260.0 * x.powi(5))
}

/// R^θ(φ) = E[f(N/θ)] − c·n(φ)·r(φ), or None when φ is infeasible.
pub fn stochastic_profit(problem: &FluidProblem<'_>, phi: &[f64], scale: f64) -> Option<f64> {
    let v = problem.evaluate(phi).ok()?;
    Some(expected_revenue(problem, v.n_total, scale) - v.reward_cost)
}

/// The best static policy in a market of size θ: (φ, R^θ(φ)).
pub fn best_static_policy(problem: &FluidProblem<'_>, scale: f64) -> Option<(Vec<f64>, f64)> {
    let m = problem.model().reward_count();
    let mut best: Option<(Vec<f64>, f64)> = None;
    let offer = |phi: Vec<f64>, best: &mut Option<(Vec<f64>, f64)>| {
        if let Some(v) = stochastic_profit(problem, &phi, scale) {
            if best.as_ref().is_none_or(|b| v > b.1) {
                *best = Some((phi, v));
            }
        }
    };
    for i in 0..m {
        offer(point_mass(i, m), &mut best);
    }
    const GRID: usize = 100;
    for i in 0..m {
        for j in i + 1..m {
            let value = |x: f64| stochastic_profit(problem, &mix(i, j, x, m), scale);
            let (mut x_best, mut v_best) = (f64::NAN, f64::NEG_INFINITY);
            for g in 1..GRID {
                let x = g as f64 / GRID as f64;
                if let Some(v) = value(x) {
                    if v > v_best {
                        (x_best, v_best) = (x, v);
                    }
                }
            }
            if v_best == f64::NEG_INFINITY {
                continue;
            }
            // Golden-section search on the grid cell around the best point.
            let (mut a, mut b) = (
                (x_best - 1.0 / GRID as f64).max(0.0),
                (x_best + 1.0 / GRID as f64).min(1.0),
            );
            let ratio = (5f64.sqrt() - 1.0) / 2.0;
            for _ in 0..60 {
                let c = b - ratio * (b - a);
                let d = a + ratio * (b - a);
                let (vc, vd) = (
                    value(c).unwrap_or(f64::NEG_INFINITY),
                    value(d).unwrap_or(f64::NEG_INFINITY),
                );
                if vc >= vd {
                    b = d;
                } else {
                    a = c;
                }
            }
            offer(mix(i, j, 0.5 * (a + b), m), &mut best);
            offer(mix(i, j, x_best, m), &mut best);
        }
    }
    best
}
