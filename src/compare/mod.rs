//! `fleetsim compare A B`: two result folders of the same shape, and per
//! metric of their per-replication files the difference B − A with its 95%
//! confidence interval: paired by replication when both studies used the
//! same seed and replications (common random numbers), Welch's otherwise.
//! [`Comparison`] holds the result; [`files`] writes and reads
//! `compare.csv` and `compare.json`, [`console`] prints the headline.
//!
//! Why pairing: replication r of two studies with the same seed draws the
//! same workload (docs/contributing.md, common random numbers), so their
//! values move together, and the spread of the differences, r by r, is
//! what is left of the noise once the shared part cancels. When the
//! studies are independent (different seeds) there is nothing to pair, and
//! Welch's interval, which does not assume equal variances, is the right
//! one.

pub mod console;
pub mod files;
pub mod folder;

use crate::ci::{t_quantile, welch_df};
use crate::output::files::{AVAILABILITY, CAPACITY_SUMMARY, OPERATIONS, SUMMARY};
use anyhow::Result;
use folder::{Block, Blocks, Cell, Folder};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The `schema` of `compare.json`.
pub const SCHEMA: &str = "fleetsim.compare/1";

/// The confidence of every interval.
pub const CONFIDENCE: f64 = 0.95;

/// How a difference's interval was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// From the differences replication by replication: mean ± t(n − 1)
    /// · sd/√n, n the pairs (common random numbers).
    Paired,
    /// Welch's: the difference of the means ± t(ν)·√(s²_a/n_a + s²_b/n_b),
    /// ν by Welch–Satterthwaite.
    Welch,
    /// No interval: fewer than 2 values (or pairs) to estimate a spread from.
    None,
}

impl Method {
    /// The name written in the files.
    pub fn name(self) -> &'static str {
        match self {
            Method::Paired => "paired",
            Method::Welch => "welch",
            Method::None => "none",
        }
    }
}

/// Which interval the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Paired when the studies can be paired, Welch otherwise.
    Auto,
    /// Paired, or refuse.
    Paired,
    /// Welch, even when the studies could be paired.
    Welch,
}

/// One of the two studies compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// Its result folder, as given.
    pub folder: String,
    /// Its scenario's name.
    pub scenario: String,
    /// Its seed.
    pub seed: u64,
    /// Its replications.
    pub replications: u32,
    /// The fleetsim version that ran it.
    pub fleetsim_version: String,
    /// The layout version of its files.
    pub output_schema_version: u32,
}

/// One metric of one row of a per-replication file, compared: a row of
/// `compare.csv`. The field names are its columns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// `ecs` or `bms` (a pool's kind for a pool).
    pub kind: String,
    /// `status`, `ecs_state`, `bms_state` (from `summary.csv`),
    /// `operation`, `availability` or `pool`.
    pub dimension: String,
    /// The status, ECS pair or BMS state; the operation; the pool; empty
    /// for availability.
    pub name: String,
    /// The column of the per-replication file (`share`, `failed`, ...).
    pub metric: String,
    /// A's mean (over the pairs, when paired).
    pub a_mean: Option<f64>,
    /// B's mean (over the pairs, when paired).
    pub b_mean: Option<f64>,
    /// B − A: the mean of the differences when paired, else
    /// `b_mean − a_mean`.
    pub diff: Option<f64>,
    /// Lower end of the 95% interval of the difference.
    pub ci95_low: Option<f64>,
    /// Upper end of that interval.
    pub ci95_high: Option<f64>,
    /// Degrees of freedom of the t quantile: n − 1 when paired, Welch's
    /// ν (fractional) otherwise; empty without an interval, or when
    /// neither side varies.
    pub df: Option<f64>,
    /// How the interval was computed.
    pub method: Method,
    /// Values of A used: the pairs when paired, else the replications
    /// where A's value is defined.
    pub n_a: u64,
    /// Values of B used, likewise.
    pub n_b: u64,
    /// Whether the interval excludes 0; empty without an interval.
    pub significant: Option<bool>,
}

