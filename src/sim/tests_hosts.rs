//! The physical side driven by hand: placement layouts, double holding by
//! resizes and migrations, no valid host, scheduler retries, host failures
//! and auto-recovery, each on a small hand-made pool.

use super::tests::{Log, finish_op, ops, scenario, started};
use super::*;
use super::{By, Response};
use crate::capacity::NO_HOST;
use crate::capacity::spec::{BmsPoolSpec, CapacitySpec, FlavorSpec, PlacementPolicy, PoolSpec};
use crate::model::ecs::{TaskState, VmState, state as ecs_state};
use crate::model::{Op, StateId, Status};
use crate::scenario::Dist;

/// One ECS pool of `hosts` hosts with `vcpus` vCPUs (memory never binds),
/// and flavors of the given vCPUs (equal weights for new servers and for
/// resize targets).
pub(super) fn spec(
    hosts: u32,
    vcpus: u32,
    flavors: &[u32],
    policy: PlacementPolicy,
) -> CapacitySpec {
    CapacitySpec {
        placement: policy,
        pools: vec![PoolSpec {
            name: "p".into(),
            hosts,
            vcpus,
            memory_mib: 1 << 30,
            cpu_overcommit: 1.0,
            memory_overcommit: 1.0,
        }],
        flavors: flavors
            .iter()
            .enumerate()
            .map(|(i, &v)| FlavorSpec {
                name: format!("f{i}"),
                vcpus: v,
                memory_mib: 1024,
                pool: 0,
                weight: 1.0,
                resize_weight: 1.0,
                growth: None,
            })
            .collect(),
        bms_pools: Vec::new(),
        domains: Vec::new(),
        host_failures: None,
        build_attempts: 3,
        stopped_releases: false,
        auto_recovery: true,
        recovery_interval: SimTime::from_secs(12 * 3600),
        recovery_delay: Dist::fixed(SimTime::from_secs(300)),
        ecs_holds: Vec::new(),
        bms_holds: Vec::new(),
    }
}

pub(super) fn with(body: &str, cap: CapacitySpec) -> Scenario {
    let mut sc = scenario(body);
    sc.capacity = Some(cap);
    sc
}

pub(super) fn cap<'a>(sim: &'a Simulation) -> &'a crate::capacity::Capacity {
    sim.capacity.as_ref().expect("capacity")
}

/// Instances on each host.
fn layout(sim: &Simulation) -> Vec<u32> {
    cap(sim).hosts.iter().map(|h| h.instances).collect()
}

fn active() -> StateId {
    ecs_state(VmState::Active, None)
}

#[test]
fn placement_policies_produce_their_layouts() {
    // Five 1-vCPU servers on three 4-vCPU hosts, placed one by one.
    let cases = [
        (PlacementPolicy::FirstFit, vec![4, 1, 0]),
        (PlacementPolicy::Spread, vec![2, 2, 1]),
        (PlacementPolicy::Pack, vec![4, 1, 0]),
    ];
    for (policy, want) in cases {
        let sc = with("[ecs]\ninitial = 5\n", spec(3, 4, &[1], policy));
        let mut rec = NullRecorder;
        let sim = started(&sc, &mut rec);
        assert_eq!(layout(&sim), want, "{policy:?}");
    }
    // Where first fit and pack differ: hosts loaded 1, 3, 2 of 4; the next
    // server goes to the first host (first fit), the fullest (pack), the
    // emptiest (spread).
    for (policy, want) in [
        (PlacementPolicy::FirstFit, 0),
        (PlacementPolicy::Pack, 1),
        (PlacementPolicy::Spread, 0),
    ] {
        let sc = with("[ecs]\ninitial = 0\n", spec(3, 4, &[1], policy));
        let mut rec = NullRecorder;
        let mut sim = started(&sc, &mut rec);
        let c = sim.capacity.as_mut().expect("capacity");
        for (id, host) in [0, 1, 1, 1, 2, 2].into_iter().enumerate() {
            c.arrive(
                id as u32,
                Kind::Ecs,
                SimTime::ZERO,
                &mut crate::engine::stream(1, 0, crate::engine::Purpose::Server),
            );
            c.attach(id as u32, host, SimTime::ZERO);
        }
        assert_eq!(c.place(0, NO_HOST), Some(want), "{policy:?}");
    }
}

