//! `initial_fleet`: reads a real fleet — a Nova `servers/detail` response, or
//! the JSON Lines `fleetsim fixtures` writes — into the servers a simulation
//! starts with, checking every record against the kind's model (docs/model.md
//! §1–3, read backwards through [`crate::model::api`]) and reporting every
//! problem with the file, the line or array index, the field and its value.

use crate::capacity::spec::CapacitySpec;
use crate::input::problems::{Problem, Problems, Reported};
use crate::model::api::{BMS_FIELDS, Shown, power};
use crate::model::bms::{self, BmsState};
use crate::model::ecs::{self, TaskState, VmState};
use crate::model::{Kind, Machine, Op, StateId, Status};
use serde::Serialize;
use serde::ser::SerializeStruct;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The servers a kind starts with, read from `path`.
#[derive(Clone, Debug)]
pub struct InitialFleet {
    /// The path as the scenario gives it (relative to the scenario's folder).
    pub path: String,
    /// The servers, in the order their ids first appear in the file.
    pub servers: Vec<ImportedServer>,
}

/// The manifest shows the file and how many servers it gave, not the servers.
impl Serialize for InitialFleet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("InitialFleet", 2)?;
        st.serialize_field("path", &self.path)?;
        st.serialize_field("servers", &self.servers.len())?;
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
    /// `flavor.id` (or `flavor.original_name`), if the file gives one.
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
}

/// Most problems reported for one file; the rest are counted.
pub const MAX_PROBLEMS: usize = 20;

/// Most servers a file may give (as `initial`).
pub const MAX_SERVERS: usize = 10_000_000;

const VM: &str = "OS-EXT-STS:vm_state";
const TASK: &str = "OS-EXT-STS:task_state";
const POWER: &str = "OS-EXT-STS:power_state";
const LAUNCHED_AT: &str = "OS-SRV-USG:launched_at";
const LIFECYCLE: &str = "fleetsim:lifecycle_state";

/// Reads the fleet file `path` for `kind`. A relative path is resolved
/// against `dir` (the scenario's folder). With `capacity` limiting the kind,
/// every server must name one of its flavors. On failure, every problem, each
/// naming the file, the place in it and the field (at most
/// [`MAX_PROBLEMS`], then how many more).
pub fn load(
    path: &str,
    dir: &Path,
    kind: Kind,
    capacity: Option<&CapacitySpec>,
) -> Result<InitialFleet, Vec<Problem>> {
    let one = |message: String| {
        let mut out = Problems::new();
        out.push(field_of(kind), message);
        out.into_vec()
    };
    if path.trim().is_empty() {
        return Err(one(
            "\"\" is not a file; give the path of a servers/detail response or of a servers.jsonl, e.g. \"fleet.json\"".into(),
        ));
    }
    let resolved = dir.join(path);
    let text = std::fs::read(&resolved).map_err(|e| {
        let shown = resolved.display().to_string();
        let at = if shown == path {
            String::new()
        } else {
            format!(" (looked for {shown})")
        };
        one(format!("cannot read {path:?}{at}: {e}"))
    })?;
    let text = String::from_utf8(text).map_err(|e| {
        one(format!(
            "{path:?} is not UTF-8 text ({e}); give a JSON file"
        ))
    })?;
    let servers = read_str(&text, path, kind, capacity)?;
    Ok(InitialFleet {
        path: path.to_string(),
        servers,
    })
}

/// The fleet files of one study, each read once: the points of a sweep name
/// the same file, and a study reads it (and checks its servers) once,
/// however many points there are. A file is read again only for another
/// kind or another set of flavors to check against. Trace files
/// (`arrivals = { trace = ... }`) are checked once per study the same way:
/// a sweep, or `fleetsim plan`'s candidates, would otherwise read a
/// 2.7-million-row table again for every point.
#[derive(Default)]
pub struct FleetFiles {
    /// What each (file, kind, flavors) read gave, in the order first read.
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
}

