//! A comparison's page (`fleetsim compare --report`, or `fleetsim report`
//! of a comparison's folder): the two studies and how they were compared;
//! per kind, the headline differences B − A with their intervals, as a
//! table and a chart, and the pools' likewise; every row of `compare.csv`,
//! folded; and the notes. Its numbers are read from `compare.csv`, each
//! carrying its row there.

use super::charts::{self, Difference};
use super::html::{Page, Unit, esc, facts, table, value};
use super::palette;
use super::read::{self, Cell, Csv};
use super::span;
use crate::compare::console::{self, Group};
use crate::compare::{Comparison, Method, Row};
use anyhow::Result;
use plotters::style::RGBColor;

/// The columns naming a row of `compare.csv`.
const KEYS: [&str; 4] = ["kind", "dimension", "name", "metric"];

/// The rows of the comparison, each with its line of `compare.csv`.
struct Rows<'a> {
    c: &'a Comparison,
    csv: Vec<read::Row<'a>>,
}

impl Rows<'_> {
    /// Column `col` of row `i` as the file has it, for a number.
    fn cell(&self, i: usize, col: &str) -> Cell {
        self.csv[i].cell(&KEYS, col)
    }

    /// Column `col` of row `i`, for a word (`method`, `significant`): not
    /// checked as a number.
    fn word(&self, i: usize, col: &str) -> Cell {
        let row = &self.csv[i];
        Cell {
            file: crate::output::files::COMPARE_CSV.to_string(),
            row: KEYS
                .iter()
                .map(|k| (k.to_string(), row.text(k).to_string()))
                .collect(),
            col: col.to_string(),
            raw: row.text(col).to_string(),
        }
    }

    /// Whether row `i`'s interval excludes 0, as a word carrying its
    /// source: `yes`, `no`, or a dash without an interval.
    fn significant(&self, i: usize) -> String {
        let c = self.word(i, "significant");
        let (class, text) = match c.raw.as_str() {
            "true" => (" class=\"sig\"", "yes"),
            "false" => ("", "no"),
            _ => (" class=\"na\"", "—"),
        };
        format!("<span{}{class}>{text}</span>", charts::source_attrs(&c))
    }

    /// Row `i`'s interval as `[low, high]`, each end carrying its source;
    /// a dash without one.
    fn interval(&self, i: usize, unit: Unit) -> String {
        let (lo, hi) = (self.cell(i, "ci95_low"), self.cell(i, "ci95_high"));
        if lo.value().is_some() && hi.value().is_some() {
            format!("[{}, {}]", value(Some(&lo), unit), value(Some(&hi), unit))
        } else {
            "<span class=\"na\" title=\"no interval\">—</span>".into()
        }
    }

    /// A headline row of a table: its label (HTML), A, B, B − A, the
    /// interval and whether it is significant.
    fn headline_row(&self, label: String, i: usize) -> Vec<String> {
        let d = Unit::Points(console::point_decimals(&self.c.rows[i]));
        vec![
            label,
            value(Some(&self.cell(i, "a_mean")), Unit::Share),
            value(Some(&self.cell(i, "b_mean")), Unit::Share),
            value(Some(&self.cell(i, "diff")), d),
            self.interval(i, d),
            self.significant(i),
        ]
    }

    /// A row of a differences chart.
    fn difference(&self, label: &str, what: &str, i: usize, colour: RGBColor) -> Difference {
        let r = &self.c.rows[i];
        let conf = charts::pct_axis(self.c.confidence);
        let decimals = console::point_decimals(r);
        let pp = |v: f64| console::points(v, decimals);
        let interval = r
            .ci95_low
            .zip(r.ci95_high)
            .map(|(lo, hi)| format!("[{}, {}]", pp(lo), pp(hi)));
        let significant = r.significant == Some(true);
        let text = match (r.diff, &interval) {
            (Some(d), Some(ci)) => format!("{} {ci}{}", pp(d), if significant { " *" } else { "" }),
            (Some(d), None) => format!("{} (no interval)", pp(d)),
            (None, _) => "undefined: a side has no value".into(),
        };
        let pct = |v: Option<f64>| v.map_or("no value".into(), charts::pct_label);
        let title = format!(
            "{what}: A {}, B {}; B − A {}{}",
            pct(r.a_mean),
            pct(r.b_mean),
            r.diff
                .map_or("undefined".into(), |d| format!("{} pp", pp(d))),
            match (&interval, significant) {
                (Some(ci), true) => format!(", {conf} CI {ci} pp, which excludes 0"),
                (Some(ci), false) => format!(", {conf} CI {ci} pp, which holds 0"),
                (None, _) => ", no interval".into(),
            }
        );
        Difference {
            label: label.to_string(),
            diff: r.diff,
            ci: r.ci95_low.zip(r.ci95_high),
            significant,
            colour,
            text,
            title,
            cell: Some(self.cell(i, "diff")),
        }
    }
}