#[test]
fn a_resize_holds_both_hosts_until_confirmed_or_reverted() {
    for confirm in [true, false] {
        // Flavors of 1 and 2 vCPUs: the resize goes from one to the other.
        let sc = with(
            "[ecs]\ninitial = 1\n",
            spec(2, 8, &[1, 2], PlacementPolicy::FirstFit),
        );
        let mut rec = NullRecorder;
        let mut sim = started(&sc, &mut rec);
        let before = cap(&sim).of(0);
        let (v0, v1) = (1 + before.flavor as u64, 2 - before.flavor as u64);
        assert_eq!(sim.request(0, Op::Resize, By::User), Response::Accepted);
        let a = cap(&sim).of(0);
        assert_eq!(a.host, before.host);
        assert_ne!(a.dest, NO_HOST);
        assert_ne!(a.dest, a.host, "Nova resizes to another host");
        let usage = |sim: &Simulation| cap(sim).pools[0].usage;
        assert_eq!(usage(&sim).vcpus, v0 + v1);
        assert_eq!(usage(&sim).double_vcpus, v1);
        finish_op(&mut sim, 0);
        let verify = ecs_state(VmState::Resized, None);
        assert_eq!(sim.servers.fleet.get(0).state, verify);
        assert_eq!(usage(&sim).double_vcpus, v1, "held until the decision");
        let op = if confirm {
            Op::ConfirmResize
        } else {
            Op::RevertResize
        };
        assert_eq!(sim.request(0, op, By::User), Response::Accepted);
        finish_op(&mut sim, 0);
        let after = cap(&sim).of(0);
        assert_eq!(usage(&sim).double_vcpus, 0);
        assert_eq!(after.dest, NO_HOST);
        if confirm {
            assert_eq!((after.host, after.flavor), (a.dest, a.dest_flavor));
            assert_eq!(usage(&sim).vcpus, v1);
        } else {
            assert_eq!((after.host, after.flavor), (before.host, before.flavor));
            assert_eq!(usage(&sim).vcpus, v0);
        }
        // The double holding shows in the statistics: v1 vCPUs for exactly
        // as long as the resize lasted until the decision.
        sim.capacity
            .as_mut()
            .expect("capacity")
            .close(sim.core.queue.now());
        let held = cap(&sim).pools[0].stats.double_vcpus_area;
        assert_eq!(held, v1 as u128 * sim.core.queue.now().ms() as u128);
    }
}

