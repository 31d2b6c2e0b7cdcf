//! `report.html`: one self-contained page that shows a result folder (a
//! run's, a sweep's or a plan's) to a person: what was run, the headline
//! figures with their intervals, occupancy over time, shares and sojourns
//! per status, operations, capacity, the sweep's or the plan's curves, and
//! the scenario itself. It is made from the folder's files alone (never
//! from a run in memory), so `fleetsim report DIR` and `fleetsim run
//! --report` give the same page, and every number shown names the file,
//! row and column it came from.

pub mod charts;
pub mod html;
pub mod palette;
pub mod read;

pub use read::ReportInputError;

use crate::output::files::REPORT_HTML;
use anyhow::{Context, Result};
use charts::{
    Bar, CurvePoint, Failure, Marks, OperationRow, Sojourn, StatusSeries, TimeAxis, YUnit,
};
use html::{Page, Unit, esc, facts, grouped_table, interval, legend, table, value};
use read::{Cell, Csv, Folder, Manifest, PlanManifest, RunFiles};
use std::path::{Path, PathBuf};

/// A status counts as rare, and gets the second chart's scale of its own,
/// when it holds less than this share of the servers on average.
const RARE_SHARE: f64 = 0.02;

/// What [`write()`] wrote.
#[derive(Debug)]
pub struct Written {
    /// The file.
    pub path: PathBuf,
    /// Charts in it.
    pub charts: usize,
    /// Its size in bytes.
    pub bytes: usize,
}

/// Makes the report of the result folder `dir` and writes it to `out`
/// (default `dir/report.html`), under a `.partial` name renamed when
/// complete. An existing report is replaced: it is derived from the files.
pub fn write(dir: &Path, out: Option<&Path>) -> Result<Written> {
    let (page, charts) = build(dir)?;
    let path = out.map_or_else(|| dir.join(REPORT_HTML), Path::to_path_buf);
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{} names no file", path.display()))?
        .to_string_lossy()
        .into_owned();
    let mut f = crate::output::AtomicFile::create(&parent, &name)?;
    std::io::Write::write_all(f.writer(), page.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.commit()?;
    Ok(Written {
        path,
        charts,
        bytes: page.len(),
    })
}

/// The report of the folder `dir` and its number of charts.
pub fn build(dir: &Path) -> Result<(String, usize)> {
    let folder = read::read(dir)?;
    let page = match &folder {
        Folder::Run(run) => run_page(run)?,
        Folder::Sweep {
            manifest,
            sweep,
            points,
        } => sweep_page(manifest, sweep, points)?,
        Folder::Plan { manifest, plan } => plan_page(manifest, plan)?,
    };
    let problems = folder.problems();
    if !problems.is_empty() {
        return Err(ReportInputError {
            dir: dir.to_path_buf(),
            problems,
        }
        .into());
    }
    let charts = page.charts;
    Ok((page.finish(), charts))
}

/// A duration in seconds for the header: `30 d`, `6 h`, `15 min`.
fn span(s: f64) -> String {
    charts::duration(s)
}

/// The header facts every study has.
fn study_facts(m: &Manifest) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("scenario", esc(m.name())),
        (
            "file",
            esc(m.scenario_file.as_deref().unwrap_or("(not from a file)")),
        ),
        ("seed", m.seed.to_string()),
        ("horizon", span(m.horizon_s)),
        ("warm-up", span(m.warmup_s)),
        ("replications", m.replications.to_string()),
    ];
    if let Some(s) = m.sample_interval_s() {
        out.push(("sampled every", span(s)));
    }
    out.push(("fleetsim", esc(&m.fleetsim_version)));
    if let Some(w) = m.wall_seconds {
        out.push(("wall time", format!("{w:.2} s")));
    }
    if let Some(e) = m.events_processed {
        out.push(("events", charts::thousands(e as f64)));
    }
    out
}

/// The scenario, collapsed, so the report is a complete record.
fn scenario_section(page: &mut Page, scenario: &serde_json::Value, what: &str) {
    page.section("scenario", "Scenario");
    page.note(what);
    let text = serde_json::to_string_pretty(scenario).unwrap_or_default();
    page.push(&format!(
        "<details><summary>The validated scenario (every default filled in, every time in seconds)</summary>\n<pre class=\"scenario\">{}</pre>\n</details>\n",
        esc(&text)
    ));
}

