//! `tokensim run CONFIG`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::config::Config;
use crate::error::Error;
use crate::error::Result;
use crate::output::{check_target, crash_point};
use crate::output::{claim_output, write_run_file};
use crate::record::RunRecord;
use crate::runner::limits::{check_arrivals, free_disk};
use crate::runner::{
    default_checkpoint, run_experiment, run_experiment_checkpointed, thread_pool, Checkpoint,
    CheckpointPlan, Machine, Progress, RunControl, SizeEstimate,
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
    /// Refuse to replace an existing output.
    pub no_clobber: bool,
    /// Return the summary as JSON.
    pub json: bool,
    /// Periods done counted here, and a stop asked for here (the Python
    /// module); `None` on the command line, which shows its own progress.
    pub control: Option<Arc<RunControl>>,
}

impl RunArgs {
    /// The `--set` overrides with `--seed` and `--replications` folded in.
    pub fn resolved_sets(&self) -> Vec<String> {
        let mut sets = self.sets.clone();
        if let Some(seed) = self.seed {
            sets.push(format!("simulation.seed=\"{seed}\""));
        }
        if let Some(r) = self.replications {
            sets.push(format!("simulation.replications={r}"));
        }
        sets
    }
}

/// Mean and standard error.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MeanSe {
    /// Mean over replications.
    pub mean: f64,
    /// Standard error (across replications, or batch means of one run).
    pub se: f64,
}

/// One type in a run summary.
#[derive(Debug, Clone, Serialize)]
pub struct TypeSummary {
    /// Type name.
    pub name: String,
    /// Agents present per period after warm-up.
    pub mean_agents: MeanSe,
}

/// Token-economy totals of a run summary, mean over replications.
#[derive(Debug, Clone, Serialize)]
pub struct TokenSummary {
    /// Σ I_t, tokens credited.
    pub issuance: f64,
    /// Σ tokens redeemed for real goods.
    pub redeemed_real: f64,
    /// Σ tokens redeemed for virtual goods.
    pub redeemed_virtual: f64,
    /// Σ cash cost of real goods (yuan).
    pub cash_cost: f64,
    /// K at the end.
    pub ending_float: f64,
    /// Σ tasks completed.
    pub tasks: f64,
    /// Closed budget years of replication 0: budget, cost, penalty.
    pub budget_years: Vec<crate::engine::BudgetYear>,
}

/// What `tokensim run --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// The output file written.
    pub file: String,
    /// Replications.
    pub replications: usize,
    /// Policy name.
    pub policy: String,
    /// θ.
    pub scale: f64,
    /// Recorded periods.
    pub periods: u32,
    /// Warm-up periods.
    pub warmup: u32,
    /// Root seed.
    pub seed: u64,
    /// Per type.
    pub types: Vec<TypeSummary>,
    /// Normalized profit per period after warm-up.
    pub normalized_profit: MeanSe,
    /// Largest total variation between types' reward distributions.
    pub max_tv: f64,
    /// Largest reward gap between types.
    pub max_abs_gap: f64,
    /// The paper's Definition G.1 gap, when recorded.
    pub two_period_gap: Option<f64>,
    /// ε of the check.
    pub epsilon: f64,
    /// "fair" or "unfair".
    pub verdict: String,
    /// Token-economy totals.
    pub tokens: Option<TokenSummary>,
}

/// Runs the experiment, writes the HDF5 file and returns a short summary.
pub fn run(args: &RunArgs) -> Result<String> {
    let config = Config::load(&args.config, &args.resolved_sets())?;
    crate::runner::print_warnings(&config);
    let summary = run_config(&config, args)?;
    if args.json {
        return Ok(serde_json::to_string_pretty(&summary).expect("the summary serializes"));
    }
    Ok(summarize(&summary))
}