#[test]
fn a_move_without_a_destination_is_refused_and_changes_nothing() {
    // One host: no other host to move to.
    let sc = with(
        "[ecs]\ninitial = 1\n",
        spec(1, 8, &[1, 2], PlacementPolicy::Spread),
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    for op in [Op::Resize, Op::LiveMigrate] {
        let before = cap(&sim).of(0);
        assert_eq!(sim.request(0, op, By::Admin), Response::RefusedCapacity);
        assert_eq!(
            sim.servers.fleet.get(0).state,
            active(),
            "vm_state kept, task cleared"
        );
        assert!(sim.servers.fleet.get(0).op.is_none());
        assert_eq!(cap(&sim).of(0), before);
        assert_eq!(ops(&sim, op).refused_capacity, 1);
    }
    let c = &cap(&sim).pools[0].stats.counters;
    assert_eq!((c.resizes, c.resizes_refused), (1, 1));
    assert_eq!((c.migrations, c.migrations_refused), (1, 1));
}

#[test]
fn a_live_migration_moves_to_its_destination() {
    let sc = with(
        "[ecs]\ninitial = 1\n",
        spec(2, 4, &[2], PlacementPolicy::FirstFit),
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    assert_eq!(cap(&sim).of(0).host, 0);
    assert_eq!(
        sim.request(0, Op::LiveMigrate, By::Admin),
        Response::Accepted
    );
    assert_eq!(cap(&sim).pools[0].usage.vcpus, 4);
    finish_op(&mut sim, 0);
    assert_eq!(cap(&sim).of(0).host, 1);
    assert_eq!(layout(&sim), vec![0, 1]);
    assert_eq!(cap(&sim).pools[0].usage.double_vcpus, 0);
}

#[test]
fn a_create_with_no_room_ends_in_error_for_ecs_and_is_rolled_back_for_bms() {
    // ECS: one host with room for one server, which the initial fleet takes.
    let sc = with(
        "[ecs]\ninitial = 1\n[ecs.failures]\ncreate = { prob = 0 }\n",
        spec(1, 1, &[1], PlacementPolicy::Spread),
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    sim.create(Kind::Ecs, None);
    let id = 1;
    assert_eq!(
        sim.servers.fleet.get(id).state,
        ecs_state(VmState::Building, Some(TaskState::Scheduling))
    );
    finish_op(&mut sim, id);
    assert_eq!(
        sim.servers.fleet.get(id).state,
        ecs_state(VmState::Error, None)
    );
    assert!(!sim.servers.fleet.get(id).has(crate::fleet::flag::LAUNCHED));
    assert_eq!(
        cap(&sim).of(id).host,
        NO_HOST,
        "an ERROR build holds nothing"
    );
    assert_eq!(ops(&sim, Op::Create).refused_capacity, 1);
    let c = &cap(&sim).pools[0].stats.counters;
    assert_eq!((c.creates, c.creates_blocked), (1, 1));

    // BMS: one node, taken.
    let mut bms = spec(0, 1, &[], PlacementPolicy::Spread);
    bms.pools.clear();
    bms.bms_pools = vec![BmsPoolSpec {
        flavor: "physical".into(),
        nodes: 1,
        weight: 1.0,
    }];
    let sc = with("[bms]\ninitial = 1\n", bms);
    let mut rec = Log::default();
    {
        let mut sim = started(&sc, &mut rec);
        sim.create(Kind::Bms, None);
        assert!(
            !sim.servers.fleet.get(1).has(crate::fleet::flag::ALIVE),
            "rolled back"
        );
        assert_eq!(sim.servers.stats[0].population_now(), 1);
        assert_eq!(ops(&sim, Op::Create).refused_capacity, 1);
    }
    assert_eq!(rec.0.last().map(|c| c.cause), Some(Cause::NoValidHost));
}

#[test]
fn a_failed_build_is_rescheduled_to_another_host_then_ends_in_error() {
    // Every build fails: 3 attempts on 3 different hosts, 2 retries, then
    // ERROR with nothing held.
    let sc = with(
        "[ecs]\ninitial = 0\n[ecs.failures]\ncreate = { prob = 1 }\n",
        spec(4, 4, &[1], PlacementPolicy::Spread),
    );
    let mut rec = Log::default();
    {
        let mut sim = started(&sc, &mut rec);
        sim.create(Kind::Ecs, None);
        finish_op(&mut sim, 0);
        assert_eq!(
            sim.servers.fleet.get(0).state,
            ecs_state(VmState::Error, None)
        );
        assert_eq!(cap(&sim).of(0).host, NO_HOST);
        assert_eq!(cap(&sim).of(0).attempts, 3);
        assert_eq!(cap(&sim).pools[0].stats.counters.build_retries, 2);
        assert_eq!(cap(&sim).pools[0].usage.vcpus, 0);
        let c = ops(&sim, Op::Create);
        assert_eq!((c.started, c.failed), (1, 1), "one request, one failure");
    }
    // A retry shows in the trace as a return to scheduling (unless the
    // attempt failed in that very step, which changes no state).
    let scheduling = ecs_state(VmState::Building, Some(TaskState::Scheduling));
    let retries: Vec<&Change> = rec
        .0
        .iter()
        .filter(|c| c.cause == Cause::Reschedule)
        .collect();
    assert!(retries.len() <= 2);
    assert!(
        retries
            .iter()
            .all(|c| c.to.map(|t| t.0) == Some(scheduling))
    );
}

#[test]
fn a_host_failure_puts_exactly_its_servers_in_error_and_recovery_needs_room() {
    // Three 2-vCPU hosts, 1-vCPU servers laid out first fit: 2, 2, 1. Host 0
    // fails: its two servers go to ERROR, the others do not; only host 2
    // has room (one slot), so one server is evacuated, one stays in ERROR.
    let sc = with(
        "[ecs]\ninitial = 5\n[ecs.failures]\nrebuild = { prob = 0 }\n[ecs.faults]\nrepair = \"off\"\n",
        spec(3, 2, &[1], PlacementPolicy::FirstFit),
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    assert_eq!(layout(&sim), vec![2, 2, 1]);
    let on = |sim: &Simulation, h: u32| -> Vec<u32> {
        (0..5).filter(|&id| cap(sim).of(id).host == h).collect()
    };
    let victims = on(&sim, 0);
    sim.on_host_failure(0);
    let error = ecs_state(VmState::Error, None);
    for id in 0..5 {
        let hit = victims.contains(&id);
        assert_eq!(sim.servers.fleet.get(id).state == error, hit, "server {id}");
    }
    let c = &cap(&sim).pools[0].stats.counters;
    assert_eq!((c.host_failures, c.host_failure_hits), (1, 2));
    // Both evacuations are due after the recovery delay.
    while sim
        .core
        .queue
        .peek_time()
        .is_some_and(|t| t <= SimTime::from_secs(300))
    {
        let (_, e) = sim.core.queue.pop().expect("evacuations pending");
        if matches!(e, Event::Evacuate { .. }) {
            sim.dispatch(e);
        }
    }
    let rebuilding = ecs_state(VmState::Error, Some(TaskState::Rebuilding));
    let moved: Vec<u32> = victims
        .iter()
        .copied()
        .filter(|&id| sim.servers.fleet.get(id).state == rebuilding)
        .collect();
    assert_eq!(moved.len(), 1, "room for one only");
    assert_eq!(sim.servers.fleet.get(moved[0]).status, Status::Rebuild);
    assert_eq!(cap(&sim).of(moved[0]).host, 2);
    let stranded = victims
        .iter()
        .find(|id| !moved.contains(id))
        .copied()
        .unwrap();
    assert_eq!(sim.servers.fleet.get(stranded).state, error);
    assert_eq!(cap(&sim).of(stranded).host, 0, "waits on its failed host");
    let c = &cap(&sim).pools[0].stats.counters;
    assert_eq!((c.evacuations, c.evacuations_stranded), (1, 1));
    assert_eq!(layout(&sim), vec![1, 2, 2]);
    finish_op(&mut sim, moved[0]);
    assert_eq!(sim.servers.fleet.get(moved[0]).state, active(), "restarted");
    // The host comes back: the admin resets the stranded server there.
    sim.on_host_repair(0);
    assert_eq!(sim.servers.fleet.get(stranded).state, active());
    assert_eq!(cap(&sim).of(stranded).host, 0);
}

#[test]
fn auto_recovery_happens_at_most_once_per_interval() {
    let sc = with(
        "[ecs]\ninitial = 1\n[ecs.failures]\nrebuild = { prob = 0 }\n",
        spec(3, 2, &[1], PlacementPolicy::FirstFit),
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    let mut hosts = vec![cap(&sim).of(0).host];
    for _ in 0..2 {
        let h = cap(&sim).of(0).host;
        sim.on_host_failure(h);
        while sim.servers.fleet.get(0).state == ecs_state(VmState::Error, None) {
            let (_, e) = sim.core.queue.pop().expect("pending");
            if matches!(e, Event::Evacuate { .. }) {
                sim.dispatch(e);
            }
            if sim.core.queue.now() > SimTime::from_secs(3600) {
                break;
            }
        }
        finish_op(&mut sim, 0);
        hosts.push(cap(&sim).of(0).host);
    }
    // The first failure moved it; the second, within 12 hours, did not.
    assert_ne!(hosts[1], hosts[0]);
    assert_eq!(hosts[2], hosts[1]);
    assert_eq!(
        sim.servers.fleet.get(0).state,
        ecs_state(VmState::Error, None)
    );
    let c = &cap(&sim).pools[0].stats.counters;
    assert_eq!((c.evacuations, c.recoveries_throttled), (1, 1));
}

#[test]
fn a_stopped_server_gives_its_host_back_when_stopped_releases() {
    let mut cs = spec(1, 1, &[1], PlacementPolicy::Spread);
    cs.stopped_releases = true;
    let sc = with(
        "[ecs]\ninitial = 1\n[ecs.failures]\nstop = { prob = 0 }\nstart = { prob = 0 }\n",
        cs,
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    assert_eq!(sim.request(0, Op::Stop, By::User), Response::Accepted);
    finish_op(&mut sim, 0);
    assert_eq!(cap(&sim).of(0).host, NO_HOST);
    assert_eq!(cap(&sim).pools[0].usage.vcpus, 0);
    // Someone else takes the only slot; the start finds no room.
    sim.create(Kind::Ecs, None);
    finish_op(&mut sim, 1);
    assert_eq!(cap(&sim).of(1).host, 0);
    assert_eq!(
        sim.request(0, Op::Start, By::User),
        Response::RefusedCapacity
    );
    assert_eq!(
        sim.servers.fleet.get(0).state,
        ecs_state(VmState::Stopped, None)
    );
    // Once it is gone, the start is placed again.
    sim.request(1, Op::Delete, By::User);
    finish_op(&mut sim, 1);
    assert_eq!(sim.request(0, Op::Start, By::User), Response::Accepted);
    assert_eq!(cap(&sim).of(0).host, 0);
}
