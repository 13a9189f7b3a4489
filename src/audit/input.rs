//! Reading what the audit needs from a run group of an output file.

use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;

use crate::error::Result;

/// The recorded data of one run, as the audit reads it back.
#[derive(Debug, Clone)]
pub struct RunData {
    /// The run's name under `/runs`.
    pub id: String,
    /// Type names, in order.
    pub type_names: Vec<String>,
    /// The reward set R.
    pub rewards: Vec<f64>,
    /// Periods left out (warm-up).
    pub warmup: usize,
    /// Periods recorded.
    pub periods: usize,
    /// [T][K][M] agents of type k paid R[j] in period t.
    pub reward_counts: Vec<u64>,
    /// [T][K] agents of type k present in period t.
    pub active: Vec<u64>,
    /// [T][M] the announced distribution (NaN rows: per-agent rewards).
    pub policy_dist: Vec<f64>,
    /// `[T][K][M][M]` veterans by (reward now, reward before), for runs with
    /// two-period memory (`series/pair_counts`); empty otherwise.
    pub pair_counts: Vec<u64>,
    /// Lifetime reward of departed agents per type, and the factor from
    /// recorded integers to tokens.
    pub lifetime_reward: Vec<(Histogram<u64>, f64)>,
    /// Tenure of departed agents per type (periods).
    pub tenure: Vec<(Histogram<u64>, f64)>,
    /// Token economy: tokens credited per agent-period, per type (empty
    /// for runs without an economy).
    pub credited: Vec<(Histogram<u64>, f64)>,
    /// Token economy: the per-type series the token-fairness audit needs
    /// (absent for paper runs and for files written before they existed).
    pub tokens: Option<TokenTypeSeries>,
    /// The sweep point of the run, for sweep files.
    pub point: Option<u64>,
    /// The ε the run was made with (`fairness.epsilon`), when stored.
    pub epsilon: Option<f64>,
    /// A sweep run's swept keys and values (TOML syntax).
    pub grid: Vec<(String, String)>,
}

/// Per-type series of a token-economy run, [T][K] unless noted.
#[derive(Debug, Clone)]
pub struct TokenTypeSeries {
    /// ι_t in force, [T].
    pub issuance_rate: Vec<f64>,
    /// Tasks completed.
    pub tasks: Vec<u64>,
    /// Tokens credited for tasks.
    pub task_tokens: Vec<u64>,
    /// Tokens credited as policy rewards.
    pub bonus_tokens: Vec<u64>,
    /// Tokens redeemed, both channels.
    pub redeemed: Vec<u64>,
    /// Yuan bought: real goods at cash cost, virtual at their value.
    pub value: Vec<f64>,
    /// Tokens the purchases would have cost at reference prices.
    pub at_reference: Vec<f64>,
}

pub use crate::output::printable;
use crate::output::reader::malformed;
use crate::output::schema::{var, HISTOGRAMS};
use crate::output::RunReader;

