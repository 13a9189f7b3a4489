//! Small markets: the fluid heuristic against the best static policy of the
//! finite market and against OPT.

use super::{load, mean_profit, simulate, Size, Table};
use crate::error::Result;
use crate::fluid::{best_static_policy, stochastic_profit, FluidProblem};
use crate::model::Model;
use crate::policy::solve_fluid;
use crate::stats::Estimate;

/// One market size.
#[derive(Debug, Clone, PartialEq)]
pub struct SmallMarketRow {
    /// θ.
    pub theta: f64,
    /// Simulated profit of the fluid policy.
    pub fluid_simulated: Estimate,
    /// R^θ(φ*) exactly.
    pub fluid_exact: f64,
    /// max_φ R^θ(φ): the best static policy of this market.
    pub best_static: f64,
    /// Its distribution.
    pub best_static_distribution: Vec<f64>,
    /// OPT.
    pub opt: f64,
}

/// θ ∈ {1, 2, 5, 10, 100} on configs/paper/convergence-kink.toml.
pub fn small_markets(size: Size) -> Result<Vec<SmallMarketRow>> {
    let (periods, replications) = match size {
        Size::Quick => (20_000, 2),
        Size::Full => (200_000, 4),
    };
    let name = "convergence-kink.toml";
    let base = load(name, &[])?;
    let model = Model::new(&base);
    let problem = FluidProblem::new(&model);
    let solution = solve_fluid(&model)?;
    [1.0, 2.0, 5.0, 10.0, 100.0]
        .iter()
        .map(|&theta| {
            let config = load(
                name,
                &[
                    format!("simulation.scale={theta}"),
                    format!("simulation.periods={periods}"),
                    format!("simulation.replications={replications}"),
                ],
            )?;
            let (phi, best) = best_static_policy(&problem, theta).expect("feasible");
            Ok(SmallMarketRow {
                theta,
                fluid_simulated: mean_profit(&simulate(&config)?),
                fluid_exact: stochastic_profit(&problem, &solution.distribution, theta)
                    .unwrap_or(f64::NAN),
                best_static: best,
                best_static_distribution: phi,
                opt: solution.opt,
            })
        })
        .collect()
}

/// The rows as a table.
pub fn small_markets_table(rows: &[SmallMarketRow]) -> Table {
    let mut t = Table::new(
        "Small markets: fluid heuristic vs best static policy of the market vs OPT (configs/paper/convergence-kink.toml)",
        &["theta", "fluid (simulated)", "fluid (exact)", "best static (exact)", "OPT", "OPT - fluid", "OPT - best static"],
    );
    for r in rows {
        t.row(vec![
            format!("{}", r.theta),
            format!(
                "{:.4} ± {:.4}",
                r.fluid_simulated.mean, r.fluid_simulated.std_error
            ),
            format!("{:.4}", r.fluid_exact),
            format!("{:.4}", r.best_static),
            format!("{:.4}", r.opt),
            format!("{:.4}", r.opt - r.fluid_exact),
            format!("{:.4}", r.opt - r.best_static),
        ]);
    }
    t
}
