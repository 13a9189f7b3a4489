//! A progress bar on a terminal, nothing otherwise.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Reports periods done across all replications.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar over `periods` periods, drawn on stderr only if it is a terminal
    /// and `quiet` is false.
    pub fn new(periods: u64, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(periods), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} periods, {msg} (ETA {eta})",
            )
            .expect("valid template"),
        );
        Progress { bar: Some(bar) }
    }

    /// No output at all.
    pub fn hidden() -> Self {
        Progress { bar: None }
    }

    /// One period finished with `agents` agents present.
    pub fn period_done(&self, agents: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if bar.position() % 8 == 0 {
                bar.set_message(format!("{agents} agents"));
            }
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
