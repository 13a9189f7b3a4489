//! The per-chunk step with the token economy (model.md B.1–B.4): the same
//! pay / depart / compact pass as the paper kernel, plus per agent: tasks,
//! tokens earned and credited, shopping visits with the affordable-set
//! logit, and balances forfeited or kept on departure.

use rand::Rng;
use rand_distr::Exp1;

use super::agents::AgentChunk;
use super::kernel::{reference_step_agents, step_agents, AgentWork, Paid, StepInputs};
use super::poisson::SmallPoisson;
use super::rng::StreamRng;
use super::tally::PeriodTally;
use crate::model::{departure_threshold, DepartureSignal};
use crate::policy::RewardDistribution;
use crate::record::LeaverHistograms;

/// The mall as it stands this period: goods on sale ordered by token price,
/// with cumulative logit attractions, so that the affordable set of a
/// balance is a prefix, and each type's purchase rate for each prefix.
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
    /// ν_k, shopping visits per period of each type.
    pub visit_rates: Vec<f64>,
    /// ν_k · q(a) for type k and the `a` cheapest goods affordable, at
    /// `k * (order.len() + 1) + a`: the rate of purchases per period.
    pub purchase_rates: Vec<f64>,
}

impl MallView {
    /// Fills `purchase_rates` from `cumulative`, `no_purchase` and
    /// `visit_rates` (after the goods on sale change).
    pub fn tabulate_rates(&mut self) {
        self.purchase_rates.clear();
        for &nu in &self.visit_rates {
            self.purchase_rates.push(0.0);
            for &attraction in &self.cumulative {
                let q = attraction / (self.no_purchase + attraction);
                self.purchase_rates.push(if q > 0.0 { nu * q } else { 0.0 });
            }
        }
    }

    /// How many goods (a prefix of `order`) a balance affords. Prices are
    /// sorted, so counting those ≤ balance gives the prefix without
    /// branches.
    #[inline]
    fn affordable(&self, balance: u64) -> usize {
        self.prices.iter().map(|&p| usize::from(p <= balance)).sum()
    }

    /// The purchases of a type-`k` courier with `balance` tokens in one
    /// period: `bought` is called with each good bought (index into
    /// `order`); returns the balance left.
    ///
    /// Visits are Poisson(ν_k) in the period, i.e. a Poisson process of
    /// rate ν_k on [0, 1], and each visit buys with probability
    /// q = S/(w_0 + S), S the affordable goods' total attraction, which
    /// changes only when the balance does — at a purchase. So purchases
    /// form a Poisson process of rate ν_k·q(balance): the wait to the next
    /// one is Exponential(ν_k·q), and the good is drawn in proportion to
    /// attraction. This is exactly the visit-by-visit logit, with one
    /// exponential draw per purchase (and one to end the period) instead of
    /// a draw per visit.
    #[inline]
    fn shop(
        &self,
        k: usize,
        mut balance: u64,
        rng: &mut StreamRng,
        mut bought: impl FnMut(usize),
    ) -> u64 {
        let row = &self.purchase_rates[k * (self.order.len() + 1)..][..self.order.len() + 1];
        let mut time_left = 1.0;
        loop {
            let affordable = self.affordable(balance);
            let rate = row[affordable];
            if rate <= 0.0 {
                return balance;
            }
            let wait: f64 = rng.sample(Exp1);
            if wait >= rate * time_left {
                return balance;
            }
            time_left -= wait / rate;
            let target = rng.random::<f64>() * self.cumulative[affordable - 1];
            let pick = self.cumulative[..affordable - 1]
                .iter()
                .map(|&c| usize::from(c <= target))
                .sum();
            balance -= self.prices[pick];
            bought(pick);
        }
    }
}

/// Per-period inputs of the economy.
pub(crate) struct EconomyInputs<'a> {
    pub mall: &'a MallView,
    /// Tasks per agent of each type.
    pub tasks: &'a [Option<SmallPoisson>],
    pub issuance_rate: f64,
    /// π_t: a credited-tokens departure looks at credited × π_t (1 unless
    /// effort responds to purchasing power).
    pub purchasing_power: f64,
    pub signals: &'a [DepartureSignal],
    pub forfeit: bool,
}

/// x ≥ 0 rounded to an integer at random so that the expectation is x.
/// Always one uniform, and no branch on it: the draw would be mispredicted
/// half the time.
#[inline]
fn stochastic_round(x: f64, rng: &mut StreamRng) -> u64 {
    // Truncation is the floor for x ≥ 0; through i64 it is one instruction.
    let floor = x as i64;
    let frac = x - floor as f64;
    floor as u64 + u64::from(rng.random::<f64>() < frac)
}

