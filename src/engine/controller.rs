//! The predict-then-optimize lever controller (`steer`, model.md B.5).
//!
//! Every period, before redemption is seen: *predict* this period's cash
//! cost, virtual redemption and net inflow at the levers in force, each by
//! a [`Forecast`] (an exponentially smoothed level with the levers' believed
//! effect divided out, and the variance of its one-step prediction errors);
//! *target* the budget by the critical fractile of the predictive
//! distribution of the year's cost (model.md E.3, P2) — the rest of the
//! year costs N(n·ĉ, n·σ_e²), σ_e² the one-step error variance, so the
//! planned cost of the rest of the year is B − C_so_far − z*·σ_e·√n with
//! z* = Φ⁻¹(κ_o/(κ_o+κ_u)), or, ratchet-aware (P3), the z* that the dynamic
//! programme over budget years ([`crate::model::ratchet`]) picks at the
//! year's start; then set the *levers* by the research's separation
//! (P1, `valve = "budget"`, the default): the virtual-price valve lands the
//! predicted cash cost on the target — cheaper virtual goods take visits
//! from real ones (the logit's cross-channel substitution, believed from the
//! mall's known weights and the believed elasticities); real prices take
//! over only where the valve's band cannot reach, and otherwise relax back
//! to 1; the issuance rate moves only when the *active* float leaves its
//! band (Miller–Orr's σ² is the net inflow's one-step error variance).
//! `valve = "float"` keeps the first round's controller: real prices on
//! the budget, the valve spending the float's excess over Z in `horizon`
//! periods. Demand responses use the controller's beliefs about
//! elasticities (the true ones × `elasticity_error`).
//!
//! Why prediction errors and not the variance of observed levels: levels
//! move when the controller moves a lever, so their variance measures the
//! controller, not the market; with the levers' believed effect divided
//! out, what is left is demand noise and shocks (and belief error), which
//! is what the year's cost is uncertain about.

use serde::{Deserialize, Serialize};

use super::tally::PeriodTally;
use crate::model::ratchet::RatchetProblem;
use crate::model::{Economy, Levers};
use crate::model::{
    FloatBand, FloatMeasure, IncentiveMeasure, IssuanceRule, RealPriceControl, Steering, ValveRole,
};
use crate::policy::{BudgetView, LeverContext, LeverController};

/// Φ⁻¹(p), Acklam's rational approximation (relative error < 1.2e-9).
pub fn inverse_normal(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The root of `f` in `band` (by bisection in logs, 60 halvings), or the
/// band's edge nearest to it; `rising` says whether f increases with x.
fn bisect(band: [f64; 2], f: impl Fn(f64) -> f64, rising: bool) -> f64 {
    let (mut lo, mut hi) = (band[0].ln(), band[1].ln());
    let sign = if rising { 1.0 } else { -1.0 };
    if sign * f(lo.exp()) >= 0.0 {
        return band[0];
    }
    if sign * f(hi.exp()) <= 0.0 {
        return band[1];
    }
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if sign * f(mid.exp()) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

/// The minimiser of `f` over `band`, by golden-section search in logs
/// (48 steps: the bracket shrinks to 10⁻¹⁰ of its log width); `f` need
/// only be unimodal, which E[Π] − λ·V is along one lever.
fn golden_min(band: [f64; 2], f: impl Fn(f64) -> f64) -> f64 {
    let ratio = 0.5 * (5f64.sqrt() - 1.0);
    let (mut a, mut b) = (band[0].ln(), band[1].ln());
    let mut x1 = b - ratio * (b - a);
    let mut x2 = a + ratio * (b - a);
    let (mut f1, mut f2) = (f(x1.exp()), f(x2.exp()));
    for _ in 0..48 {
        if f1 <= f2 {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - ratio * (b - a);
            f1 = f(x1.exp());
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + ratio * (b - a);
            f2 = f(x2.exp());
        }
    }
    (0.5 * (a + b)).exp()
}

/// Φ(x), the standard normal distribution function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// A one-step forecaster of a quantity that scales with a lever: the
/// observation x_t = level_t × f_t, with f_t the levers' believed effect
/// (e.g. m^ê for cash). It smooths the *level* x/f exponentially and keeps
/// the exponentially weighted mean square of its one-step prediction
/// errors x_t − f_t·level_{t−1}, so that lever moves the belief explains
/// do not count as uncertainty.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Forecast {
    level: Option<f64>,
    error_var: f64,
    errors: u32,
}

impl Forecast {
    /// The prediction of the next observation under lever effect `factor`.
    pub fn predict(&self, factor: f64) -> Option<f64> {
        self.level.map(|l| l * factor)
    }

    /// Mean square one-step prediction error (0 before the second observation).
    pub fn error_var(&self) -> f64 {
        self.error_var
    }

    /// How many prediction errors the variance is made of.
    pub fn errors(&self) -> u32 {
        self.errors
    }

    /// Learns a one-step prediction error made elsewhere (no level of its
    /// own), with weight `w` for the newest.
    pub fn observe_error(&mut self, error: f64, w: f64) {
        // The first error gets full weight: there is no earlier estimate
        // to average it with.
        let we = if self.errors == 0 { 1.0 } else { w };
        self.error_var += we * (error * error - self.error_var);
        self.errors = self.errors.saturating_add(1);
    }

    /// Learns observation `x`, made under lever effect `factor`, with
    /// weight `w` for the newest period.
    pub fn observe(&mut self, x: f64, factor: f64, w: f64) {
        let factor = factor.max(1e-12);
        match self.level {
            None => self.level = Some(x / factor),
            Some(level) => {
                self.observe_error(x - level * factor, w);
                self.level = Some(level + w * (x / factor - level));
            }
        }
    }
}

/// What the controller knows of one good: the firm designs its mall, so it
/// knows appeal weights, channels and cash costs; it only *believes* the
/// elasticity (the true one × `elasticity_error`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct BelievedGood {
    real: bool,
    class: Option<usize>,
    weight: f64,
    cash_cost: f64,
    elasticity: f64,
    /// p_j^ref, for tokens spent per visit.
    #[serde(default)]
    reference_price: f64,
}

