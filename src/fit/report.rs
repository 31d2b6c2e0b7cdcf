//! fit_report.html, the page `fleetsim fit --report` writes beside the
//! scenario: what was read, one chart per fitted duration (its empirical
//! distribution against the fitted families), and every estimate of
//! fit_report.csv in a table. Drawn with the study report's page, charts
//! and colours, so it is as self-contained (inline style and SVG, no
//! script, nothing loaded).

use super::estimate::{Curves, Estimate};
use super::mle::{Family, Fitted};
use crate::output::files::FIT_REPORT_CSV;
use crate::report::charts::{self, DistributionLine};
use crate::report::html::{self, Figure, Page, Unit, esc};
use crate::report::palette;
use crate::report::read::Cell;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// The most steps an empirical distribution is drawn with: about one per
/// pixel of a chart two to a row.
const MAX_STEPS: usize = 600;

/// The points a fitted distribution function is drawn through.
const CURVE_POINTS: usize = 200;

/// The size of a chart, in SVG units (the page scales it to half its
/// width).
const SIZE: (u32, u32) = (580, 360);

/// What the page's header says of the fit.
pub struct Header<'a> {
    /// The logs, as given.
    pub logs: &'a [PathBuf],
    /// Rows read.
    pub rows: u64,
    /// Seconds of log, summed over the logs.
    pub observed_s: f64,
    /// Causes not fleetsim's, with their counts.
    pub unknown_causes: &'a [(String, u64)],
    /// The scenario written.
    pub scenario: &'a Path,
}

