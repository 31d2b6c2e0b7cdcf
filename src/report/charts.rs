//! The report's charts, drawn by `plotters` into SVG strings: occupancy over
//! time (stacked by status, and the rare statuses on their own scale),
//! shares with their intervals, sojourn quantiles, operation outcomes, pool
//! utilisation, blocking, failures on a timeline, sweep metrics, the plan
//! curve and a comparison's differences. Each chart is drawn at a fixed size (the page scales it), its text
//! left as SVG text for the browser to set; values that a reader may want to
//! read off a mark are added as hover titles (`<title>`), each carrying the
//! file, row and column it came from.

use super::html::esc;
use super::palette::{self, INK};
use super::read::Cell;
use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::fmt::Write as _;

/// The drawing area every chart draws on.
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// What a drawing step may fail with.
type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// The most points a time series is drawn with: about one per pixel of a
/// full-width chart.
pub const MAX_POINTS: usize = 1000;

/// Width of a full-width chart, in SVG units (the page scales it).
pub const WIDE: u32 = 1160;

/// One chart: its name in the page (`data-chart`) and its SVG.
pub struct Chart {
    /// The chart's name, e.g. `occupancy-ecs`.
    pub id: String,
    /// The `<svg>` element.
    pub svg: String,
    /// For the page's optional script: the values drawn at each x, as
    /// JSON, read out where the pointer is (the chart is complete
    /// without it).
    pub readout: Option<String>,
}

/// A mark a reader can hover over: its shape in SVG units, its title, and
/// where its value came from.
struct Hover {
    shape: Shape,
    title: String,
    cell: Option<Cell>,
}

/// The shape of a [`Hover`].
enum Shape {
    /// A rectangle from one corner to the other.
    Rect((i32, i32), (i32, i32)),
    /// A circle: centre and radius.
    Circle((i32, i32), i32),
}

/// The data attributes naming a value's source: file, row (as JSON),
/// column and the field's text, for a test (or a reader) to find it again.
pub fn source_attrs(c: &Cell) -> String {
    let row: serde_json::Map<String, serde_json::Value> = c
        .row
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    format!(
        " data-file=\"{}\" data-row=\"{}\" data-col=\"{}\" data-v=\"{}\"",
        esc(&c.file),
        esc(&serde_json::Value::Object(row).to_string()),
        esc(&c.col),
        esc(&c.raw)
    )
}

/// Draws a chart of `size` with `draw`, then names it `id`, labels it for
/// screen readers, drops the namespace URL (inline SVG needs none) and adds
/// the hover marks on top.
fn render(
    id: &str,
    label: &str,
    size: (u32, u32),
    draw: impl FnOnce(&Area, &mut Vec<Hover>) -> DrawResult,
) -> Result<Chart> {
    let mut svg = String::new();
    let mut hovers = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| anyhow!("drawing {id}: {e}"))?;
        draw(&root, &mut hovers).map_err(|e| anyhow!("drawing {id}: {e}"))?;
        root.present().map_err(|e| anyhow!("drawing {id}: {e}"))?;
    }
    let svg = svg
        .replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        .replacen(
            "<svg ",
            &format!(
                "<svg data-chart=\"{}\" role=\"img\" aria-label=\"{}\" ",
                esc(id),
                esc(label)
            ),
            1,
        );
    let close = svg.rfind("</svg>").unwrap_or(svg.len());
    let mut marks = String::new();
    if !hovers.is_empty() {
        marks.push_str("<g class=\"hover\">\n");
        for h in &hovers {
            let attrs = h.cell.as_ref().map(source_attrs).unwrap_or_default();
            let shape = match h.shape {
                Shape::Rect((x0, y0), (x1, y1)) => format!(
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                    x0.min(x1),
                    y0.min(y1),
                    (x1 - x0).abs().max(1),
                    (y1 - y0).abs().max(1)
                ),
                Shape::Circle((x, y), r) => {
                    format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"{}\"/>", r.max(2))
                }
            };
            let _ = writeln!(
                marks,
                "<g{attrs}><title>{}</title>{shape}</g>",
                esc(&h.title)
            );
        }
        marks.push_str("</g>\n");
    }
    let mut out = String::with_capacity(svg.len() + marks.len());
    out.push_str(&svg[..close]);
    out.push_str(&marks);
    out.push_str(&svg[close..]);
    Ok(Chart {
        id: id.to_string(),
        svg: out,
        readout: None,
    })
}

/// A coordinate whose labels and grid lines sit at given values (plotters'
/// own `WithKeyPoints` gives floats no label formatter to call).
struct Keyed<R: Ranged<ValueType = f64>> {
    inner: R,
    keys: Vec<f64>,
}

impl<R: Ranged<ValueType = f64>> Ranged for Keyed<R> {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.keys.clone()
        }
    }

    fn axis_pixel_range(&self, limit: (i32, i32)) -> std::ops::Range<i32> {
        self.inner.axis_pixel_range(limit)
    }
}

/// A linear coordinate over `range`, labelled at `keys`.
fn keyed(range: std::ops::Range<f64>, keys: Vec<f64>) -> Keyed<RangedCoordf64> {
    Keyed {
        inner: range.into(),
        keys,
    }
}

/// A logarithmic coordinate over `range`, labelled at `keys`.
fn keyed_log(range: std::ops::Range<f64>, keys: Vec<f64>) -> Keyed<LogCoord<f64>> {
    Keyed {
        inner: range.log_scale().into(),
        keys,
    }
}

/// The text style of labels, at `size` (the SVG's font size is size / 1.24).
fn font(size: f64) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&INK)
}

/// The time axis: days, or hours for a study of less than three days.
#[derive(Clone, Copy, Debug)]
pub struct TimeAxis {
    /// Seconds per unit.
    unit_s: f64,
    /// The unit's symbol: `d` or `h`.
    unit: &'static str,
    /// The horizon, in units.
    pub max: f64,
    /// The most points a series is drawn with on this axis.
    pub max_points: usize,
}

impl TimeAxis {
    /// The axis for a study of `horizon_s` seconds.
    pub fn new(horizon_s: f64) -> TimeAxis {
        let (unit_s, unit) = if horizon_s >= 3.0 * 86400.0 {
            (86400.0, "d")
        } else {
            (3600.0, "h")
        };
        TimeAxis {
            unit_s,
            unit,
            max: (horizon_s / unit_s).max(1e-9),
            max_points: MAX_POINTS,
        }
    }

    /// The same axis, its series drawn with at most `n` points (at least
    /// 20).
    pub fn with_max_points(self, n: usize) -> TimeAxis {
        TimeAxis {
            max_points: n.max(20),
            ..self
        }
    }

    /// Seconds as units of the axis.
    pub fn at(&self, t_s: f64) -> f64 {
        t_s / self.unit_s
    }

