//! Reading a result folder for the report: which kind of folder it is (a
//! run, a sweep, a plan, a comparison), its manifest, and its CSV files,
//! each column read by its name, so that columns and rows the report does
//! not know (added by a later version) are passed over. Every value keeps
//! the text the file has, so the report can show where each number came
//! from.

use crate::input::file;
use crate::output::files;
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The most bytes a manifest or `plan.json` may hold.
const JSON_LIMIT: u64 = 64 << 20;

/// The most bytes one CSV file may hold: the report keeps a file in memory
/// while it draws it.
const CSV_LIMIT: u64 = 1 << 30;

/// A folder the report cannot be made of: not a result folder, or one
/// whose files are missing or unreadable. Every problem found is listed.
#[derive(Debug)]
pub struct ReportInputError {
    /// The folder.
    pub dir: PathBuf,
    /// What is wrong, a line each.
    pub problems: Vec<String>,
}

impl fmt::Display for ReportInputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: cannot make a report of this folder; nothing was written",
            self.dir.display()
        )?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ReportInputError {}

/// A number as a result file has it: the file, the row (its naming
/// columns and their values), the column, and the text of the field.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// The file, relative to the folder the report is made of.
    pub file: String,
    /// The columns naming the row, with their values.
    pub row: Vec<(String, String)>,
    /// The column.
    pub col: String,
    /// The field's text; empty when the value is undefined.
    pub raw: String,
}

impl Cell {
    /// The value, if the field has one.
    pub fn value(&self) -> Option<f64> {
        self.raw.parse().ok().filter(|v: &f64| v.is_finite())
    }
}

/// One CSV file, read whole.
pub struct Csv {
    /// Its name relative to the folder the report is made of.
    pub file: String,
    header: Vec<String>,
    index: BTreeMap<String, usize>,
    rows: Vec<csv::StringRecord>,
    /// Fields that should hold a number and do not: found as they are
    /// read, reported together at the end.
    problems: RefCell<Vec<String>>,
}

/// One row of a [`Csv`].
#[derive(Clone, Copy)]
pub struct Row<'a> {
    csv: &'a Csv,
    rec: &'a csv::StringRecord,
    /// Line number in the file (the header is line 1).
    line: usize,
}

impl Csv {
    /// Reads `dir/name`, shown in the report as `shown`.
    fn read(dir: &Path, name: &str, shown: String) -> Result<Csv, String> {
        let path = dir.join(name);
        let bytes = file::read(&path, CSV_LIMIT).map_err(|e| {
            format!(
                "{}: {}",
                path.display(),
                e.explain(
                    "give the result folder a run wrote",
                    "the report reads it whole"
                )
            )
        })?;
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
        let header = reader
            .headers()
            .map_err(|e| format!("{}: not a CSV file ({e})", path.display()))?
            .clone();
        let index = header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.to_string(), i))
            .collect();
        let rows = reader
            .records()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{}: not a CSV file ({e})", path.display()))?;
        Ok(Csv {
            file: shown,
            header: header.iter().map(str::to_string).collect(),
            index,
            rows,
            problems: RefCell::new(Vec::new()),
        })
    }

    /// The columns, in file order.
    pub fn columns(&self) -> Vec<String> {
        self.header.clone()
    }

    /// Whether the file has column `name`.
    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// The rows, in file order.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().enumerate().map(move |(i, rec)| Row {
            csv: self,
            rec,
            line: i + 2,
        })
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the file has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The first row whose columns `keys` hold the values given.
    pub fn find(&self, keys: &[(&str, &str)]) -> Option<Row<'_>> {
        self.rows()
            .find(|r| keys.iter().all(|(k, v)| r.text(k) == *v))
    }

    /// Problems found so far: fields that should hold numbers and do not.
    fn take_problems(&self) -> Vec<String> {
        std::mem::take(&mut *self.problems.borrow_mut())
    }
}

