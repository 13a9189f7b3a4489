//! Bad input of every kind: exit status 2, a message naming the file, the key
//! (with line and column for TOML) and what was expected, and no output file.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::binary;

const GOOD: &str = r#"[simulation]
periods = 50
warmup = 10
seed = 1
scale = 10.0

[rewards]
values = [0.0, 1.0, 2.0]

[revenue]
kind = "newsvendor"
price = 2.0
capacity = 1.0

[[types]]
name = "a"
arrival_rate = 0.5
departure = { kind = "table", p = [0.5, 0.3, 0.1] }

[[types]]
name = "b"
arrival_rate = 0.5
departure = { kind = "joint_table", p = [[0.5, 0.4, 0.3], [0.4, 0.3, 0.2], [0.3, 0.2, 0.1]] }

[policy]
kind = "static"
distribution = [0.2, 0.3, 0.5]
"#;

fn run(dir: &Path, text: &str, sets: &[&str]) -> Output {
    let config = dir.join("bad.toml");
    std::fs::write(&config, text).unwrap();
    let mut cmd = Command::new(binary());
    cmd.args(["run", config.to_str().unwrap(), "--quiet", "--out"]);
    cmd.arg(dir.join("out.h5"));
    for s in sets {
        cmd.args(["--set", s]);
    }
    cmd.output().unwrap()
}

/// Runs a bad case and checks status, message and the absence of output.
fn rejected(text: &str, sets: &[&str], must_mention: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), text, sets);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(2),
        "expected exit 2, stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    for needle in must_mention {
        assert!(
            stderr.contains(needle),
            "message lacks {needle:?}: {stderr}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "bad.toml")
        .collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

fn edit(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "test edit {from:?} does not apply");
    GOOD.replacen(from, to, 1)
}

#[test]
fn the_good_configuration_runs() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), GOOD, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("out.h5").exists());
}

#[test]
fn syntax_error_gives_line_and_column() {
    rejected(
        &edit("seed = 1", "seed = = 1"),
        &[],
        &["bad.toml:4:", "valid TOML"],
    );
}

#[test]
fn unknown_key_is_named_with_its_line() {
    rejected(
        &edit("seed = 1", "sed = 1"),
        &[],
        &["bad.toml:4:1", "simulation.sed", "unknown field"],
    );
    rejected(
        &edit("kind = \"static\"", "kind = \"static\"\ndistrbution = 1"),
        &[],
        &["policy.distrbution"],
    );
}

#[test]
fn wrong_type_is_named() {
    rejected(
        &edit("periods = 50", "periods = \"fifty\""),
        &[],
        &["bad.toml:2:", "simulation.periods"],
    );
    rejected(
        &edit("kind = \"static\"", "kind = \"generous\""),
        &[],
        &["policy.kind", "unknown variant"],
    );
}

#[test]
fn probabilities_outside_the_unit_interval() {
    rejected(
        &edit("[0.5, 0.3, 0.1]", "[0.5, 1.3, 0.1]"),
        &[],
        &["bad.toml:18:", "types.0.departure.p.1", "[0, 1]"],
    );
    rejected(
        &edit("[0.5, 0.4, 0.3], [0.4", "[0.5, 0.4, -0.3], [0.4"),
        &[],
        &["types.1.departure.p.0.2"],
    );
}

#[test]
fn distribution_must_sum_to_one() {
    rejected(
        &edit("[0.2, 0.3, 0.5]", "[0.2, 0.3, 0.6]"),
        &[],
        &["bad.toml:27:", "policy.distribution", "summing to 1"],
    );
}

#[test]
fn reward_set_must_be_non_empty_increasing_non_negative() {
    rejected(
        &edit("values = [0.0, 1.0, 2.0]", "values = []"),
        &[],
        &["rewards.values", "non-empty"],
    );
    rejected(
        &edit("values = [0.0, 1.0, 2.0]", "values = [0.0, 2.0, 1.0]"),
        &[],
        &["bad.toml:8:", "strictly increasing"],
    );
    rejected(
        &edit("values = [0.0, 1.0, 2.0]", "values = [-1.0, 1.0, 2.0]"),
        &[],
        &["rewards.values.0", ">= 0"],
    );
}

