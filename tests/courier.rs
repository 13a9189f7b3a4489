//! The courier scenario (configs/fengdou-*.toml) at 1/10 and 1/100 scale
//! (40,000 couriers and a ¥4M budget, or 4,000 and ¥400k), so that
//! per-courier flows are those of the full 400,000-courier runs and totals
//! scale by 10 or 100. The baseline must reproduce the research table's
//! baseline row (model.md B.6) within ±5 %; with the controller, the valve
//! lands the year's cash on the budget (P1), alone when an operator pins
//! issuance, and over five years without the dead-balance collapse.

mod common;

use std::path::Path;

use tokensim::config::Config;
use tokensim::runner::{run_experiment, Progress};

/// (issuance, redemption, real, virtual, starting float, ending float) in
/// 10^8 tokens at full scale.
fn table(name: &str) -> [f64; 6] {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("configs")
        .join(name);
    let sets = [
        "simulation.scale=40000".to_string(),
        "budget.annual=4.0e6".to_string(),
    ];
    let config = Config::load(&path, &sets).unwrap();
    let record = &run_experiment(&config, &Progress::hidden()).unwrap()[0];
    let t = record.series.tokens.as_ref().unwrap();
    let sum = |v: &[u64]| v.iter().sum::<u64>() as f64;
    let (issued, real, virt) = (
        sum(&t.issuance),
        sum(&t.redeemed_real),
        sum(&t.redeemed_virtual),
    );
    let end = *t.float.last().unwrap() as f64;
    let start = end - issued + real + virt + sum(&t.forfeited);
    let full = |x: f64| x * 10.0 / 1e8;
    [
        full(issued),
        full(real + virt),
        full(real),
        full(virt),
        full(start),
        full(end),
    ]
}

#[test]
fn baseline_reproduces_the_research_row() {
    let research = [4.44, 3.42, 2.20, 1.22, 2.1, 3.11];
    let names = [
        "issuance",
        "redemption",
        "real",
        "virtual",
        "starting float",
        "ending float",
    ];
    let base = table("fengdou-baseline.toml");
    for ((name, got), want) in names.iter().zip(base).zip(research) {
        eprintln!("baseline {name}: {got:.3} vs research {want}");
        assert!(
            (got / want - 1.0).abs() <= 0.05,
            "{name}: {got:.3} vs {want}"
        );
    }
    let steer = table("fengdou-steer.toml");
    let change = |i: usize| steer[i] / base[i] - 1.0;
    eprintln!(
        "steering: issuance {:+.1}%, real {:+.1}%, virtual {:+.1}%, ending float {:+.1}%",
        100.0 * change(0),
        100.0 * change(2),
        100.0 * change(3),
        100.0 * change(5)
    );
    // The research's steering row (model.md B.6, issue 12 point 4): real
    // flat within 2 %, virtual +25 to +45 %, ending float −15 to −30 %.
    assert!(change(2).abs() <= 0.02, "real {}", change(2));
    assert!((0.25..=0.45).contains(&change(3)), "virtual {}", change(3));
    assert!((-0.30..=-0.15).contains(&change(5)), "float {}", change(5));
}

/// The steered first budget year's cash cost over its budget, and the mean
/// issuance rate of each year, for `text` with `sets` at 1/100 scale.
fn steered_years(text: &str, sets: &[String]) -> Vec<(f64, f64, f64)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/fengdou-steer.toml");
    let mut all = vec![
        "simulation.scale=4000".to_string(),
        "budget.annual=4.0e5".to_string(),
        "budget.hard_cap=false".to_string(),
    ];
    all.extend_from_slice(sets);
    let config = Config::from_toml(text, &path, &all).unwrap();
    let record = &run_experiment(&config, &Progress::hidden()).unwrap()[0];
    let t = record.series.tokens.as_ref().unwrap();
    let years = record.info.budget_years.len();
    (0..years)
        .map(|y| {
            let weeks = 52 * y..52 * (y + 1);
            let iota = t.levers[weeks.clone()].iter().map(|l| l[0]).sum::<f64>() / 52.0;
            let tasks = t.tasks[weeks].iter().sum::<u64>() as f64;
            let year = &record.info.budget_years[y];
            (year.cost / year.budget, iota, tasks)
        })
        .collect()
}

