//! The summary of one run read back from an output file: what
//! `tokensim run --json` prints for a run, for any run of any file (a
//! sweep's included). The Python module's `Result.summary(run)`.

use std::path::Path;

use hdf5::types::VarLenUnicode;
use hdf5::Location;

use super::run::{MeanSe, RunSummary, TokenSummary, TypeSummary};
use crate::engine::BudgetYear;
use crate::error::{Error, Result};
use crate::output::schema::var;
use crate::output::OutputFile;

fn attr<T: hdf5::H5Type>(loc: &Location, name: &str, at: &str) -> Result<T> {
    loc.attr(name)
        .and_then(|a| a.read_scalar::<T>())
        .map_err(|_| Error::Input(format!("{at}: missing or unreadable attribute `{name}`")))
}

fn attr_text(loc: &Location, name: &str, at: &str) -> Result<String> {
    attr::<VarLenUnicode>(loc, name, at).map(|s| s.as_str().to_string())
}

fn attr_f64s(loc: &Location, name: &str, at: &str) -> Result<Vec<f64>> {
    loc.attr(name)
        .and_then(|a| a.read_raw::<f64>())
        .map_err(|_| Error::Input(format!("{at}: missing or unreadable attribute `{name}`")))
}

/// The summary of run `id` of `path` (one replication: standard errors
/// are the run's batch-means errors).
pub fn run_summary(path: &Path, id: &str) -> Result<RunSummary> {
    let file = OutputFile::open(path)?;
    if file.failed(id) {
        return Err(Error::Input(format!(
            "{}: run {id} failed in its sweep and recorded nothing",
            file.shown()
        )));
    }
    let run = file.run(id)?;
    let group = run.group();
    let at = format!("{}:/runs/{id}", file.shown());
    let summary = group
        .group("summary")
        .map_err(|_| Error::Input(format!("{at}/summary: missing")))?;
    let fairness = group
        .group("fairness")
        .map_err(|_| Error::Input(format!("{at}/fairness: missing")))?;
    let (s_at, f_at) = (format!("{at}/summary"), format!("{at}/fairness"));
    let means = attr_f64s(&summary, "mean_active_per_type", &s_at)?;
    let errors = attr_f64s(&summary, "mean_active_per_type_se", &s_at)?;
    let types = run
        .types()
        .iter()
        .enumerate()
        .map(|(k, name)| TypeSummary {
            name: name.clone(),
            mean_agents: MeanSe {
                mean: means.get(k).copied().unwrap_or(f64::NAN),
                se: errors.get(k).copied().unwrap_or(f64::NAN),
            },
        })
        .collect();
    let total =
        |v: &crate::output::schema::Variable| -> Result<f64> { Ok(run.numbers(v)?.0.iter().sum()) };
    let tokens = if run.has(&var::ISSUANCE) {
        let mut budget_years = Vec::new();
        if run.has(&var::YEAR) {
            let (b, c, p) = (
                run.f64s(&var::BUDGET)?,
                run.f64s(&var::COST)?,
                run.f64s(&var::PENALTY)?,
            );
            for (y, &budget) in b.iter().enumerate() {
                budget_years.push(BudgetYear {
                    budget,
                    cost: c.get(y).copied().unwrap_or(f64::NAN),
                    penalty: p.get(y).copied().unwrap_or(f64::NAN),
                });
            }
        }
        Some(TokenSummary {
            issuance: total(&var::ISSUANCE)?,
            redeemed_real: total(&var::REDEEMED_REAL)?,
            redeemed_virtual: total(&var::REDEEMED_VIRTUAL)?,
            cash_cost: total(&var::CASH_COST)?,
            ending_float: run.numbers(&var::FLOAT)?.0.last().copied().unwrap_or(0.0),
            tasks: total(&var::TASKS)?,
            budget_years,
        })
    } else {
        None
    };
    Ok(RunSummary {
        file: path.display().to_string(),
        replications: 1,
        policy: attr_text(group, "policy", &at)?,
        scale: attr(group, "scale", &at)?,
        periods: attr::<u64>(group, "periods", &at)? as u32,
        warmup: attr::<u64>(group, "warmup", &at)? as u32,
        seed: attr(group, "seed", &at)?,
        types,
        normalized_profit: MeanSe {
            mean: attr(&summary, "mean_profit_per_scale", &s_at)?,
            se: attr(&summary, "mean_profit_per_scale_se", &s_at)?,
        },
        max_tv: attr(&fairness, "max_tv", &f_at)?,
        max_abs_gap: attr(&fairness, "max_abs_gap", &f_at)?,
        two_period_gap: attr(&fairness, "two_period_max_abs_gap", &f_at).ok(),
        epsilon: attr(&fairness, "epsilon", &f_at)?,
        verdict: attr_text(&fairness, "verdict", &f_at)?,
        tokens,
    })
}
