//! Timers of the workload and of failure injection: create arrivals, user
//! operations and lifetimes, resize decisions, billing freezes, the fault
//! clock, admin repair, owners reacting to errors, mass faults, guest
//! crashes, and the purge of deleted servers.
//!
//! Scheduling a timer needs only the kind's compiled scenario, the engine
//! [`Core`] and the server: those are methods of [`KindRuntime`]. Each draws
//! from the random stream of its purpose. When a timer fires, its handler
//! (on [`Simulation`]) checks the generation it carries before acting.

use super::context::Core;
use super::kind::{KindRuntime, Owner};
use super::{By, Cause, Event, Response, Simulation, Traced};
use crate::engine::{Rng, SimTime};
use crate::fleet::{Server, flag};
use crate::model::{Kind, Op};
use rand::RngExt;
use rand::distr::Distribution;
use rand_distr::Exp;

/// The next gap of a Poisson clock, if it runs.
fn gap(exp: Option<&Exp<f64>>, rng: &mut Rng) -> Option<SimTime> {
    exp.map(|e| SimTime::from_secs_f64(e.sample(rng)))
}

/// Scheduling: what each timer needs is the kind's runtime, the core, and
/// the server it concerns.
impl KindRuntime {
    /// The next create of this kind, drawn from the arrival stream: by
    /// thinning the scenario's profile, or from the constant rate's gaps.
    pub(super) fn schedule_arrival(&self, core: &mut Core) {
        let event = Event::Arrival(self.machine.kind);
        if let Some(p) = &self.spec().arrival_profile {
            let sc = self.scenario();
            let clock = crate::demand::Clock::new(p, sc.start_time, sc.horizon);
            if let Some(t) = clock.next_after(core.now(), &mut core.rng.arrivals) {
                core.schedule_at(t, event);
            }
        } else if let Some(d) = gap(self.arrival_gap.as_ref(), &mut core.rng.arrivals) {
            core.schedule_in(d, event);
        }
    }

    /// Starts the clocks a new server's owner brings: its lifetime (for the
    /// initial fleet, what remains of it; for a server of a trace, the
    /// trace's, in `traced`), its operations, and (BMS) billing, from the
    /// server's own stream where they are the owner's.
    pub(super) fn onboard(
        &self,
        core: &mut Core,
        own: &mut Rng,
        id: u32,
        s: &Server,
        initial: bool,
        traced: Option<Option<SimTime>>,
    ) {
        let remaining = match (traced, &self.initial_lifetime, &self.lifetime) {
            (Some(given), _, _) => given,
            (None, Some(r), _) if initial => Some(r.sample(own)),
            (None, _, Some(l)) => Some(l.sample(own)),
            _ => None,
        };
        if let Some(d) = remaining {
            core.schedule_in(d, Event::LifetimeEnd { id, life: s.life });
        }
        self.schedule_user_op(core, own, id, s.life);
        // Billing's clock of a server that is frozen already (an imported
        // one) starts when it is unfrozen, as after any freeze.
        if Some(s.state) != self.machine.frozen_state {
            self.schedule_freeze(core, id, s.life);
        }
        self.schedule_guest_crash(core, id, s.life);
    }

    /// The owner's next operation request, from the server's own stream.
    pub(super) fn schedule_user_op(&self, core: &mut Core, own: &mut Rng, id: u32, life: u32) {
        if let Some(d) = gap(self.ops_gap.as_ref(), own) {
            core.schedule_in(d, Event::UserOp { id, life });
        }
    }

    /// The next billing freeze of a BMS, if freezes are on, from the
    /// decision stream.
    pub(super) fn schedule_freeze(&self, core: &mut Core, id: u32, life: u32) {
        if let Some(d) = gap(self.freeze_gap.as_ref(), &mut core.rng.decisions) {
            core.schedule_in(d, Event::Freeze { id, life });
        }
    }

    /// The next guest crash, if crashes are on, from the failure stream.
    pub(super) fn schedule_guest_crash(&self, core: &mut Core, id: u32, life: u32) {
        if let Some(d) = gap(self.crash_gap.as_ref(), &mut core.rng.failures) {
            core.schedule_in(d, Event::GuestCrash { id, life });
        }
    }

