//! Two-period memory (the paper's Appendix G): the fairness definition on
//! joint distributions of consecutive rewards (Definition G.1) and the
//! population identity behind Theorem G.2 (Lemma G.3), on
//! configs/paper/two-period.toml.

use super::{cell_seed, load, mean_profit, simulate, Size, Table};
use crate::error::{Error, Result};
use crate::fairness::two_period_fairness;
use crate::model::Model;
use crate::stats::{batch_means, Estimate};

/// The policies compared: the alternating cycle (discriminates), the best
/// fixed reward (static, everyone paid alike), the fluid policy φ* (static,
/// each agent drawn i.i.d.) and `markov`, the joint two-period policy in
/// which each agent alternates on its own clock (one ψ every period).
pub const TWO_PERIOD_POLICIES: [&str; 4] = ["cyclic", "fixed", "fluid", "markov"];

/// One policy's audit.
#[derive(Debug, Clone, PartialEq)]
pub struct TwoPeriodRow {
    /// One of [`TWO_PERIOD_POLICIES`].
    pub policy: String,
    /// Simulated profit.
    pub profit: Estimate,
    /// Realized q_k(r, r') per type (M×M, row = now), mean over replications.
    pub joint: Vec<Vec<f64>>,
    /// Realized max |q_k − q_k'| (Def. G.1): mean over replications, with
    /// the standard error of that mean.
    pub max_gap: Estimate,
    /// Per type: simulated mean veterans per unit θ, with its error.
    pub veterans: Vec<Estimate>,
    /// Per type: Lemma G.3's λ_k / p_k(q_k) from the realized q_k, per unit θ.
    pub lemma_veterans: Vec<f64>,
    /// The expected q_k computed without simulation ([`expected_joint`]).
    pub expected_joint: Vec<Vec<f64>>,
    /// Its largest |q_k − q_k'|.
    pub expected_gap: f64,
    /// Expected veterans per unit θ, per type.
    pub expected_veterans: Vec<f64>,
}

/// The study: every policy of [`TWO_PERIOD_POLICIES`].
#[derive(Debug, Clone, PartialEq)]
pub struct TwoPeriodStudy {
    /// Market size θ.
    pub theta: f64,
    /// Type names.
    pub types: Vec<String>,
    /// ε of the fairness check.
    pub epsilon: f64,
    /// One row per policy.
    pub rows: Vec<TwoPeriodRow>,
}

