//! Output files: the result folder (never overwritten without `--force`),
//! files written under a temporary name and renamed only when complete, the
//! streaming recorder for time series and trace, and one module per
//! end-of-run file behind the small [`Export`] trait.

pub mod availability;
pub mod compress;
pub mod files;
mod manifest;
pub mod operations;
pub mod pools;
mod recorder;
pub mod results_json;
pub mod series;
pub mod summary;
mod sweep;
mod trace;

pub use availability::{AVAILABILITY_CI_CSV, AVAILABILITY_CSV};
pub use manifest::Manifest;
pub use operations::{OPERATIONS_CI_CSV, OPERATIONS_CSV};
pub use pools::{
    CAPACITY_FLAVORS_CI_CSV, CAPACITY_FLAVORS_CSV, CAPACITY_SUMMARY_CI_CSV, CAPACITY_SUMMARY_CSV,
    HostFailuresCsv,
};
pub use recorder::CsvRecorder;
pub use results_json::{export_results, export_sweep_results};
pub use series::SeriesRecorder;
pub use summary::{SUMMARY_CI_CSV, SUMMARY_CSV};
pub use sweep::{export_sweep, export_sweep_long};

use crate::ci::Estimate;
use crate::engine::SimTime;
use crate::model::{Kind, Machine};
use crate::results::{Outcomes, Study};
use crate::sim::{Change, Recorder};
use crate::stats::{KindStats, LogHistogram};
use anyhow::{Context, Result, bail};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Prefix of the folder holding one sweep point's results (`point-0`, ...).
pub const POINT_DIR: &str = "point-";

/// Prefix of the folder holding one replication's own files
/// (`replication-0`, `replication-1`, ... with `--per-replication`).
pub const REPLICATION_DIR: &str = "replication-";

/// Prefix of the folder holding one unit (point p, replication r) of a
/// shard folder: `unit-<p>-<r>`.
pub const UNIT_DIR: &str = "unit-";

/// Suffix of a file still being written.
pub const PARTIAL: &str = ".partial";

/// Buffer size of every output writer.
const BUF: usize = 1 << 20;

/// Refuses `dir` as a result folder if it is not a folder, or holds files
/// and `force` is not given.
fn check_out(dir: &Path, force: bool) -> Result<()> {
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
    }
    Ok(())
}

/// A run's files, written into a staging folder beside the result folder
/// and moved into it only once the run is complete: an interrupted or
/// failed run leaves the result folder as it was (with `--force`, the
/// earlier results are replaced only by complete new ones). Dropped
/// unfinished, the staging folder is removed.
pub struct Staging {
    /// Where the run writes.
    staging: PathBuf,
    /// The result folder.
    out: PathBuf,
    done: bool,
}

