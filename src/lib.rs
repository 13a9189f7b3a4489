//! # tokensim
//!
//! A parallel, discrete-time agent-based simulator of worker incentive-token
//! economies, with fairness audits built in. The model is specified in
//! `model.md` (retention under reward policies, after Freund & Hssaine,
//! "Fair Incentives for Repeated Engagement"); configuration and output
//! formats in `interfaces.md`.
//!
//! ## Architecture
//!
//! - [`config`]: the *description* of an experiment (TOML, validated).
//! - [`model`]: the compiled model — reward set, revenue, departure functions,
//!   exact stationary populations, the token economy, its budget, operator
//!   layer and controller settings — in types of its own (no configuration
//!   type survives compilation).
//! - [`policy`]: reward policies behind the [`policy::RewardPolicy`] trait,
//!   and who sets the token economy's levers behind
//!   [`policy::LeverController`].
//! - [`engine`]: *execution* — structure-of-arrays agents in chunks, the
//!   per-period step (one pay / depart / compact loop for the paper model
//!   and the token economy), the economy's before- and after-period
//!   bookkeeping, keyed random streams ([`engine::SimulationBuilder`] →
//!   [`engine::Simulation`] with `step` and `run`).
//! - [`record`], [`stats`], [`fairness`]: *observation* — series, histograms,
//!   batch-means errors, group fairness.
//! - [`output`]: HDF5 files, written atomically.
//! - [`runner`] and [`commands`]: replications and the CLI commands.
//!
//! ## Guarantees
//!
//! - **Determinism.** Every random draw comes from a stream keyed on (seed,
//!   replication, purpose, period, chunk); chunk boundaries depend only on
//!   the simulated history; per-chunk counts are reduced in chunk order. The
//!   same configuration and seed therefore give bit-identical datasets with
//!   any number of threads. (The file attribute `created_utc` is the only
//!   difference; set `SOURCE_DATE_EPOCH` to fix it.)
//! - **Ordering.** Within a period: arrivals join, every agent present is
//!   paid, then each decides to leave (model.md A.1).
//! - **Safe output.** Files are written under a temporary name and renamed
//!   when complete.
//!
//! ## Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use tokensim::config::Config;
//! use tokensim::engine::SimulationBuilder;
//! use tokensim::model::Model;
//! use tokensim::policy::build_policy;
//!
//! let config = Config::load("configs/quickstart.toml".as_ref(), &[]).unwrap();
//! let model = Arc::new(Model::new(&config));
//! let policy = build_policy(&config, &model).unwrap();
//! let mut sim = SimulationBuilder::new(model, policy).scale(100.0).seed(42, 0).build().unwrap();
//! sim.run(100, |period| println!("{} agents", period.total_active()));
//! ```

#![warn(missing_docs)]

pub mod audit;
pub mod commands;
pub mod config;
pub mod engine;
pub mod error;
pub mod experiments;
pub mod fairness;
pub mod fluid;
pub mod model;
pub mod output;
pub mod policy;
pub mod record;
pub mod report;
pub mod runner;
pub mod stats;
pub mod sweep;

pub use error::{Error, Result};
