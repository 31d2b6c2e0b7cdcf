//! `availability.csv` and `availability_ci.csv`: per kind, the share of the
//! instance-time its owners wanted servers running during which they showed
//! ACTIVE (docs/model.md §7 gives the exact definition).

use super::{Keyed, KeyedRows, columns, files};
use crate::results::Outcomes;

columns! {
    /// The numeric columns of an availability row, in file order.
    pub struct Metrics {
        /// Time-weighted mean number of servers wanted running.
        wanted_mean_count,
        /// Time-weighted mean number of those showing ACTIVE.
        available_mean_count,
        /// Their ratio; empty when nothing was wanted running.
        availability,
    }
}

/// Per kind of one replication: kind name and values.
pub(crate) fn rows(o: &Outcomes) -> Vec<(&'static str, Metrics)> {
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
                Metrics {
                    wanted_mean_count: mean(st.wanted.area(0)),
                    available_mean_count: mean(st.available.area(0)),
                    availability: st.availability(),
                },
            )
        })
        .collect()
}

/// One replication's rows, keyed by kind.
fn keyed(o: &Outcomes) -> KeyedRows {
    rows(o)
        .into_iter()
        .map(|(k, m)| (vec![k.to_string()], m.values()))
        .collect()
}

/// `availability.csv`: one row per replication and kind.
pub const AVAILABILITY_CSV: Keyed = Keyed {
    file: files::AVAILABILITY,
    keys: &["kind"],
    metrics: Metrics::COLUMNS,
    rows: keyed,
    estimates: false,
    pooled: None,
};

/// `availability_ci.csv`: the estimate across replications.
pub const AVAILABILITY_CI_CSV: Keyed = Keyed {
    file: files::AVAILABILITY_CI,
    estimates: true,
    ..AVAILABILITY_CSV
};
