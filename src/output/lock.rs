//! One writer per output: an advisory lock file beside the output.
//!
//! HDF5's own file locking is often switched off on cluster file systems
//! (`HDF5_USE_FILE_LOCKING=FALSE` on Lustre and GPFS), and it guards only
//! the file being written, not the temporary and journal files around it.
//! So tokensim takes its own lock before it touches anything of an output:
//! `.NAME.lock` in the output's folder, created with `O_EXCL`, holding the
//! writer's pid, host and process start time. A second writer finds it and
//! is refused (exit 2) with the lock's path and owner; a lock whose owner is
//! dead (same host, no such process, or a pid reused by another process) is
//! stale and taken over. A lock of another host cannot be checked from here:
//! it is refused, and the message says how to remove it.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owner {
    pid: u32,
    host: String,
    /// Start time of the process in clock ticks since boot (Linux), 0 when
    /// unknown: tells a live owner from a later process with the same pid.
    start: u64,
}

impl Owner {
    fn me() -> Owner {
        let pid = std::process::id();
        Owner {
            pid,
            host: hostname(),
            start: process_start(pid).unwrap_or(0),
        }
    }

    fn parse(text: &str) -> Option<Owner> {
        let mut owner = Owner {
            pid: 0,
            host: String::new(),
            start: 0,
        };
        for line in text.lines() {
            let (key, value) = line.split_once('=')?;
            match key.trim() {
                "pid" => owner.pid = value.trim().parse().ok()?,
                "host" => owner.host = value.trim().to_string(),
                "start" => owner.start = value.trim().parse().ok()?,
                _ => {}
            }
        }
        (owner.pid != 0).then_some(owner)
    }

    fn text(&self) -> String {
        format!(
            "pid={}\nhost={}\nstart={}\n",
            self.pid, self.host, self.start
        )
    }

    /// True unless the owner is known to be gone.
    fn alive(&self) -> bool {
        if self.host != hostname() {
            return true; // cannot tell: assume it runs
        }
        if !pid_alive(self.pid) {
            return false;
        }
        match (self.start, process_start(self.pid)) {
            (0, _) | (_, None) => true,
            (recorded, Some(now)) => recorded == now,
        }
    }
}

/// The host's name (empty when unknown).
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates
    // within it or truncates.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// True when a process with this pid runs on this host (a zombie, killed
/// but not yet reaped, does not count).
pub fn pid_alive(pid: u32) -> bool {
    let Ok(raw) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 checks for existence and sends nothing.
    let rc = unsafe { libc::kill(raw, 0) };
    let exists = rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    exists && process_state(pid) != Some('Z')
}

/// Field 3 of `/proc/PID/stat` (R, S, D, Z, …).
fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// Field 22 of `/proc/PID/stat` (start time in ticks since boot).
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// The lock file of an output: `.NAME.lock` in the same folder.
pub fn lock_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    target.with_file_name(format!(".{name}.lock"))
}

/// A held lock on one output; released (the file removed) on drop.
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
    owner: Owner,
}

impl OutputLock {
    /// Takes the lock of `target`, taking over a stale one; refuses (exit 2)
    /// when another live writer holds it.
    pub fn acquire(target: &Path) -> Result<OutputLock> {
        let path = lock_path(target);
        let me = Owner::me();
        for _ in 0..3 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut file) => {
                    file.write_all(me.text().as_bytes())
                        .and_then(|_| file.sync_all())
                        .map_err(|source| Error::Io {
                            path: path.clone(),
                            source,
                        })?;
                    return Ok(OutputLock { path, owner: me });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    match Owner::parse(&text) {
                        Some(owner) if owner.alive() => {
                            return Err(Error::Input(format!(
                                "{}: another tokensim (pid {} on host {}) is writing this output; \
                                 wait for it to finish, or remove {} if no such process runs",
                                target.display(),
                                owner.pid,
                                if owner.host.is_empty() {
                                    "?"
                                } else {
                                    &owner.host
                                },
                                path.display()
                            )));
                        }
                        // Stale (dead owner) or unreadable (a writer killed
                        // while creating it): take it over.
                        _ => {
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
                Err(source) => {
                    return Err(Error::Input(format!(
                        "{}: cannot write in this folder ({source})",
                        target.display()
                    )));
                }
            }
        }
        Err(Error::Input(format!(
            "{}: could not take the lock {} (other writers keep taking it)",
            target.display(),
            path.display()
        )))
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Remove only our own lock (a takeover may have replaced it).
        let ours = std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|t| Owner::parse(&t))
            .is_some_and(|o| o == self.owner);
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_and_a_stale_one_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.h5");
        let first = OutputLock::acquire(&target).unwrap();
        let err = OutputLock::acquire(&target).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains(".out.h5.lock"), "{err}");
        drop(first);
        assert!(!lock_path(&target).exists());
        // A dead owner on this host: pid 0x7fff_fff0 does not exist.
        std::fs::write(
            lock_path(&target),
            format!("pid={}\nhost={}\nstart=1\n", 0x7fff_fff0u32, hostname()),
        )
        .unwrap();
        let taken = OutputLock::acquire(&target).unwrap();
        assert!(std::fs::read_to_string(taken.path())
            .unwrap()
            .contains(&format!("pid={}", std::process::id())));
    }
}
