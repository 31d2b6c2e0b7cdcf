//! Nova's versioned notifications, one per line (the oslo.messaging
//! envelope, the message, or the bare notification), turned into the rows
//! a trace holds: each server's change of vm_state and task_state with its
//! cause, so that the tally fits them as it fits fleetsim's own trace.
//!
//! How a change gets its cause, in order:
//! 1. an `instance.<action>.error` seen before it: `<op>_failed` (Nova
//!    sends the error, then saves the error state or the rolled-back one);
//! 2. a server's first modelled state: `create` if it appeared through
//!    `instance.create.*` or an `instance.update` from `building`, else
//!    `initial` (present before the log);
//! 3. a task_state that is a step of an operation of the model's table:
//!    that operation (`powering-off`: stop);
//! 4. the end of the operation in progress (from its steps or its
//!    `.start`): that operation, or `<op>_timeout` when an `instance.update`
//!    ends it in `error` with no `.error` (Nova's build timeout does this);
//! 5. with no operation in progress: `fault` into `error`, `reset_state`
//!    out of it, `power_sync` from active to stopped; any other change is
//!    `update`, reported as a cause fleetsim does not know.

use super::json::{TIMESTAMP_FORMS, parse_timestamp};
use super::read::Row;
use crate::model::ecs::{self, TaskState, VmState};
use crate::model::{Kind, Op, nova};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A modelled ECS state.
type Pair = (VmState, Option<TaskState>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Start,
    End,
    Error,
}

/// What a notification reports.
#[derive(Clone, Copy, Debug)]
enum Event {
    Update,
    Exists,
    Flag(Op),
    Action(Op, Phase),
}

/// Nova's notification actions (nova/objects/fields.py
/// `NotificationAction`) that are phases of a modelled operation.
fn action_op(action: &str) -> Option<Op> {
    Some(match action {
        "create" => Op::Create,
        // The compute manager's delete sends shutdown.start/end inside it.
        "delete" | "shutdown" => Op::Delete,
        "power_off" => Op::Stop,
        "power_on" => Op::Start,
        // Soft or hard: told apart by the task_state.
        "reboot" => Op::Reboot,
        "rebuild" => Op::Rebuild,
        "resize_prep" | "resize" | "resize_finish" => Op::Resize,
        "resize_confirm" => Op::ConfirmResize,
        "resize_revert" => Op::RevertResize,
        "live_migration_pre"
        | "live_migration_post"
        | "live_migration_post_dest"
        | "live_migration_rollback"
        | "live_migration_rollback_dest"
        | "live_migration_force_complete"
        | "live_migration_abort" => Op::LiveMigrate,
        _ => return None,
    })
}

fn classify(event_type: &str) -> Option<Event> {
    Some(match event_type {
        "instance.update" => Event::Update,
        "instance.exists" => Event::Exists,
        "instance.lock" => Event::Flag(Op::Lock),
        "instance.unlock" => Event::Flag(Op::Unlock),
        _ => {
            let rest = event_type.strip_prefix("instance.")?;
            let (action, phase) = rest.rsplit_once('.')?;
            let op = action_op(action)?;
            let phase = match phase {
                "start" => Phase::Start,
                "end" => Phase::End,
                "error" => Phase::Error,
                _ => return None,
            };
            // A live migration rolled back has failed.
            if action == "live_migration_rollback" && phase == Phase::Start {
                Event::Action(op, Phase::Error)
            } else {
                Event::Action(op, phase)
            }
        }
    })
}

/// The operation whose steps (the model's table) include `task`,
/// `prefer` if its steps do.
fn step_op(task: TaskState, prefer: Option<Op>) -> Option<Op> {
    let has = |op: Op| {
        ecs::OPS
            .iter()
            .any(|r| r.op == op && r.steps.contains(&task))
    };
    if let Some(op) = prefer.filter(|&op| has(op)) {
        return Some(op);
    }
    ecs::OPS
        .iter()
        .find(|r| r.steps.contains(&task))
        .map(|r| r.op)
}

