//! What hosts do to servers: placing builds (with Nova's scheduler
//! retries), a build that finds no valid host, host and failure-domain
//! failures and repairs striking the servers on them, and ECS auto-recovery
//! by evacuation. The capacity component keeps the books (what each host
//! holds, which hosts are down, the pools' counters); this glue decides
//! what happens to the servers.

use super::{By, Cause, Event, NO_FLAVOR, Simulation, limiting};
use crate::engine::SimTime;
use crate::fleet::flag;
use crate::model::{Kind, Op, Status, Target};

impl Simulation<'_> {
    /// Schedules the first failure of every host and domain.
    pub(super) fn start_hosts(&mut self) {
        let Some(cap) = &self.capacity else { return };
        if let Some((ttf, _)) = &cap.clocks.host {
            for host in 0..cap.hosts.len() as u32 {
                let d = ttf.sample(&mut self.core.rng.hosts);
                self.core.schedule_in(d, Event::HostFailure { host });
            }
        }
        for (level, l) in cap.levels.iter().enumerate() {
            for domain in 0..l.count {
                let d = cap.clocks.domains[level].0.sample(&mut self.core.rng.hosts);
                let level = level as u16;
                self.core
                    .schedule_in(d, Event::DomainFailure { level, domain });
            }
        }
    }

    /// A new server gets its flavor, drawn from its own stream, if its kind
    /// needs hosts: true then.
    pub(super) fn choose_flavor(&mut self, id: u32) -> bool {
        let kind = self.servers.fleet.get(id).kind;
        let now = self.core.now();
        let rng = &mut self.servers.own_rng[id as usize];
        self.capacity
            .as_mut()
            .and_then(|cap| cap.arrive(id, kind, now, rng))
            .is_some()
    }

    /// Places a server of the initial fleet; one that fits nowhere is not
    /// created (and counted, so the report can say so).
    pub(super) fn place_initial(&mut self, id: u32) -> bool {
        if self.place_attempt(id) {
            return true;
        }
        self.drop_unplaced(id);
        false
    }

    /// A server of the initial fleet that fits nowhere is not created: it
    /// leaves at once, counted in its pool's `initial_unplaced`.
    pub(super) fn drop_unplaced(&mut self, id: u32) {
        if let Some(cap) = self.capacity.as_mut() {
            cap.count_unplaced(id);
        }
        self.disappear(id, Cause::NoValidHost);
    }

    /// A BMS is placed as it arrives (a node is chosen before provisioning
    /// starts), an ECS at the end of its `scheduling` step. False for a BMS
    /// with no node.
    pub(super) fn place_on_arrival(&mut self, id: u32) -> bool {
        self.servers.fleet.get(id).kind == Kind::Ecs || self.schedule_build(id)
    }

    /// The flavor the API shows for server `id`, or [`NO_FLAVOR`] for a
    /// kind without hosts.
    pub(super) fn shown_flavor(&self, id: u32) -> u16 {
        let s = self.servers.fleet.get(id);
        match &self.capacity {
            Some(cap) if cap.limits(s.kind) => {
                let resized = matches!(s.status, Status::VerifyResize | Status::RevertResize);
                cap.shown_flavor(id, resized)
            }
            _ => NO_FLAVOR,
        }
    }

    /// The scheduler places a build (counted as a create the first time it
    /// gets here). False when no host has room; true for a kind without
    /// hosts.
    pub(super) fn schedule_build(&mut self, id: u32) -> bool {
        let (kind, now, w) = (
            self.servers.fleet.get(id).kind,
            self.core.now(),
            self.core.in_window,
        );
        limiting(&mut self.capacity, kind).is_none_or(|cap| cap.schedule_build(id, w, now))
    }

    /// The build of server `id` found no valid host: an ECS goes to ERROR
    /// (Nova), a BMS creation is rolled back. Counted as blocked.
    pub(super) fn no_valid_host(&mut self, id: u32) {
        let s = *self.servers.fleet.get(id);
        let k = self.k(s.kind);
        if self.capacity.as_mut().is_some_and(|cap| cap.block(id)) {
            self.servers.stats[k].ops[Op::Create.index()].refused_capacity += 1;
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

    /// Sends a failed build back to the scheduler: it gives its host back
    /// and starts again from the first step, avoiding that host.
    pub(super) fn reschedule(&mut self, id: u32) {
        let now = self.core.now();
        let kind = self.servers.fleet.get(id).kind;
        let Some(cap) = limiting(&mut self.capacity, kind) else {
            return;
        };
        cap.reschedule(id, self.core.in_window, now);
        let first = self.kinds[self.k(kind)].machine.create_route.steps()[0];
        self.restart_build(id);
        if kind == Kind::Bms && !self.place_attempt(id) {
            self.no_valid_host(id);
            return;
        }
        self.set_state(id, first, Cause::Reschedule);
        self.schedule_step(id);
    }

    /// Places the build of server `id` (a server of the initial fleet, or
    /// a BMS's next attempt, which chooses its node at once), avoiding the
    /// host its last attempt failed on. False when no host has room; true
    /// for a kind without hosts.
    fn place_attempt(&mut self, id: u32) -> bool {
        let now = self.core.now();
        let kind = self.servers.fleet.get(id).kind;
        limiting(&mut self.capacity, kind).is_none_or(|cap| cap.place_build(id, now))
    }

    /// Keeps the allocation of server `id` in step with the state it just
    /// entered (see [`crate::capacity::Capacity::follow`]).
    pub(super) fn follow_state(&mut self, id: u32) {
        // Called at every state change: nothing to do without capacity.
        if self.capacity.is_none() {
            return;
        }
        let s = *self.servers.fleet.get(id);
        let now = self.core.now();
        let error = self.kinds[self.k(s.kind)].machine.error_state;
        if let Some(cap) = limiting(&mut self.capacity, s.kind) {
            cap.follow(id, s.kind, s.state, s.state == error, now);
        }
    }

    /// Whether server `id` is a build that never got a host (no valid host,
    /// or every attempt failed): there is nothing for an admin to repair,
    /// and Nova's reset-state would not schedule it; its owner deletes it.
    pub(super) fn never_placed(&self, id: u32) -> bool {
        let s = self.servers.fleet.get(id);
        !s.has(flag::LAUNCHED)
            && self
                .capacity
                .as_ref()
                .is_some_and(|c| c.limits(s.kind) && c.of(id).host == crate::capacity::NO_HOST)
    }

    /// Whether server `id` sits on a host that is down (an admin waits for
    /// the host's repair rather than reset it there).
    pub(super) fn on_down_host(&self, id: u32) -> bool {
        self.capacity.as_ref().is_some_and(|c| c.on_down_host(id))
    }

    pub(super) fn on_host_failure(&mut self, host: u32) {
        let now = self.core.now();
        let Some(cap) = self.capacity.as_mut() else {
            return;
        };
        let down = cap.fail_host(host, now);
        if let Some((_, repair)) = &cap.clocks.host {
            let d = repair.sample(&mut self.core.rng.hosts);
            self.core.schedule_in(d, Event::HostRepair { host });
        }
        let hit = if down { self.strike(&[host], false) } else { 0 };
        if let Some(cap) = self.capacity.as_mut() {
            cap.log_failure(now, None, host, down as u32, hit);
        }
    }

    pub(super) fn on_host_repair(&mut self, host: u32) {
        let now = self.core.now();
        let Some(cap) = self.capacity.as_mut() else {
            return;
        };
        let up = cap.repair_host(host, now);
        // At least one tick to the next failure: failure and repair re-arm
        // each other, and cannot at one instant forever.
        if let Some((ttf, _)) = &cap.clocks.host {
            let d = ttf.sample(&mut self.core.rng.hosts).max(SimTime::TICK);
            self.core.schedule_in(d, Event::HostFailure { host });
        }
        if up {
            self.recover(&[host]);
        }
    }

    pub(super) fn on_domain_failure(&mut self, level: u16, domain: u32) {
        let now = self.core.now();
        let Some(cap) = self.capacity.as_mut() else {
            return;
        };
        let down = cap.fail_domain(level, domain, now);
        let repair = cap.clocks.domains[level as usize]
            .1
            .sample(&mut self.core.rng.hosts);
        self.core
            .schedule_in(repair, Event::DomainRepair { level, domain });
        let hit = self.strike(&down, true);
        if let Some(cap) = self.capacity.as_mut() {
            cap.log_failure(now, Some(level), domain, down.len() as u32, hit);
        }
    }

    pub(super) fn on_domain_repair(&mut self, level: u16, domain: u32) {
        let now = self.core.now();
        let Some(cap) = self.capacity.as_mut() else {
            return;
        };
        let up = cap.repair_domain(level, domain, now);
        let ttf = cap.clocks.domains[level as usize]
            .0
            .sample(&mut self.core.rng.hosts)
            .max(SimTime::TICK);
        self.core
            .schedule_in(ttf, Event::DomainFailure { level, domain });
        self.recover(&up);
    }

    /// Hosts in `hosts` (sorted) just went down: every server on them (as source or
    /// destination) is hit, in id order. A build fails (and is rescheduled
    /// if it may be); anything else ends in ERROR / Faulty, its operation
    /// failed; a delete goes on. ECS on a failed host are then evacuated if
    /// auto-recovery is on.
    fn strike(&mut self, hosts: &[u32], domain: bool) -> u32 {
        let Some(cap) = self.capacity.as_ref() else {
            return 0;
        };
        let mut hits = 0;
        for id in cap.servers_on(hosts) {
            let s = *self.servers.fleet.get(id);
            let k = self.k(s.kind);
            let m = &self.kinds[k].machine;
            let (frozen, error) = (Some(s.state) == m.frozen_state, m.error_state);
            // A delete goes on (Nova deletes locally); a frozen BMS is off
            // and stays frozen.
            if !s.has(flag::ALIVE) || frozen || matches!(s.op, Some(Op::Delete | Op::Expire)) {
                continue;
            }
            let now = self.core.now();
            if let Some(cap) = self.capacity.as_mut() {
                cap.hit(id, domain, now);
            }
            hits += 1;
            match s.op {
                Some(Op::Create) => {
                    self.fail(id, Cause::HostFailure);
                    continue;
                }
                Some(op) => {
                    self.servers.stats[k].ops[op.index()].failed += 1;
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
        let s = *self.servers.fleet.get(id);
        let error = self.kinds[self.k(s.kind)].machine.error_state;
        if s.kind != Kind::Ecs || s.state != error {
            return;
        }
        let now = self.core.now();
        let Some(cap) = self.capacity.as_mut() else {
            return;
        };
        if !cap.may_evacuate(id, now) {
            return;
        }
        let d = cap.clocks.recovery_delay.sample(&mut self.core.rng.hosts);
        self.core
            .schedule_in(d, Event::Evacuate { id, epoch: s.epoch });
    }

    /// Evacuates server `id` to a healthy host with room, through the
    /// rebuild steps (status REBUILD); with no room it stays in ERROR until
    /// its host is repaired.
    pub(super) fn on_evacuate(&mut self, id: u32, epoch: u32) {
        let s = *self.servers.fleet.get(id);
        let error = self.kinds[self.k(s.kind)].machine.error_state;
        let stale = !s.has(flag::ALIVE) || s.epoch != epoch || s.op.is_some();
        if stale || s.state != error || !self.on_down_host(id) {
            return;
        }
        let now = self.core.now();
        if self.capacity.as_mut().is_some_and(|c| c.evacuate(id, now)) {
            self.request(id, Op::Rebuild, By::Recovery);
        }
    }

    /// Hosts in `hosts` (sorted) are up again: the admin resets (ECS) or
    /// repairs (BMS) every idle server on them still in ERROR / Faulty.
    fn recover(&mut self, hosts: &[u32]) {
        let Some(cap) = self.capacity.as_ref() else {
            return;
        };
        for id in cap.servers_on(hosts) {
            let s = *self.servers.fleet.get(id);
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
