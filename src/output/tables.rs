//! Tidy (long-form) tables of an output file, built by iterating the
//! schema: every recorded dataset of every run lands in one of them, so a
//! series added to the schema is exported without touching this file.
//! `export --csv` and `export --parquet` write the same tables.
//!
//! | table | one row per | columns |
//! |---|---|---|
//! | `series` | run, period, type, reward and paper-model variable | run, period, type, reward, variable, value |
//! | `pairs` | run, period, type, reward now and reward before (two-period memory) | run, period, type, reward, previous_reward, value |
//! | `tokens` | run, period, type or good, token-economy variable | run, period, type, good, variable, value |
//! | `deviation_sources` | run and operator deviation source | run, source, index, kind |
//! | `budget` | run and closed budget year | run, year, budget, cost, penalty |
//! | `events` | run and scheduled event | run, event, name, key, start, end, change |
//! | `fairness` | run, type, reward or other type, variable | run, type, reward, other_type, variable, value |
//! | `histograms` | run, type, histogram and quantile | run, type, histogram, quantile, value |
//! | `summary` | run and type | run, type, mean_active, … verdict |
//! | `sweep_summary` | run of a sweep | the `/summary` columns |
//!
//! Empty cells (a per-period variable has no type) are nulls in Parquet.

use hdf5::types::{TypeDescriptor, VarLenUnicode};

use super::reader::{OutputFile, RunReader};
use super::schema::{var, Dim, Dtype, Presence, Variable, HISTOGRAMS, RUN_VARIABLES};
use crate::error::{Error, Result};

/// One column of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Unsigned integers, never null (run, period).
    U64(Vec<u64>),
    /// Signed integers, never null.
    I64(Vec<i64>),
    /// Floats, possibly null.
    F64(Vec<Option<f64>>),
    /// Text, possibly null.
    Str(Vec<Option<String>>),
}

impl Column {
    /// Rows in the column.
    pub fn len(&self) -> usize {
        match self {
            Column::U64(v) => v.len(),
            Column::I64(v) => v.len(),
            Column::F64(v) => v.len(),
            Column::Str(v) => v.len(),
        }
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A named table of equally long columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// File stem (`series` → `series.csv`, `series.parquet`).
    pub name: &'static str,
    /// Columns, in order.
    pub columns: Vec<(String, Column)>,
}

impl Table {
    fn new(name: &'static str, columns: &[(&str, Column)]) -> Table {
        Table {
            name,
            columns: columns
                .iter()
                .map(|(n, c)| (n.to_string(), c.clone()))
                .collect(),
        }
    }

    /// Rows in the table.
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.1.len())
    }

    fn col(&mut self, i: usize) -> &mut Column {
        &mut self.columns[i].1
    }
}

fn push_u(c: &mut Column, x: u64) {
    if let Column::U64(v) = c {
        v.push(x);
    }
}
fn push_i(c: &mut Column, x: i64) {
    if let Column::I64(v) = c {
        v.push(x);
    }
}
fn push_f(c: &mut Column, x: Option<f64>) {
    if let Column::F64(v) = c {
        v.push(x);
    }
}
fn push_s(c: &mut Column, x: Option<&str>) {
    if let Column::Str(v) = c {
        v.push(x.map(str::to_string));
    }
}

/// A series' name in the `variable` column: its path under `series/`
/// (`active`, `levers/issuance_rate`); two paper-model series keep the
/// names they had in round-one exports, so existing scripts keep working.
fn export_name(v: &Variable) -> &'static str {
    match v.path {
        "series/reward_counts" => "reward_count",
        "series/policy_dist" => "policy_probability",
        path => path.strip_prefix("series/").unwrap_or(path),
    }
}

/// Which long table a per-period variable belongs to.
fn table_of(v: &Variable) -> Option<&'static str> {
    if v.coordinate || v.dims.first() != Some(&Dim::Period) || v.dtype == Dtype::Str {
        return None;
    }
    Some(match v.presence {
        Presence::Always => "series",
        Presence::TwoPeriodMemory => "pairs",
        _ => "tokens",
    })
}

