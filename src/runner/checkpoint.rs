//! Checkpoint files of long runs (`run --checkpoint-every N`, `--restart`).
//!
//! A checkpoint holds the resolved configuration it belongs to and, per
//! replication, everything carried from one period to the next (agents,
//! policy, controller and float, tallies and series so far; random streams
//! are keyed by period, so no generator position is needed). It is written
//! atomically — to a temporary name, flushed, renamed — so a kill while
//! writing leaves the previous checkpoint intact. The format is a short
//! text header (`TOKENSIM-CHECKPOINT`, the format version, the tokensim
//! version) followed by the state in MessagePack (self-describing, so the
//! configuration types inside decode as they were written); it is meant
//! for restarting the same tokensim, not for archiving.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::replication::ReplicationState;
use crate::error::{Error, Result};
use crate::output::{crash_point, durable_rename};

const MAGIC: &str = "TOKENSIM-CHECKPOINT";
const FORMAT: u32 = 1;

/// Checkpoints written by this process (for the numbered crash points).
static WRITTEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Where and how often to checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointPlan {
    /// Recorded periods between two checkpoints.
    pub every: u32,
    /// The checkpoint file.
    pub path: PathBuf,
}

/// The default checkpoint of an output: `OUT.checkpoint` beside it.
pub fn default_checkpoint(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_os_string();
    name.push(".checkpoint");
    PathBuf::from(name)
}

/// A checkpoint's contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The resolved configuration (`Config::to_toml`) of the run.
    pub config_toml: String,
    /// Each replication's state, in replication order.
    pub replications: Vec<ReplicationState>,
}

impl Checkpoint {
    /// Writes the checkpoint atomically to `path`.
    pub fn write(&self, path: &Path) -> Result<()> {
        let name = path
            .file_name()
            .ok_or_else(|| Error::Input(format!("{}: not a file name", path.display())))?;
        let temp = path.with_file_name(format!(
            ".{}.tmp-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let io = |source| Error::Io {
            path: temp.clone(),
            source,
        };
        let mut bytes = format!("{MAGIC}\n{FORMAT}\n{}\n", env!("CARGO_PKG_VERSION")).into_bytes();
        rmp_serde::encode::write_named(&mut bytes, self)
            .map_err(|e| Error::Internal(format!("encoding a checkpoint: {e}")))?;
        std::fs::write(&temp, &bytes).map_err(io)?;
        crash_point("checkpoint-temp-written");
        durable_rename(&temp, path)?;
        let n = WRITTEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        crash_point("checkpoint-written");
        crash_point(&format!("checkpoint-written-{n}"));
        Ok(())
    }

    /// Reads a checkpoint; anything else is bad input (exit 2).
    pub fn read(path: &Path) -> Result<Checkpoint> {
        let shown = path.display();
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| Error::Input(format!("{shown}: cannot read the checkpoint ({e})")))?;
        let mut lines = bytes.splitn(4, |&b| b == b'\n');
        let (magic, format, version, body) =
            (lines.next(), lines.next(), lines.next(), lines.next());
        if magic != Some(MAGIC.as_bytes()) {
            return Err(Error::Input(format!("{shown}: not a tokensim checkpoint")));
        }
        let version = String::from_utf8_lossy(version.unwrap_or_default()).into_owned();
        if format != Some(FORMAT.to_string().as_bytes()) || version != env!("CARGO_PKG_VERSION") {
            return Err(Error::Input(format!(
                "{shown}: a checkpoint of tokensim {version} (format {}); this is tokensim {}, \
                 which restarts only its own checkpoints",
                String::from_utf8_lossy(format.unwrap_or_default()),
                env!("CARGO_PKG_VERSION")
            )));
        }
        rmp_serde::from_slice(body.unwrap_or_default())
            .map_err(|e| Error::Input(format!("{shown}: the checkpoint is corrupt ({e})")))
    }
}
