//! The paper's experiments ("Fair Incentives for Repeated Engagement"), and
//! the token economy's research table and stress suite, as library
//! functions: each runs its configuration from `configs/paper/`,
//! returns its numbers with the theory's values beside them, and renders a
//! table. `tokensim experiment NAME` and `scripts/paper/NAME` print them;
//! the integration tests run the same functions at reduced size.

mod archive;
mod convergence;
mod discrimination;
mod fair_steering;
mod fluid_structure;
mod non_convexity;
mod small_markets;
mod table;
mod token_economy;
mod two_period;

pub use archive::archive_to;
pub use convergence::{convergence, ConvergenceRow, ConvergenceStudy};
pub use discrimination::{explicit_discrimination, implicit_discrimination, DiscriminationStudy};
pub use fair_steering::{
    fair_steering, fair_steering_table, FairSteeringRow, Spread, FAIR_TOLERANCES,
};
pub use fluid_structure::{
    coefficient_of_variation, dispersion, dispersion_study, dispersion_table, dispersion_tables,
    relative_dispersion, s_shape, s_shape_many, s_shape_many_table, s_shape_table, DispersionRow,
    DispersionSweep, SShapeComposition, SShapeRow, DISPERSION_PAIRS, S_SHAPE_COMPOSITIONS,
};
pub use non_convexity::{non_convexity, NonConvexity};
pub use small_markets::{small_markets, small_markets_table, SmallMarketRow, SMALL_MARKET_SIZES};
pub use table::Table;
pub use token_economy::{
    stress_table, token_stress, token_table, StressRow, TokenRow, TokenTable, RESEARCH_ROWS,
};
pub use two_period::{
    expected_joint, two_period, JointPlan, TwoPeriodRow, TwoPeriodStudy, TWO_PERIOD_POLICIES,
};

use std::path::{Path, PathBuf};

use crate::config::{Config, IssuanceRule};
use crate::error::Result;
use crate::record::RunRecord;
use crate::runner::{run_experiment, Progress};
use crate::stats::Estimate;

/// Names accepted by `tokensim experiment`, in the order of
/// `docs/experiments.md`.
pub const EXPERIMENTS: [&str; 13] = [
    "non-convexity",
    "convergence",
    "three-types",
    "small-markets",
    "implicit-discrimination",
    "explicit-discrimination",
    "two-period",
    "dispersion",
    "s-shape",
    "s-shape-many",
    "token-table",
    "token-stress",
    "fair-steering",
];

/// Runs the experiment called `name` (one of [`EXPERIMENTS`]) and returns
/// its tables.
pub fn run_named(name: &str, size: Size) -> Result<Vec<Table>> {
    Ok(match name {
        "non-convexity" => vec![non_convexity()?.table()],
        "convergence" => vec![
            convergence("convergence-smooth.toml", size)?.table(),
            convergence("convergence-kink.toml", size)?.table(),
        ],
        "three-types" => vec![convergence("three-types.toml", size)?.table()],
        "small-markets" => ["newsvendor", "sqrt", "log"]
            .iter()
            .map(|revenue| {
                let name = format!("small-markets-{revenue}.toml");
                Ok(small_markets_table(&name, &small_markets(&name, size)?))
            })
            .collect::<Result<_>>()?,
        "implicit-discrimination" => vec![implicit_discrimination(size)?.table()],
        "explicit-discrimination" => vec![explicit_discrimination(size)?.table()],
        "two-period" => vec![two_period(size)?.table()],
        "dispersion" => dispersion_tables(&dispersion_study(20)?),
        "s-shape" => {
            let (rows, threshold) = s_shape(16)?;
            vec![s_shape_table(&rows, threshold)]
        }
        "s-shape-many" => vec![s_shape_many_table(&s_shape_many(20)?)],
        "token-table" => vec![token_table(size)?.table()],
        "token-stress" => [IssuanceRule::Band, IssuanceRule::Return]
            .into_iter()
            .map(|rule| Ok(stress_table(&token_stress(size, rule)?, rule)))
            .collect::<Result<Vec<_>>>()?,
        "fair-steering" => vec![fair_steering_table(&fair_steering(size)?, size)],
        other => {
            return Err(crate::error::Error::Input(format!(
                "unknown experiment {other:?}: expected one of {}",
                EXPERIMENTS.join(", ")
            )))
        }
    })
}

