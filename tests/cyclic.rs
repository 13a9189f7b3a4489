//! Cyclic policies: the transient tracks the deterministic recursion, and the
//! Part D instance discriminates implicitly by 17/195.

mod common;

use common::{config, mean_var, simulation, tallies};
use tokensim::model::Model;

const CYCLIC_TRANSIENT: &str = r#"
[simulation]
periods = 40
seed = 5
scale = 50.0

[rewards]
values = [0.0, 1.0, 2.0]

[revenue]
kind = "sqrt"
price = 1.0

[[types]]
name = "a"
arrival_rate = 1.0
departure = { kind = "table", p = [0.7, 0.3, 0.05] }

[[types]]
name = "b"
arrival_rate = 0.5
departure = { kind = "table", p = [0.9, 0.6, 0.4] }

[policy]
kind = "cyclic"
cycle = [[1.0, 0.0, 0.0], [0.2, 0.5, 0.3], [0.0, 0.0, 1.0]]
"#;

/// From an empty market N_k(t) is exactly Poisson(θ m_k(t)) with
/// m_k(0) = λ_k, m_k(t) = λ_k + m_k(t−1)(1 − p_k(φ_{t−1})) (model.md A.5/A.6,
/// indexed so that period 0 already holds its arrivals). Over R replications
/// the mean is within 4·sqrt(θ m_k(t)/R) of θ m_k(t) at every t.
#[test]
fn transient_mean_tracks_the_deterministic_recursion() {
    let config = config(CYCLIC_TRANSIENT);
    let model = Model::new(&config);
    let cycle = config.policy.cycle.clone().unwrap();
    let (periods, replications) = (40usize, 400u64);
    let theta = config.simulation.scale;
    let mut sums = vec![vec![0.0; model.type_count()]; periods];
    for r in 0..replications {
        let mut sim = simulation(&config, r);
        for (t, tally) in tallies(&mut sim, periods as u32).iter().enumerate() {
            for (k, &n) in tally.active.iter().enumerate() {
                sums[t][k] += n as f64;
            }
        }
    }
    for (k, ty) in model.types.iter().enumerate() {
        let mut m = ty.arrival_rate;
        for (t, row) in sums.iter().enumerate() {
            if t > 0 {
                let p = ty
                    .departure
                    .under_distribution(&cycle[(t - 1) % cycle.len()]);
                m = ty.arrival_rate + m * (1.0 - p);
            }
            let expected = theta * m;
            let mean = row[k] / replications as f64;
            let se = (expected / replications as f64).sqrt();
            assert!(
                (mean - expected).abs() < 4.0 * se,
                "type {} period {t}: mean {mean} vs θ·m = {expected} (se {se})",
                ty.name
            );
        }
    }
}

const PAPER_CYCLIC: &str = include_str!("../configs/paper-cyclic.toml");

/// Part D: paying 0 in odd and r̄ in even periods, the fraction of
/// agent-periods paid r̄ is (2 − p(0))/(4 − p(0) − p(r̄)): 19/39 for type 1
/// and 2/5 for type 2. Standard errors from 10 independent replications.
#[test]
fn part_d_cycle_pays_types_differently() {
    let config = config(&PAPER_CYCLIC.replace("periods = 4000", "periods = 2000"));
    let warmup = config.simulation.warmup as usize;
    let theory = [19.0 / 39.0, 2.0 / 5.0];
    let mut fractions = vec![Vec::new(); 2];
    for r in 0..10 {
        let mut sim = simulation(&config, r);
        let run = tallies(&mut sim, config.simulation.periods);
        for (k, fractions) in fractions.iter_mut().enumerate() {
            let (mut paid_high, mut present) = (0u64, 0u64);
            for tally in &run[warmup..] {
                paid_high += tally.reward_counts[k * 2 + 1];
                present += tally.active[k];
            }
            fractions.push(paid_high as f64 / present as f64);
        }
    }
    for k in 0..2 {
        let (mean, var) = mean_var(&fractions[k]);
        let se = (var / fractions[k].len() as f64).sqrt();
        eprintln!(
            "type {}: fraction paid r̄ {mean:.5} ± {se:.5} vs {:.5}",
            k + 1,
            theory[k]
        );
        assert!(
            (mean - theory[k]).abs() < 4.0 * se,
            "type {}: fraction paid r̄ {mean} vs {} (se {se})",
            k + 1,
            theory[k]
        );
    }
}
