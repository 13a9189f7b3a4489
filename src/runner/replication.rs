//! One replication as a resumable object: start it (or restore it from a
//! checkpoint), advance it some periods, save its state, finish it into a
//! [`RunRecord`].
//!
//! The event calendar ([`EventCalendar`], compiled once per configuration)
//! is followed here: when the phase in force changes between two periods,
//! the simulation is switched to the new phase's configuration and model.
//! A restored replication is first reconfigured to the phase in
//! force at its checkpoint, then given the saved state, so it continues
//! exactly as the uninterrupted one.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::calendar::EventCalendar;
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
    /// The compiled event calendar.
    calendar: Arc<EventCalendar>,
    /// The phase in force in the last period simulated.
    phase: usize,
    done: u32,
    policy_name: String,
}

impl<'a> Replication<'a> {
    /// Replication `replication` of `config`, with its initial population
    /// drawn (or burnt in).
    pub fn start(
        config: &'a Config,
        model: &Arc<Model>,
        calendar: &Arc<EventCalendar>,
        replication: u64,
    ) -> Result<Self> {
        let simulation =
            SimulationBuilder::from_config(config, Arc::clone(model), replication)?.build()?;
        Ok(Replication::around(
            config,
            model,
            calendar,
            replication,
            simulation,
        ))
    }

    fn around(
        config: &'a Config,
        model: &Arc<Model>,
        calendar: &Arc<EventCalendar>,
        replication: u64,
        simulation: Simulation,
    ) -> Self {
        let periods = config.simulation.periods as usize;
        let mut series = Series::with_capacity(model.type_count(), model.reward_count(), periods);
        if let Some(e) = &model.economy {
            series = series.with_tokens(e.goods.len());
            if let Some(t) = &mut series.tokens {
                let sources = &e.operators.sources;
                t.deviation_sources = sources.iter().map(|s| s.label.clone()).collect();
                t.deviation_kinds = sources.iter().map(|s| s.kind.clone()).collect();
            }
        }
        Replication {
            config,
            model: Arc::clone(model),
            replication,
            policy_name: simulation.policy().name().to_string(),
            simulation,
            series,
            calendar: Arc::clone(calendar),
            phase: 0,
            done: 0,
        }
    }

    /// A replication restored from its checkpointed state.
    pub fn restore(
        config: &'a Config,
        model: &Arc<Model>,
        calendar: &Arc<EventCalendar>,
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
        let mut run = Replication::around(config, model, calendar, state.replication, simulation);
        // The phase in force in the last period simulated.
        let phase = calendar.phase_at(i64::from(state.done) - 1);
        if calendar.phase(phase).active != state.active_events {
            return Err(bad(format!(
                "replication {}: the events in force do not match the calendar",
                state.replication
            )));
        }
        if phase != 0 {
            let p = calendar.phase(phase);
            run.simulation
                .reconfigure(&p.config, &p.model, p.config.policy != config.policy)?;
        }
        run.phase = phase;
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
            if progress.stop_requested() {
                return Err(Error::Interrupted(format!(
                    "stopped at period {t} of {}",
                    self.config.simulation.periods
                )));
            }
            let now = self.calendar.phase_at(i64::from(t));
            if now != self.phase {
                let (phase, before) = (self.calendar.phase(now), self.calendar.phase(self.phase));
                self.simulation.reconfigure(
                    &phase.config,
                    &phase.model,
                    phase.config.policy != before.config.policy,
                )?;
                self.phase = now;
            }
            let tally = self.simulation.step();
            let model = &self.calendar.phase(self.phase).model;
            self.series.push(tally, model, self.config.simulation.scale);
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
            active_events: self.calendar.phase(self.phase).active.clone(),
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
