//! The value of each operator deviation (model.md E.4, interfaces.md 4.3).
//!
//! A *deviation* is a source of the operator layer — a scheduled
//! `[[overrides]]` entry, an `[[operators]]` model, or one window of a
//! replayed trace — on one lever, over the periods in which it moved the
//! lever away from the recommendation. Its value is a paired
//! counterfactual: the same configuration and seeds, replicated N times,
//! once as configured (the *factual*) and once with that deviation's
//! sources switched off (`enabled = false`: the recommendation is followed
//! there, every other source and every random stream as before). Random
//! streams are keyed by seed, replication, purpose and period, so
//! replication r of both arms draws the same arrivals, tasks and visits
//! until the levers differ: common random numbers, and the paired
//! differences carry far less noise than two independent runs would.
//!
//! For each replication, Δ = factual − counterfactual of
//! - the budget penalty Σ_y κ_o (C_y − B_y)^+ + κ_u (B_y − C_y)^+ over the
//!   budget years the run closes (negative: the deviation saved money);
//! - the float deviation, mean_t |active float_t − Z| / Z with Z the
//!   controller's return point (band midpoint), when it has a float band;
//! - the incentive value Σ_t V_t (yuan of tasks done).
//!
//! The verdict reads the penalty's 95 % interval (Student's t across the
//! paired replications): below 0 "added value", above 0 "destroyed
//! value", else "no clear effect".

use serde::Serialize;

use super::mean_and_half_width;
use crate::config::{Config, Lever};
use crate::error::{Error, Result};
use crate::model::operators::{lever_index, LEVER_NAMES};
use crate::record::RunRecord;
use crate::runner::{run_experiment, Progress};

/// Default paired replications per deviation.
pub const DEFAULT_REPLICATIONS: u32 = 8;

/// One deviation to score: which sources it switches off, on which
/// lever, in which periods.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deviation {
    /// The lever it moved.
    pub lever: String,
    /// First period it moved the lever (over the factual replications).
    pub from: u32,
    /// Last period (inclusive).
    pub to: u32,
    /// Its kind label.
    pub kind: String,
    /// The configured sources (`overrides.N`, `operators.N`) it consists of.
    pub sources: Vec<String>,
}

/// A mean of paired differences with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PairedDelta {
    /// Mean of factual − counterfactual over replications.
    pub mean: f64,
    /// 95 % interval (Student's t across replications; NaN with one).
    pub ci95: [f64; 2],
}

impl PairedDelta {
    /// Mean and t interval of `deltas` (non-finite entries skipped).
    pub fn of(deltas: &[f64]) -> PairedDelta {
        let xs: Vec<f64> = deltas.iter().copied().filter(|x| x.is_finite()).collect();
        let n = xs.len();
        if n == 0 {
            return PairedDelta {
                mean: f64::NAN,
                ci95: [f64::NAN; 2],
            };
        }
        let (mean, half) = mean_and_half_width(&xs);
        PairedDelta {
            mean,
            ci95: [mean - half, mean + half],
        }
    }
}

/// The score of one deviation (interfaces.md 4.3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviationScore {
    /// The deviation.
    #[serde(flatten)]
    pub deviation: Deviation,
    /// Paired replications.
    pub replications: usize,
    /// Δ budget penalty (yuan; negative: the deviation saved money).
    pub delta_penalty: f64,
    /// Its 95 % interval.
    pub delta_penalty_ci95: [f64; 2],
    /// Δ mean |active float − Z|/Z (NaN without a float band).
    pub delta_float_deviation: f64,
    /// Its 95 % interval.
    pub delta_float_deviation_ci95: [f64; 2],
    /// Δ Σ V_t (yuan).
    pub delta_incentive_value: f64,
    /// Its 95 % interval.
    pub delta_incentive_value_ci95: [f64; 2],
    /// "added value", "destroyed value" or "no clear effect".
    pub verdict: String,
}

/// What one replication of one arm achieved.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Outcome {
    penalty: f64,
    float_deviation: f64,
    incentive_value: f64,
}

fn outcome(record: &RunRecord, z_per_scale: Option<f64>) -> Result<Outcome> {
    let t = record
        .series
        .tokens
        .as_ref()
        .ok_or_else(|| Error::Input("the run has no token economy".into()))?;
    let float_deviation = match z_per_scale {
        Some(z) => {
            let z = z * record.info.scale;
            let n = t.float.len().max(1) as f64;
            t.float
                .iter()
                .zip(&t.dormant_float)
                .map(|(k, d)| ((k - d) as f64 / z - 1.0).abs())
                .sum::<f64>()
                / n
        }
        None => f64::NAN,
    };
    Ok(Outcome {
        penalty: record.info.budget_years.iter().map(|y| y.penalty).sum(),
        float_deviation,
        incentive_value: t.incentive_value.iter().sum(),
    })
}

