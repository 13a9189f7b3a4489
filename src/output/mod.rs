//! Output: HDF5 files per interfaces.md §3, written atomically.

mod atomic;
mod compare;
mod dimensions;
mod h5;
mod journal;
mod lock;
mod parquet_file;
pub mod reader;
mod run_group;
pub mod schema;
mod sweep_file;
pub mod tables;
mod timestamp;

pub use atomic::{check_target, durable_rename, remove_stale_temporaries, PendingFile};
pub use compare::{differences, flatten_file};
pub use journal::{journal_dir, SweepJournal};
pub use lock::{lock_path, OutputLock};
pub use parquet_file::{record_batch, write_parquet};
pub use reader::{printable, OutputFile, RunReader};
pub use run_group::{write_run, QUANTILES};
pub use sweep_file::{merge, read_identity, write_summary, RunLabel, SweepIdentity};
pub use tables::{tables, Column, Table};
pub use timestamp::utc_now;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::record::RunRecord;

/// Fault injection for the crash-safety tests: when the environment
/// variable `TOKENSIM_CRASH_AT` equals `point`, the process kills itself
/// with SIGKILL right there (no destructor, no flush runs), as a lost node
/// or the kernel's OOM killer would. The points are named where they are
/// called (`journal-run-temp`, `journal-recorded-N`, `finish-runs-copied`,
/// `finish-summary-written`, `finish-renamed`, `run-before-rename`, …).
pub fn crash_point(point: &str) {
    if std::env::var_os("TOKENSIM_CRASH_AT").is_some_and(|v| v == point) {
        // SAFETY: raising a signal on our own process.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

/// Fault injection for the tests: when `TOKENSIM_FAIL_AT` equals `point`,
/// returns the I/O error of a full disk (ENOSPC) instead of going on, so
/// the tests can check that a failed write loses nothing.
pub fn fault_point(point: &str, path: &Path) -> Result<()> {
    if std::env::var_os("TOKENSIM_FAIL_AT").is_some_and(|v| v == point) {
        return Err(Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::from_raw_os_error(libc::ENOSPC),
        });
    }
    Ok(())
}

/// Claims an output before anything is simulated: checks the path
/// ([`check_target`]), takes its lock ([`OutputLock`]) and removes the
/// temporary files of writers that were killed. Hold the lock until the
/// output is written.
pub fn claim_output(target: &Path, create_parent: bool) -> Result<OutputLock> {
    check_target(target, create_parent)?;
    let lock = OutputLock::acquire(target)?;
    remove_stale_temporaries(target);
    Ok(lock)
}

/// The attributes every output file carries at its root: the tokensim
/// version, the kind (`run` or `sweep`) and the `Conventions` of its
/// layout ([`schema::CONVENTIONS`]).
pub fn write_file_attrs(file: &hdf5::File, kind: &str) -> Result<()> {
    h5::attr_str(file, "tokensim_version", env!("CARGO_PKG_VERSION"))?;
    h5::attr_str(file, "kind", kind)?;
    h5::attr_str(file, "Conventions", schema::CONVENTIONS)
}

/// Writes a run file (one group per replication under `/runs`) to `target`
/// via a temporary name; returns the final path. Claim the output first
/// ([`claim_output`]).
pub fn write_run_file(target: &Path, records: &[RunRecord]) -> Result<PathBuf> {
    let pending = PendingFile::new(target)?;
    {
        let file = hdf5::File::create(pending.path()).map_err(|source| Error::Hdf5 {
            context: format!("creating {}", pending.path().display()),
            source,
        })?;
        write_file_attrs(&file, "run")?;
        h5::attr_str(&file, "created_utc", &utc_now())?;
        let runs = h5::group(&file, "runs")?;
        for (i, record) in records.iter().enumerate() {
            write_run(&runs, &i.to_string(), record)?;
        }
        drop(runs);
        crash_point("run-before-close");
        file.close().map_err(|source| Error::Hdf5 {
            context: "closing the output file".into(),
            source,
        })?;
    }
    crash_point("run-before-rename");
    pending.commit()
}
