//! Sweep files (interfaces.md §2): a base configuration, the keys to vary
//! and how many replications, expanded into a list of runs.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::Config;
use crate::engine::splitmix64;
use crate::error::{ConfigIssue, Error, Origin, Result};
use crate::output::RunLabel;

/// A sweep file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepFile {
    base: String,
    #[serde(default = "one")]
    replications: u32,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    grid: toml::Table,
    #[serde(default)]
    zip: toml::Table,
    #[serde(default)]
    set: toml::Table,
}

fn one() -> u32 {
    1
}

/// One point of the grid: the values of the varied keys.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPoint {
    /// (dotted key, value) in the order of the sweep file.
    pub values: Vec<(String, toml::Value)>,
    /// The base configuration with these values applied, validated.
    pub config: Config,
}

/// One run: a point and a replication, with its derived seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepRun {
    /// Index of the run in the sweep (point × replications + replication).
    pub index: usize,
    /// Index of its point.
    pub point: usize,
    /// Replication within the point.
    pub replication: u32,
    /// Seed derived from the root seed, the point's values and the
    /// replication ([`run_seed`]).
    pub seed: u64,
}

impl SweepPoint {
    /// The point's grid values as one text (`key=value` lines, keys sorted
    /// so the order of the grid's keys in the file does not matter), which
    /// keys its runs' random streams.
    pub fn key(&self) -> String {
        let mut lines: Vec<String> = self
            .values
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        lines.sort();
        lines.join("\n")
    }
}

/// A validated, expanded sweep.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    /// The sweep file.
    pub path: PathBuf,
    /// Its text (recorded in the output).
    pub text: String,
    /// The varied keys, in order.
    pub keys: Vec<String>,
    /// Every point of the grid.
    pub points: Vec<SweepPoint>,
    /// Replications per point.
    pub replications: u32,
    /// Root seed.
    pub seed: u64,
    /// Identifies the sweep: shards and resumed files must carry the same.
    pub fingerprint: String,
    /// Run index by (hash of resolved configuration, replication), built on
    /// first use by [`SweepPlan::find_run`].
    by_config: std::sync::OnceLock<std::collections::HashMap<(u64, u32), usize>>,
}

/// Changes to a sweep file from the command line (`sweep --set`, `--seed`,
/// `--replications`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SweepOverrides {
    /// `KEY=VALUE` applied to every point (as the file's `[set]`).
    pub sets: Vec<String>,
    /// The root seed instead of the file's `seed`.
    pub seed: Option<u64>,
    /// Replications per point instead of the file's.
    pub replications: Option<u32>,
}

/// The seed of replication `replication` of the sweep point whose grid
/// values are `point_key` ([`SweepPoint::key`]), in a sweep with root seed
/// `root`. Keyed by what the run is, not by its place in the run order, so
/// a run keeps its seed — and its results — when the sweep is extended
/// with more replications or grid values (`--resume` then reuses it).
pub fn run_seed(root: u64, point_key: &str, replication: u32) -> u64 {
    let point = splitmix64(fnv1a(point_key.as_bytes()));
    splitmix64(root ^ splitmix64(point ^ splitmix64(u64::from(replication) + 0x5eed)))
}

impl SweepPlan {
    /// Reads, expands and validates a sweep file: every point's
    /// configuration is checked before anything runs.
    pub fn load(path: &Path) -> Result<SweepPlan> {
        SweepPlan::load_limited(path, None)
    }

    /// As [`SweepPlan::load`], refusing (before expanding and validating
    /// the points) a sweep of more than `max_runs` runs.
    pub fn load_limited(path: &Path, max_runs: Option<u64>) -> Result<SweepPlan> {
        SweepPlan::load_with(path, max_runs, &SweepOverrides::default())
    }