impl Staging {
    /// Checks `out` (refused if it holds files and not `force`) and creates
    /// the staging folder `.<name>.partial-<pid>` beside it.
    pub fn begin(out: &Path, force: bool) -> Result<Staging> {
        check_out(out, force)?;
        let name = out
            .file_name()
            .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create the output folder {}", parent.display()))?;
        let staging = parent.join(format!(".{name}{PARTIAL}-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging)
                .with_context(|| format!("cannot remove {}", staging.display()))?;
        }
        fs::create_dir(&staging)
            .with_context(|| format!("cannot create the output folder {}", staging.display()))?;
        Ok(Staging {
            staging,
            out: out.to_path_buf(),
            done: false,
        })
    }

    /// The folder the run writes into.
    pub fn dir(&self) -> &Path {
        &self.staging
    }

    /// The result folder.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// Moves the complete run into the result folder: renamed into place
    /// when there is none (or an empty one); else the earlier run's files
    /// are removed (fleetsim's own only) and the new ones moved in, the
    /// manifest last.
    pub fn finish(mut self) -> Result<()> {
        let empty = !self.out.exists()
            || fs::read_dir(&self.out)
                .with_context(|| format!("cannot read {}", self.out.display()))?
                .next()
                .is_none();
        if empty {
            if self.out.exists() {
                fs::remove_dir(&self.out)
                    .with_context(|| format!("cannot replace {}", self.out.display()))?;
            }
            fs::rename(&self.staging, &self.out)
                .with_context(|| format!("cannot move the results into {}", self.out.display()))?;
        } else {
            clear_run(&self.out)?;
            let mut entries: Vec<PathBuf> = fs::read_dir(&self.staging)?
                .map(|e| e.map(|e| e.path()))
                .collect::<std::io::Result<_>>()?;
            // The manifest last: a folder with a manifest is complete.
            entries.sort_by_key(|p| (p.file_name() == Some(files::MANIFEST.as_ref()), p.clone()));
            for from in entries {
                let to = self
                    .out
                    .join(from.file_name().expect("an entry has a name"));
                fs::rename(&from, &to)
                    .with_context(|| format!("cannot move {} into place", to.display()))?;
            }
            fs::remove_dir(&self.staging)
                .with_context(|| format!("cannot remove {}", self.staging.display()))?;
        }
        self.done = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// `path` under `staging`, shown under the result folder `out`.
pub fn shown(path: &Path, staging: &Path, out: &Path) -> PathBuf {
    path.strip_prefix(staging)
        .map_or_else(|_| path.to_path_buf(), |rel| out.join(rel))
}

/// Removes an earlier run's files from `dir`: fleetsim's own files, and its
/// `point-<i>/`, `replication-<r>/` and (a shard's) `unit-<p>-<r>/`
/// folders, recursively. Anything else is
/// left where it is (and a folder holding it is kept).
fn clear_run(dir: &Path) -> Result<()> {
    remove_known_files(dir)?;
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let ours = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
            [POINT_DIR, REPLICATION_DIR].iter().any(|prefix| {
                n.strip_prefix(prefix)
                    .is_some_and(|r| r.parse::<u32>().is_ok())
            }) || n
                .strip_prefix(UNIT_DIR)
                .and_then(|pr| pr.split_once('-'))
                .is_some_and(|(p, r)| p.parse::<u32>().is_ok() && r.parse::<u32>().is_ok())
        });
        if ours && path.is_dir() {
            clear_run(&path)?;
            let _ = fs::remove_dir(&path);
        }
    }
    Ok(())
}

/// Removes fleetsim's own files (finished or partial) from `dir`, and only those.
fn remove_known_files(dir: &Path) -> Result<()> {
    for name in files::ALL {
        for f in [dir.join(name), dir.join(format!("{name}{PARTIAL}"))] {
            if f.exists() {
                fs::remove_file(&f).with_context(|| format!("cannot remove {}", f.display()))?;
            }
        }
    }
    Ok(())
}

/// A file written under `<name>.partial` and renamed to `<name>` by
/// [`AtomicFile::commit`]; an interrupted run leaves only the partial name.
pub struct AtomicFile {
    partial: PathBuf,
    path: PathBuf,
    writer: compress::FileWriter,
}

impl AtomicFile {
    /// Creates `dir/name.partial`.
    pub fn create(dir: &Path, name: &str) -> Result<AtomicFile> {
        Self::open(dir, name, compress::Compression::None)
    }

    /// Creates the partial file of `name` written with `compression`
    /// (`transitions.csv` becomes `transitions.csv.zst`; see
    /// [`compress::Compression::file_name`]).
    pub fn create_compressed(
        dir: &Path,
        name: &'static str,
        compression: compress::Compression,
    ) -> Result<AtomicFile> {
        Self::open(dir, compression.file_name(name), compression)
    }