/// Every table of `out` (tables with no rows are left out).
pub fn tables(out: &OutputFile) -> Result<Vec<Table>> {
    let s = || Column::Str(Vec::new());
    let f = || Column::F64(Vec::new());
    let u = || Column::U64(Vec::new());
    let i = || Column::I64(Vec::new());
    let mut series = Table::new(
        "series",
        &[
            ("run", u()),
            ("period", u()),
            ("type", s()),
            ("reward", f()),
            ("variable", s()),
            ("value", f()),
        ],
    );
    let mut pairs = Table::new(
        "pairs",
        &[
            ("run", u()),
            ("period", u()),
            ("type", s()),
            ("reward", f()),
            ("previous_reward", f()),
            ("value", f()),
        ],
    );
    let mut tokens = Table::new(
        "tokens",
        &[
            ("run", u()),
            ("period", u()),
            ("type", s()),
            ("good", s()),
            ("variable", s()),
            ("value", f()),
        ],
    );
    let mut sources = Table::new(
        "deviation_sources",
        &[("run", u()), ("index", u()), ("source", s()), ("kind", s())],
    );
    let mut budget = Table::new(
        "budget",
        &[
            ("run", u()),
            ("year", u()),
            ("budget", f()),
            ("cost", f()),
            ("penalty", f()),
        ],
    );
    let mut events = Table::new(
        "events",
        &[
            ("run", u()),
            ("event", u()),
            ("name", s()),
            ("key", s()),
            ("start", i()),
            ("end", i()),
            ("change", s()),
        ],
    );
    let mut fairness = Table::new(
        "fairness",
        &[
            ("run", u()),
            ("type", s()),
            ("reward", f()),
            ("other_type", s()),
            ("variable", s()),
            ("value", f()),
        ],
    );
    let mut histograms = Table::new(
        "histograms",
        &[
            ("run", u()),
            ("type", s()),
            ("histogram", s()),
            ("quantile", f()),
            ("value", f()),
        ],
    );
    let mut summary = Table::new(
        "summary",
        &[
            ("run", u()),
            ("type", s()),
            ("mean_active", f()),
            ("mean_active_se", f()),
            ("mean_profit_per_scale", f()),
            ("mean_profit_per_scale_se", f()),
            ("max_abs_gap", f()),
            ("max_tv", f()),
            ("verdict", s()),
        ],
    );
    for id in out.ids() {
        if out.failed(id) {
            continue; // a failed sweep run: nothing recorded
        }
        // The audit's checks first: names, rewards, shapes, counts that add up.
        crate::audit::read_run(out.file(), out.shown(), id)?;
        let run = out.run(id)?;
        let run_no: u64 = id.parse().unwrap_or(0);
        for v in RUN_VARIABLES {
            let Some(table) = table_of(v) else { continue };
            if !run.has(v) {
                continue;
            }
            let (values, shape) = run.numbers(v)?;
            let target = match table {
                "series" => &mut series,
                "pairs" => &mut pairs,
                _ => &mut tokens,
            };
            long_rows(target, &run, run_no, v, &values, &shape);
        }
        if run.has(&var::DEVIATION_SOURCES) {
            let names = run.strings(&var::DEVIATION_SOURCES)?;
            let kinds = run.strings(&var::DEVIATION_KINDS)?;
            for (j, (n, k)) in names.iter().zip(&kinds).enumerate() {
                push_u(sources.col(0), run_no);
                push_u(sources.col(1), j as u64);
                push_s(sources.col(2), Some(n));
                push_s(sources.col(3), Some(k));
            }
        }
        if run.has(&var::YEAR) {
            let (b, c, p) = (
                run.f64s(&var::BUDGET)?,
                run.f64s(&var::COST)?,
                run.f64s(&var::PENALTY)?,
            );
            for (y, &b) in b.iter().enumerate() {
                push_u(budget.col(0), run_no);
                push_u(budget.col(1), y as u64);
                push_f(budget.col(2), Some(b));
                push_f(budget.col(3), c.get(y).copied());
                push_f(budget.col(4), p.get(y).copied());
            }
        }
        if run.has(&var::EVENT) {
            let names = run.strings(&var::EVENT_NAME)?;
            let keys = run.strings(&var::EVENT_KEY)?;
            let starts = run.numbers(&var::EVENT_START)?.0;
            let ends = run.numbers(&var::EVENT_END)?.0;
            let changes = run.strings(&var::EVENT_CHANGE)?;
            for (e, name) in names.iter().enumerate() {
                push_u(events.col(0), run_no);
                push_u(events.col(1), e as u64);
                push_s(events.col(2), Some(name));
                push_s(events.col(3), keys.get(e).map(String::as_str));
                push_i(events.col(4), starts.get(e).map_or(-1, |&x| x as i64));
                push_i(events.col(5), ends.get(e).map_or(-1, |&x| x as i64));
                push_s(events.col(6), changes.get(e).map(String::as_str));
            }
        }
        fairness_rows(&mut fairness, &run, run_no)?;
        histogram_rows(&mut histograms, &run, run_no)?;
        summary_rows(&mut summary, &run, run_no);
    }
    let mut all = vec![
        series, pairs, tokens, sources, budget, events, fairness, histograms, summary,
    ];
    if let Some(table) = out.summary() {
        all.push(sweep_summary(&table)?);
    }
    all.retain(|t| t.rows() > 0);
    Ok(all)
}

