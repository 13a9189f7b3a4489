//! One replication as a resumable object: start it (or restore it from a
//! checkpoint), advance it some periods, save its state, finish it into a
//! [`RunRecord`].
//!
//! The event calendar lives here: when the set of `[[events]]` in force
//! changes between two periods, the simulation is reconfigured to the new
//! phase. A restored replication is first reconfigured to the phase in
//! force at its checkpoint, then given the saved state, so it continues
//! exactly as the uninterrupted one.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Progress;
use crate::config::Config;
use crate::engine::{Simulation, SimulationBuilder, SimulationState};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::record::{RunInfo, RunRecord, Series};

/// A replication's state between two periods, for checkpoints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplicationState {
    /// Replication index.
    pub replication: u64,
    /// Recorded periods done (the next period to simulate).
    pub done: u32,
    series: Series,
    active_events: Vec<bool>,
    simulation: SimulationState,
}

/// A replication in progress.
pub struct Replication<'a> {
    config: &'a Config,
    model: Arc<Model>,
    replication: u64,
    simulation: Simulation,
    series: Series,
    /// Which events were in force in the last period simulated.
    active: Vec<bool>,
    /// The model of the current phase (for the per-period series).
    current: Arc<Model>,
    done: u32,
    policy_name: String,
}

impl<'a> Replication<'a> {
    /// Replication `replication` of `config`, with its initial population
    /// drawn (or burnt in).
    pub fn start(config: &'a Config, model: &Arc<Model>, replication: u64) -> Result<Self> {
        let simulation =
            SimulationBuilder::from_config(config, Arc::clone(model), replication)?.build()?;
        Ok(Replication::around(config, model, replication, simulation))
    }

    fn around(
        config: &'a Config,
        model: &Arc<Model>,
        replication: u64,
        simulation: Simulation,
    ) -> Self {
        let periods = config.simulation.periods as usize;
        let mut series = Series::with_capacity(model.type_count(), model.reward_count(), periods);
        if let Some(e) = &model.economy {
            series = series.with_tokens(e.goods.len());
        }
        Replication {
            config,
            model: Arc::clone(model),
            replication,
            policy_name: simulation.policy().name().to_string(),
            simulation,
            series,
            active: vec![false; config.events.len()],
            current: Arc::clone(model),
            done: 0,
        }
    }

    /// A replication restored from its checkpointed state.
    pub fn restore(
        config: &'a Config,
        model: &Arc<Model>,
        state: ReplicationState,
    ) -> Result<Self> {
        let bad = |what: String| Error::Input(format!("checkpoint: {what}"));
        if state.active_events.len() != config.events.len()
            || state.done > config.simulation.periods
            || state.series.periods != state.done as usize
        {
            return Err(bad(format!(
                "replication {} does not fit this configuration",
                state.replication
            )));
        }
        let simulation =
            SimulationBuilder::from_config(config, Arc::clone(model), state.replication)?
                .build_for_restore()?;
        let mut run = Replication::around(config, model, state.replication, simulation);
        if state.active_events.iter().any(|&a| a) {
            // The phase in force in the last period simulated.
            let phase = config.with_events_at(i64::from(state.done) - 1)?;
            run.simulation
                .reconfigure(&phase, phase.policy != config.policy)?;
            run.current = Arc::new(Model::new(&phase));
        }
        run.active = state.active_events;
        run.done = state.done;
        run.series = state.series;
        run.simulation.restore_state(state.simulation)?;
        Ok(run)
    }

    /// Recorded periods done.
    pub fn done(&self) -> u32 {
        self.done
    }

    /// Simulates up to `periods` more periods (fewer at the end of the run).
    pub fn advance(&mut self, periods: u32, progress: &Progress) -> Result<()> {
        let end = self
            .done
            .saturating_add(periods)
            .min(self.config.simulation.periods);
        for t in self.done..end {
            let t = i64::from(t);
            let now: Vec<bool> = self
                .config
                .events
                .iter()
                .map(|e| e.window().contains(t))
                .collect();
            if now != self.active {
                let phase = self.config.with_events_at(t)?;
                let before = self.config.with_events_at(t - 1)?;
                self.simulation
                    .reconfigure(&phase, phase.policy != before.policy)?;
                self.current = Arc::new(Model::new(&phase));
                self.active = now;
            }
            let tally = self.simulation.step();
            self.series
                .push(tally, &self.current, self.config.simulation.scale);
            progress.period_done(tally.total_active());
        }
        self.done = end;
        Ok(())
    }

    /// The state to checkpoint.
    pub fn save(&self) -> ReplicationState {
        ReplicationState {
            replication: self.replication,
            done: self.done,
            series: self.series.clone(),
            active_events: self.active.clone(),
            simulation: self.simulation.save_state(),
        }
    }

    /// Ends the replication (all periods must be done) and builds its record.
    pub fn finish(self, config_toml: &str) -> RunRecord {
        debug_assert_eq!(self.done, self.config.simulation.periods);
        let config = self.config;
        let sim = &config.simulation;
        let model = &self.model;
        let info = RunInfo {
            config_toml: config_toml.to_string(),
            seed: sim.seed,
            replication: self.replication,
            scale: sim.scale,
            periods: sim.periods,
            warmup: sim.warmup,
            burn_in: self.simulation.burn_in(),
            policy: self.policy_name,
            type_names: config.type_names(),
            reward_values: model.rewards.clone(),
            good_names: model.economy.as_ref().map_or_else(Vec::new, |e| {
                e.goods.iter().map(|g| g.name.clone()).collect()
            }),
            budget_years: self.simulation.budget_years().to_vec(),
            events: config.events.clone(),
        };
        let leavers = self.simulation.finish();
        RunRecord::new(info, self.series, leavers, config.fairness.epsilon)
    }
}
