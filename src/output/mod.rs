//! Output files: the result folder (never overwritten without `--force`),
//! files written under a temporary name and renamed only when complete, the
//! streaming recorder for time series and trace, and one module per
//! end-of-run file behind the small [`Export`] trait.

mod manifest;
mod operations;
mod recorder;
mod summary;

pub use manifest::Manifest;
pub use operations::OperationsCsv;
pub use recorder::CsvRecorder;
pub use summary::SummaryCsv;

use crate::sim::Outcomes;
use anyhow::{Context, Result, bail};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Every file a run may write, so `--force` can clear a previous run's files
/// (and only those) before writing new ones.
pub const KNOWN_FILES: &[&str] = &[
    "occupancy_status.csv",
    "occupancy_bms.csv",
    "occupancy_ecs.csv",
    "summary.csv",
    "operations.csv",
    "transitions.csv",
    "manifest.json",
];

/// Suffix of a file still being written.
pub const PARTIAL: &str = ".partial";

/// Buffer size of every output writer.
const BUF: usize = 1 << 20;

/// Makes `dir` ready for a run: refuses an existing non-empty folder unless
/// `force`, in which case the files of an earlier run are removed first.
pub fn prepare_dir(dir: &Path, force: bool) -> Result<()> {
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} exists and is not a folder", dir.display());
        }
        let non_empty = fs::read_dir(dir)
            .with_context(|| format!("cannot read the output folder {}", dir.display()))?
            .next()
            .is_some();
        if non_empty && !force {
            bail!(
                "the output folder {} already holds files; pass --force to replace them, or --out to choose another folder",
                dir.display()
            );
        }
        for name in KNOWN_FILES {
            for f in [dir.join(name), dir.join(format!("{name}{PARTIAL}"))] {
                if f.exists() {
                    fs::remove_file(&f)
                        .with_context(|| format!("cannot remove {}", f.display()))?;
                }
            }
        }
    }
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the output folder {}", dir.display()))
}

/// A file written under `<name>.partial` and renamed to `<name>` by
/// [`AtomicFile::commit`]; an interrupted run leaves only the partial name.
pub struct AtomicFile {
    partial: PathBuf,
    path: PathBuf,
    writer: BufWriter<File>,
}

impl AtomicFile {
    /// Creates `dir/name.partial`.
    pub fn create(dir: &Path, name: &str) -> Result<AtomicFile> {
        let path = dir.join(name);
        let partial = dir.join(format!("{name}{PARTIAL}"));
        let file = File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        Ok(AtomicFile {
            partial,
            path,
            writer: BufWriter::with_capacity(BUF, file),
        })
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.writer
    }

    /// Flushes, syncs and renames the file to its final name.
    pub fn commit(self) -> Result<PathBuf> {
        let AtomicFile {
            partial,
            path,
            writer,
        } = self;
        let file = writer
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", partial.display()))?;
        file.sync_all()
            .with_context(|| format!("cannot write {}", partial.display()))?;
        fs::rename(&partial, &path)
            .with_context(|| format!("cannot rename {}", partial.display()))?;
        Ok(path)
    }
}

/// One end-of-run file (hyperfine's `export/` shape).
pub trait Export {
    /// File name inside the result folder.
    fn file_name(&self) -> &'static str;
    /// Writes the whole file.
    fn write(&self, outcomes: &Outcomes, w: &mut dyn Write) -> Result<()>;
}

/// Writes one [`Export`] atomically into `dir`.
pub fn export(dir: &Path, e: &dyn Export, outcomes: &Outcomes) -> Result<PathBuf> {
    let mut f = AtomicFile::create(dir, e.file_name())?;
    e.write(outcomes, f.writer())?;
    f.commit()
}

/// Formats an optional number for CSV: empty when absent.
pub(crate) fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_default()
}

/// Formats a number for CSV: shortest representation that round-trips,
/// rounded to 6 significant decimals so files stay readable.
pub(crate) fn num(v: f64) -> String {
    let r = (v * 1e6).round() / 1e6;
    if r == r.trunc() && r.abs() < 1e15 {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}
