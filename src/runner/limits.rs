//! Sizes checked before anything is allocated or simulated.
//!
//! A configuration states how big a run is only indirectly — market size θ,
//! arrival rates, departure probabilities, horizon, replications — and a
//! typo there (`scale = 1e12`) used to surface as an allocation abort or a
//! machine swapping for hours. [`SizeEstimate::of`] turns the configuration
//! into the numbers that matter (agents alive at once, memory, output bytes,
//! agent-steps of work) and [`SizeEstimate::check`] refuses, as bad input
//! with the key to change, what this machine cannot hold; `--force-size`
//! skips the check.
//!
//! The agent count is an upper estimate: type k contributes θ λ_k times the
//! longest expected stay any reward could buy — `grace + 1 / min_r p_k(r)`,
//! capped by the periods simulated — with λ_k at its largest over the
//! `[[events]]` windows, plus six standard deviations of the Poisson count.

use std::path::Path;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::Model;

/// Memory per agent, all columns and scratch included, with headroom
/// (BENCHMARKS.md measures 63–73 bytes per agent all in).
const BYTES_PER_AGENT: f64 = 96.0;
/// Copies of the recorded series held while a run is summarised and
/// written (the series, the record built from them, HDF5 write buffers).
const SERIES_COPIES: f64 = 3.0;
/// Work beyond which a run is refused: about three hours at 10⁸
/// agent-steps per second (this 2-core machine does 0.6–1.1 × 10⁸).
pub const MAX_AGENT_STEPS: f64 = 1e12;
/// Per-period overhead, in agent-step equivalents (arrivals, tallies,
/// series): makes a huge burn-in of a tiny market count.
const STEPS_PER_PERIOD: f64 = 1_000.0;
/// Largest arrival mean per period and type that the Poisson sampler
/// represents exactly (its rejection method is exact far beyond this).
pub const MAX_ARRIVAL_MEAN: f64 = 1e15;
/// Sweeps with more runs than this are refused before their points are
/// expanded and validated (each takes a parse and a validation).
pub const MAX_SWEEP_RUNS: u64 = 100_000;

/// What a configuration will need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SizeEstimate {
    /// Agents alive at once in one replication (upper estimate).
    pub agents: f64,
    /// Periods simulated per replication, burn-in included.
    pub periods: f64,
    /// Replications.
    pub replications: f64,
    /// Bytes of memory at the peak.
    pub memory: f64,
    /// Bytes of the output file (uncompressed upper estimate).
    pub output: f64,
    /// Agent-steps of work, all replications.
    pub agent_steps: f64,
    /// Which key dominates the agent count, for the message.
    agents_key: &'static str,
}

/// What this machine has.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Machine {
    /// Bytes of memory available (MemAvailable).
    pub memory: f64,
    /// Worker threads.
    pub threads: usize,
}

impl Machine {
    /// This machine, with `threads` workers.
    pub fn current(threads: usize) -> Machine {
        Machine {
            memory: available_memory().unwrap_or(f64::INFINITY),
            threads: threads.max(1),
        }
    }
}

fn available_memory() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// Bytes free for an unprivileged writer in the folder of `path`.
pub fn free_disk(path: &Path) -> Option<f64> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statvfs writes into the zeroed struct; the path is a valid C string.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut stat) };
    (rc == 0).then_some(stat.f_bavail as f64 * stat.f_frsize as f64)
}

/// Human-readable bytes.
pub fn bytes(b: f64) -> String {
    if !b.is_finite() {
        return format!("{b} B");
    }
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i + 1 == units.len() && v >= 1024.0 {
        return format!("{b:.2e} B");
    }
    format!("{v:.1} {}", units[i])
}

/// Checks that every type's arrivals per period, in every `[[events]]`
/// phase, are a finite number the sampler can draw (never silently zero).
pub fn check_arrivals(config: &Config) -> Result<()> {
    for phase in phases(config)? {
        for (k, t) in phase.types.iter().enumerate() {
            let mean = phase.simulation.scale * t.arrival_rate;
            if !mean.is_finite() || mean > MAX_ARRIVAL_MEAN {
                let key = if phase.simulation.scale > MAX_ARRIVAL_MEAN {
                    "simulation.scale".to_string()
                } else {
                    format!("types.{k}.arrival_rate")
                };
                return Err(Error::Input(format!(
                    "{key}: type {:?} would have {mean:e} arrivals per period \
                     (simulation.scale × arrival_rate, events included); \
                     at most {MAX_ARRIVAL_MEAN:e} can be drawn",
                    t.name
                )));
            }
        }
    }
    Ok(())
}

/// The configuration in force in each `[[events]]` phase (the base first).
fn phases(config: &Config) -> Result<Vec<Config>> {
    let mut out = vec![config.clone()];
    for e in &config.events {
        out.push(config.with_events_at(e.window().start() as i64)?);
    }
    Ok(out)
}

