//! `initial_fleet`: reads a real fleet — a Nova `servers/detail` response, or
//! the JSON Lines `fleetsim fixtures` writes — into the servers a simulation
//! starts with, checking every record against the kind's model (docs/model.md
//! §1–3, read backwards through [`crate::model::api`]) and reporting every
//! problem with the file, the line or array index, the field and its value.
//! Each server keeps the object the file gave ([`ImportedServer::original`]);
//! a server in a state Nova has and the model does not is refused or, with
//! `unmodelled = "skip"`, left out ([`InitialFleet::skipped`]).

use crate::capacity::spec::CapacitySpec;
use crate::input::file::FileError;
use crate::input::problems::{Problem, Problems, Reported};
use crate::model::api::{self, BMS_FIELDS, Shown, power};
use crate::model::bms::{self, BmsState};
use crate::model::ecs::{self, TaskState, VmState};
use crate::model::{Kind, Machine, Op, StateId, Status, nova};
use serde::Serialize;
use serde::ser::SerializeStruct;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The servers a kind starts with, read from `path`.
#[derive(Clone, Debug)]
pub struct InitialFleet {
    /// The path as the scenario gives it (relative to the scenario's folder).
    pub path: String,
    /// The servers, in the order their ids first appear in the file.
    pub servers: Vec<ImportedServer>,
    /// What the scenario's `unmodelled` says to do with a server in a
    /// state fleetsim does not model.
    pub unmodelled: Unmodelled,
    /// The servers `unmodelled = "skip"` left out, in the order their ids
    /// first appear in the file (always empty with `refuse`).
    pub skipped: Vec<SkippedServer>,
}

/// The manifest shows the file, how many servers it gave and how many were
/// skipped (the first [`MAX_SKIPPED_LISTED`] by id), not the servers.
impl Serialize for InitialFleet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("InitialFleet", 5)?;
        st.serialize_field("path", &self.path)?;
        st.serialize_field("servers", &self.servers.len())?;
        st.serialize_field("unmodelled", &self.unmodelled)?;
        st.serialize_field("skipped", &self.skipped.len())?;
        let listed = &self.skipped[..self.skipped.len().min(MAX_SKIPPED_LISTED)];
        st.serialize_field("skipped_ids", listed)?;
        st.end()
    }
}

/// What `initial_fleet` does with a server in a state Nova has and
/// fleetsim's model of the kind does not (PAUSED, `image_snapshot`, ...):
/// the scenario's `unmodelled`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unmodelled {
    /// Every such server is a problem, and nothing runs.
    #[default]
    Refuse,
    /// Such servers are left out of the fleet, counted and named.
    Skip,
}

impl Unmodelled {
    /// The values a scenario may give, in the order messages list them.
    pub const NAMES: &'static [&'static str] = &["refuse", "skip"];

    /// The scenario's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Unmodelled::Refuse => "refuse",
            Unmodelled::Skip => "skip",
        }
    }

    /// Reads the scenario's spelling.
    pub fn from_name(s: &str) -> Option<Unmodelled> {
        match s {
            "refuse" => Some(Unmodelled::Refuse),
            "skip" => Some(Unmodelled::Skip),
            _ => None,
        }
    }
}

/// The Nova field that shows a state fleetsim does not model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NovaField {
    /// `status`.
    Status,
    /// `OS-EXT-STS:vm_state`.
    VmState,
    /// `OS-EXT-STS:task_state`.
    TaskState,
}

impl NovaField {
    /// Its short name: `status`, `vm_state`, `task_state`.
    pub fn name(self) -> &'static str {
        match self {
            NovaField::Status => "status",
            NovaField::VmState => "vm_state",
            NovaField::TaskState => "task_state",
        }
    }

    /// Its key in a server object.
    pub fn key(self) -> &'static str {
        match self {
            NovaField::Status => "status",
            NovaField::VmState => VM,
            NovaField::TaskState => TASK,
        }
    }

    fn plural(self) -> &'static str {
        match self {
            NovaField::Status => "statuses",
            NovaField::VmState => "vm_states",
            NovaField::TaskState => "task_states",
        }
    }
}

/// Why a server is in a state fleetsim does not model: the field that says
/// so, and its value (Nova's spelling).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnmodelledState {
    /// The field.
    pub field: NovaField,
    /// Its value, one of Nova's ([`crate::model::nova`]).
    pub value: &'static str,
}

/// `status PAUSED`, `task_state image_snapshot`: the manifest's `reason`.
impl fmt::Display for UnmodelledState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field.name(), self.value)
    }
}

impl UnmodelledState {
    /// How the run report shows it: a status alone (`PAUSED`), which
    /// cannot be mistaken for anything else; another field with its name
    /// (`task_state image_snapshot`).
    pub fn short(&self) -> String {
        match self.field {
            NovaField::Status => self.value.to_string(),
            _ => self.to_string(),
        }
    }
}

/// A server of the file that `unmodelled = "skip"` left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedServer {
    /// Its `id`, as the file gives it.
    pub id: String,
    /// The state fleetsim does not model.
    pub reason: UnmodelledState,
}

/// `{"id": ..., "reason": "status PAUSED"}`.
impl Serialize for SkippedServer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("SkippedServer", 2)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("reason", &self.reason.to_string())?;
        st.end()
    }
}

/// One server of an imported fleet, as the simulation starts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedServer {
    /// Its `id`, as the file gives it.
    pub id: String,
    /// Its `name`; the id when the file gives none.
    pub name: String,
    /// Its state in the kind's [`Machine`] (`ecs::machine` / `bms::machine` order).
    pub state: StateId,
    /// Where its operation started (= `state` for a state it rests in, and
    /// for a create step).
    pub origin: StateId,
    /// Where a confirm or revert returns it: for an ECS resized or being
    /// resized, `active:null` or `stopped:null`; else = `state`.
    pub saved: StateId,
    /// `locked`; false when the file gives none.
    pub locked: bool,
    /// `flavor.id` (or, from microversion 2.47, `flavor.original_name`),
    /// if the file gives one.
    pub flavor: Option<String>,
    /// `created`, as the file gives it.
    pub created: Option<String>,
    /// `OS-SRV-USG:launched_at`, as the file gives it.
    pub launched_at: Option<String>,
    /// `OS-EXT-STS:power_state`.
    pub power_state: Option<u8>,
    /// Whether its first build succeeded (docs/model.md §2: one that never
    /// launched accepts only delete and reset).
    pub launched: bool,
    /// The server object exactly as the file gives it (a servers/detail
    /// array element; the `server` of the line that won for its id), keys
    /// in file order, less only `fleetsim:lifecycle_state`: what the
    /// fixtures writer writes back for the fields fleetsim does not model.
    pub original: Arc<Map<String, Value>>,
}

