//! `operations.csv` and `operations_ci.csv`: per kind and operation, how many
//! were requested, refused (conflict or lock), started, succeeded, failed,
//! timed out or pre-empted over [warmup, horizon], and how long the
//! successful ones took; one row per replication, then the estimate.

use super::{Keyed, KeyedRows};
use crate::model::{Kind, Op};
use crate::results::Outcomes;

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

/// One replication's rows, keyed by kind and operation.
fn keyed(o: &Outcomes) -> KeyedRows {
    rows(o)
        .into_iter()
        .map(|r| {
            let key = vec![r.kind.name().to_string(), r.op.name().to_string()];
            (key, r.values.to_vec())
        })
        .collect()
}

/// `operations.csv`: one row per replication, kind and operation.
pub const OPERATIONS_CSV: Keyed = Keyed {
    file: "operations.csv",
    keys: &["kind", "operation"],
    metrics: &METRICS,
    rows: keyed,
    estimates: false,
};

/// `operations_ci.csv`: per operation and metric, the estimate across
/// replications.
pub const OPERATIONS_CI_CSV: Keyed = Keyed {
    file: "operations_ci.csv",
    estimates: true,
    ..OPERATIONS_CSV
};
