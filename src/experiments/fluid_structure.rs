//! Structure of φ* (no simulation): dispersion as the concave share grows
//! (Proposition 5.4) and the linearized S-shape (Propositions 5.7–5.8).

use super::{load, Table};
use crate::config::{DepartureConfig, DepartureFamily};
use crate::error::{Error, Result};
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
    /// Where φ*'s variance lies between the least and the most any
    /// distribution on R with its mean can have: 0 for rewards adjacent on
    /// the grid (Prop. 5.4, convex), 1 for the {r_min, r_max} lottery
    /// (concave). Unlike the CV it does not rise and fall as the mean
    /// crosses a grid cell.
    pub relative_dispersion: f64,
}

/// One convex/concave pair of departure curves, swept over the share.
#[derive(Debug, Clone, PartialEq)]
pub struct DispersionSweep {
    /// γ of the convex ("loss averse") type.
    pub convex_gamma: f64,
    /// γ of the concave ("risk seeking") type.
    pub concave_gamma: f64,
    /// One row per share.
    pub rows: Vec<DispersionRow>,
}

/// The (convex γ, concave γ) pairs of the dispersion study.
pub const DISPERSION_PAIRS: [(f64, f64); 3] = [(2.0, 0.5), (3.0, 0.4), (5.0, 0.25)];

/// Coefficient of variation of the reward under φ.
pub fn coefficient_of_variation(rewards: &[f64], phi: &[f64]) -> f64 {
    let mean: f64 = rewards.iter().zip(phi).map(|(r, p)| r * p).sum();
    variance(rewards, phi).sqrt() / mean
}

fn variance(rewards: &[f64], phi: &[f64]) -> f64 {
    let mean: f64 = rewards.iter().zip(phi).map(|(r, p)| r * p).sum();
    rewards
        .iter()
        .zip(phi)
        .map(|(r, p)| p * (r - mean).powi(2))
        .sum()
}

/// (var − var_min(m)) / (var_max(m) − var_min(m)) for φ with mean m on the
/// grid R: var_min is the mix of the two grid points around m (the least
/// variance with mean m, by convexity of r ↦ r²), var_max the {r_min, r_max}
/// lottery. 0 when the two coincide (m at an end of R).
pub fn relative_dispersion(rewards: &[f64], phi: &[f64]) -> f64 {
    let m: f64 = rewards.iter().zip(phi).map(|(r, p)| r * p).sum();
    let (lo, hi) = (rewards[0], rewards[rewards.len() - 1]);
    let above = rewards.partition_point(|&r| r < m).min(rewards.len() - 1);
    let below = if rewards[above] > m { above - 1 } else { above };
    let least = (m - rewards[below]) * (rewards[above] - m);
    let most = (m - lo) * (hi - m);
    if most - least <= 1e-12 * most.max(1e-300) {
        return 0.0;
    }
    ((variance(rewards, phi) - least) / (most - least)).clamp(0.0, 1.0)
}

/// φ* as the concave type's share of arrivals goes from 0 to 1 (total
/// arrival rate fixed), on configs/paper/dispersion.toml, for each pair of
/// [`DISPERSION_PAIRS`].
pub fn dispersion_study(steps: usize) -> Result<Vec<DispersionSweep>> {
    DISPERSION_PAIRS
        .iter()
        .map(|&(convex_gamma, concave_gamma)| {
            let base = load(
                "dispersion.toml",
                &[
                    format!("types.0.departure.gamma={convex_gamma}"),
                    format!("types.1.departure.gamma={concave_gamma}"),
                ],
            )?;
            Ok(DispersionSweep {
                convex_gamma,
                concave_gamma,
                rows: dispersion_of(&base, steps)?,
            })
        })
        .collect()
}

/// The shipped pair of configs/paper/dispersion.toml only.
pub fn dispersion(steps: usize) -> Result<Vec<DispersionRow>> {
    dispersion_of(&load("dispersion.toml", &[])?, steps)
}