/// The rows of one per-period variable: one per cell, the non-period axes
/// named in the table's type / reward / good columns.
fn long_rows(
    t: &mut Table,
    run: &RunReader,
    run_no: u64,
    v: &Variable,
    values: &[f64],
    shape: &[usize],
) {
    let inner: usize = shape[1..].iter().product::<usize>().max(1);
    let name = export_name(v);
    let types = run.types();
    let rewards = run.rewards();
    let goods = run.goods();
    for (cell, &value) in values.iter().enumerate() {
        let period = (cell / inner) as u64;
        // The cell's index along each non-period axis.
        let mut rest = cell % inner;
        let mut at = [0usize; 3];
        for (a, len) in shape[1..].iter().enumerate().rev() {
            at[a] = rest % len;
            rest /= len;
        }
        let (mut ty, mut reward, mut previous, mut good) = (None, None, None, None);
        for (a, dim) in v.dims[1..].iter().enumerate() {
            match dim {
                Dim::Type => ty = types.get(at[a]).map(String::as_str),
                Dim::Reward if reward.is_none() => reward = rewards.get(at[a]).copied(),
                Dim::Reward => previous = rewards.get(at[a]).copied(),
                Dim::Good => good = goods.get(at[a]).map(String::as_str),
                _ => {}
            }
        }
        push_u(t.col(0), run_no);
        push_u(t.col(1), period);
        push_s(t.col(2), ty);
        match t.name {
            "pairs" => {
                push_f(t.col(3), reward);
                push_f(t.col(4), previous);
            }
            "tokens" => {
                push_s(t.col(3), good);
                push_s(t.col(4), Some(name));
            }
            _ => {
                push_f(t.col(3), reward);
                push_s(t.col(4), Some(name));
            }
        }
        push_f(t.col(5), Some(value));
    }
}

fn fairness_rows(t: &mut Table, run: &RunReader, run_no: u64) -> Result<()> {
    let types = run.types();
    let rewards = run.rewards();
    let dist = run.f64s(&var::REWARD_DIST)?;
    let tv = run.f64s(&var::TV_DISTANCE)?;
    let m = rewards.len();
    for (k, ty) in types.iter().enumerate() {
        for (j, r) in rewards.iter().enumerate() {
            push_u(t.col(0), run_no);
            push_s(t.col(1), Some(ty));
            push_f(t.col(2), Some(*r));
            push_s(t.col(3), None);
            push_s(t.col(4), Some(var::REWARD_DIST.name()));
            push_f(t.col(5), Some(dist[k * m + j]));
        }
        for (o, other) in types.iter().enumerate() {
            push_u(t.col(0), run_no);
            push_s(t.col(1), Some(ty));
            push_f(t.col(2), None);
            push_s(t.col(3), Some(other));
            push_s(t.col(4), Some(var::TV_DISTANCE.name()));
            push_f(t.col(5), Some(tv[k * types.len() + o]));
        }
    }
    Ok(())
}

