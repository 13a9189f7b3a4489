//! The `[[events]]` calendar, compiled once: every *phase* of a run (a set
//! of events in force) with its configuration and model, and the phase of
//! each period. Replications switch phases by index; no configuration is
//! re-serialized and no model rebuilt while they run.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::Config;
use crate::error::Result;
use crate::model::Model;

/// One phase: the events in force, and the configuration and model they
/// make of the base.
#[derive(Debug)]
pub struct Phase {
    /// Which of `config.events` are in force.
    pub active: Vec<bool>,
    /// The base configuration with those events applied.
    pub config: Config,
    /// Its model.
    pub model: Arc<Model>,
}

/// The compiled calendar of a configuration.
#[derive(Debug)]
pub struct EventCalendar {
    phases: Vec<Phase>,
    /// Phase index of each recorded period.
    by_period: Vec<usize>,
}

impl EventCalendar {
    /// Compiles the calendar of `config` (whose model is `model`): phase 0
    /// is the base, with no event in force.
    pub fn compile(config: &Config, model: &Arc<Model>) -> Result<EventCalendar> {
        let none = vec![false; config.events.len()];
        let mut phases = vec![Phase {
            active: none.clone(),
            config: config.clone(),
            model: Arc::clone(model),
        }];
        let mut index: HashMap<Vec<bool>, usize> = HashMap::from([(none, 0)]);
        let mut by_period = Vec::with_capacity(config.simulation.periods as usize);
        for t in 0..i64::from(config.simulation.periods) {
            let active: Vec<bool> = config
                .events
                .iter()
                .map(|e| e.window().contains(t))
                .collect();
            let phase = match index.get(&active) {
                Some(&i) => i,
                None => {
                    let phase_config = config.with_events_at(t)?;
                    let phase_model = Arc::new(Model::new(&phase_config));
                    phases.push(Phase {
                        active: active.clone(),
                        config: phase_config,
                        model: phase_model,
                    });
                    index.insert(active, phases.len() - 1);
                    phases.len() - 1
                }
            };
            by_period.push(phase);
        }
        Ok(EventCalendar { phases, by_period })
    }

    /// The phase index of period `t` (the base before the first period).
    pub fn phase_at(&self, t: i64) -> usize {
        usize::try_from(t)
            .ok()
            .and_then(|t| self.by_period.get(t).copied())
            .unwrap_or(0)
    }

    /// Phase `i`.
    pub fn phase(&self, i: usize) -> &Phase {
        &self.phases[i]
    }

    /// How many distinct phases the run has (the base included).
    pub fn phase_count(&self) -> usize {
        self.phases.len()
    }
}
