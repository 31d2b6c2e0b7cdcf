//! Starting from an imported fleet (`initial_fleet`): servers counted at
//! t = 0 in exactly their states, operations in progress going on from
//! their step, stable states settling as the generated fleet's do, and
//! imported servers taking hosts of their flavor.

use super::tests::{Log, finish_op, ops, scenario, started};
use super::tests_hosts::{cap, spec, with};
use super::*;
use crate::capacity::NO_HOST;
use crate::capacity::spec::PlacementPolicy;
use crate::fleet::flag;
use crate::model::bms::BmsState;
use crate::model::ecs::{TaskState, VmState, state as ecs_state};
use crate::model::{Op, StateId, Status};
use crate::scenario::fleet_file::{Unmodelled, read_str};
use serde_json::{Value, json};

fn ecs(vm: VmState, task: Option<TaskState>) -> StateId {
    ecs_state(vm, task)
}

/// An ECS server object: id, pair, and further fields.
fn server(id: &str, vm: &str, task: Option<&str>, more: Value) -> Value {
    let mut v = json!({ "id": id, "OS-EXT-STS:vm_state": vm, "OS-EXT-STS:task_state": task });
    if let (Some(o), Value::Object(m)) = (v.as_object_mut(), more) {
        o.extend(m);
    }
    v
}

/// A BMS server object in a lifecycle state, with further fields.
fn bms(id: &str, state: &str, more: Value) -> Value {
    let mut v = json!({ "id": id, "fleetsim:lifecycle_state": state });
    if let (Some(o), Value::Object(m)) = (v.as_object_mut(), more) {
        o.extend(m);
    }
    v
}

/// `sc` with the kind's initial fleet read from a servers/detail response.
fn import(mut sc: Scenario, kind: Kind, servers: &[Value]) -> Scenario {
    let text = json!({ "servers": servers }).to_string();
    let fleet = read_str(
        &text,
        "fleet.json",
        kind,
        sc.capacity.as_ref(),
        Unmodelled::Refuse,
    )
    .unwrap_or_else(|e| panic!("{e:#?}"));
    let spec = match kind {
        Kind::Ecs => sc.ecs.as_mut(),
        Kind::Bms => sc.bms.as_mut(),
    }
    .expect("the scenario has the kind");
    spec.initial = fleet.servers.len() as u32;
    spec.initial_fleet = Some(std::sync::Arc::new(fleet));
    sc
}

/// Processes every event up to time `t`.
fn run_until(sim: &mut Simulation, t: SimTime) {
    while sim.core.queue.peek_time().is_some_and(|at| at <= t) {
        let (_, e) = sim.core.queue.pop().expect("peeked");
        sim.dispatch(e);
    }
}

fn count(stats: &crate::stats::KindStats, s: StateId) -> u64 {
    stats.detail.counts()[s.index()]
}

fn shown(stats: &crate::stats::KindStats, st: Status) -> u64 {
    stats.status.counts()[st as usize]
}

