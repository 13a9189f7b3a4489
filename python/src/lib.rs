//! `tokensim._tokensim`: the compiled core of the `tokensim` Python package.
//!
//! Design note. Python never runs inside the step loop: a run or a sweep is
//! started on a Rust thread as a whole configured experiment ([`Job`]), and
//! Python only polls it — progress counted in a shared
//! [`tokensim::runner::RunControl`], a wait that releases the GIL — so the
//! engine runs at the command line's speed, a notebook draws its own
//! progress bar, and Ctrl-C becomes a stop request honoured at the next
//! period boundary (nothing half-written). Reading goes through the crate's
//! own reader and output schema, the ones the CLI's audit, report and
//! export use, so Python sees every recorded dataset under the same names,
//! axes and units. The friendly API (`tokensim.run`, `Result`, xarray and
//! pandas objects) is the pure-Python layer in `python/tokensim/`.

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use tokensim::commands::{self, RunArgs, SweepArgs};
use tokensim::config::Config;
use tokensim::model::Model;
use tokensim::output::schema::{Dim, Dtype, RUN_VARIABLES};
use tokensim::output::tables::{Column, Table};
use tokensim::output::OutputFile;
use tokensim::runner::RunControl;
use tokensim::sweep::SweepOverrides;
use tokensim::Error;

/// Bad input is Python's `ValueError` (the CLI's exit status 2), an
/// interruption `KeyboardInterrupt`, anything else `RuntimeError`; the
/// message is the CLI's.
fn py_err(e: Error) -> PyErr {
    match e {
        Error::Config(_) | Error::Input(_) => PyValueError::new_err(e.to_string()),
        Error::Interrupted(_) => PyKeyboardInterrupt::new_err(e.to_string()),
        _ => PyRuntimeError::new_err(e.to_string()),
    }
}

/// A configuration given as JSON text (the Python dict) as a TOML table.
fn table_from_json(json: &str) -> PyResult<toml::Table> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| PyValueError::new_err(format!("config dict: {e}")))?;
    match toml::Value::try_from(value) {
        Ok(toml::Value::Table(t)) => Ok(t),
        Ok(_) => Err(PyValueError::new_err(
            "config: expected a dict of the TOML structure",
        )),
        Err(e) => Err(PyValueError::new_err(format!(
            "config dict: not representable in TOML ({e}); None has no TOML value: leave the key out"
        ))),
    }
}

/// Loads a configuration from a file or from a dict's JSON, with overrides.
fn load_config(path: Option<&str>, json: Option<&str>, sets: &[String]) -> PyResult<Config> {
    match (path, json) {
        (Some(p), None) => Config::load(Path::new(p), sets).map_err(py_err),
        (None, Some(j)) => {
            Config::from_table(table_from_json(j)?, "config dict", sets).map_err(py_err)
        }
        _ => Err(PyValueError::new_err("config: give a path or a dict")),
    }
}

/// Checks a configuration (path or dict JSON) with overrides; returns the
/// resolved configuration as TOML and the warnings the CLI would print.
#[pyfunction]
#[pyo3(signature = (path=None, json=None, sets=Vec::new()))]
fn validate(
    path: Option<&str>,
    json: Option<&str>,
    sets: Vec<String>,
) -> PyResult<(String, Vec<String>)> {
    let config = load_config(path, json, &sets)?;
    let model = Model::new(&config);
    let warnings = tokensim::runner::warnings(&config, &model);
    Ok((config.to_toml(), warnings))
}

/// What a finished job returns: a JSON summary, or a text report and a path.
enum Outcome {
    Run(String),
    Sweep(String, PathBuf),
}

/// A run or sweep on its own thread, polled from Python.
#[pyclass(module = "tokensim._tokensim")]
struct Job {
    control: Arc<RunControl>,
    receiver: Mutex<Option<mpsc::Receiver<Result<Outcome, Error>>>>,
    outcome: Mutex<Option<Result<Outcome, Error>>>,
}

impl Job {
    fn spawn(
        control: Arc<RunControl>,
        work: impl FnOnce() -> Result<Outcome, Error> + Send + 'static,
    ) -> Job {
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
                .unwrap_or_else(|_| Err(Error::Internal("the run panicked".into())));
            let _ = sender.send(result);
        });
        Job {
            control,
            receiver: Mutex::new(Some(receiver)),
            outcome: Mutex::new(None),
        }
    }
}

#[pymethods]
impl Job {
    /// (done, total): periods for a run (all replications), runs for a sweep.
    fn progress(&self) -> (u64, u64) {
        (self.control.done(), self.control.total())
    }

