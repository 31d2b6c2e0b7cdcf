//! One study's sections of the report (a plain run's page, and each point
//! of a sweep): headline figures, occupancy over time, shares and
//! sojourns, operations and capacity.

use super::charts::{self, Bar, Failure, Marks, OperationRow, Sojourn, StatusSeries, TimeAxis};
use super::html::{Page, Unit, esc, facts, grouped_table, legend, table};
use super::palette;
use super::read::RunFiles;
use super::{Est, est, scenario_section, slug, study_facts};
use anyhow::Result;

/// A status counts as rare, and gets the second chart's scale of its own,
/// when it holds less than this share of the servers on average.
const RARE_SHARE: f64 = 0.02;

/// The 2.5% and 97.5% quantiles of a series across replications.
type Band = (Vec<f64>, Vec<f64>);

/// One study's sections.
pub(super) struct Study<'a> {
    f: &'a RunFiles,
    /// Prefix of the charts' and sections' ids (`p2-` in a sweep's point).
    id: String,
    axis: TimeAxis,
    kinds: Vec<String>,
    multi: bool,
}

impl<'a> Study<'a> {
    pub(super) fn new(f: &'a RunFiles, id: String) -> Study<'a> {
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

    /// `metric` of `flavor` (on `pool`, of `kind`), from
    /// `capacity_flavors.csv` and its `_ci` file.
    fn flavor(&self, flavor: &str, pool: &str, kind: &str, metric: &str) -> Est {
        match &self.f.capacity_flavors {
            Some(cf) => est(
                cf,
                self.f.capacity_flavors_ci.as_ref(),
                &[("flavor", flavor), ("pool", pool), ("kind", kind)],
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

    /// The same study, its time series drawn with at most `n` points each.
    pub(super) fn with_max_points(mut self, n: usize) -> Study<'a> {
        self.axis = self.axis.with_max_points(n);
        self
    }

    /// Every section of the study, each heading made by `heading`.
    pub(super) fn sections(&self, page: &mut Page, heading: &dyn Fn(&str) -> String) -> Result<()> {
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
                "Share of each pool's creates that found no valid host{}.",
                if self.multi {
                    ", with 95% confidence intervals"
                } else {
                    ""
                }
            ),
            "",
        );
        // The same per flavor: the big flavors of a full pool are blocked
        // first.
        if let Some(cf) = &self.f.capacity_flavors {
            let flavors: Vec<(String, String, String)> = cf
                .rows()
                .filter(|r| r.text("replication") == "0")
                .map(|r| {
                    (
                        r.text("flavor").to_string(),
                        r.text("pool").to_string(),
                        r.text("kind").to_string(),
                    )
                })
                .collect();
            let bars: Vec<Bar> = flavors
                .iter()
                .map(|(flavor, pool, kind)| {
                    let e = self.flavor(flavor, pool, kind, "blocked_share");
                    let creates = self.flavor(flavor, pool, kind, "creates");
                    Bar {
                        label: format!("{flavor} ({pool})"),
                        value: e.v(),
                        ci: e.ci(),
                        colour: palette::SERIES,
                        title: format!(
                            "flavor {flavor} on pool {pool}: {} of {} creates blocked",
                            e.text(Unit::Share),
                            creates.text(Unit::Count)
                        ),
                        cell: e.mean.clone(),
                    }
                })
                .collect();
            let chart = charts::linear_share_bars(
                &format!("{}blocked-flavors", self.id),
                "share of creates blocked per flavor",
                "share of the flavor's creates that found no valid host",
                &bars,
            )?;
            page.chart(
                chart,
                &format!(
                    "The same per flavor{}: a flavor that needs more of a host finds room less often.",
                    if self.multi { ", with 95% confidence intervals" } else { "" }
                ),
                "",
            );
        }
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
pub(super) fn run_page(run: &RunFiles) -> Result<Page> {
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
