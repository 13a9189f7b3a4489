//! Group fairness of the token economy (model.md E.5, interfaces.md 4.2).
//!
//! Every courier faces the same levers in a period, yet types present at
//! different times (seasonal hiring, different tenure) are paid differently
//! on average when the levers move: the pay rate of type k is
//! Σ_t ι_t tasks_k(t) / Σ_t tasks_k(t), a task-weighted mean of the issuance
//! path. Under fixed levers it is ι for every type.
//!
//! Each metric is a ratio of sums over the periods after warm-up, per type
//! (Fairlearn's `by_group`), with `difference` = max − min and `ratio` =
//! min / max over types.
//!
//! Design note — the intervals. The pay-rate difference D = R_a − R_b of
//! the two extreme types comes from the association between the issuance
//! path and each type's presence over time: a season is signal, not noise.
//! Batch means over time blocks would count the season as noise (blocks
//! inside and outside it differ systematically), so for the pay rate the
//! interval is conditional on the recorded issuance path and presence:
//! task counts are Poisson given who is present (model.md B.1), so
//! Var(tasks_k(t)) = E tasks_k(t), estimated by the count itself, and by
//! the delta method Var(R_k) ≈ Σ_t (ι_t − R_k)² tasks_k(t) / (Σ_t
//! tasks_k(t))², plus at most N_k(t)/4 per period for the stochastic
//! rounding of tokens, the types independent. Under fixed levers ι_t = R_k
//! and only rounding remains. The value per token differs between types by
//! what they buy, which shows in every period, so there batch means of the
//! linearised residuals z_t = (x_at − R_a y_at)/Y_a − (x_bt − R_b y_bt)/Y_b
//! over contiguous time blocks estimate D's error. Across replications both
//! use Student's t on the replications' differences.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::input::{RunData, TokenTypeSeries};
use super::{interval, t_quantile, Interval, BLOCKS};

/// Default `--token-tolerance`: a difference of 2 % of the overall rate.
pub const DEFAULT_TOKEN_TOLERANCE: f64 = 0.02;

/// A value per type, serialized as a JSON object in type order.
#[derive(Debug, Clone, PartialEq)]
pub struct ByGroup<T = f64>(pub Vec<(String, T)>);

impl<T: Serialize> Serialize for ByGroup<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// A 95 % interval per type, serialized as a JSON object of [low, high].
pub type ByGroupInterval = ByGroup<[f64; 2]>;

/// One rate per type, compared across types.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupMetric {
    /// The rate of each type.
    pub by_group: ByGroup,
    /// 95 % interval of each type's rate, by the same method as `ci95`.
    pub by_group_ci95: ByGroupInterval,
    /// The rate of all types together.
    pub overall: f64,
    /// max − min over types with data.
    pub difference: f64,
    /// `difference / overall`: what `--token-tolerance` is compared with.
    pub relative_difference: f64,
    /// min / max over types.
    pub ratio: f64,
    /// 95 % interval of `difference`.
    pub ci95: Interval,
    /// "unfair" when `relative_difference` exceeds the tolerance and the
    /// interval's lower end does too; "fair" otherwise; "descriptive" for
    /// the value per token, which is not judged.
    pub verdict: &'static str,
}

/// The reward-policy (bonus) audit of Part C, as summarised here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BonusAudit {
    /// The verdict of the reward-distribution audit.
    pub verdict: &'static str,
    /// Its largest gap between types.
    pub max_abs_gap: f64,
    /// Bonus tokens credited per task, by type.
    pub tokens_per_task: ByGroup,
}

/// `token_fairness` of a token-economy run (or of replications).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenFairness {
    /// Tokens credited for tasks per task completed.
    pub pay_rate: GroupMetric,
    /// Purchasing power of a redeemed token: reference-price tokens of the
    /// type's own purchases per token it paid. 1 for every type under the
    /// reference prices; it differs between types only through price
    /// levers that moved while the types were present in different mixes.
    pub purchasing_power: GroupMetric,
    /// Yuan of goods bought per token redeemed (real goods at cash cost,
    /// virtual goods at their configured value). Descriptive: it differs
    /// between types by what they choose to buy even under fixed levers,
    /// so it is not judged (its `verdict` is "descriptive").
    pub value_per_token: GroupMetric,
    /// The bonus audit.
    pub bonus: BonusAudit,
    /// The tolerance used.
    pub tolerance: f64,
    /// "unfair" when the pay rate, the purchasing power or the bonus audit
    /// is.
    pub verdict: &'static str,
}

/// Σ over periods `t0..t1` of column `k` of a [T][K] array.
fn column_sum(values: &[f64], k: usize, types: usize, t0: usize, t1: usize) -> f64 {
    (t0..t1).map(|t| values[t * types + k]).sum()
}