    fn open(dir: &Path, name: &str, compression: compress::Compression) -> Result<AtomicFile> {
        let path = dir.join(name);
        let partial = dir.join(format!("{name}{PARTIAL}"));
        let file = File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        let writer = compress::FileWriter::new(BufWriter::with_capacity(BUF, file), compression)
            .with_context(|| format!("cannot start compressing {}", partial.display()))?;
        Ok(AtomicFile {
            partial,
            path,
            writer,
        })
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut compress::FileWriter {
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
            .finish()
            .with_context(|| format!("cannot write {}", partial.display()))?
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
    fn write(&self, study: &Study, w: &mut dyn Write) -> Result<()>;
}

/// Writes one [`Export`] atomically into `dir`.
pub fn export(dir: &Path, e: &dyn Export, study: &Study) -> Result<PathBuf> {
    let mut f = AtomicFile::create(dir, e.file_name())?;
    e.write(study, f.writer())?;
    f.commit()
}

/// The `n,mean,sd,ci95_low,ci95_high` fields of an estimate; empty where
/// undefined (no observation, or a single one for the deviation and interval).
pub(crate) fn ci_record(e: Option<Estimate>) -> [String; 5] {
    let f = |v: f64| if v.is_finite() { num(v) } else { String::new() };
    match e {
        Some(e) => [
            e.n.to_string(),
            f(e.mean),
            f(e.sd),
            f(e.ci95_low),
            f(e.ci95_high),
        ],
        None => [
            "0".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ],
    }
}

/// Declares the numeric columns of an output row as a struct of named
/// `Option<f64>` fields (`None`: undefined, an empty field). The field names
/// are the column names, in file order, so names and values cannot drift
/// apart: `COLUMNS` lists them, `values` gives them in that order, and `get`
/// reads one by name.
macro_rules! columns {
    ($(#[$meta:meta])* $vis:vis struct $name:ident {
        $($(#[$fmeta:meta])* $field:ident,)*
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq)]
        $vis struct $name {
            $($(#[$fmeta])* pub $field: Option<f64>,)*
        }

        impl $name {
            /// The column names, in file order.
            pub const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// The values, in [`Self::COLUMNS`] order.
            pub fn values(&self) -> Vec<Option<f64>> {
                vec![$(self.$field),*]
            }

            /// The value of column `name`; `None` if there is no such column.
            pub fn get(&self, name: &str) -> Option<Option<f64>> {
                match name {
                    $(stringify!($field) => Some(self.$field),)*
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use columns;

/// One replication's rows of a per-replication file: the key fields that
/// name each row (kind, state, ...) and its numeric values.
pub(crate) type KeyedRows = Vec<(Vec<String>, Vec<Option<f64>>)>;

/// Writes one row per replication and key: `replication`, the keys, then the
/// metrics (empty where undefined).
fn write_per_replication(
    w: &mut dyn Write,
    keys: &[&str],
    metrics: &[&str],
    runs: &[KeyedRows],
) -> Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    let header: Vec<&str> = std::iter::once("replication")
        .chain(keys.iter().copied())
        .chain(metrics.iter().copied())
        .collect();
    csv.write_record(&header)?;
    for (r, rows) in runs.iter().enumerate() {
        for (key, values) in rows {
            let rec: Vec<String> = std::iter::once(r.to_string())
                .chain(key.iter().cloned())
                .chain(values.iter().map(|v| opt(*v)))
                .collect();
            csv.write_record(&rec)?;
        }
    }
    csv.flush()?;
    Ok(())
}

/// Writes, per key and metric, the estimate across replications:
/// the keys, `metric`, then `n,mean,sd,ci95_low,ci95_high`; then, with
/// `pooled`, one row per pooled quantile. Every replication has the same
/// rows in the same order.
fn write_estimates(
    w: &mut dyn Write,
    keys: &[&str],
    metrics: &[&str],
    runs: &[KeyedRows],
    pooled: Option<(&Pooled, &[Vec<&LogHistogram>])>,
) -> Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    let header: Vec<&str> = keys
        .iter()
        .copied()
        .chain(["metric", "n", "mean", "sd", "ci95_low", "ci95_high"])
        .collect();
    csv.write_record(&header)?;
    if let Some((_, histograms)) = pooled
        && histograms.iter().any(|run| run.len() != runs[0].len())
    {
        bail!("internal error: the pooled histograms do not match the rows of the file");
    }
    for (i, (key, _)) in runs[0].iter().enumerate() {
        for (m, metric) in metrics.iter().enumerate() {
            let xs: Vec<f64> = runs.iter().filter_map(|rows| rows[i].1[m]).collect();
            let rec: Vec<String> = key
                .iter()
                .cloned()
                .chain(std::iter::once(metric.to_string()))
                .chain(ci_record(Estimate::of(&xs)))
                .collect();
            csv.write_record(&rec)?;
        }
        if let Some((pooled, histograms)) = pooled {
            // Merged in replication order (the merge does not depend on
            // it, but nothing here should depend on finishing order).
            let mut merged = LogHistogram::default();
            for run in histograms {
                merged.merge(run[i]);
            }
            let n = histograms.iter().filter(|run| run[i].count() > 0).count();
            for &(metric, q) in pooled.quantiles {
                let mut fields = ci_record(None);
                if let Some(v) = merged.quantile_s(q) {
                    fields[0] = n.to_string();
                    fields[1] = num(v);
                }
                let rec: Vec<String> = key
                    .iter()
                    .cloned()
                    .chain(std::iter::once(metric.to_string()))
                    .chain(fields)
                    .collect();
                csv.write_record(&rec)?;
            }
        }
    }
    csv.flush()?;
    Ok(())
}

/// Quantiles of durations pooled across replications: each row's
/// histograms (a state's stays, an operation's successes) merged over every
/// replication, the quantile read from the merge. They follow a row's
/// estimates in a `_ci` file, as metrics of their own, beside the mean of
/// the per-replication quantiles.
#[derive(Clone, Copy)]
pub struct Pooled {
    /// The metric names, each with its quantile:
    /// `("pooled_p95_sojourn_s", 0.95)`.
    pub quantiles: &'static [(&'static str, f64)],
    /// One replication's histograms, one per row, in the order of
    /// [`Keyed::rows`].
    pub histograms: fn(&Outcomes) -> Vec<&LogHistogram>,
}

/// One end-of-run file built from each replication's keyed rows: one row
/// per replication and key (`write_per_replication`), or, for a `_ci`
/// file, the estimate across replications (`write_estimates`).
#[derive(Clone, Copy)]
pub struct Keyed {
    /// The file's name in the result folder.
    pub file: &'static str,
    /// Names of the columns that name a row (`kind`, `operation`), which
    /// follow `replication` in a per-replication file.
    pub keys: &'static [&'static str],
    /// Names of the numeric columns, in file order; in a `_ci` file, the
    /// values of its `metric` column.
    pub metrics: &'static [&'static str],
    /// One replication's rows, the same keys in the same order in every
    /// replication.
    pub rows: fn(&Outcomes) -> KeyedRows,
    /// Write the estimates across replications instead of every row.
    pub estimates: bool,
    /// In a `_ci` file, quantiles pooled across replications, written
    /// after each row's estimates.
    pub pooled: Option<Pooled>,
}

impl Export for Keyed {
    fn file_name(&self) -> &'static str {
        self.file
    }

    fn write(&self, study: &Study, w: &mut dyn Write) -> Result<()> {
        let runs: Vec<KeyedRows> = study.runs.iter().map(self.rows).collect();
        if self.estimates {
            let histograms: Vec<Vec<&LogHistogram>> = match &self.pooled {
                Some(p) => study.runs.iter().map(p.histograms).collect(),
                None => Vec::new(),
            };
            let pooled = self.pooled.as_ref().map(|p| (p, histograms.as_slice()));
            write_estimates(w, self.keys, self.metrics, &runs, pooled)
        } else {
            write_per_replication(w, self.keys, self.metrics, &runs)
        }
    }
}

/// Feeds one run to two recorders (the in-memory series and a replication's
/// own files).
pub struct Both<A, B>(pub A, pub B);

impl<A: Recorder, B: Recorder> Recorder for Both<A, B> {
    fn wants_changes(&self) -> bool {
        self.0.wants_changes() || self.1.wants_changes()
    }
    fn change(&mut self, c: &Change, m: &Machine) {
        if self.0.wants_changes() {
            self.0.change(c, m);
        }
        if self.1.wants_changes() {
            self.1.change(c, m);
        }
    }
    fn sample(&mut self, t: SimTime, kind: Kind, stats: &KindStats, m: &Machine) {
        self.0.sample(t, kind, stats, m);
        self.1.sample(t, kind, stats, m);
    }
    fn capacity(&mut self, t: SimTime, pools: &[crate::capacity::Pool]) {
        self.0.capacity(t, pools);
        self.1.capacity(t, pools);
    }
    fn flavors(&mut self, names: &[&str]) {
        self.0.flavors(names);
        self.1.flavors(names);
    }
    fn request(&mut self, r: &crate::sim::Request, m: &Machine) {
        if self.0.wants_changes() {
            self.0.request(r, m);
        }
        if self.1.wants_changes() {
            self.1.request(r, m);
        }
    }
}

/// Formats an optional number for CSV: empty when absent.
pub(crate) fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_default()
}

/// Formats a number for CSV: the shortest decimal that reads back as the
/// same `f64` (Rust's `{}`), integers without a point. Nothing is rounded
/// away, so a share of 10⁻⁹ is written as `0.000000001`, never as 0.
pub(crate) fn num(v: f64) -> String {
    let mut out = Vec::new();
    write_num(&mut out, v).expect("writing to a Vec");
    String::from_utf8(out).expect("ASCII")
}

/// [`num`], written straight to `w` without allocating: the aggregate time
/// series write hundreds of thousands of them, most of them whole numbers
/// or means of a few counts with a short decimal form.
pub(crate) fn write_num(w: &mut impl Write, v: f64) -> std::io::Result<()> {
    if v == v.trunc() && v.abs() < 1e15 {
        // Whole (and -0 written as 0).
        return w.write_all(itoa::Buffer::new().format(v as i64).as_bytes());
    }
    let micros = (v * 1e6).round();
    if micros.abs() < 1e15 && micros / 1e6 == v {
        // `v` is the double nearest a fraction of at most 6 decimals.
        // Below 10^9 the spacing of doubles is far under 10^-6, so no
        // shorter decimal reads back as `v`: Rust's shortest round-trip
        // form is exactly that fraction, written here without the float
        // formatter.
        let m = micros as i64;
        let (int, frac) = (m.unsigned_abs() / 1_000_000, m.unsigned_abs() % 1_000_000);
        if m < 0 {
            w.write_all(b"-")?;
        }
        w.write_all(itoa::Buffer::new().format(int).as_bytes())?;
        let mut digits = [b'.', 0, 0, 0, 0, 0, 0];
        let mut f = frac;
        for d in digits[1..].iter_mut().rev() {
            *d = b'0' + (f % 10) as u8;
            f /= 10;
        }
        let len = 7 - decimal_trailing_zeros(frac);
        w.write_all(&digits[..len])
    } else {
        write!(w, "{v}")
    }
}

/// Decimal trailing zeros of a 6-digit fraction that is not zero.
fn decimal_trailing_zeros(mut n: u64) -> usize {
    let mut zeros = 0;
    while n.is_multiple_of(10) && zeros < 6 {
        n /= 10;
        zeros += 1;
    }
    zeros
}

#[cfg(test)]
mod num_tests {
    use super::*;
    use proptest::prelude::*;

    fn written(v: f64) -> String {
        let mut out = Vec::new();
        write_num(&mut out, v).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// What `write_num` promises: Rust's shortest round-trip form of `v`
    /// (integers without a point, -0 as 0).
    fn reference(v: f64) -> String {
        if v == v.trunc() && v.abs() < 1e15 {
            format!("{}", v as i64)
        } else {
            format!("{v}")
        }
    }

    #[test]
    fn numbers_are_written_as_the_float_formatter_would() {
        for v in [
            0.0,
            -0.0,
            0.5,
            0.25,
            12.075,
            1.000001,
            -3.5,
            999_999_999.999_999,
            1e-7,
            2.5e-7,
            1.0 / 3.0,
            2.0 / 3.0 * 1e-9,
            0.1 + 0.2,
            1e9 + 0.5,
            1e12 + 0.25,
            1e20,
            -1e-6,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert_eq!(written(v), reference(v), "{v}");
        }
    }

    #[test]
    fn no_number_that_is_not_zero_is_written_as_zero() {
        for v in [1e-7, 3e-12, -4.2e-9, 1.2e-300, 5e-324] {
            let text = written(v);
            assert_eq!(text.parse::<f64>().unwrap(), v, "{text}");
        }
        assert_eq!(written(1e-7), "0.0000001");
        assert_eq!(written(1.0 / 3.0), "0.3333333333333333");
    }

    proptest! {
        #[test]
        fn any_number_is_written_as_the_float_formatter_would(
            v in prop_oneof![
                -1e4f64..1e4,
                0f64..10.0,
                0f64..1e-6,
                -2e9f64..2e9,
                (0u64..4_000_000u64).prop_map(|k| k as f64 / 4.0),
                // Means of a few counts across replications.
                (0u64..100_000u64, 1u64..40).prop_map(|(k, r)| k as f64 / r as f64),
                any::<f64>(),
            ]
        ) {
            let text = written(v);
            prop_assert_eq!(&text, &reference(v));
            if v.is_finite() {
                prop_assert_eq!(text.parse::<f64>().unwrap(), if v == 0.0 { 0.0 } else { v });
            }
        }
    }
}