fn dispersion_of(base: &crate::config::Config, steps: usize) -> Result<Vec<DispersionRow>> {
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
                relative_dispersion: relative_dispersion(&model.rewards, &s.distribution),
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
    let DepartureFamily::LinearS { value: v, .. } = t.departure.family else {
        return Err(Error::Input(
            "s-shape.toml: expected a linear_s departure for the first type".into(),
        ));
    };
    let lambda = t.arrival_rate;
    let threshold = model.revenue.derivative(lambda) - v;
    let mut rows = Vec::new();
    for i in 1..=steps {
        let delta = i as f64 * 0.05;
        let mut config = base.clone();
        set_half_width(&mut config.types[0].departure, delta);
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

/// One arrival composition of the many-types S-shape study.
#[derive(Debug, Clone, PartialEq)]
pub struct SShapeComposition {
    /// Arrival rates of the types, in configuration order.
    pub arrival_rates: Vec<f64>,
    /// (δ, OPT) on the grid.
    pub opt: Vec<(f64, f64)>,
    /// The smallest δ of the grid from which OPT stays constant (1e−9).
    pub threshold: Option<f64>,
}

/// The arrival compositions of the many-types study: the weight moves from
/// the low-value to the high-value type (total rate 1).
pub const S_SHAPE_COMPOSITIONS: [[f64; 3]; 4] = [
    [0.7, 0.2, 0.1],
    [0.5, 0.3, 0.2],
    [0.3, 0.3, 0.4],
    [0.1, 0.3, 0.6],
];

/// OPT against a common half-width δ = 0.05 … 0.05·steps for each
/// composition of [`S_SHAPE_COMPOSITIONS`], on configs/paper/s-shape-many.toml.
pub fn s_shape_many(steps: usize) -> Result<Vec<SShapeComposition>> {
    let base = load("s-shape-many.toml", &[])?;
    S_SHAPE_COMPOSITIONS
        .iter()
        .map(|rates| {
            let opt = (1..=steps)
                .map(|i| {
                    let delta = i as f64 * 0.05;
                    let mut config = base.clone();
                    for (t, &rate) in config.types.iter_mut().zip(rates) {
                        t.arrival_rate = rate;
                        set_half_width(&mut t.departure, delta);
                    }
                    Ok((delta, solve_fluid(&Model::new(&config))?.opt))
                })
                .collect::<Result<Vec<_>>>()?;
            let last = opt.last().map_or(f64::NAN, |p| p.1);
            let flat_from = opt
                .iter()
                .rposition(|p| (p.1 - last).abs() > 1e-9)
                .map_or(0, |i| i + 1);
            Ok(SShapeComposition {
                arrival_rates: rates.to_vec(),
                threshold: (flat_from < opt.len() - 1).then(|| opt[flat_from].0),
                opt,
            })
        })
        .collect()
}

/// The many-types study as a table: one column per composition.
pub fn s_shape_many_table(rows: &[SShapeComposition]) -> Table {
    let mut columns = vec!["delta".to_string()];
    columns.extend(rows.iter().map(|c| {
        let rates: Vec<String> = c.arrival_rates.iter().map(|r| format!("{r}")).collect();
        format!("OPT, λ = ({})", rates.join(", "))
    }));
    let column_refs: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut t = Table::new(
        "Many S-shaped types (v = 1.0, 1.4, 1.8), newsvendor revenue: OPT against δ (configs/paper/s-shape-many.toml)",
        &column_refs,
    );
    for (i, &(delta, _)) in rows[0].opt.iter().enumerate() {
        let mut cells = vec![format!("{delta:.2}")];
        cells.extend(rows.iter().map(|c| format!("{:.6}", c.opt[i].1)));
        t.row(cells);
    }
    for c in rows {
        let non_increasing = c.opt.windows(2).all(|w| w[1].1 <= w[0].1 + 1e-9);
        t.note(format!(
            "λ = {:?}: OPT non-increasing in δ: {non_increasing}; constant from δ = {}",
            c.arrival_rates,
            c.threshold
                .map_or("(not within the grid)".to_string(), |d| format!("{d:.2}"))
        ));
    }
    let falling = rows
        .windows(2)
        .all(|w| matches!((w[0].threshold, w[1].threshold), (Some(a), Some(b)) if b <= a));
    t.note(format!(
        "threshold falls as the weight moves to the high-value type: {falling} (the paper's Figure 5)"
    ));
    t
}

/// Sets δ of a `linear_s` departure (other families are left alone).
fn set_half_width(departure: &mut DepartureConfig, delta: f64) {
    if let DepartureFamily::LinearS { half_width, .. } = &mut departure.family {
        *half_width = delta;
    }
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

/// One table per pair of the dispersion study.
pub fn dispersion_tables(sweeps: &[DispersionSweep]) -> Vec<Table> {
    sweeps
        .iter()
        .map(|sweep| {
            let mut t = dispersion_table(&sweep.rows);
            t.title = format!(
                "Dispersion of φ* as the concave type's share grows: convex γ = {}, concave γ = {} (configs/paper/dispersion.toml)",
                sweep.convex_gamma, sweep.concave_gamma
            );
            t
        })
        .collect()
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
            "relative dispersion",
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
            format!("{:.4}", r.relative_dispersion),
        ]);
    }
    let monotone = rows
        .windows(2)
        .all(|w| w[1].relative_dispersion >= w[0].relative_dispersion - 1e-9);
    t.note(format!(
        "relative dispersion non-decreasing in the share: {monotone}; 0 = adjacent rewards (all convex, Prop. 5.4), 1 = r_min/r_max lottery (all concave)"
    ));
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
