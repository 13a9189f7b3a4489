//! `tokensim export FILE --csv DIR --parquet DIR`: the tidy tables of an
//! output file ([`crate::output::tables`]) as CSV for spreadsheets and
//! pandas, and as Parquet for pandas, polars, Arrow and DuckDB.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::{tables, write_parquet, Column, OutputFile, Table};

/// A CSV text field (RFC 4180): quoted when it holds a comma, a quote or a
/// line break (`\n` or `\r`), and neutralised against spreadsheet formula
/// injection — a text starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return gets a leading `'` so that Excel and LibreOffice show it as text
/// instead of evaluating it (OWASP's recommendation). Numbers are written
/// as they are, without this function.
pub fn field(s: &str) -> String {
    let neutral = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// A table as CSV text: a header, then one line per row; empty cells for
/// nulls, numbers as Rust prints them (shortest exact form), text through
/// [`field`].
pub fn csv_text(table: &Table) -> String {
    let mut out = table
        .columns
        .iter()
        .map(|c| field(&c.0))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for r in 0..table.rows() {
        for (i, (_, column)) in table.columns.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = match column {
                Column::U64(v) => write!(out, "{}", v[r]),
                Column::I64(v) => write!(out, "{}", v[r]),
                Column::F64(v) => match v[r] {
                    Some(x) => write!(out, "{x}"),
                    None => Ok(()),
                },
                Column::Str(v) => match &v[r] {
                    Some(x) => write!(out, "{}", field(x)),
                    None => Ok(()),
                },
            };
        }
        out.push('\n');
    }
    out
}

/// The temporary name of an export file.
fn temporary(path: &Path) -> PathBuf {
    path.with_file_name(format!(
        ".{}.tmp-{}",
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ))
}

/// One file of an export: a table, as CSV or as Parquet.
enum ExportFile<'a> {
    Csv(&'a Table),
    Parquet(&'a Table),
}

impl ExportFile<'_> {
    fn write(&self, path: &Path) -> Result<()> {
        match self {
            ExportFile::Csv(table) => {
                std::fs::write(path, csv_text(table)).map_err(|source| Error::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
            ExportFile::Parquet(table) => write_parquet(table, path),
        }
    }
}

/// Writes every file of one export, then renames them all into place: a
/// failure leaves no partial file under a final name.
fn write_all(files: &[(PathBuf, ExportFile)]) -> Result<()> {
    let mut temps = Vec::new();
    for (path, file) in files {
        let temp = temporary(path);
        if let Err(e) = file.write(&temp) {
            for t in &temps {
                let _ = std::fs::remove_file(t);
            }
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
        temps.push(temp);
    }
    for (temp, (path, _)) in temps.iter().zip(files) {
        std::fs::rename(temp, path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
    }
    Ok(())
}

/// Where `export` writes: CSV, Parquet, or both.
#[derive(Debug, Clone, Default)]
pub struct ExportTargets {
    /// Folder for the CSV files.
    pub csv: Option<PathBuf>,
    /// Folder for the Parquet files.
    pub parquet: Option<PathBuf>,
}

/// Exports every table of `file_path` ([`crate::output::tables`]: series,
/// token series, budget years, events, fairness tables, histogram
/// quantiles, per-type summary, a sweep's summary) as CSV and/or Parquet.
/// Returns what was written.
pub fn export(file_path: &Path, targets: &ExportTargets) -> Result<String> {
    if targets.csv.is_none() && targets.parquet.is_none() {
        return Err(Error::Input(
            "export: give --csv DIR, --parquet DIR, or both".into(),
        ));
    }
    let out = OutputFile::open(file_path)?;
    let runs = out.ids().iter().filter(|id| !out.failed(id)).count();
    let all = tables(&out)?;
    let mut files = Vec::new();
    for (dir, ext) in [(&targets.csv, "csv"), (&targets.parquet, "parquet")] {
        let Some(dir) = dir else { continue };
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        for table in &all {
            let path = dir.join(format!("{}.{ext}", table.name));
            let file = if ext == "csv" {
                ExportFile::Csv(table)
            } else {
                ExportFile::Parquet(table)
            };
            files.push((path, file));
        }
    }
    write_all(&files)?;
    let names: Vec<&str> = all.iter().map(|t| t.name).collect();
    Ok(format!(
        "tokensim export: {runs} run(s) of {} -> {} ({} tables: {})",
        file_path.display(),
        [&targets.csv, &targets.parquet]
            .iter()
            .filter_map(|d| d.as_ref().map(|d| d.display().to_string()))
            .collect::<Vec<_>>()
            .join(" and "),
        names.len(),
        names.join(", ")
    ))
}

/// `export --csv DIR` alone (kept for callers of the first round).
pub fn export_csv(file_path: &Path, dir: &Path) -> Result<String> {
    export(
        file_path,
        &ExportTargets {
            csv: Some(dir.to_path_buf()),
            parquet: None,
        },
    )
}
