//! `operations.csv` and `operations_ci.csv`: per kind and operation, how many
//! were requested, refused (conflict or lock), started, succeeded, failed,
//! timed out or pre-empted over [warmup, horizon], and how long the
//! successful ones took; one row per replication, then the estimate, with
//! the duration quantile of every replication's successes pooled.

use super::{Keyed, KeyedRows, Pooled, columns, files};
use crate::model::{Kind, Op};
use crate::results::Outcomes;
use crate::stats::LogHistogram;

columns! {
    /// The numeric columns of an operations row, in file order (see
    /// docs/output.md); the durations are empty without a success.
    pub struct Metrics {
        /// Requests made: by users (the operation mix, end-of-life deletes), by
        /// admins (repairs), by billing, or by the resize decision.
        requested,
        /// Refused with a conflict (HTTP 409): the server's state does not
        /// allow the operation, or (with capacity) its host is down.
        refused_conflict,
        /// Refused because the server is locked.
        refused_locked,
        /// Accepted and started (an ECS create also when its build is then
        /// blocked).
        started,
        /// Finished successfully.
        succeeded,
        /// Ended by an injected failure, or by a host failure under the server.
        failed,
        /// Ended by the watchdog.
        timed_out,
        /// Mean time from start to success.
        mean_duration_s,
        /// 95th percentile of that time.
        p95_duration_s,
        /// Interrupted by another operation: a BMS forcible restart or delete,
        /// or an ECS hard reboot with `hard_preempts`.
        preempted,
        /// Refused because no host had room; for `create`, builds that found no
        /// valid host.
        refused_capacity,
    }
}

/// One (kind, operation) of one replication.
pub struct Row {
    /// The kind (`kind` column).
    pub kind: Kind,
    /// The operation (`operation` column).
    pub op: Op,
    /// The numeric columns, in file order.
    pub metrics: Metrics,
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
                metrics: Metrics {
                    requested: n(c.requested),
                    refused_conflict: n(c.refused_conflict),
                    refused_locked: n(c.refused_locked),
                    started: n(c.started),
                    succeeded: n(c.succeeded),
                    failed: n(c.failed),
                    timed_out: n(c.timed_out),
                    mean_duration_s: c.duration.mean_s(),
                    p95_duration_s: c.duration.quantile_s(0.95),
                    preempted: n(c.preempted),
                    refused_capacity: n(c.refused_capacity),
                },
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
            (key, r.metrics.values())
        })
        .collect()
}

/// One replication's duration histograms, one per row of [`rows`], in the
/// same order.
fn durations(o: &Outcomes) -> Vec<&LogHistogram> {
    let mut out = Vec::new();
    for (m, st) in &o.kinds {
        out.extend(m.ops.iter().map(|op| &st.ops[op.index()].duration));
    }
    out
}

/// The duration quantile of `operations_ci.csv` pooled across replications.
pub const POOLED_DURATIONS: Pooled = Pooled {
    quantiles: &[("pooled_p95_duration_s", 0.95)],
    histograms: durations,
};

/// `operations.csv`: one row per replication, kind and operation.
pub const OPERATIONS_CSV: Keyed = Keyed {
    file: files::OPERATIONS,
    keys: &["kind", "operation"],
    metrics: Metrics::COLUMNS,
    rows: keyed,
    estimates: false,
    pooled: None,
};

/// `operations_ci.csv`: per operation and metric, the estimate across
/// replications, then the duration quantile of every replication's
/// successes pooled.
pub const OPERATIONS_CI_CSV: Keyed = Keyed {
    file: files::OPERATIONS_CI,
    estimates: true,
    pooled: Some(POOLED_DURATIONS),
    ..OPERATIONS_CSV
};
