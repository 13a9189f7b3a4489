//! `tokensim export FILE --csv DIR`: tidy CSV files for pandas and friends.

use std::fmt::Write as _;
use std::path::Path;

use hdf5::types::VarLenUnicode;

use crate::audit::{open, read_counts, read_floats, read_run};
use crate::error::{Error, Result};

/// A CSV text field (RFC 4180): quoted when it holds a comma, a quote or a
/// line break (`\n` or `\r`), and neutralised against spreadsheet formula
/// injection — a text starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return gets a leading `'` so that Excel and LibreOffice show it as text
/// instead of evaluating it (OWASP's recommendation). Numbers are written
/// as they are, without this function.
pub fn field(s: &str) -> String {
    let neutral = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// The CSV files of one export, written only once all are complete: each to
/// a temporary name first, then all renamed, so a failure leaves no partial
/// CSV under a final name.
fn write_all(files: &[(std::path::PathBuf, String)]) -> Result<()> {
    let mut temps = Vec::new();
    for (path, text) in files {
        let temp = path.with_file_name(format!(
            ".{}.tmp-{}",
            path.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            std::process::id()
        ));
        if let Err(source) = std::fs::write(&temp, text) {
            for t in &temps {
                let _ = std::fs::remove_file(t);
            }
            let _ = std::fs::remove_file(&temp);
            return Err(Error::Io {
                path: path.clone(),
                source,
            });
        }
        temps.push(temp);
    }
    for (temp, (path, _)) in temps.iter().zip(files) {
        std::fs::rename(temp, path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
    }
    Ok(())
}

fn h5(what: &str) -> impl FnOnce(hdf5::Error) -> Error + '_ {
    move |e| Error::Input(format!("export: cannot read {what}: {e}"))
}

/// The paper model's series, exported to `series.csv`.
const PAPER_SERIES: [&str; 10] = [
    "active",
    "arrivals",
    "departures",
    "reward_counts",
    "revenue",
    "reward_cost",
    "profit",
    "policy_dist",
    "period",
    "reward",
];

/// Every token-economy series of a run, long form: one row per period (and
/// type, or good) and variable. Per-period series `[T]` (flows, float,
/// levers, the override trace) have empty type and good; `*_by_type`
/// series `[T, K]` name the type; `sales` `[T, J]` names the good.
fn token_rows(
    out: &mut String,
    id: &str,
    series: &hdf5::Group,
    periods: usize,
    types: &[String],
) -> Result<()> {
    let goods: Vec<String> = series
        .dataset("good")
        .and_then(|d| d.read_raw::<VarLenUnicode>())
        .map(|v| v.iter().map(|s| s.as_str().to_string()).collect())
        .unwrap_or_default();
    let mut names = Vec::new();
    for name in series.member_names().map_err(h5("series"))? {
        if let Ok(g) = series.group(&name) {
            for inner in g.member_names().map_err(h5("series"))? {
                names.push(format!("{name}/{inner}"));
            }
        } else if !PAPER_SERIES.contains(&name.as_str()) && name != "type" && name != "good" {
            names.push(name);
        }
    }
    for name in names {
        let ds = series.dataset(&name).map_err(h5(&name))?;
        let shape = ds.shape();
        if shape.first() != Some(&periods) {
            continue; // labels (deviation sources), not a series
        }
        let Ok(values) = ds.read_raw::<f64>() else {
            continue;
        };
        let variable = field(&name);
        match shape.as_slice() {
            [_] => {
                for (p, v) in values.iter().enumerate() {
                    let _ = writeln!(out, "{id},{p},,,{variable},{v}");
                }
            }
            [_, k] if *k == types.len() && name.ends_with("_by_type") => {
                for p in 0..periods {
                    for (kk, t) in types.iter().enumerate() {
                        let _ = writeln!(
                            out,
                            "{id},{p},{},,{variable},{}",
                            field(t),
                            values[p * k + kk]
                        );
                    }
                }
            }
            [_, j] if *j == goods.len() => {
                for p in 0..periods {
                    for (jj, g) in goods.iter().enumerate() {
                        let _ = writeln!(
                            out,
                            "{id},{p},,{},{variable},{}",
                            field(g),
                            values[p * j + jj]
                        );
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Writes `series.csv` (one row per run, period, type, reward and variable)
/// and `summary.csv` (one row per run and type); for token runs
/// `tokens.csv` (every token-economy series, long form) and `budget.csv`
/// (one row per run and closed budget year); `sweep_summary.csv` for sweep
/// files. Returns what was written.
pub fn export_csv(file_path: &Path, dir: &Path) -> Result<String> {
    let (file, ids) = open(file_path)?;
    let shown = file_path.display().to_string();
    let mut series = String::from("run,period,type,reward,variable,value\n");
    let mut summary = String::from(
        "run,type,mean_active,mean_active_se,mean_profit_per_scale,mean_profit_per_scale_se,max_abs_gap,max_tv,verdict\n",
    );
    let mut tokens = String::from("run,period,type,good,variable,value\n");
    let mut token_runs = 0;
    let mut budgets = String::from("run,year,budget,cost,penalty\n");
    let mut runs = 0;
    for id in &ids {
        let run = file.group(&format!("runs/{id}")).map_err(h5("a run"))?;
        let failed = run
            .attr("status")
            .and_then(|a| a.read_scalar::<VarLenUnicode>())
            .is_ok_and(|s| s.as_str() == "error");
        if failed {
            continue; // a failed sweep run: nothing recorded
        }
        // The audit's reader validates names, rewards, shapes and counts.
        let data = read_run(&file, &shown, id)?;
        runs += 1;
        let names: Vec<String> = data.type_names.clone();
        let rewards = data.rewards.clone();
        let (k, m, t) = (names.len(), rewards.len(), data.periods);
        let series_group = run.group("series").map_err(h5("series"))?;
        let at = format!("/runs/{id}/series");
        let read_u = |name: &str| read_counts(&series_group, &shown, &at, name, &[t, k]);
        let read_f = |name: &str| read_floats(&series_group, &shown, &at, name, &[t]);
        for (variable, values) in [
            ("active", data.active.clone()),
            ("arrivals", read_u("arrivals")?),
            ("departures", read_u("departures")?),
        ] {
            for p in 0..t {
                for (kk, name) in names.iter().enumerate() {
                    let _ = writeln!(
                        series,
                        "{id},{p},{},,{variable},{}",
                        field(name),
                        values[p * k + kk]
                    );
                }
            }
        }
        let counts = &data.reward_counts;
        for p in 0..t {
            for (kk, name) in names.iter().enumerate() {
                for (j, r) in rewards.iter().enumerate() {
                    let _ = writeln!(
                        series,
                        "{id},{p},{},{r},reward_count,{}",
                        field(name),
                        counts[(p * k + kk) * m + j]
                    );
                }
            }
        }
        for variable in ["revenue", "reward_cost", "profit"] {
            for (p, v) in read_f(variable)?.iter().enumerate() {
                let _ = writeln!(series, "{id},{p},,,{variable},{v}");
            }
        }
        // The announced reward distribution (NaN in periods where rewards
        // were set per agent).
        if let Ok(phi) = read_floats(&series_group, &shown, &at, "policy_dist", &[t, m]) {
            for p in 0..t {
                for (j, r) in rewards.iter().enumerate() {
                    let _ = writeln!(
                        series,
                        "{id},{p},,{r},policy_probability,{}",
                        phi[p * m + j]
                    );
                }
            }
        }
        if data.tokens.is_some() {
            token_rows(&mut tokens, id, &series_group, t, &names)?;
            token_runs += 1;
            if let Ok(b) = run.group("budget") {
                let col = |n: &str| {
                    b.dataset(n)
                        .and_then(|d| d.read_raw::<f64>())
                        .unwrap_or_default()
                };
                let (budget, cost, penalty) = (col("budget"), col("cost"), col("penalty"));
                for (y, ((b, c), p)) in budget.iter().zip(&cost).zip(&penalty).enumerate() {
                    let _ = writeln!(budgets, "{id},{y},{b},{c},{p}");
                }
            }
        }
        let s = run.group("summary").map_err(h5("summary"))?;
        let f = run.group("fairness").map_err(h5("fairness"))?;
        let arr = |name: &str| -> Vec<f64> {
            s.attr(name).and_then(|a| a.read_raw()).unwrap_or_default()
        };
        let sc = |g: &hdf5::Group, name: &str| -> f64 {
            g.attr(name)
                .and_then(|a| a.read_scalar())
                .unwrap_or(f64::NAN)
        };
        let verdict: String = f
            .attr("verdict")
            .and_then(|a| a.read_scalar::<VarLenUnicode>())
            .map(|v| v.as_str().to_string())
            .unwrap_or_default();
        let (means, errors) = (arr("mean_active_per_type"), arr("mean_active_per_type_se"));
        for (kk, name) in names.iter().enumerate() {
            let _ = writeln!(
                summary,
                "{id},{},{},{},{},{},{},{},{verdict}",
                field(name),
                means.get(kk).copied().unwrap_or(f64::NAN),
                errors.get(kk).copied().unwrap_or(f64::NAN),
                sc(&s, "mean_profit_per_scale"),
                sc(&s, "mean_profit_per_scale_se"),
                sc(&f, "max_abs_gap"),
                sc(&f, "max_tv"),
            );
        }
    }
    let mut files = vec![
        (dir.join("series.csv"), series),
        (dir.join("summary.csv"), summary),
    ];
    let mut written = vec!["series.csv", "summary.csv"];
    if token_runs > 0 {
        files.push((dir.join("tokens.csv"), tokens));
        files.push((dir.join("budget.csv"), budgets));
        written.extend(["tokens.csv", "budget.csv"]);
    }
    if let Ok(table) = file.group("summary") {
        let mut columns: Vec<(String, Vec<String>)> = Vec::new();
        for name in table.member_names().map_err(h5("/summary"))? {
            let ds = table.dataset(&name).map_err(h5("/summary"))?;
            use hdf5::types::TypeDescriptor as T;
            let kind = ds
                .dtype()
                .and_then(|t| t.to_descriptor())
                .map_err(h5("/summary"))?;
            let values: Vec<String> = match kind {
                T::Unsigned(_) => ds
                    .read_raw::<u64>()
                    .map_err(h5("/summary"))?
                    .iter()
                    .map(|x| x.to_string())
                    .collect(),
                T::Float(_) => ds
                    .read_raw::<f64>()
                    .map_err(h5("/summary"))?
                    .iter()
                    .map(|x| x.to_string())
                    .collect(),
                _ => ds
                    .read_raw::<VarLenUnicode>()
                    .map_err(h5("/summary"))?
                    .iter()
                    .map(|s| field(s.as_str()))
                    .collect(),
            };
            columns.push((field(&name), values));
        }
        let rows = columns.first().map_or(0, |c| c.1.len());
        let mut text = columns
            .iter()
            .map(|c| c.0.clone())
            .collect::<Vec<_>>()
            .join(",")
            + "\n";
        for r in 0..rows {
            let row: Vec<&str> = columns.iter().map(|c| c.1[r].as_str()).collect();
            text += &(row.join(",") + "\n");
        }
        files.push((dir.join("sweep_summary.csv"), text));
        written.push("sweep_summary.csv");
    }
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    write_all(&files)?;
    Ok(format!(
        "tokensim export: {runs} run(s) of {} -> {} ({})",
        file_path.display(),
        dir.display(),
        written.join(", ")
    ))
}
