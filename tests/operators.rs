//! The human–AI layer (model.md E.4, interfaces.md 4.3): operator models,
//! the override trace, adherence-aware advice, and the value of each
//! deviation by paired counterfactuals.

use std::path::{Path, PathBuf};
use std::process::Command;

use tokensim::audit::deviations::{read_trace, replay_trace, score_deviations};
use tokensim::config::Config;
use tokensim::record::RunRecord;
use tokensim::runner::{run_experiment, Progress};

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/fengdou-operators.toml")
}

fn steer() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/fengdou-steer.toml")
}

/// The steered courier scenario at 1/100 scale, one budget year, plus `sets`.
fn small(sets: &[&str]) -> Config {
    let mut all: Vec<String> = vec![
        "simulation.scale=4000".into(),
        "budget.annual=4.0e5".into(),
        "simulation.periods=52".into(),
    ];
    all.extend(sets.iter().map(|s| s.to_string()));
    Config::load(&steer(), &all).unwrap()
}

fn run(config: &Config) -> Vec<RunRecord> {
    run_experiment(config, &Progress::hidden()).unwrap()
}

/// The issue's example: on the courier scenario at 1/10 scale, an operator
/// who cuts real prices by 20 % through an unforeseeable slump adds value
/// (its Δ penalty interval below zero), and one who holds real prices at
/// 1.2 over the last fourteen weeks of a normal year destroys value.
#[test]
fn the_informed_deviation_adds_value_and_the_gratuitous_one_destroys_it() {
    let text = std::fs::read_to_string(scenario()).unwrap();
    let scores = score_deviations(&text, &scenario(), 8, None).unwrap();
    assert_eq!(scores.len(), 2, "{scores:#?}");
    let gratuitous = &scores[0];
    assert_eq!(gratuitous.deviation.sources, ["overrides.0"]);
    assert_eq!(gratuitous.deviation.kind, "discretion");
    assert_eq!(gratuitous.deviation.lever, "real_price_mult");
    assert_eq!(
        (gratuitous.deviation.from, gratuitous.deviation.to),
        (38, 51)
    );
    assert_eq!(gratuitous.verdict, "destroyed value", "{gratuitous:#?}");
    assert!(gratuitous.delta_penalty_ci95[0] > 0.0);
    let informed = &scores[1];
    assert_eq!(informed.deviation.sources, ["operators.0"]);
    assert_eq!(informed.deviation.kind, "information");
    assert_eq!((informed.deviation.from, informed.deviation.to), (92, 103));
    assert_eq!(informed.verdict, "added value", "{informed:#?}");
    assert!(informed.delta_penalty_ci95[1] < 0.0);
    assert_eq!(informed.replications, 8);
}