/// The comparison of two studies: what `compare.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// [`SCHEMA`].
    pub schema: String,
    /// The fleetsim version that compared.
    pub fleetsim_version: String,
    /// The first study (A).
    pub a: Side,
    /// The second study (B).
    pub b: Side,
    /// The kinds both simulate.
    pub kinds: Vec<String>,
    /// Their horizon, in seconds.
    pub horizon_s: f64,
    /// Their warmup, in seconds.
    pub warmup_s: f64,
    /// The confidence of the intervals, 0.95.
    pub confidence: f64,
    /// The method of the comparison (a row whose values are too few has
    /// none).
    pub method: Method,
    /// Why that method, in words.
    pub method_reason: String,
    /// What was not compared, and why; differences between the studies
    /// worth knowing (fleetsim versions).
    pub notes: Vec<String>,
    /// The files written (in `compare.json`).
    pub files: Vec<String>,
    /// One row per metric of every row of the per-replication files, in
    /// the files' order.
    pub rows: Vec<Row>,
}

impl Comparison {
    /// The row of `kind`, `dimension`, `name` and `metric`, if compared.
    pub fn row(&self, kind: &str, dimension: &str, name: &str, metric: &str) -> Option<&Row> {
        self.rows.iter().find(|r| {
            r.kind == kind && r.dimension == dimension && r.name == name && r.metric == metric
        })
    }
}

/// Two folders that cannot be compared, or a folder that cannot be read:
/// every problem found (exit status 2; nothing is written).
#[derive(Debug, thiserror::Error)]
pub struct CompareError {
    /// The folders, as given.
    pub a: String,
    /// The second folder.
    pub b: String,
    /// One line each.
    pub problems: Vec<String>,
}

impl std::fmt::Display for CompareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "cannot compare {} with {}: {n} problem{}; nothing was written",
            self.a,
            self.b,
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

/// How to run `fleetsim compare`.
#[derive(Clone, Debug)]
pub struct Options {
    /// The first result folder (A).
    pub a: PathBuf,
    /// The second (B).
    pub b: PathBuf,
    /// Where to write `compare.csv` and `compare.json`.
    pub out: PathBuf,
    /// Replace an earlier comparison's files in `out`.
    pub force: bool,
    /// Which interval.
    pub choice: Choice,
}

/// The default output folder: `output/compare-<A>-vs-<B>`, each named by
/// its folder (a sweep point by its sweep's folder too), or by the folder
/// as given when it cannot be opened (the error comes first anyway).
pub fn default_out(a: &Path, b: &Path) -> PathBuf {
    let label = |p: &Path| match Folder::open(p) {
        Ok(f) => f.label(),
        Err(_) => p
            .file_name()
            .map_or_else(|| "result".into(), |n| n.to_string_lossy().into_owned()),
    };
    Path::new("output").join(format!("compare-{}-vs-{}", label(a), label(b)))
}

/// Compares the studies of `opts.a` and `opts.b` and writes the files into
/// `opts.out` (staged, `compare.json` last; nothing half-written).
pub fn run(opts: &Options) -> Result<Comparison> {
    let mut comparison = compare_into(&opts.a, &opts.b, opts.choice, Some(&opts.out))?;
    comparison.files = files::NAMES.iter().map(|s| s.to_string()).collect();
    let staging = crate::output::Staging::begin(&opts.out, opts.force)?;
    files::write(staging.dir(), &comparison)?;
    staging.finish()?;
    Ok(comparison)
}

/// Compares the studies of the result folders `a` and `b`, writing nothing.
pub fn compare(a: &Path, b: &Path, choice: Choice) -> Result<Comparison> {
    compare_into(a, b, choice, None)
}

