//! The price of fair steering (model.md E.5): the steered seasonal scenario
//! (`configs/fengdou-seasonal-steer.toml`) with the controller
//! unconstrained and with `steer.pay_rate_tolerance` at 5, 2 and 1 %.
//!
//! Unconstrained, the controller cuts issuance when the seasonal couriers'
//! balances lift the active float, so the type hired for the season is
//! paid less per task than the year-round types, although every courier
//! faces the same levers in every week. Fair steering keeps issuance in a
//! band that bounds the pay-rate difference; the valve and real prices
//! still land the budget, and the float is what gives. Each row is the
//! mean over replications with 95 % intervals across them.

use super::token_economy::{courier, return_point};
use super::{simulate, Size, Table, TokenRow};
use crate::audit::mean_and_half_width;
use crate::error::{Error, Result};
use crate::record::RunRecord;

/// A mean over replications with the half-width of its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Mean.
    pub mean: f64,
    /// Half-width of the 95 % interval (Student's t across replications).
    pub half: f64,
}

impl Spread {
    fn of(xs: &[f64]) -> Spread {
        let (mean, half) = mean_and_half_width(xs);
        Spread { mean, half }
    }

    fn percent(&self) -> String {
        format!("{:.2} ± {:.2} %", 100.0 * self.mean, 100.0 * self.half)
    }
}

/// One row: a steering mode and what it achieved.
#[derive(Debug, Clone, PartialEq)]
pub struct FairSteeringRow {
    /// `steer.pay_rate_tolerance` (None: unconstrained).
    pub tolerance: Option<f64>,
    /// Replications.
    pub replications: usize,
    /// (max − min) of the types' pay rates over the overall rate.
    pub pay_difference: Spread,
    /// The lowest-paid type (most often over replications).
    pub lowest_paid: String,
    /// (max − min) of the types' purchasing power over the overall.
    pub power_difference: Spread,
    /// Tasks done over the run, relative to the unconstrained row.
    pub tasks: Spread,
    /// Budget adherence, float and issuance.
    pub row: TokenRow,
}

/// Per-type rate Σ num_k / Σ den_k of one run's [T][K] series.
fn rates(num: &[f64], den: &[f64], k: usize) -> Vec<f64> {
    (0..k)
        .map(|kk| {
            let col = |v: &[f64]| v.iter().skip(kk).step_by(k).sum::<f64>();
            col(num) / col(den)
        })
        .collect()
}

/// (max − min)/overall over the finite rates.
fn relative_spread(rates: &[f64], overall: f64) -> f64 {
    let valid = rates.iter().copied().filter(|r| r.is_finite());
    let hi = valid.clone().fold(f64::NEG_INFINITY, f64::max);
    let lo = valid.fold(f64::INFINITY, f64::min);
    (hi - lo) / overall
}