/// Most problems reported for one file; the rest are counted.
pub const MAX_PROBLEMS: usize = 20;

/// Most skipped servers the manifest and the reports name; the rest are
/// counted.
pub const MAX_SKIPPED_LISTED: usize = 20;

/// Most servers a file may give (as `initial`).
pub const MAX_SERVERS: usize = 10_000_000;

/// Largest fleet file read (2 GiB), which is read whole into memory and
/// parsed there: about 1.2 million servers as `fleetsim fixtures` writes
/// them (about 1.8 KiB a line), about 8 million with only the fields
/// fleetsim reads (about 250 bytes a line), near [`MAX_SERVERS`].
pub const MAX_FILE_BYTES: u64 = 2 << 30;

/// What a fleet file is, for messages about a path that is not one.
const VALID: &str =
    "give the path of a servers/detail response or of a servers.jsonl, e.g. \"fleet.json\"";

const VM: &str = "OS-EXT-STS:vm_state";
const TASK: &str = "OS-EXT-STS:task_state";
const POWER: &str = "OS-EXT-STS:power_state";
const LAUNCHED_AT: &str = "OS-SRV-USG:launched_at";
/// A BMS's lifecycle state inside its server object: a servers/detail
/// response's only place for it, and where JSON Lines of earlier versions
/// put it.
const LIFECYCLE: &str = "fleetsim:lifecycle_state";
/// A BMS's lifecycle state on its JSON Lines line, beside the server
/// (`"fleetsim": {"lifecycle_state": ...}`), as messages name it.
const LINE_LIFECYCLE: &str = "fleetsim.lifecycle_state";

/// Reads the fleet file `path` for `kind`. A relative path is resolved
/// against `dir` (the scenario's folder). With `capacity` limiting the kind,
/// every server must name one of its flavors; `unmodelled` says what a
/// server in a state fleetsim does not model does. On failure, every
/// problem, each naming the file, the place in it and the field (at most
/// [`MAX_PROBLEMS`], then how many more).
pub fn load(
    path: &str,
    dir: &Path,
    kind: Kind,
    capacity: Option<&CapacitySpec>,
    unmodelled: Unmodelled,
) -> Result<InitialFleet, Vec<Problem>> {
    let one = |message: String| {
        let mut out = Problems::new();
        out.push(field_of(kind), message);
        out.into_vec()
    };
    if path.trim().is_empty() {
        return Err(one(format!("\"\" is not a file; {VALID}")));
    }
    let resolved = dir.join(path);
    let text = crate::input::file::read(&resolved, MAX_FILE_BYTES).map_err(|e| {
        let shown = resolved.display().to_string();
        let at = if shown == path {
            String::new()
        } else {
            format!(" (looked for {shown})")
        };
        one(match e {
            FileError::Io(e) => format!("cannot read {path:?}{at}: {e}"),
            e => format!(
                "{path:?}{at} {}",
                e.explain(
                    VALID,
                    "a fleet file is read whole into memory; split the fleet between [ecs] and [bms] files, or keep fewer fields per server"
                )
            ),
        })
    })?;
    let text = String::from_utf8(text).map_err(|e| {
        one(format!(
            "{path:?} is not UTF-8 text ({e}); give a JSON file"
        ))
    })?;
    read_str(&text, path, kind, capacity, unmodelled)
}

/// The fleet files of one study, each read once: the points of a sweep name
/// the same file, and a study reads it (and checks its servers) once,
/// however many points there are. A file is read again only for another
/// kind, another set of flavors to check against or another `unmodelled`.
/// Trace files (`arrivals = { trace = ... }`) are checked once per study
/// the same way: a sweep, or `fleetsim plan`'s candidates, would otherwise
/// read a 2.7-million-row table again for every point.
#[derive(Default)]
pub struct FleetFiles {
    /// What each (file, kind, flavors, unmodelled) read gave, in the order
    /// first read.
    read: RefCell<Vec<(FleetKey, FleetRead)>>,
    /// What each check of a trace gave, in the order first checked.
    traces: RefCell<Vec<(TraceKey, TraceCheck)>>,
}

/// What checking a trace gave: its rows and span, or its problems.
type TraceCheck = Result<(u64, (f64, f64)), Vec<String>>;

/// What a check of a trace depends on: the file, how it is read, and the
/// flavors its rows must map to (not the offset or the scales, which the
/// check does not use).
#[derive(PartialEq)]
struct TraceKey {
    file: PathBuf,
    format: crate::demand::trace::Format,
    map: Vec<(String, String)>,
    flavors: Option<Vec<String>>,
}

/// What reading one fleet file gave.
type FleetRead = Result<Arc<InitialFleet>, Vec<Problem>>;

/// What a read of a fleet file depends on.
#[derive(PartialEq)]
struct FleetKey {
    path: String,
    resolved: PathBuf,
    kind: Kind,
    flavors: Option<Vec<String>>,
    unmodelled: Unmodelled,
}

impl FleetFiles {
    /// [`load`], or what it gave the first time it was asked for the same
    /// file, kind, flavors and `unmodelled`.
    pub fn load(
        &self,
        path: &str,
        dir: &Path,
        kind: Kind,
        capacity: Option<&CapacitySpec>,
        unmodelled: Unmodelled,
    ) -> FleetRead {
        let key = FleetKey {
            path: path.to_string(),
            resolved: dir.join(path),
            kind,
            flavors: Ctx::flavors(kind, capacity),
            unmodelled,
        };
        if let Some((_, done)) = self.read.borrow().iter().find(|(k, _)| *k == key) {
            return done.clone();
        }
        let done = load(path, dir, kind, capacity, unmodelled).map(Arc::new);
        self.read.borrow_mut().push((key, done.clone()));
        done
    }

