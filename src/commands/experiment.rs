//! `tokensim experiment NAME [--quick]`: the paper's experiments as tables.

use std::time::Instant;

use crate::error::{Error, Result};
use crate::experiments::{
    convergence, dispersion, dispersion_table, explicit_discrimination, implicit_discrimination,
    s_shape, s_shape_table, small_markets, small_markets_table, Size, EXPERIMENTS,
};

/// Runs one named experiment and returns its table(s).
pub fn experiment(name: &str, quick: bool) -> Result<String> {
    let size = if quick { Size::Quick } else { Size::Full };
    let start = Instant::now();
    let text = match name {
        "convergence" => {
            let smooth = convergence("convergence-smooth.toml", size)?;
            let kink = convergence("convergence-kink.toml", size)?;
            format!("{}\n{}", smooth.table(), kink.table())
        }
        "implicit-discrimination" => implicit_discrimination(size)?.table().to_string(),
        "explicit-discrimination" => explicit_discrimination(size)?.table().to_string(),
        "dispersion" => dispersion_table(&dispersion(10)?).to_string(),
        "s-shape" => {
            let (rows, threshold) = s_shape(16)?;
            s_shape_table(&rows, threshold).to_string()
        }
        "small-markets" => small_markets_table(&small_markets(size)?).to_string(),
        other => {
            return Err(Error::Input(format!(
                "unknown experiment {other:?}: expected one of {}",
                EXPERIMENTS.join(", ")
            )))
        }
    };
    Ok(format!(
        "{}(took {:.1} s)",
        text,
        start.elapsed().as_secs_f64()
    ))
}
