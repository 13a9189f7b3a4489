//! The command-line commands, as library functions: `src/main.rs` only
//! parses arguments and calls these.

mod audit;
mod bench;
mod diff;
mod experiment;
mod export;
mod fluid;
mod init;
mod overrides;
mod report;
mod run;
mod summary;
mod sweep;
mod validate;

pub use audit::audit;
pub use bench::{bench, peak_rss, BenchRow};
pub use diff::diff;
pub use experiment::{experiment, ExperimentArgs};
pub use export::{csv_text, export, export_csv, ExportTargets};
pub use fluid::fluid;
pub use init::init;
pub use overrides::{overrides, scenario_text, OverridesArgs};
pub use report::report;
pub use run::{
    default_output, run, run_config, summary, MeanSe, RunArgs, RunSummary, TokenSummary,
    TypeSummary,
};
pub use summary::run_summary;
pub use sweep::{default_output as default_sweep_output, merge, sweep, sweep_to, SweepArgs};
pub use validate::validate;
