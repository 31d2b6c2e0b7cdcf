//! `sweep.csv` and `sweep_long.csv`: the key metrics of every sweep point,
//! each as the mean across replications and its 95% confidence interval;
//! `sweep.csv` wide (one row per point, the swept values and the metrics as
//! columns), `sweep_long.csv` tidy (one row per point and metric, the swept
//! values also as numbers in SI units).

use super::files;
use super::{AtomicFile, ci_record, pools};
use crate::ci::Estimate;
use crate::model::{Kind, Op};
use crate::output::summary::status_share;
use crate::results::Outcomes;
use crate::results::RunReport;
use crate::scenario::sweep::{display, si_value};
use anyhow::Result;
use std::path::{Path, PathBuf};

/// Reads one metric from one replication (`None` where undefined).
type Reader = Box<dyn Fn(&Outcomes) -> Option<f64>>;

/// One key metric: what it measures and how to read it from a replication.
struct Metric {
    /// The kind it measures (a pool's kind, for a pool metric).
    kind: Kind,
    /// The pool, for a pool metric.
    pool: Option<String>,
    /// The metric (`share`, `refused`, `blocked_share`).
    metric: &'static str,
    /// The status, for a per-status metric.
    state: Option<&'static str>,
    read: Reader,
}

impl Metric {
    /// The stem of its `sweep.csv` columns: `ecs_ERROR_share`,
    /// `ecs_refused`, `general_blocked_share`.
    fn column(&self) -> String {
        match (&self.pool, self.state) {
            (Some(pool), _) => format!("{pool}_{}", self.metric),
            (None, Some(state)) => format!("{}_{state}_{}", self.kind.name(), self.metric),
            (None, None) => format!("{}_{}", self.kind.name(), self.metric),
        }
    }

    /// Its estimate across the replications `runs`; `None` when no
    /// replication defines it.
    fn estimate(&self, runs: &[Outcomes]) -> Option<Estimate> {
        let xs: Vec<f64> = runs.iter().filter_map(|o| (self.read)(o)).collect();
        Estimate::of(&xs)
    }
}

/// The key metrics of a kind: mean occupancy and share of every status it
/// can show, refused, failed and timed-out operations, and availability;
/// then, per pool, blocking, utilisation, refused moves and failures.
fn metrics(o: &Outcomes) -> Vec<Metric> {
    let mut out = Vec::new();
    for (m, _) in &o.kinds {
        let kind = m.kind;
        for status in m.statuses() {
            let s = status as usize;
            out.push(Metric {
                kind,
                pool: None,
                metric: "mean_count",
                state: Some(status.name()),
                read: Box::new(move |o: &Outcomes| {
                    let window = o.scenario.window().ms() as f64;
                    o.stats(kind).map(|st| st.status.area(s) as f64 / window)
                }),
            });
            out.push(Metric {
                kind,
                pool: None,
                metric: "share",
                state: Some(status.name()),
                read: Box::new(move |o: &Outcomes| status_share(o, kind, status)),
            });
        }
        let total = |f: fn(&crate::stats::OpStats) -> u64| {
            move |o: &Outcomes| {
                o.stats(kind)
                    .map(|st| Op::ALL.iter().map(|op| f(&st.ops[op.index()])).sum::<u64>() as f64)
            }
        };
        let of_kind = |metric: &'static str, read: Reader| Metric {
            kind,
            pool: None,
            metric,
            state: None,
            read,
        };
        out.push(of_kind(
            "refused",
            Box::new(total(|c| c.refused_conflict + c.refused_locked)),
        ));
        out.push(of_kind("failed", Box::new(total(|c| c.failed))));
        out.push(of_kind("timed_out", Box::new(total(|c| c.timed_out))));
        out.push(of_kind(
            "availability",
            Box::new(move |o: &Outcomes| o.stats(kind)?.availability()),
        ));
    }
    for (i, pool) in o.pools.iter().enumerate() {
        for name in CAPACITY_METRICS {
            out.push(Metric {
                kind: pool.kind,
                pool: Some(pool.name.clone()),
                metric: name,
                state: None,
                read: Box::new(move |o: &Outcomes| {
                    let window = o.scenario.window().ms() as f64;
                    pools::Metrics::of(o.pools.get(i)?, window)
                        .get(name)
                        .flatten()
                }),
            });
        }
    }
    out
}

