//! One run's group `/runs/<id>` (interfaces.md §3).

use hdf5::Group;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

use super::dimensions::{attach_scale, set_scale, Axes};
use super::h5::{attr_array, attr_scalar, attr_str, dataset, group, string_dataset};
use super::schema::{var, HistogramVariable, CLASS_LEVERS, HISTOGRAMS, LEVERS};
use crate::error::{Error, Result};
use crate::record::{RunRecord, TokenSeries, LIFETIME_UNITS_PER_TOKEN};
use crate::stats::Estimate;

/// Quantiles tabulated beside each serialized histogram.
pub const QUANTILES: [f64; 11] = [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0];

/// Writes `record` into a new group `name` under `runs`.
pub fn write_run(runs: &Group, name: &str, record: &RunRecord) -> Result<()> {
    let run = group(runs, name)?;
    let info = &record.info;
    attr_str(&run, "config_toml", &info.config_toml)?;
    attr_scalar(&run, "seed", info.seed)?;
    attr_scalar(&run, "replication", info.replication)?;
    attr_scalar(&run, "scale", info.scale)?;
    attr_scalar(&run, "periods", info.periods as u64)?;
    attr_scalar(&run, "warmup", info.warmup as u64)?;
    attr_scalar(&run, "burn_in", info.burn_in as u64)?;
    attr_str(&run, "policy", &info.policy)?;

    let mut axes = Axes::new(&run);
    let t = record.series.periods;
    let periods: Vec<u64> = (0..t as u64).collect();
    axes.put(&var::PERIOD, &periods, &[t])?;
    axes.put_strings(&var::SERIES_TYPE, &info.type_names)?;
    let m = info.reward_values.len();
    axes.put(&var::SERIES_REWARD, &info.reward_values, &[m])?;
    axes.put(&var::REWARD_VALUES, &info.reward_values, &[m])?;
    axes.put_strings(&var::TYPE_NAMES, &info.type_names)?;

    write_series(&mut axes, record)?;
    write_fairness(&mut axes, record)?;

    let types = group(&run, "types")?;
    let tokens = !record.leavers.credited.is_empty();
    for (i, type_name) in info.type_names.iter().enumerate() {
        let g = group(&types, type_name)?;
        for h in &HISTOGRAMS {
            let (values, scale) = match h.name {
                "lifetime_reward" => (
                    &record.leavers.lifetime_reward[i],
                    1.0 / LIFETIME_UNITS_PER_TOKEN,
                ),
                "tenure" => (&record.leavers.tenure[i], 1.0),
                "credited_per_period" if tokens => (&record.leavers.credited[i], 1.0),
                "balance_at_end" if tokens => (&record.leavers.balance_at_end[i], 1.0),
                _ => continue,
            };
            write_histogram(&g, h, values, scale)?;
        }
    }

    if !info.budget_years.is_empty() {
        let years = &info.budget_years;
        let n = years.len();
        let index: Vec<u64> = (0..n as u64).collect();
        axes.put(&var::YEAR, &index, &[n])?;
        let budget: Vec<f64> = years.iter().map(|y| y.budget).collect();
        axes.put(&var::BUDGET, &budget, &[n])?;
        let cost: Vec<f64> = years.iter().map(|y| y.cost).collect();
        axes.put(&var::COST, &cost, &[n])?;
        let penalty: Vec<f64> = years.iter().map(|y| y.penalty).collect();
        axes.put(&var::PENALTY, &penalty, &[n])?;
    }

    if !info.events.is_empty() {
        write_events(&mut axes, &info.events)?;
    }

    let summary = group(&run, "summary")?;
    let s = &record.summary;
    let means: Vec<f64> = s.mean_active_per_type.iter().map(|e| e.mean).collect();
    let errors: Vec<f64> = s.mean_active_per_type.iter().map(|e| e.std_error).collect();
    attr_array(&summary, "mean_active_per_type", &means)?;
    attr_array(&summary, "mean_active_per_type_se", &errors)?;
    let estimate = |name: &str, e: &Estimate| -> Result<()> {
        attr_scalar(&summary, name, e.mean)?;
        attr_scalar(&summary, &format!("{name}_se"), e.std_error)
    };
    estimate("mean_profit_per_scale", &s.mean_profit_per_scale)?;
    estimate("mean_revenue_per_scale", &s.mean_revenue_per_scale)?;
    estimate("mean_reward_cost_per_scale", &s.mean_reward_cost_per_scale)?;
    attr_scalar(&summary, "batches", s.mean_profit_per_scale.batches as u64)?;
    attr_scalar(&summary, "max_tv", record.fairness.max_tv)?;
    attr_scalar(&summary, "max_abs_gap", record.fairness.max_abs_gap)?;
    attr_str(
        &summary,
        "description",
        "steady-state means over the periods after warmup; *_se are batch-means standard errors",
    )?;
    Ok(())
}

