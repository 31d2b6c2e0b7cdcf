//! The files of a plan: `plan.csv`, one row per candidate evaluated, and
//! `plan.json`, what was asked for and the answers, written last (its
//! presence marks a complete plan). Both go through
//! [`crate::output::AtomicFile`], as every output file does.

use super::{PlanReport, Verdict};
use crate::output::files::{OUTPUT_SCHEMA_VERSION, PLAN_CSV, PLAN_JSON};
use crate::output::{AtomicFile, num};
use crate::scenario::Scenario;
use anyhow::Result;
use serde::Serialize;
use std::path::Path;

/// The columns of `plan.csv`.
pub const PLAN_COLUMNS: [&str; 11] = [
    "pool",
    "kind",
    "hosts",
    "replications",
    "metric",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "target",
    "verdict",
];

/// Writes `plan.csv`, then `plan.json`; returns their names.
pub fn write(dir: &Path, report: &PlanReport, source: Option<&Path>) -> Result<Vec<String>> {
    let mut f = AtomicFile::create(dir, PLAN_CSV)?;
    {
        let mut csv = csv::Writer::from_writer(f.writer());
        csv.write_record(PLAN_COLUMNS)?;
        let f64_or_empty = |v: f64| if v.is_finite() { num(v) } else { String::new() };
        let target = format!(
            "{} {}",
            report.target.comparison.symbol(),
            num(report.target.value)
        );
        for p in &report.pools {
            for c in &p.candidates {
                let (mean, sd) = c.estimate.map_or((f64::NAN, f64::NAN), |e| (e.mean, e.sd));
                csv.write_record([
                    p.pool.clone(),
                    p.kind.name().to_string(),
                    c.hosts.to_string(),
                    c.replications().to_string(),
                    report.target.metric.name().to_string(),
                    f64_or_empty(mean),
                    f64_or_empty(sd),
                    f64_or_empty(c.low),
                    f64_or_empty(c.high),
                    target.clone(),
                    c.verdict.name().to_string(),
                ])?;
            }
        }
        csv.flush()?;
    }
    f.commit()?;
    let files = vec![PLAN_CSV.to_string(), PLAN_JSON.to_string()];
    let manifest = Manifest::new(report, source, files.clone());
    let mut f = AtomicFile::create(dir, PLAN_JSON)?;
    serde_json::to_writer_pretty(&mut *f.writer(), &manifest)?;
    std::io::Write::write_all(f.writer(), b"\n")?;
    f.commit()?;
    Ok(files)
}

/// `plan.json`.
#[derive(Serialize)]
struct Manifest<'a> {
    fleetsim_version: &'static str,
    output_schema_version: u32,
    scenario_file: Option<String>,
    scenario: &'a Scenario,
    seed: u64,
    horizon_s: f64,
    warmup_s: f64,
    target: String,
    confidence: f64,
    start_replications: u32,
    max_replications: u32,
    replaced_sweep: &'a [String],
    pools: Vec<PoolManifest<'a>>,
    replications_run: u64,
    events_processed: u64,
    wall_seconds: f64,
    files: Vec<String>,
}

/// One pool's search in `plan.json`.
#[derive(Serialize)]
struct PoolManifest<'a> {
    pool: &'a str,
    kind: &'static str,
    configured_hosts: u32,
    min: u32,
    max: u32,
    hosts: Option<u32>,
    outcome: &'static str,
    evaluated: &'a [u32],
    out_of_order: &'a [u32],
}

impl<'a> Manifest<'a> {
    fn new(r: &'a PlanReport, source: Option<&Path>, files: Vec<String>) -> Manifest<'a> {
        let sc = &r.scenario;
        Manifest {
            fleetsim_version: env!("CARGO_PKG_VERSION"),
            output_schema_version: OUTPUT_SCHEMA_VERSION,
            scenario_file: source.map(|p| p.display().to_string()),
            scenario: sc,
            seed: sc.seed,
            horizon_s: sc.horizon.as_secs_f64(),
            warmup_s: sc.warmup.as_secs_f64(),
            target: r.target.to_string(),
            confidence: r.confidence,
            start_replications: r.start_replications,
            max_replications: r.max_replications,
            replaced_sweep: &r.replaced_sweep,
            pools: r
                .pools
                .iter()
                .map(|p| PoolManifest {
                    pool: &p.pool,
                    kind: p.kind.name(),
                    configured_hosts: p.configured,
                    min: p.min,
                    max: p.max,
                    hosts: p.answer,
                    outcome: match p.answer {
                        Some(_) if p.out_of_order.is_empty() => "found",
                        Some(_) => "found_not_monotone",
                        None => match p.candidate(p.max).map(|c| c.verdict) {
                            Some(Verdict::Undecided) => "max_undecided",
                            _ => "max_fails",
                        },
                    },
                    evaluated: &p.order,
                    out_of_order: &p.out_of_order,
                })
                .collect(),
            replications_run: r.replications_run,
            events_processed: r.events,
            wall_seconds: r.wall_seconds,
            files,
        }
    }
}
