//! Nova's instance actions (`GET /servers/{id}/os-instance-actions`, with
//! each action's events as `.../os-instance-actions/{request_id}` gives
//! them), counted into the tally: operations started, failed and left
//! hanging, one-step operations' durations, creates and lifetimes. They
//! carry no vm_state, so nothing that needs the server's state (time in a
//! status, operation mix, faults, repairs) comes from them.

use super::json::{TIMESTAMP_FORMS, parse_timestamp};
use super::tally::Tally;
use crate::model::{Op, Outcome, ecs};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Nova's action names (nova/compute/instance_actions.py) of modelled
/// operations. A hard reboot is recorded as `reboot` too.
fn action_op(name: &str) -> Option<Op> {
    Some(match name {
        "create" => Op::Create,
        "delete" => Op::Delete,
        "stop" => Op::Stop,
        "start" => Op::Start,
        "reboot" => Op::Reboot,
        "rebuild" => Op::Rebuild,
        "resize" => Op::Resize,
        "confirmResize" => Op::ConfirmResize,
        "revertResize" => Op::RevertResize,
        "live-migration" => Op::LiveMigrate,
        "lock" => Op::Lock,
        "unlock" => Op::Unlock,
        "resetState" => Op::ResetState,
        _ => return None,
    })
}

/// How an action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Finished,
    Failed,
    /// Never finished, and the server went on to another action.
    Hung,
    /// Never finished: still under way when the log was taken.
    Open,
}

struct Action {
    name: String,
    op: Option<Op>,
    start_us: i64,
    end_us: Option<i64>,
    failed: bool,
}

#[derive(Default)]
struct Life {
    seen: bool,
    created_us: Option<i64>,
    deleted: bool,
}

/// Instance actions being read, one file.
#[derive(Default)]
pub struct Actions {
    servers: BTreeMap<String, Life>,
    origin_us: Option<i64>,
    last_us: Option<i64>,
    /// Action names not modelled, with their counts.
    pub unknown: BTreeMap<String, u64>,
}

fn time_field(obj: &Map<String, Value>, field: &str, path: &str) -> Result<Option<i64>, String> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_timestamp(s)
            .map(Some)
            .ok_or_else(|| format!("{path}.{field}: {s:?} is not a time; give {TIMESTAMP_FORMS}")),
        Some(other) => Err(format!(
            "{path}.{field}: {other} is not a string; give {TIMESTAMP_FORMS} or null"
        )),
    }
}

fn text_field<'a>(
    obj: &'a Map<String, Value>,
    field: &str,
    path: &str,
) -> Result<Option<&'a str>, String> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("{path}.{field}: {other} is not a string or null")),
    }
}

/// One action, checked.
fn action(v: &Value, path: &str) -> Result<(Action, Option<String>), String> {
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{path}: {v} is not an object; an instance action is {{\"action\", \"start_time\", \"events\", ...}}"))?;
    let name = text_field(obj, "action", path)?
        .ok_or_else(|| format!("{path}.action is missing; every instance action names its action (create, stop, reboot, ...)"))?
        .to_string();
    let start_us = time_field(obj, "start_time", path)?
        .ok_or_else(|| format!("{path}.start_time is missing; give {TIMESTAMP_FORMS}"))?;
    let mut end_us = time_field(obj, "finish_time", path)?;
    if end_us.is_none() {
        end_us = time_field(obj, "updated_at", path)?;
    }
    let mut failed =
        text_field(obj, "message", path)?.is_some_and(|m| m.eq_ignore_ascii_case("error"));
    let uuid = text_field(obj, "instance_uuid", path)?.map(str::to_string);
    match obj.get("events") {
        None | Some(Value::Null) => {}
        Some(Value::Array(events)) => {
            let mut last = None;
            let mut open = events.is_empty();
            for (j, e) in events.iter().enumerate() {
                let ep = format!("{path}.events[{j}]");
                let eo = e.as_object().ok_or_else(|| {
                    format!("{ep}: {e} is not an object; an action event is {{\"event\", \"start_time\", \"finish_time\", \"result\"}}")
                })?;
                time_field(eo, "start_time", &ep)?;
                let finish = time_field(eo, "finish_time", &ep)?;
                let result = text_field(eo, "result", &ep)?;
                match result {
                    Some(r) if r.eq_ignore_ascii_case("error") => failed = true,
                    Some(r) if r.eq_ignore_ascii_case("success") => {}
                    Some(r) => {
                        return Err(format!(
                            "{ep}.result: {r:?} is not a result; valid: Success, Error, or null while under way"
                        ));
                    }
                    None => {}
                }
                match finish {
                    Some(f) => last = Some(last.map_or(f, |l: i64| l.max(f))),
                    None => open = true,
                }
            }
            if !events.is_empty() {
                end_us = if open { None } else { last.max(end_us) };
            }
        }
        Some(other) => {
            return Err(format!(
                "{path}.events: {other} is not an array of action events"
            ));
        }
    }
    if let Some(e) = end_us
        && e < start_us
    {
        return Err(format!(
            "{path}: it ends {} s before it starts; time goes backwards",
            (start_us - e) as f64 / 1e6
        ));
    }
    Ok((
        Action {
            op: action_op(&name),
            name,
            start_us,
            end_us,
            failed,
        },
        uuid,
    ))
}

