//! Running a sweep: runs in parallel on the rayon pool (each run's agents in
//! parallel too, nested without oversubscribing), every finished run written
//! at once by one writer thread, so memory stays bounded by the runs in
//! flight whatever the sweep's size.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use super::{Shard, SweepPlan, SweepRun};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::output::{claim_output, SweepIdentity, SweepJournal};
use crate::record::RunRecord;
use crate::runner::{
    run_replication, run_replication_checkpointed, CheckpointPlan, Progress, RunControl,
};

/// What to do when a run fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Record the error and run the rest.
    Continue,
    /// Record the error, start no further run, keep the partial file.
    Stop,
}

/// Options of `tokensim sweep`.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Final output path.
    pub out: PathBuf,
    /// Create the output's folder when missing (default outputs).
    pub create_folder: bool,
    /// Checkpoint each run every this many recorded periods.
    pub checkpoint_every: Option<u32>,
    /// Only this slice of the runs.
    pub shard: Option<Shard>,
    /// Skip runs already complete in an earlier output of the same sweep.
    pub resume: bool,
    /// Failure policy.
    pub on_error: OnError,
    /// No progress display.
    pub quiet: bool,
    /// Runs done counted here, and a stop asked for here (the Python
    /// module); `None` on the command line.
    pub control: Option<Arc<RunControl>>,
}

/// How a sweep ended.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepOutcome {
    /// The file written (the final name), or the journal folder when
    /// stopped.
    pub path: PathBuf,
    /// Runs simulated now.
    pub ran: usize,
    /// Runs found complete and skipped (--resume).
    pub skipped: usize,
    /// Failed runs with their errors.
    pub failed: Vec<(usize, String)>,
    /// True when --on-error stop ended the sweep early.
    pub stopped: bool,
}

/// Runs the sweep's runs (or its shard's) on `pool`, streaming them into the
/// output file.
pub fn run_sweep(
    plan: &SweepPlan,
    options: &SweepOptions,
    pool: &rayon::ThreadPool,
) -> Result<SweepOutcome> {
    let identity = SweepIdentity {
        fingerprint: plan.fingerprint.clone(),
        sweep_toml: plan.text.clone(),
        total_runs: plan.run_count(),
        shard: options.shard.map_or(String::new(), |s| s.to_string()),
    };
    let _lock = claim_output(&options.out, options.create_folder)?;
    let place = |config_toml: &str, replication: u32| plan.find_run(config_toml, replication);
    let mut journal = SweepJournal::open(&options.out, identity, options.resume, &place)?;
    let mine: Vec<usize> = (0..plan.run_count())
        .filter(|&i| options.shard.is_none_or(|s| s.contains(i)))
        .collect();
    let done: BTreeSet<usize> = journal.completed().collect();
    let todo: Vec<SweepRun> = mine
        .iter()
        .filter(|i| !done.contains(i))
        .map(|&i| plan.run(i))
        .collect();
    let skipped = mine.len() - todo.len();
    let journal_dir = journal.dir().to_path_buf();
    let checkpoint_path = |run: usize| SweepJournal::checkpoint_in(&journal_dir, run);
    let models: Vec<Arc<Model>> = plan
        .points
        .iter()
        .map(|p| Arc::new(Model::new(&p.config)))
        .collect();
    let display = SweepDisplay::new(todo.len(), options.quiet);
    let stop = AtomicBool::new(false);
    let control = options
        .control
        .clone()
        .unwrap_or_else(|| RunControl::new(0));
    control.set_total(todo.len() as u64);
    let run_progress = || Progress::stoppable(Arc::clone(&control));
    // Bounded: workers wait when the writer lags, so memory stays bounded.
    // Four results of slack per worker let the workers run on while the
    // writer (a third thread) has the core: 200 quickstart runs on 2 cores
    // went from 176–181 % to 185–187 % CPU with it.
    let (sender, receiver) =
        mpsc::sync_channel::<(SweepRun, Result<RunRecord>)>(4 * pool.current_num_threads().max(1));
    let mut failed = Vec::new();
    let mut write_error = None;
    let mut ran = 0;
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            pool.install(|| {
                todo.par_iter().for_each_with(sender, |sender, run| {
                    if stop.load(Ordering::Relaxed) || control.stop_requested() {
                        return;
                    }
                    display.started(run.index);
                    let config = plan.config_of(run);
                    let result = if injected_failure(run.index) {
                        Err(Error::Internal(format!(
                            "run {} failed by TOKENSIM_FAIL_RUNS (fault injection)",
                            run.index
                        )))
                    } else {
                        // An interrupted run's checkpoint, when one was left,
                        // is restarted from whatever the flags say now.
                        let path = checkpoint_path(run.index);
                        let every = options
                            .checkpoint_every
                            .or_else(|| path.exists().then_some(config.simulation.periods));
                        match every {
                            Some(every) => run_replication_checkpointed(
                                &config,
                                &models[run.point],
                                &config.to_toml(),
                                run.replication as u64,
                                &run_progress(),
                                &CheckpointPlan { every, path },
                            ),
                            None => run_replication(
                                &config,
                                &models[run.point],
                                &config.to_toml(),
                                run.replication as u64,
                                &run_progress(),
                            ),
                        }
                    };
                    display.finished(run.index);
                    let _ = sender.send((*run, result));
                });
            });
        });
        for (run, result) in receiver {
            if let Err(Error::Interrupted(_)) = &result {
                continue; // asked to stop: the run is not finished, nor failed
            }
            control.add_done();
            let label = plan.label(&run);
            let written = match &result {
                Ok(record) => journal.record_ok(&label, record),
                Err(e) => {
                    failed.push((run.index, e.to_string()));
                    if options.on_error == OnError::Stop {
                        stop.store(true, Ordering::Relaxed);
                    }
                    journal.record_error(&label, &e.to_string())
                }
            };
            ran += 1;
            if let Err(e) = written {
                stop.store(true, Ordering::Relaxed);
                write_error.get_or_insert(e);
            }
        }
        worker.join().expect("sweep workers do not panic");
    });
    display.finish();
    // On any error the journal stays, with every run recorded so far.
    let kept = |e: Error, dir: &std::path::Path| {
        Error::Failed(format!(
            "{e}\n  every run finished so far is kept in {}; rerun with --resume to go on",
            dir.display()
        ))
    };
    if let Some(e) = write_error {
        return Err(kept(e, journal.dir()));
    }
    if control.stop_requested() {
        return Err(Error::Interrupted(format!(
            "the sweep stopped after {ran} of {} runs; every finished run is kept in {}; \
             run the same sweep again with resume to go on",
            todo.len(),
            journal.dir().display()
        )));
    }
    let stopped = stop.load(Ordering::Relaxed);
    let dir = journal.dir().to_path_buf();
    let path = if stopped {
        dir
    } else {
        journal.finish(&mine).map_err(|e| kept(e, &dir))?
    };
    Ok(SweepOutcome {
        path,
        ran,
        skipped,
        failed,
        stopped,
    })
}

