//! The fairness audit (model.md Part C) of a run or sweep file.
//!
//! For every run: the types' reward distributions q_k after warm-up, their
//! pairwise gaps (max |q_k(r) − q_k'(r)| and total variation), mean rewards
//! with Fairlearn-style difference and ratio, criterion 1, the worst sliding
//! window, KS and Wasserstein-1 distances of continuous quantities with
//! quantile tables, and 95 % confidence intervals — by batch means over
//! time blocks, and across replications when the file has several.

pub mod deviations;
mod distance;
mod input;
mod token;

pub use distance::{atoms_of, atoms_on, ks_and_wasserstein, Atoms};
pub use input::{open, printable, read_run, RunData, TokenTypeSeries};
pub use token::{BonusAudit, ByGroup, GroupMetric, TokenFairness, DEFAULT_TOKEN_TOLERANCE};

use serde::Serialize;

use crate::config::DEFAULT_EPSILON;
use crate::error::Result;

/// Time blocks for batch-means intervals.
pub const BLOCKS: usize = 20;
/// Default sliding-window length, in periods.
pub const DEFAULT_WINDOW: usize = 100;

/// Options of `tokensim audit`.
#[derive(Debug, Clone, Copy)]
pub struct AuditOptions {
    /// Tolerance ε on the largest reward gap. `None` (the default): the
    /// ε each run was made with (its `/runs/<id>/fairness` attribute
    /// `epsilon`, interfaces.md 4.2), or 0.02 for a file without one.
    pub epsilon: Option<f64>,
    /// Sliding-window length W (default 100 periods, at most the run).
    pub window: usize,
    /// Tolerance on the token-fairness differences relative to the overall
    /// rate (default 0.02).
    pub token_tolerance: f64,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            epsilon: None,
            window: DEFAULT_WINDOW,
            token_tolerance: DEFAULT_TOKEN_TOLERANCE,
        }
    }
}

/// An estimate with a 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Point estimate.
    pub estimate: f64,
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
    /// How: "batch means (20 blocks)" or "replications (n)".
    pub method: &'static str,
}

/// One type's view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeAudit {
    /// Type name.
    pub name: String,
    /// q_k(r) over R.
    pub reward_dist: Vec<f64>,
    /// Σ_r q_k(r)·r.
    pub mean_reward: f64,
    /// Agent-periods after warm-up.
    pub agent_periods: u64,
    /// Lifetime reward of departed agents: count, mean, quantiles (q, value).
    pub lifetime_reward_quantiles: Vec<(f64, f64)>,
    /// Mean lifetime reward.
    pub lifetime_reward_mean: f64,
    /// Tenure quantiles (q, periods).
    pub tenure_quantiles: Vec<(f64, f64)>,
}

/// One pair of types.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairAudit {
    /// First type.
    pub a: String,
    /// Second type.
    pub b: String,
    /// max_r |q_a(r) − q_b(r)|.
    pub max_abs_gap: f64,
    /// The reward where it is reached.
    pub at_reward: f64,
    /// ½ Σ_r |q_a(r) − q_b(r)|.
    pub tv: f64,
    /// KS distance of the tokens credited per period: the policy reward per
    /// period, or for token-economy runs everything credited (tasks and reward).
    pub reward_ks: f64,
    /// Wasserstein-1 distance of the same.
    pub reward_wasserstein: f64,
    /// KS distance of lifetime reward.
    pub lifetime_ks: f64,
    /// Wasserstein-1 distance of lifetime reward (tokens).
    pub lifetime_wasserstein: f64,
    /// Difference of mean lifetime rewards (a − b).
    pub lifetime_mean_difference: f64,
    /// Ratio of mean lifetime rewards (smaller / larger).
    pub lifetime_mean_ratio: f64,
}

