//! The fleet reader: both forms, last-line-wins timelines, BMS states
//! derived from the API fields, and every kind of problem reported with its
//! line (or array index) and field.

use super::*;
use crate::capacity::spec::{BmsPoolSpec, FlavorSpec, PlacementPolicy, PoolSpec};
use crate::model::ecs::state as ecs_state;
use crate::scenario::Dist;
use serde_json::json;

/// The messages of `problems`, each checked to be reported at the kind's
/// `initial_fleet` field.
fn messages(problems: Vec<Problem>, kind: Kind) -> Vec<String> {
    for p in &problems {
        assert_eq!(p.field, format!("{}.initial_fleet", kind.name()), "{p:?}");
    }
    problems.into_iter().map(|p| p.message).collect()
}

/// [`read_str`] (refusing servers in states fleetsim does not model), its
/// servers, or its problems as messages.
fn read_msgs(
    text: &str,
    name: &str,
    kind: Kind,
    capacity: Option<&CapacitySpec>,
) -> Result<Vec<ImportedServer>, Vec<String>> {
    read_str(text, name, kind, capacity, Unmodelled::Refuse)
        .map(|f| f.servers)
        .map_err(|ps| messages(ps, kind))
}

/// [`read_str`] of `fleet.json` with this `unmodelled`, its problems as
/// messages.
fn read_with(
    text: &str,
    kind: Kind,
    capacity: Option<&CapacitySpec>,
    unmodelled: Unmodelled,
) -> Result<InitialFleet, Vec<String>> {
    read_str(text, "fleet.json", kind, capacity, unmodelled).map_err(|ps| messages(ps, kind))
}

/// [`load`], its problems as messages.
fn load_msgs(
    path: &str,
    dir: &Path,
    kind: Kind,
    capacity: Option<&CapacitySpec>,
) -> Result<InitialFleet, Vec<String>> {
    load(path, dir, kind, capacity, Unmodelled::Refuse).map_err(|ps| messages(ps, kind))
}

fn ecs_read(text: &str) -> Result<Vec<ImportedServer>, Vec<String>> {
    read_msgs(text, "fleet.json", Kind::Ecs, None)
}

fn bms_read(text: &str) -> Result<Vec<ImportedServer>, Vec<String>> {
    read_msgs(text, "fleet.json", Kind::Bms, None)
}

/// A servers/detail response of these servers.
fn detail(servers: &[Value]) -> String {
    json!({ "servers": servers }).to_string()
}

/// An ECS server with this id and pair (`None`: null task).
fn ecs_server(id: &str, vm: &str, task: Option<&str>) -> Value {
    json!({ "id": id, "OS-EXT-STS:vm_state": vm, "OS-EXT-STS:task_state": task })
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v.as_object_mut().unwrap().insert(key.into(), value);
    v
}

fn pair(vm: VmState, task: Option<TaskState>) -> StateId {
    ecs_state(vm, task)
}

/// The problems of `text` read as ECS (or BMS), panicking if it reads.
fn problems(text: &str, kind: Kind) -> Vec<String> {
    match read_msgs(text, "fleet.json", kind, None) {
        Ok(s) => panic!("expected problems, read {s:#?}"),
        Err(p) => p,
    }
}

/// The one problem of `text`, which must contain every needle.
fn assert_problem(text: &str, kind: Kind, needles: &[&str]) {
    let ps = problems(text, kind);
    assert_eq!(ps.len(), 1, "one problem expected: {ps:#?}");
    for n in needles {
        assert!(ps[0].contains(n), "{n:?} not in {:?}", ps[0]);
    }
}

#[test]
fn a_detail_response_gives_every_server_in_its_state() {
    let servers = [
        json!({
            "id": "0b9e4c6e", "name": "fleetsim-ecs-17", "status": "ACTIVE",
            "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:task_state": null,
            "OS-EXT-STS:power_state": 1, "locked": true, "flavor": {"id": "s6.large.2"},
            "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:03:10Z",
            "OS-SRV-USG:launched_at": "2026-01-01T00:03:10.000000",
            "OS-SRV-USG:terminated_at": null, "addresses": {}, "metadata": {"x": "y"}
        }),
        with(ecs_server("s", "stopped", None), "status", json!("SHUTOFF")),
        ecs_server("r", "active", Some("rebooting")),
        with(
            ecs_server("v", "resized", None),
            "OS-EXT-STS:power_state",
            json!(4),
        ),
        ecs_server("b", "building", Some("spawning")),
        with(
            ecs_server("e", "error", None),
            "fault",
            json!({"code": 500, "message": "No valid host", "created": "2026-01-01T00:01:00Z"}),
        ),
        with(
            ecs_server("l", "error", None),
            "OS-SRV-USG:launched_at",
            json!("2026-01-01T00:00:00.000000"),
        ),
        with(
            ecs_server("gone", "deleted", None),
            "status",
            json!("DELETED"),
        ),
    ];
    let first_in = servers[0].as_object().unwrap().clone();
    let servers = ecs_read(&detail(&servers)).unwrap();
    let ids: Vec<&str> = servers.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["0b9e4c6e", "s", "r", "v", "b", "e", "l"]);
    let first = &servers[0];
    let active = pair(VmState::Active, None);
    assert_eq!(
        *first,
        ImportedServer {
            id: "0b9e4c6e".into(),
            name: "fleetsim-ecs-17".into(),
            state: active,
            origin: active,
            saved: active,
            locked: true,
            flavor: Some("s6.large.2".into()),
            created: Some("2026-01-01T00:00:00Z".into()),
            launched_at: Some("2026-01-01T00:03:10.000000".into()),
            power_state: Some(1),
            launched: true,
            original: Arc::new(first_in),
        }
    );
    // The name defaults to the id; lock to false; no flavor without capacity.
    let s = &servers[1];
    assert_eq!((s.name.as_str(), s.locked, &s.flavor), ("s", false, &None));
    assert_eq!(s.state, pair(VmState::Stopped, None));
    // A reboot in progress started from active:null.
    let r = &servers[2];
    assert_eq!(r.state, pair(VmState::Active, Some(TaskState::Rebooting)));
    assert_eq!((r.origin, r.saved), (active, r.state));
    // Resized powered off: confirm or revert returns to stopped.
    let v = &servers[3];
    assert_eq!(v.state, pair(VmState::Resized, None));
    assert_eq!(v.saved, pair(VmState::Stopped, None));
    // Building or error without launched_at never launched; the rest did.
    let launched: Vec<bool> = servers.iter().map(|s| s.launched).collect();
    assert_eq!(launched, [true, true, true, true, false, false, true]);
}

