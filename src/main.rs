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
    /// Run one of the paper's experiments (configs/paper/) and print its table.
    Experiment {
        /// convergence, implicit-discrimination, explicit-discrimination,
        /// dispersion, s-shape or small-markets.
        name: String,
        /// Reduced size (as in the tests).
        #[arg(long)]
        quick: bool,
        /// Worker threads [default: all cores].
        #[arg(long)]
        threads: Option<usize>,
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
    let result = match cli.command {
        Command::Run {
            config,
            out,
            seed,
            threads,
            replications,
            sets,
            quiet,
        } => tokensim::commands::run(&tokensim::commands::RunArgs {
            config,
            out,
            seed,
            threads,
            replications,
            sets,
            quiet,
        }),
        Command::Fluid { config, json, sets } => tokensim::commands::fluid(&config, &sets, json),
        Command::Experiment {
            name,
            quick,
            threads,
        } => tokensim::runner::thread_pool(threads)
            .and_then(|pool| pool.install(|| tokensim::commands::experiment(&name, quick))),
        Command::Validate { config, sets } => tokensim::commands::validate(&config, &sets),
    };
    match result {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