/// The capacity metrics each pool contributes to a sweep: columns of
/// `capacity_summary.csv` (a test checks each is one).
const CAPACITY_METRICS: [&str; 10] = [
    "blocked_share",
    "creates_blocked",
    "utilisation_mean",
    "utilisation_p99",
    "utilisation_peak",
    "resizes_refused",
    "migrations_refused",
    "double_vcpu_hours",
    "host_failure_hits",
    "evacuations_stranded",
];

/// Writes `sweep.csv` into `dir`.
pub fn export_sweep(dir: &Path, report: &RunReport) -> Result<PathBuf> {
    let mut f = AtomicFile::create(dir, files::SWEEP)?;
    let first = &report.points[0].study.runs[0];
    let metrics = metrics(first);
    let mut csv = csv::Writer::from_writer(f.writer());
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(report.params.iter().cloned());
    header.push("replications".into());
    for m in &metrics {
        for part in ["mean", "ci95_low", "ci95_high"] {
            header.push(format!("{}_{part}", m.column()));
        }
    }
    csv.write_record(&header)?;
    for (i, p) in report.points.iter().enumerate() {
        let mut rec: Vec<String> = vec![i.to_string()];
        rec.extend(p.values.iter().map(display));
        rec.push(p.study.runs.len().to_string());
        for m in &metrics {
            let [_, mean, _, lo, hi] = ci_record(m.estimate(&p.study.runs));
            rec.extend([mean, lo, hi]);
        }
        csv.write_record(&rec)?;
    }
    csv.flush()?;
    drop(csv);
    f.commit()
}

/// The suffix of the column that gives a swept path's value in SI units.
pub const SI_SUFFIX: &str = "_si";

/// The columns of `sweep_long.csv` after the point and the swept values.
pub const SWEEP_LONG_COLUMNS: [&str; 8] = [
    "kind",
    "pool",
    "metric",
    "state",
    "mean",
    "ci95_low",
    "ci95_high",
    "n",
];

/// A number at full precision: Rust's shortest form that reads back as
/// the same double (no rounding to 6 decimals, unlike the other CSV
/// files); empty where undefined.
fn full(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

/// Writes `sweep_long.csv` into `dir`: one row per point and metric of
/// `sweep.csv`, in the same order (the points, then each point's metrics
/// in the order of `sweep.csv`'s columns).
pub fn export_sweep_long(dir: &Path, report: &RunReport) -> Result<PathBuf> {
    let mut f = AtomicFile::create(dir, files::SWEEP_LONG)?;
    let first = &report.points[0].study.runs[0];
    let metrics = metrics(first);
    let mut csv = csv::Writer::from_writer(f.writer());
    let mut header: Vec<String> = vec!["point".into()];
    for path in &report.params {
        header.push(path.clone());
        header.push(format!("{path}{SI_SUFFIX}"));
    }
    header.extend(SWEEP_LONG_COLUMNS.iter().map(|c| c.to_string()));
    csv.write_record(&header)?;
    for (i, p) in report.points.iter().enumerate() {
        let mut lead: Vec<String> = vec![i.to_string()];
        for v in &p.values {
            lead.push(display(v));
            lead.push(si_value(v).map(full).unwrap_or_default());
        }
        for m in &metrics {
            let e = m.estimate(&p.study.runs);
            let mut rec = lead.clone();
            rec.extend([
                m.kind.name().to_string(),
                m.pool.clone().unwrap_or_default(),
                m.metric.to_string(),
                m.state.unwrap_or_default().to_string(),
                e.map(|e| full(e.mean)).unwrap_or_default(),
                e.map(|e| full(e.ci95_low)).unwrap_or_default(),
                e.map(|e| full(e.ci95_high)).unwrap_or_default(),
                e.map_or(0, |e| e.n).to_string(),
            ]);
            csv.write_record(&rec)?;
        }
    }
    csv.flush()?;
    drop(csv);
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_capacity_metric_of_a_sweep_is_a_capacity_summary_column() {
        for name in CAPACITY_METRICS {
            assert!(pools::Metrics::COLUMNS.contains(&name), "{name}");
        }
    }
}
