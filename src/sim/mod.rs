//! The simulation: the closed set of events, the per-kind runtime built once
//! from a scenario (machines, samplers, mixes), and the run loop that pops
//! events and hands them to the lifecycle runner.
//!
//! The engine (queue, time, random streams) knows nothing of servers; the
//! models are tables; this module wires them together.

mod hosts;
mod import;
mod lifecycle;
mod timers;

use crate::capacity::{Capacity, Pool};
use crate::engine::{EventQueue, SimTime, Streams};
use crate::fleet::Fleet;
use crate::model::{Kind, Machine, Op, Outcome, StateId, Status, bms, ecs};
use crate::results::{Outcomes, RunCounters};
use crate::scenario::{KindSpec, ResidualSampler, Sampler, Scenario};
use crate::stats::KindStats;
use rand_distr::Exp;
use rand_distr::weighted::WeightedAliasIndex;
use std::sync::Arc;

/// Every event the simulation schedules. Events are small and `Copy`; the
/// generation numbers they carry make stale ones harmless.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A create request of this kind arrives (Poisson).
    Arrival(Kind),
    /// The current step of server `id` ends.
    StepDone { id: u32, epoch: u32 },
    /// The watchdog of operation `op_seq` of server `id` expires.
    Watchdog { id: u32, op_seq: u32 },
    /// The user of server `id` requests an operation from the mix.
    UserOp { id: u32, life: u32 },
    /// The user of server `id` deletes it at the end of its lifetime.
    LifetimeEnd { id: u32, life: u32 },
    /// The fault clock of server `id` runs out.
    Fault { id: u32, fault_epoch: u32 },
    /// An admin repairs server `id` (still in ERROR / Faulty).
    Repair { id: u32, epoch: u32 },
    /// The user of server `id` confirms or reverts its resize.
    ResizeDecision { id: u32, epoch: u32 },
    /// Nova's resize_confirm_window expires for server `id`.
    AutoConfirm { id: u32, epoch: u32 },
    /// Deleted server `id` leaves the population.
    Purge { id: u32, epoch: u32 },
    /// The owner of server `id`, in ERROR / Faulty, deletes or rebuilds it.
    OwnerReaction { id: u32, epoch: u32, rebuild: bool },
    /// Mass fault number `index` of a kind strikes.
    MassFault { kind: Kind, index: u32 },
    /// The guest of server `id` powers itself off (if it is ACTIVE and idle).
    GuestCrash { id: u32, life: u32 },
    /// Nova's power-state sync finds the guest of server `id` off.
    PowerSync { id: u32, epoch: u32 },
    /// Billing freezes server `id`.
    Freeze { id: u32, life: u32 },
    /// The owner of frozen server `id` renews.
    Unfreeze { id: u32, epoch: u32 },
    /// The retention period of frozen server `id` ends.
    Expire { id: u32, epoch: u32 },
    /// Host `host` fails.
    HostFailure { host: u32 },
    /// Host `host` is repaired.
    HostRepair { host: u32 },
    /// Domain `domain` of failure-domain level `level` fails.
    DomainFailure { level: u16, domain: u32 },
    /// Domain `domain` of level `level` is repaired.
    DomainRepair { level: u16, domain: u32 },
    /// Auto-recovery evacuates server `id` from its failed host.
    Evacuate { id: u32, epoch: u32 },
}

impl Event {
    /// The server slot the event concerns, if it concerns one.
    #[inline]
    fn server(&self) -> Option<u32> {
        match *self {
            Event::StepDone { id, .. }
            | Event::Watchdog { id, .. }
            | Event::UserOp { id, .. }
            | Event::LifetimeEnd { id, .. }
            | Event::Fault { id, .. }
            | Event::Repair { id, .. }
            | Event::ResizeDecision { id, .. }
            | Event::AutoConfirm { id, .. }
            | Event::Purge { id, .. }
            | Event::OwnerReaction { id, .. }
            | Event::GuestCrash { id, .. }
            | Event::PowerSync { id, .. }
            | Event::Freeze { id, .. }
            | Event::Unfreeze { id, .. }
            | Event::Expire { id, .. }
            | Event::Evacuate { id, .. } => Some(id),
            Event::Arrival(_)
            | Event::MassFault { .. }
            | Event::HostFailure { .. }
            | Event::HostRepair { .. }
            | Event::DomainFailure { .. }
            | Event::DomainRepair { .. } => None,
        }
    }
}

