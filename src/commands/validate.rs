//! `tokensim validate CONFIG`.

use std::fmt::Write as _;
use std::path::Path;

use crate::config::Config;
use crate::error::Result;
use crate::model::{stationary_cohort, Model};
use crate::policy::build_policy;

/// Checks a configuration and returns the resolved TOML (defaults filled
/// in), followed, for static policies, by the expected steady-state
/// population of each type as TOML comments.
pub fn validate(config: &Path, sets: &[String]) -> Result<String> {
    let config = Config::load(config, sets)?;
    let mut text = config.to_toml();
    let model = Model::new(&config);
    for w in crate::runner::warnings(&config, &model) {
        eprintln!("warning: {w}");
    }
    let policy = build_policy(&config, &model)?;
    if let Some(phi) = policy.stationary_distribution() {
        let scale = config.simulation.scale;
        let _ = writeln!(
            text,
            "\n# Expected steady state under the {} policy (exact stationary population):",
            policy.name()
        );
        let mut total = 0.0;
        for t in &model.types {
            match stationary_cohort(&t.departure, phi) {
                Ok(c) => {
                    let n = scale * t.arrival_rate * c.present_per_arrival;
                    total += n;
                    let _ = writeln!(text, "#   {:<16} {n:>14.1} agents", t.name);
                }
                Err(e) => {
                    let _ = writeln!(text, "#   {:<16} not computable exactly: {e:?}", t.name);
                }
            }
        }
        let _ = writeln!(text, "#   {:<16} {total:>14.1} agents", "total");
    }
    Ok(text.trim_end().to_string())
}
