//! Warnings: configurations that are valid but probably not what was meant
//! (issue 14, point 7). They are printed on standard error by `run`,
//! `sweep` and `validate`; they never change what is simulated.

use crate::config::Config;
use crate::model::Model;

/// Every warning for `config` (compiled as `model`), one line each, naming
/// the key.
pub fn warnings(config: &Config, model: &Model) -> Vec<String> {
    let mut out = Vec::new();
    for (k, (t, compiled)) in config.types.iter().zip(&model.types).enumerate() {
        if let Some(memory) = &t.departure.memory {
            let sum: f64 = memory.weights.iter().sum();
            if (sum - 1.0).abs() > 1e-9 {
                out.push(format!(
                    "types.{k}.departure.memory.weights sum to {sum}, not 1: the perceived reward is \
                     the weighted mean Σ w_j r(t−j) / Σ w_j over the periods stayed, so only their \
                     ratios matter; write weights that sum to 1 to say so"
                ));
            }
        }
        let never_leaves =
            (0..model.rewards.len()).all(|i| compiled.departure.at_reward_index(i) == 0.0);
        if never_leaves && t.arrival_rate > 0.0 {
            out.push(format!(
                "types.{k}.departure: type {:?} never leaves at any reward (p = 0) while it \
                 arrives (arrival_rate {}): its population grows by θ·λ every period without \
                 bound and has no steady state",
                t.name, t.arrival_rate
            ));
        }
    }
    out
}

/// Prints the warnings of `config` on standard error.
pub fn print_warnings(config: &Config) {
    let model = Model::new(config);
    for w in warnings(config, &model) {
        eprintln!("warning: {w}");
    }
}