impl<'a> Row<'a> {
    /// The text of column `name`; empty when the file has no such column.
    pub fn text(&self, name: &str) -> &'a str {
        self.csv
            .index
            .get(name)
            .and_then(|&i| self.rec.get(i))
            .unwrap_or("")
    }

    /// The number in column `name`: `None` when the field is empty or the
    /// file has no such column. A field that is not a number is `None` too,
    /// and recorded as a problem of the file.
    pub fn num(&self, name: &str) -> Option<f64> {
        let text = self.text(name);
        if text.is_empty() {
            return None;
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                self.csv.problems.borrow_mut().push(format!(
                    "{}: line {}: column {}: \"{text}\" is not a number",
                    self.csv.file, self.line, name
                ));
                None
            }
        }
    }

    /// Column `col` of this row as a [`Cell`], its row named by the
    /// columns `keys`.
    pub fn cell(&self, keys: &[&str], col: &str) -> Cell {
        // Checked as a number, so a bad field is reported.
        let _ = self.num(col);
        Cell {
            file: self.csv.file.clone(),
            row: keys
                .iter()
                .map(|k| (k.to_string(), self.text(k).to_string()))
                .collect(),
            col: col.to_string(),
            raw: self.text(col).to_string(),
        }
    }
}

/// What `manifest.json` says; the keys the report does not use are passed
/// over.
#[derive(Deserialize, Debug, Clone)]
pub struct Manifest {
    /// The version that ran.
    pub fleetsim_version: String,
    /// The scenario file, as given.
    #[serde(default)]
    pub scenario_file: Option<String>,
    /// The validated scenario.
    pub scenario: serde_json::Value,
    /// The seed.
    pub seed: u64,
    /// Replications (per point).
    pub replications: u32,
    /// The horizon, in seconds.
    pub horizon_s: f64,
    /// The warmup, in seconds.
    pub warmup_s: f64,
    /// Events processed.
    #[serde(default)]
    pub events_processed: Option<u64>,
    /// Wall-clock seconds the run took.
    #[serde(default)]
    pub wall_seconds: Option<f64>,
    /// The files the run wrote.
    #[serde(default)]
    pub files: Vec<String>,
    /// A sweep's paths and points.
    #[serde(default)]
    pub sweep: Option<SweepManifest>,
}

/// The sweep part of a manifest.
#[derive(Deserialize, Debug, Clone)]
pub struct SweepManifest {
    /// The swept paths.
    pub params: Vec<String>,
    /// Every point.
    pub points: Vec<SweepPoint>,
}

/// One point of a sweep.
#[derive(Deserialize, Debug, Clone)]
pub struct SweepPoint {
    /// Its number.
    pub point: usize,
    /// Its value of each swept path.
    pub values: Vec<serde_json::Value>,
    /// Its folder, relative to the sweep's.
    pub folder: String,
}

impl Manifest {
    /// The scenario's name.
    pub fn name(&self) -> &str {
        self.scenario
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or("")
    }

    /// The sample interval of the time series, in seconds.
    pub fn sample_interval_s(&self) -> Option<f64> {
        self.scenario.get("sample_interval")?.as_f64()
    }
}

/// What `plan.json` says.
#[derive(Deserialize, Debug, Clone)]
pub struct PlanManifest {
    /// The version that ran.
    pub fleetsim_version: String,
    /// The scenario file, as given.
    #[serde(default)]
    pub scenario_file: Option<String>,
    /// The validated scenario.
    pub scenario: serde_json::Value,
    /// The seed.
    pub seed: u64,
    /// Each replication's horizon, in seconds.
    pub horizon_s: f64,
    /// Its warmup, in seconds.
    pub warmup_s: f64,
    /// The target, e.g. `blocked_share <= 0.01`.
    pub target: String,
    /// The intervals' confidence.
    pub confidence: f64,
    /// Replications a size starts with.
    #[serde(default)]
    pub start_replications: Option<u32>,
    /// The most a size may get.
    #[serde(default)]
    pub max_replications: Option<u32>,
    /// Every pool searched.
    #[serde(default)]
    pub pools: Vec<PlanPool>,
    /// Replications run in all.
    #[serde(default)]
    pub replications_run: Option<u64>,
    /// Events processed in all.
    #[serde(default)]
    pub events_processed: Option<u64>,
    /// Wall-clock seconds.
    #[serde(default)]
    pub wall_seconds: Option<f64>,
}

