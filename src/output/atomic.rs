//! Writing a file under a temporary name and renaming it when complete, so a
//! crash or an error never leaves a truncated file under the requested name.
//!
//! The file is flushed to disk (`fsync`) before the rename and the folder
//! after it, so a power cut either leaves the old state or the complete new
//! file, never a renamed file whose data is still in the page cache.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Flushes a file's data and metadata to disk.
pub fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
}

/// Flushes a folder's entries (a rename or a removal in it) to disk.
pub fn sync_dir(dir: &Path) -> Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    // Some file systems cannot fsync a folder: that is not an error here.
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
    Ok(())
}

/// Renames `from` to `to` durably: `from` flushed first, the folder after.
pub fn durable_rename(from: &Path, to: &Path) -> Result<()> {
    sync_file(from)?;
    std::fs::rename(from, to).map_err(|source| Error::Io {
        path: to.to_path_buf(),
        source,
    })?;
    sync_dir(to.parent().unwrap_or(Path::new(".")))
}

/// Checks an output path before anything is simulated: it must be a regular
/// file or not exist yet, in an existing folder (created when
/// `create_parent`, for default outputs under `output/`). Bad paths are
/// bad input (exit 2).
pub fn check_target(target: &Path, create_parent: bool) -> Result<()> {
    let shown = target.display();
    if target.file_name().is_none() {
        return Err(Error::Input(format!("{shown}: not a file name")));
    }
    match std::fs::symlink_metadata(target) {
        Ok(meta) if meta.is_file() => {}
        Ok(meta) if meta.file_type().is_symlink() => {
            if !std::fs::metadata(target).is_ok_and(|m| m.is_file()) {
                return Err(Error::Input(format!(
                    "{shown}: a link to something that is not a regular file; name a file"
                )));
            }
        }
        Ok(meta) if meta.is_dir() => {
            return Err(Error::Input(format!(
                "{shown}: is a folder; name the output file (e.g. {}/out.h5)",
                shown
            )))
        }
        Ok(_) => {
            return Err(Error::Input(format!(
                "{shown}: not a regular file (a device, pipe or socket); name a file"
            )))
        }
        Err(_) => {}
    }
    let parent = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match std::fs::metadata(parent) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Error::Input(format!(
            "{shown}: {} is not a folder",
            parent.display()
        ))),
        Err(_) if create_parent => std::fs::create_dir_all(parent).map_err(|e| {
            Error::Input(format!("{shown}: cannot create {} ({e})", parent.display()))
        }),
        Err(_) => Err(Error::Input(format!(
            "{shown}: the folder {} does not exist",
            parent.display()
        ))),
    }
}

/// Removes the temporary files `.NAME.tmp-PID` of writers of `target` that
/// are no longer running (killed before they could clean up). Call with the
/// output's lock held.
pub fn remove_stale_temporaries(target: &Path) {
    let (Some(dir), Some(name)) = (target.parent(), target.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file.strip_prefix(&prefix) else {
            continue;
        };
        let dead = pid.parse::<u32>().map_or(true, |p| {
            p != std::process::id() && !super::lock::pid_alive(p)
        });
        if dead {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A file being written next to its final path.
#[derive(Debug)]
pub struct PendingFile {
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl PendingFile {
    /// Prepares to write `target`: picks a hidden temporary name in the same
    /// folder (so the rename is atomic). The folder must exist
    /// ([`check_target`]).
    pub fn new(target: &Path) -> Result<Self> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
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

    /// The temporary path to write to.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes the finished file to disk and renames it to its final name.
    pub fn commit(mut self) -> Result<PathBuf> {
        durable_rename(&self.temp, &self.target)?;
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