fn compare_into(a: &Path, b: &Path, choice: Choice, out: Option<&Path>) -> Result<Comparison> {
    let refuse = |problems: Vec<String>| CompareError {
        a: a.display().to_string(),
        b: b.display().to_string(),
        problems,
    };
    let mut problems = Vec::new();
    let (fa, fb) = (Folder::open(a), Folder::open(b));
    if let Some(out) = out {
        problems.extend(clobbers(out, &[a, b]));
    }
    let (fa, fb) = match (fa, fb) {
        (Ok(fa), Ok(fb)) => (fa, fb),
        (ra, rb) => {
            problems.extend(ra.err().unwrap_or_default());
            problems.extend(rb.err().unwrap_or_default());
            return Err(refuse(problems).into());
        }
    };
    problems.extend(incomparable(&fa, &fb));
    let method = choose(&fa, &fb, choice);
    if let Err(p) = &method {
        problems.push(p.clone());
    }
    if !problems.is_empty() {
        return Err(refuse(problems).into());
    }
    let (method, method_reason) = method.expect("no problem");
    let (ma, mb) = (&fa.manifest, &fb.manifest);
    let mut notes = Vec::new();
    if ma.fleetsim_version != mb.fleetsim_version {
        notes.push(format!(
            "A was run by fleetsim {}, B by {}: a difference may come from the versions as well as the scenarios",
            ma.fleetsim_version, mb.fleetsim_version
        ));
    }
    if ma.output_schema_version != mb.output_schema_version {
        notes.push(format!(
            "A's files have output schema version {}, B's {}: columns are matched by name, and those of only one are not compared",
            ma.output_schema_version, mb.output_schema_version
        ));
    }
    let mut rows = Vec::new();
    for source in SOURCES {
        compare_source(
            source,
            &fa,
            &fb,
            method == Method::Paired,
            &mut rows,
            &mut notes,
            &mut problems,
        )?;
    }
    if !problems.is_empty() {
        return Err(refuse(problems).into());
    }
    let side = |f: &Folder| Side {
        folder: f.path.display().to_string(),
        scenario: f.manifest.scenario.name.clone(),
        seed: f.manifest.seed,
        replications: f.manifest.replications,
        fleetsim_version: f.manifest.fleetsim_version.clone(),
        output_schema_version: f.manifest.output_schema_version,
    };
    Ok(Comparison {
        schema: SCHEMA.to_string(),
        fleetsim_version: crate::VERSION.to_string(),
        a: side(&fa),
        b: side(&fb),
        kinds: ma.kinds().iter().map(|k| k.to_string()).collect(),
        horizon_s: ma.horizon_s,
        warmup_s: ma.warmup_s,
        confidence: CONFIDENCE,
        method,
        method_reason,
        notes,
        files: Vec::new(),
        rows,
    })
}

/// `out` would replace or remove a compared folder: it is one of them or
/// holds one (`--force` clears a result folder's `point-<i>/` folders).
fn clobbers(out: &Path, compared: &[&Path]) -> Vec<String> {
    let Ok(out_full) = std::fs::canonicalize(out) else {
        // It does not exist yet, so it holds nothing.
        return Vec::new();
    };
    compared
        .iter()
        .filter(|p| std::fs::canonicalize(p).is_ok_and(|full| full.starts_with(&out_full)))
        .map(|p| {
            format!(
                "the output folder {} is (or holds) the compared folder {}; choose another --out",
                out.display(),
                p.display()
            )
        })
        .collect()
}

/// What makes the two studies incomparable: different kinds, horizons or
/// warmups.
fn incomparable(a: &Folder, b: &Folder) -> Vec<String> {
    let (ma, mb) = (&a.manifest, &b.manifest);
    let mut problems = Vec::new();
    let (ka, kb) = (ma.kinds(), mb.kinds());
    if ka != kb {
        let said = |k: &[&str]| match k {
            [] => "no kind".to_string(),
            k => k.join(" and "),
        };
        problems.push(format!(
            "the studies simulate different kinds: {} simulates {}, {} {}",
            a.path.display(),
            said(&ka),
            b.path.display(),
            said(&kb)
        ));
    }
    for (what, va, vb) in [
        ("horizons", ma.horizon_s, mb.horizon_s),
        ("warmups", ma.warmup_s, mb.warmup_s),
    ] {
        if va != vb {
            problems.push(format!(
                "the studies have different {what}: {} {} ({va} s), {} {} ({vb} s); statistics over different windows are not comparable",
                a.path.display(),
                crate::describe::human(va),
                b.path.display(),
                crate::describe::human(vb)
            ));
        }
    }
    problems
}

