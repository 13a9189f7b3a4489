//! `tokensim fluid CONFIG [--json]`.

use std::fmt::Write as _;
use std::path::Path;

use crate::config::Config;
use crate::error::Result;
use crate::model::Model;
use crate::policy::solve_fluid;

/// Solves Fluid-Opt for a configuration: a table, or one JSON object.
pub fn fluid(config: &Path, sets: &[String], json: bool) -> Result<String> {
    let config = Config::load(config, sets)?;
    let model = Model::new(&config);
    let solution = solve_fluid(&model)?;
    if json {
        return Ok(serde_json::to_string_pretty(&solution).expect("the solution serializes"));
    }
    let mut s = String::new();
    let _ = writeln!(s, "Fluid-Opt ({})", solution.method);
    let _ = writeln!(s, "  {:>10} {:>12}", "reward", "phi*");
    for (r, p) in solution.reward_values.iter().zip(&solution.distribution) {
        if *p > 0.0 {
            let _ = writeln!(s, "  {r:>10.4} {p:>12.6}");
        }
    }
    let _ = writeln!(
        s,
        "  OPT (normalized profit per unit scale): {:.6}",
        solution.opt
    );
    let _ = writeln!(
        s,
        "  revenue {:.6} - reward cost {:.6}; expected reward r(phi*) = {:.6}",
        solution.revenue, solution.reward_cost, solution.expected_reward
    );
    let _ = writeln!(s, "  steady-state agents per unit scale (n_k(phi*)):");
    for ((t, n), joins) in model
        .types
        .iter()
        .zip(&solution.n_per_type)
        .zip(&solution.joins)
    {
        let entry = match (t.entry, joins) {
            (None, _) => String::new(),
            (Some(e), true) => format!("  joins (reservation value {})", e.reservation_value),
            (Some(e), false) => format!(
                "  does not join (reservation value {} > r(phi*))",
                e.reservation_value
            ),
        };
        let _ = writeln!(s, "    {:<16} {n:>12.4}{entry}", t.name);
    }
    let _ = writeln!(s, "    {:<16} {:>12.4}", "total", solution.n_total);
    if let (Some(i), Some(v)) = (solution.best_fixed, solution.best_fixed_profit) {
        let _ = writeln!(
            s,
            "  best single reward: {} (profit {v:.6})",
            model.rewards[i]
        );
    }
    for note in &solution.infeasible {
        let _ = writeln!(s, "  infeasible: {note}");
    }
    Ok(s.trim_end().to_string())
}