/// A reboot is hard when its task_state says so.
fn refine(op: Op, task: Option<TaskState>) -> Op {
    match (op, task) {
        (Op::Reboot, Some(t)) if step_op(t, Some(Op::RebootHard)) == Some(Op::RebootHard) => {
            Op::RebootHard
        }
        _ => op,
    }
}

/// The pair, if fleetsim models it.
fn modelled(vm: &str, task: Option<&str>) -> Option<Pair> {
    let v = VmState::from_name(vm)?;
    let t = match task {
        Some(t) => Some(TaskState::from_name(t)?),
        None => None,
    };
    ecs::status_of(v, t)?;
    Some((v, t))
}

fn status_name(p: Pair) -> &'static str {
    ecs::status_of(p.0, p.1).map_or("", |s| s.name())
}

/// A state as a notification gives it, modelled or not.
#[derive(Clone, Copy, Debug)]
struct Shown {
    vm: &'static str,
    task: Option<&'static str>,
}

impl Shown {
    fn pair(self) -> Option<Pair> {
        modelled(self.vm, self.task)
    }
}

/// A server as the notifications have shown it.
#[derive(Debug)]
struct Server {
    id: u64,
    last_us: i64,
    state: Option<Pair>,
    creating: bool,
    op: Option<Op>,
    /// Whether the operation in progress has given a row yet.
    op_rows: bool,
    /// An `.error` not yet matched with a change: the operation and when.
    pending: Option<(Op, f64)>,
    /// Locked, as the last payload (or lock or unlock) said.
    locked: bool,
}

/// Notifications being read, one file.
#[derive(Default)]
pub struct Notifications {
    ids: BTreeMap<String, usize>,
    servers: Vec<Server>,
    origin_us: Option<i64>,
    /// Event types not used, and states fleetsim does not model, with
    /// their counts.
    pub unknown: BTreeMap<String, u64>,
    /// Rows made by the last notification (and by [`Notifications::finish`]).
    pub rows: Vec<Row>,
}

/// A field of `obj` that is a string of `valid` or null (`Ok(None)`), or
/// absent (`Ok(None)`, `false`).
fn nova_value(
    obj: &Map<String, Value>,
    field: &str,
    path: &str,
    valid: &'static [&'static str],
    what: &str,
) -> Result<(bool, Option<&'static str>), String> {
    match obj.get(field) {
        None => Ok((false, None)),
        Some(Value::Null) => Ok((true, None)),
        Some(Value::String(s)) => valid
            .iter()
            .copied()
            .find(|v| v == s)
            .map(|v| (true, Some(v)))
            .ok_or_else(|| {
                format!(
                    "{path}.{field}: {s:?} is not one of Nova's {what}; valid: {}",
                    valid.join(", ")
                )
            }),
        Some(other) => Err(format!(
            "{path}.{field}: {other} is not a string; give one of Nova's {what} or null"
        )),
    }
}

/// The message inside an envelope, or the line itself.
fn message(line: Value) -> Result<Value, String> {
    let Some(inner) = line.get("oslo.message") else {
        return Ok(line);
    };
    let text = inner.as_str().ok_or_else(|| {
        "\"oslo.message\" is not a string; the oslo.messaging envelope holds the message as a JSON string".to_string()
    })?;
    serde_json::from_str(text).map_err(|e| {
        format!("\"oslo.message\" does not hold JSON ({e}); the envelope holds the message as a JSON string")
    })
}

/// What one notification says, checked.
struct Parsed {
    event: Event,
    uuid: String,
    us: i64,
    after: Option<Shown>,
    before: Option<Shown>,
    /// The payload's `locked`, when it has one.
    locked: Option<bool>,
}

const PAYLOAD: &str = "payload.nova_object.data";

/// A line read: a notification used, or an event type that is not.
enum Read {
    Used(Parsed, String),
    Unknown(String),
}

