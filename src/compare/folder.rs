//! One result folder as `fleetsim compare` reads it: its manifest (what
//! was run: seed, replications, horizon, warmup, kinds) and its
//! per-replication files, streamed one replication at a time so that
//! memory does not grow with the number of replications. Columns are found
//! by name, never by position.

use crate::input::file::{self, LineLimited};
use crate::output::files::{COMPARE_JSON, FIXTURES, MANIFEST, PLAN_JSON};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Largest `manifest.json` read (64 MiB). A run's manifest is a few
/// kilobytes (the validated scenario and the list of files); it is read
/// whole, so it has a limit.
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// Longest line of a per-replication file (1 MiB; a row of fleetsim's is
/// a few hundred bytes): a CSV reader holds a line in memory until it ends.
pub const MAX_RESULT_LINE_BYTES: u64 = 1 << 20;

/// Most distinct rows (states, operations, kinds, pools) one file may name
/// (100,000): fleetsim writes a few hundred, plus one per pool. Each row
/// keeps its running sums in memory.
pub const MAX_RESULT_ROWS: usize = 100_000;

/// What `compare` needs of a `manifest.json`; every other member is
/// skipped unread.
#[derive(Debug, Deserialize)]
pub struct Manifest {
    /// The fleetsim version that ran.
    pub fleetsim_version: String,
    /// The version of the files' layout.
    pub output_schema_version: u32,
    /// The seed.
    pub seed: u64,
    /// Replications (of each point, with a sweep).
    pub replications: u32,
    /// Horizon, in seconds.
    pub horizon_s: f64,
    /// Warmup, in seconds.
    pub warmup_s: f64,
    /// The validated scenario: its name and which kinds it simulates.
    pub scenario: ScenarioFields,
    /// With a sweep: its points.
    #[serde(default)]
    pub sweep: Option<SweepFields>,
}

/// What `compare` needs of the manifest's scenario.
#[derive(Debug, Deserialize)]
pub struct ScenarioFields {
    /// The scenario's name.
    pub name: String,
    /// The `[ecs]` section, null when the scenario has none.
    #[serde(default)]
    pub ecs: Option<IgnoredAny>,
    /// The `[bms]` section, null when the scenario has none.
    #[serde(default)]
    pub bms: Option<IgnoredAny>,
}

/// What `compare` needs of a sweep's manifest.
#[derive(Debug, Deserialize)]
pub struct SweepFields {
    /// One entry per point.
    pub points: Vec<IgnoredAny>,
}

impl Manifest {
    /// The kinds the scenario simulates, in [`crate::model::Kind::ALL`] order.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut kinds = Vec::new();
        if self.scenario.ecs.is_some() {
            kinds.push("ecs");
        }
        if self.scenario.bms.is_some() {
            kinds.push("bms");
        }
        kinds
    }
}

/// A complete result folder.
#[derive(Debug)]
pub struct Folder {
    /// The folder, as given.
    pub path: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

impl Folder {
    /// Opens the result folder `path`: it must be a folder holding a
    /// readable `manifest.json` of a single study (not a sweep). Every
    /// problem found is returned, each naming the path.
    pub fn open(path: &Path) -> Result<Folder, Vec<String>> {
        let shown = path.display();
        if !path.exists() {
            return Err(vec![format!("{shown} does not exist")]);
        }
        if !path.is_dir() {
            return Err(vec![format!(
                "{shown} is not a folder; give the result folder of a run (the --out of `fleetsim run`, output/<scenario name> by default)"
            )]);
        }
        let manifest_path = path.join(MANIFEST);
        if !manifest_path.exists() {
            let hint = [
                (PLAN_JSON, "it is the folder of a `fleetsim plan`"),
                (FIXTURES, "it is the folder of `fleetsim fixtures`"),
                (COMPARE_JSON, "it is the folder of a `fleetsim compare`"),
            ]
            .iter()
            .find(|(name, _)| path.join(name).exists())
            .map_or(String::new(), |(_, what)| format!("; {what}"));
            return Err(vec![format!(
                "{shown} has no {MANIFEST}, so it is not a complete fleetsim result (a run writes its manifest last){hint}"
            )]);
        }
        let bytes = file::read(&manifest_path, MAX_MANIFEST_BYTES).map_err(|e| {
            vec![format!(
                "{} {}",
                manifest_path.display(),
                e.explain(
                    "give a result folder whose manifest.json is the one fleetsim wrote",
                    "a run's manifest is a few kilobytes"
                )
            )]
        })?;
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            vec![format!(
                "{} is not the manifest of a fleetsim run: {e}",
                manifest_path.display()
            )]
        })?;
        if let Some(sweep) = &manifest.sweep {
            return Err(vec![format!(
                "{shown} holds a sweep of {} points, not one study; compare point folders instead, such as {} (with another point of the sweep, or a point of another sweep)",
                sweep.points.len(),
                path.join(format!("{}0", crate::output::POINT_DIR))
                    .display()
            )]);
        }
        let mut problems = Vec::new();
        for (what, v) in [
            ("horizon_s", manifest.horizon_s),
            ("warmup_s", manifest.warmup_s),
        ] {
            if !v.is_finite() || v < 0.0 {
                problems.push(format!(
                    "{}: {what} is {v}, not a time in seconds",
                    manifest_path.display()
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Folder {
            path: path.to_path_buf(),
            manifest,
        })
    }

    /// A short name for the folder, for the default output folder: its
    /// own name, with its sweep's name in front for a point
    /// (`whatif-mtbf-point-1`).
    pub fn label(&self) -> String {
        let full = std::fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone());
        let name = |p: &Path| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let own = name(&full);
        let is_point = own
            .strip_prefix(crate::output::POINT_DIR)
            .is_some_and(|i| i.parse::<u32>().is_ok());
        match full.parent() {
            Some(parent) if is_point && !name(parent).is_empty() => {
                format!("{}-{own}", name(parent))
            }
            _ if own.is_empty() => self.manifest.scenario.name.clone(),
            _ => own,
        }
    }
}

/// One field of a per-replication file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    /// Empty: undefined in that replication.
    Empty,
    /// A finite number.
    Number(f64),
    /// Anything else: the column is not a numeric one.
    NotNumber,
}