impl FleetFiles {
    /// [`load`], or what it gave the first time it was asked for the same
    /// file, kind and flavors.
    pub fn load(
        &self,
        path: &str,
        dir: &Path,
        kind: Kind,
        capacity: Option<&CapacitySpec>,
    ) -> FleetRead {
        let key = FleetKey {
            path: path.to_string(),
            resolved: dir.join(path),
            kind,
            flavors: Ctx::flavors(kind, capacity),
        };
        if let Some((_, done)) = self.read.borrow().iter().find(|(k, _)| *k == key) {
            return done.clone();
        }
        let done = load(path, dir, kind, capacity).map(Arc::new);
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
/// messages. See [`load`].
pub fn read_str(
    text: &str,
    name: &str,
    kind: Kind,
    capacity: Option<&CapacitySpec>,
) -> Result<Vec<ImportedServer>, Vec<Problem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let ctx = Ctx::new(kind, capacity);
    let mut out = FileProblems::new(name, kind);
    let whole = serde_json::from_str::<Value>(text);
    let detail = match &whole {
        Ok(Value::Object(o)) => match o.get("servers") {
            Some(Value::Array(list)) => Some(list),
            _ => None,
        },
        _ => None,
    };
    let servers = match detail {
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
            Vec::new()
        }
        None => read_lines(text, &ctx, &mut out),
    };
    if servers.len() > MAX_SERVERS {
        out.push_file(format!(
            "gives {} servers; at most {MAX_SERVERS} can start a simulation",
            servers.len()
        ));
    }
    out.finish()?;
    Ok(servers)
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

/// Form 1: `{"servers": [ {server}, ... ]}`; ids must be unique.
fn read_detail(list: &[Value], ctx: &Ctx, out: &mut FileProblems) -> Vec<ImportedServer> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut servers = Vec::new();
    for (i, v) in list.iter().enumerate() {
        let at = format!("servers[{i}]");
        let Value::Object(obj) = v else {
            out.push(&at, format!("is {}, not a server object", describe(v)));
            continue;
        };
        if let Some(Value::String(id)) = obj.get("id")
            && let Some(first) = seen.insert(id.as_str(), i)
        {
            out.push(
                &at,
                format!(
                    "\"id\" {} repeats servers[{first}]; a servers/detail response lists each server once",
                    show(&Value::String(id.clone()))
                ),
            );
        }
        if let Some((_, server)) = read_server(obj, ctx, &at, out) {
            servers.extend(server);
        }
    }
    servers
}