    /// [`crate::demand::trace::check`], or what it gave the first time it
    /// was asked for the same file, format, map and flavors.
    pub fn check_trace(
        &self,
        spec: &crate::demand::trace::TraceSpec,
        flavors: Option<&[&str]>,
    ) -> TraceCheck {
        let key = TraceKey {
            file: spec.file.clone(),
            format: spec.format,
            map: spec.flavors.clone(),
            flavors: flavors.map(|f| f.iter().map(|s| s.to_string()).collect()),
        };
        if let Some((_, done)) = self.traces.borrow().iter().find(|(k, _)| *k == key) {
            return done.clone();
        }
        let done = crate::demand::trace::check(spec, flavors);
        self.traces.borrow_mut().push((key, done.clone()));
        done
    }
}

/// The field its problems are reported at: `ecs.initial_fleet`.
fn field_of(kind: Kind) -> String {
    format!("{}.initial_fleet", kind.name())
}

/// Reads fleet text (either form) for `kind`; `name` names the file in
/// messages and is the fleet's `path`. See [`load`].
pub fn read_str(
    text: &str,
    name: &str,
    kind: Kind,
    capacity: Option<&CapacitySpec>,
    unmodelled: Unmodelled,
) -> Result<InitialFleet, Vec<Problem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let ctx = Ctx::new(kind, capacity, unmodelled);
    let mut out = FileProblems::new(name, kind);
    // The servers array is taken out of the document, so that each server
    // object moves into its `original` rather than being copied.
    let (detail, whole) = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(mut o)) => match o.remove("servers") {
            Some(Value::Array(list)) => (Some(list), Ok(Value::Null)),
            _ => (None, Ok(Value::Object(o))),
        },
        other => (None, other),
    };
    let fleet = match detail {
        Some(list) => read_detail(list, &ctx, &mut out),
        None if !is_json_lines(text) => {
            let why = match &whole {
                _ if text.trim().is_empty() => {
                    "is empty; give a servers/detail response {\"servers\": [...]} or JSON Lines, one {\"at\", \"kind\", \"server\"} object per line".to_string()
                }
                Err(e) => format!(
                    "is not valid JSON ({e}); give a servers/detail response {{\"servers\": [...]}} or JSON Lines, one {{\"at\", \"kind\", \"server\"}} object per line"
                ),
                Ok(v) => format!(
                    "is {}, not a servers/detail response {{\"servers\": [...]}} nor JSON Lines of {{\"at\", \"kind\", \"server\"}} objects",
                    describe(v)
                ),
            };
            out.push_file(why);
            Gathered::default()
        }
        None => read_lines(text, &ctx, &mut out),
    };
    if fleet.servers.len() > MAX_SERVERS {
        out.push_file(format!(
            "gives {} servers; at most {MAX_SERVERS} can start a simulation",
            fleet.servers.len()
        ));
    }
    out.finish()?;
    Ok(InitialFleet {
        path: name.to_string(),
        servers: fleet.servers,
        unmodelled,
        skipped: fleet.skipped,
    })
}

/// Whether `text`, which is not a servers/detail response, is to be read as
/// JSON Lines: some line is a JSON object on its own, and the first line
/// does not open a document spread over lines (`[`, `{`, `{"servers": [`).
/// Otherwise it is one (broken) JSON document, reported as such.
fn is_json_lines(text: &str) -> bool {
    let Some(first) = text.lines().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    let t = first.trim();
    let opens_document = t.starts_with('[') || t == "{" || t.starts_with("{\"servers\"");
    if opens_document && serde_json::from_str::<Value>(first).is_err() {
        return false;
    }
    text.lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .any(|l| matches!(serde_json::from_str::<Value>(l), Ok(Value::Object(_))))
}

/// The servers a file gives, and those `unmodelled = "skip"` left out.
#[derive(Default)]
struct Gathered {
    servers: Vec<ImportedServer>,
    skipped: Vec<SkippedServer>,
}

impl Gathered {
    /// Takes the record that stands for server `id` (read at `at`): a
    /// server starts the simulation, one that is gone does not, and one in
    /// a state fleetsim does not model is refused or skipped.
    fn take(&mut self, id: String, record: Record, at: &str, ctx: &Ctx, out: &mut FileProblems) {
        match record {
            Record::Server(server) => self.servers.push(*server),
            Record::Gone => {}
            Record::Unmodelled(reason) => match ctx.unmodelled {
                Unmodelled::Refuse => {
                    out.push(at, refusal(ctx, reason));
                }
                Unmodelled::Skip => self.skipped.push(SkippedServer { id, reason }),
            },
        }
    }
}

/// Why a server in a state fleetsim does not model is refused, and how to
/// leave it out instead.
fn refusal(ctx: &Ctx, reason: UnmodelledState) -> String {
    let modelled = match reason.field {
        NovaField::Status => &ctx.statuses,
        NovaField::VmState => &ctx.vm_states,
        NovaField::TaskState => &ctx.task_states,
    };
    let kind = ctx.kind.name();
    format!(
        "{:?} {:?}: fleetsim does not model {} servers in {reason} (its {}: {}); unmodelled = \"skip\" in [{kind}] leaves such servers out",
        reason.field.key(),
        reason.value,
        kind.to_uppercase(),
        reason.field.plural(),
        modelled.join(", ")
    )
}

/// Form 1: `{"servers": [ {server}, ... ]}`; ids must be unique.
fn read_detail(list: Vec<Value>, ctx: &Ctx, out: &mut FileProblems) -> Gathered {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut fleet = Gathered::default();
    for (i, v) in list.into_iter().enumerate() {
        let at = format!("servers[{i}]");
        let Value::Object(obj) = v else {
            out.push(&at, format!("is {}, not a server object", describe(&v)));
            continue;
        };
        if let Some(Value::String(id)) = obj.get("id")
            && let Some(first) = seen.insert(id.clone(), i)
        {
            out.push(
                &at,
                format!(
                    "\"id\" {} repeats servers[{first}]; a servers/detail response lists each server once",
                    show(&Value::String(id.clone()))
                ),
            );
        }
        if let Some((id, record)) = read_server(obj, None, Form::Detail, ctx, &at, out) {
            fleet.take(id, record, &at, ctx, out);
        }
    }
    fleet
}

