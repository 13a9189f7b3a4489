//! Running a configured experiment: replications in parallel on the rayon
//! pool, each replication's agents in parallel too (rayon nests the two
//! without oversubscribing), recording every period.

mod calendar;
mod checkpoint;
pub mod limits;
mod progress;
mod replication;
mod warnings;

pub use calendar::{EventCalendar, Phase};
pub use checkpoint::{default_checkpoint, Checkpoint, CheckpointPlan};
pub use limits::{Machine, SizeEstimate};
pub use progress::{Progress, RunControl};
pub use replication::{Replication, ReplicationState};
pub use warnings::{print_warnings, warnings};

use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::record::RunRecord;

/// Runs every replication of `config` (`simulation.replications` of them)
/// on the current rayon pool and returns their records in replication order.
pub fn run_experiment(config: &Config, progress: &Progress) -> Result<Vec<RunRecord>> {
    let model = Arc::new(Model::new(config));
    let calendar = Arc::new(EventCalendar::compile(config, &model)?);
    let config_toml = config.to_toml();
    (0..config.simulation.replications as u64)
        .into_par_iter()
        .map(|replication| {
            let mut run = Replication::start(config, &model, &calendar, replication)?;
            run.advance(config.simulation.periods, progress)?;
            Ok(run.finish(&config_toml))
        })
        .collect()
}

/// As [`run_experiment`], writing a checkpoint of every replication each
/// `plan.every` recorded periods, and starting from `restart` when given (a
/// checkpoint of the same resolved configuration). The replications advance
/// together between checkpoints, so all of them are in memory at once. The
/// records equal those of an uninterrupted run bit for bit.
pub fn run_experiment_checkpointed(
    config: &Config,
    progress: &Progress,
    plan: Option<&CheckpointPlan>,
    restart: Option<Checkpoint>,
) -> Result<Vec<RunRecord>> {
    let model = Arc::new(Model::new(config));
    let calendar = Arc::new(EventCalendar::compile(config, &model)?);
    let config_toml = config.to_toml();
    let count = config.simulation.replications as usize;
    let mut runs: Vec<Replication> = match restart {
        Some(checkpoint) => {
            check_restart(&checkpoint, &config_toml, count)?;
            checkpoint
                .replications
                .into_par_iter()
                .map(|state| Replication::restore(config, &model, &calendar, state))
                .collect::<Result<_>>()?
        }
        None => (0..count as u64)
            .into_par_iter()
            .map(|r| Replication::start(config, &model, &calendar, r))
            .collect::<Result<_>>()?,
    };
    let periods = config.simulation.periods;
    let every = plan.map_or(periods, |p| p.every.max(1));
    loop {
        let done = runs.iter().map(Replication::done).min().unwrap_or(periods);
        if done >= periods {
            break;
        }
        let segment = every - done % every;
        runs.par_iter_mut()
            .map(|r| r.advance(segment, progress))
            .collect::<Result<()>>()?;
        if let Some(plan) = plan {
            if runs.iter().any(|r| r.done() < periods) {
                Checkpoint {
                    config_toml: config_toml.clone(),
                    replications: runs.par_iter().map(Replication::save).collect(),
                }
                .write(&plan.path)?;
            }
        }
    }
    Ok(runs
        .into_par_iter()
        .map(|r| r.finish(&config_toml))
        .collect())
}

/// A restart must continue the very configuration its checkpoint was
/// written for (seed, `--set` values and replications included).
fn check_restart(checkpoint: &Checkpoint, config_toml: &str, replications: usize) -> Result<()> {
    if checkpoint.config_toml != config_toml {
        return Err(Error::Input(
            "--restart: the checkpoint was written for another configuration (the resolved \
             configuration, seed and --set values must be the same as the checkpointed run's)"
                .into(),
        ));
    }
    if checkpoint.replications.len() != replications {
        return Err(Error::Input(format!(
            "--restart: the checkpoint holds {} replication(s), the configuration {replications}",
            checkpoint.replications.len()
        )));
    }
    Ok(())
}

/// Runs one replication.
pub fn run_replication(
    config: &Config,
    model: &Arc<Model>,
    config_toml: &str,
    replication: u64,
    progress: &Progress,
) -> Result<RunRecord> {
    let calendar = Arc::new(EventCalendar::compile(config, model)?);
    let mut run = Replication::start(config, model, &calendar, replication)?;
    run.advance(config.simulation.periods, progress)?;
    Ok(run.finish(config_toml))
}

/// Runs one replication with a checkpoint at `plan.path` every `plan.every`
/// recorded periods, restarting from that file when it exists (a sweep's
/// interrupted run). The checkpoint is left for the caller to remove once
/// the record is safely written.
pub fn run_replication_checkpointed(
    config: &Config,
    model: &Arc<Model>,
    config_toml: &str,
    replication: u64,
    progress: &Progress,
    plan: &CheckpointPlan,
) -> Result<RunRecord> {
    let saved = if plan.path.exists() {
        let checkpoint = Checkpoint::read(&plan.path)?;
        check_restart(&checkpoint, config_toml, 1)?;
        checkpoint.replications.into_iter().next()
    } else {
        None
    };
    let calendar = Arc::new(EventCalendar::compile(config, model)?);
    let mut run = match saved {
        Some(state) => Replication::restore(config, model, &calendar, state)?,
        None => Replication::start(config, model, &calendar, replication)?,
    };
    let periods = config.simulation.periods;
    while run.done() < periods {
        let segment = plan.every.max(1) - run.done() % plan.every.max(1);
        run.advance(segment, progress)?;
        if run.done() < periods {
            Checkpoint {
                config_toml: config_toml.to_string(),
                replications: vec![run.save()],
            }
            .write(&plan.path)?;
        }
    }
    Ok(run.finish(config_toml))
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