/// Why a server changed: the operation progressing, its failure, its
/// watchdog, a spontaneous fault, or the removal of a deleted server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A server of the initial fleet, present at t = 0.
    Initial,
    /// The operation started, advanced a step, or finished.
    Op(Op),
    /// The operation failed (to the error state, or rolled back).
    Failed(Op),
    /// The operation overran its watchdog.
    Timeout(Op),
    /// A spontaneous fault.
    Fault,
    /// Nova's power-state sync found a crashed guest off.
    PowerSync,
    /// A deleted server left the population.
    Purge,
    /// A create found no host with room.
    NoValidHost,
    /// A build that failed on its host goes back to the scheduler.
    Reschedule,
    /// The server's host, or a failure domain holding it, failed.
    HostFailure,
}

impl Cause {
    /// The trace's name of the cause, in two parts: a name and a suffix
    /// (`resize` `_failed`), so that it is written without formatting.
    pub fn name_parts(self) -> (&'static str, &'static str) {
        match self {
            Cause::Initial => ("initial", ""),
            Cause::Op(op) => (op.name(), ""),
            Cause::Failed(op) => (op.name(), "_failed"),
            Cause::Timeout(op) => (op.name(), "_timeout"),
            Cause::Fault => ("fault", ""),
            Cause::PowerSync => ("power_sync", ""),
            Cause::Purge => ("purge", ""),
            Cause::NoValidHost => ("no_valid_host", ""),
            Cause::Reschedule => ("reschedule", ""),
            Cause::HostFailure => ("host_failure", ""),
        }
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (name, suffix) = self.name_parts();
        f.write_str(name)?;
        f.write_str(suffix)
    }
}

/// One change of a server's state, status or lock, as the trace records it.
#[derive(Clone, Copy, Debug)]
pub struct Change {
    pub time: SimTime,
    /// Unique instance number.
    pub serial: u32,
    pub kind: Kind,
    pub cause: Cause,
    /// State and status before; `None` for a server that just appeared.
    pub from: Option<(StateId, Status)>,
    /// State and status after; `None` for a server that left.
    pub to: Option<(StateId, Status)>,
    pub locked: bool,
    /// Index of the flavor the API shows, or [`NO_FLAVOR`] (no capacity).
    pub flavor: u16,
}

/// No flavor: the kind has no `[capacity]`.
pub const NO_FLAVOR: u16 = u16::MAX;

/// Who asks for an operation: users are refused by a lock, admins are not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    User,
    Admin,
    /// Nova's auto-recovery evacuating a server from a failed host (an
    /// admin action).
    Recovery,
}

/// The answer to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    Accepted,
    RefusedConflict,
    RefusedLocked,
    /// No host has room for what the operation needs (MODEL.md §2: the
    /// vm_state is kept and the task cleared, so nothing changes).
    RefusedCapacity,
    /// The server's host is down (Nova: its compute service is
    /// unavailable), though its state allows the operation.
    RefusedHostDown,
}

/// One request for an operation, as the request log records it.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub time: SimTime,
    pub serial: u32,
    pub kind: Kind,
    pub op: Op,
    pub by: By,
    /// State and status the request found; `None` for a create.
    pub state: Option<(StateId, Status)>,
    pub locked: bool,
    /// Whether its first build had succeeded.
    pub launched: bool,
    pub response: Response,
}

/// Where a run's time series and trace go. The simulation calls it; it never
/// drives the simulation.
pub trait Recorder {
    /// Whether [`Recorder::change`] should be called at all.
    fn wants_changes(&self) -> bool;
    /// One change (only if `wants_changes`).
    fn change(&mut self, c: &Change, machine: &Machine);
    /// Occupancy of one kind at sample time `t`.
    fn sample(&mut self, t: SimTime, kind: Kind, stats: &KindStats, machine: &Machine);
    /// Usage of every pool at sample time `t` (only with capacity).
    fn capacity(&mut self, _t: SimTime, _pools: &[Pool]) {}
    /// The flavor names a [`Change::flavor`] indexes (only with capacity).
    fn flavors(&mut self, _names: &[&str]) {}
    /// One request (only if `wants_changes`).
    fn request(&mut self, _r: &Request, _machine: &Machine) {}
}