/// One pool of `plan.json`.
#[derive(Deserialize, Debug, Clone)]
pub struct PlanPool {
    /// The pool.
    pub pool: String,
    /// `ecs` or `bms`.
    #[serde(default)]
    pub kind: String,
    /// The file's size.
    #[serde(default)]
    pub configured_hosts: Option<u32>,
    /// The answer.
    #[serde(default)]
    pub hosts: Option<u32>,
    /// How the search ended.
    #[serde(default)]
    pub outcome: String,
}

impl PlanManifest {
    /// The scenario's name.
    pub fn name(&self) -> &str {
        self.scenario
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or("")
    }
}

/// The files of one study (a plain run, or one point of a sweep).
pub struct RunFiles {
    /// The manifest.
    pub manifest: Manifest,
    /// The folder relative to the report's (`""`, or `point-<i>/`).
    pub prefix: String,
    /// `occupancy_status.csv`.
    pub occupancy: Csv,
    /// `summary.csv`.
    pub summary: Csv,
    /// `summary_ci.csv`, with replications.
    pub summary_ci: Option<Csv>,
    /// `operations.csv`.
    pub operations: Csv,
    /// `operations_ci.csv`, with replications.
    pub operations_ci: Option<Csv>,
    /// `availability.csv`.
    pub availability: Csv,
    /// `availability_ci.csv`, with replications.
    pub availability_ci: Option<Csv>,
    /// `capacity.csv`, with capacity.
    pub capacity: Option<Csv>,
    /// `capacity_summary.csv`, with capacity.
    pub capacity_summary: Option<Csv>,
    /// `capacity_summary_ci.csv`, with capacity and replications.
    pub capacity_summary_ci: Option<Csv>,
    /// `host_failures.csv`, with capacity.
    pub host_failures: Option<Csv>,
    /// `capacity_flavors.csv`, with capacity (output schema 5 on).
    pub capacity_flavors: Option<Csv>,
    /// `capacity_flavors_ci.csv`, with capacity and replications.
    pub capacity_flavors_ci: Option<Csv>,
}

impl RunFiles {
    /// Every CSV read.
    fn csvs(&self) -> Vec<&Csv> {
        let mut out = vec![
            &self.occupancy,
            &self.summary,
            &self.operations,
            &self.availability,
        ];
        out.extend(
            [
                &self.summary_ci,
                &self.operations_ci,
                &self.availability_ci,
                &self.capacity,
                &self.capacity_summary,
                &self.capacity_summary_ci,
                &self.host_failures,
                &self.capacity_flavors,
                &self.capacity_flavors_ci,
            ]
            .into_iter()
            .flatten(),
        );
        out
    }
}

/// A folder the report is made of.
pub enum Folder {
    /// The result of `fleetsim run` without a sweep (or one point's folder).
    Run(Box<RunFiles>),
    /// The result of a sweep: `sweep.csv` and every point's folder.
    Sweep {
        /// The top-level manifest.
        manifest: Manifest,
        /// `sweep.csv`.
        sweep: Csv,
        /// Every point's files, in point order.
        points: Vec<RunFiles>,
    },
    /// The result of `fleetsim plan`.
    Plan {
        /// `plan.json`.
        manifest: PlanManifest,
        /// `plan.csv`.
        plan: Csv,
    },
    /// The result of `fleetsim compare`.
    Compare {
        /// `compare.json`, its rows those of `compare.csv`.
        comparison: Box<crate::compare::Comparison>,
        /// `compare.csv`, as text: row i is `comparison.rows[i]`.
        rows: Csv,
    },
}

