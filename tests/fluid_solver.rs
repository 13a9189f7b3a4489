//! Fluid-Opt solver: against brute force over the simplex, the structural
//! results of the paper (Propositions 5.4, 5.7–5.8) and edge cases.

mod common;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tokensim::fluid::{FluidProblem, FluidSolution};
use tokensim::model::{AgentType, DepartureFn, Model, RevenueFn};

fn model(rewards: Vec<f64>, revenue: RevenueFn, types: Vec<(f64, Vec<f64>)>) -> Model {
    Model {
        types: types
            .into_iter()
            .enumerate()
            .map(|(k, (lambda, p))| AgentType {
                name: format!("t{k}"),
                arrival_rate: lambda,
                departure: DepartureFn::from_table(&rewards, &p),
                entry: None,
            })
            .collect(),
        cost_per_token: 1.0,
        revenue,
        rewards,
        economy: None,
    }
}

fn solve(m: &Model) -> FluidSolution {
    FluidProblem::new(m).solve().expect("feasible instance")
}

/// F(φ) = f(n(φ)) − c·n(φ)·r(φ) computed here from model.md A.2 and A.5,
/// not through the program's `evaluate` or revenue code: n(φ) = Σ_k λ_k /
/// Σ_i φ_i p_k(r_i) from the stored tables, f written out per kind.
/// −∞ where some type would never leave (n infinite).
fn profit(m: &Model, phi: &[f64]) -> f64 {
    let mut n = 0.0;
    for t in &m.types {
        let p: f64 = phi
            .iter()
            .enumerate()
            .map(|(i, w)| w * t.departure.at_reward_index(i))
            .sum();
        if p <= 0.0 {
            return f64::NEG_INFINITY;
        }
        n += t.arrival_rate / p;
    }
    let r: f64 = phi.iter().zip(&m.rewards).map(|(w, r)| w * r).sum();
    let f = match m.revenue {
        RevenueFn::Newsvendor { price, capacity } => price * n.min(capacity),
        RevenueFn::Linear { price } => price * n,
        RevenueFn::Sqrt { price } => price * n.sqrt(),
        RevenueFn::Log { price } => price * n.ln_1p(),
        RevenueFn::Power { price, exponent } => price * n.powf(exponent),
    };
    f - m.cost_per_token * n * r
}

/// Every point of the simplex grid with step 1/steps.
fn simplex_grid(m: usize, steps: usize, prefix: &mut Vec<usize>, out: &mut Vec<Vec<f64>>) {
    let used: usize = prefix.iter().sum();
    if prefix.len() == m - 1 {
        let mut phi: Vec<f64> = prefix.iter().map(|&c| c as f64 / steps as f64).collect();
        phi.push((steps - used) as f64 / steps as f64);
        out.push(phi);
        return;
    }
    for c in 0..=steps - used {
        prefix.push(c);
        simplex_grid(m, steps, prefix, out);
        prefix.pop();
    }
}

/// Local refinement of a grid point: coordinate moves of mass between
/// rewards with shrinking steps (an independent search over the whole simplex).
fn refine(m: &Model, mut phi: Vec<f64>, mut value: f64) -> f64 {
    let k = phi.len();
    let mut step = 0.02;
    while step > 1e-7 {
        let mut improved = false;
        for a in 0..k {
            for b in 0..k {
                if a == b || phi[a] < step {
                    continue;
                }
                let mut next = phi.clone();
                next[a] -= step;
                next[b] += step;
                let v = profit(m, &next);
                if v > value {
                    phi = next;
                    value = v;
                    improved = true;
                }
            }
        }
        if !improved {
            step /= 2.0;
        }
    }
    value
}

fn random_table(rng: &mut Xoshiro256PlusPlus, rewards: &[f64], shape: usize) -> Vec<f64> {
    let r_max = rewards[rewards.len() - 1].max(1e-9);
    let lo = rng.random_range(0.02..0.3);
    let hi = rng.random_range(lo + 0.1..1.0);
    match shape {
        // Convex (γ > 1), concave (γ < 1) power curves.
        0 | 1 => {
            let gamma = if shape == 0 {
                rng.random_range(1.2..4.0)
            } else {
                rng.random_range(0.2..0.85)
            };
            rewards
                .iter()
                .map(|r| lo + (hi - lo) * (1.0 - r / r_max).powf(gamma))
                .collect()
        }
        // Neither: any non-increasing table.
        _ => {
            let mut p: Vec<f64> = rewards.iter().map(|_| rng.random_range(lo..hi)).collect();
            p.sort_by(|a, b| b.total_cmp(a));
            p
        }
    }
}