/// Tokens credited to a courier for a period, as (for tasks, bonus): ι per
/// task and the policy reward, each stochastically rounded (a zero reward
/// draws nothing).
#[inline]
fn tokens_credited(issuance_rate: f64, tasks: u64, reward: f64, rng: &mut StreamRng) -> (u64, u64) {
    let earned = stochastic_round(issuance_rate * tasks as f64, rng);
    if reward == 0.0 {
        (earned, 0)
    } else {
        (earned, stochastic_round(reward, rng))
    }
}

/// Steps one chunk through the period with the token economy.
pub(crate) fn step_chunk_economy(
    chunk: &mut AgentChunk,
    inputs: &StepInputs<'_>,
    economy: &EconomyInputs<'_>,
    rng: &mut StreamRng,
    tally: &mut PeriodTally,
    leavers: Option<&mut LeaverHistograms>,
) {
    step_agents(chunk, inputs, rng, tally, leavers, &EconomyWork(economy));
}

/// The token economy's work for one courier after it is paid: tasks,
/// tokens credited (the reward is paid in tokens on top), shopping, and the
/// departure threshold of its signal.
struct EconomyWork<'a, 'b>(&'a EconomyInputs<'b>);

impl AgentWork for EconomyWork<'_, '_> {
    const BALANCES: bool = true;

    #[inline(always)]
    fn work(
        &self,
        inputs: &StepInputs<'_>,
        chunk: &AgentChunk,
        i: usize,
        paid: &Paid,
        rng: &mut StreamRng,
        tally: &mut PeriodTally,
        leavers: Option<&mut LeaverHistograms>,
    ) -> (u64, u64) {
        let economy = self.0;
        let k = paid.k;
        let tasks = economy.tasks[k].as_ref().map_or(0, |d| d.sample(rng));
        let (earned, bonus) = tokens_credited(economy.issuance_rate, tasks, paid.reward, rng);
        let credited = earned + bonus;
        tally.tasks += tasks;
        tally.issuance += credited;
        tally.type_tasks[k] += tasks;
        tally.type_task_tokens[k] += earned;
        tally.type_bonus_tokens[k] += bonus;
        if let Some(l) = leavers {
            l.record_credited(k, credited);
        }
        // Shopping: at each visit the courier buys one of the goods its
        // balance affords, or nothing, by the logit (see `MallView::shop`).
        // Only units by (type, good) are counted here; tokens and yuan by
        // channel follow from them and the period's prices after reduction.
        let mall = economy.mall;
        let goods = mall.real.len();
        let row = &mut tally.type_sales[k * goods..(k + 1) * goods];
        let balance = mall.shop(k, chunk.balance[i] + credited, rng, |pick| {
            row[mall.order[pick]] += 1
        });
        let p = departure_probability(economy, inputs, k, paid.history, paid.tenure, credited);
        (departure_threshold(p), balance)
    }

    #[inline(always)]
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
    ) -> (u64, u64) {
        // The draws of `work`, in its order, without its counts: kept as a
        // second copy because a shared helper cost the full kernel 4 %
        // (BENCHMARKS.md, token economy).
        let economy = self.0;
        let reward = inputs.rewards[index as usize];
        let tasks = economy.tasks[k].as_ref().map_or(0, |d| d.sample(rng));
        let (earned, bonus) = tokens_credited(economy.issuance_rate, tasks, reward, rng);
        let credited = earned + bonus;
        let balance = economy
            .mall
            .shop(k, chunk.balance[i] + credited, rng, |_| {});
        let p = departure_probability(economy, inputs, k, history, tenure, credited);
        (departure_threshold(p), balance)
    }

    fn left(&self, balances: u64, tally: &mut PeriodTally) {
        if self.0.forfeit {
            tally.forfeited += balances;
        } else {
            tally.departed_balances += balances;
        }
    }
}

/// The probability that a courier of type `k` leaves after this period:
/// by its departure function of the reward history, or — with
/// `departure_signal = "credited"` — of the tokens credited this period
/// (grace periods honoured either way). Shared by the full and the
/// reference kernels, so both decide alike.
#[inline(always)]
fn departure_probability(
    economy: &EconomyInputs<'_>,
    inputs: &StepInputs<'_>,
    k: usize,
    history: u64,
    tenure: u32,
    credited: u64,
) -> f64 {
    let departure = &inputs.departures[k];
    match economy.signals[k] {
        DepartureSignal::Reward => departure.probability(history, tenure),
        DepartureSignal::Credited => {
            if tenure <= departure.grace_periods() {
                0.0
            } else {
                departure
                    .at_value(credited as f64 * economy.purchasing_power)
                    .unwrap_or(0.0)
            }
        }
    }
}

