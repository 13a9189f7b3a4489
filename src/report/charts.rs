//! The charts of a report, drawn on any plotters backend (SVG and PNG).

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// A chart failure, as text (plotters' errors are backend-generic).
pub type ChartResult = Result<(), String>;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Distinct colours for up to 10 series, then repeating.
pub fn colour(i: usize) -> RGBColor {
    const PALETTE: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    PALETTE[i % PALETTE.len()]
}

/// Tick labels for an axis spanning `lo..hi`: as many decimals as the tick
/// spacing (about a tenth of the span) needs, so that neighbouring labels
/// never round to the same text (0.020, 0.022, … rather than 0.02, 0.02),
/// and k / M / G for large values ("400k", "1.25M").
pub fn ticker(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let span = (hi - lo).abs().max(1e-300);
    let big = lo.abs().max(hi.abs());
    let (unit, suffix) = if big >= 1e9 {
        (1e9, "G")
    } else if big >= 1e6 {
        (1e6, "M")
    } else if big >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let step = span / 10.0 / unit;
    let decimals = ((-step.log10()).ceil().max(0.0) as usize).min(8);
    move |x: &f64| {
        let text = format!("{:.*}{suffix}", decimals, x / unit);
        // No "-0.00".
        if text.starts_with('-') && text[1..].chars().all(|c| matches!(c, '0' | '.')) {
            text[1..].to_string()
        } else {
            text
        }
    }
}

fn range(values: impl Iterator<Item = f64>, floor_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if floor_zero {
        lo = lo.min(0.0);
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    (lo, hi + 0.05 * (hi - lo))
}

/// The legend box, upper right.
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
) -> ChartResult {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(err)
}

/// A legend entry: name, colour, dashed.
type LegendEntry = (String, RGBColor, bool);

/// The legend in its own column beside the plot, where it cannot cover data.
fn side_legend<DB: DrawingBackend>(
    side: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> ChartResult {
    let font = ("sans-serif", 13).into_font().color(&BLACK);
    let mut y = 60;
    for (name, c, dashed) in entries {
        let style = c.stroke_width(3);
        if *dashed {
            for x in [4, 16] {
                side.draw(&PathElement::new(vec![(x, y), (x + 8, y)], style))
                    .map_err(err)?;
            }
        } else {
            side.draw(&PathElement::new(vec![(4, y), (28, y)], style))
                .map_err(err)?;
        }
        // Long names wrap at spaces onto further lines.
        let mut lines: Vec<String> = vec![String::new()];
        for word in name.split(' ') {
            let last = lines.last_mut().expect("one line");
            if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > 26 {
                lines.push(word.to_string());
            } else {
                if !last.is_empty() {
                    last.push(' ');
                }
                last.push_str(word);
            }
        }
        for line in lines {
            side.draw(&Text::new(line, (36, y - 7), font.clone()))
                .map_err(err)?;
            y += 16;
        }
        y += 6;
    }
    Ok(())
}

/// Line width for a series of `points` points: 2 pixels for a few, 1 for
/// dense series — plotters draws wide lines as polygons, which leave gaps
/// on steep segments and spill past the axes, so a dense, jagged series
/// looks broken at width 2.
fn line_width(points: usize) -> u32 {
    if points > 200 {
        1
    } else {
        2
    }
}

/// Lines y_k(x) for several named series, with axis labels; the legend
/// beside the plot.
pub fn lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
    reference: Option<(&str, f64)>,
) -> ChartResult {
    area.fill(&WHITE).map_err(err)?;
    let (width, _) = area.dim_in_pixel();
    let (plot, side) = area.split_horizontally(width * 3 / 4);
    let (x0, x1) = range(series.iter().flat_map(|s| s.1.iter().map(|p| p.0)), false);
    let (lo, y1) = range(
        series
            .iter()
            .flat_map(|s| s.1.iter().map(|p| p.1))
            .chain(reference.map(|r| r.1)),
        true,
    );
    // A little room below, so a series at its minimum is not drawn on the axis.
    let y0 = lo - 0.02 * (y1 - lo);
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_label_formatter(&ticker(x0, x1))
        .y_label_formatter(&ticker(y0, y1))
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    let mut legend: Vec<LegendEntry> = Vec::new();
    for (i, (name, points)) in series.iter().enumerate() {
        let c = colour(i);
        chart
            .draw_series(LineSeries::new(
                points.iter().copied().filter(|p| p.1.is_finite()),
                c.stroke_width(line_width(points.len())),
            ))
            .map_err(err)?;
        legend.push((name.clone(), c, false));
    }
    if let Some((name, level)) = reference {
        chart
            .draw_series(LineSeries::new(
                [(x0, level), (x1, level)],
                BLACK.stroke_width(1),
            ))
            .map_err(err)?;
        legend.push((name.to_string(), BLACK, false));
    }
    side_legend(&side, &legend)?;
    area.present().map_err(err)
}

