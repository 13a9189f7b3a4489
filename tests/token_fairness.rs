//! Group fairness of the token economy (model.md E.5, interfaces.md 4.2).
//!
//! The shipped seasonal scenario (configs/fengdou-seasonal.toml) hires one
//! type only in weeks 18–29 and cuts issuance in those weeks: the seasonal
//! type's pay per task must match the deterministic recursion
//! E N_k(t) = θ λ_k(t) + E N_k(t−1)(1 − p_k), weighted by expected tasks
//! μ_k (ι_t/ι_ref)^η_k — an oracle written here from the model's equations,
//! not from the engine. Under fixed levers every type is paid ι per task and
//! the audit must say fair; paper runs have no token audit.

mod common;

use std::path::{Path, PathBuf};

use tokensim::config::Config;
use tokensim::runner::{run_experiment, Progress};

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("configs")
        .join(name)
}

/// The window and value of the `[[events]]` entry changing `key`.
fn event(config: &Config, key: &str) -> (usize, usize, f64) {
    let e = config
        .events
        .iter()
        .find(|e| e.key == key)
        .unwrap_or_else(|| panic!("the seasonal scenario has an event on {key}"));
    let value = e.value.as_ref().and_then(|v| v.as_float()).unwrap();
    (e.from.unwrap() as usize, e.to.unwrap() as usize, value)
}

/// Expected pay rate of each type by the recursion (η as configured).
fn recursion_pay_rates(config: &Config, departure: &[f64]) -> Vec<f64> {
    let periods = config.simulation.periods as usize;
    let base_iota = config.economy.as_ref().unwrap().issuance_rate;
    let reference = config.economy.as_ref().unwrap().reference_issuance_rate;
    let (cut_from, cut_to, cut) = event(config, "economy.issuance_rate");
    let iota: Vec<f64> = (0..periods)
        .map(|t| {
            if (cut_from..=cut_to).contains(&t) {
                cut
            } else {
                base_iota
            }
        })
        .collect();
    let (hire_from, hire_to, hire) = event(config, "types.3.arrival_rate");
    config
        .types
        .iter()
        .enumerate()
        .map(|(k, ty)| {
            let lambda = |t: usize| {
                if k == 3 && (hire_from..=hire_to).contains(&t) {
                    hire
                } else {
                    ty.arrival_rate
                }
            };
            // Start from the stationary population of the opening rates.
            let mut n = lambda(0) / departure[k];
            let (mut paid, mut tasks) = (0.0, 0.0);
            for (t, &i) in iota.iter().enumerate() {
                n = lambda(t) + n * (1.0 - departure[k]);
                let work = n * ty.task_rate * (i / reference).powf(ty.effort_elasticity);
                paid += work * i;
                tasks += work;
            }
            paid / tasks
        })
        .collect()
}

#[test]
fn the_seasonal_type_is_paid_what_the_recursion_predicts() {
    // Departure probabilities of the shipped types (table departures of one
    // entry: the reward set is {0}).
    let departure = [0.01, 0.02, 0.04, 0.12];
    let replications = 6;
    let config = Config::load(
        &shipped("fengdou-seasonal.toml"),
        &[
            "simulation.scale=40000".into(),
            "budget.annual=4.0e6".into(),
            format!("simulation.replications={replications}"),
        ],
    )
    .unwrap();
    let expected = recursion_pay_rates(&config, &departure);
    let records = run_experiment(&config, &Progress::hidden()).unwrap();
    assert_eq!(records.len(), replications);
    let k = config.types.len();
    let rates: Vec<Vec<f64>> = records
        .iter()
        .map(|r| {
            let t = r.series.tokens.as_ref().unwrap();
            (0..k)
                .map(|kk| {
                    let col = |v: &[u64]| v.iter().skip(kk).step_by(k).sum::<u64>() as f64;
                    col(&t.task_tokens_by_type) / col(&t.tasks_by_type)
                })
                .collect()
        })
        .collect();
    // Student's t, 5 degrees of freedom, two-sided 99.9 %: 6.869.
    let t999 = 6.869;
    for kk in 0..k {
        let xs: Vec<f64> = rates.iter().map(|r| r[kk]).collect();
        let (mean, var) = common::mean_var(&xs);
        let se = (var / replications as f64).sqrt();
        assert!(
            se < 2e-3,
            "type {kk}: replications too noisy to test ({se})"
        );
        assert!(
            (mean - expected[kk]).abs() <= t999 * se + 1e-6,
            "type {kk}: pay rate {mean:.5} ± {se:.5}, recursion {:.5}",
            expected[kk]
        );
    }
    // The effect is not noise: the seasonal type is paid measurably less
    // per task than every year-round type, by the recursion and the runs.
    for kk in 0..3 {
        assert!(expected[kk] - expected[3] > 0.03, "{expected:?}");
        let gap: Vec<f64> = rates.iter().map(|r| r[kk] - r[3]).collect();
        assert!(gap.iter().all(|g| *g > 0.03), "{gap:?}");
    }
}