    /// Draws a new time to fault for server `s` (slot `id`), replacing any
    /// running clock. The clock re-arms itself (a server busy or frozen
    /// when it runs out draws again), so it runs out at least one tick
    /// ahead: a draw of 0 cannot re-arm it at the same instant forever.
    pub(super) fn start_fault_clock(&self, core: &mut Core, id: u32, s: &mut Server) {
        let Some(ttf) = &self.time_to_fault else {
            return;
        };
        let age = ttf.sample(&mut core.rng.failures);
        let now = core.now();
        let due = self.fault_due(now, age).max(now.after(SimTime::TICK));
        s.fault_epoch = s.fault_epoch.wrapping_add(1);
        s.set(flag::FAULT_CLOCK, true);
        let fault_epoch = s.fault_epoch;
        core.schedule_at(due, Event::Fault { id, fault_epoch });
    }

    /// An admin's repair of a server that just entered ERROR / Faulty, at
    /// least one tick later: a repair that fails at once (a BMS repair
    /// with no steps and `prob = 1`) cannot loop at one instant.
    pub(super) fn schedule_repair(&self, core: &mut Core, id: u32, epoch: u32) {
        if let Some(r) = &self.repair {
            let d = r.sample(&mut core.rng.failures).max(SimTime::TICK);
            core.schedule_in(d, Event::Repair { id, epoch });
        }
    }

    /// On entering ERROR / Faulty: the owner may delete or rebuild the server
    /// after a delay (`[<kind>.on_error]`), or wait for the admin repair.
    /// The delay is at least one tick: a rebuild that fails at once cannot
    /// loop at one instant.
    pub(super) fn schedule_owner_reaction(&self, core: &mut Core, id: u32, epoch: u32) {
        let (Some(spec), Some(delay)) = (&self.spec().on_error, &self.on_error_delay) else {
            return;
        };
        let (p_delete, p_rebuild) = (spec.delete_prob, spec.rebuild_prob);
        let u: f64 = core.rng.decisions.random();
        let rebuild = if u < p_delete {
            false
        } else if u < p_delete + p_rebuild {
            true
        } else {
            return;
        };
        let d = delay.sample(&mut core.rng.decisions).max(SimTime::TICK);
        core.schedule_in(d, Event::OwnerReaction { id, epoch, rebuild });
    }

    /// On reaching VERIFY_RESIZE: the user decides after a delay (at least
    /// one tick: a decision refused because the server is locked comes
    /// back, and cannot at the same instant forever), unless Nova's
    /// auto-confirm window closes first.
    pub(super) fn schedule_resize_decision(&self, core: &mut Core, id: u32, s: &Server) {
        let (Some(delay), Some(spec)) = (&self.resize_delay, &self.spec().resize) else {
            return;
        };
        // The window runs from arrival in VERIFY_RESIZE, even when the user's
        // decision is being retried after a refusal.
        let deadline = spec.auto_confirm.map(|a| s.since.after(a));
        let now = core.now();
        let decision = now.after(delay.sample(&mut core.rng.decisions).max(SimTime::TICK));
        let epoch = s.epoch;
        match deadline {
            Some(t) if t <= decision => {
                core.schedule_at(t.max(now), Event::AutoConfirm { id, epoch })
            }
            _ => core.schedule_at(decision, Event::ResizeDecision { id, epoch }),
        }
    }

    /// On reaching Frozen: the owner renews after a delay, or the retention
    /// period ends first and the server is deleted.
    pub(super) fn schedule_billing(&self, core: &mut Core, id: u32, epoch: u32) {
        let (Some(spec), Some(delay)) = (&self.spec().freeze, &self.renew_delay) else {
            return;
        };
        let retention = spec.retention;
        let renew = core.rng.decisions.random_bool(spec.renew_prob);
        let d = delay.sample(&mut core.rng.decisions);
        if renew && d < retention {
            core.schedule_in(d, Event::Unfreeze { id, epoch });
        } else {
            core.schedule_in(retention, Event::Expire { id, epoch });
        }
    }

    /// A deleted server leaves the population after `deleted_for`.
    pub(super) fn schedule_purge(&self, core: &mut Core, id: u32, epoch: u32) {
        let d = self.deleted_for.sample(&mut core.rng.durations);
        core.schedule_in(d, Event::Purge { id, epoch });
    }
}

