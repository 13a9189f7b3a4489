//! The fluid relaxation and Fluid-Opt (model.md A.5).
//!
//! OPT = max_φ F(φ) = f(n(φ)) − c·n(φ)·r(φ) over the simplex on R. Some
//! optimal φ* has at most two rewards in its support (Theorem 4.2), so the
//! solver searches every singleton and every pair r_i < r_j, maximizing
//! g(x) = F((1−x)e_i + x e_j) on [0, 1]: g is not concave, so every sign
//! change of g' on a grid is refined by bisection, the newsvendor kink
//! (n(x) = D) is tested too, and the best candidate over all pairs wins.
//!
//! For memoryless departures n_k(φ) = λ_k/p_k(φ) and g' is the closed form
//! of model.md; with memory (weights, grace periods, `joint_table`) n_k(φ)
//! is the exact stationary population of the static policy φ (the
//! age-by-history recursion of [`crate::model::stationary_cohort`]) and g'
//! is taken by central differences. Theorem 4.2 is proved for memoryless
//! departures; with memory the two-point search is a heuristic.

mod population;
mod search;
mod small_market;

pub use population::{population_of, Infeasible};
pub use search::GRID_POINTS;
pub use small_market::{best_static_policy, expected_revenue, stochastic_profit};

use serde::Serialize;

use crate::model::{Model, RevenueFn};

/// The Fluid-Opt problem of a model (per unit market size).
#[derive(Debug, Clone, Copy)]
pub struct FluidProblem<'a> {
    model: &'a Model,
}

/// F(φ) and what it is made of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FluidValue {
    /// n_k(φ) per unit θ.
    pub n_per_type: Vec<f64>,
    /// n(φ).
    pub n_total: f64,
    /// r(φ).
    pub expected_reward: f64,
    /// f(n(φ)).
    pub revenue: f64,
    /// c·n(φ)·r(φ).
    pub reward_cost: f64,
    /// F(φ).
    pub profit: f64,
}

/// The solution of Fluid-Opt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FluidSolution {
    /// R.
    pub reward_values: Vec<f64>,
    /// φ* over R (at most two non-zero entries).
    pub distribution: Vec<f64>,
    /// OPT = F(φ*), normalized per unit θ.
    pub opt: f64,
    /// n_k(φ*).
    pub n_per_type: Vec<f64>,
    /// n(φ*).
    pub n_total: f64,
    /// Per type: whether its agents join under φ* (rational entry: r(φ*)
    /// at least its reservation value; always true without one).
    pub joins: Vec<bool>,
    /// r(φ*).
    pub expected_reward: f64,
    /// f(n(φ*)).
    pub revenue: f64,
    /// c·n(φ*)·r(φ*).
    pub reward_cost: f64,
    /// Indices in R of φ*'s support.
    pub support: Vec<usize>,
    /// How n(φ) was computed: "closed form" or "exact stationary recursion".
    pub method: String,
    /// The best single reward (the `fixed` policy's default), index in R.
    pub best_fixed: Option<usize>,
    /// F at the best single reward.
    pub best_fixed_profit: Option<f64>,
    /// Singletons that could not be evaluated, with the reason.
    pub infeasible: Vec<String>,
}

impl<'a> FluidProblem<'a> {
    /// The problem for `model`.
    pub fn new(model: &'a Model) -> Self {
        FluidProblem { model }
    }

    /// The model.
    pub fn model(&self) -> &Model {
        self.model
    }

    /// True when every type's departure is memoryless (closed forms apply).
    pub fn memoryless(&self) -> bool {
        self.model.types.iter().all(|t| t.departure.is_memoryless())
    }

    /// n(φ) per type, or why φ is infeasible. A type with a reservation
    /// value above r(φ) does not join: n_k(φ) = 0 (model.md E.1).
    pub fn populations(&self, phi: &[f64]) -> Result<Vec<f64>, Infeasible> {
        let r = self.model.mean_reward(phi);
        self.model
            .types
            .iter()
            .map(|t| {
                if t.joins_at(r) {
                    population_of(t, phi)
                } else {
                    Ok(0.0)
                }
            })
            .collect()
    }

    /// F(φ) with its parts.
    pub fn evaluate(&self, phi: &[f64]) -> Result<FluidValue, Infeasible> {
        let n_per_type = self.populations(phi)?;
        let n_total: f64 = n_per_type.iter().sum();
        let expected_reward = self.model.mean_reward(phi);
        let revenue = self.model.revenue.value(n_total);
        let reward_cost = self.model.cost_per_token * n_total * expected_reward;
        Ok(FluidValue {
            n_per_type,
            n_total,
            expected_reward,
            revenue,
            reward_cost,
            profit: revenue - reward_cost,
        })
    }

    /// The revenue function.
    pub fn revenue(&self) -> &RevenueFn {
        &self.model.revenue
    }

    /// Solves Fluid-Opt; `None` when no distribution is feasible.
    pub fn solve(&self) -> Option<FluidSolution> {
        let m = self.model.reward_count();
        let mut infeasible = Vec::new();
        let mut best: Option<(Vec<f64>, f64)> = None;
        let mut best_fixed: Option<(usize, f64)> = None;
        let consider = |phi: Vec<f64>, value: f64, best: &mut Option<(Vec<f64>, f64)>| {
            if best.as_ref().is_none_or(|(_, v)| value > *v) {
                *best = Some((phi, value));
            }
        };
        for i in 0..m {
            let phi = point_mass(i, m);
            match self.evaluate(&phi) {
                Ok(v) => {
                    if best_fixed.is_none_or(|(_, b)| v.profit > b) {
                        best_fixed = Some((i, v.profit));
                    }
                    consider(phi, v.profit, &mut best);
                }
                Err(e) => infeasible.push(format!("fixed reward {}: {e}", self.model.rewards[i])),
            }
        }
        for i in 0..m {
            for j in i + 1..m {
                for (x, value) in search::pair_candidates(self, i, j) {
                    consider(mix(i, j, x, m), value, &mut best);
                }
            }
        }
        let (distribution, opt) = best?;
        let value = self.evaluate(&distribution).ok()?;
        let support = (0..m).filter(|&i| distribution[i] > 0.0).collect();
        Some(FluidSolution {
            reward_values: self.model.rewards.clone(),
            distribution,
            opt,
            joins: self
                .model
                .types
                .iter()
                .map(|t| t.joins_at(value.expected_reward))
                .collect(),
            n_per_type: value.n_per_type,
            n_total: value.n_total,
            expected_reward: value.expected_reward,
            revenue: value.revenue,
            reward_cost: value.reward_cost,
            support,
            method: if self.memoryless() {
                "closed form (memoryless departures)".into()
            } else {
                "exact stationary recursion (departures with memory)".into()
            },
            best_fixed: best_fixed.map(|b| b.0),
            best_fixed_profit: best_fixed.map(|b| b.1),
            infeasible,
        })
    }
}

/// e_i over `m` rewards.
pub fn point_mass(i: usize, m: usize) -> Vec<f64> {
    let mut phi = vec![0.0; m];
    phi[i] = 1.0;
    phi
}

/// (1 − x) e_i + x e_j over `m` rewards.
pub fn mix(i: usize, j: usize, x: f64, m: usize) -> Vec<f64> {
    let mut phi = vec![0.0; m];
    phi[i] = 1.0 - x;
    phi[j] += x;
    phi
}