fn histogram_rows(t: &mut Table, run: &RunReader, run_no: u64) -> Result<()> {
    for ty in run.types() {
        for h in &HISTOGRAMS {
            let Ok(g) = run.group().group(&format!("types/{ty}/{}", h.name)) else {
                continue;
            };
            let table: Vec<f64> =
                g.dataset("quantiles")
                    .and_then(|d| d.read_raw())
                    .map_err(|e| {
                        Error::Input(format!(
                            "{}: /runs/{}/types/{ty}/{}/quantiles: unreadable ({e})",
                            run.shown(),
                            run.id(),
                            h.name
                        ))
                    })?;
            for row in table.chunks(2) {
                push_u(t.col(0), run_no);
                push_s(t.col(1), Some(ty));
                push_s(t.col(2), Some(h.name));
                push_f(t.col(3), Some(row[0]));
                push_f(t.col(4), row.get(1).copied());
            }
        }
    }
    Ok(())
}

fn summary_rows(t: &mut Table, run: &RunReader, run_no: u64) {
    let group = run.group();
    let s = group.group("summary").ok();
    let f = group.group("fairness").ok();
    let arr = |name: &str| -> Vec<f64> {
        s.as_ref()
            .and_then(|s| s.attr(name).and_then(|a| a.read_raw()).ok())
            .unwrap_or_default()
    };
    let sc = |g: &Option<hdf5::Group>, name: &str| -> f64 {
        g.as_ref()
            .and_then(|g| g.attr(name).and_then(|a| a.read_scalar()).ok())
            .unwrap_or(f64::NAN)
    };
    let verdict: Option<String> = f
        .as_ref()
        .and_then(|f| f.attr("verdict").ok())
        .and_then(|a| a.read_scalar::<VarLenUnicode>().ok())
        .map(|v| v.as_str().to_string());
    let (means, errors) = (arr("mean_active_per_type"), arr("mean_active_per_type_se"));
    for (k, ty) in run.types().iter().enumerate() {
        push_u(t.col(0), run_no);
        push_s(t.col(1), Some(ty));
        push_f(t.col(2), means.get(k).copied());
        push_f(t.col(3), errors.get(k).copied());
        push_f(t.col(4), Some(sc(&s, "mean_profit_per_scale")));
        push_f(t.col(5), Some(sc(&s, "mean_profit_per_scale_se")));
        push_f(t.col(6), Some(sc(&f, "max_abs_gap")));
        push_f(t.col(7), Some(sc(&f, "max_tv")));
        push_s(t.col(8), verdict.as_deref());
    }
}

/// A sweep's `/summary`, one row per run, its columns as stored.
/// The sweep's `/summary` as a table (one row per run), without the rest
/// of the file's tables; `None` for a file that is not a sweep's.
pub fn sweep_summary_table(out: &OutputFile) -> Result<Option<Table>> {
    out.summary().map(|g| sweep_summary(&g)).transpose()
}

fn sweep_summary(table: &hdf5::Group) -> Result<Table> {
    let h5 = |e: hdf5::Error| Error::Input(format!("/summary: unreadable ({e})"));
    let mut columns = Vec::new();
    for name in table.member_names().map_err(h5)? {
        let ds = table.dataset(&name).map_err(h5)?;
        let kind = ds.dtype().and_then(|t| t.to_descriptor()).map_err(h5)?;
        let column = match kind {
            TypeDescriptor::Unsigned(_) => Column::U64(ds.read_raw::<u64>().map_err(h5)?),
            TypeDescriptor::Integer(_) => Column::I64(ds.read_raw::<i64>().map_err(h5)?),
            TypeDescriptor::Float(_) => Column::F64(
                ds.read_raw::<f64>()
                    .map_err(h5)?
                    .into_iter()
                    .map(Some)
                    .collect(),
            ),
            _ => Column::Str(
                ds.read_raw::<VarLenUnicode>()
                    .map_err(h5)?
                    .iter()
                    .map(|s| Some(s.as_str().to_string()))
                    .collect(),
            ),
        };
        columns.push((name, column));
    }
    // `run` first, as in every other table.
    if let Some(i) = columns.iter().position(|c| c.0 == "run") {
        let run = columns.remove(i);
        columns.insert(0, run);
    }
    Ok(Table {
        name: "sweep_summary",
        columns,
    })
}