fn floats(v: &[u64]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// The pay-rate and purchasing-power spreads, the lowest-paid type and the
/// tasks of one run.
fn fairness_of(r: &RunRecord) -> Result<(f64, usize, f64, f64)> {
    let t = r
        .series
        .tokens
        .as_ref()
        .ok_or_else(|| Error::Input("fair steering: the run has no token economy".into()))?;
    let k = r.series.types;
    let (tokens, tasks) = (floats(&t.task_tokens_by_type), floats(&t.tasks_by_type));
    let pay = rates(&tokens, &tasks, k);
    let overall_pay = tokens.iter().sum::<f64>() / tasks.iter().sum::<f64>();
    let lowest = (0..k)
        .filter(|&kk| pay[kk].is_finite())
        .min_by(|&a, &b| pay[a].total_cmp(&pay[b]))
        .unwrap_or(0);
    let redeemed: Vec<f64> = t
        .redeemed_real_by_type
        .iter()
        .zip(&t.redeemed_virtual_by_type)
        .map(|(a, b)| (a + b) as f64)
        .collect();
    let power = rates(&t.redeemed_at_reference_by_type, &redeemed, k);
    let overall_power =
        t.redeemed_at_reference_by_type.iter().sum::<f64>() / redeemed.iter().sum::<f64>();
    Ok((
        relative_spread(&pay, overall_pay),
        lowest,
        relative_spread(&power, overall_power),
        tasks.iter().sum(),
    ))
}

/// Tolerances compared with the unconstrained controller.
pub const FAIR_TOLERANCES: [Option<f64>; 4] = [None, Some(0.05), Some(0.02), Some(0.01)];

/// Runs the comparison.
pub fn fair_steering(size: Size) -> Result<Vec<FairSteeringRow>> {
    let replications = match size {
        Size::Full => 8,
        Size::Quick => 3,
    };
    let name = "fengdou-seasonal-steer.toml";
    let mut rows = Vec::new();
    let mut baseline_tasks = None;
    for tolerance in FAIR_TOLERANCES {
        let mut sets = vec![format!("simulation.replications={replications}")];
        if let Some(t) = tolerance {
            sets.push(format!("steer.pay_rate_tolerance={t}"));
        }
        let config = courier(name, size, &sets)?;
        let z = return_point(&config)?;
        let records = simulate(&config)?;
        let mut pay = Vec::new();
        let mut power = Vec::new();
        let mut tasks = Vec::new();
        let mut lowest = vec![0usize; config.types.len()];
        for r in &records {
            let (p, low, w, n) = fairness_of(r)?;
            pay.push(p);
            power.push(w);
            tasks.push(n);
            lowest[low] += 1;
        }
        // Common random numbers across rows: replication i of every row
        // has the same seed, so tasks are compared run by run.
        let reference: Vec<f64> = baseline_tasks.get_or_insert_with(|| tasks.clone()).clone();
        let relative: Vec<f64> = tasks.iter().zip(&reference).map(|(a, b)| a / b).collect();
        let most = (0..lowest.len()).max_by_key(|&k| lowest[k]).unwrap_or(0);
        let label = match tolerance {
            None => "unconstrained".to_string(),
            Some(t) => format!("pay_rate_tolerance = {t}"),
        };
        rows.push(FairSteeringRow {
            tolerance,
            replications: records.len(),
            pay_difference: Spread::of(&pay),
            lowest_paid: config.types[most].name.clone(),
            power_difference: Spread::of(&power),
            tasks: Spread::of(&relative),
            row: TokenRow::from_records(&label, &records, z)?,
        });
    }
    Ok(rows)
}

/// The comparison as a table.
pub fn fair_steering_table(rows: &[FairSteeringRow], size: Size) -> Table {
    let scale = match size {
        Size::Full => "full scale",
        Size::Quick => "1/10 scale",
    };
    let mut t = Table::new(
        format!(
            "The price of fair steering: configs/fengdou-seasonal-steer.toml, {scale}, {} replications per row",
            rows.first().map_or(0, |r| r.replications)
        ),
        &[
            "steering",
            "pay-rate difference",
            "lowest paid",
            "purchasing-power difference",
            "year-1 C/B",
            "penalty (¥)",
            "active float end vs Z",
            "mean |active − Z|/Z",
            "mean issuance (last 52 wk)",
            "tasks vs unconstrained",
        ],
    );
    for r in rows {
        t.row(vec![
            r.row.label.clone(),
            r.pay_difference.percent(),
            r.lowest_paid.clone(),
            r.power_difference.percent(),
            r.row
                .cash_over_budget
                .first()
                .map_or("-".into(), |c| format!("{c:.4}")),
            format!("{:.0}", r.row.penalty),
            format!("{:+.1} %", 100.0 * r.row.end_deviation),
            format!("{:.1} %", 100.0 * r.row.mean_deviation),
            format!("{:.3}", r.row.last_issuance_rate),
            format!("{:.4} ± {:.4}", r.tasks.mean, r.tasks.half),
        ]);
    }
    t.note("differences: (max − min over types)/overall rate, mean ± 95 % interval across replications; C/B: the year's cash cost over its budget; Z: the float band's return point on the active float");
    t
}
