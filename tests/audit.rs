//! The fairness audit: verdicts on reference runs, exit statuses, JSON, and
//! the coverage of its confidence intervals on data with a known truth.

mod common;

use std::process::Command;

use common::binary;
use tokensim::audit::{audit_file, AuditOptions};

const CYCLIC: &str = include_str!("../configs/paper-cyclic.toml");

fn run(dir: &std::path::Path, name: &str, text: &str, extra: &[&str]) -> std::path::PathBuf {
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(&config, text).unwrap();
    let out = dir.join(format!("{name}.h5"));
    let status = Command::new(binary())
        .args([
            "run",
            config.to_str().unwrap(),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ])
        .args(extra)
        .status()
        .unwrap();
    assert!(status.success());
    out
}

fn audit_cli(file: &std::path::Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(binary())
        .arg("audit")
        .arg(file)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

const STATIC: &str = r#"
[simulation]
periods = 3000
warmup = 100
seed = 8
scale = 200.0
initial = "steady_state"

[rewards]
values = [0.0, 1.0, 2.0]

[revenue]
kind = "linear"
price = 3.0

[[types]]
name = "a"
arrival_rate = 0.5
departure = { kind = "table", p = [0.6, 0.3, 0.1] }

[[types]]
name = "b"
arrival_rate = 0.5
departure = { kind = "table", p = [0.9, 0.6, 0.5] }

[policy]
kind = "static"
distribution = [0.3, 0.3, 0.4]
"#;

#[test]
fn static_runs_are_fair() {
    let dir = tempfile::tempdir().unwrap();
    let file = run(dir.path(), "static", STATIC, &[]);
    let (code, text) = audit_cli(&file, &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("verdict: FAIR"));
    let a = audit_file(&file, None, &AuditOptions::default()).unwrap();
    // The interval of the gap (truth 0) covers 0 up to sampling noise.
    assert!(a.runs[0].max_abs_gap < 0.02);
}

#[test]
fn the_part_d_cycle_is_unfair_by_17_over_195() {
    let dir = tempfile::tempdir().unwrap();
    let file = run(dir.path(), "cyclic", CYCLIC, &[]);
    let (code, text) = audit_cli(&file, &["--json"]);
    assert_eq!(code, Some(1), "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["verdict"], "unfair");
    assert_eq!(json["criterion1"], true);
    let gap = json["max_abs_gap"].as_f64().unwrap();
    let ci = &json["runs"][0]["max_abs_gap_interval"];
    let truth = 17.0 / 195.0;
    eprintln!(
        "gap {gap}, CI [{}, {}], truth {truth}",
        ci["low"], ci["high"]
    );
    // A 95 % interval misses the truth in one seed out of twenty (seeds
    // 1–20 of this configuration: 18 covered); the test asks for the truth
    // within 4 standard errors, the interval's half-width / 1.96.
    let (low, high) = (ci["low"].as_f64().unwrap(), ci["high"].as_f64().unwrap());
    assert!(low <= gap && gap <= high);
    let se = (high - low) / (2.0 * 1.96);
    assert!(
        (gap - truth).abs() <= 4.0 * se,
        "gap {gap} vs {truth} (s.e. {se})"
    );
    assert!(json["types"][0]["reward_dist"].is_array());
    assert!(json["types"][0]["mean_reward"].is_number());
    assert!(json["max_tv"].is_number());
}

#[test]
fn belief_runs_fail_criterion_1() {
    let text = include_str!("../configs/paper/explicit-discrimination.toml")
        .replace("periods = 100000", "periods = 2000");
    let dir = tempfile::tempdir().unwrap();
    let file = run(dir.path(), "belief", &text, &[]);
    let (code, out) = audit_cli(&file, &["--json"]);
    assert_eq!(code, Some(1));
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["criterion1"], false);
    assert_eq!(json["verdict"], "unfair");
}

/// 95 % intervals of the Part D gap (known truth 17/195) cover it in at
/// least 90 % of 40 independent replications.
#[test]
fn intervals_cover_the_known_truth() {
    let text = CYCLIC.replace("periods = 4000", "periods = 2000");
    let dir = tempfile::tempdir().unwrap();
    let file = run(dir.path(), "coverage", &text, &["--replications", "40"]);
    let a = audit_file(&file, None, &AuditOptions::default()).unwrap();
    let truth = 17.0 / 195.0;
    let covered = a
        .runs
        .iter()
        .filter(|r| r.max_abs_gap_interval.low <= truth && truth <= r.max_abs_gap_interval.high)
        .count();
    eprintln!("coverage {covered}/40");
    assert!(covered >= 36, "coverage {covered}/40");
    let across = a.across_replications.unwrap();
    assert!(across.low <= truth && truth <= across.high, "{across:?}");
}

#[test]
fn bad_files_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.h5");
    std::fs::write(&junk, b"not hdf5").unwrap();
    assert_eq!(audit_cli(&junk, &[]).0, Some(2));
    let foreign = dir.path().join("foreign.h5");
    hdf5::File::create(&foreign)
        .unwrap()
        .create_group("x")
        .unwrap();
    let (code, text) = audit_cli(&foreign, &[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("not a tokensim"));
    assert_eq!(audit_cli(&dir.path().join("missing.h5"), &[]).0, Some(2));
    let file = run(
        dir.path(),
        "s",
        &STATIC.replace("periods = 3000", "periods = 200"),
        &[],
    );
    assert_eq!(audit_cli(&file, &["--epsilon", "2"]).0, Some(2));
    assert_eq!(audit_cli(&file, &["--run", "7"]).0, Some(2));
}

const TWO_PERIOD: &str = include_str!("../configs/paper/two-period.toml");

/// Appendix G through the file: a `joint_table` run stores
/// `series/pair_counts`; the audit reads them back and reports Definition
/// G.1 with the same gap as the run itself (written as an attribute), and
/// the verdict and exit status follow it. The alternating cycle fails it
/// (expected gap 0.032 > ε = 0.02, `tokensim experiment two-period`); one
/// fixed reward passes it exactly.
#[test]
fn two_period_fairness_is_audited_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let short = TWO_PERIOD.replace("periods = 6000", "periods = 2000");
    let cyclic = run(dir.path(), "cycle", &short, &[]);
    let audit = audit_file(&cyclic, None, &AuditOptions::default()).unwrap();
    let g = audit.runs[0]
        .two_period
        .as_ref()
        .expect("pair counts read back");
    let file = hdf5::File::open(&cyclic).unwrap();
    let stored: f64 = file
        .group("runs/0/fairness")
        .unwrap()
        .attr("two_period_max_abs_gap")
        .unwrap()
        .read_scalar()
        .unwrap();
    assert!(
        (g.max_gap - stored).abs() < 1e-12,
        "{} vs {stored}",
        g.max_gap
    );
    assert!(g.max_gap > 0.02);
    assert_eq!(audit.runs[0].verdict, "unfair");
    let (code, text) = audit_cli(&cyclic, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("two-period fairness (Def. G.1"), "{text}");

    let fixed = run(dir.path(), "fixed", &short, &["--set", "policy.kind=fixed"]);
    let audit = audit_file(&fixed, None, &AuditOptions::default()).unwrap();
    assert_eq!(audit.runs[0].two_period.as_ref().unwrap().max_gap, 0.0);
    assert_eq!(audit.runs[0].verdict, "fair");
}

