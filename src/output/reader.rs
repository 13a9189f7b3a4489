//! The one reader of tokensim output files, driven by the schema
//! ([`super::schema`]): audit, report, export and the sweep summary read
//! through it, so they read what the writer wrote, under the same names,
//! with element types and shapes checked against the same table.
//!
//! Every problem is bad input (exit status 2) naming the file and the
//! dataset: missing, of the wrong element type, of the wrong shape.

use std::path::Path;

use hdf5::types::{TypeDescriptor, VarLenUnicode};
use hdf5::{File, Group};

use super::schema::{var, Dim, Dtype, Variable};
use crate::error::{Error, Result};

fn bad(path: &str, what: &str) -> Error {
    Error::Input(format!("{path}: not a tokensim run output ({what})"))
}

/// A malformed dataset: bad input, naming the file and the dataset.
pub(crate) fn malformed(path: &str, dataset: &str, problem: impl std::fmt::Display) -> Error {
    Error::Input(format!("{path}: {dataset}: {problem}"))
}

/// What a stored dataset is: its element type and shape, for messages.
fn describe(ds: &hdf5::Dataset) -> String {
    let kind = ds
        .dtype()
        .and_then(|t| t.to_descriptor())
        .map_or_else(|_| "unknown type".to_string(), |d| format!("{d:?}"));
    format!("{kind} of shape {:?}", ds.shape())
}

/// An open output file with its runs listed in numeric order.
pub struct OutputFile {
    file: File,
    shown: String,
    ids: Vec<String>,
}

impl OutputFile {
    /// Opens a tokensim output (run or sweep), checking that it is one and
    /// that a sweep's `/summary` has one row per run in every column.
    pub fn open(path: &Path) -> Result<OutputFile> {
        let shown = path.display().to_string();
        let file = File::open(path)
            .map_err(|e| Error::Input(format!("{shown}: cannot open as HDF5 ({e})")))?;
        if file.attr("tokensim_version").is_err() {
            return Err(bad(&shown, "no tokensim_version attribute"));
        }
        let runs = file
            .group("runs")
            .map_err(|_| bad(&shown, "no /runs group"))?;
        let mut ids: Vec<String> = runs
            .member_names()
            .map_err(|_| bad(&shown, "unreadable /runs"))?;
        ids.sort_by_key(|s| s.parse::<u64>().unwrap_or(u64::MAX));
        if let Ok(summary) = file.group("summary") {
            let columns = summary
                .member_names()
                .map_err(|_| bad(&shown, "unreadable /summary"))?;
            for name in columns {
                let rows = summary
                    .dataset(&name)
                    .map(|d| d.shape())
                    .map_err(|_| malformed(&shown, &format!("/summary/{name}"), "not a dataset"))?;
                if rows != [ids.len()] {
                    return Err(malformed(
                        &shown,
                        &format!("/summary/{name}"),
                        format!(
                            "expected one row per run ({}), found shape {rows:?}",
                            ids.len()
                        ),
                    ));
                }
            }
        }
        Ok(OutputFile { file, shown, ids })
    }

    /// The HDF5 file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The file's path, for messages.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The run names under `/runs`, in numeric order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// A sweep's `/summary` table, if the file has one.
    pub fn summary(&self) -> Option<Group> {
        self.file.group("summary").ok()
    }

    /// Whether run `id` is a failed sweep run (nothing recorded).
    pub fn failed(&self, id: &str) -> bool {
        self.file
            .group(&format!("runs/{id}"))
            .and_then(|g| g.attr("status"))
            .and_then(|a| a.read_scalar::<VarLenUnicode>())
            .is_ok_and(|s| s.as_str() == "error")
    }

    /// A reader of run `id`.
    pub fn run(&self, id: &str) -> Result<RunReader> {
        RunReader::new(&self.file, &self.shown, id)
    }
}

/// One run group, read through the schema.
pub struct RunReader {
    shown: String,
    id: String,
    group: Group,
    periods: usize,
    types: Vec<String>,
    rewards: Vec<f64>,
    goods: Vec<String>,
}

impl RunReader {
    /// Opens run `id` of `file` (`shown` names the file in messages),
    /// reading and checking its axes: a non-empty list of type names, a
    /// non-empty set of finite rewards, the recorded periods.
    pub fn new(file: &File, shown: &str, id: &str) -> Result<RunReader> {
        let full = format!("/runs/{id}");
        let group = file
            .group(&format!("runs/{id}"))
            .map_err(|_| Error::Input(format!("{shown}: no run {full}")))?;
        let mut reader = RunReader {
            shown: shown.to_string(),
            id: id.to_string(),
            group,
            periods: 0,
            types: Vec::new(),
            rewards: Vec::new(),
            goods: Vec::new(),
        };
        if reader.group.group("meta").is_err() {
            return Err(malformed(shown, &format!("{full}/meta"), "missing"));
        }
        reader.types = reader.strings(&var::TYPE_NAMES)?;
        if reader.types.is_empty() {
            return Err(malformed(shown, &reader.at(&var::TYPE_NAMES), "no types"));
        }
        reader.rewards = reader.f64s(&var::REWARD_VALUES)?;
        if reader.rewards.is_empty() || reader.rewards.iter().any(|r| !r.is_finite()) {
            return Err(malformed(
                shown,
                &reader.at(&var::REWARD_VALUES),
                "expected a non-empty list of finite rewards",
            ));
        }
        if reader.group.group("series").is_err() {
            return Err(malformed(shown, &format!("{full}/series"), "missing"));
        }
        reader.periods = reader
            .group
            .dataset(var::ACTIVE.path)
            .map(|d| d.shape().first().copied().unwrap_or(0))
            .map_err(|_| malformed(shown, &reader.at(&var::ACTIVE), "missing"))?;
        if reader.has(&var::GOOD) {
            reader.goods = reader.strings(&var::GOOD)?;
        }
        Ok(reader)
    }

