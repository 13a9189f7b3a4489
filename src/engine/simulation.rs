//! The runnable simulation: a builder, then `step` / `run`.

use serde::{Deserialize, Serialize};

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rand::SeedableRng;
use rand_distr::{Distribution, Poisson};
use rayon::prelude::*;

use super::agents::AgentStore;
use super::economy::{BudgetState, BudgetYear, EconomyRuntime};
use super::economy_kernel::{reference_step_chunk_economy, step_chunk_economy};
use super::initial::{default_burn_in, draw_steady_state, exact_steady_state_possible};
use super::kernel::{reference_step_chunk, step_chunk, StepInputs};
use super::lean::LeanKernel;
use super::rng::{Purpose, StreamKey, StreamRng};
use super::tally::PeriodTally;
use crate::config::InitialState;
use crate::error::Result;
use crate::model::{DepartureFn, DepartureThresholds, Levers, Model};
use crate::policy::{PolicyContext, RewardPlan, RewardPolicy};
use crate::record::{LeaverHistograms, LeaverState};

/// Chunks per piece of parallel work. Rayon's adaptive splitter otherwise
/// leaves pieces of up to a quarter of a period's work, and a worker that
/// wakes late idles at the end of every period (measured: 16 % of one
/// thread on the daily courier run); one or two chunks per piece measured
/// alike, within this machine's noise.
pub(super) const CHUNKS_PER_PIECE: usize = 2;

/// Configures and builds a [`Simulation`].
pub struct SimulationBuilder {
    model: Arc<Model>,
    policy: Box<dyn RewardPolicy>,
    scale: f64,
    key: StreamKey,
    initial: InitialState,
    burn_in: Option<u32>,
    horizon: u32,
    restoring: bool,
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
            restoring: false,
        }
    }

    /// Replication `replication` of a configuration: its policy, θ, seed,
    /// initial state, burn-in and horizon.
    pub fn from_config(
        config: &crate::config::Config,
        model: Arc<Model>,
        replication: u64,
    ) -> Result<Self> {
        let policy = crate::policy::build_policy(config, &model)?;
        let s = &config.simulation;
        Ok(SimulationBuilder::new(model, policy)
            .scale(s.scale)
            .seed(s.seed, replication)
            .initial(s.initial)
            .burn_in(s.burn_in)
            .horizon(s.periods))
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

    /// Builds an empty simulation to restore a checkpoint into
    /// ([`Simulation::restore_state`]): no initial population is drawn and no
    /// burn-in is run.
    pub fn build_for_restore(mut self) -> Result<Simulation> {
        self.restoring = true;
        self.build()
    }

    /// Builds the simulation, drawing or burning in the initial population.
    /// Burn-in runs on the current rayon pool.
    pub fn build(self) -> Result<Simulation> {
        let model = self.model;
        let mut policy = self.policy;
        let (k, m) = (model.type_count(), model.reward_count());
        let arrivals = arrival_samplers(&model, self.scale)?;
        let max_reward = model.rewards.iter().copied().fold(0.0, f64::max);
        let tokens = model.economy.is_some();
        let slots = (0..rayon::current_num_threads().max(1))
            .map(|_| {
                let h = LeaverHistograms::new(k, self.horizon as u64, max_reward);
                Mutex::new(if tokens { h.with_tokens() } else { h })
            })
            .collect();
        let departures: Vec<DepartureFn> =
            model.types.iter().map(|t| t.departure.clone()).collect();
        let store = AgentStore::new(k, policy.agent_state_width(), tokens);
        let goods = model.economy.as_ref().map_or(0, |e| e.goods.len());
        let mut burn_in = 0;
        let mut exact = None;
        if self.initial == InitialState::SteadyState && !self.restoring {
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
            thresholds: DepartureThresholds::new(&departures),
            departures,
            arrivals,
            scale: self.scale,
            key: self.key,
            store,
            tallies: Vec::new(),
            outcome: if model.has_two_period_memory() {
                PeriodTally::with_goods(k, m, goods).with_pairs()
            } else {
                PeriodTally::with_goods(k, m, goods)
            },
            economy: model
                .economy
                .as_ref()
                .map(|e| EconomyRuntime::new(e, self.scale)),
            arrival_counts: vec![0; k],
            has_previous: false,
            period: -(burn_in as i64),
            burn_in,
            leavers: slots,
            policy,
            model,
            announced: VecDeque::new(),
        };
        if self.restoring {
            return Ok(sim);
        }
        if let Some(phi) = exact {
            draw_steady_state(&mut sim.store, &sim.model, &phi, sim.scale, &sim.key)?;
        }
        while sim.period < 0 {
            sim.step();
        }
        if let Some(e) = &mut sim.economy {
            // The float at the start of period 0: every balance outstanding.
            e.float = sim.store.balances().map(|(_, b)| b).sum();
            e.departed = 0;
            e.budget = e.budget.take().map(|b| BudgetState::new(b.config));
        }
        Ok(sim)
    }
}

