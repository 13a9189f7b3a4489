//! `tokensim report`: plots (SVG and PNG) and an HTML page for a run or
//! sweep file — populations, rewards by type, lifetime rewards, the
//! fairness window over time, and for sweeps the headline metric against
//! each swept parameter — next to the audit table.

mod charts;
mod html;

use std::path::{Path, PathBuf};
use std::sync::Once;

use hdf5::types::VarLenUnicode;
use plotters::prelude::*;

use crate::audit::{audit_file, open, read_run, AuditOptions};
use crate::error::{Error, Result};
use crate::output::schema::{var, Variable, CLASS_LEVERS, LEVERS};
use crate::output::RunReader;

/// Pixel size of every chart.
const SIZE: (u32, u32) = (900, 500);

static FONT: Once = Once::new();

/// Registers the bundled DejaVu Sans for PNG text (no system fonts needed).
fn register_font() {
    FONT.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        // The font is valid: it ships with the crate.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, bytes);
    });
}

/// One chart written as `name.svg` and `name.png`.
#[derive(Debug, Clone)]
pub struct Figure {
    /// File stem.
    pub name: String,
    /// Caption under it on the page.
    pub caption: String,
}

/// Draws a chart on both backends (a macro, since the closure is generic).
macro_rules! chart {
    ($dir:expr, $name:expr, |$area:ident| $body:expr) => {{
        let fail = |e: String| Error::Input(format!("report: drawing {}: {e}", $name));
        {
            let path = $dir.join(format!("{}.svg", $name));
            let $area = SVGBackend::new(&path, SIZE).into_drawing_area();
            $body.map_err(fail)?;
        }
        let path = $dir.join(format!("{}.png", $name));
        let $area = BitMapBackend::new(&path, SIZE).into_drawing_area();
        $body.map_err(fail)?;
    }};
}

/// Options of a report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportOptions {
    /// Paired replications per operator deviation when the report scores
    /// the deviations of a token run (0: shade the windows, no verdicts).
    pub override_replications: u32,
    /// ε for the audit's verdicts (`None`: the ε stored with each run).
    pub epsilon: Option<f64>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            override_replications: crate::audit::deviations::DEFAULT_REPLICATIONS,
            epsilon: None,
        }
    }
}

/// Writes the report of `file` into `dir` with the default options;
/// returns the files written.
pub fn report(file: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
    report_with(file, dir, &ReportOptions::default())
}