    /// The run's name under `/runs`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The run group itself (attributes, histograms).
    pub fn group(&self) -> &Group {
        &self.group
    }

    /// The file's path, for messages.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Periods recorded.
    pub fn periods(&self) -> usize {
        self.periods
    }

    /// Type names, in type order.
    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// The reward set R.
    pub fn rewards(&self) -> &[f64] {
        &self.rewards
    }

    /// The mall's goods (token runs; empty otherwise).
    pub fn goods(&self) -> &[String] {
        &self.goods
    }

    /// The full path of `v`, for messages.
    pub fn at(&self, v: &Variable) -> String {
        format!("/runs/{}/{}", self.id, v.path)
    }

    /// Whether the run has `v` (a run has only the variables its model
    /// records: no token series in a paper run).
    pub fn has(&self, v: &Variable) -> bool {
        self.group.link_exists(v.path) && self.group.dataset(v.path).is_ok()
    }

    /// The axis lengths `v` must have: the run's periods, types, rewards
    /// and goods; axes the run does not fix (years, events, …) as stored.
    fn expected_shape(&self, v: &Variable, ds: &hdf5::Dataset) -> Vec<usize> {
        let stored = ds.shape();
        v.dims
            .iter()
            .enumerate()
            .map(|(i, d)| match d {
                Dim::Period if self.periods > 0 => self.periods,
                Dim::Type | Dim::OtherType if !self.types.is_empty() => self.types.len(),
                Dim::Reward if !self.rewards.is_empty() => self.rewards.len(),
                Dim::Good if !self.goods.is_empty() => self.goods.len(),
                _ => stored.get(i).copied().unwrap_or(0),
            })
            .collect()
    }

    /// Opens `v`, checking its element type against the schema's and its
    /// shape against the run's axes.
    fn open(&self, v: &Variable, want: Dtype) -> Result<hdf5::Dataset> {
        let at = self.at(v);
        let ds = self
            .group
            .dataset(v.path)
            .map_err(|_| malformed(&self.shown, &at, "missing"))?;
        let descriptor = ds.dtype().and_then(|t| t.to_descriptor()).ok();
        let fits = matches!(
            (want, &descriptor),
            (Dtype::U64 | Dtype::U8, Some(TypeDescriptor::Unsigned(_)))
                | (Dtype::I64 | Dtype::I32, Some(TypeDescriptor::Integer(_)))
                | (Dtype::F64, Some(TypeDescriptor::Float(_)))
                | (
                    Dtype::Str,
                    Some(TypeDescriptor::VarLenUnicode | TypeDescriptor::VarLenAscii)
                )
        );
        let shape = self.expected_shape(v, &ds);
        if !fits || ds.shape() != shape {
            let expected = match want {
                Dtype::U64 | Dtype::U8 => "unsigned integer counts",
                Dtype::I64 | Dtype::I32 => "integers",
                Dtype::F64 => "floating-point values",
                Dtype::Str => "UTF-8 strings",
            };
            return Err(malformed(
                &self.shown,
                &at,
                format!(
                    "expected {expected} of shape {shape:?}, found {}",
                    describe(&ds)
                ),
            ));
        }
        Ok(ds)
    }

    fn read<T: hdf5::H5Type>(&self, v: &Variable, want: Dtype) -> Result<Vec<T>> {
        let ds = self.open(v, want)?;
        ds.read_raw()
            .map_err(|e| malformed(&self.shown, &self.at(v), format!("unreadable ({e})")))
    }

    /// An unsigned-integer variable (counts), row-major.
    pub fn u64s(&self, v: &Variable) -> Result<Vec<u64>> {
        self.read(v, Dtype::U64)
    }

    /// A floating-point variable, row-major.
    pub fn f64s(&self, v: &Variable) -> Result<Vec<f64>> {
        self.read(v, Dtype::F64)
    }

    /// A signed-integer variable, row-major.
    pub fn i32s(&self, v: &Variable) -> Result<Vec<i32>> {
        self.read(v, Dtype::I32)
    }

    /// A string variable.
    pub fn strings(&self, v: &Variable) -> Result<Vec<String>> {
        let s: Vec<VarLenUnicode> = self.read(v, Dtype::Str)?;
        Ok(s.iter().map(|x| x.as_str().to_string()).collect())
    }

    /// Any numeric variable as f64 (counts below 2^53 exactly), with its
    /// shape: what export and the charts need.
    pub fn numbers(&self, v: &Variable) -> Result<(Vec<f64>, Vec<usize>)> {
        let ds = self.open(v, v.dtype)?;
        let values = ds
            .read_raw::<f64>()
            .map_err(|e| malformed(&self.shown, &self.at(v), format!("unreadable ({e})")))?;
        Ok((values, ds.shape()))
    }

    /// `numbers` of an optional variable: `None` when the run does not
    /// record it, an error when it is there but malformed.
    pub fn maybe_numbers(&self, v: &Variable) -> Result<Option<Vec<f64>>> {
        if self.has(v) {
            self.numbers(v).map(|(x, _)| Some(x))
        } else {
            Ok(None)
        }
    }

    /// A string-list attribute of the run group (empty when absent).
    pub fn attr_strings(&self, name: &str) -> Vec<String> {
        self.group
            .attr(name)
            .and_then(|a| a.read_raw::<VarLenUnicode>())
            .map(|v| v.iter().map(|s| s.as_str().to_string()).collect())
            .unwrap_or_default()
    }
}

/// A name safe to print: control characters (terminal escape sequences
/// among them) shown escaped, as `\u{1b}`, instead of acting on the terminal.
pub fn printable(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
