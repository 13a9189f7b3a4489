//! `tokensim diff A B`: do two output files hold the same data?

use std::fmt::Write as _;
use std::path::Path;

use crate::error::Result;
use crate::output::differences;

/// Compares two output files (every group, dataset and attribute by value,
/// except timestamps and object references); returns the report and whether
/// they are the same.
pub fn diff(a: &Path, b: &Path) -> Result<(String, bool)> {
    let diffs = differences(a, b)?;
    let mut s = String::new();
    if diffs.is_empty() {
        let _ = write!(
            s,
            "tokensim diff: {} and {} hold the same data",
            a.display(),
            b.display()
        );
        return Ok((s, true));
    }
    let _ = write!(s, "tokensim diff: {} difference(s)", diffs.len());
    for d in diffs.iter().take(50) {
        let _ = write!(s, "\n  {d}");
    }
    if diffs.len() > 50 {
        let _ = write!(s, "\n  … and {} more", diffs.len() - 50);
    }
    Ok((s, false))
}
