//! The paper's experiments at reduced size, asserted against the theory.
//! (`tokensim experiment NAME` runs them at full size.)

use tokensim::experiments::{
    convergence, dispersion, explicit_discrimination, implicit_discrimination, s_shape,
    small_markets, Size,
};
use tokensim::fluid::FluidProblem;
use tokensim::model::Model;
use tokensim::policy::build_policy;

/// The fluid policy's gap to OPT matches the exact finite-market gap at every
/// θ (4 s.e.), falls with the predicted log-log slope (−1 for a smooth
/// revenue, −1/2 at the newsvendor kink), and the fixed and lottery policies
/// keep a gap of at least half of OPT − F(φ) > 0.
#[test]
fn convergence_rates_and_persistent_gaps() {
    for (name, predicted) in [
        ("convergence-smooth.toml", -1.0),
        ("convergence-kink.toml", -0.5),
    ] {
        let study = convergence(name, Size::Quick).unwrap();
        eprintln!("{}", study.table());
        assert_eq!(study.predicted_slope, predicted);
        for r in &study.rows {
            assert!(
                (r.gap - r.theory_gap).abs() < 4.0 * r.profit.std_error,
                "{name} θ={} {}: gap {} vs exact {} (se {})",
                r.theta,
                r.policy,
                r.gap,
                r.theory_gap,
                r.profit.std_error
            );
        }
        let (slope, se) = study.fluid_slope;
        assert!(
            (slope - study.theory_slope).abs() < 4.0 * se,
            "{name}: slope {slope} ± {se} vs exact {}",
            study.theory_slope
        );
        assert!(
            (study.theory_slope - predicted).abs() < 0.1,
            "{name}: exact slope {} far from {predicted}",
            study.theory_slope
        );

        let config = tokensim::experiments::load(name, &[]).unwrap();
        let model = Model::new(&config);
        let problem = FluidProblem::new(&model);
        for policy in ["fixed", "lottery"] {
            let c = tokensim::experiments::load(name, &[format!("policy.kind={policy}")]).unwrap();
            let phi = build_policy(&c, &model)
                .unwrap()
                .stationary_distribution()
                .unwrap()
                .to_vec();
            let floor = study.opt - problem.evaluate(&phi).unwrap().profit;
            assert!(
                floor > 0.01,
                "{name}: φ* must be neither fixed nor a lottery"
            );
            for r in study.rows.iter().filter(|r| r.policy == policy) {
                assert!(
                    r.gap - 4.0 * r.profit.std_error > 0.5 * floor,
                    "{name} {policy} θ={}: gap {}",
                    r.theta,
                    r.gap
                );
            }
        }
    }
}

/// The 2-cycle of Part D earns more than OPT (hence than every fair policy)
/// and than the simulated fluid policy, and fails group fairness.
#[test]
fn implicit_discrimination_beats_static_and_is_unfair() {
    let s = implicit_discrimination(Size::Quick).unwrap();
    eprintln!("{}", s.table());
    let d = s.discriminating;
    assert!(
        d.mean - 4.0 * d.std_error > s.opt,
        "cycle {} ± {} vs OPT {}",
        d.mean,
        d.std_error,
        s.opt
    );
    let diff_se = (d.std_error.powi(2) + s.fluid.std_error.powi(2)).sqrt();
    assert!(d.mean - s.fluid.mean > 4.0 * diff_se);
    assert!((s.discriminating_fluid_value.unwrap() - 11.05).abs() < 1e-9);
    assert!(
        (d.mean - 11.05).abs() < 4.0 * d.std_error + 0.005,
        "finite-θ loss at θ = 1000 is below 0.005"
    );
    assert!(s.criterion1);
    assert_eq!(s.verdict, "unfair");
    assert!((s.theory_gap.unwrap() - 17.0 / 195.0).abs() < 1e-12);
    assert!(s.max_gap.mean > 0.05);
}

/// Algorithm 1 earns more than OPT — more than any fair policy in any
/// market (Proposition 3.3) — and pays agents of one period differently.
/// With the stock held at its target on average, its profit cannot exceed
/// its closed-form fluid value (revenue is concave: Jensen), checked with 4
/// standard errors.
#[test]
fn explicit_discrimination_beats_opt() {
    let s = explicit_discrimination(Size::Quick).unwrap();
    eprintln!("{}", s.table());
    let d = s.discriminating;
    assert!(
        d.mean - 4.0 * d.std_error > s.opt,
        "Algorithm 1 {} ± {} vs OPT {}",
        d.mean,
        d.std_error,
        s.opt
    );
    let fluid_value = s.discriminating_fluid_value.expect("closed form applies");
    assert!(fluid_value > s.opt, "the fluid value beats OPT");
    assert!(
        d.mean - 4.0 * d.std_error < fluid_value,
        "not above its fluid value"
    );
    assert!(!s.criterion1, "rewards differ within periods");
    assert!(s.periods_with_different_rewards > 0.1);
    assert_eq!(s.verdict, "unfair");
}

/// CV of φ*: 0 with only the convex type, the maximal dispersion (the
/// {r_min, r_max} lottery) with only the concave type, and never above it.
#[test]
fn dispersion_rises_to_the_maximum() {
    let rows = dispersion(10).unwrap();
    let first = &rows[0];
    let last = rows.last().unwrap();
    assert!(first.cv < 1e-9, "convex only: CV {}", first.cv);
    assert!(
        (last.cv - last.max_cv).abs() < 1e-9,
        "concave only: CV {} vs max {}",
        last.cv,
        last.max_cv
    );
    for r in &rows {
        assert!(r.cv <= r.max_cv + 1e-9);
        assert!(r.cv <= last.cv + 1e-9);
    }
}

/// OPT non-increasing in δ and constant beyond f'(λ) − v; φ*'s weight on
/// v + δ equals the closed form 1 − λ/n*(δ).
#[test]
fn s_shape_profit_is_non_increasing_then_flat() {
    let (rows, threshold) = s_shape(16).unwrap();
    for w in rows.windows(2) {
        assert!(w[1].opt <= w[0].opt + 1e-12);
    }
    for r in &rows {
        assert!(
            (r.weight_on_top - r.closed_form_weight).abs() < 1e-6,
            "δ = {}",
            r.half_width
        );
        if r.half_width >= threshold - 1e-9 {
            assert!((r.opt - rows.last().unwrap().opt).abs() < 1e-12);
        }
    }
}

/// θ ∈ {1, 2, 5, 10, 100}: the simulated fluid heuristic matches its exact
/// value, the best static policy of each market is at least as good, and
/// both gaps to OPT shrink as θ grows.
#[test]
fn small_market_gaps_shrink() {
    let rows = small_markets(Size::Quick).unwrap();
    for r in &rows {
        let e = r.fluid_simulated;
        assert!(
            (e.mean - r.fluid_exact).abs() < 4.0 * e.std_error,
            "θ={}: {} vs {}",
            r.theta,
            e.mean,
            r.fluid_exact
        );
        assert!(r.best_static >= r.fluid_exact - 1e-9);
        assert!(r.best_static <= r.opt + 1e-9);
    }
    for w in rows.windows(2) {
        assert!(w[1].opt - w[1].fluid_exact < w[0].opt - w[0].fluid_exact);
        assert!(w[1].opt - w[1].best_static < w[0].opt - w[0].best_static);
    }
}
