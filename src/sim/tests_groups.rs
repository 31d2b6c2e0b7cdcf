//! Deployments and server groups (docs/model.md §8.9): a deployment placed
//! as a whole or refused as a whole, each policy's layout, and, as
//! properties, that no placement ever breaks a hard policy, on the
//! capacity side alone and through whole simulations.

use super::tests::started;
use super::tests_hosts::{cap, spec, with};
use super::*;
use crate::capacity::groups::GroupPolicy;
use crate::capacity::spec::{BmsPoolSpec, PlacementPolicy};
use crate::capacity::{Capacity, NO_HOST};
use crate::engine::{Purpose, stream};
use crate::model::Op;
use crate::model::ecs::{VmState, state as ecs_state};
use proptest::prelude::*;

/// Every hard policy holds: an anti-affinity group has at most
/// `max_server_per_host` members holding any host (as host or as a
/// move's second host), and an affinity group's members hold one host at
/// most between them.
fn check_groups(c: &Capacity) -> Result<(), String> {
    for (g, policy, max, members) in c.groups.iter() {
        let mut held: Vec<u32> = members
            .iter()
            .flat_map(|&m| {
                let a = c.of(m);
                [a.host, a.dest]
            })
            .filter(|&h| h != NO_HOST)
            .collect();
        held.sort_unstable();
        match policy {
            GroupPolicy::AntiAffinity => {
                for w in held.chunk_by(|a, b| a == b) {
                    if w.len() as u32 > max {
                        return Err(format!(
                            "anti-affinity group {g}: {} members on host {} (max {max})",
                            w.len(),
                            w[0]
                        ));
                    }
                }
            }
            GroupPolicy::Affinity => {
                held.dedup();
                if held.len() > 1 {
                    return Err(format!("affinity group {g} on hosts {held:?}"));
                }
            }
            GroupPolicy::SoftAntiAffinity | GroupPolicy::SoftAffinity => {}
        }
    }
    Ok(())
}

/// A scenario of ECS deployments of `size` servers in groups of `policy`
/// (`max` per host for anti-affinity) on `hosts` hosts of `vcpus`, flavor
/// of `flavor` vCPUs.
fn groups_scenario(
    size: u32,
    policy: &str,
    max: u32,
    hosts: u32,
    vcpus: u32,
    flavor: u32,
) -> Scenario {
    let rule = if policy == "anti-affinity" {
        format!("max_server_per_host = {max}\n")
    } else {
        String::new()
    };
    let body = format!(
        "[ecs]\n[ecs.deployment]\nsize = {size}\n[ecs.deployment.groups]\n\"{policy}\" = 1\n{rule}\n[capacity]\n[capacity.pools.p]\nhosts = 1\nvcpus = 1\nmemory = \"1GiB\"\n[capacity.flavors.f]\nvcpus = 1\nmemory = \"1GiB\"\n"
    );
    // The pools come from the hand-made spec; the file's only satisfy the
    // reader that groups have hosts.
    with(
        &body,
        spec(hosts, vcpus, &[flavor], PlacementPolicy::Spread),
    )
}

/// Runs one create request and every event up to the end of its
/// deployment's scheduling; the members' slots.
fn deploy(sim: &mut Simulation) -> Vec<u32> {
    let before = sim.servers.fleet.created();
    sim.create_deployment(Kind::Ecs, &[]);
    while let Some((_, e)) = sim.core.queue.pop() {
        let done = matches!(e, Event::Deployment { .. });
        sim.dispatch(e);
        if done {
            break;
        }
    }
    sim.servers
        .fleet
        .alive()
        .filter(|(_, s)| s.serial >= before)
        .map(|(id, _)| id)
        .collect()
}

fn hosts_of(sim: &Simulation, ids: &[u32]) -> Vec<u32> {
    ids.iter().map(|&id| cap(sim).of(id).host).collect()
}

