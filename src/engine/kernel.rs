//! The per-chunk step: pay, decide departures, compact. The hot loop, one
//! for both models: the token economy's per-agent work (tasks, credit,
//! shopping) plugs in between payment and departure as an [`AgentWork`].
//!
//! One pass over the chunk's columns: every agent present is paid (model.md
//! A.1 step 2), decides whether to leave (step 3), and if it stays is written
//! back at the next free slot, so the chunk is compacted in the same pass.
//! No allocation, no locking, no dynamic dispatch per agent.
//!
//! Each agent-step draws one 64-bit random number: its low 32 bits pick the
//! reward from φ's alias table, its high 32 bits decide the departure
//! against the departure function's threshold on the 2³² scale (see
//! [`crate::model::departure_threshold`]). The two halves are
//! independent, so the draws have the model's distribution exactly, up to
//! the 2⁻³² grain of the thresholds.

use rand::RngCore;

use super::agents::{AgentChunk, CHUNK_CAPACITY};
use super::rng::StreamRng;
use super::tally::PeriodTally;
use crate::model::{DepartureFn, DepartureThresholds, HistoryLayout};
use crate::policy::{AgentRewardView, RewardDistribution, RewardPlan, RewardPolicy};
use crate::record::LeaverHistograms;

/// Read-only inputs of one period's step, shared by all chunks.
pub(crate) struct StepInputs<'a> {
    pub period: i64,
    pub rewards: &'a [f64],
    pub departures: &'a [DepartureFn],
    /// The same departure functions as one flat table, when small enough.
    pub thresholds: Option<&'a DepartureThresholds>,
    pub layout: HistoryLayout,
    pub plan: RewardPlan<'a>,
    pub policy: &'a dyn RewardPolicy,
    /// Lifetime reward given to newcomers: 0, or NaN before period 0.
    pub newcomer_lifetime: f64,
}

impl StepInputs<'_> {
    /// The departure threshold of an agent of type `k` after this period's
    /// payment (see [`DepartureFn::threshold`]).
    #[inline(always)]
    pub fn threshold(&self, k: usize, history: u64, tenure: u32) -> u64 {
        match self.thresholds {
            Some(table) => table.get(k, history, tenure),
            None => self.departures[k].threshold(history, tenure),
        }
    }
}

/// What a kernel does for one agent between its payment and its departure
/// draw. The paper model does nothing there (its threshold is the departure
/// function's); the token economy has the agent work, be credited and shop.
/// The loops around it — pay, draw the departure, compact, count the
/// leavers — are written once, in [`step_agents`] and
/// [`reference_step_agents`], for both models.
pub(crate) trait AgentWork {
    /// Agents carry a token balance (the balance column is compacted too).
    const BALANCES: bool;

    /// The full kernel's work for agent `i`, paid `paid` (its counts go to
    /// `tally` and `leavers`): its departure threshold on the 2³² scale and
    /// its balance after the period.
    #[allow(clippy::too_many_arguments)]
    fn work(
        &self,
        inputs: &StepInputs<'_>,
        chunk: &AgentChunk,
        i: usize,
        paid: &Paid,
        rng: &mut StreamRng,
        tally: &mut PeriodTally,
        leavers: Option<&mut LeaverHistograms>,
    ) -> (u64, u64);

    /// The reference kernel's: the same draws for agent `i` of type `k`,
    /// paid reward index `index`, with no counts.
    #[allow(clippy::too_many_arguments)]
    fn bare(
        &self,
        inputs: &StepInputs<'_>,
        chunk: &AgentChunk,
        i: usize,
        k: usize,
        index: u8,
        history: u64,
        tenure: u32,
        rng: &mut StreamRng,
    ) -> (u64, u64);

    /// The balances of this pass's leavers, summed: forfeited or kept as a
    /// liability.
    fn left(&self, _balances: u64, _tally: &mut PeriodTally) {}
}

/// The paper model's work: none; the departure function decides.
pub(crate) struct PaperWork;

impl AgentWork for PaperWork {
    const BALANCES: bool = false;

    #[inline(always)]
    fn work(
        &self,
        inputs: &StepInputs<'_>,
        _: &AgentChunk,
        _: usize,
        paid: &Paid,
        _: &mut StreamRng,
        _: &mut PeriodTally,
        _: Option<&mut LeaverHistograms>,
    ) -> (u64, u64) {
        (inputs.threshold(paid.k, paid.history, paid.tenure), 0)
    }