/// The extreme types (index of max, index of min) among finite rates.
fn extremes(rates: &[f64]) -> Option<(usize, usize)> {
    let valid = || rates.iter().enumerate().filter(|(_, r)| r.is_finite());
    let hi = valid().max_by(|a, b| a.1.total_cmp(b.1))?.0;
    let lo = valid().min_by(|a, b| a.1.total_cmp(b.1))?.0;
    Some((hi, lo))
}

fn verdict_of(relative: f64, low: f64, overall: f64, tolerance: f64) -> &'static str {
    // A NaN interval (too few blocks) cannot exclude the tolerance.
    if relative > tolerance && low / overall > tolerance {
        "unfair"
    } else {
        "fair"
    }
}

/// How the interval of a metric's difference is estimated.
#[derive(Clone, Copy)]
enum Spread<'a> {
    /// Poisson task counts given presence (the pay rate): the issuance
    /// path [T] and the agents present [T][K].
    PoissonTasks {
        issuance: &'a [f64],
        active: &'a [u64],
    },
    /// Batch means of the delta-method residuals over time blocks.
    BatchMeans,
}

/// Half-width of the 95 % interval of Σ_t z_t over `t0..t1` by batch means:
/// block sums S_b of z over B contiguous blocks, Var(Σ z) ≈ B · Var(S_b),
/// Student's t with B − 1 degrees of freedom (NaN with fewer than 2 blocks).
fn batch_half_width(t0: usize, t1: usize, z: impl Fn(usize) -> f64) -> f64 {
    let blocks = BLOCKS.min((t1 - t0) / 2).max(1);
    let size = (t1 - t0) / blocks;
    let sums: Vec<f64> = (0..blocks)
        .map(|b| (t0 + b * size..t0 + (b + 1) * size).map(&z).sum())
        .collect();
    let n = sums.len();
    if n < 2 {
        return f64::NAN;
    }
    let mean = sums.iter().sum::<f64>() / n as f64;
    let var = sums.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    t_quantile(n - 1) * (n as f64 * var).sqrt()
}

/// The ratio Σ num_k / Σ den_k per type over `t0..t1`, with intervals of
/// each type's rate and of the difference (see the module's design note).
fn ratio_metric(
    names: &[String],
    num: &[f64],
    den: &[f64],
    (t0, t1): (usize, usize),
    spread: Spread<'_>,
    tolerance: f64,
) -> GroupMetric {
    let k = names.len();
    let totals: Vec<(f64, f64)> = (0..k)
        .map(|kk| {
            (
                column_sum(num, kk, k, t0, t1),
                column_sum(den, kk, k, t0, t1),
            )
        })
        .collect();
    let rates: Vec<f64> = totals
        .iter()
        .map(|&(x, y)| if y > 0.0 { x / y } else { f64::NAN })
        .collect();
    let (x_all, y_all) = totals
        .iter()
        .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x, b + y));
    let overall = x_all / y_all;
    // z_k(t): type k's linearised error of its rate in period t.
    let residual =
        |kk: usize, t: usize| (num[t * k + kk] - rates[kk] * den[t * k + kk]) / totals[kk].1;
    // Var(R_k) under Poisson tasks given presence and levers.
    let poisson_variance = |kk: usize, issuance: &[f64], active: &[u64]| {
        let s = totals[kk].1;
        (t0..t1)
            .map(|t| {
                (issuance[t] - rates[kk]).powi(2) * den[t * k + kk]
                    + active[t * k + kk] as f64 / 4.0
            })
            .sum::<f64>()
            / (s * s)
    };
    let half_width = |kk: usize| -> f64 {
        if !rates[kk].is_finite() {
            return f64::NAN;
        }
        match spread {
            Spread::PoissonTasks { issuance, active } => {
                1.96 * poisson_variance(kk, issuance, active).sqrt()
            }
            Spread::BatchMeans => batch_half_width(t0, t1, |t| residual(kk, t)),
        }
    };
    let method = match spread {
        Spread::PoissonTasks { .. } => "delta method, Poisson tasks given presence and levers",
        Spread::BatchMeans => "batch means over time blocks (delta method)",
    };
    let by_group_ci95 = ByGroup(
        names
            .iter()
            .enumerate()
            .map(|(kk, g)| {
                let h = half_width(kk);
                (g.clone(), [rates[kk] - h, rates[kk] + h])
            })
            .collect(),
    );
    let (difference, ci95) = match extremes(&rates) {
        Some((a, b)) => {
            let d = rates[a] - rates[b];
            let h = if a == b {
                0.0
            } else {
                match spread {
                    // The types' task counts are independent given presence.
                    Spread::PoissonTasks { issuance, active } => {
                        1.96 * (poisson_variance(a, issuance, active)
                            + poisson_variance(b, issuance, active))
                        .sqrt()
                    }
                    Spread::BatchMeans => {
                        batch_half_width(t0, t1, |t| residual(a, t) - residual(b, t))
                    }
                }
            };
            (
                d,
                Interval {
                    estimate: d,
                    low: d - h,
                    high: d + h,
                    method,
                },
            )
        }
        None => (f64::NAN, interval(f64::NAN, &[], "no type with data")),
    };
    let valid: Vec<f64> = rates.iter().copied().filter(|r| r.is_finite()).collect();
    let hi = valid.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lo = valid.iter().copied().fold(f64::INFINITY, f64::min);
    let relative = difference / overall;
    GroupMetric {
        by_group: ByGroup(names.iter().cloned().zip(rates).collect()),
        by_group_ci95,
        overall,
        difference,
        relative_difference: relative,
        ratio: lo / hi,
        verdict: verdict_of(relative, ci95.low, overall, tolerance),
        ci95,
    }
}