/// Writes the report of `file` into `dir`; returns the files written.
pub fn report_with(file: &Path, dir: &Path, options: &ReportOptions) -> Result<Vec<PathBuf>> {
    register_font();
    let audit = audit_file(
        file,
        None,
        &AuditOptions {
            epsilon: options.epsilon,
            ..AuditOptions::default()
        },
    )?;
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let (h5, _) = open(file)?;
    let first = &audit.runs[0];
    let data = read_run(&h5, &file.display().to_string(), &first.run)?;
    let mut figures = Vec::new();
    let k = data.type_names.len();

    let agents: Vec<(String, Vec<(f64, f64)>)> = (0..k)
        .map(|kk| {
            let points = (0..data.periods)
                .map(|t| (t as f64, data.active[t * k + kk] as f64))
                .collect();
            (data.type_names[kk].clone(), points)
        })
        .collect();
    chart!(dir, "agents", |area| charts::lines(
        &area,
        "Agents present by type",
        "period",
        "agents present (paid) per period",
        &agents,
        None
    ));
    figures.push(Figure {
        name: "agents".into(),
        caption: format!(
            "Agents of each type present and paid in every period ({}).",
            crate::audit::run_label(first)
        ),
    });

    let categories: Vec<String> = data.rewards.iter().map(|r| format!("{r}")).collect();
    let groups: Vec<(String, Vec<f64>)> = audit
        .types
        .iter()
        .map(|t| (t.name.clone(), t.reward_dist.clone()))
        .collect();
    chart!(dir, "reward_distribution", |area| charts::grouped_bars(
        &area,
        "Reward distribution by type (after warm-up)",
        "reward (tokens)",
        "share of the type's agent-periods",
        &categories,
        &groups
    ));
    figures.push(Figure {
        name: "reward_distribution".into(),
        caption: format!(
            "q_k(r): the share of each type's agent-periods paid each reward ({}). Equal bars are group-fair.",
            audit.types_scope
        ),
    });

    // With a single reward (a token run paying no bonus) there is no reward
    // gap to follow over time and every lifetime reward is that reward:
    // those charts would be empty, so they are left out.
    let rewards_vary = data.rewards.len() > 1;
    if rewards_vary {
        let lifetime: Vec<(String, Vec<(f64, f64)>)> = first
            .types
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.lifetime_reward_quantiles
                        .iter()
                        .map(|&(q, v)| (q, v))
                        .collect(),
                )
            })
            .collect();
        chart!(dir, "lifetime_reward", |area| charts::lines(
            &area,
            "Lifetime reward quantiles by type",
            "quantile",
            "total reward over the stay (tokens)",
            &lifetime,
            None
        ));
        figures.push(Figure {
            name: "lifetime_reward".into(),
            caption: "Quantiles of the total reward each departed agent received over its stay."
                .into(),
        });

        let mut window: Vec<(String, Vec<(f64, f64)>)> = vec![(
            format!("max gap over a {}-period window", first.window),
            first
                .window_gaps
                .iter()
                .enumerate()
                .map(|(i, &g)| ((data.warmup + i) as f64, g))
                .collect(),
        )];
        // What sampling noise alone gives a window: two standard errors of
        // a difference of two shares estimated from W periods of the two
        // smallest types (q(1 − q) at the most variable reward), were their
        // agent-periods independent. Agents persist across periods, so the
        // true noise is larger: a gap below this line says nothing.
        let per_type: Vec<f64> = (0..k)
            .map(|kk| {
                let rows = data.periods.saturating_sub(data.warmup).max(1);
                (data.warmup..data.periods)
                    .map(|t| data.active[t * k + kk] as f64)
                    .sum::<f64>()
                    / rows as f64
            })
            .collect();
        let mut sizes = per_type.clone();
        sizes.sort_by(f64::total_cmp);
        let spread = audit
            .types
            .iter()
            .flat_map(|t| t.reward_dist.iter().map(|q| q * (1.0 - q)))
            .fold(0.0, f64::max);
        let w = first.window as f64;
        let noise = match sizes.as_slice() {
            [a, b, ..] if *a > 0.0 => 2.0 * (spread * (1.0 / (w * a) + 1.0 / (w * b))).sqrt(),
            _ => f64::NAN,
        };
        if noise.is_finite() && !first.window_gaps.is_empty() {
            let start = data.warmup as f64;
            let end = (data.warmup + first.window_gaps.len() - 1) as f64;
            window.push((
                "sampling noise of one window (2 s.e., a lower bound)".into(),
                vec![(start, noise), (end, noise)],
            ));
        }
        chart!(dir, "window_gap", |area| charts::lines(
            &area,
            "Largest reward gap between types, sliding window",
            "first period of the window",
            "max |q_k(r) - q_k'(r)| (probability)",
            &window,
            Some(("epsilon", audit.epsilon))
        ));
        figures.push(Figure {
            name: "window_gap".into(),
            caption: format!(
                "Largest gap between two types' reward distributions within each window of {} periods; the worst is {:.4} from period {}. A window's gap is estimated from few agent-periods: sampling noise alone reaches about {:.4} (two standard errors, counting agent-periods as independent; agents persist, so more), and gaps below it are noise. The verdict uses the whole run ({:.4} against epsilon {}).",
                first.window, first.worst_window.1, first.worst_window.0, noise, first.max_abs_gap, audit.epsilon
            ),
        });
    }

    token_figures(&h5, &first.run, dir, options, &mut figures)?;
    if let (Some(tokens), Some(fairness)) = (&data.tokens, &first.token_fairness) {
        pay_rate_figures(&data, tokens, fairness, dir, &mut figures)?;
    }

    // The figures so far are drawn from one run: say which, when the file
    // has several (for a sweep, with its swept values).
    if audit.runs.len() > 1 {
        for f in figures
            .iter_mut()
            .filter(|f| !["agents", "reward_distribution"].contains(&f.name.as_str()))
        {
            f.caption
                .push_str(&format!(" Drawn from {}.", crate::audit::run_label(first)));
        }
    }

    for sweep in sweep_points(&h5)? {
        let key = &sweep.key;
        let name = format!(
            "sweep_{}",
            key.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        chart!(dir, name, |area| charts::sweep_lines(
            &area,
            "Normalized profit against a swept parameter",
            key,
            "profit per period / scale",
            &sweep.series,
            sweep.labels.clone(),
            sweep.log_x
        ));
        figures.push(Figure {
            caption: format!(
                "Mean normalized profit at each value of {key}, one line per combination of the other swept keys{}; each point is one sweep point, its error bar the 95% interval across that point's replications only (Student's t; none with one replication). Nothing is averaged across sweep points.",
                if sweep.log_x { ", on a log scale (a geometric grid)" } else { "" }
            ),
            name,
        });
    }

    let index = dir.join("index.html");
    std::fs::write(
        &index,
        html::page(file, &audit, &token_kpis(&h5, &audit), &figures),
    )
    .map_err(|source| Error::Io {
        path: index.clone(),
        source,
    })?;
    let mut written = vec![index];
    for f in &figures {
        written.push(dir.join(format!("{}.svg", f.name)));
        written.push(dir.join(format!("{}.png", f.name)));
    }
    Ok(written)
}