fn write_series(axes: &mut Axes, record: &RunRecord) -> Result<()> {
    let s = &record.series;
    let (t, k, m) = (s.periods, s.types, s.rewards);
    axes.put(&var::ACTIVE, &s.active, &[t, k])?;
    axes.put(&var::ARRIVALS, &s.arrivals, &[t, k])?;
    axes.put(&var::DEPARTURES, &s.departures, &[t, k])?;
    axes.put(&var::REWARD_COUNTS, &s.reward_counts, &[t, k, m])?;
    if !s.pair_counts.is_empty() {
        axes.put(&var::PAIR_COUNTS, &s.pair_counts, &[t, k, m, m])?;
    }
    axes.put(&var::REVENUE, &s.revenue, &[t])?;
    axes.put(&var::REWARD_COST, &s.reward_cost, &[t])?;
    axes.put(&var::PROFIT, &s.profit, &[t])?;
    axes.put(&var::POLICY_DIST, &s.policy_dist, &[t, m])?;
    if let Some(tokens) = &s.tokens {
        write_token_series(axes, tokens, k, &record.info.good_names)?;
    }
    Ok(())
}

/// The scheduled events, one row each.
fn write_events(axes: &mut Axes, events: &[crate::config::EventConfig]) -> Result<()> {
    let n = events.len();
    let index: Vec<u64> = (0..n as u64).collect();
    axes.put(&var::EVENT, &index, &[n])?;
    let names: Vec<String> = events.iter().map(|e| e.name.clone()).collect();
    let keys: Vec<String> = events.iter().map(|e| e.key.clone()).collect();
    let start: Vec<i64> = events.iter().map(|e| e.window().start() as i64).collect();
    let end: Vec<i64> = events
        .iter()
        .map(|e| e.window().to.map_or(-1, i64::from))
        .collect();
    let change: Vec<String> = events
        .iter()
        .map(|e| match (&e.value, e.factor) {
            (Some(v), _) => format!("= {v}"),
            (None, Some(f)) => format!("x {f}"),
            _ => String::new(),
        })
        .collect();
    axes.put_strings(&var::EVENT_NAME, &names)?;
    axes.put_strings(&var::EVENT_KEY, &keys)?;
    axes.put(&var::EVENT_START, &start, &[n])?;
    axes.put(&var::EVENT_END, &end, &[n])?;
    axes.put_strings(&var::EVENT_CHANGE, &change)?;
    Ok(())
}

/// The token economy's series, levers and per-good sales.
fn write_token_series(axes: &mut Axes, t: &TokenSeries, k: usize, goods: &[String]) -> Result<()> {
    let n = t.tasks.len();
    for (v, values) in [
        (&var::ISSUANCE, &t.issuance),
        (&var::REDEEMED_REAL, &t.redeemed_real),
        (&var::REDEEMED_VIRTUAL, &t.redeemed_virtual),
        (&var::FLOAT, &t.float),
        (&var::FORFEITED, &t.forfeited),
        (&var::DORMANT_FLOAT, &t.dormant_float),
        (&var::TASKS, &t.tasks),
    ] {
        axes.put(v, values, &[n])?;
    }
    for (v, values) in [
        (&var::CASH_COST, &t.cash_cost),
        (&var::PURCHASING_POWER, &t.purchasing_power),
        (&var::INCENTIVE_VALUE, &t.incentive_value),
    ] {
        axes.put(v, values, &[n])?;
    }
    for (i, (implemented, recommended, _)) in LEVERS.iter().enumerate() {
        let values: Vec<f64> = t.recommended_levers.iter().map(|l| l[i]).collect();
        axes.put(recommended, &values, &[n])?;
        let values: Vec<f64> = t.levers.iter().map(|l| l[i]).collect();
        axes.put(implemented, &values, &[n])?;
    }
    if t.deviation_source.len() == n {
        for (i, (_, _, trace)) in LEVERS.iter().enumerate() {
            let values: Vec<i32> = t.deviation_source.iter().map(|l| l[i]).collect();
            axes.put(trace, &values, &[n])?;
        }
        if !t.deviation_sources.is_empty() {
            axes.put_strings(&var::DEVIATION_SOURCES, &t.deviation_sources)?;
            axes.put_strings(&var::DEVIATION_KINDS, &t.deviation_kinds)?;
        }
    }
    if t.class_levers.len() == n {
        for (c, v) in CLASS_LEVERS.iter().enumerate() {
            let values: Vec<f64> = t.class_levers.iter().map(|l| l[c]).collect();
            axes.put(v, &values, &[n])?;
        }
    }
    // Per type, [T][K] (interfaces.md 4.2): any per-type rate (pay per
    // task, value per token) can be recomputed from these.
    for (v, values) in [
        (&var::TASKS_BY_TYPE, &t.tasks_by_type),
        (&var::TASK_TOKENS_BY_TYPE, &t.task_tokens_by_type),
        (&var::BONUS_TOKENS_BY_TYPE, &t.bonus_tokens_by_type),
        (&var::REDEEMED_REAL_BY_TYPE, &t.redeemed_real_by_type),
        (&var::REDEEMED_VIRTUAL_BY_TYPE, &t.redeemed_virtual_by_type),
    ] {
        axes.put(v, values, &[n, k])?;
    }
    for (v, values) in [
        (&var::REAL_VALUE_BY_TYPE, &t.real_value_by_type),
        (&var::VIRTUAL_VALUE_BY_TYPE, &t.virtual_value_by_type),
        (
            &var::REDEEMED_AT_REFERENCE_BY_TYPE,
            &t.redeemed_at_reference_by_type,
        ),
    ] {
        axes.put(v, values, &[n, k])?;
    }
    axes.put_strings(&var::GOOD, goods)?;
    axes.put(&var::SALES, &t.sales, &[n, t.goods])?;
    Ok(())
}