    /// As [`SweepPlan::load_limited`], with command-line changes.
    pub fn load_with(
        path: &Path,
        max_runs: Option<u64>,
        overrides: &SweepOverrides,
    ) -> Result<SweepPlan> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Input(format!("{}: cannot read sweep file: {e}", path.display()))
        })?;
        let issue = |key: &str, expected: String| {
            Error::Config(vec![ConfigIssue {
                origin: Origin::File {
                    path: path.to_path_buf(),
                    line_col: locate(&text, key),
                },
                key: key.to_string(),
                expected,
            }])
        };
        let mut spec: SweepFile = toml::from_str(&text).map_err(|e| {
            Error::Config(vec![ConfigIssue {
                origin: Origin::File {
                    path: path.to_path_buf(),
                    line_col: e.span().map(|s| crate::config::line_col(&text, s.start)),
                },
                key: String::new(),
                expected: format!(
                    "a sweep file (base, replications, seed, [grid], [zip], [set]): {}",
                    e.message()
                ),
            }])
        })?;
        let base_path = resolve(path, &spec.base);
        let base_text = std::fs::read_to_string(&base_path).map_err(|e| {
            issue(
                "base",
                format!(
                    "a readable base configuration, but {}: {e}",
                    base_path.display()
                ),
            )
        })?;
        if let Some(r) = overrides.replications {
            spec.replications = r;
        }
        if let Some(seed) = overrides.seed {
            spec.seed = seed;
        }
        if spec.replications < 1 {
            return Err(issue("replications", "an integer >= 1".into()));
        }
        for raw in &overrides.sets {
            let o = crate::config::Override::parse(raw).map_err(|i| Error::Config(vec![i]))?;
            let key = o.path.join(".");
            if spec.grid.contains_key(&key) || spec.zip.contains_key(&key) {
                return Err(Error::Config(vec![ConfigIssue {
                    origin: Origin::CommandLine(raw.clone()),
                    key,
                    expected: "a key the sweep does not vary ([grid], [zip])".into(),
                }]));
            }
            spec.set.insert(key, o.value);
        }

        // A key varied twice (or varied and fixed) has no one value per run.
        for key in spec.zip.keys() {
            if spec.grid.contains_key(key) {
                return Err(issue(
                    &format!("zip.{key}"),
                    format!("a key not also in [grid], but \"{key}\" is in both"),
                ));
            }
        }
        for key in spec.set.keys() {
            if spec.grid.contains_key(key) || spec.zip.contains_key(key) {
                return Err(issue(
                    &format!("set.{key}"),
                    format!("a key not also varied in [grid] or [zip], but \"{key}\" is"),
                ));
            }
        }
        // Axes: each grid key, then the zip keys together.
        let mut keys = Vec::new();
        let mut axes: Vec<Vec<Vec<toml::Value>>> = Vec::new();
        for (key, values) in &spec.grid {
            let values = values_of(values, spec.seed, key)
                .map_err(|expected| issue(&format!("grid.{key}"), expected))?;
            keys.push(key.clone());
            axes.push(values.into_iter().map(|v| vec![v]).collect());
        }
        if !spec.zip.is_empty() {
            let mut columns = Vec::new();
            for (key, values) in &spec.zip {
                let values = values_of(values, spec.seed, key)
                    .map_err(|expected| issue(&format!("zip.{key}"), expected))?;
                keys.push(key.clone());
                columns.push((key.clone(), values));
            }
            let len = columns[0].1.len();
            if let Some((key, values)) = columns.iter().find(|(_, v)| v.len() != len) {
                return Err(issue(
                    &format!("zip.{key}"),
                    format!(
                        "{len} values, like the other [zip] lists, got {}",
                        values.len()
                    ),
                ));
            }
            axes.push(
                (0..len)
                    .map(|i| columns.iter().map(|(_, v)| v[i].clone()).collect())
                    .collect(),
            );
        }
        if let Some(max) = max_runs {
            let runs = axes
                .iter()
                .fold(u128::from(spec.replications), |n, a| n * a.len() as u128);
            if runs > u128::from(max) {
                return Err(issue(
                    "grid",
                    format!(
                        "at most {max} runs (points × replications) without --force-size, \
                         got {runs}"
                    ),
                ));
            }
        }
        let fixed: Vec<String> = spec.set.iter().map(|(k, v)| format!("{k}={v}")).collect();

        let mut points = Vec::new();
        for combination in cartesian(&axes) {
            let values: Vec<(String, toml::Value)> =
                keys.iter().cloned().zip(combination).collect();
            let mut sets = fixed.clone();
            sets.extend(values.iter().map(|(k, v)| format!("{k}={v}")));
            let config = Config::from_toml(&base_text, &base_path, &sets).map_err(|e| match e {
                Error::Config(issues) => Error::Config(
                    issues
                        .into_iter()
                        .map(|i| match &i.origin {
                            Origin::CommandLine(raw) => {
                                let key = raw.split('=').next().unwrap_or("").to_string();
                                let section = if spec.grid.contains_key(&key) {
                                    "grid"
                                } else if spec.zip.contains_key(&key) {
                                    "zip"
                                } else {
                                    "set"
                                };
                                ConfigIssue {
                                    origin: Origin::File {
                                        path: path.to_path_buf(),
                                        line_col: locate(&text, &format!("{section}.{key}")),
                                    },
                                    key: format!("{section}.\"{key}\" -> {}", i.key),
                                    expected: format!("{} (in {raw})", i.expected),
                                }
                            }
                            _ => i,
                        })
                        .collect(),
                ),
                other => other,
            })?;
            points.push(SweepPoint { values, config });
        }
        // The seed scheme is part of the identity: a journal left by a
        // tokensim that derived run seeds otherwise (from the run index,
        // before scheme 2) is another sweep, never resumed into a mixture.
        let canonical = format!(
            "seeds-by-point-values-v2\n{}\n{}\n{:?}\n{}\n{}",
            points
                .iter()
                .map(|p| p.config.to_toml())
                .collect::<Vec<_>>()
                .join("\n---\n"),
            keys.join(","),
            points.iter().map(|p| &p.values).collect::<Vec<_>>(),
            spec.replications,
            spec.seed
        );
        Ok(SweepPlan {
            path: path.to_path_buf(),
            text,
            keys,
            points,
            replications: spec.replications,
            seed: spec.seed,
            fingerprint: format!("{:016x}", fnv1a(canonical.as_bytes())),
            by_config: std::sync::OnceLock::new(),
        })
    }

    /// Total number of runs.
    pub fn run_count(&self) -> usize {
        self.points.len() * self.replications as usize
    }

    /// Run `index`.
    pub fn run(&self, index: usize) -> SweepRun {
        let r = self.replications as usize;
        SweepRun {
            index,
            point: index / r,
            replication: (index % r) as u32,
            seed: run_seed(self.seed, &self.points[index / r].key(), (index % r) as u32),
        }
    }

    /// How a run is labelled in the output (its attributes and `/summary`
    /// row).
    pub fn label(&self, run: &SweepRun) -> RunLabel {
        RunLabel {
            run: run.index,
            point: run.point,
            replication: run.replication,
            seed: run.seed,
            keys: self.keys.clone(),
            values: self.points[run.point]
                .values
                .iter()
                .map(|(_, v)| v.to_string())
                .collect(),
        }
    }

    /// The run of this sweep with resolved configuration `config_toml`
    /// (seed included) and replication `replication`, if there is one: how
    /// `--resume` recognises the finished runs of a sweep this one extends.
    pub fn find_run(&self, config_toml: &str, replication: u32) -> Option<RunLabel> {
        // Built once, on first use: run index by (hash of the resolved
        // configuration, replication).
        let by_config = self.by_config.get_or_init(|| {
            (0..self.run_count())
                .map(|i| {
                    let run = self.run(i);
                    let text = self.config_of(&run).to_toml();
                    ((fnv1a(text.as_bytes()), run.replication), i)
                })
                .collect()
        });
        let &index = by_config.get(&(fnv1a(config_toml.as_bytes()), replication))?;
        let run = self.run(index);
        (self.config_of(&run).to_toml() == config_toml).then(|| self.label(&run))
    }

    /// The configuration of a run: its point's, with the run's seed and a
    /// single replication.
    pub fn config_of(&self, run: &SweepRun) -> Config {
        let mut config = self.points[run.point].config.clone();
        config.simulation.seed = run.seed;
        config.simulation.replications = 1;
        config
    }
}

