//! The streaming recorder: occupancy time series (`occupancy_status.csv`,
//! `occupancy_ecs.csv`, `occupancy_bms.csv`) and the optional change trace
//! (`transitions.csv`), written row by row through large buffers so nothing
//! accumulates in memory.

use super::files;
use super::pools::Sample;
use super::trace::TraceWriter;
use super::{AtomicFile, opt};
use crate::capacity::Pool;
use crate::engine::SimTime;
use crate::model::{Kind, Machine, Status, bms, ecs};
use crate::sim::{Change, Recorder};
use crate::stats::KindStats;
use anyhow::Result;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes the time series and, when asked, the trace. The first I/O error is
/// kept and reported by [`CsvRecorder::finish`]; writing stops after it.
pub struct CsvRecorder {
    status: AtomicFile,
    ecs: Option<AtomicFile>,
    bms: Option<AtomicFile>,
    trace: Option<TraceWriter>,
    capacity: Option<AtomicFile>,
    error: Option<std::io::Error>,
}

impl CsvRecorder {
    /// Creates the files (under partial names) and writes their headers.
    /// `trace` is how `transitions.csv` is written, if it is.
    pub fn create(
        dir: &Path,
        kinds: &[Kind],
        trace: Option<super::compress::Compression>,
        capacity: bool,
    ) -> Result<CsvRecorder> {
        let mut status = AtomicFile::create(dir, files::OCCUPANCY_STATUS)?;
        let cols: Vec<&str> = Status::ALL.iter().map(|s| s.name()).collect();
        writeln!(status.writer(), "time_s,kind,population,{}", cols.join(","))?;
        let ecs = if kinds.contains(&Kind::Ecs) {
            let mut f = AtomicFile::create(dir, files::OCCUPANCY_ECS)?;
            let cols: Vec<String> = ecs::pairs()
                .iter()
                .map(|&(v, t)| ecs::pair_name(v, t))
                .collect();
            writeln!(f.writer(), "time_s,population,{}", cols.join(","))?;
            Some(f)
        } else {
            None
        };
        let bms = if kinds.contains(&Kind::Bms) {
            let mut f = AtomicFile::create(dir, files::OCCUPANCY_BMS)?;
            let cols: Vec<&str> = bms::BmsState::ALL.iter().map(|s| s.name()).collect();
            writeln!(f.writer(), "time_s,population,{}", cols.join(","))?;
            Some(f)
        } else {
            None
        };
        let trace = match trace {
            Some(how) => Some(TraceWriter::start(AtomicFile::create_compressed(
                dir,
                files::TRANSITIONS,
                how,
            )?)?),
            None => None,
        };
        let capacity = if capacity {
            let mut f = AtomicFile::create(dir, files::CAPACITY)?;
            writeln!(f.writer(), "time_s,pool,kind,{}", Sample::COLUMNS.join(","))?;
            Some(f)
        } else {
            None
        };
        Ok(CsvRecorder {
            status,
            ecs,
            bms,
            trace,
            capacity,
            error: None,
        })
    }

    fn keep(&mut self, r: std::io::Result<()>) {
        if let Err(e) = r
            && self.error.is_none()
        {
            self.error = Some(e);
        }
    }

    /// Renames every file to its final name, or reports the first error.
    pub fn finish(self) -> Result<Vec<PathBuf>> {
        if let Some(e) = self.error {
            return Err(anyhow::Error::new(e).context("cannot write an output file"));
        }
        let trace = self.trace.map(TraceWriter::finish).transpose()?;
        let mut written = vec![self.status.commit()?];
        for f in [self.ecs, self.bms, self.capacity].into_iter().flatten() {
            written.push(f.commit()?);
        }
        written.extend(trace);
        Ok(written)
    }
}

fn write_counts(w: &mut impl Write, counts: &[u64]) -> std::io::Result<()> {
    for c in counts {
        write!(w, ",{c}")?;
    }
    writeln!(w)
}

impl Recorder for CsvRecorder {
    fn wants_changes(&self) -> bool {
        self.trace.is_some()
    }

    fn change(&mut self, c: &Change, m: &Machine) {
        if self.error.is_some() {
            return;
        }
        if let Some(t) = self.trace.as_mut() {
            t.change(c, m);
        }
    }

    fn sample(&mut self, t: SimTime, kind: Kind, stats: &KindStats, _m: &Machine) {
        if self.error.is_some() {
            return;
        }
        let pop = stats.population_now();
        let w = self.status.writer();
        let r = write!(w, "{t},{},{pop}", kind.name())
            .and_then(|_| write_counts(w, stats.status.counts()));
        self.keep(r);
        let f = match kind {
            Kind::Ecs => self.ecs.as_mut(),
            Kind::Bms => self.bms.as_mut(),
        };
        if let Some(f) = f {
            let w = f.writer();
            let r = write!(w, "{t},{pop}").and_then(|_| write_counts(w, stats.detail.counts()));
            self.keep(r);
        }
    }

    fn capacity(&mut self, t: SimTime, pools: &[Pool]) {
        if self.error.is_some() {
            return;
        }
        let Some(f) = self.capacity.as_mut() else {
            return;
        };
        let w = f.writer();
        let mut r = Ok(());
        for p in pools {
            r = r.and_then(|_| {
                write!(w, "{t},{},{}", p.name, p.kind.name())?;
                for v in Sample::of(p).values() {
                    write!(w, ",{}", opt(v))?;
                }
                writeln!(w)
            });
        }
        self.keep(r);
    }
}