fn parse(line: Value) -> Result<Read, String> {
    let msg = message(line)?;
    let Some(obj) = msg.as_object() else {
        return Err(format!(
            "{msg} is not a JSON object; give a notification ({{\"event_type\", \"payload\", \"timestamp\", ...}}) or its oslo.messaging envelope ({{\"oslo.version\", \"oslo.message\"}})"
        ));
    };
    let event_type = match obj.get("event_type") {
        Some(Value::String(s)) => s.clone(),
        _ => {
            return Err(
                "no \"event_type\" string; a notification has event_type, payload and timestamp, or is the oslo.messaging envelope {\"oslo.version\", \"oslo.message\"}"
                    .into(),
            );
        }
    };
    let Some(event) = classify(&event_type) else {
        return Ok(Read::Unknown(event_type));
    };
    let stamp = obj
        .get("timestamp")
        .or_else(|| obj.get("metadata").and_then(|m| m.get("timestamp")));
    let us = match stamp {
        Some(Value::String(s)) => parse_timestamp(s)
            .ok_or_else(|| format!("timestamp {s:?} is not a time; give {TIMESTAMP_FORMS}"))?,
        Some(other) => {
            return Err(format!(
                "timestamp {other} is not a string; give {TIMESTAMP_FORMS}"
            ));
        }
        None => {
            return Err(format!(
                "no \"timestamp\"; give the message's timestamp (or metadata.timestamp), {TIMESTAMP_FORMS}, as oslo.messaging writes it"
            ));
        }
    };
    let payload = obj.get("payload").ok_or_else(|| {
        "no \"payload\"; a notification has event_type, payload (a nova_object) and timestamp"
            .to_string()
    })?;
    let data = payload
        .get("nova_object.data")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            format!("no {PAYLOAD} object; a versioned notification's payload is a nova_object (Nova's doc/notification_samples show the shape)")
        })?;
    let uuid = match data.get("uuid") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Err(format!(
                "{PAYLOAD}.uuid is missing or not a string; every instance notification names its server by uuid"
            ));
        }
    };
    let (has_state, state) = nova_value(data, "state", PAYLOAD, nova::VM_STATES, "vm_states")?;
    let (has_task, task) = nova_value(
        data,
        "task_state",
        PAYLOAD,
        nova::TASK_STATES,
        "task_states",
    )?;
    let update = match data.get("state_update") {
        None | Some(Value::Null) => None,
        Some(su) => Some(
            su.get("nova_object.data")
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    format!("{PAYLOAD}.state_update has no nova_object.data object; it is an InstanceStateUpdatePayload")
                })?,
        ),
    };
    let su_path = "payload.nova_object.data.state_update.nova_object.data";
    let (new_vm, new_task, old_vm, old_task) = match update {
        Some(u) => (
            nova_value(u, "state", su_path, nova::VM_STATES, "vm_states")?.1,
            nova_value(
                u,
                "new_task_state",
                su_path,
                nova::TASK_STATES,
                "task_states",
            )?
            .1,
            nova_value(u, "old_state", su_path, nova::VM_STATES, "vm_states")?.1,
            nova_value(
                u,
                "old_task_state",
                su_path,
                nova::TASK_STATES,
                "task_states",
            )?
            .1,
        ),
        None => (None, None, None, None),
    };
    // The state after: an instance.update's state_update names the new
    // vm_state (Nova's own sample of instance.update carries the common
    // payload's "active" beside a state_update from building to building);
    // the task_state is the instance's own, since state_update's new
    // task_state is null also when Nova was given none.
    let vm = new_vm.or(if has_state { state } else { None });
    let task = if has_task { task } else { new_task };
    let after = vm.map(|vm| Shown { vm, task });
    let before = old_vm.map(|vm| Shown { vm, task: old_task });
    let locked = match data.get("locked") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => {
            return Err(format!("{PAYLOAD}.locked is {other}; give true or false"));
        }
    };
    if matches!(event, Event::Update) && after.is_none() {
        return Err(format!(
            "instance.update without a state: {PAYLOAD}.state and state_update's state are missing or null; Nova's instance.update carries both"
        ));
    }
    Ok(Read::Used(
        Parsed {
            event,
            uuid,
            us,
            after,
            before,
            locked,
        },
        event_type,
    ))
}