/// The audit of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunAudit {
    /// Run id.
    pub run: String,
    /// A sweep run's point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point: Option<u64>,
    /// A sweep run's swept keys and values (TOML syntax).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grid: Vec<(String, String)>,
    /// "fair" or "unfair".
    pub verdict: &'static str,
    /// Largest gap over pairs and rewards, with its interval.
    pub max_abs_gap: f64,
    /// Its confidence interval (batch means over time blocks).
    pub max_abs_gap_interval: Interval,
    /// Largest total variation.
    pub max_tv: f64,
    /// Every period paid everyone from one announced distribution.
    pub criterion1: bool,
    /// Fairlearn-style difference of mean reward (max − min over types).
    pub mean_reward_difference: f64,
    /// Its confidence interval.
    pub mean_reward_difference_interval: Interval,
    /// Fairlearn-style ratio of mean reward (min / max over types).
    pub mean_reward_ratio: f64,
    /// Worst sliding window: (first period, largest gap in it).
    pub worst_window: (usize, f64),
    /// Window length used.
    pub window: usize,
    /// Largest gap of each window, by first period (for plots).
    pub window_gaps: Vec<f64>,
    /// Per type.
    pub types: Vec<TypeAudit>,
    /// Per pair.
    pub pairs: Vec<PairAudit>,
    /// Definition G.1 (two-period memory, the paper's Appendix G), for
    /// runs that count veterans by (reward now, reward before).
    pub two_period: Option<crate::fairness::TwoPeriodFairness>,
    /// Group fairness of the token economy (token runs only): pay per task
    /// and value per token by type, and the bonus audit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_fairness: Option<TokenFairness>,
    /// ε used.
    pub epsilon: f64,
}

/// The audit of a file: every run, and across replications when several.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileAudit {
    /// "fair" when every run is fair.
    pub verdict: &'static str,
    /// Largest gap over all runs.
    pub max_abs_gap: f64,
    /// Largest total variation over all runs.
    pub max_tv: f64,
    /// Criterion 1 in every run.
    pub criterion1: bool,
    /// Per type, averaged over the replications named by `types_scope`.
    pub types: Vec<TypeAudit>,
    /// Which runs `types` averages (never runs of different sweep points).
    pub types_scope: String,
    /// Mean of the runs' max gaps with an interval across replications
    /// (when the file has at least two runs of the same configuration).
    pub across_replications: Option<Interval>,
    /// Token fairness across replications (at least two token runs of one
    /// configuration: not pooled across sweep points).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_fairness: Option<TokenFairness>,
    /// A sweep's points (interfaces.md 4.2): each point's runs audited
    /// together, never pooled with another point's (empty for a run file
    /// or a sweep of one point).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<PointAudit>,
    /// Runs audited.
    pub runs: Vec<RunAudit>,
    /// Fair and unfair counts.
    pub fair_runs: usize,
    /// ε used.
    pub epsilon: f64,
}

/// One sweep point: its swept values and its replications.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointAudit {
    /// Point index.
    pub point: u64,
    /// Swept key → value.
    pub grid: serde_json::Map<String, serde_json::Value>,
    /// Run ids of its replications.
    pub runs: Vec<String>,
    /// Mean of its runs' max gaps.
    pub max_abs_gap: f64,
    /// 95 % interval across this point's replications only (NaN with one).
    pub ci95: [f64; 2],
    /// Largest total variation over its runs.
    pub max_tv: f64,
    /// "fair" when every run of the point is.
    pub verdict: &'static str,
    /// Per type, averaged over this point's replications only.
    pub types: Vec<TypeAudit>,
}

/// Per-type results averaged over `runs` (replications of one
/// configuration): reward distributions, mean rewards, mean lifetime
/// rewards and each quantile averaged over replications, agent-periods
/// summed; the first run's entries when the runs' type lists differ.
fn average_types(runs: &[&RunAudit]) -> Vec<TypeAudit> {
    let first = runs[0];
    if !runs.iter().all(|r| r.types.len() == first.types.len()) {
        return first.types.clone();
    }
    let n = runs.len() as f64;
    (0..first.types.len())
        .map(|i| {
            let mut t = first.types[i].clone();
            t.reward_dist = (0..t.reward_dist.len())
                .map(|j| runs.iter().map(|r| r.types[i].reward_dist[j]).sum::<f64>() / n)
                .collect();
            t.mean_reward = runs.iter().map(|r| r.types[i].mean_reward).sum::<f64>() / n;
            t.agent_periods = runs.iter().map(|r| r.types[i].agent_periods).sum();
            t.lifetime_reward_mean = runs
                .iter()
                .map(|r| r.types[i].lifetime_reward_mean)
                .sum::<f64>()
                / n;
            // Quantiles: the mean over replications of each replication's
            // quantile (same levels in every run).
            let mean_quantiles = |pick: fn(&TypeAudit) -> &Vec<(f64, f64)>| {
                let levels = pick(&first.types[i]).clone();
                levels
                    .iter()
                    .enumerate()
                    .map(|(j, &(q, _))| {
                        let v = runs
                            .iter()
                            .map(|r| pick(&r.types[i]).get(j).map_or(f64::NAN, |x| x.1))
                            .sum::<f64>()
                            / n;
                        (q, v)
                    })
                    .collect()
            };
            t.lifetime_reward_quantiles = mean_quantiles(|t| &t.lifetime_reward_quantiles);
            t.tenure_quantiles = mean_quantiles(|t| &t.tenure_quantiles);
            t
        })
        .collect()
}

