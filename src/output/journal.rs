//! The crash-safe sweep journal: one durable file per finished run, merged
//! into the final output at the end.
//!
//! Design note. An HDF5 file open for writing is consistent on disk only
//! after it is closed: a sweep killed while `/runs/<i>` groups are being
//! added to one big file loses the whole file (its superblock and B-trees
//! are in memory). So a sweep never writes runs into the output itself.
//! Each finished run is written to its own small file in the journal folder
//! `.NAME.partial/` beside the output — under a temporary name, flushed with
//! `fsync`, then renamed to `run-<index>.h5` — so at any instant every file
//! named `run-*.h5` is complete, whatever kills the process (SIGKILL, a lost
//! node, a full disk, a power cut). The journal also holds `sweep.json`, the
//! sweep's identity, written the same way before the first run.
//!
//! Finishing copies the runs into a temporary output, writes `/summary`,
//! closes and flushes it, renames it onto the final name, and only then
//! removes the journal. A kill before the rename leaves the journal (resume
//! redoes the finish); a kill after it leaves a complete output and a
//! journal that `--resume` finishes again to the same datasets.
//!
//! `--resume` never deletes a finished run: it refuses (exit 2, nothing
//! touched) a journal of another sweep, skips runs recorded `ok`, and runs
//! again the runs recorded as failed and those never recorded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hdf5::File;
use serde::{Deserialize, Serialize};

use super::atomic::{durable_rename, sync_dir, PendingFile};
use super::h5::{attr_scalar, attr_str, group};
use super::sweep_file::{copy_object, copy_object_as, read_identity, write_label, write_summary};
use super::{crash_point, fault_point, utc_now, write_run, RunLabel, SweepIdentity};
use crate::error::{Error, Result};
use crate::record::RunRecord;

fn h5(context: &str) -> impl FnOnce(hdf5::Error) -> Error + '_ {
    move |source| Error::Hdf5 {
        context: context.to_string(),
        source,
    }
}

/// The journal folder of an output: `.NAME.partial/` beside it.
pub fn journal_dir(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "sweep".into(), |n| n.to_string_lossy().into_owned());
    target.with_file_name(format!(".{name}.partial"))
}

/// `sweep.json`: what identifies the sweep a journal belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct JournalIdentity {
    fingerprint: String,
    shard: String,
    total_runs: usize,
    sweep_toml: String,
}

impl From<&SweepIdentity> for JournalIdentity {
    fn from(i: &SweepIdentity) -> Self {
        JournalIdentity {
            fingerprint: i.fingerprint.clone(),
            shard: i.shard.clone(),
            total_runs: i.total_runs,
            sweep_toml: i.sweep_toml.clone(),
        }
    }
}

/// What a journal holds for one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Finished and recorded.
    Ok,
    /// Recorded as failed (run again on resume).
    Failed,
}

/// An open sweep journal.
#[derive(Debug)]
pub struct SweepJournal {
    dir: PathBuf,
    target: PathBuf,
    identity: SweepIdentity,
    runs: BTreeMap<usize, RunState>,
}

impl SweepJournal {
    /// Opens the journal of `target`: a new one, or with `resume` the one an
    /// interrupted sweep left, or one rebuilt from a finished output of the
    /// same sweep or of a sweep this one extends (more replications, more
    /// grid values). `place` gives, for a finished run's resolved
    /// configuration and replication, its label in this sweep (`None`: not
    /// a run of this sweep). The output's lock must be held.
    pub fn open(
        target: &Path,
        identity: SweepIdentity,
        resume: bool,
        place: &dyn Fn(&str, u32) -> Option<RunLabel>,
    ) -> Result<SweepJournal> {
        let dir = journal_dir(target);
        let mut journal = SweepJournal {
            dir: dir.clone(),
            target: target.to_path_buf(),
            identity,
            runs: BTreeMap::new(),
        };
        if dir.exists() {
            if !resume {
                return Err(Error::Input(format!(
                    "{}: an interrupted sweep left its finished runs in {}; \
                     rerun with --resume to keep them, or remove that folder to start afresh",
                    target.display(),
                    dir.display()
                )));
            }
            journal.check_identity()?;
            journal.scan()?;
        } else {
            let finished = if resume && target.exists() {
                let file = journal.open_finished()?;
                let moves = journal.place_finished(&file, place)?;
                Some((file, moves))
            } else {
                None
            };
            std::fs::create_dir(&dir).map_err(|source| Error::Io {
                path: dir.clone(),
                source,
            })?;
            journal.write_identity()?;
            if let Some((file, moves)) = finished {
                journal.import_finished(&file, &moves)?;
            }
        }
        Ok(journal)
    }

