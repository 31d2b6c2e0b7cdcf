//! Timers of the workload and of failure injection: create arrivals, user
//! operations and lifetimes, resize decisions, billing freezes, the fault
//! clock, admin repair, and the purge of deleted servers. Each draws from the
//! random stream of its purpose and checks its generation before acting.

use super::{By, Response};
use super::{Cause, Event, Simulation};
use crate::engine::SimTime;
use crate::fleet::flag;
use crate::model::{Kind, Op};
use rand::RngExt;
use rand::distr::Distribution;

/// The Poisson clocks of the workload.
#[derive(Clone, Copy)]
enum Clock {
    Arrival(Kind),
    UserOp(u32),
    Freeze(u32),
    GuestCrash(u32),
}

impl Simulation<'_> {
    /// Whether `id` still holds a live server whose state generation is `epoch`.
    fn current(&self, id: u32, epoch: u32) -> bool {
        let s = self.fleet.get(id);
        s.has(flag::ALIVE) && s.epoch == epoch
    }

    /// The next gap of one of a kind's Poisson clocks, each drawn from the
    /// stream that keeps it common across the points of a sweep: arrivals
    /// from the arrival stream, a server's operations from its own stream,
    /// billing freezes from the decision stream.
    fn gap(&mut self, clock: Clock) -> Option<SimTime> {
        let kind = match clock {
            Clock::Arrival(kind) => kind,
            Clock::UserOp(id) | Clock::Freeze(id) | Clock::GuestCrash(id) => {
                self.fleet.get(id).kind
            }
        };
        let rt = &self.kinds[self.k(kind)];
        let exp = match clock {
            Clock::Arrival(_) => rt.arrival_gap.as_ref(),
            Clock::UserOp(_) => rt.ops_gap.as_ref(),
            Clock::Freeze(_) => rt.freeze_gap.as_ref(),
            Clock::GuestCrash(_) => rt.crash_gap.as_ref(),
        }
        .cloned()?;
        let rng = match clock {
            Clock::Arrival(_) => &mut self.rng.arrivals,
            Clock::UserOp(id) => &mut self.server_rng[id as usize],
            Clock::Freeze(_) => &mut self.rng.decisions,
            Clock::GuestCrash(_) => &mut self.rng.failures,
        };
        Some(SimTime::from_secs_f64(exp.sample(rng)))
    }

    pub(super) fn schedule_arrival(&mut self, kind: Kind) {
        if let Some(d) = self.gap(Clock::Arrival(kind)) {
            self.queue.schedule_in(d, Event::Arrival(kind));
        }
    }

    pub(super) fn on_arrival(&mut self, kind: Kind) {
        self.create(kind);
        self.schedule_arrival(kind);
    }

    /// Starts the clocks a new server's owner brings: its lifetime (for the
    /// initial fleet, what remains of it), its operations, and (BMS) billing.
    pub(super) fn onboard(&mut self, id: u32, initial: bool) {
        let s = *self.fleet.get(id);
        let k = self.k(s.kind);
        let rt = &self.kinds[k];
        let own = &mut self.server_rng[id as usize];
        let remaining = match (&rt.initial_lifetime, &rt.lifetime) {
            (Some(r), _) if initial => Some(r.sample(own)),
            (_, Some(l)) => Some(l.sample(own)),
            _ => None,
        };
        if let Some(d) = remaining {
            self.queue
                .schedule_in(d, Event::LifetimeEnd { id, life: s.life });
        }
        self.schedule_user_op(id);
        // Billing's clock of a server that is frozen already (an imported
        // one) starts when it is unfrozen, as after any freeze.
        if Some(s.state) != self.kinds[k].machine.frozen_state {
            self.schedule_freeze(id);
        }
        self.schedule_guest_crash(id);
    }

    fn schedule_user_op(&mut self, id: u32) {
        let s = *self.fleet.get(id);
        if let Some(d) = self.gap(Clock::UserOp(id)) {
            self.queue
                .schedule_in(d, Event::UserOp { id, life: s.life });
        }
    }

    pub(super) fn on_user_op(&mut self, id: u32, life: u32) {
        if !self.fleet.is_alive(id, life) {
            return;
        }
        let s = *self.fleet.get(id);
        let k = self.k(s.kind);
        // The owner of a deleted server has no more to ask of it.
        if s.state == self.kinds[k].machine.deleted_state {
            return;
        }
        let (mix, ops) = self.kinds[k]
            .mix
            .as_ref()
            .expect("an ops clock runs only with a mix");
        let op = ops[mix.sample(&mut self.server_rng[id as usize])];
        self.request(id, op, By::User);
        self.schedule_user_op(id);
    }

    pub(super) fn on_lifetime_end(&mut self, id: u32, life: u32) {
        if self.fleet.is_alive(id, life) {
            self.user_delete(id);
        }
    }

    /// The owner deletes the server: unlocking it first if it is locked, and,
    /// if it is busy, again as soon as it settles where a delete is allowed.
    /// The wish lasts until the server is gone: a delete that fails is tried
    /// again after [`USER_RETRY`](super::lifecycle::USER_RETRY).
    pub(super) fn user_delete(&mut self, id: u32) {
        if self.fleet.get(id).has(flag::LOCKED) {
            self.request(id, Op::Unlock, By::User);
        }
        let s = self.fleet.get_mut(id);
        s.set(flag::PENDING_DELETE, true);
        s.set(flag::DELETE_RETRY, false);
        self.refresh_availability(id);
        self.request(id, Op::Delete, By::User);
    }

    /// Draws a new time to fault, replacing any running clock.
    pub(super) fn start_fault_clock(&mut self, id: u32) {
        let k = self.k(self.fleet.get(id).kind);
        let Some(ttf) = &self.kinds[k].time_to_fault else {
            return;
        };
        let age = ttf.sample(&mut self.rng.failures);
        let due = self.kinds[k].fault_due(self.queue.now(), age);
        let s = self.fleet.get_mut(id);
        s.fault_epoch = s.fault_epoch.wrapping_add(1);
        s.set(flag::FAULT_CLOCK, true);
        let fault_epoch = s.fault_epoch;
        self.queue
            .schedule_at(due, Event::Fault { id, fault_epoch });
    }

    pub(super) fn stop_fault_clock(&mut self, id: u32) {
        let s = self.fleet.get_mut(id);
        s.fault_epoch = s.fault_epoch.wrapping_add(1);
        s.set(flag::FAULT_CLOCK, false);
    }

    /// The fault clock runs out: a server idle in a fault-prone state goes to
    /// ERROR / Faulty; one in the middle of an operation (or frozen) is spared
    /// and its clock drawn again, since faults strike stable states only.
    pub(super) fn on_fault(&mut self, id: u32, fault_epoch: u32) {
        let s = *self.fleet.get(id);
        if !s.has(flag::ALIVE) || s.fault_epoch != fault_epoch {
            return;
        }
        let m = &self.kinds[self.k(s.kind)].machine;
        if s.op.is_none() && m.fault_prone[s.state.index()] {
            let error = m.error_state;
            self.counters.faults += 1;
            self.set_state(id, error, Cause::Fault);
            self.settle(id);
        } else {
            self.start_fault_clock(id);
        }
    }

    pub(super) fn schedule_repair(&mut self, id: u32) {
        let s = *self.fleet.get(id);
        let k = self.k(s.kind);
        if let Some(r) = &self.kinds[k].repair {
            let d = r.sample(&mut self.rng.failures);
            self.queue
                .schedule_in(d, Event::Repair { id, epoch: s.epoch });
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
        let s = *self.fleet.get(id);
        let k = self.k(s.kind);
        let op = match s.kind {
            Kind::Ecs => Op::ResetState,
            Kind::Bms => {
                let p = self.kinds[k].spec.faults.rebuild_prob;
                if p > 0.0 && self.rng.failures.random_bool(p) {
                    Op::Rebuild
                } else {
                    Op::Repair
                }
            }
        };
        self.request(id, op, By::Admin);
    }

    /// On reaching VERIFY_RESIZE: the user decides after a delay, unless Nova's
    /// auto-confirm window closes first.
    pub(super) fn schedule_resize_decision(&mut self, id: u32) {
        let s = *self.fleet.get(id);
        let k = self.k(s.kind);
        let rt = &self.kinds[k];
        let (Some(delay), Some(spec)) = (&rt.resize_delay, &rt.spec.resize) else {
            return;
        };
        // The window runs from arrival in VERIFY_RESIZE, even when the user's
        // decision is being retried after a refusal.
        let deadline = spec.auto_confirm.map(|a| s.since.after(a));
        let now = self.queue.now();
        let decision = now.after(delay.sample(&mut self.rng.decisions));
        match deadline {
            Some(t) if t <= decision => self
                .queue
                .schedule_at(t.max(now), Event::AutoConfirm { id, epoch: s.epoch }),
            _ => self
                .queue
                .schedule_at(decision, Event::ResizeDecision { id, epoch: s.epoch }),
        }
    }

    pub(super) fn on_resize_decision(&mut self, id: u32, epoch: u32) {
        if !self.current(id, epoch) {
            return;
        }
        let k = self.k(self.fleet.get(id).kind);
        let p = self.kinds[k]
            .spec
            .resize
            .as_ref()
            .map_or(1.0, |r| r.confirm_prob);
        let op = if self.rng.decisions.random_bool(p) {
            Op::ConfirmResize
        } else {
            Op::RevertResize
        };
        if self.request(id, op, By::User) == Response::RefusedLocked {
            // The owner comes back later.
            self.schedule_resize_decision(id);
        }
    }

    pub(super) fn on_auto_confirm(&mut self, id: u32, epoch: u32) {
        if self.current(id, epoch) {
            self.request(id, Op::ConfirmResize, By::Admin);
        }
    }

    pub(super) fn schedule_purge(&mut self, id: u32) {
        let s = *self.fleet.get(id);
        let k = self.k(s.kind);
        let d = self.kinds[k].deleted_for.sample(&mut self.rng.durations);
        self.queue
            .schedule_in(d, Event::Purge { id, epoch: s.epoch });
    }

    pub(super) fn on_purge(&mut self, id: u32, epoch: u32) {
        if self.current(id, epoch) {
            self.disappear(id, Cause::Purge);
        }
    }

    /// Schedules the next billing freeze of a BMS, if freezes are on.
    pub(super) fn schedule_freeze(&mut self, id: u32) {
        let s = *self.fleet.get(id);
        if let Some(d) = self.gap(Clock::Freeze(id)) {
            self.queue
                .schedule_in(d, Event::Freeze { id, life: s.life });
        }
    }

    pub(super) fn on_freeze(&mut self, id: u32, life: u32) {
        if !self.fleet.is_alive(id, life) {
            return;
        }
        let s = *self.fleet.get(id);
        if s.state == self.kinds[self.k(s.kind)].machine.deleted_state {
            return;
        }
        if self.request(id, Op::Freeze, By::Admin) != Response::Accepted {
            // Billing tries again later; the chain resumes after an unfreeze otherwise.
            self.schedule_freeze(id);
        }
    }

    /// On reaching Frozen: the owner renews after a delay, or the retention
    /// period ends first and the server is deleted.
    pub(super) fn schedule_billing(&mut self, id: u32) {
        let s = *self.fleet.get(id);
        let k = self.k(s.kind);
        let rt = &self.kinds[k];
        let (Some(spec), Some(delay)) = (&rt.spec.freeze, &rt.renew_delay) else {
            return;
        };
        let retention = spec.retention;
        let renew = self.rng.decisions.random_bool(spec.renew_prob);
        let d = delay.sample(&mut self.rng.decisions);
        if renew && d < retention {
            self.queue
                .schedule_in(d, Event::Unfreeze { id, epoch: s.epoch });
        } else {
            self.queue
                .schedule_in(retention, Event::Expire { id, epoch: s.epoch });
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
}

impl Simulation<'_> {
    /// On entering ERROR / Faulty: the owner may delete or rebuild the server
    /// after a delay (`[<kind>.on_error]`), or wait for the admin repair.
    pub(super) fn schedule_owner_reaction(&mut self, id: u32) {
        let s = *self.fleet.get(id);
        let k = self.k(s.kind);
        let rt = &self.kinds[k];
        let (Some(spec), Some(delay)) = (&rt.spec.on_error, &rt.on_error_delay) else {
            return;
        };
        let (p_delete, p_rebuild) = (spec.delete_prob, spec.rebuild_prob);
        let u: f64 = self.rng.decisions.random();
        let rebuild = if u < p_delete {
            false
        } else if u < p_delete + p_rebuild {
            true
        } else {
            return;
        };
        let d = delay.sample(&mut self.rng.decisions);
        self.queue.schedule_in(
            d,
            Event::OwnerReaction {
                id,
                epoch: s.epoch,
                rebuild,
            },
        );
    }

    pub(super) fn on_owner_reaction(&mut self, id: u32, epoch: u32, rebuild: bool) {
        if !self.current(id, epoch) {
            return;
        }
        if rebuild {
            if self.fleet.get(id).has(flag::LOCKED) {
                self.request(id, Op::Unlock, By::User);
            }
            self.request(id, Op::Rebuild, By::User);
        } else {
            self.user_delete(id);
        }
    }
}

impl Simulation<'_> {
    /// A mass fault: each idle server of the kind in a fault-prone state
    /// faults with the configured probability, in id order.
    pub(super) fn on_mass_fault(&mut self, kind: Kind, index: u32) {
        let k = self.k(kind);
        let fraction = self.kinds[k].spec.mass_faults[index as usize].fraction;
        let error = self.kinds[k].machine.error_state;
        for id in 0..self.fleet.slots() as u32 {
            let s = *self.fleet.get(id);
            // The kind first: a state id means something only in its kind.
            if !s.has(flag::ALIVE) || s.kind != kind || s.op.is_some() {
                continue;
            }
            if !self.kinds[k].machine.fault_prone[s.state.index()] {
                continue;
            }
            if self.rng.failures.random_bool(fraction) {
                self.counters.faults += 1;
                self.counters.mass_fault_hits += 1;
                self.set_state(id, error, Cause::Fault);
                self.settle(id);
            }
        }
    }

    fn schedule_guest_crash(&mut self, id: u32) {
        let life = self.fleet.get(id).life;
        if let Some(d) = self.gap(Clock::GuestCrash(id)) {
            self.queue.schedule_in(d, Event::GuestCrash { id, life });
        }
    }

    /// The guest powers itself off. The API keeps showing ACTIVE until the
    /// next run of Nova's power-state sync (a periodic task every
    /// `sync_interval`), which then stops the server. Only an ACTIVE, idle
    /// server is affected; the crash clock goes on either way.
    pub(super) fn on_guest_crash(&mut self, id: u32, life: u32) {
        if !self.fleet.is_alive(id, life) {
            return;
        }
        let s = *self.fleet.get(id);
        let k = self.k(s.kind);
        if s.op.is_none()
            && s.state == self.kinds[k].machine.running_state
            && let Some(g) = &self.kinds[k].spec.guest_crash
        {
            let every = g.sync_interval.ms();
            let tick = SimTime((self.queue.now().ms() / every + 1) * every);
            self.counters.guest_crashes += 1;
            self.queue
                .schedule_at(tick, Event::PowerSync { id, epoch: s.epoch });
        }
        self.schedule_guest_crash(id);
    }

    pub(super) fn on_power_sync(&mut self, id: u32, epoch: u32) {
        if !self.current(id, epoch) {
            return;
        }
        let k = self.k(self.fleet.get(id).kind);
        if let Some(stopped) = self.kinds[k].stopped_state {
            self.set_state(id, stopped, Cause::PowerSync);
            self.settle(id);
        }
    }
}
