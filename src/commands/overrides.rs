//! `tokensim overrides FILE [--run ID] [--replications N] [--trace CSV] [--json]`:
//! the value of each operator deviation (interfaces.md 4.3).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::audit::deviations::{
    read_trace, replay_trace, score_deviations, DeviationScore, DEFAULT_REPLICATIONS,
};
use crate::error::{Error, Result};

/// Arguments of `tokensim overrides`.
#[derive(Debug, Clone)]
pub struct OverridesArgs {
    /// An output file (its run's stored configuration is replayed) or a
    /// TOML configuration.
    pub file: PathBuf,
    /// The run of an output file [default: the first].
    pub run: Option<String>,
    /// Paired replications per deviation.
    pub replications: Option<u32>,
    /// An observed recommendation-vs-decision trace to replay as overrides.
    pub trace: Option<PathBuf>,
    /// Print JSON.
    pub json: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    file: String,
    run: Option<String>,
    replications: u32,
    deviations: &'a [DeviationScore],
}

/// The configuration text of `file`: a TOML file as it is, or the stored
/// `config_toml` of a run of an HDF5 output.
pub fn scenario_text(file: &Path, run: Option<&str>) -> Result<(String, Option<String>)> {
    let shown = file.display();
    let is_toml = file.extension().is_some_and(|e| e == "toml");
    if is_toml {
        if run.is_some() {
            return Err(Error::Input(format!(
                "{shown}: --run names a run of an output file, not of a configuration"
            )));
        }
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::Input(format!("{shown}: cannot read: {e}")))?;
        return Ok((text, None));
    }
    let (h5, ids) = crate::audit::open(file)?;
    let id = match run {
        Some(id) if ids.iter().any(|i| i == id) => id.to_string(),
        Some(id) => {
            return Err(Error::Input(format!(
                "{shown}: no run {id:?} (runs: {})",
                ids.join(", ")
            )))
        }
        None => ids
            .first()
            .cloned()
            .ok_or_else(|| Error::Input(format!("{shown}: no run")))?,
    };
    let text = h5
        .group(&format!("runs/{id}"))
        .and_then(|g| g.attr("config_toml"))
        .and_then(|a| a.read_scalar::<hdf5::types::VarLenUnicode>())
        .map_err(|_| {
            Error::Input(format!(
                "{shown}: /runs/{id} has no config_toml attribute: cannot replay it"
            ))
        })?;
    Ok((text.as_str().to_string(), Some(id)))
}

/// Scores the deviations of a run (or of a replayed trace).
pub fn overrides(args: &OverridesArgs) -> Result<String> {
    let (mut text, run) = scenario_text(&args.file, args.run.as_deref())?;
    let mut given = None;
    if let Some(trace) = &args.trace {
        let rows = read_trace(trace)?;
        let (replayed, deviations) = replay_trace(&text, &rows)?;
        text = replayed;
        given = Some(deviations);
    }
    let replications = args.replications.unwrap_or(DEFAULT_REPLICATIONS);
    let scores = score_deviations(&text, &args.file, replications, given)?;
    if args.json {
        let report = Report {
            file: args.file.display().to_string(),
            run,
            replications,
            deviations: &scores,
        };
        return Ok(serde_json::to_string_pretty(&report).expect("the scores serialize"));
    }
    Ok(table(&args.file, replications, &scores))
}

fn interval(mean: f64, ci: [f64; 2], digits: usize) -> String {
    format!(
        "{mean:+.digits$} [{:+.digits$}, {:+.digits$}]",
        ci[0], ci[1]
    )
}

fn table(file: &Path, replications: u32, scores: &[DeviationScore]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Operator deviations of {} ({replications} paired replications each; Δ = with the deviation − with the recommendation followed, 95% CI)",
        file.display()
    );
    let _ = writeln!(
        s,
        "{:<18} {:<10} {:<12} {:<14} {:<34} {:<28} {:<34} verdict",
        "lever",
        "periods",
        "kind",
        "source",
        "Δ penalty (yuan)",
        "Δ float deviation",
        "Δ incentive value (yuan)"
    );
    for d in scores {
        let dev = &d.deviation;
        let sources = if dev.sources.len() == 1 {
            dev.sources[0].clone()
        } else {
            format!("{} entries", dev.sources.len())
        };
        let _ = writeln!(
            s,
            "{:<18} {:<10} {:<12} {:<14} {:<34} {:<28} {:<34} {}",
            dev.lever,
            format!("{}-{}", dev.from, dev.to),
            dev.kind,
            sources,
            interval(d.delta_penalty, d.delta_penalty_ci95, 0),
            interval(d.delta_float_deviation, d.delta_float_deviation_ci95, 4),
            interval(d.delta_incentive_value, d.delta_incentive_value_ci95, 0),
            d.verdict
        );
    }
    s
}
