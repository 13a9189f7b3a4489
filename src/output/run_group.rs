//! One run's group `/runs/<id>` (interfaces.md §3).

use hdf5::Group;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

use super::dimensions::Axes;
use super::h5::{attr_array, attr_scalar, attr_str, dataset, group, string_dataset};
use crate::error::{Error, Result};
use crate::record::{RunInfo, RunRecord, TokenSeries, LIFETIME_UNITS_PER_TOKEN};
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

    let meta = group(&run, "meta")?;
    let m = info.reward_values.len();
    let k = info.type_names.len();
    dataset(
        &meta,
        "reward_values",
        &info.reward_values,
        &[m],
        "tokens",
        "the reward set R",
    )?;
    string_dataset(
        &meta,
        "type_names",
        &info.type_names,
        "1",
        "agent type names, in type order",
    )?;

    write_series(&run, record)?;
    write_fairness(&run, record)?;

    let types = group(&run, "types")?;
    for (i, type_name) in info.type_names.iter().enumerate() {
        let g = group(&types, type_name)?;
        write_histogram(
            &g,
            "lifetime_reward",
            &record.leavers.lifetime_reward[i],
            1.0 / LIFETIME_UNITS_PER_TOKEN,
            "tokens",
            "total reward paid to each agent over its stay (agents that arrived at period >= 0 and left before the end)",
        )?;
        write_histogram(
            &g,
            "tenure",
            &record.leavers.tenure[i],
            1.0,
            "periods",
            "periods each agent stayed (agents that arrived at period >= 0 and left before the end)",
        )?;
    }

    if !record.leavers.credited.is_empty() {
        for (i, type_name) in info.type_names.iter().enumerate() {
            let g = types
                .group(type_name)
                .map_err(Error::hdf5("opening a type group"))?;
            write_histogram(
                &g,
                "credited_per_period",
                &record.leavers.credited[i],
                1.0,
                "tokens",
                "tokens credited to an agent in a period (every agent-period from period 0 on)",
            )?;
            write_histogram(
                &g,
                "balance_at_end",
                &record.leavers.balance_at_end[i],
                1.0,
                "tokens",
                "token balances of the agents present at the end",
            )?;
        }
    }
    if !info.budget_years.is_empty() {
        let budget = group(&run, "budget")?;
        let years = &info.budget_years;
        let n = years.len();
        let mut axes = Axes::new();
        let index: Vec<u64> = (0..n as u64).collect();
        axes.numeric(&budget, "year", &index, "year", "budget year (0 = first)")?;
        for (name, values, description) in [
            (
                "budget",
                years.iter().map(|y| y.budget).collect::<Vec<_>>(),
                "B_y: the year's budget for real goods",
            ),
            (
                "cost",
                years.iter().map(|y| y.cost).collect(),
                "C_y: cash cost of real goods redeemed in the year",
            ),
            (
                "penalty",
                years.iter().map(|y| y.penalty).collect(),
                "kappa_o (C-B)^+ + kappa_u (B-C)^+",
            ),
        ] {
            let ds = dataset(&budget, name, &values, &[n], "yuan", description)?;
            axes.attach(&ds, &["year"])?;
        }
    }

    if !info.events.is_empty() {
        write_events(&run, &info.events)?;
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
    let _ = k;
    Ok(())
}

/// The reward axis R of a group's datasets.
fn reward_axis(axes: &mut Axes, g: &Group, info: &RunInfo) -> Result<()> {
    axes.numeric(
        g,
        "reward",
        &info.reward_values,
        "tokens",
        "reward value R[j]",
    )
}

