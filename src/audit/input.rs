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

fn bad(path: &str, what: &str) -> Error {
    Error::Input(format!("{path}: not a tokensim run output ({what})"))
}

/// A malformed dataset: bad input, naming the file and the dataset.
fn malformed(path: &str, dataset: &str, problem: impl std::fmt::Display) -> Error {
    Error::Input(format!("{path}: {dataset}: {problem}"))
}

/// What a stored dataset is: its element type and shape, for messages.
fn describe(ds: &hdf5::Dataset) -> String {
    let kind = ds
        .dtype()
        .and_then(|t| t.to_descriptor())
        .map_or_else(|_| "unknown type".to_string(), |d| format!("{d:?}"));
    format!("{kind} of shape {:?}", ds.shape())
}

/// Reads a dataset with exactly `shape` whose element type passes `kind`
/// (described as `expected` in the message).
fn read_typed<T: hdf5::H5Type>(
    group: &hdf5::Group,
    (path, full, name): (&str, &str, &str),
    shape: &[usize],
    kind: fn(&hdf5::types::TypeDescriptor) -> bool,
    expected: &str,
) -> Result<Vec<T>> {
    let at = format!("{full}/{name}");
    let ds = group
        .dataset(name)
        .map_err(|_| malformed(path, &at, "missing"))?;
    let fits = ds
        .dtype()
        .and_then(|t| t.to_descriptor())
        .is_ok_and(|d| kind(&d));
    if !fits || ds.shape() != shape {
        return Err(malformed(
            path,
            &at,
            format!(
                "expected {expected} of shape {shape:?}, found {}",
                describe(&ds)
            ),
        ));
    }
    ds.read_raw()
        .map_err(|e| malformed(path, &at, format!("unreadable ({e})")))
}

/// Reads a dataset of unsigned integer counts with exactly `shape`.
pub(crate) fn read_counts(
    group: &hdf5::Group,
    path: &str,
    full: &str,
    name: &str,
    shape: &[usize],
) -> Result<Vec<u64>> {
    use hdf5::types::TypeDescriptor as T;
    let kind: fn(&T) -> bool = |d| matches!(d, T::Unsigned(_));
    read_typed(
        group,
        (path, full, name),
        shape,
        kind,
        "unsigned integer counts",
    )
}

/// Reads a floating-point dataset with exactly `shape`.
pub(crate) fn read_floats(
    group: &hdf5::Group,
    path: &str,
    full: &str,
    name: &str,
    shape: &[usize],
) -> Result<Vec<f64>> {
    use hdf5::types::TypeDescriptor as T;
    let kind: fn(&T) -> bool = |d| matches!(d, T::Float(_));
    read_typed(
        group,
        (path, full, name),
        shape,
        kind,
        "floating-point values",
    )
}

/// Reads a 1-D string dataset.
pub(crate) fn read_strings(
    group: &hdf5::Group,
    path: &str,
    full: &str,
    name: &str,
) -> Result<Vec<String>> {
    let at = format!("{full}/{name}");
    let ds = group
        .dataset(name)
        .map_err(|_| malformed(path, &at, "missing"))?;
    if ds.ndim() != 1 {
        return Err(malformed(
            path,
            &at,
            format!("expected a list of strings, found {}", describe(&ds)),
        ));
    }
    let v: Vec<VarLenUnicode> = ds.read_raw().map_err(|_| {
        malformed(
            path,
            &at,
            format!("expected UTF-8 strings, found {}", describe(&ds)),
        )
    })?;
    Ok(v.iter().map(|s| s.as_str().to_string()).collect())
}