/// P1 (model.md E.3): with real prices fixed at 1, the valve alone lands the
/// year's cash within 2 % of the budget when an operator pins issuance for
/// the whole run at 1.15 or at 0.9. Without the valve (it too pinned at 1),
/// issuance 1.15 costs about a quarter over the budget, so the 2 % is the
/// valve's work. No hard cap here (it would ration the overspend away).
#[test]
fn the_valve_alone_lands_the_budget_under_pinned_issuance() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/fengdou-steer.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let pinned = |iota: f64, valve_band: &str| {
        let text = format!(
            "{text}\n[[overrides]]\nperiod = 0\nlever = \"issuance_rate\"\nvalue = {iota}\n"
        );
        let sets = [
            "steer.real_price_band=[1.0, 1.0]".to_string(),
            format!("steer.valve_band={valve_band}"),
            "simulation.periods=52".to_string(),
        ];
        steered_years(&text, &sets)[0].0
    };
    let fixed = pinned(1.15, "[1.0, 1.0]");
    eprintln!("issuance pinned at 1.15, no valve: cash / budget {fixed:.4}");
    assert!(
        fixed > 1.02,
        "the scenario does not need the valve: {fixed}"
    );
    for iota in [1.15, 0.9] {
        let ratio = pinned(iota, "[0.3, 1.5]");
        eprintln!("issuance pinned at {iota}, valve alone: cash / budget {ratio:.4}");
        assert!((ratio - 1.0).abs() <= 0.02, "ι = {iota}: {ratio}");
    }
}

/// λV in the objective (model.md E.3, issue 12 point 3). With effort
/// answering purchasing power, the λ > 0 controller weighs the value of
/// tasks against the expected budget penalty: it prices virtual goods
/// lower (a token buys more, couriers work more) and lands the budget as
/// the λ = 0 controller does. Both runs share the seed (common random
/// numbers); 1/100 scale, one budget year. The checks are the objective's
/// own: more incentive value (tasks × task_value), the year's cash within
/// 1 % of budget for both, the active float inside the band at the end.
#[test]
fn weighing_incentive_value_buys_more_tasks_on_the_same_budget() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/fengdou-steer.toml");
    let run = |lambda: f64| {
        let sets = [
            "simulation.scale=4000".to_string(),
            "budget.annual=4.0e5".to_string(),
            "budget.hard_cap=false".to_string(),
            "simulation.periods=52".to_string(),
            "economy.incentive=\"purchasing_power\"".to_string(),
            format!("steer.value_weight={lambda}"),
        ];
        let config = Config::load(&path, &sets).unwrap();
        let record = run_experiment(&config, &Progress::hidden())
            .unwrap()
            .remove(0);
        let t = record.series.tokens.as_ref().unwrap();
        let year = &record.info.budget_years[0];
        let value: f64 = t.incentive_value.iter().sum();
        let active = (*t.float.last().unwrap() - *t.dormant_float.last().unwrap()) as f64 / 4000.0;
        (year.cost / year.budget, value, active)
    };
    let (ratio0, value0, active0) = run(0.0);
    let (ratio1, value1, active1) = run(0.01);
    eprintln!(
        "λ = 0: C/B {ratio0:.4}, V {value0:.0}, active float {active0:.0}; \
         λ = 0.01: C/B {ratio1:.4}, V {value1:.0}, active float {active1:.0}"
    );
    assert!((ratio0 - 1.0).abs() <= 0.01 && (ratio1 - 1.0).abs() <= 0.01);
    // V = tasks here (task_value 1): tasks are Poisson given the couriers
    // present, so a difference beyond 10 standard errors (√V each) is the
    // controller's, not noise; measured: +1.9 %, about 40 s.e.
    assert!(
        value1 - value0 > 10.0 * (value0 + value1).sqrt(),
        "{value1} vs {value0}"
    );
    assert!((300.0..=400.0).contains(&active1), "{active1}");
}

