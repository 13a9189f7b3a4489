//! Sweep output: one group per run under `/runs`, written as each run
//! finishes, and a `/summary` table rebuilt from the runs' own attributes
//! (so a merged file's summary equals the unsharded one's).

use std::path::{Path, PathBuf};

use hdf5::types::VarLenUnicode;
use hdf5::{File, Group};

use super::dimensions::{attach_scale, set_scale};
use super::h5::{attr_array, attr_scalar, attr_str, dataset, group, string_dataset};
use super::reader::RunReader;
use super::schema::{summary_column, var, Variable};
use super::{utc_now, write_file_attrs, PendingFile};
use crate::error::{Error, Result};

fn h5(context: &str) -> impl FnOnce(hdf5::Error) -> Error + '_ {
    move |source| Error::Hdf5 {
        context: context.to_string(),
        source,
    }
}

/// What identifies a sweep file and its place in the sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepIdentity {
    /// The sweep's fingerprint.
    pub fingerprint: String,
    /// The sweep file's text.
    pub sweep_toml: String,
    /// Runs in the whole sweep.
    pub total_runs: usize,
    /// "I/N" for a shard, empty for a whole sweep.
    pub shard: String,
}

/// Identity and grid values of one run, stored as attributes of its group.
#[derive(Debug, Clone, PartialEq)]
pub struct RunLabel {
    /// Run index.
    pub run: usize,
    /// Point index.
    pub point: usize,
    /// Replication within the point.
    pub replication: u32,
    /// The run's seed.
    pub seed: u64,
    /// Varied keys.
    pub keys: Vec<String>,
    /// Their values in TOML syntax.
    pub values: Vec<String>,
}

/// Writes a run's identity and grid values as attributes of its group.
pub(super) fn write_label(g: &Group, label: &RunLabel) -> Result<()> {
    // A run imported into an extended sweep is renumbered: its old place
    // goes, its replication and seed stay (they are what made it).
    for name in ["run", "point", "grid_keys", "grid_values"] {
        if g.attr(name).is_ok() {
            g.delete_attr(name).map_err(h5("relabelling a run"))?;
        }
    }
    attr_scalar(g, "run", label.run as u64)?;
    attr_scalar(g, "point", label.point as u64)?;
    if g.attr("replication").is_err() {
        attr_scalar(g, "replication", label.replication as u64)?;
        attr_scalar(g, "seed", label.seed)?;
    }
    let keys: Vec<VarLenUnicode> = label.keys.iter().map(|s| super::h5::unicode(s)).collect();
    let values: Vec<VarLenUnicode> = label.values.iter().map(|s| super::h5::unicode(s)).collect();
    attr_array(g, "grid_keys", &keys)?;
    attr_array(g, "grid_values", &values)
}

fn read_str(loc: &hdf5::Location, name: &str) -> Result<String> {
    let v: VarLenUnicode = loc.attr(name).and_then(|a| a.read_scalar()).map_err(|_| {
        Error::Input(format!(
            "not a tokensim sweep file: attribute {name:?} missing"
        ))
    })?;
    Ok(v.as_str().to_string())
}

fn read_strings(loc: &hdf5::Location, name: &str) -> Vec<String> {
    loc.attr(name)
        .and_then(|a| a.read_raw::<VarLenUnicode>())
        .map(|v| v.iter().map(|s| s.as_str().to_string()).collect())
        .unwrap_or_default()
}

fn read_f64(loc: &hdf5::Location, name: &str) -> f64 {
    loc.attr(name)
        .and_then(|a| a.read_scalar::<f64>())
        .unwrap_or(f64::NAN)
}

fn read_u64(loc: &hdf5::Location, name: &str) -> u64 {
    loc.attr(name)
        .and_then(|a| a.read_scalar::<u64>())
        .unwrap_or(0)
}