fn random_revenue(rng: &mut Xoshiro256PlusPlus, kind: usize, scale_n: f64) -> RevenueFn {
    let price = rng.random_range(0.5..6.0);
    match kind {
        0 => RevenueFn::Newsvendor {
            price,
            capacity: rng.random_range(0.3..1.5) * scale_n,
        },
        1 => RevenueFn::Linear { price },
        2 => RevenueFn::Sqrt { price: price * 2.0 },
        3 => RevenueFn::Log { price: price * 2.0 },
        _ => RevenueFn::Power {
            price,
            exponent: rng.random_range(0.2..1.0),
        },
    }
}

/// A random instance: K ≤ `max_types` types, |R| ≤ `max_rewards`, revenue
/// of kind `revenue_kind` (0 newsvendor … 4 power).
fn random_instance(
    rng: &mut Xoshiro256PlusPlus,
    max_rewards: usize,
    max_types: usize,
    revenue_kind: usize,
) -> Model {
    let m = rng.random_range(1..=max_rewards);
    let k = rng.random_range(1..=max_types);
    let mut rewards: Vec<f64> = (0..m).map(|_| rng.random_range(0.0..3.0)).collect();
    rewards.sort_by(f64::total_cmp);
    rewards.dedup();
    let shape = rng.random_range(0..3usize);
    let types: Vec<(f64, Vec<f64>)> = (0..k)
        .map(|_| {
            (
                rng.random_range(0.2..1.5),
                random_table(rng, &rewards, shape),
            )
        })
        .collect();
    let typical_n: f64 = types.iter().map(|(l, p)| l / p[p.len() / 2]).sum();
    let revenue = random_revenue(rng, revenue_kind, typical_n);
    model(rewards, revenue, types)
}

/// Checks the solver on one instance: φ* has at most two rewards, its
/// reported OPT is the test's own F(φ*), and no point of a simplex grid
/// refined by local search (both evaluated by the test's own F, not the
/// program's) does better. Returns φ*.
fn check_against_brute_force(case: &str, inst: &Model) -> Vec<f64> {
    let solution = solve(inst);
    assert!(
        solution.support.len() <= 2,
        "{case}: support {:?}",
        solution.support
    );
    assert!((solution.distribution.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let own = profit(inst, &solution.distribution);
    assert!(
        (own - solution.opt).abs() <= 1e-10 * (1.0 + own.abs()),
        "{case}: reported OPT {} but F(φ*) = {own}",
        solution.opt
    );
    let steps = if inst.rewards.len() <= 3 { 60 } else { 16 };
    let mut grid = Vec::new();
    simplex_grid(inst.rewards.len(), steps, &mut Vec::new(), &mut grid);
    let (best_phi, best) = grid
        .into_iter()
        .map(|phi| {
            let v = profit(inst, &phi);
            (phi, v)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let refined = refine(inst, best_phi, best);
    let tolerance = 1e-7 * (1.0 + refined.abs());
    assert!(
        solution.opt >= refined - tolerance,
        "{case}: solver {} < brute force {refined} ({inst:?})",
        solution.opt
    );
    solution.distribution
}

/// On 150 random instances (K ≤ 4, |R| ≤ 5, every revenue kind, convex,
/// concave and other tables) the solver passes [`check_against_brute_force`].
#[test]
fn solver_matches_brute_force_on_random_instances() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    for case in 0..150 {
        let inst = random_instance(&mut rng, 5, 4, case % 5);
        check_against_brute_force(&format!("case {case}"), &inst);
    }
}

/// Random optima are mostly single rewards; this family keeps drawing
/// (strictly concave revenues, K ≤ 3, |R| ≤ 4) until it has 30 instances
/// whose optimum mixes two rewards with both weights in (10⁻³, 1 − 10⁻³),
/// and checks each against the brute force.
#[test]
fn solver_matches_brute_force_on_interior_two_point_optima() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(77);
    let mut found = 0;
    for draw in 0..20_000 {
        let inst = random_instance(&mut rng, 4, 3, 2 + draw % 3);
        let phi = solve(&inst).distribution;
        let interior = phi.iter().filter(|&&x| x > 1e-3 && x < 1.0 - 1e-3).count() == 2;
        if !interior {
            continue;
        }
        check_against_brute_force(&format!("draw {draw}"), &inst);
        found += 1;
        if found == 30 {
            return;
        }
    }
    panic!("only {found} interior two-point optima in 20,000 draws");
}

fn power_types(
    rng: &mut Xoshiro256PlusPlus,
    rewards: &[f64],
    convex: bool,
) -> Vec<(f64, Vec<f64>)> {
    (0..rng.random_range(1..=3))
        .map(|_| {
            (
                rng.random_range(0.3..1.5),
                random_table(rng, rewards, if convex { 0 } else { 1 }),
            )
        })
        .collect()
}

/// Proposition 5.4: with convex departure functions φ* is a single reward or
/// two consecutive ones; with concave ones it lives on {r_min, r_max}.
#[test]
fn proposition_5_4_convex_and_concave_supports() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(54);
    let rewards = vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5];
    for case in 0..60 {
        let revenue = random_revenue(&mut rng, case % 5, 5.0);
        let convex = model(
            rewards.clone(),
            revenue,
            power_types(&mut rng, &rewards, true),
        );
        let s = solve(&convex);
        let consecutive = match s.support.as_slice() {
            [_] => true,
            [a, b] => b - a == 1,
            _ => false,
        };
        assert!(
            consecutive,
            "convex case {case}: support {:?} ({convex:?})",
            s.support
        );

        let concave = model(
            rewards.clone(),
            revenue,
            power_types(&mut rng, &rewards, false),
        );
        let s = solve(&concave);
        assert!(
            s.support.iter().all(|&i| i == 0 || i == rewards.len() - 1),
            "concave case {case}: support {:?} ({concave:?})",
            s.support
        );
    }
}

