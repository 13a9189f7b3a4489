//! `tokensim bench CONFIG...`: end-to-end timings against the reference
//! kernel, measured in the same process, so the ratio holds on a noisy
//! machine.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::engine::SimulationBuilder;
use crate::error::Result;
use crate::model::Model;
use crate::output::write_run_file;
use crate::runner::{run_experiment, thread_pool, Progress};

/// One measured configuration × thread count.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchRow {
    /// Configuration file name (and how many `--set` overrides).
    pub config: String,
    /// Worker threads.
    pub threads: usize,
    /// Agent-steps simulated per run (Σ_t N(t)).
    pub agent_steps: u64,
    /// Median wall time end to end: build, run, record, write HDF5 (s).
    pub wall: f64,
    /// Median wall time of the engine's bare kernel over the same periods
    /// (s): the engine's per-agent draws without its bookkeeping.
    pub reference: f64,
    /// Median wall time of the lean kernel (`engine::lean`) over the same
    /// periods (s); NaN where the model does not fit it.
    pub lean: f64,
    /// Peak resident memory of the process so far (bytes).
    pub peak_rss: u64,
}

/// Median of a few timings.
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Peak resident set size of this process (VmHWM), 0 where unknown.
pub fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<u64>().ok())
            })
        })
        .map_or(0, |kb| kb * 1024)
}

/// Measures `configs` (each with the `--set` overrides `sets`) at each
/// thread count, `repeats` times each.
pub fn bench(
    configs: &[PathBuf],
    sets: &[String],
    threads: &[usize],
    repeats: usize,
) -> Result<String> {
    let mut rows = Vec::new();
    for path in configs {
        let config = Config::load(path, sets)?;
        for &n in threads {
            let pool = thread_pool(Some(n))?;
            let (mut walls, mut refs, mut leans, mut steps) =
                (Vec::new(), Vec::new(), Vec::new(), 0);
            // Interleaved, so that a slow spell of the machine touches all three.
            for _ in 0..repeats.max(1) {
                let (wall, agent_steps) = pool.install(|| end_to_end(&config))?;
                walls.push(wall);
                steps = agent_steps;
                refs.push(pool.install(|| reference(&config, Kernel::Bare))?);
                leans.push(pool.install(|| reference(&config, Kernel::Lean))?);
            }
            let name = path
                .file_name()
                .map_or(path.display().to_string(), |n| n.to_string_lossy().into());
            rows.push(BenchRow {
                config: if sets.is_empty() {
                    name
                } else {
                    format!("{name} (with {} --set)", sets.len())
                },
                threads: n,
                agent_steps: steps,
                wall: median(walls),
                reference: median(refs),
                lean: median(leans),
                peak_rss: peak_rss(),
            });
        }
    }
    Ok(table(&rows, repeats))
}

fn end_to_end(config: &Config) -> Result<(f64, u64)> {
    let start = Instant::now();
    let records = run_experiment(config, &Progress::hidden())?;
    let out = std::env::temp_dir().join(format!("tokensim-bench-{}.h5", std::process::id()));
    write_run_file(&out, &records)?;
    let wall = start.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&out);
    let steps = records
        .iter()
        .map(|r| r.series.active.iter().sum::<u64>())
        .sum();
    Ok((wall, steps))
}

/// A kernel timed against the engine.
#[derive(Clone, Copy)]
enum Kernel {
    /// The engine's per-agent draws on its own columns, no bookkeeping.
    Bare,
    /// The lean lower bound (`engine::lean`).
    Lean,
}

/// A reference kernel over the same periods, from the same initial state
/// (building it is not timed); NaN where it does not apply.
fn reference(config: &Config, kernel: Kernel) -> Result<f64> {
    let model = Arc::new(Model::new(config));
    let s = &config.simulation;
    let mut total = 0.0;
    for replication in 0..s.replications as u64 {
        let mut sim =
            SimulationBuilder::from_config(config, Arc::clone(&model), replication)?.build()?;
        let mut lean = match kernel {
            Kernel::Bare => None,
            Kernel::Lean => match sim.lean_kernel() {
                Some(lean) => Some(lean),
                None => return Ok(f64::NAN),
            },
        };
        let start = Instant::now();
        for _ in 0..s.periods {
            let stepped = match &mut lean {
                Some(lean) => sim.step_lean(lean),
                None => sim.step_reference(),
            };
            if !stepped {
                return Ok(f64::NAN);
            }
        }
        total += start.elapsed().as_secs_f64();
    }
    Ok(total)
}

fn table(rows: &[BenchRow], repeats: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| configuration | threads | agent-steps | wall (s) | ns/agent-step | agent-steps/s | peak RSS (MiB) | bare kernel (s) | lean kernel (s) | wall / bare | wall / lean |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {:.3e} | {:.3} | {:.2} | {:.1} M | {:.1} | {:.3} | {:.3} | {:.2} | {:.2} |",
            r.config,
            r.threads,
            r.agent_steps as f64,
            r.wall,
            r.wall * 1e9 / r.agent_steps as f64,
            r.agent_steps as f64 / r.wall / 1e6,
            r.peak_rss as f64 / (1024.0 * 1024.0),
            r.reference,
            r.lean,
            r.wall / r.reference,
            r.wall / r.lean
        );
    }
    let _ = write!(s, "(median of {repeats} runs; wall = build, simulate, record and write HDF5; bare = the engine's per-agent draws without bookkeeping; lean = the lower bound of engine::lean, NaN where the model does not fit it)");
    s
}