/// How a metric of `compare.csv` is shown: its means, and its difference
/// and interval (a share's in percentage points).
fn units(r: &Row) -> (Unit, Unit) {
    let m = r.metric.as_str();
    if m == "share" || m == "availability" || m.ends_with("_share") || m.starts_with("utilisation")
    {
        (Unit::Share, Unit::Points(console::point_decimals(r)))
    } else if m.ends_with("_s") {
        (Unit::Seconds, Unit::Seconds)
    } else {
        (Unit::Count, Unit::Count)
    }
}

/// The page of a comparison; `file` is its `compare.csv`, row i of which
/// is `c.rows[i]`.
pub(super) fn compare_page(c: &Comparison, file: &Csv) -> Result<Page> {
    let rows = Rows {
        c,
        csv: file.rows().collect(),
    };
    let conf = charts::pct_axis(c.confidence);
    let significant = c
        .rows
        .iter()
        .filter(|r| r.significant == Some(true))
        .count();
    let mut header = table(
        &[
            "study",
            "folder",
            "scenario",
            "seed",
            "replications",
            "fleetsim",
        ],
        &[("A", &c.a), ("B", &c.b)]
            .iter()
            .map(|(label, s)| {
                vec![
                    label.to_string(),
                    esc(&s.folder),
                    esc(&s.scenario),
                    s.seed.to_string(),
                    s.replications.to_string(),
                    esc(&s.fleetsim_version),
                ]
            })
            .collect::<Vec<_>>(),
    );
    header.push_str(&facts(&[
        ("horizon", span(c.horizon_s)),
        ("warm-up", span(c.warmup_s)),
        ("method", esc(c.method.name())),
        ("confidence", esc(&conf)),
        (
            "metrics",
            format!(
                "{} compared, {significant} significant",
                charts::thousands(c.rows.len() as f64)
            ),
        ),
        ("fleetsim", esc(&c.fleetsim_version)),
    ]));
    header.push_str(&format!(
        "<p class=\"headline\">B − A with {conf} intervals: {}</p>\n",
        esc(&c.method_reason)
    ));
    let mut page = Page::new(
        &format!(
            "fleetsim report: {} against {} (B − A)",
            c.b.scenario, c.a.scenario
        ),
        header,
    );

    let groups = console::headline(c);
    let (kinds, pools): (Vec<&Group>, Vec<&Group>) = groups.iter().partition(|g| g.pool.is_none());
    let columns = [
        "metric",
        "A",
        "B",
        "B − A (pp)",
        &format!("{conf} interval (pp)"),
        "significant",
    ];
    page.section("headline", "Headline differences");
    page.note(&format!(
        "Per kind: availability, and the share of instance-time of each status either study saw. A and B are each study's mean{}; B − A is the difference in percentage points (pp) with its {conf} confidence interval. Significant: the interval excludes 0 (each row on its own).",
        if c.method == Method::Paired {
            " (over the pairs of replications)"
        } else {
            ""
        }
    ));
    if c.method == Method::None {
        page.note(
            "No intervals: each side needs at least 2 replications for one (see the method above).",
        );
    }
    if kinds.is_empty() {
        page.note("The studies simulate no kind: there is nothing to show.");
    }
    for g in &kinds {
        let upper = g.heading.to_uppercase();
        page.h3(&upper);
        let table_rows: Vec<Vec<String>> = g
            .lines
            .iter()
            .map(|(label, i)| {
                let r = &c.rows[*i];
                let swatch = if r.dimension == "status" {
                    format!(
                        "<i class=\"sw\" style=\"background:{}\"></i>",
                        palette::hex(palette::status(&r.name))
                    )
                } else {
                    String::new()
                };
                rows.headline_row(format!("{swatch}{}", esc(label)), *i)
            })
            .collect();
        page.push(&table(&columns, &table_rows));
        let diffs: Vec<Difference> = g
            .lines
            .iter()
            .map(|(label, i)| {
                let r = &c.rows[*i];
                let colour = if r.dimension == "status" {
                    palette::status(&r.name)
                } else {
                    palette::SERIES
                };
                rows.difference(label, &format!("{upper} {label}"), *i, colour)
            })
            .collect();
        let chart = charts::differences(
            &format!("compare-{}", g.heading),
            &format!("{upper}: B − A per headline metric, in percentage points"),
            &diffs,
        )?;
        page.chart(
            chart,
            &format!(
                "{upper}: each headline metric's difference B − A in percentage points, with its {conf} interval as a whisker; a filled dot: the interval excludes 0; a hollow one: it holds 0. The figures are written at the right (* significant)."
            ),
            "",
        );
    }
    if !pools.is_empty() {
        page.section("pools", "Pools");
        page.note(&format!(
            "Per pool: the share of its creates blocked (no valid host) and its mean utilisation, B − A in percentage points with its {conf} interval."
        ));
        let mut table_rows = Vec::new();
        let mut diffs = Vec::new();
        for g in &pools {
            let pool = g.pool.as_deref().unwrap_or_default();
            for (metric, i) in &g.lines {
                let label = format!("{pool} {metric}");
                table_rows.push(rows.headline_row(
                    format!("{} <span class=\"na\">{}</span>", esc(pool), esc(metric)),
                    *i,
                ));
                let colour = if metric == "blocked_share" {
                    palette::SERIES
                } else {
                    palette::SERIES2
                };
                diffs.push(rows.difference(&label, &format!("pool {label}"), *i, colour));
            }
        }
        page.push(&table(&columns, &table_rows));
        let chart = charts::differences(
            "compare-pools",
            "pools: B − A in blocking and utilisation, in percentage points",
            &diffs,
        )?;
        page.chart(
            chart,
            &format!(
                "Each pool's blocked share and mean utilisation, B − A in percentage points with its {conf} interval; filled: significant."
            ),
            "",
        );
    }

    page.section("all", "Every metric");
    page.note(&format!(
        "Every row of compare.csv: per metric of summary.csv, operations.csv, availability.csv{} of both studies, A's and B's means and B − A with its {conf} interval (shares in %, their differences in percentage points; counts and durations as they are). df: the degrees of freedom of the t quantile; n: the values used on each side (the pairs, when paired).",
        if c.rows.iter().any(|r| r.dimension == "pool") {
            " and capacity_summary.csv"
        } else {
            ""
        }
    ));
    let all: Vec<Vec<String>> = c
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let (mean, diff) = units(r);
            let name: Vec<&str> = [r.kind.as_str(), &r.dimension, &r.name]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            vec![
                esc(&name.join(" · ")),
                esc(&r.metric),
                value(Some(&rows.cell(i, "a_mean")), mean),
                value(Some(&rows.cell(i, "b_mean")), mean),
                value(Some(&rows.cell(i, "diff")), diff),
                rows.interval(i, diff),
                value(Some(&rows.cell(i, "df")), Unit::Count),
                esc(rows.csv[i].text("method")),
                value(Some(&rows.cell(i, "n_a")), Unit::Count),
                value(Some(&rows.cell(i, "n_b")), Unit::Count),
                rows.significant(i),
            ]
        })
        .collect();
    page.push(&format!(
        "<details><summary>All {} metrics of compare.csv ({significant} with a significant difference)</summary>\n{}</details>\n",
        charts::thousands(c.rows.len() as f64),
        table(
            &[
                "row",
                "metric",
                "A",
                "B",
                "B − A",
                &format!("{conf} interval"),
                "df",
                "method",
                "n A",
                "n B",
                "significant",
            ],
            &all
        )
    ));

    page.section("notes", "Notes");
    let mut notes: Vec<String> = c.notes.iter().map(|n| esc(n)).collect();
    if c.notes.is_empty() {
        notes.push(
            "Nothing to note: every column of the files both studies have was compared, and both were run by the same fleetsim version with the same layout of files."
                .into(),
        );
    }
    notes.push(format!(
        "Each interval is for its own row: about 1 in {} of the rows that do not really differ comes out significant by chance (no correction for multiple comparisons is made).",
        (1.0 / (1.0 - c.confidence)).round()
    ));
    page.push("<ul class=\"notes\">\n");
    for n in notes {
        page.push(&format!("<li>{n}</li>\n"));
    }
    page.push("</ul>\n");
    Ok(page)
}