/// Five budget years (model.md E.3, issue 12 point 7): every year's cash
/// within 2 % of its budget, the last year's issuance ≥ 0.85 and its tasks
/// ≥ 95 % of the first year's. A band on the whole float, which chases the
/// leavers' balances, fails the last two (checked as the contrast).
#[test]
fn five_years_stay_on_budget_without_collapsing_issuance() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/fengdou-steer.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let five = |measure: &str| {
        steered_years(
            &text,
            &[
                "simulation.periods=260".to_string(),
                format!("steer.float_measure=\"{measure}\""),
            ],
        )
    };
    let active = five("active");
    for (y, (ratio, iota, tasks)) in active.iter().enumerate() {
        eprintln!(
            "active band, year {}: cash / budget {ratio:.4}, issuance {iota:.3}, tasks {:.3} of year 1",
            y + 1,
            tasks / active[0].2
        );
    }
    assert_eq!(active.len(), 5);
    for (y, (ratio, _, _)) in active.iter().enumerate() {
        assert!((ratio - 1.0).abs() <= 0.02, "year {}: {ratio}", y + 1);
    }
    let last = active[4];
    assert!(last.1 >= 0.85, "last-year issuance {}", last.1);
    assert!(
        last.2 >= 0.95 * active[0].2,
        "last-year tasks {}",
        last.2 / active[0].2
    );
    let whole = five("whole");
    let last = whole[4];
    eprintln!(
        "whole-float band, year 5: issuance {:.3}, tasks {:.3} of year 1",
        last.1,
        last.2 / whole[0].2
    );
    assert!(last.1 < 0.85 && last.2 < 0.95 * whole[0].2);
}

/// Three budget years at 1/100 scale, with an unforeseen slump at the end of
/// every year (shopping visits ×0.7 in weeks 45–52) that the real-price band
/// cannot fully make up, and a float band wide enough that issuance stays
/// put (so the years differ only by the budget). Targeting the
/// ratchet-aware fractile κ_o/(κ_o + κ_u + ρV') plans to spend more before
/// the slump than the myopic κ_o/(κ_o + κ_u), so it under-spends less, and
/// year 3 starts from a larger budget, at a comparable total penalty.
/// 32 paired replications (replication i has the same seed in both arms).
/// Without such shocks the controller tracks the budget to within one
/// week's noise and the two targets differ by a few yuan only.
#[test]
fn the_ratchet_aware_target_keeps_a_larger_budget() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/fengdou-steer.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    for year in 0..3 {
        for k in 0..3 {
            text += &format!(
                "\n[[events]]\nname = \"year-end slump\"\nfrom = {}\nto = {}\n\
                 key = \"types.{k}.shopping_rate\"\nfactor = 0.7\n",
                52 * year + 44,
                52 * year + 51
            );
        }
    }
    let replications = 32;
    let years = |aware: bool| {
        let sets = [
            "simulation.scale=4000".to_string(),
            "budget.annual=4.0e5".to_string(),
            "budget.hard_cap=false".to_string(),
            "simulation.periods=156".to_string(),
            "steer.float_band=[400.0, 5000.0]".to_string(),
            format!("simulation.replications={replications}"),
            format!("steer.ratchet_aware={aware}"),
        ];
        let config = Config::from_toml(&text, &path, &sets).unwrap();
        run_experiment(&config, &Progress::hidden())
            .unwrap()
            .into_iter()
            .map(|r| r.info.budget_years)
            .collect::<Vec<_>>()
    };
    let (myopic, aware) = (years(false), years(true));
    assert_eq!((myopic.len(), aware.len()), (replications, replications));
    assert!(myopic.iter().chain(&aware).all(|y| y.len() == 3));
    let penalty = |y: &[tokensim::engine::BudgetYear]| y.iter().map(|x| x.penalty).sum::<f64>();
    let paired = |f: &dyn Fn(&[tokensim::engine::BudgetYear]) -> f64| {
        let d: Vec<f64> = aware
            .iter()
            .zip(&myopic)
            .map(|(a, m)| f(a) - f(m))
            .collect();
        let (mean, var) = common::mean_var(&d);
        (mean, (var / d.len() as f64).sqrt())
    };
    let mean = |arm: &[Vec<tokensim::engine::BudgetYear>],
                f: &dyn Fn(&[tokensim::engine::BudgetYear]) -> f64| {
        arm.iter().map(|y| f(y)).sum::<f64>() / arm.len() as f64
    };
    let year3 = |y: &[tokensim::engine::BudgetYear]| y[2].budget;
    let (budget_gain, budget_se) = paired(&year3);
    let (penalty_change, penalty_se) = paired(&penalty);
    eprintln!(
        "year-3 budget: myopic {:.0}, ratchet-aware {:.0} (paired difference {budget_gain:.0} ± {budget_se:.0}); \
         total penalty {:.0} vs {:.0} (difference {penalty_change:.0} ± {penalty_se:.0})",
        mean(&myopic, &year3),
        mean(&aware, &year3),
        mean(&myopic, &penalty),
        mean(&aware, &penalty),
    );
    assert!(
        budget_gain > 0.0,
        "the ratchet-aware target kept no larger budget"
    );
    assert!(
        mean(&aware, &penalty) <= 1.1 * mean(&myopic, &penalty),
        "penalty not comparable"
    );
}

