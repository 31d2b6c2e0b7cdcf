//! A plan's page: each pool's metric against its size, by verdict, with
//! the target and the answer, and every size evaluated.

use super::charts::{self, CurvePoint, YUnit};
use super::html::{Page, Unit, esc, facts, legend, table, value};
use super::palette;
use super::read::{Csv, PlanManifest};
use super::{scenario_section, slug, span};
use anyhow::Result;

/// The page of a plan: each pool's curve of the metric against its size,
/// with the target, and every size evaluated.
pub(super) fn plan_page(m: &PlanManifest, plan: &Csv) -> Result<Page> {
    let mut f = vec![
        ("scenario", esc(m.name())),
        (
            "file",
            esc(m.scenario_file.as_deref().unwrap_or("(not from a file)")),
        ),
        ("seed", m.seed.to_string()),
        ("horizon", span(m.horizon_s)),
        ("warm-up", span(m.warmup_s)),
        ("target", esc(&m.target)),
        ("confidence", charts::pct_axis(m.confidence)),
    ];
    if let (Some(a), Some(b)) = (m.start_replications, m.max_replications) {
        f.push(("replications", format!("{a} to {b} per size")));
    }
    if let Some(r) = m.replications_run {
        f.push(("replications run", charts::thousands(r as f64)));
    }
    f.push(("fleetsim", esc(&m.fleetsim_version)));
    if let Some(w) = m.wall_seconds {
        f.push(("wall time", format!("{w:.2} s")));
    }
    let mut page = Page::new(&format!("fleetsim report: {} (plan)", m.name()), facts(&f));
    page.section("plan", "Plan");
    let target: Option<f64> = m
        .target
        .split_whitespace()
        .last()
        .and_then(|v| v.parse().ok());
    let metric = m.target.split_whitespace().next().unwrap_or("").to_string();
    let unit = if metric.ends_with("share")
        || metric.starts_with("utilisation")
        || metric == "availability"
    {
        YUnit::Share
    } else {
        YUnit::Number
    };
    let conf = charts::pct_axis(m.confidence);
    for p in &m.pools {
        page.h3(&format!("Pool {} ({})", p.pool, p.kind));
        page.push(&format!(
            "<p class=\"headline\">{}</p>\n",
            match p.hosts {
                Some(h) => format!(
                    "Answer: <b>{h} hosts</b>, the fewest whose {conf} interval of {} meets {} <span class=\"note\">(search: {}; the file has {})</span>",
                    esc(&metric),
                    esc(&m.target),
                    esc(&p.outcome),
                    p.configured_hosts.map_or("?".into(), |c| c.to_string())
                ),
                None => format!(
                    "No answer: the largest size searched misses {} ({})",
                    esc(&m.target),
                    esc(&p.outcome)
                ),
            }
        ));
        let mut rows: Vec<_> = plan.rows().filter(|r| r.text("pool") == p.pool).collect();
        rows.sort_by(|a, b| {
            a.num("hosts")
                .unwrap_or(0.0)
                .total_cmp(&b.num("hosts").unwrap_or(0.0))
        });
        let keys = ["pool", "hosts"];
        let pts: Vec<CurvePoint> = rows
            .iter()
            .map(|r| {
                let hosts = r.num("hosts").unwrap_or(0.0);
                let mean = r.num("mean");
                let ci = match (r.num("ci_low"), r.num("ci_high")) {
                    (Some(a), Some(b)) => Some((a, b)),
                    _ => None,
                };
                let verdict = r.text("verdict");
                CurvePoint {
                    x: hosts,
                    x_label: charts::trim_num(hosts),
                    mean,
                    ci,
                    colour: palette::verdict(verdict),
                    title: format!(
                        "{} hosts, {} replications: {} {}{}: {verdict}",
                        charts::trim_num(hosts),
                        r.text("replications"),
                        metric,
                        mean.map_or("no value".into(), |v| unit.label(v)),
                        ci.map_or(String::new(), |(a, b)| format!(
                            " ({conf} CI {} – {})",
                            unit.label(a),
                            unit.label(b)
                        ))
                    ),
                    cell: Some(r.cell(&keys, "mean")),
                }
            })
            .collect();
        let chart = charts::curve(
            &format!("plan-{}", slug(&p.pool)),
            &format!("{metric} against the size of pool {}", p.pool),
            (charts::WIDE, 420),
            "hosts (nodes for a BMS pool) in the pool",
            &metric,
            unit,
            &pts,
            target,
            p.hosts.map(f64::from),
        )?;
        page.chart(
            chart,
            &format!(
                "Pool {}: {metric} at every size the search evaluated, with its {conf} confidence interval; the horizontal line is the target, the vertical one the answer.",
                p.pool
            ),
            &legend(&[
                ("pass".into(), palette::verdict("pass")),
                ("fail".into(), palette::verdict("fail")),
                ("undecided".into(), palette::verdict("undecided")),
            ]),
        );
        let table_rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let show = |c: &str| {
                    let unit = if matches!(unit, YUnit::Share) {
                        Unit::Share
                    } else {
                        Unit::Count
                    };
                    value(Some(&r.cell(&keys, c)), unit)
                };
                vec![
                    esc(r.text("hosts")),
                    value(Some(&r.cell(&keys, "replications")), Unit::Count),
                    show("mean"),
                    format!("{} – {}", show("ci_low"), show("ci_high")),
                    esc(r.text("verdict")),
                ]
            })
            .collect();
        page.push(&table(
            &[
                "hosts",
                "replications",
                "mean",
                &format!("{conf} CI"),
                "verdict",
            ],
            &table_rows,
        ));
    }
    scenario_section(
        &mut page,
        &m.scenario,
        "The scenario as plan.json records it, its pools at the sizes the file gives.",
    );
    Ok(page)
}
