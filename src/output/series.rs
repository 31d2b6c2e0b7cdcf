//! Occupancy time series across replications: each replication's samples are
//! kept in memory ([`SeriesRecorder`], a few bytes per sample and column),
//! then written as the mean per sample with the 2.5% and 97.5% quantiles
//! across replications ([`write_aggregate`]).

use super::files;
use super::pools::Sample;
use super::{AtomicFile, num, write_num};
use crate::capacity::Pool;
use crate::ci::quantile;
use crate::engine::SimTime;
use crate::model::{Kind, Machine, Status, bms, ecs};
use crate::sim::{Change, Recorder};
use crate::stats::KindStats;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// One kind's samples: per sample, the population, the 12 status counts,
/// then the counts of the kind's detailed states.
#[derive(Default, Serialize, Deserialize)]
struct KindSeries {
    kind: Option<Kind>,
    width: usize,
    data: Vec<u32>,
}

/// Keeps every sample of one replication in memory.
#[derive(Default, Serialize, Deserialize)]
pub struct SeriesRecorder {
    times: Vec<SimTime>,
    kinds: Vec<KindSeries>,
    /// Pools (name, kind) and, per sample and pool, its `capacity.csv`
    /// columns (NaN where empty).
    pools: Vec<(String, Kind)>,
    #[serde(with = "crate::stats::exact_vec")]
    capacity: Vec<f64>,
}

impl Recorder for SeriesRecorder {
    fn wants_changes(&self) -> bool {
        false
    }

    fn change(&mut self, _: &Change, _: &Machine) {}

    fn capacity(&mut self, _t: SimTime, pools: &[Pool]) {
        if self.pools.is_empty() {
            self.pools = pools.iter().map(|p| (p.name.clone(), p.kind)).collect();
        }
        for p in pools {
            self.capacity
                .extend(Sample::of(p).values().iter().map(|v| v.unwrap_or(f64::NAN)));
        }
    }

    fn sample(&mut self, t: SimTime, kind: Kind, stats: &KindStats, _: &Machine) {
        if self.times.last() != Some(&t) {
            self.times.push(t);
        }
        let k = match self.kinds.iter().position(|s| s.kind == Some(kind)) {
            Some(k) => k,
            None => {
                self.kinds.push(KindSeries {
                    kind: Some(kind),
                    width: 1 + stats.status.counts().len() + stats.detail.counts().len(),
                    data: Vec::new(),
                });
                self.kinds.len() - 1
            }
        };
        let s = &mut self.kinds[k];
        s.data.push(stats.population_now() as u32);
        s.data
            .extend(stats.status.counts().iter().map(|&c| c as u32));
        s.data
            .extend(stats.detail.counts().iter().map(|&c| c as u32));
    }
}

/// Mean, 2.5% and 97.5% quantiles of one column at one sample across runs.
fn aggregate(
    runs: &[SeriesRecorder],
    k: usize,
    sample: usize,
    col: usize,
    buf: &mut Vec<f64>,
) -> (f64, f64, f64) {
    buf.clear();
    buf.extend(runs.iter().map(|r| {
        let s = &r.kinds[k];
        s.data[sample * s.width + col] as f64
    }));
    let mean = buf.iter().sum::<f64>() / buf.len() as f64;
    (mean, quantile(buf, 0.025), quantile(buf, 0.975))
}

/// One row's columns after its leading fields: every mean, then every pair
/// of quantiles. `stats` is reused from row to row.
fn write_stats(
    w: &mut impl Write,
    runs: &[SeriesRecorder],
    (k, sample): (usize, usize),
    cols: &[usize],
    stats: &mut Vec<(f64, f64, f64)>,
    buf: &mut Vec<f64>,
) -> std::io::Result<()> {
    stats.clear();
    stats.extend(cols.iter().map(|&c| aggregate(runs, k, sample, c, buf)));
    for (mean, _, _) in stats.iter() {
        w.write_all(b",")?;
        write_num(w, *mean)?;
    }
    for (_, lo, hi) in stats.iter() {
        w.write_all(b",")?;
        write_num(w, *lo)?;
        w.write_all(b",")?;
        write_num(w, *hi)?;
    }
    w.write_all(b"\n")
}

fn write_rows(
    w: &mut impl Write,
    runs: &[SeriesRecorder],
    k: usize,
    cols: &[usize],
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(runs.len());
    let mut stats = Vec::with_capacity(cols.len());
    for (i, &t) in runs[0].times.iter().enumerate() {
        w.write_all(t.seconds_text().as_bytes())?;
        write_stats(w, runs, (k, i), cols, &mut stats, &mut buf)?;
    }
    Ok(())
}

fn header(lead: &str, names: &[String]) -> String {
    let q: Vec<String> = names
        .iter()
        .flat_map(|n| [format!("{n}_q025"), format!("{n}_q975")])
        .collect();
    format!("{lead},{},{}", names.join(","), q.join(","))
}