/// Robustness: with the controller's elasticity beliefs off by ×0.5 and
/// ×1.5, steering still lands the cash cost within 1.5 % of the budget (the
/// controller aims slightly below it: the critical fractile; 1/100 scale,
/// two replications each).
#[test]
fn steering_is_robust_to_wrong_elasticity_beliefs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let run = |file: &str, error: f64| {
        let sets = [
            "simulation.scale=4000".to_string(),
            "budget.annual=4.0e5".to_string(),
            "budget.hard_cap=false".to_string(),
            "simulation.replications=2".to_string(),
        ];
        // The baseline has no [steer] table: set the error on the struct.
        let mut config = Config::load(&root.join(file), &sets).unwrap();
        if let Some(steer) = &mut config.steer {
            steer.elasticity_error = error;
        }
        let records = run_experiment(&config, &Progress::hidden()).unwrap();
        let mean = |f: &dyn Fn(&tokensim::record::TokenSeries) -> f64| {
            records
                .iter()
                .map(|r| f(r.series.tokens.as_ref().unwrap()))
                .sum::<f64>()
                / records.len() as f64
        };
        (
            mean(&|t| t.cash_cost.iter().sum()),
            mean(&|t| t.redeemed_virtual.iter().sum::<u64>() as f64),
        )
    };
    // The budget for the 56 weeks run: 4e5 × 56/52 yuan.
    let target = 4.0e5 * 56.0 / 52.0;
    let (base_cash, base_virtual) = run("fengdou-baseline.toml", 1.0);
    for error in [0.5, 1.5] {
        let (cash, virt) = run("fengdou-steer.toml", error);
        eprintln!(
            "elasticity ×{error}: cash {cash:.0} (baseline {base_cash:.0}, target {target:.0}), virtual {:+.1}%",
            100.0 * (virt / base_virtual - 1.0)
        );
        assert!(
            (cash / target - 1.0).abs() < 0.015,
            "cash {cash} vs budget {target}"
        );
    }
}

/// P2 (model.md E.3): the penalty weights set the fractile the year's cost
/// is planned at. With κ_o/κ_u = 10 the controller plans at
/// z* = Φ⁻¹(10/11) = +1.34 predictive standard deviations below the budget,
/// with 1/10 at −1.34. The controller re-plans every week, so what is left
/// uncertain when the year closes is about one week's prediction error σ_e,
/// and the two arms' year costs should differ by about 2.67 σ_e — which the
/// spread of the year's cost across replications also measures. 16 paired
/// replications at 1/100 scale (the same seed for replication i in both
/// arms): the difference must be positive by 4 paired s.e. and of the
/// predicted size within a factor of two.
#[test]
fn penalty_weights_set_the_planned_fractile() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/fengdou-steer.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let replications = 16;
    let costs = |over: f64, under: f64| {
        let sets = [
            "simulation.scale=4000".to_string(),
            "budget.annual=4.0e5".to_string(),
            "budget.hard_cap=false".to_string(),
            format!("simulation.replications={replications}"),
            format!("budget.over_penalty={over}"),
            format!("budget.under_penalty={under}"),
        ];
        let config = Config::from_toml(&text, &path, &sets).unwrap();
        run_experiment(&config, &Progress::hidden())
            .unwrap()
            .into_iter()
            .map(|r| r.info.budget_years[0].cost / r.info.budget_years[0].budget)
            .collect::<Vec<_>>()
    };
    let (averse, lenient) = (costs(10.0, 1.0), costs(1.0, 10.0));
    let d: Vec<f64> = lenient.iter().zip(&averse).map(|(l, a)| l - a).collect();
    let (mean, var) = common::mean_var(&d);
    let se = (var / d.len() as f64).sqrt();
    let (_, var_a) = common::mean_var(&averse);
    let (_, var_l) = common::mean_var(&lenient);
    let sigma = (0.5 * (var_a + var_l)).sqrt();
    let z = 1.335_177_736_118_937_5; // Φ⁻¹(10/11), from tables
    let predicted = 2.0 * z * sigma;
    eprintln!(
        "year cost / budget: κ 10/1 {:.5}, 1/10 {:.5}; difference {mean:.5} ± {se:.5}, \
         predicted 2 z* σ = {predicted:.5} (σ = {sigma:.5})",
        averse.iter().sum::<f64>() / averse.len() as f64,
        lenient.iter().sum::<f64>() / lenient.len() as f64,
    );
    assert!(mean > 4.0 * se, "over-averse weights did not plan lower");
    assert!(
        mean > 0.5 * predicted && mean < 2.0 * predicted,
        "difference {mean} vs predicted {predicted}"
    );
}