impl Notifications {
    /// The log's time 0 (its first notification used), in seconds since
    /// 1970, UTC.
    pub fn origin_unix_s(&self) -> Option<f64> {
        self.origin_us.map(|us| us as f64 / 1e6)
    }

    fn time(&self, us: i64) -> f64 {
        (us - self.origin_us.unwrap_or(us)) as f64 / 1e6
    }

    fn count(&mut self, what: String) {
        super::json::count_unknown(&mut self.unknown, what, 1);
    }

    /// Reads one line's value. `Ok(Some(t))`: a notification used, at `t`
    /// seconds; `Ok(None)`: an event type not used (counted); an error
    /// says what is wrong, and nothing has changed.
    pub fn take(&mut self, line: Value) -> Result<Option<f64>, String> {
        self.rows.clear();
        let (p, event_type) = match parse(line)? {
            Read::Used(p, event_type) => (p, event_type),
            Read::Unknown(event_type) => {
                self.count(event_type);
                return Ok(None);
            }
        };
        if let Some(&i) = self.ids.get(&p.uuid) {
            let last = self.servers[i].last_us;
            if p.us < last {
                return Err(format!(
                    "time goes backwards for server {}: {} is {} s before its previous event",
                    p.uuid,
                    event_type,
                    (last - p.us) as f64 / 1e6
                ));
            }
        }
        self.origin_us.get_or_insert(p.us);
        let t = self.time(p.us);
        let i = match self.ids.get(&p.uuid) {
            Some(&i) => i,
            None => {
                let i = self.servers.len();
                let creating = matches!(p.event, Event::Action(Op::Create, _))
                    || (matches!(p.event, Event::Update)
                        && p.before.or(p.after).is_some_and(|s| s.vm == "building"));
                self.servers.push(Server {
                    id: i as u64,
                    last_us: p.us,
                    state: None,
                    creating,
                    op: creating.then_some(Op::Create),
                    op_rows: false,
                    pending: None,
                    locked: p.locked.unwrap_or(false),
                });
                self.ids.insert(p.uuid.clone(), i);
                // A server seen first in the middle of its life was there
                // before the log: it starts in the state it was left.
                if !creating && let Some(pre) = p.before.and_then(Shown::pair) {
                    self.change(i, t, pre, None);
                }
                i
            }
        };
        self.servers[i].last_us = p.us;
        match (p.event, p.locked) {
            (_, Some(locked)) => self.servers[i].locked = locked,
            (Event::Flag(op), None) => self.servers[i].locked = op == Op::Lock,
            _ => {}
        }
        match p.event {
            Event::Update => self.show(i, t, p.after, None),
            Event::Exists => {
                if self.servers[i].state.is_none() {
                    self.show(i, t, p.after, None);
                }
            }
            Event::Flag(op) => {
                if let Some(s) = self.servers[i].state {
                    self.push(i, t, op.name().to_string(), Some(s), s);
                }
            }
            Event::Action(op, phase) => {
                let task = p
                    .after
                    .and_then(Shown::pair)
                    .and_then(|s| s.1)
                    .or(self.servers[i].state.and_then(|s| s.1));
                let op = refine(op, task);
                match phase {
                    Phase::Start => {
                        self.flush(i);
                        let s = &mut self.servers[i];
                        if s.op != Some(op) {
                            s.op = Some(op);
                            s.op_rows = false;
                        }
                        self.show(i, t, p.after, Some(op));
                    }
                    Phase::End => {
                        self.flush(i);
                        let before = self.rows.len();
                        self.show(i, t, p.after, Some(op));
                        let s = &self.servers[i];
                        // An operation that ended with no change shown.
                        if self.rows.len() == before
                            && s.op == Some(op)
                            && !s.op_rows
                            && let Some(state) = s.state
                        {
                            self.push(i, t, op.name().to_string(), Some(state), state);
                            self.servers[i].op = None;
                        }
                    }
                    Phase::Error => {
                        self.flush(i);
                        let s = &mut self.servers[i];
                        if s.op != Some(op) {
                            s.op = Some(op);
                            s.op_rows = false;
                        }
                        s.pending = Some((op, t));
                        // The error's payload may already show where the
                        // failure left the server.
                        self.show(i, t, p.after, Some(op));
                    }
                }
            }
        }
        Ok(Some(t))
    }

