//! Checkpoint and restart (interfaces.md 4.1, issue "Nothing lost"): a run
//! killed after a checkpoint and restarted from it ends with a file whose
//! every dataset and attribute equals the uninterrupted run's, whatever the
//! thread counts of the two halves — for the paper model with memory and a
//! burn-in, the belief policy's per-agent state, and the token economy with
//! its controller across an event window; a sweep resumed after a kill
//! restarts its interrupted run from its checkpoint.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use tokensim::output::differences;

fn tokensim(args: &[&str], env: &[(&str, &str)]) -> Output {
    common::tokensim_with_env(args, env)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Runs `config` uninterrupted on 2 threads, then killed right after
/// checkpoint `kill_at` and restarted on 1 thread; the two files must hold
/// the same data.
fn restart_equals_uninterrupted(config: &Path, sets: &[&str], every: &str, kill_at: usize) {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.h5");
    let out = dir.path().join("restarted.h5");
    let checkpoint = dir.path().join("restarted.h5.checkpoint");
    let mut base = vec!["run", s(config), "--quiet"];
    for set in sets {
        base.extend(["--set", set]);
    }
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|x| x.to_string()).collect()
    };
    let args = with(&["--out", s(&whole), "--threads", "2"]);
    let o = tokensim(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));

    let point = format!("checkpoint-written-{kill_at}");
    let args = with(&[
        "--out",
        s(&out),
        "--threads",
        "2",
        "--checkpoint-every",
        every,
    ]);
    let killed = tokensim(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &[("TOKENSIM_CRASH_AT", &point)],
    );
    assert_eq!(killed.status.signal(), Some(9), "{}", stderr(&killed));
    assert!(checkpoint.exists() && !out.exists());

    let args = with(&[
        "--out",
        s(&out),
        "--threads",
        "1",
        "--restart",
        s(&checkpoint),
        "--checkpoint-every",
        every,
    ]);
    let restarted = tokensim(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert!(restarted.status.success(), "{}", stderr(&restarted));
    let diffs = differences(&whole, &out).unwrap();
    assert!(diffs.is_empty(), "{config:?}: {diffs:#?}");
    assert!(!checkpoint.exists(), "the spent checkpoint is removed");
}

#[test]
fn paper_model_with_memory_burn_in_and_replications() {
    // A cyclic policy (burn-in before period 0) over logistic departures
    // with two-period memory and a grace period, a type with rational
    // entry, three replications.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("memory.toml");
    std::fs::write(
        &config,
        r#"
[simulation]
periods = 300
warmup = 50
seed = 31
scale = 60.0
initial = "steady_state"
replications = 3

[rewards]
values = [0.0, 1.0, 2.0]

[revenue]
kind = "sqrt"
price = 3.0

[[types]]
name = "remembers"
arrival_rate = 0.6
departure = { kind = "logistic", midpoint = 1.0, scale = 0.4, memory = { weights = [0.7, 0.3] }, grace_periods = 1 }

[[types]]
name = "forgets"
arrival_rate = 0.4
departure = { kind = "table", p = [0.8, 0.4, 0.2] }
# Rational entry over the last two announced means (0.75, 1.75, 1.0 in
# turn): joins in some periods only, so the restart needs the saved means.
reservation_value = 1.1
entry_window = 2

[policy]
kind = "cyclic"
cycle = [[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]]
"#,
    )
    .unwrap();
    restart_equals_uninterrupted(&config, &[], "70", 1);
    restart_equals_uninterrupted(&config, &[], "70", 3);
}

#[test]
fn belief_policy_per_agent_state() {
    restart_equals_uninterrupted(
        &repo("configs/paper/explicit-discrimination.toml"),
        // A small target, so that the stock is at it and the saved counts
        // decide who is retained after the restart.
        &[
            "simulation.periods=3000",
            "simulation.warmup=100",
            "policy.target=1",
        ],
        "1000",
        2,
    );
}