/// Form 2: one `{"at", "kind", "server"}` object per line (a BMS's
/// lifecycle state beside it, in `"fleetsim": {"lifecycle_state": ...}`);
/// per id the last line wins, in the order ids first appear; lines of the
/// other kind are skipped. Whether a server is in a state fleetsim does not
/// model is its last line's to say.
fn read_lines(text: &str, ctx: &Ctx, out: &mut FileProblems) -> Gathered {
    // Per id: the place and the record of its last good line.
    let mut slots: Vec<(String, String, Record)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("line {}", i + 1);
        let mut obj = match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(o)) => o,
            Ok(v) => {
                out.push(
                    &at,
                    format!(
                        "is {}, not a {{\"at\", \"kind\", \"server\"}} object",
                        describe(&v)
                    ),
                );
                continue;
            }
            Err(e) => {
                let msg = e.to_string().replace(" at line 1 column ", " at column ");
                out.push(&at, format!("is not valid JSON ({msg})"));
                continue;
            }
        };
        match obj.get("kind") {
            None | Some(Value::Null) => {}
            Some(Value::String(k)) if k == ctx.kind.name() => {}
            Some(Value::String(k)) if Kind::ALL.iter().any(|o| o.name() == k) => continue,
            Some(v) => {
                out.push(
                    &at,
                    format!("\"kind\" {} is not a kind; valid kinds: ecs, bms", show(v)),
                );
                continue;
            }
        }
        let server = match obj.remove("server") {
            Some(Value::Object(s)) => s,
            Some(v) => {
                out.push(
                    &at,
                    format!("\"server\" {} is not a server object", show(&v)),
                );
                continue;
            }
            None if obj.contains_key("servers") => {
                out.push(
                    &at,
                    "has \"servers\" but not as an array; a servers/detail response is {\"servers\": [ {server}, ... ]}",
                );
                continue;
            }
            None => {
                out.push(
                    &at,
                    "has no \"server\"; each line is {\"at\": \"2026-01-01T00:00:00.000Z\", \"kind\": \"ecs\", \"server\": {...}}",
                );
                continue;
            }
        };
        let lifecycle = match obj.get("fleetsim") {
            None | Some(Value::Null) => None,
            Some(Value::Object(f)) => field(f, "lifecycle_state"),
            Some(v) => {
                out.push(
                    &at,
                    format!(
                        "\"fleetsim\" {} is not an object such as {{\"lifecycle_state\": \"running\"}}",
                        show(v)
                    ),
                );
                continue;
            }
        };
        if let Some((id, record)) = read_server(server, lifecycle, Form::Lines, ctx, &at, out) {
            match index.get(&id) {
                Some(&slot) => slots[slot] = (id, at, record),
                None => {
                    index.insert(id.clone(), slots.len());
                    slots.push((id, at, record));
                }
            }
        }
    }
    let mut fleet = Gathered::default();
    for (id, at, record) in slots {
        fleet.take(id, record, &at, ctx, out);
    }
    fleet
}

/// Which form a record came in: where a BMS's lifecycle state goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// A servers/detail response: in the server, `fleetsim:lifecycle_state`.
    Detail,
    /// JSON Lines: on the line, `"fleetsim": {"lifecycle_state": ...}`.
    Lines,
}

impl Form {
    /// How a message asks for the lifecycle state.
    fn lifecycle_hint(self) -> &'static str {
        match self {
            Form::Detail => "\"fleetsim:lifecycle_state\"",
            Form::Lines => "the line's \"fleetsim\": {\"lifecycle_state\": ...}",
        }
    }
}

/// What one record says about its server.
enum Record {
    /// It starts the simulation.
    Server(Box<ImportedServer>),
    /// It is gone (DELETED).
    Gone,
    /// It is in a state fleetsim does not model.
    Unmodelled(UnmodelledState),
}

/// What records are checked against.
struct Ctx {
    kind: Kind,
    machine: Machine,
    /// The kind's flavor names when `[capacity]` limits it (each server
    /// must name one), else `None`.
    flavors: Option<Vec<String>>,
    unmodelled: Unmodelled,
    /// The statuses, vm_states and task_states some state of the kind
    /// shows: a Nova value outside them is one fleetsim does not model.
    statuses: Vec<&'static str>,
    vm_states: Vec<&'static str>,
    task_states: Vec<&'static str>,
}

impl Ctx {
    /// The flavor names of `kind` that `capacity` gives, if any.
    fn flavors(kind: Kind, capacity: Option<&CapacitySpec>) -> Option<Vec<String>> {
        capacity
            .map(|c| match kind {
                Kind::Ecs => c.flavors.iter().map(|f| f.name.clone()).collect(),
                Kind::Bms => c.bms_pools.iter().map(|p| p.flavor.clone()).collect(),
            })
            .filter(|names: &Vec<String>| !names.is_empty())
    }

    fn new(kind: Kind, capacity: Option<&CapacitySpec>, unmodelled: Unmodelled) -> Ctx {
        let flavors = Ctx::flavors(kind, capacity);
        let machine = match kind {
            Kind::Ecs => ecs::machine(false),
            Kind::Bms => bms::machine(false),
        };
        let (mut vm_states, mut task_states) = (Vec::new(), Vec::new());
        for s in 0..machine.n_states() {
            let shown = api::api_fields(&machine, StateId(s as u8));
            if let Shown::Fixed(vm) = shown.vm_state
                && !vm_states.contains(&vm)
            {
                vm_states.push(vm);
            }
            if let Some(task) = shown.task_state
                && !task_states.contains(&task)
            {
                task_states.push(task);
            }
        }
        let statuses = machine.statuses().iter().map(|s| s.name()).collect();
        Ctx {
            kind,
            machine,
            flavors,
            unmodelled,
            statuses,
            vm_states,
            task_states,
        }
    }

    /// The first of `fields`' values that is Nova's but that no state of
    /// the kind shows, looking at the status, then the vm_state, then the
    /// task_state.
    fn unmodelled_in(&self, fields: &NovaFields) -> Option<UnmodelledState> {
        let status = fields
            .status
            .filter(|s| !self.statuses.contains(s))
            .map(|v| (NovaField::Status, v));
        let vm = fields
            .vm
            .filter(|v| !self.vm_states.contains(v))
            .map(|v| (NovaField::VmState, v));
        let task = match fields.task {
            TaskField::Task(t) if !self.task_states.contains(&t) => Some((NovaField::TaskState, t)),
            _ => None,
        };
        status
            .or(vm)
            .or(task)
            .map(|(field, value)| UnmodelledState { field, value })
    }
}

/// The problems of one file, in the shared collector: each message names
/// the file and the place in it, and all are reported at the kind's
/// `initial_fleet` field; at most [`MAX_PROBLEMS`] are listed.
struct FileProblems {
    name: String,
    field: String,
    problems: Problems,
}

