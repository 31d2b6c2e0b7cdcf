//! `fleetsim fit` of Nova's logs: a trace converted to versioned
//! notifications (shaped as Nova's doc/notification_samples, some in the
//! oslo.messaging envelope) fits as the trace does; instance actions built
//! from the trace fit its failure probabilities; unknown events are
//! counted; malformed lines are refused, or skipped with --skip-bad.

use crate::common::{fleetsim, stderr_of, stdout_of};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// ECS only (Nova's notifications are of ECS), with every operation that
/// notifications and instance actions can show, failures of both
/// outcomes, hangs (timeouts), faults and repairs.
const SCENARIO: &str = r#"
name = "nova"
seed = 5
horizon = "4d"
[ecs]
initial = 60
arrivals = "40/d"
lifetime = { dist = "exponential", mean = "3d" }
ops_rate = "6/d"
[ecs.behaviour.ACTIVE]
reboot = 3
reboot_hard = 1
stop = 2
resize = 1
rebuild = 1
live_migrate = 1
delete = 1
lock = 1
unlock = 1
[ecs.behaviour.SHUTOFF]
start = 3
delete = 1
[ecs.behaviour.VERIFY_RESIZE]
confirm_resize = 1
revert_resize = 1
[ecs.failures]
create = { prob = 0.1, outcome = "error" }
reboot = { prob = 0.05, hang_prob = 0.05 }
stop = { prob = 0.1, outcome = "rollback" }
resize = { prob = 0.1 }
delete = { prob = 0.05 }
[ecs.faults]
time_to_fault = { dist = "exponential", mean = "4d" }
repair = { dist = "exponential", mean = "2h" }
"#;

/// A vm_state and task_state, as Nova's strings.
type VmTask<'a> = (&'a str, &'a str);

/// One row of transitions.csv.
struct TraceRow {
    time_s: f64,
    instance: u64,
    cause: String,
    from_status: String,
    to_status: String,
    vm: String,
    task: String,
    locked: bool,
}

fn read_trace(path: &Path) -> Vec<TraceRow> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f[2], "ecs", "an ECS-only trace: {l}");
            TraceRow {
                time_s: f[0].parse().unwrap(),
                instance: f[1].parse().unwrap(),
                cause: f[3].into(),
                from_status: f[4].into(),
                to_status: f[5].into(),
                vm: f[6].into(),
                task: f[7].into(),
                locked: f[9] == "true",
            }
        })
        .collect()
}

fn uuid(instance: u64) -> String {
    format!("{:08x}-4e14-4e4c-a73d-{:012x}", 0x178b_0921u64, instance)
}

/// 2024-03-01T00:00:00Z, in seconds.
const BASE_S: i64 = 1_709_251_200;

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A trace time as Nova writes it: oslo's `2024-03-01 00:00:05.123000`,
/// or ISO 8601 with `T` and `Z`, taking turns.
fn stamp(time_s: f64, iso: bool) -> String {
    let us = (time_s * 1e6).round() as i64 + BASE_S * 1_000_000;
    let (secs, micros) = (us.div_euclid(1_000_000), us.rem_euclid(1_000_000));
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    let (h, mi, se) = (s / 3600, s / 60 % 60, s % 60);
    if iso {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{se:02}.{micros:06}Z")
    } else {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{se:02}.{micros:06}")
    }
}

fn task_value(task: &str) -> Value {
    if task == "null" {
        Value::Null
    } else {
        json!(task)
    }
}

/// Writes notifications as Nova's samples shape them.
struct Notes {
    lines: Vec<String>,
}

impl Notes {
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        event_type: &str,
        time_s: f64,
        instance: u64,
        state: (&str, &str),
        locked: bool,
        update: Option<(VmTask, VmTask)>,
        error: bool,
    ) {
        let mut data = json!({
            "uuid": uuid(instance),
            "display_name": format!("server-{instance}"),
            "host": "compute",
            "node": "fake-mini",
            "state": state.0,
            "task_state": task_value(state.1),
            "power_state": if state.0 == "active" { "running" } else { "shutdown" },
            "locked": locked,
            "locked_reason": null,
            "tenant_id": "6f70656e737461636b20342065766572",
            "flavor": {
                "nova_object.name": "FlavorPayload",
                "nova_object.namespace": "nova",
                "nova_object.version": "1.4",
                "nova_object.data": {"flavorid": "a22d5517-147c-4147-a0d1-e698df5cd4e3", "name": "test_flavor", "memory_mb": 512, "vcpus": 1, "root_gb": 1}
            },
            "updated_at": stamp(time_s, true),
        });
        let name = if let Some((old, new)) = update {
            data["state_update"] = json!({
                "nova_object.name": "InstanceStateUpdatePayload",
                "nova_object.namespace": "nova",
                "nova_object.version": "1.0",
                "nova_object.data": {
                    "old_state": old.0,
                    "state": new.0,
                    "old_task_state": task_value(old.1),
                    "new_task_state": task_value(new.1),
                }
            });
            "InstanceUpdatePayload"
        } else {
            data["fault"] = if error {
                json!({
                    "nova_object.name": "ExceptionPayload",
                    "nova_object.namespace": "nova",
                    "nova_object.version": "1.1",
                    "nova_object.data": {"exception": "UnsupportedVirtType", "exception_message": "injected", "function_name": "_do", "module_name": "nova.compute.manager", "traceback": "Traceback (most recent call last): ..."}
                })
            } else {
                Value::Null
            };
            "InstanceActionPayload"
        };
        let n = self.lines.len();
        let message = json!({
            "message_id": format!("{n:08x}-0000-4000-8000-000000000000"),
            "publisher_id": "nova-compute:compute",
            "event_type": event_type,
            "priority": if error { "ERROR" } else { "INFO" },
            "payload": {
                "nova_object.name": name,
                "nova_object.namespace": "nova",
                "nova_object.version": "1.9",
                "nova_object.data": data,
            },
            "timestamp": stamp(time_s, n.is_multiple_of(2)),
        });
        // Every third line in the oslo.messaging envelope.
        let line = if n.is_multiple_of(3) {
            json!({"oslo.version": "2.0", "oslo.message": message.to_string()})
        } else {
            message
        };
        self.lines.push(line.to_string());
    }
}