/// The deviations of a factual run set: one per source and lever, over
/// the span of periods in which that source moved the lever in any
/// replication.
pub fn deviations_of(records: &[RunRecord]) -> Vec<Deviation> {
    let mut spans: Vec<(usize, usize, u32, u32)> = Vec::new(); // (source, lever, from, to)
    let mut labels: (&[String], &[String]) = (&[], &[]);
    for r in records {
        let Some(t) = &r.series.tokens else { continue };
        labels = (&t.deviation_sources, &t.deviation_kinds);
        for (period, sources) in t.deviation_source.iter().enumerate() {
            for (lever, &s) in sources.iter().enumerate() {
                if s < 0 {
                    continue;
                }
                let p = period as u32;
                match spans
                    .iter_mut()
                    .find(|(src, l, _, _)| *src == s as usize && *l == lever)
                {
                    Some(span) => {
                        span.2 = span.2.min(p);
                        span.3 = span.3.max(p);
                    }
                    None => spans.push((s as usize, lever, p, p)),
                }
            }
        }
    }
    spans.sort();
    spans
        .into_iter()
        .filter(|(s, ..)| *s < labels.0.len())
        .map(|(s, lever, from, to)| Deviation {
            lever: LEVER_NAMES[lever].to_string(),
            from,
            to,
            kind: labels.1[s].clone(),
            sources: vec![labels.0[s].clone()],
        })
        .collect()
}

/// The `--set` that switches a source off.
fn switch_off(source: &str) -> String {
    format!("{source}.enabled=false")
}

/// Scores every deviation of `config` (or the given `deviations`, when
/// known beforehand) with `replications` paired replications.
pub fn score_deviations(
    config_text: &str,
    origin: &std::path::Path,
    replications: u32,
    given: Option<Vec<Deviation>>,
) -> Result<Vec<DeviationScore>> {
    if replications == 0 {
        return Err(Error::Input(
            "--replications: expected at least 1 paired replication".into(),
        ));
    }
    let reps = format!("simulation.replications={replications}");
    let load = |extra: &[String]| -> Result<Config> {
        let mut sets = vec![reps.clone()];
        sets.extend_from_slice(extra);
        Config::from_toml(config_text, origin, &sets)
    };
    let config = load(&[])?;
    if config.economy.is_none() {
        return Err(Error::Input(format!(
            "{}: no token economy: operator deviations move the economy's levers",
            origin.display()
        )));
    }
    if config.overrides.is_empty() && config.operators.is_empty() {
        return Err(Error::Input(format!(
            "{}: no [[overrides]] or [[operators]]: there is no deviation to score",
            origin.display()
        )));
    }
    let z = config
        .steer
        .as_ref()
        .and_then(|s| s.float_band)
        .map(|[lo, hi]| 0.5 * (lo + hi));
    let factual = run_experiment(&config, &Progress::hidden())?;
    let deviations = match given {
        Some(d) => d,
        None => deviations_of(&factual),
    };
    if deviations.is_empty() {
        return Err(Error::Input(format!(
            "{}: the operators never moved a lever away from the recommendation: there is no deviation to score",
            origin.display()
        )));
    }
    let base: Vec<Outcome> = factual
        .iter()
        .map(|r| outcome(r, z))
        .collect::<Result<_>>()?;
    let mut scores = Vec::new();
    for d in deviations {
        let sets: Vec<String> = d.sources.iter().map(|s| switch_off(s)).collect();
        let counterfactual = run_experiment(&load(&sets)?, &Progress::hidden())?;
        let other: Vec<Outcome> = counterfactual
            .iter()
            .map(|r| outcome(r, z))
            .collect::<Result<_>>()?;
        let delta = |f: fn(&Outcome) -> f64| {
            let d: Vec<f64> = base.iter().zip(&other).map(|(a, b)| f(a) - f(b)).collect();
            PairedDelta::of(&d)
        };
        let penalty = delta(|o| o.penalty);
        let float = delta(|o| o.float_deviation);
        let value = delta(|o| o.incentive_value);
        let verdict = if penalty.ci95[1] < 0.0 {
            "added value"
        } else if penalty.ci95[0] > 0.0 {
            "destroyed value"
        } else {
            "no clear effect"
        };
        scores.push(DeviationScore {
            deviation: d,
            replications: base.len(),
            delta_penalty: penalty.mean,
            delta_penalty_ci95: penalty.ci95,
            delta_float_deviation: float.mean,
            delta_float_deviation_ci95: float.ci95,
            delta_incentive_value: value.mean,
            delta_incentive_value_ci95: value.ci95,
            verdict: verdict.into(),
        });
    }
    Ok(scores)
}

/// One row of an observed recommendation-vs-decision trace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceRow {
    /// Period.
    pub period: u32,
    /// Lever.
    pub lever: Lever,
    /// What the algorithm recommended.
    pub recommended: f64,
    /// What was implemented.
    pub implemented: f64,
}

