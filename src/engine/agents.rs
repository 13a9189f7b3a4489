//! Structure-of-arrays agent storage in fixed-capacity chunks.
//!
//! Agents live in chunks of [`CHUNK_CAPACITY`] slots. Each chunk is stepped
//! by one task (rayon spreads chunks over threads) with its own keyed random
//! stream, and compacts itself in place as agents leave, so no agent ever
//! moves between chunks and no per-period allocation or global copy is
//! needed. Arrivals fill the first chunks that have room, in type order; a
//! new chunk is allocated only when all are full (population growth).
//! Because chunk boundaries depend only on the history of arrivals and
//! departures, never on threads, results are identical for any thread count.

use serde::{Deserialize, Serialize};

/// Slots per chunk: small enough to sit in L2 cache, large enough that
/// per-chunk overheads (seeding a stream, a task) are negligible.
pub const CHUNK_CAPACITY: usize = 2048;

/// One chunk of agents, stored column by column.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentChunk {
    pub(crate) len: usize,
    /// Type index k of each agent.
    pub(crate) type_id: Vec<u8>,
    /// Reward indices paid, newest first, packed by `model::HistoryLayout`.
    pub(crate) history: Vec<u64>,
    /// Periods paid so far.
    pub(crate) tenure: Vec<u32>,
    /// Total reward paid over the stay; NaN for agents that arrived before
    /// period 0 (their history before the run is unknown).
    pub(crate) lifetime_reward: Vec<f64>,
    /// Per-agent policy state, `state_width` floats per agent.
    pub(crate) policy_state: Vec<f32>,
    pub(crate) state_width: usize,
    /// Scratch: this period's reward index of each agent (per-agent plans).
    pub(crate) rewards: Vec<u8>,
    /// Token balance (token economy only; empty otherwise).
    pub(crate) balance: Vec<u64>,
    /// Arrivals placed here for the coming step, as (type, count) runs.
    pub(crate) incoming: Vec<(u8, u32)>,
    pub(crate) incoming_total: usize,
}

impl AgentChunk {
    fn new(types: usize, state_width: usize, balances: bool) -> Self {
        AgentChunk {
            balance: if balances {
                vec![0; CHUNK_CAPACITY]
            } else {
                Vec::new()
            },
            len: 0,
            type_id: vec![0; CHUNK_CAPACITY],
            history: vec![0; CHUNK_CAPACITY],
            tenure: vec![0; CHUNK_CAPACITY],
            lifetime_reward: vec![0.0; CHUNK_CAPACITY],
            policy_state: vec![0.0; CHUNK_CAPACITY * state_width],
            state_width,
            rewards: vec![0; CHUNK_CAPACITY],
            incoming: Vec::with_capacity(types),
            incoming_total: 0,
        }
    }

    /// Agents currently stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the chunk holds no agent.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn room(&self) -> usize {
        CHUNK_CAPACITY - self.len - self.incoming_total
    }

    /// Moves the placed arrivals into the columns, initialised as newcomers
    /// who have not been paid yet. `lifetime` is 0, or NaN before period 0.
    pub(crate) fn admit_incoming(&mut self, lifetime: f64) {
        for &(k, count) in &self.incoming {
            let range = self.len..self.len + count as usize;
            self.type_id[range.clone()].fill(k);
            self.history[range.clone()].fill(0);
            self.tenure[range.clone()].fill(0);
            self.lifetime_reward[range.clone()].fill(lifetime);
            let w = self.state_width;
            self.policy_state[range.start * w..range.end * w].fill(0.0);
            if !self.balance.is_empty() {
                self.balance[range.clone()].fill(0);
            }
            self.len = range.end;
        }
        self.incoming.clear();
        self.incoming_total = 0;
    }

    /// Writes the updated agent read from slot `from` into slot `to` ≤ `from`
    /// (in-place compaction), moving its policy state along.
    #[inline]
    pub(crate) fn keep(
        &mut self,
        from: usize,
        to: usize,
        type_id: u8,
        history: u64,
        tenure: u32,
        lifetime: f64,
    ) {
        self.type_id[to] = type_id;
        self.history[to] = history;
        self.tenure[to] = tenure;
        self.lifetime_reward[to] = lifetime;
        let w = self.state_width;
        if w > 0 && to != from {
            self.policy_state
                .copy_within(from * w..(from + 1) * w, to * w);
        }
    }

    /// Appends one agent directly (initial population).
    pub(crate) fn push(
        &mut self,
        type_id: u8,
        history: u64,
        tenure: u32,
        lifetime: f64,
        balance: u64,
    ) {
        let i = self.len;
        if !self.balance.is_empty() {
            self.balance[i] = balance;
        }
        self.type_id[i] = type_id;
        self.history[i] = history;
        self.tenure[i] = tenure;
        self.lifetime_reward[i] = lifetime;
        let w = self.state_width;
        self.policy_state[i * w..(i + 1) * w].fill(0.0);
        self.len += 1;
    }
}