/// How big a run: the full study (scripts) or a quick one (tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// Reduced grids, periods and replications.
    Quick,
    /// The study as documented.
    Full,
}

/// `configs/paper/<name>` under the current folder (or the crate root).
pub fn paper_config(name: &str) -> PathBuf {
    shipped_config(&Path::new("paper").join(name))
}

/// `configs/<relative>` under the current folder, or under the crate root
/// when the current folder has none.
pub fn shipped_config(relative: &Path) -> PathBuf {
    let local = Path::new("configs").join(relative);
    if local.exists() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("configs")
        .join(relative)
}

/// Loads a paper configuration with overrides.
pub fn load(name: &str, sets: &[String]) -> Result<Config> {
    Config::load(&paper_config(name), sets)
}

/// Runs `config` (all its replications, in parallel) and returns the
/// records; inside [`archive_to`] they are also written to its folder.
pub fn simulate(config: &Config) -> Result<Vec<RunRecord>> {
    let records = run_experiment(config, &Progress::hidden())?;
    archive::keep(config, &records)?;
    Ok(records)
}

/// A `--set` of the seed for cell `cell` of an experiment, derived from
/// the configuration's own seed so that no two cells (θ, policy, …) share a
/// random stream and their rows are independent.
pub fn cell_seed(base_seed: u64, cell: u64) -> String {
    let mixed = crate::engine::splitmix64(base_seed ^ cell.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    format!("simulation.seed=\"{mixed}\"")
}

/// Mean normalized profit after warm-up over replications, with the standard
/// error across replications (or the batch-means error of a single run).
pub fn mean_profit(records: &[RunRecord]) -> Estimate {
    pooled(records.iter().map(|r| r.summary.mean_profit_per_scale))
}

/// Pools per-replication estimates: the mean of means, with the standard
/// error from each replication's batch-means error (sqrt(Σ se_r²)/R: with 20
/// batches per replication it is far more stable than the spread of a few
/// replication means), or from the spread across replications when the
/// runs carry no error of their own.
pub fn pooled(estimates: impl Iterator<Item = Estimate>) -> Estimate {
    let all: Vec<Estimate> = estimates.collect();
    let n = all.len();
    let mean = all.iter().map(|e| e.mean).sum::<f64>() / n as f64;
    if n == 1 {
        return all[0];
    }
    let std_error = if all.iter().all(|e| e.std_error.is_finite()) {
        all.iter().map(|e| e.std_error.powi(2)).sum::<f64>().sqrt() / n as f64
    } else {
        let var = all.iter().map(|e| (e.mean - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (var / n as f64).sqrt()
    };
    Estimate {
        mean,
        std_error,
        batches: all.iter().map(|e| e.batches).sum(),
    }
}

/// Weighted least-squares slope of log y on log x, with its standard error,
/// where y has standard errors `se` (so log y has se/y).
pub fn log_log_slope(x: &[f64], y: &[f64], se: &[f64]) -> (f64, f64) {
    let w: Vec<f64> = y
        .iter()
        .zip(se)
        .map(|(y, s)| (y / s.max(1e-300)).powi(2))
        .collect();
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let sw: f64 = w.iter().sum();
    let mx = w.iter().zip(&lx).map(|(w, x)| w * x).sum::<f64>() / sw;
    let my = w.iter().zip(&ly).map(|(w, y)| w * y).sum::<f64>() / sw;
    let sxx: f64 = w.iter().zip(&lx).map(|(w, x)| w * (x - mx).powi(2)).sum();
    let sxy: f64 = w
        .iter()
        .zip(lx.iter().zip(&ly))
        .map(|(w, (x, y))| w * (x - mx) * (y - my))
        .sum();
    (sxy / sxx, (1.0 / sxx).sqrt())
}
