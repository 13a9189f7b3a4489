//! Errors and the exit statuses they map to.
//!
//! Errors are split by layer:
//! - bad input — a configuration ([`Error::Config`]), a flag, an output path,
//!   a size beyond the machine, a foreign or malformed input file
//!   ([`Error::Input`]) — exits with status 2, before anything is written;
//! - faults of the machine while working — reading or writing files
//!   ([`Error::Io`]), the HDF5 library ([`Error::Hdf5`]) — and work done with
//!   failures ([`Error::Failed`]) exit with status 1;
//! - faults of tokensim itself ([`Error::Internal`]) exit with status 1 and
//!   say so.

use std::fmt;
use std::path::PathBuf;

/// Where a configuration value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A TOML file, with 1-based line and column when known.
    File {
        /// The file as the user named it.
        path: PathBuf,
        /// 1-based line and column of the offending key or value.
        line_col: Option<(usize, usize)>,
    },
    /// A `--set KEY=VALUE` override on the command line.
    CommandLine(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File {
                path,
                line_col: Some((line, col)),
            } => write!(f, "{}:{line}:{col}", path.display()),
            Origin::File {
                path,
                line_col: None,
            } => write!(f, "{}", path.display()),
            Origin::CommandLine(arg) => write!(f, "--set {arg}"),
        }
    }
}

/// One problem found in a configuration: where, which key, what was expected.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigIssue {
    /// Where the key was written.
    pub origin: Origin,
    /// Dotted path of the key (`types.1.departure.p`), empty for the whole file.
    pub key: String,
    /// What was expected, in words.
    pub expected: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.origin, self.expected)
        } else {
            write!(f, "{}: key `{}`: {}", self.origin, self.key, self.expected)
        }
    }
}

/// The crate's error type.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is invalid; every problem found is listed.
    #[error("{}", format_issues(.0))]
    Config(Vec<ConfigIssue>),
    /// Some other input is unusable (a flag, an input file that is not ours).
    #[error("{0}")]
    Input(String),
    /// The work was done but some of it failed (e.g. runs of a sweep).
    #[error("{0}")]
    Failed(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The caller asked the work to stop (Python's Ctrl-C, through a
    /// [`crate::runner::RunControl`]); nothing was written.
    #[error("interrupted: {0}")]
    Interrupted(String),
    /// A fault of tokensim itself (a bug): never the user's input.
    #[error("internal error (please report it): {0}")]
    Internal(String),
    /// The HDF5 library reported an error.
    #[error("HDF5 error while {context}: {source}")]
    Hdf5 {
        /// What tokensim was doing.
        context: String,
        /// The library's error.
        source: hdf5::Error,
    },
}

fn format_issues(issues: &[ConfigIssue]) -> String {
    let lines: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
    lines.join("\n")
}

impl Error {
    /// The process exit status for this error: 2 for bad input, 130 for an
    /// interruption (as a shell reports SIGINT), 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::Input(_) => 2,
            Error::Interrupted(_) => 130,
            Error::Failed(_) | Error::Io { .. } | Error::Hdf5 { .. } | Error::Internal(_) => 1,
        }
    }

    /// Wraps an HDF5 error with what was being done.
    pub fn hdf5(context: impl Into<String>) -> impl FnOnce(hdf5::Error) -> Error {
        let context = context.into();
        move |source| Error::Hdf5 { context, source }
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
