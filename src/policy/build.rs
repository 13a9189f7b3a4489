//! Building the configured policy.

use super::{BeliefParameters, BeliefPolicy, CyclicPolicy, RewardPolicy, StaticPolicy};
use crate::config::{Config, PolicyKind};
use crate::error::{Error, Result};
use crate::fluid::{FluidProblem, FluidSolution};
use crate::model::{Model, RevenueFn};

/// The policy a validated configuration asks for. `fluid`, and `fixed` or
/// `lottery` without their parameters, solve Fluid-Opt first.
pub fn build_policy(config: &Config, model: &Model) -> Result<Box<dyn RewardPolicy>> {
    let policy = &config.policy;
    let m = model.reward_count();
    let index = |v: f64| model.reward_index(v).expect("validated: reward is in R");
    let fluid = || solve_fluid(model);
    Ok(match policy.kind {
        PolicyKind::Static => Box::new(StaticPolicy::new(
            "static",
            policy.distribution.clone().expect("validated"),
        )),
        PolicyKind::Fixed => {
            let i = match policy.value {
                Some(v) => index(v),
                None => fluid()?.best_fixed.ok_or_else(|| {
                    Error::Input(
                        "policy.kind = \"fixed\": every single reward is infeasible".into(),
                    )
                })?,
            };
            Box::new(StaticPolicy::fixed(i, m))
        }
        PolicyKind::Lottery => {
            let low = policy.low.map_or(0, index);
            let high = policy.high.map_or(m - 1, index);
            let mean = match policy.mean {
                Some(mean) => mean,
                None => fluid()?.expected_reward,
            };
            if low >= high {
                return Err(Error::Input(
                    "policy.kind = \"lottery\" needs two rewards: rewards.values has one".into(),
                ));
            }
            let mean = mean.clamp(model.rewards[low], model.rewards[high]);
            Box::new(StaticPolicy::lottery(&model.rewards, low, high, mean))
        }
        PolicyKind::Cyclic => Box::new(CyclicPolicy::new(policy.cycle.clone().expect("validated"))),
        PolicyKind::Fluid => Box::new(StaticPolicy::new("fluid", fluid()?.distribution)),
        PolicyKind::Belief => Box::new(belief(config, model)?),
        PolicyKind::Markov => Box::new(super::MarkovPolicy::new(
            policy.transition.clone().expect("validated"),
            policy.initial.clone(),
        )),
        // The controller steers the economy's levers; the policy reward is
        // `distribution` when given, else the lowest reward.
        PolicyKind::Custom => super::registry::build_custom(
            policy.name.as_deref().expect("validated"),
            config,
            model,
        )?,
        PolicyKind::Steer => Box::new(StaticPolicy::new(
            "steer",
            policy
                .distribution
                .clone()
                .unwrap_or_else(|| crate::fluid::point_mass(0, m)),
        )),
    })
}

/// Solves Fluid-Opt, or explains why no distribution is feasible.
pub fn solve_fluid(model: &Model) -> Result<FluidSolution> {
    FluidProblem::new(model).solve().ok_or_else(|| {
        Error::Input(
            "Fluid-Opt has no feasible distribution: under every reward some type never leaves \
             (its population would be infinite)"
                .into(),
        )
    })
}

/// The belief policy with its defaults filled in (see [`BeliefPolicy`]).
fn belief(config: &Config, model: &Model) -> Result<BeliefPolicy> {
    let policy = &config.policy;
    let m = model.reward_count();
    let index = |v: f64| model.reward_index(v).expect("validated: reward is in R");
    let probe = policy.probe.map_or(m - 1, index);
    let retain = policy.retain.map_or(probe, index);
    let cheap_type = match &policy.cheap_type {
        Some(name) => model
            .types
            .iter()
            .position(|t| &t.name == name)
            .expect("validated"),
        None => (0..model.type_count())
            .min_by(|&a, &b| {
                let p = |k: usize| model.types[k].departure.at_reward_index(retain);
                p(a).total_cmp(&p(b))
            })
            .expect("at least one type"),
    };
    let target = match policy.target {
        Some(t) => t,
        None => default_belief_target(model, cheap_type)?,
    };
    let log_stay = model
        .types
        .iter()
        .flat_map(|t| (0..m).map(|r| (1.0 - t.departure.at_reward_index(r)).ln()))
        .collect();
    Ok(BeliefPolicy::new(
        BeliefParameters {
            probe: probe as u8,
            retain: retain as u8,
            lowest: 0,
            cheap_type,
            threshold: policy.threshold.unwrap_or(0.5),
            target: target * config.simulation.scale,
            log_prior: model.types.iter().map(|t| t.arrival_rate.ln()).collect(),
            log_stay,
        },
        m,
    ))
}

/// Algorithm 1's default stock (model.md E.2), per unit of scale: the
/// believed-cheap agents who, with each period's newcomers (present once,
/// whatever they are paid) and the other types' agents paid the lowest
/// reward (λ_k / p_k(r_min)), make the fluid population the newsvendor
/// capacity D — or n(φ*) of Fluid-Opt for revenues without one.
pub fn default_belief_target(model: &Model, cheap_type: usize) -> Result<f64> {
    let population = match model.revenue {
        RevenueFn::Newsvendor { capacity, .. } => capacity,
        _ => solve_fluid(model)?.n_total,
    };
    let others: f64 = model
        .types
        .iter()
        .enumerate()
        .map(|(k, t)| {
            if k == cheap_type {
                t.arrival_rate
            } else {
                t.arrival_rate / t.departure.at_reward_index(0)
            }
        })
        .sum();
    Ok((population - others).max(0.0))
}