/// A number from the files with its interval, when there is one.
#[derive(Clone, Default)]
struct Est {
    mean: Option<Cell>,
    lo: Option<Cell>,
    hi: Option<Cell>,
}

impl Est {
    fn v(&self) -> Option<f64> {
        self.mean.as_ref().and_then(Cell::value)
    }

    fn ci(&self) -> Option<(f64, f64)> {
        Some((self.lo.as_ref()?.value()?, self.hi.as_ref()?.value()?))
    }

    /// `mean` and, when there is one, `[low – high]`, as HTML.
    fn show(&self, unit: Unit) -> String {
        value(self.mean.as_ref(), unit)
    }

    fn show_ci(&self, unit: Unit) -> String {
        interval(self.lo.as_ref(), self.hi.as_ref(), unit)
    }

    /// The value and interval as plain text, for a hover title.
    fn text(&self, unit: Unit) -> String {
        match (self.v(), self.ci()) {
            (Some(v), Some((lo, hi))) => format!(
                "{} (95% CI {} – {})",
                unit.show(v),
                unit.show(lo),
                unit.show(hi)
            ),
            (Some(v), None) => unit.show(v),
            _ => "no value".into(),
        }
    }
}

/// The estimate of `metric` for the row named by `keys`: from the `_ci`
/// file when there is one (the mean across replications and its 95%
/// interval), else replication 0's value.
fn est(per_rep: &Csv, ci: Option<&Csv>, keys: &[(&str, &str)], metric: &str) -> Est {
    match ci {
        Some(ci) => {
            let mut k = keys.to_vec();
            k.push(("metric", metric));
            let names: Vec<&str> = k.iter().map(|(n, _)| *n).collect();
            match ci.find(&k) {
                Some(row) => Est {
                    mean: Some(row.cell(&names, "mean")),
                    lo: Some(row.cell(&names, "ci95_low")),
                    hi: Some(row.cell(&names, "ci95_high")),
                },
                None => Est::default(),
            }
        }
        None => {
            let mut k = vec![("replication", "0")];
            k.extend_from_slice(keys);
            let names: Vec<&str> = k.iter().map(|(n, _)| *n).collect();
            match per_rep.find(&k) {
                Some(row) if per_rep.has(metric) => Est {
                    mean: Some(row.cell(&names, metric)),
                    ..Est::default()
                },
                _ => Est::default(),
            }
        }
    }
}

/// A name usable in an element id.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The 2.5% and 97.5% quantiles of a series across replications.
type Band = (Vec<f64>, Vec<f64>);

/// One study's sections.
struct Study<'a> {
    f: &'a RunFiles,
    /// Prefix of the charts' and sections' ids (`p2-` in a sweep's point).
    id: String,
    axis: TimeAxis,
    kinds: Vec<String>,
    multi: bool,
}

