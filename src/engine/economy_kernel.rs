//! The per-chunk step with the token economy (model.md B.1–B.4): the same
//! pay / depart / compact pass as the paper kernel, plus per agent: tasks,
//! tokens earned and credited, shopping visits with the affordable-set
//! logit, and balances forfeited or kept on departure.

use rand::Rng;
use rand_distr::{Distribution, Poisson};

use super::agents::AgentChunk;
use super::kernel::{begin_period, pay, Paid, StepInputs};
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
    /// One visit with `balance` tokens: the good bought, if any.
    #[inline]
    fn choose(&self, balance: u64, rng: &mut StreamRng) -> Option<usize> {
        let affordable = self.prices.partition_point(|&p| p <= balance);
        if affordable == 0 {
            return None;
        }
        let total = self.no_purchase + self.cumulative[affordable - 1];
        let u = rng.random::<f64>() * total;
        if u < self.no_purchase {
            return None;
        }
        let target = u - self.no_purchase;
        let i = self.cumulative[..affordable]
            .partition_point(|&c| c <= target)
            .min(affordable - 1);
        Some(i)
    }
}

/// Per-period inputs of the economy.
pub(crate) struct EconomyInputs<'a> {
    pub mall: &'a MallView,
    /// Tasks per agent of each type.
    pub tasks: &'a [Option<Poisson<f64>>],
    /// Shopping visits per agent of each type.
    pub visits: &'a [Option<Poisson<f64>>],
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
        let tasks = economy.tasks[k]
            .as_ref()
            .map_or(0, |d| d.sample(rng) as u64);
        let credited = stochastic_round(economy.issuance_rate * tasks as f64, rng)
            + stochastic_round(reward_value, rng);
        let mut balance = chunk.balance[i] + credited;
        tally.tasks += tasks;
        tally.issuance += credited;
        if let Some(l) = leavers.as_deref_mut() {
            if let Some(h) = l.credited.get_mut(k) {
                h.saturating_record(credited);
            }
        }

        // Shopping: each visit chooses among the goods the balance affords.
        let visits = economy.visits[k]
            .as_ref()
            .map_or(0, |d| d.sample(rng) as u64);
        for _ in 0..visits {
            let Some(pick) = economy.mall.choose(balance, rng) else {
                continue;
            };
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
    fn logit_choice_over_the_affordable_prefix() {
        let mall = MallView {
            order: vec![0, 1],
            prices: vec![10, 100],
            cumulative: vec![1.0, 3.0],
            real: vec![false, true],
            no_purchase: 1.0,
        };
        let mut rng = StreamRng::seed_from_u64(1);
        assert_eq!(mall.choose(5, &mut rng), None);
        let n = 100_000;
        let (mut first, mut second) = (0, 0);
        for _ in 0..n {
            match mall.choose(1_000, &mut rng) {
                Some(0) => first += 1,
                Some(1) => second += 1,
                _ => {}
            }
        }
        // P = w_j / (w_0 + Σ w): 1/4 and 2/4, within 4 standard errors.
        let se = (0.25f64 * 0.75 / n as f64).sqrt();
        assert!((first as f64 / n as f64 - 0.25).abs() < 4.0 * se);
        assert!((second as f64 / n as f64 - 0.5).abs() < 4.0 * (0.25f64 / n as f64).sqrt());
    }
}