fn audit_json(args: &[&str]) -> (serde_json::Value, Option<i32>) {
    let out = common::tokensim_with_env(args, &[]);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "audit --json prints JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (json, out.status.code())
}

fn run_to(config: &str, sets: &[&str], out: &Path) {
    let mut args = vec!["run", config, "--out", out.to_str().unwrap()];
    for s in sets {
        args.extend(["--set", s]);
    }
    let status = common::tokensim_with_env(&args, &[]).status;
    assert!(status.success(), "tokensim run {config}");
}

#[test]
fn the_audit_finds_the_seasonal_gap_and_passes_fixed_levers() {
    let dir = tempfile::tempdir().unwrap();
    let small = ["simulation.scale=4000", "budget.annual=4.0e5"];

    let seasonal = dir.path().join("seasonal.h5");
    run_to(
        shipped("fengdou-seasonal.toml").to_str().unwrap(),
        &small,
        &seasonal,
    );
    let (json, code) = audit_json(&["audit", seasonal.to_str().unwrap(), "--json"]);
    assert_eq!(code, Some(1), "an unfair token run exits 1");
    let run = &json["runs"][0]["token_fairness"];
    let pay = &run["pay_rate"];
    assert_eq!(pay["verdict"], "unfair");
    let by = pay["by_group"].as_object().unwrap();
    let seasonal_rate = by["seasonal"].as_f64().unwrap();
    assert!(by
        .iter()
        .filter(|(g, _)| *g != "seasonal")
        .all(|(_, v)| v.as_f64().unwrap() > seasonal_rate + 0.03));
    let low = pay["ci95"]["low"].as_f64().unwrap();
    assert!(low > 0.02 * pay["overall"].as_f64().unwrap());
    // A looser tolerance than the gap turns the verdict.
    let (json, code) = audit_json(&[
        "audit",
        seasonal.to_str().unwrap(),
        "--json",
        "--token-tolerance",
        "0.2",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(json["runs"][0]["token_fairness"]["verdict"], "fair");

    // Fixed levers: every type is paid ι per task (up to stochastic
    // rounding) and every token is worth its reference price.
    let baseline = dir.path().join("baseline.h5");
    run_to(
        shipped("fengdou-baseline.toml").to_str().unwrap(),
        &small,
        &baseline,
    );
    let (json, code) = audit_json(&["audit", baseline.to_str().unwrap(), "--json"]);
    assert_eq!(code, Some(0), "{json}");
    let t = &json["runs"][0]["token_fairness"];
    assert_eq!(t["verdict"], "fair");
    for (_, v) in t["pay_rate"]["by_group"].as_object().unwrap() {
        assert!((v.as_f64().unwrap() - 1.0).abs() < 2e-3, "{v}");
    }
    for (_, v) in t["purchasing_power"]["by_group"].as_object().unwrap() {
        assert_eq!(v.as_f64().unwrap(), 1.0);
    }

    // Paper runs are audited as before, with no token block.
    let paper = dir.path().join("paper.h5");
    run_to(
        shipped("quickstart.toml").to_str().unwrap(),
        &["simulation.periods=300", "simulation.warmup=100"],
        &paper,
    );
    let (json, _) = audit_json(&["audit", paper.to_str().unwrap(), "--json"]);
    assert!(json["runs"][0].get("token_fairness").is_none());
    assert!(json.get("token_fairness").is_none());
}

#[test]
fn fair_steering_bounds_the_pay_gap_the_controller_opens() {
    use tokensim::experiments::{fair_steering, Size};
    let rows = fair_steering(Size::Quick).unwrap();
    // Unconstrained, the controller cuts issuance in the season and pays
    // the seasonal type measurably less: beyond 2 % with its interval.
    let free = &rows[0];
    assert_eq!(free.tolerance, None);
    assert_eq!(free.lowest_paid, "seasonal");
    assert!(
        free.pay_difference.mean - free.pay_difference.half > 0.02,
        "{:?}",
        free.pay_difference
    );
    // With a tolerance, issuance stays in a band of that relative width,
    // and a task-weighted mean of it cannot differ by more between types
    // (stochastic rounding of tokens adds well under 0.1 %).
    for r in &rows[1..] {
        let t = r.tolerance.unwrap();
        assert!(
            r.pay_difference.mean + r.pay_difference.half <= t + 1e-3,
            "tolerance {t}: {:?}",
            r.pay_difference
        );
        // The budget is still landed: the valve and real prices steer it.
        let year1 = r.row.cash_over_budget[0];
        assert!((year1 - 1.0).abs() < 0.01, "tolerance {t}: C/B {year1}");
    }
}

#[test]
fn a_pay_rate_tolerance_outside_0_1_is_refused_by_key() {
    let config = shipped("fengdou-seasonal-steer.toml");
    let out = common::tokensim_with_env(
        &[
            "validate",
            config.to_str().unwrap(),
            "--set",
            "steer.pay_rate_tolerance=1.5",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("steer.pay_rate_tolerance"), "{err}");
}
