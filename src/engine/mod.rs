//! The engine: *execution* of a model (model.md A.1), kept apart from its
//! description ([`crate::config`], [`crate::model`]) and from recording
//! ([`crate::record`]).
//!
//! Agents are stored column-wise in fixed-size chunks ([`AgentStore`]); one
//! period is a parallel map over chunks ([`Simulation::step`]) followed by a
//! reduction of per-chunk counts in chunk order. The per-chunk pass (pay,
//! depart, compact) is written once in `kernel`; the token economy's
//! per-agent work plugs into it (`economy_kernel`), and its between-period
//! bookkeeping — levers, prices, cash, the float identity, budget years,
//! the controller — is `economy`. Random numbers come from
//! streams keyed on (seed, replication, purpose, period, chunk), so the
//! result is bit-identical for any number of threads.

mod agents;
mod controller;
mod economy;
mod economy_kernel;
mod initial;
mod kernel;
mod lean;
mod poisson;
mod rng;
mod simulation;
mod tally;

pub use agents::{AgentChunk, AgentStore, CHUNK_CAPACITY};
pub use controller::inverse_normal;
pub use economy::BudgetYear;
pub use lean::LeanKernel;
pub use rng::{splitmix64, Purpose, StreamKey, StreamRng};
pub use simulation::{Simulation, SimulationBuilder, SimulationState};
pub use tally::PeriodTally;
