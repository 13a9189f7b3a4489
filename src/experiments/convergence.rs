//! Convergence of the fluid policy to OPT as the market grows (model.md A.6).

use super::{cell_seed, load, log_log_slope, mean_profit, simulate, Size, Table};
use crate::error::Result;
use crate::fluid::{stochastic_profit, FluidProblem};
use crate::model::{Model, RevenueFn};
use crate::policy::{build_policy, solve_fluid};
use crate::stats::Estimate;

/// One (θ, policy) cell.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvergenceRow {
    /// Market size θ.
    pub theta: f64,
    /// fluid, fixed or lottery.
    pub policy: String,
    /// Simulated long-run normalized profit.
    pub profit: Estimate,
    /// OPT − simulated profit.
    pub gap: f64,
    /// Exact OPT − R^θ(φ) of the policy's static φ (Poisson formula).
    pub theory_gap: f64,
}

/// A convergence study on one configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvergenceStudy {
    /// The configuration file name.
    pub config: String,
    /// OPT of Fluid-Opt.
    pub opt: f64,
    /// The asymptotic slope model.md predicts (−1 smooth, −1/2 at the kink).
    pub predicted_slope: f64,
    /// All cells.
    pub rows: Vec<ConvergenceRow>,
    /// Log-log slope of the fluid policy's simulated gap, with its standard error.
    pub fluid_slope: (f64, f64),
    /// Log-log slope of the exact gaps at the same θ, with the same weights.
    pub theory_slope: f64,
    /// Slope of the exact gaps between the two largest θ (the asymptotic rate).
    pub asymptotic_slope: f64,
}

/// Runs fluid, fixed and lottery policies over a range of θ on `config_name`.
pub fn convergence(config_name: &str, size: Size) -> Result<ConvergenceStudy> {
    let (thetas, periods, replications): (&[f64], u32, u32) = match size {
        Size::Quick => (&[2.0, 4.0, 8.0, 16.0], 40_000, 4),
        Size::Full => (&[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0], 200_000, 8),
    };
    let base = load(config_name, &[])?;
    let model = Model::new(&base);
    let problem = FluidProblem::new(&model);
    let solution = solve_fluid(&model)?;
    let predicted_slope = match model.revenue {
        RevenueFn::Newsvendor { capacity, .. }
            if (solution.n_total - capacity).abs() < 1e-6 * capacity =>
        {
            -0.5
        }
        _ => -1.0,
    };
    let mut rows = Vec::new();
    for (i, &theta) in thetas.iter().enumerate() {
        for (j, policy) in ["fluid", "fixed", "lottery"].into_iter().enumerate() {
            let sets = vec![
                format!("policy.kind={policy}"),
                format!("simulation.scale={theta}"),
                format!("simulation.periods={periods}"),
                format!("simulation.replications={replications}"),
                cell_seed(base.simulation.seed, (i * 3 + j) as u64),
            ];
            let config = load(config_name, &sets)?;
            let phi = build_policy(&config, &model)?
                .stationary_distribution()
                .expect("static policy")
                .to_vec();
            let exact = stochastic_profit(&problem, &phi, theta).unwrap_or(f64::NAN);
            let profit = mean_profit(&simulate(&config)?);
            rows.push(ConvergenceRow {
                theta,
                policy: policy.into(),
                profit,
                gap: solution.opt - profit.mean,
                theory_gap: solution.opt - exact,
            });
        }
    }
    let fluid: Vec<&ConvergenceRow> = rows.iter().filter(|r| r.policy == "fluid").collect();
    let x: Vec<f64> = fluid.iter().map(|r| r.theta).collect();
    let gaps: Vec<f64> = fluid.iter().map(|r| r.gap.max(1e-12)).collect();
    let se: Vec<f64> = fluid.iter().map(|r| r.profit.std_error).collect();
    let fluid_slope = log_log_slope(&x, &gaps, &se);
    let theory: Vec<f64> = fluid.iter().map(|r| r.theory_gap).collect();
    // The same weights as the simulated fit, so that the two are comparable.
    let theory_se: Vec<f64> = theory
        .iter()
        .zip(&gaps)
        .zip(&se)
        .map(|((t, g), s)| s * t / g)
        .collect();
    let theory_slope = log_log_slope(&x, &theory, &theory_se).0;
    let last = x.len() - 1;
    let asymptotic_slope = (theory[last] / theory[last - 1]).ln() / (x[last] / x[last - 1]).ln();
    Ok(ConvergenceStudy {
        config: config_name.into(),
        opt: solution.opt,
        predicted_slope,
        rows,
        fluid_slope,
        theory_slope,
        asymptotic_slope,
    })
}

impl ConvergenceStudy {
    /// The study as a table.
    pub fn table(&self) -> Table {
        let mut t = Table::new(
            format!("Convergence to OPT = {:.5} ({})", self.opt, self.config),
            &[
                "theta",
                "policy",
                "profit",
                "s.e.",
                "gap to OPT",
                "theory gap",
            ],
        );
        for r in &self.rows {
            t.row(vec![
                format!("{}", r.theta),
                r.policy.clone(),
                format!("{:.5}", r.profit.mean),
                format!("{:.5}", r.profit.std_error),
                format!("{:.5}", r.gap),
                format!("{:.5}", r.theory_gap),
            ]);
        }
        t.note(format!(
            "fluid gap log-log slope (weighted fit over all θ): simulated {:.3} ± {:.3}, exact {:.3}",
            self.fluid_slope.0, self.fluid_slope.1, self.theory_slope
        ));
        t.note(format!(
            "exact slope between the two largest θ: {:.3}; model.md A.6 predicts {} as θ → ∞",
            self.asymptotic_slope, self.predicted_slope
        ));
        t.note(format!(
            "largest |gap − theory gap| over all cells: {:.2} standard errors ({} cells; 4 s.e. is the tests' tolerance)",
            self.worst_z(),
            self.rows.len()
        ));
        t
    }

    /// The largest |simulated gap − exact gap| / s.e. over all cells.
    pub fn worst_z(&self) -> f64 {
        self.rows
            .iter()
            .map(|r| (r.gap - r.theory_gap).abs() / r.profit.std_error)
            .fold(0.0, f64::max)
    }
}
