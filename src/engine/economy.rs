//! The token economy's running state between periods (model.md Part B):
//! levers, mall, float, budget year and the lever controller. The step loop
//! calls [`EconomyRuntime::before_period`] (the controller recommends,
//! operators override, the mall is priced) and
//! [`EconomyRuntime::after_period`] (cash cost, the float identity, the
//! controller learns, the budget year closes); the agents' work in between
//! is `economy_kernel`.

use serde::{Deserialize, Serialize};

use super::economy_kernel::{EconomyInputs, MallView};
use super::rng::{Purpose, StreamKey};
use super::tally::PeriodTally;
use crate::model::operators::Draws;
use crate::model::{Budget, DepartureSignal, Economy, IncentiveMeasure, Levers};
use crate::policy::{BudgetView, FixedLevers, LeverContext, LeverController};

/// One closed budget year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BudgetYear {
    /// B_y.
    pub budget: f64,
    /// C_y: cash cost of real goods in the year.
    pub cost: f64,
    /// Π_y = κ_o (C − B)^+ + κ_u (B − C)^+.
    pub penalty: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct BudgetState {
    pub(super) config: Budget,
    pub(super) budget: f64,
    pub(super) cost: f64,
    pub(super) years: Vec<BudgetYear>,
    /// Cash cost of the last period (for the hard cap's rationed stock).
    #[serde(default)]
    pub(super) last_cost: f64,
}

impl BudgetState {
    pub(super) fn new(config: Budget) -> Self {
        BudgetState {
            budget: config.annual,
            cost: 0.0,
            years: Vec::new(),
            last_cost: 0.0,
            config,
        }
    }

    /// Closes the year: penalty, then B_{y+1} = B_y − ρ (B_y − C_y)^+.
    fn close_year(&mut self) {
        let (b, c) = (self.budget, self.cost);
        let penalty = self.config.over_penalty * (c - b).max(0.0)
            + self.config.under_penalty * (b - c).max(0.0);
        self.years.push(BudgetYear {
            budget: b,
            cost: c,
            penalty,
        });
        self.budget = b - self.config.ratchet * (b - c).max(0.0);
        self.cost = 0.0;
    }
}

/// The token economy's running state.
#[derive(Debug)]
pub(super) struct EconomyRuntime {
    pub(super) economy: Economy,
    /// What the levers would be without operators (the configured levers).
    pub(super) recommended: Levers,
    /// The levers in force this period.
    pub(super) levers: Levers,
    /// Who sets the levers: `steer` under `policy.kind = "steer"`, else
    /// the configured levers.
    pub(super) controller: Box<dyn LeverController>,
    pub(super) mall: MallView,
    pub(super) tasks: Vec<Option<super::poisson::SmallPoisson>>,
    pub(super) signals: Vec<DepartureSignal>,
    /// K_t.
    pub(super) float: u64,
    /// Balances kept by leavers (part of the float when not forfeited).
    pub(super) departed: u64,
    pub(super) budget: Option<BudgetState>,
    /// Tokens spent per good last period, the weights of π (empty before
    /// any purchase).
    pub(super) last_spend: Vec<f64>,
    /// π_t, the purchasing power of a token this period.
    pub(super) purchasing_power: f64,
    /// Per lever, the operator source that deviated this period (−1: none).
    pub(super) deviation: [i32; 3],
}

impl EconomyRuntime {
    pub(super) fn new(economy: &Economy, scale: f64) -> Self {
        let levers = economy.levers;
        let k = economy.task_rates.len();
        EconomyRuntime {
            tasks: (0..k)
                .map(|kk| {
                    super::poisson::SmallPoisson::new(economy.task_mean(kk, levers.issuance_rate))
                })
                .collect(),
            signals: economy.signals.clone(),
            mall: MallView {
                real: economy.goods.iter().map(|g| g.real).collect(),
                no_purchase: economy.no_purchase_weight,
                visit_rates: economy.shopping_rates.clone(),
                ..MallView::default()
            },
            float: 0,
            departed: 0,
            budget: economy.budget.map(BudgetState::new),
            last_spend: Vec::new(),
            purchasing_power: 1.0,
            deviation: [-1; 3],
            controller: match &economy.steer {
                Some(s) => Box::new(super::controller::Controller::new(
                    s.clone(),
                    economy,
                    scale,
                )),
                None => Box::new(FixedLevers::new(economy)),
            },
            economy: economy.clone(),
            recommended: levers,
            levers,
        }
    }