    /// Waits up to `timeout` seconds with the GIL released; True when the
    /// job has finished.
    fn wait(&self, py: Python<'_>, timeout: f64) -> bool {
        if self.outcome.lock().expect("not poisoned").is_some() {
            return true;
        }
        let receiver = self.receiver.lock().expect("not poisoned").take();
        let Some(receiver) = receiver else {
            return true;
        };
        let wait = Duration::from_secs_f64(timeout.max(0.0));
        let (receiver, got) = py.detach(move || {
            let got = receiver.recv_timeout(wait);
            (receiver, got)
        });
        match got {
            Ok(result) => {
                *self.outcome.lock().expect("not poisoned") = Some(result);
                true
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                *self.receiver.lock().expect("not poisoned") = Some(receiver);
                false
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                *self.outcome.lock().expect("not poisoned") = Some(Err(Error::Internal(
                    "the run's thread ended without a result".into(),
                )));
                true
            }
        }
    }

    /// Asks the job to stop at the next period boundary.
    fn cancel(&self) {
        self.control.request_stop();
    }

    /// The finished job's result: a run's JSON summary, or a sweep's
    /// (report, path). Raises the job's error.
    fn result(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let mut slot = self.outcome.lock().expect("not poisoned");
        match slot.take() {
            None => Err(PyRuntimeError::new_err(
                "the job has not finished: wait() first",
            )),
            Some(Err(e)) => Err(py_err(e)),
            Some(Ok(Outcome::Run(json))) => Ok(json.into_pyobject(py)?.into_any().unbind()),
            Some(Ok(Outcome::Sweep(text, path))) => Ok((text, path.display().to_string())
                .into_pyobject(py)?
                .into_any()
                .unbind()),
        }
    }
}

/// Starts `tokensim run` on a configuration (path or dict JSON); the
/// configuration is checked before this returns (ValueError).
#[pyfunction]
#[pyo3(signature = (path=None, json=None, out=None, sets=Vec::new(), seed=None, replications=None, threads=None))]
#[allow(clippy::too_many_arguments)]
fn start_run(
    path: Option<&str>,
    json: Option<&str>,
    out: Option<String>,
    sets: Vec<String>,
    seed: Option<u64>,
    replications: Option<u32>,
    threads: Option<usize>,
) -> PyResult<Job> {
    let control = RunControl::new(0);
    let args = RunArgs {
        config: PathBuf::from(path.unwrap_or("run.toml")),
        out: out.map(PathBuf::from),
        seed,
        threads,
        replications,
        sets,
        quiet: true,
        json: true,
        control: Some(Arc::clone(&control)),
        ..RunArgs::default()
    };
    let config = load_config(path, json, &args.resolved_sets())?;
    Ok(Job::spawn(control, move || {
        let summary = commands::run_config(&config, &args)?;
        Ok(Outcome::Run(
            serde_json::to_string(&summary).expect("the summary serializes"),
        ))
    }))
}

/// Starts `tokensim sweep` on a sweep file.
#[pyfunction]
#[pyo3(signature = (sweep, out=None, sets=Vec::new(), seed=None, replications=None, threads=None, resume=false))]
fn start_sweep(
    sweep: &str,
    out: Option<String>,
    sets: Vec<String>,
    seed: Option<u64>,
    replications: Option<u32>,
    threads: Option<usize>,
    resume: bool,
) -> PyResult<Job> {
    let control = RunControl::new(0);
    let overrides = SweepOverrides {
        sets,
        seed,
        replications,
    };
    // The plan is checked here so that a bad sweep file raises at once.
    tokensim::sweep::SweepPlan::load_with(Path::new(sweep), None, &overrides).map_err(py_err)?;
    let args = SweepArgs {
        sweep: PathBuf::from(sweep),
        out: out.map(PathBuf::from),
        shard: None,
        resume,
        on_error: None,
        threads,
        quiet: true,
        force_size: false,
        checkpoint_every: None,
        overrides,
        list: false,
        control: Some(Arc::clone(&control)),
    };
    Ok(Job::spawn(control, move || {
        let (text, path) = commands::sweep_to(&args)?;
        Ok(Outcome::Sweep(text, path))
    }))
}