impl SizeEstimate {
    /// Estimates the size of `config` (all its replications).
    pub fn of(config: &Config) -> Result<SizeEstimate> {
        check_arrivals(config)?;
        let sim = &config.simulation;
        let burn_in = sim.burn_in.map_or(0.0, f64::from);
        let periods = f64::from(sim.periods) + burn_in;
        let mut agents = 0.0;
        let mut largest = (0.0, "simulation.scale");
        for phase in phases(config)? {
            let model = Model::new(&phase);
            let mut total = 0.0;
            for t in &model.types {
                let p_min = (0..model.reward_count())
                    .map(|i| t.departure.at_reward_index(i))
                    .fold(1.0f64, f64::min);
                let grace = f64::from(t.departure.grace_periods());
                let stay = if p_min > 0.0 {
                    (grace + 1.0 / p_min).min(periods)
                } else {
                    periods
                };
                let mean = phase.simulation.scale * t.arrival_rate * stay.max(1.0);
                total += mean + 6.0 * mean.sqrt();
                let key = if stay >= periods {
                    "simulation.periods"
                } else {
                    "simulation.scale"
                };
                if mean > largest.0 {
                    largest = (mean, key);
                }
            }
            agents = f64::max(agents, total);
        }
        let k = config.types.len() as f64;
        let m = config.rewards.values.len() as f64;
        let goods = config.mall.goods.len() as f64;
        // Every [T] and [T,K] series of a run, in 8-byte values, with room
        // for the token economy's when there is one.
        let per_period = 8.0 * (k * (3.0 + m) + m + 3.0)
            + if config.economy.is_some() {
                8.0 * (24.0 + 2.0 * goods + 6.0 * k)
            } else {
                0.0
            };
        let replications = f64::from(sim.replications);
        let per_run = per_period * f64::from(sim.periods) + 256.0 * 1024.0;
        Ok(SizeEstimate {
            agents,
            periods,
            replications,
            memory: SERIES_COPIES * per_run * replications,
            output: per_run * replications,
            agent_steps: (agents + STEPS_PER_PERIOD) * periods * replications,
            agents_key: largest.1,
        })
    }

    /// Memory at the peak with `threads` replications in flight at once.
    pub fn peak_memory(&self, threads: usize) -> f64 {
        let in_flight = self.replications.min(threads.max(1) as f64);
        self.memory + in_flight * self.agents * BYTES_PER_AGENT
    }

    /// Refuses (exit 2) a size this machine cannot hold, naming the
    /// estimate and the key to change; `disk` is the free space where the
    /// output goes (None: unknown), `copies` how many times the output is
    /// held on disk at once (2 for a sweep: journal and final file).
    pub fn check(&self, machine: &Machine, disk: Option<f64>, copies: f64) -> Result<()> {
        let refuse = |what: String, key: &str| {
            Err(Error::Input(format!(
                "{what}; change {key} (or pass --force-size to run anyway)"
            )))
        };
        let memory = self.peak_memory(machine.threads);
        if memory > machine.memory {
            let key = if self.agents * BYTES_PER_AGENT > self.memory {
                self.agents_key
            } else if self.replications > 1.0 {
                "simulation.replications"
            } else {
                "simulation.periods"
            };
            return refuse(
                format!(
                    "too big for this machine: about {:.3e} agents at once and {:.3e} periods \
                     × {} replication(s) need about {} of memory, and {} is available",
                    self.agents,
                    self.periods,
                    self.replications,
                    bytes(memory),
                    bytes(machine.memory)
                ),
                key,
            );
        }
        if let Some(free) = disk {
            if self.output * copies > free {
                return refuse(
                    format!(
                        "the output would take up to {} on disk and {} is free there",
                        bytes(self.output * copies),
                        bytes(free)
                    ),
                    "simulation.periods or simulation.replications",
                );
            }
        }
        if self.agent_steps > MAX_AGENT_STEPS {
            let key = if self.periods > 10.0 * self.agents.max(1.0) {
                "simulation.burn_in or simulation.periods"
            } else {
                self.agents_key
            };
            return refuse(
                format!(
                    "about {:.3e} agent-steps of work (agents × periods × replications), \
                     beyond the {MAX_AGENT_STEPS:e} allowed without --force-size \
                     (hours of work even on many cores)",
                    self.agent_steps
                ),
                key,
            );
        }
        Ok(())
    }

    /// A sweep of `points` (each one replication's estimate) with
    /// `replications` runs each: runs are written as they finish, so memory
    /// holds the records of the runs in flight and queued for the writer
    /// (at most five per thread), while the output and the work add up.
    pub fn of_sweep(points: &[SizeEstimate], replications: u32, threads: usize) -> SizeEstimate {
        let r = f64::from(replications);
        let runs = points.len() as f64 * r;
        let largest = points
            .iter()
            .copied()
            .max_by(|a, b| a.agents.total_cmp(&b.agents));
        let per_run = points.iter().map(|p| p.memory).fold(0.0, f64::max);
        SizeEstimate {
            agents: largest.map_or(0.0, |p| p.agents),
            periods: points.iter().map(|p| p.periods).fold(0.0, f64::max),
            replications: runs,
            memory: per_run * runs.min(5.0 * threads.max(1) as f64),
            output: points.iter().map(|p| p.output).sum::<f64>() * r,
            agent_steps: points.iter().map(|p| p.agent_steps).sum::<f64>() * r,
            agents_key: largest.map_or("simulation.scale", |p| p.agents_key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_readable() {
        assert_eq!(bytes(512.0), "512.0 B");
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0), "3.0 MiB");
        assert!(bytes(1e300).contains('e'));
    }
}