#[test]
fn operations_in_progress_know_where_they_began() {
    let text = detail(&[
        ecs_server("a", "active", Some("resize_migrating")),
        ecs_server("b", "stopped", Some("resize_finish")),
        with(
            ecs_server("c", "resized", Some("resize_reverting")),
            "OS-EXT-STS:power_state",
            json!(1),
        ),
        ecs_server("d", "error", Some("rebuild_spawning")),
        ecs_server("e", "building", Some("scheduling")),
    ]);
    let s = ecs_read(&text).unwrap();
    let (active, stopped) = (pair(VmState::Active, None), pair(VmState::Stopped, None));
    // A resize returns to where it began.
    assert_eq!((s[0].origin, s[0].saved), (active, active));
    assert_eq!((s[1].origin, s[1].saved), (stopped, stopped));
    assert_eq!(
        s[1].state,
        pair(VmState::Stopped, Some(TaskState::ResizeFinish))
    );
    // A revert began in VERIFY_RESIZE and returns to the power it had.
    assert_eq!(
        (s[2].origin, s[2].saved),
        (pair(VmState::Resized, None), active)
    );
    assert_eq!(s[3].origin, pair(VmState::Error, None));
    // A create step is its own origin.
    assert_eq!(s[4].origin, s[4].state);
}

#[test]
fn json_lines_keep_the_last_line_of_each_server_in_first_appearance_order() {
    let line = |kind: Option<&str>, server: Value| {
        let mut v = json!({ "at": "2026-01-01T00:00:05.250Z", "server": server });
        if let Some(k) = kind {
            v.as_object_mut().unwrap().insert("kind".into(), json!(k));
        }
        v.to_string()
    };
    let text = [
        line(Some("ecs"), ecs_server("a", "building", Some("scheduling"))),
        line(Some("ecs"), ecs_server("b", "active", None)),
        String::new(),
        json!({"at": "t", "kind": "bms", "view": "show", "server": {"id": "x"}, "fleetsim": {"lifecycle_state": "running"}})
            .to_string(),
        line(Some("ecs"), ecs_server("a", "active", None)),
        line(None, ecs_server("c", "active", None)),
        "   ".into(),
        line(Some("ecs"), ecs_server("b", "active", Some("deleting"))),
        line(Some("ecs"), ecs_server("b", "deleted", None)),
        line(
            Some("ecs"),
            with(ecs_server("a", "active", None), "locked", json!(true)),
        ),
    ]
    .join("\n");
    let servers = ecs_read(&text).unwrap();
    let got: Vec<(&str, StateId, bool)> = servers
        .iter()
        .map(|s| (s.id.as_str(), s.state, s.locked))
        .collect();
    assert_eq!(
        got,
        [
            ("a", pair(VmState::Active, None), true),
            ("c", pair(VmState::Active, None), false),
        ]
    );
    // The same file feeds [bms]: its BMS line, and the line without a kind.
    let bms = bms_read(&text).unwrap();
    let got: Vec<(&str, StateId)> = bms.iter().map(|s| (s.id.as_str(), s.state)).collect();
    assert_eq!(
        got,
        [("x", BmsState::Running.id()), ("c", BmsState::Running.id())]
    );
}

#[test]
fn every_problem_names_the_place_the_field_the_value_and_what_is_valid() {
    let ecs = Kind::Ecs;
    let line = |server: Value| json!({"at": "t", "kind": "ecs", "server": server}).to_string();
    let ok = line(ecs_server("ok", "active", None));
    let lines = |bad: String| format!("{ok}\n\n{bad}\n{ok}");
    let cases: Vec<(String, Vec<&str>)> = vec![
        (lines("{\"at\": ".into()), vec!["line 3", "not valid JSON"]),
        (lines("[1, 2]".into()), vec!["line 3", "an array"]),
        (
            lines(json!({"kind": "vm", "server": {}}).to_string()),
            vec!["line 3", "\"kind\" \"vm\"", "ecs, bms"],
        ),
        (
            lines(json!({"kind": "ecs"}).to_string()),
            vec!["line 3", "no \"server\""],
        ),
        (
            lines(json!({"server": 7}).to_string()),
            vec!["line 3", "\"server\" 7"],
        ),
        (
            lines(line(
                json!({"OS-EXT-STS:vm_state": "active", "OS-EXT-STS:task_state": null}),
            )),
            vec!["line 3", "\"id\" is missing"],
        ),
        (
            lines(line(ecs_server("", "active", None))),
            vec!["line 3", "\"id\" \"\""],
        ),
        (
            lines(line(ecs_server("a", "shelved", None))),
            vec![
                "line 3",
                "\"OS-EXT-STS:vm_state\" \"shelved\"",
                "building, active",
            ],
        ),
        (
            lines(line(ecs_server("a", "active", Some("dancing")))),
            vec![
                "line 3",
                "\"OS-EXT-STS:task_state\" \"dancing\"",
                "valid task_states with active: rebooting",
            ],
        ),
        (
            lines(line(ecs_server("a", "active", Some("spawning")))),
            vec![
                "fleet.json line 3: \"OS-EXT-STS:task_state\" \"spawning\" does not go with vm_state \"active\"; valid task_states with active: rebooting, reboot_pending",
                "deleting, null",
            ],
        ),
        (
            lines(line(json!({"id": "a", "OS-EXT-STS:vm_state": "active"}))),
            vec!["line 3", "\"OS-EXT-STS:task_state\" is missing"],
        ),
        (
            lines(line(with(
                ecs_server("a", "stopped", None),
                "status",
                json!("ACTIVE"),
            ))),
            vec!["line 3", "\"status\" \"ACTIVE\"", "shows SHUTOFF"],
        ),
        (
            lines(line(with(
                ecs_server("a", "active", None),
                "status",
                json!("PAUSED"),
            ))),
            vec![
                "line 3",
                "\"status\" \"PAUSED\" does not match vm_state \"active\" with task_state null, which Nova shows as ACTIVE",
            ],
        ),
        (
            lines(line(with(
                ecs_server("a", "active", None),
                "locked",
                json!("yes"),
            ))),
            vec!["line 3", "\"locked\" \"yes\"", "true or false"],
        ),
        (
            lines(line(with(
                ecs_server("a", "active", None),
                "name",
                json!(5),
            ))),
            vec!["line 3", "\"name\" 5"],
        ),
        (
            lines(line(with(
                ecs_server("a", "active", None),
                "flavor",
                json!("big"),
            ))),
            vec!["line 3", "\"flavor\" \"big\""],
        ),
        (
            lines(line(with(
                ecs_server("a", "active", None),
                "OS-EXT-STS:power_state",
                json!(-1),
            ))),
            vec!["line 3", "\"OS-EXT-STS:power_state\" -1"],
        ),
        (
            lines(line(with(
                ecs_server("a", "active", None),
                "created",
                json!(12),
            ))),
            vec!["line 3", "\"created\" 12"],
        ),
        (
            detail(&[ecs_server("a", "active", None), json!(3)]),
            vec!["servers[1]", "the number 3"],
        ),
        (
            detail(&[
                ecs_server("a", "active", None),
                ecs_server("b", "active", None),
                ecs_server("a", "stopped", None),
            ]),
            vec!["servers[2]", "\"id\" \"a\" repeats servers[0]"],
        ),
        (
            detail(&[
                ecs_server("a", "active", None),
                ecs_server("b", "active", Some("powering-on")),
            ]),
            vec![
                "servers[1]",
                "\"powering-on\" does not go with vm_state \"active\"",
            ],
        ),
        ("".into(), vec!["fleet.json is empty"]),
        (
            "{\"servers\": [\n  {\"id\": \"a\"},\n".into(),
            vec!["fleet.json is not valid JSON", "line 3"],
        ),
        ("[\n 1\n]".into(), vec!["fleet.json is an array"]),
        (
            "{\"servers\": [\n  {\"id\": \"a\", \"x\": 1},\n  {\"id\": \"b\"}\n".into(),
            vec!["fleet.json is not valid JSON", "EOF"],
        ),
        (
            "[\n  {\"id\": \"a\"}\n}".into(),
            vec!["fleet.json is not valid JSON"],
        ),
        (
            "{\"servers\": {}}".into(),
            vec!["line 1", "\"servers\" but not as an array"],
        ),
    ];
    for (text, needles) in cases {
        let ps = problems(&text, ecs);
        assert_eq!(ps.len(), 1, "{text}: one problem expected: {ps:#?}");
        for n in needles {
            assert!(ps[0].contains(n), "{text}: {n:?} not in {:?}", ps[0]);
        }
    }
    // Several problems of one record are all reported.
    let both = with(
        with(ecs_server("a", "stopped", None), "status", json!("ACTIVE")),
        "locked",
        json!(1),
    );
    assert_eq!(problems(&detail(&[both]), ecs).len(), 2);
}

