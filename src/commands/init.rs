//! `tokensim init [FILE] [--token]`: a commented configuration to start from.

use std::path::Path;

use crate::error::{Error, Result};

/// The paper model's template: two types, four rewards, Fluid-Opt.
pub const PAPER_TEMPLATE: &str = include_str!("../../configs/quickstart.toml");
/// The token economy's template: the steered courier scenario.
pub const TOKEN_TEMPLATE: &str = include_str!("../../configs/fengdou-steer.toml");

/// Writes a template to `path` (never over an existing file); returns what
/// to do next.
pub fn init(path: &Path, token: bool) -> Result<String> {
    if path.exists() {
        return Err(Error::Input(format!(
            "{} exists: tokensim init never replaces a file (choose another name)",
            path.display()
        )));
    }
    let text = if token {
        TOKEN_TEMPLATE
    } else {
        PAPER_TEMPLATE
    };
    let header = format!(
        "# Written by `tokensim init{}`: every key is documented in the README\n\
         # (\"A configuration\"{}); `tokensim validate {}` prints it with every\n\
         # default filled in.\n\n",
        if token { " --token" } else { "" },
        if token { ", \"The token economy\"" } else { "" },
        path.display()
    );
    std::fs::write(path, format!("{header}{text}")).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(format!(
        "wrote {}; run it with `tokensim run {}`",
        path.display(),
        path.display()
    ))
}