/// The page, and its number of charts, for `estimates` and `csv`, the
/// text of fit_report.csv written from them (the table shows its fields
/// as the file has them).
pub fn page(header: &Header<'_>, estimates: &[Estimate], csv: &[u8]) -> Result<(String, usize)> {
    let name = header.scenario.file_name().map_or_else(
        || header.scenario.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let logs: Vec<String> = header
        .logs
        .iter()
        .map(|p| esc(&p.display().to_string()))
        .collect();
    let mut facts = html::facts(&[
        ("scenario", esc(&name)),
        ("logs", logs.join(", ")),
        ("rows", charts::thousands(header.rows as f64)),
        ("time observed", charts::duration(header.observed_s)),
        ("estimates", estimates.len().to_string()),
        ("fleetsim", esc(env!("CARGO_PKG_VERSION"))),
    ]);
    for (cause, n) in header.unknown_causes {
        facts += &format!(
            "<p class=\"note\">{}</p>\n",
            esc(&format!("Unknown cause {cause:?}: {n} rows, not used."))
        );
    }
    let mut page = Page::new(&format!("fleetsim fit: {name}"), facts);
    page.footer(&format!(
        "Written by fleetsim {} with the scenario and fit_report.csv. The table is \
         fit_report.csv: each number carries the file, row and column it came from (data \
         attributes). An empirical distribution is drawn with at most {MAX_STEPS} steps (the \
         last of each run of steps closer than a pixel), a fitted one through {CURVE_POINTS} points.",
        env!("CARGO_PKG_VERSION")
    ));

    page.section("durations", "Fitted durations");
    page.note(
        "Each duration fitted by maximum likelihood: the sample's empirical distribution \
         (the Kaplan–Meier estimate when some durations are censored, i.e. known only to be \
         longer) as a step line, the distribution the scenario writes as a thick line, and \
         the other families fitted, lighter, with their AIC above the lowest. The duration \
         axis is logarithmic.",
    );
    let mut figures = Vec::new();
    let mut unfitted = Vec::new();
    let mut fixed = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for e in estimates {
        if seen.contains(&e.estimate.as_str()) {
            continue;
        }
        match &e.curves {
            Some(curves) => {
                seen.push(&e.estimate);
                figures.push(figure(e, curves)?);
            }
            // Every duration the same: written as that value, no curve.
            None if e.family == "fixed" => {
                seen.push(&e.estimate);
                fixed.push(format!("{} ({} s, n = {})", e.estimate, e.value, e.n));
            }
            // A duration's own rows, or the time to fault by exposure
            // when too few clocks ended in a fault to fit a family.
            None if !e.family.is_empty() && !e.estimate.ends_with(".weibull") => {
                seen.push(&e.estimate);
                unfitted.push(e.estimate.clone());
            }
            None => {}
        }
    }
    if figures.is_empty() {
        page.note("No duration had two different ended durations to fit.");
    }
    page.figure_grid(figures);
    if !fixed.is_empty() {
        page.note(&format!(
            "No chart for {}: every duration took the same time, written as that fixed value.",
            fixed.join(", ")
        ));
    }
    if !unfitted.is_empty() {
        page.note(&format!(
            "No chart for {}: fewer than two different ended durations to fit a family to.",
            unfitted.join(", ")
        ));
    }

    page.section("estimates", "Every estimate");
    page.note(
        "fit_report.csv: one row per estimated quantity, in the scenario's order, with its 95% \
         interval, its sample and, for a duration, the family written, its Kolmogorov–Smirnov \
         distance to the sample and each family's AIC.",
    );
    page.push(&table(csv)?);
    let charts = page.charts;
    Ok((page.finish(), charts))
}

/// The chart of one duration, with its legend and caption.
fn figure(e: &Estimate, curves: &Curves) -> Result<Figure> {
    let fit = &curves.fit;
    let (first, last) = match (fit.km.first(), fit.km.last()) {
        (Some(f), Some(l)) => (f.0, l.0),
        _ => anyhow::bail!(
            "{}: a fit without events (a bug of fleetsim fit)",
            e.estimate
        ),
    };
    let range = (first / 2.0, last.max(first * 2.0) * 2.0);
    let lowest = fit
        .candidates
        .iter()
        .map(|c| c.aic)
        .fold(f64::INFINITY, f64::min);
    let mut lines = Vec::new();
    let mut legend = vec![
        (
            if e.censored > 0 {
                "Kaplan–Meier (censored included)".to_string()
            } else {
                "empirical".to_string()
            },
            palette::EMPIRICAL,
        ),
        (
            format!(
                "{}, written: {}",
                curves.written.family.name(),
                params(&curves.written)
            ),
            palette::WRITTEN,
        ),
    ];
    for c in &fit.candidates {
        if same(c, &curves.written) {
            continue;
        }
        let colour = palette::family(c.family.name());
        lines.push(DistributionLine {
            points: curve(c, range),
            colour,
            width: 1,
        });
        let delta = c.aic - lowest;
        let aic = if delta == 0.0 {
            "lowest AIC".to_string()
        } else {
            format!("AIC +{}", charts::count_text(delta))
        };
        legend.push((format!("{}, {aic}", c.family.name()), colour));
    }
    lines.push(DistributionLine {
        points: curve(&curves.written, range),
        colour: palette::WRITTEN,
        width: 3,
    });
    lines.push(DistributionLine {
        points: steps(&fit.km, range, MAX_STEPS),
        colour: palette::EMPIRICAL,
        width: 1,
    });
    let id = format!("cdf-{}", crate::report::slug(&e.estimate));
    let chart = charts::distribution(&id, &e.estimate, SIZE, range, &lines)
        .with_context(|| format!("cannot draw {}", e.estimate))?;
    let against = if e.censored > 0 {
        "the Kaplan–Meier estimate"
    } else {
        "the empirical distribution"
    };
    let mut caption = format!(
        "Written: {} ({}), chosen by {}. KS {} against {against}; n = {} ended",
        curves.written.family.name(),
        params(&curves.written),
        curves.how,
        charts::count_text(fit.ks_of(&curves.written)),
        charts::thousands(e.n as f64),
    );
    if e.censored > 0 {
        caption += &format!(" (+{} censored)", charts::thousands(e.censored as f64));
    }
    if e.n_used < e.n {
        caption += &format!(
            ", a reservoir of {} of them used",
            charts::thousands(e.n_used as f64)
        );
    }
    caption.push('.');
    Ok(Figure {
        chart,
        title: e.estimate.clone(),
        legend: html::legend(&legend),
        caption,
    })
}

/// Whether two fits are one distribution.
fn same(a: &Fitted, b: &Fitted) -> bool {
    a.family == b.family && a.params == b.params
}

/// A family's parameters as the scenario writes them.
fn params(f: &Fitted) -> String {
    let (a, b) = f.params;
    match f.family {
        Family::Exponential => format!("mean {}", charts::duration(a)),
        Family::Lognormal => format!("mean {}, cv {}", charts::duration(a), charts::count_text(b)),
        Family::Gamma | Family::Weibull => format!(
            "shape {}, scale {}",
            charts::count_text(a),
            charts::duration(b)
        ),
    }
}

/// A fitted distribution function at [`CURVE_POINTS`] durations spread
/// evenly on the log axis over `range`.
fn curve(f: &Fitted, range: (f64, f64)) -> Vec<(f64, f64)> {
    let (lo, hi) = range;
    let last = (CURVE_POINTS - 1) as f64;
    (0..CURVE_POINTS)
        .map(|i| lo * (hi / lo).powf(i as f64 / last))
        .map(|x| (x, f.cdf(x)))
        .filter(|(_, y)| y.is_finite())
        .collect()
}

/// The corners of a step function over `range` that is 0 before its
/// first step and rises to `after` at each step `(x, after)`, drawn with
/// at most `max` steps: of the steps in each of `max` equal widths of the
/// log axis, the last.
fn steps(km: &[(f64, f64)], range: (f64, f64), max: usize) -> Vec<(f64, f64)> {
    let (lo, hi) = range;
    let width = (hi / lo).ln() / max as f64;
    let bin = |x: f64| ((x / lo).ln() / width).floor() as i64;
    let mut kept: Vec<(f64, f64)> = Vec::new();
    for (i, &(x, after)) in km.iter().enumerate() {
        let next_in_same = km.get(i + 1).is_some_and(|&(n, _)| bin(n) == bin(x));
        if !next_in_same {
            kept.push((x, after));
        }
    }
    let mut out = vec![(lo, 0.0)];
    let mut level = 0.0;
    for (x, after) in kept {
        out.push((x, level));
        out.push((x, after));
        level = after;
    }
    out.push((hi, level));
    out
}

/// How a column of fit_report.csv is shown in the table, for a row of
/// `quantity`.
fn unit(column: &str, quantity: &str) -> Unit {
    match (column, quantity) {
        ("value" | "ci95_low" | "ci95_high", "mean_s") => Unit::Seconds,
        ("value" | "ci95_low" | "ci95_high", "prob" | "share") => Unit::Share,
        _ => Unit::Count,
    }
}

/// Every row of fit_report.csv (its text `csv`) as a table, each number
/// carrying its source.
fn table(csv: &[u8]) -> Result<String> {
    let mut reader = csv::ReaderBuilder::new().from_reader(csv);
    let header = reader
        .headers()
        .context("fit_report.csv as written (a bug of fleetsim fit)")?
        .clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.context("fit_report.csv as written (a bug of fleetsim fit)")?;
        let field = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .to_string()
        };
        let (key, quantity) = (field("estimate"), field("quantity"));
        let cell = |col: &str| Cell {
            file: FIT_REPORT_CSV.to_string(),
            row: vec![
                ("estimate".to_string(), key.clone()),
                ("quantity".to_string(), quantity.clone()),
            ],
            col: col.to_string(),
            raw: field(col),
        };
        let show = |col: &str| html::value(Some(&cell(col)), unit(col, &quantity));
        let family = field("family");
        let mut row = vec![
            esc(&key),
            esc(&quantity),
            show("value"),
            html::interval(
                Some(&cell("ci95_low")),
                Some(&cell("ci95_high")),
                unit("value", &quantity),
            ),
            show("n"),
            show("censored"),
            show("n_used"),
            if family.is_empty() {
                "<span class=\"na\">—</span>".to_string()
            } else {
                esc(&family)
            },
        ];
        for col in [
            "ks",
            "aic_exponential",
            "aic_lognormal",
            "aic_gamma",
            "aic_weibull",
        ] {
            row.push(show(col));
        }
        rows.push(row);
    }
    Ok(html::table(
        &[
            "estimate",
            "quantity",
            "value",
            "95% CI",
            "n",
            "censored",
            "n_used",
            "family",
            "KS",
            "AIC exponential",
            "AIC lognormal",
            "AIC gamma",
            "AIC Weibull",
        ],
        &rows,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_steps_are_drawn_with_few_corners_rising_to_the_last() {
        let km: Vec<(f64, f64)> = (1..=50_000)
            .map(|i| (f64::from(i), f64::from(i) / 50_000.0))
            .collect();
        let drawn = steps(&km, (0.5, 100_000.0), 600);
        assert!(drawn.len() <= 2 * 600 + 2, "{}", drawn.len());
        assert_eq!(drawn.first(), Some(&(0.5, 0.0)));
        assert_eq!(drawn.last(), Some(&(100_000.0, 1.0)));
        // A step function: x never goes back, nor y down.
        assert!(
            drawn
                .windows(2)
                .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1)
        );
        // Few steps are drawn as they are.
        let few = steps(&km[..3], (0.5, 10.0), 600);
        assert_eq!(
            few,
            [
                (0.5, 0.0),
                (1.0, 0.0),
                (1.0, km[0].1),
                (2.0, km[0].1),
                (2.0, km[1].1),
                (3.0, km[1].1),
                (3.0, km[2].1),
                (10.0, km[2].1)
            ]
        );
    }
}
