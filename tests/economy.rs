//! The token economy (first part: fixed levers): the float identity holds
//! exactly every period, the budget ratchet cuts by exactly ρ(B − C)^+, the
//! hard cap stops real redemption, results do not depend on threads, and
//! bad economy input is rejected.

mod common;

use std::process::Command;

use common::{binary, config, simulation};
use tokensim::runner::{run_experiment, thread_pool, Progress};

const ECONOMY: &str = r#"
[simulation]
periods = 160
warmup = 0
seed = 5
scale = 100.0
initial = "steady_state"

[rewards]
values = [0.0, 2.5, 10.0]

[revenue]
kind = "linear"
price = 1.0

[[types]]
name = "full_time"
arrival_rate = 0.5
task_rate = 30.0
effort_elasticity = 0.3
shopping_rate = 0.8
departure = { kind = "table", p = [0.05, 0.03, 0.02] }

[[types]]
name = "part_time"
arrival_rate = 1.0
task_rate = 8.0
shopping_rate = 0.4
departure_signal = "credited"
departure = { kind = "logistic", midpoint = 20.0, scale = 8.0, lo = 0.02, hi = 0.4 }

[policy]
kind = "static"
distribution = [0.5, 0.3, 0.2]

[economy]
issuance_rate = 1.7
periods_per_year = 52
initial_balance = { kind = "exponential", mean = 150.0 }

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

[budget]
annual = 1.0e6
ratchet = 0.4
"#;

/// K_t = K_{t−1} + I_t − R_t − F_t exactly, and K_t equals the balances
/// outstanding counted agent by agent, in every period — with balances
/// forfeited on departure and with balances kept as a liability.
#[test]
fn float_identity_holds_exactly_every_period() {
    for forfeit in ["true", "false"] {
        let text = ECONOMY.replace(
            "periods_per_year = 52",
            &format!("periods_per_year = 52\nforfeit_on_departure = {forfeit}"),
        );
        let config = config(&text);
        let mut sim = simulation(&config, 0);
        let mut previous = sim.float_by_balances().unwrap();
        let mut forfeited = 0;
        let mut dormant = 0;
        for _ in 0..config.simulation.periods {
            let t = sim.step().clone();
            assert_eq!(
                t.float,
                previous + t.issuance - t.redeemed_real - t.redeemed_virtual - t.forfeited
            );
            assert_eq!(
                Some(t.float),
                sim.float_by_balances(),
                "period {}",
                t.period
            );
            // Active + dormant = K_t; active is what the couriers present hold.
            assert_eq!(Some(t.float - t.dormant_float), sim.active_balances());
            if forfeit == "true" {
                assert_eq!(t.dormant_float, 0, "forfeited balances leave the float");
            }
            assert!(t.dormant_float >= dormant, "leavers never come back");
            dormant = t.dormant_float;
            assert!(t.issuance > 0 && t.redeemed_real > 0 && t.redeemed_virtual > 0);
            previous = t.float;
            forfeited += t.forfeited;
        }
        assert_eq!(forfeited > 0, forfeit == "true");
        assert_eq!(dormant > 0, forfeit == "false");
    }
}

/// Under-spending a budget cuts next year's by exactly ρ(B − C)^+; the
/// penalty is κ_o(C − B)^+ + κ_u(B − C)^+.
#[test]
fn the_ratchet_cuts_by_exactly_rho_times_the_underspend() {
    let config = config(&ECONOMY.replace("periods = 160", "periods = 156"));
    let mut sim = simulation(&config, 1);
    sim.run(156, |_| {});
    let years = sim.budget_years().to_vec();
    assert_eq!(years.len(), 3);
    for w in years.windows(2) {
        let (b, c) = (w[0].budget, w[0].cost);
        assert!(
            c < b,
            "the test instance under-spends: cost {c} vs budget {b}"
        );
        assert_eq!(w[1].budget, b - 0.4 * (b - c));
        assert_eq!(w[0].penalty, 0.5 * (b - c));
    }
    assert!(years[2].budget < years[0].budget);
}