    /// The server shows `after`: a row if it is a modelled state other
    /// than the one it is in.
    fn show(&mut self, i: usize, t: f64, after: Option<Shown>, hint: Option<Op>) {
        let Some(after) = after else { return };
        let Some(pair) = after.pair() else {
            if after.task == Some("resize_confirming") {
                let s = &mut self.servers[i];
                s.op = Some(Op::ConfirmResize);
                s.op_rows = false;
            }
            self.count(format!(
                "state {}:{} (not modelled)",
                after.vm,
                after.task.unwrap_or("null")
            ));
            return;
        };
        if self.servers[i].state == Some(pair) {
            return;
        }
        self.change(i, t, pair, hint);
    }

    /// A change to `to`, with its cause (see the module's comment).
    fn change(&mut self, i: usize, t: f64, to: Pair, hint: Option<Op>) {
        let s = &mut self.servers[i];
        let from = s.state;
        let cause: String = if let Some((op, _)) = s.pending.take() {
            format!("{}_failed", op.name())
        } else if from.is_none() {
            if s.creating { "create" } else { "initial" }.to_string()
        } else if let Some(op) = to.1.and_then(|task| step_op(task, s.op.or(hint))) {
            if s.op != Some(op) {
                s.op = Some(op);
                s.op_rows = false;
            }
            op.name().to_string()
        } else if let Some(op) = hint.or(s.op) {
            if hint.is_none() && to.0 == VmState::Error {
                format!("{}_timeout", op.name())
            } else {
                op.name().to_string()
            }
        } else {
            let from = from.unwrap_or(to);
            match (from, to) {
                (_, (VmState::Error, _)) => "fault".into(),
                ((VmState::Error, _), (_, None)) => "reset_state".into(),
                ((VmState::Active, None), (VmState::Stopped, None)) => "power_sync".into(),
                _ => "update".into(),
            }
        };
        self.push(i, t, cause, from, to);
    }

    fn push(&mut self, i: usize, t: f64, cause: String, from: Option<Pair>, to: Pair) {
        let s = &mut self.servers[i];
        s.state = Some(to);
        s.op_rows = true;
        if to.1.is_none() {
            s.op = None;
            s.creating = false;
        }
        self.rows.push(Row {
            time_s: t,
            instance: s.id,
            kind: Some(Kind::Ecs),
            cause,
            from_status: from.map_or("", status_name).to_string(),
            to_status: status_name(to).to_string(),
            vm_state: to.0.name().to_string(),
            task_state: to.1.map_or("null", |t| t.name()).to_string(),
            bms_state: String::new(),
            locked: s.locked,
        });
    }

    /// An `.error` no change followed: the failure, with no change, at the
    /// error's time (after the operation's start, if it gave no row).
    fn flush(&mut self, i: usize) {
        let s = &mut self.servers[i];
        let Some((op, t)) = s.pending.take() else {
            return;
        };
        let Some(state) = s.state else { return };
        if !s.op_rows {
            self.push(i, t, op.name().to_string(), Some(state), state);
        }
        self.push(i, t, format!("{}_failed", op.name()), Some(state), state);
        self.servers[i].op = None;
    }

    /// Ends the file: the failures no change followed, server by server.
    pub fn finish(&mut self) {
        self.rows.clear();
        for i in 0..self.servers.len() {
            self.flush(i);
        }
    }
}
