//! Output: HDF5 files per interfaces.md §3, written atomically.

mod atomic;
mod dimensions;
mod h5;
mod run_group;
mod sweep_file;
mod timestamp;

pub use atomic::PendingFile;
pub use run_group::{write_run, QUANTILES};
pub use sweep_file::{merge, read_identity, write_summary, RunLabel, SweepIdentity, SweepWriter};
pub use timestamp::utc_now;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::record::RunRecord;

/// Writes a run file (one group per replication under `/runs`) to `target`
/// via a temporary name; returns the final path.
pub fn write_run_file(target: &Path, records: &[RunRecord]) -> Result<PathBuf> {
    let pending = PendingFile::new(target)?;
    {
        let file = hdf5::File::create(pending.path()).map_err(|source| Error::Hdf5 {
            context: format!("creating {}", pending.path().display()),
            source,
        })?;
        h5::attr_str(&file, "tokensim_version", env!("CARGO_PKG_VERSION"))?;
        h5::attr_str(&file, "created_utc", &utc_now())?;
        h5::attr_str(&file, "kind", "run")?;
        let runs = h5::group(&file, "runs")?;
        for (i, record) in records.iter().enumerate() {
            write_run(&runs, &i.to_string(), record)?;
        }
        file.close().map_err(|source| Error::Hdf5 {
            context: "closing the output file".into(),
            source,
        })?;
    }
    pending.commit()
}
