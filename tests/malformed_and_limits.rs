//! Bad input that is not a configuration (interfaces.md 4.1): malformed
//! output files given to audit, report, export and merge; sizes beyond the
//! machine; output paths that are not files. Each is refused with exit 2
//! naming the dataset or key — never a verdict, a panic or a partial file.
//! Also: CSV quoting and formula neutralisation, escaped control characters,
//! a closed pipe, and seeds of any u64 re-run from their own record.

mod common;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::binary;

const GOOD: &str = r#"[simulation]
periods = 40
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
departure = { kind = "table", p = [0.6, 0.4, 0.2] }

[policy]
kind = "static"
distribution = [0.2, 0.3, 0.5]
"#;

fn tokensim(args: &[&str]) -> Output {
    // The test process edits files with the HDF5 library in-process, which
    // may hold a file's lock a little past `close`: readers here do not lock.
    Command::new(binary())
        .args(args)
        .env("HDF5_USE_FILE_LOCKING", "FALSE")
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A good run file in a fresh folder.
fn good_run(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("good.toml");
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("good.h5");
    let o = tokensim(&["run", s(&config), "--out", s(&out), "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    (dir, out)
}

/// A copy of `file` edited by `edit`.
fn corrupted(file: &Path, name: &str, edit: impl FnOnce(&hdf5::File)) -> PathBuf {
    let copy = file.with_file_name(name);
    std::fs::copy(file, &copy).unwrap();
    let f = hdf5::File::open_rw(&copy).unwrap();
    edit(&f);
    f.close().unwrap();
    copy
}

fn replace<T: hdf5::H5Type>(f: &hdf5::File, path: &str, data: ndarray::ArrayD<T>) {
    let (parent, name) = path.rsplit_once('/').unwrap();
    let g = f.group(parent).unwrap();
    g.unlink(name).unwrap();
    g.new_dataset_builder()
        .with_data(&data)
        .create(name)
        .unwrap();
}

/// Every reader refuses `file` with exit 2 and a message naming `needle`,
/// and export leaves no CSV behind.
fn refused_by_every_reader(file: &Path, needle: &str) {
    let csv = file.with_file_name(format!(
        "{}-csv",
        file.file_name().unwrap().to_string_lossy()
    ));
    let report = file.with_file_name(format!(
        "{}-report",
        file.file_name().unwrap().to_string_lossy()
    ));
    for args in [
        vec!["audit", s(file)],
        vec!["audit", s(file), "--json"],
        vec!["report", s(file), "--out", s(&report)],
        vec!["export", s(file), "--csv", s(&csv)],
    ] {
        let o = tokensim(&args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(!e.contains("panicked"), "{args:?}: {e}");
        assert!(
            e.contains(needle),
            "{args:?}: message lacks {needle:?}: {e}"
        );
    }
    let left = std::fs::read_dir(&csv).map_or(0, |d| d.count());
    assert_eq!(left, 0, "export left files in {}", csv.display());
}

#[test]
fn malformed_run_files_are_refused_with_the_dataset_named() {
    let (_dir, good) = good_run(GOOD);
    let code = tokensim(&["audit", s(&good)]).status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "the good file is audited: {code:?}"
    );

    let f = corrupted(&good, "warmup.h5", |f| {
        let run = f.group("runs/0").unwrap();
        run.delete_attr("warmup").unwrap();
        run.new_attr::<u64>()
            .create("warmup")
            .unwrap()
            .write_scalar(&40u64)
            .unwrap();
    });
    refused_by_every_reader(&f, "no data after warm-up");

    let f = corrupted(&good, "nan.h5", |f| {
        replace(
            f,
            "runs/0/series/active",
            ndarray::ArrayD::from_elem(vec![40, 2], f64::NAN),
        );
    });
    refused_by_every_reader(&f, "/runs/0/series/active");

    let f = corrupted(&good, "fraction.h5", |f| {
        replace(
            f,
            "runs/0/series/reward_counts",
            ndarray::ArrayD::from_elem(vec![40, 2, 3], 0.5f64),
        );
    });
    refused_by_every_reader(&f, "/runs/0/series/reward_counts");

    let f = corrupted(&good, "shape.h5", |f| {
        replace(
            f,
            "runs/0/series/reward_counts",
            ndarray::ArrayD::from_elem(vec![40, 2, 2], 1u64),
        );
    });
    refused_by_every_reader(&f, "/runs/0/series/reward_counts");

    let f = corrupted(&good, "sums.h5", |f| {
        replace(
            f,
            "runs/0/series/reward_counts",
            ndarray::ArrayD::from_elem(vec![40, 2, 3], 1000u64),
        );
    });
    refused_by_every_reader(&f, "add up");

    let f = corrupted(&good, "names.h5", |f| {
        let empty: Vec<hdf5::types::VarLenUnicode> = Vec::new();
        replace(
            f,
            "runs/0/meta/type_names",
            ndarray::ArrayD::from_shape_vec(vec![0], empty).unwrap(),
        );
    });
    refused_by_every_reader(&f, "/runs/0/meta/type_names");

    let f = corrupted(&good, "rewards.h5", |f| {
        replace(
            f,
            "runs/0/meta/reward_values",
            ndarray::ArrayD::<f64>::from_shape_vec(vec![0], vec![]).unwrap(),
        );
    });
    refused_by_every_reader(&f, "/runs/0/meta/reward_values");

    let f = corrupted(&good, "missing.h5", |f| {
        f.group("runs/0/series")
            .unwrap()
            .unlink("policy_dist")
            .unwrap();
    });
    refused_by_every_reader(&f, "/runs/0/series/policy_dist");

    let foreign = good.with_file_name("foreign.h5");
    std::fs::write(&foreign, b"not an HDF5 file at all").unwrap();
    refused_by_every_reader(&foreign, "foreign.h5");
}

const SWEEP: &str = r#"
base = "good.toml"
replications = 2
seed = 5

[grid]
"simulation.scale" = [5.0, 10.0]
"#;

#[test]
fn malformed_sweep_files_and_shards_are_refused() {
    let (dir, _) = good_run(GOOD);
    let sweep = dir.path().join("sweep.toml");
    std::fs::write(&sweep, SWEEP).unwrap();
    let out = dir.path().join("sweep.h5");
    assert!(tokensim(&["sweep", s(&sweep), "--out", s(&out), "--quiet"])
        .status
        .success());
    let f = corrupted(&out, "short.h5", |f| {
        replace(
            f,
            "summary/max_tv",
            ndarray::ArrayD::from_elem(vec![3], 0.0f64),
        );
    });
    refused_by_every_reader(&f, "/summary/max_tv");

    // A shard whose run has neither a status nor series is not merged.
    let shard = dir.path().join("shard.h5");
    assert!(tokensim(&[
        "sweep",
        s(&sweep),
        "--out",
        s(&shard),
        "--shard",
        "1/1",
        "--quiet"
    ])
    .status
    .success());
    let broken = corrupted(&shard, "broken-shard.h5", |f| {
        let run = f.group("runs/1").unwrap();
        run.delete_attr("status").unwrap();
        run.unlink("series").unwrap();
    });
    let merged = dir.path().join("merged.h5");
    let o = tokensim(&["merge", s(&merged), s(&broken)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("/runs/1"), "{}", stderr(&o));
    assert!(!merged.exists());
}

/// A run refused before simulating: exit 2, the needles in the message,
/// nothing written.
fn refused_run(config: &str, extra: &[&str], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, config).unwrap();
    let out = dir.path().join("out.h5");
    let mut args = vec!["run", s(&path), "--quiet", "--out", s(&out)];
    args.extend_from_slice(extra);
    let o = tokensim(&args);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{extra:?}: {e}");
    for n in needles {
        assert!(e.contains(n), "{extra:?}: lacks {n:?}: {e}");
    }
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "c.toml")
        .collect();
    assert!(left.is_empty(), "{extra:?}: left {left:?}");
}

#[test]
fn sizes_beyond_the_machine_are_refused_before_simulating() {
    refused_run(
        GOOD,
        &["--set", "simulation.scale=1e20"],
        &["simulation.scale", "can be drawn", "arrivals"],
    );
    refused_run(
        GOOD,
        &["--set", "simulation.scale=1e12"],
        &["simulation.scale", "memory", "--force-size"],
    );
    refused_run(
        GOOD,
        &["--set", "simulation.periods=4000000000"],
        &["simulation.periods", "--force-size"],
    );
    refused_run(
        GOOD,
        &["--replications", "4000000000"],
        &["simulation.replications", "--force-size"],
    );
    refused_run(
        GOOD,
        &["--set", "simulation.burn_in=4294967295"],
        &["simulation.burn_in", "agent-steps"],
    );
    let shock = format!(
        "{GOOD}\n[[events]]\nname = \"flood\"\nfrom = 5\nto = 9\nkey = \"types.0.arrival_rate\"\nfactor = 1e308\n"
    );
    refused_run(
        &shock,
        &[],
        &["types.0.arrival_rate", "arrivals per period"],
    );
    // --force-size does not make an unrepresentable draw representable.
    refused_run(
        GOOD,
        &["--set", "simulation.scale=1e20", "--force-size"],
        &["can be drawn"],
    );
}

#[test]
fn huge_grids_are_refused_before_their_points_are_validated() {
    let (dir, _) = good_run(GOOD);
    let values: Vec<String> = (0..1000).map(|i| format!("{}", 1.0 + i as f64)).collect();
    let sweep = dir.path().join("huge.toml");
    std::fs::write(
        &sweep,
        format!(
            "base = \"good.toml\"\n[grid]\n\"simulation.scale\" = [{0}]\n\"simulation.seed\" = [{0}]\n",
            values.join(", ")
        ),
    )
    .unwrap();
    let start = std::time::Instant::now();
    let o = tokensim(&[
        "sweep",
        s(&sweep),
        "--out",
        s(&dir.path().join("h.h5")),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("1000000"), "{}", stderr(&o));
    assert!(stderr(&o).contains("huge.toml:2:"), "{}", stderr(&o));
    assert!(start.elapsed().as_secs() < 5);
}

#[test]
fn output_paths_that_are_not_files_are_refused_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, GOOD).unwrap();
    let missing = dir.path().join("no/such/folder/out.h5");
    for (out, needle) in [
        ("/dev/null", "not a regular file"),
        (s(dir.path()), "is a folder"),
        (s(&missing), "does not exist"),
    ] {
        let o = tokensim(&["run", s(&config), "--quiet", "--out", out]);
        assert_eq!(o.status.code(), Some(2), "{out}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{out}: {}", stderr(&o));
    }
    let meta = std::fs::metadata("/dev/null").unwrap();
    assert!(!meta.is_file(), "/dev/null was replaced");
    let sweep = dir.path().join("s.toml");
    std::fs::write(&sweep, SWEEP.replace("good.toml", "c.toml")).unwrap();
    let o = tokensim(&["sweep", s(&sweep), "--quiet", "--out", s(dir.path())]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        std::fs::read_dir(dir.path()).unwrap().count() == 2,
        "a refused sweep left files"
    );
}

#[test]
fn csv_export_quotes_and_neutralises_text_and_audit_escapes_control_characters() {
    let names = GOOD
        .replacen("name = \"a\"", "name = \"=SUM(A1;A2) \\\"x\\\"\"", 1)
        .replacen("name = \"b\"", "name = \"\\u001b[31mred\\r,x\"", 1);
    let (dir, file) = good_run(&names);
    let csv = dir.path().join("csv");
    let o = tokensim(&["export", s(&file), "--csv", s(&csv)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let series = std::fs::read_to_string(csv.join("series.csv")).unwrap();
    assert!(
        series.contains(",\"'=SUM(A1;A2) \"\"x\"\"\","),
        "formula not neutralised: {}",
        &series[..300]
    );
    // The carriage return and comma are quoted (one CSV field).
    assert!(
        series.contains(",\"\u{1b}[31mred\r,x\","),
        "{}",
        &series[..400]
    );
    let audit = tokensim(&["audit", s(&file)]);
    let text = String::from_utf8_lossy(&audit.stdout);
    assert!(
        !text.contains('\u{1b}'),
        "a raw escape sequence reached the terminal"
    );
    assert!(text.contains("\\u{1b}[31mred"));
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let (_dir, file) = good_run(GOOD);
    let mut child = Command::new(binary())
        .args(["audit", s(&file)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader leaves at once, as `| head -0` would
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(status.code(), Some(101), "{err}");
}

#[test]
fn seeds_of_any_u64_rerun_from_their_own_record() {
    let (dir, _) = good_run(GOOD);
    let config = dir.path().join("good.toml");
    for seed in ["9223372036854775808", "18446744073709551615"] {
        let first = dir.path().join(format!("s{seed}.h5"));
        let o = tokensim(&[
            "run",
            s(&config),
            "--seed",
            seed,
            "--out",
            s(&first),
            "--quiet",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let f = hdf5::File::open(&first).unwrap();
        let run = f.group("runs/0").unwrap();
        let recorded: String = run
            .attr("config_toml")
            .unwrap()
            .read_scalar::<hdf5::types::VarLenUnicode>()
            .unwrap()
            .as_str()
            .to_string();
        assert_eq!(
            run.attr("seed")
                .unwrap()
                .read_scalar::<u64>()
                .unwrap()
                .to_string(),
            seed
        );
        let again_config = dir.path().join(format!("again{seed}.toml"));
        std::fs::write(&again_config, recorded).unwrap();
        let again = dir.path().join(format!("again{seed}.h5"));
        let o = tokensim(&["run", s(&again_config), "--out", s(&again), "--quiet"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let diffs = tokensim::output::differences(&first, &again).unwrap();
        assert!(diffs.is_empty(), "{diffs:?}");
    }
}
