//! Property tests: on random small scenarios, the simulator's invariants hold
//! at every change and every sample.

use crate::common::{run_with, scenario};
use fleetsim::engine::SimTime;
use fleetsim::model::{Kind, Machine, Status, bms::BmsState, ecs};
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
"#,
        seed = p.seed,
        warmup = p.warmup_h,
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
        (1u32..60, proptest::collection::vec(0u8..5, 21)),
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
                (ops, mut weights),
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
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// No invalid ECS pair, statuses as tabled, Deleting shows its origin,
    /// occupancies sum to the population at every sample, time never goes back.
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
    }
}
