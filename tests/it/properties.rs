//! Property tests: on random small scenarios, the simulator's invariants hold
//! at every change and every sample.

use crate::common::{run_with, scenario};
use fleetsim::capacity::Pool;
use fleetsim::engine::SimTime;
use fleetsim::model::{Kind, Machine, Status, bms::BmsState, ecs};
use fleetsim::results::Outcomes;
use fleetsim::sim::{Change, Recorder};
use fleetsim::stats::KindStats;
use proptest::prelude::*;
use std::collections::HashMap;

/// A recorder that checks every change and sample against the invariants.
#[derive(Default)]
struct Checker {
    last_time: SimTime,
    /// Last known (state name, status) of each live instance.
    live: HashMap<(Kind, u32), (String, Status)>,
    /// Status a BMS showed when its delete began.
    deleting_from: HashMap<u32, Status>,
    changes: u64,
    samples: u64,
    /// Samples of pool usage (only with capacity).
    capacity_samples: u64,
}

impl Recorder for Checker {
    fn wants_changes(&self) -> bool {
        true
    }

    fn change(&mut self, c: &Change, m: &Machine) {
        assert!(
            c.time >= self.last_time,
            "time went back: {:?} after {:?}",
            c.time,
            self.last_time
        );
        self.last_time = c.time;
        self.changes += 1;
        let key = (c.kind, c.serial);
        // The trace is consistent: each change starts where the last one ended.
        let before = self.live.get(&key).cloned();
        match (c.from, &before) {
            (None, None) => {}
            (Some((s, st)), Some((name, status))) => {
                assert_eq!((&m.state_names[s.index()], st), (name, *status), "{c:?}");
            }
            _ => panic!("inconsistent appearance {c:?} (known: {before:?})"),
        }
        let Some((to, status)) = c.to else {
            self.live.remove(&key);
            return;
        };
        let name = m.state_names[to.index()].clone();
        match c.kind {
            Kind::Ecs => {
                // No invalid (vm_state, task_state) pair, and the status is the map's.
                let (vm, task) = name.split_once(':').expect("ECS states are pairs");
                let vm = ecs::VmState::from_name(vm).expect("known vm_state");
                let task = if task == "null" {
                    None
                } else {
                    Some(ecs::TaskState::from_name(task).expect("known task"))
                };
                assert_eq!(ecs::status_of(vm, task), Some(status), "{name}");
            }
            Kind::Bms => {
                let state = BmsState::from_name(&name).expect("known state");
                if state == BmsState::Deleting {
                    // Deleting shows the status of the state it came from.
                    let from = c.from.expect("a delete starts from a state").1;
                    assert_eq!(status, from, "Deleting shows its origin's status");
                    self.deleting_from.insert(c.serial, from);
                } else {
                    assert_eq!(
                        m.status[to.index()],
                        Some(status),
                        "{name} shows its table status"
                    );
                }
            }
        }
        self.live.insert(key, (name, status));
    }

    fn sample(&mut self, t: SimTime, _kind: Kind, stats: &KindStats, _m: &Machine) {
        assert!(
            t >= self.last_time || self.samples == 0 || t.ms() == 0,
            "sample before a processed change"
        );
        self.samples += 1;
        let pop = stats.population_now();
        assert_eq!(
            stats.status.counts().iter().sum::<u64>(),
            pop,
            "statuses sum to the population at {t:?}"
        );
        assert_eq!(
            stats.detail.counts().iter().sum::<u64>(),
            pop,
            "states sum to the population at {t:?}"
        );
    }

