//! Building the configured policy.

use super::{CyclicPolicy, RewardPolicy, StaticPolicy};
use crate::config::{Config, PolicyKind};
use crate::error::{Error, Result};
use crate::fluid::{FluidProblem, FluidSolution};
use crate::model::Model;

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
        PolicyKind::Belief | PolicyKind::Steer => {
            return Err(Error::Input(format!(
                "policy.kind = \"{}\" is not implemented in this build yet",
                policy.kind.name()
            )))
        }
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