impl FileProblems {
    fn new(name: &str, kind: Kind) -> FileProblems {
        FileProblems {
            name: name.to_string(),
            field: field_of(kind),
            problems: Problems::listing_at_most(MAX_PROBLEMS, format!("in {name}")),
        }
    }

    /// A problem at `at` (`line 12`, `servers[3]`).
    fn push(&mut self, at: &str, msg: impl Into<String>) -> Reported {
        let msg = format!("{} {at}: {}", self.name, msg.into());
        self.problems.push(&self.field, msg)
    }

    /// A problem of the whole file.
    fn push_file(&mut self, msg: impl Into<String>) -> Reported {
        let msg = format!("{} {}", self.name, msg.into());
        self.problems.push(&self.field, msg)
    }

    fn finish(self) -> Result<(), Vec<Problem>> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(self.problems.into_vec())
        }
    }
}

/// A JSON value as a message shows it: strings quoted, long values cut.
fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// What a JSON value is, for messages.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => format!("the boolean {v}"),
        Value::Number(_) => format!("the number {v}"),
        Value::String(_) => format!("the string {}", show(v)),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// A field that may be absent or null (both: `None`).
fn field<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).filter(|v| !v.is_null())
}

/// An optional string field; a problem (and `Err`) if it is something else.
fn opt_str<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    at: &str,
    out: &mut FileProblems,
) -> Result<Option<&'v str>, Reported> {
    match field(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => {
            out.push(at, format!("{key:?} {} is not a string", show(v)));
            Err(Reported)
        }
    }
}

/// The parts every server has, whatever its kind.
struct Common {
    id: Option<String>,
    name: Option<String>,
    locked: bool,
    flavor: Option<String>,
    created: Option<String>,
    launched_at: Option<String>,
    power_state: Option<u8>,
    ok: bool,
}

/// Reads one server record `obj` (in `form`; `line_lifecycle` is a BMS's
/// lifecycle state from its JSON Lines line): `None` (with problems
/// recorded) for a record that is wrong, else its id and what it says.
fn read_server(
    obj: Map<String, Value>,
    line_lifecycle: Option<&Value>,
    form: Form,
    ctx: &Ctx,
    at: &str,
    out: &mut FileProblems,
) -> Option<(String, Record)> {
    let common = read_common(&obj, at, out);
    let state = match ctx.kind {
        Kind::Ecs => read_ecs_state(&obj, ctx, at, out),
        Kind::Bms => read_bms_state(&obj, line_lifecycle, form, ctx, at, out),
    };
    // A flavor given must be one of the kind's, unless the server is in a
    // state fleetsim does not model (it will not run).
    let mut flavor_ok = true;
    if let (Some(names), Some(f)) = (&ctx.flavors, &common.flavor)
        && !names.contains(f)
        && !matches!(state, Ok(StateRead::Unmodelled(_)))
    {
        out.push(
            at,
            format!(
                "\"flavor.id\" {} is not one of the {} flavors of [capacity]; valid flavors: {}",
                show(&Value::String(f.clone())),
                ctx.kind.name().to_uppercase(),
                names.join(", ")
            ),
        );
        flavor_ok = false;
    }
    let (Ok(state), Some(id), true, true) = (state, common.id.clone(), common.ok, flavor_ok) else {
        return None;
    };
    let st = match state {
        StateRead::Gone => return Some((id, Record::Gone)),
        StateRead::Unmodelled(reason) => return Some((id, Record::Unmodelled(reason))),
        StateRead::State(st) => st,
    };
    if let (Some(names), None) = (&ctx.flavors, &common.flavor) {
        out.push(
            at,
            format!(
                "\"flavor.id\" is missing; [capacity] gives {} flavors, so every server needs one of: {}",
                ctx.kind.name().to_uppercase(),
                names.join(", ")
            ),
        );
        return None;
    }
    let launched = common.launched_at.is_some() || !matches!(st.vm, "building" | "error");
    let m = &ctx.machine;
    // A resized server returns to where it was before the resize: stopped
    // when it was resized powered off (Nova keeps the power state).
    let before_resize = || {
        let vm = if common.power_state == Some(power::SHUTDOWN) {
            VmState::Stopped
        } else {
            VmState::Active
        };
        ecs::state(vm, None)
    };
    let (origin, saved) = if m.is_step(st.state) {
        match m.resume_point(st.state, st.origin) {
            // A resize remembers where it began, to return there.
            Some((op, origin, _)) if m.route(op, origin).is_some_and(|p| p.saves_origin) => {
                (origin, origin)
            }
            Some((Op::RevertResize, origin, _)) => (origin, before_resize()),
            Some((_, origin, _)) => (origin, st.state),
            None => (st.state, st.state),
        }
    } else if Some(st.state) == m.verify_state {
        (st.state, before_resize())
    } else {
        (st.state, st.state)
    };
    let name = common.name.unwrap_or_else(|| id.clone());
    // The object as the file gave it, less fleetsim's own field; removed
    // by shifting, so that the other keys keep their order.
    let mut original = obj;
    original.shift_remove(LIFECYCLE);
    let server = ImportedServer {
        id: id.clone(),
        name,
        state: st.state,
        origin,
        saved,
        locked: common.locked,
        flavor: common.flavor,
        created: common.created,
        launched_at: common.launched_at,
        power_state: common.power_state,
        launched,
        original: Arc::new(original),
    };
    Some((id, Record::Server(Box::new(server))))
}