/// The identity attributes of a sweep or shard file.
pub fn read_identity(file: &File) -> Result<SweepIdentity> {
    Ok(SweepIdentity {
        fingerprint: read_str(file, "sweep_fingerprint")?,
        sweep_toml: read_str(file, "sweep_toml")?,
        total_runs: read_u64(file, "total_runs") as usize,
        shard: read_str(file, "shard")?,
    })
}

/// Rebuilds `/summary` from the run groups: one row per run, in run order,
/// with its grid values, replication, seed and headline results.
pub fn write_summary(file: &File) -> Result<()> {
    let runs = file.group("runs").map_err(h5("opening /runs"))?;
    let mut ids: Vec<usize> = runs
        .member_names()
        .map_err(h5("listing runs"))?
        .iter()
        .filter_map(|n| n.parse().ok())
        .collect();
    ids.sort_unstable();
    let groups: Vec<Group> = ids
        .iter()
        .map(|id| runs.group(&id.to_string()).map_err(h5("opening a run")))
        .collect::<Result<_>>()?;
    let keys = groups
        .first()
        .map(|g| read_strings(g, "grid_keys"))
        .unwrap_or_default();
    // Every run through the schema's reader (a failed run has no data: None).
    let shown = file.filename();
    let readers: Vec<Option<RunReader>> = ids
        .iter()
        .map(|id| RunReader::new(file, &shown, &id.to_string()).ok())
        .collect();
    let names_of = |i: usize| -> &[String] { readers[i].as_ref().map_or(&[], |r| r.types()) };
    // Type names: the union over runs, in order of first appearance.
    let mut type_names: Vec<String> = Vec::new();
    for i in 0..groups.len() {
        for n in names_of(i) {
            if !type_names.contains(n) {
                type_names.push(n.clone());
            }
        }
    }
    let summary = group(file, "summary")?;
    let n = groups.len();
    // The fixed columns take their units and descriptions from the schema.
    let fixed = |name: &str| summary_column(name).expect("a fixed /summary column");
    let u64_col = |name: &str| -> Result<()> {
        let v: Vec<u64> = groups.iter().map(|g| read_u64(g, name)).collect();
        let (_, units, desc) = fixed(name);
        dataset(&summary, name, &v, &[n], units, desc).map(|_| ())
    };
    for name in ["run", "point", "replication", "seed"] {
        u64_col(name)?;
    }
    for (i, key) in keys.iter().enumerate() {
        let raw: Vec<String> = groups
            .iter()
            .map(|g| {
                read_strings(g, "grid_values")
                    .get(i)
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        let numbers: Option<Vec<f64>> = raw.iter().map(|s| s.parse::<f64>().ok()).collect();
        let desc = format!("swept value of {key}");
        match numbers {
            Some(v) => {
                dataset(&summary, key, &v, &[n], "as configured", &desc)?;
            }
            None => {
                let text: Vec<String> = raw
                    .iter()
                    .map(|s| s.trim_matches('"').to_string())
                    .collect();
                string_dataset(&summary, key, &text, "as configured", &desc)?;
            }
        }
    }
    for name in &type_names {
        let v: Vec<f64> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let names = names_of(i);
                let means: Vec<f64> = g
                    .group("summary")
                    .and_then(|s| s.attr("mean_active_per_type"))
                    .and_then(|a| a.read_raw())
                    .unwrap_or_default();
                names
                    .iter()
                    .position(|x| x == name)
                    .and_then(|i| means.get(i).copied())
                    .unwrap_or(f64::NAN)
            })
            .collect();
        dataset(
            &summary,
            &format!("mean_active_{name}"),
            &v,
            &[n],
            "agents",
            &format!("mean agents of type {name} per period after warm-up"),
        )?;
    }
    let from = |sub: &str, attr: &str| -> Vec<f64> {
        groups
            .iter()
            .map(|g| g.group(sub).map_or(f64::NAN, |s| read_f64(&s, attr)))
            .collect()
    };
    for (sub, attr) in [
        ("summary", "mean_profit_per_scale"),
        ("summary", "mean_profit_per_scale_se"),
        ("fairness", "max_abs_gap"),
        ("fairness", "max_tv"),
    ] {
        let (_, units, desc) = fixed(attr);
        dataset(&summary, attr, &from(sub, attr), &[n], units, desc)?;
    }
    // Token economy headline results (NaN for runs without an economy).
    let series_f64 = |i: usize, v: &Variable| -> Option<Vec<f64>> {
        readers[i].as_ref()?.maybe_numbers(v).ok().flatten()
    };
    if (0..groups.len()).any(|i| series_f64(i, &var::FLOAT).is_some()) {
        let total = |v: &Variable| -> Vec<f64> {
            (0..groups.len())
                .map(|i| series_f64(i, v).map_or(f64::NAN, |x| x.iter().sum()))
                .collect()
        };
        let ending: Vec<f64> = (0..groups.len())
            .map(|i| {
                series_f64(i, &var::FLOAT)
                    .and_then(|v| v.last().copied())
                    .unwrap_or(f64::NAN)
            })
            .collect();
        for (name, series) in [
            ("cash_cost", &var::CASH_COST),
            ("issuance", &var::ISSUANCE),
            ("redeemed_real", &var::REDEEMED_REAL),
            ("redeemed_virtual", &var::REDEEMED_VIRTUAL),
            ("tasks", &var::TASKS),
            ("budget_penalty", &var::PENALTY),
        ] {
            let (_, units, desc) = fixed(name);
            dataset(&summary, name, &total(series), &[n], units, desc)?;
        }
        let (_, units, desc) = fixed("ending_float");
        dataset(&summary, "ending_float", &ending, &[n], units, desc)?;
    }
    let verdict: Vec<String> = groups
        .iter()
        .map(|g| {
            g.group("fairness")
                .ok()
                .and_then(|f| read_str(&f, "verdict").ok())
                .unwrap_or_default()
        })
        .collect();
    let status: Vec<String> = groups
        .iter()
        .map(|g| read_str(g, "status").unwrap_or_default())
        .collect();
    let errors: Vec<String> = groups
        .iter()
        .map(|g| read_str(g, "error").unwrap_or_default())
        .collect();
    for (name, values) in [("verdict", verdict), ("status", status), ("error", errors)] {
        let (_, units, desc) = fixed(name);
        string_dataset(&summary, name, &values, units, desc)?;
    }
    // One row per run: `run` is the table's dimension scale, attached to
    // every other column, so xarray reads /summary as one table.
    let run = summary.dataset("run").map_err(h5("opening /summary/run"))?;
    set_scale(&run, "run")?;
    for name in summary.member_names().map_err(h5("listing /summary"))? {
        if name != "run" {
            let ds = summary
                .dataset(&name)
                .map_err(h5("opening a /summary column"))?;
            attach_scale(&ds, &run, 0)?;
        }
    }
    Ok(())
}