/// The comparison's method and why, or why the paired comparison asked
/// for cannot be made.
fn choose(a: &Folder, b: &Folder, choice: Choice) -> Result<(Method, String), String> {
    let (ma, mb) = (&a.manifest, &b.manifest);
    let same = ma.seed == mb.seed && ma.replications == mb.replications;
    let few: Vec<String> = [(&a.path, ma), (&b.path, mb)]
        .iter()
        .filter(|(_, m)| m.replications < 2)
        .map(|(p, m)| {
            format!(
                "{} has {}",
                p.display(),
                replications(m.replications.into())
            )
        })
        .collect();
    let pairing = format!(
        "common random numbers: same seed {} and {} replications",
        ma.seed, ma.replications
    );
    match choice {
        Choice::Paired if !same => Err(format!(
            "--paired needs two studies with the same seed and replications (common random numbers), and {} has seed {} and {}, {} seed {} and {}",
            a.path.display(),
            ma.seed,
            replications(ma.replications.into()),
            b.path.display(),
            mb.seed,
            replications(mb.replications.into())
        )),
        Choice::Paired if !few.is_empty() => Err(format!(
            "--paired needs at least 2 replications on each side to estimate the spread of the differences, and {}",
            few.join(" and ")
        )),
        _ if !few.is_empty() => Ok((
            Method::None,
            format!(
                "none: differences only, no interval, since {}; an interval needs at least 2 on each side (run with --replications)",
                few.join(" and ")
            ),
        )),
        Choice::Paired => Ok((Method::Paired, format!("paired ({pairing})"))),
        Choice::Auto if same => Ok((Method::Paired, format!("paired ({pairing})"))),
        Choice::Welch if same => Ok((
            Method::Welch,
            format!(
                "Welch (--welch; the studies could have been paired: same seed {} and {} replications)",
                ma.seed, ma.replications
            ),
        )),
        Choice::Welch => Ok((Method::Welch, "Welch (--welch)".to_string())),
        Choice::Auto => {
            let why = if ma.seed != mb.seed {
                format!("different seeds, {} and {}", ma.seed, mb.seed)
            } else {
                format!(
                    "different replications, {} and {}",
                    ma.replications, mb.replications
                )
            };
            Ok((
                Method::Welch,
                format!("Welch (independent studies: {why}, so nothing to pair)"),
            ))
        }
    }
}

/// `1 replication`, `10 replications`.
fn replications(n: u64) -> String {
    format!("{n} replication{}", if n == 1 { "" } else { "s" })
}

/// A per-replication file, and how its rows are named.
#[derive(Clone, Copy)]
struct Source {
    file: &'static str,
    /// The columns naming a row, after `replication`.
    keys: &'static [&'static str],
    /// The `dimension` of its rows: the value of key column `Column(i)`,
    /// or a fixed word.
    dimension: Dimension,
    /// The key column giving the row's `name`; none: empty.
    name: Option<usize>,
    /// The key column giving the row's `kind`.
    kind: usize,
    /// Every complete result has it.
    required: bool,
}

#[derive(Clone, Copy)]
enum Dimension {
    Column(usize),
    Fixed(&'static str),
}

/// The per-replication files compared, in the order of `compare.csv`.
const SOURCES: [Source; 4] = [
    Source {
        file: SUMMARY,
        keys: &["kind", "dimension", "state"],
        dimension: Dimension::Column(1),
        name: Some(2),
        kind: 0,
        required: true,
    },
    Source {
        file: OPERATIONS,
        keys: &["kind", "operation"],
        dimension: Dimension::Fixed("operation"),
        name: Some(1),
        kind: 0,
        required: true,
    },
    Source {
        file: AVAILABILITY,
        keys: &["kind"],
        dimension: Dimension::Fixed("availability"),
        name: None,
        kind: 0,
        required: true,
    },
    Source {
        file: CAPACITY_SUMMARY,
        keys: &["pool", "kind"],
        dimension: Dimension::Fixed("pool"),
        name: Some(0),
        kind: 1,
        required: false,
    },
];

/// Running sums of one side's values (the mean as the sum over n, as
/// [`crate::ci::Estimate`] computes it; the variance by Welford's update).
#[derive(Clone, Copy, Debug, Default)]
struct Moments {
    n: u64,
    sum: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn add(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }

    /// The sample variance; NaN below 2 values.
    fn variance(&self) -> f64 {
        if self.n < 2 {
            f64::NAN
        } else {
            (self.m2 / (self.n - 1) as f64).max(0.0)
        }
    }
}

/// One metric of one row, accumulated over the replications.
#[derive(Clone, Copy, Debug, Default)]
struct Accumulated {
    a: Moments,
    b: Moments,
    /// A's and B's values in the replications where both are defined,
    /// and their differences (paired only).
    pair_a: Moments,
    pair_b: Moments,
    diff: Moments,
}

/// A row of the file (a key), with its metrics' sums.
struct Series {
    kind: String,
    dimension: String,
    name: String,
    metrics: Vec<Accumulated>,
}

/// One file's rows, accumulated over the replications of both studies.
struct Accumulator {
    source: Source,
    /// The compared columns, in A's order.
    metrics: Vec<String>,
    /// The rows, in the order first met (A's before B's in each
    /// replication), which is the files' order.
    series: Vec<Series>,
    index: BTreeMap<Vec<String>, usize>,
    /// Per column, where its first value that is not a number was, if
    /// any: such a column is not compared.
    not_numbers: Vec<Option<String>>,
}

impl Accumulator {
    fn new(source: Source, metrics: Vec<String>) -> Accumulator {
        Accumulator {
            source,
            not_numbers: vec![None; metrics.len()],
            metrics,
            series: Vec::new(),
            index: BTreeMap::new(),
        }
    }

    /// The series of `key`, added if new.
    fn series_of(&mut self, key: &[String], shown: &str, line: u64) -> Result<usize, String> {
        if let Some(&s) = self.index.get(key) {
            return Ok(s);
        }
        if self.series.len() >= folder::MAX_RESULT_ROWS {
            return Err(format!(
                "{shown}: line {line}: more than {} distinct rows; fleetsim writes a few hundred",
                folder::MAX_RESULT_ROWS
            ));
        }
        let source = &self.source;
        self.index.insert(key.to_vec(), self.series.len());
        self.series.push(Series {
            kind: key[source.kind].clone(),
            dimension: match source.dimension {
                Dimension::Column(k) => key[k].clone(),
                Dimension::Fixed(d) => d.to_string(),
            },
            name: source.name.map_or(String::new(), |k| key[k].clone()),
            metrics: vec![Accumulated::default(); self.metrics.len()],
        });
        Ok(self.series.len() - 1)
    }

    /// Adds one replication's rows of study `side` (0: A, 1: B); returns,
    /// per series, the index of its row in the block.
    fn add(
        &mut self,
        side: usize,
        block: &Block,
        shown: &str,
    ) -> Result<Vec<Option<usize>>, String> {
        let mut at: Vec<Option<usize>> = Vec::new();
        for (i, row) in block.rows.iter().enumerate() {
            let s = self.series_of(&row.key, shown, row.line)?;
            if at.len() < self.series.len() {
                at.resize(self.series.len(), None);
            }
            if let Some(first) = at[s] {
                return Err(format!(
                    "{shown}: line {}: replication {} has the row {} twice (first at line {})",
                    row.line,
                    block.replication,
                    row.key.join(","),
                    block.rows[first].line
                ));
            }
            at[s] = Some(i);
            for (m, cell) in row.cells.iter().enumerate() {
                let acc = &mut self.series[s].metrics[m];
                match *cell {
                    Cell::Number(v) if side == 0 => acc.a.add(v),
                    Cell::Number(v) => acc.b.add(v),
                    Cell::Empty => {}
                    Cell::NotNumber => {
                        self.not_numbers[m]
                            .get_or_insert_with(|| format!("{shown} line {}", row.line));
                    }
                }
            }
        }
        Ok(at)
    }