fn read_common(obj: &Map<String, Value>, at: &str, out: &mut FileProblems) -> Common {
    let mut ok = true;
    let id = match obj.get("id") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(v) => {
            out.push(
                at,
                format!(
                    "\"id\" {} is not a server id; give a non-empty string",
                    show(v)
                ),
            );
            None
        }
        None => {
            out.push(at, "\"id\" is missing; every server needs its id");
            None
        }
    };
    let name = opt_str(obj, "name", at, out)
        .map_err(|_| ok = false)
        .ok()
        .flatten()
        .map(str::to_string);
    let locked = match field(obj, "locked") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            out.push(at, format!("\"locked\" {} is not true or false", show(v)));
            ok = false;
            false
        }
    };
    let flavor = match field(obj, "flavor") {
        None => None,
        // Nova shows the flavor's id; from microversion 2.47 a copy of the
        // flavor without its id, named by `original_name`.
        Some(Value::Object(f)) => {
            let given = match field(f, "id") {
                Some(id) => Some(("flavor.id", id)),
                None => field(f, "original_name").map(|n| ("flavor.original_name", n)),
            };
            match given {
                None => None,
                Some((_, Value::String(s))) => Some(s.clone()),
                Some((key, v)) => {
                    out.push(at, format!("{key:?} {} is not a string", show(v)));
                    ok = false;
                    None
                }
            }
        }
        Some(v) => {
            out.push(
                at,
                format!(
                    "\"flavor\" {} is not an object such as {{\"id\": \"s6.large.2\"}}",
                    show(v)
                ),
            );
            ok = false;
            None
        }
    };
    let created = opt_str(obj, "created", at, out)
        .map_err(|_| ok = false)
        .ok()
        .flatten()
        .map(str::to_string);
    let launched_at = opt_str(obj, LAUNCHED_AT, at, out)
        .map_err(|_| ok = false)
        .ok()
        .flatten()
        .map(str::to_string);
    let power_state = match field(obj, POWER) {
        None => None,
        Some(v) => match v.as_u64().and_then(|n| u8::try_from(n).ok()) {
            Some(p) => Some(p),
            None => {
                out.push(
                    at,
                    format!(
                        "{POWER:?} {} is not a power state; give an integer such as 1 (running) or 4 (shutdown)",
                        show(v)
                    ),
                );
                ok = false;
                None
            }
        },
    };
    Common {
        id,
        name,
        locked,
        flavor,
        created,
        launched_at,
        power_state,
        ok,
    }
}

/// What a record's state fields say.
enum StateRead {
    /// A state of the kind's machine.
    State(Found),
    /// The server is gone.
    Gone,
    /// A state fleetsim does not model.
    Unmodelled(UnmodelledState),
}

/// A record's state in the kind's machine.
struct Found {
    state: StateId,
    /// Where its operation started, when the record says (BMS Deleting).
    origin: Option<StateId>,
    /// The vm_state the record shows (for "never launched").
    vm: &'static str,
}

/// A record's `OS-EXT-STS:task_state`: absent, null (no task), or a task
/// (Nova's spelling).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TaskField {
    Absent,
    Null,
    Task(&'static str),
}

impl TaskField {
    /// Whether a server showing task state `shown` fits the field (an
    /// absent field fits any).
    fn fits(self, shown: Option<&str>) -> bool {
        match self {
            TaskField::Absent => true,
            TaskField::Null => shown.is_none(),
            TaskField::Task(t) => shown == Some(t),
        }
    }

    /// The task, if one is given.
    fn task(self) -> Option<&'static str> {
        match self {
            TaskField::Task(t) => Some(t),
            _ => None,
        }
    }

    /// How a message shows the field.
    fn shown(self) -> String {
        match self {
            TaskField::Absent => "(absent)".into(),
            TaskField::Null => "null".into(),
            TaskField::Task(t) => format!("{t:?}"),
        }
    }
}

/// A record's status, vm_state and task_state, each one of Nova's values
/// ([`nova`]), in Nova's spelling.
struct NovaFields {
    status: Option<&'static str>,
    vm: Option<&'static str>,
    task: TaskField,
}

/// `valid <plural>: <modelled>; Nova's other <plural>, which fleetsim's
/// <KIND> model does not have: <rest>`: what a message lists as valid.
/// The `key` of `obj` as one of Nova's values of `kind` (`lookup` finds it):
/// `None` when absent; a problem naming the valid values when it is not
/// Nova's, or not a string.
fn nova_string(
    obj: &Map<String, Value>,
    key: &str,
    kind: NovaField,
    lookup: fn(&str) -> Option<&'static str>,
    ctx: &Ctx,
    at: &str,
    out: &mut FileProblems,
) -> Result<Option<&'static str>, Reported> {
    let (what, modelled) = match kind {
        NovaField::Status => ("status", &ctx.statuses),
        NovaField::VmState => ("vm_state", &ctx.vm_states),
        NovaField::TaskState => ("task_state", &ctx.task_states),
    };
    match field(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => match lookup(s) {
            Some(v) => Ok(Some(v)),
            None => Err(out.push(
                at,
                format!(
                    "{key:?} {} is not a Nova {what}; {}",
                    show(&Value::String(s.clone())),
                    nova_values(ctx, kind, modelled, "")
                ),
            )),
        },
        Some(v) => Err(out.push(at, format!("{key:?} {} is not a string", show(v)))),
    }
}

fn nova_values(ctx: &Ctx, field: NovaField, modelled: &[&str], extra: &str) -> String {
    let all = match field {
        NovaField::Status => nova::STATUSES,
        NovaField::VmState => nova::VM_STATES,
        NovaField::TaskState => nova::TASK_STATES,
    };
    let others: Vec<&str> = all
        .iter()
        .copied()
        .filter(|v| !modelled.contains(v))
        .collect();
    format!(
        "valid {}: {}{extra}; Nova's other {}, which fleetsim does not model for {}: {}",
        field.plural(),
        modelled.join(", "),
        field.plural(),
        ctx.kind.name().to_uppercase(),
        others.join(", ")
    )
}

