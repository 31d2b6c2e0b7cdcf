//! `results.json`: a run's headline results as one JSON document in a
//! versioned schema (`"schema": "fleetsim.results/1"`, written down as a JSON
//! Schema in docs/schema/results-1.schema.json), for notebooks and CI
//! pipelines that would otherwise scrape stdout or join CSV files: per kind
//! availability and per-status share, mean and peak occupancy, per pool
//! blocking and utilisation, each as an estimate across replications; for a
//! sweep, the same for every point beside its swept values.
//!
//! Every number is computed from the in-memory results by the same code as
//! the CSV file that holds it (`summary.csv`, `availability.csv`,
//! `operations.csv`, `capacity_summary.csv`), and written at full precision
//! (serde_json's shortest round-trip form), not rounded to 6 decimals.
//! Undefined values are `null`, never 0 or NaN.

use super::{AtomicFile, availability, files, operations, pools, summary};
use crate::ci::Estimate;
use crate::model::Kind;
use crate::results::{Outcomes, RunReport, Study};
use crate::scenario::sweep::{display, si_value};
use anyhow::Result;
use serde::Serialize;
use serde::ser::Serializer;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The schema this module writes: the value of the `schema` key. The number
/// changes when a key is renamed or removed or a meaning changes; keys may
/// be added within a version only where the schema allows them.
pub const SCHEMA: &str = "fleetsim.results/1";

/// The pool metrics `results.json` gives, each a column of
/// `capacity_summary.csv` (a test checks each is one).
pub const POOL_METRICS: [&str; 12] = [
    "creates",
    "creates_blocked",
    "blocked_share",
    "utilisation_mean",
    "utilisation_p95",
    "utilisation_p99",
    "utilisation_peak",
    "resizes_refused",
    "migrations_refused",
    "double_vcpu_hours",
    "host_failure_hits",
    "evacuations_stranded",
];

/// An estimate across replications, as the `_ci` files give it: `n`
/// replications defined the value; `mean` is `null` when none did, `sd`
/// and the interval when fewer than two did.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    /// Replications where the value is defined.
    pub n: u64,
    /// Their mean.
    pub mean: Option<f64>,
    /// Their sample standard deviation.
    pub sd: Option<f64>,
    /// Lower end of the 95% Student-t interval of the mean.
    pub ci95_low: Option<f64>,
    /// Upper end of that interval.
    pub ci95_high: Option<f64>,
}

impl Interval {
    /// The estimate from the values the replications define.
    fn of(xs: impl IntoIterator<Item = Option<f64>>) -> Interval {
        let xs: Vec<f64> = xs.into_iter().flatten().collect();
        let finite = |v: f64| Some(v).filter(|v| v.is_finite());
        match Estimate::of(&xs) {
            Some(e) => Interval {
                n: e.n,
                mean: finite(e.mean),
                sd: finite(e.sd),
                ci95_low: finite(e.ci95_low),
                ci95_high: finite(e.ci95_high),
            },
            None => Interval {
                n: 0,
                mean: None,
                sd: None,
                ci95_low: None,
                ci95_high: None,
            },
        }
    }
}

/// Entries written as a JSON object in their order (never a hash map's).
struct Ordered<T>(Vec<(String, T)>);

impl<T: Serialize> Serialize for Ordered<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// How many servers of a kind existed.
#[derive(Serialize)]
struct Population {
    /// Time-weighted mean number of servers.
    mean_count: Interval,
    /// Most servers at once, per replication.
    max_count: Interval,
    /// Most servers at once in any replication.
    peak_count: u64,
    /// Instance-time in the window, ∫population dt, in seconds.
    instance_time_s: Interval,
}

/// One status of a kind: the `status` row of `summary.csv`.
#[derive(Serialize)]
struct StatusResults {
    share: Interval,
    mean_count: Interval,
    max_count: Interval,
    /// The largest `max_count` of any replication.
    peak_count: u64,
}

/// Operation counts of a kind, every operation together.
#[derive(Serialize)]
struct Operations {
    requested: Interval,
    /// Refused for a conflict or a lock, as `sweep.csv`'s `refused`.
    refused: Interval,
    refused_capacity: Interval,
    failed: Interval,
    timed_out: Interval,
}

/// One kind's headline results.
#[derive(Serialize)]
struct KindResults {
    population: Population,
    availability: Interval,
    wanted_mean_count: Interval,
    available_mean_count: Interval,
    operations: Operations,
    statuses: Ordered<StatusResults>,
}

/// The kinds a scenario simulates, in output order.
#[derive(Serialize)]
struct Kinds {
    #[serde(skip_serializing_if = "Option::is_none")]
    ecs: Option<KindResults>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bms: Option<KindResults>,
}