impl Folder {
    /// Every CSV read.
    fn csvs(&self) -> Vec<&Csv> {
        match self {
            Folder::Run(r) => r.csvs(),
            Folder::Sweep { sweep, points, .. } => std::iter::once(sweep)
                .chain(points.iter().flat_map(|p| p.csvs()))
                .collect(),
            Folder::Plan { plan, .. } => vec![plan],
            Folder::Compare { rows, .. } => vec![rows],
        }
    }

    /// The fields that should have held numbers and did not, read so far.
    pub fn problems(&self) -> Vec<String> {
        self.csvs().iter().flat_map(|c| c.take_problems()).collect()
    }
}

/// Reads the folder `dir`: a run's, a sweep's, a plan's or a comparison's.
pub fn read(dir: &Path) -> Result<Folder, ReportInputError> {
    let fail = |problems: Vec<String>| ReportInputError {
        dir: dir.to_path_buf(),
        problems,
    };
    if !dir.is_dir() {
        let what = if dir.exists() {
            "it is not a folder; give the result folder of `fleetsim run`, `fleetsim plan` or `fleetsim compare`"
        } else {
            "there is no such folder"
        };
        return Err(fail(vec![what.into()]));
    }
    if dir.join(files::MANIFEST).exists() {
        let manifest: Manifest = json(dir, files::MANIFEST).map_err(|p| fail(vec![p]))?;
        match manifest.sweep.clone() {
            None => read_run(dir, manifest, String::new())
                .map(|r| Folder::Run(Box::new(r)))
                .map_err(fail),
            Some(sweep) => {
                let mut problems = Vec::new();
                let table = Csv::read(dir, files::SWEEP, files::SWEEP.into())
                    .map_err(|p| problems.push(p))
                    .ok();
                let mut points = Vec::new();
                for p in &sweep.points {
                    let sub = dir.join(&p.folder);
                    let prefix = format!("{}/", p.folder);
                    let m = json::<Manifest>(&sub, files::MANIFEST).map_err(|e| vec![e]);
                    match m.and_then(|m| read_run(&sub, m, prefix)) {
                        Ok(r) => points.push(r),
                        Err(e) => problems.extend(e),
                    }
                }
                match table {
                    Some(sweep) if problems.is_empty() => Ok(Folder::Sweep {
                        manifest,
                        sweep,
                        points,
                    }),
                    _ => Err(fail(problems)),
                }
            }
        }
    } else if dir.join(files::PLAN_JSON).exists() {
        let manifest: PlanManifest = json(dir, files::PLAN_JSON).map_err(|p| fail(vec![p]))?;
        let plan =
            Csv::read(dir, files::PLAN_CSV, files::PLAN_CSV.into()).map_err(|p| fail(vec![p]))?;
        let missing: Vec<String> = ["pool", "hosts", "metric", "mean", "ci_low", "ci_high"]
            .iter()
            .filter(|c| !plan.has(c))
            .map(|c| format!("{}: no column {c}", dir.join(files::PLAN_CSV).display()))
            .collect();
        if !missing.is_empty() {
            return Err(fail(missing));
        }
        Ok(Folder::Plan { manifest, plan })
    } else if dir.join(files::COMPARE_JSON).exists() {
        // Read as `compare` reads its files back (the schema checked, the
        // rows from compare.csv, both files of one comparison), and
        // compare.csv once more as text, so each number shown carries
        // the field as the file has it.
        let comparison =
            crate::compare::files::read(dir).map_err(|e| fail(vec![format!("{e:#}")]))?;
        let rows = Csv::read(dir, files::COMPARE_CSV, files::COMPARE_CSV.into())
            .map_err(|p| fail(vec![p]))?;
        if rows.len() != comparison.rows.len() {
            // Only if compare.csv changed between the two readings.
            return Err(fail(vec![format!(
                "{} changed while it was read",
                dir.join(files::COMPARE_CSV).display()
            )]));
        }
        Ok(Folder::Compare {
            comparison: Box::new(comparison),
            rows,
        })
    } else {
        Err(fail(vec![format!(
            "not a complete result folder: it has neither {} (written last by `fleetsim run`), {} (written last by `fleetsim plan`) nor {} (written last by `fleetsim compare`)",
            files::MANIFEST,
            files::PLAN_JSON,
            files::COMPARE_JSON
        )]))
    }
}