/// Nova's notification action for an operation: its first and last phase.
fn nova_action(op: &str) -> (&'static str, &'static str) {
    match op {
        "create" => ("create", "create"),
        "delete" => ("delete", "delete"),
        "stop" => ("power_off", "power_off"),
        "start" => ("power_on", "power_on"),
        "reboot" | "reboot_hard" => ("reboot", "reboot"),
        "rebuild" => ("rebuild", "rebuild"),
        "resize" => ("resize_prep", "resize_finish"),
        "confirm_resize" => ("resize_confirm", "resize_confirm"),
        "revert_resize" => ("resize_revert", "resize_revert"),
        "live_migrate" => ("live_migration_pre", "live_migration_post"),
        other => panic!("no Nova action for {other}"),
    }
}

/// fleetsim's trace as Nova's versioned notifications: a state change is
/// an `instance.update` with its state_update; an operation's start and end
/// are `instance.<action>.start/.end` (the start after the first change,
/// as Nova's API saves the task_state before the compute manager starts);
/// a failure is `instance.<action>.error` before the change; a timeout,
/// fault, power sync or reset is the change alone; the initial fleet (and
/// a purge, which Nova does not notify) is `instance.exists`. Some lines of
/// event types fleetsim does not use are mixed in: `unknown` of each.
fn to_notifications(rows: &[TraceRow], unknown: usize) -> String {
    let mut notes = Notes { lines: vec![] };
    let mut op_of: BTreeMap<u64, String> = BTreeMap::new();
    let mut state_of: BTreeMap<u64, (String, String)> = BTreeMap::new();
    for (k, r) in rows.iter().enumerate() {
        let (i, t) = (r.instance, r.time_s);
        let new = (r.vm.as_str(), r.task.as_str());
        if k % (rows.len() / unknown.max(1)).max(1) == 0 && notes.lines.len() < 10_000 {
            let n = notes.lines.len();
            if n.is_multiple_of(2) {
                notes.lines.push(
                    json!({"event_type": "instance.interface_attach.start", "timestamp": stamp(t, true), "payload": {"nova_object.data": {"uuid": uuid(i)}}})
                        .to_string(),
                );
            } else {
                notes.lines.push(
                    json!({"event_type": "service.update", "priority": "INFO", "publisher_id": "nova-compute:host1", "timestamp": stamp(t, false), "payload": {"nova_object.data": {"host": "host1", "disabled": false}}})
                        .to_string(),
                );
            }
        }
        let before = state_of.insert(i, (r.vm.clone(), r.task.clone()));
        let prev = before.as_ref().map(|(v, t)| (v.as_str(), t.as_str()));
        let cause = r.cause.as_str();
        let update = |notes: &mut Notes| {
            let old = prev.expect("a change of a server already seen");
            notes.emit(
                "instance.update",
                t,
                i,
                new,
                r.locked,
                Some((old, new)),
                false,
            );
        };
        match cause {
            "initial" => notes.emit("instance.exists", t, i, new, r.locked, None, false),
            "purge" => notes.emit(
                "instance.exists",
                t,
                i,
                ("deleted", "null"),
                r.locked,
                None,
                false,
            ),
            "fault" | "power_sync" | "reset_state" => update(&mut notes),
            "lock" | "unlock" => notes.emit(
                &format!("instance.{cause}"),
                t,
                i,
                new,
                r.locked,
                None,
                false,
            ),
            _ if cause.ends_with("_timeout") => update(&mut notes),
            _ if cause.ends_with("_failed") => {
                let op = cause.trim_end_matches("_failed");
                let action = if op == "resize" {
                    "resize"
                } else {
                    nova_action(op).0
                };
                let old = prev.expect("a failure of a server already seen");
                notes.emit(
                    &format!("instance.{action}.error"),
                    t,
                    i,
                    old,
                    r.locked,
                    None,
                    true,
                );
                if r.to_status.is_empty() {
                    panic!("a rolled-back create is not converted");
                }
                if old != new {
                    update(&mut notes);
                }
                op_of.remove(&i);
            }
            op => {
                let (first, last) = nova_action(op);
                let starts = op_of.get(&i).map(String::as_str) != Some(op);
                if r.from_status.is_empty() {
                    // A new server: the conductor's first update, building.
                    notes.emit(
                        "instance.update",
                        t,
                        i,
                        new,
                        r.locked,
                        Some((("building", "null"), new)),
                        false,
                    );
                    notes.emit("instance.create.start", t, i, new, r.locked, None, false);
                } else {
                    // An operation without steps is announced before its
                    // one change; one with steps after its first.
                    if starts && new.1 == "null" {
                        notes.emit(
                            &format!("instance.{first}.start"),
                            t,
                            i,
                            prev.unwrap(),
                            r.locked,
                            None,
                            false,
                        );
                    }
                    if prev != Some(new) {
                        update(&mut notes);
                    }
                    if starts && new.1 != "null" {
                        notes.emit(
                            &format!("instance.{first}.start"),
                            t,
                            i,
                            new,
                            r.locked,
                            None,
                            false,
                        );
                    }
                }
                op_of.insert(i, op.to_string());
                if new.1 == "null" {
                    notes.emit(
                        &format!("instance.{last}.end"),
                        t,
                        i,
                        new,
                        r.locked,
                        None,
                        false,
                    );
                    op_of.remove(&i);
                }
            }
        }
    }
    notes.lines.join("\n") + "\n"
}