/// All agents of one simulation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentStore {
    pub(crate) chunks: Vec<AgentChunk>,
    types: usize,
    state_width: usize,
    balances: bool,
    /// First chunk that may have room, for [`AgentStore::push`].
    cursor: usize,
}

impl AgentStore {
    /// True when `other` stores agents of the same shape (types, policy
    /// state width, balances), as a checkpoint must.
    pub fn same_layout(&self, other: &AgentStore) -> bool {
        self.types == other.types
            && self.state_width == other.state_width
            && self.balances == other.balances
            && other.chunks.iter().all(|c| {
                c.len <= CHUNK_CAPACITY
                    && c.type_id.len() == CHUNK_CAPACITY
                    && c.history.len() == CHUNK_CAPACITY
                    && c.tenure.len() == CHUNK_CAPACITY
                    && c.lifetime_reward.len() == CHUNK_CAPACITY
                    && c.rewards.len() == CHUNK_CAPACITY
                    && c.policy_state.len() == CHUNK_CAPACITY * self.state_width
                    && c.balance.len() == if self.balances { CHUNK_CAPACITY } else { 0 }
                    && c.type_id[..c.len]
                        .iter()
                        .all(|&k| (k as usize) < self.types)
            })
    }

    /// An empty store for `types` types and `state_width` policy floats per
    /// agent, with a token-balance column when `balances`.
    pub fn new(types: usize, state_width: usize, balances: bool) -> Self {
        AgentStore {
            chunks: Vec::new(),
            types,
            state_width,
            balances,
            cursor: 0,
        }
    }

    /// Agents currently stored.
    pub fn population(&self) -> usize {
        self.chunks.iter().map(|c| c.len).sum()
    }

    /// Σ balances of the agents present, and per type the balances (token economy).
    pub fn balances(&self) -> impl Iterator<Item = (u8, u64)> + '_ {
        self.chunks.iter().flat_map(|c| {
            c.type_id[..c.len]
                .iter()
                .copied()
                .zip(c.balance.iter().copied())
        })
    }

    /// Chunks in use.
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// Reserves chunks for about `agents` agents up front.
    pub fn reserve(&mut self, agents: usize) {
        let wanted = agents.div_ceil(CHUNK_CAPACITY);
        while self.chunks.len() < wanted {
            self.chunks
                .push(AgentChunk::new(self.types, self.state_width, self.balances));
        }
    }

    /// Places `counts[k]` arrivals of each type into the first chunks with
    /// room, in type order; they join when each chunk is next stepped.
    pub fn place_arrivals(&mut self, counts: &[u64]) {
        let mut chunk = 0;
        for (k, &count) in counts.iter().enumerate() {
            let mut left = count as usize;
            while left > 0 {
                if chunk == self.chunks.len() {
                    self.chunks
                        .push(AgentChunk::new(self.types, self.state_width, self.balances));
                }
                let c = &mut self.chunks[chunk];
                let take = left.min(c.room());
                if take > 0 {
                    c.incoming.push((k as u8, take as u32));
                    c.incoming_total += take;
                    left -= take;
                }
                if c.room() == 0 {
                    chunk += 1;
                }
            }
        }
    }

    /// Appends one agent to the first chunk with room (initial population).
    pub(crate) fn push(
        &mut self,
        type_id: u8,
        history: u64,
        tenure: u32,
        lifetime: f64,
        balance: u64,
    ) {
        while self.cursor < self.chunks.len() && self.chunks[self.cursor].room() == 0 {
            self.cursor += 1;
        }
        if self.cursor == self.chunks.len() {
            self.chunks
                .push(AgentChunk::new(self.types, self.state_width, self.balances));
        }
        self.chunks[self.cursor].push(type_id, history, tenure, lifetime, balance);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_fill_chunks_in_order() {
        let mut store = AgentStore::new(2, 0, false);
        store.place_arrivals(&[CHUNK_CAPACITY as u64 + 5, 3]);
        assert_eq!(store.chunk_count(), 2);
        assert_eq!(store.chunks[0].incoming, vec![(0, CHUNK_CAPACITY as u32)]);
        assert_eq!(store.chunks[1].incoming, vec![(0, 5), (1, 3)]);
        for c in &mut store.chunks {
            c.admit_incoming(0.0);
        }
        assert_eq!(store.population(), CHUNK_CAPACITY + 8);
    }
}