/// Reads and parses a JSON file of `dir`.
fn json<T: for<'de> Deserialize<'de>>(dir: &Path, name: &str) -> Result<T, String> {
    let path = dir.join(name);
    let bytes = file::read(&path, JSON_LIMIT).map_err(|e| {
        format!(
            "{}: {}",
            path.display(),
            e.explain("give the result folder a run wrote", "a manifest is small")
        )
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not a manifest fleetsim wrote ({e})", path.display()))
}

/// Reads one study's files from `dir`, shown under `prefix`.
fn read_run(dir: &Path, manifest: Manifest, prefix: String) -> Result<RunFiles, Vec<String>> {
    let mut problems = Vec::new();
    let listed = |name: &str| manifest.files.iter().any(|f| f == name);
    let mut required = |name: &str| -> Option<Csv> {
        Csv::read(dir, name, format!("{prefix}{name}"))
            .map_err(|p| problems.push(p))
            .ok()
    };
    let occupancy = required(files::OCCUPANCY_STATUS);
    let summary = required(files::SUMMARY);
    let operations = required(files::OPERATIONS);
    let availability = required(files::AVAILABILITY);
    // The files a run writes only with replications or capacity: read when
    // the manifest lists them, and then they must be there.
    let mut optional = |name: &str| -> Option<Csv> {
        if !listed(name) {
            return None;
        }
        Csv::read(dir, name, format!("{prefix}{name}"))
            .map_err(|p| problems.push(p))
            .ok()
    };
    let summary_ci = optional(files::SUMMARY_CI);
    let operations_ci = optional(files::OPERATIONS_CI);
    let availability_ci = optional(files::AVAILABILITY_CI);
    let capacity = optional(files::CAPACITY);
    let capacity_summary = optional(files::CAPACITY_SUMMARY);
    let capacity_summary_ci = optional(files::CAPACITY_SUMMARY_CI);
    let host_failures = optional(files::HOST_FAILURES);
    let capacity_flavors = optional(files::CAPACITY_FLAVORS);
    let capacity_flavors_ci = optional(files::CAPACITY_FLAVORS_CI);
    let needs: [(&Option<Csv>, &str, &[&str]); 4] = [
        (
            &occupancy,
            files::OCCUPANCY_STATUS,
            &["time_s", "kind", "population"],
        ),
        (
            &summary,
            files::SUMMARY,
            &["kind", "dimension", "state", "share"],
        ),
        (
            &operations,
            files::OPERATIONS,
            &["kind", "operation", "requested"],
        ),
        (
            &availability,
            files::AVAILABILITY,
            &["kind", "availability"],
        ),
    ];
    for (csv, name, columns) in needs {
        if let Some(csv) = csv {
            for c in columns.iter().filter(|c| !csv.has(c)) {
                problems.push(format!("{}: no column {c}", dir.join(name).display()));
            }
        }
    }
    match (occupancy, summary, operations, availability) {
        (Some(occupancy), Some(summary), Some(operations), Some(availability))
            if problems.is_empty() =>
        {
            Ok(RunFiles {
                manifest,
                prefix,
                occupancy,
                summary,
                summary_ci,
                operations,
                operations_ci,
                availability,
                availability_ci,
                capacity,
                capacity_summary,
                capacity_summary_ci,
                host_failures,
                capacity_flavors,
                capacity_flavors_ci,
            })
        }
        _ => Err(problems),
    }
}
