//! Reading what the audit needs from a run group of an output file.

use hdf5::types::VarLenUnicode;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;

use crate::error::{Error, Result};

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
    /// Lifetime reward of departed agents per type, and the factor from
    /// recorded integers to tokens.
    pub lifetime_reward: Vec<(Histogram<u64>, f64)>,
    /// Tenure of departed agents per type (periods).
    pub tenure: Vec<(Histogram<u64>, f64)>,
    /// Token economy: tokens credited per agent-period, per type (empty
    /// for runs without an economy).
    pub credited: Vec<(Histogram<u64>, f64)>,
}

fn bad(path: &str, what: &str) -> Error {
    Error::Input(format!("{path}: not a tokensim run output ({what})"))
}

/// Reads run `id` of an open output file (`path` is for messages).
pub fn read_run(file: &hdf5::File, path: &str, id: &str) -> Result<RunData> {
    let run = file
        .group(&format!("runs/{id}"))
        .map_err(|_| Error::Input(format!("{path}: no run /runs/{id}")))?;
    let ds = |name: &str| {
        run.dataset(name)
            .map_err(|_| bad(path, &format!("/runs/{id}/{name} missing")))
    };
    let names: Vec<VarLenUnicode> = ds("meta/type_names")?
        .read_raw()
        .map_err(|_| bad(path, "type_names"))?;
    let type_names: Vec<String> = names.iter().map(|s| s.as_str().to_string()).collect();
    let rewards: Vec<f64> = ds("meta/reward_values")?
        .read_raw()
        .map_err(|_| bad(path, "reward_values"))?;
    let active_ds = ds("series/active")?;
    let periods = active_ds.shape().first().copied().unwrap_or(0);
    let active: Vec<u64> = active_ds
        .read_raw()
        .map_err(|_| bad(path, "series/active"))?;
    let reward_counts: Vec<u64> = ds("series/reward_counts")?
        .read_raw()
        .map_err(|_| bad(path, "series/reward_counts"))?;
    let policy_dist: Vec<f64> = ds("series/policy_dist")?
        .read_raw()
        .map_err(|_| bad(path, "series/policy_dist"))?;
    let (k, m) = (type_names.len(), rewards.len());
    if active.len() != periods * k
        || reward_counts.len() != periods * k * m
        || policy_dist.len() != periods * m
    {
        return Err(bad(path, "series shapes disagree with meta"));
    }
    let warmup = run
        .attr("warmup")
        .and_then(|a| a.read_scalar::<u64>())
        .map_err(|_| bad(path, "warmup attribute"))? as usize;
    let histogram = |name: &str, what: &str| -> Result<(Histogram<u64>, f64)> {
        let g = run
            .group(&format!("types/{name}/{what}"))
            .map_err(|_| bad(path, &format!("types/{name}/{what} missing")))?;
        let bytes: Vec<u8> = g
            .dataset("hdrhistogram_v2")
            .and_then(|d| d.read_raw())
            .map_err(|_| bad(path, "histogram bytes"))?;
        let h = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|_| bad(path, "histogram bytes"))?;
        let scale = g
            .attr("value_scale")
            .and_then(|a| a.read_scalar::<f64>())
            .unwrap_or(1.0);
        Ok((h, scale))
    };
    let lifetime_reward = type_names
        .iter()
        .map(|n| histogram(n, "lifetime_reward"))
        .collect::<Result<_>>()?;
    let tenure = type_names
        .iter()
        .map(|n| histogram(n, "tenure"))
        .collect::<Result<_>>()?;
    let has_tokens = run
        .group(&format!("types/{}/credited_per_period", type_names[0]))
        .is_ok();
    let credited = if has_tokens {
        type_names
            .iter()
            .map(|n| histogram(n, "credited_per_period"))
            .collect::<Result<_>>()?
    } else {
        Vec::new()
    };
    Ok(RunData {
        id: id.to_string(),
        type_names,
        rewards,
        warmup: warmup.min(periods),
        periods,
        reward_counts,
        active,
        policy_dist,
        lifetime_reward,
        tenure,
        credited,
    })
}

/// Opens an output file and lists its runs in numeric order.
pub fn open(path: &std::path::Path) -> Result<(hdf5::File, Vec<String>)> {
    let shown = path.display().to_string();
    let file = hdf5::File::open(path)
        .map_err(|e| Error::Input(format!("{shown}: cannot open as HDF5 ({e})")))?;
    if file.attr("tokensim_version").is_err() {
        return Err(bad(&shown, "no tokensim_version attribute"));
    }
    let runs = file
        .group("runs")
        .map_err(|_| bad(&shown, "no /runs group"))?;
    let mut ids: Vec<String> = runs
        .member_names()
        .map_err(|_| bad(&shown, "unreadable /runs"))?;
    ids.sort_by_key(|s| s.parse::<u64>().unwrap_or(u64::MAX));
    Ok((file, ids))
}