#[test]
fn problems_are_listed_up_to_a_limit_then_counted() {
    let bad = json!({"server": {"id": "a", "OS-EXT-STS:vm_state": "nope", "OS-EXT-STS:task_state": null}})
        .to_string();
    let text = vec![bad; 30].join("\n");
    let ps = problems(&text, Kind::Ecs);
    assert_eq!(ps.len(), MAX_PROBLEMS + 1);
    assert!(ps[19].contains("line 20"), "{}", ps[19]);
    assert_eq!(ps[20], "and 10 more problems in fleet.json");
}

#[test]
fn bms_states_come_from_the_lifecycle_field_or_the_api_fields() {
    let bms =
        |vm: Option<&str>, task: Option<Option<&str>>, status: Option<&str>, life: Option<&str>| {
            let mut v = json!({"id": "m"});
            let o = v.as_object_mut().unwrap();
            if let Some(vm) = vm {
                o.insert("OS-EXT-STS:vm_state".into(), json!(vm));
            }
            if let Some(t) = task {
                o.insert("OS-EXT-STS:task_state".into(), json!(t));
            }
            if let Some(s) = status {
                o.insert("status".into(), json!(s));
            }
            if let Some(l) = life {
                o.insert("fleetsim:lifecycle_state".into(), json!(l));
            }
            detail(&[v])
        };
    let read = |text: String| {
        let s = bms_read(&text).unwrap_or_else(|e| panic!("{e:#?}"));
        assert_eq!(s.len(), 1);
        (
            BmsState::ALL[s[0].state.index()],
            BmsState::ALL[s[0].origin.index()],
        )
    };
    use BmsState as B;
    let cases = [
        (
            (Some("active"), Some(None), Some("ACTIVE"), None),
            (B::Running, B::Running),
        ),
        (
            (Some("active"), Some(Some("rebooting")), None, None),
            (B::Restarting, B::Running),
        ),
        (
            (Some("active"), Some(Some("rebooting_hard")), None, None),
            (B::ForciblyRestarting, B::Running),
        ),
        (
            (Some("building"), Some(Some("spawning")), None, None),
            (B::Creating, B::Creating),
        ),
        (
            (Some("error"), Some(None), None, None),
            (B::Faulty, B::Faulty),
        ),
        (
            (
                Some("stopped"),
                Some(Some("deleting")),
                Some("SHUTOFF"),
                None,
            ),
            (B::Deleting, B::Stopped),
        ),
        (
            (Some("active"), Some(Some("deleting")), None, None),
            (B::Deleting, B::Running),
        ),
        (
            (Some("stopped"), Some(Some("deleting")), None, None),
            (B::Deleting, B::Stopped),
        ),
        (
            (Some("active"), Some(Some("deleting")), Some("REBOOT"), None),
            (B::Deleting, B::Restarting),
        ),
        (
            (Some("error"), Some(Some("deleting")), Some("ERROR"), None),
            (B::Deleting, B::Faulty),
        ),
        (
            (Some("stopped"), Some(None), Some("SHUTOFF"), Some("frozen")),
            (B::Frozen, B::Frozen),
        ),
        (
            (None, None, None, Some("reinstalling_os")),
            (B::ReinstallingOs, B::Stopped),
        ),
        (
            (None, None, Some("HARD_REBOOT"), Some("deleting")),
            (B::Deleting, B::ForciblyRestarting),
        ),
    ];
    for ((vm, task, status, life), want) in cases {
        assert_eq!(
            read(bms(vm, task, status, life)),
            want,
            "{vm:?} {task:?} {status:?} {life:?}"
        );
    }
    // Deleted is gone.
    assert!(
        bms_read(&bms(Some("deleted"), Some(None), Some("DELETED"), None))
            .unwrap()
            .is_empty()
    );
    // Several states show stopped/null SHUTOFF: the lifecycle field must say which.
    assert_problem(
        &bms(Some("stopped"), Some(None), Some("SHUTOFF"), None),
        Kind::Bms,
        &[
            "servers[0]",
            "fits the BMS states stopped, reinstalling_os_failed, frozen",
            "give \"fleetsim:lifecycle_state\"",
        ],
    );
    assert_problem(
        &bms(Some("stopped"), Some(Some("rebuilding")), None, None),
        Kind::Bms,
        &["rebuilding, reinstalling_os"],
    );
    for (text, needles) in [
        (
            bms(
                Some("building"),
                Some(Some("spawning")),
                Some("ACTIVE"),
                None,
            ),
            vec![
                "vm_state \"building\" with task_state \"spawning\" and status \"ACTIVE\" is no BMS state",
                "creating = building/spawning",
            ],
        ),
        // A task Nova has and no BMS state shows is a state fleetsim does
        // not model for BMS.
        (
            bms(Some("building"), Some(Some("scheduling")), None, None),
            vec![
                "\"OS-EXT-STS:task_state\" \"scheduling\": fleetsim does not model BMS servers in task_state scheduling",
                "(its task_states: spawning, powering-on",
                "unmodelled = \"skip\" in [bms]",
            ],
        ),
        (
            bms(None, None, None, Some("sleeping")),
            vec![
                "\"fleetsim:lifecycle_state\" \"sleeping\" is not a BMS state",
                "frozen",
            ],
        ),
        (
            bms(Some("active"), Some(None), None, Some("stopped")),
            vec![
                "\"stopped\" does not match vm_state \"active\"",
                "shows vm_state \"stopped\"",
            ],
        ),
        (
            bms(Some("active"), Some(None), Some("SHUTOFF"), None),
            vec!["status \"SHUTOFF\" is no BMS state"],
        ),
        (
            bms(
                Some("active"),
                Some(Some("deleting")),
                Some("SHUTOFF"),
                None,
            ),
            vec!["\"OS-EXT-STS:vm_state\" \"active\" does not match status SHUTOFF"],
        ),
        (
            bms(Some("active"), None, None, None),
            vec![
                "\"OS-EXT-STS:task_state\" is missing",
                "or \"fleetsim:lifecycle_state\"",
            ],
        ),
    ] {
        assert_problem(&text, Kind::Bms, &needles);
    }
}