impl<'a> Study<'a> {
    fn new(f: &'a RunFiles, id: String) -> Study<'a> {
        let mut kinds: Vec<String> = Vec::new();
        for r in f.occupancy.rows() {
            let k = r.text("kind");
            if !kinds.iter().any(|x| x == k) {
                kinds.push(k.to_string());
            }
        }
        Study {
            f,
            id,
            axis: TimeAxis::new(f.manifest.horizon_s),
            kinds,
            multi: f.summary_ci.is_some(),
        }
    }

    fn summary(&self, kind: &str, dimension: &str, state: &str, metric: &str) -> Est {
        est(
            &self.f.summary,
            self.f.summary_ci.as_ref(),
            &[("kind", kind), ("dimension", dimension), ("state", state)],
            metric,
        )
    }

    fn operation(&self, kind: &str, op: &str, metric: &str) -> Est {
        est(
            &self.f.operations,
            self.f.operations_ci.as_ref(),
            &[("kind", kind), ("operation", op)],
            metric,
        )
    }

    fn availability(&self, kind: &str) -> Est {
        est(
            &self.f.availability,
            self.f.availability_ci.as_ref(),
            &[("kind", kind)],
            "availability",
        )
    }

    fn pool(&self, pool: &str, kind: &str, metric: &str) -> Est {
        match &self.f.capacity_summary {
            Some(cs) => est(
                cs,
                self.f.capacity_summary_ci.as_ref(),
                &[("pool", pool), ("kind", kind)],
                metric,
            ),
            None => Est::default(),
        }
    }

    /// The states of `kind` in `dimension`, in file order (replication 0's
    /// rows).
    fn states(&self, kind: &str, dimension: &str) -> Vec<String> {
        self.f
            .summary
            .rows()
            .filter(|r| {
                r.text("replication") == "0"
                    && r.text("kind") == kind
                    && r.text("dimension") == dimension
            })
            .map(|r| r.text("state").to_string())
            .collect()
    }

    /// The operations of `kind`, in file order.
    fn operations_of(&self, kind: &str) -> Vec<String> {
        self.f
            .operations
            .rows()
            .filter(|r| r.text("replication") == "0" && r.text("kind") == kind)
            .map(|r| r.text("operation").to_string())
            .collect()
    }

    /// The time series of `kind`: sample times, then per status its counts
    /// and its quantile band, and the population's band.
    fn series(&self, kind: &str) -> (Vec<f64>, Vec<StatusSeries>, Option<Band>) {
        let occ = &self.f.occupancy;
        let rows: Vec<_> = occ.rows().filter(|r| r.text("kind") == kind).collect();
        let times: Vec<f64> = rows
            .iter()
            .map(|r| r.num("time_s").unwrap_or(0.0))
            .collect();
        let column =
            |name: &str| -> Vec<f64> { rows.iter().map(|r| r.num(name).unwrap_or(0.0)).collect() };
        let band = |name: &str| -> Option<Band> {
            let (lo, hi) = (format!("{name}_q025"), format!("{name}_q975"));
            (occ.has(&lo) && occ.has(&hi)).then(|| (column(&lo), column(&hi)))
        };
        let series = palette::STACK_ORDER
            .iter()
            .filter(|s| occ.has(s))
            .map(|s| StatusSeries {
                status: s.to_string(),
                values: column(s),
                band: band(s),
            })
            .collect();
        (times, series, band("population"))
    }

    /// The warm-up, incident windows and mass faults of `kind`, from the
    /// scenario.
    fn marks(&self, kind: &str) -> Marks {
        let sc = &self.f.manifest.scenario;
        let list = |key: &str| -> Vec<serde_json::Value> {
            sc.get(kind)
                .and_then(|k| k.get(key))
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default()
        };
        let num = |v: &serde_json::Value, key: &str| v.get(key).and_then(|x| x.as_f64());
        let windows = list("incidents")
            .iter()
            .filter_map(|i| {
                let start = num(i, "start")?;
                let label = match (num(i, "fault_factor"), num(i, "failure_factor")) {
                    (Some(f), Some(g)) => format!(
                        " incident: faults ×{}, failures ×{}",
                        charts::trim_num(f),
                        charts::trim_num(g)
                    ),
                    _ => " incident".into(),
                };
                Some((start, start + num(i, "duration").unwrap_or(0.0), label))
            })
            .collect();
        let instants = list("mass_faults")
            .iter()
            .filter_map(|m| {
                let fraction = num(m, "fraction").unwrap_or(0.0);
                Some((
                    num(m, "at")?,
                    format!(" mass fault: {} of the servers", charts::pct_axis(fraction)),
                ))
            })
            .collect();
        Marks {
            warmup_s: self.f.manifest.warmup_s,
            warmup_label: true,
            windows,
            instants,
        }
    }

    fn sections(&self, page: &mut Page, heading: &dyn Fn(&str) -> String) -> Result<()> {
        self.headline(page, heading)?;
        self.occupancy(page, heading)?;
        self.states_section(page, heading)?;
        self.operations_section(page, heading)?;
        if self.f.capacity_summary.is_some() {
            self.capacity(page, heading)?;
        }
        Ok(())
    }

    fn headline(&self, page: &mut Page, heading: &dyn Fn(&str) -> String) -> Result<()> {
        page.section(
            &format!("{}headline", self.id),
            &heading("Headline figures"),
        );
        page.note(&if self.multi {
            format!(
                "Over the statistics window (warm-up to horizon), per kind: each figure is the mean of {} replications with its 95% confidence interval (Student t). Share: of the instance-time; mean: time-weighted mean number of servers; peak: the most at once, averaged over the replications.",
                self.f.manifest.replications
            )
        } else {
            "Over the statistics window (warm-up to horizon), per kind, from one replication (run with --replications R for 95% confidence intervals). Share: of the instance-time; mean: time-weighted mean number of servers; peak: the most at once.".into()
        });
        page.push("<div class=\"kinds\">\n");
        for kind in &self.kinds {
            let avail = self.availability(kind);
            page.push("<div>\n");
            page.h3(&kind.to_uppercase());
            let ci = if self.multi {
                format!(
                    " <span class=\"note\">95% CI {}</span>",
                    avail.show_ci(Unit::Share)
                )
            } else {
                String::new()
            };
            page.push(&format!(
                "<p class=\"headline\">Availability <b>{}</b>{ci}</p>\n",
                avail.show(Unit::Share)
            ));
            let mut header = vec!["status", "share"];
            if self.multi {
                header.push("share 95% CI");
            }
            header.push("mean");
            if self.multi {
                header.push("mean 95% CI");
            }
            header.push("peak");
            if self.multi {
                header.push("peak 95% CI");
            }
            let mut rows = Vec::new();
            for state in self.states(kind, "status") {
                let mut row = vec![format!(
                    "<i class=\"sw\" style=\"background:{}\"></i>{}",
                    palette::hex(palette::status(&state)),
                    esc(&state)
                )];
                for (metric, unit) in [
                    ("share", Unit::Share),
                    ("mean_count", Unit::Count),
                    ("max_count", Unit::Count),
                ] {
                    let e = self.summary(kind, "status", &state, metric);
                    row.push(e.show(unit));
                    if self.multi {
                        row.push(e.show_ci(unit));
                    }
                }
                rows.push(row);
            }
            page.push(&table(&header, &rows));
            page.push("</div>\n");
        }
        page.push("</div>\n");
        Ok(())
    }

    fn occupancy(&self, page: &mut Page, heading: &dyn Fn(&str) -> String) -> Result<()> {
        page.section(
            &format!("{}occupancy", self.id),
            &heading("Occupancy over time"),
        );
        page.note(&format!(
            "Servers per status at each sample{}. The shaded band at the left is the warm-up, excluded from the statistics; incident windows are shaded yellow and mass faults drawn as dark lines.",
            if self.multi {
                ", the mean across replications; the black lines around the top are the population's 2.5% and 97.5% quantiles across replications"
            } else {
                ""
            }
        ));
        for kind in &self.kinds {
            let (times, series, pop_band) = self.series(kind);
            let marks = self.marks(kind);
            let present: Vec<&StatusSeries> = series
                .iter()
                .filter(|s| s.values.iter().any(|v| *v > 0.0))
                .collect();
            let upper = kind.to_uppercase();
            page.h3(&upper);
            let chart = charts::occupancy_stacked(
                &format!("{}occupancy-{kind}", self.id),
                &format!("{upper} servers per status over time, stacked"),
                &self.axis,
                &times,
                &series,
                pop_band.as_ref().map(|(a, b)| (a.as_slice(), b.as_slice())),
                &marks,
            )?;
            let entries: Vec<(String, _)> = present
                .iter()
                .map(|s| (s.status.clone(), palette::status(&s.status)))
                .collect();
            page.chart(
                chart,
                &format!("{upper}: servers per status, stacked (ACTIVE at the bottom)."),
                &legend(&entries),
            );
            // The rare statuses, on a scale of their own.
            let population: f64 = series.iter().map(|s| s.values.iter().sum::<f64>()).sum();
            let rare: Vec<StatusSeries> = series
                .into_iter()
                .filter(|s| {
                    let total: f64 = s.values.iter().sum();
                    total > 0.0 && total < RARE_SHARE * population
                })
                .collect();
            if population == 0.0 {
                page.note(&format!("{upper} had no servers at any sample."));
                continue;
            }
            if rare.is_empty() {
                page.note("No status holds less than 2% of the servers: there are no rare statuses to draw on their own scale.");
                continue;
            }
            let chart = charts::rare_lines(
                &format!("{}rare-{kind}", self.id),
                &format!("{upper} rare statuses over time"),
                &self.axis,
                &times,
                &rare,
                &marks,
            )?;
            page.chart(
                chart,
                &format!(
                    "{upper}: the rare statuses (under 2% of the servers on average) on their own scale{}.",
                    if self.multi {
                        "; bands: 2.5% to 97.5% quantiles across replications"
                    } else {
                        ""
                    }
                ),
                "",
            );
        }
        Ok(())
    }

    fn states_section(&self, page: &mut Page, heading: &dyn Fn(&str) -> String) -> Result<()> {
        page.section(
            &format!("{}states", self.id),
            &heading("Shares and sojourns per status"),
        );
        for kind in &self.kinds {
            let upper = kind.to_uppercase();
            page.h3(&upper);
            let statuses = self.states(kind, "status");
            let bars: Vec<Bar> = statuses
                .iter()
                .map(|s| {
                    let e = self.summary(kind, "status", s, "share");
                    Bar {
                        label: s.clone(),
                        value: e.v(),
                        ci: e.ci(),
                        colour: palette::status(s),
                        title: format!("{s}: {} of instance-time", e.text(Unit::Share)),
                        cell: e.mean.clone(),
                    }
                })
                .collect();
            if bars.iter().all(|b| b.value.is_none()) {
                page.note(&format!(
                    "{upper} had no servers from warm-up to horizon: no shares of instance-time."
                ));
            } else {
                let chart = charts::share_bars(
                    &format!("{}shares-{kind}", self.id),
                    &format!("{upper} share of instance-time per status"),
                    &bars,
                )?;
                page.chart(
                    chart,
                    &format!(
                        "{upper}: share of instance-time per status, on a log scale{}.",
                        if self.multi {
                            ", with 95% confidence intervals as whiskers"
                        } else {
                            ""
                        }
                    ),
                    "",
                );
            }
            let quantiles = ["p50_sojourn_s", "p95_sojourn_s", "p99_sojourn_s"];
            let sojourns: Vec<Sojourn> = statuses
                .iter()
                .map(|s| Sojourn {
                    status: s.clone(),
                    quantiles: quantiles.map(|q| {
                        let e = self.summary(kind, "status", s, q);
                        (e.v(), e.mean)
                    }),
                })
                .filter(|s| s.quantiles.iter().any(|q| q.0.is_some()))
                .collect();
            if !sojourns.is_empty() {
                let chart = charts::sojourns(
                    &format!("{}sojourn-{kind}", self.id),
                    &format!("{upper} time per stay in each status"),
                    &sojourns,
                )?;
                page.chart(
                    chart,
                    &format!(
                        "{upper}: how long a stay in each status lasts (stays that ended in the window){}.",
                        if self.multi {
                            "; each quantile is the mean across replications"
                        } else {
                            ""
                        }
                    ),
                    "",
                );
            }
            let header = [
                "status",
                "entries",
                "mean stay",
                "p50 stay",
                "p95 stay",
                "p99 stay",
            ];
            let rows: Vec<Vec<String>> = statuses
                .iter()
                .map(|s| {
                    let mut row = vec![esc(s)];
                    row.push(self.summary(kind, "status", s, "entries").show(Unit::Count));
                    for m in [
                        "mean_sojourn_s",
                        "p50_sojourn_s",
                        "p95_sojourn_s",
                        "p99_sojourn_s",
                    ] {
                        row.push(self.summary(kind, "status", s, m).show(Unit::Seconds));
                    }
                    row
                })
                .collect();
            page.push(&table(&header, &rows));
            // The detailed states, collapsed.
            let dimension = if kind == "ecs" {
                "ecs_state"
            } else {
                "bms_state"
            };
            let states = self.states(kind, dimension);
            if !states.is_empty() {
                let header = [
                    "state", "share", "mean", "peak", "entries", "p50 stay", "p95 stay", "p99 stay",
                ];
                let rows: Vec<Vec<String>> = states
                    .iter()
                    .map(|s| {
                        let e = |m: &str| self.summary(kind, dimension, s, m);
                        vec![
                            esc(s),
                            e("share").show(Unit::Share),
                            e("mean_count").show(Unit::Count),
                            e("max_count").show(Unit::Count),
                            e("entries").show(Unit::Count),
                            e("p50_sojourn_s").show(Unit::Seconds),
                            e("p95_sojourn_s").show(Unit::Seconds),
                            e("p99_sojourn_s").show(Unit::Seconds),
                        ]
                    })
                    .collect();
                page.push(&format!(
                    "<details><summary>{upper} per {} ({} states)</summary>\n{}</details>\n",
                    if kind == "ecs" {
                        "(vm_state, task_state)"
                    } else {
                        "lifecycle state"
                    },
                    states.len(),
                    table(&header, &rows)
                ));
            }
        }
        Ok(())
    }

    fn operations_section(&self, page: &mut Page, heading: &dyn Fn(&str) -> String) -> Result<()> {
        page.section(&format!("{}operations", self.id), &heading("Operations"));
        page.note(&format!(
            "What was requested of each kind within the window and what became of it{}. Refused: for a conflict with the server's state (HTTP 409), for a lock, or for lack of room on the hosts (a create blocked, a resize or migration without a destination).",
            if self.multi {
                " (means across replications; hover a number for its 95% CI)"
            } else {
                ""
            }
        ));
        for kind in &self.kinds {
            let upper = kind.to_uppercase();
            page.h3(&upper);
            let mut chart_rows = Vec::new();
            let mut rows = Vec::new();
            let metrics = [
                ("requested", Unit::Count),
                ("refused_conflict", Unit::Count),
                ("refused_locked", Unit::Count),
                ("refused_capacity", Unit::Count),
                ("succeeded", Unit::Count),
                ("failed", Unit::Count),
                ("timed_out", Unit::Count),
                ("preempted", Unit::Count),
                ("mean_duration_s", Unit::Seconds),
                ("p95_duration_s", Unit::Seconds),
            ];
            for op in self.operations_of(kind) {
                let ests: Vec<Est> = metrics
                    .iter()
                    .map(|(m, _)| self.operation(kind, &op, m))
                    .collect();
                let n = |i: usize| ests[i].v().unwrap_or(0.0);
                let requested = n(0);
                if requested <= 0.0 {
                    continue;
                }
                let refused = n(1) + n(2);
                let capacity = n(3);
                let (succeeded, failed, timed_out) = (n(4), n(5), n(6));
                let other =
                    (requested - refused - capacity - succeeded - failed - timed_out).max(0.0);
                chart_rows.push(OperationRow {
                    operation: op.clone(),
                    requested,
                    outcomes: [succeeded, refused, capacity, failed, timed_out, other],
                });
                let mut row = vec![esc(&op)];
                for (e, (_, unit)) in ests.iter().zip(metrics) {
                    let cell = e.show(unit);
                    row.push(match e.ci() {
                        Some((lo, hi)) => format!(
                            "<span title=\"95% CI {} – {}\">{cell}</span>",
                            esc(&unit.show(lo)),
                            esc(&unit.show(hi))
                        ),
                        None => cell,
                    });
                }
                rows.push(row);
            }
            if chart_rows.is_empty() {
                page.note("No operation was requested in the window.");
                continue;
            }
            let chart = charts::operations(
                &format!("{}operations-{kind}", self.id),
                &format!("{upper} operations by outcome"),
                &chart_rows,
            )?;
            let entries: Vec<(String, _)> = palette::OUTCOMES
                .iter()
                .map(|(n, c)| (n.to_string(), *c))
                .collect();
            page.chart(
                chart,
                &format!("{upper}: each operation's requests by outcome."),
                &legend(&entries),
            );
            page.push(&grouped_table(
                &[("", 2), ("refused", 3), ("", 4), ("duration", 2)],
                &[
                    "operation",
                    "requested",
                    "conflict",
                    "locked",
                    "no room",
                    "succeeded",
                    "failed",
                    "timed out",
                    "preempted",
                    "mean",
                    "p95",
                ],
                &rows,
            ));
        }
        Ok(())
    }

    fn capacity(&self, page: &mut Page, heading: &dyn Fn(&str) -> String) -> Result<()> {
        let Some(cs) = &self.f.capacity_summary else {
            return Ok(());
        };
        page.section(&format!("{}capacity", self.id), &heading("Capacity"));
        let pools: Vec<(String, String)> = cs
            .rows()
            .filter(|r| r.text("replication") == "0")
            .map(|r| (r.text("pool").to_string(), r.text("kind").to_string()))
            .collect();
        // Utilisation over time, per pool.
        if let Some(cap) = &self.f.capacity {
            page.h3("Utilisation over time");
            page.note(&format!(
                "Per pool: utilisation (the fuller of vCPU and memory, or nodes taken) against the whole pool (100%){}, and the share of its hosts up. The shaded band at the left is the warm-up.",
                if self.multi {
                    ", the mean across replications with a band from its 2.5% to its 97.5% quantile"
                } else {
                    ""
                }
            ));
            for (pool, kind) in &pools {
                let rows: Vec<_> = cap.rows().filter(|r| r.text("pool") == pool).collect();
                let times: Vec<f64> = rows
                    .iter()
                    .map(|r| r.num("time_s").unwrap_or(0.0))
                    .collect();
                let col = |n: &str| -> Vec<f64> {
                    rows.iter().map(|r| r.num(n).unwrap_or(0.0)).collect()
                };
                let used = col("utilisation");
                let band = (cap.has("utilisation_q025") && cap.has("utilisation_q975"))
                    .then(|| (col("utilisation_q025"), col("utilisation_q975")));
                let up: Vec<f64> = rows
                    .iter()
                    .map(|r| match (r.num("hosts_up"), r.num("hosts")) {
                        (Some(u), Some(h)) if h > 0.0 => u / h,
                        _ => 1.0,
                    })
                    .collect();
                let chart = charts::utilisation(
                    &format!("{}utilisation-{}", self.id, slug(pool)),
                    &format!("pool {pool}: utilisation over time"),
                    &self.axis,
                    &times,
                    &used,
                    band.as_ref().map(|(a, b)| (a.as_slice(), b.as_slice())),
                    &up,
                    &Marks {
                        warmup_s: self.f.manifest.warmup_s,
                        ..Marks::default()
                    },
                )?;
                page.chart(
                    chart,
                    &format!(
                        "Pool {pool} ({kind}): utilisation and hosts up, as shares of the pool."
                    ),
                    &legend(&[
                        ("utilisation".into(), palette::SERIES),
                        ("hosts up".into(), palette::SERIES2),
                    ]),
                );
            }
        }
        // Blocked creates per pool.
        page.h3("Creates blocked");
        let bars: Vec<Bar> = pools
            .iter()
            .map(|(pool, kind)| {
                let e = self.pool(pool, kind, "blocked_share");
                Bar {
                    label: pool.clone(),
                    value: e.v(),
                    ci: e.ci(),
                    colour: palette::SERIES,
                    title: format!("pool {pool}: {} of creates blocked", e.text(Unit::Share)),
                    cell: e.mean.clone(),
                }
            })
            .collect();
        let chart = charts::linear_share_bars(
            &format!("{}blocked", self.id),
            "share of creates blocked per pool",
            "share of the pool's creates that found no valid host",
            &bars,
        )?;
        page.chart(
            chart,
            &format!(
                "Share of each pool's creates that found no valid host{}. The result files count blocking per pool; they do not break it down by flavor.",
                if self.multi { ", with 95% confidence intervals" } else { "" }
            ),
            "",
        );
        let header = [
            "pool",
            "hosts",
            "mean",
            "p99",
            "peak",
            "creates",
            "blocked",
            "share",
            "resizes",
            "migrations",
            "hosts",
            "domains",
            "evacuated",
            "stranded",
        ];
        let rows: Vec<Vec<String>> = pools
            .iter()
            .map(|(pool, kind)| {
                let e = |m: &str| self.pool(pool, kind, m);
                vec![
                    format!("{} <span class=\"na\">{}</span>", esc(pool), esc(kind)),
                    e("hosts").show(Unit::Count),
                    e("utilisation_mean").show(Unit::Share),
                    e("utilisation_p99").show(Unit::Share),
                    e("utilisation_peak").show(Unit::Share),
                    e("creates").show(Unit::Count),
                    e("creates_blocked").show(Unit::Count),
                    e("blocked_share").show(Unit::Share),
                    e("resizes_refused").show(Unit::Count),
                    e("migrations_refused").show(Unit::Count),
                    e("host_failures").show(Unit::Count),
                    e("domain_failures").show(Unit::Count),
                    e("evacuations").show(Unit::Count),
                    e("evacuations_stranded").show(Unit::Count),
                ]
            })
            .collect();
        page.push(&grouped_table(
            &[
                ("", 2),
                ("utilisation", 3),
                ("creates", 3),
                ("refused for room", 2),
                ("failures", 2),
                ("auto-recovery", 2),
            ],
            &header,
            &rows,
        ));
        // Failures on a timeline.
        if let Some(hf) = &self.f.host_failures {
            page.h3("Host and domain failures");
            let mut rows: Vec<String> = Vec::new();
            let mut events = Vec::new();
            let keys = ["replication", "time_s", "scope", "pool", "index"];
            for r in hf.rows() {
                let scope = r.text("scope");
                let domain = scope != "host";
                let row = if domain {
                    format!("{scope} (domain)")
                } else {
                    format!("host in {}", r.text("pool"))
                };
                if !rows.contains(&row) {
                    rows.push(row.clone());
                }
                let time_s = r.num("time_s").unwrap_or(0.0);
                let hit = r.num("servers_hit").unwrap_or(0.0);
                events.push(Failure {
                    time_s,
                    row,
                    domain,
                    servers_hit: hit,
                    title: format!(
                        "replication {}, {}: {} {}{} failed, {} hosts down, {} servers hit",
                        r.text("replication"),
                        charts::duration(time_s),
                        scope,
                        r.text("index"),
                        if domain {
                            String::new()
                        } else {
                            format!(" of pool {}", r.text("pool"))
                        },
                        r.text("hosts_down"),
                        r.text("servers_hit"),
                    ),
                    cell: Some(r.cell(&keys, "servers_hit")),
                });
            }
            rows.sort_by_key(|r| (r.ends_with("(domain)"), r.clone()));
            if events.is_empty() {
                page.note("No host or domain failed within the window.");
            }
            let chart = charts::failures(
                &format!("{}failures", self.id),
                "host and domain failures over time",
                &self.axis,
                &rows,
                &events,
                self.f.manifest.warmup_s,
            )?;
            page.chart(
                chart,
                &format!(
                    "Every failure within the window{}, a circle each, its area growing with the servers it hit (hover for the figures).",
                    if self.multi { ", of every replication" } else { "" }
                ),
                &legend(&[
                    ("host".into(), palette::HOST_FAILURE),
                    ("domain".into(), palette::DOMAIN_FAILURE),
                ]),
            );
        }
        Ok(())
    }
}

/// The page of a plain run.
fn run_page(run: &RunFiles) -> Result<Page> {
    let m = &run.manifest;
    let mut page = Page::new(
        &format!("fleetsim report: {}", m.name()),
        facts(&study_facts(m)),
    );
    Study::new(run, String::new()).sections(&mut page, &|h| h.to_string())?;
    scenario_section(
        &mut page,
        &m.scenario,
        "The scenario as the run's manifest.json records it.",
    );
    Ok(page)
}

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
fn sweep_page(m: &Manifest, sweep: &Csv, points: &[RunFiles]) -> Result<Page> {
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
        let study = Study::new(p, format!("p{i}-"));
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

/// The page of a plan: each pool's curve of the metric against its size,
/// with the target, and every size evaluated.
fn plan_page(m: &PlanManifest, plan: &Csv) -> Result<Page> {
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
