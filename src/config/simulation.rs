//! `[simulation]`: horizon, warm-up, seed, market size and initial state.

use serde::{Deserialize, Serialize};

use super::validate::Problems;

/// How the population is initialised before period 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum InitialState {
    /// No agents: the market fills up from period 0.
    #[default]
    Empty,
    /// The stationary population of the policy: exact Poisson draws where the
    /// policy is static and the departure state space is small, otherwise a
    /// burn-in simulation that is run and discarded before period 0.
    SteadyState,
}

/// `[simulation]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationConfig {
    /// Number of recorded periods T.
    pub periods: u32,
    /// Periods at the start left out of steady-state statistics.
    #[serde(default)]
    pub warmup: u32,
    /// Root seed of every random stream. Any u64: seeds above `i64::MAX`
    /// (which a TOML integer cannot hold) are written as a decimal string.
    #[serde(default, with = "seed_serde")]
    pub seed: u64,
    /// Market size θ: type k arrivals ~ Poisson(scale · arrival_rate).
    #[serde(default = "default_scale")]
    pub scale: f64,
    /// Initial population.
    #[serde(default)]
    pub initial: InitialState,
    /// Periods simulated and discarded before period 0 when `initial =
    /// "steady_state"` cannot be drawn exactly. Computed when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burn_in: Option<u32>,
    /// Independent replications (overridden by `--replications`).
    #[serde(default = "default_replications")]
    pub replications: u32,
}

fn default_scale() -> f64 {
    1.0
}

fn default_replications() -> u32 {
    1
}

impl SimulationConfig {
    pub(crate) fn validate(&self, problems: &mut Problems) {
        if self.periods < 1 {
            problems.push("simulation.periods", "an integer >= 1");
        }
        if self.warmup >= self.periods.max(1) {
            problems.push(
                "simulation.warmup",
                format!(
                    "fewer periods than simulation.periods ({}), got {}",
                    self.periods, self.warmup
                ),
            );
        }
        problems.positive("simulation.scale", self.scale);
        if self.replications < 1 {
            problems.push("simulation.replications", "an integer >= 1");
        }
    }
}

/// Seeds round-trip through TOML at any u64 value: TOML integers are i64, so
/// a seed above `i64::MAX` is written as a decimal string, and either form
/// (or a `0x` hexadecimal string) is read back.
mod seed_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(seed: &u64, s: S) -> Result<S::Ok, S::Error> {
        match i64::try_from(*seed) {
            Ok(v) => s.serialize_i64(v),
            Err(_) => s.serialize_str(&seed.to_string()),
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Integer(i64),
        Text(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let expected = "a seed: an integer in [0, 2^64), or one as a decimal or 0x string";
        match Written::deserialize(d).map_err(|_| serde::de::Error::custom(expected))? {
            Written::Integer(v) => u64::try_from(v).map_err(|_| serde::de::Error::custom(expected)),
            Written::Text(t) => {
                let t = t.trim();
                let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                    Some(hex) => u64::from_str_radix(hex, 16),
                    None => t.parse::<u64>(),
                };
                parsed.map_err(|_| serde::de::Error::custom(expected))
            }
        }
    }
}