    /// Runs recorded `ok` (to skip).
    pub fn completed(&self) -> impl Iterator<Item = usize> + '_ {
        self.runs
            .iter()
            .filter(|(_, s)| **s == RunState::Ok)
            .map(|(i, _)| *i)
    }

    /// The journal folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn identity_path(&self) -> PathBuf {
        self.dir.join("sweep.json")
    }

    fn run_path(&self, run: usize) -> PathBuf {
        self.dir.join(format!("run-{run}.h5"))
    }

    /// Where run `run` keeps its checkpoint while it runs (`sweep
    /// --checkpoint-every`); removed once the run is recorded.
    pub fn checkpoint_path(&self, run: usize) -> PathBuf {
        SweepJournal::checkpoint_in(&self.dir, run)
    }

    /// [`SweepJournal::checkpoint_path`] of a journal folder.
    pub fn checkpoint_in(dir: &Path, run: usize) -> PathBuf {
        dir.join(format!("run-{run}.checkpoint"))
    }

    fn write_identity(&self) -> Result<()> {
        let text = serde_json::to_string_pretty(&JournalIdentity::from(&self.identity))
            .map_err(|e| Error::Internal(format!("serializing the sweep identity: {e}")))?;
        let temp = self.dir.join(".sweep.json.tmp");
        std::fs::write(&temp, text).map_err(|source| Error::Io {
            path: temp.clone(),
            source,
        })?;
        durable_rename(&temp, &self.identity_path())
    }

    fn check_identity(&self) -> Result<()> {
        let path = self.identity_path();
        let found: Option<JournalIdentity> = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        let expected = JournalIdentity::from(&self.identity);
        match found {
            Some(f) if f.fingerprint == expected.fingerprint && f.shard == expected.shard => Ok(()),
            Some(_) => Err(Error::Input(format!(
                "--resume: {} holds the runs of another sweep or shard; nothing was changed \
                 (an interrupted sweep resumes with the same sweep file and options — extend it \
                 with more replications or grid values once it has finished; or give another \
                 --out, or remove that folder to start afresh)",
                self.dir.display()
            ))),
            None => Err(Error::Input(format!(
                "--resume: {} is not a tokensim sweep journal ({} missing or unreadable); \
                 nothing was changed",
                self.dir.display(),
                path.display()
            ))),
        }
    }

    /// Lists the recorded runs; removes temporary files of interrupted
    /// writes (never a renamed, complete run file).
    fn scan(&mut self) -> Result<()> {
        let entries = std::fs::read_dir(&self.dir).map_err(|source| Error::Io {
            path: self.dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.contains(".tmp") {
                let _ = std::fs::remove_file(entry.path());
                continue;
            }
            let Some(run) = name
                .strip_prefix("run-")
                .and_then(|n| n.strip_suffix(".h5"))
                .and_then(|n| n.parse::<usize>().ok())
            else {
                continue;
            };
            if run >= self.identity.total_runs {
                continue;
            }
            let state = File::open(entry.path())
                .ok()
                .and_then(|f| f.group(&format!("runs/{run}")).ok())
                .and_then(|g| g.attr("status").ok())
                .and_then(|a| a.read_scalar::<hdf5::types::VarLenUnicode>().ok())
                .map(|s| {
                    if s.as_str() == "ok" {
                        RunState::Ok
                    } else {
                        RunState::Failed
                    }
                });
            // A file that cannot be read is treated as never recorded (its
            // run is simulated again and the file replaced).
            if let Some(state) = state {
                self.runs.insert(run, state);
            }
        }
        Ok(())
    }

    /// `--resume` on a finished output: opens it and checks that it is an
    /// output of this sweep (before anything is created).
    fn open_finished(&self) -> Result<File> {
        let shown = self.target.display().to_string();
        let file = File::open(&self.target).map_err(|e| {
            Error::Input(format!(
                "--resume: {shown} exists but cannot be opened as HDF5 ({e}); nothing was changed"
            ))
        })?;
        let found = read_identity(&file).map_err(|_| {
            Error::Input(format!(
                "--resume: {shown} is not a tokensim sweep output; nothing was changed"
            ))
        })?;
        let same = found.fingerprint == self.identity.fingerprint;
        // A shard's runs are chosen by index, so only whole sweeps extend.
        let extends = found.shard.is_empty() && self.identity.shard.is_empty();
        if found.shard != self.identity.shard || !(same || extends) {
            return Err(Error::Input(format!(
                "--resume: {shown} is the output of another sweep or shard; nothing was changed"
            )));
        }
        Ok(file)
    }

    /// Where each finished run of `file` goes in this sweep: (its name in
    /// the file, its label here). A finished run is reused only when this
    /// sweep has a run with exactly its resolved configuration (seed
    /// included) and replication, so the extended output equals the same
    /// sweep run from scratch; a finished run this sweep does not have is
    /// refused (nothing is changed), never dropped.
    fn place_finished(
        &self,
        file: &File,
        place: &dyn Fn(&str, u32) -> Option<RunLabel>,
    ) -> Result<Vec<(String, RunLabel)>> {
        let shown = self.target.display().to_string();
        let runs = file.group("runs").map_err(h5("opening /runs"))?;
        let mut moves = Vec::new();
        for name in runs.member_names().map_err(h5("listing runs"))? {
            let Ok(g) = runs.group(&name) else { continue };
            let ok = g
                .attr("status")
                .and_then(|a| a.read_scalar::<hdf5::types::VarLenUnicode>())
                .is_ok_and(|s| s.as_str() == "ok");
            if !ok {
                continue; // a failed run is simply run again
            }
            let config = g
                .attr("config_toml")
                .and_then(|a| a.read_scalar::<hdf5::types::VarLenUnicode>())
                .map(|s| s.as_str().to_string());
            let replication = g.attr("replication").and_then(|a| a.read_scalar::<u64>());
            let label = match (config, replication) {
                (Ok(c), Ok(r)) => u32::try_from(r).ok().and_then(|r| place(&c, r)),
                _ => None,
            };
            match label {
                Some(label) => moves.push((name, label)),
                None => {
                    return Err(Error::Input(format!(
                        "--resume: {shown} holds run {name}, which this sweep does not have \
                         (its configuration or replication is not one of this sweep's runs): \
                         a sweep may be extended with more replications or grid values, \
                         not changed; nothing was changed"
                    )))
                }
            }
        }
        Ok(moves)
    }

    /// Its finished runs become journal entries under their places in this
    /// sweep (the output itself is left as it is until the new one
    /// replaces it).
    fn import_finished(&mut self, file: &File, moves: &[(String, RunLabel)]) -> Result<()> {
        let runs = file.group("runs").map_err(h5("opening /runs"))?;
        for (name, label) in moves {
            let new_name = label.run.to_string();
            self.write_atomically(label.run, |out| {
                copy_object_as(&runs, name, out, &new_name)?;
                let g = out.group(&new_name).map_err(h5("opening a run"))?;
                write_label(&g, label)
            })?;
            self.runs.insert(label.run, RunState::Ok);
        }
        Ok(())
    }

    /// Writes run file `run` through a temporary name: `fill` writes the
    /// run's group under the file's `/runs`.
    fn write_atomically(
        &self,
        run: usize,
        fill: impl FnOnce(&hdf5::Group) -> Result<()>,
    ) -> Result<()> {
        let temp = self.dir.join(format!(".run-{run}.h5.tmp"));
        let written = (|| {
            let file = File::create(&temp).map_err(h5("creating a journal run file"))?;
            attr_str(&file, "sweep_fingerprint", &self.identity.fingerprint)?;
            attr_scalar(&file, "run", run as u64)?;
            {
                let runs = group(&file, "runs")?;
                fill(&runs)?;
            }
            file.close().map_err(h5("closing a journal run file"))
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
        crash_point("journal-run-temp");
        if let Err(e) = fault_point(&format!("journal-record-{}", self.runs.len() + 1), &temp) {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
        durable_rename(&temp, &self.run_path(run))?;
        crash_point(&format!("journal-recorded-{}", self.runs.len() + 1));
        Ok(())
    }

    /// Records a finished run durably.
    pub fn record_ok(&mut self, label: &RunLabel, record: &RunRecord) -> Result<()> {
        let name = label.run.to_string();
        self.write_atomically(label.run, |runs| {
            write_run(runs, &name, record)?;
            let g = runs.group(&name).map_err(h5("opening a run"))?;
            write_label(&g, label)?;
            attr_str(&g, "error", "")?;
            attr_str(&g, "status", "ok")
        })?;
        self.runs.insert(label.run, RunState::Ok);
        let _ = std::fs::remove_file(self.checkpoint_path(label.run));
        Ok(())
    }

    /// Records a failed run with its error (run again on resume).
    pub fn record_error(&mut self, label: &RunLabel, message: &str) -> Result<()> {
        let name = label.run.to_string();
        self.write_atomically(label.run, |runs| {
            let g = group(runs, &name)?;
            write_label(&g, label)?;
            attr_str(&g, "error", message)?;
            attr_str(&g, "status", "error")
        })?;
        self.runs.insert(label.run, RunState::Failed);
        Ok(())
    }

    /// Writes the final output from the journal (every recorded run, in
    /// order, and `/summary`), renames it onto the target, then removes the
    /// journal. Fails (keeping the journal) when a run is missing.
    pub fn finish(self, expected: &[usize]) -> Result<PathBuf> {
        if let Some(missing) = expected.iter().find(|r| !self.runs.contains_key(r)) {
            return Err(Error::Internal(format!(
                "sweep: run {missing} is not in the journal {}",
                self.dir.display()
            )));
        }
        let pending = PendingFile::new(&self.target)?;
        {
            let out = File::create(pending.path()).map_err(h5("creating the sweep output"))?;
            let id = &self.identity;
            let kind = if id.shard.is_empty() {
                "sweep"
            } else {
                "sweep-shard"
            };
            super::write_file_attrs(&out, kind)?;
            attr_str(&out, "sweep_fingerprint", &id.fingerprint)?;
            attr_str(&out, "sweep_toml", &id.sweep_toml)?;
            attr_scalar(&out, "total_runs", id.total_runs as u64)?;
            attr_str(&out, "shard", &id.shard)?;
            {
                let runs = group(&out, "runs")?;
                for &run in self.runs.keys() {
                    let source =
                        File::open(self.run_path(run)).map_err(h5("opening a journal run file"))?;
                    let from = source.group("runs").map_err(h5("opening /runs"))?;
                    copy_object(&from, &run.to_string(), &runs)?;
                }
            }
            crash_point("finish-runs-copied");
            fault_point("finish-summary", pending.path())?;
            write_summary(&out)?;
            crash_point("finish-summary-written");
            attr_str(&out, "created_utc", &utc_now())?;
            // Every handle into the file is dropped above, so closing it
            // really flushes and closes it before the rename.
            out.close().map_err(h5("closing the sweep output"))?;
        }
        let path = pending.commit()?;
        crash_point("finish-renamed");
        std::fs::remove_dir_all(&self.dir).map_err(|source| Error::Io {
            path: self.dir.clone(),
            source,
        })?;
        sync_dir(self.target.parent().unwrap_or(Path::new(".")))?;
        Ok(path)
    }
}