/// One pool's headline results.
#[derive(Serialize)]
struct PoolResults {
    pool: String,
    kind: Kind,
    hosts: u64,
    #[serde(flatten)]
    metrics: Ordered<Interval>,
}

/// The results of one point (of a run without a sweep, or of one point of
/// a sweep): what it ran, and its kinds and pools.
#[derive(Serialize)]
struct PointResults {
    seed: u64,
    horizon_s: f64,
    warmup_s: f64,
    kinds: Kinds,
    pools: Vec<PoolResults>,
}

/// `results.json` of a run without a sweep, or of one point's folder.
#[derive(Serialize)]
struct RunResults<'a> {
    schema: &'static str,
    fleetsim_version: &'static str,
    name: &'a str,
    replications: u32,
    #[serde(flatten)]
    point: PointResults,
}

/// A swept path's value at one point.
#[derive(Serialize)]
struct SweptValue {
    /// As the scenario file writes it (a string, a number or a boolean).
    written: serde_json::Value,
    /// In SI units, when it is a number, a duration or a rate.
    si: Option<f64>,
}

/// One point of a sweep in the top-level `results.json`.
#[derive(Serialize)]
struct SweepPointResults {
    point: usize,
    folder: String,
    values: Ordered<SweptValue>,
    #[serde(flatten)]
    results: PointResults,
}

/// The sweep part of the top-level `results.json`.
#[derive(Serialize)]
struct SweepResults {
    params: Vec<String>,
    points: Vec<SweepPointResults>,
}

/// The top-level `results.json` of a sweep.
#[derive(Serialize)]
struct SweepRunResults<'a> {
    schema: &'static str,
    fleetsim_version: &'static str,
    name: &'a str,
    replications: u32,
    sweep: SweepResults,
}

/// The estimate of `read` across the replications of `study`.
fn across(study: &Study, read: impl Fn(&Outcomes) -> Option<f64>) -> Interval {
    Interval::of(study.runs.iter().map(read))
}

/// The results of `kind` across the replications of `study`.
fn kind_results(study: &Study, kind: Kind) -> KindResults {
    let runs = &study.runs;
    let status_rows: Vec<Vec<summary::Row>> = runs
        .iter()
        .map(|o| {
            summary::rows(o)
                .into_iter()
                .filter(|r| r.kind == kind && r.dimension == "status")
                .collect()
        })
        .collect();
    let statuses = status_rows
        .first()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let metric = |f: fn(&summary::Metrics) -> Option<f64>| {
                Interval::of(status_rows.iter().map(|rows| f(&rows[i].metrics)))
            };
            let peak = status_rows
                .iter()
                .filter_map(|rows| rows[i].metrics.max_count)
                .map(|m| m as u64)
                .max()
                .unwrap_or(0);
            (
                row.state.clone(),
                StatusResults {
                    share: metric(|m| m.share),
                    mean_count: metric(|m| m.mean_count),
                    max_count: metric(|m| m.max_count),
                    peak_count: peak,
                },
            )
        })
        .collect();
    let avail = |f: fn(&availability::Metrics) -> Option<f64>| {
        across(study, |o| {
            availability::rows(o)
                .into_iter()
                .find(|(k, _)| *k == kind.name())
                .and_then(|(_, m)| f(&m))
        })
    };
    let ops = |f: fn(&operations::Metrics) -> Option<f64>| {
        across(study, |o| {
            let rows = operations::rows(o);
            let of_kind = rows.iter().filter(|r| r.kind == kind);
            Some(of_kind.map(|r| f(&r.metrics).unwrap_or(0.0)).sum())
        })
    };
    let window_ms = |o: &Outcomes| o.scenario.window().ms() as f64;
    fn population(o: &Outcomes, kind: Kind) -> Option<&crate::stats::Dim> {
        o.stats(kind).map(|st| &st.population)
    }
    KindResults {
        population: Population {
            mean_count: across(study, |o| {
                let w = window_ms(o);
                population(o, kind).map(|p| if w > 0.0 { p.area(0) as f64 / w } else { 0.0 })
            }),
            max_count: across(study, |o| population(o, kind).map(|p| p.max(0) as f64)),
            peak_count: runs
                .iter()
                .filter_map(|o| population(o, kind).map(|p| p.max(0)))
                .max()
                .unwrap_or(0),
            instance_time_s: across(study, |o| {
                population(o, kind).map(|p| p.area(0) as f64 / 1_000.0)
            }),
        },
        availability: avail(|m| m.availability),
        wanted_mean_count: avail(|m| m.wanted_mean_count),
        available_mean_count: avail(|m| m.available_mean_count),
        operations: Operations {
            requested: ops(|m| m.requested),
            refused: ops(|m| Some(m.refused_conflict? + m.refused_locked?)),
            refused_capacity: ops(|m| m.refused_capacity),
            failed: ops(|m| m.failed),
            timed_out: ops(|m| m.timed_out),
        },
        statuses: Ordered(statuses),
    }
}