/// The record's Nova state fields, each checked to be a string of Nova's
/// values (a typo is a problem whatever `unmodelled` says). Without a
/// status fleetsim does not model (which says enough), `need_pair` reports
/// a missing vm_state or task_state, saying `why`. `Err` after a problem.
fn read_nova_fields(
    obj: &Map<String, Value>,
    ctx: &Ctx,
    at: &str,
    out: &mut FileProblems,
    need_pair: bool,
    why: &str,
) -> Result<NovaFields, Reported> {
    let status = nova_string(obj, "status", NovaField::Status, nova::status, ctx, at, out);
    let vm = nova_string(obj, VM, NovaField::VmState, nova::vm_state, ctx, at, out);
    let task = match obj.get(TASK) {
        None => Ok(TaskField::Absent),
        Some(Value::Null) => Ok(TaskField::Null),
        Some(Value::String(s)) => match nova::task_state(s) {
            Some(t) => Ok(TaskField::Task(t)),
            None => {
                // With an ECS vm_state, the tasks that go with it.
                let ecs_vm = match (ctx.kind, &vm) {
                    (Kind::Ecs, Ok(Some(v))) => VmState::from_name(v),
                    _ => None,
                };
                let valid = match ecs_vm {
                    Some(vm) => format!(
                        "valid task_states with {}: {}; Nova's others fleetsim does not model: {}",
                        vm.name(),
                        tasks_of(vm),
                        nova::TASK_STATES
                            .iter()
                            .copied()
                            .filter(|t| !ctx.task_states.contains(t))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None => nova_values(ctx, NovaField::TaskState, &ctx.task_states, ", null"),
                };
                Err(out.push(
                    at,
                    format!(
                        "{TASK:?} {} is not a Nova task_state; {valid}",
                        show(&Value::String(s.clone()))
                    ),
                ))
            }
        },
        Some(v) => Err(out.push(at, format!("{TASK:?} {} is not a string or null", show(v)))),
    };
    let says_unmodelled = matches!(status, Ok(Some(s)) if !ctx.statuses.contains(&s));
    let mut missing = false;
    if need_pair && !says_unmodelled {
        if matches!(vm, Ok(None)) {
            missing = true;
            out.push(at, format!("{VM:?} is missing; {why}"));
        }
        if matches!(task, Ok(TaskField::Absent)) {
            missing = true;
            out.push(
                at,
                format!("{TASK:?} is missing; {why} (null when no task runs)"),
            );
        }
    }
    let fields = NovaFields {
        status: status?,
        vm: vm?,
        task: task?,
    };
    if missing { Err(Reported) } else { Ok(fields) }
}

/// A record in a state fleetsim does not model is still checked as Nova
/// would show it: its status must be the one Nova's map gives its
/// vm_state and task_state, where all are given.
fn check_nova_status(
    fields: &NovaFields,
    at: &str,
    out: &mut FileProblems,
) -> Result<(), Reported> {
    let (Some(status), Some(vm)) = (fields.status, fields.vm) else {
        return Ok(());
    };
    let shows = nova::status_of(vm, fields.task.task());
    if shows == status {
        return Ok(());
    }
    Err(out.push(
        at,
        format!(
            "\"status\" {status:?} does not match vm_state {vm:?} with task_state {}, which Nova shows as {shows}",
            fields.task.shown()
        ),
    ))
}

/// The task_states that go with `vm`, as a list for messages.
fn tasks_of(vm: VmState) -> String {
    let tasks: Vec<&str> = ecs::STATUS_MAP
        .iter()
        .filter(|(v, _, _)| *v == vm)
        .flat_map(|(_, tasks, _)| tasks.iter().map(|t| t.map_or("null", |t| t.name())))
        .collect();
    tasks.join(", ")
}

fn task_shown(t: Option<TaskState>) -> String {
    t.map_or("null".into(), |t| format!("{:?}", t.name()))
}

/// An ECS record's state: the (vm_state, task_state) pair, which must be in
/// docs/model.md §1's table and agree with `status` if given; or a state
/// fleetsim does not model.
fn read_ecs_state(
    obj: &Map<String, Value>,
    ctx: &Ctx,
    at: &str,
    out: &mut FileProblems,
) -> Result<StateRead, Reported> {
    let why = "an ECS needs vm_state and task_state";
    let fields = read_nova_fields(obj, ctx, at, out, true, why)?;
    if let Some(reason) = ctx.unmodelled_in(&fields) {
        check_nova_status(&fields, at, out)?;
        return Ok(StateRead::Unmodelled(reason));
    }
    // Every value is one the ECS model has, so fleetsim's own types read
    // it; both fields of the pair are given (they are required).
    let (Some(vm), Some(task)) = (
        fields.vm.and_then(VmState::from_name),
        match fields.task {
            TaskField::Absent => None,
            TaskField::Null => Some(None),
            TaskField::Task(t) => TaskState::from_name(t).map(Some),
        },
    ) else {
        return Err(out.push(
            at,
            format!(
                "vm_state {:?} with task_state {} is no ECS state",
                fields.vm.unwrap_or("(absent)"),
                fields.task.shown()
            ),
        ));
    };
    let Some(shown) = ecs::status_of(vm, task) else {
        return Err(out.push(
            at,
            format!(
                "{TASK:?} {} does not go with vm_state {:?}; valid task_states with {}: {}",
                task_shown(task),
                vm.name(),
                vm.name(),
                tasks_of(vm)
            ),
        ));
    };
    if let Some(st) = fields.status.and_then(Status::from_name)
        && st != shown
    {
        return Err(out.push(
            at,
            format!(
                "\"status\" {:?} does not match vm_state {:?} with task_state {}, which shows {}",
                st.name(),
                vm.name(),
                task_shown(task),
                shown.name()
            ),
        ));
    }
    if vm == VmState::Deleted {
        return Ok(StateRead::Gone);
    }
    Ok(StateRead::State(Found {
        state: ecs::state(vm, task),
        origin: None,
        vm: vm.name(),
    }))
}

/// The vm_state a BMS state shows, if fixed.
fn bms_vm(s: BmsState) -> Option<&'static str> {
    match BMS_FIELDS[s as usize].1.vm_state {
        Shown::Fixed(v) => Some(v),
        Shown::Previous => None,
    }
}

fn bms_task(s: BmsState) -> Option<&'static str> {
    BMS_FIELDS[s as usize].1.task_state
}

/// The states a BMS may be deleted from, whose status Deleting shows.
fn delete_origins(m: &Machine) -> Vec<BmsState> {
    BmsState::ALL
        .iter()
        .copied()
        .filter(|s| m.route(Op::Delete, s.id()).is_some())
        .collect()
}

/// A BMS record's lifecycle state, as its line (`line`, JSON Lines) or its
/// server object (`fleetsim:lifecycle_state`) gives it, with the field
/// that gave it; both may, if they agree. `Ok(None)`: neither does.
fn read_lifecycle(
    obj: &Map<String, Value>,
    line: Option<&Value>,
    at: &str,
    out: &mut FileProblems,
) -> Result<Option<(BmsState, &'static str)>, Reported> {
    let given = match (line, field(obj, LIFECYCLE)) {
        (Some(l), Some(s)) if l != s => {
            return Err(out.push(
                at,
                format!(
                    "{LINE_LIFECYCLE:?} {} and the server's {LIFECYCLE:?} {} differ; give the state once, as the line's \"fleetsim\": {{\"lifecycle_state\": ...}}",
                    show(l),
                    show(s)
                ),
            ));
        }
        (Some(l), _) => (l, LINE_LIFECYCLE),
        (None, Some(s)) => (s, LIFECYCLE),
        (None, None) => return Ok(None),
    };
    match given {
        (Value::String(s), key) => match BmsState::from_name(s) {
            Some(b) => Ok(Some((b, key))),
            None => {
                let valid: Vec<&str> = BmsState::ALL.iter().map(|b| b.name()).collect();
                Err(out.push(
                    at,
                    format!(
                        "{key:?} {} is not a BMS state; valid states: {}",
                        show(&Value::String(s.clone())),
                        valid.join(", ")
                    ),
                ))
            }
        },
        (v, key) => Err(out.push(at, format!("{key:?} {} is not a string", show(v)))),
    }
}