/// Runs the policies of [`TWO_PERIOD_POLICIES`] and audits Definition G.1.
pub fn two_period(size: Size) -> Result<TwoPeriodStudy> {
    let (periods, replications) = match size {
        Size::Quick => (3_000, 12),
        Size::Full => (20_000, 8),
    };
    let name = "two-period.toml";
    let base = load(name, &[])?;
    let mut rows = Vec::new();
    for (cell, policy) in TWO_PERIOD_POLICIES.into_iter().enumerate() {
        let config = load(
            name,
            &[
                format!("policy.kind={policy}"),
                format!("simulation.periods={periods}"),
                format!("simulation.replications={replications}"),
                cell_seed(base.simulation.seed, cell as u64),
            ],
        )?;
        let model = Model::new(&config);
        let (k, m) = (model.type_count(), model.reward_count());
        let theta = config.simulation.scale;
        let tables: Vec<Vec<f64>> = (0..k)
            .map(|kk| {
                joint_probabilities(&model, kk).ok_or_else(|| {
                    Error::Input(format!("{name}: type {kk} needs a joint_table departure"))
                })
            })
            .collect::<Result<_>>()?;
        let runs = simulate(&config)?;
        let from = config.simulation.warmup as usize;
        let mut joint = vec![vec![0.0; m * m]; k];
        let mut gaps = Vec::new();
        let mut lemma = vec![0.0; k];
        let mut per_type: Vec<Vec<Estimate>> = vec![Vec::new(); k];
        for run in &runs {
            let audit = two_period_fairness(&run.series, from)
                .ok_or_else(|| Error::Internal("a two-period run without pair counts".into()))?;
            gaps.push(Estimate {
                mean: audit.max_gap,
                std_error: f64::NAN,
                batches: 1,
            });
            let s = &run.series;
            for kk in 0..k {
                joint[kk]
                    .iter_mut()
                    .zip(&audit.joint[kk])
                    .for_each(|(a, b)| *a += b / runs.len() as f64);
                let p: f64 = audit.joint[kk]
                    .iter()
                    .zip(&tables[kk])
                    .map(|(q, p)| q * p)
                    .sum();
                lemma[kk] += model.types[kk].arrival_rate / p / runs.len() as f64;
                let veterans: Vec<f64> = (from..s.periods)
                    .map(|t| {
                        let at = (t * k + kk) * m * m;
                        s.pair_counts[at..at + m * m].iter().sum::<u64>() as f64 / theta
                    })
                    .collect();
                per_type[kk].push(batch_means(&veterans, 20));
            }
        }
        let plans: Vec<JointPlan> = match policy {
            "cyclic" => config
                .policy
                .cycle
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|phi| JointPlan::iid(phi, m))
                .collect(),
            "markov" => {
                let transition = config.policy.transition.clone().unwrap_or_default();
                let initial = config
                    .policy
                    .initial
                    .clone()
                    .unwrap_or_else(|| crate::policy::long_run_distribution(&transition));
                vec![JointPlan {
                    initial,
                    transition,
                }]
            }
            _ => vec![JointPlan::iid(
                crate::policy::build_policy(&config, &model)?
                    .stationary_distribution()
                    .ok_or_else(|| Error::Internal("a static policy without φ".into()))?
                    .to_vec(),
                m,
            )],
        };
        let (expected_joint, expected_veterans) = expected_joint(&model, &tables, &plans);
        rows.push(TwoPeriodRow {
            policy: policy.into(),
            profit: mean_profit(&runs),
            joint,
            max_gap: super::pooled(gaps.into_iter()),
            veterans: per_type
                .into_iter()
                .map(|e| super::pooled(e.into_iter()))
                .collect(),
            lemma_veterans: lemma,
            expected_gap: crate::fairness::max_pairwise_gap(&expected_joint),
            expected_joint,
            expected_veterans,
        });
    }
    Ok(TwoPeriodStudy {
        theta: base.simulation.scale,
        types: base.type_names(),
        epsilon: base.fairness.epsilon,
        rows,
    })
}

/// What a policy pays in one period of its cycle, as a joint policy:
/// newcomers from `initial`, an agent paid R[j] last period from
/// `transition[j]`.
#[derive(Debug, Clone, PartialEq)]
pub struct JointPlan {
    /// Newcomers' distribution over R.
    pub initial: Vec<f64>,
    /// Row j: distribution over R given R[j] last period.
    pub transition: Vec<Vec<f64>>,
}

impl JointPlan {
    /// Everyone drawn i.i.d. from φ, whatever they were paid before.
    pub fn iid(phi: Vec<f64>, m: usize) -> Self {
        JointPlan {
            transition: vec![phi.clone(); m],
            initial: phi,
        }
    }
}

/// The expected realized q_k of a policy given as a cycle of joint plans,
/// computed without simulation. Per type, v_t(j) = expected veterans at t
/// whose previous reward was R[j] (per unit θ). In period t a veteran paid
/// R[j] before is paid R[i] with probability P_t(i | j), so the expected
/// pair mass is W_t(i, j) = P_t(i | j) v_t(j); the λ_k newcomers, paid from
/// the initial distribution, all stay; a veteran paid (i, j) stays with
/// probability 1 − p_k(i, j):
///
///   v_{t+1}(i) = λ_k init_t(i) + Σ_j W_t(i, j) (1 − p_k(i, j)).
///
/// Iterated to the periodic orbit; returns q_k (M×M, row = now) and the
/// mean veterans per unit θ over the orbit.
pub fn expected_joint(
    model: &Model,
    tables: &[Vec<f64>],
    plans: &[JointPlan],
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let (m, tau) = (model.reward_count(), plans.len());
    let rounds = 20_000 * tau;
    let mut joint = Vec::new();
    let mut veterans = Vec::new();
    for (agent_type, table) in model.types.iter().zip(tables) {
        let lambda = agent_type.arrival_rate;
        let mut v = vec![0.0; m];
        let mut pairs = vec![0.0; m * m];
        let mut total = 0.0;
        for t in 0..rounds + tau {
            let plan = &plans[t % tau];
            // Row-major (now i, previous j).
            let w: Vec<f64> = (0..m * m)
                .map(|c| plan.transition[c % m][c / m] * v[c % m])
                .collect();
            if t >= rounds {
                pairs.iter_mut().zip(&w).for_each(|(a, b)| *a += b);
                total += v.iter().sum::<f64>();
            }
            v = (0..m)
                .map(|i| {
                    let stay: f64 = (0..m)
                        .map(|j| w[i * m + j] * (1.0 - table[i * m + j]))
                        .sum();
                    lambda * plan.initial[i] + stay
                })
                .collect();
        }
        joint.push(pairs.iter().map(|w| w / total).collect());
        veterans.push(total / tau as f64);
    }
    (joint, veterans)
}