/// Reads a trace CSV: a header `period,lever,recommended,implemented`
/// (in any column order), then one row per period and lever. Levers are
/// named as in the output (`issuance_rate`, `real_price_mult`,
/// `virtual_price_mult`).
pub fn read_trace(path: &std::path::Path) -> Result<Vec<TraceRow>> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Input(format!("{shown}: cannot read the trace: {e}")))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((_, header)) = lines.next() else {
        return Err(Error::Input(format!(
            "{shown}: empty trace: expected a header period,lever,recommended,implemented"
        )));
    };
    let names: Vec<String> = header
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    let column = |name: &str| {
        names.iter().position(|n| n == name).ok_or_else(|| {
            Error::Input(format!(
                "{shown}, line 1: no column {name:?}: expected a header period,lever,recommended,implemented"
            ))
        })
    };
    let (cp, cl, cr, ci) = (
        column("period")?,
        column("lever")?,
        column("recommended")?,
        column("implemented")?,
    );
    let mut rows = Vec::new();
    for (i, line) in lines {
        let at = |what: String| Error::Input(format!("{shown}, line {}: {what}", i + 1));
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let cell = |c: usize, name: &str| {
            cells
                .get(c)
                .copied()
                .ok_or_else(|| at(format!("no {name} (expected {} columns)", names.len())))
        };
        let number = |c: usize, name: &str| -> Result<f64> {
            let s = cell(c, name)?;
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| at(format!("{name}: expected a number > 0, got {s:?}")))
        };
        let p = cell(cp, "period")?;
        let period = p
            .parse::<u32>()
            .map_err(|_| at(format!("period: expected a whole number >= 0, got {p:?}")))?;
        let l = cell(cl, "lever")?;
        let lever = match l {
            "issuance_rate" => Lever::IssuanceRate,
            "real_price_mult" => Lever::RealPriceMult,
            "virtual_price_mult" => Lever::VirtualPriceMult,
            _ => {
                return Err(at(format!(
                "lever: expected issuance_rate, real_price_mult or virtual_price_mult, got {l:?}"
            )))
            }
        };
        rows.push(TraceRow {
            period,
            lever,
            recommended: number(cr, "recommended")?,
            implemented: number(ci, "implemented")?,
        });
    }
    Ok(rows)
}

/// Replays a trace on a scenario: every row whose implemented value
/// differs from the recommended one becomes an `[[overrides]]` entry
/// setting the lever to the implemented value in that period (kind
/// "trace"), appended after the scenario's own; consecutive periods of one
/// lever form one deviation. Returns the configuration text and the
/// deviations.
pub fn replay_trace(config_text: &str, trace: &[TraceRow]) -> Result<(String, Vec<Deviation>)> {
    let mut table: toml::Table = config_text
        .parse()
        .map_err(|e| Error::Input(format!("the scenario is not valid TOML: {e}")))?;
    let existing = table
        .get("overrides")
        .and_then(|v| v.as_array())
        .map_or(0, Vec::len);
    let mut rows: Vec<TraceRow> = trace
        .iter()
        .copied()
        .filter(|r| (r.implemented - r.recommended).abs() > 1e-9 * r.recommended.abs())
        .collect();
    rows.sort_by_key(|r| (lever_index(r.lever), r.period));
    let mut entries = Vec::new();
    let mut deviations: Vec<Deviation> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let mut e = toml::Table::new();
        e.insert("from".into(), toml::Value::Integer(r.period.into()));
        e.insert("to".into(), toml::Value::Integer(r.period.into()));
        e.insert(
            "lever".into(),
            toml::Value::String(LEVER_NAMES[lever_index(r.lever)].into()),
        );
        e.insert("value".into(), toml::Value::Float(r.implemented));
        e.insert("kind".into(), toml::Value::String("trace".into()));
        entries.push(toml::Value::Table(e));
        let label = format!("overrides.{}", existing + i);
        let lever = LEVER_NAMES[lever_index(r.lever)].to_string();
        match deviations.last_mut() {
            Some(d) if d.lever == lever && d.to + 1 == r.period => {
                d.to = r.period;
                d.sources.push(label);
            }
            _ => deviations.push(Deviation {
                lever,
                from: r.period,
                to: r.period,
                kind: "trace".into(),
                sources: vec![label],
            }),
        }
    }
    if entries.is_empty() {
        return Err(Error::Input(
            "the trace never departs from the recommendation: there is no deviation to score"
                .into(),
        ));
    }
    match table.get_mut("overrides") {
        Some(toml::Value::Array(a)) => a.extend(entries),
        _ => {
            table.insert("overrides".into(), toml::Value::Array(entries));
        }
    }
    let text = toml::to_string(&table)
        .map_err(|e| Error::Internal(format!("the replayed scenario: {e}")))?;
    Ok((text, deviations))
}
