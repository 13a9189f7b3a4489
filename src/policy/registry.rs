//! Custom policies by name: `policy.kind = "custom"` with `policy.name`.
//!
//! A custom policy is registered once, as a factory, and from then on is
//! built exactly like a built-in one — for every replication, every sweep
//! point and every event that changes `[policy]` — from the configuration
//! in force. Its parameters are the free-form table `policy.parameters`,
//! which the factory reads (and may reject with an error naming the key).
//!
//! ```
//! use tokensim::policy::{register_policy, StaticPolicy};
//!
//! register_policy("always-top", |_config, model| {
//!     let m = model.reward_count();
//!     let mut phi = vec![0.0; m];
//!     phi[m - 1] = 1.0;
//!     Ok(Box::new(StaticPolicy::new("always-top", phi)))
//! });
//! ```

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use super::RewardPolicy;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::Model;

/// Builds a custom policy from the configuration in force (the run's, a
/// sweep point's, or an event phase's) and its model.
pub type PolicyFactory = dyn Fn(&Config, &Model) -> Result<Box<dyn RewardPolicy>> + Send + Sync;

fn registry() -> &'static RwLock<HashMap<String, Arc<PolicyFactory>>> {
    static REGISTRY: OnceLock<RwLock<HashMap<String, Arc<PolicyFactory>>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// Registers (or replaces) the custom policy `name`, for every later run in
/// this process whose configuration says `policy.kind = "custom"` and
/// `policy.name = name`.
pub fn register_policy(
    name: &str,
    factory: impl Fn(&Config, &Model) -> Result<Box<dyn RewardPolicy>> + Send + Sync + 'static,
) {
    let mut map = registry().write().unwrap_or_else(|e| e.into_inner());
    map.insert(name.to_string(), Arc::new(factory));
}

/// Names of the registered custom policies, sorted.
pub fn registered_policies() -> Vec<String> {
    let map = registry().read().unwrap_or_else(|e| e.into_inner());
    let mut names: Vec<String> = map.keys().cloned().collect();
    names.sort();
    names
}

/// Builds the registered custom policy `name`.
pub(crate) fn build_custom(
    name: &str,
    config: &Config,
    model: &Model,
) -> Result<Box<dyn RewardPolicy>> {
    let factory = {
        let map = registry().read().unwrap_or_else(|e| e.into_inner());
        map.get(name).cloned()
    };
    match factory {
        Some(f) => f(config, model),
        None => Err(Error::Input(format!(
            "policy.name: no custom policy {name:?} is registered in this program (registered: \
             {:?}); a custom policy is registered from Rust with \
             tokensim::policy::register_policy before the run",
            registered_policies()
        ))),
    }
}