fn capacity() -> CapacitySpec {
    CapacitySpec {
        placement: PlacementPolicy::Spread,
        pools: vec![PoolSpec {
            name: "general".into(),
            hosts: 2,
            vcpus: 8,
            memory_mib: 1 << 15,
            cpu_overcommit: 1.0,
            memory_overcommit: 1.0,
        }],
        flavors: ["s6.large.2", "s6.xlarge.2"]
            .map(|name| FlavorSpec {
                name: name.into(),
                vcpus: 2,
                memory_mib: 4096,
                pool: 0,
                weight: 1.0,
                resize_weight: 1.0,
                growth: None,
            })
            .to_vec(),
        bms_pools: vec![BmsPoolSpec {
            flavor: "physical.s4.medium".into(),
            nodes: 2,
            weight: 1.0,
        }],
        domains: Vec::new(),
        host_failures: None,
        build_attempts: 3,
        stopped_releases: false,
        auto_recovery: true,
        recovery_interval: crate::engine::SimTime::ZERO,
        recovery_delay: Dist::fixed(crate::engine::SimTime::ZERO),
        ecs_holds: Vec::new(),
        bms_holds: Vec::new(),
    }
}

#[test]
fn with_capacity_every_server_names_one_of_its_kinds_flavors() {
    let cap = capacity();
    let flavored = |id: &str, f: Value| with(ecs_server(id, "active", None), "flavor", f);
    let text = detail(&[
        flavored("a", json!({"id": "s6.xlarge.2"})),
        flavored("b", json!({"original_name": "s6.large.2", "vcpus": 2})),
    ]);
    let s = read_msgs(&text, "f.json", Kind::Ecs, Some(&cap)).unwrap();
    assert_eq!(s[1].flavor.as_deref(), Some("s6.large.2"));
    for (server, needles) in [
        (
            ecs_server("a", "active", None),
            vec![
                "servers[0]",
                "\"flavor.id\" is missing",
                "s6.large.2, s6.xlarge.2",
            ],
        ),
        (
            flavored("a", json!({"id": "s9.huge"})),
            vec![
                "\"flavor.id\" \"s9.huge\" is not one of the ECS flavors of [capacity]",
                "valid flavors: s6.large.2, s6.xlarge.2",
            ],
        ),
        // A BMS flavor is not an ECS one.
        (
            flavored("a", json!({"id": "physical.s4.medium"})),
            vec!["not one of the ECS flavors"],
        ),
    ] {
        let ps = read_msgs(&detail(&[server]), "f.json", Kind::Ecs, Some(&cap)).unwrap_err();
        assert_eq!(ps.len(), 1, "{ps:#?}");
        for n in needles {
            assert!(ps[0].contains(n), "{n:?} not in {:?}", ps[0]);
        }
    }
    let bms = json!({"id": "m", "fleetsim:lifecycle_state": "running", "flavor": {"id": "physical.s4.medium"}});
    assert!(read_msgs(&detail(&[bms]), "f.json", Kind::Bms, Some(&cap)).is_ok());
    let bms =
        json!({"id": "m", "fleetsim:lifecycle_state": "running", "flavor": {"id": "s6.large.2"}});
    let ps = read_msgs(&detail(&[bms]), "f.json", Kind::Bms, Some(&cap)).unwrap_err();
    assert!(
        ps[0].contains("valid flavors: physical.s4.medium"),
        "{ps:?}"
    );
    // Without capacity a flavor is only carried along.
    let s = ecs_read(&detail(&[flavored("a", json!({"id": "anything"}))])).unwrap();
    assert_eq!(s[0].flavor.as_deref(), Some("anything"));
}

#[test]
fn files_are_found_beside_the_scenario_and_missing_ones_reported() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("fleet.json"),
        detail(&[ecs_server("a", "active", None)]),
    )
    .unwrap();
    let fleet = load_msgs("fleet.json", tmp.path(), Kind::Ecs, None).unwrap();
    assert_eq!(
        (fleet.path.as_str(), fleet.servers.len()),
        ("fleet.json", 1)
    );
    let ps = load_msgs("nope.json", tmp.path(), Kind::Ecs, None).unwrap_err();
    assert!(
        ps[0].starts_with("cannot read \"nope.json\" (looked for "),
        "{ps:?}"
    );
    std::fs::write(tmp.path().join("bin.json"), [0xff, 0xfe, 0x00]).unwrap();
    let ps = load_msgs("bin.json", tmp.path(), Kind::Ecs, None).unwrap_err();
    assert!(ps[0].contains("not UTF-8"), "{ps:?}");
    // The manifest shows the path, the number of servers and of those
    // skipped.
    assert_eq!(
        serde_json::to_value(&fleet).unwrap(),
        json!({"path": "fleet.json", "servers": 1, "unmodelled": "refuse", "skipped": 0, "skipped_ids": []})
    );
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "",
        "\u{feff}",
        "null",
        "{}",
        "{\"servers\": null}",
        "{\"servers\": [null, [], {}, {\"id\": null}]}",
        "{\"servers\": [{\"id\": \"a\", \"flavor\": {\"id\": 5}, \"OS-EXT-STS:power_state\": 1e300}]}",
        "{\"server\": {\"id\": \"a\", \"OS-EXT-STS:vm_state\": [], \"OS-EXT-STS:task_state\": {}}}",
        "{\"server\": {\"id\": \"a\", \"fleetsim:lifecycle_state\": 3, \"status\": false}}",
        "\u{0}\n{\n}\n",
        "{\"kind\": \"bms\", \"server\": {\"id\": \"a\", \"OS-EXT-STS:task_state\": \"deleting\", \"status\": \"BUILD\"}}",
        "{\"server\": {\"id\": \"a\", \"status\": \"unknown\"}, \"fleetsim\": {\"lifecycle_state\": []}}",
        "{\"server\": {\"id\": \"a\", \"fleetsim:lifecycle_state\": 1}, \"fleetsim\": {\"lifecycle_state\": 2}}",
        "{\"server\": {\"id\": \"a\", \"OS-EXT-STS:vm_state\": \"soft-delete\", \"flavor\": {\"original_name\": {}}}, \"fleetsim\": 3}",
        "{\"servers\": [{\"id\": \"a\", \"status\": \"SHELVED\", \"OS-EXT-STS:vm_state\": \"paused\", \"OS-EXT-STS:task_state\": \"nap\"}]}",
        "{\"server\": {\"id\": \"é\", \"name\": \"\u{1F600}\", \"OS-EXT-STS:vm_state\": \"deleted\", \"OS-EXT-STS:task_state\": \"deleting\"}}",
    ];
    for text in inputs {
        for &kind in Kind::ALL {
            let r = std::panic::catch_unwind(|| read_msgs(text, "g.json", kind, None));
            assert!(r.is_ok(), "panicked on {text:?} as {kind:?}");
        }
    }
}

