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

/// issue 14, point 3: `export --csv` carries the token economy — every
/// token series in long form (`tokens.csv`) and the budget years
/// (`budget.csv`) — and its totals match the run's own summary;
/// `--parquet` writes the same tables.
#[test]
fn export_carries_every_token_series() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.h5");
    let config = root().join("configs/fengdou-operators.toml");
    let (code, stdout, stderr) = tokensim(
        &[
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
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let csv = dir.path().join("csv");
    let (code, _, stderr) = tokensim(
        &[
            "export",
            out.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let text = std::fs::read_to_string(csv.join("tokens.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("run,period,type,good,variable,value"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let total = |variable: &str| -> f64 {
        rows.iter()
            .filter(|r| r[4] == variable)
            .map(|r| r[5].parse::<f64>().unwrap())
            .sum()
    };
    assert_eq!(
        total("issuance"),
        summary["tokens"]["issuance"].as_f64().unwrap()
    );
    assert_eq!(
        total("redeemed_virtual"),
        summary["tokens"]["redeemed_virtual"].as_f64().unwrap()
    );
    assert_eq!(total("tasks_by_type"), total("tasks"));
    for variable in [
        "float",
        "dormant_float",
        "cash_cost",
        "purchasing_power",
        "levers/virtual_price_mult",
        "levers/recommended_real_price_mult",
        "levers/deviation_real_price_mult",
        "real_value_by_type",
    ] {
        assert_eq!(
            rows.iter().filter(|r| r[4] == variable).count() % 104,
            0,
            "{variable}"
        );
        assert!(rows.iter().any(|r| r[4] == variable), "{variable} missing");
    }
    assert!(rows.iter().any(|r| r[4] == "sales" && r[3] == "rain_gear"));
    assert!(rows
        .iter()
        .any(|r| r[4] == "tasks_by_type" && r[2] == "occasional"));
    let budget = std::fs::read_to_string(csv.join("budget.csv")).unwrap();
    assert_eq!(budget.lines().count(), 3, "{budget}"); // header and two years

    // The same tables as Parquet: same columns, rows and values.
    let pq = dir.path().join("pq");
    let (code, _, stderr) = tokensim(
        &[
            "export",
            out.to_str().unwrap(),
            "--parquet",
            pq.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{stderr}");
    for table in [
        "series",
        "tokens",
        "budget",
        "events",
        "deviation_sources",
        "fairness",
        "histograms",
        "summary",
    ] {
        assert!(
            pq.join(format!("{table}.parquet")).exists(),
            "{table}.parquet"
        );
    }
    use arrow_array::{Array, Float64Array, StringArray};
    let file = std::fs::File::open(pq.join("tokens.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let (mut n, mut issuance, mut nulls) = (0, 0.0, 0);
    for batch in reader {
        let batch = batch.unwrap();
        let names: Vec<String> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(
            names,
            ["run", "period", "type", "good", "variable", "value"]
        );
        let variable = batch
            .column(4)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        let value = batch
            .column(5)
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        nulls += batch.column(2).null_count();
        for i in 0..batch.num_rows() {
            if variable.value(i) == "issuance" {
                issuance += value.value(i);
            }
        }
        n += batch.num_rows();
    }
    assert_eq!(n, rows.len());
    assert_eq!(issuance, total("issuance"));
    // Per-period series have no type: nulls, not empty strings.
    assert_eq!(nulls, rows.iter().filter(|r| r[2].is_empty()).count());
}