/// Propositions 5.7–5.8: one linearized S-shape type (value v, half-width δ,
/// v − δ ≥ r_min so p(r_min) = 1). φ* mixes r_min and v + δ with weight
/// x*(δ) = 1 − λ/n*(δ), n* the root of f'(n) = v + δ, or n* = λ (pay r_min
/// only) when f'(λ) ≤ v + δ. Optimal profit is non-increasing in δ and
/// constant for δ ≥ f'(λ) − v.
#[test]
fn propositions_5_7_and_5_8_linear_s_closed_forms() {
    let rewards: Vec<f64> = (0..=80).map(|i| i as f64 * 0.05).collect();
    let (v, lambda, price) = (1.0, 1.0, 3.0);
    let revenue = RevenueFn::Sqrt { price }; // f'(n) = price / (2√n)
    let threshold = revenue.derivative(lambda) - v; // 0.5
    let mut last = f64::INFINITY;
    for step in 1..=18 {
        let delta = step as f64 * 0.05;
        let config =
            tokensim::config::DepartureConfig::new(tokensim::config::DepartureFamily::LinearS {
                value: v,
                half_width: delta,
            });
        let inst = Model {
            types: vec![AgentType {
                name: "s".into(),
                arrival_rate: lambda,
                departure: DepartureFn::new(&config, &rewards),
                entry: None,
            }],
            cost_per_token: 1.0,
            revenue,
            rewards: rewards.clone(),
            economy: None,
        };
        let s = solve(&inst);
        let top = v + delta;
        let n_star = if revenue.derivative(lambda) <= top {
            lambda
        } else {
            (price / (2.0 * top)).powi(2)
        };
        let x_star = 1.0 - lambda / n_star;
        let j = rewards
            .iter()
            .position(|&r| (r - top).abs() < 1e-9)
            .unwrap();
        let weight_on_top = s.distribution[j];
        if delta < threshold - 1e-9 {
            assert_eq!(s.support, vec![0, j], "δ = {delta}");
            assert!(
                (weight_on_top - x_star).abs() < 1e-6,
                "δ = {delta}: x {weight_on_top} vs {x_star}"
            );
        } else {
            assert_eq!(s.support, vec![0], "δ = {delta}: pay r_min only");
        }
        assert!(s.opt <= last + 1e-9, "profit increased at δ = {delta}");
        if delta >= threshold - 1e-9 {
            assert!(
                (s.opt - price * lambda.sqrt()).abs() < 1e-9,
                "constant f(λ) beyond the threshold"
            );
        }
        last = s.opt;
    }
}

