//! `availability.csv` and `availability_ci.csv`: per kind, the share of the
//! instance-time its owners wanted servers running during which they showed
//! ACTIVE (see the README for the exact definition).

use super::{Export, Study, ci_record, opt};
use crate::ci::Estimate;
use crate::sim::Outcomes;
use anyhow::Result;
use std::io::Write;

/// The numeric columns, in file order.
pub const METRICS: [&str; 3] = ["wanted_mean_count", "available_mean_count", "availability"];

/// Per kind of one replication: kind name and values in [`METRICS`] order.
fn rows(o: &Outcomes) -> Vec<(&'static str, [Option<f64>; 3])> {
    let window_ms = o.scenario.horizon.since(o.scenario.warmup).ms() as f64;
    o.kinds
        .iter()
        .map(|(m, st)| {
            let mean = |area: u128| {
                Some(if window_ms > 0.0 {
                    area as f64 / window_ms
                } else {
                    0.0
                })
            };
            (
                m.kind.name(),
                [
                    mean(st.wanted.area(0)),
                    mean(st.available.area(0)),
                    st.availability(),
                ],
            )
        })
        .collect()
}

/// The `availability.csv` exporter: one row per replication and kind.
pub struct AvailabilityCsv;

impl Export for AvailabilityCsv {
    fn file_name(&self) -> &'static str {
        "availability.csv"
    }

    fn write(&self, study: &Study, w: &mut dyn Write) -> Result<()> {
        let mut csv = csv::Writer::from_writer(w);
        let mut header = vec!["replication", "kind"];
        header.extend(METRICS);
        csv.write_record(&header)?;
        for (r, o) in study.runs.iter().enumerate() {
            for (kind, values) in rows(o) {
                let mut rec = vec![r.to_string(), kind.to_string()];
                rec.extend(values.iter().map(|v| opt(*v)));
                csv.write_record(&rec)?;
            }
        }
        csv.flush()?;
        Ok(())
    }
}

/// The `availability_ci.csv` exporter: the estimate across replications.
pub struct AvailabilityCiCsv;

impl Export for AvailabilityCiCsv {
    fn file_name(&self) -> &'static str {
        "availability_ci.csv"
    }

    fn write(&self, study: &Study, w: &mut dyn Write) -> Result<()> {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(["kind", "metric", "n", "mean", "sd", "ci95_low", "ci95_high"])?;
        let all: Vec<_> = study.runs.iter().map(rows).collect();
        for (i, (kind, _)) in all[0].iter().enumerate() {
            for (m, metric) in METRICS.iter().enumerate() {
                let xs: Vec<f64> = all.iter().filter_map(|r| r[i].1[m]).collect();
                let mut rec = vec![kind.to_string(), metric.to_string()];
                rec.extend(ci_record(Estimate::of(&xs)));
                csv.write_record(&rec)?;
            }
        }
        csv.flush()?;
        Ok(())
    }
}