    /// Takes the economy of a scheduled event's phase (model.md E.3: events
    /// change the model inside their window only). What the economy has
    /// accumulated carries through: the float, the leavers' balances, the
    /// budget year, the levers in force and the controller's smoothed state
    /// — an event is a change of the world, not a restart of the
    /// controller. Only what the new phase describes is replaced: goods,
    /// rates, signals, the controller's configuration and beliefs, and (for
    /// fixed levers) the configured levers.
    pub(super) fn reconfigure(&mut self, economy: &Economy, scale: f64) {
        let steering = self.controller.name() == "steer";
        match &economy.steer {
            Some(_) if steering => self.controller.reconfigure(economy),
            Some(steer) => {
                // The controller starts from the levers in force.
                let mut c = super::controller::Controller::new(steer.clone(), economy, scale);
                c.levers = self.recommended;
                self.controller = Box::new(c);
            }
            None if steering => self.controller = Box::new(FixedLevers::new(economy)),
            None => self.controller.reconfigure(economy),
        }
        self.budget = match (self.budget.take(), &economy.budget) {
            (Some(mut state), Some(config)) => {
                if config.annual != state.config.annual {
                    state.budget = config.annual;
                }
                state.config = *config;
                Some(state)
            }
            (state, _) => state,
        };
        self.signals = economy.signals.clone();
        self.mall.real = economy.goods.iter().map(|g| g.real).collect();
        self.mall.no_purchase = economy.no_purchase_weight;
        self.mall.visit_rates = economy.shopping_rates.clone();
        self.economy = economy.clone();
        self.rebuild_tasks();
    }

    /// What effort responds to under `levers` and purchasing power `pi`:
    /// ι, or ι π (model.md E.3).
    fn incentive_power(&self, levers: &Levers, pi: f64) -> f64 {
        match self.economy.incentive {
            IncentiveMeasure::Issuance => levers.issuance_rate,
            IncentiveMeasure::PurchasingPower => levers.issuance_rate * pi,
        }
    }

    /// Task-count distributions for the levers and purchasing power in force.
    pub(super) fn rebuild_tasks(&mut self) {
        let x = self.incentive_power(&self.levers, self.purchasing_power);
        for (k, d) in self.tasks.iter_mut().enumerate() {
            *d = super::poisson::SmallPoisson::new(self.economy.task_mean(k, x));
        }
    }