#[test]
fn a_scenario_reads_its_fleet_from_beside_it_and_reports_at_the_field() {
    use crate::scenario::Scenario;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("fleet.json"),
        detail(&[
            ecs_server("a", "active", None),
            ecs_server("b", "active", Some("rebooting")),
        ]),
    )
    .unwrap();
    let head = "name = \"t\"\nhorizon = \"1d\"\n";
    let write = |text: &str| {
        let p = dir.join("s.toml");
        std::fs::write(&p, format!("{head}{text}")).unwrap();
        p
    };
    // Relative to the scenario's folder, not to the current directory.
    let sc = Scenario::load(&write("[ecs]\ninitial_fleet = \"fleet.json\"\n")).unwrap();
    let ecs = sc.ecs.as_ref().unwrap();
    assert_eq!(ecs.initial, 2);
    let fleet = ecs.initial_fleet.as_ref().unwrap();
    assert_eq!(
        (fleet.path.as_str(), fleet.servers.len()),
        ("fleet.json", 2)
    );
    let problems = |text: &str| Scenario::load(&write(text)).unwrap_err().problems;
    let ps = problems("[ecs]\ninitial = 3\ninitial_fleet = \"fleet.json\"\n");
    assert_eq!(ps.len(), 1, "{ps:#?}");
    assert_eq!(ps[0].field, "ecs.initial_fleet");
    assert!(ps[0].message.contains("not both"), "{ps:?}");
    let ps = problems("[bms]\ninitial_fleet = 3\n");
    assert_eq!(ps[0].field, "bms.initial_fleet");
    assert!(
        ps[0].message.contains("expected a file path string"),
        "{ps:?}"
    );
    // With [capacity], every server needs a flavor; the problem names the
    // file, the server and the field.
    let cap = "[capacity.pools.p]\nhosts = 2\nvcpus = 8\nmemory = \"32GiB\"\n\
               [capacity.flavors.small]\nvcpus = 1\nmemory = \"1GiB\"\n";
    let ps = problems(&format!("[ecs]\ninitial_fleet = \"fleet.json\"\n{cap}"));
    assert_eq!(ps.len(), 2, "{ps:#?}");
    assert_eq!(ps[0].field, "ecs.initial_fleet");
    assert!(
        ps[1]
            .message
            .starts_with("fleet.json servers[1]: \"flavor.id\" is missing"),
        "{ps:?}"
    );
    // A broken [capacity] is reported once, not again for every server.
    let ps = problems(&format!(
        "[ecs]\ninitial_fleet = \"fleet.json\"\n{}",
        cap.replace("vcpus = 1\n", "vcpus = 0\n")
    ));
    assert!(ps.iter().all(|p| p.field != "ecs.initial_fleet"), "{ps:#?}");
}

/// A trace is checked once per study: asked again for the same file, map
/// and flavors (another point of a sweep), the study answers from what the
/// first check gave, even if the file has gone since.
#[test]
fn a_trace_is_checked_once_per_study() {
    use crate::demand::trace::{Format, TraceSpec};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.csv");
    std::fs::write(&file, "created_s,deleted_s,flavor\n0,10,\n5,,\n").unwrap();
    let spec = TraceSpec {
        path: "t.csv".into(),
        file: file.clone(),
        format: Format::Csv,
        offset: crate::engine::SimTime::ZERO,
        time_scale: 1.0,
        demand_scale: 1.0,
        flavors: Vec::new(),
        rows: 0,
        span_s: (0.0, 0.0),
    };
    let files = FleetFiles::default();
    assert_eq!(files.check_trace(&spec, None), Ok((2, (0.0, 5.0))));
    std::fs::remove_file(&file).unwrap();
    let other_scale = TraceSpec {
        demand_scale: 2.0,
        ..spec.clone()
    };
    assert_eq!(files.check_trace(&other_scale, None), Ok((2, (0.0, 5.0))));
    // Another study reads the file again, and finds it gone.
    let again = FleetFiles::default().check_trace(&spec, None);
    assert!(again.unwrap_err()[0].contains("cannot be read"));
}

