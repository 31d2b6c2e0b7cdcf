//! A sweep's page: every key metric of `sweep.csv` against the swept
//! parameter, on a numeric axis in its unit, then each point's sections,
//! folded.

use super::charts::{self, CurvePoint, YUnit};
use super::html::{Page, esc, facts};
use super::palette;
use super::read::{Csv, Manifest, RunFiles};
use super::study::Study;
use super::{scenario_section, slug, study_facts};
use anyhow::Result;

/// How a swept parameter's values are placed on the x axis.
struct XAxis {
    /// Each point's x.
    xs: Vec<f64>,
    /// Each point's values as the scenario writes them.
    labels: Vec<String>,
    /// Each point's label on the axis, in the axis' unit.
    ticks: Vec<String>,
    /// The axis' description, with its unit.
    desc: String,
}

/// The x axis of a sweep: the first swept path's values, numbers as they
/// are, durations in hours or days, anything else (or several paths) by
/// point number.
fn sweep_axis(m: &Manifest, params: &[String]) -> XAxis {
    let points = m
        .sweep
        .as_ref()
        .map(|s| s.points.clone())
        .unwrap_or_default();
    let first: Vec<&serde_json::Value> = points.iter().filter_map(|p| p.values.first()).collect();
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let labels: Vec<String> = points
        .iter()
        .map(|p| p.values.iter().map(text).collect::<Vec<_>>().join(" · "))
        .collect();
    let path = params.first().cloned().unwrap_or_default();
    if params.len() == 1 && !first.is_empty() && first.len() == points.len() {
        if first.iter().all(|v| v.is_number()) {
            return XAxis {
                xs: first.iter().filter_map(|v| v.as_f64()).collect(),
                ticks: labels.clone(),
                labels,
                desc: path,
            };
        }
        let secs: Vec<f64> = first
            .iter()
            .filter_map(|v| v.as_str())
            .filter_map(|s| crate::input::units::parse_duration(s).ok())
            .map(|t| t.as_secs_f64())
            .collect();
        if secs.len() == points.len() {
            // In the unit the values are written in, when they share one
            // ("4000h", "2000h"); else hours, or days from two days up.
            let suffix = |v: &&serde_json::Value| {
                v.as_str()
                    .map(|s| s.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.'))
                    .unwrap_or("")
                    .to_string()
            };
            let written = suffix(&first[0]);
            let same = first.iter().all(|v| suffix(v) == written);
            let (unit_s, unit) = match written.as_str() {
                "s" if same => (1.0, "seconds"),
                "m" | "min" if same => (60.0, "minutes"),
                "h" if same => (3600.0, "hours"),
                "d" if same => (86400.0, "days"),
                _ if secs.iter().all(|s| *s >= 2.0 * 86400.0) => (86400.0, "days"),
                _ => (3600.0, "hours"),
            };
            return XAxis {
                xs: secs.iter().map(|s| s / unit_s).collect(),
                labels,
                ticks: secs.iter().map(|s| charts::trim_num(s / unit_s)).collect(),
                desc: format!("{path} ({unit})"),
            };
        }
    }
    XAxis {
        xs: (0..points.len()).map(|i| i as f64).collect(),
        ticks: labels.clone(),
        labels,
        desc: if params.len() == 1 {
            path
        } else {
            format!("point ({})", params.join(" · "))
        },
    }
}

/// The key metrics of `sweep.csv`: every column stem with a mean and a
/// 95% interval, the headline ones first (availability, ERROR share,
/// blocking, utilisation); mean counts are left to the shares.
fn sweep_metrics(sweep: &Csv) -> Vec<String> {
    let mut stems: Vec<String> = Vec::new();
    for name in sweep.columns() {
        if let Some(stem) = name.strip_suffix("_mean")
            && sweep.has(&format!("{stem}_ci95_low"))
            && sweep.has(&format!("{stem}_ci95_high"))
            && !stem.ends_with("_mean_count")
        {
            stems.push(stem.to_string());
        }
    }
    let rank = |s: &str| {
        if s.ends_with("_availability") {
            0
        } else if s.ends_with("_ERROR_share") {
            1
        } else if s.ends_with("_blocked_share") {
            2
        } else if s.ends_with("_utilisation_mean") {
            3
        } else {
            4
        }
    };
    stems.sort_by_key(|s| rank(s));
    stems
}

/// How a sweep metric reads: its title and unit.
fn metric_title(stem: &str) -> (String, YUnit) {
    let unit = if stem.ends_with("_share")
        || stem.ends_with("_availability")
        || stem.contains("_utilisation_")
    {
        YUnit::Share
    } else {
        YUnit::Number
    };
    (stem.replace('_', " "), unit)
}

/// The page of a sweep: its curves, then each point's full sections,
/// collapsed.
pub(super) fn sweep_page(m: &Manifest, sweep: &Csv, points: &[RunFiles]) -> Result<Page> {
    let params = m
        .sweep
        .as_ref()
        .map(|s| s.params.clone())
        .unwrap_or_default();
    let axis = sweep_axis(m, &params);
    let mut f = study_facts(m);
    f.insert(5, ("points", points.len().to_string()));
    f.insert(6, ("swept", esc(&params.join(", "))));
    if let Some((_, v)) = f.iter_mut().find(|(k, _)| *k == "replications") {
        *v = format!("{v} per point");
    }
    let mut page = Page::new(&format!("fleetsim report: {} (sweep)", m.name()), facts(&f));
    page.section("sweep", "Sweep");
    page.note(&format!(
        "Every key metric of sweep.csv against the swept parameter: the mean across {} replications per point, with its 95% confidence interval as an error bar. Replication r of every point sees the same workload (common random numbers), so the differences between points are the parameter's.",
        m.replications
    ));
    let stems = sweep_metrics(sweep);
    let rows: Vec<_> = sweep.rows().collect();
    let mut grid = Vec::new();
    for stem in &stems {
        let (title, unit) = metric_title(stem);
        let mean_col = format!("{stem}_mean");
        if rows.iter().all(|r| r.num(&mean_col).unwrap_or(0.0) == 0.0) {
            continue;
        }
        let pts: Vec<CurvePoint> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mean = r.num(&mean_col);
                let ci = match (
                    r.num(&format!("{stem}_ci95_low")),
                    r.num(&format!("{stem}_ci95_high")),
                ) {
                    (Some(a), Some(b)) => Some((a, b)),
                    _ => None,
                };
                let x_label = axis.labels.get(i).cloned().unwrap_or_default();
                CurvePoint {
                    x: axis.xs.get(i).copied().unwrap_or(i as f64),
                    x_label: axis.ticks.get(i).cloned().unwrap_or_default(),
                    mean,
                    ci,
                    colour: palette::SERIES,
                    title: format!(
                        "point {i} ({x_label}): {title} {}{}",
                        mean.map_or("no value".into(), |v| unit.label(v)),
                        ci.map_or(String::new(), |(a, b)| format!(
                            " (95% CI {} – {})",
                            unit.label(a),
                            unit.label(b)
                        ))
                    ),
                    cell: Some(r.cell(&["point"], &mean_col)),
                }
            })
            .collect();
        let chart = charts::curve(
            &format!("sweep-{}", slug(stem)),
            &format!("{title} against {}", axis.desc),
            (380, 280),
            &axis.desc,
            "",
            unit,
            &pts,
            None,
            None,
        )?;
        grid.push((chart, title));
    }
    if grid.is_empty() {
        page.note("sweep.csv has no metric that varies from zero.");
    } else {
        page.chart_grid(grid);
    }
    // The points, each a complete result of its own.
    for (i, p) in points.iter().enumerate() {
        let label = axis.labels.get(i).cloned().unwrap_or_default();
        page.push(&format!(
            "<details class=\"point\" id=\"point-{i}\"><summary>Point {i}: {} = {} <span class=\"na\">({})</span></summary>\n",
            esc(&params.join(" · ")),
            esc(&label),
            esc(&p.prefix)
        ));
        let title = move |h: &str| format!("Point {i}: {h}");
        // The points share a budget of four studies' points, so a page of
        // many points stays small (a point's charts are folded anyway).
        let study = Study::new(p, format!("p{i}-")).with_max_points(
            (4 * charts::MAX_POINTS / points.len().max(1))
                .clamp(charts::MAX_POINTS / 5, charts::MAX_POINTS),
        );
        // Sections inside a point stay inside its <details>.
        let mut inner = Page::new("", String::new());
        study.sections(&mut inner, &title)?;
        page.absorb(inner);
        page.push("</details>\n");
    }
    scenario_section(
        &mut page,
        &m.scenario,
        "Point 0's scenario, as the sweep's manifest.json records it; each point's folder holds its own.",
    );
    Ok(page)
}
