//! Keyed random streams.
//!
//! Every random number is drawn from a stream identified by (seed,
//! replication, purpose, period, lane) — never from a generator shared
//! between threads — so the draws an agent sees do not depend on which thread
//! runs it or in which order chunks are scheduled. A stream is a
//! Xoshiro256++ generator seeded by hashing its key with SplitMix64.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator behind every stream.
pub type StreamRng = Xoshiro256PlusPlus;

/// What a stream is used for; part of its key so that streams never overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Arrival counts of one period.
    Arrivals = 1,
    /// Rewards and departures of one chunk of agents in one period.
    AgentStep = 2,
    /// The initial population of one type.
    InitialPopulation = 3,
    /// Random choices a policy makes for the whole market.
    Policy = 4,
    /// An operator model's draws (lane: its source index).
    Operators = 5,
}

/// The part of a stream's key fixed for one simulation run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamKey {
    /// Root seed.
    pub seed: u64,
    /// Replication index.
    pub replication: u64,
}

impl StreamKey {
    /// The stream for `purpose` in `period` on `lane` (a chunk or type index).
    pub fn stream(&self, purpose: Purpose, period: i64, lane: u64) -> StreamRng {
        let mut h = splitmix64(self.seed ^ 0x7f4a_7c15_9e37_79b9);
        for word in [self.replication, purpose as u64, period as u64, lane] {
            h = splitmix64(h ^ word);
        }
        StreamRng::seed_from_u64(h)
    }
}

/// SplitMix64's finalizer: a bijective 64-bit mix.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_differ_by_every_key_part() {
        let key = StreamKey {
            seed: 1,
            replication: 0,
        };
        let draw = |mut r: StreamRng| r.random::<u64>();
        let base = draw(key.stream(Purpose::AgentStep, 3, 7));
        assert_eq!(base, draw(key.stream(Purpose::AgentStep, 3, 7)));
        assert_ne!(base, draw(key.stream(Purpose::AgentStep, 3, 8)));
        assert_ne!(base, draw(key.stream(Purpose::AgentStep, 4, 7)));
        assert_ne!(base, draw(key.stream(Purpose::Arrivals, 3, 7)));
        let other = StreamKey {
            seed: 1,
            replication: 1,
        };
        assert_ne!(base, draw(other.stream(Purpose::AgentStep, 3, 7)));
    }
}
