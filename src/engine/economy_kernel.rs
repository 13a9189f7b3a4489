//! The per-chunk step with the token economy (model.md B.1–B.4): the same
//! pay / depart / compact pass as the paper kernel, plus per agent: tasks,
//! tokens earned and credited, shopping visits with the affordable-set
//! logit, and balances forfeited or kept on departure.

use rand::Rng;

use super::agents::AgentChunk;
use super::kernel::{begin_period, pay, Paid, StepInputs};
use super::poisson::SmallPoisson;
use super::rng::StreamRng;
use super::tally::PeriodTally;
use crate::config::DepartureSignal;
use crate::record::LeaverHistograms;

/// The mall as it stands this period: goods on sale ordered by token price,
/// with cumulative logit attractions, so that the affordable set of a
/// balance is a prefix found by binary search.
#[derive(Debug, Clone, Default)]
pub(crate) struct MallView {
    /// Goods on sale, cheapest first.
    pub order: Vec<usize>,
    /// Their token prices.
    pub prices: Vec<u64>,
    /// Σ attractions of order[0..=i].
    pub cumulative: Vec<f64>,
    /// Whether each good (by index) is real.
    pub real: Vec<bool>,
    /// w_0.
    pub no_purchase: f64,
}

impl MallView {
    /// The next purchase within `visits` visits with `balance` tokens: how
    /// many visits it took and the good bought (index into `order`).
    ///
    /// Each visit buys with probability q = S/(w_0 + S), S the affordable
    /// goods' total attraction, which only changes when the balance does —
    /// at a purchase. So the visits up to the next purchase are Geometric(q)
    /// and the good is drawn in proportion to attraction: exactly the
    /// visit-by-visit logit, with two random draws per purchase instead of
    /// one per visit.
    #[inline]
    fn next_purchase(
        &self,
        balance: u64,
        visits: u64,
        rng: &mut StreamRng,
    ) -> Option<(u64, usize)> {
        if visits == 0 {
            return None;
        }
        let affordable = self.prices.partition_point(|&p| p <= balance);
        if affordable == 0 {
            return None;
        }
        let attraction = self.cumulative[affordable - 1];
        let q = attraction / (self.no_purchase + attraction);
        let used = if q >= 1.0 {
            1
        } else {
            // Inverse transform of Geometric(q) on {1, 2, …}; u ∈ (0, 1].
            let u = 1.0 - rng.random::<f64>();
            let tries = 1.0 + (u.ln() / (-q).ln_1p()).floor();
            if tries.is_nan() || tries > visits as f64 {
                return None;
            }
            tries as u64
        };
        let target = rng.random::<f64>() * attraction;
        let i = self.cumulative[..affordable]
            .partition_point(|&c| c <= target)
            .min(affordable - 1);
        Some((used, i))
    }
}

/// Per-period inputs of the economy.
pub(crate) struct EconomyInputs<'a> {
    pub mall: &'a MallView,
    /// Tasks per agent of each type.
    pub tasks: &'a [Option<SmallPoisson>],
    /// Shopping visits per agent of each type.
    pub visits: &'a [Option<SmallPoisson>],
    pub issuance_rate: f64,
    pub signals: &'a [DepartureSignal],
    pub forfeit: bool,
}

/// x rounded to an integer at random so that the expectation is x.
#[inline]
fn stochastic_round(x: f64, rng: &mut StreamRng) -> u64 {
    let floor = x.floor();
    let frac = x - floor;
    floor as u64 + u64::from(frac > 0.0 && rng.random::<f64>() < frac)
}

/// Steps one chunk through the period with the token economy.
pub(crate) fn step_chunk_economy(
    chunk: &mut AgentChunk,
    inputs: &StepInputs<'_>,
    economy: &EconomyInputs<'_>,
    rng: &mut StreamRng,
    tally: &mut PeriodTally,
    mut leavers: Option<&mut LeaverHistograms>,
) {
    let shared = begin_period(chunk, inputs, rng);
    let len = chunk.len;
    let m = inputs.rewards.len();
    let mut kept = 0;
    for i in 0..len {
        let Paid {
            k,
            reward: reward_value,
            history,
            tenure,
            lifetime,
        } = pay(chunk, i, shared, inputs, m, rng, tally);

        // Work and issuance: the reward is paid in tokens on top.
        let tasks = economy.tasks[k].as_ref().map_or(0, |d| d.sample(rng));
        let credited = stochastic_round(economy.issuance_rate * tasks as f64, rng)
            + stochastic_round(reward_value, rng);
        let mut balance = chunk.balance[i] + credited;
        tally.tasks += tasks;
        tally.issuance += credited;
        if let Some(l) = leavers.as_deref_mut() {
            l.record_credited(k, credited);
        }

        // Shopping: at each visit the courier buys one of the goods its
        // balance affords, or nothing, by the logit (see `next_purchase`).
        let visits = economy.visits[k].as_ref().map_or(0, |d| d.sample(rng));
        let mut visits_left = visits;
        while let Some((used, pick)) = economy.mall.next_purchase(balance, visits_left, rng) {
            visits_left -= used;
            let (good, price) = (economy.mall.order[pick], economy.mall.prices[pick]);
            balance -= price;
            tally.sales[good] += 1;
            if economy.mall.real[good] {
                tally.redeemed_real += price;
            } else {
                tally.redeemed_virtual += price;
            }
        }

        let p = match economy.signals[k] {
            DepartureSignal::Reward => inputs.departures[k].probability(history, tenure),
            DepartureSignal::Credited => {
                if tenure <= inputs.departures[k].grace_periods() {
                    0.0
                } else {
                    inputs.departures[k]
                        .at_value(credited as f64)
                        .unwrap_or(0.0)
                }
            }
        };
        let leaves = p >= 1.0 || (p > 0.0 && rng.random::<f64>() < p);
        if leaves {
            tally.departures[k] += 1;
            if economy.forfeit {
                tally.forfeited += balance;
            } else {
                tally.departed_balances += balance;
            }
            if let Some(l) = leavers.as_deref_mut() {
                if !lifetime.is_nan() {
                    l.record(k, lifetime, tenure);
                }
            }
        } else {
            chunk.keep(i, kept, k as u8, history, tenure, lifetime);
            chunk.balance[kept] = balance;
            kept += 1;
        }
    }
    chunk.len = kept;
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn purchases_follow_the_visit_by_visit_logit() {
        let mall = MallView {
            order: vec![0, 1],
            prices: vec![10, 100],
            cumulative: vec![1.0, 3.0],
            real: vec![false, true],
            no_purchase: 1.0,
        };
        let mut rng = StreamRng::seed_from_u64(1);
        assert_eq!(mall.next_purchase(5, 10, &mut rng), None);
        // With a balance that never binds, 4 visits buy Binomial(4, 3/4)
        // goods, 1/3 of them the first and 2/3 the second.
        let (n, visits) = (100_000, 4u64);
        let (mut bought, mut first) = (0u64, 0u64);
        for _ in 0..n {
            let mut left = visits;
            while let Some((used, pick)) = mall.next_purchase(1_000_000, left, &mut rng) {
                left -= used;
                bought += 1;
                first += u64::from(pick == 0);
            }
        }
        let mean = bought as f64 / n as f64;
        let se = (visits as f64 * 0.75 * 0.25 / n as f64).sqrt();
        assert!((mean - 3.0).abs() < 4.0 * se, "purchases per agent {mean}");
        let share = first as f64 / bought as f64;
        assert!(
            (share - 1.0 / 3.0).abs() < 4.0 * (2.0 / 9.0 / bought as f64).sqrt(),
            "share {share}"
        );
    }
}