fn as_floats(values: &[u64]) -> Vec<f64> {
    values.iter().map(|&v| v as f64).collect()
}

/// Token fairness of one run, given its bonus (reward-policy) verdict and
/// largest gap; `None` for runs without per-type token series.
pub fn token_fairness_of(
    d: &RunData,
    bonus: (&'static str, f64),
    tolerance: f64,
) -> Option<TokenFairness> {
    let s: &TokenTypeSeries = d.tokens.as_ref()?;
    let window = (d.warmup, d.periods);
    let tasks = as_floats(&s.tasks);
    let pay_rate = ratio_metric(
        &d.type_names,
        &as_floats(&s.task_tokens),
        &tasks,
        window,
        Spread::PoissonTasks {
            issuance: &s.issuance_rate,
            active: &d.active,
        },
        tolerance,
    );
    let redeemed = as_floats(&s.redeemed);
    let purchasing_power = ratio_metric(
        &d.type_names,
        &s.at_reference,
        &redeemed,
        window,
        Spread::BatchMeans,
        tolerance,
    );
    let value_per_token = ratio_metric(
        &d.type_names,
        &s.value,
        &redeemed,
        window,
        Spread::BatchMeans,
        tolerance,
    );
    let k = d.type_names.len();
    let bonus_rates = ByGroup(
        d.type_names
            .iter()
            .enumerate()
            .map(|(kk, name)| {
                let x = column_sum(&as_floats(&s.bonus_tokens), kk, k, window.0, window.1);
                let y = column_sum(&tasks, kk, k, window.0, window.1);
                (name.clone(), if y > 0.0 { x / y } else { f64::NAN })
            })
            .collect(),
    );
    Some(assemble(
        pay_rate,
        purchasing_power,
        value_per_token,
        BonusAudit {
            verdict: bonus.0,
            max_abs_gap: bonus.1,
            tokens_per_task: bonus_rates,
        },
        tolerance,
    ))
}

fn assemble(
    pay_rate: GroupMetric,
    purchasing_power: GroupMetric,
    mut value_per_token: GroupMetric,
    bonus: BonusAudit,
    tolerance: f64,
) -> TokenFairness {
    // Value per token differs by what types choose to buy: reported, not
    // judged.
    value_per_token.verdict = "descriptive";
    let fair =
        pay_rate.verdict == "fair" && purchasing_power.verdict == "fair" && bonus.verdict == "fair";
    TokenFairness {
        pay_rate,
        purchasing_power,
        value_per_token,
        bonus,
        tolerance,
        verdict: if fair { "fair" } else { "unfair" },
    }
}

/// Combines replications of one configuration: the mean of each type's
/// rate, and the interval of the difference across replications
/// (Student's t on the runs' differences between the same two types).
pub fn across_replications(runs: &[&TokenFairness], tolerance: f64) -> Option<TokenFairness> {
    let first = runs.first()?;
    if runs.len() < 2 {
        return None;
    }
    let method = "across replications";
    let combine = |metric: fn(&TokenFairness) -> &GroupMetric| -> GroupMetric {
        let n = runs.len() as f64;
        let names: Vec<String> = metric(first)
            .by_group
            .0
            .iter()
            .map(|(g, _)| g.clone())
            .collect();
        let rates: Vec<f64> = (0..names.len())
            .map(|i| runs.iter().map(|r| metric(r).by_group.0[i].1).sum::<f64>() / n)
            .collect();
        let overall = runs.iter().map(|r| metric(r).overall).sum::<f64>() / n;
        let (difference, ci95) = match extremes(&rates) {
            Some((a, b)) => {
                let per_run: Vec<f64> = runs
                    .iter()
                    .map(|r| metric(r).by_group.0[a].1 - metric(r).by_group.0[b].1)
                    .collect();
                let d = rates[a] - rates[b];
                (d, interval(d, &per_run, method))
            }
            None => (f64::NAN, interval(f64::NAN, &[], method)),
        };
        let by_group_ci95 = ByGroup(
            names
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    let xs: Vec<f64> = runs.iter().map(|r| metric(r).by_group.0[i].1).collect();
                    let ci = interval(rates[i], &xs, method);
                    (g.clone(), [ci.low, ci.high])
                })
                .collect(),
        );
        let valid: Vec<f64> = rates.iter().copied().filter(|r| r.is_finite()).collect();
        let hi = valid.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lo = valid.iter().copied().fold(f64::INFINITY, f64::min);
        let relative = difference / overall;
        GroupMetric {
            by_group: ByGroup(names.into_iter().zip(rates).collect()),
            by_group_ci95,
            overall,
            difference,
            relative_difference: relative,
            ratio: lo / hi,
            verdict: verdict_of(relative, ci95.low, overall, tolerance),
            ci95,
        }
    };
    let bonus_fair = runs.iter().all(|r| r.bonus.verdict == "fair");
    let bonus = BonusAudit {
        verdict: if bonus_fair { "fair" } else { "unfair" },
        max_abs_gap: runs.iter().map(|r| r.bonus.max_abs_gap).fold(0.0, f64::max),
        tokens_per_task: first.bonus.tokens_per_task.clone(),
    };
    Some(assemble(
        combine(|r| &r.pay_rate),
        combine(|r| &r.purchasing_power),
        combine(|r| &r.value_per_token),
        bonus,
        tolerance,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(k: usize) -> Vec<String> {
        (0..k).map(|i| format!("t{i}")).collect()
    }

    #[test]
    fn a_constant_rate_is_the_same_for_every_type() {
        // 40 periods, two types, 2 tokens per task whatever the mix.
        let (t, k) = (40, 2);
        let den: Vec<f64> = (0..t * k).map(|i| 10.0 + (i % 7) as f64).collect();
        let num: Vec<f64> = den.iter().map(|y| 2.0 * y).collect();
        let m = ratio_metric(&names(k), &num, &den, (0, t), Spread::BatchMeans, 0.02);
        assert_eq!(m.difference, 0.0);
        assert_eq!(m.ratio, 1.0);
        assert_eq!(m.overall, 2.0);
        assert_eq!(m.verdict, "fair");
    }

    #[test]
    fn a_seasonal_type_under_a_seasonal_cut_is_paid_less() {
        // ι = 1 except 0.5 in periods 10..20; type 1 works only then, type 0
        // always: type 0's rate is (30 + 5)/40 = 0.875, type 1's 0.5.
        let (t, k) = (40, 2);
        let mut num = vec![0.0; t * k];
        let mut den = vec![0.0; t * k];
        for p in 0..t {
            let iota = if (10..20).contains(&p) { 0.5 } else { 1.0 };
            den[p * k] = 100.0;
            num[p * k] = 100.0 * iota;
            if (10..20).contains(&p) {
                den[p * k + 1] = 100.0;
                num[p * k + 1] = 100.0 * iota;
            }
        }
        let issuance: Vec<f64> = (0..t)
            .map(|p| if (10..20).contains(&p) { 0.5 } else { 1.0 })
            .collect();
        let active: Vec<u64> = den.iter().map(|&y| (y / 10.0) as u64).collect();
        let spread = Spread::PoissonTasks {
            issuance: &issuance,
            active: &active,
        };
        let m = ratio_metric(&names(k), &num, &den, (0, t), spread, 0.02);
        assert!((m.by_group.0[0].1 - 0.875).abs() < 1e-12);
        assert!((m.by_group.0[1].1 - 0.5).abs() < 1e-12);
        assert!((m.difference - 0.375).abs() < 1e-12);
        assert!((m.ratio - 0.5 / 0.875).abs() < 1e-12);
        // Type 0: Σ (ι − 0.875)² · 100 = 30·0.015625·100 + 10·0.140625·100
        // = 187.5, plus 40 · 10/4 = 100 for rounding, over 4000²; type 1:
        // only rounding, 10 · 10/4 over 1000².
        let sd = ((187.5 + 100.0) / 4000f64.powi(2) + 25.0 / 1000f64.powi(2)).sqrt();
        assert!((m.ci95.high - m.difference - 1.96 * sd).abs() < 1e-12);
        assert_eq!(m.verdict, "unfair");
        assert!(m.ci95.low <= m.difference && m.difference <= m.ci95.high);
    }
}
