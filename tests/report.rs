//! `tokensim report`: every figure is written as SVG and PNG, the SVGs are
//! well-formed XML, and index.html references them and shows the audit.

mod common;

use std::process::Command;

use common::binary;

fn check_report(file: &std::path::Path, dir: &std::path::Path, expected: &[&str]) {
    let out = Command::new(binary())
        .args([
            "report",
            file.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(index.contains("Fairness verdict"));
    for name in expected {
        let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}.svg: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert!(
            doc.descendants().filter(|n| n.has_tag_name("text")).count() > 5,
            "{name}.svg has labels"
        );
        let png = std::fs::read(dir.join(format!("{name}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}.png");
        assert!(png.len() > 5_000);
        assert!(
            index.contains(&format!("{name}.svg")),
            "index.html shows {name}"
        );
    }
}

#[test]
fn run_and_sweep_reports_have_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let run = dir.path().join("run.h5");
    let status = Command::new(binary())
        .args([
            "run",
            &format!("{root}/configs/paper-cyclic.toml"),
            "--quiet",
            "--out",
            run.to_str().unwrap(),
        ])
        .args(["--set", "simulation.periods=600"])
        .status()
        .unwrap();
    assert!(status.success());
    let run_figures = [
        "agents",
        "reward_distribution",
        "lifetime_reward",
        "window_gap",
    ];
    check_report(&run, &dir.path().join("run-report"), &run_figures);

    let sweep = dir.path().join("sweep.toml");
    std::fs::write(
        &sweep,
        format!(
            "base = \"{root}/configs/quickstart.toml\"\nreplications = 2\nseed = 3\n[grid]\n\"simulation.scale\" = [20.0, 50.0]\n\"policy.kind\" = [\"fluid\", \"fixed\"]\n[set]\n\"simulation.periods\" = 300\n\"simulation.warmup\" = 50\n"
        ),
    )
    .unwrap();
    let sweep_out = dir.path().join("sweep.h5");
    let status = Command::new(binary())
        .args([
            "sweep",
            sweep.to_str().unwrap(),
            "--quiet",
            "--out",
            sweep_out.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let mut figures = run_figures.to_vec();
    figures.extend(["sweep_simulation_scale", "sweep_policy_kind"]);
    check_report(&sweep_out, &dir.path().join("sweep-report"), &figures);

    // A token-economy run adds flows, float, levers and the budget.
    let tokens = dir.path().join("tokens.h5");
    let status = Command::new(binary())
        .args([
            "run",
            &format!("{root}/configs/fengdou-steer.toml"),
            "--quiet",
            "--out",
            tokens.to_str().unwrap(),
        ])
        .args([
            "--set",
            "simulation.scale=2000",
            "--set",
            "budget.annual=2.0e5",
            "--set",
            "simulation.periods=60",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    // A token run paying no bonus has one reward: no lifetime-reward or
    // window-gap chart (they would be empty), and the pay-rate charts.
    let mut figures: Vec<&str> = run_figures
        .iter()
        .copied()
        .filter(|f| !["lifetime_reward", "window_gap"].contains(f))
        .collect();
    figures.extend([
        "token_flows",
        "float",
        "levers",
        "budget",
        "pay_rate",
        "pay_rate_by_type",
    ]);
    check_report(&tokens, &dir.path().join("token-report"), &figures);
    let index = std::fs::read_to_string(dir.path().join("token-report/index.html")).unwrap();
    assert!(index.contains("Token fairness"), "the token audit is shown");
    assert!(!dir.path().join("token-report/lifetime_reward.png").exists());
}
