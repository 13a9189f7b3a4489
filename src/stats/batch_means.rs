//! Batch means: the standard error of a time average of a correlated series.
//!
//! The series is cut into b contiguous batches of equal length; when batches
//! are much longer than the correlation time their means are nearly
//! independent, and sd(batch means)/√b estimates the standard error of the
//! overall mean.

/// Batches used unless the series is too short.
pub const DEFAULT_BATCHES: usize = 20;

/// A mean with its standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The sample mean.
    pub mean: f64,
    /// Its standard error (NaN with fewer than two batches).
    pub std_error: f64,
    /// Number of batches used.
    pub batches: usize,
}

/// Mean of `series` with a batch-means standard error over up to `batches`
/// batches (fewer when the series is short: at least 2 values per batch).
/// Values beyond a whole number of batches are used in the mean only.
pub fn batch_means(series: &[f64], batches: usize) -> Estimate {
    let n = series.len();
    let mean = if n == 0 {
        f64::NAN
    } else {
        series.iter().sum::<f64>() / n as f64
    };
    let b = batches.min(n / 2);
    if b < 2 {
        return Estimate {
            mean,
            std_error: f64::NAN,
            batches: b,
        };
    }
    let size = n / b;
    let means: Vec<f64> = series
        .chunks_exact(size)
        .take(b)
        .map(|c| c.iter().sum::<f64>() / size as f64)
        .collect();
    let grand = means.iter().sum::<f64>() / b as f64;
    let var = means.iter().map(|m| (m - grand).powi(2)).sum::<f64>() / (b - 1) as f64;
    Estimate {
        mean,
        std_error: (var / b as f64).sqrt(),
        batches: b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn independent_batches_give_classic_standard_error() {
        // Alternating 0/2 in batches of 2: every batch mean is 1.
        let xs: Vec<f64> = (0..40)
            .map(|i| if i % 2 == 0 { 0.0 } else { 2.0 })
            .collect();
        let e = batch_means(&xs, 20);
        assert_eq!(e.mean, 1.0);
        assert_eq!(e.std_error, 0.0);
        assert_eq!(e.batches, 20);
    }

    #[test]
    fn short_series_has_no_error_bar() {
        assert!(batch_means(&[1.0, 2.0, 3.0], 20).std_error.is_nan());
    }
}
