//! `tokensim export FILE --csv DIR`: tidy CSV files for pandas and friends.

use std::fmt::Write as _;
use std::path::Path;

use hdf5::types::VarLenUnicode;

use crate::audit::open;
use crate::error::{Error, Result};

/// A CSV field, quoted when it needs to be.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn h5(what: &str) -> impl FnOnce(hdf5::Error) -> Error + '_ {
    move |e| Error::Input(format!("export: cannot read {what}: {e}"))
}

/// Writes `series.csv` (one row per run, period, type, reward and variable)
/// and `summary.csv` (one row per run and type), plus `sweep_summary.csv`
/// for sweep files; returns what was written.
pub fn export_csv(file_path: &Path, dir: &Path) -> Result<String> {
    let (file, ids) = open(file_path)?;
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut series = String::from("run,period,type,reward,variable,value\n");
    let mut summary = String::from(
        "run,type,mean_active,mean_active_se,mean_profit_per_scale,mean_profit_per_scale_se,max_abs_gap,max_tv,verdict\n",
    );
    let mut runs = 0;
    for id in &ids {
        let run = file.group(&format!("runs/{id}")).map_err(h5("a run"))?;
        let Ok(active) = run.dataset("series/active") else {
            continue; // a failed sweep run: nothing recorded
        };
        runs += 1;
        let names: Vec<String> = run
            .dataset("meta/type_names")
            .and_then(|d| d.read_raw::<VarLenUnicode>())
            .map_err(h5("type names"))?
            .iter()
            .map(|s| s.as_str().to_string())
            .collect();
        let rewards: Vec<f64> = run
            .dataset("meta/reward_values")
            .and_then(|d| d.read_raw())
            .map_err(h5("rewards"))?;
        let (k, m) = (names.len(), rewards.len());
        let read_u = |name: &str| -> Result<Vec<u64>> {
            run.dataset(name)
                .and_then(|d| d.read_raw())
                .map_err(h5("series"))
        };
        let read_f = |name: &str| -> Result<Vec<f64>> {
            run.dataset(name)
                .and_then(|d| d.read_raw())
                .map_err(h5("series"))
        };
        let a: Vec<u64> = active.read_raw().map_err(h5("series/active"))?;
        let t = a.len() / k.max(1);
        for (variable, values) in [
            ("active", a),
            ("arrivals", read_u("series/arrivals")?),
            ("departures", read_u("series/departures")?),
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
        let counts = read_u("series/reward_counts")?;
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
            for (p, v) in read_f(&format!("series/{variable}"))?.iter().enumerate() {
                let _ = writeln!(series, "{id},{p},,,{variable},{v}");
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
    write(&dir.join("series.csv"), &series)?;
    write(&dir.join("summary.csv"), &summary)?;
    let mut written = vec!["series.csv", "summary.csv"];
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
        write(&dir.join("sweep_summary.csv"), &text)?;
        written.push("sweep_summary.csv");
    }
    Ok(format!(
        "tokensim export: {runs} run(s) of {} -> {} ({})",
        file_path.display(),
        dir.display(),
        written.join(", ")
    ))
}