/// The reference kernel with the token economy: the least per-agent work
/// the model needs — the paper reference kernel's draws (reward from φ,
/// departure) plus the economy's (tasks, stochastic rounding, the
/// purchases), on the same columns (type, history, tenure, balance), with
/// the same compaction ([`reference_step_agents`]), and no counts,
/// tallies, lifetime rewards or histograms. Benchmarks measure the full
/// economy kernel against it.
pub(crate) fn reference_step_chunk_economy(
    chunk: &mut AgentChunk,
    phi: &RewardDistribution,
    inputs: &StepInputs<'_>,
    economy: &EconomyInputs<'_>,
    rng: &mut StreamRng,
) {
    reference_step_agents(chunk, phi, inputs, rng, &EconomyWork(economy));
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn mall(visits: f64) -> MallView {
        let mut mall = MallView {
            order: vec![0, 1],
            prices: vec![10, 100],
            cumulative: vec![1.0, 3.0],
            real: vec![false, true],
            no_purchase: 1.0,
            visit_rates: vec![visits],
            purchase_rates: Vec::new(),
        };
        mall.tabulate_rates();
        mall
    }

    /// Counts of each good bought in one period, starting from `balance`.
    fn purchases(mall: &MallView, balance: u64, rng: &mut StreamRng) -> [u64; 2] {
        let mut bought = [0u64; 2];
        mall.shop(0, balance, rng, |pick| bought[pick] += 1);
        bought
    }

    #[test]
    fn unconstrained_purchases_are_thinned_poisson() {
        let mall = mall(4.0);
        let mut rng = StreamRng::seed_from_u64(1);
        for _ in 0..1000 {
            assert_eq!(
                purchases(&mall, 5, &mut rng),
                [0, 0],
                "nothing is affordable"
            );
        }
        // With a balance that never binds, purchases are Poisson(ν q) =
        // Poisson(4 · 3/4), 1/3 of them the first good and 2/3 the second.
        let n = 200_000;
        let (mut sum, mut sum_sq, mut first) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let b = purchases(&mall, 1_000_000, &mut rng);
            let total = (b[0] + b[1]) as f64;
            sum += total;
            sum_sq += total * total;
            first += b[0] as f64;
        }
        let mean = sum / n as f64;
        let var = sum_sq / n as f64 - mean * mean;
        assert!(
            (mean - 3.0).abs() < 4.0 * (3.0 / n as f64).sqrt(),
            "mean {mean}"
        );
        // Var of the sample variance of Poisson(3) ≈ (μ + 2μ²)/n.
        assert!(
            (var - 3.0).abs() < 4.0 * ((3.0 + 18.0) / n as f64).sqrt(),
            "variance {var}"
        );
        let share = first / sum;
        assert!(
            (share - 1.0 / 3.0).abs() < 4.0 * (2.0 / 9.0 / sum).sqrt(),
            "share {share}"
        );
    }

    #[test]
    fn binding_balances_match_a_visit_by_visit_simulation() {
        // Poisson(3) visits, each a logit over the goods the balance affords
        // (prices 10 and 100, attractions 1 and 2, w_0 = 1), from 130 tokens:
        // the balance binds after the first purchase of the dear good.
        use rand_distr::{Distribution, Poisson};
        let mall = mall(3.0);
        let mut rng = StreamRng::seed_from_u64(7);
        let visits = Poisson::new(3.0).unwrap();
        let n = 200_000;
        let (mut fast, mut slow) = ([0.0f64; 2], [0.0f64; 2]);
        for _ in 0..n {
            let b = purchases(&mall, 130, &mut rng);
            fast[0] += b[0] as f64;
            fast[1] += b[1] as f64;
            let mut balance = 130u64;
            for _ in 0..visits.sample(&mut rng) as u64 {
                let weights = [
                    if balance >= 10 { 1.0 } else { 0.0 },
                    if balance >= 100 { 2.0 } else { 0.0 },
                ];
                let u = rng.random::<f64>() * (1.0 + weights[0] + weights[1]);
                if u < weights[0] {
                    slow[0] += 1.0;
                    balance -= 10;
                } else if u < weights[0] + weights[1] {
                    slow[1] += 1.0;
                    balance -= 100;
                }
            }
        }
        for g in 0..2 {
            let (a, b) = (fast[g] / n as f64, slow[g] / n as f64);
            // Counts per period are at most 13: a variance below 13²/4 per
            // period bounds the standard error of each mean.
            let se = (2.0 * 42.25 / n as f64).sqrt();
            assert!((a - b).abs() < 4.0 * se, "good {g}: {a} vs {b}");
        }
    }
}