/// Runs an already loaded configuration (`args.config` names it only for
/// the default output) and writes the HDF5 file: the library entry behind
/// `tokensim run`, used as it is by the Python module.
pub fn run_config(config: &Config, args: &RunArgs) -> Result<RunSummary> {
    let config = config.clone();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_output(&args.config));
    if args.no_clobber && out.exists() {
        return Err(Error::Input(format!(
            "{} exists and --no-clobber was given: nothing was run",
            out.display()
        )));
    }
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
    let periods = sim.periods as u64 * sim.replications as u64;
    let progress = match &args.control {
        Some(control) => {
            control.set_total(periods);
            Progress::observed(Arc::clone(control))
        }
        None => Progress::new(periods, args.quiet),
    };
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
    Ok(summary(&config, &records, &path))
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

/// The summary of a finished run.
pub fn summary(config: &Config, records: &[RunRecord], path: &Path) -> RunSummary {
    let sim = &config.simulation;
    let types = config
        .type_names()
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let per_run: Vec<(f64, f64)> = records
                .iter()
                .map(|r| {
                    let e = r.summary.mean_active_per_type[k];
                    (e.mean, e.std_error)
                })
                .collect();
            let (mean, se) = pooled(&per_run);
            TypeSummary {
                name: name.clone(),
                mean_agents: MeanSe { mean, se },
            }
        })
        .collect();
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
    let n = records.len() as f64;
    let tokens = records[0].series.tokens.as_ref().map(|_| {
        let mean = |f: &dyn Fn(&crate::record::TokenSeries) -> f64| {
            records
                .iter()
                .filter_map(|r| r.series.tokens.as_ref())
                .map(f)
                .sum::<f64>()
                / n
        };
        let total = |v: &[u64]| v.iter().sum::<u64>() as f64;
        TokenSummary {
            issuance: mean(&|t| total(&t.issuance)),
            redeemed_real: mean(&|t| total(&t.redeemed_real)),
            redeemed_virtual: mean(&|t| total(&t.redeemed_virtual)),
            cash_cost: mean(&|t| t.cash_cost.iter().sum()),
            ending_float: mean(&|t| t.float.last().copied().unwrap_or(0) as f64),
            tasks: mean(&|t| total(&t.tasks)),
            budget_years: records[0].info.budget_years.clone(),
        }
    });
    RunSummary {
        file: path.display().to_string(),
        replications: records.len(),
        policy: records[0].info.policy.clone(),
        scale: sim.scale,
        periods: sim.periods,
        warmup: sim.warmup,
        seed: sim.seed,
        types,
        normalized_profit: MeanSe { mean: p, se: pse },
        max_tv: records
            .iter()
            .map(|r| r.fairness.max_tv)
            .fold(0.0, f64::max),
        max_abs_gap: records
            .iter()
            .map(|r| r.fairness.max_abs_gap)
            .fold(0.0, f64::max),
        two_period_gap: records
            .iter()
            .filter_map(|r| r.fairness.two_period_gap)
            .reduce(f64::max),
        epsilon: config.fairness.epsilon,
        verdict: if records.iter().all(|r| r.fairness.verdict() == "fair") {
            "fair"
        } else {
            "unfair"
        }
        .into(),
        tokens,
    }
}

fn summarize(s: &RunSummary) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "tokensim: {} replication(s), policy {}, scale {}, {} periods (warm-up {}), seed {}",
        s.replications, s.policy, s.scale, s.periods, s.warmup, s.seed
    );
    let _ = writeln!(
        text,
        "  {:<16} {:>14} {:>10}",
        "type", "mean agents", "s.e."
    );
    for t in &s.types {
        let _ = writeln!(
            text,
            "  {:<16} {:>14.2} {:>10.2}",
            t.name, t.mean_agents.mean, t.mean_agents.se
        );
    }
    let _ = writeln!(
        text,
        "  normalized profit per period: {:.5} ± {:.5}",
        s.normalized_profit.mean, s.normalized_profit.se
    );
    let two_period = s.two_period_gap.map_or(String::new(), |g| {
        format!(", two-period (Def. G.1) gap {g:.4}")
    });
    let _ = writeln!(
        text,
        "  max TV between types: {:.4}, max reward gap {:.4}{two_period} -> {} at epsilon {}",
        s.max_tv, s.max_abs_gap, s.verdict, s.epsilon
    );
    let _ = write!(text, "  wrote {}", s.file);
    text
}