/// The trace as instance actions, one JSON line per server: every
/// operation run (its start, its end, `Error` when it failed; a timed-out
/// one never finishes), newest first as Nova lists them.
fn to_actions(rows: &[TraceRow]) -> String {
    let mut per: BTreeMap<u64, Vec<Value>> = BTreeMap::new();
    let mut open: BTreeMap<u64, (String, f64)> = BTreeMap::new();
    let action_name = |op: &str| -> &'static str {
        match op {
            "create" => "create",
            "delete" => "delete",
            "stop" => "stop",
            "start" => "start",
            "reboot" | "reboot_hard" => "reboot",
            "rebuild" => "rebuild",
            "resize" => "resize",
            "confirm_resize" => "confirmResize",
            "revert_resize" => "revertResize",
            "live_migrate" => "live-migration",
            "reset_state" => "resetState",
            "lock" => "lock",
            "unlock" => "unlock",
            other => panic!("no instance action for {other}"),
        }
    };
    let close = |per: &mut BTreeMap<u64, Vec<Value>>,
                 i: u64,
                 op: &str,
                 start: f64,
                 end: Option<f64>,
                 error: bool| {
        let finish = end.map(|e| stamp(e, true));
        let result = end.map(|_| if error { "Error" } else { "Success" });
        per.entry(i).or_default().push(json!({
            "action": action_name(op),
            "instance_uuid": uuid(i),
            "request_id": format!("req-{i}-{}", (start * 1000.0) as u64),
            "user_id": "admin",
            "project_id": "6f70656e737461636b20342065766572",
            "start_time": stamp(start, true),
            "updated_at": finish,
            "message": if error { json!("Error") } else { Value::Null },
            "events": [{
                "event": format!("compute_{}", action_name(op)),
                "start_time": stamp(start, false),
                "finish_time": finish,
                "result": result,
                "traceback": null,
            }],
        }));
    };
    for r in rows {
        let i = r.instance;
        let cause = r.cause.as_str();
        match cause {
            "initial" | "fault" | "power_sync" | "purge" => continue,
            "lock" | "unlock" => {
                close(&mut per, i, cause, r.time_s, Some(r.time_s), false);
                continue;
            }
            _ => {}
        }
        if let Some(op) = cause.strip_suffix("_failed") {
            let start = open.remove(&i).map_or(r.time_s, |(_, s)| s);
            close(&mut per, i, op, start, Some(r.time_s), true);
            continue;
        }
        if let Some(op) = cause.strip_suffix("_timeout") {
            let start = open.remove(&i).map_or(r.time_s, |(_, s)| s);
            close(&mut per, i, op, start, None, false);
            continue;
        }
        if open.get(&i).map(|(o, _)| o.as_str()) != Some(cause) {
            if let Some((o, s)) = open.remove(&i) {
                // Pre-empted (a hard reboot over a soft one): never finished.
                close(&mut per, i, &o, s, None, false);
            }
            open.insert(i, (cause.to_string(), r.time_s));
        }
        if r.task == "null" || r.to_status.is_empty() {
            let (op, s) = open.remove(&i).unwrap();
            close(&mut per, i, &op, s, Some(r.time_s), false);
        }
    }
    for (i, (op, s)) in std::mem::take(&mut open) {
        close(&mut per, i, &op, s, None, false);
    }
    per.into_iter()
        .map(|(i, mut actions)| {
            actions.reverse();
            json!({"server": uuid(i), "instanceActions": actions}).to_string() + "\n"
        })
        .collect()
}

