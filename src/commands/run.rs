//! `tokensim run CONFIG`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::Error;
use crate::error::Result;
use crate::output::{check_target, crash_point};
use crate::output::{claim_output, write_run_file};
use crate::record::RunRecord;
use crate::runner::limits::{check_arrivals, free_disk};
use crate::runner::{
    default_checkpoint, run_experiment, run_experiment_checkpointed, thread_pool, Checkpoint,
    CheckpointPlan, Machine, Progress, SizeEstimate,
};

/// Options of `tokensim run`.
#[derive(Debug, Clone, Default)]
pub struct RunArgs {
    /// The configuration file.
    pub config: PathBuf,
    /// Output file (default `output/<config-stem>.h5`).
    pub out: Option<PathBuf>,
    /// Overrides `simulation.seed`.
    pub seed: Option<u64>,
    /// Worker threads (default: all cores).
    pub threads: Option<usize>,
    /// Overrides `simulation.replications`.
    pub replications: Option<u32>,
    /// `--set KEY=VALUE` overrides.
    pub sets: Vec<String>,
    /// No progress bar.
    pub quiet: bool,
    /// Skip the size check (agents, memory, disk, work) against this machine.
    pub force_size: bool,
    /// Write a checkpoint every this many recorded periods.
    pub checkpoint_every: Option<u32>,
    /// The checkpoint file (default `OUT.checkpoint`).
    pub checkpoint: Option<PathBuf>,
    /// Continue from this checkpoint.
    pub restart: Option<PathBuf>,
}

/// Runs the experiment, writes the HDF5 file and returns a short summary.
pub fn run(args: &RunArgs) -> Result<String> {
    let mut sets = args.sets.clone();
    if let Some(seed) = args.seed {
        sets.push(format!("simulation.seed=\"{seed}\""));
    }
    if let Some(r) = args.replications {
        sets.push(format!("simulation.replications={r}"));
    }
    let config = Config::load(&args.config, &sets)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_output(&args.config));
    // The output is checked and locked, and the size checked, before
    // anything is allocated or simulated.
    let _lock = claim_output(&out, args.out.is_none())?;
    let pool = thread_pool(args.threads)?;
    check_arrivals(&config)?;
    if !args.force_size {
        // With checkpoints every replication is in memory at once.
        let checkpointing = args.checkpoint_every.is_some() || args.restart.is_some();
        let in_flight = if checkpointing {
            config.simulation.replications as usize
        } else {
            pool.current_num_threads()
        };
        let mut machine = Machine::current(pool.current_num_threads());
        machine.threads = in_flight;
        SizeEstimate::of(&config)?.check(&machine, free_disk(&out), 1.0)?;
    }
    let plan = match args.checkpoint_every {
        Some(0) => {
            return Err(Error::Input(
                "--checkpoint-every: expected a number of periods >= 1".into(),
            ))
        }
        Some(every) => {
            let path = args
                .checkpoint
                .clone()
                .unwrap_or_else(|| default_checkpoint(&out));
            check_target(&path, false)?;
            Some(CheckpointPlan { every, path })
        }
        None if args.checkpoint.is_some() => {
            return Err(Error::Input(
                "--checkpoint FILE needs --checkpoint-every N".into(),
            ))
        }
        None => None,
    };
    let restart = args.restart.as_deref().map(Checkpoint::read).transpose()?;
    let sim = &config.simulation;
    let progress = Progress::new(sim.periods as u64 * sim.replications as u64, args.quiet);
    let records = pool.install(|| {
        if plan.is_some() || restart.is_some() {
            run_experiment_checkpointed(&config, &progress, plan.as_ref(), restart)
        } else {
            run_experiment(&config, &progress)
        }
    });
    progress.finish();
    let records = records?;
    let path = write_run_file(&out, &records)?;
    crash_point("run-written");
    if let Some(plan) = &plan {
        // The run is complete and safely written: its checkpoint is spent.
        let _ = std::fs::remove_file(&plan.path);
    }
    Ok(summarize(&config, &records, &path))
}

/// `output/<config-stem>.h5`.
pub fn default_output(config: &Path) -> PathBuf {
    let stem = config
        .file_stem()
        .map_or("run".into(), |s| s.to_string_lossy());
    PathBuf::from("output").join(format!("{stem}.h5"))
}

/// Mean over replications with its standard error: across replications when
/// there are several, else the single run's batch-means error.
fn pooled(values: &[(f64, f64)]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().map(|v| v.0).sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, values[0].1);
    }
    let var = values.iter().map(|v| (v.0 - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

fn summarize(config: &Config, records: &[RunRecord], path: &Path) -> String {
    let sim = &config.simulation;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "tokensim: {} replication(s), policy {}, scale {}, {} periods (warm-up {}), seed {}",
        records.len(),
        records[0].info.policy,
        sim.scale,
        sim.periods,
        sim.warmup,
        sim.seed
    );
    let _ = writeln!(s, "  {:<16} {:>14} {:>10}", "type", "mean agents", "s.e.");
    for (k, name) in config.type_names().iter().enumerate() {
        let per_run: Vec<(f64, f64)> = records
            .iter()
            .map(|r| {
                let e = r.summary.mean_active_per_type[k];
                (e.mean, e.std_error)
            })
            .collect();
        let (mean, se) = pooled(&per_run);
        let _ = writeln!(s, "  {name:<16} {mean:>14.2} {se:>10.2}");
    }
    let profit: Vec<(f64, f64)> = records
        .iter()
        .map(|r| {
            (
                r.summary.mean_profit_per_scale.mean,
                r.summary.mean_profit_per_scale.std_error,
            )
        })
        .collect();
    let (p, pse) = pooled(&profit);
    let _ = writeln!(s, "  normalized profit per period: {p:.5} ± {pse:.5}");
    let max_tv = records
        .iter()
        .map(|r| r.fairness.max_tv)
        .fold(0.0, f64::max);
    let max_gap = records
        .iter()
        .map(|r| r.fairness.max_abs_gap)
        .fold(0.0, f64::max);
    let verdict = if records.iter().all(|r| r.fairness.verdict() == "fair") {
        "fair"
    } else {
        "unfair"
    };
    let two_period = records
        .iter()
        .filter_map(|r| r.fairness.two_period_gap)
        .reduce(f64::max)
        .map_or(String::new(), |g| {
            format!(", two-period (Def. G.1) gap {g:.4}")
        });
    let _ = writeln!(
        s,
        "  max TV between types: {max_tv:.4}, max reward gap {max_gap:.4}{two_period} -> {verdict} at epsilon {}",
        config.fairness.epsilon
    );
    let _ = write!(s, "  wrote {}", path.display());
    s
}