fn write_series(run: &Group, record: &RunRecord) -> Result<()> {
    let s = &record.series;
    let info = &record.info;
    let (t, k, m) = (s.periods, s.types, s.rewards);
    let g = group(run, "series")?;
    let mut axes = Axes::new();
    let periods: Vec<u64> = (0..t as u64).collect();
    axes.numeric(
        &g,
        "period",
        &periods,
        "period",
        "period index t (0 = first recorded period)",
    )?;
    axes.labels(&g, "type", &info.type_names, "agent type")?;
    reward_axis(&mut axes, &g, info)?;
    let counts = [
        (
            "active",
            &s.active,
            "N_k(t): agents of type k present and paid in period t",
        ),
        (
            "arrivals",
            &s.arrivals,
            "agents of type k arriving in period t",
        ),
        (
            "departures",
            &s.departures,
            "agents of type k leaving at the end of period t",
        ),
    ];
    for (name, values, description) in counts {
        let ds = dataset(&g, name, values, &[t, k], "agents", description)?;
        axes.attach(&ds, &["period", "type"])?;
    }
    let ds = dataset(
        &g,
        "reward_counts",
        &s.reward_counts,
        &[t, k, m],
        "agents",
        "agents of type k paid reward R[j] in period t",
    )?;
    axes.attach(&ds, &["period", "type", "reward"])?;
    if !s.pair_counts.is_empty() {
        let ds = dataset(
            &g,
            "pair_counts",
            &s.pair_counts,
            &[t, k, m, m],
            "agents",
            "agents of type k present for at least two periods, paid R[i] in period t and R[j] in t-1 (two-period memory only)",
        )?;
        axes.attach(&ds, &["period", "type", "reward", "reward"])?;
    }
    let money = [
        (
            "revenue",
            &s.revenue,
            "theta * f(N/theta): revenue of the whole market in period t",
        ),
        (
            "reward_cost",
            &s.reward_cost,
            "c * sum of rewards paid in period t",
        ),
        (
            "profit",
            &s.profit,
            "revenue - reward_cost (divide by theta for the normalized profit)",
        ),
    ];
    for (name, values, description) in money {
        let ds = dataset(&g, name, values, &[t], "money", description)?;
        axes.attach(&ds, &["period"])?;
    }
    let ds = dataset(
        &g,
        "policy_dist",
        &s.policy_dist,
        &[t, m],
        "probability",
        "distribution over R announced by the policy in period t (NaN rows: per-agent rewards)",
    )?;
    axes.attach(&ds, &["period", "reward"])?;
    if let Some(tokens) = &s.tokens {
        write_token_series(&g, &mut axes, tokens, &info.good_names)?;
    }
    Ok(())
}

/// The scheduled events, one row each.
fn write_events(run: &Group, events: &[crate::config::EventConfig]) -> Result<()> {
    let g = group(run, "events")?;
    let n = events.len();
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
    string_dataset(&g, "name", &names, "1", "event label")?;
    string_dataset(&g, "key", &keys, "1", "configuration key changed")?;
    dataset(
        &g,
        "start",
        &start,
        &[n],
        "period",
        "first period the change applies",
    )?;
    dataset(
        &g,
        "end",
        &end,
        &[n],
        "period",
        "last period it applies (-1: to the end of the run)",
    )?;
    string_dataset(&g, "change", &change, "1", "x factor, or = new value")?;
    Ok(())
}

