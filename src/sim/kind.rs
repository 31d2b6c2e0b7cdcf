//! One kind's scenario, compiled once per run: its state machine, samplers
//! built once, per-operation arrays of failure settings and watchdogs, and
//! the incident windows. Read-only while the run goes on.

use crate::engine::weighted::WeightedChoice;
use crate::engine::{Rng, SimTime};
use crate::model::{Kind, Machine, Op, Outcome, StateId, Status, bms, ecs};
use crate::scenario::{
    Behaviour, DeploymentSpec, Dist, GroupPolicy, KindSpec, MixEntry, ResidualSampler, Sampler,
    Scenario,
};
use rand::RngExt;
use rand_distr::Exp;
use std::sync::Arc;

/// An incident window: from `start` to `end`, faults accrue `fault_factor`
/// times as fast and failure probabilities are `failure_factor` times higher.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Incident {
    pub start: SimTime,
    pub end: SimTime,
    pub fault_factor: f64,
    pub failure_factor: f64,
}

/// A mix of user operations, compiled: a weighted choice among them.
pub(crate) struct Mix(WeightedChoice<Op>);

impl Mix {
    /// `None` for an empty mix.
    fn new(entries: &[MixEntry]) -> Option<Mix> {
        WeightedChoice::new(entries.iter().map(|m| (m.op, m.weight))).map(Mix)
    }

    /// One operation, drawn from `rng` (the server's own stream).
    #[inline]
    pub fn draw(&self, rng: &mut Rng) -> Op {
        self.0.draw(rng)
    }
}

/// What an owner asks for at a tick of its operations clock (`behaviour`).
pub(crate) enum Owner {
    /// From one mix, whatever the server's state.
    Blind(Mix),
    /// From the mix of the status the server shows, indexed by [`Status`];
    /// nothing where there is none.
    ByStatus(Vec<Option<Mix>>),
}

impl Owner {
    fn new(spec: &KindSpec) -> Option<Owner> {
        match &spec.behaviour {
            Behaviour::Blind => Mix::new(&spec.ops_mix).map(Owner::Blind),
            Behaviour::ByStatus(by) => {
                let mut mixes: Vec<Option<Mix>> = Status::ALL.iter().map(|_| None).collect();
                for sm in by {
                    mixes[sm.status as usize] = Mix::new(&sm.mix);
                }
                mixes
                    .iter()
                    .any(Option::is_some)
                    .then_some(Owner::ByStatus(mixes))
            }
        }
    }
}

/// The state machine a kind's scenario runs: the same for every
/// replication, so a stored replication (a shard's unit) gets its machine
/// back from the scenario alone.
pub fn machine_of(spec: &KindSpec) -> Machine {
    match spec.kind {
        Kind::Ecs => ecs::machine_with(
            spec.faults.repair_to_stopped,
            spec.soft_reboot.as_ref().is_some_and(|s| s.hard_preempts),
        ),
        Kind::Bms => bms::machine(spec.faults.repair_to_stopped),
    }
}

/// One kind's scenario, compiled: samplers built once, arrays by operation.
pub(crate) struct KindRuntime {
    pub machine: Machine,
    /// The scenario it was compiled from; [`KindRuntime::spec`] is its part.
    scenario: Arc<Scenario>,
    pub(super) step: Vec<Option<Sampler>>,
    pub(super) deleted_for: Sampler,
    pub(super) lifetime: Option<Sampler>,
    /// Remaining lifetime of a server of the initial fleet.
    pub(super) initial_lifetime: Option<ResidualSampler>,
    /// Gaps of a constant arrival rate.
    pub(super) arrival_gap: Option<Exp<f64>>,
    pub(super) ops_gap: Option<Exp<f64>>,
    /// The owners' choice of operations; `None`: owners ask for nothing.
    pub(super) owner: Option<Owner>,
    fail_prob: [f64; Op::COUNT],
    hang_prob: [f64; Op::COUNT],
    pub(super) on_error_delay: Option<Sampler>,
    incidents: Vec<Incident>,
    pub(super) crash_gap: Option<Exp<f64>>,
    /// ECS `stopped:null`, where the power-state sync leaves a crashed guest.
    pub(super) stopped_state: Option<StateId>,
    pub(super) fail_outcome: [Outcome; Op::COUNT],
    pub(super) watchdog: [Option<SimTime>; Op::COUNT],
    pub(super) time_to_fault: Option<Sampler>,
    pub(super) repair: Option<Sampler>,
    pub(super) resize_delay: Option<Sampler>,
    pub(super) renew_delay: Option<Sampler>,
    pub(super) freeze_gap: Option<Exp<f64>>,
    /// Deployment sizes and groups; `None`: one server per request.
    pub(super) deployment: Option<Deployments>,
}

