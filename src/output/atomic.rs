//! Writing a file under a temporary name and renaming it when complete, so a
//! crash or an error never leaves a truncated file under the requested name.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file being written next to its final path.
#[derive(Debug)]
pub struct PendingFile {
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl PendingFile {
    /// Prepares to write `target`: creates its folder, picks a hidden
    /// temporary name in the same folder (so the rename is atomic).
    pub fn new(target: &Path) -> Result<Self> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        let name = target
            .file_name()
            .ok_or_else(|| Error::Input(format!("{}: not a file name", target.display())))?;
        let temp = dir.join(format!(
            ".{}.tmp-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        Ok(PendingFile {
            temp,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    /// Prepares to write `target` through a fixed hidden name
    /// `.<name>.<suffix>` in the same folder, which survives an interrupted
    /// run (so that it can be resumed) until [`PendingFile::keep`] or commit.
    pub fn stable(target: &Path, suffix: &str) -> Result<Self> {
        let mut pending = PendingFile::new(target)?;
        let name = target
            .file_name()
            .expect("checked by new")
            .to_string_lossy()
            .into_owned();
        pending.temp = pending.temp.with_file_name(format!(".{name}.{suffix}"));
        Ok(pending)
    }

    /// Leaves the temporary file in place (nothing is renamed or removed).
    pub fn keep(mut self) -> PathBuf {
        self.committed = true;
        self.temp.clone()
    }

    /// The temporary path to write to.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the finished file to its final name.
    pub fn commit(mut self) -> Result<PathBuf> {
        std::fs::rename(&self.temp, &self.target).map_err(|source| Error::Io {
            path: self.target.clone(),
            source,
        })?;
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