/// What the controller knows of effort: the firm publishes its token
/// prices and measures how tasks answer pay, so it knows η_k, the value of
/// a task and whether effort answers ι or ι·π (model.md E.3).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct EffortBelief {
    elasticities: Vec<f64>,
    task_value: f64,
    purchasing_power: bool,
}

/// A candidate plan for the rest of the budget year and what the
/// controller predicts of it (`steer.value_weight` > 0).
#[derive(Debug, Clone, Copy)]
struct Plan {
    levers: Levers,
    /// E[Π] − λ·V over the rest of the year.
    objective: f64,
    /// The float the plan projects `horizon` periods ahead.
    projected_float: f64,
}

/// The state of the lever controller.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Controller {
    config: Steering,
    real_elasticity: f64,
    virtual_elasticity: f64,
    /// The mall as the controller believes it, for the logit ratio of
    /// cash cost between two lever settings.
    mall: Vec<BelievedGood>,
    no_purchase_weight: f64,
    cash: Forecast,
    virtual_tokens: Forecast,
    net_inflow: Forecast,
    /// Market size θ: the float band is given per unit of it.
    scale: f64,
    /// z* for the budget year in progress (set at its first period).
    year_z: Option<f64>,
    /// Fair steering: the band issuance stays in (`steer.pay_rate_tolerance`).
    #[serde(default)]
    pay_band: Option<[f64; 2]>,
    /// What the controller knows of effort, for the incentive value V
    /// (`steer.value_weight` > 0).
    #[serde(default)]
    effort: EffortBelief,
    /// Tasks per period of each type, with the incentive power's believed
    /// effect x^{η_k} divided out: the forecast of tasks, hence of issuance.
    #[serde(default)]
    tasks: Vec<Forecast>,
    /// Tokens redeemed per period, with the believed logit tokens per
    /// visit at the levers in force divided out.
    #[serde(default)]
    redemption: Forecast,
    /// Tokens spent per good last period: the shares of π.
    #[serde(default)]
    spend: Vec<f64>,
    /// One-step errors of net inflow predicted *at the levers in force*
    /// (issuance from the task forecasts, redemption from its forecast, the
    /// levers' believed effects applied): the net inflow's variance under
    /// fixed levers, which Miller–Orr asks for (model.md E.3, P3). The
    /// `net_inflow` forecast's own errors also hold every lever move.
    #[serde(default)]
    fixed_lever_net: Forecast,
    /// Balances leaving the active float per period with the couriers who
    /// leave (kept as a liability or forfeited).
    #[serde(default)]
    leaving_balances: Forecast,
    /// The recommendation in force.
    pub levers: Levers,
}

impl Controller {
    pub fn new(config: Steering, economy: &Economy, scale: f64) -> Self {
        let believed_of = |j: usize| config.believed_elasticities[j];
        // The weighted mean belief of a channel (the float-valve
        // controller's one elasticity per channel).
        let believed = |real: bool| {
            let (mut sum, mut weight) = (0.0, 0.0);
            for (j, g) in economy
                .goods
                .iter()
                .enumerate()
                .filter(|(_, g)| g.real == real)
            {
                sum += g.weight * believed_of(j);
                weight += g.weight;
            }
            sum / f64::max(weight, 1e-12)
        };
        let mall: Vec<BelievedGood> = economy
            .goods
            .iter()
            .enumerate()
            .map(|(j, g)| BelievedGood {
                real: g.real,
                class: g.class,
                weight: g.weight,
                cash_cost: g.cash_cost,
                elasticity: believed_of(j),
                reference_price: g.reference_price,
            })
            .collect();
        Controller {
            real_elasticity: believed(true),
            virtual_elasticity: believed(false),
            mall,
            no_purchase_weight: economy.no_purchase_weight,
            cash: Forecast::default(),
            virtual_tokens: Forecast::default(),
            net_inflow: Forecast::default(),
            levers: economy.levers,
            scale,
            year_z: None,
            pay_band: config.pay_rate_tolerance.map(|t| {
                let low = economy.levers.issuance_rate / (1.0 + t / 2.0);
                [low, low * (1.0 + t)]
            }),
            effort: EffortBelief {
                elasticities: economy.effort_elasticities.clone(),
                task_value: economy.task_value,
                purchasing_power: economy.incentive == IncentiveMeasure::PurchasingPower,
            },
            tasks: vec![Forecast::default(); economy.effort_elasticities.len()],
            redemption: Forecast::default(),
            spend: Vec::new(),
            fixed_lever_net: Forecast::default(),
            leaving_balances: Forecast::default(),
            config,
        }
    }

    /// Takes the configuration and the believed elasticities of a new
    /// phase (scheduled events), keeping what it has learned and the levers
    /// it recommends.
    pub fn reconfigure(&mut self, config: Steering, economy: &Economy) {
        let fresh = Controller::new(config, economy, self.scale);
        self.real_elasticity = fresh.real_elasticity;
        self.virtual_elasticity = fresh.virtual_elasticity;
        self.mall = fresh.mall;
        self.no_purchase_weight = fresh.no_purchase_weight;
        self.effort = fresh.effort;
        self.tasks
            .resize(self.effort.elasticities.len(), Forecast::default());
        // The fair band is fixed at the start of the run, so that an event
        // cannot move it under types already paid; a changed tolerance
        // takes a new one.
        if fresh.config.pay_rate_tolerance != self.config.pay_rate_tolerance {
            self.pay_band = fresh.pay_band;
        }
        self.config = fresh.config;
    }