/// A kind's `[deployment]`, compiled: what each create request draws.
pub(crate) struct Deployments {
    /// The sizes drawn, or the one size of every request.
    sizes: Sizes,
    /// Each policy with the cumulative probability up to it.
    groups: Vec<(GroupPolicy, f64)>,
    /// Anti-affinity's `max_server_per_host`.
    pub max_per_host: u32,
}

/// The number of servers of a create request.
enum Sizes {
    /// Always this many: nothing is drawn.
    One(u32),
    /// Drawn among several.
    Drawn(WeightedChoice<u32>),
}

impl Deployments {
    fn new(spec: &DeploymentSpec) -> Deployments {
        let drawn = WeightedChoice::new(spec.sizes.iter().map(|s| (s.size, s.weight)));
        let sizes = match drawn {
            Some(choice) if choice.items().len() > 1 => Sizes::Drawn(choice),
            _ => Sizes::One(spec.sizes.first().map_or(1, |s| s.size)),
        };
        let mut total = 0.0;
        let groups = spec
            .groups
            .iter()
            .map(|g| {
                total += g.prob;
                (g.policy, total)
            })
            .collect();
        Deployments {
            sizes,
            groups,
            max_per_host: spec.max_server_per_host,
        }
    }

    /// Draws one request: its number of servers and its group's policy, if
    /// it forms one. Nothing is drawn for a single size or without groups.
    pub fn draw(&self, rng: &mut Rng) -> (u32, Option<GroupPolicy>) {
        let size = match &self.sizes {
            Sizes::Drawn(choice) => choice.draw(rng),
            Sizes::One(size) => *size,
        };
        let policy = if self.groups.is_empty() {
            None
        } else {
            let u: f64 = rng.random();
            self.groups.iter().find(|g| u < g.1).map(|g| g.0)
        };
        (size, policy)
    }
}

/// A Poisson process with `per_day` events a day, as exponential gaps in seconds.
fn gaps(per_day: f64) -> Option<Exp<f64>> {
    (per_day > 0.0).then(|| Exp::new(per_day / 86_400.0).expect("validated rate"))
}

fn sampler(d: &Dist) -> Sampler {
    d.sampler().expect("validated distribution")
}