#[test]
fn imported_servers_are_counted_at_t0_in_exactly_their_states() {
    let sc = scenario("[ecs]\n[bms]\n");
    let sc = import(
        sc,
        Kind::Ecs,
        &[
            server("a", "active", None, json!({"locked": true})),
            server("s", "stopped", None, json!({})),
            server("r", "active", Some("rebooting"), json!({})),
            server("v", "resized", None, json!({"OS-EXT-STS:power_state": 4})),
            server("b", "building", Some("spawning"), json!({})),
            server("e", "error", None, json!({})),
            server("m", "active", Some("migrating"), json!({})),
            server("d", "stopped", Some("deleting"), json!({})),
            server("gone", "deleted", None, json!({})),
        ],
    );
    let sc = import(
        sc,
        Kind::Bms,
        &[
            bms("p", "running", json!({})),
            bms("f", "frozen", json!({"locked": true})),
            bms("x", "deleting", json!({"status": "SHUTOFF"})),
            bms("q", "restarting", json!({})),
        ],
    );
    let mut rec = Log::default();
    {
        let sim = started(&sc, &mut rec);
        let (e, b) = (&sim.servers.stats[0], &sim.servers.stats[1]);
        assert_eq!(e.population_now(), 8);
        for (state, n) in [
            (ecs(VmState::Active, None), 1),
            (ecs(VmState::Stopped, None), 1),
            (ecs(VmState::Active, Some(TaskState::Rebooting)), 1),
            (ecs(VmState::Resized, None), 1),
            (ecs(VmState::Building, Some(TaskState::Spawning)), 1),
            (ecs(VmState::Error, None), 1),
            (ecs(VmState::Active, Some(TaskState::Migrating)), 1),
            (ecs(VmState::Stopped, Some(TaskState::Deleting)), 1),
        ] {
            assert_eq!(
                count(e, state),
                n,
                "{}",
                sim.kinds[0].machine.state_names[state.index()]
            );
        }
        for (st, n) in [
            (Status::Active, 1),
            (Status::Shutoff, 2),
            (Status::Reboot, 1),
            (Status::VerifyResize, 1),
            (Status::Build, 1),
            (Status::Error, 1),
            (Status::Migrating, 1),
        ] {
            assert_eq!(shown(e, st), n, "{st:?}");
        }
        assert_eq!(b.population_now(), 4);
        for s in [
            BmsState::Running,
            BmsState::Frozen,
            BmsState::Deleting,
            BmsState::Restarting,
        ] {
            assert_eq!(count(b, s.id()), 1, "{s:?}");
        }
        // Deleting shows the status of the state it was deleted from.
        assert_eq!(shown(b, Status::Shutoff), 2);
        assert_eq!((shown(b, Status::Active), shown(b, Status::Reboot)), (1, 1));
        // Lock, launch, the owner's wishes and the operations in progress.
        let srv = |id: u32| *sim.servers.fleet.get(id);
        assert!(srv(0).has(flag::LOCKED) && !srv(1).has(flag::LOCKED));
        assert!(!srv(4).has(flag::LAUNCHED) && !srv(5).has(flag::LAUNCHED));
        assert!(srv(0).has(flag::LAUNCHED) && srv(2).has(flag::LAUNCHED));
        assert!(srv(1).has(flag::NOT_WANTED) && !srv(0).has(flag::NOT_WANTED));
        assert!(srv(7).has(flag::PENDING_DELETE) && srv(10).has(flag::PENDING_DELETE));
        assert_eq!(srv(3).saved, ecs(VmState::Stopped, None));
        assert_eq!(
            [2, 4, 6, 7].map(|id| srv(id).op),
            [
                Some(Op::Reboot),
                Some(Op::Create),
                Some(Op::LiveMigrate),
                Some(Op::Delete)
            ]
        );
        assert_eq!((srv(2).step, srv(4).step), (0, 3));
        assert_eq!((srv(0).op, srv(3).op), (None, None));
        assert_eq!(srv(10).origin, BmsState::Stopped.id());
        // Counted as requested and started, so the operation counts add up.
        let r = ops(&sim, Op::Reboot);
        assert_eq!((r.requested, r.started), (1, 1));
    }
    // One `initial` appearance per imported server, in file order, with its lock.
    let initial: Vec<(Kind, u32, bool)> = rec
        .0
        .iter()
        .filter(|c| c.cause == Cause::Initial)
        .map(|c| (c.kind, c.serial, c.locked))
        .collect();
    let want: Vec<(Kind, u32, bool)> = (0..8)
        .map(|i| (Kind::Ecs, i, i == 0))
        .chain((8..12).map(|i| (Kind::Bms, i, i == 9)))
        .collect();
    assert_eq!(initial, want);
    assert!(rec.0.iter().all(|c| c.cause == Cause::Initial));
}

