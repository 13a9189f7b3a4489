//! Revenue functions f of the normalized population x = N/θ (model.md A.2).

use crate::config::{RevenueConfig, RevenueKind};

/// A compiled, non-decreasing concave revenue function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RevenueFn {
    /// price · min(x, capacity).
    Newsvendor {
        /// a.
        price: f64,
        /// D.
        capacity: f64,
    },
    /// price · x.
    Linear {
        /// a.
        price: f64,
    },
    /// price · √x.
    Sqrt {
        /// a.
        price: f64,
    },
    /// price · ln(1 + x).
    Log {
        /// a.
        price: f64,
    },
    /// price · x^β.
    Power {
        /// a.
        price: f64,
        /// β.
        exponent: f64,
    },
}

impl RevenueFn {
    /// Compiles a validated revenue configuration.
    pub fn new(config: &RevenueConfig) -> Self {
        let price = config.price;
        match config.kind {
            RevenueKind::Newsvendor => RevenueFn::Newsvendor {
                price,
                capacity: config.capacity.expect("validated"),
            },
            RevenueKind::Linear => RevenueFn::Linear { price },
            RevenueKind::Sqrt => RevenueFn::Sqrt { price },
            RevenueKind::Log => RevenueFn::Log { price },
            RevenueKind::Power => RevenueFn::Power {
                price,
                exponent: config.exponent.expect("validated"),
            },
        }
    }

    /// f(x).
    pub fn value(&self, x: f64) -> f64 {
        match *self {
            RevenueFn::Newsvendor { price, capacity } => price * x.min(capacity),
            RevenueFn::Linear { price } => price * x,
            RevenueFn::Sqrt { price } => price * x.sqrt(),
            RevenueFn::Log { price } => price * x.ln_1p(),
            RevenueFn::Power { price, exponent } => price * x.powf(exponent),
        }
    }

    /// f'(x); for the newsvendor kink the left derivative at x = D.
    pub fn derivative(&self, x: f64) -> f64 {
        match *self {
            RevenueFn::Newsvendor { price, capacity } => {
                if x <= capacity {
                    price
                } else {
                    0.0
                }
            }
            RevenueFn::Linear { price } => price,
            RevenueFn::Sqrt { price } => price * 0.5 / x.sqrt(),
            RevenueFn::Log { price } => price / (1.0 + x),
            RevenueFn::Power { price, exponent } => price * exponent * x.powf(exponent - 1.0),
        }
    }

    /// Revenue of the whole market of size θ with N agents: θ · f(N/θ).
    pub fn market_revenue(&self, agents: f64, scale: f64) -> f64 {
        scale * self.value(agents / scale)
    }
}