#[test]
fn each_policy_places_a_deployment_as_it_promises() {
    let mut rec = NullRecorder;
    // Anti-affinity, at most one per host: three servers on three hosts.
    let sc = groups_scenario(3, "anti-affinity", 1, 4, 8, 1);
    let mut sim = started(&sc, &mut rec);
    let ids = deploy(&mut sim);
    let mut hosts = hosts_of(&sim, &ids);
    hosts.sort_unstable();
    hosts.dedup();
    assert_eq!((ids.len(), hosts.len()), (3, 3), "one member per host");
    // At most two per host: four servers on two hosts are allowed, and
    // spread (least loaded first) puts two on each of the first two hosts...
    let sc = groups_scenario(4, "anti-affinity", 2, 2, 8, 1);
    let mut sim = started(&sc, &mut rec);
    let ids = deploy(&mut sim);
    assert_eq!(hosts_of(&sim, &ids), [0, 1, 0, 1]);
    // Affinity: all on the first host chosen.
    let sc = groups_scenario(4, "affinity", 1, 3, 8, 2);
    let mut sim = started(&sc, &mut rec);
    let ids = deploy(&mut sim);
    assert_eq!(hosts_of(&sim, &ids), [0, 0, 0, 0]);
    // Soft anti-affinity: spread over hosts first, then doubled up, never
    // refused for the policy.
    let sc = groups_scenario(5, "soft-anti-affinity", 1, 2, 8, 1);
    let mut sim = started(&sc, &mut rec);
    let ids = deploy(&mut sim);
    assert_eq!(hosts_of(&sim, &ids), [0, 1, 0, 1, 0]);
    // Soft affinity under spread: the group's host wins over emptier ones.
    let sc = groups_scenario(3, "soft-affinity", 1, 3, 8, 1);
    let mut sim = started(&sc, &mut rec);
    let ids = deploy(&mut sim);
    assert_eq!(hosts_of(&sim, &ids), [0, 0, 0]);
    let c = &cap(&sim).pools[0].stats.counters;
    let soft = GroupPolicy::SoftAffinity.index();
    assert_eq!((c.deployments, c.groups_requested[soft]), (1, 1));
    assert_eq!((c.deployments_refused, c.groups_refused[soft]), (0, 0));
}

#[test]
fn a_deployment_that_does_not_fit_is_refused_whole() {
    let mut rec = NullRecorder;
    let error = ecs_state(VmState::Error, None);
    // Three members, at most one per host, two hosts (with room for many):
    // the third finds no host, so none is placed.
    let sc = groups_scenario(3, "anti-affinity", 1, 2, 8, 1);
    let mut sim = started(&sc, &mut rec);
    let ids = deploy(&mut sim);
    assert_eq!(ids.len(), 3);
    for &id in &ids {
        assert_eq!(sim.servers.fleet.get(id).state, error, "NoValidHost: ERROR");
        assert_eq!(cap(&sim).of(id).host, NO_HOST, "holding nothing");
    }
    let pool = &cap(&sim).pools[0];
    assert_eq!(pool.usage.vcpus, 0, "the hosts chosen first are given back");
    assert_eq!(pool.stats.util_peak, 0.0, "and never counted for the peak");
    let c = &pool.stats.counters;
    let anti = GroupPolicy::AntiAffinity.index();
    assert_eq!((c.creates, c.creates_blocked), (3, 3));
    assert_eq!((c.deployments, c.deployments_refused), (1, 1));
    assert_eq!((c.groups_requested[anti], c.groups_refused[anti]), (1, 1));
    let create = &sim.servers.stats[0].ops[Op::Create.index()];
    assert_eq!((create.requested, create.refused_capacity), (3, 3));
    // Affinity, greedy as Nova: the first member takes a 4-vCPU host, the
    // second fits beside it, the third does not (though an 8-vCPU host
    // would have taken all three): the whole request is refused.
    let mut s = spec(2, 8, &[2], PlacementPolicy::Spread);
    s.pools[0].vcpus = 4;
    let sc = with(
        "[ecs]\n[ecs.deployment]\nsize = 3\n[ecs.deployment.groups]\naffinity = 1\n[capacity]\n[capacity.pools.p]\nhosts = 1\nvcpus = 1\nmemory = \"1GiB\"\n[capacity.flavors.f]\nvcpus = 1\nmemory = \"1GiB\"\n",
        s,
    );
    let mut sim = started(&sc, &mut rec);
    let ids = deploy(&mut sim);
    assert!(
        ids.iter()
            .all(|&id| sim.servers.fleet.get(id).state == error)
    );
    let c = &cap(&sim).pools[0].stats.counters;
    let aff = GroupPolicy::Affinity.index();
    assert_eq!((c.groups_requested[aff], c.groups_refused[aff]), (1, 1));
}