#[test]
fn token_economy_controller_across_an_event_window() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("configs/fengdou-steer.toml")).unwrap();
    let config = dir.path().join("steer-event.toml");
    std::fs::write(
        &config,
        format!(
            "{text}\n[[events]]\nname = \"slump\"\nfrom = 15\nto = 33\nkey = \"types.0.shopping_rate\"\nfactor = 0.6\n"
        ),
    )
    .unwrap();
    let sets = ["simulation.scale=2000", "budget.annual=2.0e5"];
    // Checkpoints at 20 and 40: the first inside the event window.
    restart_equals_uninterrupted(&config, &sets, "20", 1);
    restart_equals_uninterrupted(&config, &sets, "20", 2);
}

#[test]
fn restarts_of_another_configuration_or_a_corrupt_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = repo("configs/quickstart.toml");
    let out = dir.path().join("q.h5");
    let checkpoint = dir.path().join("q.h5.checkpoint");
    let killed = tokensim(
        &[
            "run",
            s(&config),
            "--out",
            s(&out),
            "--quiet",
            "--checkpoint-every",
            "500",
        ],
        &[("TOKENSIM_CRASH_AT", "checkpoint-written-1")],
    );
    assert_eq!(killed.status.signal(), Some(9));
    let other = tokensim(
        &[
            "run",
            s(&config),
            "--out",
            s(&out),
            "--quiet",
            "--seed",
            "7",
            "--restart",
            s(&checkpoint),
        ],
        &[],
    );
    assert_eq!(other.status.code(), Some(2), "{}", stderr(&other));
    assert!(stderr(&other).contains("another configuration"));
    let corrupt = dir.path().join("corrupt.checkpoint");
    let mut bytes = std::fs::read(&checkpoint).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&corrupt, bytes).unwrap();
    let o = tokensim(
        &[
            "run",
            s(&config),
            "--out",
            s(&out),
            "--quiet",
            "--restart",
            s(&corrupt),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("corrupt"));
    let o = tokensim(
        &[
            "run",
            s(&config),
            "--out",
            s(&out),
            "--quiet",
            "--restart",
            s(&config),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a tokensim checkpoint"));
    assert!(!out.exists());
}

#[test]
fn a_resumed_sweep_restarts_its_interrupted_run_from_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo("configs/quickstart.toml"),
        dir.path().join("base.toml"),
    )
    .unwrap();
    let sweep = dir.path().join("sweep.toml");
    std::fs::write(
        &sweep,
        "base = \"base.toml\"\nreplications = 2\nseed = 3\n[grid]\n\"policy.kind\" = [\"fluid\", \"fixed\"]\n",
    )
    .unwrap();
    let whole = dir.path().join("whole.h5");
    assert!(
        tokensim(&["sweep", s(&sweep), "--out", s(&whole), "--quiet"], &[])
            .status
            .success()
    );
    let out = dir.path().join("killed.h5");
    let killed = tokensim(
        &[
            "sweep",
            s(&sweep),
            "--out",
            s(&out),
            "--quiet",
            "--threads",
            "1",
            "--checkpoint-every",
            "400",
        ],
        &[("TOKENSIM_CRASH_AT", "checkpoint-written-3")],
    );
    assert_eq!(killed.status.signal(), Some(9), "{}", stderr(&killed));
    let journal = tokensim::output::journal_dir(&out);
    let checkpoints = std::fs::read_dir(&journal)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".checkpoint"))
        .count();
    assert_eq!(checkpoints, 1, "the interrupted run left its checkpoint");
    // Resumed without the flag: the checkpoint is used all the same.
    let resumed = tokensim(
        &["sweep", s(&sweep), "--out", s(&out), "--quiet", "--resume"],
        &[],
    );
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let diffs = differences(&whole, &out).unwrap();
    assert!(diffs.is_empty(), "{diffs:#?}");
    assert!(!journal.exists());
}
