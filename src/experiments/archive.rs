//! `tokensim experiment NAME --out DIR`: every simulation an experiment runs
//! is kept as a run file, so that its rows can be audited, reported or
//! exported later with the ordinary commands.
//!
//! Why a scoped sink rather than a parameter: the experiments are library
//! functions with a fixed signature (`size` only) that tests call directly;
//! archiving is an observation of what they simulate, not part of the
//! study. [`archive_to`] installs the sink for the duration of a closure;
//! [`super::simulate`] hands every finished run to it. Runs are numbered in
//! the order the experiment simulates them, which is deterministic.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::output::{claim_output, write_run_file};
use crate::record::RunRecord;

/// Where runs go, and how many have been written.
struct Sink {
    dir: PathBuf,
    written: Vec<PathBuf>,
}

static SINK: Mutex<Option<Sink>> = Mutex::new(None);

/// Runs `study` with every simulation it makes written to `dir`
/// (`NNN-<policy>-theta-<scale>.h5`, one file per configuration with all its
/// replications) and an `index.tsv` listing them; returns the study's
/// result and the files written. `dir` is created; files already in it
/// are refused rather than overwritten.
pub fn archive_to<T>(dir: &Path, study: impl FnOnce() -> Result<T>) -> Result<(T, Vec<PathBuf>)> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Error::Input(format!(
            "--out {}: cannot create the folder: {e}",
            dir.display()
        ))
    })?;
    let occupied = std::fs::read_dir(dir)
        .map_err(|e| Error::Input(format!("--out {}: {e}", dir.display())))?
        .next()
        .is_some();
    if occupied {
        return Err(Error::Input(format!(
            "--out {}: expected a new or empty folder (it holds files; an experiment does not overwrite earlier runs)",
            dir.display()
        )));
    }
    let mut slot = SINK.lock().unwrap_or_else(|e| e.into_inner());
    if slot.is_some() {
        return Err(Error::Input(
            "an experiment archive is already open in this process".into(),
        ));
    }
    *slot = Some(Sink {
        dir: dir.to_path_buf(),
        written: Vec::new(),
    });
    drop(slot);
    let result = study();
    let sink = SINK
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .expect("installed above");
    let value = result?;
    Ok((value, sink.written))
}

/// Hands a finished simulation to the open archive, if any.
pub(super) fn keep(config: &Config, records: &[RunRecord]) -> Result<()> {
    let mut slot = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let Some(sink) = slot.as_mut() else {
        return Ok(());
    };
    let number = sink.written.len();
    let name = format!(
        "{number:03}-{}-theta-{}.h5",
        records
            .first()
            .map_or("run".to_string(), |r| r.info.policy.clone()),
        config.simulation.scale
    );
    let target = sink.dir.join(name);
    let _lock = claim_output(&target, false)?;
    let path = write_run_file(&target, records)?;
    let mut line = String::new();
    let _ = writeln!(
        line,
        "{}\t{}\t{}\t{}\t{}",
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        config.policy.kind.name(),
        config.simulation.scale,
        config.simulation.seed,
        config.simulation.replications
    );
    append_index(&sink.dir, number == 0, &line)?;
    sink.written.push(path);
    Ok(())
}

fn append_index(dir: &Path, first: bool, line: &str) -> Result<()> {
    use std::io::Write as _;
    let path = dir.join("index.tsv");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
    let header = if first {
        "file\tpolicy\tscale\tseed\treplications\n"
    } else {
        ""
    };
    write!(file, "{header}{line}")
        .and_then(|_| file.sync_all())
        .map_err(|source| Error::Io { path, source })
}