/// How a run is named to a reader: its id, and for a sweep run its swept
/// values (`run 7 (simulation.scale=40, policy.kind=fixed)`).
pub fn run_label(r: &RunAudit) -> String {
    if r.grid.is_empty() {
        format!("run {}", r.run)
    } else {
        format!("run {} ({})", r.run, grid_text(&r.grid))
    }
}

/// Swept values as `key=value, …` (quotes of text values dropped).
pub fn grid_text(grid: &[(String, String)]) -> String {
    grid.iter()
        .map(|(k, v)| format!("{k}={}", v.trim_matches('"')))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Groups runs by sweep point.
fn point_audits(runs: &[RunAudit]) -> Vec<PointAudit> {
    let mut points: Vec<PointAudit> = Vec::new();
    let mut gaps: Vec<Vec<f64>> = Vec::new();
    for r in runs {
        let (Some(point), grid) = (r.point, &r.grid) else {
            continue;
        };
        let i = match points.iter().position(|p| p.point == point) {
            Some(i) => i,
            None => {
                let grid = grid
                    .iter()
                    .map(|(k, v)| {
                        let value = v
                            .parse::<f64>()
                            .ok()
                            .and_then(|x| serde_json::Number::from_f64(x).map(Into::into))
                            .unwrap_or_else(|| {
                                serde_json::Value::String(v.trim_matches('"').into())
                            });
                        (k.clone(), value)
                    })
                    .collect();
                points.push(PointAudit {
                    point,
                    grid,
                    runs: Vec::new(),
                    max_abs_gap: 0.0,
                    ci95: [f64::NAN; 2],
                    max_tv: 0.0,
                    verdict: "fair",
                    types: Vec::new(),
                });
                gaps.push(Vec::new());
                points.len() - 1
            }
        };
        let p = &mut points[i];
        p.runs.push(r.run.clone());
        p.max_tv = p.max_tv.max(r.max_tv);
        if r.verdict != "fair" {
            p.verdict = "unfair";
        }
        gaps[i].push(r.max_abs_gap);
    }
    for (p, g) in points.iter_mut().zip(&gaps) {
        let (mean, half) = mean_and_half_width(g);
        p.max_abs_gap = mean;
        // A gap is never negative: the interval is cut at 0 (coverage kept).
        p.ci95 = [(mean - half).max(0.0), mean + half];
        let mine: Vec<&RunAudit> = runs.iter().filter(|r| p.runs.contains(&r.run)).collect();
        p.types = average_types(&mine);
    }
    points.sort_by_key(|p| p.point);
    points
}

/// 0.975 quantile of Student's t with `df` degrees of freedom.
pub fn t_quantile(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => T[df - 1],
        _ => 1.96,
    }
}

/// The mean of `xs` and the half-width of its 95 % interval (Student's t
/// on the sample standard deviation; NaN with fewer than two values).
pub fn mean_and_half_width(xs: &[f64]) -> (f64, f64) {
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, f64::NAN);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, t_quantile(n - 1) * (var / n as f64).sqrt())
}

/// Reward distribution of each type over periods `t0..t1`.
fn distributions(d: &RunData, t0: usize, t1: usize) -> (Vec<Vec<f64>>, Vec<u64>) {
    let (k, m) = (d.type_names.len(), d.rewards.len());
    let q = crate::fairness::reward_distributions(&d.reward_counts, &d.active, k, m, t0..t1);
    let present = (0..k)
        .map(|kk| (t0..t1).map(|t| d.active[t * k + kk]).sum())
        .collect();
    (q, present)
}

