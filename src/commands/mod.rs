//! The command-line commands, as library functions: `src/main.rs` only
//! parses arguments and calls these.

mod fluid;
mod run;
mod validate;

pub use fluid::fluid;
pub use run::{run, RunArgs};
pub use validate::validate;