/// Merges shard files of one sweep into `target`, identical (datasets and
/// run attributes) to the unsharded sweep's output.
pub fn merge(target: &Path, inputs: &[PathBuf]) -> Result<PathBuf> {
    if inputs.is_empty() {
        return Err(Error::Input("merge: name at least one shard file".into()));
    }
    let _lock = super::claim_output(target, false)?;
    let mut files = Vec::new();
    let mut identity: Option<SweepIdentity> = None;
    let mut owner: std::collections::BTreeMap<usize, usize> = Default::default();
    for (i, path) in inputs.iter().enumerate() {
        let file = File::open(path).map_err(|e| {
            Error::Input(format!(
                "{}: not a readable HDF5 file ({e})",
                path.display()
            ))
        })?;
        let id =
            read_identity(&file).map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
        match &identity {
            None => identity = Some(id.clone()),
            Some(first) if first.fingerprint != id.fingerprint => {
                return Err(Error::Input(format!(
                    "{}: belongs to another sweep than {} (fingerprints differ)",
                    path.display(),
                    inputs[0].display()
                )))
            }
            _ => {}
        }
        let runs = file.group("runs").map_err(h5("opening /runs"))?;
        for name in runs.member_names().map_err(h5("listing runs"))? {
            let run: usize = name.parse().map_err(|_| {
                Error::Input(format!("{}: unexpected group /runs/{name}", path.display()))
            })?;
            let g = runs.group(&name).map_err(|_| {
                Error::Input(format!("{}: /runs/{name} is not a group", path.display()))
            })?;
            let status = g
                .attr("status")
                .and_then(|a| a.read_scalar::<VarLenUnicode>())
                .map(|s| s.as_str().to_string());
            match status.as_deref() {
                Ok("ok") if g.dataset(var::ACTIVE.path).is_ok() => {}
                Ok("error") => {}
                Ok("ok") => {
                    return Err(Error::Input(format!(
                        "{}: /runs/{name}/series/active missing: the run is incomplete",
                        path.display()
                    )))
                }
                _ => {
                    return Err(Error::Input(format!(
                        "{}: /runs/{name} has no status attribute \"ok\" or \"error\": \
                         not a finished run of a sweep",
                        path.display()
                    )))
                }
            }
            if let Some(other) = owner.insert(run, i) {
                return Err(Error::Input(format!(
                    "run {run} appears in both {} and {}",
                    inputs[other].display(),
                    path.display()
                )));
            }
        }
        files.push(file);
    }
    let identity = identity.expect("at least one input");
    let missing: Vec<usize> = (0..identity.total_runs)
        .filter(|r| !owner.contains_key(r))
        .collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(10).map(|r| r.to_string()).collect();
        return Err(Error::Input(format!(
            "merge: {} of {} runs are missing (runs {}{})",
            missing.len(),
            identity.total_runs,
            shown.join(", "),
            if missing.len() > 10 { ", …" } else { "" }
        )));
    }
    let pending = PendingFile::new(target)?;
    {
        let out = File::create(pending.path()).map_err(h5("creating the merged file"))?;
        write_file_attrs(&out, "sweep")?;
        attr_str(&out, "sweep_fingerprint", &identity.fingerprint)?;
        attr_str(&out, "sweep_toml", &identity.sweep_toml)?;
        attr_scalar(&out, "total_runs", identity.total_runs as u64)?;
        attr_str(&out, "shard", "")?;
        let runs = group(&out, "runs")?;
        for (&run, &i) in &owner {
            let source = files[i].group("runs").map_err(h5("opening /runs"))?;
            copy_object(&source, &run.to_string(), &runs)?;
        }
        write_summary(&out)?;
        attr_str(&out, "created_utc", &utc_now())?;
        out.close().map_err(h5("closing the merged file"))?;
    }
    pending.commit()
}

/// Copies `name` (a group with everything under it) from `from` into `to`.
pub(super) fn copy_object(from: &Group, name: &str, to: &Group) -> Result<()> {
    copy_object_as(from, name, to, name)
}

/// Copies `name` from `from` into `to` under the name `new_name`.
pub(super) fn copy_object_as(from: &Group, name: &str, to: &Group, new_name: &str) -> Result<()> {
    let c_name = std::ffi::CString::new(name).expect("run names have no NUL");
    let c_new = std::ffi::CString::new(new_name).expect("run names have no NUL");
    let status = hdf5::sync::sync(|| unsafe {
        hdf5_sys::h5o::H5Ocopy(
            from.id(),
            c_name.as_ptr(),
            to.id(),
            c_new.as_ptr(),
            hdf5_sys::h5p::H5P_DEFAULT,
            hdf5_sys::h5p::H5P_DEFAULT,
        )
    });
    if status < 0 {
        return Err(Error::Hdf5 {
            context: format!("copying run {name}"),
            source: hdf5::Error::from(format!("H5Ocopy of /runs/{name} failed")),
        });
    }
    Ok(())
}
