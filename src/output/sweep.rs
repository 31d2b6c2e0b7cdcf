//! `sweep.csv`: one row per sweep point, the swept values as columns, then
//! the key metrics of every kind, each as the mean across replications and
//! its 95% confidence interval.

use super::files;
use super::{AtomicFile, ci_record, pools};
use crate::ci::Estimate;
use crate::model::Op;
use crate::output::summary::status_share;
use crate::results::Outcomes;
use crate::results::RunReport;
use crate::scenario::sweep::display;
use anyhow::Result;
use std::path::{Path, PathBuf};

/// Reads one metric from one replication (`None` where undefined).
type Reader = Box<dyn Fn(&Outcomes) -> Option<f64>>;

/// One key metric: its column stem and how to read it from a replication.
struct Metric {
    name: String,
    read: Reader,
}

/// The key metrics of a kind: mean occupancy and share of every status it
/// can show, refused, failed and timed-out operations, and availability;
/// then, per pool, blocking, utilisation, refused moves and failures.
fn metrics(o: &Outcomes) -> Vec<Metric> {
    let mut out = Vec::new();
    for (m, _) in &o.kinds {
        let kind = m.kind;
        let k = kind.name();
        for status in m.statuses() {
            let s = status as usize;
            out.push(Metric {
                name: format!("{k}_{}_mean_count", status.name()),
                read: Box::new(move |o: &Outcomes| {
                    let window = o.scenario.window().ms() as f64;
                    o.stats(kind).map(|st| st.status.area(s) as f64 / window)
                }),
            });
            out.push(Metric {
                name: format!("{k}_{}_share", status.name()),
                read: Box::new(move |o: &Outcomes| status_share(o, kind, status)),
            });
        }
        let total = |f: fn(&crate::stats::OpStats) -> u64| {
            move |o: &Outcomes| {
                o.stats(kind)
                    .map(|st| Op::ALL.iter().map(|op| f(&st.ops[op.index()])).sum::<u64>() as f64)
            }
        };
        out.push(Metric {
            name: format!("{k}_refused"),
            read: Box::new(total(|c| c.refused_conflict + c.refused_locked)),
        });
        out.push(Metric {
            name: format!("{k}_failed"),
            read: Box::new(total(|c| c.failed)),
        });
        out.push(Metric {
            name: format!("{k}_timed_out"),
            read: Box::new(total(|c| c.timed_out)),
        });
        out.push(Metric {
            name: format!("{k}_availability"),
            read: Box::new(move |o: &Outcomes| o.stats(kind)?.availability()),
        });
    }
    for (i, pool) in o.pools.iter().enumerate() {
        for name in CAPACITY_METRICS {
            out.push(Metric {
                name: format!("{}_{name}", pool.name),
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
            header.push(format!("{}_{part}", m.name));
        }
    }
    csv.write_record(&header)?;
    for (i, p) in report.points.iter().enumerate() {
        let mut rec: Vec<String> = vec![i.to_string()];
        rec.extend(p.values.iter().map(display));
        rec.push(p.study.runs.len().to_string());
        for m in &metrics {
            let xs: Vec<f64> = p.study.runs.iter().filter_map(|o| (m.read)(o)).collect();
            let [_, mean, _, lo, hi] = ci_record(Estimate::of(&xs));
            rec.extend([mean, lo, hi]);
        }
        csv.write_record(&rec)?;
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