    #[inline(always)]
    fn bare(
        &self,
        inputs: &StepInputs<'_>,
        _: &AgentChunk,
        _: usize,
        k: usize,
        _: u8,
        history: u64,
        tenure: u32,
        _: &mut StreamRng,
    ) -> (u64, u64) {
        (inputs.threshold(k, history, tenure), 0)
    }
}

/// Steps one chunk of the paper model through the period; counts go to
/// `tally`, departures of agents that arrived during the run to `leavers`
/// (when given).
pub(crate) fn step_chunk(
    chunk: &mut AgentChunk,
    inputs: &StepInputs<'_>,
    rng: &mut StreamRng,
    tally: &mut PeriodTally,
    leavers: Option<&mut LeaverHistograms>,
) {
    step_agents(chunk, inputs, rng, tally, leavers, &PaperWork);
}

/// The step loop of one chunk, for either model: admit the arrivals, then
/// for every agent present one 64-bit draw — its low half picks the reward
/// ([`pay`]), its high half decides the departure against the threshold
/// `work` returns — and compaction in the same pass.
#[inline(always)]
pub(crate) fn step_agents<W: AgentWork>(
    chunk: &mut AgentChunk,
    inputs: &StepInputs<'_>,
    rng: &mut StreamRng,
    tally: &mut PeriodTally,
    leavers: Option<&mut LeaverHistograms>,
    work: &W,
) {
    let shared = begin_period(chunk, inputs, rng);
    // The note buffer of the leavers is the thread's own, reused from chunk
    // to chunk (zeroing 26 KiB per chunk and period would cost more than
    // the notes).
    DEPARTED.with_borrow_mut(|gone| {
        pass(chunk, shared, inputs, rng, tally, leavers, work, gone);
    });
}

/// The pass of [`step_agents`] over the agents present. Kept out of line,
/// with its references as arguments, so that the compiler knows they do not
/// alias (inside the closure that lends the buffer it would not).
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn pass<W: AgentWork>(
    chunk: &mut AgentChunk,
    shared: Option<&RewardDistribution>,
    inputs: &StepInputs<'_>,
    rng: &mut StreamRng,
    tally: &mut PeriodTally,
    mut leavers: Option<&mut LeaverHistograms>,
    work: &W,
    gone: &mut Departed,
) {
    let len = chunk.len;
    let m = inputs.rewards.len();
    // Leavers are noted here and counted after the pass, so that the pass
    // has no branch on the (unpredictable) departure: every agent is
    // written at the next free slot, and the slot is kept only if it stays.
    gone.len = 0;
    let mut left_balances = 0u64;
    let mut kept = 0;
    for i in 0..len {
        let bits = rng.next_u64();
        let paid = pay(chunk, i, shared, inputs, m, bits as u32, tally);
        let (threshold, balance) =
            work.work(inputs, chunk, i, &paid, rng, tally, leavers.as_deref_mut());
        let leaves = (bits >> 32) < threshold;
        gone.note(paid.k as u8, paid.tenure, paid.lifetime);
        gone.len += leaves as usize;
        chunk.keep(
            i,
            kept,
            paid.k as u8,
            paid.history,
            paid.tenure,
            paid.lifetime,
        );
        if W::BALANCES {
            chunk.balance[kept] = balance;
            left_balances += balance * leaves as u64;
        }
        kept += !leaves as usize;
    }
    chunk.len = kept;
    work.left(left_balances, tally);
    for j in 0..gone.len {
        let k = gone.type_id[j] as usize;
        tally.departures[k] += 1;
        if let Some(l) = leavers.as_deref_mut() {
            if !gone.lifetime[j].is_nan() {
                l.record(k, gone.lifetime[j], gone.tenure[j]);
            }
        }
    }
}

thread_local! {
    /// Each worker thread's buffer of the leavers of the chunk it steps.
    static DEPARTED: std::cell::RefCell<Box<Departed>> = std::cell::RefCell::new(Box::new(Departed::new()));
}

/// The agents that left a chunk in this pass (on the stack: 26 KiB).
struct Departed {
    len: usize,
    type_id: [u8; CHUNK_CAPACITY],
    tenure: [u32; CHUNK_CAPACITY],
    lifetime: [f64; CHUNK_CAPACITY],
}

impl Departed {
    #[inline(always)]
    fn new() -> Self {
        Departed {
            len: 0,
            type_id: [0; CHUNK_CAPACITY],
            tenure: [0; CHUNK_CAPACITY],
            lifetime: [0.0; CHUNK_CAPACITY],
        }
    }