/// One line of [`lever_trace`]: a name, its points, dashed or solid, and
/// its colour index.
pub type TraceLine = (String, Vec<(f64, f64)>, bool, usize);

/// A shaded period window of [`lever_trace`] with its label (a deviation
/// and its verdict).
pub type ShadedWindow = (f64, f64, String);

/// Levers over time — the recommendation dashed, the lever in force solid,
/// one colour per lever — with the operators' deviation windows shaded and
/// labelled (their verdicts) above the data; the legend beside the plot,
/// where it cannot cover a line.
pub fn lever_trace<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    series: &[TraceLine],
    windows: &[ShadedWindow],
) -> ChartResult {
    area.fill(&WHITE).map_err(err)?;
    let (width, _) = area.dim_in_pixel();
    let (plot, side) = area.split_horizontally(width * 3 / 4);
    let (x0, x1) = range(series.iter().flat_map(|s| s.1.iter().map(|p| p.0)), false);
    let (lo, hi) = range(series.iter().flat_map(|s| s.1.iter().map(|p| p.1)), false);
    // Room above the data for the windows' labels.
    let (y0, y1) = (lo - 0.05 * (hi - lo), hi + 0.25 * (hi - lo));
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_label_formatter(&ticker(x0, x1))
        .y_label_formatter(&ticker(y0, y1))
        .x_desc("period")
        .y_desc("tokens per task / price multiplier")
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    for (i, (from, to, label)) in windows.iter().enumerate() {
        let shade = RGBColor(255, 200, 120).mix(0.35);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(from - 0.5, y0), (to + 0.5, hi)],
                shade.filled(),
            )))
            .map_err(err)?;
        // Stagger the labels of neighbouring windows; a label starting
        // late in the run is drawn to end at its window's end.
        let y = hi + (0.06 + (i % 2) as f64 * 0.09) * (hi - lo);
        let late = *from > x0 + 0.6 * (x1 - x0);
        let font = ("sans-serif", 13).into_font().color(&BLACK);
        let font = if late {
            font.pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Right,
                plotters::style::text_anchor::VPos::Top,
            ))
        } else {
            font
        };
        let x = if late { to + 0.5 } else { *from };
        chart
            .draw_series(std::iter::once(Text::new(label.clone(), (x, y), font)))
            .map_err(err)?;
    }
    for (name, points, dashed, c) in series {
        let style = colour(*c).stroke_width(2);
        if *dashed {
            chart
                .draw_series(DashedLineSeries::new(points.iter().copied(), 6, 4, style))
                .map_err(err)?;
        } else {
            chart
                .draw_series(LineSeries::new(points.iter().copied(), style))
                .map_err(err)?;
        }
        let _ = name;
    }
    let legend: Vec<LegendEntry> = series
        .iter()
        .map(|(name, _, dashed, c)| (name.clone(), colour(*c), *dashed))
        .collect();
    side_legend(&side, &legend)?;
    area.present().map_err(err)
}

/// Grouped bars: for each category (x), one bar per group.
pub fn grouped_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    categories: &[String],
    groups: &[(String, Vec<f64>)],
) -> ChartResult {
    area.fill(&WHITE).map_err(err)?;
    let (_, y1) = range(groups.iter().flat_map(|g| g.1.iter().copied()), true);
    let n = categories.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0.0..y1)
        .map_err(err)?;
    let labels = categories.to_vec();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_label_formatter(&ticker(0.0, y1))
        .x_labels(n)
        .x_label_formatter(&move |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        })
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    let width = 0.8 / groups.len().max(1) as f64;
    for (g, (name, values)) in groups.iter().enumerate() {
        let c = colour(g);
        chart
            .draw_series(
                values
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(j, &v)| {
                        let left = j as f64 - 0.4 + g as f64 * width;
                        Rectangle::new([(left, 0.0), (left + width * 0.95, v)], c.filled())
                    }),
            )
            .map_err(err)?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
    }
    draw_legend(&mut chart)?;
    area.present().map_err(err)
}

