//! The output schema (issue 14, point 1): every dataset the writer puts in
//! a run group is described by `tokensim::output::schema`, with the written
//! element type, rank, units and long name; every data variable has a
//! dimension scale on each axis (the opaque histogram bytes excepted), and
//! every coordinate is a scale named after its axis; the files carry a
//! `Conventions` attribute; a sweep's `/summary` columns hang on its `run`
//! scale. Checked on written files, not on the writer's code.

mod common;

use std::os::raw::{c_char, c_int, c_uint};
use std::path::Path;
use std::process::Command;

use common::binary;
use hdf5::types::{FloatSize, IntSize, TypeDescriptor, VarLenUnicode};
use tokensim::output::schema::{self, Dim, Dtype, Presence, HISTOGRAMS, RUN_VARIABLES};

extern "C" {
    fn H5DSget_num_scales(did: i64, dim: c_uint) -> c_int;
    fn H5DSis_scale(did: i64) -> c_int;
    fn H5DSget_scale_name(did: i64, name: *mut c_char, size: usize) -> isize;
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) {
    let out = Command::new(binary()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn attr(ds: &hdf5::Dataset, name: &str) -> String {
    ds.attr(name)
        .and_then(|a| a.read_scalar::<VarLenUnicode>())
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| panic!("{}: no attribute {name}", ds.name()))
}

fn is_scale(ds: &hdf5::Dataset) -> bool {
    hdf5::sync::sync(|| unsafe { H5DSis_scale(ds.id()) }) > 0
}

fn scale_name(ds: &hdf5::Dataset) -> String {
    let mut buf = vec![0 as c_char; 256];
    let n = hdf5::sync::sync(|| unsafe { H5DSget_scale_name(ds.id(), buf.as_mut_ptr(), 256) });
    assert!(n > 0, "{}: no scale name", ds.name());
    let c = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    c.to_string_lossy().into_owned()
}

fn scales_on(ds: &hdf5::Dataset, dim: usize) -> i32 {
    hdf5::sync::sync(|| unsafe { H5DSget_num_scales(ds.id(), dim as c_uint) })
}

fn dtype_of(ds: &hdf5::Dataset) -> Dtype {
    match ds.dtype().unwrap().to_descriptor().unwrap() {
        TypeDescriptor::Unsigned(IntSize::U8) => Dtype::U64,
        TypeDescriptor::Unsigned(IntSize::U1) => Dtype::U8,
        TypeDescriptor::Integer(IntSize::U8) => Dtype::I64,
        TypeDescriptor::Integer(IntSize::U4) => Dtype::I32,
        TypeDescriptor::Float(FloatSize::U8) => Dtype::F64,
        TypeDescriptor::VarLenUnicode => Dtype::Str,
        other => panic!("{}: unexpected type {other:?}", ds.name()),
    }
}

/// Every dataset under `g`, with its path relative to `base`.
fn walk(g: &hdf5::Group, prefix: &str, out: &mut Vec<(String, hdf5::Dataset)>) {
    for name in g.member_names().unwrap() {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        if let Ok(sub) = g.group(&name) {
            walk(&sub, &path, out);
        } else {
            out.push((path, g.dataset(&name).unwrap()));
        }
    }
}

/// Checks every run of `file` against the schema; returns the schema
/// paths seen.
fn check_file(file: &Path) -> Vec<String> {
    let f = hdf5::File::open(file).unwrap();
    let conventions = f
        .attr("Conventions")
        .and_then(|a| a.read_scalar::<VarLenUnicode>())
        .unwrap();
    assert_eq!(conventions.as_str(), schema::CONVENTIONS);
    let mut seen = Vec::new();
    let runs = f.group("runs").unwrap();
    for id in runs.member_names().unwrap() {
        let run = runs.group(&id).unwrap();
        let mut datasets = Vec::new();
        walk(&run, "", &mut datasets);
        for (path, ds) in &datasets {
            if let Some(rest) = path.strip_prefix("types/") {
                // types/<type>/<histogram>/<dataset>
                let parts: Vec<&str> = rest.split('/').collect();
                assert_eq!(parts.len(), 3, "{path}");
                assert!(
                    HISTOGRAMS.iter().any(|h| h.name == parts[1]),
                    "{path}: unknown histogram"
                );
                match parts[2] {
                    "hdrhistogram_v2" => assert_eq!(dtype_of(ds), Dtype::U8),
                    "quantile" | "column" => {
                        assert!(is_scale(ds), "{path}");
                        assert_eq!(scale_name(ds), parts[2]);
                    }
                    "quantiles" => {
                        assert_eq!(scales_on(ds, 0), 1, "{path}");
                        assert_eq!(scales_on(ds, 1), 1, "{path}");
                    }
                    other => panic!("{path}: unexpected {other}"),
                }
                continue;
            }
            let v = schema::lookup(path).unwrap_or_else(|| {
                panic!("{}: /runs/{id}/{path} is not in the schema", file.display())
            });
            assert_eq!(dtype_of(ds), v.dtype, "{path}: element type");
            assert_eq!(ds.ndim(), v.dims.len(), "{path}: rank");
            assert_eq!(attr(ds, "units"), v.units, "{path}: units");
            assert_eq!(attr(ds, "long_name"), v.long_name, "{path}: long_name");
            assert_eq!(attr(ds, "description"), v.description, "{path}");
            if v.coordinate {
                assert!(is_scale(ds), "{path}: a coordinate is a dimension scale");
                assert_eq!(scale_name(ds), v.dims[0].name(), "{path}");
            } else {
                for (i, d) in v.dims.iter().enumerate() {
                    if *d != Dim::Byte {
                        assert_eq!(
                            scales_on(ds, i),
                            1,
                            "{path}: axis {} has no scale",
                            d.name()
                        );
                    }
                }
            }
            seen.push(path.clone());
        }
        // Every always-present variable is there.
        for v in RUN_VARIABLES
            .iter()
            .filter(|v| v.presence == Presence::Always)
        {
            assert!(
                datasets.iter().any(|(p, _)| p == v.path),
                "{}: /runs/{id}/{} missing",
                file.display(),
                v.path
            );
        }
    }
    seen
}

#[test]
fn written_files_follow_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let config = |name: &str| {
        root()
            .join("configs")
            .join(name)
            .to_str()
            .unwrap()
            .to_string()
    };
    let mut seen = Vec::new();

    let paper = d("paper.h5");
    run(&[
        "run",
        &config("quickstart.toml"),
        "--out",
        &paper,
        "--quiet",
        "--set",
        "simulation.periods=800",
        "--set",
        "simulation.warmup=200",
    ]);
    seen.extend(check_file(Path::new(&paper)));

    let pairs = d("pairs.h5");
    run(&[
        "run",
        &config("paper/two-period.toml"),
        "--out",
        &pairs,
        "--quiet",
        "--set",
        "simulation.periods=800",
        "--set",
        "simulation.warmup=200",
    ]);
    seen.extend(check_file(Path::new(&pairs)));

    // Operators, events and two closed budget years.
    let tokens = d("tokens.h5");
    run(&[
        "run",
        &config("fengdou-operators.toml"),
        "--out",
        &tokens,
        "--quiet",
        "--set",
        "simulation.scale=2000",
    ]);
    seen.extend(check_file(Path::new(&tokens)));

    // Real prices steered by elasticity class.
    let classes = d("classes.h5");
    run(&[
        "run",
        &config("fengdou-steer.toml"),
        "--out",
        &classes,
        "--quiet",
        "--set",
        "simulation.scale=2000",
        "--set",
        "steer.real_prices=\"by_class\"",
    ]);
    seen.extend(check_file(Path::new(&classes)));

    // Every schema entry is written by one of these runs.
    for v in RUN_VARIABLES {
        assert!(seen.iter().any(|p| p == v.path), "{} never written", v.path);
    }

    // A sweep: its runs follow the schema, and /summary is one table on `run`.
    let sweep_dir = tempfile::tempdir().unwrap();
    std::fs::write(sweep_dir.path().join("base.toml"), common::SWEEP_BASE).unwrap();
    let sweep = sweep_dir.path().join("sweep.toml");
    std::fs::write(&sweep, common::SMALL_SWEEP).unwrap();
    let out = d("sweep.h5");
    run(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        &out,
        "--quiet",
        "--replications",
        "1",
    ]);
    check_file(Path::new(&out));
    let f = hdf5::File::open(&out).unwrap();
    let summary = f.group("summary").unwrap();
    let run_col = summary.dataset("run").unwrap();
    assert!(is_scale(&run_col));
    assert_eq!(scale_name(&run_col), "run");
    for name in summary.member_names().unwrap() {
        let ds = summary.dataset(&name).unwrap();
        if name != "run" {
            assert_eq!(scales_on(&ds, 0), 1, "/summary/{name}");
        }
        if let Some((dtype, units, description)) = schema::summary_column(&name) {
            assert_eq!(dtype_of(&ds), dtype, "/summary/{name}");
            assert_eq!(attr(&ds, "units"), units, "/summary/{name}");
            assert_eq!(attr(&ds, "description"), description, "/summary/{name}");
        }
    }
}