    /// The axis' description.
    fn desc(&self) -> &'static str {
        if self.unit == "d" {
            "time (days since the start)"
        } else {
            "time (hours since the start)"
        }
    }

    /// Where the labels go: whole days (or hours), at most about 12.
    fn key_points(&self) -> Vec<f64> {
        self.key_points_at_most(12)
    }

    /// Whole days (or hours), at most about `n` of them.
    fn key_points_at_most(&self, n: usize) -> Vec<f64> {
        let n = n as f64;
        let steps: &[f64] = if self.unit == "d" {
            &[
                1.0, 2.0, 5.0, 7.0, 10.0, 14.0, 30.0, 60.0, 90.0, 180.0, 365.0,
            ]
        } else {
            &[1.0, 2.0, 3.0, 6.0, 12.0, 24.0]
        };
        let step = steps
            .iter()
            .copied()
            .find(|s| self.max / s <= n)
            .unwrap_or(self.max / n);
        (0..)
            .map(|i| i as f64 * step)
            .take_while(|v| *v <= self.max + 1e-9)
            .collect()
    }

    /// A label: `12 d`.
    fn label(&self, v: f64) -> String {
        format!("{} {}", trim_num(v), self.unit)
    }
}

/// What the time charts mark: the warm-up, windows (incidents) and instants
/// (mass faults), each with a label.
#[derive(Clone, Debug, Default)]
pub struct Marks {
    /// The warm-up's end, in seconds.
    pub warmup_s: f64,
    /// Whether the warm-up's band is labelled.
    pub warmup_label: bool,
    /// Windows: start and end in seconds, and a label.
    pub windows: Vec<(f64, f64, String)>,
    /// Instants: the time in seconds, and a label.
    pub instants: Vec<(f64, String)>,
}

/// The indices kept when `n` samples are drawn with at most `max` points:
/// every k-th, and the last.
pub fn stride(n: usize, max: usize) -> Vec<usize> {
    let k = n.div_ceil(max.max(1)).max(1);
    let mut out: Vec<usize> = (0..n).step_by(k).collect();
    if n > 0 && out.last() != Some(&(n - 1)) {
        out.push(n - 1);
    }
    out
}

/// `xs`, `ys` drawn with at most about `max` points: in buckets of
/// consecutive samples, the lowest and the highest of each, in time order,
/// so that a spike between two drawn points is never lost.
pub fn min_max(xs: &[f64], ys: &[f64], max: usize) -> Vec<(f64, f64)> {
    let n = xs.len().min(ys.len());
    let k = n.div_ceil((max / 2).max(1)).max(1);
    if k <= 2 {
        return (0..n).map(|i| (xs[i], ys[i])).collect();
    }
    let mut out = Vec::with_capacity(2 * n / k + 2);
    let mut start = 0;
    while start < n {
        let end = (start + k).min(n);
        let (mut lo, mut hi) = (start, start);
        for i in start..end {
            if ys[i] < ys[lo] {
                lo = i;
            }
            if ys[i] > ys[hi] {
                hi = i;
            }
        }
        let (a, b) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push((xs[a], ys[a]));
        if b != a {
            out.push((xs[b], ys[b]));
        }
        start = end;
    }
    out
}

/// A band from `lo` to `hi` drawn with at most about `max` points: per
/// bucket, the lowest of `lo` and the highest of `hi`, so the band drawn
/// holds every sample's.
fn envelope(xs: &[f64], lo: &[f64], hi: &[f64], max: usize) -> Vec<(f64, f64, f64)> {
    let n = xs.len().min(lo.len()).min(hi.len());
    let k = n.div_ceil(max.max(1)).max(1);
    let mut out = Vec::with_capacity(n / k + 1);
    let mut start = 0;
    while start < n {
        let end = (start + k).min(n);
        let l = lo[start..end].iter().copied().fold(f64::INFINITY, f64::min);
        let h = hi[start..end]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        out.push((xs[start], l, h));
        if end == n && end - 1 != start {
            out.push((xs[end - 1], l, h));
        }
        start = end;
    }
    out
}

/// Draws the warm-up, windows and instants of `marks` across `[0, y_max]`.
fn draw_marks<X, Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    axis: &TimeAxis,
    marks: &Marks,
    y_max: f64,
) -> DrawResult
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let label = font(13.0);
    if marks.warmup_s > 0.0 {
        let w = axis.at(marks.warmup_s);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, 0.0), (w, y_max)],
            palette::WARMUP.mix(0.07).filled(),
        )))?;
        if marks.warmup_label {
            chart.draw_series(std::iter::once(Text::new(
                "warm-up",
                (w * 0.02, y_max * 0.98),
                label.clone(),
            )))?;
        }
    }
    for (start, end, text) in &marks.windows {
        let (a, b) = (axis.at(*start), axis.at(*end).min(axis.max));
        chart.draw_series(std::iter::once(Rectangle::new(
            [(a, 0.0), (b, y_max)],
            palette::INCIDENT.mix(0.4).filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            text.clone(),
            (b, y_max * 0.98),
            label.clone(),
        )))?;
    }
    for (at, text) in &marks.instants {
        let x = axis.at(*at);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, 0.0), (x, y_max)],
            palette::MASS_FAULT.stroke_width(2),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            text.clone(),
            (x, y_max * 0.90),
            label.clone(),
        )))?;
    }
    Ok(())
}

/// One status's counts over time, with its 2.5% and 97.5% quantiles
/// across replications when there are several.
pub struct StatusSeries {
    /// The status.
    pub status: String,
    /// Its count at each sample.
    pub values: Vec<f64>,
    /// Its quantiles across replications, when R > 1.
    pub band: Option<(Vec<f64>, Vec<f64>)>,
}