fn write_fairness(axes: &mut Axes, record: &RunRecord) -> Result<()> {
    let f = &record.fairness;
    let k = f.reward_dist.len();
    let m = f.reward_dist.first().map_or(0, Vec::len);
    let info = &record.info;
    axes.put_strings(&var::FAIRNESS_TYPE, &info.type_names)?;
    axes.put_strings(&var::FAIRNESS_OTHER_TYPE, &info.type_names)?;
    axes.put(&var::FAIRNESS_REWARD, &info.reward_values, &[m])?;
    let flat: Vec<f64> = f.reward_dist.iter().flatten().copied().collect();
    axes.put(&var::REWARD_DIST, &flat, &[k, m])?;
    let tv: Vec<f64> = f.tv_distance.iter().flatten().copied().collect();
    axes.put(&var::TV_DISTANCE, &tv, &[k, k])?;
    let g = axes.subgroup("fairness")?;
    attr_scalar(&g, "max_tv", f.max_tv)?;
    attr_scalar(&g, "max_abs_gap", f.max_abs_gap)?;
    attr_scalar(&g, "epsilon", f.epsilon)?;
    attr_str(&g, "verdict", f.verdict())?;
    attr_scalar(&g, "criterion1", u8::from(f.criterion1))?;
    if let Some(gap) = f.two_period_gap {
        attr_scalar(&g, "two_period_max_abs_gap", gap)?;
    }
    Ok(())
}

/// A histogram as a group: the standard compressed V2 bytes and a
/// [quantile, column] table in natural units (`scale` converts recorded
/// integers to them), with its two axes as dimension scales.
fn write_histogram(
    parent: &Group,
    spec: &HistogramVariable,
    h: &Histogram<u64>,
    scale: f64,
) -> Result<()> {
    let (name, units, description) = (spec.name, spec.units, spec.description);
    let g = group(parent, name)?;
    let mut bytes = Vec::new();
    // The standard compressed V2 form (cookie 0x1c849304), which every
    // HdrHistogram implementation decodes (interfaces.md 4.4).
    V2DeflateSerializer::new()
        .serialize(h, &mut bytes)
        .map_err(|e| Error::Internal(format!("cannot serialize histogram {name}: {e:?}")))?;
    dataset(
        &g,
        "hdrhistogram_v2",
        &bytes,
        &[bytes.len()],
        "bytes",
        &format!("HdrHistogram, standard compressed V2 encoding (Python: hdrh.histogram.HdrHistogram.decode(base64.b64encode(raw))); recorded integers are {units} / {scale}"),
    )?;
    let quantile = dataset(
        &g,
        "quantile",
        &QUANTILES,
        &[QUANTILES.len()],
        "1",
        "quantile level",
    )?;
    set_scale(&quantile, "quantile")?;
    let column = string_dataset(
        &g,
        "column",
        &["quantile".to_string(), "value".to_string()],
        "1",
        "columns of the quantile table",
    )?;
    set_scale(&column, "column")?;
    let empty = h.is_empty();
    let table: Vec<f64> = QUANTILES
        .iter()
        .flat_map(|&q| {
            let v = if empty {
                f64::NAN
            } else {
                h.value_at_quantile(q) as f64 * scale
            };
            [q, v]
        })
        .collect();
    let ds = dataset(
        &g,
        "quantiles",
        &table,
        &[QUANTILES.len(), 2],
        units,
        "columns: quantile, value (3 significant digits)",
    )?;
    attach_scale(&ds, &quantile, 0)?;
    attach_scale(&ds, &column, 1)?;
    attr_scalar(&g, "count", h.len())?;
    attr_scalar(&g, "mean", if empty { f64::NAN } else { h.mean() * scale })?;
    attr_scalar(&g, "value_scale", scale)?;
    attr_str(&g, "units", units)?;
    attr_str(&g, "description", description)?;
    Ok(())
}
