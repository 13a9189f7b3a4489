//! The lean kernel: a lower bound on the per-agent work of the paper model,
//! against which `tokensim bench` reports the engine.
//!
//! It does the model's random work and nothing else, in the least memory
//! the model allows:
//!
//! - one agent is two bytes: its type and a *state* byte holding how many
//!   times it has been paid (capped at the memory m) and the packed key of
//!   its last m rewards;
//! - one 64-bit draw per agent-step: the low 32 bits pick the reward from
//!   φ's alias table, the high 32 bits decide the departure;
//! - the next state and the departure threshold come from two tables built
//!   once — `next[reward][state]` and `threshold[type][state]` (u32 on the
//!   2³² scale) — so the loop has no branch but the compaction's store;
//! - the chunk is compacted in the same pass; chunks of
//!   [`CHUNK_CAPACITY`] agents run on rayon with keyed streams, as the
//!   engine's do.
//!
//! It records nothing: no counts, lifetime rewards, histograms or output.
//! It applies to paper models whose state fits a byte (bits per reward × m
//! plus the bits of m ≤ 8: up to 4 rewards with 3 periods of memory) and
//! that have no grace period and no token economy; [`LeanKernel::new`]
//! returns `None` otherwise. The 2⁻³² grain of its u32 thresholds (p = 1
//! leaves with probability 1 − 2⁻³²) does not matter for a timing.

use rand::RngCore;
use rayon::prelude::*;

use super::agents::{AgentStore, CHUNK_CAPACITY};
use super::rng::{Purpose, StreamKey};
use crate::model::{DepartureFn, HistoryLayout};
use crate::policy::RewardDistribution;

/// One chunk of lean agents.
struct LeanChunk {
    len: usize,
    type_id: Box<[u8]>,
    state: Box<[u8]>,
}

/// The lean kernel's agents and tables.
pub struct LeanKernel {
    chunks: Vec<LeanChunk>,
    /// `next[reward · 256 + state]`: the state after being paid `reward`.
    next: Vec<u8>,
    /// `threshold[type · 256 + state]`: leave when the high 32 random bits
    /// are below it (the state is the one after this period's payment).
    threshold: Vec<u32>,
}

impl LeanKernel {
    /// The lean kernel for the agents of `store`, or `None` when the model
    /// does not fit (see the module docs).
    pub(crate) fn new(
        store: &AgentStore,
        departures: &[DepartureFn],
        layout: HistoryLayout,
        rewards: usize,
    ) -> Option<Self> {
        let memory = departures.iter().map(DepartureFn::memory_len).max()?.max(1);
        let key_width = layout.bits() * memory as u32;
        let count_bits = usize::BITS - memory.leading_zeros();
        // Grace periods need the tenure, which a state byte does not keep.
        if key_width + count_bits > 8 || departures.iter().any(|d| d.grace_periods() > 0) {
            return None;
        }
        let key_mask = (1u32 << key_width) - 1;
        let state = |paid: usize, key: u32| ((paid as u32) << key_width | key) as u8;
        let mut next = vec![0u8; rewards * 256];
        let mut threshold = vec![0u32; departures.len() * 256];
        for paid in 0..=memory {
            for key in 0..=key_mask {
                let s = state(paid, key) as usize;
                for r in 0..rewards {
                    let key = ((key << layout.bits()) | r as u32) & key_mask;
                    next[r * 256 + s] = state((paid + 1).min(memory), key);
                }
                if paid == 0 {
                    continue;
                }
                for (k, d) in departures.iter().enumerate() {
                    let t = d.threshold(u64::from(key), paid as u32);
                    threshold[k * 256 + s] = t.min(u64::from(u32::MAX)) as u32;
                }
            }
        }
        let chunks = store
            .chunks
            .iter()
            .map(|c| {
                let mut chunk = LeanChunk {
                    len: c.len,
                    type_id: vec![0; CHUNK_CAPACITY].into_boxed_slice(),
                    state: vec![0; CHUNK_CAPACITY].into_boxed_slice(),
                };
                for i in 0..c.len {
                    chunk.type_id[i] = c.type_id[i];
                    let key = layout.key(c.history[i], memory) as u32;
                    chunk.state[i] = state((c.tenure[i] as usize).min(memory), key);
                }
                chunk
            })
            .collect();
        Some(LeanKernel {
            chunks,
            next,
            threshold,
        })
    }

    /// Agents present.
    pub fn population(&self) -> usize {
        self.chunks.iter().map(|c| c.len).sum()
    }

    /// One period: `arrivals[k]` newcomers of each type fill the first
    /// chunks with room, then every agent is paid from `phi`, may leave,
    /// and the chunks are compacted.
    pub(crate) fn step(
        &mut self,
        arrivals: &[u64],
        phi: &RewardDistribution,
        key: StreamKey,
        period: i64,
    ) {
        let mut c = 0;
        for (k, &count) in arrivals.iter().enumerate() {
            let mut left = count as usize;
            while left > 0 {
                if c == self.chunks.len() {
                    self.chunks.push(LeanChunk {
                        len: 0,
                        type_id: vec![0; CHUNK_CAPACITY].into_boxed_slice(),
                        state: vec![0; CHUNK_CAPACITY].into_boxed_slice(),
                    });
                }
                let chunk = &mut self.chunks[c];
                let take = left.min(CHUNK_CAPACITY - chunk.len);
                chunk.type_id[chunk.len..chunk.len + take].fill(k as u8);
                chunk.state[chunk.len..chunk.len + take].fill(0);
                chunk.len += take;
                left -= take;
                if chunk.len == CHUNK_CAPACITY {
                    c += 1;
                }
            }
        }
        let (next, threshold) = (&self.next[..], &self.threshold[..]);
        self.chunks
            .par_iter_mut()
            .enumerate()
            .with_max_len(super::simulation::CHUNKS_PER_PIECE)
            .for_each(|(c, chunk)| {
                let mut rng = key.stream(Purpose::AgentStep, period, c as u64);
                let mut kept = 0;
                for i in 0..chunk.len {
                    let bits = rng.next_u64();
                    let r = phi.sample_bits(bits as u32) as usize;
                    let k = chunk.type_id[i];
                    let s = next[(r << 8) | chunk.state[i] as usize];
                    let stays = ((bits >> 32) as u32 >= threshold[((k as usize) << 8) | s as usize])
                        as usize;
                    chunk.type_id[kept] = k;
                    chunk.state[kept] = s;
                    kept += stays;
                }
                chunk.len = kept;
            });
    }
}