#[test]
fn operations_in_progress_go_on_from_the_step_they_are_in() {
    let sc = scenario(
        "[ecs]\n[ecs.steps]\nreboot_pending = \"5s\"\nreboot_started = \"20s\"\nspawning = \"1m\"\n\
         resize_finish = \"30s\"\n[ecs.resize]\nconfirm_prob = 1.0\ndecision_delay = \"10m\"\n\
         [bms]\n[bms.steps]\ndeleting = \"4m\"\n",
    );
    let sc = import(
        sc,
        Kind::Ecs,
        &[
            server("r", "active", Some("reboot_pending"), json!({})),
            server("b", "building", Some("spawning"), json!({})),
            server("z", "stopped", Some("resize_finish"), json!({})),
        ],
    );
    let sc = import(
        sc,
        Kind::Bms,
        &[
            json!({"id": "x", "status": "SHUTOFF", "OS-EXT-STS:vm_state": "stopped",
                 "OS-EXT-STS:task_state": "deleting"}),
        ],
    );
    let mut rec = Log::default();
    {
        let mut sim = started(&sc, &mut rec);
        let active = ecs(VmState::Active, None);
        // The reboot: reboot_pending (5 s), reboot_started (20 s), active.
        finish_op(&mut sim, 0);
        assert_eq!(sim.servers.fleet.get(0).state, active);
        assert_eq!(sim.core.queue.now(), SimTime::from_secs(25));
        let r = ops(&sim, Op::Reboot);
        assert_eq!((r.started, r.succeeded), (1, 1));
        // The build ends in active and the server has launched.
        finish_op(&mut sim, 1);
        assert_eq!(sim.servers.fleet.get(1).state, active);
        assert!(sim.servers.fleet.get(1).has(flag::LAUNCHED));
        // The resize of a stopped server reaches VERIFY_RESIZE, and the
        // confirm returns it to stopped.
        finish_op(&mut sim, 2);
        assert_eq!(sim.servers.fleet.get(2).state, ecs(VmState::Resized, None));
        run_until(&mut sim, SimTime::from_secs(3600));
        assert_eq!(sim.servers.fleet.get(2).state, ecs(VmState::Stopped, None));
        // The BMS deleted from SHUTOFF is gone (and purged).
        assert!(!sim.servers.fleet.get(3).has(flag::ALIVE));
        assert_eq!(sim.servers.stats[1].population_now(), 0);
    }
    let bms: Vec<(Cause, Option<Status>, Option<StateId>)> = rec
        .0
        .iter()
        .filter(|c| c.kind == Kind::Bms)
        .map(|c| (c.cause, c.to.map(|t| t.1), c.to.map(|t| t.0)))
        .collect();
    assert_eq!(
        bms,
        [
            (
                Cause::Initial,
                Some(Status::Shutoff),
                Some(BmsState::Deleting.id())
            ),
            (
                Cause::Op(Op::Delete),
                Some(Status::Deleted),
                Some(BmsState::Deleted.id())
            ),
            (Cause::Purge, None, None),
        ]
    );
    let reboot: Vec<String> = rec
        .0
        .iter()
        .filter(|c| c.serial == 0)
        .map(|c| format!("{}", c.cause))
        .collect();
    assert_eq!(reboot, ["initial", "reboot", "reboot"]);
}