/// Every pool's results across the replications of `study`, in the
/// order of `capacity_summary.csv`.
fn pool_results(study: &Study) -> Vec<PoolResults> {
    let Some(first) = study.runs.first() else {
        return Vec::new();
    };
    first
        .pools
        .iter()
        .enumerate()
        .map(|(i, pool)| {
            let metrics = POOL_METRICS
                .iter()
                .map(|&name| {
                    let est = across(study, |o| {
                        let window = o.scenario.window().ms() as f64;
                        pools::Metrics::of(o.pools.get(i)?, window)
                            .get(name)
                            .flatten()
                    });
                    (name.to_string(), est)
                })
                .collect();
            PoolResults {
                pool: pool.name.clone(),
                kind: pool.kind,
                hosts: pool.hosts as u64,
                metrics: Ordered(metrics),
            }
        })
        .collect()
}

/// One point's results: what it ran, its kinds and its pools.
fn point_results(study: &Study) -> PointResults {
    let sc = &study.scenario;
    let kind = |k: Kind| sc.kind(k).is_some().then(|| kind_results(study, k));
    PointResults {
        seed: sc.seed,
        horizon_s: sc.horizon.as_secs_f64(),
        warmup_s: sc.warmup.as_secs_f64(),
        kinds: Kinds {
            ecs: kind(Kind::Ecs),
            bms: kind(Kind::Bms),
        },
        pools: pool_results(study),
    }
}

/// A swept value as JSON, as the file writes it: strings, numbers and
/// booleans as themselves, anything else (a table, a date) as `sweep.csv`
/// shows it.
fn written(v: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) if f.is_finite() => J::from(*f),
        toml::Value::Boolean(b) => J::Bool(*b),
        other => J::String(display(other)),
    }
}

/// Writes `doc` as `results.json` into `dir`, atomically.
fn write_json(dir: &Path, doc: &impl Serialize) -> Result<PathBuf> {
    let mut f = AtomicFile::create(dir, files::RESULTS)?;
    let w = f.writer();
    serde_json::to_writer_pretty(&mut *w, doc)?;
    writeln!(w)?;
    f.commit()
}

/// Writes `results.json` of one point (a run without a sweep, or one
/// point's folder) into `dir`.
pub fn export_results(dir: &Path, study: &Study) -> Result<PathBuf> {
    let doc = RunResults {
        schema: SCHEMA,
        fleetsim_version: env!("CARGO_PKG_VERSION"),
        name: &study.scenario.name,
        replications: study.scenario.replications,
        point: point_results(study),
    };
    write_json(dir, &doc)
}

/// Writes the top-level `results.json` of a sweep into `dir`: every point's
/// results beside its swept values.
pub fn export_sweep_results(dir: &Path, report: &RunReport) -> Result<PathBuf> {
    let first = &report.points[0].study.scenario;
    let points = report
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| SweepPointResults {
            point: i,
            folder: p
                .dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            values: Ordered(
                report
                    .params
                    .iter()
                    .zip(&p.values)
                    .map(|(path, v)| {
                        let value = SweptValue {
                            written: written(v),
                            si: si_value(v),
                        };
                        (path.clone(), value)
                    })
                    .collect(),
            ),
            results: point_results(&p.study),
        })
        .collect();
    let doc = SweepRunResults {
        schema: SCHEMA,
        fleetsim_version: env!("CARGO_PKG_VERSION"),
        name: &first.name,
        replications: first.replications,
        sweep: SweepResults {
            params: report.params.clone(),
            points,
        },
    };
    write_json(dir, &doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pool_metric_is_a_capacity_summary_column() {
        for name in POOL_METRICS {
            assert!(pools::Metrics::COLUMNS.contains(&name), "{name}");
        }
    }

    #[test]
    fn undefined_values_are_null_not_zero() {
        let none = Interval::of([None, None]);
        assert_eq!((none.n, none.mean, none.ci95_low), (0, None, None));
        let one = Interval::of([Some(0.5), None]);
        assert_eq!(
            (one.n, one.mean, one.sd, one.ci95_high),
            (1, Some(0.5), None, None)
        );
        let two = Interval::of([Some(1.0), Some(3.0)]);
        assert_eq!(two.mean, Some(2.0));
        assert!(two.ci95_low.unwrap() < 2.0 && two.ci95_high.unwrap() > 2.0);
        let json = serde_json::to_string(&one).unwrap();
        assert_eq!(
            json,
            r#"{"n":1,"mean":0.5,"sd":null,"ci95_low":null,"ci95_high":null}"#
        );
    }
}
