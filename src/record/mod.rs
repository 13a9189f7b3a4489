//! Recording: *observation* of a run, kept out of the model and the engine's
//! decisions. The engine hands over one [`PeriodTally`](crate::engine::PeriodTally)
//! per period; [`Series`] buffers them and [`RunRecord`] adds summaries.

mod leavers;
mod run_record;
mod series;

pub use leavers::{LeaverHistograms, LeaverState, LIFETIME_UNITS_PER_TOKEN};
pub use run_record::{RunInfo, RunRecord, Summary};
pub use series::{Series, TokenSeries};