/// The token economy's series, levers and per-good sales.
fn write_token_series(g: &Group, axes: &mut Axes, t: &TokenSeries, goods: &[String]) -> Result<()> {
    let n = t.tasks.len();
    let tokens = [
        (
            "issuance",
            &t.issuance,
            "tokens",
            "I_t: tokens credited (earned for tasks plus policy rewards)",
        ),
        (
            "redeemed_real",
            &t.redeemed_real,
            "tokens",
            "tokens spent on real goods",
        ),
        (
            "redeemed_virtual",
            &t.redeemed_virtual,
            "tokens",
            "tokens spent on virtual goods",
        ),
        (
            "float",
            &t.float,
            "tokens",
            "K_t = K_(t-1) + I_t - R_t - F_t: tokens outstanding after period t",
        ),
        (
            "forfeited",
            &t.forfeited,
            "tokens",
            "F_t: balances forfeited by leavers",
        ),
        (
            "dormant_float",
            &t.dormant_float,
            "tokens",
            "the part of float held by agents who left (kept, never redeemed); active float = float - dormant_float",
        ),
        ("tasks", &t.tasks, "tasks", "tasks completed"),
    ];
    for (name, values, units, description) in tokens {
        let ds = dataset(g, name, values, &[n], units, description)?;
        axes.attach(&ds, &["period"])?;
    }
    let reals = [
        (
            "cash_cost",
            &t.cash_cost,
            "yuan",
            "cash cost of real goods redeemed",
        ),
        (
            "purchasing_power",
            &t.purchasing_power,
            "1",
            "pi_t = sum_j s_j p_ref_j / p_j: what a token buys, relative to reference prices, weighted by last period's token-spend shares (1 when effort responds to issuance alone)",
        ),
        (
            "incentive_value",
            &t.incentive_value,
            "yuan",
            "V_t = economy.task_value x tasks: value of the tasks done",
        ),
    ];
    for (name, values, units, description) in reals {
        let ds = dataset(g, name, values, &[n], units, description)?;
        axes.attach(&ds, &["period"])?;
    }
    let levers = group(g, "levers")?;
    let names = [
        (
            "issuance_rate",
            "tokens per task",
            "lever 1: tokens issued per task",
        ),
        (
            "real_price_mult",
            "1",
            "lever 2: multiplier on real goods' reference prices",
        ),
        (
            "virtual_price_mult",
            "1",
            "lever 3: multiplier on virtual goods' reference prices (the valve)",
        ),
    ];
    for (i, (name, units, description)) in names.iter().enumerate() {
        let recommended: Vec<f64> = t.recommended_levers.iter().map(|l| l[i]).collect();
        let ds = dataset(
            &levers,
            &format!("recommended_{name}"),
            &recommended,
            &[n],
            units,
            &format!("{description}, as recommended before operator overrides (the configured lever: no controller yet)"),
        )?;
        axes.attach(&ds, &["period"])?;
        let values: Vec<f64> = t.levers.iter().map(|l| l[i]).collect();
        let ds = dataset(
            &levers,
            name,
            &values,
            &[n],
            units,
            &format!("{description}, as implemented"),
        )?;
        axes.attach(&ds, &["period"])?;
    }
    if t.deviation_source.len() == n {
        for (i, (name, _, _)) in names.iter().enumerate() {
            let values: Vec<i32> = t.deviation_source.iter().map(|l| l[i]).collect();
            let ds = dataset(
                &levers,
                &format!("deviation_{name}"),
                &values,
                &[n],
                "1",
                "the override trace: index into deviation_sources of the operator source (scheduled override or operator model) that moved this lever away from the recommendation in period t; -1: the recommendation was implemented",
            )?;
            axes.attach(&ds, &["period"])?;
        }
        if !t.deviation_sources.is_empty() {
            string_dataset(
                &levers,
                "deviation_sources",
                &t.deviation_sources,
                "1",
                "where each deviation source is configured: overrides.N or operators.N",
            )?;
            string_dataset(
                &levers,
                "deviation_kinds",
                &t.deviation_kinds,
                "1",
                "each deviation source's kind label (information, discretion, adherence, or an override's kind)",
            )?;
        }
    }
    if t.class_levers.len() == n {
        for (c, class) in ["A", "B", "C", "D"].iter().enumerate() {
            let values: Vec<f64> = t.class_levers.iter().map(|l| l[c]).collect();
            let ds = dataset(
                &levers,
                &format!("class_{class}_price_mult"),
                &values,
                &[n],
                "1",
                &format!(
                    "multiplier on the prices of class-{class} real goods, on top of real_price_mult (steer.real_prices = \"by_class\"; 1 otherwise)"
                ),
            )?;
            axes.attach(&ds, &["period"])?;
        }
    }
    // Per type, [T][K] (interfaces.md 4.2): any per-type rate (pay per
    // task, value per token) can be recomputed from these.
    let k = t.tasks_by_type.len().checked_div(n).unwrap_or(0);
    let by_type = [
        (
            "tasks_by_type",
            &t.tasks_by_type,
            "tasks",
            "tasks completed by agents of type k in period t",
        ),
        (
            "task_tokens_by_type",
            &t.task_tokens_by_type,
            "tokens",
            "tokens credited for tasks (issuance_rate x tasks, rounded) to type k in period t",
        ),
        (
            "bonus_tokens_by_type",
            &t.bonus_tokens_by_type,
            "tokens",
            "tokens credited as policy rewards (bonus) to type k in period t",
        ),
        (
            "redeemed_real_by_type",
            &t.redeemed_real_by_type,
            "tokens",
            "tokens type k spent on real goods in period t",
        ),
        (
            "redeemed_virtual_by_type",
            &t.redeemed_virtual_by_type,
            "tokens",
            "tokens type k spent on virtual goods in period t",
        ),
    ];
    for (name, values, units, description) in by_type {
        let ds = dataset(g, name, values, &[n, k], units, description)?;
        axes.attach(&ds, &["period", "type"])?;
    }
    let values = [
        (
            "real_value_by_type",
            &t.real_value_by_type,
            "cash value (yuan, at cash cost) of the real goods type k bought in period t",
        ),
        (
            "virtual_value_by_type",
            &t.virtual_value_by_type,
            "value (yuan, at mall.goods.N.value, default 0) of the virtual goods type k bought in period t",
        ),
    ];
    for (name, values, description) in values {
        let ds = dataset(g, name, values, &[n, k], "yuan", description)?;
        axes.attach(&ds, &["period", "type"])?;
    }
    let ds = dataset(
        g,
        "redeemed_at_reference_by_type",
        &t.redeemed_at_reference_by_type,
        &[n, k],
        "tokens",
        "tokens type k's purchases in period t would have cost at reference prices (purchasing power = this / tokens redeemed)",
    )?;
    axes.attach(&ds, &["period", "type"])?;
    axes.labels(g, "good", goods, "good of the mall")?;
    let ds = dataset(
        g,
        "sales",
        &t.sales,
        &[n, t.goods],
        "units",
        "units of good j sold in period t",
    )?;
    axes.attach(&ds, &["period", "good"])?;
    Ok(())
}