    /// The believed effect of real-price multiplier `m_r` and valve `m_v`
    /// on cash cost, relative to the reference prices. With the valve
    /// steering the budget it is the logit ratio: a visit buys real good j
    /// with probability w_j m_r^{ê_j} / D(m), D(m) = w_0 + Σ_l w_l m_l^{ê_l},
    /// so cash ∝ Σ_real c_j w_j m_r^{ê_j} / D(m) — the valve moves cash
    /// through D, which is cross-channel substitution. (Affordability is
    /// left out: real goods are cheap beside the balances that buy them.)
    /// With the valve on the float, the first round's m_r^{ê}.
    fn cash_effect(&self, m_r: f64, classes: [f64; 4], m_v: f64) -> f64 {
        match self.config.valve {
            ValveRole::Float => m_r.powf(self.real_elasticity),
            ValveRole::Budget => {
                self.logit_cash(m_r, classes, m_v) / self.logit_cash(1.0, [1.0; 4], 1.0)
            }
        }
    }

    /// Σ_real c_j w_j m_j^{ê_j} / D(m), the believed cash per visit, with
    /// m_j = m_r × the class multiplier for a real good, m_v for a virtual one.
    fn logit_cash(&self, m_r: f64, classes: [f64; 4], m_v: f64) -> f64 {
        let (mut cash, mut denominator) = (0.0, self.no_purchase_weight);
        for g in &self.mall {
            let m = if g.real {
                m_r * g.class.map_or(1.0, |c| classes[c])
            } else {
                m_v
            };
            let attraction = g.weight * m.powf(g.elasticity);
            denominator += attraction;
            if g.real {
                cash += g.cash_cost * attraction;
            }
        }
        cash / denominator.max(1e-300)
    }

    /// Elasticity classes of the real goods, most elastic (believed, by
    /// appeal-weighted mean) first.
    fn classes_by_elasticity(&self) -> Vec<usize> {
        let mut classes: Vec<(usize, f64)> = (0..4)
            .filter_map(|c| {
                let goods = self.mall.iter().filter(|g| g.real && g.class == Some(c));
                let (sum, weight) = goods.fold((0.0, 0.0), |(s, w), g| {
                    (s + g.weight * g.elasticity, w + g.weight)
                });
                (weight > 0.0).then(|| (c, sum / weight))
            })
            .collect();
        classes.sort_by(|a, b| a.1.total_cmp(&b.1));
        classes.into_iter().map(|(c, _)| c).collect()
    }

    /// Learns from the period just ended.
    pub fn observe(&mut self, tally: &PeriodTally) {
        let w = self.config.smoothing;
        let [_, real, valve] = tally.levers;
        let effect = self.cash_effect(real, tally.class_levers, valve);
        self.cash.observe(tally.cash_cost, effect, w);
        self.virtual_tokens.observe(
            tally.redeemed_virtual as f64,
            valve.powf(1.0 + self.virtual_elasticity),
            w,
        );
        // Net inflow I − R under the levers in force: its errors are the
        // fixed-lever variance Miller–Orr asks for.
        let net = tally.issuance as f64 - (tally.redeemed_real + tally.redeemed_virtual) as f64;
        self.net_inflow.observe(net, 1.0, w);
        // The incentive value's forecasts (used when λ > 0; kept always, so
        // that a later phase with λ > 0 starts from what was learned).
        let levers = Levers {
            issuance_rate: tally.levers[0],
            real_price_mult: real,
            virtual_price_mult: valve,
            class_mult: tally.class_levers,
        };
        let power = self.incentive_power(levers.issuance_rate, tally.purchasing_power);
        let redeemed = (tally.redeemed_real + tally.redeemed_virtual) as f64;
        if let Some(predicted) = self.predicted_task_net(&levers, power) {
            // Bonus tokens are the reward policy's, not the levers': they
            // stay out of both sides.
            let task_tokens = tally.type_task_tokens.iter().sum::<u64>() as f64;
            self.fixed_lever_net
                .observe_error(task_tokens - redeemed - predicted, w);
        }
        self.leaving_balances
            .observe((tally.departed_balances + tally.forfeited) as f64, 1.0, w);
        for (k, f) in self.tasks.iter_mut().enumerate() {
            if let (Some(&n), Some(&eta)) =
                (tally.type_tasks.get(k), self.effort.elasticities.get(k))
            {
                f.observe(n as f64, power.powf(eta), w);
            }
        }
        self.redemption
            .observe(redeemed, self.logit_tokens(&levers).max(1e-300), w);
        if tally.sales.iter().any(|&n| n > 0) {
            self.spend.clear();
            self.spend.extend(
                tally
                    .sales
                    .iter()
                    .zip(&self.mall)
                    .map(|(&n, g)| n as f64 * g.reference_price * Self::multiplier(g, &levers)),
            );
        }
    }

    /// What effort answers: ι, or ι·π (model.md E.3).
    fn incentive_power(&self, issuance_rate: f64, pi: f64) -> f64 {
        if self.effort.purchasing_power {
            issuance_rate * pi
        } else {
            issuance_rate
        }
    }

    /// Task tokens less redemption predicted for a period run at `levers`
    /// (incentive power `power`), from the forecasts before that period
    /// is learned; `None` until each has a level.
    fn predicted_task_net(&self, levers: &Levers, power: f64) -> Option<f64> {
        let mut tasks = 0.0;
        for (f, &eta) in self.tasks.iter().zip(&self.effort.elasticities) {
            tasks += f.predict(power.powf(eta))?;
        }
        let redeemed = self
            .redemption
            .predict(self.logit_tokens(levers).max(1e-300))?;
        Some(levers.issuance_rate * tasks - redeemed)
    }

