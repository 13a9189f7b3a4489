//! Nothing lost (interfaces.md 4.1): sweeps killed at any moment resume to
//! the uninterrupted file, refused resumes delete nothing, failed runs are
//! retried, one writer per output, stale files of dead writers cleaned up.
//!
//! Kills are injected at named points (`TOKENSIM_CRASH_AT`, SIGKILL from the
//! process itself: no destructor runs) and at arbitrary moments (SIGKILL
//! from outside); every resumed output is compared with an uninterrupted
//! sweep's dataset by dataset and attribute by attribute.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::binary;
use tokensim::output::differences;

use common::SWEEP_BASE as BASE;

use common::SMALL_SWEEP as SWEEP;

struct Setup {
    dir: tempfile::TempDir,
    sweep: PathBuf,
    whole: PathBuf,
}

/// A sweep file, and its uninterrupted output `whole.h5`.
fn setup(sweep_text: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("base.toml"), BASE).unwrap();
    let sweep = dir.path().join("sweep.toml");
    std::fs::write(&sweep, sweep_text).unwrap();
    let whole = dir.path().join("whole.h5");
    let out = tokensim(&["sweep", s(&sweep), "--out", s(&whole), "--quiet"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    Setup { dir, sweep, whole }
}

fn tokensim(args: &[&str], env: &[(&str, &str)]) -> Output {
    common::tokensim_with_env(args, env)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn journal(out: &Path) -> PathBuf {
    tokensim::output::journal_dir(out)
}

fn journal_runs(out: &Path) -> usize {
    std::fs::read_dir(journal(out)).map_or(0, |d| {
        d.flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("run-"))
            .count()
    })
}

/// What is left beside `out` apart from it: hidden files and folders.
fn leftovers(out: &Path) -> Vec<String> {
    let name = out.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}")))
        .collect()
}

fn assert_same(a: &Path, b: &Path) {
    let diffs = differences(a, b).unwrap();
    assert!(
        diffs.is_empty(),
        "{} vs {}: {diffs:#?}",
        a.display(),
        b.display()
    );
}

fn resume(setup: &Setup, out: &Path) -> Output {
    tokensim(
        &[
            "sweep",
            s(&setup.sweep),
            "--out",
            s(out),
            "--resume",
            "--quiet",
        ],
        &[],
    )
}

#[test]
fn sweeps_killed_at_every_stage_resume_to_the_uninterrupted_file() {
    let setup = setup(SWEEP);
    for point in [
        "journal-run-temp",
        "journal-recorded-1",
        "journal-recorded-7",
        "journal-recorded-18",
        "finish-runs-copied",
        "finish-summary-written",
        "finish-renamed",
    ] {
        let out = setup.dir.path().join(format!("{point}.h5"));
        let killed = tokensim(
            &["sweep", s(&setup.sweep), "--out", s(&out), "--quiet"],
            &[("TOKENSIM_CRASH_AT", point)],
        );
        assert_eq!(
            killed.status.signal(),
            Some(9),
            "{point}: {}",
            text(&killed.stderr)
        );
        // Before the rename nothing is under the final name; after it, the
        // complete file is.
        if point == "finish-renamed" {
            assert_same(&setup.whole, &out);
        } else {
            assert!(
                !out.exists(),
                "{point}: a file appeared under the final name"
            );
        }
        let recorded = journal_runs(&out);
        let expected = match point {
            "journal-run-temp" => 0,
            p if p.starts_with("journal-recorded-") => p[17..].parse().unwrap(),
            _ => 18,
        };
        assert_eq!(recorded, expected, "{point}: runs kept in the journal");
        // A plain rerun refuses to start over the journal and touches nothing.
        let again = tokensim(
            &["sweep", s(&setup.sweep), "--out", s(&out), "--quiet"],
            &[],
        );
        assert_eq!(
            again.status.code(),
            Some(2),
            "{point}: {}",
            text(&again.stderr)
        );
        assert!(text(&again.stderr).contains("--resume"));
        assert_eq!(journal_runs(&out), recorded);

        let resumed = resume(&setup, &out);
        assert!(
            resumed.status.success(),
            "{point}: {}",
            text(&resumed.stderr)
        );
        let stdout = text(&resumed.stdout);
        assert!(
            stdout.contains(&format!("ran {}, skipped {recorded}", 18 - recorded)),
            "{point}: {stdout}"
        );
        assert_same(&setup.whole, &out);
        assert!(leftovers(&out).is_empty(), "{point}: {:?}", leftovers(&out));
    }
}