/// A Nova API sample (tests/data/nova): a servers/detail body.
fn nova_sample(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/nova")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The one server of a Nova sample, with the fields an admin sees and a
/// server with a history shows, whichever the sample lacks.
fn nova_server(file: &str) -> Map<String, Value> {
    let sample = nova_sample(file);
    let mut server = sample["servers"][0].as_object().unwrap().clone();
    for (key, value) in [
        ("OS-EXT-SRV-ATTR:host", json!("compute-7")),
        ("tags", json!(["web", "prod"])),
        (
            "fault",
            json!({"code": 500, "created": "2013-09-03T04:01:32Z", "message": "an old one", "details": "kept"}),
        ),
        ("x-unknown", json!({"nested": [1, 2.5, null, "é"]})),
    ] {
        server.entry(key).or_insert(value);
    }
    server
}

/// What the reader keeps of each server is the object the file gave, key
/// for key and in order: the Nova samples at 2.1 and 2.100, with extra
/// fields, in both forms.
#[test]
fn every_server_keeps_its_object_as_the_file_gave_it() {
    for file in [
        "servers-details-resp.json",
        "servers-details-resp-v2.100.json",
    ] {
        let server = nova_server(file);
        let given = serde_json::to_string(&server).unwrap();
        let from_detail = detail(&[Value::Object(server.clone())]);
        let line = json!({"at": "2026-01-01T00:00:00.000Z", "kind": "ecs", "view": "show", "server": server})
            .to_string();
        for text in [from_detail, line] {
            let servers = ecs_read(&text).unwrap_or_else(|e| panic!("{file}: {e:#?}"));
            assert_eq!(servers.len(), 1);
            let kept = serde_json::to_string(&*servers[0].original).unwrap();
            assert_eq!(kept, given, "{file}");
        }
    }
    // The samples as Nova gives them, whole files (with `servers_links`).
    for (file, flavor) in [
        ("servers-details-resp.json", "1"),
        ("servers-details-resp-v2.100.json", "m1.tiny"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let sample = nova_sample(file);
        std::fs::write(
            tmp.path().join(file),
            serde_json::to_string_pretty(&sample).unwrap(),
        )
        .unwrap();
        let fleet = load_msgs(file, tmp.path(), Kind::Ecs, None).unwrap();
        let s = &fleet.servers[0];
        assert_eq!(s.state, pair(VmState::Active, None), "{file}");
        assert_eq!(s.flavor.as_deref(), Some(flavor), "{file}");
        assert_eq!(*s.original, *sample["servers"][0].as_object().unwrap());
    }
}

/// From microversion 2.47 the flavor has no id: its `original_name` names it.
#[test]
fn a_flavor_without_an_id_is_named_by_its_original_name() {
    let server = nova_server("servers-details-resp-v2.100.json");
    assert!(server["flavor"].get("id").is_none());
    let servers = ecs_read(&detail(&[Value::Object(server)])).unwrap();
    assert_eq!(servers[0].flavor.as_deref(), Some("m1.tiny"));
    let bad = with(
        ecs_server("a", "active", None),
        "flavor",
        json!({"original_name": 7, "vcpus": 1}),
    );
    assert_problem(
        &detail(&[bad]),
        Kind::Ecs,
        &["\"flavor.original_name\" 7 is not a string"],
    );
}

/// A BMS line (JSON Lines, as `fleetsim fixtures` writes them now).
fn bms_line(server: Value, fleetsim: Option<Value>) -> String {
    let mut line =
        json!({"at": "2026-01-01T00:00:00.000Z", "kind": "bms", "view": "show", "server": server});
    if let Some(f) = fleetsim {
        line["fleetsim"] = f;
    }
    line.to_string()
}

#[test]
fn a_bms_line_gives_its_lifecycle_state_beside_the_server() {
    let stopped = json!({"id": "m", "status": "SHUTOFF", "OS-EXT-STS:vm_state": "stopped", "OS-EXT-STS:task_state": null});
    let state_of = |text: &str| {
        let s = bms_read(text).unwrap_or_else(|e| panic!("{e:#?}"));
        BmsState::ALL[s[0].state.index()]
    };
    // On the line.
    let line = bms_line(stopped.clone(), Some(json!({"lifecycle_state": "frozen"})));
    assert_eq!(state_of(&line), BmsState::Frozen);
    // In the server, as earlier versions wrote it; not kept in `original`,
    // whose other keys keep their order.
    let legacy = json!({
        "id": "m", "fleetsim:lifecycle_state": "reinstalling_os_failed", "status": "SHUTOFF",
        "OS-EXT-STS:vm_state": "stopped", "OS-EXT-STS:task_state": null
    });
    let legacy = legacy.as_object().unwrap().clone();
    let text = bms_line(Value::Object(legacy.clone()), None);
    let s = bms_read(&text).unwrap();
    assert_eq!(
        BmsState::ALL[s[0].state.index()],
        BmsState::ReinstallingOsFailed
    );
    let keys: Vec<&str> = s[0].original.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "status",
            "OS-EXT-STS:vm_state",
            "OS-EXT-STS:task_state"
        ]
    );
    // Both, the same: fine; differing: a problem at the line.
    let both = bms_line(
        Value::Object(legacy.clone()),
        Some(json!({"lifecycle_state": "reinstalling_os_failed"})),
    );
    assert_eq!(state_of(&both), BmsState::ReinstallingOsFailed);
    let conflict = bms_line(
        Value::Object(legacy),
        Some(json!({"lifecycle_state": "frozen"})),
    );
    assert_problem(
        &format!("{line}\n{conflict}"),
        Kind::Bms,
        &[
            "fleet.json line 2: \"fleetsim.lifecycle_state\" \"frozen\" and the server's \"fleetsim:lifecycle_state\" \"reinstalling_os_failed\" differ",
        ],
    );
    // Unknown members of the line's `fleetsim` are ignored; a `fleetsim`
    // that is not an object is a problem.
    let more = bms_line(
        stopped.clone(),
        Some(json!({"lifecycle_state": "stopped", "next": 1})),
    );
    assert_eq!(state_of(&more), BmsState::Stopped);
    assert_problem(
        &bms_line(stopped.clone(), Some(json!("frozen"))),
        Kind::Bms,
        &["line 1", "\"fleetsim\" \"frozen\" is not an object"],
    );
    // The line's state is checked as the server's was.
    assert_problem(
        &bms_line(stopped.clone(), Some(json!({"lifecycle_state": "running"}))),
        Kind::Bms,
        &["\"fleetsim.lifecycle_state\" \"running\" does not match vm_state \"stopped\""],
    );
    assert_problem(
        &bms_line(stopped.clone(), Some(json!({"lifecycle_state": "asleep"}))),
        Kind::Bms,
        &["\"fleetsim.lifecycle_state\" \"asleep\" is not a BMS state"],
    );
    // Without it, where the pair fits several states, JSON Lines are told
    // where the state goes.
    assert_problem(
        &bms_line(stopped.clone(), None),
        Kind::Bms,
        &["give the line's \"fleetsim\": {\"lifecycle_state\": ...} to say which"],
    );
    // An ECS line's `fleetsim` says nothing to the ECS reader.
    let ecs = json!({"kind": "ecs", "server": ecs_server("e", "active", None), "fleetsim": {"lifecycle_state": "frozen"}});
    assert_eq!(ecs_read(&ecs.to_string()).unwrap().len(), 1);
}