/// A swept value that is a table or an array (e.g. a list of `[[events]]`)
/// is labelled by the `name`s it holds ("none" when empty), or cut to 24
/// characters: the full TOML does not fit under an axis.
fn short_label(value: &str) -> String {
    let parsed = format!("v = {value}").parse::<toml::Table>().ok();
    let names = |v: &toml::Value| -> Option<String> {
        let items = v.as_array()?;
        if items.is_empty() {
            return Some("none".into());
        }
        let mut names: Vec<&str> = Vec::new();
        for item in items {
            let name = item.get("name")?.as_str()?;
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Some(names.join(" + "))
    };
    if let Some(label) = parsed.as_ref().and_then(|t| t.get("v")).and_then(names) {
        return label;
    }
    if value.chars().count() > 24 {
        return value.chars().take(23).collect::<String>() + "…";
    }
    value.to_string()
}

/// One chart of a sweep: a swept key, one series per combination of the
/// other swept keys, labels for a categorical key, and whether its values
/// form a geometric grid (plotted on a log scale).
struct SweepChart {
    key: String,
    series: Vec<charts::SweepSeries>,
    labels: Option<Vec<String>>,
    log_x: bool,
}

/// The sweep figures' data from `/summary`: for each swept key, the
/// normalized profit at each of its values, one line per combination of
/// the other swept keys' values, each point the mean over that sweep
/// point's replications with a 95 % interval across them only (Student's t;
/// none with one replication). Nothing is averaged across sweep points.
fn sweep_points(file: &hdf5::File) -> Result<Vec<SweepChart>> {
    let Ok(summary) = file.group("summary") else {
        return Ok(Vec::new());
    };
    let runs = file
        .group("runs")
        .map_err(|e| Error::Input(format!("report: /runs: {e}")))?;
    let keys: Vec<String> = runs
        .group("0")
        .ok()
        .and_then(|g| g.attr("grid_keys").ok())
        .and_then(|a| a.read_raw::<VarLenUnicode>().ok())
        .map(|v| v.iter().map(|s| s.as_str().to_string()).collect())
        .unwrap_or_default();
    let profit: Vec<f64> = summary
        .dataset("mean_profit_per_scale")
        .and_then(|d| d.read_raw())
        .map_err(|e| Error::Input(format!("report: /summary: {e}")))?;
    let point: Vec<u64> = summary
        .dataset("point")
        .and_then(|d| d.read_raw())
        .unwrap_or_else(|_| (0..profit.len() as u64).collect());
    // Every key's column: display text and, for numbers, the value.
    let mut columns: Vec<(String, Vec<String>, Option<Vec<f64>>)> = Vec::new();
    for key in &keys {
        let Ok(ds) = summary.dataset(key) else {
            continue;
        };
        match ds.read_raw::<VarLenUnicode>() {
            Ok(text) => columns.push((
                key.clone(),
                text.iter().map(|s| short_label(s.as_str())).collect(),
                None,
            )),
            Err(_) => {
                let v: Vec<f64> = ds.read_raw::<f64>().unwrap_or_default();
                columns.push((
                    key.clone(),
                    v.iter().map(|x| format!("{x}")).collect(),
                    Some(v),
                ));
            }
        }
    }
    let mut out = Vec::new();
    for (c, (key, text, numbers)) in columns.iter().enumerate() {
        // x positions: the values, or category indices in order of appearance.
        let mut names: Vec<String> = Vec::new();
        let xs: Vec<f64> = match numbers {
            Some(v) => v.clone(),
            None => text
                .iter()
                .map(|s| match names.iter().position(|n| n == s) {
                    Some(i) => i as f64,
                    None => {
                        names.push(s.clone());
                        (names.len() - 1) as f64
                    }
                })
                .collect(),
        };
        // The series: the other keys' values.
        let others = |row: usize| -> String {
            columns
                .iter()
                .enumerate()
                .filter(|(o, _)| *o != c)
                .map(|(_, (k, t, _))| format!("{}={}", k.rsplit('.').next().unwrap_or(k), t[row]))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut series: Vec<charts::SweepSeries> = Vec::new();
        let mut seen_points: Vec<u64> = Vec::new();
        for row in 0..profit.len().min(xs.len()) {
            if seen_points.contains(&point[row]) {
                continue;
            }
            seen_points.push(point[row]);
            let ys: Vec<f64> = (0..profit.len())
                .filter(|&r| point[r] == point[row] && profit[r].is_finite())
                .map(|r| profit[r])
                .collect();
            if ys.is_empty() {
                continue;
            }
            let (mean, half) = crate::audit::mean_and_half_width(&ys);
            let name = others(row);
            let name = if name.is_empty() {
                "all runs".to_string()
            } else {
                name
            };
            match series.iter_mut().find(|s| s.0 == name) {
                Some(s) => s.1.push((xs[row], mean, half)),
                None => series.push((name, vec![(xs[row], mean, half)])),
            }
        }
        let log_x = numbers.as_ref().is_some_and(|v| geometric(v));
        out.push(SweepChart {
            key: key.clone(),
            series,
            labels: numbers.is_none().then_some(names),
            log_x,
        });
    }
    Ok(out)
}

/// True when the distinct values are positive, at least three, spread over
/// at least a factor of 10, and closer to evenly spaced in log than in
/// value: a geometric grid, drawn on a log scale.
fn geometric(values: &[f64]) -> bool {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    if v.len() < 3 || v[0] <= 0.0 || v[v.len() - 1] / v[0] < 10.0 {
        return false;
    }
    let spread = |w: &[f64]| {
        let steps: Vec<f64> = w.windows(2).map(|p| p[1] - p[0]).collect();
        let mean = steps.iter().sum::<f64>() / steps.len() as f64;
        steps.iter().map(|s| (s - mean).abs()).fold(0.0, f64::max) / mean.abs().max(1e-300)
    };
    let logs: Vec<f64> = v.iter().map(|x| x.ln()).collect();
    spread(&logs) < spread(&v)
}

/// Token fairness of the first run: each type's pay per task over time, and
/// the types' averages (pay rate, purchasing power) side by side.
fn pay_rate_figures(
    data: &crate::audit::RunData,
    tokens: &crate::audit::TokenTypeSeries,
    fairness: &crate::audit::TokenFairness,
    dir: &Path,
    figures: &mut Vec<Figure>,
) -> Result<()> {
    let k = data.type_names.len();
    // Periods in which a type did no task have no pay rate: left out.
    let lines: Vec<(String, Vec<(f64, f64)>)> = (0..k)
        .map(|kk| {
            let points = (data.warmup..data.periods)
                .filter(|&t| tokens.tasks[t * k + kk] > 0)
                .map(|t| {
                    let i = t * k + kk;
                    (
                        t as f64,
                        tokens.task_tokens[i] as f64 / tokens.tasks[i] as f64,
                    )
                })
                .collect();
            (data.type_names[kk].clone(), points)
        })
        .collect();
    chart!(dir, "pay_rate", |area| charts::lines(
        &area,
        "Pay per task by type",
        "period",
        "task tokens credited per task",
        &lines,
        None
    ));
    figures.push(Figure {
        name: "pay_rate".into(),
        caption: "Tokens credited for tasks per task completed, by type and period. Every courier faces the same issuance rate in a period; a type's average over the run weights the periods by the tasks it did then.".into(),
    });
    // Each type's average relative to the overall rate, with its 95 %
    // interval: the difference between types is what the audit judges.
    let m = &fairness.pay_rate;
    let points: Vec<(f64, f64, f64)> = m
        .by_group
        .0
        .iter()
        .zip(&m.by_group_ci95.0)
        .enumerate()
        .map(|(i, ((_, rate), (_, [low, high])))| {
            let relative = |x: f64| 100.0 * (x / m.overall - 1.0);
            (
                i as f64,
                relative(*rate),
                (relative(*high) - relative(*low)) / 2.0,
            )
        })
        .collect();
    chart!(dir, "pay_rate_by_type", |area| charts::error_bars(
        &area,
        "Pay per task by type, against the overall rate",
        "type",
        "pay rate / overall - 1 (%, 95% CI)",
        &points,
        Some(data.type_names.clone())
    ));
    figures.push(Figure {
        name: "pay_rate_by_type".into(),
        caption: format!(
            "Each type's pay rate over the run (task tokens / tasks) relative to the overall {:.4}, with 95% intervals ({}). Difference between types {:.4} [{:.4}, {:.4}] = {:+.2}% of the overall: {} at tolerance {}.",
            m.overall, m.ci95.method, m.difference, m.ci95.low, m.ci95.high, 100.0 * m.relative_difference, m.verdict, fairness.tolerance
        ),
    });
    Ok(())
}

/// Token-economy figures of run `id`, when the file has token series:
/// issuance and redemption by channel, the float, the budget by year, and
/// the levers recommended against implemented.
fn token_figures(
    file: &hdf5::File,
    id: &str,
    dir: &Path,
    options: &ReportOptions,
    figures: &mut Vec<Figure>,
) -> Result<()> {
    let Ok(run) = RunReader::new(file, &file.filename(), id) else {
        return Ok(());
    };
    // As f64 for every stored type (u64 counts convert exactly below 2^53);
    // a malformed series is an error, a missing one (a paper run) is none.
    let read = |v: &Variable| -> Result<Option<Vec<f64>>> { run.maybe_numbers(v) };
    let (Some(issuance), Some(real), Some(virt), Some(float)) = (
        read(&var::ISSUANCE)?,
        read(&var::REDEEMED_REAL)?,
        read(&var::REDEEMED_VIRTUAL)?,
        read(&var::FLOAT)?,
    ) else {
        return Ok(());
    };
    let line = |name: &str, v: &[f64]| {
        (
            name.to_string(),
            v.iter()
                .enumerate()
                .map(|(t, &y)| (t as f64, y))
                .collect::<Vec<_>>(),
        )
    };
    let flows = vec![
        line("issuance", &issuance),
        line("redeemed real", &real),
        line("redeemed virtual", &virt),
    ];
    chart!(dir, "token_flows", |area| charts::lines(
        &area,
        "Tokens issued and redeemed by channel",
        "period",
        "tokens per period",
        &flows,
        None
    ));
    figures.push(Figure {
        name: "token_flows".into(),
        caption: "Issuance I_t (tasks and rewards credited) and redemption R_t by channel.".into(),
    });
    let mut float_lines = vec![line("float K_t", &float)];
    if let Some(dormant) = read(&var::DORMANT_FLOAT)? {
        let active: Vec<f64> = float.iter().zip(&dormant).map(|(k, d)| k - d).collect();
        float_lines.push(line("active float", &active));
        float_lines.push(line("dormant float (leavers' balances)", &dormant));
    }
    // The steer controller's configured band, in tokens (per unit of
    // scale in the configuration), on the float it watches.
    let band = file
        .group(&format!("runs/{id}"))
        .ok()
        .and_then(|g| g.attr("config_toml").ok())
        .and_then(|a| a.read_scalar::<VarLenUnicode>().ok())
        .and_then(|text| text.as_str().parse::<toml::Table>().ok())
        .and_then(|config| {
            let num = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
            let scale = num(config.get("simulation")?.get("scale")?)?;
            let steer = config.get("steer")?;
            let band = steer.get("float_band")?.as_array()?;
            let measure = steer
                .get("float_measure")
                .and_then(|m| m.as_str())
                .unwrap_or("active")
                .to_string();
            let lo = num(band.first()?)? * scale;
            let hi = num(band.get(1)?)? * scale;
            Some((lo, hi, measure))
        });
    if let Some((lo, hi, measure)) = &band {
        let flat = |y: f64| vec![y; float.len()];
        float_lines.push(line(&format!("band low ({measure} float)"), &flat(*lo)));
        float_lines.push(line(&format!("band high ({measure} float)"), &flat(*hi)));
    }
    chart!(dir, "float", |area| charts::lines(
        &area,
        "Token float (tokens outstanding)",
        "period",
        "tokens",
        &float_lines,
        None
    ));
    figures.push(Figure {
        name: "float".into(),
        caption: match &band {
            Some((_, _, measure)) => format!(
                "K_t = K_(t-1) + I_t - R_t - F_t after each period, split into the active float (balances of couriers present) and the dormant float (leavers' balances, never spent); the controller keeps the {measure} float inside its band."
            ),
            None => "K_t = K_(t-1) + I_t - R_t - F_t after each period, split into the active float (balances of couriers present) and the dormant float (leavers' balances, never spent).".into(),
        },
    });
    let mut lever_lines: Vec<charts::TraceLine> = Vec::new();
    for (c, (in_force, advised, _)) in LEVERS.iter().enumerate() {
        let l = in_force.name();
        if let (Some(implemented), Some(recommended)) = (read(in_force)?, read(advised)?) {
            let (a, b) = (line(l, &implemented), line(l, &recommended));
            lever_lines.push((format!("{l} in force"), a.1, false, c));
            lever_lines.push((format!("{l} recommended"), b.1, true, c));
        }
    }
    // Per-class real-price multipliers, when the controller moved them.
    for (c, (class, v)) in ["A", "B", "C", "D"].iter().zip(&CLASS_LEVERS).enumerate() {
        if let Some(values) = read(v)? {
            if values.iter().any(|&v| v != 1.0) {
                let l = line("", &values);
                lever_lines.push((format!("class {class} real-price mult."), l.1, false, 3 + c));
            }
        }
    }
    if !lever_lines.is_empty() {
        let windows = deviation_windows(file, &run, id, options)?;
        let shaded: Vec<charts::ShadedWindow> = windows
            .iter()
            .map(|w| (w.from as f64, w.to as f64, w.label.clone()))
            .collect();
        chart!(dir, "levers", |area| charts::lever_trace(
            &area,
            "Levers: recommended (dashed) and in force (solid)",
            &lever_lines,
            &shaded
        ));
        let mut caption = "The three levers as recommended (controller or configuration; dashed) and in force after the operators (solid); the per-class real-price multipliers (on top of the real one) when the controller moved them.".to_string();
        if !windows.is_empty() {
            caption.push_str(
                " Shaded: the operators' deviations from the recommendation (model.md E.4)",
            );
            if options.override_replications > 0 {
                caption.push_str(&format!(
                    ", each labelled with its verdict from {} paired counterfactual replications (tokensim overrides: Δ budget penalty with the deviation minus with the recommendation followed, 95% CI)",
                    options.override_replications
                ));
            }
            caption.push_str(": ");
            let parts: Vec<String> = windows.iter().map(|w| w.description.clone()).collect();
            caption.push_str(&parts.join("; "));
            caption.push('.');
        }
        figures.push(Figure {
            name: "levers".into(),
            caption,
        });
    }
    if run.has(&var::BUDGET) {
        let (b, c) = (run.f64s(&var::BUDGET)?, run.f64s(&var::COST)?);
        let categories: Vec<String> = (0..b.len()).map(|y| format!("year {}", y + 1)).collect();
        let groups = vec![("budget".to_string(), b), ("cost".to_string(), c)];
        chart!(dir, "budget", |area| charts::grouped_bars(
            &area,
            "Budget and cash cost of real goods by year",
            "budget year",
            "yuan",
            &categories,
            &groups
        ));
        figures.push(Figure {
            name: "budget".into(),
            caption: "Each closed budget year: the budget B_y (after the ratchet) and the cash cost C_y of real goods.".into(),
        });
    }
    Ok(())
}

/// A deviation window of a token run, for the levers chart.
struct DeviationWindow {
    from: u32,
    to: u32,
    /// Short label on the chart.
    label: String,
    /// The caption's sentence.
    description: String,
}

/// The operators' deviation windows of run `id` (from the override
/// trace), each with its verdict when `options` asks for them.
fn deviation_windows(
    file: &hdf5::File,
    run: &RunReader,
    id: &str,
    options: &ReportOptions,
) -> Result<Vec<DeviationWindow>> {
    use crate::model::operators::LEVER_NAMES;
    if !run.has(&var::DEVIATION_SOURCES) {
        return Ok(Vec::new());
    }
    let sources = run.strings(&var::DEVIATION_SOURCES)?;
    let kinds = run.strings(&var::DEVIATION_KINDS)?;
    let mut spans: Vec<(usize, usize, u32, u32)> = Vec::new();
    for (l, (_, _, trace_var)) in LEVERS.iter().enumerate() {
        if !run.has(trace_var) {
            continue;
        }
        let trace = run.i32s(trace_var)?;
        for (t, &s) in trace.iter().enumerate() {
            if s < 0 || s as usize >= sources.len() {
                continue;
            }
            let t = t as u32;
            match spans.iter_mut().find(|x| x.0 == s as usize && x.1 == l) {
                Some(x) => x.3 = t,
                None => spans.push((s as usize, l, t, t)),
            }
        }
    }
    if spans.is_empty() {
        return Ok(Vec::new());
    }
    let scores = if options.override_replications > 0 {
        let path = std::path::PathBuf::from(file.filename());
        let (text, _) = crate::commands::scenario_text(&path, Some(id))?;
        crate::audit::deviations::score_deviations(
            &text,
            &path,
            options.override_replications,
            None,
        )?
    } else {
        Vec::new()
    };
    Ok(spans
        .iter()
        .map(|&(s, l, from, to)| {
            let score = scores.iter().find(|d| {
                d.deviation.sources == [sources[s].clone()] && d.deviation.lever == LEVER_NAMES[l]
            });
            let head = format!("{} ({})", kinds[s], sources[s]);
            let (label, description) = match score {
                Some(d) => (
                    format!("{head}: {}", d.verdict),
                    format!(
                        "{head} on {} in periods {from}-{to}: Δ penalty {:+.0} [{:+.0}, {:+.0}] yuan, {}",
                        LEVER_NAMES[l],
                        d.delta_penalty,
                        d.delta_penalty_ci95[0],
                        d.delta_penalty_ci95[1],
                        d.verdict
                    ),
                ),
                None => (
                    head.clone(),
                    format!("{head} on {} in periods {from}-{to}", LEVER_NAMES[l]),
                ),
            };
            DeviationWindow {
                from,
                to,
                label,
                description,
            }
        })
        .collect())
}

/// The token economy's headline numbers per run (issuance, redemption by
/// channel, the float, cash cost, tasks, and every closed budget year with
/// its penalty), as an HTML table; empty for runs without an economy.
fn token_kpis(file: &hdf5::File, audit: &crate::audit::FileAudit) -> String {
    use std::fmt::Write as _;
    let mut rows = String::new();
    for r in audit.runs.iter().take(50) {
        let Ok(run) = RunReader::new(file, &file.filename(), &r.run) else {
            continue;
        };
        let read = |v: &Variable| -> Option<Vec<f64>> { run.maybe_numbers(v).ok().flatten() };
        let (Some(issuance), Some(real), Some(virt), Some(cash), Some(float)) = (
            read(&var::ISSUANCE),
            read(&var::REDEEMED_REAL),
            read(&var::REDEEMED_VIRTUAL),
            read(&var::CASH_COST),
            read(&var::FLOAT),
        ) else {
            continue;
        };
        let sum = |v: &[f64]| v.iter().sum::<f64>();
        let dormant = read(&var::DORMANT_FLOAT)
            .and_then(|d| d.last().copied())
            .unwrap_or(0.0);
        let end = float.last().copied().unwrap_or(0.0);
        let tasks = read(&var::TASKS).map_or(f64::NAN, |v| sum(&v));
        // Empty for runs without budget years.
        let col = |v: &Variable| read(v).unwrap_or_default();
        let (budget, cost, penalty) = (col(&var::BUDGET), col(&var::COST), col(&var::PENALTY));
        let years = budget
            .iter()
            .zip(&cost)
            .zip(&penalty)
            .enumerate()
            .map(|(y, ((b, c), p))| format!("year {}: {:.4} (penalty {p:.0})", y + 1, c / b))
            .collect::<Vec<_>>()
            .join("<br>");
        let big = |x: f64| format!("{:.4e}", x);
        let _ = writeln!(
            rows,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0}</td><td class=\"l\">{}</td></tr>",
            r.run,
            big(sum(&issuance)),
            big(sum(&real)),
            big(sum(&virt)),
            big(end - dormant),
            big(dormant),
            big(tasks),
            sum(&cash),
            if years.is_empty() { "none closed".into() } else { years }
        );
    }
    if rows.is_empty() {
        return String::new();
    }
    format!(
        "<h2>Token economy</h2>\n<table class=\"token\"><tr><th class=\"l\">run</th><th>issuance (tokens)</th><th>redeemed real</th><th>redeemed virtual</th><th>active float at end</th><th>dormant float at end</th><th>tasks</th><th>cash cost (yuan)</th><th class=\"l\">cash / budget by closed year</th></tr>\n{rows}</table>\n"
    )
}
