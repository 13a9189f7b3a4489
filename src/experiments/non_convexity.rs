//! Proposition 4.1: Fluid-Opt is, in general, non-convex. On the instance
//! of configs/paper/non-convexity.toml the objective F along the segment
//! between two rewards lies below its chord, so F is not concave on the
//! simplex and maximizing it is not a convex program; the solver's pair
//! search (model.md A.5) is what makes it tractable.

use super::{load, Table};
use crate::error::{Error, Result};
use crate::fluid::{mix, FluidProblem};
use crate::model::{Model, RevenueFn};

/// F along the segment between the first and last reward.
#[derive(Debug, Clone, PartialEq)]
pub struct NonConvexity {
    /// (x, F(φ_x) from the solver's model, F from the closed form).
    pub points: Vec<(f64, f64, f64)>,
    /// F(½) − (F(0) + F(1))/2: negative means F is not concave.
    pub midpoint_minus_chord: f64,
}

/// Evaluates the instance on x = 0, 0.05, …, 1.
pub fn non_convexity() -> Result<NonConvexity> {
    let config = load("non-convexity.toml", &[])?;
    let model = Model::new(&config);
    let problem = FluidProblem::new(&model);
    let m = model.reward_count();
    let RevenueFn::Linear { price } = model.revenue else {
        return Err(Error::Input(
            "non-convexity.toml: expected a linear revenue (the closed form is for a·x)".into(),
        ));
    };
    let (r0, r1) = (model.rewards[0], model.rewards[m - 1]);
    let c = model.cost_per_token;
    let closed_form = |x: f64| -> f64 {
        // n(x) = Σ_k λ_k / ((1 − x) p_k(r_1) + x p_k(r_2)); F = n (a − c r(x)).
        let n: f64 = model
            .types
            .iter()
            .map(|t| {
                let (p0, p1) = (
                    t.departure.at_reward_index(0),
                    t.departure.at_reward_index(m - 1),
                );
                t.arrival_rate / ((1.0 - x) * p0 + x * p1)
            })
            .sum();
        n * (price - c * ((1.0 - x) * r0 + x * r1))
    };
    let points = (0..=20)
        .map(|i| {
            let x = i as f64 / 20.0;
            let f = problem
                .evaluate(&mix(0, m - 1, x, m))
                .map_or(f64::NAN, |v| v.profit);
            (x, f, closed_form(x))
        })
        .collect::<Vec<_>>();
    let (f0, f_half, f1) = (points[0].1, points[10].1, points[20].1);
    Ok(NonConvexity {
        midpoint_minus_chord: f_half - 0.5 * (f0 + f1),
        points,
    })
}

impl NonConvexity {
    /// The evaluation as a table.
    pub fn table(&self) -> Table {
        let mut t = Table::new(
            "Proposition 4.1: F along the segment between two rewards against its chord (configs/paper/non-convexity.toml)",
            &["x", "F(φ_x)", "closed form", "chord", "F − chord"],
        );
        let (f0, f1) = (self.points[0].1, self.points[self.points.len() - 1].1);
        for &(x, f, closed) in &self.points {
            let chord = (1.0 - x) * f0 + x * f1;
            t.row(vec![
                format!("{x:.2}"),
                format!("{f:.6}"),
                format!("{closed:.6}"),
                format!("{chord:.6}"),
                format!("{:.6}", f - chord),
            ]);
        }
        t.note(format!(
            "F(½) − (F(0) + F(1))/2 = {:.6}: {}",
            self.midpoint_minus_chord,
            if self.midpoint_minus_chord < 0.0 {
                "F is not concave, so Fluid-Opt is not a convex program (Proposition 4.1)"
            } else {
                "no violation on this instance"
            }
        ));
        t
    }
}