/// A name safe to print: control characters (terminal escape sequences
/// among them) shown escaped, as `\u{1b}`, instead of acting on the terminal.
pub fn printable(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Reads run `id` of an open output file (`path` is for messages),
/// validating every dataset the audit uses: types, shapes, counts that add
/// up, a non-empty reward set and type list, data after warm-up. Anything
/// else is bad input (exit 2) naming the dataset.
pub fn read_run(file: &hdf5::File, path: &str, id: &str) -> Result<RunData> {
    let full = format!("/runs/{id}");
    let run = file
        .group(&format!("runs/{id}"))
        .map_err(|_| Error::Input(format!("{path}: no run {full}")))?;
    let meta = run
        .group("meta")
        .map_err(|_| malformed(path, &format!("{full}/meta"), "missing"))?;
    let meta_at = format!("{full}/meta");
    let type_names = read_strings(&meta, path, &meta_at, "type_names")?;
    if type_names.is_empty() {
        return Err(malformed(
            path,
            &format!("{meta_at}/type_names"),
            "no types",
        ));
    }
    let rewards_ds = meta
        .dataset("reward_values")
        .map_err(|_| malformed(path, &format!("{meta_at}/reward_values"), "missing"))?;
    let m = rewards_ds.shape().first().copied().unwrap_or(0);
    let rewards = read_floats(&meta, path, &meta_at, "reward_values", &[m])?;
    if rewards.is_empty() || rewards.iter().any(|r| !r.is_finite()) {
        return Err(malformed(
            path,
            &format!("{meta_at}/reward_values"),
            "expected a non-empty list of finite rewards",
        ));
    }
    let series = run
        .group("series")
        .map_err(|_| malformed(path, &format!("{full}/series"), "missing"))?;
    let series_at = format!("{full}/series");
    let k = type_names.len();
    let periods = series
        .dataset("active")
        .map(|d| d.shape().first().copied().unwrap_or(0))
        .map_err(|_| malformed(path, &format!("{series_at}/active"), "missing"))?;
    let active = read_counts(&series, path, &series_at, "active", &[periods, k])?;
    let reward_counts = read_counts(&series, path, &series_at, "reward_counts", &[periods, k, m])?;
    let policy_dist = read_floats(&series, path, &series_at, "policy_dist", &[periods, m])?;
    let pair_counts = if series.link_exists("pair_counts") {
        read_counts(
            &series,
            path,
            &series_at,
            "pair_counts",
            &[periods, k, m, m],
        )?
    } else {
        Vec::new()
    };
    // Every agent present is paid exactly one reward.
    for (i, &n) in active.iter().enumerate() {
        let paid: u64 = reward_counts[i * m..(i + 1) * m].iter().sum();
        if paid != n {
            return Err(malformed(
                path,
                &format!("{series_at}/reward_counts"),
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
            &format!("{series_at}/policy_dist"),
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
            &format!("{series_at}/active"),
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
    let tokens = if series.link_exists("tasks_by_type") {
        let counts = |name: &str| read_counts(&series, path, &series_at, name, &[periods, k]);
        let floats = |name: &str| read_floats(&series, path, &series_at, name, &[periods, k]);
        let levers_at = format!("{series_at}/levers");
        let levers = series
            .group("levers")
            .map_err(|_| malformed(path, &levers_at, "missing"))?;
        let add_u = |a: Vec<u64>, b: Vec<u64>| a.iter().zip(&b).map(|(x, y)| x + y).collect();
        let add_f = |a: Vec<f64>, b: Vec<f64>| a.iter().zip(&b).map(|(x, y)| x + y).collect();
        Some(TokenTypeSeries {
            issuance_rate: read_floats(&levers, path, &levers_at, "issuance_rate", &[periods])?,
            tasks: counts("tasks_by_type")?,
            task_tokens: counts("task_tokens_by_type")?,
            bonus_tokens: counts("bonus_tokens_by_type")?,
            redeemed: add_u(
                counts("redeemed_real_by_type")?,
                counts("redeemed_virtual_by_type")?,
            ),
            value: add_f(
                floats("real_value_by_type")?,
                floats("virtual_value_by_type")?,
            ),
            at_reference: floats("redeemed_at_reference_by_type")?,
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
    let strings = |name: &str| -> Vec<String> {
        run.attr(name)
            .and_then(|a| a.read_raw::<hdf5::types::VarLenUnicode>())
            .map(|v| v.iter().map(|s| s.as_str().to_string()).collect())
            .unwrap_or_default()
    };
    let grid = strings("grid_keys")
        .into_iter()
        .zip(strings("grid_values"))
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
    if let Ok(summary) = file.group("summary") {
        // A sweep's table: one row per run in every column.
        let columns = summary
            .member_names()
            .map_err(|_| bad(&shown, "unreadable /summary"))?;
        for name in columns {
            let rows = summary
                .dataset(&name)
                .map(|d| d.shape())
                .map_err(|_| malformed(&shown, &format!("/summary/{name}"), "not a dataset"))?;
            if rows != [ids.len()] {
                return Err(malformed(
                    &shown,
                    &format!("/summary/{name}"),
                    format!(
                        "expected one row per run ({}), found shape {rows:?}",
                        ids.len()
                    ),
                ));
            }
        }
    }
    Ok((file, ids))
}
