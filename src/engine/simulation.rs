//! The runnable simulation: a builder, then `step` / `run`.

use std::sync::{Arc, Mutex};

use rand_distr::{Distribution, Poisson};
use rayon::prelude::*;

use super::agents::AgentStore;
use super::initial::{default_burn_in, draw_steady_state, exact_steady_state_possible};
use super::kernel::{reference_step_chunk, step_chunk, StepInputs};
use super::rng::{Purpose, StreamKey};
use super::tally::PeriodTally;
use crate::config::InitialState;
use crate::error::Result;
use crate::model::{DepartureFn, Model};
use crate::policy::{PolicyContext, RewardPlan, RewardPolicy};
use crate::record::LeaverHistograms;

/// Configures and builds a [`Simulation`].
pub struct SimulationBuilder {
    model: Arc<Model>,
    policy: Box<dyn RewardPolicy>,
    scale: f64,
    key: StreamKey,
    initial: InitialState,
    burn_in: Option<u32>,
    horizon: u32,
}

impl SimulationBuilder {
    /// A simulation of `model` paid by `policy`, market size 1, seed 0,
    /// starting empty.
    pub fn new(model: Arc<Model>, policy: Box<dyn RewardPolicy>) -> Self {
        SimulationBuilder {
            model,
            policy,
            scale: 1.0,
            key: StreamKey {
                seed: 0,
                replication: 0,
            },
            initial: InitialState::Empty,
            burn_in: None,
            horizon: 1000,
        }
    }

    /// Market size θ.
    pub fn scale(mut self, scale: f64) -> Self {
        self.scale = scale;
        self
    }

    /// Root seed and replication index of every random stream.
    pub fn seed(mut self, seed: u64, replication: u64) -> Self {
        self.key = StreamKey { seed, replication };
        self
    }

    /// Initial population.
    pub fn initial(mut self, initial: InitialState) -> Self {
        self.initial = initial;
        self
    }

    /// Burn-in periods when the steady state cannot be drawn exactly
    /// (computed when `None`).
    pub fn burn_in(mut self, periods: Option<u32>) -> Self {
        self.burn_in = periods;
        self
    }

    /// Number of periods that will be run: sizes the tenure histograms.
    pub fn horizon(mut self, periods: u32) -> Self {
        self.horizon = periods;
        self
    }

    /// Builds the simulation, drawing or burning in the initial population.
    /// Burn-in runs on the current rayon pool.
    pub fn build(self) -> Result<Simulation> {
        let model = self.model;
        let mut policy = self.policy;
        let (k, m) = (model.type_count(), model.reward_count());
        let arrivals = model
            .types
            .iter()
            .map(|t| Poisson::new(self.scale * t.arrival_rate).ok())
            .collect();
        let max_reward = model.rewards.iter().copied().fold(0.0, f64::max);
        let slots = (0..rayon::current_num_threads().max(1))
            .map(|_| Mutex::new(LeaverHistograms::new(k, self.horizon as u64, max_reward)))
            .collect();
        let departures = model.types.iter().map(|t| t.departure.clone()).collect();
        let store = AgentStore::new(k, policy.agent_state_width());
        let mut burn_in = 0;
        let mut exact = None;
        if self.initial == InitialState::SteadyState {
            match policy.stationary_distribution().map(<[f64]>::to_vec) {
                Some(phi) if exact_steady_state_possible(&model, &phi)? => exact = Some(phi),
                _ => {
                    burn_in = match self.burn_in {
                        Some(b) => b,
                        None => default_burn_in(&model, &probe_cycle(policy.as_mut(), k, m))?,
                    }
                }
            }
        }
        let mut sim = Simulation {
            departures,
            arrivals,
            scale: self.scale,
            key: self.key,
            store,
            tallies: Vec::new(),
            outcome: PeriodTally::new(k, m),
            arrival_counts: vec![0; k],
            has_previous: false,
            period: -(burn_in as i64),
            burn_in,
            leavers: slots,
            policy,
            model,
        };
        if let Some(phi) = exact {
            draw_steady_state(&mut sim.store, &sim.model, &phi, sim.scale, &sim.key)?;
        }
        while sim.period < 0 {
            sim.step();
        }
        Ok(sim)
    }
}

/// The distributions a policy pays over one cycle, for sizing a burn-in;
/// per-agent plans, which announce none, are sized as if paid uniformly.
fn probe_cycle(policy: &mut dyn RewardPolicy, types: usize, rewards: usize) -> Vec<Vec<f64>> {
    let zeros = vec![0; types];
    let announced: Vec<Vec<f64>> = (0..policy.cycle_length() as i64)
        .map(|t| {
            policy.prepare(&PolicyContext {
                period: t,
                previous_active: None,
                arrivals: &zeros,
            });
            match policy.plan() {
                RewardPlan::Shared(phi) => phi.probabilities().to_vec(),
                RewardPlan::PerAgent => Vec::new(),
            }
        })
        .filter(|phi| !phi.is_empty())
        .collect();
    if announced.is_empty() {
        vec![vec![1.0 / rewards as f64; rewards]]
    } else {
        announced
    }
}