/// interfaces.md 4.2: the verdict uses the ε stored with the run unless
/// `--epsilon` is given. The cyclic instance's gap (≈ 0.086) is fair at
/// the ε = 0.15 it was made with and unfair at 0.02.
#[test]
fn the_audit_uses_the_epsilon_stored_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        "eps",
        CYCLIC,
        &["--set", "fairness.epsilon=0.15"],
    );
    let (code, text) = audit_cli(&out, &["--json"]);
    assert_eq!(code, Some(0), "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["epsilon"], 0.15);
    let gap = json["max_abs_gap"].as_f64().unwrap();
    assert!(gap > 0.02 && gap < 0.15, "gap {gap}");
    let (code, _) = audit_cli(&out, &["--epsilon", "0.02"]);
    assert_eq!(code, Some(1));
    let library = audit_file(&out, None, &AuditOptions::default()).unwrap();
    assert_eq!(library.verdict, "fair");
    let report = Command::new(binary())
        .args(["report", out.to_str().unwrap(), "--out"])
        .arg(dir.path().join("report"))
        .status()
        .unwrap();
    assert!(report.success());
    let page = std::fs::read_to_string(dir.path().join("report/index.html")).unwrap();
    assert!(page.contains("0.15"), "the report states the run's epsilon");
}