fn write_fairness(run: &Group, record: &RunRecord) -> Result<()> {
    let f = &record.fairness;
    let g = group(run, "fairness")?;
    let k = f.reward_dist.len();
    let m = f.reward_dist.first().map_or(0, Vec::len);
    let info = &record.info;
    let mut axes = Axes::new();
    axes.labels(&g, "type", &info.type_names, "agent type")?;
    axes.labels(
        &g,
        "other_type",
        &info.type_names,
        "agent type compared with",
    )?;
    reward_axis(&mut axes, &g, info)?;
    let flat: Vec<f64> = f.reward_dist.iter().flatten().copied().collect();
    let ds = dataset(
        &g,
        "reward_dist",
        &flat,
        &[k, m],
        "probability",
        "q_k(r): fraction of type k's agent-periods after warmup paid reward R[j]",
    )?;
    axes.attach(&ds, &["type", "reward"])?;
    let tv: Vec<f64> = f.tv_distance.iter().flatten().copied().collect();
    let ds = dataset(
        &g,
        "tv_distance",
        &tv,
        &[k, k],
        "probability",
        "total-variation distance between types' reward_dist",
    )?;
    axes.attach(&ds, &["type", "other_type"])?;
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

/// A histogram as a group: serialized V2 bytes and a [Q, 2] quantile table
/// in natural units (`scale` converts recorded integers to them).
fn write_histogram(
    parent: &Group,
    name: &str,
    h: &Histogram<u64>,
    scale: f64,
    units: &str,
    description: &str,
) -> Result<()> {
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
    dataset(
        &g,
        "quantiles",
        &table,
        &[QUANTILES.len(), 2],
        units,
        "columns: quantile, value (3 significant digits)",
    )?;
    attr_scalar(&g, "count", h.len())?;
    attr_scalar(&g, "mean", if empty { f64::NAN } else { h.mean() * scale })?;
    attr_scalar(&g, "value_scale", scale)?;
    attr_str(&g, "units", units)?;
    attr_str(&g, "description", description)?;
    Ok(())
}
