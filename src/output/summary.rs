//! `summary.csv`: per kind, dimension and state, the time-weighted mean
//! occupancy, share of instance-time, peak, entries and sojourn times over
//! [warmup, horizon], all integrated exactly at every transition.

use super::{Export, num, opt};
use crate::model::{Kind, Status};
use crate::sim::Outcomes;
use crate::stats::Dim;
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// One row of `summary.csv`.
#[derive(Serialize)]
struct Row<'a> {
    kind: &'a str,
    dimension: &'a str,
    state: &'a str,
    mean_count: String,
    share: String,
    max_count: u64,
    entries: u64,
    mean_sojourn_s: String,
    p50_sojourn_s: String,
    p95_sojourn_s: String,
    p99_sojourn_s: String,
}

/// The `summary.csv` exporter.
pub struct SummaryCsv;

fn row<'a>(
    kind: Kind,
    dimension: &'a str,
    state: &'a str,
    dim: &Dim,
    s: usize,
    window_ms: f64,
    pop_area: f64,
) -> Row<'a> {
    let area = dim.area(s) as f64;
    let soj = dim.sojourn(s);
    Row {
        kind: kind.name(),
        dimension,
        state,
        mean_count: num(if window_ms > 0.0 {
            area / window_ms
        } else {
            0.0
        }),
        share: num(if pop_area > 0.0 { area / pop_area } else { 0.0 }),
        max_count: dim.max(s),
        entries: dim.entries(s),
        mean_sojourn_s: opt(soj.mean_s()),
        p50_sojourn_s: opt(soj.quantile_s(0.50)),
        p95_sojourn_s: opt(soj.quantile_s(0.95)),
        p99_sojourn_s: opt(soj.quantile_s(0.99)),
    }
}

impl Export for SummaryCsv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn write(&self, o: &Outcomes, w: &mut dyn Write) -> Result<()> {
        let mut csv = csv::Writer::from_writer(w);
        let window_ms = o.scenario.horizon.since(o.scenario.warmup).ms() as f64;
        for (m, st) in &o.kinds {
            let pop_area = st.population.area(0) as f64;
            let statuses: Vec<Status> = m.statuses();
            for s in statuses {
                csv.serialize(row(
                    m.kind,
                    "status",
                    s.name(),
                    &st.status,
                    s as usize,
                    window_ms,
                    pop_area,
                ))?;
            }
            let dimension = match m.kind {
                Kind::Ecs => "ecs_state",
                Kind::Bms => "bms_state",
            };
            for (i, name) in m.state_names.iter().enumerate() {
                csv.serialize(row(
                    m.kind, dimension, name, &st.detail, i, window_ms, pop_area,
                ))?;
            }
        }
        csv.flush()?;
        Ok(())
    }
}
