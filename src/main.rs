//! The `tokensim` command line: parses arguments and calls the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Agent-based simulator of worker incentive-token economies with fairness audits.
#[derive(Parser)]
#[command(name = "tokensim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a configured experiment and write one HDF5 file.
    Run {
        /// The TOML configuration.
        config: PathBuf,
        /// Output file [default: output/<config-stem>.h5].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Root seed (overrides simulation.seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads [default: all cores].
        #[arg(long)]
        threads: Option<usize>,
        /// Independent replications, written to /runs/0..N-1.
        #[arg(long)]
        replications: Option<u32>,
        /// Override a configuration key: --set simulation.scale=1000.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
        /// Run even when the size estimate exceeds this machine.
        #[arg(long)]
        force_size: bool,
        /// Write a checkpoint (the whole state, atomically) every N recorded periods.
        #[arg(long, value_name = "N")]
        checkpoint_every: Option<u32>,
        /// The checkpoint file [default: OUT.checkpoint].
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// Continue the run from this checkpoint (same configuration and flags).
        #[arg(long, value_name = "CHECKPOINT")]
        restart: Option<PathBuf>,
        /// Refuse to replace an existing output file (exit 2).
        #[arg(long)]
        no_clobber: bool,
        /// Print the summary as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Solve the fluid problem (Fluid-Opt): optimal reward distribution and profit bound.
    Fluid {
        /// The TOML configuration.
        config: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Override a configuration key.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
    /// Run one of the shipped experiments (the paper's, configs/paper/, and
    /// the token economy's) and print its table.
    Experiment {
        /// The paper's: non-convexity, convergence, three-types,
        /// small-markets, implicit-discrimination, explicit-discrimination,
        /// two-period, dispersion, s-shape, s-shape-many; the token
        /// economy's: token-table, token-stress, fair-steering.
        name: String,
        /// Reduced size (as in the tests).
        #[arg(long)]
        quick: bool,
        /// Print the tables as JSON ({title, columns, rows, notes}).
        #[arg(long)]
        json: bool,
        /// Keep every simulated run in this (new or empty) folder as an
        /// HDF5 run file, with index.tsv and the tables.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads [default: all cores].
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Run a grid of configurations x replications into one HDF5 file.
    Sweep {
        /// The sweep file (base, [grid], [zip], replications, seed).
        sweep: PathBuf,
        /// Output file [default: output/<sweep-stem>.h5].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run only slice I of N (default from SLURM_ARRAY_TASK_ID/COUNT).
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Skip runs already complete in an earlier output of this sweep.
        #[arg(long)]
        resume: bool,
        /// What a failed run does: continue (record it, run the rest) or stop.
        #[arg(long, value_name = "continue|stop")]
        on_error: Option<String>,
        /// Worker threads [default: all cores].
        #[arg(long)]
        threads: Option<usize>,
        /// No progress display.
        #[arg(long)]
        quiet: bool,
        /// Run even when the size estimate exceeds this machine.
        #[arg(long)]
        force_size: bool,
        /// Checkpoint each run every N recorded periods (in the sweep's journal);
        /// a resumed sweep restarts interrupted runs from their checkpoints.
        #[arg(long, value_name = "N")]
        checkpoint_every: Option<u32>,
        /// Set a key in every point (as the file's [set]; not a varied key).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Root seed instead of the file's.
        #[arg(long)]
        seed: Option<u64>,
        /// Replications per point instead of the file's.
        #[arg(long)]
        replications: Option<u32>,
        /// Print the points and runs without running anything.
        #[arg(long)]
        list: bool,
    },
    /// Merge the shard files of one sweep into one file.
    Merge {
        /// The merged output file.
        out: PathBuf,
        /// The shard files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Time configurations end to end against the reference kernel.
    Bench {
        /// Configurations to time.
        #[arg(required = true)]
        configs: Vec<PathBuf>,
        /// Thread counts, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1,2")]
        threads: Vec<usize>,
        /// Repeats per measurement (the median is reported).
        #[arg(long, default_value_t = 5)]
        repeats: usize,
        /// Override a configuration key in every configuration (as for `run`).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
    /// Fairness audit of a run or sweep file (exit 0 fair, 1 unfair, 2 bad input).
    Audit {
        /// The HDF5 output file.
        file: PathBuf,
        /// Audit only this run (its name under /runs).
        #[arg(long)]
        run: Option<String>,
        /// Tolerance on the largest reward gap between types [default: the ε stored with each run, else 0.02].
        #[arg(long)]
        epsilon: Option<f64>,
        /// Sliding-window length in periods [default: 100].
        #[arg(long)]
        window: Option<usize>,
        /// Token runs: tolerance on pay-rate and value-per-token differences
        /// between types, relative to the overall rate [default: 0.02].
        #[arg(long, value_name = "T")]
        token_tolerance: Option<f64>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Score each operator deviation of a token run by a paired counterfactual
    /// (the recommendation followed instead), with common random numbers.
    Overrides {
        /// An HDF5 output file (its stored configuration is replayed) or a TOML configuration.
        file: PathBuf,
        /// The run of an output file [default: the first].
        #[arg(long)]
        run: Option<String>,
        /// Paired replications per deviation [default: 8].
        #[arg(long, value_name = "N")]
        replications: Option<u32>,
        /// Replay an observed trace (CSV: period,lever,recommended,implemented) as overrides.
        #[arg(long, value_name = "CSV")]
        trace: Option<PathBuf>,
        /// Worker threads [default: all cores].
        #[arg(long)]
        threads: Option<usize>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Export every recorded table of a run or sweep file in long (tidy)
    /// form: CSV and/or Parquet (series, tokens, budget, events, fairness,
    /// histograms, summary, sweep_summary).
    Export {
        /// The HDF5 output file.
        file: PathBuf,
        /// Folder for the CSV files.
        #[arg(long, value_name = "DIR", required_unless_present = "parquet")]
        csv: Option<PathBuf>,
        /// Folder for the Parquet files.
        #[arg(long, value_name = "DIR")]
        parquet: Option<PathBuf>,
    },
    /// Plots (SVG and PNG) and an HTML page with the audit, for a run or sweep file.
    Report {
        /// The HDF5 output file.
        file: PathBuf,
        /// Output folder [default: output/<file-stem>-report].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Token runs with operator deviations: paired replications to score
        /// each (its verdict on the levers chart); 0 shades the windows only.
        #[arg(long, value_name = "N", default_value_t = 8)]
        override_replications: u32,
        /// Tolerance on the largest reward gap [default: the ε stored with each run].
        #[arg(long)]
        epsilon: Option<f64>,
    },
    /// Compare two output files dataset by dataset (exit 0 same, 1 different, 2 bad input).
    Diff {
        /// The first file.
        a: PathBuf,
        /// The second file.
        b: PathBuf,
    },
    /// Write a commented configuration to start from (never over a file).
    Init {
        /// The file to write.
        #[arg(default_value = "tokensim.toml")]
        file: PathBuf,
        /// The token economy (the steered courier scenario) instead of the paper model.
        #[arg(long)]
        token: bool,
    },
    /// Check a configuration and print it with every default filled in.
    Validate {
        /// The TOML configuration.
        config: PathBuf,
        /// Override a configuration key.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Audit {
        file,
        run,
        epsilon,
        window,
        token_tolerance,
        json,
    } = &cli.command
    {
        let mut options = tokensim::audit::AuditOptions::default();
        if let Some(e) = epsilon {
            if !(0.0..=1.0).contains(e) {
                eprintln!("error: --epsilon {e}: expected a probability in [0, 1]");
                return ExitCode::from(2);
            }
            options.epsilon = Some(*e);
        }
        if let Some(w) = window {
            options.window = *w;
        }
        if let Some(t) = token_tolerance {
            if !(t.is_finite() && *t >= 0.0) {
                eprintln!("error: --token-tolerance {t}: expected a number >= 0");
                return ExitCode::from(2);
            }
            options.token_tolerance = *t;
        }
        return match tokensim::commands::audit(file, run.as_deref(), &options, *json) {
            Ok((text, fair)) => {
                print_out(&text);
                ExitCode::from(if fair { 0 } else { 1 })
            }
            Err(e) => fail(&e),
        };
    }
    if let Command::Diff { a, b } = &cli.command {
        return match tokensim::commands::diff(a, b) {
            Ok((text, same)) => {
                print_out(&text);
                ExitCode::from(if same { 0 } else { 1 })
            }
            Err(e) => fail(&e),
        };
    }
    let result = match cli.command {
        Command::Audit { .. } | Command::Diff { .. } => unreachable!("handled above"),
        Command::Run {
            config,
            out,
            seed,
            threads,
            replications,
            sets,
            quiet,
            force_size,
            checkpoint_every,
            checkpoint,
            restart,
            no_clobber,
            json,
        } => tokensim::commands::run(&tokensim::commands::RunArgs {
            config,
            out,
            seed,
            threads,
            replications,
            sets,
            quiet,
            force_size,
            checkpoint_every,
            checkpoint,
            restart,
            no_clobber,
            json,
            control: None,
        }),
        Command::Fluid { config, json, sets } => tokensim::commands::fluid(&config, &sets, json),
        Command::Experiment {
            name,
            quick,
            json,
            out,
            threads,
        } => tokensim::runner::thread_pool(threads).and_then(|pool| {
            pool.install(|| {
                tokensim::commands::experiment(&tokensim::commands::ExperimentArgs {
                    name,
                    quick,
                    json,
                    out,
                })
            })
        }),
        Command::Sweep {
            sweep,
            out,
            shard,
            resume,
            on_error,
            threads,
            quiet,
            force_size,
            checkpoint_every,
            sets,
            seed,
            replications,
            list,
        } => tokensim::commands::sweep(&tokensim::commands::SweepArgs {
            sweep,
            out,
            shard,
            resume,
            on_error,
            threads,
            quiet,
            force_size,
            checkpoint_every,
            overrides: tokensim::sweep::SweepOverrides {
                sets,
                seed,
                replications,
            },
            list,
            control: None,
        }),
        Command::Merge { out, inputs } => tokensim::commands::merge(&out, &inputs),
        Command::Bench {
            configs,
            threads,
            repeats,
            sets,
        } => tokensim::commands::bench(&configs, &sets, &threads, repeats),
        Command::Overrides {
            file,
            run,
            replications,
            trace,
            threads,
            json,
        } => tokensim::runner::thread_pool(threads).and_then(|pool| {
            pool.install(|| {
                tokensim::commands::overrides(&tokensim::commands::OverridesArgs {
                    file,
                    run,
                    replications,
                    trace,
                    json,
                })
            })
        }),
        Command::Export { file, csv, parquet } => {
            tokensim::commands::export(&file, &tokensim::commands::ExportTargets { csv, parquet })
        }
        Command::Report {
            file,
            out,
            override_replications,
            epsilon,
        } => match epsilon {
            Some(e) if !(0.0..=1.0).contains(&e) => Err(tokensim::Error::Input(format!(
                "--epsilon {e}: expected a probability in [0, 1]"
            ))),
            _ => tokensim::commands::report(
                &file,
                out.as_deref(),
                &tokensim::report::ReportOptions {
                    override_replications,
                    epsilon,
                },
            ),
        },
        Command::Init { file, token } => tokensim::commands::init(&file, token),
        Command::Validate { config, sets } => tokensim::commands::validate(&config, &sets),
    };
    match result {
        Ok(text) => {
            print_out(&text);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

/// Prints a command's output; a closed pipe (`tokensim audit F | head`) is
/// the reader's choice, not an error, and ends the output quietly.
fn print_out(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|_| out.flush());
}

fn fail(e: &tokensim::Error) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(e.exit_code() as u8)
}
