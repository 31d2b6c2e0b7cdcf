//! The physical side of a run: placing builds (with Nova's scheduler
//! retries), claiming a destination or a host for an operation, moving
//! allocations when an operation ends, host and failure-domain failures
//! and repairs, and ECS auto-recovery by evacuation.

use super::{By, Response};
use super::{Cause, Event, NO_FLAVOR, Simulation};
use crate::capacity::{Claim, FailureRecord, NO_HOST, Scheduled, claim_of};
use crate::engine::SimTime;
use crate::fleet::flag;
use crate::model::{Kind, Op, Status, Target};
use crate::scenario::capacity::CapacitySpec;
use crate::scenario::{Dist, Sampler};

/// Samplers of the physical side, built once.
#[derive(Default)]
pub(super) struct Clocks {
    /// Time to failure and repair of one host.
    host: Option<(Sampler, Sampler)>,
    /// Per failure-domain level: time to failure and repair of one domain.
    domains: Vec<(Sampler, Sampler)>,
    /// Host failure to start of evacuation.
    recovery_delay: Option<Sampler>,
}

fn sampler(d: &Dist) -> Sampler {
    d.sampler().expect("validated distribution")
}

impl Clocks {
    pub(super) fn new(spec: Option<&CapacitySpec>) -> Clocks {
        let Some(spec) = spec else {
            return Clocks::default();
        };
        Clocks {
            host: spec
                .host_failures
                .as_ref()
                .map(|c| (sampler(&c.time_to_failure), sampler(&c.repair))),
            domains: spec
                .domains
                .iter()
                .map(|d| (sampler(&d.clock.time_to_failure), sampler(&d.clock.repair)))
                .collect(),
            recovery_delay: Some(sampler(&spec.recovery_delay)),
        }
    }
}