#[test]
fn sweeps_killed_from_outside_at_arbitrary_moments_lose_no_finished_run() {
    // SIGKILL, SIGTERM and Ctrl-C (SIGINT) at arbitrary moments.
    // Longer runs, so that kills land while runs are simulated and written.
    let slow = SWEEP.replace(
        "seed = 99",
        "seed = 99\n\n[set]\n\"simulation.periods\" = 4000",
    );
    let setup = setup(&slow);
    let signals = [libc::SIGKILL, libc::SIGTERM, libc::SIGINT, libc::SIGKILL];
    for (i, delay_ms) in [40u64, 150, 250, 400].into_iter().enumerate() {
        let out = setup.dir.path().join(format!("killed-{i}.h5"));
        let mut child = Command::new(binary())
            .args(["sweep", s(&setup.sweep), "--out", s(&out), "--quiet"])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        // SAFETY: signalling our own child process.
        unsafe {
            libc::kill(child.id() as libc::pid_t, signals[i]);
        }
        let _ = child.wait();
        let kept = journal_runs(&out);
        let resumed = resume(&setup, &out);
        assert!(resumed.status.success(), "{}", text(&resumed.stderr));
        if !out.exists() || kept > 0 {
            assert!(text(&resumed.stdout).contains(&format!("skipped {kept}")));
        }
        assert_same(&setup.whole, &out);
        assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    }
}

#[test]
fn refused_resumes_delete_nothing() {
    let setup = setup(SWEEP);
    let out = setup.dir.path().join("partial.h5");
    let killed = tokensim(
        &["sweep", s(&setup.sweep), "--out", s(&out), "--quiet"],
        &[("TOKENSIM_CRASH_AT", "journal-recorded-5")],
    );
    assert_eq!(killed.status.signal(), Some(9));
    // Another sweep (another root seed) aimed at the same output.
    let other = setup.dir.path().join("other.toml");
    std::fs::write(&other, SWEEP.replace("seed = 99", "seed = 7")).unwrap();
    let refused = tokensim(
        &["sweep", s(&other), "--out", s(&out), "--resume", "--quiet"],
        &[],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(text(&refused.stderr).contains("another sweep"));
    assert_eq!(journal_runs(&out), 5, "the refused resume deleted runs");
    // A finished output of another sweep is refused too, and left as it is.
    let finished = setup.dir.path().join("finished.h5");
    std::fs::copy(&setup.whole, &finished).unwrap();
    let refused = tokensim(
        &[
            "sweep",
            s(&other),
            "--out",
            s(&finished),
            "--resume",
            "--quiet",
        ],
        &[],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert_same(&setup.whole, &finished);
    assert!(
        leftovers(&finished).is_empty(),
        "{:?}",
        leftovers(&finished)
    );
    // The right sweep still resumes.
    assert!(resume(&setup, &out).status.success());
    assert_same(&setup.whole, &out);
}

#[test]
fn failed_runs_are_retried_on_resume_and_counted_in_the_exit_status() {
    let setup = setup(SWEEP);
    let out = setup.dir.path().join("failing.h5");
    let failed = tokensim(
        &["sweep", s(&setup.sweep), "--out", s(&out), "--quiet"],
        &[("TOKENSIM_FAIL_RUNS", "2,9")],
    );
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed.stderr));
    assert!(
        text(&failed.stderr).contains("2 failed"),
        "{}",
        text(&failed.stderr)
    );
    // The finished file records the failures; resuming it runs them again.
    let resumed = resume(&setup, &out);
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    assert!(
        text(&resumed.stdout).contains("ran 2, skipped 16 already complete, 0 failed"),
        "{}",
        text(&resumed.stdout)
    );
    assert_same(&setup.whole, &out);
    // A resumed sweep whose retried runs fail again says so in its status.
    let out2 = setup.dir.path().join("failing2.h5");
    let env = [("TOKENSIM_FAIL_RUNS", "4")];
    let first = tokensim(
        &["sweep", s(&setup.sweep), "--out", s(&out2), "--quiet"],
        &env,
    );
    assert_eq!(first.status.code(), Some(1));
    let again = tokensim(
        &[
            "sweep",
            s(&setup.sweep),
            "--out",
            s(&out2),
            "--resume",
            "--quiet",
        ],
        &env,
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("ran 1, skipped 17 already complete, 1 failed"));
}

