//! Trace replay: creates (and their deletes) read from a real arrival log,
//! the Azure Public Dataset's VM table or a plain CSV, streamed row by row
//! so that memory does not grow with the trace's length.
//!
//! A trace is read twice: once, whole, when the scenario is checked (every
//! bad row reported with its line, column and value), then once per
//! replication as the simulation goes, one row ahead of the clock.

use crate::engine::SimTime;
use crate::input::file::LineLimited;
use crate::input::problems::Problems;
use serde::Serialize;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

/// Most problems listed for one trace file.
const MAX_PROBLEMS: usize = 20;
/// Longest line of a trace (1 MiB): a row of the Azure table is about 150
/// bytes, and a row is held in memory until its line ends.
pub const MAX_LINE_BYTES: u64 = 1 << 20;
/// Largest number of servers one trace row may become (`demand_scale`).
pub const MAX_DEMAND_SCALE: f64 = 1000.0;

/// The layout of a trace file.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::VariantArray,
)]
pub enum Format {
    /// The Azure Public Dataset V2 (2019) `vmtable.csv`: no header; vmid,
    /// subscriptionid, deploymentid, vmcreated, vmdeleted, maxcpu, avgcpu,
    /// p95maxcpu, vmcategory, vmcorecountbucket, vmmemorybucket.
    #[strum(serialize = "azure-vm-v2")]
    AzureV2,
    /// The Azure Public Dataset V1 (2017) `vmtable.csv`: the same columns.
    #[strum(serialize = "azure-vm-v1")]
    AzureV1,
    /// A header `created_s,deleted_s,flavor`, then one row per server;
    /// `deleted_s` empty for a server never deleted.
    #[strum(serialize = "csv")]
    Csv,
}

impl Format {
    /// The name a scenario gives.
    pub fn name(self) -> &'static str {
        self.into()
    }

    fn columns(self) -> usize {
        match self {
            Format::AzureV2 | Format::AzureV1 => 11,
            Format::Csv => 3,
        }
    }
}

/// A trace as the scenario gives it, checked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceSpec {
    /// The file, as the scenario names it.
    pub path: String,
    /// The file, as opened (relative to the scenario's folder).
    #[serde(skip)]
    pub file: PathBuf,
    /// Its layout.
    pub format: Format,
    /// Simulation time of the trace's time 0.
    #[serde(serialize_with = "crate::input::units::ser_secs")]
    pub offset: SimTime,
    /// Simulation seconds per trace second.
    pub time_scale: f64,
    /// How many servers each trace server becomes, on average: below 1 a
    /// row is kept with this probability; above, it becomes ⌊s⌋ servers
    /// and one more with probability s − ⌊s⌋.
    pub demand_scale: f64,
    /// Azure core/memory buckets (`"2/4"`, `"*"` for any other) to flavor
    /// names; empty for the CSV form, whose rows name their flavor.
    pub flavors: Vec<(String, String)>,
    /// Rows, and their span in trace seconds, found when it was checked.
    pub rows: u64,
    /// The first and last creation times in the trace, in seconds.
    pub span_s: (f64, f64),
}

/// One server of a trace, in simulation time.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceVm {
    /// The trace's line.
    pub line: u64,
    /// When its create is requested.
    pub created: SimTime,
    /// When its delete is requested; `None`: never.
    pub deleted: Option<SimTime>,
    /// Its flavor's name; `None` when the kind has no hosts.
    pub flavor: Option<String>,
    /// Rows of one deployment created at the same time arrive as one
    /// request; an id of the deployment (a hash of its name), 0 for none.
    pub deployment: u64,
}

/// A trace row that is not valid, with where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// Line in the file, 1-based.
    pub line: u64,
    /// What is wrong, naming the column and the value.
    pub message: String,
}

impl TraceSpec {
    /// The flavor of an Azure row's buckets, if the mapping has one.
    fn bucket_flavor(&self, cores: &str, memory: &str) -> Option<&str> {
        let key = format!("{cores}/{memory}");
        self.flavors
            .iter()
            .find(|(k, _)| *k == key)
            .or_else(|| self.flavors.iter().find(|(k, _)| k == "*"))
            .map(|(_, f)| f.as_str())
    }

    /// A trace time (seconds) in simulation time.
    fn sim_time(&self, s: f64) -> SimTime {
        self.offset
            .after(SimTime::from_secs_f64(s * self.time_scale))
    }
}

fn number(field: &str, column: &str, line: u64) -> Result<f64, RowError> {
    match field.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(RowError {
            line,
            message: format!(
                "column {column}: {field:?} is not a time; give a number of seconds of 0 or more"
            ),
        }),
    }
}

/// A stable id of a deployment name (FNV-1a): rows are compared by it only.
fn deployment_id(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) | 1
}