/// Form 2: one `{"at", "kind", "server"}` object per line; per id the last
/// line wins, in the order ids first appear; lines of the other kind are
/// skipped.
fn read_lines(text: &str, ctx: &Ctx, out: &mut FileProblems) -> Vec<ImportedServer> {
    let mut slots: Vec<Option<ImportedServer>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("line {}", i + 1);
        let obj = match serde_json::from_str::<Value>(line) {
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
        let server = match obj.get("server") {
            Some(Value::Object(s)) => s,
            Some(v) => {
                out.push(
                    &at,
                    format!("\"server\" {} is not a server object", show(v)),
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
        if let Some((id, server)) = read_server(server, ctx, &at, out) {
            let slot = *index.entry(id).or_insert_with(|| {
                slots.push(None);
                slots.len() - 1
            });
            slots[slot] = server;
        }
    }
    slots.into_iter().flatten().collect()
}

/// What records are checked against.
struct Ctx {
    kind: Kind,
    machine: Machine,
    /// The kind's flavor names when `[capacity]` limits it (each server
    /// must name one), else `None`.
    flavors: Option<Vec<String>>,
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

    fn new(kind: Kind, capacity: Option<&CapacitySpec>) -> Ctx {
        let flavors = Ctx::flavors(kind, capacity);
        let machine = match kind {
            Kind::Ecs => ecs::machine(false),
            Kind::Bms => bms::machine(false),
        };
        Ctx {
            kind,
            machine,
            flavors,
        }
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

/// Reads one server record: `Some((id, None))` for a server that is gone
/// (DELETED), `Some((id, Some(server)))` for one that starts the
/// simulation, `None` (with problems recorded) for a record that is wrong.
fn read_server(
    obj: &Map<String, Value>,
    ctx: &Ctx,
    at: &str,
    out: &mut FileProblems,
) -> Option<(String, Option<ImportedServer>)> {
    let common = read_common(obj, ctx, at, out);
    let state = match ctx.kind {
        Kind::Ecs => read_ecs_state(obj, at, out),
        Kind::Bms => read_bms_state(obj, ctx, at, out),
    };
    let (Ok(state), Some(id), true) = (state, common.id.clone(), common.ok) else {
        return None;
    };
    let Some(st) = state else {
        return Some((id, None));
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
    };
    Some((id, Some(server)))
}

fn read_common(obj: &Map<String, Value>, ctx: &Ctx, at: &str, out: &mut FileProblems) -> Common {
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
        // Nova shows the flavor's id; from microversion 2.47 its
        // `original_name` instead.
        Some(Value::Object(f)) => match field(f, "id").or_else(|| field(f, "original_name")) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => {
                out.push(at, format!("\"flavor.id\" {} is not a string", show(v)));
                ok = false;
                None
            }
        },
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
    // Whether a server needs a flavor at all is known with its state (one
    // that is gone needs none); a flavor given must be one of the kind's.
    if let (Some(names), Some(f)) = (&ctx.flavors, &flavor)
        && !names.contains(f)
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
        ok = false;
    }
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

/// A record's state: `None` when the server is gone.
struct Found {
    state: StateId,
    /// Where its operation started, when the record says (BMS Deleting).
    origin: Option<StateId>,
    /// The vm_state the record shows (for "never launched").
    vm: &'static str,
}

/// A record's `OS-EXT-STS:task_state`: absent, null (no task), or a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TaskField {
    Absent,
    Null,
    Task(TaskState),
}

impl TaskField {
    /// Whether a server showing task state `shown` fits the field (an
    /// absent field fits any).
    fn fits(self, shown: Option<&str>) -> bool {
        match self {
            TaskField::Absent => true,
            TaskField::Null => shown.is_none(),
            TaskField::Task(t) => shown == Some(t.name()),
        }
    }

    /// How a message shows the field.
    fn shown(self) -> String {
        match self {
            TaskField::Absent => "(absent)".into(),
            TaskField::Null => task_shown(None),
            TaskField::Task(t) => task_shown(Some(t)),
        }
    }
}

/// The pair's vm_state and task_state fields, checked against Nova's names;
/// `required` reports them missing. `Err` after a problem.
fn read_pair(
    obj: &Map<String, Value>,
    at: &str,
    out: &mut FileProblems,
    required: bool,
    why: &str,
) -> Result<(Option<VmState>, TaskField), Reported> {
    let mut ok = true;
    let vm = match obj.get(VM) {
        None | Some(Value::Null) if required => {
            out.push(at, format!("{VM:?} is missing; {why}"));
            ok = false;
            None
        }
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match VmState::from_name(s) {
            Some(v) => Some(v),
            None => {
                let valid: Vec<&str> = VmState::ALL.iter().map(|v| v.name()).collect();
                out.push(
                    at,
                    format!(
                        "{VM:?} {} is not a vm_state fleetsim knows; valid vm_states: {}",
                        show(&Value::String(s.clone())),
                        valid.join(", ")
                    ),
                );
                ok = false;
                None
            }
        },
        Some(v) => {
            out.push(at, format!("{VM:?} {} is not a string", show(v)));
            ok = false;
            None
        }
    };
    let task = match obj.get(TASK) {
        None if required => {
            out.push(
                at,
                format!("{TASK:?} is missing; {why} (null when no task runs)"),
            );
            ok = false;
            TaskField::Absent
        }
        None => TaskField::Absent,
        Some(Value::Null) => TaskField::Null,
        Some(Value::String(s)) => match TaskState::from_name(s) {
            Some(t) => TaskField::Task(t),
            None => {
                let valid = match vm {
                    Some(vm) => format!("valid task_states with {}: {}", vm.name(), tasks_of(vm)),
                    None => {
                        let all: Vec<&str> = TaskState::ALL.iter().map(|t| t.name()).collect();
                        format!("valid task_states: {}, null", all.join(", "))
                    }
                };
                out.push(
                    at,
                    format!(
                        "{TASK:?} {} is not a task_state; {valid}",
                        show(&Value::String(s.clone()))
                    ),
                );
                ok = false;
                TaskField::Absent
            }
        },
        Some(v) => {
            out.push(at, format!("{TASK:?} {} is not a string or null", show(v)));
            ok = false;
            TaskField::Absent
        }
    };
    if ok { Ok((vm, task)) } else { Err(Reported) }
}

/// The `status` field, if given: `Err` after a problem.
fn read_status(
    obj: &Map<String, Value>,
    at: &str,
    out: &mut FileProblems,
) -> Result<Option<Status>, Reported> {
    match field(obj, "status") {
        None => Ok(None),
        Some(Value::String(s)) => match Status::from_name(s) {
            Some(st) => Ok(Some(st)),
            None => {
                let valid: Vec<&str> = Status::ALL.iter().map(|s| s.name()).collect();
                out.push(
                    at,
                    format!(
                        "\"status\" {} is not a status fleetsim knows; valid statuses: {}",
                        show(&Value::String(s.clone())),
                        valid.join(", ")
                    ),
                );
                Err(Reported)
            }
        },
        Some(v) => {
            out.push(at, format!("\"status\" {} is not a string", show(v)));
            Err(Reported)
        }
    }
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
/// docs/model.md §1's table and agree with `status` if given.
/// `Ok(None)` for a server that is gone (DELETED).
fn read_ecs_state(
    obj: &Map<String, Value>,
    at: &str,
    out: &mut FileProblems,
) -> Result<Option<Found>, Reported> {
    let why = "an ECS needs vm_state and task_state";
    let pair = read_pair(obj, at, out, true, why);
    let status = read_status(obj, at, out);
    // Both are required: missing, they were reported.
    let (Some(vm), task) = pair? else {
        return Err(Reported);
    };
    let task = match task {
        TaskField::Absent => return Err(Reported),
        TaskField::Null => None,
        TaskField::Task(t) => Some(t),
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
    if let Some(st) = status?
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
        return Ok(None);
    }
    Ok(Some(Found {
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

/// A BMS record's state: `fleetsim:lifecycle_state` if given (checked
/// against the other fields), otherwise derived from (vm_state,
/// task_state) through [`BMS_FIELDS`] and `status`.
fn read_bms_state(
    obj: &Map<String, Value>,
    ctx: &Ctx,
    at: &str,
    out: &mut FileProblems,
) -> Result<Option<Found>, Reported> {
    let m = &ctx.machine;
    let lifecycle = match field(obj, LIFECYCLE) {
        None => Ok(None),
        Some(Value::String(s)) => match BmsState::from_name(s) {
            Some(b) => Ok(Some(b)),
            None => {
                let valid: Vec<&str> = BmsState::ALL.iter().map(|b| b.name()).collect();
                out.push(
                    at,
                    format!(
                        "{LIFECYCLE:?} {} is not a BMS state; valid states: {}",
                        show(&Value::String(s.clone())),
                        valid.join(", ")
                    ),
                );
                Err(Reported)
            }
        },
        Some(v) => {
            out.push(at, format!("{LIFECYCLE:?} {} is not a string", show(v)));
            Err(Reported)
        }
    };
    let given = matches!(lifecycle, Ok(Some(_)));
    let why = format!("give vm_state and task_state, or {LIFECYCLE:?}");
    let pair = read_pair(obj, at, out, !given && lifecycle.is_ok(), &why);
    let status = read_status(obj, at, out);
    let (lifecycle, (vm, task), status) = (lifecycle?, pair?, status?);
    let vm_name = vm.map(|v| v.name());
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
        Some(s) => {
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
                        "{LIFECYCLE:?} {:?} does not match {}; a BMS in {} shows {shows}",
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
                            "{} fits the BMS states {}; give {LIFECYCLE:?} to say which",
                            pair_shown(),
                            names.join(", ")
                        ),
                    ));
                }
            }
        }
    };
    if state == BmsState::Deleted {
        return Ok(None);
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
    Ok(Some(Found {
        state: state.id(),
        origin,
        vm: vm_name.or(vm_shown).unwrap_or(""),
    }))
}

#[cfg(test)]
mod tests;