/// With a hard cap, real goods are off sale once the year's cost reaches
/// the budget (checked at the start of each period), until the year ends.
#[test]
fn the_hard_cap_stops_real_redemption() {
    let text = ECONOMY.replace("annual = 1.0e6", "annual = 2.0e5\nhard_cap = true");
    let config = config(&text);
    let mut sim = simulation(&config, 2);
    let mut cost = 0.0;
    let mut capped_periods = 0;
    for t in 0..52 {
        let tally = sim.step().clone();
        if cost >= 2.0e5 {
            assert_eq!(tally.redeemed_real, 0, "period {t}");
            capped_periods += 1;
        }
        cost += tally.cash_cost;
    }
    assert!(capped_periods > 0);
    let year = sim.budget_years()[0];
    assert!(year.cost >= 2.0e5 && year.cost < 2.0e5 + 2.0e4, "{year:?}");
}

#[test]
fn token_runs_are_identical_across_thread_counts() {
    let config = config(
        &ECONOMY
            .replace("scale = 100.0", "scale = 2000.0")
            .replace("periods = 160", "periods = 60"),
    );
    let runs: Vec<_> = [1, 2, 8]
        .iter()
        .map(|&n| {
            thread_pool(Some(n))
                .unwrap()
                .install(|| run_experiment(&config, &Progress::hidden()))
                .unwrap()
        })
        .collect();
    for other in &runs[1..] {
        assert_eq!(runs[0][0].series, other[0].series);
        assert_eq!(runs[0][0].info.budget_years, other[0].info.budget_years);
    }
}

/// Events (a demand shock for weeks 10–14, a lasting price change) and an
/// operator override change what they should, are recorded, and keep the
/// float identity exact.
#[test]
fn events_and_overrides_apply_on_schedule() {
    let text = format!(
        "{ECONOMY}\n[[events]]\nname = \"demand shock\"\nfrom = 10\nto = 14\nkey = \"types.0.task_rate\"\nfactor = 0.7\n\n[[events]]\nperiod = 30\nkey = \"mall.goods.0.price\"\nvalue = 120.0\n\n[[overrides]]\nfrom = 20\nto = 25\nlever = \"virtual_price_mult\"\nfactor = 0.5\n"
    );
    let config = config(&text.replace("periods = 160", "periods = 40"));
    let records = run_experiment(&config, &Progress::hidden()).unwrap();
    let t = records[0].series.tokens.as_ref().unwrap();
    let mean =
        |r: std::ops::Range<usize>| t.tasks[r.clone()].iter().sum::<u64>() as f64 / r.len() as f64;
    let (before, during) = (mean(5..10), mean(10..15));
    // Full-time couriers do ~91% of the tasks: ×0.7 on them is ≈ ×0.73 overall.
    assert!(
        during < 0.8 * before && during > 0.65 * before,
        "{before} -> {during}"
    );
    assert!(mean(15..20) > 0.95 * before);
    for (p, levers) in t.levers.iter().enumerate() {
        let expected = if (20..=25).contains(&p) { 0.5 } else { 1.0 };
        assert_eq!(levers[2], expected, "period {p}");
        assert_eq!(t.recommended_levers[p][2], 1.0);
    }
    for p in 1..t.float.len() {
        let lhs = t.float[p] as i128;
        let rhs = t.float[p - 1] as i128 + t.issuance[p] as i128
            - t.redeemed_real[p] as i128
            - t.redeemed_virtual[p] as i128
            - t.forfeited[p] as i128;
        assert_eq!(lhs, rhs, "period {p}");
    }
    assert_eq!(records[0].info.events.len(), 2);
}