    /// The operator layer turns the recommendation into the levers in
    /// force in period `t` (model.md E.4; its random numbers keyed by
    /// period and source), the controller is told what it should plan
    /// from, and a token is priced (π_t from last period's spend shares at
    /// this period's prices); when the incentive power changes, the task
    /// rates follow.
    pub(super) fn set_levers(&mut self, t: i64, key: &StreamKey) {
        let applied = self
            .economy
            .operators
            .apply(self.recommended, self.levers, t, |i| {
                let mut rng = key.stream(Purpose::Operators, t, i as u64);
                Draws {
                    uniform: rand::Rng::random::<f64>(&mut rng),
                    normal: rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng),
                }
            });
        let levers = applied.levers;
        self.deviation = applied.source;
        self.controller.implemented(&applied.planning);
        let pi = match self.economy.incentive {
            IncentiveMeasure::Issuance => 1.0,
            IncentiveMeasure::PurchasingPower => {
                self.economy.purchasing_power(&self.last_spend, &levers)
            }
        };
        let before = self.incentive_power(&self.levers, self.purchasing_power);
        let now = self.incentive_power(&levers, pi);
        self.levers = levers;
        self.purchasing_power = pi;
        if now != before {
            self.rebuild_tasks();
        }
    }

    /// Adherence-aware advice (`steer.adherence_aware`): where an operator
    /// follows lever l with probability a < 1 in period `t`, the move from
    /// the lever in force is recommended 1/a times as large, within the
    /// controller's band for that lever, so the expected lever in force is
    /// the controller's plan.
    fn adherence_aware(&self, recommended: Levers, t: i64) -> Levers {
        let Some(steer) = self.economy.steer.as_ref().filter(|s| s.adherence_aware) else {
            return recommended;
        };
        let mut advice = recommended;
        for l in 0..3 {
            let a = self.economy.operators.adherence(l, t);
            if a >= 1.0 || a <= 0.0 {
                continue;
            }
            let now = self.levers.get(l);
            let (lo, hi) = match l {
                0 => (f64::MIN_POSITIVE, f64::INFINITY),
                1 => (steer.real_price_band[0], steer.real_price_band[1]),
                _ => (steer.valve_band[0], steer.valve_band[1]),
            };
            advice.set(l, (now + (recommended.get(l) - now) / a).clamp(lo, hi));
        }
        advice
    }

    /// The per-period inputs of the economy kernels.
    pub(super) fn inputs(&self) -> EconomyInputs<'_> {
        EconomyInputs {
            mall: &self.mall,
            tasks: &self.tasks,
            issuance_rate: self.levers.issuance_rate,
            purchasing_power: self.purchasing_power,
            signals: &self.signals,
            forfeit: self.economy.forfeit_on_departure,
        }
    }

    /// Under a hard cap, the share of visits that find real goods in stock
    /// this period: the firm stocks what is left of the year's budget, so
    /// when that is less than last period's cash cost, only
    /// left / last-cost of the usual demand can be served (the shelves run
    /// empty within the period), and none once the budget is spent. The
    /// year's cost then lands on the budget instead of overshooting it by
    /// up to a period's spending.
    fn real_stock(&self) -> f64 {
        match &self.budget {
            Some(b) if b.config.hard_cap => {
                let left = b.budget - b.cost;
                if left <= 0.0 {
                    0.0
                } else if b.last_cost > left {
                    left / b.last_cost
                } else {
                    1.0
                }
            }
            _ => 1.0,
        }
    }

    /// Prices, order and attractions of the goods on sale this period; real
    /// goods are rationed as a hard-capped budget runs out, and off sale
    /// once it is spent ([`Self::real_stock`]).
    pub(super) fn prepare_mall(&mut self) {
        let stock = self.real_stock();
        let capped = stock <= 0.0;
        let e = &self.economy;
        let mall = &mut self.mall;
        mall.order.clear();
        mall.order
            .extend((0..e.goods.len()).filter(|&j| !(capped && e.goods[j].real)));
        let levers = self.levers;
        mall.order.sort_by_key(|&j| (e.price(j, &levers), j));
        mall.prices.clear();
        mall.prices
            .extend(mall.order.iter().map(|&j| e.price(j, &levers)));
        mall.cumulative.clear();
        let mut total = 0.0;
        for (&j, &p) in mall.order.iter().zip(&mall.prices) {
            // Rationing to a share a of the usual demand, to first order:
            // the good's attraction scales by a.
            let share = if e.goods[j].real { stock } else { 1.0 };
            total += share * e.attraction(j, p);
            mall.cumulative.push(total);
        }
        mall.tabulate_rates();
    }

    /// Before the agents work: the controller recommends (under `steer`),
    /// operators override, the mall is priced.
    pub(super) fn before_period(&mut self, period: i64, key: &StreamKey) {
        let ppy = self.economy.periods_per_year as i64;
        let budget = self.budget.as_ref().map(|b| BudgetView {
            budget: b.budget,
            spent: b.cost,
            over_penalty: b.config.over_penalty,
            under_penalty: b.config.under_penalty,
            ratchet: b.config.ratchet,
        });
        self.recommended = self.controller.recommend(&LeverContext {
            period,
            float: self.float as f64,
            active_float: (self.float - self.departed) as f64,
            budget,
            periods_left: (ppy - period.rem_euclid(ppy)) as u32,
            periods_per_year: ppy as u32,
        });
        self.recommended = self.adherence_aware(self.recommended, period);
        self.set_levers(period, key);
        self.prepare_mall();
    }

    /// Units by good, and tokens and yuan by type and channel, from the
    /// reduced units by (type, good) at this period's prices. Integer sums
    /// of integer counts, and yuan summed in a fixed order: independent of
    /// how agents were split into chunks or threads.
    fn spending_by_type(&self, o: &mut PeriodTally) {
        let e = &self.economy;
        let goods = e.goods.len();
        let levers = self.levers;
        o.sales.fill(0);
        o.redeemed_real = 0;
        o.redeemed_virtual = 0;
        for (k, row) in o.type_sales.chunks(goods.max(1)).enumerate() {
            let (mut real, mut virtual_) = (0u64, 0u64);
            let (mut real_value, mut virtual_value, mut at_reference) = (0.0, 0.0, 0.0);
            for (j, (&n, g)) in row.iter().zip(&e.goods).enumerate() {
                o.sales[j] += n;
                if n == 0 {
                    continue;
                }
                let tokens = n * e.price(j, &levers);
                at_reference += n as f64 * g.reference_price;
                if g.real {
                    real += tokens;
                    real_value += n as f64 * g.value;
                } else {
                    virtual_ += tokens;
                    virtual_value += n as f64 * g.value;
                }
            }
            o.type_redeemed_real[k] = real;
            o.type_redeemed_virtual[k] = virtual_;
            o.type_real_value[k] = real_value;
            o.type_virtual_value[k] = virtual_value;
            o.type_redeemed_at_reference[k] = at_reference;
            o.redeemed_real += real;
            o.redeemed_virtual += virtual_;
        }
    }

    /// After the agents' counts are reduced into `o`: cash cost, the float
    /// identity, the controller learns, the budget year closes.
    pub(super) fn after_period(&mut self, o: &mut PeriodTally, period: i64) {
        self.spending_by_type(o);
        o.cash_cost = o
            .sales
            .iter()
            .zip(&self.economy.goods)
            .map(|(&n, g)| n as f64 * g.cash_cost)
            .sum();
        // The float identity K_t = K_{t−1} + I_t − R_t − F_t, in integers.
        self.float = self.float + o.issuance - o.redeemed_real - o.redeemed_virtual - o.forfeited;
        o.purchasing_power = self.purchasing_power;
        o.incentive_value = self.economy.task_value * o.tasks as f64;
        // Spend shares for the next period's π: tokens spent per good at
        // this period's prices.
        if o.sales.iter().any(|&n| n > 0) {
            self.last_spend.clear();
            let levers = self.levers;
            let e = &self.economy;
            self.last_spend.extend(
                o.sales
                    .iter()
                    .enumerate()
                    .map(|(j, &n)| n as f64 * e.price(j, &levers) as f64),
            );
        }
        self.departed += o.departed_balances;
        o.float = self.float;
        o.dormant_float = self.departed;
        o.levers = [
            self.levers.issuance_rate,
            self.levers.real_price_mult,
            self.levers.virtual_price_mult,
        ];
        o.class_levers = self.levers.class_mult;
        self.controller.observe(o);
        let r = self.recommended;
        o.recommended_levers = [r.issuance_rate, r.real_price_mult, r.virtual_price_mult];
        o.deviation_source = self.deviation;
        if period >= 0 {
            if let Some(b) = &mut self.budget {
                b.cost += o.cash_cost;
                b.last_cost = o.cash_cost;
                if (period + 1) % self.economy.periods_per_year as i64 == 0 {
                    b.close_year();
                }
            }
        }
    }
}