/// A BMS record's state: the lifecycle state if given (on its line, or
/// `fleetsim:lifecycle_state` in the object; checked against the other
/// fields), otherwise derived from (vm_state, task_state) through
/// [`BMS_FIELDS`] and `status`; or a state fleetsim does not model.
fn read_bms_state(
    obj: &Map<String, Value>,
    line: Option<&Value>,
    form: Form,
    ctx: &Ctx,
    at: &str,
    out: &mut FileProblems,
) -> Result<StateRead, Reported> {
    let m = &ctx.machine;
    let hint = form.lifecycle_hint();
    let lifecycle = read_lifecycle(obj, line, at, out);
    let why = format!("give vm_state and task_state, or {hint}");
    let fields = read_nova_fields(obj, ctx, at, out, matches!(lifecycle, Ok(None)), &why);
    let (lifecycle, fields) = (lifecycle?, fields?);
    if let Some(reason) = ctx.unmodelled_in(&fields) {
        if let Some((s, key)) = lifecycle {
            // fleetsim's own state says the server is one it models.
            return Err(out.push(
                at,
                format!(
                    "{key:?} {:?} does not go with {} {:?}, which no BMS state shows",
                    s.name(),
                    reason.field.name(),
                    reason.value
                ),
            ));
        }
        check_nova_status(&fields, at, out)?;
        return Ok(StateRead::Unmodelled(reason));
    }
    let (vm_name, task) = (fields.vm, fields.task);
    let status = fields.status.and_then(Status::from_name);
    let origins = delete_origins(m);
    let status_fits = |s: BmsState| match m.status[s as usize] {
        Some(shown) => status.is_none_or(|st| st == shown),
        None => status.is_none_or(|st| origins.iter().any(|&o| m.status[o as usize] == Some(st))),
    };
    let fields_fit = |s: BmsState| {
        task.fits(bms_task(s)) && vm_name.is_none_or(|v| bms_vm(s).is_none_or(|f| f == v))
    };
    let pair_shown = || {
        let task = task.shown();
        let vm = vm_name.map_or("(absent)".into(), |v| format!("{v:?}"));
        let status = status.map_or(String::new(), |s| format!(" and status {:?}", s.name()));
        format!("vm_state {vm} with task_state {task}{status}")
    };
    let state = match lifecycle {
        Some((s, key)) => {
            if !fields_fit(s) || !status_fits(s) {
                let f = BMS_FIELDS[s as usize].1;
                let shows = match (bms_vm(s), m.status[s as usize]) {
                    (Some(v), Some(st)) => format!(
                        "vm_state {v:?}, task_state {}, status {}",
                        f.task_state.map_or("null".into(), |t| format!("{t:?}")),
                        st.name()
                    ),
                    _ => format!(
                        "task_state {}, and the vm_state and status of the state it was deleted from",
                        f.task_state.map_or("null".into(), |t| format!("{t:?}"))
                    ),
                };
                return Err(out.push(
                    at,
                    format!(
                        "{key:?} {:?} does not match {}; a BMS in {} shows {shows}",
                        s.name(),
                        pair_shown(),
                        s.name()
                    ),
                ));
            }
            s
        }
        None => {
            let candidates: Vec<BmsState> = BmsState::ALL
                .iter()
                .copied()
                .filter(|&s| fields_fit(s) && status_fits(s))
                .collect();
            match candidates[..] {
                [s] => s,
                [] => {
                    let pairs: Vec<String> = BMS_FIELDS
                        .iter()
                        .map(|(s, f)| {
                            let vm = match f.vm_state {
                                Shown::Fixed(v) => v,
                                Shown::Previous => "(its origin's)",
                            };
                            format!("{} = {vm}/{}", s.name(), f.task_state.unwrap_or("null"))
                        })
                        .collect();
                    return Err(out.push(
                        at,
                        format!(
                            "{} is no BMS state; the states show (vm_state/task_state): {}",
                            pair_shown(),
                            pairs.join(", ")
                        ),
                    ));
                }
                _ => {
                    let names: Vec<&str> = candidates.iter().map(|s| s.name()).collect();
                    return Err(out.push(
                        at,
                        format!(
                            "{} fits the BMS states {}; give {hint} to say which",
                            pair_shown(),
                            names.join(", ")
                        ),
                    ));
                }
            }
        }
    };
    if state == BmsState::Deleted {
        return Ok(StateRead::Gone);
    }
    let mut origin = None;
    let mut vm_shown = bms_vm(state);
    if state == BmsState::Deleting {
        // Deleting shows the status (and vm_state) of where the delete
        // began: the state of that status a delete is allowed from.
        let by_status = |st: Status| {
            origins
                .iter()
                .copied()
                .find(|&o| m.status[o as usize] == Some(st))
        };
        let from = match (status, vm_name) {
            (Some(st), _) => by_status(st),
            (None, Some("stopped")) => Some(BmsState::Stopped),
            (None, Some("error")) => Some(BmsState::Faulty),
            (None, _) => Some(BmsState::Running),
        };
        let Some(from) = from else {
            // Unreachable: status_fits already refused (and reported) any
            // other status.
            return Err(Reported);
        };
        if let Some(v) = vm_name
            && bms_vm(from) != Some(v)
        {
            return Err(out.push(
                at,
                format!(
                    "{VM:?} {v:?} does not match status {}: a BMS deleted from {} shows vm_state {:?}",
                    m.status[from as usize].map_or("?", |s| s.name()),
                    from.name(),
                    bms_vm(from).unwrap_or("?")
                ),
            ));
        }
        origin = Some(from.id());
        vm_shown = bms_vm(from);
    }
    Ok(StateRead::State(Found {
        state: state.id(),
        origin,
        vm: vm_name.or(vm_shown).unwrap_or(""),
    }))
}

#[cfg(test)]
mod tests;
