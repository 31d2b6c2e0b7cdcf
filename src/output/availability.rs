//! `availability.csv` and `availability_ci.csv`: per kind, the share of the
//! instance-time its owners wanted servers running during which they showed
//! ACTIVE (docs/model.md §7 gives the exact definition).

use super::{Keyed, KeyedRows};
use crate::results::Outcomes;

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

/// One replication's rows, keyed by kind.
fn keyed(o: &Outcomes) -> KeyedRows {
    rows(o)
        .into_iter()
        .map(|(k, v)| (vec![k.to_string()], v.to_vec()))
        .collect()
}

/// `availability.csv`: one row per replication and kind.
pub const AVAILABILITY_CSV: Keyed = Keyed {
    file: "availability.csv",
    keys: &["kind"],
    metrics: &METRICS,
    rows: keyed,
    estimates: false,
};

/// `availability_ci.csv`: the estimate across replications.
pub const AVAILABILITY_CI_CSV: Keyed = Keyed {
    file: "availability_ci.csv",
    estimates: true,
    ..AVAILABILITY_CSV
};