/// Reads run `id` of an open output file (`path` is for messages),
/// validating every dataset the audit uses: types, shapes, counts that add
/// up, a non-empty reward set and type list, data after warm-up. Anything
/// else is bad input (exit 2) naming the dataset.
pub fn read_run(file: &hdf5::File, path: &str, id: &str) -> Result<RunData> {
    let full = format!("/runs/{id}");
    let reader = RunReader::new(file, path, id)?;
    let run = reader.group().clone();
    let type_names = reader.types().to_vec();
    let rewards = reader.rewards().to_vec();
    let (k, m, periods) = (type_names.len(), rewards.len(), reader.periods());
    let active = reader.u64s(&var::ACTIVE)?;
    let reward_counts = reader.u64s(&var::REWARD_COUNTS)?;
    let policy_dist = reader.f64s(&var::POLICY_DIST)?;
    let pair_counts = if reader.has(&var::PAIR_COUNTS) {
        reader.u64s(&var::PAIR_COUNTS)?
    } else {
        Vec::new()
    };
    // Every agent present is paid exactly one reward.
    for (i, &n) in active.iter().enumerate() {
        let paid: u64 = reward_counts[i * m..(i + 1) * m].iter().sum();
        if paid != n {
            return Err(malformed(
                path,
                &reader.at(&var::REWARD_COUNTS),
                format!(
                    "period {} type {:?}: counts add up to {paid}, but series/active says {n}",
                    i / k,
                    type_names[i % k]
                ),
            ));
        }
    }
    if let Some(bad_row) = policy_dist.chunks(m).position(|row| {
        row.iter()
            .any(|p| !p.is_nan() && !(0.0..=1.0 + 1e-9).contains(p))
    }) {
        return Err(malformed(
            path,
            &reader.at(&var::POLICY_DIST),
            format!("period {bad_row}: probabilities outside [0, 1]"),
        ));
    }
    let warmup = run
        .attr("warmup")
        .and_then(|a| a.read_scalar::<u64>())
        .map_err(|_| malformed(path, &full, "attribute warmup missing or not an integer"))?
        as usize;
    if warmup >= periods {
        return Err(malformed(
            path,
            &reader.at(&var::ACTIVE),
            format!("no data after warm-up: {periods} period(s) recorded, warm-up {warmup}"),
        ));
    }
    let histogram = |name: &str, what: &str| -> Result<(Histogram<u64>, f64)> {
        let at = format!("{full}/types/{name}/{what}");
        let g = run
            .group(&format!("types/{name}/{what}"))
            .map_err(|_| malformed(path, &at, "missing"))?;
        let bytes: Vec<u8> = g
            .dataset("hdrhistogram_v2")
            .and_then(|d| d.read_raw())
            .map_err(|_| {
                malformed(
                    path,
                    &format!("{at}/hdrhistogram_v2"),
                    "missing or not bytes",
                )
            })?;
        let h = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| {
                malformed(
                    path,
                    &format!("{at}/hdrhistogram_v2"),
                    format!("not an HdrHistogram V2 encoding ({e:?})"),
                )
            })?;
        let scale = g
            .attr("value_scale")
            .and_then(|a| a.read_scalar::<f64>())
            .unwrap_or(1.0);
        Ok((h, scale))
    };
    let [lifetime, tenure_h, credited_h, _] = HISTOGRAMS.map(|h| h.name);
    let lifetime_reward = type_names
        .iter()
        .map(|n| histogram(n, lifetime))
        .collect::<Result<_>>()?;
    let tenure = type_names
        .iter()
        .map(|n| histogram(n, tenure_h))
        .collect::<Result<_>>()?;
    let has_tokens = run
        .group(&format!("types/{}/{credited_h}", type_names[0]))
        .is_ok();
    let credited = if has_tokens {
        type_names
            .iter()
            .map(|n| histogram(n, credited_h))
            .collect::<Result<_>>()?
    } else {
        Vec::new()
    };
    let tokens = if reader.has(&var::TASKS_BY_TYPE) {
        let add_u = |a: Vec<u64>, b: Vec<u64>| a.iter().zip(&b).map(|(x, y)| x + y).collect();
        let add_f = |a: Vec<f64>, b: Vec<f64>| a.iter().zip(&b).map(|(x, y)| x + y).collect();
        Some(TokenTypeSeries {
            issuance_rate: reader.f64s(&var::ISSUANCE_RATE)?,
            tasks: reader.u64s(&var::TASKS_BY_TYPE)?,
            task_tokens: reader.u64s(&var::TASK_TOKENS_BY_TYPE)?,
            bonus_tokens: reader.u64s(&var::BONUS_TOKENS_BY_TYPE)?,
            redeemed: add_u(
                reader.u64s(&var::REDEEMED_REAL_BY_TYPE)?,
                reader.u64s(&var::REDEEMED_VIRTUAL_BY_TYPE)?,
            ),
            value: add_f(
                reader.f64s(&var::REAL_VALUE_BY_TYPE)?,
                reader.f64s(&var::VIRTUAL_VALUE_BY_TYPE)?,
            ),
            at_reference: reader.f64s(&var::REDEEMED_AT_REFERENCE_BY_TYPE)?,
        })
    } else {
        None
    };
    let point = run.attr("point").and_then(|a| a.read_scalar::<u64>()).ok();
    // The ε the run was made with (interfaces.md 4.2).
    let epsilon = run
        .group("fairness")
        .and_then(|g| g.attr("epsilon"))
        .and_then(|a| a.read_scalar::<f64>())
        .ok()
        .filter(|e| (0.0..=1.0).contains(e));
    let grid = reader
        .attr_strings("grid_keys")
        .into_iter()
        .zip(reader.attr_strings("grid_values"))
        .collect();
    Ok(RunData {
        id: id.to_string(),
        tokens,
        point,
        epsilon,
        grid,
        type_names,
        rewards,
        warmup,
        periods,
        reward_counts,
        pair_counts,
        active,
        policy_dist,
        lifetime_reward,
        tenure,
        credited,
    })
}

/// Opens an output file and lists its runs in numeric order.
pub fn open(path: &std::path::Path) -> Result<(hdf5::File, Vec<String>)> {
    let out = crate::output::OutputFile::open(path)?;
    let ids = out.ids().to_vec();
    Ok((out.file().clone(), ids))
}
