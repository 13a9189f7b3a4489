//! The exact stationary population of one type under a static policy.
//!
//! Arrivals are Poisson and each agent's stay is an independent thinning, so
//! in steady state the number of agents of each (age, recent-reward history)
//! cell is an independent Poisson variable with mean θλ · mass(age, history),
//! where mass is the probability that an arrival is still present at that
//! age with that history. The mass follows a forward recursion over ages on
//! the finite set of histories (M^memory states), which is exact for every
//! departure kind, memory and grace period included.

use super::departure::DepartureFn;

/// States above which the recursion is not attempted (burn-in is used).
pub const MAX_HISTORY_STATES: usize = 1 << 16;
/// Ages beyond which a type is declared to (practically) never leave.
pub const MAX_AGE: u32 = 200_000;
/// Surviving mass below which the age recursion stops.
const TAIL_MASS: f64 = 1e-13;

/// Survivor masses of one type under a static reward distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct StationaryCohort {
    /// (age a ≥ 1 = periods paid so far, packed reward history, mass of
    /// agents who have been paid a times and stayed): the population at the
    /// start of a period, before that period's arrivals.
    pub survivors: Vec<(u32, u64, f64)>,
    /// Expected agents present (paid) in a period per unit arrival rate:
    /// 1 (the newcomers) + Σ survivors. Equals 1/p(φ) when memoryless.
    pub present_per_arrival: f64,
}

/// Why the stationary population could not be computed exactly.
#[derive(Debug, Clone, PartialEq)]
pub enum StationaryError {
    /// The history state space is too large for the exact recursion.
    TooManyStates(usize),
    /// Agents of this type (practically) never leave: the population is infinite.
    NeverLeaves,
}

/// Runs the age recursion for `departure` under the static distribution `phi`.
pub fn stationary_cohort(
    departure: &DepartureFn,
    phi: &[f64],
) -> Result<StationaryCohort, StationaryError> {
    let m = phi.len();
    if departure.is_memoryless() {
        let p = departure.under_distribution(phi);
        if p <= 0.0 {
            return Err(StationaryError::NeverLeaves);
        }
    }
    let memory = departure.memory_len();
    let states = (m as u128).saturating_pow(memory as u32);
    if states > MAX_HISTORY_STATES as u128 {
        return Err(StationaryError::TooManyStates(
            states.min(usize::MAX as u128) as usize,
        ));
    }
    let full = states as usize;
    // mass[h]: present at age a with history digits h (base M, digit 0 = now).
    let mut mass = vec![0.0; full];
    let mut next = vec![0.0; full];
    mass[..m].copy_from_slice(phi);
    let mut digits = 1usize; // history length min(a, memory)
    let mut survivors = Vec::new();
    let mut present = 0.0;
    for age in 1..=MAX_AGE {
        let width = m.pow(digits as u32);
        let keep = m.pow((digits.min(memory - 1)) as u32);
        next[..full].iter_mut().for_each(|x| *x = 0.0);
        let mut surviving = 0.0;
        for (h, &here) in mass[..width].iter().enumerate() {
            if here == 0.0 {
                continue;
            }
            present += here;
            let history = pack(departure, h, digits, m);
            let stay = here * (1.0 - departure.probability(history, age));
            if stay <= 0.0 {
                continue;
            }
            surviving += stay;
            survivors.push((age, history, stay));
            // Next period: a new reward j becomes digit 0; the oldest digit
            // drops out once the memory is full.
            let shifted = (h % keep) * m;
            for (j, &q) in phi.iter().enumerate() {
                if q > 0.0 {
                    next[shifted + j] += stay * q;
                }
            }
        }
        if surviving < TAIL_MASS {
            return Ok(StationaryCohort {
                survivors,
                present_per_arrival: present,
            });
        }
        std::mem::swap(&mut mass, &mut next);
        digits = (digits + 1).min(memory);
    }
    Err(StationaryError::NeverLeaves)
}

/// Packs base-M digits (digit 0 = most recent) into the engine's history.
fn pack(departure: &DepartureFn, mut h: usize, digits: usize, m: usize) -> u64 {
    let layout = departure.layout();
    let mut packed = 0u64;
    for j in 0..digits {
        packed |= ((h % m) as u64) << (layout.bits() as usize * j);
        h /= m;
    }
    packed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DepartureConfig;

    #[test]
    fn memoryless_matches_one_over_p() {
        let f = DepartureFn::from_table(&[0.0, 1.0], &[0.5, 0.2]);
        let phi = [0.25, 0.75];
        let c = stationary_cohort(&f, &phi).unwrap();
        let p = 0.25 * 0.5 + 0.75 * 0.2;
        assert!((c.present_per_arrival - 1.0 / p).abs() < 1e-9);
    }

    #[test]
    fn grace_adds_periods() {
        let config: DepartureConfig =
            toml::from_str("kind = 'table'\np = [0.5, 0.5]\ngrace_periods = 3").unwrap();
        let f = DepartureFn::new(&config, &[0.0, 1.0]);
        let c = stationary_cohort(&f, &[0.5, 0.5]).unwrap();
        assert!((c.present_per_arrival - (3.0 + 2.0)).abs() < 1e-9);
    }

    #[test]
    fn never_leaving_is_reported() {
        let f = DepartureFn::from_table(&[0.0, 1.0], &[0.5, 0.0]);
        assert_eq!(
            stationary_cohort(&f, &[0.0, 1.0]),
            Err(StationaryError::NeverLeaves)
        );
    }
}