/// What a `[grid]` or `[zip]` entry may be.
const VALUES_EXPECTED: &str = "a non-empty array of values, or { linspace = [a, b, n] }, \
     { logspace = [a, b, n] } (a, b > 0), { uniform = [a, b], n = N } or \
     { latin_hypercube = [a, b], n = N }";

/// The values of a `[grid]` or `[zip]` entry: an explicit array, or
/// generated — `linspace` (n evenly spaced from a to b, both included),
/// `logspace` (n geometrically spaced from a to b: evenly in log), or
/// random samples drawn with the sweep's seed and the key (`uniform`: n
/// independent draws in [a, b); `latin_hypercube`: one draw in each of n
/// equal strata of [a, b), in random order — zipped keys sampled this way
/// form a Latin-hypercube design).
fn values_of(
    value: &toml::Value,
    seed: u64,
    key: &str,
) -> std::result::Result<Vec<toml::Value>, String> {
    let expected = || VALUES_EXPECTED.to_string();
    let table = match value {
        toml::Value::Array(a) if !a.is_empty() => return Ok(a.clone()),
        toml::Value::Table(t) => t,
        _ => return Err(expected()),
    };
    let number = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    let count = |v: Option<&toml::Value>| -> std::result::Result<usize, String> {
        match v.and_then(|v| v.as_integer()) {
            Some(n) if (1..=1_000_000).contains(&n) => Ok(n as usize),
            _ => Err(format!(
                "{}: n, a whole number of values in 1..=1000000",
                expected()
            )),
        }
    };
    let range = |v: &toml::Value| -> Option<(f64, f64)> {
        let a = v.as_array()?;
        Some((number(a.first()?)?, number(a.get(1)?)?))
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    };
    let floats = |xs: Vec<f64>| Ok(xs.into_iter().map(toml::Value::Float).collect());
    let (kind, spec) = match table.iter().find(|(k, _)| {
        matches!(
            k.as_str(),
            "linspace" | "logspace" | "uniform" | "latin_hypercube"
        )
    }) {
        Some((k, v)) => (k.as_str(), v),
        None => return Err(expected()),
    };
    let extra = table.keys().find(|k| {
        k.as_str() != kind && !(k.as_str() == "n" && matches!(kind, "uniform" | "latin_hypercube"))
    });
    if let Some(k) = extra {
        return Err(format!("{}: unknown key {k:?}", expected()));
    }
    match kind {
        "linspace" | "logspace" => {
            let a = spec
                .as_array()
                .filter(|a| a.len() == 3)
                .ok_or_else(expected)?;
            let (lo, hi) = range(spec).ok_or_else(expected)?;
            let n = count(a.get(2))?;
            let at = |i: usize| {
                if n == 1 {
                    0.0
                } else {
                    i as f64 / (n - 1) as f64
                }
            };
            // Rounded to 12 significant digits: a grid of 0.2..0.8 holds
            // 0.6, not 0.6000000000000001.
            let clean = |x: f64| format!("{x:.11e}").parse::<f64>().unwrap_or(x);
            if kind == "linspace" {
                floats((0..n).map(|i| clean(lo + (hi - lo) * at(i))).collect())
            } else if lo > 0.0 && hi > 0.0 {
                let (a, b) = (lo.log10(), hi.log10());
                floats(
                    (0..n)
                        .map(|i| clean(10f64.powf(a + (b - a) * at(i))))
                        .collect(),
                )
            } else {
                Err(format!("{}: logspace needs a, b > 0", expected()))
            }
        }
        _ => {
            let (lo, hi) = range(spec).ok_or_else(expected)?;
            let n = count(table.get("n"))?;
            use rand::{Rng, SeedableRng};
            let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(splitmix64(
                seed ^ fnv1a(key.as_bytes()),
            ));
            let mut u: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
            if kind == "latin_hypercube" {
                let mut strata: Vec<usize> = (0..n).collect();
                rand::seq::SliceRandom::shuffle(strata.as_mut_slice(), &mut rng);
                for (x, s) in u.iter_mut().zip(strata) {
                    *x = (s as f64 + *x) / n as f64;
                }
            }
            floats(u.into_iter().map(|x| lo + (hi - lo) * x).collect())
        }
    }
}

