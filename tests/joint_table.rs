//! `joint_table` (two-period memory, the paper's Appendix G): the expected
//! population, computed here independently as a Markov chain on the previous
//! reward, matches the simulation.

mod common;

use common::{config, simulation, tallies};
use tokensim::stats::batch_means;

const JOINT: &str = r#"
[simulation]
periods = 20000
warmup = 300
seed = 3
scale = 100.0
initial = "empty"

[rewards]
values = [0.0, 1.0, 2.0]

[revenue]
kind = "linear"
price = 1.0

[[types]]
name = "remembers"
arrival_rate = 1.0
# p[i][j]: leave when paid R[i] now and R[j] last period.
departure = { kind = "joint_table", p = [[0.9, 0.7, 0.8], [0.5, 0.3, 0.6], [0.2, 0.1, 0.15]] }

[policy]
kind = "static"
distribution = [0.3, 0.4, 0.3]
"#;

/// Solves A x = b by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (upper, lower) = a.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for (offset, row) in lower.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[col + 1 + offset] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|c| a[row][c] * x[c]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    x
}

/// Let u_a(j) be the mass of an arrival that has stayed a periods and was
/// last paid R[j]. An agent never leaves after its first period, so
/// u_1 = φ; then u_{a+1}(i) = Σ_j φ(i)(1 − p[i][j]) u_a(j), i.e. u_{a+1} = A u_a.
/// Agents present per arrival: 1 + Σ_{a≥1} 1ᵀu_a = 1 + 1ᵀ(I − A)⁻¹ φ.
/// The simulated mean is within 4 batch-means standard errors of θλ times that.
#[test]
fn joint_table_population_matches_the_markov_chain() {
    let config = config(JOINT);
    let phi = config.policy.distribution.clone().unwrap();
    let p = [[0.9, 0.7, 0.8], [0.5, 0.3, 0.6], [0.2, 0.1, 0.15]];
    let m = phi.len();
    let i_minus_a: Vec<Vec<f64>> = (0..m)
        .map(|i| {
            (0..m)
                .map(|j| f64::from(u8::from(i == j)) - phi[i] * (1.0 - p[i][j]))
                .collect()
        })
        .collect();
    let x = solve(i_minus_a, phi.clone());
    let per_arrival = 1.0 + x.iter().sum::<f64>();
    let expected = config.simulation.scale * config.types[0].arrival_rate * per_arrival;

    let mut sim = simulation(&config, 0);
    let run = tallies(&mut sim, config.simulation.periods);
    let n: Vec<f64> = run[config.simulation.warmup as usize..]
        .iter()
        .map(|t| t.active[0] as f64)
        .collect();
    let estimate = batch_means(&n, 20);
    eprintln!(
        "joint_table: simulated {:.2} ± {:.2}, Markov chain {expected:.2}",
        estimate.mean, estimate.std_error
    );
    assert!(
        (estimate.mean - expected).abs() < 4.0 * estimate.std_error,
        "mean {} vs exact {expected} (se {})",
        estimate.mean,
        estimate.std_error
    );
    // The memoryless formula θλ/p(φ) with p(r) = p[r][r] is measurably wrong here.
    let naive: f64 = 100.0 / (0..m).map(|i| phi[i] * p[i][i]).sum::<f64>();
    assert!((naive - expected).abs() > 10.0 * estimate.std_error);
}

/// Starting from the exact stationary population gives the same mean from
/// period 0 on, with no warm-up.
#[test]
fn joint_table_steady_state_start_is_stationary() {
    let config = config(&JOINT.replace("initial = \"empty\"", "initial = \"steady_state\""));
    let mut sim = simulation(&config, 1);
    let run = tallies(&mut sim, 50);
    let first: Vec<f64> = run.iter().map(|t| t.active[0] as f64).collect();
    let mut long = simulation(&config, 2);
    let reference: Vec<f64> = tallies(&mut long, 5000)
        .iter()
        .map(|t| t.active[0] as f64)
        .collect();
    let estimate = batch_means(&reference, 20);
    // The mean of the first 50 periods, compared with the long-run mean:
    // Var ≤ μ·(1+ρ)/(1−ρ)/50 with ρ ≤ 0.9 (every departure probability ≥ 0.1).
    let early = first.iter().sum::<f64>() / first.len() as f64;
    let se = (estimate.mean * 19.0 / 50.0).sqrt();
    assert!(
        (early - estimate.mean).abs() < 4.0 * se,
        "early {early} vs {}",
        estimate.mean
    );
}
