//! Running a configured experiment: replications in parallel on the rayon
//! pool, each replication's agents in parallel too (rayon nests the two
//! without oversubscribing), recording every period.

pub mod limits;
mod progress;

pub use limits::{Machine, SizeEstimate};
pub use progress::Progress;

use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::engine::SimulationBuilder;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::record::{RunInfo, RunRecord, Series};

/// Runs every replication of `config` (`simulation.replications` of them)
/// on the current rayon pool and returns their records in replication order.
pub fn run_experiment(config: &Config, progress: &Progress) -> Result<Vec<RunRecord>> {
    let model = Arc::new(Model::new(config));
    let config_toml = config.to_toml();
    (0..config.simulation.replications as u64)
        .into_par_iter()
        .map(|replication| run_replication(config, &model, &config_toml, replication, progress))
        .collect()
}

/// Runs one replication.
pub fn run_replication(
    config: &Config,
    model: &Arc<Model>,
    config_toml: &str,
    replication: u64,
    progress: &Progress,
) -> Result<RunRecord> {
    let sim_config = &config.simulation;
    let mut simulation =
        SimulationBuilder::from_config(config, Arc::clone(model), replication)?.build()?;
    let policy_name = simulation.policy().name().to_string();
    let burn_in = simulation.burn_in();
    let periods = sim_config.periods as usize;
    let mut series = Series::with_capacity(model.type_count(), model.reward_count(), periods);
    if let Some(e) = &model.economy {
        series = series.with_tokens(e.goods.len());
    }
    // The event calendar: the configuration changes when the set of active
    // events does.
    let mut active: Vec<bool> = vec![false; config.events.len()];
    let mut current = Arc::clone(model);
    for t in 0..sim_config.periods as i64 {
        let now: Vec<bool> = config
            .events
            .iter()
            .map(|e| e.window().contains(t))
            .collect();
        if now != active {
            let phase = config.with_events_at(t)?;
            simulation.reconfigure(&phase)?;
            current = Arc::new(Model::new(&phase));
            active = now;
        }
        let tally = simulation.step();
        series.push(tally, &current, sim_config.scale);
        progress.period_done(tally.total_active());
    }
    let info = RunInfo {
        config_toml: config_toml.to_string(),
        seed: sim_config.seed,
        replication,
        scale: sim_config.scale,
        periods: sim_config.periods,
        warmup: sim_config.warmup,
        burn_in,
        policy: policy_name,
        type_names: config.type_names(),
        reward_values: model.rewards.clone(),
        good_names: model.economy.as_ref().map_or_else(Vec::new, |e| {
            e.goods.iter().map(|g| g.name.clone()).collect()
        }),
        budget_years: simulation.budget_years().to_vec(),
        events: config.events.clone(),
    };
    let leavers = simulation.finish();
    Ok(RunRecord::new(
        info,
        series,
        leavers,
        config.fairness.epsilon,
    ))
}

/// A rayon pool with `threads` workers (all cores when `None`).
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    if threads == Some(0) {
        return Err(Error::Input("--threads: expected at least 1".into()));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| Error::Input(format!("cannot start {threads:?} threads: {e}")))
}