fn mean_reward(q: &[f64], rewards: &[f64]) -> f64 {
    q.iter().zip(rewards).map(|(p, r)| p * r).sum()
}

fn spread(values: &[f64]) -> f64 {
    let valid: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let hi = valid.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lo = valid.iter().copied().fold(f64::INFINITY, f64::min);
    if valid.is_empty() {
        f64::NAN
    } else {
        hi - lo
    }
}

/// Interval from per-block (or per-replication) values around `estimate`.
fn interval(estimate: f64, samples: &[f64], method: &'static str) -> Interval {
    let n = samples.len();
    if n < 2 {
        return Interval {
            estimate,
            low: f64::NAN,
            high: f64::NAN,
            method,
        };
    }
    let mean = samples.iter().sum::<f64>() / n as f64;
    let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t_quantile(n - 1) * (var / n as f64).sqrt();
    Interval {
        estimate,
        low: estimate - half,
        high: estimate + half,
        method,
    }
}

const QUANTILES: [f64; 7] = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95];

fn quantile_table(h: &hdrhistogram::Histogram<u64>, scale: f64) -> Vec<(f64, f64)> {
    QUANTILES
        .iter()
        .map(|&q| {
            (
                q,
                if h.is_empty() {
                    f64::NAN
                } else {
                    h.value_at_quantile(q) as f64 * scale
                },
            )
        })
        .collect()
}

