//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use tokensim::config::Config;
use tokensim::engine::{PeriodTally, Simulation, SimulationBuilder};
use tokensim::model::Model;

/// Parses and validates a configuration given as TOML text.
pub fn config(text: &str) -> Config {
    Config::from_toml(text, Path::new("test.toml"), &[]).expect("test configuration is valid")
}

/// Builds replication `replication` of `config` as the runner would.
pub fn simulation(config: &Config, replication: u64) -> Simulation {
    SimulationBuilder::from_config(config, Arc::new(Model::new(config)), replication)
        .and_then(|b| b.build())
        .expect("simulation builds")
}

/// Runs `periods` periods and returns a copy of each period's counts.
pub fn tallies(sim: &mut Simulation, periods: u32) -> Vec<PeriodTally> {
    let mut out = Vec::with_capacity(periods as usize);
    sim.run(periods, |t| out.push(t.clone()));
    out
}

/// Sample mean and (unbiased) variance.
pub fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// Path of the built `tokensim` binary.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_tokensim")
}

/// A small two-type paper model for sweep tests (60 periods).
pub const SWEEP_BASE: &str = r#"
[simulation]
periods = 60
warmup = 10
seed = 1
scale = 20.0
initial = "steady_state"

[rewards]
values = [0.0, 1.0, 2.0]

[revenue]
kind = "newsvendor"
price = 3.0
capacity = 2.0

[[types]]
name = "a"
arrival_rate = 0.6
departure = { kind = "table", p = [0.6, 0.3, 0.1] }

[[types]]
name = "b"
arrival_rate = 0.4
departure = { kind = "table", p = [0.9, 0.5, 0.3] }

[policy]
kind = "fluid"
cycle = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"#;

/// A sweep of [`SWEEP_BASE`] (saved as `base.toml`): 2 scales × 3
/// policies × 3 replications = 18 runs.
pub const SMALL_SWEEP: &str = r#"
base = "base.toml"
replications = 3
seed = 99

[grid]
"simulation.scale" = [10.0, 40.0]
"policy.kind" = ["fluid", "fixed", "cyclic"]
"#;

/// Runs the `tokensim` binary with extra environment variables.
pub fn tokensim_with_env(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(binary());
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the tokensim binary runs")
}