fn traced(dir: &Path) -> Vec<TraceRow> {
    std::fs::write(dir.join("nova.toml"), SCENARIO).unwrap();
    fleetsim()
        .args(["run", "nova.toml", "--trace", "--out", "run", "--quiet"])
        .current_dir(dir)
        .assert()
        .success();
    read_trace(&dir.join("run/transitions.csv"))
}

fn fit(dir: &Path, log: &str, out: &str) -> (Value, String) {
    let a = fleetsim()
        .args(["fit", log, "--out", &format!("{out}/fitted.toml")])
        .current_dir(dir)
        .assert()
        .success();
    let text = std::fs::read_to_string(dir.join(out).join("fit_report.json")).unwrap();
    (serde_json::from_str(&text).unwrap(), stdout_of(&a))
}

fn estimates(report: &Value) -> BTreeMap<(String, String), Value> {
    report["estimates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                (
                    e["estimate"].as_str().unwrap().to_string(),
                    e["quantity"].as_str().unwrap().to_string(),
                ),
                e.clone(),
            )
        })
        .collect()
}

/// Whether two estimates agree: counts exactly, numbers to 1e-9.
fn same(a: &Value, b: &Value) -> Result<(), String> {
    for k in ["n", "censored", "family"] {
        if a[k] != b[k] {
            return Err(format!("{k}: {} vs {}", a[k], b[k]));
        }
    }
    for k in ["value", "ci95_low", "ci95_high", "ks"] {
        match (a[k].as_f64(), b[k].as_f64()) {
            (Some(x), Some(y)) if (x - y).abs() <= 1e-9 * x.abs().max(1.0) => {}
            (None, None) => {}
            (x, y) => return Err(format!("{k}: {x:?} vs {y:?}")),
        }
    }
    Ok(())
}

/// Every estimate of the trace but `deleted_for` (Nova does not notify a
/// purge) is the notifications' too, and they have no other.
fn compare(trace: &Value, nova: &Value) -> Vec<String> {
    let (t, n) = (estimates(trace), estimates(nova));
    let mut problems = vec![];
    for (key, e) in &t {
        if key.0.ends_with("deleted_for") {
            continue;
        }
        match n.get(key) {
            Some(f) => {
                if let Err(p) = same(e, f) {
                    problems.push(format!("{key:?}: {p}"));
                }
            }
            None => problems.push(format!("{key:?}: missing from the notifications' fit")),
        }
    }
    for key in n.keys() {
        if !t.contains_key(key) {
            problems.push(format!("{key:?}: only in the notifications' fit"));
        }
    }
    problems
}

