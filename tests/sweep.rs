//! Sweeps: whole vs sharded + merged, resume, failures, bad input.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::binary;
use hdf5::types::VarLenUnicode;
use tokensim::sweep::run_seed;

use common::SWEEP_BASE as BASE;

use common::SMALL_SWEEP as SWEEP;

fn setup(sweep: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("base.toml"), BASE).unwrap();
    let path = dir.path().join("sweep.toml");
    std::fs::write(&path, sweep).unwrap();
    (dir, path)
}

fn tokensim(args: &[&str]) -> Output {
    Command::new(binary()).args(args).output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A dataset or attribute's content, whatever its type.
fn content(read: impl Fn(&str) -> Option<String>) -> String {
    read("").unwrap_or_else(|| "<unreadable>".into())
}

fn dataset_text(ds: &hdf5::Dataset) -> String {
    use hdf5::types::TypeDescriptor as T;
    content(|_| match ds.dtype().ok()?.to_descriptor().ok()? {
        T::Unsigned(_) => ds.read_raw::<u64>().ok().map(|v| format!("{v:?}")),
        T::Float(_) => ds
            .read_raw::<f64>()
            .ok()
            .map(|v| format!("{:?}", v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())),
        T::VarLenUnicode => ds
            .read_raw::<VarLenUnicode>()
            .ok()
            .map(|v| format!("{v:?}")),
        other => Some(format!("unexpected type {other:?}")),
    })
}

fn attr_text(a: &hdf5::Attribute) -> String {
    use hdf5::types::TypeDescriptor as T;
    content(|_| match a.dtype().ok()?.to_descriptor().ok()? {
        T::Unsigned(_) => a.read_raw::<u64>().ok().map(|v| format!("{v:?}")),
        T::Float(_) => a
            .read_raw::<f64>()
            .ok()
            .map(|v| format!("{:?}", v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())),
        T::VarLenUnicode => a.read_raw::<VarLenUnicode>().ok().map(|v| format!("{v:?}")),
        other => Some(format!("unexpected type {other:?}")),
    })
}

/// Every dataset and attribute under `group`, as (path, content), sorted.
fn flatten(group: &hdf5::Group, prefix: &str, out: &mut Vec<(String, String)>) {
    for name in group.attr_names().unwrap() {
        if name != "created_utc" {
            out.push((
                format!("{prefix}@{name}"),
                attr_text(&group.attr(&name).unwrap()),
            ));
        }
    }
    for name in group.member_names().unwrap() {
        let path = format!("{prefix}/{name}");
        if let Ok(g) = group.group(&name) {
            flatten(&g, &path, out);
        } else {
            let ds = group.dataset(&name).unwrap();
            for a in ds.attr_names().unwrap() {
                out.push((format!("{path}@{a}"), attr_text(&ds.attr(&a).unwrap())));
            }
            out.push((path, dataset_text(&ds)));
        }
    }
    out.sort();
}

fn everything(path: &Path) -> Vec<(String, String)> {
    let file = hdf5::File::open(path).unwrap();
    let mut out = Vec::new();
    flatten(&file, "", &mut out);
    out
}

#[test]
fn sharded_and_merged_equals_whole() {
    let (dir, sweep) = setup(SWEEP);
    let whole = dir.path().join("whole.h5");
    let out = tokensim(&["sweep", s(&sweep), "--out", s(&whole), "--quiet"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut shards = Vec::new();
    for i in 1..=3 {
        let shard = dir.path().join(format!("shard{i}.h5"));
        let out = tokensim(&[
            "sweep",
            s(&sweep),
            "--shard",
            &format!("{i}/3"),
            "--out",
            s(&shard),
            "--quiet",
            "--threads",
            "1",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        shards.push(shard);
    }
    let merged = dir.path().join("merged.h5");
    let mut args = vec!["merge", s(&merged)];
    args.extend(shards.iter().map(|p| s(p)));
    let out = tokensim(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let a = everything(&whole);
    let b = everything(&merged);
    assert!(a.len() > 18 * 20, "the sweep wrote {} items", a.len());
    let names_a: Vec<&String> = a.iter().map(|x| &x.0).collect();
    let names_b: Vec<&String> = b.iter().map(|x| &x.0).collect();
    assert_eq!(names_a, names_b);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "{} differs", x.0);
    }

    // Seeds are derived from the root seed, the point's grid values (as
    // sorted `key=value` lines) and the replication, and recorded. Points
    // run in grid order, the last key fastest, replications innermost.
    let file = hdf5::File::open(&whole).unwrap();
    let seeds: Vec<u64> = file.dataset("summary/seed").unwrap().read_raw().unwrap();
    let mut expected = Vec::new();
    for scale in ["10.0", "40.0"] {
        for kind in ["fluid", "fixed", "cyclic"] {
            for rep in 0..3 {
                let key = format!("policy.kind=\"{kind}\"\nsimulation.scale={scale}");
                expected.push(run_seed(99, &key, rep));
            }
        }
    }
    assert_eq!(seeds, expected);
    let kinds: Vec<VarLenUnicode> = file
        .dataset("summary/policy.kind")
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!(kinds[0].as_str(), "fluid");
    assert_eq!(kinds[3].as_str(), "fixed");
    let scales: Vec<f64> = file
        .dataset("summary/simulation.scale")
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!((scales[0], scales[17]), (10.0, 40.0));

    // Merging refuses duplicates, missing runs and other sweeps.
    let out = tokensim(&[
        "merge",
        s(&dir.path().join("m2.h5")),
        s(&shards[0]),
        s(&shards[0]),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("appears in both"));
    let out = tokensim(&[
        "merge",
        s(&dir.path().join("m3.h5")),
        s(&shards[0]),
        s(&shards[1]),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));
    let (other_dir, other_sweep) = setup(&SWEEP.replace("seed = 99", "seed = 100"));
    let other = other_dir.path().join("other.h5");
    assert!(tokensim(&[
        "sweep",
        s(&other_sweep),
        "--shard",
        "1/3",
        "--out",
        s(&other),
        "--quiet"
    ])
    .status
    .success());
    let out = tokensim(&[
        "merge",
        s(&dir.path().join("m4.h5")),
        s(&other),
        s(&shards[1]),
        s(&shards[2]),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another sweep"));
    for m in ["m2.h5", "m3.h5", "m4.h5"] {
        assert!(!dir.path().join(m).exists());
    }
}

#[test]
fn resume_of_a_finished_sweep_keeps_its_runs_and_data() {
    let (dir, sweep) = setup(SWEEP);
    let whole = dir.path().join("whole.h5");
    assert!(
        tokensim(&["sweep", s(&sweep), "--out", s(&whole), "--quiet"])
            .status
            .success()
    );
    let before = everything(&whole);
    let out = tokensim(&[
        "sweep",
        s(&sweep),
        "--out",
        s(&whole),
        "--resume",
        "--quiet",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ran 0, skipped 18"), "{stdout}");
    assert_eq!(before, everything(&whole));
    assert!(!dir.path().join(".whole.h5.partial").exists());
}

#[test]
fn resume_extends_a_finished_sweep_to_what_a_fresh_run_writes() {
    let (dir, sweep) = setup(SWEEP);
    let out_path = dir.path().join("grown.h5");
    assert!(
        tokensim(&["sweep", s(&sweep), "--out", s(&out_path), "--quiet"])
            .status
            .success()
    );
    // One more grid value (in the middle) and one more replication.
    let bigger = dir.path().join("bigger.toml");
    std::fs::write(&bigger, SWEEP.replace("[10.0, 40.0]", "[10.0, 20.0, 40.0]")).unwrap();
    let out = tokensim(&[
        "sweep",
        s(&bigger),
        "--replications",
        "4",
        "--out",
        s(&out_path),
        "--resume",
        "--quiet",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 3 scales x 3 policies x 4 replications = 36 runs, 18 of them reused.
    assert!(stdout.contains("ran 18, skipped 18"), "{stdout}");

    let fresh = dir.path().join("fresh.h5");
    let out = tokensim(&[
        "sweep",
        s(&bigger),
        "--replications",
        "4",
        "--out",
        s(&fresh),
        "--quiet",
    ]);
    assert!(out.status.success());
    let grown = everything(&out_path);
    let scratch = everything(&fresh);
    let names_a: Vec<&String> = grown.iter().map(|x| &x.0).collect();
    let names_b: Vec<&String> = scratch.iter().map(|x| &x.0).collect();
    assert_eq!(names_a, names_b);
    for (x, y) in grown.iter().zip(&scratch) {
        assert_eq!(x, y, "{} differs", x.0);
    }

    // Changing a sweep is refused, with the file untouched: another seed,
    // a grid value dropped (the original sweep lacks the scale-20 runs the
    // file now holds), a grid value replaced.
    let changed = [
        SWEEP.replace("seed = 99", "seed = 7"),
        SWEEP.to_string(),
        SWEEP.replace("[10.0, 40.0]", "[10.0, 20.0]"),
    ];
    for (i, text) in changed.iter().enumerate() {
        let path = dir.path().join(format!("changed{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let out = tokensim(&[
            "sweep",
            s(&path),
            "--replications",
            "4",
            "--out",
            s(&out_path),
            "--resume",
            "--quiet",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("nothing was changed"), "{stderr}");
        assert_eq!(everything(&out_path), grown);
    }
}

#[test]
fn failed_runs_are_recorded_and_the_rest_go_on() {
    // With cost 0 on reward 2 and p = 0 there, type a never leaves: the
    // steady state of "fixed at 2" is infinite and that run fails.
    let failing = SWEEP.replace(
        "\"policy.kind\" = [\"fluid\", \"fixed\", \"cyclic\"]",
        "\"policy.kind\" = [\"fluid\", \"static\"]\n\n[set]\n\"policy.distribution\" = [0.0, 0.0, 1.0]\n\"types.0.departure.p\" = [0.6, 0.3, 0.0]",
    );
    let (dir, sweep) = setup(&failing);
    let out_path = dir.path().join("f.h5");
    let out = tokensim(&["sweep", s(&sweep), "--out", s(&out_path), "--quiet"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("never leaves"));
    let file = hdf5::File::open(&out_path).unwrap();
    let status: Vec<VarLenUnicode> = file.dataset("summary/status").unwrap().read_raw().unwrap();
    let ok = status.iter().filter(|s| s.as_str() == "ok").count();
    assert_eq!((ok, status.len()), (6, 12));

    let stop_path = dir.path().join("stop.h5");
    let out = tokensim(&[
        "sweep",
        s(&sweep),
        "--out",
        s(&stop_path),
        "--quiet",
        "--on-error",
        "stop",
        "--threads",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !stop_path.exists(),
        "a stopped sweep leaves only its partial file"
    );
    assert!(dir.path().join(".stop.h5.partial").exists());
}

#[test]
fn bad_sweeps_are_rejected_before_running() {
    let cases: [(&str, &[&str], &str); 6] = [
        (&SWEEP.replace("base.toml", "missing.toml"), &[], "base"),
        (
            &format!("{SWEEP}\n[zip]\n\"simulation.scale\" = [5.0, 6.0]\n"),
            &[],
            "in both",
        ),
        (
            &format!("{SWEEP}\n[set]\n\"policy.kind\" = \"fluid\"\n"),
            &[],
            "set.policy.kind",
        ),
        (
            &SWEEP.replace("policy.kind", "policy.knd"),
            &[],
            "policy.knd",
        ),
        (SWEEP, &["--shard", "4/3"], "--shard"),
        (SWEEP, &["--shard", "0/3"], "--shard"),
    ];
    for (text, extra, needle) in cases {
        let (dir, sweep) = setup(text);
        let out_path = dir.path().join("bad.h5");
        let mut args = vec!["sweep", s(&sweep), "--out", s(&out_path), "--quiet"];
        args.extend_from_slice(extra);
        let out = tokensim(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(needle), "{needle}: {stderr}");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".h5") || n.contains("partial"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

/// Generated grid values (issue 14, point 6): linspace and logspace hit
/// their end points and are evenly spaced (in log for logspace); a
/// Latin-hypercube sample has one value in each of its n strata; uniform
/// samples stay in range; random samples follow the sweep's seed.
#[test]
fn generated_grid_values_and_command_line_changes() {
    use tokensim::sweep::{SweepOverrides, SweepPlan};
    let dir = tempfile::tempdir().unwrap();
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/quickstart.toml");
    let sweep = dir.path().join("s.toml");
    let write = |seed: u64| {
        std::fs::write(
            &sweep,
            format!(
                r#"base = "{}"
seed = {seed}
[grid]
"simulation.scale" = {{ logspace = [10, 1000, 3] }}
"revenue.price" = {{ linspace = [1, 2, 5] }}
[zip]
"types.0.arrival_rate" = {{ latin_hypercube = [0.3, 0.7], n = 8 }}
"types.1.arrival_rate" = {{ uniform = [0.2, 0.4], n = 8 }}
"#,
                base.display()
            ),
        )
        .unwrap();
    };
    write(7);
    let plan = SweepPlan::load(&sweep).unwrap();
    assert_eq!(plan.points.len(), 3 * 5 * 8);
    let column = |key: &str| -> Vec<f64> {
        let mut v: Vec<f64> = plan
            .points
            .iter()
            .map(|p| {
                p.values
                    .iter()
                    .find(|(k, _)| k == key)
                    .unwrap()
                    .1
                    .as_float()
                    .unwrap()
            })
            .collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    };
    assert_eq!(column("simulation.scale"), [10.0, 100.0, 1000.0]);
    assert_eq!(column("revenue.price"), [1.0, 1.25, 1.5, 1.75, 2.0]);
    let lhs = column("types.0.arrival_rate");
    assert_eq!(lhs.len(), 8);
    for (i, x) in lhs.iter().enumerate() {
        let (lo, hi) = (0.3 + 0.05 * i as f64, 0.3 + 0.05 * (i + 1) as f64);
        assert!(*x >= lo - 1e-12 && *x < hi + 1e-12, "stratum {i}: {x}");
    }
    let uniform = column("types.1.arrival_rate");
    assert!(uniform.iter().all(|x| (0.2..0.4).contains(x)));
    // Another seed, other samples; the same seed, the same.
    write(8);
    let other = SweepPlan::load(&sweep).unwrap();
    assert_ne!(other.points[0].values[2], plan.points[0].values[2]);
    write(7);
    assert_eq!(SweepPlan::load(&sweep).unwrap().points, plan.points);

    // --seed, --replications, --set change the plan (and its fingerprint).
    let changed = SweepPlan::load_with(
        &sweep,
        None,
        &SweepOverrides {
            sets: vec!["simulation.periods=900".into()],
            seed: Some(99),
            replications: Some(3),
        },
    )
    .unwrap();
    assert_eq!((changed.seed, changed.replications), (99, 3));
    assert!(changed
        .points
        .iter()
        .all(|p| p.config.simulation.periods == 900));
    assert_ne!(changed.fingerprint, plan.fingerprint);
    let varied = SweepPlan::load_with(
        &sweep,
        None,
        &SweepOverrides {
            sets: vec!["revenue.price=3".into()],
            ..SweepOverrides::default()
        },
    );
    assert!(varied.is_err());

    // --list prints the points and runs nothing.
    let out = dir.path().join("never.h5");
    let listed = std::process::Command::new(env!("CARGO_BIN_EXE_tokensim"))
        .args(["sweep", sweep.to_str().unwrap(), "--list", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(listed.status.success());
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        text.contains("120 points x 1 replications = 120 runs"),
        "{text}"
    );
    assert!(
        text.contains("point 119: simulation.scale=1000.0, revenue.price=2.0"),
        "{text}"
    );
    assert!(!out.exists());
}

/// interfaces.md 4.2: a sweep's audit groups runs by point — each point's
/// interval is across its own replications only — names the swept values,
/// and pools nothing across points.
#[test]
fn sweep_audits_are_grouped_by_point() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/quickstart.toml");
    let sweep = dir.path().join("p.toml");
    std::fs::write(
        &sweep,
        format!(
            "base = \"{}\"\nreplications = 3\nseed = 5\n[grid]\n\"policy.kind\" = [\"fluid\", \"fixed\"]\n[set]\n\"policy.value\" = 2.0\n\"simulation.periods\" = 600\n\"simulation.warmup\" = 100\n",
            base.display()
        ),
    )
    .unwrap();
    let out = dir.path().join("p.h5");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_tokensim"))
        .args(["sweep", sweep.to_str().unwrap(), "--quiet", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let audit = std::process::Command::new(env!("CARGO_BIN_EXE_tokensim"))
        .args(["audit", out.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert!(
        json["across_replications"].is_null(),
        "pooled across points"
    );
    let points = json["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    let runs = json["runs"].as_array().unwrap();
    for (i, (p, kind)) in points.iter().zip(["fluid", "fixed"]).enumerate() {
        assert_eq!(p["point"], i as u64);
        assert_eq!(p["grid"]["policy.kind"], kind);
        let ids: Vec<&str> = p["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 3);
        // The point's interval from its own runs' gaps only (t with 2 df).
        let gaps: Vec<f64> = runs
            .iter()
            .filter(|r| ids.contains(&r["run"].as_str().unwrap()))
            .map(|r| r["max_abs_gap"].as_f64().unwrap())
            .collect();
        let mean = gaps.iter().sum::<f64>() / 3.0;
        let sd = (gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        let half = 4.303 * sd / 3f64.sqrt();
        assert!((p["max_abs_gap"].as_f64().unwrap() - mean).abs() < 1e-12);
        assert!((p["ci95"][1].as_f64().unwrap() - (mean + half)).abs() < 1e-9);
    }
    let text = std::process::Command::new(env!("CARGO_BIN_EXE_tokensim"))
        .args(["audit", out.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("run 3 (point 1: policy.kind=\"fixed\")"),
        "{text}"
    );
}