/// Servers per status over time, stacked in [`palette::STACK_ORDER`], with
/// the population's 95% range across replications as a band when there is
/// one.
pub fn occupancy_stacked(
    id: &str,
    title: &str,
    axis: &TimeAxis,
    times_s: &[f64],
    layers: &[StatusSeries],
    population_band: Option<(&[f64], &[f64])>,
    marks: &Marks,
) -> Result<Chart> {
    let keep = stride(times_s.len(), axis.max_points);
    let xs: Vec<f64> = keep.iter().map(|&i| axis.at(times_s[i])).collect();
    // Cumulative tops of each layer at the kept samples.
    let mut tops: Vec<Vec<f64>> = Vec::with_capacity(layers.len());
    let mut below = vec![0.0; keep.len()];
    for l in layers {
        let top: Vec<f64> = keep
            .iter()
            .zip(&below)
            .map(|(&i, b)| b + l.values.get(i).copied().unwrap_or(0.0))
            .collect();
        below = top.clone();
        tops.push(top);
    }
    let band_max = population_band
        .map(|(_, hi)| hi.iter().copied().fold(0.0, f64::max))
        .unwrap_or(0.0);
    let y_max = below.iter().copied().fold(band_max, f64::max).max(1.0) * 1.06;
    // Where each drawn sample and the plotting area's top and bottom land,
    // for the readout.
    let mut placed: Option<(Vec<i32>, i32, i32)> = None;
    let mut chart = render(id, title, (WIDE, 400), |root, _| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(keyed(0.0..axis.max, axis.key_points()), 0.0..y_max)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(palette::GRID)
            .axis_style(palette::AXIS)
            .x_label_formatter(&|v| axis.label(*v))
            .y_label_formatter(&|v| count_label(*v))
            .x_desc(axis.desc())
            .y_desc("servers")
            .label_style(font(15.0))
            .axis_desc_style(font(15.0))
            .draw()?;
        let mut lower = vec![0.0; keep.len()];
        for (l, top) in layers.iter().zip(&tops) {
            if top.iter().zip(&lower).all(|(t, b)| t == b) {
                continue;
            }
            let mut pts: Vec<(f64, f64)> = xs.iter().copied().zip(top.iter().copied()).collect();
            pts.extend(xs.iter().copied().zip(lower.iter().copied()).rev());
            chart.draw_series(std::iter::once(Polygon::new(
                pts,
                palette::status(&l.status).filled(),
            )))?;
            lower = top.clone();
        }
        if let Some((lo, hi)) = population_band {
            let env = envelope(times_s, lo, hi, axis.max_points);
            for edge in [1, 2] {
                let pts: Vec<(f64, f64)> = env
                    .iter()
                    .map(|&(t, l, h)| (axis.at(t), if edge == 1 { l } else { h }))
                    .collect();
                chart.draw_series(std::iter::once(PathElement::new(
                    pts,
                    INK.mix(0.7).stroke_width(1),
                )))?;
            }
        }
        draw_marks(&mut chart, axis, marks, y_max)?;
        let px = xs
            .iter()
            .map(|x| chart.backend_coord(&(*x, 0.0)).0)
            .collect();
        placed = Some((
            px,
            chart.backend_coord(&(0.0, y_max)).1,
            chart.backend_coord(&(0.0, 0.0)).1,
        ));
        Ok(())
    })?;
    if let Some((px, top, bottom)) = placed {
        let series: Vec<serde_json::Value> = layers
            .iter()
            .filter(|l| {
                keep.iter()
                    .any(|&i| l.values.get(i).copied().unwrap_or(0.0) > 0.0)
            })
            .map(|l| {
                let values: Vec<f64> = keep
                    .iter()
                    .map(|&i| (l.values.get(i).copied().unwrap_or(0.0) * 100.0).round() / 100.0)
                    .collect();
                serde_json::json!([l.status, palette::hex(palette::status(&l.status)), values])
            })
            .collect();
        let times: Vec<String> = keep.iter().map(|&i| elapsed(times_s[i])).collect();
        chart.readout = Some(
            serde_json::json!({"px": px, "top": top, "bottom": bottom, "t": times, "s": series})
                .to_string(),
        );
        // The rule the script moves to the pointer, hidden until then.
        let close = chart.svg.rfind("</svg>").unwrap_or(chart.svg.len());
        chart.svg.insert_str(
            close,
            &format!(
                "<line class=\"rule\" x1=\"0\" x2=\"0\" y1=\"{top}\" y2=\"{bottom}\" stroke=\"#222222\" stroke-width=\"1\" visibility=\"hidden\"/>\n"
            ),
        );
    }
    Ok(chart)
}

/// Time since the start, as a day and a clock: `12 d 06:15`.
fn elapsed(t_s: f64) -> String {
    let minutes = (t_s / 60.0).round() as i64;
    format!(
        "{} d {:02}:{:02}",
        minutes / 1440,
        minutes % 1440 / 60,
        minutes % 60
    )
}

/// The rare statuses over time, a panel each, two to a row, each on a
/// scale of its own (their counts differ by orders of magnitude, and
/// drawn together the busiest hides the rest), with a band of its 95%
/// range across replications when there is one.
pub fn rare_lines(
    id: &str,
    title: &str,
    axis: &TimeAxis,
    times_s: &[f64],
    series: &[StatusSeries],
    marks: &Marks,
) -> Result<Chart> {
    const COLS: usize = 2;
    const PANEL_H: u32 = 190;
    let rows = series.len().div_ceil(COLS).max(1);
    let keys: Vec<f64> = axis.key_points_at_most(6);
    render(id, title, (WIDE, PANEL_H * rows as u32), |root, _| {
        let panels = root.split_evenly((rows, COLS));
        for (s, panel) in series.iter().zip(&panels) {
            let colour = palette::status(&s.status);
            let y_top = s
                .values
                .iter()
                .chain(s.band.iter().flat_map(|(_, hi)| hi.iter()))
                .copied()
                .fold(0.0, f64::max);
            let y_max = nice_ceiling((y_top * 1.05).max(1.0));
            let mut chart = ChartBuilder::on(panel)
                .margin(6)
                .margin_right(18)
                .caption(&s.status, font(16.0))
                .x_label_area_size(26)
                .y_label_area_size(56)
                .build_cartesian_2d(keyed(0.0..axis.max, keys.clone()), 0.0..y_max)?;
            chart
                .configure_mesh()
                .light_line_style(TRANSPARENT)
                .bold_line_style(palette::GRID)
                .axis_style(palette::AXIS)
                .x_label_formatter(&|v| axis.label(*v))
                .y_label_formatter(&|v| count_label(*v))
                .y_labels(4)
                .label_style(font(14.0))
                .draw()?;
            let quiet = Marks {
                warmup_label: false,
                windows: marks
                    .windows
                    .iter()
                    .map(|w| (w.0, w.1, String::new()))
                    .collect(),
                instants: marks
                    .instants
                    .iter()
                    .map(|i| (i.0, String::new()))
                    .collect(),
                ..marks.clone()
            };
            draw_marks(&mut chart, axis, &quiet, y_max)?;
            if let Some((lo, hi)) = &s.band {
                let env = envelope(times_s, lo, hi, axis.max_points / 4);
                let mut pts: Vec<(f64, f64)> =
                    env.iter().map(|&(t, _, h)| (axis.at(t), h)).collect();
                pts.extend(env.iter().rev().map(|&(t, l, _)| (axis.at(t), l)));
                chart.draw_series(std::iter::once(Polygon::new(
                    pts,
                    colour.mix(0.25).filled(),
                )))?;
            }
            let pts: Vec<(f64, f64)> = min_max(times_s, &s.values, axis.max_points / 2)
                .into_iter()
                .map(|(t, v)| (axis.at(t), v))
                .collect();
            chart.draw_series(LineSeries::new(pts, colour.stroke_width(1)))?;
        }
        Ok(())
    })
}

/// One row of a bar chart: a label, a value with its interval, a colour,
/// and where the value came from.
pub struct Bar {
    /// The label on the axis.
    pub label: String,
    /// The value (`None`: undefined, no bar).
    pub value: Option<f64>,
    /// Its 95% interval, when there is one.
    pub ci: Option<(f64, f64)>,
    /// The bar's colour.
    pub colour: RGBColor,
    /// The hover title.
    pub title: String,
    /// Where the value came from.
    pub cell: Option<Cell>,
}

/// Shares of instance-time per status, as horizontal bars on a log scale
/// (the statuses span five orders of magnitude), with CI whiskers and the
/// value written at the end of each bar.
pub fn share_bars(id: &str, title: &str, bars: &[Bar]) -> Result<Chart> {
    let smallest = bars
        .iter()
        .flat_map(|b| b.value.into_iter().chain(b.ci.map(|c| c.0)))
        .filter(|v| *v > 0.0)
        .fold(1.0, f64::min);
    let floor = 10f64.powf(smallest.log10().floor()).clamp(1e-8, 0.1);
    let keys: Vec<f64> = (0..)
        .map(|e| floor * 10f64.powi(e))
        .take_while(|v| *v <= 1.0 + 1e-12)
        .collect();
    horizontal_bars(
        id,
        title,
        bars,
        Scale::Log {
            floor,
            top: 1.0,
            keys,
        },
        "share of instance-time (log scale)",
        &|v| pct_label(v),
        &pct_axis,
    )
}

/// The x scale of [`horizontal_bars`].
enum Scale {
    /// Logarithmic from `floor` to `top`, labelled at `keys`.
    Log {
        floor: f64,
        top: f64,
        keys: Vec<f64>,
    },
    /// Linear from 0 to `top`.
    Linear { top: f64 },
}