impl Simulation<'_> {
    /// Whether servers of `kind` need hosts in this run.
    pub(super) fn limited(&self, kind: Kind) -> bool {
        self.capacity.as_ref().is_some_and(|c| c.limits(kind))
    }

    fn cap_spec(&self) -> &CapacitySpec {
        self.scenario
            .capacity
            .as_ref()
            .expect("capacity is configured")
    }

    /// Schedules the first failure of every host and domain.
    pub(super) fn start_hosts(&mut self) {
        let Some(cap) = &self.capacity else { return };
        let hosts = cap.hosts.len() as u32;
        let levels: Vec<u32> = cap.levels.iter().map(|l| l.count).collect();
        if let Some((ttf, _)) = &self.host_clocks.host {
            for host in 0..hosts {
                let d = ttf.sample(&mut self.rng.hosts);
                self.queue.schedule_in(d, Event::HostFailure { host });
            }
        }
        for (level, count) in levels.into_iter().enumerate() {
            for domain in 0..count {
                let d = self.host_clocks.domains[level]
                    .0
                    .sample(&mut self.rng.hosts);
                let level = level as u16;
                self.queue
                    .schedule_in(d, Event::DomainFailure { level, domain });
            }
        }
    }

    /// A new server of a limited kind gets its flavor.
    pub(super) fn choose_flavor(&mut self, id: u32) {
        let kind = self.fleet.get(id).kind;
        let cap = self.capacity.as_mut().expect("limited kind");
        cap.arrive(id, kind, &mut self.server_rng[id as usize]);
    }

    /// A BMS is placed as it arrives (a node is chosen before provisioning
    /// starts), an ECS at the end of its `scheduling` step. False for a BMS
    /// with no node.
    pub(super) fn place_on_arrival(&mut self, id: u32) -> bool {
        self.fleet.get(id).kind == Kind::Ecs || self.schedule_build(id)
    }

    /// The flavor the API shows for server `id`, or [`NO_FLAVOR`]: the new
    /// one from the end of a resize until it is confirmed or reverted
    /// (Nova switches the instance's flavor in finish_resize).
    pub(super) fn shown_flavor(&self, id: u32) -> u16 {
        let s = self.fleet.get(id);
        match &self.capacity {
            Some(cap) if cap.limits(s.kind) => {
                let a = cap.of(id);
                let resized = matches!(s.status, Status::VerifyResize | Status::RevertResize);
                if resized && a.dest != NO_HOST {
                    a.dest_flavor
                } else {
                    a.flavor
                }
            }
            _ => NO_FLAVOR,
        }
    }

    /// The scheduler places a build: counted as a create the first time it
    /// gets here (an attempt that failed before it did is not a create of
    /// its own), so that a create is counted before its blocking.
    pub(super) fn schedule_build(&mut self, id: u32) -> bool {
        let cap = self.capacity.as_mut().expect("limited kind");
        if cap.note_scheduled(id, self.in_window) {
            let flavor = cap.of(id).flavor;
            cap.pool_of_flavor(flavor).stats.counters.creates += 1;
        }
        self.place_build(id)
    }

    /// Places the build of server `id`, avoiding the host its last attempt
    /// failed on. False when no host has room.
    pub(super) fn place_build(&mut self, id: u32) -> bool {
        let now = self.queue.now();
        let cap = self.capacity.as_mut().expect("limited kind");
        let a = cap.of(id);
        match cap.place(a.flavor, a.avoid) {
            Some(h) => {
                cap.attach(id, h, now);
                true
            }
            None => false,
        }
    }

    /// The build of server `id` found no valid host: an ECS goes to ERROR
    /// (Nova), a BMS creation is rolled back. Counted as blocked.
    pub(super) fn no_valid_host(&mut self, id: u32) {
        let s = *self.fleet.get(id);
        let k = self.k(s.kind);
        let cap = self.capacity.as_mut().expect("limited kind");
        let a = cap.of(id);
        // Counted as blocked only where its create was counted: a create
        // scheduled before the window is not blocked within it.
        if a.scheduled == Scheduled::InWindow {
            cap.pool_of_flavor(a.flavor).stats.counters.creates_blocked += 1;
            self.stats[k].ops[Op::Create.index()].refused_capacity += 1;
        }
        let target = match s.kind {
            Kind::Ecs => Target::State(self.kinds[k].machine.error_state),
            Kind::Bms => Target::Removed,
        };
        if s.op.is_some() {
            self.end(id, target, Cause::NoValidHost);
        } else {
            self.disappear(id, Cause::NoValidHost);
        }
    }

    /// Whether a failed build of server `id` goes back to the scheduler
    /// (Nova reschedules up to `build_attempts` attempts in all).
    pub(super) fn may_reschedule(&self, id: u32) -> bool {
        let kind = self.fleet.get(id).kind;
        let made = self
            .capacity
            .as_ref()
            .map_or(0, |c| c.of(id).attempts as u32);
        self.limited(kind) && made < self.cap_spec().build_attempts
    }

    /// Sends a failed build back to the scheduler: it gives its host back
    /// and starts again from the first step, avoiding that host.
    pub(super) fn reschedule(&mut self, id: u32) {
        let now = self.queue.now();
        let cap = self.capacity.as_mut().expect("limited kind");
        let a = cap.of(id);
        cap.detach(id, now);
        cap.note_attempt(id, a.host);
        cap.pool_of_flavor(a.flavor).stats.counters.build_retries += 1;
        let kind = self.fleet.get(id).kind;
        let first = self.kinds[self.k(kind)].machine.create_route.steps()[0];
        self.restart_build(id);
        if kind == Kind::Bms && !self.place_build(id) {
            self.no_valid_host(id);
            return;
        }
        self.set_state(id, first, Cause::Reschedule);
        self.schedule_step(id);
    }

    /// What an operation claims when it starts on server `id`: `None` when
    /// it may go on (its claim, if any, is now held), or the refusal.
    pub(super) fn claim(&mut self, id: u32, op: Op) -> Option<Response> {
        let s = *self.fleet.get(id);
        if !self.limited(s.kind) {
            return None;
        }
        let claim = claim_of(op);
        let now = self.queue.now();
        let cap = self.capacity.as_mut().expect("limited");
        let a = cap.of(id);
        if claim == Claim::Nothing {
            return None;
        }
        // Nova refuses actions on a server whose compute service is down.
        if a.host != NO_HOST && !cap.hosts[a.host as usize].is_up() {
            return Some(Response::RefusedHostDown);
        }
        let (flavor, avoid) = match claim {
            Claim::NewFlavor => {
                let rng = &mut self.server_rng[id as usize];
                let target = cap.resize_target(a.flavor, rng).unwrap_or(a.flavor);
                (target, a.host)
            }
            Claim::Destination => (a.flavor, a.host),
            Claim::Host if a.host == NO_HOST => (a.flavor, NO_HOST),
            _ => return None,
        };
        let host = cap.place(flavor, avoid);
        let c = &mut cap.pool_of_flavor(flavor).stats.counters;
        let (asked, refused) = match claim {
            Claim::NewFlavor => (&mut c.resizes, &mut c.resizes_refused),
            Claim::Destination => (&mut c.migrations, &mut c.migrations_refused),
            _ => (&mut c.placements, &mut c.placements_refused),
        };
        *asked += 1;
        if host.is_none() {
            *refused += 1;
        }
        match host {
            None => return Some(Response::RefusedCapacity),
            Some(h) if claim == Claim::Host => cap.attach(id, h, now),
            Some(h) => cap.attach_dest(id, h, flavor, now),
        }
        None
    }

    /// Settles the second allocation of server `id` as its operation `op`
    /// ends: a migration or confirmed resize moves to it, a resize keeps it
    /// until confirmed or reverted, anything else gives it back.
    pub(super) fn end_claim(&mut self, id: u32, op: Op, succeeded: bool) {
        let now = self.queue.now();
        let Some(cap) = self.capacity.as_mut() else {
            return;
        };
        match (op, succeeded) {
            (Op::LiveMigrate | Op::ConfirmResize, true) => cap.commit_dest(id, now),
            (Op::Resize, true) => {}
            _ => cap.detach_dest(id, now),
        }
    }

    /// Keeps the allocation of server `id` in step with the state it just
    /// entered: a state that holds no capacity gives everything back, and a
    /// server in ERROR / Faulty keeps only its own host.
    pub(super) fn follow_state(&mut self, id: u32) {
        // Called at every state change: nothing to do without capacity.
        if self.capacity.is_none() {
            return;
        }
        let s = *self.fleet.get(id);
        let now = self.queue.now();
        let error = self.kinds[self.k(s.kind)].machine.error_state;
        let Some(cap) = self.capacity.as_mut().filter(|c| c.limits(s.kind)) else {
            return;
        };
        if !cap.holds(s.kind, s.state) {
            cap.release(id, now);
        } else if s.state == error {
            cap.detach_dest(id, now);
        }
    }

    /// Whether server `id` is a build that never got a host (no valid host,
    /// or every attempt failed): there is nothing for an admin to repair,
    /// and Nova's reset-state would not schedule it; its owner deletes it.
    pub(super) fn never_placed(&self, id: u32) -> bool {
        let s = self.fleet.get(id);
        self.limited(s.kind)
            && !s.has(flag::LAUNCHED)
            && self
                .capacity
                .as_ref()
                .is_some_and(|c| c.of(id).host == NO_HOST)
    }

    /// Whether server `id` sits on a host that is down (an admin waits for
    /// the host's repair rather than reset it there).
    pub(super) fn on_down_host(&self, id: u32) -> bool {
        self.capacity.as_ref().is_some_and(|c| {
            let h = c.of(id).host;
            h != NO_HOST && !c.hosts[h as usize].is_up()
        })
    }

    pub(super) fn on_host_failure(&mut self, host: u32) {
        let now = self.queue.now();
        let cap = self
            .capacity
            .as_mut()
            .expect("hosts fail only with capacity");
        cap.hosts[host as usize].failed = true;
        let down = cap.set_down(host, true, now);
        cap.pool_of_host(host).stats.counters.host_failures += 1;
        if let Some((_, repair)) = &self.host_clocks.host {
            let d = repair.sample(&mut self.rng.hosts);
            self.queue.schedule_in(d, Event::HostRepair { host });
        }
        let hit = if down { self.strike(&[host], false) } else { 0 };
        self.log_failure(None, host, down as u32, hit);
    }

    pub(super) fn on_host_repair(&mut self, host: u32) {
        let now = self.queue.now();
        let cap = self
            .capacity
            .as_mut()
            .expect("hosts fail only with capacity");
        cap.hosts[host as usize].failed = false;
        let up = cap.set_down(host, false, now);
        if let Some((ttf, _)) = &self.host_clocks.host {
            let d = ttf.sample(&mut self.rng.hosts);
            self.queue.schedule_in(d, Event::HostFailure { host });
        }
        if up {
            self.recover(&[host]);
        }
    }

    pub(super) fn on_domain_failure(&mut self, level: u16, domain: u32) {
        let now = self.queue.now();
        let cap = self
            .capacity
            .as_mut()
            .expect("domains fail only with capacity");
        cap.levels[level as usize].failed[domain as usize] = true;
        let mut down = cap.domain_hosts(level as usize, domain);
        down.retain(|&h| cap.set_down(h, true, now));
        let mut pools = vec![false; cap.pools.len()];
        for &h in &down {
            pools[cap.hosts[h as usize].pool as usize] = true;
        }
        for (p, hit) in pools.iter().enumerate() {
            if *hit {
                cap.pools[p].stats.counters.domain_failures += 1;
            }
        }
        let repair = self.host_clocks.domains[level as usize]
            .1
            .sample(&mut self.rng.hosts);
        self.queue
            .schedule_in(repair, Event::DomainRepair { level, domain });
        let hosts_down = down.len() as u32;
        let hit = self.strike(&down, true);
        self.log_failure(Some(level), domain, hosts_down, hit);
    }

    fn log_failure(&mut self, level: Option<u16>, index: u32, hosts_down: u32, servers_hit: u32) {
        let time = self.queue.now();
        let cap = self.capacity.as_mut().expect("capacity");
        cap.failures.push(FailureRecord {
            time,
            level,
            index,
            hosts_down,
            servers_hit,
        });
    }

    pub(super) fn on_domain_repair(&mut self, level: u16, domain: u32) {
        let now = self.queue.now();
        let cap = self
            .capacity
            .as_mut()
            .expect("domains fail only with capacity");
        cap.levels[level as usize].failed[domain as usize] = false;
        let mut up = cap.domain_hosts(level as usize, domain);
        up.retain(|&h| cap.set_down(h, false, now));
        let ttf = self.host_clocks.domains[level as usize]
            .0
            .sample(&mut self.rng.hosts);
        self.queue
            .schedule_in(ttf, Event::DomainFailure { level, domain });
        self.recover(&up);
    }

    /// Hosts in `hosts` (sorted) just went down: every server on them (as source or
    /// destination) is hit, in id order. A build fails (and is rescheduled
    /// if it may be); anything else ends in ERROR / Faulty, its operation
    /// failed; a delete goes on. ECS on a failed host are then evacuated if
    /// auto-recovery is on.
    fn strike(&mut self, hosts: &[u32], domain: bool) -> u32 {
        let ids = self.capacity.as_ref().expect("capacity").servers_on(hosts);
        let mut hits = 0;
        for id in ids {
            let s = *self.fleet.get(id);
            let frozen = Some(s.state) == self.kinds[self.k(s.kind)].machine.frozen_state;
            // A delete goes on (Nova deletes locally); a frozen BMS is off
            // and stays frozen.
            if !s.has(flag::ALIVE) || frozen || matches!(s.op, Some(Op::Delete | Op::Expire)) {
                continue;
            }
            let now = self.queue.now();
            let k = self.k(s.kind);
            let error = self.kinds[k].machine.error_state;
            let cap = self.capacity.as_mut().expect("capacity");
            let flavor = cap.of(id).flavor;
            hits += 1;
            let c = &mut cap.pool_of_flavor(flavor).stats.counters;
            if domain {
                c.domain_failure_hits += 1;
            } else {
                c.host_failure_hits += 1;
            }
            cap.detach_dest(id, now);
            match s.op {
                Some(Op::Create) => {
                    self.fail(id, Cause::HostFailure);
                    continue;
                }
                Some(op) => {
                    self.stats[k].ops[op.index()].failed += 1;
                    self.end(id, Target::State(error), Cause::HostFailure);
                }
                None if s.state != error => {
                    self.set_state(id, error, Cause::HostFailure);
                    self.settle(id);
                }
                None => {}
            }
            self.plan_recovery(id);
        }
        hits
    }

    /// Auto-recovery of an ECS in ERROR on a failed host: evacuated after
    /// the recovery delay, unless it was recovered within the interval.
    fn plan_recovery(&mut self, id: u32) {
        let s = *self.fleet.get(id);
        let spec = self.cap_spec();
        let (auto, interval) = (spec.auto_recovery, spec.recovery_interval);
        let error = self.kinds[self.k(s.kind)].machine.error_state;
        if s.kind != Kind::Ecs || !auto || s.state != error || !self.on_down_host(id) {
            return;
        }
        let now = self.queue.now();
        let cap = self.capacity.as_mut().expect("capacity");
        let a = cap.of(id);
        if a.recovered.is_some_and(|t| now.since(t) < interval) {
            cap.pool_of_flavor(a.flavor)
                .stats
                .counters
                .recoveries_throttled += 1;
            return;
        }
        let d = self
            .host_clocks
            .recovery_delay
            .as_ref()
            .map_or(SimTime::ZERO, |r| r.sample(&mut self.rng.hosts));
        self.queue
            .schedule_in(d, Event::Evacuate { id, epoch: s.epoch });
    }

    /// Evacuates server `id` to a healthy host with room, through the
    /// rebuild steps (status REBUILD); with no room it stays in ERROR until
    /// its host is repaired.
    pub(super) fn on_evacuate(&mut self, id: u32, epoch: u32) {
        let s = *self.fleet.get(id);
        let error = self.kinds[self.k(s.kind)].machine.error_state;
        let stale = !s.has(flag::ALIVE) || s.epoch != epoch || s.op.is_some();
        if stale || s.state != error || !self.on_down_host(id) {
            return;
        }
        let now = self.queue.now();
        let cap = self.capacity.as_mut().expect("capacity");
        let a = cap.of(id);
        let Some(host) = cap.place(a.flavor, a.host) else {
            let c = &mut cap.pool_of_flavor(a.flavor).stats.counters;
            c.evacuations_stranded += 1;
            return;
        };
        cap.pool_of_flavor(a.flavor).stats.counters.evacuations += 1;
        cap.detach(id, now);
        cap.attach(id, host, now);
        cap.note_recovery(id, now);
        self.request(id, Op::Rebuild, By::Recovery);
    }

    /// Hosts in `hosts` (sorted) are up again: the admin resets (ECS) or
    /// repairs (BMS) every idle server on them still in ERROR / Faulty.
    fn recover(&mut self, hosts: &[u32]) {
        let ids = self.capacity.as_ref().expect("capacity").servers_on(hosts);
        for id in ids {
            let s = *self.fleet.get(id);
            let m = &self.kinds[self.k(s.kind)].machine;
            if s.has(flag::ALIVE) && s.op.is_none() && s.state == m.error_state {
                let op = match s.kind {
                    Kind::Ecs => Op::ResetState,
                    Kind::Bms => Op::Repair,
                };
                self.request(id, op, By::Admin);
            }
        }
    }
}