/// p_k(r, r') row-major (now, previous), for a `joint_table` type.
fn joint_probabilities(model: &Model, k: usize) -> Option<Vec<f64>> {
    match model.types[k].departure.recall() {
        crate::model::Recall::Joint(table) => Some(table.clone()),
        _ => None,
    }
}

impl TwoPeriodStudy {
    /// The study as a table.
    pub fn table(&self) -> Table {
        let mut t = Table::new(
            format!(
                "Two-period memory (Appendix G): Definition G.1 and Lemma G.3 (configs/paper/two-period.toml, θ = {})",
                self.theta
            ),
            &["policy", "quantity", "simulated", "theory"],
        );
        for r in &self.rows {
            let m = (r.joint[0].len() as f64).sqrt().round() as usize;
            t.row(vec![
                r.policy.clone(),
                "profit".into(),
                format!("{:.5} ± {:.5}", r.profit.mean, r.profit.std_error),
                "-".into(),
            ]);
            for (k, q) in r.joint.iter().enumerate() {
                let cells: Vec<String> = (0..m * m)
                    .map(|c| format!("({},{}):{:.4}", c / m, c % m, q[c]))
                    .collect();
                let expected: Vec<String> = (0..m * m)
                    .map(|c| format!("{:.4}", r.expected_joint[k][c]))
                    .collect();
                t.row(vec![
                    r.policy.clone(),
                    format!("q_{}(now, previous)", self.types[k]),
                    cells.join(" "),
                    expected.join(" "),
                ]);
            }
            let verdict = if r.max_gap.mean <= self.epsilon {
                "fair"
            } else {
                "unfair"
            };
            t.row(vec![
                r.policy.clone(),
                "max |q_k − q_k'| (Def. G.1)".into(),
                format!(
                    "{:.5} ± {:.5} -> {verdict} at ε = {}",
                    r.max_gap.mean, r.max_gap.std_error, self.epsilon
                ),
                format!("{:.5}", r.expected_gap),
            ]);
            for (k, (v, lemma)) in r.veterans.iter().zip(&r.lemma_veterans).enumerate() {
                t.row(vec![
                    r.policy.clone(),
                    format!("veterans of {} per unit θ", self.types[k]),
                    format!("{:.4} ± {:.4}", v.mean, v.std_error),
                    format!(
                        "{:.4} (λ_k / p_k(q_k), Lemma G.3); {:.4} expected",
                        lemma, r.expected_veterans[k]
                    ),
                ]);
            }
        }
        t.note("theory column: the expected pairs and veterans computed without simulation (a recursion on veterans by previous reward)");
        t.note("markov: each agent alternates on its own clock (newcomers 50/50) — one joint distribution ψ every period, yet the same pairs and veterans per type as the cycle: the static ψ of Theorem G.2's construction; like the cycle it fails Definition G.1, and it pays agents of one period differently");
        t.note("fluid draws each agent's reward i.i.d.: who is still present depends on last period's reward and on the type, so realized pairs differ across types (selection); the paper's fluid model imposes ψ on all veterans and has no such effect; paying everyone one reward per period (fixed, a cycle of point masses) has none either");
        t.note("Theorem G.2: a static ψ = q_k keeps type k's veterans (Lemma G.3); under a fair policy q_k is one ψ for all types, so a static policy does as well: some optimal fair policy is static");
        t
    }
}