#[test]
fn a_bms_deployment_that_does_not_fit_is_rolled_back() {
    // Two BMS nodes; a deployment of two in an affinity group cannot share
    // a node: both creations are rolled back at the request.
    let mut s = spec(1, 1, &[1], PlacementPolicy::Spread);
    s.pools.clear();
    s.flavors.clear();
    s.bms_pools = vec![BmsPoolSpec {
        flavor: "m".into(),
        nodes: 2,
        weight: 1.0,
    }];
    let body = "[bms]\n[bms.deployment]\nsize = 2\n[bms.deployment.groups]\naffinity = 1\n[capacity]\n[capacity.bms_pools.m]\nnodes = 1\n";
    let sc = with(body, s.clone());
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    sim.create_deployment(Kind::Bms, &[]);
    assert_eq!(sim.servers.fleet.alive().count(), 0, "both rolled back");
    let c = &cap(&sim).pools[0].stats.counters;
    assert_eq!((c.creates_blocked, c.deployments_refused), (2, 1));
    assert_eq!(cap(&sim).groups.live(), 0, "the group went with them");
    // Anti-affinity fits: one per node, both building.
    let body = body.replace("affinity = 1", "anti-affinity = 1");
    let sc = with(&body, s);
    let mut sim = started(&sc, &mut rec);
    sim.create_deployment(Kind::Bms, &[]);
    let hosts: Vec<u32> = sim
        .servers
        .fleet
        .alive()
        .map(|(id, _)| cap(&sim).of(id).host)
        .collect();
    assert_eq!(hosts, [0, 1]);
}

#[test]
fn a_failed_build_is_rescheduled_within_its_group() {
    // Two members, at most one per host, on three hosts; every build fails
    // at its last step, so each is rescheduled until its attempts run out.
    // No host ever holds both.
    let mut s = spec(3, 8, &[1], PlacementPolicy::FirstFit);
    s.build_attempts = 5;
    let body = "[ecs]\n[ecs.failures]\ncreate = { prob = 1 }\n[ecs.deployment]\nsize = 2\n[ecs.deployment.groups]\nanti-affinity = 1\n[capacity]\n[capacity.pools.p]\nhosts = 1\nvcpus = 1\nmemory = \"1GiB\"\n[capacity.flavors.f]\nvcpus = 1\nmemory = \"1GiB\"\n";
    let sc = with(body, s);
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    sim.create_deployment(Kind::Ecs, &[]);
    let mut retried = 0;
    while let Some((_, e)) = sim.core.queue.pop() {
        sim.dispatch(e);
        check_groups(cap(&sim)).unwrap();
        retried = cap(&sim).pools[0].stats.counters.build_retries;
    }
    assert_eq!(retried, 8, "4 retries for each of the two");
}

/// What a capacity-level property test does next.
#[derive(Clone, Debug)]
enum Step {
    /// A deployment of this many servers arrives and is scheduled.
    Deploy(u32),
    /// The n-th live server leaves.
    Leave(usize),
    /// The n-th live server starts a live migration (kept in flight).
    Migrate(usize),
    /// The n-th live server's migration, if any, completes.
    Commit(usize),
    /// The n-th live server's build fails on its host and is placed again.
    Reschedule(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1u32..6).prop_map(Step::Deploy),
        (0usize..64).prop_map(Step::Leave),
        (0usize..64).prop_map(Step::Migrate),
        (0usize..64).prop_map(Step::Commit),
        (0usize..64).prop_map(Step::Reschedule),
    ]
}