/// `tokensim fluid --json` of a configuration (path or dict JSON).
#[pyfunction]
#[pyo3(signature = (path=None, json=None, sets=Vec::new()))]
fn fluid(path: Option<&str>, json: Option<&str>, sets: Vec<String>) -> PyResult<String> {
    let config = load_config(path, json, &sets)?;
    let model = Model::new(&config);
    let solution = tokensim::policy::solve_fluid(&model).map_err(py_err)?;
    Ok(serde_json::to_string(&solution).expect("the solution serializes"))
}

/// `tokensim audit --json` of a file.
#[pyfunction]
#[pyo3(signature = (path, run=None, epsilon=None, window=None, token_tolerance=None))]
fn audit(
    py: Python<'_>,
    path: &str,
    run: Option<String>,
    epsilon: Option<f64>,
    window: Option<usize>,
    token_tolerance: Option<f64>,
) -> PyResult<String> {
    let mut options = tokensim::audit::AuditOptions {
        epsilon,
        ..Default::default()
    };
    if let Some(w) = window {
        options.window = w;
    }
    if let Some(t) = token_tolerance {
        options.token_tolerance = t;
    }
    let path = PathBuf::from(path);
    py.detach(|| commands::audit(&path, run.as_deref(), &options, true))
        .map(|(text, _)| text)
        .map_err(py_err)
}

/// `tokensim report FILE --out DIR`; returns the CLI's line.
#[pyfunction]
#[pyo3(signature = (path, out, epsilon=None, override_replications=None))]
fn report(
    py: Python<'_>,
    path: &str,
    out: &str,
    epsilon: Option<f64>,
    override_replications: Option<u32>,
) -> PyResult<String> {
    let mut options = tokensim::report::ReportOptions {
        epsilon,
        ..Default::default()
    };
    if let Some(n) = override_replications {
        options.override_replications = n;
    }
    let (path, out) = (PathBuf::from(path), PathBuf::from(out));
    py.detach(|| commands::report(&path, Some(&out), &options))
        .map_err(py_err)
}

/// The summary of one run of a file, as JSON (`run --json`'s fields).
#[pyfunction]
fn run_summary(path: &str, run: &str) -> PyResult<String> {
    let summary = commands::run_summary(Path::new(path), run).map_err(py_err)?;
    Ok(serde_json::to_string(&summary).expect("the summary serializes"))
}

/// The run ids of a file and, for each, whether it failed (sweeps).
#[pyfunction]
fn runs(path: &str) -> PyResult<Vec<(String, bool)>> {
    let file = OutputFile::open(Path::new(path)).map_err(py_err)?;
    Ok(file
        .ids()
        .iter()
        .map(|id| (id.clone(), file.failed(id)))
        .collect())
}

fn dtype_name(d: Dtype) -> &'static str {
    match d {
        Dtype::U64 => "<u8",
        Dtype::I64 => "<i8",
        Dtype::I32 => "<i4",
        Dtype::F64 => "<f8",
        Dtype::U8 => "|u1",
        Dtype::Str => "str",
    }
}

/// Every dataset of run `run` that the schema lists under `prefix/`, as a
/// list of dicts: name (path below the prefix), dims (axis names; a
/// repeated axis gets `previous_` before its second use), dtype (a numpy
/// type string), shape, data (bytes, or a list of str), units, long_name,
/// description, coordinate.
#[pyfunction]
fn read_group<'py>(
    py: Python<'py>,
    path: &str,
    run: &str,
    prefix: &str,
) -> PyResult<Bound<'py, PyList>> {
    let file = OutputFile::open(Path::new(path)).map_err(py_err)?;
    let reader = file.run(run).map_err(py_err)?;
    let list = PyList::empty(py);
    let prefix = format!("{}/", prefix.trim_end_matches('/'));
    for v in RUN_VARIABLES {
        let Some(name) = v.path.strip_prefix(prefix.as_str()) else {
            continue;
        };
        if !reader.has(v) {
            continue;
        }
        let entry = PyDict::new(py);
        let mut dims: Vec<String> = Vec::new();
        for d in v.dims {
            let n = d.name().to_string();
            dims.push(if dims.contains(&n) {
                format!("previous_{n}")
            } else {
                n
            });
        }
        let ds = reader
            .group()
            .dataset(v.path)
            .map_err(|e| PyRuntimeError::new_err(format!("{}: {e}", reader.at(v))))?;
        let shape = ds.shape();
        match v.dtype {
            Dtype::Str => {
                entry.set_item("data", reader.strings(v).map_err(py_err)?)?;
            }
            Dtype::U64 => entry.set_item("data", bytes_of(py, &reader.u64s(v).map_err(py_err)?))?,
            Dtype::F64 => entry.set_item("data", bytes_of(py, &reader.f64s(v).map_err(py_err)?))?,
            Dtype::I32 => entry.set_item("data", bytes_of(py, &reader.i32s(v).map_err(py_err)?))?,
            Dtype::I64 | Dtype::U8 => {
                let values: Vec<f64> = reader.numbers(v).map_err(py_err)?.0;
                let ints: Vec<i64> = values.iter().map(|&x| x as i64).collect();
                entry.set_item("data", bytes_of(py, &ints))?;
                entry.set_item("dtype", "<i8")?;
            }
        }
        if !entry.contains("dtype")? {
            entry.set_item("dtype", dtype_name(v.dtype))?;
        }
        entry.set_item("name", name)?;
        entry.set_item("dims", dims)?;
        entry.set_item("shape", shape)?;
        entry.set_item("units", v.units)?;
        entry.set_item("long_name", v.long_name)?;
        entry.set_item("description", v.description)?;
        entry.set_item("coordinate", v.coordinate)?;
        list.append(entry)?;
    }
    Ok(list)
}

