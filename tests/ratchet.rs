//! P3 (model.md E.3): the ratchet-aware target from the dynamic programme
//! over budget years, checked against (1) the closed-form critical fractile
//! where the problem is translation-invariant, and (2) brute force: the
//! exact expected cost of every decision sequence over a tree of cost
//! outcomes, with no grid of budgets and no interpolation.

use tokensim::model::ratchet::RatchetProblem;

/// Φ, by the complementary error function's series (independent of the
/// program's inverse normal).
fn normal_cdf(x: f64) -> f64 {
    // Abramowitz–Stegun 7.1.26 is too coarse; integrate the density.
    let n = 20_000;
    let (a, b) = (-10.0, x);
    let h = (b - a) / n as f64;
    let f = |t: f64| (-0.5 * t * t).exp() / (2.0 * std::f64::consts::PI).sqrt();
    (0..n)
        .map(|i| {
            let t = a + h * (i as f64 + 0.5);
            f(t) * h
        })
        .sum()
}

fn problem(years: usize) -> RatchetProblem {
    RatchetProblem {
        years,
        over_penalty: 2.0,
        under_penalty: 1.0,
        ratchet: 0.5,
        cv: 0.03,
        reach: [0.85, 1.15],
        discount: 0.9,
        terminal_value: 1.5,
    }
}

/// One year left, σ fixed by the budget: the optimum sets
/// P(C ≤ B) = κ_o / (κ_o + κ_u + ρ β v), the one-line fractile.
#[test]
fn one_year_is_the_critical_fractile() {
    let p = problem(1);
    let b = 100.0;
    let solution = p.solve(80.0, 120.0, 41, 3000);
    let mu = solution.target(0, b);
    let achieved = normal_cdf((b - mu) / (p.cv * b));
    let fractile = p.over_penalty
        / (p.over_penalty + p.under_penalty + p.ratchet * p.discount * p.terminal_value);
    // Decision grid step 10σ / 3000 ≈ 0.0033 σ: the fractile is met to
    // the density × step, ≈ 0.0013.
    assert!(
        (achieved - fractile).abs() < 2e-3,
        "P(C ≤ B) = {achieved}, fractile {fractile}"
    );
}

/// Exact expected cost over the remaining `years` from budget `b`, by
/// recursion over every decision and every cost outcome of the same
/// one-year rule (`cells` per side of the kink), with no budget grid and no
/// interpolation: the DP's only approximation is the grid.
fn brute_force(p: &RatchetProblem, years: usize, b: f64, cells: usize, steps: usize) -> f64 {
    if years == 0 {
        return -p.terminal_value * b;
    }
    p.candidates(b, steps)
        .map(|mu| {
            p.year_cost(b, mu, cells, |next| {
                brute_force(p, years - 1, next, cells, steps)
            })
        })
        .fold(f64::INFINITY, f64::min)
}

/// Three years, the reach binding in some states (the optimum wants more
/// than 1.15 B when the terminal value is high): the programme's value at
/// the starting budget equals brute force within the interpolation error,
/// and the ratchet-aware target exceeds the myopic one (ρ = 0).
#[test]
fn three_years_match_brute_force() {
    let mut p = problem(3);
    p.terminal_value = 4.0;
    let steps = 30;
    // A coarse rule (4 cells per side) keeps the tree small; both use it.
    let cells = 4;
    let b0 = 100.0;
    let exact = brute_force(&p, 3, b0, cells, steps);
    let solution = p.solve_with(cells, 60.0, 101.0, 165, steps);
    let dp = solution.value(0, b0);
    // Interpolation on a 0.25-yuan grid of a piecewise-smooth W: relative
    // error well under 1e-3 of the value's scale (the penalties, ≈ κ σ).
    assert!(
        (dp - exact).abs() < 1e-3 * exact.abs().max(1.0),
        "DP {dp} vs brute force {exact}"
    );
    let mut myopic = p.clone();
    myopic.ratchet = 0.0;
    let m = myopic.solve_with(cells, 60.0, 101.0, 165, steps);
    assert!(solution.target(0, b0) > m.target(0, b0));
}
