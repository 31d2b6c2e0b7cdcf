//! `availability.csv` and `availability_ci.csv`: per kind, the share of the
//! instance-time its owners wanted servers running during which they showed
//! ACTIVE (see the README for the exact definition).

use super::{Export, KeyedRows, Study, write_estimates, write_per_replication};
use crate::sim::Outcomes;
use anyhow::Result;
use std::io::Write;

/// The numeric columns, in file order.
pub const METRICS: [&str; 3] = ["wanted_mean_count", "available_mean_count", "availability"];

/// Per kind of one replication: kind name and values in [`METRICS`] order.
fn rows(o: &Outcomes) -> Vec<(&'static str, [Option<f64>; 3])> {
    let window_ms = o.scenario.window().ms() as f64;
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

/// Every replication's rows, keyed by kind.
fn keyed(study: &Study) -> Vec<KeyedRows> {
    study
        .runs
        .iter()
        .map(|o| {
            rows(o)
                .into_iter()
                .map(|(k, v)| (vec![k.to_string()], v.to_vec()))
                .collect()
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
        write_per_replication(w, &["kind"], &METRICS, &keyed(study))
    }
}

/// The `availability_ci.csv` exporter: the estimate across replications.
pub struct AvailabilityCiCsv;

impl Export for AvailabilityCiCsv {
    fn file_name(&self) -> &'static str {
        "availability_ci.csv"
    }

    fn write(&self, study: &Study, w: &mut dyn Write) -> Result<()> {
        write_estimates(w, &["kind"], &METRICS, &keyed(study))
    }
}