    /// `issuance_rule = "return"`: the issuance rate at which the float
    /// is predicted to close a 1/`horizon` share of its gap to the return
    /// point Z next period — task tokens at that rate, less redemption at
    /// the levers just chosen, less (for the active float) the balances
    /// leaving with couriers — moved towards by at most one
    /// `issuance_step`. `None` until the forecasts have levels.
    fn returning_issuance(&self, float: f64) -> Option<f64> {
        let c = &self.config;
        let (_, z, _) = self.band();
        let leaving = match c.float_measure {
            FloatMeasure::Active => self.leaving_balances.predict(1.0)?,
            FloatMeasure::Whole => 0.0,
        };
        let wanted = (z - float) / c.horizon + leaving;
        let now = self.levers.issuance_rate;
        let net_at = |iota: f64| {
            let levers = Levers {
                issuance_rate: iota,
                ..self.levers
            };
            let power = self.incentive_power(iota, self.believed_purchasing_power(&levers));
            self.predicted_task_net(&levers, power)
        };
        net_at(now)?;
        // Task tokens rise with ι (ι^{1+η}), so the net is monotone: bisect
        // within the step's reach, which is all the rate may move anyway.
        let (mut lo, mut hi) = (now * (1.0 - c.issuance_step), now * (1.0 + c.issuance_step));
        if net_at(hi)? <= wanted {
            return Some(hi);
        }
        if net_at(lo)? >= wanted {
            return Some(lo);
        }
        for _ in 0..50 {
            let mid = 0.5 * (lo + hi);
            if net_at(mid)? < wanted {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(0.5 * (lo + hi))
    }

    /// The price multiplier of good `g` under `levers`.
    fn multiplier(g: &BelievedGood, levers: &Levers) -> f64 {
        if g.real {
            levers.real_price_mult * g.class.map_or(1.0, |c| levers.class_mult[c])
        } else {
            levers.virtual_price_mult
        }
    }

    /// Believed tokens spent per visit under `levers`: the logit's
    /// Σ_j p_j w_j m_j^{ê_j} / D(m).
    fn logit_tokens(&self, levers: &Levers) -> f64 {
        let (mut tokens, mut denominator) = (0.0, self.no_purchase_weight);
        for g in &self.mall {
            let m = Self::multiplier(g, levers);
            let attraction = g.weight * m.powf(g.elasticity);
            denominator += attraction;
            tokens += g.reference_price * m * attraction;
        }
        tokens / denominator.max(1e-300)
    }

    /// π under `levers`: Σ_j s_j / m_j, the shares s_j those of last
    /// period's spend (the engine's index, without whole-token rounding).
    fn believed_purchasing_power(&self, levers: &Levers) -> f64 {
        let total: f64 = self.spend.iter().sum();
        if total <= 0.0 {
            return 1.0;
        }
        self.spend
            .iter()
            .zip(&self.mall)
            .map(|(&s, g)| s / Self::multiplier(g, levers))
            .sum::<f64>()
            / total
    }

    /// Predicted tasks per period under `levers` (π from
    /// [`Self::believed_purchasing_power`]), or `None` before the first
    /// period is seen.
    fn predicted_tasks(&self, levers: &Levers) -> Option<f64> {
        let power =
            self.incentive_power(levers.issuance_rate, self.believed_purchasing_power(levers));
        self.tasks
            .iter()
            .zip(&self.effort.elasticities)
            .map(|(f, &eta)| f.predict(power.powf(eta)))
            .sum()
    }

    /// z* of the year starting now at budget `budget`: the one-line
    /// fractile Φ⁻¹(κ_o/(κ_o+κ_u)), or, ratchet-aware, (B − μ*)/σ_year
    /// with μ* the planned mean the dynamic programme over
    /// `planning_years` budget years picks (model.md E.3, P3).
    fn year_z(&self, budget: &BudgetView, periods: u32) -> f64 {
        let c = &self.config;
        let myopic =
            inverse_normal(budget.over_penalty / (budget.over_penalty + budget.under_penalty));
        let sigma_year = (self.cash.error_var() * periods as f64).sqrt();
        let Some(planning) = c
            .ratchet
            .filter(|_| !(budget.budget <= 0.0 || sigma_year <= 0.0))
        else {
            return myopic;
        };
        // What the levers can move the year's cost by, around the setting
        // that meets the budget: the real band's [hi^ê, lo^ê], and with the
        // valve on the budget, the valve band's too. Why not the
        // reach from today's level: the year's z* is fixed at its first
        // period, and a level depressed by a passing shock would clamp every
        // candidate and plan a huge underspend for the whole year.
        let [lo, hi] = c.real_price_band;
        let [valve_lo, valve_hi] = c.valve_band;
        let reach = [
            self.cash_effect(hi, [1.0; 4], valve_lo),
            self.cash_effect(lo, [1.0; 4], valve_hi),
        ];
        let problem = RatchetProblem {
            years: planning.years,
            over_penalty: budget.over_penalty,
            under_penalty: budget.under_penalty,
            ratchet: budget.ratchet,
            cv: sigma_year / budget.budget,
            reach: [reach[0].min(reach[1]), reach[0].max(reach[1])],
            discount: planning.discount,
            terminal_value: planning.terminal_value,
        };
        // Budgets reachable from B in the planning years: the ratchet takes
        // at most ρ(1 − reach_lo) a year.
        let floor = (1.0 - budget.ratchet * (1.0 - problem.reach[0]).max(0.0))
            .max(0.05)
            .powi(planning.years as i32);
        let solution = problem.solve_with(
            100,
            budget.budget * floor * 0.999,
            budget.budget * 1.001,
            201,
            160,
        );
        (budget.budget - solution.target(0, budget.budget)) / sigma_year
    }

    /// P1: the (real, class, valve) multipliers that make the believed
    /// cash cost `level` × effect meet `target`. The valve does it alone
    /// when it can (real prices relax half-way back to 1 each period);
    /// beyond the valve's band, real prices take over within theirs — by
    /// class, the most elastic first: a real good's cash is proportional to
    /// its token spend, so per unit of purchasing power taken from (or
    /// given to) couriers, the most elastic class moves the most cash — or
    /// all real goods alike (`real_prices = "uniform"`).
    fn budget_levers(&self, level: f64, target: f64) -> (f64, [f64; 4], f64) {
        let c = &self.config;
        let band = c.real_price_band;
        let relax = |m: f64| m.sqrt().clamp(band[0], band[1]);
        let mut real = relax(self.levers.real_price_mult);
        let mut classes = self.levers.class_mult.map(relax);
        let cash_at = |r: f64, k: [f64; 4], v: f64| level * self.cash_effect(r, k, v);
        let met = |cash: f64| (cash / target - 1.0).abs() < 1e-6;
        // Cash rises with the valve (dearer virtual goods divert less) and
        // falls with real prices: bisect each in logs within its band.
        let valve = bisect(c.valve_band, |v| cash_at(real, classes, v) - target, true);
        if met(cash_at(real, classes, valve)) {
            return (real, classes, valve);
        }
        match c.real_prices {
            RealPriceControl::Uniform => {
                real = bisect(band, |r| cash_at(r, classes, valve) - target, false);
            }
            RealPriceControl::ByClass => {
                for class in self.classes_by_elasticity() {
                    let at = |m: f64| {
                        let mut k = classes;
                        k[class] = m;
                        cash_at(real, k, valve) - target
                    };
                    classes[class] = bisect(band, at, false);
                    if met(cash_at(real, classes, valve)) {
                        break;
                    }
                }
            }
        }
        (real, classes, valve)
    }

    /// E[Π] of the year when the rest of it costs N(μ − spent, σ²) on top
    /// of `spent`: κ_o E(C − B)^+ + κ_u' E(B − C)^+, with κ_u' the
    /// under-penalty whose newsvendor fractile is Φ(z) — κ_u itself for the
    /// one-year fractile, and the ratchet-aware programme's answer
    /// otherwise — so that, with λ = 0, the plan that minimises it is the
    /// fractile target.
    fn expected_penalty(budget: &BudgetView, mean: f64, sigma: f64, z: f64) -> f64 {
        let over = budget.over_penalty;
        let phi_z = normal_cdf(z).clamp(1e-12, 1.0 - 1e-12);
        let under = over * (1.0 - phi_z) / phi_z;
        let b = budget.budget;
        if sigma <= 0.0 {
            return over * (mean - b).max(0.0) + under * (b - mean).max(0.0);
        }
        let d = (mean - b) / sigma;
        let density = (-0.5 * d * d).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let above = (mean - b) * normal_cdf(d) + sigma * density;
        let below = (b - mean) * normal_cdf(-d) + sigma * density;
        over * above + under * below
    }

    /// The plan that minimises E[Π] − λ·V over the rest of the budget year
    /// (`n` periods, this one included) subject to the float band
    /// (model.md E.3, `steer.value_weight` = λ > 0). Candidates: the
    /// issuance rate held or moved one `issuance_step` — outside the band,
    /// only the step back towards it; inside, a move only if the float
    /// projected `horizon` periods ahead stays in the band — and for each,
    /// the valve and real prices by coordinate descent (golden sections in
    /// logs within their bands). Predictions: cash from the believed logit
    /// ratio, tasks per type from x^{η_k} (x = ι or ι·π, π at the
    /// candidate prices), redemption from the logit's tokens per visit.
    /// Holding wins ties.
    fn value_plan(&self, float: f64, budget: &BudgetView, n: f64, z: f64) -> Option<Plan> {
        let c = &self.config;
        let now = self.levers;
        let level = self.cash.predict(1.0)?;
        let net_now = self.net_inflow.predict(1.0)?;
        let tokens_now = self.logit_tokens(&now);
        let redeemed_now = self.redemption.predict(tokens_now)?;
        let tasks_now = self.predicted_tasks(&now)?;
        let sigma = (self.cash.error_var() * n).sqrt();
        let (lo, _, hi) = self.band();
        let evaluate = |levers: &Levers| -> Option<Plan> {
            let cash = level
                * self.cash_effect(
                    levers.real_price_mult,
                    levers.class_mult,
                    levers.virtual_price_mult,
                );
            let penalty = Self::expected_penalty(budget, budget.spent + n * cash, sigma, z);
            let tasks = self.predicted_tasks(levers)?;
            let value = self.effort.task_value * tasks * n;
            let issued_change = levers.issuance_rate * tasks - now.issuance_rate * tasks_now;
            let redeemed_change =
                self.redemption.predict(self.logit_tokens(levers))? - redeemed_now;
            let net = net_now + issued_change - redeemed_change;
            Some(Plan {
                levers: *levers,
                objective: penalty - c.value_weight * value,
                projected_float: float + c.horizon * net,
            })
        };
        let relax = |m: f64| m.sqrt().clamp(c.real_price_band[0], c.real_price_band[1]);
        let classes = self.classes_by_elasticity();
        let best_prices = |iota: f64| -> Option<Plan> {
            let mut x = Levers {
                issuance_rate: iota,
                real_price_mult: relax(now.real_price_mult),
                virtual_price_mult: now.virtual_price_mult,
                class_mult: now.class_mult.map(relax),
            };
            let score = |x: &Levers| evaluate(x).map_or(f64::INFINITY, |p| p.objective);
            for _ in 0..2 {
                x.virtual_price_mult = golden_min(c.valve_band, |v| {
                    score(&Levers {
                        virtual_price_mult: v,
                        ..x
                    })
                });
                match c.real_prices {
                    RealPriceControl::Uniform => {
                        x.real_price_mult = golden_min(c.real_price_band, |r| {
                            score(&Levers {
                                real_price_mult: r,
                                ..x
                            })
                        });
                    }
                    RealPriceControl::ByClass => {
                        for &class in &classes {
                            x.class_mult[class] = golden_min(c.real_price_band, |m| {
                                let mut k = x.class_mult;
                                k[class] = m;
                                score(&Levers { class_mult: k, ..x })
                            });
                        }
                    }
                }
            }
            evaluate(&x)
        };
        let step = c.issuance_step;
        let clamp_pay = |iota: f64| match self.pay_band {
            Some([a, b]) => iota.clamp(a, b),
            None => iota,
        };
        let candidates: Vec<f64> = if float > hi {
            vec![clamp_pay(now.issuance_rate * (1.0 - step))]
        } else if float < lo {
            vec![clamp_pay(now.issuance_rate * (1.0 + step))]
        } else {
            vec![
                now.issuance_rate,
                clamp_pay(now.issuance_rate * (1.0 - step)),
                clamp_pay(now.issuance_rate * (1.0 + step)),
            ]
        };
        let mut best: Option<Plan> = None;
        for (i, &iota) in candidates.iter().enumerate() {
            let Some(plan) = best_prices(iota) else {
                continue;
            };
            let holds = i == 0;
            let in_band = (lo..=hi).contains(&plan.projected_float);
            if !holds && !in_band && lo <= float && float <= hi {
                continue;
            }
            if best.is_none_or(|b| plan.objective < b.objective) {
                best = Some(plan);
            }
        }
        best
    }

    /// (K_lo, Z, K_hi) of the float band, in tokens (configured per unit of
    /// market size θ, so that a scenario keeps its meaning at another θ).
    fn band(&self) -> (f64, f64, f64) {
        let s = self.scale;
        match self.config.float_band {
            FloatBand::Fixed { low, high } => (low * s, 0.5 * (low + high) * s, high * s),
            FloatBand::MillerOrr {
                lower,
                change_cost,
                carrying_cost,
            } => {
                // σ² of the net inflow under fixed levers, per unit of θ
                // (until it has errors, the net inflow's own).
                let var = if self.fixed_lever_net.errors() > 0 {
                    self.fixed_lever_net.error_var()
                } else {
                    self.net_inflow.error_var()
                } / (s * s);
                let spread = 3.0 * (0.75 * change_cost * var / carrying_cost).cbrt();
                (lower * s, (lower + spread / 3.0) * s, (lower + spread) * s)
            }
            FloatBand::Unbounded => (0.0, f64::INFINITY, f64::INFINITY),
        }
    }

    /// The levers recommended for period `t`, given the float and the budget
    /// year so far (`periods_left` periods remain in it, this one included).
    pub fn recommend(
        &mut self,
        float: f64,
        budget: &BudgetView,
        periods_left: u32,
        periods_per_year: u32,
    ) -> Levers {
        let m = self.levers;
        let (Some(cash), Some(virt)) = (
            self.cash
                .predict(m.real_price_mult.powf(self.real_elasticity)),
            self.virtual_tokens
                .predict(m.virtual_price_mult.powf(1.0 + self.virtual_elasticity)),
        ) else {
            return self.levers;
        };
        // z* is fixed for a budget year at its first period; until the
        // forecast has seen a few errors (the first weeks of a run) it is
        // recomputed every period.
        if periods_left == periods_per_year || self.year_z.is_none() || self.cash.errors() < 4 {
            self.year_z = Some(self.year_z(budget, periods_per_year));
        }
        let z = self.year_z.unwrap_or(0.0);
        let c = &self.config;
        let clamp = |x: f64, band: [f64; 2]| x.clamp(band[0], band[1]);

        // Target: the fractile of the predictive distribution of the rest
        // of the year's cost, N(n ĉ, n σ_e²).
        let n = periods_left.max(1) as f64;
        let sigma = (self.cash.error_var() * n).sqrt();
        let planned = (budget.budget - budget.spent - z * sigma).max(0.0);
        let target = planned / n;

        match c.valve {
            ValveRole::Float => {
                // Lever 2: cash cost ∝ units ∝ m^ê (damped by half a step).
                if cash > 0.0 && target > 0.0 && self.real_elasticity < 0.0 {
                    let step = 0.5 * (target / cash).ln() / self.real_elasticity;
                    self.levers.real_price_mult =
                        clamp(self.levers.real_price_mult * step.exp(), c.real_price_band);
                }

                // Lever 3, the valve: virtual tokens ∝ m^(1+ê); spend the
                // float's excess over Z within `horizon` periods.
                let (_, z, _) = self.band();
                if z.is_finite() && virt > 0.0 {
                    let wanted = (virt + (float - z) / c.horizon).max(0.1 * virt);
                    let response = 1.0 + self.virtual_elasticity;
                    let step = if response < -0.05 {
                        0.5 * (wanted / virt).ln() / response
                    } else {
                        // Spending barely responds to price: move in the right direction.
                        -0.05 * (wanted - virt).signum()
                    };
                    self.levers.virtual_price_mult =
                        clamp(self.levers.virtual_price_mult * step.exp(), c.valve_band);
                }
            }
            ValveRole::Budget if c.value_weight > 0.0 => {
                if let Some(plan) = self.value_plan(float, budget, n, z) {
                    let half = |now: f64, wanted: f64| (0.5 * (now.ln() + wanted.ln())).exp();
                    let l = plan.levers;
                    self.levers.real_price_mult = half(m.real_price_mult, l.real_price_mult);
                    for (now, wanted) in self.levers.class_mult.iter_mut().zip(l.class_mult) {
                        *now = half(*now, wanted);
                    }
                    self.levers.virtual_price_mult =
                        half(m.virtual_price_mult, l.virtual_price_mult);
                    self.levers.issuance_rate = l.issuance_rate;
                    return self.levers;
                }
            }
            ValveRole::Budget => {
                if let Some(level) = self.cash.predict(1.0).filter(|_| target > 0.0) {
                    let (real, classes, valve) = self.budget_levers(level, target);
                    // Half a step (in logs) towards the setting that meets
                    // the target, as the float-valve controller moves.
                    let half = |now: f64, wanted: f64| (0.5 * (now.ln() + wanted.ln())).exp();
                    self.levers.real_price_mult = half(m.real_price_mult, real);
                    for (now, wanted) in self.levers.class_mult.iter_mut().zip(classes) {
                        *now = half(*now, wanted);
                    }
                    self.levers.virtual_price_mult = half(m.virtual_price_mult, valve);
                }
            }
        }

        // Lever 1: the float band's.
        if self.config.issuance_rule == IssuanceRule::Return {
            if let Some(iota) = self.returning_issuance(float) {
                self.levers.issuance_rate = iota;
            }
            if let Some(band) = self.pay_band {
                self.levers.issuance_rate = clamp(self.levers.issuance_rate, band);
            }
            return self.levers;
        }
        let (lo, _, hi) = self.band();
        let c = &self.config;
        if float > hi {
            self.levers.issuance_rate *= 1.0 - c.issuance_step;
        } else if float < lo {
            self.levers.issuance_rate *= 1.0 + c.issuance_step;
        }
        if let Some(band) = self.pay_band {
            self.levers.issuance_rate = clamp(self.levers.issuance_rate, band);
        }
        self.levers
    }
}

impl LeverController for Controller {
    fn name(&self) -> &str {
        "steer"
    }

    /// Steers only with a budget to steer to; without one the
    /// recommendation stays where it is.
    fn recommend(&mut self, ctx: &LeverContext) -> Levers {
        match &ctx.budget {
            // The band acts on the active float by default (model.md E.3):
            // dormant balances are a liability no lever can move.
            Some(budget) => Controller::recommend(
                self,
                match self.config.float_measure {
                    FloatMeasure::Whole => ctx.float,
                    FloatMeasure::Active => ctx.active_float,
                },
                budget,
                ctx.periods_left,
                ctx.periods_per_year,
            ),
            None => self.levers,
        }
    }

    fn implemented(&mut self, levers: &Levers) {
        // Per-class multipliers are never overridden: they stay the
        // controller's own.
        self.levers.issuance_rate = levers.issuance_rate;
        self.levers.real_price_mult = levers.real_price_mult;
        self.levers.virtual_price_mult = levers.virtual_price_mult;
    }

    fn observe(&mut self, tally: &PeriodTally) {
        Controller::observe(self, tally);
    }

    fn reconfigure(&mut self, economy: &Economy) {
        let config = economy.steer.clone().unwrap_or_else(|| self.config.clone());
        Controller::reconfigure(self, config, economy);
    }

    fn save_state(&self) -> Vec<u8> {
        rmp_serde::to_vec_named(self).expect("the controller serializes")
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), String> {
        *self = rmp_serde::from_slice(state).map_err(|e| format!("steer controller: {e}"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Forecast;

    /// Observations that follow the believed lever effect exactly leave no
    /// prediction error, however far the lever moves; the variance of the
    /// levels would be large.
    #[test]
    fn lever_moves_the_belief_explains_are_not_uncertainty() {
        let mut f = Forecast::default();
        let e: f64 = -0.8;
        for t in 0..40 {
            let m = 0.8 + 0.01 * t as f64;
            f.observe(1000.0 * m.powf(e), m.powf(e), 0.3);
        }
        assert!(f.error_var() < 1e-18, "{}", f.error_var());
        assert!((f.predict(1.0).unwrap() - 1000.0).abs() < 1e-9);
        // A shock is uncertainty: one error of 50 gives 0.3 × 50².
        f.observe(1000.0 + 50.0, 1.0, 0.3);
        assert!((f.error_var() - 0.3 * 2500.0).abs() < 1e-6);
    }

    /// P3's Miller–Orr σ² is the net inflow's variance under fixed levers.
    /// Synthetic periods of the courier mall: tasks follow the believed
    /// effort response exactly, redemption the believed logit response plus
    /// independent noise of standard deviation σ. With the levers held, and
    /// with issuance and the valve jumping every period, the fixed-lever
    /// estimate must be the theory for exponential smoothing with weight w
    /// of an i.i.d. series, σ²(1 + w/(2 − w)) (the levers' effects are
    /// predicted, not counted as risk), while the net inflow's own one-step
    /// errors hold every lever move.
    #[test]
    fn the_miller_orr_variance_is_the_fixed_lever_one() {
        use super::{Controller, Levers};
        use crate::config::Config;
        use crate::engine::PeriodTally;
        use crate::model::Model;
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};

        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/fengdou-steer.toml");
        let config = Config::load(&path, &[]).unwrap();
        let model = Model::new(&config);
        let economy = model.economy.as_ref().unwrap();
        let sigma = 2000.0;
        let w = economy.steer.as_ref().unwrap().smoothing;
        let run = |moving: bool| {
            let mut c = Controller::new(economy.steer.clone().unwrap(), economy, 1.0);
            let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
            let noise = Normal::new(0.0, sigma).unwrap();
            let (mut sum, mut own, mut n) = (0.0, 0.0, 0);
            for t in 0..4000 {
                let (iota, valve) = if moving && t % 2 == 1 {
                    (1.2, 0.5)
                } else {
                    (1.0, 1.0)
                };
                let levers = Levers {
                    issuance_rate: iota,
                    real_price_mult: 1.0,
                    virtual_price_mult: valve,
                    class_mult: [1.0; 4],
                };
                let mut tally = PeriodTally::with_goods(3, 1, economy.goods.len());
                tally.levers = [iota, 1.0, valve];
                tally.class_levers = [1.0; 4];
                tally.purchasing_power = 1.0;
                let mut task_tokens = 0;
                for k in 0..3 {
                    let tasks = 100_000.0 * iota.powf(economy.effort_elasticities[k]);
                    tally.type_tasks[k] = tasks.round() as u64;
                    tally.type_task_tokens[k] = (iota * tasks).round() as u64;
                    task_tokens += tally.type_task_tokens[k];
                }
                let redeemed = 200_000.0 * c.logit_tokens(&levers) + noise.sample(&mut rng);
                tally.redeemed_virtual = redeemed.round() as u64;
                tally.issuance = task_tokens;
                c.observe(&tally);
                if t >= 100 {
                    sum += c.fixed_lever_net.error_var();
                    own += c.net_inflow.error_var();
                    n += 1;
                }
            }
            (sum / n as f64, own / n as f64)
        };
        let (held, held_own) = run(false);
        let (moving, moving_own) = run(true);
        let theory = sigma * sigma * (1.0 + w / (2.0 - w));
        eprintln!(
            "fixed-lever σ²: held {held:.0}, moving {moving:.0}, theory {theory:.0}; \
             the net inflow's own: held {held_own:.0}, moving {moving_own:.0}"
        );
        // Averaged over 3,900 periods of an exponentially weighted mean of
        // squares (about 6 effective periods each), the sampling error is
        // about 2 %. With the levers moving, the redemption level is learned
        // through a factor that moves with the valve, which changes only the
        // level's share of the error (w/(2 − w) ≈ 15 %), and little.
        assert!((held / theory - 1.0).abs() < 0.05, "{held} vs {theory}");
        assert!((moving / theory - 1.0).abs() < 0.05, "{moving} vs {theory}");
        assert!(moving_own > 100.0 * moving, "{moving_own} vs {moving}");
    }

    /// E[Π] against its definition, integrated numerically; and with
    /// λ = 0 its minimiser over the planned mean is the newsvendor
    /// fractile B − z·σ (the closed form the λ = 0 controller targets).
    #[test]
    fn expected_penalty_is_the_newsvendor_loss() {
        use super::{inverse_normal, normal_cdf, Controller};
        use crate::policy::BudgetView;
        let budget = BudgetView {
            budget: 100.0,
            spent: 0.0,
            over_penalty: 2.0,
            under_penalty: 1.0,
            ratchet: 0.0,
        };
        let z = inverse_normal(2.0 / 3.0);
        let (mean, sigma) = (97.0, 4.0);
        // Trapezoid rule over ±12σ of the normal density.
        let steps = 200_000;
        let (a, b) = (mean - 12.0 * sigma, mean + 12.0 * sigma);
        let h = (b - a) / steps as f64;
        let mut integral = 0.0;
        for i in 0..=steps {
            let c = a + i as f64 * h;
            let density = (-0.5 * ((c - mean) / sigma).powi(2)).exp()
                / (sigma * (2.0 * std::f64::consts::PI).sqrt());
            let loss = 2.0 * (c - 100.0).max(0.0) + 1.0 * (100.0 - c).max(0.0);
            let w = if i == 0 || i == steps { 0.5 } else { 1.0 };
            integral += w * loss * density * h;
        }
        let analytic = Controller::expected_penalty(&budget, mean, sigma, z);
        assert!(
            (analytic - integral).abs() < 1e-6,
            "{analytic} vs {integral}"
        );
        // The minimiser over the planned mean, by a fine scan.
        let best = (0..20_000)
            .map(|i| 80.0 + i as f64 * 0.001)
            .min_by(|x, y| {
                Controller::expected_penalty(&budget, *x, sigma, z)
                    .total_cmp(&Controller::expected_penalty(&budget, *y, sigma, z))
            })
            .unwrap();
        assert!((best - (100.0 - z * sigma)).abs() < 2e-3, "{best}");
        assert!((normal_cdf(1.959963985) - 0.975).abs() < 1e-9);
    }

    #[test]
    fn golden_min_finds_the_minimiser_in_logs() {
        let x = super::golden_min([0.5, 2.0], |m| (m.ln() - 0.3f64.ln().abs() * 0.5).powi(2));
        let want = (0.3f64.ln().abs() * 0.5).exp();
        assert!((x - want).abs() < 1e-8, "{x} vs {want}");
        // A minimiser outside the band gives its edge.
        assert!((super::golden_min([0.5, 2.0], |m| m) - 0.5).abs() < 1e-8);
    }

    #[test]
    fn inverse_normal_known_values() {
        assert!((super::inverse_normal(0.5)).abs() < 1e-9);
        assert!((super::inverse_normal(0.975) - 1.959963985).abs() < 1e-6);
        assert!((super::inverse_normal(0.1) + 1.281551566).abs() < 1e-6);
    }
}