/// Every combination of one entry per axis, the last axis varying fastest.
fn cartesian(axes: &[Vec<Vec<toml::Value>>]) -> Vec<Vec<toml::Value>> {
    axes.iter().fold(vec![Vec::new()], |acc, axis| {
        acc.iter()
            .flat_map(|prefix| {
                axis.iter().map(move |entry| {
                    let mut next = prefix.clone();
                    next.extend(entry.iter().cloned());
                    next
                })
            })
            .collect()
    })
}

/// `base` relative to the sweep file's folder unless absolute.
fn resolve(sweep: &Path, base: &str) -> PathBuf {
    let base = Path::new(base);
    if base.is_absolute() {
        base.to_path_buf()
    } else {
        sweep.parent().unwrap_or(Path::new(".")).join(base)
    }
}

/// Line and column of `section.key` (the key may contain dots) in the sweep text.
fn locate(text: &str, dotted: &str) -> Option<(usize, usize)> {
    let (section, key) = dotted.split_once('.').unwrap_or((dotted, ""));
    let map = crate::config::SourceMap::parse(text).ok()?;
    let mut path = vec![section.to_string()];
    if !key.is_empty() {
        path.push(key.to_string());
    }
    map.locate(&path)
}

/// FNV-1a, 64 bits: a stable fingerprint (not for security).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}