/// Servers in states Nova has and fleetsim does not model, one of each
/// kind of reason, and the reason each gives.
fn unmodelled_servers() -> Vec<(Value, &'static str)> {
    vec![
        (
            with(ecs_server("p", "paused", None), "status", json!("PAUSED")),
            "status PAUSED",
        ),
        (
            with(
                ecs_server("snap", "active", Some("image_snapshot")),
                "status",
                json!("ACTIVE"),
            ),
            "task_state image_snapshot",
        ),
        (
            ecs_server("sh", "shelved_offloaded", None),
            "vm_state shelved_offloaded",
        ),
        (
            ecs_server("sd", "soft-delete", None),
            "vm_state soft-delete",
        ),
        (
            ecs_server("un", "shelved_offloaded", Some("unshelving")),
            "vm_state shelved_offloaded",
        ),
        (
            with(
                ecs_server("pw", "active", Some("updating_password")),
                "status",
                json!("PASSWORD"),
            ),
            "status PASSWORD",
        ),
        // A server of a cell Nova cannot reach shows little but its status.
        (json!({"id": "down", "status": "UNKNOWN"}), "status UNKNOWN"),
    ]
}

#[test]
fn refused_servers_in_unmodelled_states_are_every_one_listed() {
    let cases = unmodelled_servers();
    let mut servers = vec![ecs_server("ok", "active", None)];
    servers.extend(cases.iter().map(|(s, _)| s.clone()));
    let ps = problems(&detail(&servers), Kind::Ecs);
    assert_eq!(ps.len(), cases.len(), "{ps:#?}");
    for (i, p) in ps.iter().enumerate() {
        assert!(
            p.starts_with(&format!("fleet.json servers[{}]: ", i + 1)),
            "{p}"
        );
        assert!(
            p.ends_with("unmodelled = \"skip\" in [ecs] leaves such servers out"),
            "{p}"
        );
    }
    assert_eq!(
        ps[0],
        "fleet.json servers[1]: \"status\" \"PAUSED\": fleetsim does not model ECS servers in status PAUSED (its statuses: BUILD, REBOOT, HARD_REBOOT, REBUILD, MIGRATING, RESIZE, ACTIVE, SHUTOFF, REVERT_RESIZE, VERIFY_RESIZE, ERROR, DELETED); unmodelled = \"skip\" in [ecs] leaves such servers out"
    );
    assert!(
        ps[1].contains("\"OS-EXT-STS:task_state\" \"image_snapshot\": fleetsim does not model ECS servers in task_state image_snapshot (its task_states: scheduling,"),
        "{}",
        ps[1]
    );
    // Many: listed up to the limit, then counted.
    let many: Vec<Value> = (0..25)
        .map(|i| ecs_server(&format!("p{i}"), "paused", None))
        .collect();
    let ps = problems(&detail(&many), Kind::Ecs);
    assert_eq!(ps.len(), MAX_PROBLEMS + 1);
    assert_eq!(ps[20], "and 5 more problems in fleet.json");
}

#[test]
fn skipped_servers_are_left_out_counted_and_named() {
    let cases = unmodelled_servers();
    let mut servers = vec![ecs_server("ok", "active", None)];
    servers.extend(cases.iter().map(|(s, _)| s.clone()));
    servers.push(ecs_server("ok2", "stopped", None));
    let fleet = read_with(&detail(&servers), Kind::Ecs, None, Unmodelled::Skip)
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let ids: Vec<&str> = fleet.servers.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["ok", "ok2"]);
    let skipped: Vec<(&str, String)> = fleet
        .skipped
        .iter()
        .map(|s| (s.id.as_str(), s.reason.to_string()))
        .collect();
    let want: Vec<(&str, String)> = cases
        .iter()
        .map(|(s, why)| (s["id"].as_str().unwrap(), why.to_string()))
        .collect();
    assert_eq!(skipped, want);
    assert_eq!(fleet.skipped[0].reason.short(), "PAUSED");
    assert_eq!(fleet.skipped[1].reason.short(), "task_state image_snapshot");
    let manifest = serde_json::to_value(&fleet).unwrap();
    assert_eq!(manifest["unmodelled"], "skip");
    assert_eq!(manifest["skipped"], cases.len());
    assert_eq!(
        manifest["skipped_ids"][0],
        json!({"id": "p", "reason": "status PAUSED"})
    );
    // The manifest names the first 20, and counts the rest.
    let many: Vec<Value> = (0..25)
        .map(|i| ecs_server(&format!("p{i}"), "suspended", None))
        .collect();
    let fleet = read_with(&detail(&many), Kind::Ecs, None, Unmodelled::Skip).unwrap();
    let manifest = serde_json::to_value(&fleet).unwrap();
    assert_eq!(manifest["skipped"], 25);
    assert_eq!(
        manifest["skipped_ids"].as_array().unwrap().len(),
        MAX_SKIPPED_LISTED
    );
    assert_eq!(manifest["skipped_ids"][19]["id"], "p19");
    // A skipped server needs no flavor of [capacity].
    let cap = capacity();
    let text = detail(&[
        with(
            ecs_server("a", "active", None),
            "flavor",
            json!({"id": "s6.large.2"}),
        ),
        with(
            ecs_server("b", "paused", None),
            "flavor",
            json!({"id": "m1.tiny"}),
        ),
        ecs_server("c", "shelved", None),
    ]);
    let fleet = read_with(&text, Kind::Ecs, Some(&cap), Unmodelled::Skip).unwrap();
    assert_eq!((fleet.servers.len(), fleet.skipped.len()), (1, 2));
}

#[test]
fn what_is_not_novas_is_a_problem_even_when_skipping() {
    let skip = |servers: &[Value]| read_with(&detail(servers), Kind::Ecs, None, Unmodelled::Skip);
    for (server, needles) in [
        (
            ecs_server("a", "pasued", None),
            vec![
                "\"OS-EXT-STS:vm_state\" \"pasued\" is not a Nova vm_state",
                "valid vm_states: building, active, stopped, resized, error, deleted; Nova's other vm_states, which fleetsim does not model for ECS: paused, suspended, rescued, soft-delete, shelved, shelved_offloaded",
            ],
        ),
        (
            ecs_server("a", "active", Some("image_snapshotting")),
            vec![
                "\"OS-EXT-STS:task_state\" \"image_snapshotting\" is not a Nova task_state",
                "valid task_states with active: rebooting",
                "Nova's others fleetsim does not model: image_snapshot,",
            ],
        ),
        (
            ecs_server("a", "paused", Some("nap")),
            vec![
                "\"nap\" is not a Nova task_state",
                "powering-on, resize_reverting, null; Nova's other task_states",
            ],
        ),
        (
            with(ecs_server("a", "paused", None), "status", json!("PAUSD")),
            vec![
                "\"status\" \"PAUSD\" is not a Nova status",
                "PAUSED, SUSPENDED",
            ],
        ),
        // Nova's own values, that Nova would never show together.
        (
            with(ecs_server("a", "paused", None), "status", json!("ACTIVE")),
            vec![
                "\"status\" \"ACTIVE\" does not match vm_state \"paused\" with task_state null, which Nova shows as PAUSED",
            ],
        ),
        (
            with(
                ecs_server("a", "active", Some("image_backup")),
                "status",
                json!("SHELVED"),
            ),
            vec!["which Nova shows as ACTIVE"],
        ),
        // The rest of a skipped server is checked too.
        (
            with(ecs_server("a", "paused", None), "locked", json!("yes")),
            vec!["\"locked\" \"yes\" is not true or false"],
        ),
        (
            json!({"OS-EXT-STS:vm_state": "paused", "OS-EXT-STS:task_state": null}),
            vec!["\"id\" is missing"],
        ),
        // A pair of modelled values the model does not list.
        (
            ecs_server("a", "building", Some("deleting")),
            vec!["\"deleting\" does not go with vm_state \"building\""],
        ),
    ] {
        let ps = skip(&[ecs_server("ok", "active", None), server.clone()]).unwrap_err();
        assert_eq!(ps.len(), 1, "{server}: {ps:#?}");
        for n in needles {
            assert!(ps[0].contains(n), "{n:?} not in {:?}", ps[0]);
        }
    }
}

