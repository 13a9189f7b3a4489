//! Sweeps: grids of configurations × replications in one file, on one
//! machine or sharded over a cluster's job array and merged.
//!
//! A sharded sweep is indistinguishable from a whole one: every run's seed
//! depends only on the root seed and the run's index, runs are written under
//! their index, and `/summary` is rebuilt from the runs' own attributes.

mod execute;
mod shard;
mod spec;

pub use execute::{run_sweep, OnError, SweepOptions, SweepOutcome};
pub use shard::Shard;
pub use spec::{fnv1a, run_seed, SweepOverrides, SweepPlan, SweepPoint, SweepRun};
