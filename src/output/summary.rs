//! `summary.csv` and `summary_ci.csv`: per kind, dimension and state, the
//! time-weighted mean occupancy, share of instance-time, peak, entries and
//! sojourn times over [warmup, horizon], integrated exactly at every
//! transition; one row per replication, then the estimate across them,
//! with the sojourn quantiles of every replication's stays pooled.

use super::{Keyed, KeyedRows, Pooled, columns, files};
use crate::model::{Kind, Status};
use crate::results::Outcomes;
use crate::stats::{Dim, LogHistogram};

columns! {
    /// The numeric columns of a summary row, in file order; the sojourn
    /// columns are empty where no stay ended, and `share` where the kind
    /// had no servers.
    pub struct Metrics {
        /// Time-weighted mean number of servers in the state.
        mean_count,
        /// Share of instance-time in the state; empty when the kind had
        /// no servers in the window.
        share,
        /// Most servers in the state at once.
        max_count,
        /// Times a server entered the state.
        entries,
        /// Mean time spent in the state, over stays that ended.
        mean_sojourn_s,
        /// Median stay.
        p50_sojourn_s,
        /// 95th percentile of stays.
        p95_sojourn_s,
        /// 99th percentile of stays.
        p99_sojourn_s,
    }
}

/// One (kind, dimension, state) of one replication.
pub struct Row {
    /// The kind (`kind` column).
    pub kind: Kind,
    /// `status`, `ecs_state` or `bms_state` (`dimension` column).
    pub dimension: &'static str,
    /// The status, the ECS pair (`active:resize_prep`) or the BMS state
    /// (`state` column).
    pub state: String,
    /// The numeric columns, in file order.
    pub metrics: Metrics,
}

fn row(
    kind: Kind,
    dimension: &'static str,
    state: &str,
    dim: &Dim,
    s: usize,
    window_ms: f64,
    pop_area: f64,
) -> Row {
    let area = dim.area(s) as f64;
    let soj = dim.sojourn(s);
    Row {
        kind,
        dimension,
        state: state.to_string(),
        metrics: Metrics {
            mean_count: Some(if window_ms > 0.0 {
                area / window_ms
            } else {
                0.0
            }),
            // A kind with no server-time has no shares: not 0 each, which
            // would not add up to 1 and would read as measured.
            share: (pop_area > 0.0).then(|| area / pop_area),
            max_count: Some(dim.max(s) as f64),
            entries: Some(dim.entries(s) as f64),
            mean_sojourn_s: soj.mean_s(),
            p50_sojourn_s: soj.quantile_s(0.50),
            p95_sojourn_s: soj.quantile_s(0.95),
            p99_sojourn_s: soj.quantile_s(0.99),
        },
    }
}

/// Every summary row of one replication, in file order.
pub fn rows(o: &Outcomes) -> Vec<Row> {
    let window_ms = o.scenario.window().ms() as f64;
    let mut out = Vec::new();
    for (m, st) in &o.kinds {
        let pop_area = st.population.area(0) as f64;
        for s in m.statuses() {
            out.push(row(
                m.kind,
                "status",
                s.name(),
                &st.status,
                s as usize,
                window_ms,
                pop_area,
            ));
        }
        let dimension = match m.kind {
            Kind::Ecs => "ecs_state",
            Kind::Bms => "bms_state",
        };
        for (i, name) in m.state_names.iter().enumerate() {
            out.push(row(
                m.kind, dimension, name, &st.detail, i, window_ms, pop_area,
            ));
        }
    }
    out
}

/// Share of `status` in one replication's kind, for reports.
pub fn status_share(o: &Outcomes, kind: Kind, status: Status) -> Option<f64> {
    let st = o.stats(kind)?;
    let pop = st.population.area(0) as f64;
    (pop > 0.0).then(|| st.status.area(status as usize) as f64 / pop)
}

/// One replication's rows, keyed by kind, dimension and state.
fn keyed(o: &Outcomes) -> KeyedRows {
    rows(o)
        .into_iter()
        .map(|r| {
            let key = vec![r.kind.name().to_string(), r.dimension.to_string(), r.state];
            (key, r.metrics.values())
        })
        .collect()
}

/// One replication's sojourn histograms, one per row of [`rows`], in the
/// same order.
fn sojourns(o: &Outcomes) -> Vec<&LogHistogram> {
    let mut out = Vec::new();
    for (m, st) in &o.kinds {
        out.extend(
            m.statuses()
                .into_iter()
                .map(|s| st.status.sojourn(s as usize)),
        );
        out.extend((0..m.state_names.len()).map(|i| st.detail.sojourn(i)));
    }
    out
}

/// The sojourn quantiles of `summary_ci.csv` pooled across replications.
pub const POOLED_SOJOURNS: Pooled = Pooled {
    quantiles: &[
        ("pooled_p50_sojourn_s", 0.50),
        ("pooled_p95_sojourn_s", 0.95),
        ("pooled_p99_sojourn_s", 0.99),
    ],
    histograms: sojourns,
};

/// `summary.csv`: one row per replication and state.
pub const SUMMARY_CSV: Keyed = Keyed {
    file: files::SUMMARY,
    keys: &["kind", "dimension", "state"],
    metrics: Metrics::COLUMNS,
    rows: keyed,
    estimates: false,
    pooled: None,
};

/// `summary_ci.csv`: per state and metric, the estimate across replications
/// (mean, standard deviation, 95% Student-t interval), then the sojourn
/// quantiles of every replication's stays pooled.
pub const SUMMARY_CI_CSV: Keyed = Keyed {
    file: files::SUMMARY_CI,
    estimates: true,
    pooled: Some(POOLED_SOJOURNS),
    ..SUMMARY_CSV
};