/// Horizontal bars with whiskers, one row per bar, the first on top.
fn horizontal_bars(
    id: &str,
    title: &str,
    bars: &[Bar],
    scale: Scale,
    x_desc: &str,
    value_label: &dyn Fn(f64) -> String,
    axis_label: &dyn Fn(f64) -> String,
) -> Result<Chart> {
    let n = bars.len().max(1);
    let height = 60 + 30 * n as u32;
    let label_width = bars
        .iter()
        .map(|b| b.label.len())
        .max()
        .unwrap_or(4)
        .clamp(6, 40) as u32
        * 8
        + 16;
    let y_of = |i: usize| (n - 1 - i) as f64;
    render(id, title, (WIDE, height), |root, hovers| {
        let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
        let row_label = |v: &f64| {
            let i = n as f64 - 1.0 - v.round();
            labels.get(i as usize).cloned().unwrap_or_default()
        };
        let y_keys: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let y_range = keyed(-0.6..(n as f64 - 0.4), y_keys);
        macro_rules! draw_bars {
            ($chart:ident, $floor:expr, $top:expr) => {{
                $chart
                    .configure_mesh()
                    .disable_y_mesh()
                    .light_line_style(TRANSPARENT)
                    .bold_line_style(palette::GRID)
                    .axis_style(palette::AXIS)
                    .x_label_formatter(&|v| axis_label(*v))
                    .y_label_formatter(&row_label)
                    .x_desc(x_desc)
                    .label_style(font(15.0))
                    .axis_desc_style(font(15.0))
                    .draw()?;
                for (i, b) in bars.iter().enumerate() {
                    let y = y_of(i);
                    if let Some(v) = b.value {
                        let end = v.clamp($floor, $top);
                        if v > 0.0 {
                            $chart.draw_series(std::iter::once(Rectangle::new(
                                [($floor, y - 0.32), (end, y + 0.32)],
                                b.colour.filled(),
                            )))?;
                        }
                        let mut label_at = end;
                        if let Some((lo, hi)) = b.ci {
                            let (lo, hi) = (lo.clamp($floor, $top), hi.clamp($floor, $top));
                            let (a, py) = $chart.backend_coord(&(lo, y));
                            let (b, _) = $chart.backend_coord(&(hi, y));
                            whisker(root, (a, py), (b, py), 5)?;
                            label_at = label_at.max(hi);
                        }
                        let (px, py) = $chart.backend_coord(&(label_at, y));
                        root.draw(&Text::new(value_label(v), (px + 6, py - 7), font(14.0)))?;
                    } else {
                        let (px, py) = $chart.backend_coord(&($floor, y));
                        root.draw(&Text::new("none", (px + 6, py - 7), font(14.0)))?;
                    }
                    let (x0, y0) = $chart.backend_coord(&($floor, y + 0.5));
                    let (x1, y1) = $chart.backend_coord(&($top, y - 0.5));
                    hovers.push(Hover {
                        shape: Shape::Rect((x0, y0), (x1, y1)),
                        title: b.title.clone(),
                        cell: b.cell.clone(),
                    });
                }
            }};
        }
        match &scale {
            Scale::Log { floor, top, keys } => {
                let mut chart = ChartBuilder::on(root)
                    .margin(10)
                    .margin_right(90)
                    .x_label_area_size(44)
                    .y_label_area_size(label_width)
                    .build_cartesian_2d(keyed_log(*floor..*top, keys.clone()), y_range)?;
                draw_bars!(chart, *floor, *top);
            }
            Scale::Linear { top } => {
                let mut chart = ChartBuilder::on(root)
                    .margin(10)
                    .margin_right(90)
                    .x_label_area_size(44)
                    .y_label_area_size(label_width)
                    .build_cartesian_2d(0.0..*top, y_range)?;
                draw_bars!(chart, 0.0, *top);
            }
        }
        Ok(())
    })
}

/// An interval's whisker from `a` to `b` (SVG units), with caps of
/// `cap` on each side.
fn whisker(root: &Area, a: (i32, i32), b: (i32, i32), cap: i32) -> DrawResult {
    let style = INK.stroke_width(1);
    root.draw(&PathElement::new(vec![a, b], style))?;
    for (x, y) in [a, b] {
        let ends = if a.1 == b.1 {
            vec![(x, y - cap), (x, y + cap)]
        } else {
            vec![(x - cap, y), (x + cap, y)]
        };
        root.draw(&PathElement::new(ends, style))?;
    }
    Ok(())
}

/// Shares (blocked creates per pool, ...) as horizontal bars on a linear
/// scale from 0, with CI whiskers.
pub fn linear_share_bars(id: &str, title: &str, x_desc: &str, bars: &[Bar]) -> Result<Chart> {
    let top = bars
        .iter()
        .flat_map(|b| b.value.into_iter().chain(b.ci.map(|c| c.1)))
        .fold(0.0, f64::max);
    let top = nice_ceiling(top.max(1e-4) * 1.1);
    horizontal_bars(
        id,
        title,
        bars,
        Scale::Linear { top },
        x_desc,
        &|v| pct_label(v),
        &pct_axis,
    )
}

/// One row of a [`differences`] chart: a metric's difference B − A of two
/// shares, with its interval.
pub struct Difference {
    /// The label on the axis (`ERROR share`).
    pub label: String,
    /// B − A (`None`: undefined, no mark).
    pub diff: Option<f64>,
    /// Its 95% interval, when there is one.
    pub ci: Option<(f64, f64)>,
    /// Whether the interval excludes 0 (the mark is filled).
    pub significant: bool,
    /// The mark's colour.
    pub colour: RGBColor,
    /// The difference and its interval as text, written at the row's
    /// right end.
    pub text: String,
    /// The hover title.
    pub title: String,
    /// Where the difference came from.
    pub cell: Option<Cell>,
}

