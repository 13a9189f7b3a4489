//! Structure of φ* (no simulation): dispersion as the concave share grows
//! (Proposition 5.4) and the linearized S-shape (Propositions 5.7–5.8).

use super::{load, Table};
use crate::error::Result;
use crate::model::Model;
use crate::policy::solve_fluid;

/// One share of concave-type arrivals.
#[derive(Debug, Clone, PartialEq)]
pub struct DispersionRow {
    /// Share of arrivals of the concave type.
    pub concave_share: f64,
    /// φ*.
    pub distribution: Vec<f64>,
    /// r(φ*).
    pub mean: f64,
    /// Coefficient of variation of the reward under φ*.
    pub cv: f64,
    /// CV of the lottery on {r_min, r_max} with the same mean: the largest
    /// dispersion any distribution with that mean can have.
    pub max_cv: f64,
}

/// Coefficient of variation of the reward under φ.
pub fn coefficient_of_variation(rewards: &[f64], phi: &[f64]) -> f64 {
    let mean: f64 = rewards.iter().zip(phi).map(|(r, p)| r * p).sum();
    let var: f64 = rewards
        .iter()
        .zip(phi)
        .map(|(r, p)| p * (r - mean).powi(2))
        .sum();
    var.sqrt() / mean
}

/// φ* as the concave type's share of arrivals goes from 0 to 1 (total
/// arrival rate fixed), on configs/paper/dispersion.toml.
pub fn dispersion(steps: usize) -> Result<Vec<DispersionRow>> {
    let base = load("dispersion.toml", &[])?;
    let total: f64 = base.types.iter().map(|t| t.arrival_rate).sum();
    (0..=steps)
        .map(|i| {
            let share = i as f64 / steps as f64;
            let mut config = base.clone();
            config.types[0].arrival_rate = total * (1.0 - share);
            config.types[1].arrival_rate = total * share;
            let model = Model::new(&config);
            let s = solve_fluid(&model)?;
            let (lo, hi) = (model.rewards[0], model.rewards[model.reward_count() - 1]);
            let mean = s.expected_reward;
            Ok(DispersionRow {
                concave_share: share,
                cv: coefficient_of_variation(&model.rewards, &s.distribution),
                max_cv: ((mean - lo) * (hi - mean)).max(0.0).sqrt() / mean,
                mean,
                distribution: s.distribution,
            })
        })
        .collect()
}

/// One half-width δ of the S-shape.
#[derive(Debug, Clone, PartialEq)]
pub struct SShapeRow {
    /// δ.
    pub half_width: f64,
    /// OPT.
    pub opt: f64,
    /// Rewards in φ*'s support.
    pub support: Vec<f64>,
    /// Weight of φ* on v + δ.
    pub weight_on_top: f64,
    /// x*(δ) = 1 − λ/n*(δ) of Propositions 5.7–5.8.
    pub closed_form_weight: f64,
}

/// OPT and φ* for δ on a grid, on configs/paper/s-shape.toml (one
/// `linear_s` type, square-root revenue f'(n) = a/(2√n)); returns the rows
/// and the threshold f'(λ) − v beyond which OPT is constant.
pub fn s_shape(steps: usize) -> Result<(Vec<SShapeRow>, f64)> {
    let base = load("s-shape.toml", &[])?;
    let model = Model::new(&base);
    let t = &base.types[0];
    let v = t.departure.value.expect("linear_s value");
    let lambda = t.arrival_rate;
    let threshold = model.revenue.derivative(lambda) - v;
    let mut rows = Vec::new();
    for i in 1..=steps {
        let delta = i as f64 * 0.05;
        let mut config = base.clone();
        config.types[0].departure.half_width = Some(delta);
        let model = Model::new(&config);
        let s = solve_fluid(&model)?;
        let top = v + delta;
        let n_star = if model.revenue.derivative(lambda) <= top {
            lambda
        } else {
            bisect_root(|n| model.revenue.derivative(n) - top, lambda, 1e9)
        };
        let j = model.rewards.iter().position(|&r| (r - top).abs() < 1e-9);
        rows.push(SShapeRow {
            half_width: delta,
            opt: s.opt,
            support: s.support.iter().map(|&i| model.rewards[i]).collect(),
            weight_on_top: j.map_or(f64::NAN, |j| s.distribution[j]),
            closed_form_weight: 1.0 - lambda / n_star,
        });
    }
    Ok((rows, threshold))
}

/// Root of a decreasing function on [lo, hi].
fn bisect_root(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The dispersion rows as a table.
pub fn dispersion_table(rows: &[DispersionRow]) -> Table {
    let mut t = Table::new(
        "Dispersion of φ* as the concave type's share grows (configs/paper/dispersion.toml)",
        &[
            "concave share",
            "support of φ*",
            "mean reward",
            "CV",
            "max CV (r_min/r_max lottery)",
        ],
    );
    for r in rows {
        let support: Vec<String> = r
            .distribution
            .iter()
            .enumerate()
            .filter(|(_, &p)| p > 0.0)
            .map(|(i, p)| format!("r{i}:{p:.3}"))
            .collect();
        t.row(vec![
            format!("{:.2}", r.concave_share),
            support.join(" "),
            format!("{:.4}", r.mean),
            format!("{:.4}", r.cv),
            format!("{:.4}", r.max_cv),
        ]);
    }
    t
}

/// The S-shape rows as a table.
pub fn s_shape_table(rows: &[SShapeRow], threshold: f64) -> Table {
    let mut t = Table::new(
        "Linearized S-shape: OPT and φ* against δ (configs/paper/s-shape.toml)",
        &[
            "delta",
            "OPT",
            "support",
            "weight on v+δ",
            "x*(δ) closed form",
        ],
    );
    for r in rows {
        let support: Vec<String> = r.support.iter().map(|v| format!("{v}")).collect();
        t.row(vec![
            format!("{:.2}", r.half_width),
            format!("{:.6}", r.opt),
            support.join(", "),
            format!("{:.6}", r.weight_on_top),
            format!("{:.6}", r.closed_form_weight),
        ]);
    }
    t.note(format!(
        "theory: OPT non-increasing in δ, constant for δ ≥ f'(λ) − v = {threshold:.4}"
    ));
    t
}
