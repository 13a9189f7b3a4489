//! `tokensim sweep SWEEP` and `tokensim merge OUT IN...`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::output::merge as merge_files;
use crate::runner::limits::{free_disk, MAX_SWEEP_RUNS};
use crate::runner::{thread_pool, Machine, RunControl, SizeEstimate};
use crate::sweep::{run_sweep, OnError, Shard, SweepOptions, SweepOverrides, SweepPlan};

/// Options of `tokensim sweep`.
#[derive(Debug, Clone)]
pub struct SweepArgs {
    /// The sweep file.
    pub sweep: PathBuf,
    /// Output file (default `output/<sweep-stem>.h5`, or
    /// `output/<sweep-stem>.shard-I-of-N.h5` for a shard).
    pub out: Option<PathBuf>,
    /// `I/N`, or from the Slurm job-array variables when absent.
    pub shard: Option<String>,
    /// Skip runs already complete in an earlier output of this sweep.
    pub resume: bool,
    /// `continue` (default) or `stop`.
    pub on_error: Option<String>,
    /// Worker threads (default: all cores).
    pub threads: Option<usize>,
    /// No progress display.
    pub quiet: bool,
    /// Skip the size checks (runs, agents, memory, disk, work).
    pub force_size: bool,
    /// Checkpoint each run every this many recorded periods.
    pub checkpoint_every: Option<u32>,
    /// `--set`, `--seed`, `--replications`.
    pub overrides: SweepOverrides,
    /// Print the points and runs; run nothing.
    pub list: bool,
    /// Runs done counted here, and a stop asked for here (the Python
    /// module); `None` on the command line.
    pub control: Option<Arc<RunControl>>,
}

/// Runs a sweep and returns a short report. Failed runs give exit status 1
/// after the file is written (continue) or kept partial (stop).
pub fn sweep(args: &SweepArgs) -> Result<String> {
    sweep_to(args).map(|(text, _)| text)
}

/// As [`sweep`], also returning the file written (the Python module opens
/// it); with `list`, the path is the output the sweep would write.
pub fn sweep_to(args: &SweepArgs) -> Result<(String, PathBuf)> {
    let shard = match &args.shard {
        Some(s) => Some(Shard::parse(s)?),
        None => Shard::from_slurm()?,
    };
    let on_error = match args.on_error.as_deref() {
        None | Some("continue") => OnError::Continue,
        Some("stop") => OnError::Stop,
        Some(other) => {
            return Err(Error::Input(format!(
                "--on-error {other:?}: expected continue or stop"
            )))
        }
    };
    let max_runs = (!args.force_size).then_some(MAX_SWEEP_RUNS);
    let plan = SweepPlan::load_with(&args.sweep, max_runs, &args.overrides)?;
    if args.list {
        let out = args
            .out
            .clone()
            .unwrap_or_else(|| default_output(&args.sweep, shard));
        return Ok((list(&plan, shard), out));
    }
    // Warnings once each, with how many points they concern.
    let mut seen: Vec<(String, usize)> = Vec::new();
    for point in &plan.points {
        let model = crate::model::Model::new(&point.config);
        for w in crate::runner::warnings(&point.config, &model) {
            match seen.iter_mut().find(|(s, _)| *s == w) {
                Some((_, n)) => *n += 1,
                None => seen.push((w, 1)),
            }
        }
    }
    for (w, n) in seen {
        eprintln!("warning: {w} ({n} of {} sweep points)", plan.points.len());
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_output(&args.sweep, shard));
    let pool = thread_pool(args.threads)?;
    let points: Vec<SizeEstimate> = plan
        .points
        .iter()
        .map(|p| {
            let mut one = p.config.clone();
            one.simulation.replications = 1;
            SizeEstimate::of(&one)
        })
        .collect::<Result<_>>()?;
    if !args.force_size {
        // The journal and the final file are on disk together at the end.
        let threads = pool.current_num_threads();
        SizeEstimate::of_sweep(&points, plan.replications, threads).check(
            &Machine::current(threads),
            free_disk(&out),
            2.0,
        )?;
    }
    if args.checkpoint_every == Some(0) {
        return Err(Error::Input(
            "--checkpoint-every: expected a number of periods >= 1".into(),
        ));
    }
    let options = SweepOptions {
        checkpoint_every: args.checkpoint_every,
        create_folder: args.out.is_none(),
        out,
        shard,
        resume: args.resume,
        on_error,
        quiet: args.quiet,
        control: args.control.clone(),
    };
    let outcome = run_sweep(&plan, &options, &pool)?;
    let mut s = String::new();
    let total = shard.map_or(plan.run_count(), |sh| {
        (0..plan.run_count()).filter(|&i| sh.contains(i)).count()
    });
    let _ = write!(
        s,
        "tokensim sweep: {} points x {} replications = {} runs{}; ran {}, skipped {} already complete, {} failed",
        plan.points.len(),
        plan.replications,
        plan.run_count(),
        shard.map_or(String::new(), |sh| format!(" (shard {sh}: {total} runs)")),
        outcome.ran,
        outcome.skipped,
        outcome.failed.len()
    );
    for (run, error) in outcome.failed.iter().take(5) {
        let _ = write!(s, "\n  run {run} failed: {error}");
    }
    if outcome.stopped {
        return Err(Error::Failed(format!(
            "{s}\n  stopped at the first failure; completed runs are kept in {} (rerun with --resume)",
            outcome.path.display()
        )));
    }
    let _ = write!(s, "\n  wrote {}", outcome.path.display());
    if outcome.failed.is_empty() {
        Ok((s, outcome.path))
    } else {
        Err(Error::Failed(s))
    }
}

/// `sweep --list`: every point with its values, and the runs (this shard's).
fn list(plan: &SweepPlan, shard: Option<Shard>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} points x {} replications = {} runs (seed {}, fingerprint {})",
        plan.path.display(),
        plan.points.len(),
        plan.replications,
        plan.run_count(),
        plan.seed,
        plan.fingerprint
    );
    let r = plan.replications as usize;
    for (i, p) in plan.points.iter().enumerate() {
        let values: Vec<String> = p.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let runs: Vec<usize> = (i * r..(i + 1) * r)
            .filter(|&run| shard.is_none_or(|sh| sh.contains(run)))
            .collect();
        let shown = match (runs.first(), runs.last()) {
            (Some(a), Some(b)) if a == b => format!("run {a}"),
            (Some(a), Some(b)) if b - a + 1 == runs.len() => format!("runs {a}-{b}"),
            (Some(_), Some(_)) => format!("{} runs in this shard", runs.len()),
            _ => "no run in this shard".into(),
        };
        let _ = writeln!(s, "  point {i}: {}  ({shown})", values.join(", "));
    }
    s.trim_end().to_string()
}

/// `output/<stem>.h5`, or `output/<stem>.shard-I-of-N.h5`.
pub fn default_output(sweep: &Path, shard: Option<Shard>) -> PathBuf {
    let stem = sweep
        .file_stem()
        .map_or("sweep".into(), |s| s.to_string_lossy());
    let name = match shard {
        Some(s) => format!("{stem}.shard-{}-of-{}.h5", s.index, s.count),
        None => format!("{stem}.h5"),
    };
    PathBuf::from("output").join(name)
}

/// Merges shard files into `out`.
pub fn merge(out: &Path, inputs: &[PathBuf]) -> Result<String> {
    let path = merge_files(out, inputs)?;
    Ok(format!(
        "tokensim merge: {} shard file(s) -> {}",
        inputs.len(),
        path.display()
    ))
}