#[test]
fn a_type_that_never_leaves_is_reported_not_a_crash() {
    // At reward 1 type 0 never leaves: that singleton is infeasible.
    let inst = model(
        vec![0.0, 1.0],
        RevenueFn::Newsvendor {
            price: 2.0,
            capacity: 5.0,
        },
        vec![(1.0, vec![0.5, 0.0]), (1.0, vec![0.9, 0.5])],
    );
    let s = solve(&inst);
    assert_eq!(s.infeasible.len(), 1, "{:?}", s.infeasible);
    assert!(s.distribution[0] > 0.0, "the solution is feasible");
    // Every singleton infeasible and every mix too: no solution at all.
    let none = model(
        vec![1.0],
        RevenueFn::Linear { price: 2.0 },
        vec![(1.0, vec![0.0])],
    );
    assert!(FluidProblem::new(&none).solve().is_none());
}

#[test]
fn equal_tables_behave_like_one_type() {
    let rewards = vec![0.0, 1.0, 2.0];
    let p = vec![0.8, 0.4, 0.1];
    let revenue = RevenueFn::Log { price: 4.0 };
    let two = solve(&model(
        rewards.clone(),
        revenue,
        vec![(0.5, p.clone()), (0.5, p.clone())],
    ));
    let one = solve(&model(rewards, revenue, vec![(1.0, p)]));
    assert!((two.opt - one.opt).abs() < 1e-12);
    assert_eq!(two.support, one.support);
}

#[test]
fn one_reward_is_the_only_choice() {
    let s = solve(&model(
        vec![1.0],
        RevenueFn::Sqrt { price: 3.0 },
        vec![(1.0, vec![0.25])],
    ));
    assert_eq!(s.distribution, vec![1.0]);
    assert!((s.opt - (3.0 * 2.0 - 4.0)).abs() < 1e-12);
}

/// The best x of g on [0, 1] for one memoryless type with p = (p0, p1) on
/// rewards (0, 1) and f = a·√n, computed from the closed form directly (not
/// through the program's `evaluate`): a dense grid, then golden-section
/// refinement around its best point.
fn one_type_oracle(a: f64, p0: f64, p1: f64) -> f64 {
    let g = |x: f64| {
        let n = 1.0 / ((1.0 - x) * p0 + x * p1);
        a * n.sqrt() - n * x
    };
    // Dense near both ends too: x = 1 − 10^(−s) and 10^(−s), s up to 12.
    let mut xs: Vec<f64> = (0..=200_000).map(|k| k as f64 / 200_000.0).collect();
    for k in 0..=12_000 {
        let s = 3.0 + 9.0 * k as f64 / 12_000.0;
        xs.push(10f64.powf(-s));
        xs.push(1.0 - 10f64.powf(-s));
    }
    xs.sort_by(f64::total_cmp);
    let best = (0..xs.len())
        .max_by(|&i, &j| g(xs[i]).total_cmp(&g(xs[j])))
        .unwrap();
    let (mut lo, mut hi) = (xs[best.saturating_sub(1)], xs[(best + 1).min(xs.len() - 1)]);
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..200 {
        let (c, d) = (hi - phi * (hi - lo), lo + phi * (hi - lo));
        if g(c) > g(d) {
            hi = d;
        } else {
            lo = c;
        }
    }
    g(0.5 * (lo + hi)).max(g(0.0)).max(g(1.0))
}

#[test]
fn optima_within_a_grid_cell_of_an_end_are_found() {
    // Near-degenerate departure probabilities put the optimum within 1e−3
    // of x = 1 (the example: p = (0.5, 1e−4), f = 100√n, OPT
    // 2501.50 at x ≈ 0.9994), and mirrored ones put it near x = 0.
    for (a, p0, p1) in [
        (100.0, 0.5, 1e-4),
        (100.0, 0.5, 1e-3),
        (40.0, 0.9, 1e-5),
        (300.0, 0.3, 3e-5),
        (20.0, 0.05, 0.04),
    ] {
        let m = model(
            vec![0.0, 1.0],
            RevenueFn::Sqrt { price: a },
            vec![(1.0, vec![p0, p1])],
        );
        let oracle = one_type_oracle(a, p0, p1);
        let found = solve(&m).opt;
        assert!(
            (found - oracle).abs() <= 1e-7 * oracle.abs().max(1.0),
            "a={a} p=({p0}, {p1}): solver {found}, oracle {oracle}"
        );
    }
}
