//! `tokensim report FILE [--out DIR]`.

use std::path::{Path, PathBuf};

use crate::error::Result;

/// Writes the report; the folder defaults to `output/<file-stem>-report`.
pub fn report(
    file: &Path,
    out: Option<&Path>,
    options: &crate::report::ReportOptions,
) -> Result<String> {
    let dir = out.map(Path::to_path_buf).unwrap_or_else(|| {
        let stem = file
            .file_stem()
            .map_or("run".into(), |s| s.to_string_lossy());
        PathBuf::from("output").join(format!("{stem}-report"))
    });
    let written = crate::report::report_with(file, &dir, options)?;
    Ok(format!(
        "tokensim report: {} files in {} (open {})",
        written.len(),
        dir.display(),
        dir.join("index.html").display()
    ))
}
