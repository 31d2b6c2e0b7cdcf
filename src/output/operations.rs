//! `operations.csv` and `operations_ci.csv`: per kind and operation, how many
//! were requested, refused (conflict or lock), started, succeeded, failed,
//! timed out or pre-empted over [warmup, horizon], and how long the
//! successful ones took; one row per replication, then the estimate.

use super::{Export, Study, ci_record, opt};
use crate::ci::Estimate;
use crate::model::{Kind, Op};
use crate::sim::Outcomes;
use anyhow::Result;
use std::io::Write;

/// The numeric columns, in file order.
pub const METRICS: [&str; 10] = [
    "requested",
    "refused_conflict",
    "refused_locked",
    "started",
    "succeeded",
    "failed",
    "timed_out",
    "mean_duration_s",
    "p95_duration_s",
    "preempted",
];

/// One (kind, operation) of one replication.
pub struct Row {
    pub kind: Kind,
    pub op: Op,
    pub values: [Option<f64>; 10],
}

/// Every operation row of one replication, in file order.
pub fn rows(o: &Outcomes) -> Vec<Row> {
    let mut out = Vec::new();
    for (m, st) in &o.kinds {
        for &op in m.ops {
            let c = &st.ops[op.index()];
            let n = |x: u64| Some(x as f64);
            out.push(Row {
                kind: m.kind,
                op,
                values: [
                    n(c.requested),
                    n(c.refused_conflict),
                    n(c.refused_locked),
                    n(c.started),
                    n(c.succeeded),
                    n(c.failed),
                    n(c.timed_out),
                    c.duration.mean_s(),
                    c.duration.quantile_s(0.95),
                    n(c.preempted),
                ],
            });
        }
    }
    out
}

/// The `operations.csv` exporter.
pub struct OperationsCsv;

impl Export for OperationsCsv {
    fn file_name(&self) -> &'static str {
        "operations.csv"
    }

    fn write(&self, study: &Study, w: &mut dyn Write) -> Result<()> {
        let mut csv = csv::Writer::from_writer(w);
        let mut header = vec!["replication", "kind", "operation"];
        header.extend(METRICS);
        csv.write_record(&header)?;
        for (r, o) in study.runs.iter().enumerate() {
            for row in rows(o) {
                let mut rec = vec![r.to_string(), row.kind.name().into(), row.op.name().into()];
                rec.extend(row.values.iter().map(|v| opt(*v)));
                csv.write_record(&rec)?;
            }
        }
        csv.flush()?;
        Ok(())
    }
}

/// The `operations_ci.csv` exporter: per operation and metric, the estimate
/// across replications.
pub struct OperationsCiCsv;

impl Export for OperationsCiCsv {
    fn file_name(&self) -> &'static str {
        "operations_ci.csv"
    }

    fn write(&self, study: &Study, w: &mut dyn Write) -> Result<()> {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record([
            "kind",
            "operation",
            "metric",
            "n",
            "mean",
            "sd",
            "ci95_low",
            "ci95_high",
        ])?;
        let all: Vec<Vec<Row>> = study.runs.iter().map(rows).collect();
        for (i, first) in all[0].iter().enumerate() {
            for (m, metric) in METRICS.iter().enumerate() {
                let xs: Vec<f64> = all.iter().filter_map(|rows| rows[i].values[m]).collect();
                let mut rec = vec![
                    first.kind.name().to_string(),
                    first.op.name().into(),
                    metric.to_string(),
                ];
                rec.extend(ci_record(Estimate::of(&xs)));
                csv.write_record(&rec)?;
            }
        }
        csv.flush()?;
        Ok(())
    }
}