/// Reads a trace row by row.
pub struct TraceReader {
    spec: TraceSpec,
    /// Whether the kind has hosts, so that rows need a flavor.
    needs_flavor: bool,
    csv: csv::Reader<LineLimited<BufReader<File>>>,
    record: csv::StringRecord,
    line: u64,
    /// Creation time (trace seconds) of the row before, which rows may not
    /// go back before.
    last_created: f64,
    /// Set once reading failed (a line too long, an I/O error): the rows
    /// end there.
    failed: bool,
}

impl TraceReader {
    /// Opens the trace of `spec`; `needs_flavor` when the kind has hosts
    /// (then every row must map to a flavor).
    pub fn open(spec: &TraceSpec, needs_flavor: bool) -> Result<TraceReader, String> {
        // No limit on the file's size (it is streamed), only on a line's.
        let (file, _size) = crate::input::file::open(&spec.file).map_err(|e| {
            format!(
                "{}: {}",
                spec.path,
                e.explain(
                    "give the trace's CSV file (the Azure VM table, or created_s,deleted_s,flavor rows)",
                    ""
                )
            )
        })?;
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(LineLimited::new(BufReader::new(file), MAX_LINE_BYTES));
        let mut record = csv::StringRecord::new();
        let mut line = 0;
        if spec.format == Format::Csv {
            let ok = csv
                .read_record(&mut record)
                .map_err(|e| format!("{}: {e}", spec.path))?;
            line = 1;
            let header: Vec<&str> = record.iter().map(str::trim).collect();
            if !ok || header != ["created_s", "deleted_s", "flavor"] {
                return Err(format!(
                    "{} line 1: the header is {:?}; the csv format needs exactly `created_s,deleted_s,flavor`",
                    spec.path,
                    header.join(",")
                ));
            }
        }
        Ok(TraceReader {
            spec: spec.clone(),
            needs_flavor,
            csv,
            record,
            line,
            last_created: 0.0,
            failed: false,
        })
    }

    /// The next server, `None` at the end of the file, or the problem of a
    /// bad row (reading can go on after it).
    pub fn next_vm(&mut self) -> Option<Result<TraceVm, RowError>> {
        // A line too long for the reader's limit, or not UTF-8, is an error
        // of that row; after a failed read (a line too long) nothing more
        // is read, since the rest of the line would look like a row.
        if self.failed {
            return None;
        }
        match self.csv.read_record(&mut self.record) {
            Ok(false) => return None,
            Ok(true) => {}
            Err(e) => {
                self.failed = e.is_io_error();
                self.line += 1;
                return Some(Err(RowError {
                    line: self.line,
                    message: e.to_string(),
                }));
            }
        }
        self.line = self.record.position().map_or(self.line + 1, |p| p.line());
        Some(self.parse_row())
    }

    fn parse_row(&mut self) -> Result<TraceVm, RowError> {
        let (spec, r, line) = (&self.spec, &self.record, self.line);
        let want = spec.format.columns();
        if r.len() != want {
            return Err(RowError {
                line,
                message: format!(
                    "has {} columns; the {} format has {want}",
                    r.len(),
                    spec.format.name()
                ),
            });
        }
        // Order is checked first, against the last row whose creation time
        // could be read, so that one bad row does not hide the next.
        let created_column = match spec.format {
            Format::Csv => (0, "created_s (1)"),
            _ => (3, "vmcreated (4)"),
        };
        let created = number(&r[created_column.0], created_column.1, line)?;
        if created < self.last_created {
            return Err(RowError {
                line,
                message: format!(
                    "created at {created} s, before the row above ({} s); the rows must be in order of creation time (sort the file first, e.g. `sort -t, -k4,4n` for the Azure table)",
                    self.last_created
                ),
            });
        }
        self.last_created = created;
        let (spec, r) = (&self.spec, &self.record);
        let (deleted, flavor, deployment) = match spec.format {
            Format::AzureV2 | Format::AzureV1 => {
                let deleted = number(&r[4], "vmdeleted (5)", line)?;
                let flavor = if self.needs_flavor {
                    let (cores, memory) = (r[9].trim(), r[10].trim());
                    match spec.bucket_flavor(cores, memory) {
                        Some(f) => Some(f.to_string()),
                        None => {
                            return Err(RowError {
                                line,
                                message: format!(
                                    "columns vmcorecountbucket, vmmemorybucket (10, 11): \"{cores}/{memory}\" has no flavor in the mapping; add flavors.\"{cores}/{memory}\" = \"<flavor>\" (or a \"*\" entry for every other bucket)"
                                ),
                            });
                        }
                    }
                } else {
                    None
                };
                (Some(deleted), flavor, deployment_id(r[2].trim()))
            }
            Format::Csv => {
                let deleted = match r[1].trim() {
                    "" => None,
                    d => Some(number(d, "deleted_s (2)", line)?),
                };
                let flavor = r[2].trim();
                if self.needs_flavor && flavor.is_empty() {
                    return Err(RowError {
                        line,
                        message: "column flavor (3): is empty; name one of [capacity.flavors]"
                            .into(),
                    });
                }
                (
                    deleted,
                    Some(flavor.to_string()).filter(|_| self.needs_flavor),
                    0,
                )
            }
        };
        if let Some(d) = deleted
            && d < created
        {
            return Err(RowError {
                line,
                message: format!(
                    "deleted at {d} s, before it was created at {created} s; a server is deleted after its creation"
                ),
            });
        }
        Ok(TraceVm {
            line,
            created: spec.sim_time(created),
            deleted: deleted.map(|d| spec.sim_time(d)),
            flavor,
            deployment,
        })
    }
}