/// Differences B − A of shares, in percentage points: a row per metric, a
/// dot at the difference with its 95% interval as a whisker, on a linear
/// axis through 0, where a line marks no difference. A dot is filled when
/// its interval excludes 0, hollow when not. Each row's difference and
/// interval are also written at its right end, since a small difference
/// drawn beside a large one sits on the 0 line.
pub fn differences(id: &str, title: &str, rows: &[Difference]) -> Result<Chart> {
    let n = rows.len().max(1);
    let (lo, hi) = rows
        .iter()
        .flat_map(|r| {
            r.diff
                .into_iter()
                .chain(r.ci.into_iter().flat_map(|c| [c.0, c.1]))
        })
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    // No spread at all (identical studies): a narrow axis around 0.
    let span = if hi > lo { hi - lo } else { 2e-4 };
    let (x_lo, x_hi) = if hi > lo {
        (lo - 0.08 * span, hi + 0.08 * span)
    } else {
        (-span / 2.0, span / 2.0)
    };
    let label_width = rows
        .iter()
        .map(|r| r.label.len())
        .max()
        .unwrap_or(4)
        .clamp(6, 40) as u32
        * 8
        + 16;
    let text_width = rows
        .iter()
        .map(|r| r.text.chars().count())
        .max()
        .unwrap_or(10)
        .clamp(10, 60) as i32
        * 8
        + 24;
    let y_of = |i: usize| (n - 1 - i) as f64;
    render(id, title, (WIDE, 70 + 30 * n as u32), |root, hovers| {
        let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
        let row_label = |v: &f64| {
            let i = n as f64 - 1.0 - v.round();
            labels.get(i as usize).cloned().unwrap_or_default()
        };
        let y_keys: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .margin_right(text_width)
            .x_label_area_size(44)
            .y_label_area_size(label_width)
            .build_cartesian_2d(x_lo..x_hi, keyed(-0.6..(n as f64 - 0.4), y_keys))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(palette::GRID)
            .axis_style(palette::AXIS)
            .x_label_formatter(&|v| points_axis(*v))
            .y_label_formatter(&row_label)
            .x_desc("B − A in percentage points (the dark line: no difference)")
            .label_style(font(15.0))
            .axis_desc_style(font(15.0))
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, -0.6), (0.0, n as f64 - 0.4)],
            INK.stroke_width(2),
        )))?;
        for (i, r) in rows.iter().enumerate() {
            let y = y_of(i);
            if let Some((lo, hi)) = r.ci {
                let a = chart.backend_coord(&(lo, y));
                let b = chart.backend_coord(&(hi, y));
                whisker(root, a, b, 6)?;
            }
            if let Some(d) = r.diff {
                let style = if r.significant {
                    r.colour.filled()
                } else {
                    r.colour.stroke_width(2)
                };
                chart.draw_series(std::iter::once(Circle::new((d, y), 5, style)))?;
            }
            let (right, py) = chart.backend_coord(&(x_hi, y));
            root.draw(&Text::new(r.text.clone(), (right + 12, py - 7), font(14.0)))?;
            let (x0, y0) = chart.backend_coord(&(x_lo, y + 0.5));
            let (x1, y1) = chart.backend_coord(&(x_hi, y - 0.5));
            hovers.push(Hover {
                shape: Shape::Rect((x0, y0), (x1, y1)),
                title: r.title.clone(),
                cell: r.cell.clone(),
            });
        }
        Ok(())
    })
}

/// A difference of shares on an axis, in percentage points, signed and
/// without trailing zeros: `+2.5`, `0`, `-0.001`.
fn points_axis(v: f64) -> String {
    let text = format!("{:.8}", v * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "0" | "-0" => "0".into(),
        t if t.starts_with('-') => t.into(),
        t => format!("+{t}"),
    }
}

/// One status's sojourn quantiles.
pub struct Sojourn {
    /// The status.
    pub status: String,
    /// p50, p95 and p99, in seconds, each with where it came from.
    pub quantiles: [(Option<f64>, Option<Cell>); 3],
}

/// Sojourn p50, p95 and p99 per status on a log time axis: a line from
/// p50 to p99, a dot at p50, a triangle at p95 and a cross at p99.
pub fn sojourns(id: &str, title: &str, rows: &[Sojourn]) -> Result<Chart> {
    let values = rows
        .iter()
        .flat_map(|r| r.quantiles.iter().filter_map(|q| q.0))
        .filter(|v| *v > 0.0);
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = if lo.is_finite() {
        (lo / 2.0, hi * 2.0)
    } else {
        (1.0, 86400.0)
    };
    let keys: Vec<f64> = [
        0.001,
        0.01,
        0.1,
        1.0,
        10.0,
        60.0,
        600.0,
        3600.0,
        6.0 * 3600.0,
        86400.0,
        7.0 * 86400.0,
        30.0 * 86400.0,
        365.0 * 86400.0,
    ]
    .into_iter()
    .filter(|k| *k >= lo && *k <= hi)
    .collect();
    let n = rows.len().max(1);
    let y_of = |i: usize| (n - 1 - i) as f64;
    render(id, title, (WIDE, 60 + 30 * n as u32), |root, hovers| {
        let labels: Vec<String> = rows.iter().map(|r| r.status.clone()).collect();
        let row_label = |v: &f64| {
            let i = n as f64 - 1.0 - v.round();
            labels.get(i as usize).cloned().unwrap_or_default()
        };
        let y_keys: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .margin_right(40)
            .x_label_area_size(44)
            .y_label_area_size(130)
            .build_cartesian_2d(
                keyed_log(lo..hi, keys),
                keyed(-0.6..(n as f64 - 0.4), y_keys),
            )?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(palette::GRID)
            .axis_style(palette::AXIS)
            .x_label_formatter(&|v| duration(*v))
            .y_label_formatter(&row_label)
            .x_desc(
                "time spent in the status per stay (log scale): dot p50, triangle p95, cross p99",
            )
            .label_style(font(15.0))
            .axis_desc_style(font(15.0))
            .draw()?;
        for (i, r) in rows.iter().enumerate() {
            let y = y_of(i);
            let colour = palette::status(&r.status);
            let [(p50, _), (p95, _), (p99, _)] = &r.quantiles;
            if let (Some(a), Some(b)) = (p50, p99) {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(a.max(lo), y), (b.max(lo), y)],
                    colour.stroke_width(3),
                )))?;
            }
            if let Some(v) = p50 {
                chart.draw_series(std::iter::once(Circle::new(
                    (v.max(lo), y),
                    6,
                    colour.filled(),
                )))?;
            }
            if let Some(v) = p95 {
                chart.draw_series(std::iter::once(TriangleMarker::new(
                    (v.max(lo), y),
                    7,
                    colour.filled(),
                )))?;
            }
            if let Some(v) = p99 {
                chart.draw_series(std::iter::once(Cross::new(
                    (v.max(lo), y),
                    6,
                    colour.stroke_width(3),
                )))?;
            }
            for ((v, cell), name) in r.quantiles.iter().zip(["p50", "p95", "p99"]) {
                if let Some(v) = v {
                    let c = chart.backend_coord(&(v.max(lo), y));
                    hovers.push(Hover {
                        shape: Shape::Circle(c, 8),
                        title: format!("{}: {name} {}", r.status, duration(*v)),
                        cell: cell.clone(),
                    });
                }
            }
        }
        Ok(())
    })
}

/// One operation's requests by outcome (counts, or means across
/// replications), in the order of [`palette::OUTCOMES`].
pub struct OperationRow {
    /// The operation.
    pub operation: String,
    /// Requests made.
    pub requested: f64,
    /// Requests per outcome.
    pub outcomes: [f64; 6],
}

/// What became of each operation's requests: a bar per operation split by
/// outcome, as shares of its requests (the numbers are in the table).
pub fn operations(id: &str, title: &str, rows: &[OperationRow]) -> Result<Chart> {
    let n = rows.len().max(1);
    let y_of = |i: usize| (n - 1 - i) as f64;
    render(id, title, (WIDE, 60 + 28 * n as u32), |root, hovers| {
        let labels: Vec<String> = rows.iter().map(|r| r.operation.clone()).collect();
        let row_label = |v: &f64| {
            let i = n as f64 - 1.0 - v.round();
            labels.get(i as usize).cloned().unwrap_or_default()
        };
        let y_keys: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .margin_right(150)
            .x_label_area_size(44)
            .y_label_area_size(130)
            .build_cartesian_2d(0.0..1.0, keyed(-0.6..(n as f64 - 0.4), y_keys))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(palette::GRID)
            .axis_style(palette::AXIS)
            .x_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .y_label_formatter(&row_label)
            .x_desc("share of the operation's requests")
            .label_style(font(15.0))
            .axis_desc_style(font(15.0))
            .draw()?;
        for (i, r) in rows.iter().enumerate() {
            let y = y_of(i);
            let mut at = 0.0;
            for ((name, colour), count) in palette::OUTCOMES.iter().zip(r.outcomes) {
                if count <= 0.0 || r.requested <= 0.0 {
                    continue;
                }
                let w = count / r.requested;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(at, y - 0.34), ((at + w).min(1.0), y + 0.34)],
                    colour.filled(),
                )))?;
                let (x0, y0) = chart.backend_coord(&(at, y + 0.34));
                let (x1, y1) = chart.backend_coord(&((at + w).min(1.0), y - 0.34));
                hovers.push(Hover {
                    shape: Shape::Rect((x0, y0), (x1, y1)),
                    title: format!(
                        "{}: {} {name} of {} requested ({})",
                        r.operation,
                        count_text(count),
                        count_text(r.requested),
                        pct_label(w)
                    ),
                    cell: None,
                });
                at += w;
            }
            let (px, py) = chart.backend_coord(&(1.0, y));
            root.draw(&Text::new(
                format!("{} requested", count_text(r.requested)),
                (px + 8, py - 7),
                font(14.0),
            ))?;
        }
        Ok(())
    })
}