impl Cell {
    fn parse(s: &str) -> Cell {
        if s.is_empty() {
            return Cell::Empty;
        }
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Cell::Number(v),
            _ => Cell::NotNumber,
        }
    }
}

/// One row of one replication: the fields that name it, and the compared
/// columns' cells.
#[derive(Debug)]
pub struct BlockRow {
    /// The key fields, in the order the caller named the key columns.
    pub key: Vec<String>,
    /// The line of the file it came from.
    pub line: u64,
    /// One cell per compared metric, in the order given to
    /// [`Blocks::select`].
    pub cells: Vec<Cell>,
}

/// The rows of one replication.
#[derive(Debug)]
pub struct Block {
    /// Its replication number.
    pub replication: u64,
    /// Its rows, in file order.
    pub rows: Vec<BlockRow>,
}

/// A per-replication file (`summary.csv`, ...), read one replication (one
/// block of consecutive rows with the same `replication`) at a time.
pub struct Blocks {
    shown: String,
    csv: csv::Reader<LineLimited<BufReader<File>>>,
    header: Vec<String>,
    replication: usize,
    keys: Vec<usize>,
    selected: Vec<usize>,
    pending: Option<csv::StringRecord>,
}

impl Blocks {
    /// Opens `path` and reads its header, which must have a `replication`
    /// column and each of `keys`.
    pub fn open(path: &Path, keys: &[&str]) -> Result<Blocks, String> {
        let shown = path.display().to_string();
        let (f, _) = file::open(path).map_err(|e| {
            format!(
                "{shown} {}",
                e.explain(
                    "give a result folder as fleetsim wrote it",
                    "its lines are limited"
                )
            )
        })?;
        let mut csv = csv::ReaderBuilder::new()
            .from_reader(LineLimited::new(BufReader::new(f), MAX_RESULT_LINE_BYTES));
        let header: Vec<String> = csv
            .headers()
            .map_err(|e| format!("{shown}: cannot read its header: {e}"))?
            .iter()
            .map(str::to_string)
            .collect();
        let find = |name: &str| header.iter().position(|h| h == name);
        let mut missing = Vec::new();
        let replication = find("replication");
        if replication.is_none() {
            missing.push("replication");
        }
        let mut key_columns = Vec::new();
        for k in keys {
            match find(k) {
                Some(i) => key_columns.push(i),
                None => missing.push(k),
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "{shown} has no column {}: not a per-replication file of fleetsim's (its header is {})",
                missing.join(", "),
                header.join(",")
            ));
        }
        Ok(Blocks {
            shown,
            csv,
            replication: replication.expect("checked above"),
            keys: key_columns,
            selected: Vec::new(),
            header,
            pending: None,
        })
    }

    /// The columns that are neither `replication` nor a key: the metrics,
    /// in file order.
    pub fn metric_names(&self) -> Vec<String> {
        self.header
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != self.replication && !self.keys.contains(i))
            .map(|(_, h)| h.clone())
            .collect()
    }

    /// Reads the columns `names` (each one of [`Self::metric_names`]) into
    /// each row's cells, in that order.
    pub fn select(&mut self, names: &[String]) {
        self.selected = names
            .iter()
            .map(|n| {
                self.header
                    .iter()
                    .position(|h| h == n)
                    .expect("a metric of the file")
            })
            .collect();
    }

    fn read(&mut self) -> Result<Option<csv::StringRecord>, String> {
        let mut record = csv::StringRecord::new();
        match self.csv.read_record(&mut record) {
            Ok(true) => Ok(Some(record)),
            Ok(false) => Ok(None),
            Err(e) => Err(format!("{}: {e}", self.shown)),
        }
    }

    /// The next replication's rows; `None` at the end of the file.
    pub fn next_block(&mut self) -> Result<Option<Block>, String> {
        let first = match self.pending.take() {
            Some(r) => r,
            None => match self.read()? {
                Some(r) => r,
                None => return Ok(None),
            },
        };
        let replication = self.replication_of(&first)?;
        let mut rows = vec![self.row(&first)];
        while let Some(r) = self.read()? {
            if self.replication_of(&r)? != replication {
                self.pending = Some(r);
                break;
            }
            rows.push(self.row(&r));
        }
        Ok(Some(Block { replication, rows }))
    }

    /// The replication number of a record.
    fn replication_of(&self, r: &csv::StringRecord) -> Result<u64, String> {
        let field = &r[self.replication];
        field.parse::<u64>().map_err(|_| {
            format!(
                "{}: line {}: replication {field:?} is not a replication number (0, 1, ...)",
                self.shown,
                line(r)
            )
        })
    }

    fn row(&self, r: &csv::StringRecord) -> BlockRow {
        BlockRow {
            key: self.keys.iter().map(|&i| r[i].to_string()).collect(),
            line: line(r),
            cells: self.selected.iter().map(|&i| Cell::parse(&r[i])).collect(),
        }
    }

    /// The file, as given, for messages.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

/// The line a record began on.
fn line(r: &csv::StringRecord) -> u64 {
    r.position().map_or(0, |p| p.line())
}