/// In JSON Lines, the last line of a server says whether it is in a state
/// fleetsim models.
#[test]
fn the_last_line_says_whether_a_server_is_skipped() {
    let line = |server: Value| json!({"kind": "ecs", "server": server}).to_string();
    let text = [
        line(ecs_server("a", "paused", None)),
        line(ecs_server("b", "active", None)),
        line(ecs_server("a", "active", Some("unpausing"))),
        line(ecs_server("a", "active", None)),
        line(ecs_server("b", "suspended", None)),
        line(ecs_server("c", "active", None)),
    ]
    .join("\n");
    let fleet = read_with(&text, Kind::Ecs, None, Unmodelled::Skip).unwrap();
    let ids: Vec<&str> = fleet.servers.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["a", "c"]);
    assert_eq!(fleet.skipped.len(), 1);
    assert_eq!(
        (
            fleet.skipped[0].id.as_str(),
            fleet.skipped[0].reason.to_string()
        ),
        ("b", "vm_state suspended".to_string())
    );
    // Refused, only b is a problem, at its last line.
    let ps = read_with(&text, Kind::Ecs, None, Unmodelled::Refuse).unwrap_err();
    assert_eq!(ps.len(), 1, "{ps:#?}");
    assert!(
        ps[0].starts_with("fleet.json line 5: \"OS-EXT-STS:vm_state\" \"suspended\""),
        "{}",
        ps[0]
    );
}

/// A BMS shows fewer of Nova's values than an ECS: a value no BMS state
/// shows is one fleetsim does not model for BMS.
#[test]
fn bms_servers_in_states_the_bms_model_lacks_are_skipped_too() {
    let text = detail(&[
        json!({"id": "r", "fleetsim:lifecycle_state": "running"}),
        json!({"id": "p", "status": "PAUSED", "OS-EXT-STS:vm_state": "paused", "OS-EXT-STS:task_state": null}),
        json!({"id": "z", "status": "RESIZE", "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:task_state": "resize_prep"}),
        json!({"id": "s", "OS-EXT-STS:vm_state": "building", "OS-EXT-STS:task_state": "scheduling"}),
        json!({"id": "q", "status": "RESCUE"}),
    ]);
    let fleet = read_with(&text, Kind::Bms, None, Unmodelled::Skip).unwrap();
    assert_eq!(fleet.servers.len(), 1);
    let reasons: Vec<String> = fleet
        .skipped
        .iter()
        .map(|s| format!("{} {}", s.id, s.reason))
        .collect();
    assert_eq!(
        reasons,
        [
            "p status PAUSED",
            "z status RESIZE",
            "s task_state scheduling",
            "q status RESCUE"
        ]
    );
    let ps = read_with(&text, Kind::Bms, None, Unmodelled::Refuse).unwrap_err();
    assert_eq!(ps.len(), 4, "{ps:#?}");
    assert!(
        ps[0].contains("fleetsim does not model BMS servers in status PAUSED (its statuses: BUILD, REBOOT, HARD_REBOOT, ACTIVE, SHUTOFF, ERROR, DELETED)"),
        "{}",
        ps[0]
    );
    // fleetsim's own lifecycle state says it models the server.
    assert_problem(
        &detail(&[
            json!({"id": "m", "fleetsim:lifecycle_state": "running", "OS-EXT-STS:vm_state": "paused"}),
        ]),
        Kind::Bms,
        &[
            "\"fleetsim:lifecycle_state\" \"running\" does not go with vm_state \"paused\", which no BMS state shows",
        ],
    );
}

#[test]
fn a_scenario_says_what_to_do_with_unmodelled_servers_next_to_its_fleet() {
    use crate::scenario::Scenario;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("fleet.json"),
        detail(&[
            ecs_server("a", "active", None),
            ecs_server("p", "paused", None),
        ]),
    )
    .unwrap();
    let write = |section: &str| {
        let p = dir.join("s.toml");
        std::fs::write(&p, format!("name = \"t\"\nhorizon = \"1d\"\n{section}")).unwrap();
        p
    };
    let sc = Scenario::load(&write(
        "[ecs]\ninitial_fleet = \"fleet.json\"\nunmodelled = \"skip\"\n",
    ))
    .unwrap();
    let ecs = sc.ecs.as_ref().unwrap();
    let fleet = ecs.initial_fleet.as_ref().unwrap();
    assert_eq!(ecs.initial, 1);
    assert_eq!(
        (fleet.unmodelled, fleet.skipped.len()),
        (Unmodelled::Skip, 1)
    );
    // The default refuses.
    let ps = Scenario::load(&write("[ecs]\ninitial_fleet = \"fleet.json\"\n"))
        .unwrap_err()
        .problems;
    assert_eq!(ps.len(), 1, "{ps:#?}");
    assert!(
        ps[0]
            .message
            .contains("servers[1]: \"OS-EXT-STS:vm_state\" \"paused\"")
    );
    for (section, field, needle) in [
        (
            "[ecs]\ninitial_fleet = \"fleet.json\"\nunmodelled = \"ignore\"\n",
            "ecs.unmodelled",
            "\"ignore\" is not valid here; valid values: \"refuse\", \"skip\"",
        ),
        (
            "[bms]\nunmodelled = \"skip\"\n",
            "bms.unmodelled",
            "is given without initial_fleet",
        ),
    ] {
        // That one problem: with a bad value, the file's paused server is
        // not reported as well.
        let ps = Scenario::load(&write(section)).unwrap_err().problems;
        assert_eq!(ps.len(), 1, "{section}: {ps:#?}");
        assert_eq!(ps[0].field, field);
        assert!(ps[0].message.contains(needle), "{section}: {ps:#?}");
    }
}