/// The research table's "optimized target" (issue 12, point 6): the
/// full-information optimiser finds constant levers that land the first
/// budget year's cash on its budget and the active float on its return
/// point (a shrinking grid over simulations with common random numbers), at
/// 1/10 scale. Whole-token prices make both residuals staircases in the
/// valve, so "meets" is within 1 %: the final grid's spacing (ln ι ± 0.0125,
/// ln m_v ± 0.025) moves cash by about 0.5 % and the float by about 3 %, and
/// the best point of the grid is kept.
#[test]
fn the_optimized_target_meets_both_targets() {
    let table = tokensim::experiments::token_table(tokensim::experiments::Size::Quick).unwrap();
    eprintln!("{}", table.table());
    let [cash, float] = table.optimized_residuals;
    assert!(cash.abs() < 0.01 && float.abs() < 0.01, "{cash} {float}");
    let steered = &table.rows[2];
    assert!((steered.cash_over_budget[0] - 1.0).abs() <= 0.01);
}

/// The stress suite (issue 12, point 7), one replication per scenario at
/// 1/10 scale: inside the levers' reach — a surge and a slump of a quarter
/// of the year, elasticity beliefs off by ×0.5 or ×1.5, true elasticities
/// drawn within their class ranges — every budget year lands within 2 %.
/// A 25 % budget cut and a permanent +20 % demand are beyond the valve's
/// and the real-price band's reach (README), and are reported, not bounded.
#[test]
fn the_stress_suite_stays_on_budget_within_the_levers_reach() {
    let rule = tokensim::config::IssuanceRule::Band;
    let rows =
        tokensim::experiments::token_stress(tokensim::experiments::Size::Quick, rule).unwrap();
    eprintln!("{}", tokensim::experiments::stress_table(&rows, rule));
    for row in rows
        .iter()
        .filter(|r| !r.scenario.starts_with("budget cut") && !r.scenario.starts_with("demand"))
    {
        assert!(
            row.worst_miss <= 0.02,
            "{}: {}",
            row.scenario,
            row.worst_miss
        );
    }
    let cut = rows
        .iter()
        .find(|r| r.scenario.starts_with("budget cut"))
        .unwrap();
    assert!(
        cut.row.cash_over_budget[1] > 1.02,
        "the budget cut is within reach now: update the README"
    );
}

/// `steer.issuance_rule = "return"`: issuance aims each period at closing
/// 1/horizon of the active float's gap to its return point, net of the
/// balances leaving with couriers, instead of stepping only outside the
/// band. On the stress suite (1/10 scale, one replication each) every budget
/// year lands within 2 % — the 25 % budget cut included, which the band rule
/// misses, because issuance no longer rises against the budget while the
/// valve is at its floor — and the active float ends nearer Z than under the
/// band rule in every scenario, with a smaller mean deviation on average.
#[test]
fn the_return_rule_holds_the_float_and_lands_the_budget_cut() {
    use tokensim::config::IssuanceRule;
    use tokensim::experiments::{stress_table, token_stress, Size};
    let band = token_stress(Size::Quick, IssuanceRule::Band).unwrap();
    let back = token_stress(Size::Quick, IssuanceRule::Return).unwrap();
    eprintln!("{}", stress_table(&back, IssuanceRule::Return));
    for row in &back {
        assert!(
            row.worst_miss <= 0.02,
            "{}: {}",
            row.scenario,
            row.worst_miss
        );
    }
    for (b, r) in band.iter().zip(&back) {
        assert!(
            r.row.end_deviation.abs() < b.row.end_deviation.abs(),
            "{}: {} vs {}",
            b.scenario,
            r.row.end_deviation,
            b.row.end_deviation
        );
    }
    let mean = |rows: &[tokensim::experiments::StressRow]| {
        rows.iter().map(|r| r.row.mean_deviation).sum::<f64>() / rows.len() as f64
    };
    assert!(
        mean(&back) < mean(&band),
        "{} vs {}",
        mean(&back),
        mean(&band)
    );
}

