//! Rational entry (model.md E.1, the paper's Appendix C.1): a type with a
//! reservation value joins only while the expected reward is worth it.
//! Fluid-Opt must find optima on the boundary r(φ) = v_k (checked against
//! an independent closed-form brute force over the simplex), and the engine
//! must send no arrivals of a type that would not join, and the usual
//! Poisson(θ λ_k / p_k(φ)) population of one that does.

mod common;

use tokensim::fluid::FluidProblem;
use tokensim::model::Model;

const CONFIG: &str = r#"
[simulation]
periods = 3000
warmup = 500
seed = 8
scale = 200.0
initial = "steady_state"

[rewards]
values = [0.0, 1.0, 2.0]

[revenue]
kind = "linear"
price = 3.0

[[types]]
name = "fickle"
arrival_rate = 1.0
departure = { kind = "table", p = [0.9, 0.6, 0.4] }

[[types]]
name = "picky"
arrival_rate = 1.0
departure = { kind = "table", p = [0.05, 0.04, 0.03] }
reservation_value = 1.2

[policy]
kind = "fluid"
"#;

/// The instance's F(φ) in closed form, written out independently of the
/// program: F = 3n − n r(φ), picky present only when r(φ) ≥ 1.2.
fn profit(phi: [f64; 3]) -> f64 {
    let r = phi[1] + 2.0 * phi[2];
    let pa = 0.9 * phi[0] + 0.6 * phi[1] + 0.4 * phi[2];
    let pb = 0.05 * phi[0] + 0.04 * phi[1] + 0.03 * phi[2];
    let n = 1.0 / pa + if r >= 1.2 - 1e-12 { 1.0 / pb } else { 0.0 };
    3.0 * n - n * r
}

#[test]
fn fluid_opt_finds_the_entry_boundary() {
    let config = common::config(CONFIG);
    let model = Model::new(&config);
    let solution = FluidProblem::new(&model).solve().unwrap();
    // Brute force over the simplex (step 1/600: r = 1.2 lies on the grid).
    let steps = 600;
    let mut best = f64::NEG_INFINITY;
    for a in 0..=steps {
        for b in 0..=steps - a {
            let phi = [
                a as f64 / steps as f64,
                b as f64 / steps as f64,
                (steps - a - b) as f64 / steps as f64,
            ];
            best = best.max(profit(phi));
        }
    }
    assert!(
        (solution.opt - best).abs() < 1e-6 * best,
        "solver {} vs brute force {best}",
        solution.opt
    );
    // Without entry the optimum pays 0 to everyone (F = 63.3 > 50.6); with
    // it, φ* sits on the boundary r(φ*) = v and the picky type joins.
    assert!((solution.expected_reward - 1.2).abs() < 1e-9);
    assert_eq!(solution.joins, vec![true, true]);
    let unconstrained = common::config(&CONFIG.replace("reservation_value = 1.2", ""));
    let free = FluidProblem::new(&Model::new(&unconstrained))
        .solve()
        .unwrap();
    assert!(free.opt > solution.opt + 10.0);
}

#[test]
fn types_that_would_not_join_send_no_arrivals() {
    // A static policy paying 1 (below v = 1.2): the picky type never
    // arrives, and none is present from the start.
    let below = common::config(&CONFIG.replace(
        "kind = \"fluid\"",
        "kind = \"static\"\ndistribution = [0.0, 1.0, 0.0]",
    ));
    let mut sim = common::simulation(&below, 0);
    for t in common::tallies(&mut sim, 300) {
        assert_eq!((t.arrivals[1], t.active[1]), (0, 0));
        assert!(t.arrivals[0] > 0);
    }
}

#[test]
fn joining_types_have_the_poisson_steady_state() {
    // Under φ* the picky type joins: its stationary population is Poisson
    // with mean θ λ / p(φ*) (model.md A.6); its time average over T
    // periods has a standard error from the AR(1) autocorrelation
    // ρ = 1 − p of the population.
    let config = common::config(CONFIG);
    let model = Model::new(&config);
    let solution = FluidProblem::new(&model).solve().unwrap();
    let phi = &solution.distribution;
    let p = 0.05 * phi[0] + 0.04 * phi[1] + 0.03 * phi[2];
    let expected = 200.0 / p;
    let mut sim = common::simulation(&config, 0);
    let counts: Vec<f64> = common::tallies(&mut sim, 3000)
        .iter()
        .map(|t| t.active[1] as f64)
        .collect();
    let mean = counts.iter().sum::<f64>() / counts.len() as f64;
    let rho = 1.0 - p;
    let se = (expected / counts.len() as f64 * (1.0 + rho) / (1.0 - rho)).sqrt();
    assert!(
        (mean - expected).abs() < 4.0 * se,
        "mean {mean}, expected {expected} ± {se}"
    );
}
