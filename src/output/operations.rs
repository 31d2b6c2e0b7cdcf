//! `operations.csv`: per kind and operation, how many were requested, refused
//! (conflict or lock), started, succeeded, failed, timed out or pre-empted over
//! [warmup, horizon], and how long the successful ones took.

use super::{Export, opt};
use crate::sim::Outcomes;
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct Row<'a> {
    kind: &'a str,
    operation: &'a str,
    requested: u64,
    refused_conflict: u64,
    refused_locked: u64,
    started: u64,
    succeeded: u64,
    failed: u64,
    timed_out: u64,
    mean_duration_s: String,
    p95_duration_s: String,
    preempted: u64,
}

/// The `operations.csv` exporter.
pub struct OperationsCsv;

impl Export for OperationsCsv {
    fn file_name(&self) -> &'static str {
        "operations.csv"
    }

    fn write(&self, o: &Outcomes, w: &mut dyn Write) -> Result<()> {
        let mut csv = csv::Writer::from_writer(w);
        for (m, st) in &o.kinds {
            for &op in m.ops {
                let c = &st.ops[op.index()];
                csv.serialize(Row {
                    kind: m.kind.name(),
                    operation: op.name(),
                    requested: c.requested,
                    refused_conflict: c.refused_conflict,
                    refused_locked: c.refused_locked,
                    started: c.started,
                    succeeded: c.succeeded,
                    failed: c.failed,
                    timed_out: c.timed_out,
                    mean_duration_s: opt(c.duration.mean_s()),
                    p95_duration_s: opt(c.duration.quantile_s(0.95)),
                    preempted: c.preempted,
                })?;
            }
        }
        csv.flush()?;
        Ok(())
    }
}