    /// No pool holds more than it has; second copies are part of what is
    /// held; a BMS takes one whole node and has no second copy; a BMS pool
    /// holds at most one node per live BMS.
    fn capacity(&mut self, t: SimTime, pools: &[Pool]) {
        self.capacity_samples += 1;
        let live_bms = self.live.keys().filter(|k| k.0 == Kind::Bms).count() as u64;
        let mut bms_held = 0;
        for p in pools {
            let (u, (vcpus, memory)) = (&p.usage, p.total());
            let at = format!("pool {} at {t:?}: {u:?} of {:?}", p.name, p.total());
            assert!(
                u.vcpus <= vcpus && u.memory <= memory,
                "over capacity, {at}"
            );
            assert!(u.double_vcpus <= u.vcpus, "{at}");
            assert!(u.double_memory <= u.memory, "{at}");
            assert!(u.hosts_up <= p.hosts as u64, "{at}");
            assert!(u.instances <= u.vcpus, "every flavor has a vCPU, {at}");
            if p.kind == Kind::Bms {
                assert_eq!((u.vcpus, u.memory), (u.instances, u.instances), "{at}");
                assert_eq!((u.double_vcpus, u.double_memory), (0, 0), "{at}");
                bms_held += u.instances;
            }
        }
        assert!(
            bms_held <= live_bms,
            "{bms_held} BMS nodes held by {live_bms} BMS at {t:?}"
        );
    }
}