fn policy() -> impl Strategy<Value = GroupPolicy> {
    prop::sample::select(GroupPolicy::ALL)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// On the capacity side alone: deployments placed whole or not at all,
    /// and no placement (whole, moved, rescheduled) breaking a hard policy.
    #[test]
    fn no_placement_breaks_a_hard_policy(
        hosts in 1u32..7,
        vcpus in 1u32..9,
        flavor in 1u32..4,
        placement in prop::sample::select(PlacementPolicy::ALL),
        policy in policy(),
        max in 1u32..4,
        steps in prop::collection::vec(step(), 1..40),
    ) {
        let machine = crate::model::ecs::machine(false);
        let mut c = Capacity::new(&spec(hosts, vcpus, &[flavor], placement), &[&machine]);
        let mut rng = stream(1, 0, Purpose::Server);
        let now = SimTime::ZERO;
        let mut live: Vec<u32> = Vec::new();
        let mut next = 0u32;
        for st in steps {
            let pick = |i: usize| (!live.is_empty()).then(|| live[i % live.len()]);
            match st {
                Step::Deploy(n) => {
                    let ids: Vec<u32> = (next..next + n).collect();
                    next += n;
                    for &id in &ids {
                        c.arrive(id, Kind::Ecs, SimTime::ZERO, &mut rng);
                    }
                    c.form_group(&ids, policy, max);
                    let usage = c.pools[0].usage;
                    if c.schedule_deployment(&ids, true, now) {
                        prop_assert!(ids.iter().all(|&id| c.of(id).host != NO_HOST));
                        live.extend(&ids);
                    } else {
                        prop_assert!(ids.iter().all(|&id| c.of(id).host == NO_HOST));
                        prop_assert_eq!(c.pools[0].usage, usage, "refused whole");
                        // A hard policy is what refused it, or room ran out.
                        for &id in &ids {
                            c.leave_group(id);
                        }
                    }
                }
                Step::Leave(i) => {
                    if let Some(id) = pick(i) {
                        c.release(id, now);
                        c.leave_group(id);
                        live.retain(|&m| m != id);
                    }
                }
                Step::Migrate(i) => {
                    if let Some(id) = pick(i).filter(|&id| c.of(id).dest == NO_HOST) {
                        let _ = c.claim(id, Op::LiveMigrate, &mut rng, now);
                    }
                }
                Step::Commit(i) => {
                    if let Some(id) = pick(i) {
                        c.end_claim(id, Op::LiveMigrate, true, now);
                    }
                }
                Step::Reschedule(i) => {
                    if let Some(id) = pick(i).filter(|&id| c.of(id).dest == NO_HOST) {
                        c.reschedule(id, true, now);
                        if !c.place_build(id, now) {
                            c.leave_group(id);
                            live.retain(|&m| m != id);
                        }
                    }
                }
            }
            if let Err(e) = check_groups(&c) {
                prop_assert!(false, "{}", e);
            }
        }
        for id in live {
            c.leave_group(id);
        }
        prop_assert_eq!(c.groups.live(), 0, "every group freed with its last member");
    }

    /// Through whole simulations: deployments in every kind of group on a
    /// small, crowded pool, with failing builds, resizes, live migrations,
    /// host failures and evacuations, checked after every event.
    #[test]
    fn no_simulation_breaks_a_hard_policy(
        seed in 0u64..1_000,
        hosts in 2u32..6,
        max in 1u32..3,
        placement in prop::sample::select(PlacementPolicy::ALL),
        release in any::<bool>(),
    ) {
        let body = format!(
            "[ecs]\narrivals = \"40/d\"\nlifetime = \"1d\"\nops_rate = \"4/d\"\nops_mix = {{ resize = 1, live_migrate = 1, stop = 1, start = 1 }}\n\
             [ecs.failures]\ncreate = {{ prob = 0.2 }}\n[ecs.resize]\ndecision_delay = \"1h\"\n\
             [ecs.deployment]\nsize = {{ 1 = 1, 2 = 1, 4 = 1 }}\n\
             [ecs.deployment.groups]\naffinity = 0.25\nanti-affinity = 0.25\nsoft-anti-affinity = 0.25\nsoft-affinity = 0.1\nmax_server_per_host = {max}\n\
             [capacity]\n[capacity.pools.p]\nhosts = 1\nvcpus = 1\nmemory = \"1GiB\"\n[capacity.flavors.f]\nvcpus = 1\nmemory = \"1GiB\"\n"
        );
        let mut s = spec(hosts, 8, &[1, 2], placement);
        s.stopped_releases = release;
        s.host_failures = Some(crate::capacity::spec::FailureClockSpec {
            time_to_failure: crate::scenario::Dist::Exponential { mean_s: 86_400.0 },
            repair: crate::scenario::Dist::fixed(SimTime::from_secs(3_600)),
        });
        let mut sc = with(&body, s);
        sc.seed = seed;
        sc.horizon = SimTime::from_secs(3 * 86_400);
        let mut rec = NullRecorder;
        let mut sim = started(&sc, &mut rec);
        while let Some(t) = sim.core.queue.peek_time() {
            if t > sc.horizon {
                break;
            }
            let (_, e) = sim.core.queue.pop().expect("peeked");
            sim.dispatch(e);
            if let Err(e) = check_groups(cap(&sim)) {
                prop_assert!(false, "at {}: {}", t, e);
            }
        }
        let c = &cap(&sim).pools[0].stats.counters;
        prop_assert!(c.deployments > 0);
        prop_assert!(c.deployments_refused <= c.deployments);
        let requested: u64 = c.groups_requested.iter().sum();
        prop_assert!(requested <= c.deployments);
        for p in GroupPolicy::ALL {
            prop_assert!(c.groups_refused[p.index()] <= c.groups_requested[p.index()]);
        }
    }
}
