//! `tokensim experiment NAME [--quick] [--json] [--out DIR]`: the paper's
//! experiments as tables.

use std::path::PathBuf;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::experiments::{archive_to, run_named, Size, Table};

/// Options of `tokensim experiment`.
#[derive(Debug, Clone, Default)]
pub struct ExperimentArgs {
    /// Which experiment.
    pub name: String,
    /// Reduced size (as in the tests).
    pub quick: bool,
    /// Print the tables as JSON instead of text.
    pub json: bool,
    /// Keep every simulated run as a run file in this folder.
    pub out: Option<PathBuf>,
}

/// Runs one named experiment and returns what to print: its tables as
/// text (with the time taken) or as a JSON array.
pub fn experiment(args: &ExperimentArgs) -> Result<String> {
    let size = if args.quick { Size::Quick } else { Size::Full };
    let start = Instant::now();
    let (tables, written) = match &args.out {
        Some(dir) => archive_to(dir, || run_named(&args.name, size))?,
        None => (run_named(&args.name, size)?, Vec::new()),
    };
    if let Some(dir) = &args.out {
        let text = render_text(&tables);
        let json = render_json(&tables)?;
        for (file, body) in [("tables.txt", text), ("tables.json", json)] {
            let path = dir.join(file);
            std::fs::write(&path, body).map_err(|source| Error::Io { path, source })?;
        }
    }
    if args.json {
        return render_json(&tables);
    }
    let mut text = render_text(&tables);
    if let Some(dir) = &args.out {
        text.push_str(&format!(
            "({} run file(s), index.tsv and the tables written to {})\n",
            written.len(),
            dir.display()
        ));
    }
    text.push_str(&format!("(took {:.1} s)", start.elapsed().as_secs_f64()));
    Ok(text)
}

fn render_text(tables: &[Table]) -> String {
    tables
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_json(tables: &[Table]) -> Result<String> {
    serde_json::to_string_pretty(tables)
        .map_err(|e| Error::Internal(format!("serializing the tables: {e}")))
}