#[test]
fn a_resumed_operation_fails_only_in_the_steps_it_has_left() {
    let sc = scenario(
        "[ecs]\n[ecs.failures]\nreboot = { prob = 1.0 }\n[ecs.faults]\nrepair = \"off\"\n",
    );
    let sc = import(
        sc,
        Kind::Ecs,
        &[server("r", "active", Some("reboot_started"), json!({}))],
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    assert_eq!(sim.servers.fleet.get(0).fail_step, 2);
    finish_op(&mut sim, 0);
    assert_eq!(sim.servers.fleet.get(0).state, ecs(VmState::Error, None));
    assert_eq!(ops(&sim, Op::Reboot).failed, 1);
}

#[test]
fn stable_imported_states_settle_as_the_generated_fleet_does() {
    let sc = scenario(
        "[ecs]\n[ecs.faults]\nrepair = \"1h\"\n[ecs.resize]\nconfirm_prob = 1.0\ndecision_delay = \"2h\"\n\
         [bms]\n[bms.freeze]\nrate = \"0/d\"\nrenew_prob = 1.0\nrenew_delay = \"1d\"\n",
    );
    let launched = json!({"OS-SRV-USG:launched_at": "2026-01-01T00:00:00.000000"});
    let sc = import(
        sc,
        Kind::Ecs,
        &[
            server("e", "error", None, launched.clone()),
            server("v", "resized", None, json!({"OS-EXT-STS:power_state": 1})),
            server("u", "error", None, json!({})),
        ],
    );
    let sc = import(sc, Kind::Bms, &[bms("f", "frozen", json!({}))]);
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    run_until(&mut sim, SimTime::from_secs(2 * 86_400));
    let active = ecs(VmState::Active, None);
    // Repaired by the admin; confirmed by its owner.
    assert_eq!(sim.servers.fleet.get(0).state, active);
    assert_eq!(sim.servers.fleet.get(1).state, active);
    // A first build that failed is reset too, and launches then (docs/model.md §2).
    assert_eq!(sim.servers.fleet.get(2).state, active);
    assert!(sim.servers.fleet.get(2).has(flag::LAUNCHED));
    // Billing renews the frozen server: unfrozen to stopped.
    assert_eq!(sim.servers.fleet.get(3).state, BmsState::Stopped.id());
}

#[test]
fn imported_servers_take_hosts_of_their_flavor() {
    // Two hosts of 4 vCPUs; flavors f0 (1 vCPU) and f1 (2 vCPUs).
    let sc = with("[ecs]\n", spec(2, 4, &[1, 2], PlacementPolicy::FirstFit));
    let f = |name: &str| json!({"flavor": {"id": name}});
    let sc = import(
        sc,
        Kind::Ecs,
        &[
            server("a", "active", None, f("f0")),
            server("v", "resized", None, f("f1")),
            server("s", "building", Some("scheduling"), f("f0")),
            server("e", "error", None, f("f1")),
            server("n", "building", Some("networking"), f("f0")),
        ],
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    let c = cap(&sim);
    let names: Vec<&str> = (0..5)
        .map(|id| c.flavors[c.of(id).flavor as usize].name.as_str())
        .collect();
    assert_eq!(names, ["f0", "f1", "f0", "f1", "f0"]);
    // VERIFY_RESIZE holds its host and a second one.
    let v = c.of(1);
    assert!(v.host != NO_HOST && v.dest != NO_HOST && v.host != v.dest);
    // A build not yet scheduled, and a first build that failed, hold nothing.
    assert_eq!((c.of(2).host, c.of(3).host), (NO_HOST, NO_HOST));
    assert_ne!(c.of(4).host, NO_HOST);
    assert_eq!(c.pools[0].usage.vcpus, 1 + 2 + 2 + 1);
    // The scheduling step ends: the build is placed, and counted as a create.
    finish_op(&mut sim, 2);
    assert_ne!(cap(&sim).of(2).host, NO_HOST);
    assert_eq!(cap(&sim).pools[0].stats.counters.creates, 1);

    // One host of 1 vCPU: the second server fits nowhere and is dropped.
    let sc = with("[ecs]\n", spec(1, 1, &[1], PlacementPolicy::FirstFit));
    let sc = import(
        sc,
        Kind::Ecs,
        &[
            server("a", "active", None, f("f0")),
            server("b", "stopped", None, f("f0")),
        ],
    );
    let mut rec = Log::default();
    {
        let sim = started(&sc, &mut rec);
        assert_eq!(sim.servers.stats[0].population_now(), 1);
        assert_eq!(cap(&sim).pools[0].initial_unplaced, 1);
    }
    let causes: Vec<(u32, Cause)> = rec.0.iter().map(|c| (c.serial, c.cause)).collect();
    assert_eq!(
        causes,
        [
            (0, Cause::Initial),
            (1, Cause::Initial),
            (1, Cause::NoValidHost)
        ]
    );
}
