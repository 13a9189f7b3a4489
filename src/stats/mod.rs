//! Estimators with standard errors.

mod batch_means;

pub use batch_means::{batch_means, Estimate, DEFAULT_BATCHES};
