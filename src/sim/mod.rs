//! The simulation: the closed set of events, the run loop that pops them,
//! and the composition of one run's parts, each handed to the handlers that
//! need it and no more:
//!
//! - `context`: the engine context, `Core` (clock and queue, random streams,
//!   the statistics window, counters, the recorder tap): all a timer needs;
//! - `kind`: each kind's scenario compiled once (machine, samplers);
//! - `servers`: the servers and the statistics that observe them;
//! - the capacity component ([`crate::capacity::Capacity`]), present only
//!   when the scenario has hosts, which keeps its own invariants.
//!
//! The lifecycle runner (`lifecycle`) ties them together: it is the one
//! place a server's state changes. `timers` holds the workload and failure
//! clocks, `hosts` what hosts do to servers, `import` a fleet read from a
//! file. The engine (queue, time, random streams) knows nothing
//! of servers; the models are tables (docs/model.md).

mod context;
mod deploy;
mod hosts;
mod import;
mod kind;
mod lifecycle;
mod record;
mod servers;
mod timers;

pub use kind::machine_of;
pub use record::{By, Cause, Change, NO_FLAVOR, NullRecorder, Recorder, Request, Response};

use crate::capacity::Capacity;
use crate::engine::SimTime;
use crate::model::{Kind, Machine};
use crate::results::Outcomes;
use crate::scenario::Scenario;
use context::Core;
use kind::KindRuntime;
use servers::Servers;
use std::sync::Arc;

/// Every event the simulation schedules. Events are small and `Copy`; the
/// generation numbers they carry make stale ones harmless.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
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
    /// The scheduling of pending deployment `index` ends: its servers are
    /// placed as a whole.
    Deployment { index: u32 },
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
            | Event::Deployment { .. }
            | Event::MassFault { .. }
            | Event::HostFailure { .. }
            | Event::HostRepair { .. }
            | Event::DomainFailure { .. }
            | Event::DomainRepair { .. } => None,
        }
    }
}

/// How often the progress callback is called, in events.
const PROGRESS_EVERY: u64 = 1 << 16;

/// One simulation run of one scenario.
pub struct Simulation<'r> {
    scenario: Arc<Scenario>,
    /// Per simulated kind, in `Kind::ALL` order: its compiled scenario.
    kinds: Vec<KindRuntime>,
    core: Core<'r>,
    servers: Servers,
    /// Hosts and placement; `None`: unlimited capacity.
    capacity: Option<Capacity>,
    /// Per simulated kind, as `kinds`: the trace its creates are replayed
    /// from, if any.
    traces: Vec<Option<crate::demand::trace::TraceStream>>,
    /// Deployments waiting for their scheduling.
    deployments: deploy::Pending,
}

/// What a server of a trace brings to its create instead of drawing it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Traced {
    /// Its flavor (an index of the capacity's flavors), if the kind has hosts.
    pub flavor: Option<u16>,
    /// Time from the create request to the delete request; `None`: never.
    pub lifetime: Option<SimTime>,
}

/// The capacity that limits servers of `kind`, if any: without one, the
/// kind's capacity is unlimited and no host is involved.
#[inline]
fn limiting(capacity: &mut Option<Capacity>, kind: Kind) -> Option<&mut Capacity> {
    capacity.as_mut().filter(|c| c.limits(kind))
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
            .filter(|&&k| scenario.kind(k).is_some())
            .map(|&k| KindRuntime::new(scenario, k))
            .collect();
        let machines: Vec<&Machine> = kinds.iter().map(|k| &k.machine).collect();
        let capacity = scenario
            .capacity
            .as_ref()
            .map(|c| Capacity::new(c, &machines));
        let servers = Servers::new(&machines);
        let mut core = Core::new(scenario.horizon, scenario.seed, replication, recorder);
        if let Some(c) = &capacity {
            let names: Vec<&str> = c.flavors.iter().map(|f| f.name.as_str()).collect();
            core.flavors(&names);
            core.layout(&c.flavors, &c.pools);
        }
        let traces = kinds
            .iter()
            .map(|k| {
                k.spec().arrival_trace.as_ref().map(|t| {
                    let hosts = capacity.as_ref().is_some_and(|c| c.limits(k.machine.kind));
                    crate::demand::trace::TraceStream::open(t, hosts)
                })
            })
            .collect();
        Simulation {
            scenario: Arc::clone(scenario),
            kinds,
            core,
            servers,
            capacity,
            traces,
            deployments: deploy::Pending::default(),
        }
    }

    /// Index into `kinds` (and the statistics) of a kind.
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
        if warmup == SimTime::ZERO {
            self.begin_window(SimTime::ZERO);
        }
        self.start();
        let mut next_sample = SimTime::ZERO;
        while let Some(t) = self.core.queue.peek_time().filter(|&t| t <= horizon) {
            // A sample at s shows the state after every event at or before s.
            while next_sample < t {
                self.sample(next_sample);
                next_sample = next_sample.after(interval);
            }
            if !self.core.in_window && t >= warmup {
                self.begin_window(warmup);
            }
            let pending = self.core.queue.len() as u64;
            self.core.counters.pending_sum += pending;
            self.core.counters.peak_pending = self.core.counters.peak_pending.max(pending);
            let (_, event) = self.core.queue.pop().expect("peeked");
            // With a million servers nearly every event's first touch of its
            // server misses the cache: start fetching the next one's now, so
            // that the wait overlaps this event's work.
            if let Some(id) = self.core.queue.peek_event().and_then(Event::server) {
                self.servers.fleet.prefetch(id);
                if let Some(rng) = self.servers.own_rng.get(id as usize) {
                    crate::engine::prefetch(rng);
                }
            }
            self.dispatch(event);
            self.core.counters.events += 1;
            if self.core.counters.events.is_multiple_of(PROGRESS_EVERY) {
                if crate::interrupt::requested().is_some() {
                    // Cut short: the caller sees the signal and writes
                    // nothing of this run.
                    next_sample = horizon.after(interval);
                    break;
                }
                progress(t, self.core.counters.events);
            }
        }
        while next_sample <= horizon {
            self.sample(next_sample);
            next_sample = next_sample.after(interval);
        }
        if !self.core.in_window {
            self.begin_window(warmup);
        }
        progress(horizon, self.core.counters.events);
        for s in &mut self.servers.stats {
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
            servers_created: self.servers.fleet.created() as u64,
            peak_slots: self.servers.fleet.slots(),
            kinds: self
                .kinds
                .into_iter()
                .map(|k| k.machine)
                .zip(self.servers.stats)
                .collect(),
            counters: self.core.counters,
            scenario: self.scenario,
        }
    }

    /// The statistics window begins at `t`: what was counted before it is
    /// forgotten.
    fn begin_window(&mut self, t: SimTime) {
        self.core.in_window = true;
        for s in &mut self.servers.stats {
            s.begin_window(t);
        }
        if let Some(c) = &mut self.capacity {
            c.begin_window(t);
        }
    }

    fn sample(&mut self, t: SimTime) {
        for (k, s) in self.kinds.iter().zip(&self.servers.stats) {
            self.core.sample(t, k.machine.kind, s, &k.machine);
        }
        if let Some(c) = &self.capacity {
            self.core.sample_pools(t, &c.pools);
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
            Event::Deployment { index } => self.on_deployment(index),
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_groups;
#[cfg(test)]
mod tests_hosts;
#[cfg(test)]
mod tests_import;
