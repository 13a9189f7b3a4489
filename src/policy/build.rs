//! Building the configured policy.

use super::{CyclicPolicy, RewardPolicy, StaticPolicy};
use crate::config::{Config, PolicyKind};
use crate::error::{Error, Result};
use crate::model::Model;

/// The policy a validated configuration asks for.
pub fn build_policy(config: &Config, model: &Model) -> Result<Box<dyn RewardPolicy>> {
    let policy = &config.policy;
    let m = model.reward_count();
    let index = |v: f64| model.reward_index(v).expect("validated: reward is in R");
    let unavailable = |what: &str| {
        Err(Error::Input(format!(
            "policy.kind = \"{}\"{what} needs the Fluid-Opt solver, which this build does not have yet",
            policy.kind.name()
        )))
    };
    Ok(match policy.kind {
        PolicyKind::Static => Box::new(StaticPolicy::new(
            "static",
            policy.distribution.clone().expect("validated"),
        )),
        PolicyKind::Fixed => match policy.value {
            Some(v) => Box::new(StaticPolicy::fixed(index(v), m)),
            None => return unavailable(" without a value"),
        },
        PolicyKind::Lottery => match (policy.low, policy.high, policy.mean) {
            (Some(lo), Some(hi), Some(mean)) => Box::new(StaticPolicy::lottery(
                &model.rewards,
                index(lo),
                index(hi),
                mean,
            )),
            _ => return unavailable(" without low, high and mean"),
        },
        PolicyKind::Cyclic => Box::new(CyclicPolicy::new(policy.cycle.clone().expect("validated"))),
        PolicyKind::Fluid => return unavailable(""),
        PolicyKind::Belief | PolicyKind::Steer => {
            return Err(Error::Input(format!(
                "policy.kind = \"{}\" is not implemented in this build yet",
                policy.kind.name()
            )))
        }
    })
}
