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
