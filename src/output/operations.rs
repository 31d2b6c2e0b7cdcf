//! `operations.csv` and `operations_ci.csv`: per kind and operation, how many
//! were requested, refused (conflict or lock), started, succeeded, failed,
//! timed out or pre-empted over [warmup, horizon], and how long the
//! successful ones took; one row per replication, then the estimate.

use super::{Export, KeyedRows, Study, write_estimates, write_per_replication};
use crate::model::{Kind, Op};
use crate::sim::Outcomes;
use anyhow::Result;
use std::io::Write;

/// The numeric columns, in file order.
pub const METRICS: [&str; 11] = [
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
    "refused_capacity",
];

/// One (kind, operation) of one replication.
pub struct Row {
    pub kind: Kind,
    pub op: Op,
    pub values: [Option<f64>; 11],
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
                    n(c.refused_capacity),
                ],
            });
        }
    }
    out
}

/// Every replication's rows, keyed by kind and operation.
fn keyed(study: &Study) -> Vec<KeyedRows> {
    study
        .runs
        .iter()
        .map(|o| {
            rows(o)
                .into_iter()
                .map(|r| {
                    (
                        vec![r.kind.name().to_string(), r.op.name().to_string()],
                        r.values.to_vec(),
                    )
                })
                .collect()
        })
        .collect()
}

const KEYS: [&str; 2] = ["kind", "operation"];

/// The `operations.csv` exporter.
pub struct OperationsCsv;

impl Export for OperationsCsv {
    fn file_name(&self) -> &'static str {
        "operations.csv"
    }

    fn write(&self, study: &Study, w: &mut dyn Write) -> Result<()> {
        write_per_replication(w, &KEYS, &METRICS, &keyed(study))
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
        write_estimates(w, &KEYS, &METRICS, &keyed(study))
    }
}