#[test]
fn types_must_exist_and_be_unique() {
    // A root key must come before the first table header.
    let no_types = String::from("types = []\n")
        + GOOD.split("[[types]]").next().unwrap()
        + "[policy]\nkind = \"static\"\ndistribution = [0.2, 0.3, 0.5]\n";
    rejected(&no_types, &[], &["types", "at least one"]);
    rejected(
        &edit("name = \"b\"", "name = \"a\""),
        &[],
        &["types.1.name", "unique"],
    );
}

#[test]
fn table_lengths_must_match_the_reward_set() {
    rejected(
        &edit("[0.5, 0.3, 0.1]", "[0.5, 0.3]"),
        &[],
        &["types.0.departure.p", "3 probabilities"],
    );
    rejected(
        &edit("[0.3, 0.2, 0.1]] }", "[0.3, 0.2, 0.1], [0.1, 0.1, 0.1]] }"),
        &[],
        &["types.1.departure.p", "3x3"],
    );
    rejected(
        &edit("[0.4, 0.3, 0.2], [0.3", "[0.4, 0.3], [0.3"),
        &[],
        &["types.1.departure.p.1", "3 probabilities"],
    );
}

#[test]
fn memory_weights_are_checked() {
    rejected(
        &edit(
            "p = [0.5, 0.3, 0.1] }",
            "p = [0.5, 0.3, 0.1], memory = { weights = [0.5, -0.5] } }",
        ),
        &[],
        &["types.0.departure.memory.weights.1", ">= 0"],
    );
    rejected(
        &edit(
            "p = [0.5, 0.3, 0.1] }",
            "p = [0.5, 0.3, 0.1], memory = { weights = [0.0, 0.0] } }",
        ),
        &[],
        &["types.0.departure.memory.weights", "not all zero"],
    );
}

#[test]
fn scale_periods_and_warmup_are_checked() {
    rejected(
        &edit("scale = 10.0", "scale = 0.0"),
        &[],
        &["bad.toml:5:", "simulation.scale", "> 0"],
    );
    rejected(
        &edit("periods = 50", "periods = 0"),
        &[],
        &["simulation.periods", ">= 1"],
    );
    rejected(
        &edit("warmup = 10", "warmup = 50"),
        &[],
        &["bad.toml:3:", "simulation.warmup"],
    );
}

#[test]
fn missing_required_keys_are_named() {
    rejected(
        &edit("distribution = [0.2, 0.3, 0.5]", ""),
        &[],
        &["policy.distribution", "required"],
    );
    rejected(
        &edit("capacity = 1.0", ""),
        &[],
        &["revenue.capacity", "required"],
    );
    rejected(
        &edit("periods = 50\n", ""),
        &[],
        &["missing field `periods`"],
    );
}

#[test]
fn command_line_overrides_are_validated_the_same_way() {
    rejected(
        GOOD,
        &["types.1.arrival_rate=-0.4"],
        &[
            "--set types.1.arrival_rate=-0.4",
            "types.1.arrival_rate",
            ">= 0",
        ],
    );
    rejected(
        GOOD,
        &["simulation.scal=3"],
        &["--set simulation.scal=3", "unknown field"],
    );
    rejected(
        GOOD,
        &["types.5.arrival_rate=1"],
        &["types.5", "index below 2"],
    );
    rejected(GOOD, &["policy.kind"], &["KEY=VALUE"]);
    rejected(GOOD, &["policy.kind=cyclic"], &["policy.cycle", "required"]);
}

#[test]
fn unreadable_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(binary())
        .args([
            "run",
            dir.path().join("missing.toml").to_str().unwrap(),
            "--quiet",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing.toml"));
}

#[test]
fn validate_command_reports_the_same_errors() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, edit("scale = 10.0", "scale = -1.0")).unwrap();
    let output = Command::new(binary())
        .args(["validate", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("simulation.scale"));
    std::fs::write(&config, GOOD).unwrap();
    let output = Command::new(binary())
        .args(["validate", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("cost_per_token = 1.0"),
        "defaults are filled in: {stdout}"
    );
}
