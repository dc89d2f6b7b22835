//! The `fd_count` group's medians against the number of fds, their linear extrapolation to
//! 1,000,000 fds, and the plot of both (`fd_count.svg`).

use super::criterion::Bench;
use crate::format::{fmt_count, fmt_tick};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Where the plot's extrapolation ends.
pub const MILLION: f64 = 1_000_000.0;

/// What the plot's legend says after a method's name.
const LEGEND_NOTES: &[(&str, &str)] = &[
    ("bare_fstat", " (floor: one fstat)"),
    ("raw_getdents64", " (floor: getdents64 loop)"),
    ("procfs_fd_count", " (stat by path, walk if 0)"),
];

/// One method's medians against fds (ns), ordered by fds.
pub struct Line {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Least-squares slope, ns per fd, never below 0 (a constant-time method's noise).
    pub slope: f64,
}

impl Line {
    /// The time at `n` fds, extrapolated from the last measured point along the slope.
    pub fn at(&self, n: f64) -> f64 {
        let &(last_n, last_t) = self.points.last().unwrap();
        last_t + self.slope * (n - last_n)
    }
}

/// A line for every function measured at two fd counts or more, slowest at 1,000,000 first.
pub fn lines(benches: &[Bench]) -> Vec<Line> {
    let mut names: Vec<&str> = benches.iter().map(|b| b.function.as_str()).collect();
    names.sort();
    names.dedup();
    let mut lines: Vec<Line> = names
        .into_iter()
        .filter_map(|name| {
            let mut points: Vec<(f64, f64)> = benches
                .iter()
                .filter(|b| b.function == name && b.median_ns > 0.0)
                .filter_map(|b| Some((b.param.as_deref()?.parse().ok()?, b.median_ns)))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            (points.len() >= 2).then(|| Line {
                name: name.to_string(),
                slope: least_squares_slope(&points).max(0.0),
                points,
            })
        })
        .collect();
    // Slowest at 1,000,000 first: the legend then reads top to bottom like the lines.
    lines.sort_by(|a, b| b.at(MILLION).total_cmp(&a.at(MILLION)));
    lines
}

fn least_squares_slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if sxx > 0.0 {
        sxy / sxx
    } else {
        0.0
    }
}

const COLORS: [RGBColor; 8] = [
    RGBColor(214, 39, 40),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(23, 190, 207),
    RGBColor(140, 86, 75),
    RGBColor(127, 127, 127),
];

/// Draws the lines, extrapolated (dashed) to 1,000,000 fds, log-log, into an SVG at `path`;
/// `limit` (the fd limit) marks where measuring ends.
pub fn plot(
    path: &Path,
    lines: &[Line],
    limit: Option<f64>,
) -> Result<(), Box<dyn std::error::Error>> {
    let lowest = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(f64::INFINITY, f64::min);
    let highest = lines.iter().map(|l| l.at(MILLION)).fold(0.0, f64::max);
    let (low, high) = (lowest.log10().floor(), highest.log10().ceil());
    let y_range = 10f64.powf(low)..10f64.powf(high.max(low + 1.0));

    let root = SVGBackend::new(path, (960, 640)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Counting one process's open fds: time per count",
            ("sans-serif", 22),
        )
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(85)
        .build_cartesian_2d((7f64..1.5e6).log_scale(), y_range.clone().log_scale())?;
    chart
        .configure_mesh()
        .x_desc("open fds in the counted process (log scale)")
        .y_desc("median time per count (log scale)")
        .x_label_formatter(&|x| fmt_count(*x))
        .y_label_formatter(&|y| fmt_tick(*y))
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 14))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;

    if let Some(limit) = limit {
        let gray = BLACK.mix(0.35);
        chart.draw_series(DashedLineSeries::new(
            [(limit, y_range.start), (limit, y_range.end)],
            3,
            3,
            gray.stroke_width(1),
        ))?;
        let font = ("sans-serif", 13).into_font().color(&gray);
        let y = y_range.start * 1.5;
        chart.draw_series([
            Text::new(
                "measured ←".to_string(),
                (limit / 1.08, y),
                font.pos(Pos::new(HPos::Right, VPos::Center)),
            ),
            Text::new(
                format!(
                    "→ extrapolated (RLIMIT_NOFILE hard limit: {})",
                    fmt_count(limit)
                ),
                (limit * 1.08, y),
                font.pos(Pos::new(HPos::Left, VPos::Center)),
            ),
        ])?;
    }
    for (line, color) in lines.iter().zip(COLORS.iter().cycle()) {
        let style = color.stroke_width(2);
        chart
            .draw_series(LineSeries::new(line.points.iter().copied(), style).point_size(3))?
            .label(format!(
                "{}{}",
                line.name,
                LEGEND_NOTES
                    .iter()
                    .find(|(name, _)| *name == line.name)
                    .map_or("", |(_, note)| note)
            ))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], style));
        let last = *line.points.last().unwrap();
        chart.draw_series(DashedLineSeries::new(
            [last, (MILLION, line.at(MILLION))],
            6,
            5,
            style,
        ))?;
    }
    chart
        .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
        .label("dashed: linear extrapolation to 1M fds")
        .legend(|(x, y)| {
            DashedPathElement::new([(x, y), (x + 24, y)], 5, 4, BLACK.stroke_width(2))
        });
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.5))
        .draw()?;
    root.present()?;
    Ok(())
}