/// A recorder that keeps nothing.
pub struct NullRecorder;

impl Recorder for NullRecorder {
    fn wants_changes(&self) -> bool {
        false
    }
    fn change(&mut self, _: &Change, _: &Machine) {}
    fn sample(&mut self, _: SimTime, _: Kind, _: &KindStats, _: &Machine) {}
}

/// One kind's scenario, compiled: samplers built once, arrays by operation.
pub(crate) struct KindRuntime {
    pub machine: Machine,
    pub spec: KindSpec,
    step: Vec<Option<Sampler>>,
    deleted_for: Sampler,
    lifetime: Option<Sampler>,
    /// Remaining lifetime of a server of the initial fleet.
    initial_lifetime: Option<ResidualSampler>,
    arrival_gap: Option<Exp<f64>>,
    ops_gap: Option<Exp<f64>>,
    mix: Option<(WeightedAliasIndex<f64>, Vec<Op>)>,
    fail_prob: [f64; Op::COUNT],
    hang_prob: [f64; Op::COUNT],
    on_error_delay: Option<Sampler>,
    /// Incident windows: (start, end, fault factor, failure factor).
    incidents: Vec<(SimTime, SimTime, f64, f64)>,
    crash_gap: Option<Exp<f64>>,
    /// ECS `stopped:null`, where the power-state sync leaves a crashed guest.
    stopped_state: Option<StateId>,
    fail_outcome: [Outcome; Op::COUNT],
    watchdog: [Option<SimTime>; Op::COUNT],
    time_to_fault: Option<Sampler>,
    repair: Option<Sampler>,
    resize_delay: Option<Sampler>,
    renew_delay: Option<Sampler>,
    freeze_gap: Option<Exp<f64>>,
}

/// A Poisson process with `per_day` events a day, as exponential gaps in seconds.
fn gaps(per_day: f64) -> Option<Exp<f64>> {
    (per_day > 0.0).then(|| Exp::new(per_day / 86_400.0).expect("validated rate"))
}

fn sampler(d: &crate::scenario::Dist) -> Sampler {
    d.sampler().expect("validated distribution")
}

impl KindRuntime {
    /// Product of the factors (chosen by `pick`) of the incident windows
    /// covering `t`.
    fn incident_factor(&self, t: SimTime, pick: fn(&(SimTime, SimTime, f64, f64)) -> f64) -> f64 {
        self.incidents
            .iter()
            .filter(|w| w.0 <= t && t < w.1)
            .map(pick)
            .product()
    }