/// Little-endian bytes of a slice of plain numbers.
fn bytes_of<'py, T: Copy + ToLeBytes>(py: Python<'py>, values: &[T]) -> Bound<'py, PyBytes> {
    let mut raw = Vec::with_capacity(std::mem::size_of_val(values));
    for x in values {
        x.append_le(&mut raw);
    }
    PyBytes::new(py, &raw)
}

/// Numbers written as little-endian bytes.
trait ToLeBytes {
    fn append_le(&self, out: &mut Vec<u8>);
}
macro_rules! le {
    ($($t:ty),*) => {$(impl ToLeBytes for $t {
        fn append_le(&self, out: &mut Vec<u8>) { out.extend_from_slice(&self.to_le_bytes()); }
    })*};
}
le!(u64, i64, i32, f64);

/// A table's columns as a dict of lists (None for nulls).
fn table_dict<'py>(py: Python<'py>, table: &Table) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (name, column) in &table.columns {
        match column {
            Column::U64(v) => dict.set_item(name, v)?,
            Column::I64(v) => dict.set_item(name, v)?,
            Column::F64(v) => dict.set_item(name, v)?,
            Column::Str(v) => dict.set_item(name, v)?,
        }
    }
    Ok(dict)
}

/// The sweep's `/summary` (one row per run) as a dict of columns; None
/// for a file that is not a sweep's.
#[pyfunction]
fn sweep_summary<'py>(py: Python<'py>, path: &str) -> PyResult<Option<Bound<'py, PyDict>>> {
    let file = OutputFile::open(Path::new(path)).map_err(py_err)?;
    match tokensim::output::tables::sweep_summary_table(&file).map_err(py_err)? {
        Some(t) => Ok(Some(table_dict(py, &t)?)),
        None => Ok(None),
    }
}

/// Every long table `tokensim export` writes, as {name: {column: list}}.
#[pyfunction]
fn tables<'py>(py: Python<'py>, path: &str) -> PyResult<Bound<'py, PyDict>> {
    let file = OutputFile::open(Path::new(path)).map_err(py_err)?;
    let all = tokensim::output::tables::tables(&file).map_err(py_err)?;
    let dict = PyDict::new(py);
    for t in &all {
        dict.set_item(t.name, table_dict(py, t)?)?;
    }
    Ok(dict)
}

/// The axis names of the schema, for documentation and checks.
#[pyfunction]
fn axis_names() -> Vec<&'static str> {
    [
        Dim::Period,
        Dim::Type,
        Dim::OtherType,
        Dim::Reward,
        Dim::Good,
        Dim::Year,
        Dim::Event,
    ]
    .iter()
    .map(|d| d.name())
    .collect()
}

/// The compiled core of the `tokensim` package.
#[pymodule]
fn _tokensim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<Job>()?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(start_run, m)?)?;
    m.add_function(wrap_pyfunction!(start_sweep, m)?)?;
    m.add_function(wrap_pyfunction!(fluid, m)?)?;
    m.add_function(wrap_pyfunction!(audit, m)?)?;
    m.add_function(wrap_pyfunction!(report, m)?)?;
    m.add_function(wrap_pyfunction!(run_summary, m)?)?;
    m.add_function(wrap_pyfunction!(runs, m)?)?;
    m.add_function(wrap_pyfunction!(read_group, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_summary, m)?)?;
    m.add_function(wrap_pyfunction!(tables, m)?)?;
    m.add_function(wrap_pyfunction!(axis_names, m)?)?;
    Ok(())
}
