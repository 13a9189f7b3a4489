//! Progress: a bar on a terminal; on anything else (a cluster job's log, a
//! pipe) a plain line every few seconds, so a long run is never silent
//! until its end; nothing with `--quiet`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Seconds between plain progress lines (`TOKENSIM_PROGRESS_SECONDS`
/// overrides it).
pub const LINE_SECONDS: f64 = 5.0;

/// Plain-line progress for a log.
struct Lines {
    total: u64,
    done: AtomicU64,
    agents: AtomicU64,
    start: Instant,
    /// When the last line was printed, and whether any was.
    last: Mutex<(Instant, bool)>,
    every: Duration,
}

enum Display {
    Bar(ProgressBar),
    Lines(Lines),
    Observed(Arc<RunControl>),
    Stoppable(Arc<RunControl>),
    Hidden,
}

/// Progress shared with another thread, which reads it and may ask the
/// work to stop: how an embedding program (the Python module) draws its
/// own progress bar and turns Ctrl-C into a clean stop without the engine
/// calling back into it.
///
/// Units are periods for a run and runs for a sweep. A stop request is
/// honoured at the next period boundary: the replication returns
/// [`crate::Error::Interrupted`] and nothing is written; a sweep keeps the
/// runs it finished in its journal, resumable as after a kill.
#[derive(Debug, Default)]
pub struct RunControl {
    done: AtomicU64,
    total: AtomicU64,
    stop: AtomicBool,
}

impl RunControl {
    /// A control expecting `total` units of work.
    pub fn new(total: u64) -> Arc<RunControl> {
        let control = RunControl::default();
        control.total.store(total, Ordering::Relaxed);
        Arc::new(control)
    }

    /// Units of work done so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Units of work in all.
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Sets the units of work in all (a sweep knows it after resuming).
    pub fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }

    /// Counts one unit done.
    pub fn add_done(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    /// Asks the work to stop at the next period boundary.
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether a stop was asked for.
    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Reports periods done across all replications.
pub struct Progress {
    display: Display,
}

impl Progress {
    /// Progress over `periods` periods on stderr: a bar if it is a
    /// terminal, else a plain line every [`LINE_SECONDS`]; nothing when
    /// `quiet`.
    pub fn new(periods: u64, quiet: bool) -> Self {
        if quiet {
            return Progress::hidden();
        }
        if !std::io::stderr().is_terminal() {
            let seconds = std::env::var("TOKENSIM_PROGRESS_SECONDS")
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .unwrap_or(LINE_SECONDS);
            let now = Instant::now();
            return Progress {
                display: Display::Lines(Lines {
                    total: periods,
                    done: AtomicU64::new(0),
                    agents: AtomicU64::new(0),
                    start: now,
                    last: Mutex::new((now, false)),
                    every: Duration::from_secs_f64(seconds),
                }),
            };
        }
        let bar = ProgressBar::with_draw_target(Some(periods), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} periods, {msg} (ETA {eta})",
            )
            .expect("valid template"),
        );
        Progress {
            display: Display::Bar(bar),
        }
    }

    /// Progress counted in `control` (periods), nothing printed; the run
    /// stops when `control` asks it to.
    pub fn observed(control: Arc<RunControl>) -> Self {
        Progress {
            display: Display::Observed(control),
        }
    }

    /// Nothing counted or printed, but the run stops when `control` asks
    /// it to (a sweep's runs: the sweep counts runs, not periods).
    pub fn stoppable(control: Arc<RunControl>) -> Self {
        Progress {
            display: Display::Stoppable(control),
        }
    }

    /// Whether the observer asked the run to stop.
    pub fn stop_requested(&self) -> bool {
        match &self.display {
            Display::Observed(c) | Display::Stoppable(c) => c.stop_requested(),
            _ => false,
        }
    }

    /// No output at all.
    pub fn hidden() -> Self {
        Progress {
            display: Display::Hidden,
        }
    }

    /// One period finished with `agents` agents present.
    pub fn period_done(&self, agents: u64) {
        match &self.display {
            Display::Bar(bar) => {
                bar.inc(1);
                if bar.position() % 8 == 0 {
                    bar.set_message(format!("{agents} agents"));
                }
            }
            Display::Lines(lines) => {
                let done = lines.done.fetch_add(1, Ordering::Relaxed) + 1;
                lines.agents.store(agents, Ordering::Relaxed);
                let now = Instant::now();
                let Ok(mut last) = lines.last.try_lock() else {
                    return; // another thread is printing
                };
                if now.duration_since(last.0) >= lines.every {
                    *last = (now, true);
                    lines.print(done, agents, now);
                }
            }
            Display::Observed(control) => control.add_done(),
            Display::Stoppable(_) | Display::Hidden => {}
        }
    }

    /// Removes the bar; closes a log's progress with a last line.
    pub fn finish(&self) {
        match &self.display {
            Display::Bar(bar) => bar.finish_and_clear(),
            Display::Lines(lines) => {
                let printed = lines.last.lock().map(|l| l.1).unwrap_or(false);
                if printed {
                    let done = lines.done.load(Ordering::Relaxed);
                    lines.print(done, lines.agents.load(Ordering::Relaxed), Instant::now());
                }
            }
            Display::Observed(_) | Display::Stoppable(_) | Display::Hidden => {}
        }
    }
}

impl Lines {
    fn print(&self, done: u64, agents: u64, now: Instant) {
        let elapsed = now.duration_since(self.start).as_secs_f64();
        let share = done as f64 / self.total.max(1) as f64;
        let eta = if done > 0 && done < self.total {
            format!(", about {:.1} s left", elapsed * (1.0 / share - 1.0))
        } else {
            String::new()
        };
        eprintln!(
            "tokensim: {done}/{} periods ({:.0} %), {agents} agents, {elapsed:.1} s{eta}",
            self.total,
            100.0 * share
        );
    }
}
