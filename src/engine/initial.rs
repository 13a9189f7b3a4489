//! The population at the start of period 0.

use rand::Rng;
use rand_distr::{Distribution, Exp, Poisson};

use super::agents::AgentStore;
use super::rng::{Purpose, StreamKey};
use crate::error::{Error, Result};
use crate::model::{stationary_cohort, BalanceDistribution, Model, StationaryError};

/// Fails unless every type's stationary population under `phi` is finite.
/// Returns false when some type's history space is too large for the exact
/// draw (the caller then burns in instead).
pub(crate) fn exact_steady_state_possible(model: &Model, phi: &[f64]) -> Result<bool> {
    for t in &model.types {
        if t.arrival_rate == 0.0 {
            continue;
        }
        match stationary_cohort(&t.departure, phi) {
            Ok(_) => {}
            Err(StationaryError::TooManyStates(_)) => return Ok(false),
            Err(StationaryError::NeverLeaves) => return Err(never_leaves(&t.name)),
        }
    }
    Ok(true)
}

/// The error for a type whose agents never leave under the policy.
pub(crate) fn never_leaves(name: &str) -> Error {
    Error::Input(format!(
        "type {name:?} (practically) never leaves under this policy, so its steady-state \
         population is infinite; use simulation.initial = \"empty\" or change the policy"
    ))
}

/// Draws the exact stationary population of a static policy `phi`: for each
/// type, each (age, history) cell holds Poisson(θλ · mass) agents.
pub(crate) fn draw_steady_state(
    store: &mut AgentStore,
    model: &Model,
    phi: &[f64],
    scale: f64,
    key: &StreamKey,
) -> Result<()> {
    let expected_reward: f64 = phi.iter().zip(&model.rewards).map(|(p, r)| p * r).sum();
    for (k, t) in model.types.iter().enumerate() {
        let rate = scale * t.arrival_rate;
        // A type that would not join under φ (rational entry) has none.
        if rate == 0.0 || !t.joins_at(expected_reward) {
            continue;
        }
        let cohort = stationary_cohort(&t.departure, phi).map_err(|_| never_leaves(&t.name))?;
        store.reserve(store.population() + (rate * cohort.present_per_arrival * 1.1) as usize);
        let mut rng = key.stream(Purpose::InitialPopulation, 0, k as u64);
        for &(age, history, mass) in &cohort.survivors {
            let mean = rate * mass;
            let count = match Poisson::new(mean) {
                Ok(d) => d.sample(&mut rng) as u64,
                Err(_) => 0, // mean underflowed to 0
            };
            for _ in 0..count {
                // Lifetime reward before the run is unknown: NaN keeps these
                // agents out of the lifetime histograms.
                let balance = model
                    .economy
                    .as_ref()
                    .map_or(0, |e| draw_balance(&e.initial_balance, &mut rng));
                store.push(k as u8, history, age, f64::NAN, balance);
            }
        }
    }
    Ok(())
}

/// Periods of burn-in so that an arrival's survival over it falls below
/// 1e-6 for every type, from the memoryless departure probabilities of the
/// distributions paid over one cycle. Rounded up to whole cycles.
pub(crate) fn default_burn_in(model: &Model, cycle: &[Vec<f64>]) -> Result<u32> {
    const CAP: u32 = 100_000;
    let tau = cycle.len().max(1) as u32;
    let mut periods = tau;
    for t in &model.types {
        let log_survival: f64 = cycle
            .iter()
            .map(|phi| (1.0 - t.departure.under_distribution(phi)).max(0.0).ln())
            .sum();
        let grace = t.departure.grace_periods() as f64;
        if log_survival.is_nan() || log_survival >= 0.0 {
            return Err(never_leaves(&t.name));
        }
        let cycles = ((1e-6f64).ln() / log_survival).ceil();
        let needed = (grace + cycles * tau as f64).min(CAP as f64) as u32;
        periods = periods.max(needed.div_ceil(tau) * tau);
    }
    Ok(periods.min(CAP))
}

/// One initial balance (token economy).
pub(crate) fn draw_balance(law: &BalanceDistribution, rng: &mut impl Rng) -> u64 {
    match *law {
        BalanceDistribution::Fixed(mean) => mean.max(0.0).round() as u64,
        BalanceDistribution::Poisson(mean) if mean > 0.0 => {
            Poisson::new(mean).map_or(0, |d| d.sample(rng) as u64)
        }
        BalanceDistribution::Exponential(mean) if mean > 0.0 => {
            Exp::new(1.0 / mean).map_or(0, |d| d.sample(rng) as u64)
        }
        _ => 0,
    }
}