#[test]
fn bad_economy_input_is_rejected() {
    let cases = [
        (
            ECONOMY.replace("price = 80.0", "price = 0.0"),
            "mall.goods.0.price",
        ),
        (
            ECONOMY.replace("cash_cost = 20.0\n", ""),
            "mall.goods.1.cash_cost",
        ),
        (ECONOMY.replace("class = \"A\"", "class = \"E\""), "class"),
        (
            ECONOMY.replace("annual = 1.0e6", "annual = -1.0"),
            "budget.annual",
        ),
        (
            ECONOMY.replace(
                "[economy]\nissuance_rate = 1.7",
                "[economy]\nissuance_rate = -1.0",
            ),
            "economy.issuance_rate",
        ),
    ];
    for (text, key) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, text).unwrap();
        let out = Command::new(binary())
            .args([
                "run",
                path.to_str().unwrap(),
                "--quiet",
                "--out",
                dir.path().join("o.h5").to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{key}: {stderr}");
        assert!(stderr.contains(key), "{key}: {stderr}");
        assert!(!dir.path().join("o.h5").exists());
    }
}

/// The reference kernel (benchmarks' yardstick) makes exactly the model's
/// draws: with fixed levers, balances forfeited on departure and departure
/// looking at the reward, it leaves the same couriers with the same
/// balances as the full kernel, period after period.
#[test]
fn the_reference_kernel_makes_the_same_draws() {
    assert!(ECONOMY.contains("departure_signal = \"credited\""));
    // With the shipped signal (tokens credited) and with the reward signal.
    for signal in ["credited", "reward"] {
        let text = ECONOMY
            .replace(
                "departure_signal = \"credited\"",
                &format!("departure_signal = \"{signal}\""),
            )
            .replace(
                "periods_per_year = 52",
                "periods_per_year = 52\nforfeit_on_departure = true",
            );
        let config = config(&text);
        let (mut full, mut reference) = (simulation(&config, 0), simulation(&config, 0));
        for _ in 0..30 {
            full.step();
            assert!(reference.step_reference());
            assert_eq!(full.population(), reference.population(), "{signal}");
            assert_eq!(full.float_by_balances(), reference.float_by_balances());
        }
        assert!(full.float_by_balances().unwrap() > 0);
    }
}

/// model.md E.3 / issue: events change the model inside their window only.
/// On the steered courier scenario (1/100 scale, a year), an event that
/// changes nothing (factor 1.0, weeks 10–30) leaves every series —
/// levers, recommendations, float, sales, counts — bit-identical: the
/// controller's smoothed state, the levers and the float carry through its
/// start and its end. An event that does change the world (shopping ×0.7)
/// still changes it, and only from its first week on.
#[test]
fn events_carry_the_controller_through() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/fengdou-steer.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let sets = [
        "simulation.scale=4000".to_string(),
        "budget.annual=4.0e5".to_string(),
    ];
    let run = |extra: &str| {
        let config =
            tokensim::config::Config::from_toml(&format!("{text}{extra}"), &path, &sets).unwrap();
        tokensim::runner::run_experiment(&config, &tokensim::runner::Progress::hidden())
            .unwrap()
            .remove(0)
    };
    let event = |factor: f64| {
        format!(
            "\n[[events]]\nname = \"e\"\nfrom = 10\nto = 30\nkey = \"types.0.shopping_rate\"\nfactor = {factor}\n"
        )
    };
    let plain = run("");
    let noop = run(&event(1.0));
    assert!(plain.series == noop.series, "a no-op event changed the run");
    assert_eq!(plain.info.budget_years, noop.info.budget_years);

    let slump = run(&event(0.7));
    let (a, b) = (
        plain.series.tokens.as_ref().unwrap(),
        slump.series.tokens.as_ref().unwrap(),
    );
    assert_eq!(a.levers[..10], b.levers[..10], "before the event");
    assert_eq!(a.float[..10], b.float[..10]);
    assert_ne!(a.sales, b.sales, "the slump changes purchases");
}