/// Audits one run.
pub fn audit_run(d: &RunData, options: &AuditOptions) -> RunAudit {
    let (k, m) = (d.type_names.len(), d.rewards.len());
    let (t0, t1) = (d.warmup, d.periods);
    let (q, present) = distributions(d, t0, t1);
    let means: Vec<f64> = q.iter().map(|qk| mean_reward(qk, &d.rewards)).collect();

    // Batch means: the same statistics on BLOCKS contiguous time blocks.
    let blocks = BLOCKS.min((t1 - t0) / 2).max(1);
    let size = (t1 - t0) / blocks;
    let block_q: Vec<Vec<Vec<f64>>> = (0..blocks)
        .map(|b| distributions(d, t0 + b * size, t0 + (b + 1) * size).0)
        .collect();

    let mut pairs = Vec::new();
    let (mut worst, mut worst_at) = (0.0f64, (0, 0, 0));
    for a in 0..k {
        for b in a + 1..k {
            let (mut gap, mut at) = (0.0f64, 0);
            for (r, (x, y)) in q[a].iter().zip(&q[b]).enumerate() {
                let g = (x - y).abs();
                if g > gap {
                    (gap, at) = (g, r);
                }
            }
            if gap > worst || (pairs.is_empty() && gap.is_finite()) {
                (worst, worst_at) = (gap, (a, b, at));
            }
            let (atoms_a, atoms_b) = if d.credited.is_empty() {
                (atoms_on(&d.rewards, &q[a]), atoms_on(&d.rewards, &q[b]))
            } else {
                let ((ha, sa), (hb, sb)) = (&d.credited[a], &d.credited[b]);
                (atoms_of(ha, *sa), atoms_of(hb, *sb))
            };
            let (reward_ks, reward_wasserstein) = ks_and_wasserstein(&atoms_a, &atoms_b);
            let (la, sa) = &d.lifetime_reward[a];
            let (lb, sb) = &d.lifetime_reward[b];
            let (life_a, life_b) = (atoms_of(la, *sa), atoms_of(lb, *sb));
            let (lifetime_ks, lifetime_wasserstein) = ks_and_wasserstein(&life_a, &life_b);
            let (ma, mb) = (distance::mean(&life_a), distance::mean(&life_b));
            pairs.push(PairAudit {
                a: d.type_names[a].clone(),
                b: d.type_names[b].clone(),
                max_abs_gap: gap,
                at_reward: d.rewards[at],
                tv: crate::fairness::total_variation(&q[a], &q[b]),
                reward_ks,
                reward_wasserstein,
                lifetime_ks,
                lifetime_wasserstein,
                lifetime_mean_difference: ma - mb,
                lifetime_mean_ratio: ma.min(mb) / ma.max(mb),
            });
        }
    }
    let (a, b, r) = worst_at;
    let signed: Vec<f64> = block_q.iter().map(|bq| bq[a][r] - bq[b][r]).collect();
    // The interval is for the signed difference at the worst (pair, reward),
    // folded to its absolute value.
    let signed_estimate = if k >= 2 { q[a][r] - q[b][r] } else { 0.0 };
    let s = interval(signed_estimate, &signed, "batch means over time blocks");
    let max_abs_gap_interval = if signed_estimate >= 0.0 {
        Interval {
            estimate: worst,
            low: s.low.max(0.0),
            high: s.high,
            method: s.method,
        }
    } else {
        Interval {
            estimate: worst,
            low: (-s.high).max(0.0),
            high: -s.low,
            method: s.method,
        }
    };
    let mean_blocks: Vec<f64> = block_q
        .iter()
        .map(|bq| {
            spread(
                &bq.iter()
                    .map(|qk| mean_reward(qk, &d.rewards))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let mean_reward_difference = spread(&means);
    let valid_means: Vec<f64> = means.iter().copied().filter(|v| v.is_finite()).collect();
    let hi = valid_means
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let lo = valid_means.iter().copied().fold(f64::INFINITY, f64::min);

    // Sliding windows of W periods (prefix sums over counts).
    let window = options.window.clamp(1, (t1 - t0).max(1));
    let mut window_gaps = Vec::new();
    if t1 - t0 >= window {
        let mut paid = vec![0u64; k * m];
        let mut here = vec![0u64; k];
        let add = |t: usize, sign: i64, paid: &mut [u64], here: &mut [u64]| {
            let shift = |total: &mut u64, n: u64| *total = (*total as i64 + sign * n as i64) as u64;
            for (total, &n) in here.iter_mut().zip(&d.active[t * k..(t + 1) * k]) {
                shift(total, n);
            }
            for (total, &n) in paid
                .iter_mut()
                .zip(&d.reward_counts[t * k * m..(t + 1) * k * m])
            {
                shift(total, n);
            }
        };
        for t in t0..t1 {
            add(t, 1, &mut paid, &mut here);
            if t >= t0 + window {
                add(t - window, -1, &mut paid, &mut here);
            }
            if t + 1 >= t0 + window {
                let mut g = 0.0f64;
                for x in 0..k {
                    for y in x + 1..k {
                        if here[x] == 0 || here[y] == 0 {
                            continue;
                        }
                        for j in 0..m {
                            let qa = paid[x * m + j] as f64 / here[x] as f64;
                            let qb = paid[y * m + j] as f64 / here[y] as f64;
                            g = g.max((qa - qb).abs());
                        }
                    }
                }
                window_gaps.push(g);
            }
        }
    }
    let worst_window = window_gaps
        .iter()
        .enumerate()
        .fold(
            (t0, 0.0f64),
            |best, (i, &g)| if g > best.1 { (t0 + i, g) } else { best },
        );

    let criterion1 = d.policy_dist[t0 * m..].iter().all(|p| p.is_finite());
    let max_tv = pairs.iter().map(|p| p.tv).fold(0.0, f64::max);
    let types = (0..k)
        .map(|kk| {
            let (lh, ls) = &d.lifetime_reward[kk];
            let (th, ts) = &d.tenure[kk];
            TypeAudit {
                name: d.type_names[kk].clone(),
                reward_dist: q[kk].clone(),
                mean_reward: means[kk],
                agent_periods: present[kk],
                lifetime_reward_quantiles: quantile_table(lh, *ls),
                lifetime_reward_mean: if lh.is_empty() {
                    f64::NAN
                } else {
                    lh.mean() * ls
                },
                tenure_quantiles: quantile_table(th, *ts),
            }
        })
        .collect();
    let two_period = crate::fairness::two_period_fairness_of(&d.pair_counts, k, m, t0..t1);
    let epsilon = options.epsilon.or(d.epsilon).unwrap_or(DEFAULT_EPSILON);
    let two_period_fair = two_period.as_ref().is_none_or(|g| g.max_gap <= epsilon);
    let bonus_verdict = if criterion1 && worst <= epsilon && two_period_fair {
        "fair"
    } else {
        "unfair"
    };
    let token_fairness =
        token::token_fairness_of(d, (bonus_verdict, worst), options.token_tolerance);
    RunAudit {
        run: d.id.clone(),
        point: d.point,
        grid: d.grid.clone(),
        verdict: match &token_fairness {
            Some(t) => t.verdict,
            None => bonus_verdict,
        },
        token_fairness,
        max_abs_gap: worst,
        max_abs_gap_interval,
        max_tv,
        criterion1,
        mean_reward_difference,
        mean_reward_difference_interval: interval(
            mean_reward_difference,
            &mean_blocks,
            "batch means over time blocks",
        ),
        // Equal means (all zero included: a run paying no bonus) show no
        // disparity: ratio 1, not 0/0.
        mean_reward_ratio: if hi == lo { 1.0 } else { lo / hi },
        worst_window,
        window,
        window_gaps,
        types,
        pairs,
        two_period,
        epsilon,
    }
}

/// Audits every run of a file (or one, with `run`).
pub fn audit_file(
    path: &std::path::Path,
    run: Option<&str>,
    options: &AuditOptions,
) -> Result<FileAudit> {
    let (file, ids) = open(path)?;
    let shown = path.display().to_string();
    let ids: Vec<String> = match run {
        Some(id) => vec![id.to_string()],
        None => ids,
    };
    let mut runs = Vec::new();
    let mut points = Vec::new();
    for id in &ids {
        if let Ok(g) = file.group(&format!("runs/{id}")) {
            // Failed sweep runs carry no data.
            let failed = g
                .attr("status")
                .and_then(|a| a.read_scalar::<hdf5::types::VarLenUnicode>())
                .is_ok_and(|s| s.as_str() == "error");
            if failed {
                continue;
            }
        }
        let data = read_run(&file, &shown, id)?;
        points.push(data.point);
        runs.push(audit_run(&data, options));
    }
    if runs.is_empty() {
        return Err(crate::error::Error::Input(format!(
            "{shown}: no run to audit"
        )));
    }
    let gaps: Vec<f64> = runs.iter().map(|r| r.max_abs_gap).collect();
    let mean_gap = gaps.iter().sum::<f64>() / gaps.len() as f64;
    // Averaged over replications of one configuration only: every run of
    // a one-point file, or the first run's point of a sweep (each point's
    // own average is in `points`).
    let first_point: Vec<&RunAudit> = runs.iter().filter(|r| r.point == runs[0].point).collect();
    let types = average_types(&first_point);
    let types_scope = if first_point.len() == runs.len() {
        format!("averaged over all {} run(s)", runs.len())
    } else {
        format!(
            "point {} ({}) only, averaged over its {} replication(s); every point's in points",
            runs[0].point.unwrap_or(0),
            grid_text(&runs[0].grid),
            first_point.len()
        )
    };
    let fair_runs = runs.iter().filter(|r| r.verdict == "fair").count();
    // Replications of one configuration only: every run of one sweep point.
    let one_point = points.iter().all(|p| *p == points[0]);
    let token_runs: Vec<&TokenFairness> = runs
        .iter()
        .filter_map(|r| r.token_fairness.as_ref())
        .collect();
    let token_fairness = (one_point && token_runs.len() == runs.len())
        .then(|| token::across_replications(&token_runs, options.token_tolerance))
        .flatten();
    Ok(FileAudit {
        verdict: if fair_runs == runs.len() {
            "fair"
        } else {
            "unfair"
        },
        max_abs_gap: gaps.iter().copied().fold(0.0, f64::max),
        max_tv: runs.iter().map(|r| r.max_tv).fold(0.0, f64::max),
        criterion1: runs.iter().all(|r| r.criterion1),
        types,
        types_scope,
        // Never pooled across sweep points: those are per point.
        across_replications: (runs.len() >= 2 && one_point)
            .then(|| interval(mean_gap, &gaps, "across replications")),
        points: if one_point {
            Vec::new()
        } else {
            point_audits(&runs)
        },
        fair_runs,
        epsilon: runs[0].epsilon,
        token_fairness,
        runs,
    })
}