    /// Adds the differences of one replication, row by row, where both
    /// studies have the row and both values are defined.
    fn pair(&mut self, a: (&Block, &[Option<usize>]), b: (&Block, &[Option<usize>])) {
        for (s, (ia, ib)) in a.1.iter().zip(b.1).enumerate() {
            let (Some(ia), Some(ib)) = (ia, ib) else {
                continue;
            };
            let (ca, cb) = (&a.0.rows[*ia].cells, &b.0.rows[*ib].cells);
            for (m, acc) in self.series[s].metrics.iter_mut().enumerate() {
                if let (Cell::Number(x), Cell::Number(y)) = (ca[m], cb[m]) {
                    acc.pair_a.add(x);
                    acc.pair_b.add(y);
                    acc.diff.add(y - x);
                }
            }
        }
    }

    /// The rows of `compare.csv`: per series, per numeric column.
    fn rows(&self, paired: bool, notes: &mut Vec<String>) -> Vec<Row> {
        for (m, at) in self.not_numbers.iter().enumerate() {
            if let Some(at) = at {
                notes.push(format!(
                    "column {} of {} holds a value that is not a number ({at}): not compared",
                    self.metrics[m], self.source.file
                ));
            }
        }
        let mut rows = Vec::new();
        for s in &self.series {
            for (m, acc) in s.metrics.iter().enumerate() {
                if self.not_numbers[m].is_some() {
                    continue;
                }
                let mut row = if paired {
                    paired_row(acc)
                } else {
                    welch_row(acc)
                };
                row.kind.clone_from(&s.kind);
                row.dimension.clone_from(&s.dimension);
                row.name.clone_from(&s.name);
                row.metric.clone_from(&self.metrics[m]);
                rows.push(row);
            }
        }
        rows
    }
}

/// Compares one per-replication file of both folders, appending its rows.
/// A problem that stops the file is recorded and the next file read, so
/// that every problem is listed.
fn compare_source(
    source: Source,
    a: &Folder,
    b: &Folder,
    paired: bool,
    rows: &mut Vec<Row>,
    notes: &mut Vec<String>,
    problems: &mut Vec<String>,
) -> Result<()> {
    let (pa, pb) = (a.path.join(source.file), b.path.join(source.file));
    match (pa.exists(), pb.exists()) {
        (true, true) => {}
        (false, false) if !source.required => return Ok(()),
        (a_has_it, _) if !source.required => {
            let (has, lacks) = if a_has_it { (&pa, &pb) } else { (&pb, &pa) };
            notes.push(format!(
                "{} is not compared: {} has it, {} does not",
                source.file,
                has.display(),
                lacks.display()
            ));
            return Ok(());
        }
        (a_has_it, b_has_it) => {
            for (p, exists) in [(&pa, a_has_it), (&pb, b_has_it)] {
                if !exists {
                    problems.push(format!(
                        "{} is missing: every complete result has it",
                        p.display()
                    ));
                }
            }
            return Ok(());
        }
    }
    let (mut ra, mut rb) = match (
        Blocks::open(&pa, source.keys),
        Blocks::open(&pb, source.keys),
    ) {
        (Ok(ra), Ok(rb)) => (ra, rb),
        (ra, rb) => {
            problems.extend(ra.err());
            problems.extend(rb.err());
            return Ok(());
        }
    };
    // The columns both have, in A's order; the others are noted.
    let (names_a, names_b) = (ra.metric_names(), rb.metric_names());
    let metrics: Vec<String> = names_a
        .iter()
        .filter(|m| names_b.contains(m))
        .cloned()
        .collect();
    for (names, path) in [(&names_a, &pa), (&names_b, &pb)] {
        let own: Vec<&str> = names
            .iter()
            .filter(|m| !metrics.contains(m))
            .map(String::as_str)
            .collect();
        if !own.is_empty() {
            notes.push(format!(
                "{} has column{} {} that the other study's {} lacks: not compared",
                path.display(),
                if own.len() == 1 { "" } else { "s" },
                own.join(", "),
                source.file
            ));
        }
    }
    ra.select(&metrics);
    rb.select(&metrics);
    let mut acc = Accumulator::new(source, metrics);
    // Both files are read in step, one replication at a time: replication
    // r of A beside replication r of B, which is what pairing needs.
    let mut replication = 0u64;
    let mut held = [0u64; 2];
    loop {
        crate::interrupt::check()?;
        let blocks = match (ra.next_block(), rb.next_block()) {
            (Ok(ba), Ok(bb)) => [ba, bb],
            (ba, bb) => {
                problems.extend(ba.err());
                problems.extend(bb.err());
                return Ok(());
            }
        };
        if blocks.iter().all(Option::is_none) {
            break;
        }
        let mut at: [Vec<Option<usize>>; 2] = [Vec::new(), Vec::new()];
        for (side, reader) in [&ra, &rb].into_iter().enumerate() {
            let Some(block) = &blocks[side] else { continue };
            held[side] += 1;
            let added = if block.replication == replication {
                acc.add(side, block, reader.shown())
            } else {
                Err(format!(
                    "{}: line {}: replication {} where {replication} was expected: each replication's rows follow each other, replications in order, as fleetsim writes them",
                    reader.shown(),
                    block.rows.first().map_or(0, |r| r.line),
                    block.replication
                ))
            };
            match added {
                Ok(positions) => at[side] = positions,
                Err(p) => {
                    problems.push(p);
                    return Ok(());
                }
            }
        }
        if paired && let [Some(ba), Some(bb)] = &blocks {
            acc.pair((ba, &at[0]), (bb, &at[1]));
        }
        replication += 1;
    }
    for (f, held) in [(a, held[0]), (b, held[1])] {
        let want = u64::from(f.manifest.replications);
        if held != want {
            problems.push(format!(
                "{} holds {} where its manifest says {want}",
                f.path.join(source.file).display(),
                replications(held)
            ));
        }
    }
    rows.extend(acc.rows(paired, notes));
    Ok(())
}

/// The row of a paired comparison: the differences replication by
/// replication, where both values are defined.
fn paired_row(acc: &Accumulated) -> Row {
    let d = &acc.diff;
    if d.n == 0 {
        // Nothing to pair: a row only one study has, or a value never
        // defined in both at once. Each side's own mean, no interval.
        return means(acc);
    }
    let mut row = blank(Method::None, d.n, d.n);
    row.a_mean = acc.pair_a.mean();
    row.b_mean = acc.pair_b.mean();
    row.diff = d.mean();
    if d.n >= 2 {
        let df = (d.n - 1) as f64;
        let half = t_quantile(CONFIDENCE, df) * d.variance().sqrt() / (d.n as f64).sqrt();
        set_interval(&mut row, Method::Paired, half, Some(df));
    }
    row
}

/// The row of an unpaired comparison: Welch's interval of the difference
/// of the means, when both sides have at least 2 values.
fn welch_row(acc: &Accumulated) -> Row {
    let (a, b) = (&acc.a, &acc.b);
    let mut row = means(acc);
    if a.n >= 2 && b.n >= 2 {
        let (va, vb) = (a.variance() / a.n as f64, b.variance() / b.n as f64);
        let df = welch_df(va, a.n, vb, b.n);
        // Neither side varies: the difference is known exactly.
        let (half, df) = if va + vb > 0.0 {
            (t_quantile(CONFIDENCE, df) * (va + vb).sqrt(), Some(df))
        } else {
            (0.0, None)
        };
        set_interval(&mut row, Method::Welch, half, df);
    }
    row
}

/// Each side's mean over its own values, and their difference; no interval.
fn means(acc: &Accumulated) -> Row {
    let mut row = blank(Method::None, acc.a.n, acc.b.n);
    row.a_mean = acc.a.mean();
    row.b_mean = acc.b.mean();
    row.diff = row.a_mean.zip(row.b_mean).map(|(x, y)| y - x);
    row
}

/// A row without names, values or interval.
fn blank(method: Method, n_a: u64, n_b: u64) -> Row {
    Row {
        kind: String::new(),
        dimension: String::new(),
        name: String::new(),
        metric: String::new(),
        a_mean: None,
        b_mean: None,
        diff: None,
        ci95_low: None,
        ci95_high: None,
        df: None,
        method,
        n_a,
        n_b,
        significant: None,
    }
}

/// Sets the interval diff ± `half`, and whether it excludes 0.
fn set_interval(row: &mut Row, method: Method, half: f64, df: Option<f64>) {
    let Some(diff) = row.diff else { return };
    if !half.is_finite() {
        return;
    }
    let (low, high) = (diff - half, diff + half);
    row.method = method;
    row.df = df;
    row.ci95_low = Some(low);
    row.ci95_high = Some(high);
    row.significant = Some(low > 0.0 || high < 0.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accumulated(a: &[f64], b: &[f64]) -> Accumulated {
        let mut acc = Accumulated::default();
        for &x in a {
            acc.a.add(x);
        }
        for &y in b {
            acc.b.add(y);
        }
        for (&x, &y) in a.iter().zip(b) {
            acc.pair_a.add(x);
            acc.pair_b.add(y);
            acc.diff.add(y - x);
        }
        acc
    }

    #[test]
    fn paired_differences_remove_the_shared_noise() {
        // B = A + 1 + a little: the replications move together.
        let a = [10.0, 14.0, 9.0, 20.0, 12.0];
        let b = [11.1, 14.9, 10.0, 21.2, 12.8];
        let acc = accumulated(&a, &b);
        let paired = paired_row(&acc);
        let welch = welch_row(&acc);
        assert_eq!(paired.method, Method::Paired);
        assert_eq!(welch.method, Method::Welch);
        // The differences are 1.1, 0.9, 1.0, 1.2, 0.8: mean 1, sd 0.158114,
        // t(0.975, 4) = 2.776445, half-width 0.196324.
        let half = paired.ci95_high.unwrap() - paired.diff.unwrap();
        assert!((paired.diff.unwrap() - 1.0).abs() < 1e-12);
        assert!((half - 0.196_324).abs() < 1e-6, "{half}");
        assert_eq!(paired.df, Some(4.0));
        assert_eq!(paired.significant, Some(true));
        // Welch sees the spread between replications, and 0 in its interval.
        assert!(welch.ci95_low.unwrap() < 0.0, "{welch:?}");
        assert_eq!(welch.significant, Some(false));
        assert!((welch.diff.unwrap() - paired.diff.unwrap()).abs() < 1e-12);
    }

    #[test]
    fn identical_values_differ_by_exactly_zero() {
        let a = [0.1, 0.2, 0.30000000000000004, 1e-9];
        let acc = accumulated(&a, &a);
        for row in [paired_row(&acc), welch_row(&acc)] {
            assert_eq!(row.diff, Some(0.0), "{row:?}");
            assert_eq!(row.significant, Some(false));
        }
        let paired = paired_row(&acc);
        assert_eq!((paired.ci95_low, paired.ci95_high), (Some(0.0), Some(0.0)));
        // No spread on either side: the interval is the difference itself.
        let constant = accumulated(&[2.0, 2.0, 2.0], &[3.0, 3.0, 3.0]);
        let welch = welch_row(&constant);
        assert_eq!((welch.ci95_low, welch.ci95_high), (Some(1.0), Some(1.0)));
        assert_eq!((welch.df, welch.significant), (None, Some(true)));
    }

    #[test]
    fn too_few_values_give_a_difference_without_interval() {
        let acc = accumulated(&[1.0], &[3.0]);
        for row in [paired_row(&acc), welch_row(&acc)] {
            assert_eq!(row.method, Method::None);
            assert_eq!(row.diff, Some(2.0));
            assert_eq!((row.ci95_low, row.significant), (None, None));
        }
        let nothing = accumulated(&[], &[]);
        assert_eq!(welch_row(&nothing).diff, None);
        assert_eq!(paired_row(&nothing).a_mean, None);
        // A row only A has: its mean, and nothing to compare it with.
        let only_a = accumulated(&[1.0, 2.0], &[]);
        let row = paired_row(&only_a);
        assert_eq!((row.a_mean, row.b_mean, row.diff), (Some(1.5), None, None));
        assert_eq!((row.n_a, row.n_b, row.method), (2, 0, Method::None));
    }
}