/// Reads the whole trace once, checking every row and that every flavor it
/// maps to is one of `flavors` (when the kind has hosts): the rows and the
/// span of creation times, or the problems, each naming the file and line.
pub fn check(spec: &TraceSpec, flavors: Option<&[&str]>) -> Result<(u64, (f64, f64)), Vec<String>> {
    let mut reader = TraceReader::open(spec, flavors.is_some()).map_err(|e| vec![e])?;
    let mut rows = 0u64;
    // At most MAX_PROBLEMS are listed; the rest are counted.
    let mut problems = Problems::listing_at_most(MAX_PROBLEMS, format!("in {}", spec.path));
    let (mut first, mut last) = (None, 0.0);
    while let Some(row) = reader.next_vm() {
        let vm = row.and_then(|vm| match (flavors, &vm.flavor) {
            (Some(valid), Some(f)) if !valid.contains(&f.as_str()) => Err(RowError {
                line: vm.line,
                message: format!(
                    "flavor {f:?} is not one of [capacity.flavors]: {}",
                    valid.join(", ")
                ),
            }),
            _ => Ok(vm),
        });
        match vm {
            Ok(_) => {
                rows += 1;
                let created = reader.last_created;
                first.get_or_insert(created);
                last = created;
            }
            Err(e) => {
                problems.push("", format!("{} line {}: {}", spec.path, e.line, e.message));
            }
        }
    }
    if problems.is_empty() && rows == 0 {
        problems.push("", format!("{}: has no rows", spec.path));
    }
    if problems.is_empty() {
        Ok((rows, (first.unwrap_or(0.0), last)))
    } else {
        Err(problems.into_vec().into_iter().map(|p| p.message).collect())
    }
}

/// A trace opened for one replication, one row read ahead.
pub struct TraceStream {
    reader: Option<TraceReader>,
    next: Option<TraceVm>,
    /// Why the stream ended early, if it did: the file was checked when the
    /// scenario was read, so only a file changed since can get here.
    pub broken: Option<String>,
}

impl TraceStream {
    /// Opens the trace for a run.
    pub fn open(spec: &TraceSpec, needs_flavor: bool) -> TraceStream {
        let mut s = match TraceReader::open(spec, needs_flavor) {
            Ok(reader) => TraceStream {
                reader: Some(reader),
                next: None,
                broken: None,
            },
            Err(e) => TraceStream {
                reader: None,
                next: None,
                broken: Some(e),
            },
        };
        s.advance();
        s
    }

    fn advance(&mut self) {
        let Some(reader) = self.reader.as_mut() else {
            return;
        };
        self.next = match reader.next_vm() {
            Some(Ok(vm)) => Some(vm),
            Some(Err(e)) => {
                self.broken = Some(format!(
                    "{} line {}: {}",
                    reader.spec.path, e.line, e.message
                ));
                self.reader = None;
                None
            }
            None => None,
        };
    }

    /// When the next row's create comes, if any.
    pub fn next_time(&self) -> Option<SimTime> {
        self.next.as_ref().map(|vm| vm.created)
    }

    /// The next row, if its create comes at `now` or before, with the next
    /// read behind it.
    pub fn pop_due(&mut self, now: SimTime) -> Option<TraceVm> {
        if self.next.as_ref().is_some_and(|vm| vm.created <= now) {
            let vm = self.next.take();
            self.advance();
            vm
        } else {
            None
        }
    }

    /// Whether the next row is of the same deployment as `vm` and created
    /// at the same time: then it belongs to the same request.
    pub fn continues(&self, vm: &TraceVm) -> bool {
        vm.deployment != 0
            && self
                .next
                .as_ref()
                .is_some_and(|n| n.deployment == vm.deployment && n.created == vm.created)
    }
}