/// Writes `occupancy_status.csv`, `occupancy_ecs.csv` and `occupancy_bms.csv`
/// as means across `runs` with quantile columns, each file on its own
/// thread: this export runs after every replication, so it would otherwise
/// be the serial tail of a parallel study.
pub fn write_aggregate(dir: &Path, runs: &[SeriesRecorder]) -> Result<Vec<PathBuf>> {
    let joined = |h: std::thread::ScopedJoinHandle<'_, Result<PathBuf>>| {
        h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    };
    std::thread::scope(|scope| {
        let status = scope.spawn(|| write_status_aggregate(dir, runs));
        let kinds: Vec<_> = (0..runs[0].kinds.len())
            .map(|k| scope.spawn(move || write_kind_aggregate(dir, runs, k)))
            .collect();
        let mut written = vec![joined(status)?];
        for h in kinds {
            written.push(joined(h)?);
        }
        Ok(written)
    })
}

/// `occupancy_status.csv` across `runs`.
fn write_status_aggregate(dir: &Path, runs: &[SeriesRecorder]) -> Result<PathBuf> {
    let first = &runs[0];
    let n_status = Status::ALL.len();
    let mut names: Vec<String> = vec!["population".into()];
    names.extend(Status::ALL.iter().map(|s| s.name().to_string()));
    let mut f = AtomicFile::create(dir, files::OCCUPANCY_STATUS)?;
    writeln!(f.writer(), "{}", header("time_s,kind", &names))?;
    // Rows alternate by kind at each sample, as in a single run's file.
    let status_cols: Vec<usize> = (0..=n_status).collect();
    let mut buf = Vec::with_capacity(runs.len());
    let mut stats = Vec::with_capacity(status_cols.len());
    for (i, &t) in first.times.iter().enumerate() {
        for (k, ks) in first.kinds.iter().enumerate() {
            let kind = ks.kind.expect("sampled kinds are named");
            let w = f.writer();
            write!(w, "{t},{}", kind.name())?;
            write_stats(w, runs, (k, i), &status_cols, &mut stats, &mut buf)?;
        }
    }
    f.commit()
}

/// `occupancy_ecs.csv` or `occupancy_bms.csv` (kind number `k`) across `runs`.
fn write_kind_aggregate(dir: &Path, runs: &[SeriesRecorder], k: usize) -> Result<PathBuf> {
    let ks = &runs[0].kinds[k];
    let n_status = Status::ALL.len();
    let kind = ks.kind.expect("sampled kinds are named");
    let (file, states): (&str, Vec<String>) = match kind {
        Kind::Ecs => (
            files::OCCUPANCY_ECS,
            ecs::pairs()
                .iter()
                .map(|&(v, t)| ecs::pair_name(v, t))
                .collect(),
        ),
        Kind::Bms => (
            files::OCCUPANCY_BMS,
            bms::BmsState::ALL
                .iter()
                .map(|s| s.name().to_string())
                .collect(),
        ),
    };
    let mut names: Vec<String> = vec!["population".into()];
    names.extend(states);
    let cols: Vec<usize> = std::iter::once(0).chain((1 + n_status)..ks.width).collect();
    let mut f = AtomicFile::create(dir, file)?;
    writeln!(f.writer(), "{}", header("time_s", &names))?;
    write_rows(f.writer(), runs, k, &cols)?;
    f.commit()
}

/// Writes `capacity.csv` as means across `runs`, with the 2.5% and 97.5%
/// quantiles of the columns that vary; nothing without pools.
pub fn write_capacity_aggregate(dir: &Path, runs: &[SeriesRecorder]) -> Result<Option<PathBuf>> {
    let first = &runs[0];
    if first.pools.is_empty() {
        return Ok(None);
    }
    let width = Sample::COLUMNS.len();
    let varying: Vec<usize> = Sample::VARYING
        .iter()
        .filter_map(|name| Sample::COLUMNS.iter().position(|c| c == name))
        .collect();
    let q: Vec<String> = Sample::VARYING
        .iter()
        .flat_map(|c| [format!("{c}_q025"), format!("{c}_q975")])
        .collect();
    let mut f = AtomicFile::create(dir, files::CAPACITY)?;
    writeln!(
        f.writer(),
        "time_s,pool,kind,{},{}",
        Sample::COLUMNS.join(","),
        q.join(",")
    )?;
    let n_pools = first.pools.len();
    let mut buf = Vec::with_capacity(runs.len());
    for (i, &t) in first.times.iter().enumerate() {
        for (p, (name, kind)) in first.pools.iter().enumerate() {
            let base = (i * n_pools + p) * width;
            let column = |c: usize, buf: &mut Vec<f64>| {
                buf.clear();
                buf.extend(runs.iter().map(|r| r.capacity[base + c]));
            };
            let w = f.writer();
            write!(w, "{t},{name},{}", kind.name())?;
            for c in 0..width {
                column(c, &mut buf);
                if buf[0].is_nan() {
                    write!(w, ",")?;
                } else {
                    write!(w, ",{}", num(buf.iter().sum::<f64>() / buf.len() as f64))?;
                }
            }
            for &c in &varying {
                column(c, &mut buf);
                if buf[0].is_nan() {
                    write!(w, ",,")?;
                } else {
                    let (lo, hi) = (quantile(&mut buf, 0.025), quantile(&mut buf, 0.975));
                    write!(w, ",{},{}", num(lo), num(hi))?;
                }
            }
            writeln!(w)?;
        }
    }
    Ok(Some(f.commit()?))
}