/// Replaying a run's own recommendation-vs-decision trace as overrides on
/// the scenario without its operators reproduces the run exactly: the
/// controller sees the same levers in force and plans from them, so every
/// recommendation, lever and flow is the same.
#[test]
fn replaying_a_runs_own_trace_reproduces_it() {
    let operators = r#"operators=[{kind = "information", event = "slump", lead = 2, lever = "real_price_mult", value = 0.85}, {kind = "discretion", lever = "virtual_price_mult", grid = 0.1, threshold = 0.02}]"#;
    let events = r#"events=[{name = "slump", from = 30, to = 41, key = "types.0.shopping_rate", factor = 0.5}]"#;
    let overrides = r#"overrides=[{lever = "issuance_rate", from = 5, to = 9, value = 1.1, kind = "information"}]"#;
    let original = small(&[events, operators, overrides]);
    let factual = &run(&original)[0];
    let t = factual.series.tokens.as_ref().unwrap();
    // The trace as an operations team would keep it.
    let mut csv = String::from("period,lever,recommended,implemented\n");
    for (p, (rec, imp)) in t.recommended_levers.iter().zip(&t.levers).enumerate() {
        for (l, name) in ["issuance_rate", "real_price_mult", "virtual_price_mult"]
            .iter()
            .enumerate()
        {
            csv.push_str(&format!("{p},{name},{:?},{:?}\n", rec[l], imp[l]));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let trace_path = dir.path().join("trace.csv");
    std::fs::write(&trace_path, csv).unwrap();
    let trace = read_trace(&trace_path).unwrap();
    assert_eq!(trace.len(), 3 * 52);

    let bare = small(&[events]);
    let bare_text = toml::to_string(&bare).unwrap();
    let (replayed_text, deviations) = replay_trace(&bare_text, &trace).unwrap();
    let replayed = Config::from_toml(&replayed_text, Path::new("replayed.toml"), &[]).unwrap();
    let again = &run(&replayed)[0];
    let u = again.series.tokens.as_ref().unwrap();
    assert_eq!(u.levers, t.levers);
    assert_eq!(u.recommended_levers, t.recommended_levers);
    assert_eq!(u.float, t.float);
    assert_eq!(u.cash_cost, t.cash_cost);
    // The information windows come back as trace deviations: issuance in
    // 5-9, real prices from two periods before the slump to its end.
    assert!(deviations
        .iter()
        .any(|d| d.lever == "issuance_rate" && d.from == 5 && d.to == 9));
    assert!(deviations
        .iter()
        .any(|d| d.lever == "real_price_mult" && d.from == 28 && d.to == 41));
    assert!(deviations.iter().all(|d| d.kind == "trace"));
}

/// Discretion: inside its window the valve in force is the recommendation
/// rounded to the grid, or last period's valve while the recommended change
/// is within the threshold — recomputed here from the recorded
/// recommendation and levers.
#[test]
fn discretion_rounds_to_its_grid_and_holds_small_changes() {
    let (grid, threshold) = (0.05, 0.03);
    let config = small(&[&format!(
        r#"operators=[{{kind = "discretion", lever = "virtual_price_mult", from = 4, grid = {grid}, threshold = {threshold}}}]"#
    )]);
    let record = &run(&config)[0];
    let t = record.series.tokens.as_ref().unwrap();
    let (mut held, mut rounded) = (0, 0);
    for p in 0..t.levers.len() {
        let (rec, imp) = (t.recommended_levers[p][2], t.levers[p][2]);
        if p < 4 {
            assert_eq!(imp, rec, "period {p}: before the window");
            assert_eq!(t.deviation_source[p][2], -1);
            continue;
        }
        let prev = t.levers[p - 1][2];
        let expected = if (rec - prev).abs() <= threshold * prev {
            held += 1;
            prev
        } else {
            rounded += 1;
            ((rec / grid).round() * grid).max(grid)
        };
        assert_eq!(
            imp, expected,
            "period {p}: recommended {rec}, previous {prev}"
        );
        assert_eq!(
            t.deviation_source[p][2] == 0,
            imp != rec,
            "period {p}: the trace marks the deviation"
        );
    }
    assert!(held > 0 && rounded > 0, "held {held}, rounded {rounded}");
    assert_eq!(t.deviation_sources, ["operators.0"]);
    assert_eq!(t.deviation_kinds, ["discretion"]);
}

/// Adherence: where the recommendation differs from the lever in force,
/// the operator follows it in a fraction of periods that matches the
/// configured probability within binomial sampling error.
#[test]
fn adherence_follows_with_its_probability() {
    let p = 0.6;
    let config = small(&[
        &format!(
            r#"operators=[{{kind = "adherence", lever = "virtual_price_mult", probability = {p}}}]"#
        ),
        "simulation.replications=6",
    ]);
    let (mut followed, mut trials) = (0u32, 0u32);
    for record in run(&config) {
        let t = record.series.tokens.as_ref().unwrap();
        for q in 1..t.levers.len() {
            let (rec, imp, prev) = (
                t.recommended_levers[q][2],
                t.levers[q][2],
                t.levers[q - 1][2],
            );
            if rec == prev {
                continue;
            }
            trials += 1;
            if imp == rec {
                followed += 1;
            } else {
                assert_eq!(imp, prev, "period {q}: not followed keeps the lever");
            }
        }
    }
    let share = f64::from(followed) / f64::from(trials);
    let se = (p * (1.0 - p) / f64::from(trials)).sqrt();
    assert!(trials > 200, "{trials} trials");
    assert!(
        (share - p).abs() < 4.0 * se,
        "followed {followed} of {trials} = {share:.3}, expected {p} ± {:.3}",
        4.0 * se
    );
}

/// Adherence-aware advice: up to the first period in which the naive
/// controller recommends a move, both runs are the same; in that period the
/// aware controller recommends the naive move from the lever in force
/// divided by the adherence probability, within its band.
#[test]
fn adherence_aware_advice_scales_the_move_by_one_over_adherence() {
    let a = 0.5;
    let operators = format!(
        r#"operators=[{{kind = "adherence", lever = "virtual_price_mult", probability = {a}}}, {{kind = "adherence", lever = "issuance_rate", probability = {a}}}]"#
    );
    let naive = &run(&small(&[&operators]))[0];
    let aware = &run(&small(&[&operators, "steer.adherence_aware=true"]))[0];
    let (n, w) = (
        naive.series.tokens.as_ref().unwrap(),
        aware.series.tokens.as_ref().unwrap(),
    );
    let in_force = |q: usize| if q == 0 { [1.0; 3] } else { n.levers[q - 1] };
    let q = (0..n.levers.len())
        .find(|&q| {
            [0, 2]
                .iter()
                .any(|&l| n.recommended_levers[q][l] != in_force(q)[l])
        })
        .expect("the controller moves a lever");
    assert_eq!(&w.levers[..q], &n.levers[..q], "the same until then");
    let steer = small(&[]).steer.expect("a steered scenario");
    let bands = [
        (f64::MIN_POSITIVE, f64::INFINITY),
        (steer.real_price_band[0], steer.real_price_band[1]),
        (steer.valve_band[0], steer.valve_band[1]),
    ];
    let mut moved = 0;
    for l in [0, 2] {
        let (now, naive_rec) = (in_force(q)[l], n.recommended_levers[q][l]);
        let expected = (now + (naive_rec - now) / a).clamp(bands[l].0, bands[l].1);
        assert!(
            (w.recommended_levers[q][l] - expected).abs() < 1e-12,
            "period {q}, lever {l}: aware {} against {expected}",
            w.recommended_levers[q][l]
        );
        moved += usize::from(naive_rec != now);
    }
    assert!(moved > 0);
    // The real price has no adherence model: the same advice.
    assert_eq!(w.recommended_levers[q][1], n.recommended_levers[q][1]);
}

/// A disabled operator leaves the run bit-identical to one without it, and
/// a second operator's random stream does not depend on the first.
#[test]
fn a_disabled_operator_changes_nothing() {
    let without = &run(&small(&[]))[0];
    let disabled = &run(&small(&[
        r#"operators=[{kind = "adherence", lever = "virtual_price_mult", probability = 0.3, enabled = false}]"#,
    ]))[0];
    let (a, b) = (
        without.series.tokens.as_ref().unwrap(),
        disabled.series.tokens.as_ref().unwrap(),
    );
    assert_eq!(a.levers, b.levers);
    assert_eq!(a.float, b.float);
    assert!(b.deviation_source.iter().all(|s| *s == [-1; 3]));
}

fn tokensim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tokensim"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn bad_operators_and_files_without_deviations_exit_2() {
    let unknown = Config::load(
        &steer(),
        &[r#"operators=[{kind = "information", event = "nothing", lever = "real_price_mult", factor = 0.8}]"#.into()],
    )
    .unwrap_err()
    .to_string();
    assert!(unknown.contains("operators.0.event"), "{unknown}");
    let empty = Config::load(
        &steer(),
        &[r#"operators=[{kind = "discretion", lever = "real_price_mult"}]"#.into()],
    )
    .unwrap_err()
    .to_string();
    assert!(empty.contains("grid, threshold or noise"), "{empty}");
    let p = Config::load(
        &steer(),
        &[
            r#"operators=[{kind = "adherence", lever = "real_price_mult", probability = 1.5}]"#
                .into(),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(p.contains("operators.0.probability"), "{p}");

    let out = tokensim(&["overrides", steer().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no [[overrides]] or [[operators]]"));
    let paper = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/quickstart.toml");
    let out = tokensim(&["overrides", paper.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no token economy"));
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.csv");
    std::fs::write(
        &trace,
        "period,lever,recommended,implemented\n3,valve,1,1.2\n",
    )
    .unwrap();
    let out = tokensim(&[
        "overrides",
        scenario().to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("lever"), "{err}");
}