/// The `[capacity]` section of a random scenario.
fn toml_capacity(c: &CapParams) -> String {
    let mut t = String::from("[capacity]\n");
    let placement = ["first_fit", "spread", "pack"][c.placement];
    t += &format!(
        "placement = \"{placement}\"\nbuild_attempts = {}\nstopped_releases = {}\nauto_recovery = {}\n",
        c.build_attempts, c.stopped_releases, c.auto_recovery
    );
    // A delay of 0 evacuates at the instant of the failure.
    let delay = match c.recovery_delay_m {
        0 => "\"0s\"".to_string(),
        m => format!("{{ dist = \"exponential\", mean = \"{m}m\" }}"),
    };
    t += &format!(
        "recovery_interval = \"{}h\"\nrecovery_delay = {delay}\n",
        c.recovery_interval_h
    );
    let clock = |ttf: u32, repair: u32| {
        format!(
            "time_to_failure = {{ dist = \"exponential\", mean = \"{ttf}h\" }}, repair = {{ dist = \"exponential\", mean = \"{repair}h\" }}"
        )
    };
    if let Some((ttf, repair)) = c.host_failures {
        t += &format!("host_failures = {{ {} }}\n", clock(ttf, repair));
    }
    // Overrides of which states hold capacity, one bit each.
    let holds = |names: &[(&str, bool)]| {
        names
            .iter()
            .enumerate()
            .filter(|(i, _)| (c.holds_bits >> i) & 1 == 1)
            .map(|(_, (n, on))| format!("\"{n}\" = {on}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let ecs_holds = holds(&[
        ("deleted:null", true),
        ("error:null", false),
        ("stopped:null", true),
    ]);
    let bms_holds = holds(&[
        ("deleted", true),
        ("faulty", false),
        ("stopped", false),
        ("frozen", false),
    ]);
    if !ecs_holds.is_empty() {
        t += &format!("ecs_holds = {{ {ecs_holds} }}\n");
    }
    if !bms_holds.is_empty() {
        t += &format!("bms_holds = {{ {bms_holds} }}\n");
    }
    let overcommit = [1.0, 1.5, 2.0, 4.0];
    for (i, &(hosts, vcpus, memory, oc)) in c.pools.iter().enumerate() {
        t += &format!(
            "[capacity.pools.p{i}]\nhosts = {hosts}\nvcpus = {vcpus}\nmemory = {memory}\ncpu_overcommit = {}\n",
            overcommit[oc]
        );
    }
    if !c.pools.is_empty() {
        for (i, &(vcpus, memory, pool, weight, resize_weight)) in c.flavors.iter().enumerate() {
            // Every flavor fits on an empty host of its pool.
            let pool = pool % c.pools.len();
            let (hosts_vcpus, hosts_memory, oc) =
                (c.pools[pool].1, c.pools[pool].2, c.pools[pool].3);
            let vcpus = vcpus.min((hosts_vcpus as f64 * overcommit[oc]) as u32);
            let memory = memory.min(hosts_memory);
            t += &format!(
                "[capacity.flavors.\"f{i}.x\"]\nvcpus = {vcpus}\nmemory = {memory}\npool = \"p{pool}\"\nweight = {weight}\nresize_weight = {resize_weight}\n"
            );
        }
    }
    for (i, &(nodes, weight)) in c.bms_pools.iter().enumerate() {
        t += &format!(
            "[capacity.bms_pools.\"physical.b{i}\"]\nnodes = {nodes}\nweight = {weight}\n"
        );
    }
    // A level has at most as many domains as the largest pool has hosts
    // (more would leave domains with no host, which is refused).
    let largest = c
        .pools
        .iter()
        .map(|p| p.0)
        .chain(c.bms_pools.iter().map(|b| b.0))
        .max()
        .unwrap_or(u32::MAX);
    for (level, d) in ["rack", "zone"].iter().zip(&c.domains) {
        if let Some((count, ttf, repair)) = *d {
            let count = count.min(largest);
            t += &format!(
                "[capacity.domains.{level}]\ncount = {count}\n{}\n",
                clock(ttf, repair).replace(", repair", "\nrepair")
            );
        }
    }
    t
}

fn toml_scenario(p: &Params) -> String {
    let ecs_mix = [
        "reboot",
        "reboot_hard",
        "stop",
        "start",
        "rebuild",
        "resize",
        "confirm_resize",
        "revert_resize",
        "live_migrate",
        "delete",
        "lock",
        "unlock",
    ];
    let bms_mix = [
        "start",
        "stop",
        "restart",
        "restart_hard",
        "delete",
        "rebuild",
        "reinstall_os",
        "lock",
        "unlock",
    ];
    let mix = |names: &[&str], w: &[u8]| {
        names
            .iter()
            .zip(w)
            .map(|(n, w)| format!("{n} = {w}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let ecs_fail = [
        "create",
        "reboot",
        "stop",
        "start",
        "rebuild",
        "resize",
        "revert_resize",
        "live_migrate",
        "delete",
    ];
    let bms_fail = [
        "create",
        "start",
        "stop",
        "restart",
        "restart_hard",
        "rebuild",
        "reinstall_os",
    ];
    let fails = |names: &[&str]| {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let outcome = if (p.outcome_bits >> i) & 1 == 1 {
                    "error"
                } else {
                    "rollback"
                };
                format!(
                    "{n} = {{ prob = {}, outcome = \"{outcome}\", hang_prob = {} }}",
                    p.fail_prob,
                    p.fail_prob / 4.0
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        r#"
name = "prop"
seed = {seed}
horizon = "3d"
warmup = "{warmup}h"
sample_interval = "20m"
[ecs]
initial = {ecs_initial}
arrivals = "{arrivals}/d"
lifetime = {{ dist = "exponential", mean = "{life}h" }}
ops_rate = "{ops}/d"
ops_mix = {{ {ecs_mix} }}
[ecs.failures]
{ecs_fails}
[ecs.faults]
time_to_fault = {{ dist = "exponential", mean = "{ttf}h" }}
repair = {{ dist = "exponential", mean = "{repair}h" }}
watchdog = "{watchdog}m"
[ecs.resize]
auto_confirm = "{auto}m"
[ecs.soft_reboot]
fallback_prob = 0.3
hard_preempts = true
[ecs.guest_crash]
rate = "{ops}/d"
[[ecs.incidents]]
start = "{warmup}h"
duration = "12h"
fault_factor = 4
failure_factor = 2
[[ecs.mass_faults]]
at = "1d"
fraction = 0.2
[ecs.on_error]
delete_prob = 0.3
rebuild_prob = 0.3
delay = "{repair}h"
[bms]
initial = {bms_initial}
arrivals = "{arrivals}/d"
lifetime = {{ dist = "exponential", mean = "{life}h" }}
ops_rate = "{ops}/d"
ops_mix = {{ {bms_mix} }}
[bms.failures]
{bms_fails}
[bms.faults]
time_to_fault = {{ dist = "exponential", mean = "{ttf}h" }}
repair = {{ dist = "exponential", mean = "{repair}h" }}
rebuild_prob = 0.5
watchdog = "{watchdog}m"
[[bms.incidents]]
start = "1d"
duration = "1d"
fault_factor = 0
[[bms.mass_faults]]
at = "2d"
fraction = 0.5
[bms.on_error]
delete_prob = 0.2
rebuild_prob = 0.4
[bms.freeze]
rate = "{freeze}/d"
renew_prob = 0.5
renew_delay = {{ dist = "exponential", mean = "5h" }}
retention = "10h"
{capacity}
"#,
        seed = p.seed,
        warmup = p.warmup(),
        capacity = p.cap.as_ref().map(toml_capacity).unwrap_or_default(),
        ecs_initial = p.ecs_initial,
        bms_initial = p.bms_initial,
        arrivals = p.arrivals,
        life = p.life_h,
        ops = p.ops,
        ecs_mix = mix(&ecs_mix, &p.weights[..12]),
        bms_mix = mix(&bms_mix, &p.weights[12..21]),
        ecs_fails = fails(&ecs_fail),
        bms_fails = fails(&bms_fail),
        ttf = p.ttf_h,
        repair = p.repair_h,
        watchdog = p.watchdog_m,
        auto = p.auto_m,
        freeze = p.freeze,
    )
}

#[derive(Debug, Clone)]
struct Params {
    seed: u64,
    warmup_h: u32,
    ecs_initial: u32,
    bms_initial: u32,
    arrivals: u32,
    life_h: u32,
    ops: u32,
    weights: Vec<u8>,
    fail_prob: f64,
    outcome_bits: u32,
    ttf_h: u32,
    repair_h: u32,
    watchdog_m: u32,
    auto_m: u32,
    freeze: f64,
    cap: Option<CapParams>,
}

impl Params {
    /// Warmup in hours: 0 when the capacity section asks for it, so that
    /// every event falls in the statistics window.
    fn warmup(&self) -> u32 {
        match &self.cap {
            Some(c) if c.zero_warmup => 0,
            _ => self.warmup_h,
        }
    }
}

/// A random `[capacity]` section: small pools, so that creates, resizes and
/// migrations run out of room, and failures frequent enough to happen
/// within the three days.
#[derive(Debug, Clone)]
struct CapParams {
    /// ECS pools: hosts, vCPUs, memory (GiB), index of the CPU overcommit.
    pools: Vec<(u32, u32, u32, usize)>,
    /// ECS flavors: vCPUs, memory (GiB), pool (modulo the pools), weight,
    /// resize weight (the first flavor's weights are at least 1).
    flavors: Vec<(u32, u32, usize, u8, u8)>,
    /// BMS pools: nodes, weight (the first at least 1).
    bms_pools: Vec<(u32, u8)>,
    placement: usize,
    build_attempts: u32,
    stopped_releases: bool,
    auto_recovery: bool,
    recovery_interval_h: u32,
    recovery_delay_m: u32,
    /// Host failures: mean time to failure and to repair, in hours.
    host_failures: Option<(u32, u32)>,
    /// Up to two levels of failure domains: count, time to failure and to
    /// repair in hours.
    domains: Vec<Option<(u32, u32, u32)>>,
    holds_bits: u8,
    zero_warmup: bool,
}

fn cap_params() -> impl Strategy<Value = CapParams> {
    use proptest::collection::vec;
    (
        (
            vec((1u32..6, 2u32..24, 4u32..64, 0usize..4), 0..=3),
            vec((1u32..9, 1u32..16, 0usize..3, 0u8..4, 0u8..4), 1..=4),
            vec((1u32..8, 0u8..3), 0..=2),
        ),
        (
            0usize..3,
            1u32..5,
            any::<bool>(),
            any::<bool>(),
            1u32..24,
            0u32..30,
        ),
        (
            proptest::option::of((4u32..48, 1u32..12)),
            vec(proptest::option::of((1u32..5, 8u32..72, 1u32..8)), 2),
            any::<u8>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (pools, mut flavors, mut bms_pools),
                (
                    placement,
                    build_attempts,
                    stopped_releases,
                    auto_recovery,
                    recovery_interval_h,
                    recovery_delay_m,
                ),
                (host_failures, domains, holds_bits, zero_warmup),
            )| {
                flavors[0].3 = flavors[0].3.max(1);
                flavors[0].4 = flavors[0].4.max(1);
                if let Some(b) = bms_pools.first_mut() {
                    b.1 = b.1.max(1);
                }
                CapParams {
                    pools,
                    flavors,
                    bms_pools,
                    placement,
                    build_attempts,
                    stopped_releases,
                    auto_recovery,
                    recovery_interval_h,
                    recovery_delay_m,
                    host_failures,
                    domains,
                    holds_bits,
                    zero_warmup,
                }
            },
        )
}

fn params() -> impl Strategy<Value = Params> {
    (
        (
            0u64..(i64::MAX as u64),
            0u32..24,
            0u32..30,
            0u32..30,
            0u32..40,
            1u32..100,
        ),
        (
            1u32..60,
            proptest::collection::vec(0u8..5, 21),
            proptest::option::weighted(0.6, cap_params()),
        ),
        (
            0.0f64..0.4,
            any::<u32>(),
            1u32..200,
            1u32..20,
            1u32..60,
            0u32..120,
            0.0f64..2.0,
        ),
    )
        .prop_map(
            |(
                (seed, warmup_h, ecs_initial, bms_initial, arrivals, life_h),
                (ops, mut weights, cap),
                (fail_prob, outcome_bits, ttf_h, repair_h, watchdog_m, auto_m, freeze),
            )| {
                // Keep both mixes non-empty.
                weights[0] = weights[0].max(1);
                weights[12] = weights[12].max(1);
                Params {
                    seed,
                    warmup_h,
                    ecs_initial,
                    bms_initial,
                    arrivals,
                    life_h,
                    ops,
                    weights,
                    fail_prob,
                    outcome_bits,
                    ttf_h,
                    repair_h,
                    watchdog_m,
                    auto_m,
                    freeze,
                    cap,
                }
            },
        )
}

/// What the pools' statistics and counters must satisfy after a run. With
/// `whole` (no warmup) every event of the run is counted, so counters of an
/// outcome are bounded by counters of its cause, which may otherwise have
/// been counted before the window opened.
fn check_pools(o: &Outcomes, c: &CapParams, whole: bool) -> Result<(), TestCaseError> {
    let sc = &o.scenario;
    let window = sc.horizon.since(sc.warmup).ms() as u128;
    for p in &o.pools {
        let (st, n) = (&p.stats, &p.stats.counters);
        let (vcpus, memory) = p.total();
        prop_assert!(st.vcpus_area <= vcpus as u128 * window, "{}", p.name);
        prop_assert!(st.memory_area <= memory as u128 * window, "{}", p.name);
        prop_assert!(st.hosts_up_area <= p.hosts as u128 * window, "{}", p.name);
        prop_assert!(st.double_vcpus_area <= st.vcpus_area, "{}", p.name);
        prop_assert!(st.double_memory_area <= st.memory_area, "{}", p.name);
        prop_assert!(st.instances_area <= st.vcpus_area, "{}", p.name);
        prop_assert!(st.util_peak <= 1.0 && st.util_area <= window as f64 * (1.0 + 1e-12));
        // A refusal is counted with its request.
        prop_assert!(n.resizes_refused <= n.resizes, "{n:?}");
        prop_assert!(n.migrations_refused <= n.migrations, "{n:?}");
        prop_assert!(n.placements_refused <= n.placements, "{n:?}");
        if c.host_failures.is_none() {
            prop_assert_eq!((n.host_failures, n.host_failure_hits), (0, 0));
        }
        if c.domains.iter().all(Option::is_none) {
            prop_assert_eq!((n.domain_failures, n.domain_failure_hits), (0, 0));
            if c.host_failures.is_none() {
                // Nothing ever takes a host down.
                prop_assert_eq!(st.hosts_up_area, p.hosts as u128 * window);
                prop_assert_eq!(p.usage.hosts_up, p.hosts as u64);
            }
        }
        if p.kind == Kind::Bms {
            prop_assert_eq!(n.resizes + n.migrations, 0);
            prop_assert_eq!(
                n.evacuations + n.evacuations_stranded + n.recoveries_throttled,
                0
            );
        }
        if whole {
            // Each create ends blocked at most once, and is rescheduled at
            // most build_attempts − 1 times.
            prop_assert!(n.creates_blocked <= n.creates, "{n:?}");
            let retries = (c.build_attempts as u64 - 1) * n.creates;
            prop_assert!(n.build_retries <= retries, "{n:?}");
        }
    }
    // Every refusal for lack of room is counted by its pool: creates,
    // resizes, migrations, and placements of servers without a host.
    for (m, st) in &o.kinds {
        let ops: u64 = st.ops.iter().map(|c| c.refused_capacity).sum();
        let pools: u64 = o
            .pools
            .iter()
            .filter(|p| p.kind == m.kind)
            .map(|p| {
                let n = &p.stats.counters;
                n.creates_blocked + n.resizes_refused + n.migrations_refused + n.placements_refused
            })
            .sum();
        prop_assert_eq!(ops, pools, "{:?}", m.kind);
        let blocked: u64 = o
            .pools
            .iter()
            .filter(|p| p.kind == m.kind)
            .map(|p| p.stats.counters.creates_blocked)
            .sum();
        let create = &st.ops[fleetsim::model::Op::Create.index()];
        prop_assert_eq!(create.refused_capacity, blocked, "{:?}", m.kind);
    }
    // Each server hit by a failed host or domain is either spared (busy
    // building or deleting, or not an ECS on a failed host), throttled, or
    // scheduled for one evacuation, which moves it or strands it. A hit is
    // counted in the pool of the server's flavor, which for a resize may
    // not be the pool of the failed host: compare totals.
    if whole {
        let sum = |f: fn(&fleetsim::capacity::PoolCounters) -> u64| -> u64 {
            o.pools.iter().map(|p| f(&p.stats.counters)).sum()
        };
        let hits = sum(|n| n.host_failure_hits + n.domain_failure_hits);
        let outcomes = sum(|n| n.evacuations + n.evacuations_stranded + n.recoveries_throttled);
        prop_assert!(
            outcomes <= hits,
            "{outcomes} recovery outcomes for {hits} hits"
        );
        if !c.auto_recovery {
            prop_assert_eq!(outcomes, 0);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// No invalid ECS pair, statuses as tabled, Deleting shows its origin,
    /// occupancies sum to the population at every sample, time never goes
    /// back; with capacity, no pool ever holds more than it has, and the
    /// pools' counters agree with each other and with the operations'.
    #[test]
    fn invariants_hold_on_random_scenarios(p in params()) {
        let sc = scenario(&toml_scenario(&p));
        let mut checker = Checker::default();
        let o = run_with(&sc, &mut checker);
        prop_assert!(checker.samples > 0);
        // Statistics closed at the horizon agree with the final population.
        for (_, st) in &o.kinds {
            prop_assert_eq!(st.status.counts().iter().sum::<u64>(), st.population_now());
        }
        prop_assert_eq!(checker.changes, o.counters.changes);
        match &p.cap {
            Some(c) => {
                prop_assert_eq!(checker.capacity_samples, checker.samples / o.kinds.len() as u64);
                check_pools(&o, c, sc.warmup == SimTime::ZERO)?;
            }
            None => prop_assert!(o.pools.is_empty() && checker.capacity_samples == 0),
        }
    }
}