    /// When a fault clock started at `now` with `age` of fault hazard runs
    /// out: inside incident windows the hazard accrues `fault_factor` times
    /// as fast (a time change that multiplies the hazard rate exactly, for
    /// any time-to-fault distribution); a factor of 0 pauses it.
    fn fault_due(&self, now: SimTime, age: SimTime) -> SimTime {
        if self.incidents.is_empty() {
            return now.after(age);
        }
        let mut t = now;
        let mut left = age.ms() as f64;
        loop {
            let rate = self.incident_factor(t, |w| w.2);
            let next = self
                .incidents
                .iter()
                .flat_map(|w| [w.0, w.1])
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

    fn new(spec: &KindSpec) -> KindRuntime {
        let machine = match spec.kind {
            Kind::Ecs => ecs::machine_with(
                spec.faults.repair_to_stopped,
                spec.soft_reboot.as_ref().is_some_and(|s| s.hard_preempts),
            ),
            Kind::Bms => bms::machine(spec.faults.repair_to_stopped),
        };
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
        let mix = (!spec.ops_mix.is_empty()).then(|| {
            let w = spec.ops_mix.iter().map(|m| m.weight).collect();
            let ops = spec.ops_mix.iter().map(|m| m.op).collect();
            (WeightedAliasIndex::new(w).expect("validated mix"), ops)
        });
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
            ops_gap: gaps(spec.ops_rate_per_day).filter(|_| mix.is_some()),
            mix,
            fail_prob,
            hang_prob,
            on_error_delay: spec.on_error.as_ref().map(|o| sampler(&o.delay)),
            incidents: spec
                .incidents
                .iter()
                .map(|i| {
                    (
                        i.start,
                        i.start.after(i.duration),
                        i.fault_factor,
                        i.failure_factor,
                    )
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
            machine,
            spec: spec.clone(),
        }
    }
}

/// How often the progress callback is called, in events.
const PROGRESS_EVERY: u64 = 1 << 16;

/// One simulation run of one scenario.
pub struct Simulation<'r> {
    scenario: Arc<Scenario>,
    kinds: Vec<KindRuntime>,
    stats: Vec<KindStats>,
    fleet: Fleet,
    queue: EventQueue<Event>,
    rng: Streams,
    /// Each server's own workload stream, by slot.
    server_rng: Vec<crate::engine::Rng>,
    recorder: &'r mut dyn Recorder,
    /// Hosts and placement; `None`: unlimited capacity.
    capacity: Option<Capacity>,
    /// Samplers of host failures, domain failures and the evacuation delay.
    host_clocks: hosts::Clocks,
    record_changes: bool,
    in_window: bool,
    counters: RunCounters,
}

impl<'r> Simulation<'r> {
    /// Prepares a run of `scenario` (replication 0 of its seed).
    pub fn new(scenario: &Arc<Scenario>, recorder: &'r mut dyn Recorder) -> Simulation<'r> {
        Simulation::replication(scenario, 0, recorder)
    }

    /// Prepares replication `replication` of `scenario`: its random streams
    /// are derived from the seed and the replication number.
    pub fn replication(
        scenario: &Arc<Scenario>,
        replication: u64,
        recorder: &'r mut dyn Recorder,
    ) -> Simulation<'r> {
        let kinds: Vec<KindRuntime> = Kind::ALL
            .iter()
            .filter_map(|&k| scenario.kind(k))
            .map(KindRuntime::new)
            .collect();
        let stats = kinds.iter().map(|k| KindStats::new(&k.machine)).collect();
        let record_changes = recorder.wants_changes();
        let machines: Vec<&Machine> = kinds.iter().map(|k| &k.machine).collect();
        let capacity = scenario
            .capacity
            .as_ref()
            .map(|c| Capacity::new(c, &machines));
        if let Some(c) = &capacity {
            let names: Vec<&str> = c.flavors.iter().map(|f| f.name.as_str()).collect();
            recorder.flavors(&names);
        }
        Simulation {
            capacity,
            host_clocks: hosts::Clocks::new(scenario.capacity.as_ref()),
            scenario: Arc::clone(scenario),
            kinds,
            stats,
            fleet: Fleet::default(),
            queue: EventQueue::until(scenario.horizon),
            rng: Streams::new(scenario.seed, replication),
            server_rng: Vec::new(),
            recorder,
            record_changes,
            in_window: false,
            counters: RunCounters::default(),
        }
    }

    /// Index into `kinds` / `stats` of a kind.
    #[inline]
    fn k(&self, kind: Kind) -> usize {
        if self.kinds.len() == 1 || kind == Kind::Ecs {
            0
        } else {
            1
        }
    }

    /// Runs to the horizon. `progress(now, events)` is called now and then.
    pub fn run(mut self, progress: &mut dyn FnMut(SimTime, u64)) -> Outcomes {
        let horizon = self.scenario.horizon;
        let warmup = self.scenario.warmup;
        let interval = self.scenario.sample_interval;
        self.in_window = warmup == SimTime::ZERO;
        self.start();
        let mut next_sample = SimTime::ZERO;
        while let Some(t) = self.queue.peek_time().filter(|&t| t <= horizon) {
            // A sample at s shows the state after every event at or before s.
            while next_sample < t {
                self.sample(next_sample);
                next_sample = next_sample.after(interval);
            }
            if !self.in_window && t >= warmup {
                self.begin_window(warmup);
            }
            let pending = self.queue.len() as u64;
            self.counters.pending_sum += pending;
            self.counters.peak_pending = self.counters.peak_pending.max(pending);
            let (_, event) = self.queue.pop().expect("peeked");
            // With a million servers nearly every event's first touch of its
            // server misses the cache: start fetching the next one's now, so
            // that the wait overlaps this event's work.
            if let Some(id) = self.queue.peek_event().and_then(Event::server) {
                self.fleet.prefetch(id);
                if let Some(rng) = self.server_rng.get(id as usize) {
                    crate::engine::prefetch(rng);
                }
            }
            self.dispatch(event);
            self.counters.events += 1;
            if self.counters.events.is_multiple_of(PROGRESS_EVERY) {
                progress(t, self.counters.events);
            }
        }
        while next_sample <= horizon {
            self.sample(next_sample);
            next_sample = next_sample.after(interval);
        }
        if !self.in_window {
            self.begin_window(warmup);
        }
        progress(horizon, self.counters.events);
        for s in &mut self.stats {
            s.close(horizon);
        }
        if let Some(c) = &mut self.capacity {
            c.close(horizon);
        }
        let (pools, failures) = self
            .capacity
            .map(|c| (c.pools, c.failures))
            .unwrap_or_default();
        Outcomes {
            pools,
            failures,
            servers_created: self.fleet.created() as u64,
            peak_slots: self.fleet.slots(),
            kinds: self
                .kinds
                .into_iter()
                .map(|k| k.machine)
                .zip(self.stats)
                .collect(),
            counters: self.counters,
            scenario: self.scenario,
        }
    }

    fn begin_window(&mut self, t: SimTime) {
        self.in_window = true;
        for s in &mut self.stats {
            s.begin_window(t);
        }
        if let Some(c) = &mut self.capacity {
            c.begin_window(t);
        }
    }

    fn sample(&mut self, t: SimTime) {
        for (k, s) in self.kinds.iter().zip(&self.stats) {
            self.recorder.sample(t, k.machine.kind, s, &k.machine);
        }
        if let Some(c) = &self.capacity {
            self.recorder.capacity(t, &c.pools);
        }
    }

    fn dispatch(&mut self, event: Event) {
        match event {
            Event::Arrival(kind) => self.on_arrival(kind),
            Event::StepDone { id, epoch } => self.on_step_done(id, epoch),
            Event::Watchdog { id, op_seq } => self.on_watchdog(id, op_seq),
            Event::UserOp { id, life } => self.on_user_op(id, life),
            Event::LifetimeEnd { id, life } => self.on_lifetime_end(id, life),
            Event::Fault { id, fault_epoch } => self.on_fault(id, fault_epoch),
            Event::Repair { id, epoch } => self.on_repair(id, epoch),
            Event::ResizeDecision { id, epoch } => self.on_resize_decision(id, epoch),
            Event::AutoConfirm { id, epoch } => self.on_auto_confirm(id, epoch),
            Event::Purge { id, epoch } => self.on_purge(id, epoch),
            Event::OwnerReaction { id, epoch, rebuild } => {
                self.on_owner_reaction(id, epoch, rebuild)
            }
            Event::MassFault { kind, index } => self.on_mass_fault(kind, index),
            Event::GuestCrash { id, life } => self.on_guest_crash(id, life),
            Event::PowerSync { id, epoch } => self.on_power_sync(id, epoch),
            Event::Freeze { id, life } => self.on_freeze(id, life),
            Event::Unfreeze { id, epoch } => self.on_unfreeze(id, epoch),
            Event::Expire { id, epoch } => self.on_expire(id, epoch),
            Event::HostFailure { host } => self.on_host_failure(host),
            Event::HostRepair { host } => self.on_host_repair(host),
            Event::DomainFailure { level, domain } => self.on_domain_failure(level, domain),
            Event::DomainRepair { level, domain } => self.on_domain_repair(level, domain),
            Event::Evacuate { id, epoch } => self.on_evacuate(id, epoch),
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_capacity;
#[cfg(test)]
mod tests_import;