#[test]
fn notifications_converted_from_a_trace_fit_as_the_trace_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = traced(d);
    let causes: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.cause.as_str()).collect();
    for c in [
        "create_failed",
        "reboot_timeout",
        "stop_failed",
        "fault",
        "reset_state",
        "lock",
        "reboot_hard",
        "confirm_resize",
        "live_migrate",
    ] {
        assert!(causes.contains(c), "the trace has no {c}: {causes:?}");
    }
    let unknown = 40;
    std::fs::write(d.join("nova.jsonl"), to_notifications(&rows, unknown)).unwrap();
    let (trace, _) = fit(d, "run/transitions.csv", "fit-trace");
    let (nova, stdout) = fit(d, "nova.jsonl", "fit-nova");
    let problems = compare(&trace, &nova);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The checks have something to check.
    let e = estimates(&nova);
    for key in [
        "ecs.steps.spawning",
        "ecs.steps.reboot_started_hard",
        "ecs.failures.create.prob",
        "ecs.failures.reboot.hang_prob",
        "ecs.faults.time_to_fault",
        "ecs.faults.repair",
        "ecs.ops_rate",
        "ecs.behaviour.ACTIVE.lock",
        "ecs.lifetime",
        "ecs.arrivals",
    ] {
        assert!(e.keys().any(|k| k.0 == key), "no {key} estimate");
    }
    assert!(!e.keys().any(|k| k.0.ends_with("deleted_for")));
    // Unknown event types are counted, by type.
    let counted: u64 = nova["unknown_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["count"].as_u64().unwrap())
        .sum();
    let inserted = std::fs::read_to_string(d.join("nova.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("interface_attach") || l.contains("service.update"))
        .count() as u64;
    assert!(inserted >= unknown as u64 / 2, "{inserted}");
    assert_eq!(counted, inserted, "{}", nova["unknown_events"]);
    assert!(
        stdout.contains("unknown event \"instance.interface_attach.start\""),
        "{stdout}"
    );
    assert_eq!(nova["skipped_lines"]["count"], 0);
    // The same, zstd-compressed and named without an extension, read
    // alike (the log's first 400 lines, to keep the test quick).
    let text = std::fs::read_to_string(d.join("nova.jsonl")).unwrap();
    let short: String = text.lines().take(400).map(|l| format!("{l}\n")).collect();
    std::fs::write(d.join("short.jsonl"), &short).unwrap();
    std::fs::write(
        d.join("short.jsonl.zst"),
        zstd::encode_all(short.as_bytes(), 3).unwrap(),
    )
    .unwrap();
    std::fs::write(d.join("short-log"), &short).unwrap();
    let (plain, _) = fit(d, "short.jsonl", "fit-short");
    assert!(estimates(&plain).len() > 10);
    for log in ["short.jsonl.zst", "short-log"] {
        let (again, _) = fit(d, log, &format!("fit-{log}"));
        assert_eq!(estimates(&again).len(), estimates(&plain).len(), "{log}");
        assert!(compare(&plain, &again).is_empty(), "{log}");
    }
}

#[test]
fn instance_actions_built_from_a_trace_fit_its_failure_probabilities() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = traced(d);
    std::fs::write(d.join("actions.json"), to_actions(&rows)).unwrap();
    let (trace, _) = fit(d, "run/transitions.csv", "fit-trace");
    let (actions, _) = fit(d, "actions.json", "fit-actions");
    let (t, a) = (estimates(&trace), estimates(&actions));
    let prob = |m: &BTreeMap<(String, String), Value>, op: &str| {
        m.get(&(format!("ecs.failures.{op}.prob"), "prob".to_string()))
            .cloned()
    };
    let mut compared = 0;
    for op in [
        "create",
        "stop",
        "start",
        "rebuild",
        "resize",
        "confirm_resize",
        "revert_resize",
        "live_migrate",
        "delete",
        "reset_state",
        "lock",
        "unlock",
    ] {
        let Some(te) = prob(&t, op) else { continue };
        let ae = prob(&a, op).unwrap_or_else(|| panic!("no {op} failure probability"));
        same(&te, &ae).unwrap_or_else(|p| panic!("{op}: {p}"));
        compared += 1;
    }
    assert!(compared >= 8, "{compared}");
    // A hard reboot is recorded as `reboot`: the two are counted together.
    let n = |m: &BTreeMap<(String, String), Value>, op: &str| {
        prob(m, op).map_or(0, |e| e["n"].as_u64().unwrap())
    };
    assert_eq!(n(&a, "reboot"), n(&t, "reboot") + n(&t, "reboot_hard"));
    assert_eq!(n(&a, "reboot_hard"), 0);
    // Creates are counted; nothing needing the server's state is estimated.
    assert_eq!(
        a[&("ecs.arrivals".to_string(), "per_day".to_string())]["n"],
        t[&("ecs.arrivals".to_string(), "per_day".to_string())]["n"]
    );
    for key in ["ecs.ops_rate", "ecs.faults.repair", "ecs.steps.spawning"] {
        assert!(!a.keys().any(|k| k.0 == key), "{key} from instance actions");
    }
    assert!(a.keys().any(|k| k.0 == "ecs.steps.powering-off"));
}

/// One good notification line, at `time`, of server `i`.
fn good_line(time: &str, i: u64, old: (&str, &str), new: (&str, &str)) -> String {
    json!({
        "event_type": "instance.update",
        "timestamp": time,
        "payload": {"nova_object.data": {
            "uuid": uuid(i), "state": new.0, "task_state": task_value(new.1),
            "state_update": {"nova_object.data": {"old_state": old.0, "state": new.0, "old_task_state": task_value(old.1), "new_task_state": task_value(new.1)}}
        }}
    })
    .to_string()
}

#[test]
fn malformed_lines_are_refused_naming_the_line_or_skipped_with_skip_bad() {
    let a = good_line(
        "2024-03-01 00:00:00.000000",
        0,
        ("active", "null"),
        ("active", "null"),
    );
    let b = good_line(
        "2024-03-01T00:01:00Z",
        0,
        ("active", "null"),
        ("active", "rebooting"),
    );
    let c = good_line(
        "2024-03-01T00:02:00Z",
        0,
        ("active", "rebooting"),
        ("active", "null"),
    );
    let earlier = good_line(
        "2024-03-01T00:00:30Z",
        0,
        ("active", "rebooting"),
        ("active", "null"),
    );
    let no_payload =
        r#"{"event_type": "instance.update", "timestamp": "2024-03-01T00:01:30Z"}"#.to_string();
    let bad_time = good_line(
        "2024-03-01 25:00:00",
        0,
        ("active", "rebooting"),
        ("active", "null"),
    );
    let cut = &c[..c.len() / 2];
    let cases = [
        (
            "bad JSON",
            "{\"event_type\": instance.update}".to_string(),
            "line 3: not JSON",
        ),
        ("missing payload", no_payload, "line 3: no \"payload\""),
        (
            "bad timestamp",
            bad_time,
            "line 3: timestamp \"2024-03-01 25:00:00\" is not a time",
        ),
        (
            "backwards",
            earlier,
            "line 3: time goes backwards for server",
        ),
        (
            "truncated",
            cut.to_string(),
            "line 3: not JSON (EOF while parsing",
        ),
    ];
    for (name, bad, says) in &cases {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("{a}\n{b}\n{bad}\n{c}\n");
        std::fs::write(dir.path().join("n.jsonl"), text).unwrap();
        let out = fleetsim()
            .args(["fit", "n.jsonl", "--out", "out/f.toml"])
            .current_dir(dir.path())
            .assert()
            .code(2);
        let err = stderr_of(&out);
        assert!(err.contains(&format!("n.jsonl: {says}")), "{name}: {err}");
        assert!(err.contains("--skip-bad"), "{name}: {err}");
        assert!(
            !dir.path().join("out").exists(),
            "{name}: something was written"
        );
        // --skip-bad counts it, names it, and fits the rest.
        let out = fleetsim()
            .args(["fit", "n.jsonl", "--out", "out/f.toml", "--skip-bad"])
            .current_dir(dir.path())
            .assert()
            .success();
        let stdout = stdout_of(&out);
        assert!(
            stdout.contains("skipped 1 malformed line"),
            "{name}: {stdout}"
        );
        assert!(
            stdout.contains(&format!("n.jsonl: {says}")),
            "{name}: {stdout}"
        );
        let report: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("out/fit_report.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(report["skipped_lines"]["count"], 1, "{name}");
        assert!(
            report["skipped_lines"]["first"][0]
                .as_str()
                .unwrap()
                .contains(says),
            "{name}"
        );
        let e = estimates(&report);
        let reboot = &e[&("ecs.failures.reboot.prob".to_string(), "prob".to_string())];
        assert_eq!(reboot["n"], 1, "{name}: the good lines are fitted");
    }
    // Every malformed line is listed, not only the first.
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{a}\n{b}\n{}\n{}\n{c}\n", cases[0].1, cases[1].1);
    std::fs::write(dir.path().join("n.jsonl"), text).unwrap();
    let out = fleetsim()
        .args(["fit", "n.jsonl", "--out", "out/f.toml"])
        .current_dir(dir.path())
        .assert()
        .code(2);
    let err = stderr_of(&out);
    assert!(
        err.contains("n.jsonl: line 3:") && err.contains("n.jsonl: line 4:"),
        "{err}"
    );
    assert!(err.contains("2 malformed lines in all"), "{err}");
}

#[test]
fn skip_bad_applies_to_the_trace_and_to_instance_actions() {
    let dir = tempfile::tempdir().unwrap();
    let header =
        "time_s,instance,kind,cause,from_status,to_status,vm_state,task_state,bms_state,locked\n";
    let text = format!(
        "{header}0,0,ecs,initial,,ACTIVE,active,null,,false\nx1,0,ecs,fault,ACTIVE,ERROR,error,null,,false\n5,0,ecs,fault,ACTIVE,ERROR,error,null,,false\n"
    );
    std::fs::write(dir.path().join("t.csv"), text).unwrap();
    fleetsim()
        .args(["fit", "t.csv", "--out", "out/f.toml"])
        .current_dir(dir.path())
        .assert()
        .code(2);
    let out = fleetsim()
        .args(["fit", "t.csv", "--out", "out/f.toml", "--skip-bad"])
        .current_dir(dir.path())
        .assert()
        .success();
    let stdout = stdout_of(&out);
    assert!(
        stdout.contains("skipped 1 malformed line")
            && stdout.contains("t.csv: line 3, column time_s"),
        "{stdout}"
    );
    let good = json!({"server": uuid(1), "instanceActions": [
        {"action": "stop", "start_time": "2024-03-01T00:00:00Z", "updated_at": "2024-03-01T00:00:10Z", "message": null,
         "events": [{"event": "compute_stop_instance", "start_time": "2024-03-01T00:00:01Z", "finish_time": "2024-03-01T00:00:10Z", "result": "Success"}]}
    ]});
    let bad =
        json!({"server": uuid(2), "instanceActions": [{"action": "stop", "start_time": "soon"}]});
    std::fs::write(dir.path().join("a.json"), format!("{good}\n{bad}\n")).unwrap();
    let out = fleetsim()
        .args(["fit", "a.json", "--out", "act/f.toml"])
        .current_dir(dir.path())
        .assert()
        .code(2);
    let err = stderr_of(&out);
    assert!(
        err.contains("a.json: line 2: instanceActions[0].start_time: \"soon\" is not a time"),
        "{err}"
    );
    assert!(!dir.path().join("act").exists());
    let out = fleetsim()
        .args(["fit", "a.json", "--out", "act/f.toml", "--skip-bad"])
        .current_dir(dir.path())
        .assert()
        .success();
    assert!(stdout_of(&out).contains("skipped 1 malformed line"));
}

#[test]
fn nova_samples_shapes_are_read_as_nova_writes_them() {
    // The bare notification with its listener's metadata, Nova's
    // `2012-10-29T13:42:11Z` times, and a pretty-printed .json array.
    let dir = tempfile::tempdir().unwrap();
    let notes = json!([
        {"event_type": "instance.create.start", "metadata": {"timestamp": "2012-10-29T13:42:11Z", "message_id": "m1"},
         "payload": {"nova_object.data": {"uuid": "178b0921-8f85-4257-88b6-2e743b5a975c", "state": "building", "task_state": "scheduling", "power_state": "pending", "locked": false}}},
        {"event_type": "instance.update", "metadata": {"timestamp": "2012-10-29T13:44:11Z"},
         "payload": {"nova_object.data": {"uuid": "178b0921-8f85-4257-88b6-2e743b5a975c", "state": "active", "task_state": null,
            "state_update": {"nova_object.data": {"old_state": "building", "state": "active", "old_task_state": "spawning", "new_task_state": null}}}}},
        {"event_type": "instance.pause.start", "metadata": {"timestamp": "2012-10-29T13:45:11Z"},
         "payload": {"nova_object.data": {"uuid": "178b0921-8f85-4257-88b6-2e743b5a975c", "state": "active", "task_state": "pausing"}}},
        {"event_type": "instance.update", "metadata": {"timestamp": "2012-10-29T13:46:11Z"},
         "payload": {"nova_object.data": {"uuid": "178b0921-8f85-4257-88b6-2e743b5a975c", "state": "paused", "task_state": null}}}
    ]);
    std::fs::write(
        dir.path().join("n.json"),
        serde_json::to_string_pretty(&notes).unwrap(),
    )
    .unwrap();
    let (report, stdout) = fit(dir.path(), "n.json", "out");
    let unknown: BTreeMap<String, u64> = report["unknown_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["event"].as_str().unwrap().to_string(),
                u["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(unknown.get("instance.pause.start"), Some(&1), "{stdout}");
    assert_eq!(
        unknown.get("state paused:null (not modelled)"),
        Some(&1),
        "{stdout}"
    );
    // From the first notification used to the last (13:42:11 to 13:46:11).
    assert_eq!(report["observed_s"], 240.0);
    let e = estimates(&report);
    assert_eq!(
        e[&("ecs.arrivals".to_string(), "per_day".to_string())]["n"],
        1
    );
    assert_eq!(
        e[&("ecs.failures.create.prob".to_string(), "prob".to_string())]["n"],
        1
    );
}

#[test]
fn made_up_event_names_and_endless_lines_cannot_grow_memory_without_bound() {
    let dir = tempfile::tempdir().unwrap();
    let a = good_line(
        "2024-03-01T00:00:00Z",
        0,
        ("active", "null"),
        ("active", "null"),
    );
    // 1,500 distinct unknown event types: the first 1,000 by name, the rest together.
    let mut text = a.clone() + "\n";
    for i in 0..1500 {
        text += &format!("{{\"event_type\": \"made.up.{i}\", \"payload\": {{}}}}\n");
    }
    std::fs::write(dir.path().join("n.jsonl"), &text).unwrap();
    let (report, _) = fit(dir.path(), "n.jsonl", "out");
    let unknown = report["unknown_events"].as_array().unwrap();
    assert_eq!(unknown.len(), 1001, "{}", unknown.len());
    let total: u64 = unknown.iter().map(|u| u["count"].as_u64().unwrap()).sum();
    assert_eq!(total, 1500);
    // A line longer than 16 MiB stops the file, with or without --skip-bad.
    let long = format!("{a}\n{{\"event_type\": \"{}\"}}\n", "x".repeat(17 << 20));
    std::fs::write(dir.path().join("long.jsonl"), long).unwrap();
    for skip in [false, true] {
        let mut cmd = fleetsim();
        cmd.args(["fit", "long.jsonl", "--out", "long/f.toml"]);
        if skip {
            cmd.arg("--skip-bad");
        }
        let out = cmd.current_dir(dir.path()).assert().code(2);
        let err = stderr_of(&out);
        assert!(
            err.contains("long.jsonl: line 2: cannot read: a line longer than 16 MiB"),
            "{err}"
        );
        assert!(!dir.path().join("long").exists());
    }
}

/// Nova's own samples (tests/data/nova-notification-samples), with their
/// `$ref`s resolved as nova/tests/json_ref.py does: the referenced file,
/// overridden recursively by the rest of the object.
fn nova_sample(name: &str) -> Value {
    fn resolve(v: Value, base: &Path) -> Value {
        match v {
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|i| resolve(i, base)).collect())
            }
            Value::Object(mut map) => {
                if let Some(Value::String(r)) = map.remove("$ref") {
                    let path = base.join(r.trim_end_matches('#'));
                    let text = std::fs::read_to_string(&path).unwrap();
                    let mut target =
                        resolve(serde_json::from_str(&text).unwrap(), path.parent().unwrap());
                    let overrides = resolve(Value::Object(map), base);
                    update(&mut target, overrides);
                    target
                } else {
                    Value::Object(
                        map.into_iter()
                            .map(|(k, v)| (k, resolve(v, base)))
                            .collect(),
                    )
                }
            }
            other => other,
        }
    }
    fn update(d: &mut Value, with: Value) {
        let (Value::Object(d), Value::Object(with)) = (d, with) else {
            unreachable!()
        };
        for (k, v) in with {
            match (d.get_mut(&k), v) {
                (Some(old @ Value::Object(_)), v @ Value::Object(_)) => update(old, v),
                (_, v) => {
                    d.insert(k, v);
                }
            }
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/nova-notification-samples");
    let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
    resolve(serde_json::from_str(&text).unwrap(), &dir)
}

/// One server's life, one of Nova's samples per step, a minute apart;
/// every other one inside oslo.messaging's envelope (also the fuzzer's
/// seed).
pub(crate) fn sample_life_jsonl() -> String {
    let life = [
        "instance-create-start",
        "instance-update",
        "instance-create-end",
        "instance-power_off-start",
        "instance-power_off-end",
        "instance-power_on-start",
        "instance-power_on-end",
        "instance-lock",
        "instance-unlock",
        "instance-reboot-start",
        "instance-reboot-end",
        "instance-reboot-start",
        "instance-reboot-error",
        "instance-rebuild-start",
        "instance-rebuild-end",
        "instance-delete-start",
        "instance-delete-end",
    ];
    let mut text = String::new();
    for (i, name) in life.iter().enumerate() {
        let mut message = nova_sample(name);
        let minute = i as u64;
        message["timestamp"] = json!(format!("2024-03-01 00:{minute:02}:00.000000"));
        message["message_id"] = json!(format!("m{i}"));
        let line = if i % 2 == 0 {
            json!({"oslo.version": "2.0", "oslo.message": message.to_string()})
        } else {
            message
        };
        text += &(line.to_string() + "\n");
    }
    text
}

#[test]
fn a_server_life_made_of_novas_own_samples_is_fitted() {
    let text = sample_life_jsonl();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nova.jsonl"), text).unwrap();
    let (report, stdout) = fit(dir.path(), "nova.jsonl", "out");
    // Every sample was read and used: nothing unknown, nothing malformed.
    assert_eq!(report["unknown_events"], json!([]), "{stdout}");
    assert_eq!(report["skipped_lines"]["count"], 0);
    assert_eq!(report["observed_s"], 16.0 * 60.0);
    let e = estimates(&report);
    let get = |key: &str, quantity: &str| {
        let v = &e[&(key.to_string(), quantity.to_string())];
        (v["n"].as_u64().unwrap(), v["value"].as_f64().unwrap())
    };
    // One create, stop, start, lock, unlock, rebuild and delete, none
    // failed; two hard reboots (Nova's samples are of a hard reboot), one
    // failed with reboot.error.
    for op in [
        "create", "stop", "start", "lock", "unlock", "rebuild", "delete",
    ] {
        assert_eq!(
            get(&format!("ecs.failures.{op}.prob"), "prob"),
            (1, 0.0),
            "{op}"
        );
    }
    assert_eq!(get("ecs.failures.reboot_hard.prob", "prob"), (2, 0.5));
    assert_eq!(get("ecs.arrivals", "per_day").0, 1);
    assert_eq!(get("ecs.steps.reboot_pending_hard", "mean_s"), (2, 60.0));
}

#[test]
fn novas_own_instance_action_responses_are_fitted_as_they_are() {
    // The list response as Nova's API returns it, and the one action with
    // its events as GET .../os-instance-actions/{request_id} returns it,
    // each with the server it is of.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/nova-api-samples");
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    let mut list = read("instance-actions-list-resp.json");
    list["server"] = json!("15835b6f-1e14-4cfa-9f66-1abea1a1c0d5");
    let mut one = read("instance-action-get-resp.json");
    one["server"] = json!("4bf3473b-d550-4b65-9409-292d44ab14a2");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("actions.json"), format!("{list}\n{one}\n")).unwrap();
    let (report, stdout) = fit(tmp.path(), "actions.json", "out");
    assert_eq!(report["skipped_lines"]["count"], 0, "{stdout}");
    assert_eq!(report["unknown_events"], json!([]), "{stdout}");
    let e = estimates(&report);
    let n = |key: &str| {
        e[&(key.to_string(), "prob".to_string())]["n"]
            .as_u64()
            .unwrap()
    };
    // A create and two stops (one per server), none failed.
    assert_eq!(n("ecs.failures.create.prob"), 1);
    assert_eq!(n("ecs.failures.stop.prob"), 2);
    assert_eq!(
        e[&("ecs.failures.stop.prob".to_string(), "prob".to_string())]["value"],
        0.0
    );
}