impl Actions {
    fn time(&self, us: i64) -> f64 {
        (us - self.origin_us.unwrap_or(us)) as f64 / 1e6
    }

    /// Reads one server's record: `{"server": uuid, "instanceActions":
    /// [...]}` (or `"instanceAction": {...}`). An error says what is
    /// wrong, and nothing has been counted.
    pub fn take(&mut self, record: &Value, tally: &mut Tally) -> Result<(), String> {
        let obj = record.as_object().ok_or_else(|| {
            format!(
                "{record} is not an object; give {{\"server\": uuid, \"instanceActions\": [...]}}"
            )
        })?;
        let server = text_field(obj, "server", "server")?.map(str::to_string);
        let mut actions = vec![];
        match (obj.get("instanceActions"), obj.get("instanceAction")) {
            (Some(Value::Array(list)), _) => {
                for (j, a) in list.iter().enumerate() {
                    actions.push(action(a, &format!("instanceActions[{j}]"))?);
                }
            }
            (Some(other), _) => {
                return Err(format!(
                    "instanceActions: {other} is not an array of instance actions"
                ));
            }
            (None, Some(a)) => actions.push(action(a, "instanceAction")?),
            (None, None) => {
                return Err(
                    "neither \"instanceActions\" nor \"instanceAction\"; give {\"server\": uuid, \"instanceActions\": [...]} as GET /servers/{id}/os-instance-actions answers"
                        .into(),
                );
            }
        }
        let uuid = match server.or_else(|| actions.iter().find_map(|(_, u)| u.clone())) {
            Some(u) if !u.is_empty() => u,
            _ => {
                return Err(
                    "no server: give \"server\" (the uuid), or instance_uuid in the actions".into(),
                );
            }
        };
        // Nova lists the newest first; the server's life runs oldest first.
        let mut actions: Vec<Action> = actions.into_iter().map(|(a, _)| a).collect();
        actions.sort_by_key(|a| a.start_us);
        let n = actions.len();
        let machine = ecs::machine(false);
        let life = self.servers.entry(uuid).or_default();
        let first_seen = !std::mem::replace(&mut life.seen, true);
        let kind = &mut tally.kinds[0];
        for (j, a) in actions.iter().enumerate() {
            self.origin_us.get_or_insert(a.start_us);
            let latest = a.end_us.unwrap_or(a.start_us);
            self.last_us = Some(self.last_us.map_or(latest, |l| l.max(latest)));
            let Some(op) = a.op else {
                super::json::count_unknown(&mut self.unknown, format!("action {}", a.name), 1);
                continue;
            };
            if j == 0 && first_seen && op != Op::Create {
                kind.initial += 1;
            }
            let end = match (a.failed, a.end_us) {
                (true, _) => End::Failed,
                (false, Some(_)) => End::Finished,
                (false, None) if j + 1 < n => End::Hung,
                (false, None) => End::Open,
            };
            let i = op.index();
            kind.started[i] += 1;
            match end {
                End::Failed => {
                    kind.failed[i] += 1;
                    if machine.default_outcome[i] == Outcome::Error {
                        kind.failed_to_error[i] += 1;
                    }
                }
                End::Hung => kind.timed_out[i] += 1,
                End::Finished | End::Open => {}
            }
            // A one-step operation's duration is its step's.
            if let (Some(row), Some(e)) = (ecs::OPS.iter().find(|r| r.op == op), a.end_us)
                && let [step] = row.steps
                && end != End::Hung
            {
                kind.steps
                    .entry(step.name())
                    .or_default()
                    .add((e - a.start_us) as f64 / 1e6, true);
            }
            match op {
                Op::Create => {
                    kind.add_create(a.start_us as f64 / 1e6);
                    life.created_us = Some(a.start_us);
                }
                Op::Delete if !life.deleted => {
                    life.deleted = true;
                    if let Some(c) = life.created_us {
                        kind.lifetime.add((a.start_us - c) as f64 / 1e6, true);
                    }
                }
                _ => {}
            }
            tally.rows += 1;
        }
        let times: Vec<f64> = actions
            .iter()
            .flat_map(|a| [Some(a.start_us), a.end_us])
            .flatten()
            .map(|us| self.time(us))
            .collect();
        for t in times {
            tally.extend(t);
        }
        Ok(())
    }

    /// Ends the file: lifetimes of servers created and not deleted are
    /// censored at its last time.
    pub fn finish(&mut self, tally: &mut Tally) {
        if let Some(origin) = self.origin_us {
            tally.set_origin(origin as f64 / 1e6);
        }
        let Some(end) = self.last_us else { return };
        for life in self.servers.values() {
            if let (Some(c), false) = (life.created_us, life.deleted) {
                tally.kinds[0].lifetime.add((end - c) as f64 / 1e6, false);
            }
        }
    }
}