/// A pool's utilisation over time against its capacity: the utilisation
/// (its 95% range across replications as a band), the share of its hosts
/// up, and the whole pool (100%).
#[allow(clippy::too_many_arguments)]
pub fn utilisation(
    id: &str,
    title: &str,
    axis: &TimeAxis,
    times_s: &[f64],
    used: &[f64],
    band: Option<(&[f64], &[f64])>,
    hosts_up: &[f64],
    marks: &Marks,
) -> Result<Chart> {
    let lowest = used
        .iter()
        .chain(hosts_up)
        .chain(band.iter().flat_map(|(lo, _)| lo.iter()))
        .copied()
        .fold(1.0, f64::min);
    let y_min = ((lowest - 0.05) * 10.0).floor().max(0.0) / 10.0;
    let y_max = 1.04;
    render(id, title, (WIDE, 300), |root, _| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(keyed(0.0..axis.max, axis.key_points()), y_min..y_max)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(palette::GRID)
            .axis_style(palette::AXIS)
            .x_label_formatter(&|v| axis.label(*v))
            .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .x_desc(axis.desc())
            .y_desc("share of the pool")
            .label_style(font(15.0))
            .axis_desc_style(font(15.0))
            .draw()?;
        let marks = Marks {
            warmup_s: marks.warmup_s,
            ..Marks::default()
        };
        // The warm-up's band starts at the axis' bottom.
        if marks.warmup_s > 0.0 {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y_min), (axis.at(marks.warmup_s), y_max)],
                palette::WARMUP.mix(0.07).filled(),
            )))?;
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 1.0), (axis.max, 1.0)],
            INK.stroke_width(1),
        )))?;
        if let Some((lo, hi)) = band {
            let env = envelope(times_s, lo, hi, axis.max_points / 2);
            let mut pts: Vec<(f64, f64)> = env.iter().map(|&(t, _, h)| (axis.at(t), h)).collect();
            pts.extend(env.iter().rev().map(|&(t, l, _)| (axis.at(t), l)));
            chart.draw_series(std::iter::once(Polygon::new(
                pts,
                palette::SERIES.mix(0.2).filled(),
            )))?;
        }
        let line = |ys: &[f64]| -> Vec<(f64, f64)> {
            min_max(times_s, ys, axis.max_points)
                .into_iter()
                .map(|(t, v)| (axis.at(t), v))
                .collect()
        };
        chart.draw_series(LineSeries::new(
            line(hosts_up),
            palette::SERIES2.stroke_width(2),
        ))?;
        chart.draw_series(LineSeries::new(line(used), palette::SERIES.stroke_width(2)))?;
        Ok(())
    })
}

/// One failure on the timeline.
pub struct Failure {
    /// When, in seconds.
    pub time_s: f64,
    /// Its row: `host general`, `rack`.
    pub row: String,
    /// A domain (rather than a single host).
    pub domain: bool,
    /// Servers it hit.
    pub servers_hit: f64,
    /// The hover title.
    pub title: String,
    /// Where its time came from.
    pub cell: Option<Cell>,
}

/// Host and domain failures on a timeline: a row per pool's hosts and per
/// domain level, a circle per failure sized by the servers it hit.
pub fn failures(
    id: &str,
    title: &str,
    axis: &TimeAxis,
    rows: &[String],
    events: &[Failure],
    warmup_s: f64,
) -> Result<Chart> {
    let n = rows.len().max(1);
    let y_of = |row: &str| {
        let i = rows.iter().position(|r| r == row).unwrap_or(0);
        (n - 1 - i) as f64
    };
    let biggest = events.iter().map(|e| e.servers_hit).fold(1.0, f64::max);
    render(id, title, (WIDE, 90 + 40 * n as u32), |root, hovers| {
        let row_label = |v: &f64| {
            let i = n as f64 - 1.0 - v.round();
            rows.get(i as usize).cloned().unwrap_or_default()
        };
        let y_keys: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(44)
            .y_label_area_size(180)
            .build_cartesian_2d(
                keyed(0.0..axis.max, axis.key_points()),
                keyed(-0.7..(n as f64 - 0.3), y_keys),
            )?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(palette::GRID)
            .axis_style(palette::AXIS)
            .x_label_formatter(&|v| axis.label(*v))
            .y_label_formatter(&row_label)
            .x_desc(axis.desc())
            .label_style(font(15.0))
            .axis_desc_style(font(15.0))
            .draw()?;
        if warmup_s > 0.0 {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, -0.7), (axis.at(warmup_s), n as f64 - 0.3)],
                palette::WARMUP.mix(0.07).filled(),
            )))?;
        }
        for e in events {
            let r = (3.0 + 11.0 * (e.servers_hit / biggest).sqrt()).round() as i32;
            let colour = if e.domain {
                palette::DOMAIN_FAILURE
            } else {
                palette::HOST_FAILURE
            };
            let at = (axis.at(e.time_s), y_of(&e.row));
            chart.draw_series(std::iter::once(Circle::new(
                at,
                r,
                colour.mix(0.55).filled(),
            )))?;
            chart.draw_series(std::iter::once(Circle::new(at, r, colour.stroke_width(1))))?;
            hovers.push(Hover {
                shape: Shape::Circle(chart.backend_coord(&at), r),
                title: e.title.clone(),
                cell: e.cell.clone(),
            });
        }
        Ok(())
    })
}

/// One point of a curve: x, the mean with its interval, and the sources.
pub struct CurvePoint {
    /// Its x.
    pub x: f64,
    /// The x as the file has it (`4000h`, `70`).
    pub x_label: String,
    /// The mean.
    pub mean: Option<f64>,
    /// Its interval.
    pub ci: Option<(f64, f64)>,
    /// The mark's colour.
    pub colour: RGBColor,
    /// The hover title.
    pub title: String,
    /// Where the mean came from.
    pub cell: Option<Cell>,
}

/// How a curve's y values are shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum YUnit {
    /// A share, shown in %.
    Share,
    /// A count or any other number.
    Number,
}

impl YUnit {
    /// A value as text.
    pub fn label(self, v: f64) -> String {
        match self {
            YUnit::Share => pct_label(v),
            YUnit::Number => count_label(v),
        }
    }

    /// A value on an axis.
    fn axis(self, v: f64) -> String {
        match self {
            YUnit::Share => pct_axis(v),
            YUnit::Number => count_label(v),
        }
    }
}