    /// Writes an agent at the next entry, which counts only if `len` is
    /// then advanced (the agent left).
    #[inline(always)]
    fn note(&mut self, type_id: u8, tenure: u32, lifetime: f64) {
        // `len` < CHUNK_CAPACITY while agents remain: at most one entry
        // per agent of the chunk.
        let j = self.len.min(CHUNK_CAPACITY - 1);
        self.type_id[j] = type_id;
        self.tenure[j] = tenure;
        self.lifetime[j] = lifetime;
    }
}

/// What paying one agent produced.
pub(crate) struct Paid {
    /// Its type.
    pub k: usize,
    /// The reward value paid.
    pub reward: f64,
    /// Its history with this period's reward.
    pub history: u64,
    /// Periods paid, this one included.
    pub tenure: u32,
    /// Lifetime reward, this period's included.
    pub lifetime: f64,
}

/// Pays agent `i` (model.md A.1 step 2) from φ_t — drawn with the 32
/// random bits `bits` — or its per-agent reward, and counts it.
#[inline(always)]
pub(crate) fn pay(
    chunk: &AgentChunk,
    i: usize,
    shared: Option<&RewardDistribution>,
    inputs: &StepInputs<'_>,
    m: usize,
    bits: u32,
    tally: &mut PeriodTally,
) -> Paid {
    let k = chunk.type_id[i] as usize;
    let index = match shared {
        Some(phi) => phi.sample_bits(bits),
        None => chunk.rewards[i],
    };
    let reward = inputs.rewards[index as usize];
    tally.active[k] += 1;
    tally.reward_counts[k * m + index as usize] += 1;
    if !tally.pair_counts.is_empty() && chunk.tenure[i] > 0 {
        // Appendix G: veterans by (now, before); empty (never taken) for
        // memoryless models, so the branch is predicted.
        let before = inputs.layout.get(chunk.history[i], 0);
        tally.pair_counts[(k * m + index as usize) * m + before] += 1;
    }
    Paid {
        k,
        reward,
        history: inputs.layout.push(chunk.history[i], index),
        tenure: chunk.tenure[i] + 1,
        lifetime: chunk.lifetime_reward[i] + reward,
    }
}

/// Admits the period's arrivals and, for a per-agent plan, asks the policy
/// for every agent's reward; returns φ_t for a shared plan.
pub(crate) fn begin_period<'a>(
    chunk: &mut AgentChunk,
    inputs: &StepInputs<'a>,
    rng: &mut StreamRng,
) -> Option<&'a RewardDistribution> {
    chunk.admit_incoming(inputs.newcomer_lifetime);
    let len = chunk.len;
    match inputs.plan {
        RewardPlan::Shared(phi) => Some(phi),
        RewardPlan::PerAgent => {
            let w = chunk.state_width;
            let view = AgentRewardView {
                period: inputs.period,
                tenure: &chunk.tenure[..len],
                history: &chunk.history[..len],
                layout: inputs.layout,
                state: &mut chunk.policy_state[..len * w],
            };
            inputs
                .policy
                .assign_rewards(view, &mut chunk.rewards[..len], rng);
            None
        }
    }
}

/// The bare kernel of the paper model: the engine's per-agent draws on its
/// own columns with no counts (see [`reference_step_agents`]). Benchmarks
/// measure the full kernel against it.
pub(crate) fn reference_step_chunk(
    chunk: &mut AgentChunk,
    phi: &RewardDistribution,
    inputs: &StepInputs<'_>,
    rng: &mut StreamRng,
) {
    reference_step_agents(chunk, phi, inputs, rng, &PaperWork);
}

/// The reference loop, for either model: pay from φ, push the history, do
/// `work`'s draws, look the threshold up as the full loop does, decide the
/// departure, compact — with no counts, no lifetime rewards, no
/// histograms: the least per-agent work the model needs.
#[inline(always)]
pub(crate) fn reference_step_agents<W: AgentWork>(
    chunk: &mut AgentChunk,
    phi: &RewardDistribution,
    inputs: &StepInputs<'_>,
    rng: &mut StreamRng,
    work: &W,
) {
    chunk.admit_incoming(0.0);
    let mut kept = 0;
    for i in 0..chunk.len {
        let bits = rng.next_u64();
        let k = chunk.type_id[i];
        let index = phi.sample_bits(bits as u32);
        let history = inputs.layout.push(chunk.history[i], index);
        let tenure = chunk.tenure[i] + 1;
        let (threshold, balance) =
            work.bare(inputs, chunk, i, k as usize, index, history, tenure, rng);
        if (bits >> 32) >= threshold {
            chunk.type_id[kept] = k;
            chunk.history[kept] = history;
            chunk.tenure[kept] = tenure;
            if W::BALANCES {
                chunk.balance[kept] = balance;
            }
            kept += 1;
        }
    }
    chunk.len = kept;
}