#[test]
fn one_writer_per_output_even_without_hdf5_locking() {
    let slow = SWEEP.replace(
        "seed = 99",
        "seed = 99\n\n[set]\n\"simulation.periods\" = 6000",
    );
    let setup = setup(&slow);
    let out = setup.dir.path().join("shared.h5");
    for env in [vec![], vec![("HDF5_USE_FILE_LOCKING", "FALSE")]] {
        let _ = std::fs::remove_file(&out);
        let mut first = Command::new(binary());
        first.args(["sweep", s(&setup.sweep), "--out", s(&out), "--quiet"]);
        for (k, v) in &env {
            first.env(k, v);
        }
        let first = first.spawn().unwrap();
        // Wait until the first writer holds the lock.
        let lock = tokensim::output::lock_path(&out);
        for _ in 0..200 {
            if lock.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(lock.exists());
        let base = setup.dir.path().join("base.toml");
        for args in [
            vec!["sweep", s(&setup.sweep), "--out", s(&out), "--quiet"],
            vec![
                "sweep",
                s(&setup.sweep),
                "--out",
                s(&out),
                "--resume",
                "--quiet",
            ],
            vec!["run", s(&base), "--out", s(&out), "--quiet"],
            vec!["merge", s(&out), s(&setup.whole)],
        ] {
            let second = tokensim(&args, &env);
            assert_eq!(
                second.status.code(),
                Some(2),
                "{args:?}: {}",
                text(&second.stderr)
            );
            assert!(
                text(&second.stderr).contains("another tokensim"),
                "{}",
                text(&second.stderr)
            );
        }
        let first = first.wait_with_output().unwrap();
        assert!(first.status.success());
        assert_same(&setup.whole, &out);
        assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    }
}

#[test]
fn killed_runs_leave_nothing_that_outlives_the_next_writer() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("base.toml");
    std::fs::write(&config, BASE).unwrap();
    let out = dir.path().join("run.h5");
    for point in ["run-before-close", "run-before-rename"] {
        let killed = tokensim(
            &["run", s(&config), "--out", s(&out), "--quiet"],
            &[("TOKENSIM_CRASH_AT", point)],
        );
        assert_eq!(killed.status.signal(), Some(9));
        assert!(!out.exists());
        assert!(
            !leftovers(&out).is_empty(),
            "the killed run left its temporary file"
        );
        // The next writer takes over the stale lock and removes the
        // temporary file of the dead one.
        let ok = tokensim(&["run", s(&config), "--out", s(&out), "--quiet"], &[]);
        assert!(ok.status.success(), "{}", text(&ok.stderr));
        assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
        std::fs::remove_file(&out).unwrap();
    }
}

#[test]
fn failed_writes_keep_every_finished_run() {
    let setup = setup(SWEEP);
    // The disk fills while the 6th run is recorded: the sweep stops with
    // exit 1 and keeps the five runs recorded before.
    let out = setup.dir.path().join("full.h5");
    let full = tokensim(
        &[
            "sweep",
            s(&setup.sweep),
            "--out",
            s(&out),
            "--quiet",
            "--threads",
            "1",
        ],
        &[("TOKENSIM_FAIL_AT", "journal-record-6")],
    );
    assert_eq!(full.status.code(), Some(1), "{}", text(&full.stderr));
    assert!(
        text(&full.stderr).contains("No space left"),
        "{}",
        text(&full.stderr)
    );
    assert_eq!(journal_runs(&out), 5);
    assert!(!out.exists());
    assert!(resume(&setup, &out).status.success());
    assert_same(&setup.whole, &out);
    // The end of the sweep fails (full disk while writing the final file):
    // nothing is lost, and a resume finishes it without running anything.
    let out = setup.dir.path().join("end.h5");
    let end = tokensim(
        &["sweep", s(&setup.sweep), "--out", s(&out), "--quiet"],
        &[("TOKENSIM_FAIL_AT", "finish-summary")],
    );
    assert_eq!(end.status.code(), Some(1), "{}", text(&end.stderr));
    assert_eq!(journal_runs(&out), 18);
    let resumed = resume(&setup, &out);
    assert!(
        text(&resumed.stdout).contains("ran 0, skipped 18"),
        "{}",
        text(&resumed.stdout)
    );
    assert_same(&setup.whole, &out);
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
}