/// A metric against a parameter: the means joined by a line, each with its
/// CI as an error bar; `target` draws a horizontal line, `answer` a
/// vertical one.
#[allow(clippy::too_many_arguments)]
pub fn curve(
    id: &str,
    title: &str,
    size: (u32, u32),
    x_desc: &str,
    y_desc: &str,
    y_unit: YUnit,
    points: &[CurvePoint],
    target: Option<f64>,
    answer: Option<f64>,
) -> Result<Chart> {
    let xs: Vec<f64> = points.iter().map(|p| p.x).collect();
    let (x_lo, x_hi) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(*x), b.max(*x))
        });
    let (x_lo, x_hi) = if x_lo.is_finite() {
        let pad = ((x_hi - x_lo) * 0.06).max(0.5);
        (x_lo - pad, x_hi + pad)
    } else {
        (0.0, 1.0)
    };
    let ys = points
        .iter()
        .flat_map(|p| {
            p.mean
                .into_iter()
                .chain(p.ci.into_iter().flat_map(|c| [c.0, c.1]))
        })
        .chain(target);
    let (y_lo, y_hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    let (y_lo, y_hi) = if y_lo.is_finite() {
        let pad = ((y_hi - y_lo) * 0.1).max(y_hi.abs() * 0.002).max(1e-9);
        let lo = if y_lo >= 0.0 && y_lo - pad < 0.0 {
            0.0
        } else {
            y_lo - pad
        };
        // A share below 100% is not drawn on an axis that passes it.
        let hi = if y_unit == YUnit::Share && y_hi < 0.999 {
            (y_hi + pad).min(1.0)
        } else {
            y_hi + pad
        };
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    // Labels at the points themselves when they are few.
    let x_keys: Option<Vec<f64>> = (points.len() <= 12).then(|| {
        let mut k = xs.clone();
        k.sort_by(|a, b| a.total_cmp(b));
        k.dedup();
        k
    });
    let labels: Vec<(f64, String)> = points.iter().map(|p| (p.x, p.x_label.clone())).collect();
    let x_label = |v: &f64| {
        labels
            .iter()
            .find(|(x, _)| (x - v).abs() < 1e-9)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| trim_num(*v))
    };
    let small = size.0 < 600;
    let text = if small { 13.0 } else { 15.0 };
    render(id, title, size, |root, hovers| {
        let mut builder = ChartBuilder::on(root);
        builder
            .margin(10)
            .margin_right(if small { 14 } else { 24 })
            .x_label_area_size(40)
            .y_label_area_size(if small { 64 } else { 76 });
        macro_rules! body {
            ($chart:ident) => {{
                $chart
                    .configure_mesh()
                    .light_line_style(TRANSPARENT)
                    .bold_line_style(palette::GRID)
                    .axis_style(palette::AXIS)
                    .x_label_formatter(&x_label)
                    .y_label_formatter(&|v| y_unit.axis(*v))
                    .x_desc(x_desc)
                    .y_desc(y_desc)
                    .y_labels(6)
                    .label_style(font(text))
                    .axis_desc_style(font(text))
                    .draw()?;
                if let Some(t) = target {
                    $chart.draw_series(std::iter::once(PathElement::new(
                        vec![(x_lo, t), (x_hi, t)],
                        palette::TARGET.stroke_width(2),
                    )))?;
                    $chart.draw_series(std::iter::once(Text::new(
                        format!("target {}", y_unit.label(t)),
                        (x_lo, t),
                        font(13.0),
                    )))?;
                }
                if let Some(a) = answer {
                    $chart.draw_series(std::iter::once(PathElement::new(
                        vec![(a, y_lo), (a, y_hi)],
                        palette::verdict("pass").stroke_width(1),
                    )))?;
                }
                let line: Vec<(f64, f64)> = points
                    .iter()
                    .filter_map(|p| p.mean.map(|m| (p.x, m)))
                    .collect();
                $chart.draw_series(LineSeries::new(line, palette::AXIS.stroke_width(1)))?;
                for p in points {
                    let Some(m) = p.mean else { continue };
                    if let Some((lo, hi)) = p.ci {
                        $chart.draw_series(std::iter::once(ErrorBar::new_vertical(
                            p.x,
                            lo,
                            m,
                            hi,
                            p.colour.stroke_width(2),
                            10,
                        )))?;
                    }
                    $chart.draw_series(std::iter::once(Circle::new(
                        (p.x, m),
                        4,
                        p.colour.filled(),
                    )))?;
                    hovers.push(Hover {
                        shape: Shape::Circle($chart.backend_coord(&(p.x, m)), 7),
                        title: p.title.clone(),
                        cell: p.cell.clone(),
                    });
                }
            }};
        }
        match x_keys {
            Some(keys) => {
                let mut chart = builder.build_cartesian_2d(keyed(x_lo..x_hi, keys), y_lo..y_hi)?;
                body!(chart);
            }
            None => {
                let mut chart = builder.build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
                body!(chart);
            }
        }
        Ok(())
    })
}

/// One line of a [`distribution`] chart: its points (seconds, and a
/// probability), colour and width.
pub struct DistributionLine {
    /// The points, in order of x; a step function gives its corners.
    pub points: Vec<(f64, f64)>,
    /// Its colour.
    pub colour: RGBColor,
    /// Its width in SVG units.
    pub width: u32,
}

/// Round durations a log axis from `lo` to `hi` seconds is labelled at:
/// the coarse ones (1 s, 1 min, 10 min, 1 h, 1 d, ...) when three or more
/// fall inside, else finer ones (1, 2, 5 × 10ⁿ s, 30 s, 2 min, 6 h, ...).
fn duration_keys(lo: f64, hi: f64) -> Vec<f64> {
    const COARSE: [f64; 13] = [
        0.001,
        0.01,
        0.1,
        1.0,
        10.0,
        60.0,
        600.0,
        3600.0,
        6.0 * 3600.0,
        86400.0,
        7.0 * 86400.0,
        30.0 * 86400.0,
        365.0 * 86400.0,
    ];
    const FINE: [f64; 36] = [
        0.001,
        0.002,
        0.005,
        0.01,
        0.02,
        0.05,
        0.1,
        0.2,
        0.5,
        1.0,
        2.0,
        5.0,
        10.0,
        20.0,
        30.0,
        60.0,
        120.0,
        300.0,
        600.0,
        1200.0,
        1800.0,
        3600.0,
        2.0 * 3600.0,
        3.0 * 3600.0,
        6.0 * 3600.0,
        12.0 * 3600.0,
        86400.0,
        2.0 * 86400.0,
        5.0 * 86400.0,
        7.0 * 86400.0,
        14.0 * 86400.0,
        30.0 * 86400.0,
        90.0 * 86400.0,
        180.0 * 86400.0,
        365.0 * 86400.0,
        730.0 * 86400.0,
    ];
    let inside = |keys: &[f64]| -> Vec<f64> {
        keys.iter()
            .copied()
            .filter(|k| *k >= lo && *k <= hi)
            .collect()
    };
    let coarse = inside(&COARSE);
    if coarse.len() >= 3 {
        return coarse;
    }
    // Between two coarse durations there are at most two fine ones, so
    // with fewer than three coarse inside, the fine ones are few too.
    inside(&FINE)
}