/// Real prices by elasticity class (model.md E.3, P1: "real prices
/// fine-tune within-channel volume by elasticity class"). With the valve
/// pinned at 1 and issuance pinned at 1.15, real prices must cut the year's
/// cash by ≈ 3.6 % (the budget is set so; no hard cap). Each real good's cash is proportional to its token
/// spend, so to first order a cut x costs purchasing power
/// x·(real share)/|ē| when all real prices move alike (ē the cash-weighted
/// mean elasticity) and x·(real share)/|e_c| when only class c moves: the
/// by-class controller, moving the most elastic classes (B and D, −1.3)
/// first, loses |ē|/1.3 of the uniform one's purchasing power. The oracle
/// is computed here from the mall's prices, weights and classes; the
/// tolerance (±20 %) is the linearisation's, second order in the price
/// moves (up to ln 1.2 ≈ 0.18), plus whole-token rounding: a uniform move of
/// ≈ 6 % leaves a 5-token good's price where it is and moves an 8-token
/// one by 12 %. At 1/10 scale (here) seeds 1, 2, 3, 4, 7 and 99 give
/// 0.51–0.61 against 0.533. At 1/100 scale the cut needed varies from
/// 2.7 % to 4.7 % with the seed, the moves shrink to a few whole-token
/// steps, and the first-order oracle no longer applies (ratios 0.47–0.91),
/// which is why this test runs at 1/10. Effort answers purchasing power, so
/// the by-class controller also keeps more tasks.
#[test]
fn real_prices_by_class_cost_less_purchasing_power() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/fengdou-steer.toml");
    let text = std::fs::read_to_string(&path).unwrap()
        + "\n[[overrides]]\nperiod = 0\nlever = \"issuance_rate\"\nvalue = 1.15\n";
    let run = |mode: &str| {
        let sets = [
            "simulation.scale=40000".to_string(),
            // The scenario's real demand at ι = 1.15 and unit prices is 24 %
            // over its ¥4M budget (the hard cap's stock-outs do the rest
            // there); this budget leaves the 3.6 % cut the test is about.
            "budget.annual=4.77e6".to_string(),
            "budget.hard_cap=false".to_string(),
            "simulation.periods=52".to_string(),
            "steer.valve_band=[1.0, 1.0]".to_string(),
            "economy.incentive=\"purchasing_power\"".to_string(),
            format!("steer.real_prices=\"{mode}\""),
        ];
        let config = Config::from_toml(&text, &path, &sets).unwrap();
        let record = run_experiment(&config, &Progress::hidden())
            .unwrap()
            .remove(0);
        let t = record.series.tokens.as_ref().unwrap();
        let year = &record.info.budget_years[0];
        let pi = t.purchasing_power.iter().sum::<f64>() / t.purchasing_power.len() as f64;
        let tasks = t.tasks.iter().sum::<u64>() as f64;
        (
            year.cost / year.budget,
            pi,
            tasks,
            *t.class_levers.last().unwrap(),
        )
    };
    let (class_ratio, class_pi, class_tasks, classes) = run("by_class");
    let (uniform_ratio, uniform_pi, uniform_tasks, _) = run("uniform");
    // The oracle: cash-weighted mean |e| of the real goods, from the file.
    let config = Config::load(&path, &[]).unwrap();
    let (mut weighted, mut cash) = (0.0, 0.0);
    for g in config.mall.goods.iter().filter(|g| g.cash_cost.is_some()) {
        let c = g.cash_cost.unwrap() * g.weight;
        weighted += c * g.elasticity().abs();
        cash += c;
    }
    let predicted = (weighted / cash) / 1.3;
    let measured = (1.0 - class_pi) / (1.0 - uniform_pi);
    eprintln!(
        "by class: C/B {class_ratio:.4}, π {class_pi:.4}, tasks {class_tasks:.0}, classes {classes:?}; \
         uniform: C/B {uniform_ratio:.4}, π {uniform_pi:.4}, tasks {uniform_tasks:.0}; \
         π loss ratio {measured:.3}, predicted |ē|/1.3 = {predicted:.3}"
    );
    assert!((class_ratio - 1.0).abs() <= 0.02 && (uniform_ratio - 1.0).abs() <= 0.02);
    assert!(
        (measured / predicted - 1.0).abs() <= 0.2,
        "{measured} vs {predicted}"
    );
    // The inelastic classes A and C are left alone (within the 1 % left of
    // a brief move while B and D were still on their way).
    assert!(
        (classes[0] - 1.0).abs() < 0.01 && (classes[2] - 1.0).abs() < 0.01,
        "{classes:?}"
    );
    assert!(class_tasks > uniform_tasks);
}
