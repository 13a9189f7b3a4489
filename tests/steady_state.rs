//! Static policies: the stationary population is Poisson(θλ_k/p_k(φ)),
//! independently across types (model.md A.6).

mod common;

use common::{config, mean_var, simulation, tallies};
use tokensim::model::{stationary_cohort, Model};
use tokensim::stats::batch_means;

const THREE_TYPES: &str = r#"
[simulation]
periods = 20000
warmup = 0
seed = 11
scale = 200.0
initial = "steady_state"

[rewards]
values = [0.0, 1.0, 2.0]

[revenue]
kind = "linear"
price = 1.0

[[types]]
name = "a"
arrival_rate = 0.5
departure = { kind = "table", p = [0.6, 0.3, 0.1] }

[[types]]
name = "b"
arrival_rate = 0.3
departure = { kind = "table", p = [0.9, 0.5, 0.4] }

[[types]]
name = "c"
arrival_rate = 0.2
departure = { kind = "power", gamma = 2.0, lo = 0.05, hi = 0.8 }

[policy]
kind = "static"
distribution = [0.2, 0.5, 0.3]
"#;

/// Mean within 4 standard errors of θλ/p(φ), where the standard error of a
/// time average of the stationary chain N(t+1) = Bin(N(t), 1−p) + Poisson(θλ)
/// (autocorrelation (1−p)^s) is sqrt(μ(2−p)/(pT)); variance/mean is 1
/// within 4 of its own standard errors.
#[test]
fn static_policy_population_is_poisson_with_the_fluid_mean() {
    let config = config(THREE_TYPES);
    let model = Model::new(&config);
    let phi = config.policy.distribution.clone().unwrap();
    let mut sim = simulation(&config, 0);
    let periods = config.simulation.periods;
    let run = tallies(&mut sim, periods);
    for (k, t) in model.types.iter().enumerate() {
        let p = t.departure.under_distribution(&phi);
        let mu = config.simulation.scale * t.arrival_rate / p;
        let n: Vec<f64> = run.iter().map(|x| x.active[k] as f64).collect();
        let (mean, var) = mean_var(&n);
        let se = (mu * (2.0 - p) / (p * periods as f64)).sqrt();
        assert!(
            (mean - mu).abs() < 4.0 * se,
            "type {}: mean {mean} vs theory {mu} (se {se})",
            t.name
        );
        let dispersion = var / mean;
        eprintln!(
            "type {}: mean {mean:.2} vs θλ/p = {mu:.2} (se {se:.2}), var/mean {dispersion:.3}",
            t.name
        );
        // Sample variance of a stationary AR(1)-like series with lag-one
        // correlation ρ = 1 − p: Var(s²) ≈ 2σ⁴(1 + ρ²)/((1 − ρ²)T) (plus a
        // fourth-cumulant term μ/T, negligible beside 2μ² here), so
        // var/mean has standard error sqrt(2(1 + ρ²)/((1 − ρ²)T)).
        let rho = 1.0 - p;
        let se_dispersion = (2.0 * (1.0 + rho * rho) / ((1.0 - rho * rho) * periods as f64)).sqrt();
        assert!(
            (dispersion - 1.0).abs() < 4.0 * se_dispersion,
            "type {}: variance/mean {dispersion} is not Poisson (se {se_dispersion})",
            t.name
        );
    }
}

/// Types are independent: the correlation of N_a(t) and N_b(t) is ≈ 0
/// (|r| < 4/√T_eff with T_eff = T/(batch correlation time), checked loosely
/// through 4 standard errors of a sample correlation of independent series).
#[test]
fn types_are_independent() {
    let config = config(THREE_TYPES);
    let model = Model::new(&config);
    let phi = config.policy.distribution.clone().unwrap();
    let mut sim = simulation(&config, 1);
    let run = tallies(&mut sim, 20000);
    let a: Vec<f64> = run.iter().map(|x| x.active[0] as f64).collect();
    let b: Vec<f64> = run.iter().map(|x| x.active[1] as f64).collect();
    let (ma, va) = mean_var(&a);
    let (mb, vb) = mean_var(&b);
    let cov = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / (a.len() - 1) as f64;
    let r = cov / (va * vb).sqrt();
    // Effective sample size of two AR(1) series with ρ_a = 1−p_a, ρ_b = 1−p_b:
    // Var(r) ≈ (1 + ρ_aρ_b)/((1 − ρ_aρ_b) T).
    let rho = |k: usize| 1.0 - model.types[k].departure.under_distribution(&phi);
    let (ra, rb) = (rho(0), rho(1));
    let se = ((1.0 + ra * rb) / ((1.0 - ra * rb) * a.len() as f64)).sqrt();
    assert!(r.abs() < 4.0 * se, "correlation {r} (se {se})");
}

/// With a 3-period reward memory and a grace period the population is still
/// Poisson, with the mean of the exact stationary recursion.
#[test]
fn memory_and_grace_match_the_exact_stationary_mean() {
    let text = THREE_TYPES
        .replace(
            r#"p = [0.6, 0.3, 0.1] }"#,
            r#"p = [0.6, 0.3, 0.1], memory = { weights = [0.5, 0.3, 0.2] }, grace_periods = 2 }"#,
        )
        .replace(
            r#"p = [0.9, 0.5, 0.4] }"#,
            r#"p = [0.9, 0.5, 0.4], memory = { weights = [0.0, 1.0] } }"#,
        );
    let config = config(&text);
    let model = Model::new(&config);
    let phi = config.policy.distribution.clone().unwrap();
    let mut sim = simulation(&config, 0);
    let run = tallies(&mut sim, 20000);
    for (k, t) in model.types.iter().enumerate() {
        let cohort = stationary_cohort(&t.departure, &phi).unwrap();
        let mu = config.simulation.scale * t.arrival_rate * cohort.present_per_arrival;
        let n: Vec<f64> = run.iter().map(|x| x.active[k] as f64).collect();
        let estimate = batch_means(&n, 20);
        assert!(
            (estimate.mean - mu).abs() < 4.0 * estimate.std_error,
            "type {}: mean {} vs exact {mu} (se {})",
            t.name,
            estimate.mean,
            estimate.std_error
        );
        let (mean, var) = mean_var(&n);
        assert!(
            (0.85..=1.15).contains(&(var / mean)),
            "type {}: not Poisson",
            t.name
        );
    }
}