/// Handling: a timer that fires acts on the server through the lifecycle.
impl Simulation<'_> {
    /// Whether `id` still holds a live server whose state generation is `epoch`.
    fn current(&self, id: u32, epoch: u32) -> bool {
        let s = self.servers.fleet.get(id);
        s.has(flag::ALIVE) && s.epoch == epoch
    }

    pub(super) fn on_arrival(&mut self, kind: Kind) {
        let k = self.k(kind);
        if self.traces[k].is_some() {
            self.replay_trace(k);
        } else {
            self.create_deployment(kind, &[]);
        }
        self.schedule_arrival(k);
    }

    /// Schedules the next create of kind number `k`: from its trace, or
    /// drawn from its arrival process.
    pub(super) fn schedule_arrival(&mut self, k: usize) {
        match &self.traces[k] {
            Some(trace) => {
                if let Some(t) = trace.next_time() {
                    let (now, kind) = (self.core.now(), self.kinds[k].machine.kind);
                    self.core.schedule_at(t.max(now), Event::Arrival(kind));
                }
            }
            None => self.kinds[k].schedule_arrival(&mut self.core),
        }
    }

    /// Creates the servers of every trace row due now. Rows of one
    /// deployment created at the same time are one request (scheduled as a
    /// whole, as a drawn deployment is). A request becomes `demand_scale`
    /// requests on average (⌊s⌋, and one more with probability s − ⌊s⌋,
    /// drawn from the arrival stream), each server with its row's flavor
    /// and lifetime.
    fn replay_trace(&mut self, k: usize) {
        let (now, kind) = (self.core.now(), self.kinds[k].machine.kind);
        let scale = self.kinds[k]
            .spec()
            .arrival_trace
            .as_ref()
            .map_or(1.0, |t| t.demand_scale);
        let mut request: Vec<Traced> = Vec::new();
        while let Some(vm) = self.traces[k].as_mut().and_then(|t| t.pop_due(now)) {
            let flavor = vm
                .flavor
                .as_deref()
                .and_then(|f| self.capacity.as_ref().and_then(|c| c.flavor_index(kind, f)));
            let lifetime = vm.deleted.map(|d| d.since(vm.created));
            request.push(Traced { flavor, lifetime });
            if self.traces[k].as_ref().is_some_and(|t| t.continues(&vm)) {
                continue;
            }
            let extra = scale.fract() > 0.0 && self.core.rng.arrivals.random_bool(scale.fract());
            let copies = scale.floor() as u32 + u32::from(extra);
            for _ in 0..copies {
                self.create_deployment(kind, &request);
            }
            request.clear();
        }
    }

    /// Starts the clocks a new server's owner brings.
    pub(super) fn onboard(&mut self, id: u32, initial: bool, traced: Option<Option<SimTime>>) {
        let s = *self.servers.fleet.get(id);
        let k = self.k(s.kind);
        let own = &mut self.servers.own_rng[id as usize];
        self.kinds[k].onboard(&mut self.core, own, id, &s, initial, traced);
    }

    /// Schedules the next billing freeze of server `id`, if freezes are on.
    pub(super) fn schedule_freeze(&mut self, id: u32) {
        let s = *self.servers.fleet.get(id);
        let k = self.k(s.kind);
        self.kinds[k].schedule_freeze(&mut self.core, id, s.life);
    }

    /// Draws a new time to fault for server `id`, replacing any running clock.
    pub(super) fn start_fault_clock(&mut self, id: u32) {
        let k = self.k(self.servers.fleet.get(id).kind);
        let s = self.servers.fleet.get_mut(id);
        self.kinds[k].start_fault_clock(&mut self.core, id, s);
    }

    pub(super) fn stop_fault_clock(&mut self, id: u32) {
        let s = self.servers.fleet.get_mut(id);
        s.fault_epoch = s.fault_epoch.wrapping_add(1);
        s.set(flag::FAULT_CLOCK, false);
    }

    pub(super) fn on_user_op(&mut self, id: u32, life: u32) {
        if !self.servers.fleet.is_alive(id, life) {
            return;
        }
        let s = *self.servers.fleet.get(id);
        let k = self.k(s.kind);
        let rt = &self.kinds[k];
        // The owner of a deleted server has no more to ask of it.
        if s.state == rt.machine.deleted_state {
            return;
        }
        // An operations clock runs only with a mix.
        let Some(owner) = &rt.owner else {
            return;
        };
        let own = &mut self.servers.own_rng[id as usize];
        let op = match owner {
            Owner::Blind(mix) => Some(mix.draw(own)),
            Owner::ByStatus(by) => {
                // One draw from the server's stream per tick, whatever the
                // status: its later ticks then come at the same times in
                // runs that differ only in what the server went through
                // (common random numbers). The choice is made with a
                // generator seeded from that draw.
                let mut choice = Rng::new(own.random::<u128>() | 1);
                // The owner looks at the status the server shows. It asks
                // nothing more of a server it has asked to delete, nor of a
                // BMS frozen for billing, which shows SHUTOFF but whose
                // owner knows why: its answer is to renew (or not).
                let knows_better =
                    s.has(flag::PENDING_DELETE) || Some(s.state) == rt.machine.frozen_state;
                by[s.status as usize]
                    .as_ref()
                    .filter(|_| !knows_better)
                    .map(|mix| mix.draw(&mut choice))
            }
        };
        if let Some(op) = op {
            self.request(id, op, By::User);
        }
        let life = self.servers.fleet.get(id).life;
        let own = &mut self.servers.own_rng[id as usize];
        self.kinds[k].schedule_user_op(&mut self.core, own, id, life);
    }

    pub(super) fn on_lifetime_end(&mut self, id: u32, life: u32) {
        if self.servers.fleet.is_alive(id, life) {
            self.user_delete(id);
        }
    }

    /// The owner deletes the server: unlocking it first if it is locked, and,
    /// if it is busy, again as soon as it settles where a delete is allowed.
    /// The wish lasts until the server is gone: a delete that fails is tried
    /// again after [`USER_RETRY`](super::lifecycle::USER_RETRY).
    pub(super) fn user_delete(&mut self, id: u32) {
        if self.servers.fleet.get(id).has(flag::LOCKED) {
            self.request(id, Op::Unlock, By::User);
        }
        let s = self.servers.fleet.get_mut(id);
        s.set(flag::PENDING_DELETE, true);
        s.set(flag::DELETE_RETRY, false);
        self.refresh_availability(id);
        self.request(id, Op::Delete, By::User);
    }

    /// The fault clock runs out: a server idle in a fault-prone state goes to
    /// ERROR / Faulty; one in the middle of an operation (or frozen) is spared
    /// and its clock drawn again, since faults strike stable states only.
    pub(super) fn on_fault(&mut self, id: u32, fault_epoch: u32) {
        let s = *self.servers.fleet.get(id);
        if !s.has(flag::ALIVE) || s.fault_epoch != fault_epoch {
            return;
        }
        let m = &self.kinds[self.k(s.kind)].machine;
        if s.op.is_none() && m.fault_prone[s.state.index()] {
            let error = m.error_state;
            self.core.counters.faults += 1;
            self.set_state(id, error, Cause::Fault);
            self.settle(id);
        } else {
            self.start_fault_clock(id);
        }
    }

    /// An admin repairs a server still in ERROR / Faulty: an ECS is reset; a
    /// BMS is repaired in place or, with `rebuild_prob`, rebuilt by an operator.
    pub(super) fn on_repair(&mut self, id: u32, epoch: u32) {
        // On a host that is down, the admin waits for the host's repair,
        // which resets every server still in error on it.
        if !self.current(id, epoch) || self.on_down_host(id) || self.never_placed(id) {
            return;
        }
        let s = *self.servers.fleet.get(id);
        let k = self.k(s.kind);
        let op = match s.kind {
            Kind::Ecs => Op::ResetState,
            Kind::Bms => {
                let p = self.kinds[k].spec().faults.rebuild_prob;
                if p > 0.0 && self.core.rng.failures.random_bool(p) {
                    Op::Rebuild
                } else {
                    Op::Repair
                }
            }
        };
        self.request(id, op, By::Admin);
    }

    pub(super) fn on_resize_decision(&mut self, id: u32, epoch: u32) {
        if !self.current(id, epoch) {
            return;
        }
        let k = self.k(self.servers.fleet.get(id).kind);
        let p = self.kinds[k]
            .spec()
            .resize
            .as_ref()
            .map_or(1.0, |r| r.confirm_prob);
        let op = if self.core.rng.decisions.random_bool(p) {
            Op::ConfirmResize
        } else {
            Op::RevertResize
        };
        if self.request(id, op, By::User) == Response::RefusedLocked {
            // The owner comes back later.
            let s = *self.servers.fleet.get(id);
            self.kinds[k].schedule_resize_decision(&mut self.core, id, &s);
        }
    }

    pub(super) fn on_auto_confirm(&mut self, id: u32, epoch: u32) {
        if self.current(id, epoch) {
            self.request(id, Op::ConfirmResize, By::Admin);
        }
    }

    pub(super) fn on_purge(&mut self, id: u32, epoch: u32) {
        if self.current(id, epoch) {
            self.disappear(id, Cause::Purge);
        }
    }

    pub(super) fn on_freeze(&mut self, id: u32, life: u32) {
        if !self.servers.fleet.is_alive(id, life) {
            return;
        }
        let s = *self.servers.fleet.get(id);
        if s.state == self.kinds[self.k(s.kind)].machine.deleted_state {
            return;
        }
        if self.request(id, Op::Freeze, By::Admin) != Response::Accepted {
            // Billing tries again later; the chain resumes after an unfreeze otherwise.
            self.schedule_freeze(id);
        }
    }

    pub(super) fn on_unfreeze(&mut self, id: u32, epoch: u32) {
        if self.current(id, epoch) {
            self.request(id, Op::Unfreeze, By::Admin);
        }
    }

    pub(super) fn on_expire(&mut self, id: u32, epoch: u32) {
        if self.current(id, epoch) {
            self.request(id, Op::Expire, By::Admin);
        }
    }

    pub(super) fn on_owner_reaction(&mut self, id: u32, epoch: u32, rebuild: bool) {
        if !self.current(id, epoch) {
            return;
        }
        if rebuild {
            if self.servers.fleet.get(id).has(flag::LOCKED) {
                self.request(id, Op::Unlock, By::User);
            }
            self.request(id, Op::Rebuild, By::User);
        } else {
            self.user_delete(id);
        }
    }

    /// A mass fault: each idle server of the kind in a fault-prone state
    /// faults with the configured probability, in id order.
    pub(super) fn on_mass_fault(&mut self, kind: Kind, index: u32) {
        let k = self.k(kind);
        let fraction = self.kinds[k].spec().mass_faults[index as usize].fraction;
        let error = self.kinds[k].machine.error_state;
        for id in 0..self.servers.fleet.slots() as u32 {
            let s = *self.servers.fleet.get(id);
            // The kind first: a state id means something only in its kind.
            if !s.has(flag::ALIVE) || s.kind != kind || s.op.is_some() {
                continue;
            }
            if !self.kinds[k].machine.fault_prone[s.state.index()] {
                continue;
            }
            if self.core.rng.failures.random_bool(fraction) {
                self.core.counters.faults += 1;
                self.core.counters.mass_fault_hits += 1;
                self.set_state(id, error, Cause::Fault);
                self.settle(id);
            }
        }
    }

    /// The guest powers itself off. The API keeps showing ACTIVE until the
    /// next run of Nova's power-state sync (a periodic task every
    /// `sync_interval`), which then stops the server. Only an ACTIVE, idle
    /// server is affected; the crash clock goes on either way.
    pub(super) fn on_guest_crash(&mut self, id: u32, life: u32) {
        if !self.servers.fleet.is_alive(id, life) {
            return;
        }
        let s = *self.servers.fleet.get(id);
        let k = self.k(s.kind);
        let rt = &self.kinds[k];
        if s.op.is_none()
            && s.state == rt.machine.running_state
            && let Some(g) = &rt.spec().guest_crash
        {
            let every = g.sync_interval.ms();
            let tick = SimTime((self.core.now().ms() / every + 1) * every);
            self.core.counters.guest_crashes += 1;
            self.core
                .schedule_at(tick, Event::PowerSync { id, epoch: s.epoch });
        }
        self.kinds[k].schedule_guest_crash(&mut self.core, id, life);
    }

    pub(super) fn on_power_sync(&mut self, id: u32, epoch: u32) {
        if !self.current(id, epoch) {
            return;
        }
        let k = self.k(self.servers.fleet.get(id).kind);
        if let Some(stopped) = self.kinds[k].stopped_state {
            self.set_state(id, stopped, Cause::PowerSync);
            self.settle(id);
        }
    }
}