/// A running simulation of one replication. Each [`Simulation::step`]
/// advances one period and returns its counts.
///
/// Guarantees: the sequence of [`PeriodTally`] values (and the leaver
/// histograms) depends only on the model, the policy, θ, the seed and the
/// replication index — not on the number of threads or on scheduling.
pub struct Simulation {
    model: Arc<Model>,
    policy: Box<dyn RewardPolicy>,
    departures: Vec<DepartureFn>,
    arrivals: Vec<Option<Poisson<f64>>>,
    scale: f64,
    key: StreamKey,
    store: AgentStore,
    tallies: Vec<PeriodTally>,
    outcome: PeriodTally,
    arrival_counts: Vec<u64>,
    has_previous: bool,
    period: i64,
    burn_in: u32,
    leavers: Vec<Mutex<LeaverHistograms>>,
}

impl Simulation {
    /// The period the next [`Simulation::step`] will simulate.
    pub fn period(&self) -> i64 {
        self.period
    }

    /// Periods simulated and discarded before period 0.
    pub fn burn_in(&self) -> u32 {
        self.burn_in
    }

    /// Agents present now (after the last period's departures).
    pub fn population(&self) -> usize {
        self.store.population()
    }

    /// The compiled model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The policy.
    pub fn policy(&self) -> &dyn RewardPolicy {
        self.policy.as_ref()
    }

    /// Simulates one period (model.md A.1) and returns its counts.
    pub fn step(&mut self) -> &PeriodTally {
        let period = self.period;
        let mut rng = self.key.stream(Purpose::Arrivals, period, 0);
        for (count, dist) in self.arrival_counts.iter_mut().zip(&self.arrivals) {
            *count = dist.as_ref().map_or(0, |d| d.sample(&mut rng) as u64);
        }
        let previous = self.has_previous.then_some(&self.outcome.active[..]);
        self.policy.prepare(&PolicyContext {
            period,
            previous_active: previous,
            arrivals: &self.arrival_counts,
        });
        self.store.place_arrivals(&self.arrival_counts);
        let (k, m) = (self.model.type_count(), self.model.reward_count());
        if self.tallies.len() < self.store.chunks.len() {
            self.tallies
                .resize(self.store.chunks.len(), PeriodTally::new(k, m));
        }

        let plan = self.policy.plan();
        let inputs = StepInputs {
            period,
            rewards: &self.model.rewards,
            departures: &self.departures,
            layout: self.model.history_layout(),
            plan,
            policy: self.policy.as_ref(),
            newcomer_lifetime: if period >= 0 { 0.0 } else { f64::NAN },
        };
        let key = self.key;
        let leavers = &self.leavers;
        self.store
            .chunks
            .par_iter_mut()
            .zip(self.tallies.par_iter_mut())
            .enumerate()
            .for_each(|(c, (chunk, tally))| {
                tally.reset();
                let mut rng = key.stream(Purpose::AgentStep, period, c as u64);
                if period >= 0 {
                    // Counts add exactly, so which slot a chunk uses cannot
                    // change the merged histograms.
                    let slot = rayon::current_thread_index().unwrap_or(0) % leavers.len();
                    let mut histograms = leavers[slot].lock().expect("no panic while recording");
                    step_chunk(chunk, &inputs, &mut rng, tally, Some(&mut histograms));
                } else {
                    step_chunk(chunk, &inputs, &mut rng, tally, None);
                }
            });

        let outcome = &mut self.outcome;
        outcome.reset();
        outcome.period = period;
        outcome.arrivals.copy_from_slice(&self.arrival_counts);
        for tally in &self.tallies[..self.store.chunks.len()] {
            outcome.add(tally);
        }
        match plan {
            RewardPlan::Shared(phi) => outcome
                .policy_distribution
                .copy_from_slice(phi.probabilities()),
            RewardPlan::PerAgent => outcome.policy_distribution.fill(f64::NAN),
        }
        self.has_previous = true;
        self.period += 1;
        &self.outcome
    }

    /// One period of the reference kernel (see `engine::kernel`): arrivals
    /// and the same per-agent draws as [`Simulation::step`], without any
    /// bookkeeping. For benchmarks only: it records nothing, and returns
    /// false (doing nothing) when the policy pays per agent.
    pub fn step_reference(&mut self) -> bool {
        let period = self.period;
        let mut rng = self.key.stream(Purpose::Arrivals, period, 0);
        for (count, dist) in self.arrival_counts.iter_mut().zip(&self.arrivals) {
            *count = dist.as_ref().map_or(0, |d| d.sample(&mut rng) as u64);
        }
        self.policy.prepare(&PolicyContext {
            period,
            previous_active: None,
            arrivals: &self.arrival_counts,
        });
        let RewardPlan::Shared(phi) = self.policy.plan() else {
            return false;
        };
        self.store.place_arrivals(&self.arrival_counts);
        let (key, departures, layout) = (self.key, &self.departures, self.model.history_layout());
        self.store
            .chunks
            .par_iter_mut()
            .enumerate()
            .for_each(|(c, chunk)| {
                let mut rng = key.stream(Purpose::AgentStep, period, c as u64);
                reference_step_chunk(chunk, phi, departures, layout, &mut rng);
            });
        self.period += 1;
        true
    }

    /// Runs `periods` periods, handing each period's counts to `observe`.
    pub fn run(&mut self, periods: u32, mut observe: impl FnMut(&PeriodTally)) {
        for _ in 0..periods {
            observe(self.step());
        }
    }

    /// Ends the run: the lifetime-reward and tenure histograms of agents
    /// that arrived at period 0 or later and have left.
    pub fn finish(self) -> LeaverHistograms {
        let mut slots = self
            .leavers
            .into_iter()
            .map(|m| m.into_inner().expect("not poisoned"));
        let mut total = slots.next().expect("at least one slot");
        for s in slots {
            total.merge(&s);
        }
        total
    }
}