/// Points with vertical error bars (mean ± 1.96 s.e.) against a parameter;
/// `labels` names categorical x positions when the parameter is not numeric.
pub fn error_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    points: &[(f64, f64, f64)],
    labels: Option<Vec<String>>,
) -> ChartResult {
    area.fill(&WHITE).map_err(err)?;
    let (mut x0, mut x1) = range(points.iter().map(|p| p.0), false);
    let pad = 0.08 * (x1 - x0).max(1.0);
    x0 -= pad;
    x1 += pad;
    let (mut y0, y1) = range(points.iter().flat_map(|p| [p.1 - p.2, p.1 + p.2]), false);
    // `range` pads the top; pad the bottom alike so no point sits on the axis.
    y0 -= 0.05 * (y1 - y0);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    let y_ticks = ticker(y0, y1);
    let mut mesh = chart.configure_mesh();
    mesh.y_label_formatter(&y_ticks);
    mesh.x_desc(x_label)
        .y_desc(y_label)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16));
    let formatter;
    if let Some(names) = labels {
        formatter = move |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                names[i as usize].clone()
            } else {
                String::new()
            }
        };
        mesh.x_label_formatter(&formatter);
    }
    mesh.draw().map_err(err)?;
    let c = colour(0);
    chart
        .draw_series(
            points
                .iter()
                .map(|&(x, y, e)| ErrorBar::new_vertical(x, y - e, y, y + e, c.filled(), 10)),
        )
        .map_err(err)?;
    chart
        .draw_series(
            points
                .iter()
                .map(|&(x, y, _)| Circle::new((x, y), 4, c.filled())),
        )
        .map_err(err)?;
    area.present().map_err(err)
}

/// One series of [`sweep_lines`]: its name and points (x, mean, half-width
/// of the 95 % interval).
pub type SweepSeries = (String, Vec<(f64, f64, f64)>);

/// A swept parameter against a result: one line per combination of the
/// other swept keys, each point with its own 95 % error bar (across that
/// sweep point's replications); `labels` names categorical x positions;
/// `log_x` plots x on a log scale (geometric grids), ticks labelled in x.
pub fn sweep_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[SweepSeries],
    labels: Option<Vec<String>>,
    log_x: bool,
) -> ChartResult {
    area.fill(&WHITE).map_err(err)?;
    let (width, _) = area.dim_in_pixel();
    let (plot, side) = area.split_horizontally(width * 3 / 4);
    let tx = |x: f64| if log_x { x.log10() } else { x };
    let (mut x0, mut x1) = range(
        series.iter().flat_map(|s| s.1.iter().map(|p| tx(p.0))),
        false,
    );
    let pad = 0.05 * (x1 - x0).max(if labels.is_some() { 10.0 } else { 1e-9 });
    x0 -= pad;
    x1 += pad;
    let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
    let (mut y0, y1) = range(
        series.iter().flat_map(|s| {
            s.1.iter()
                .flat_map(|p| [p.1 - finite(p.2), p.1 + finite(p.2)])
        }),
        false,
    );
    y0 -= 0.05 * (y1 - y0);
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    let y_ticks = ticker(y0, y1);
    let plain = ticker(x0, x1);
    let x_ticks = move |x: &f64| -> String {
        if let Some(names) = &labels {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                names[i as usize].clone()
            } else {
                String::new()
            }
        } else if log_x {
            let v = 10f64.powf(*x);
            let digits = if v >= 100.0 {
                0
            } else if v >= 1.0 {
                1
            } else {
                3
            };
            format!("{v:.digits$}")
        } else {
            plain(x)
        }
    };
    chart
        .configure_mesh()
        .x_label_formatter(&x_ticks)
        .y_label_formatter(&y_ticks)
        .x_desc(if log_x {
            format!("{x_label} (log scale)")
        } else {
            x_label.to_string()
        })
        .y_desc(y_label)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    let mut legend: Vec<LegendEntry> = Vec::new();
    for (i, (name, points)) in series.iter().enumerate() {
        let c = colour(i);
        let mut sorted: Vec<(f64, f64, f64)> =
            points.iter().map(|&(x, y, e)| (tx(x), y, e)).collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        chart
            .draw_series(LineSeries::new(
                sorted.iter().map(|p| (p.0, p.1)),
                c.stroke_width(1),
            ))
            .map_err(err)?;
        chart
            .draw_series(
                sorted
                    .iter()
                    .filter(|p| p.2.is_finite())
                    .map(|&(x, y, e)| ErrorBar::new_vertical(x, y - e, y, y + e, c.filled(), 8)),
            )
            .map_err(err)?;
        chart
            .draw_series(
                sorted
                    .iter()
                    .map(|&(x, y, _)| Circle::new((x, y), 3, c.filled())),
            )
            .map_err(err)?;
        legend.push((name.clone(), c, false));
    }
    side_legend(&side, &legend)?;
    area.present().map_err(err)
}