impl KindRuntime {
    /// Compiles the `kind` part of `scenario`, which must simulate it.
    pub fn new(scenario: &Arc<Scenario>, kind: Kind) -> KindRuntime {
        let spec = scenario
            .kind(kind)
            .expect("compiled only for a simulated kind");
        let machine = machine_of(spec);
        let mut step = vec![None; machine.duration_names.len()];
        for st in &spec.steps {
            if let Some(i) = machine.duration_names.iter().position(|n| *n == st.name) {
                step[i] = Some(sampler(&st.duration));
            }
        }
        let mut fail_prob = [0.0; Op::COUNT];
        let mut hang_prob = [0.0; Op::COUNT];
        let mut fail_outcome = machine.default_outcome;
        for f in &spec.failures {
            fail_prob[f.op.index()] = f.prob;
            hang_prob[f.op.index()] = f.hang_prob;
            fail_outcome[f.op.index()] = f.outcome;
        }
        let mut watchdog = [None; Op::COUNT];
        for w in &spec.watchdog {
            watchdog[w.op.index()] = w.timeout;
        }
        let owner = Owner::new(spec);
        KindRuntime {
            step,
            deleted_for: sampler(&spec.deleted_for),
            lifetime: spec.lifetime.as_ref().map(sampler),
            initial_lifetime: spec
                .lifetime
                .as_ref()
                .filter(|_| spec.initial_steady)
                .map(|d| d.residual_sampler().expect("validated distribution")),
            arrival_gap: gaps(spec.arrivals_per_day),
            ops_gap: gaps(spec.ops_rate_per_day).filter(|_| owner.is_some()),
            owner,
            fail_prob,
            hang_prob,
            on_error_delay: spec.on_error.as_ref().map(|o| sampler(&o.delay)),
            incidents: spec
                .incidents
                .iter()
                .map(|i| Incident {
                    start: i.start,
                    end: i.start.after(i.duration),
                    fault_factor: i.fault_factor,
                    failure_factor: i.failure_factor,
                })
                .collect(),
            crash_gap: spec.guest_crash.as_ref().and_then(|g| gaps(g.rate_per_day)),
            stopped_state: machine.state_by_name("stopped:null"),
            fail_outcome,
            watchdog,
            time_to_fault: spec.faults.time_to_fault.as_ref().map(sampler),
            repair: spec.faults.repair.as_ref().map(sampler),
            resize_delay: spec.resize.as_ref().map(|r| sampler(&r.decision_delay)),
            renew_delay: spec.freeze.as_ref().map(|f| sampler(&f.renew_delay)),
            freeze_gap: spec.freeze.as_ref().and_then(|f| gaps(f.rate_per_day)),
            deployment: spec.deployment.as_ref().map(Deployments::new),
            machine,
            scenario: Arc::clone(scenario),
        }
    }

    /// The whole scenario.
    #[inline]
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// A duration of the step that state `state` is, drawn from `rng`.
    pub(super) fn step_duration(&self, state: StateId, rng: &mut Rng) -> SimTime {
        self.machine.duration_key[state.index()]
            .and_then(|key| self.step[key as usize].as_ref())
            .map_or(SimTime::ZERO, |sampler| sampler.sample(rng))
    }

    /// The kind's part of the scenario.
    #[inline]
    pub fn spec(&self) -> &KindSpec {
        self.scenario
            .kind(self.machine.kind)
            .expect("compiled only for a simulated kind")
    }

    /// Product of the factors (chosen by `pick`) of the incident windows
    /// covering `t`.
    pub(super) fn incident_factor(&self, t: SimTime, pick: fn(&Incident) -> f64) -> f64 {
        crate::scenario::combined_factor(
            self.incidents
                .iter()
                .filter(|w| w.start <= t && t < w.end)
                .map(pick),
        )
    }

    /// The probabilities that operation `op` started at `now` hangs, and
    /// that it fails: incident windows multiply them (capped at 1). A
    /// probability of 0 stays 0 whatever the factor (the product of large
    /// factors may overflow to ∞, and 0 × ∞ would be certain).
    pub fn hang_and_fail_prob(&self, op: Op, now: SimTime) -> (f64, f64) {
        let factor = self.incident_factor(now, |w| w.failure_factor);
        let scaled = |p: f64| if p > 0.0 { (p * factor).min(1.0) } else { 0.0 };
        (
            scaled(self.hang_prob[op.index()]),
            scaled(self.fail_prob[op.index()]),
        )
    }

    /// When a fault clock started at `now` with `age` of fault hazard runs
    /// out: inside incident windows the hazard accrues `fault_factor` times
    /// as fast (a time change that multiplies the hazard rate exactly, for
    /// any time-to-fault distribution); a factor of 0 pauses it.
    pub fn fault_due(&self, now: SimTime, age: SimTime) -> SimTime {
        if self.incidents.is_empty() {
            return now.after(age);
        }
        let mut t = now;
        let mut left = age.ms() as f64;
        loop {
            let rate = self.incident_factor(t, |w| w.fault_factor);
            let next = self
                .incidents
                .iter()
                .flat_map(|w| [w.start, w.end])
                .filter(|&b| b > t)
                .min();
            match next {
                Some(b) if rate * (b.ms() - t.ms()) as f64 <= left => {
                    left -= rate * (b.ms() - t.ms()) as f64;
                    t = b;
                }
                // No boundary ahead: outside every window the rate is 1.
                _ => return t.after(SimTime((left / rate).round() as u64)),
            }
        }
    }
}