/// One Poisson sampler per type (None for a type that never arrives). A
/// mean that cannot be drawn (infinite, NaN, or beyond the sampler's range)
/// is an error, never zero arrivals.
fn arrival_samplers(model: &Model, scale: f64) -> Result<Vec<Option<Poisson<f64>>>> {
    model
        .types
        .iter()
        .map(|t| {
            let mean = scale * t.arrival_rate;
            if mean == 0.0 {
                return Ok(None);
            }
            match Poisson::new(mean) {
                Ok(p) if mean <= crate::runner::limits::MAX_ARRIVAL_MEAN => Ok(Some(p)),
                _ => Err(crate::error::Error::Input(format!(
                    "type {:?}: {mean:e} arrivals per period (scale × arrival_rate) cannot be \
                     drawn; at most {:e}",
                    t.name,
                    crate::runner::limits::MAX_ARRIVAL_MEAN
                ))),
            }
        })
        .collect()
}

/// The distributions a policy pays over one cycle, for sizing a burn-in;
/// per-agent plans, which announce none, are sized as if paid uniformly.
fn probe_cycle(policy: &mut dyn RewardPolicy, types: usize, rewards: usize) -> Vec<Vec<f64>> {
    let zeros = vec![0; types];
    let announced: Vec<Vec<f64>> = (0..policy.cycle_length() as i64)
        .map(|t| {
            // A probe only: its stream is never used for a simulated period.
            policy.prepare(
                &PolicyContext {
                    period: t,
                    previous_active: None,
                    arrivals: &zeros,
                },
                &mut StreamRng::seed_from_u64(t as u64),
            );
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
    /// `departures` as one flat table for the step loop, when small enough.
    thresholds: Option<DepartureThresholds>,
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
    economy: Option<EconomyRuntime>,
    /// Rational entry: the mean reward announced in each recent period
    /// (newest last), kept only when some type has a reservation value.
    announced: VecDeque<f64>,
}

/// Everything a [`Simulation`] carries from one period to the next, for
/// checkpoints: the period, the agents (every column), the leaver
/// histograms so far, the policy's and the token economy's state (float,
/// budget year, controller, levers). Random streams are keyed by period, so
/// no generator position is needed: a restored simulation draws exactly
/// what the uninterrupted one would have drawn.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimulationState {
    period: i64,
    has_previous: bool,
    burn_in: u32,
    previous_active: Vec<u64>,
    store: AgentStore,
    leavers: LeaverState,
    policy: Vec<f64>,
    economy: Option<EconomyState>,
    announced: VecDeque<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct EconomyState {
    float: u64,
    departed: u64,
    budget: Option<BudgetState>,
    /// The lever controller's own state ([`crate::policy::LeverController::save_state`]).
    controller: Vec<u8>,
    recommended: Levers,
    levers: Levers,
    /// Tokens spent per good last period and this period's π.
    #[serde(default)]
    last_spend: Vec<f64>,
    #[serde(default = "unit")]
    purchasing_power: f64,
}

fn unit() -> f64 {
    1.0
}

impl SimulationState {
    /// The period the restored simulation will simulate next.
    pub fn period(&self) -> i64 {
        self.period
    }
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

    /// Simulates one period (model.md A.1) and returns its counts: arrivals,
    /// the policy's plan, the economy's levers; every agent paid, working,
    /// shopping and deciding to stay; the counts gathered; the economy's
    /// books closed.
    pub fn step(&mut self) -> &PeriodTally {
        let period = self.period;
        self.draw_arrivals(period);
        self.policy.prepare(
            &PolicyContext {
                period,
                previous_active: self.has_previous.then_some(&self.outcome.active[..]),
                arrivals: &self.arrival_counts,
            },
            &mut self.key.stream(Purpose::Policy, period, 0),
        );
        self.store.place_arrivals(&self.arrival_counts);
        if let Some(e) = &mut self.economy {
            e.before_period(period, &self.key);
        }
        self.step_agents(period);
        self.gather(period);
        self.record_announced();
        if let Some(e) = &mut self.economy {
            e.after_period(&mut self.outcome, period);
        }
        self.has_previous = true;
        self.period += 1;
        &self.outcome
    }

    /// This period's arrivals per type, and the entry decisions of types
    /// that enter rationally.
    fn draw_arrivals(&mut self, period: i64) {
        let mut rng = self.key.stream(Purpose::Arrivals, period, 0);
        for (count, dist) in self.arrival_counts.iter_mut().zip(&self.arrivals) {
            *count = dist.as_ref().map_or(0, |d| d.sample(&mut rng) as u64);
        }
        self.apply_entry();
    }

    /// Every chunk through the period, in parallel: each with its own
    /// keyed random stream and tally, so the result does not depend on the
    /// threads.
    fn step_agents(&mut self, period: i64) {
        let (k, m) = (self.model.type_count(), self.model.reward_count());
        if self.tallies.len() < self.store.chunks.len() {
            let mut empty = PeriodTally::with_goods(k, m, self.outcome.sales.len());
            if !self.outcome.pair_counts.is_empty() {
                empty = empty.with_pairs();
            }
            self.tallies.resize(self.store.chunks.len(), empty);
        }
        let inputs = StepInputs {
            period,
            rewards: &self.model.rewards,
            departures: &self.departures,
            thresholds: self.thresholds.as_ref(),
            layout: self.model.history_layout(),
            plan: self.policy.plan(),
            policy: self.policy.as_ref(),
            newcomer_lifetime: if period >= 0 { 0.0 } else { f64::NAN },
        };
        let key = self.key;
        let leavers = &self.leavers;
        let economy = self.economy.as_ref().map(EconomyRuntime::inputs);
        self.store
            .chunks
            .par_iter_mut()
            .zip(self.tallies.par_iter_mut())
            .enumerate()
            .with_max_len(CHUNKS_PER_PIECE)
            .for_each(|(c, (chunk, tally))| {
                tally.reset();
                let mut rng = key.stream(Purpose::AgentStep, period, c as u64);
                // Counts add exactly, so which slot a chunk uses cannot
                // change the merged histograms.
                let slot = rayon::current_thread_index().unwrap_or(0) % leavers.len();
                let mut guard =
                    (period >= 0).then(|| leavers[slot].lock().expect("no panic while recording"));
                let histograms = guard.as_deref_mut();
                match &economy {
                    Some(e) => step_chunk_economy(chunk, &inputs, e, &mut rng, tally, histograms),
                    None => step_chunk(chunk, &inputs, &mut rng, tally, histograms),
                }
            });
    }

    /// The chunks' tallies summed into the period's outcome, with the
    /// distribution the policy paid from.
    fn gather(&mut self, period: i64) {
        let outcome = &mut self.outcome;
        outcome.reset();
        outcome.period = period;
        outcome.arrivals.copy_from_slice(&self.arrival_counts);
        for tally in &self.tallies[..self.store.chunks.len()] {
            outcome.add(tally);
        }
        match self.policy.plan() {
            RewardPlan::Shared(phi) => outcome
                .policy_distribution
                .copy_from_slice(phi.probabilities()),
            RewardPlan::PerAgent => outcome.policy_distribution.fill(f64::NAN),
        }
    }

    /// Switches to `config` (whose model is `model`, compiled once by the
    /// event calendar) from the next period on (scheduled events): new
    /// arrival rates, departure functions, revenue and economy parameters,
    /// with the agents, their balances, the float and the budget year kept.
    /// The policy is rebuilt from `config` only when `policy_changed` (an
    /// event changed `[policy]`); otherwise it keeps its state, so an event
    /// elsewhere never resets what a policy has learnt. The reward set, the
    /// types and the goods must be the same (events cannot change them); a
    /// new policy must keep the same per-agent state (validation refuses
    /// events that switch to or from `belief`).
    pub fn reconfigure(
        &mut self,
        config: &crate::config::Config,
        model: &Arc<Model>,
        policy_changed: bool,
    ) -> Result<()> {
        let model = Arc::clone(model);
        debug_assert_eq!(model.rewards, self.model.rewards);
        self.arrivals = arrival_samplers(&model, self.scale)?;
        self.departures = model.types.iter().map(|t| t.departure.clone()).collect();
        self.thresholds = DepartureThresholds::new(&self.departures);
        if policy_changed {
            let policy = crate::policy::build_policy(config, &model)?;
            if policy.agent_state_width() != self.policy.agent_state_width() {
                return Err(crate::error::Error::Input(format!(
                    "an event switches policy {} to {}, whose per-agent state differs: a \
                     policy that learns about agents cannot start or stop mid-run",
                    self.policy.name(),
                    policy.name()
                )));
            }
            self.policy = policy;
        }
        if let (Some(runtime), Some(economy)) = (&mut self.economy, &model.economy) {
            runtime.reconfigure(economy, self.scale);
        }
        self.model = model;
        Ok(())
    }

    /// Rational entry (model.md E.1): types whose reservation value exceeds
    /// the mean reward announced over their entry window send no arrivals
    /// this period (the counts are drawn all the same, so the other types'
    /// draws do not move). Before any period is announced, a static
    /// policy's mean reward is what agents expect; other policies are
    /// joined.
    fn apply_entry(&mut self) {
        if !self.model.types.iter().any(|t| t.entry.is_some()) {
            return;
        }
        let static_mean = self.policy.stationary_distribution().map(|phi| {
            phi.iter()
                .zip(&self.model.rewards)
                .map(|(p, r)| p * r)
                .sum::<f64>()
        });
        for (k, t) in self.model.types.iter().enumerate() {
            let Some(e) = t.entry else { continue };
            let window = (e.window as usize).min(self.announced.len());
            let expected = if window == 0 {
                static_mean
            } else {
                let recent = self.announced.iter().rev().take(window);
                Some(recent.sum::<f64>() / window as f64)
            };
            if expected.is_some_and(|r| !t.joins_at(r)) {
                self.arrival_counts[k] = 0;
            }
        }
    }

    /// Remembers this period's announced mean reward (for per-agent plans,
    /// the mean reward actually paid) for rational entry.
    fn record_announced(&mut self) {
        let longest = self
            .model
            .types
            .iter()
            .filter_map(|t| t.entry.map(|e| e.window as usize))
            .max();
        let Some(longest) = longest else { return };
        let o = &self.outcome;
        let rewards = &self.model.rewards;
        let mean = if o.policy_distribution.iter().all(|p| p.is_finite()) {
            o.policy_distribution
                .iter()
                .zip(rewards)
                .map(|(p, r)| p * r)
                .sum()
        } else {
            let m = rewards.len();
            let paid: u64 = o.active.iter().sum();
            let total: f64 = o
                .reward_counts
                .chunks(m)
                .flat_map(|row| row.iter().zip(rewards).map(|(&n, r)| n as f64 * r))
                .sum();
            if paid == 0 {
                return;
            }
            total / paid as f64
        };
        self.announced.push_back(mean);
        while self.announced.len() > longest {
            self.announced.pop_front();
        }
    }

    /// The state to checkpoint (see [`SimulationState`]).
    pub fn save_state(&self) -> SimulationState {
        let mut slots = self.leavers.iter().map(|m| m.lock().expect("not poisoned"));
        let mut leavers = slots.next().expect("at least one slot").clone();
        for s in slots {
            leavers.merge(&s);
        }
        SimulationState {
            period: self.period,
            has_previous: self.has_previous,
            burn_in: self.burn_in,
            previous_active: self.outcome.active.clone(),
            store: self.store.clone(),
            leavers: leavers.save(),
            policy: self.policy.save_state(),
            announced: self.announced.clone(),
            economy: self.economy.as_ref().map(|e| EconomyState {
                float: e.float,
                departed: e.departed,
                budget: e.budget.clone(),
                controller: e.controller.save_state(),
                recommended: e.recommended,
                levers: e.levers,
                last_spend: e.last_spend.clone(),
                purchasing_power: e.purchasing_power,
            }),
        }
    }

    /// Restores a checkpoint into a simulation built by
    /// [`SimulationBuilder::build_for_restore`] of the same configuration
    /// (and reconfigured to the events in force at the checkpoint).
    pub fn restore_state(&mut self, state: SimulationState) -> Result<()> {
        let bad = |what: &str| crate::error::Error::Input(format!("checkpoint: {what}"));
        if !self.store.same_layout(&state.store)
            || state.previous_active.len() != self.outcome.active.len()
        {
            return Err(bad("its agents do not fit this configuration"));
        }
        if state.economy.is_some() != self.economy.is_some() {
            return Err(bad("token economy in one and not the other"));
        }
        self.period = state.period;
        self.has_previous = state.has_previous;
        self.burn_in = state.burn_in;
        self.outcome.active.copy_from_slice(&state.previous_active);
        self.store = state.store;
        self.announced = state.announced;
        self.leavers[0]
            .lock()
            .expect("not poisoned")
            .restore(&state.leavers)
            .map_err(|e| bad(&e))?;
        self.policy
            .restore_state(&state.policy)
            .map_err(|e| bad(&e))?;
        if let (Some(e), Some(saved)) = (&mut self.economy, state.economy) {
            e.float = saved.float;
            e.departed = saved.departed;
            e.budget = saved.budget;
            e.controller
                .restore_state(&saved.controller)
                .map_err(|e| bad(&e))?;
            e.recommended = saved.recommended;
            e.levers = saved.levers;
            e.last_spend = saved.last_spend;
            e.purchasing_power = saved.purchasing_power;
            e.rebuild_tasks();
        }
        Ok(())
    }

    /// Token economy: the float computed directly — Σ balances of the agents
    /// present plus the balances leavers kept — which must equal the float
    /// of the identity (`PeriodTally::float`) after every period.
    pub fn float_by_balances(&self) -> Option<u64> {
        let e = self.economy.as_ref()?;
        Some(self.store.balances().map(|(_, b)| b).sum::<u64>() + e.departed)
    }

    /// Token economy: Σ balances of the agents present, computed directly —
    /// the active float, which must equal `float − dormant_float`.
    pub fn active_balances(&self) -> Option<u64> {
        self.economy.as_ref()?;
        Some(self.store.balances().map(|(_, b)| b).sum())
    }

    /// Token economy: the budget years closed so far.
    pub fn budget_years(&self) -> &[BudgetYear] {
        self.economy
            .as_ref()
            .and_then(|e| e.budget.as_ref())
            .map_or(&[], |b| b.years.as_slice())
    }

    /// A benchmark kernel's period start: this period's arrival counts and
    /// φ_t, drawn from the same streams as [`Simulation::step`] (the policy
    /// sees no previous outcome: the kernels record none). Returns the
    /// period.
    fn draw_arrivals_and_plan(&mut self) -> i64 {
        let period = self.period;
        let mut rng = self.key.stream(Purpose::Arrivals, period, 0);
        for (count, dist) in self.arrival_counts.iter_mut().zip(&self.arrivals) {
            *count = dist.as_ref().map_or(0, |d| d.sample(&mut rng) as u64);
        }
        self.policy.prepare(
            &PolicyContext {
                period,
                previous_active: None,
                arrivals: &self.arrival_counts,
            },
            &mut self.key.stream(Purpose::Policy, period, 0),
        );
        period
    }

    /// One period of the reference kernel (see `engine::kernel`, and
    /// `engine::economy_kernel` for the token economy, run with the
    /// configured levers): arrivals and the same per-agent draws as
    /// [`Simulation::step`], without any bookkeeping. For benchmarks only:
    /// it records nothing, and returns false (doing nothing) when the
    /// policy pays per agent.
    pub fn step_reference(&mut self) -> bool {
        let period = self.draw_arrivals_and_plan();
        let RewardPlan::Shared(phi) = self.policy.plan() else {
            return false;
        };
        self.store.place_arrivals(&self.arrival_counts);
        if let Some(e) = &mut self.economy {
            // The configured levers (and overrides): no controller.
            e.set_levers(period, &self.key);
            e.prepare_mall();
        }
        let key = self.key;
        let inputs = StepInputs {
            period,
            rewards: &self.model.rewards,
            departures: &self.departures,
            thresholds: self.thresholds.as_ref(),
            layout: self.model.history_layout(),
            plan: RewardPlan::Shared(phi),
            policy: self.policy.as_ref(),
            newcomer_lifetime: 0.0,
        };
        let economy = self.economy.as_ref().map(EconomyRuntime::inputs);
        self.store
            .chunks
            .par_iter_mut()
            .enumerate()
            .with_max_len(CHUNKS_PER_PIECE) // scheduled as `step` is
            .for_each(|(c, chunk)| {
                let mut rng = key.stream(Purpose::AgentStep, period, c as u64);
                match &economy {
                    Some(e) => reference_step_chunk_economy(chunk, phi, &inputs, e, &mut rng),
                    None => reference_step_chunk(chunk, phi, &inputs, &mut rng),
                }
            });
        self.period += 1;
        true
    }

    /// The lean kernel (`engine::lean`) for this simulation's agents as they
    /// are now, or `None` when the model does not fit it or has a token
    /// economy. For benchmarks only.
    pub fn lean_kernel(&self) -> Option<LeanKernel> {
        if self.economy.is_some() {
            return None;
        }
        LeanKernel::new(
            &self.store,
            &self.departures,
            self.model.history_layout(),
            self.model.reward_count(),
        )
    }

    /// One period of the lean kernel `lean`: this simulation's arrivals
    /// and φ_t, drawn as [`Simulation::step`] draws them, then the lean
    /// kernel's per-agent work. For benchmarks only: returns false (doing
    /// nothing) when the policy pays per agent.
    pub fn step_lean(&mut self, lean: &mut LeanKernel) -> bool {
        let period = self.draw_arrivals_and_plan();
        let RewardPlan::Shared(phi) = self.policy.plan() else {
            return false;
        };
        lean.step(&self.arrival_counts, phi, self.key, period);
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
        total.flush();
        if !total.balance_at_end.is_empty() {
            for (k, b) in self.store.balances() {
                total.balance_at_end[k as usize].saturating_record(b);
            }
        }
        total
    }
}
