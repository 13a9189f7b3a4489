//! Incentive value (model.md E.3): with `economy.incentive =
//! "purchasing_power"`, effort responds to ι π_t, where π_t is what a token
//! buys at this period's prices, weighted by last period's token-spend
//! shares; V_t = task_value × tasks is recorded. The oracle recomputes π_t
//! from the recorded sales and the configured reference prices, and the
//! expected tasks from the recorded active counts and the configured task
//! rates and elasticities.

mod common;

use common::{config, simulation};

const ECONOMY: &str = r#"
[simulation]
periods = 120
warmup = 0
seed = 11
scale = 100.0
initial = "steady_state"

[rewards]
values = [0.0, 2.5]

[revenue]
kind = "linear"
price = 1.0

[[types]]
name = "full_time"
arrival_rate = 0.5
task_rate = 30.0
effort_elasticity = 0.3
shopping_rate = 0.8
departure = { kind = "table", p = [0.05, 0.03] }

[[types]]
name = "part_time"
arrival_rate = 1.0
task_rate = 8.0
effort_elasticity = 0.8
shopping_rate = 0.4
departure_signal = "credited"
departure = { kind = "logistic", midpoint = 20.0, scale = 8.0, lo = 0.02, hi = 0.4 }

[policy]
kind = "static"
distribution = [0.5, 0.5]

[economy]
issuance_rate = 1.7
periods_per_year = 52
initial_balance = { kind = "exponential", mean = 150.0 }
task_value = 2.5
INCENTIVE

[[mall.goods]]
name = "skin"
channel = "virtual"
price = 80.0
class = "B"

[[mall.goods]]
name = "rice"
channel = "real"
price = 200.0
cash_cost = 20.0
class = "A"
weight = 2.0

[[mall.goods]]
name = "phone_card"
channel = "real"
price = 500.0
cash_cost = 50.0
class = "C"
"#;

fn text(extra: &str) -> String {
    ECONOMY.replace("INCENTIVE", extra)
}

/// At reference prices π_t = 1 exactly, so the purchasing-power model is
/// the issuance model, draw for draw.
#[test]
fn at_reference_prices_purchasing_power_changes_nothing() {
    let run = |extra: &str| {
        let mut sim = simulation(&config(&text(extra)), 0);
        common::tallies(&mut sim, 120)
    };
    let plain = run("");
    let valued = run("incentive = \"purchasing_power\"");
    assert!(valued.iter().all(|t| t.purchasing_power == 1.0));
    assert_eq!(plain, valued);
}

/// Real prices ×1.3 and virtual ×0.8: π_t is what the oracle computes from
/// last period's sales, and the tasks done match Σ_k N_k μ_k (ι π_t)^η_k
/// within 4 Poisson standard errors — while the issuance-only prediction
/// Σ_k N_k μ_k ι^η_k is rejected.
#[test]
fn effort_follows_purchasing_power() {
    let config = config(&text(
        "incentive = \"purchasing_power\"\nreal_price_multiplier = 1.3\nvirtual_price_multiplier = 0.8",
    ));
    let mut sim = simulation(&config, 3);
    let tallies = common::tallies(&mut sim, 120);
    // (reference price, multiplier) per good, in file order.
    let goods: [(f64, f64); 3] = [(80.0, 0.8), (200.0, 1.3), (500.0, 1.3)];
    let price = |j: usize| (goods[j].0 * goods[j].1).round();
    let (mu, eta, iota) = ([30.0, 8.0], [0.3, 0.8], 1.7_f64);
    let (mut tasks, mut valued, mut plain) = (0.0, 0.0, 0.0);
    let mut lowest = f64::INFINITY;
    for w in tallies.windows(2) {
        let (last, t) = (&w[0], &w[1]);
        let spent: Vec<f64> = (0..3).map(|j| last.sales[j] as f64 * price(j)).collect();
        let total: f64 = spent.iter().sum();
        let pi: f64 = (0..3)
            .map(|j| spent[j] * goods[j].0 / price(j))
            .sum::<f64>()
            / total;
        assert!(
            (t.purchasing_power - pi).abs() < 1e-12,
            "period {}: π {} vs oracle {pi}",
            t.period,
            t.purchasing_power
        );
        assert!((t.incentive_value - 2.5 * t.tasks as f64).abs() < 1e-9);
        lowest = lowest.min(pi);
        tasks += t.tasks as f64;
        for k in 0..2 {
            let n = t.active[k] as f64;
            valued += n * mu[k] * (iota * pi).powf(eta[k]);
            plain += n * mu[k] * iota.powf(eta[k]);
        }
    }
    let se = valued.sqrt();
    eprintln!(
        "lowest π {lowest:.4}; tasks {tasks:.0}, expected {valued:.0} ± {se:.0} (issuance only: {plain:.0})"
    );
    assert!(lowest < 1.0, "the instance must move π");
    assert!(
        (tasks - valued).abs() < 4.0 * se,
        "tasks {tasks} vs {valued} ± {se}"
    );
    assert!(
        (tasks - plain).abs() > 10.0 * se,
        "issuance-only prediction not rejected"
    );
}
