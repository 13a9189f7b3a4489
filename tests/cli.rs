//! What a user of the command line sees (issue 14, point 7): `run --json`,
//! `--no-clobber`, warnings for configurations that are valid but probably
//! not meant, plain progress lines in a log, and `tokensim init`.

mod common;

use std::path::Path;
use std::process::Command;

use common::binary;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tokensim(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let out = Command::new(binary())
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn run_json_summarizes_a_token_run_and_no_clobber_refuses_to_replace() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.h5");
    let config = root().join("configs/fengdou-steer.toml");
    let args = [
        "run",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--set",
        "simulation.scale=4000",
        "--set",
        "budget.annual=4.0e5",
        "--json",
        "--quiet",
    ];
    let (code, stdout, stderr) = tokensim(&args, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["policy"], "steer");
    assert_eq!(json["types"].as_array().unwrap().len(), 3);
    assert_eq!(json["verdict"], "fair");
    let t = &json["tokens"];
    let (issued, real, virt, end) = (
        t["issuance"].as_f64().unwrap(),
        t["redeemed_real"].as_f64().unwrap(),
        t["redeemed_virtual"].as_f64().unwrap(),
        t["ending_float"].as_f64().unwrap(),
    );
    assert!(issued > 0.0 && real > 0.0 && virt > 0.0 && end > 0.0);
    assert_eq!(t["budget_years"].as_array().unwrap().len(), 1);

    let before = std::fs::metadata(&out).unwrap().modified().unwrap();
    let mut again = args.to_vec();
    again.push("--no-clobber");
    let (code, _, stderr) = tokensim(&again, &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--no-clobber"), "{stderr}");
    assert_eq!(std::fs::metadata(&out).unwrap().modified().unwrap(), before);
}

#[test]
fn valid_but_suspicious_configurations_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let config = root().join("configs/quickstart.toml");
    let out = dir.path().join("w.h5");
    let (code, _, stderr) = tokensim(
        &[
            "validate",
            config.to_str().unwrap(),
            "--set",
            "types.1.departure={kind = \"table\", p = [0.9, 0.6, 0.3, 0.1], memory = { weights = [0.6, 0.5] }}",
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: types.1.departure.memory.weights sum to 1.1"),
        "{stderr}"
    );
    let (code, _, stderr) = tokensim(
        &[
            "run",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--set",
            "policy.kind=fixed",
            "--set",
            "policy.value=3.0",
            "--set",
            "types.0.departure.p=[0.0, 0.0, 0.0, 0.0]",
            "--set",
            "simulation.periods=50",
            "--set",
            "simulation.warmup=0",
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("types.0.departure: type \"steady\" never leaves"),
        "{stderr}"
    );
    // The shipped configurations are not warned about.
    let (_, _, stderr) = tokensim(&["validate", config.to_str().unwrap()], &[]);
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn a_log_gets_plain_progress_lines() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.h5");
    let config = root().join("configs/quickstart.toml");
    let args = [
        "run",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    // stderr is a pipe here, as in a cluster job's log.
    let (code, _, stderr) = tokensim(&args, &[("TOKENSIM_PROGRESS_SECONDS", "0")]);
    assert_eq!(code, Some(0));
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("tokensim: ") && l.contains(" periods ("))
        .collect();
    assert!(lines.len() > 10, "{stderr}");
    assert!(lines
        .last()
        .unwrap()
        .starts_with("tokensim: 2000/2000 periods (100 %)"));
    let mut quiet = args.to_vec();
    quiet.push("--quiet");
    let (_, _, stderr) = tokensim(&quiet, &[("TOKENSIM_PROGRESS_SECONDS", "0")]);
    assert!(!stderr.contains(" periods ("), "{stderr}");
}

#[test]
fn init_writes_templates_that_validate_and_never_replaces_a_file() {
    let dir = tempfile::tempdir().unwrap();
    for (name, flag) in [("paper.toml", None), ("token.toml", Some("--token"))] {
        let path = dir.path().join(name);
        let mut args = vec!["init", path.to_str().unwrap()];
        args.extend(flag);
        let (code, stdout, stderr) = tokensim(&args, &[]);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stdout.contains("wrote"));
        let (code, _, stderr) = tokensim(&["validate", path.to_str().unwrap()], &[]);
        assert_eq!(code, Some(0), "{stderr}");
        let (code, _, stderr) = tokensim(&args, &[]);
        assert_eq!(code, Some(2));
        assert!(stderr.contains("never replaces"), "{stderr}");
    }
}