/// Fault injection for the tests: runs listed in `TOKENSIM_FAIL_RUNS`
/// (comma-separated indices) fail instead of running.
fn injected_failure(run: usize) -> bool {
    std::env::var("TOKENSIM_FAIL_RUNS")
        .is_ok_and(|v| v.split(',').any(|x| x.trim().parse::<usize>() == Ok(run)))
}

/// Runs done, ETA, and which runs are in progress; nothing when not on a
/// terminal or quiet.
struct SweepDisplay {
    bars: Option<(MultiProgress, ProgressBar, ProgressBar)>,
    current: Mutex<BTreeSet<usize>>,
}

impl SweepDisplay {
    fn new(total: usize, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return SweepDisplay {
                bars: None,
                current: Mutex::new(BTreeSet::new()),
            };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(total as u64));
        overall.set_style(
            ProgressStyle::with_template(
                "[{elapsed_precise}] {bar:40} {pos}/{len} runs (ETA {eta})",
            )
            .expect("valid template"),
        );
        let status = multi.add(ProgressBar::new_spinner());
        SweepDisplay {
            bars: Some((multi, overall, status)),
            current: Mutex::new(BTreeSet::new()),
        }
    }

    fn show(&self) {
        if let Some((_, _, status)) = &self.bars {
            let current = self.current.lock().expect("not poisoned");
            let list: Vec<String> = current.iter().take(12).map(|r| r.to_string()).collect();
            status.set_message(format!("running: {}", list.join(", ")));
        }
    }

    fn started(&self, run: usize) {
        self.current.lock().expect("not poisoned").insert(run);
        self.show();
    }

    fn finished(&self, run: usize) {
        self.current.lock().expect("not poisoned").remove(&run);
        if let Some((_, overall, _)) = &self.bars {
            overall.inc(1);
        }
        self.show();
    }

    fn finish(&self) {
        if let Some((_, overall, status)) = &self.bars {
            status.finish_and_clear();
            overall.finish_and_clear();
        }
    }
}