/// Distribution functions of durations: each line's probability of a
/// duration at or below x, against x on a log axis from `range.0` to
/// `range.1` seconds labelled in round durations (`30 s`, `10 min`, `6 h`,
/// `7 d`). Lines are drawn in order, the last on top.
pub fn distribution(
    id: &str,
    title: &str,
    size: (u32, u32),
    range: (f64, f64),
    lines: &[DistributionLine],
) -> Result<Chart> {
    let (lo, hi) = range;
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Err(anyhow!(
            "drawing {id}: the duration axis {lo}..{hi} is empty"
        ));
    }
    let keys = duration_keys(lo, hi);
    render(id, title, size, |root, _| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .margin_right(20)
            .x_label_area_size(42)
            .y_label_area_size(58)
            .build_cartesian_2d(
                keyed_log(lo..hi, keys),
                keyed(0.0..1.0, vec![0.0, 0.25, 0.5, 0.75, 1.0]),
            )?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(palette::GRID)
            .axis_style(palette::AXIS)
            .x_label_formatter(&|v| duration(*v))
            .y_label_formatter(&|v| pct_axis(*v))
            .x_desc("duration (log scale)")
            .y_desc("at or below")
            .label_style(font(14.0))
            .axis_desc_style(font(14.0))
            .draw()?;
        for line in lines {
            let points: Vec<(f64, f64)> = line
                .points
                .iter()
                .map(|&(x, y)| (x.clamp(lo, hi), y.clamp(0.0, 1.0)))
                .collect();
            chart.draw_series(LineSeries::new(
                points,
                line.colour.stroke_width(line.width),
            ))?;
        }
        Ok(())
    })
}

/// A number without trailing zeros: `12`, `2.5`.
pub fn trim_num(v: f64) -> String {
    let s = format!("{:.3}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// A count on an axis: `1,500`, `2.5`.
fn count_label(v: f64) -> String {
    if v.abs() >= 1000.0 {
        thousands(v.round())
    } else {
        trim_num(v)
    }
}

/// A whole number with thousands separators: `12,345`.
pub fn thousands(v: f64) -> String {
    let neg = v < 0.0;
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if neg { format!("-{out}") } else { out }
}

/// A count for reading: thousands separators from 1,000, one decimal
/// from 100 (when it has one), three significant digits below (`1,234`,
/// `186.5`, `4.11`, `0.135`).
pub fn count_text(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 999.5 {
        thousands(v)
    } else if a >= 99.95 {
        let text = format!("{v:.1}");
        text.strip_suffix(".0").map_or(text.clone(), str::to_string)
    } else {
        let decimals = (2 - a.log10().floor() as i32).clamp(0, 6) as usize;
        let text = format!("{v:.decimals$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    }
}

/// A share as a percentage with three significant digits: `94.2%`,
/// `0.216%`, `0.00120%`; `0%` for zero.
pub fn pct_label(v: f64) -> String {
    let p = v * 100.0;
    if p == 0.0 {
        return "0%".into();
    }
    let decimals = (2 - p.abs().log10().floor() as i32).clamp(0, 7) as usize;
    format!("{p:.decimals$}%")
}

/// A share on an axis, as a percentage without trailing zeros: `0.001%`,
/// `2.5%`, `100%`.
pub fn pct_axis(v: f64) -> String {
    let p = v * 100.0;
    let text = format!("{p:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// A duration in seconds, in the unit that reads best: `45.2 s`, `12.5 min`,
/// `2.82 h`, `1.50 d`.
pub fn duration(s: f64) -> String {
    let (v, unit) = if s.abs() < 60.0 {
        (s, "s")
    } else if s.abs() < 3600.0 {
        (s / 60.0, "min")
    } else if s.abs() < 86400.0 {
        (s / 3600.0, "h")
    } else {
        (s / 86400.0, "d")
    };
    let decimals = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{v:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text} {unit}")
}

/// The smallest of 1, 2, 2.5 or 5 × 10^k at or above `v`.
fn nice_ceiling(v: f64) -> f64 {
    let e = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * e)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_max_keeps_every_spike() {
        let xs: Vec<f64> = (0..10_000).map(f64::from).collect();
        let mut ys = vec![1.0; 10_000];
        ys[4321] = 50.0;
        ys[8765] = -3.0;
        let drawn = min_max(&xs, &ys, 1000);
        assert!(drawn.len() <= 1002, "{}", drawn.len());
        assert!(drawn.contains(&(4321.0, 50.0)));
        assert!(drawn.contains(&(8765.0, -3.0)));
        // In time order.
        assert!(drawn.windows(2).all(|w| w[0].0 < w[1].0));
        // Few samples are drawn as they are.
        assert_eq!(min_max(&xs[..5], &ys[..5], 1000).len(), 5);
    }

    #[test]
    fn stride_keeps_the_last_sample() {
        let kept = stride(2881, 1000);
        assert!(kept.len() <= 1001);
        assert_eq!(kept.last(), Some(&2880));
        assert_eq!(stride(10, 1000), (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn envelope_holds_every_sample() {
        let xs: Vec<f64> = (0..3000).map(f64::from).collect();
        let lo: Vec<f64> = xs.iter().map(|x| (x / 100.0).sin()).collect();
        let hi: Vec<f64> = lo.iter().map(|v| v + 1.0).collect();
        let env = envelope(&xs, &lo, &hi, 500);
        assert!(env.len() <= 502);
        let min = lo.iter().copied().fold(f64::INFINITY, f64::min);
        assert_eq!(env.iter().map(|e| e.1).fold(f64::INFINITY, f64::min), min);
    }

    #[test]
    fn duration_axes_are_labelled_at_round_durations() {
        assert_eq!(
            duration_keys(0.5, 200_000.0),
            [1.0, 10.0, 60.0, 600.0, 3600.0, 21600.0, 86400.0]
        );
        // A narrow range gets finer labels, at least one.
        assert_eq!(duration_keys(40.0, 400.0), [60.0, 120.0, 300.0]);
        for lo in [0.001, 0.3, 7.0, 45.0, 1000.0, 50_000.0, 1e6] {
            assert!(!duration_keys(lo, lo * 4.0).is_empty(), "{lo}");
        }
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(pct_label(0.941714), "94.2%");
        assert_eq!(pct_label(0.00216), "0.216%");
        assert_eq!(pct_label(0.0000120), "0.00120%");
        assert_eq!(pct_label(0.0), "0%");
        assert_eq!(duration(10158.08), "2.82 h");
        assert_eq!(duration(45.0), "45 s");
        assert_eq!(duration(1_296_000.0), "15 d");
        assert_eq!(thousands(1861.76), "1,862");
        assert_eq!(thousands(123.0), "123");
        assert_eq!(count_text(4.110142), "4.11");
        assert_eq!(count_text(0.134547), "0.135");
        assert_eq!(count_text(2766.0), "2,766");
        assert_eq!(count_text(1861.761642), "1,862");
        assert_eq!(count_text(186.5), "186.5");
        assert_eq!(count_text(0.0), "0");
        assert_eq!(count_text(123.0), "123");
        assert_eq!(pct_axis(0.00001), "0.001%");
        assert_eq!(pct_axis(1.0), "100%");
        assert_eq!(points_axis(0.025), "+2.5");
        assert_eq!(points_axis(-0.00001), "-0.001");
        assert_eq!(points_axis(0.030000000000000002), "+3");
        assert_eq!(points_axis(-1e-15), "0");
    }
}
