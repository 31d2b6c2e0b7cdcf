//! The lifecycle runner: requests checked against the kind's tables, operations
//! driven through their steps, failures, watchdogs, and the one place where a
//! server's state changes ([`Simulation::set_state`]), which keeps the
//! statistics, the capacity and the trace in step with it.

use super::{By, Cause, Change, Event, Request, Response, Simulation, Traced, limiting};
use crate::capacity::groups::NO_GROUP;
use crate::capacity::{NO_HOST, Refusal};
use crate::engine::SimTime;
use crate::fleet::{NO_FAILURE, Server, flag};
use crate::model::{Kind, Op, Outcome, Route, StateId, Target};
use rand::RngExt;

/// How long an owner waits before trying a failed delete again.
pub(crate) const USER_RETRY: SimTime = SimTime::from_secs(600);

impl Simulation<'_> {
    /// Places the initial fleet at t = 0 and schedules the first arrivals.
    pub(super) fn start(&mut self) {
        for k in 0..self.kinds.len() {
            let kind = self.kinds[k].machine.kind;
            let running = self.kinds[k].machine.running_state;
            // A fleet read from a file comes first, in file order; without
            // one, `initial` servers start running.
            let generated = match self.kinds[k].spec().initial_fleet.clone() {
                Some(fleet) => {
                    for server in &fleet.servers {
                        self.import(k, server);
                    }
                    0
                }
                None => self.kinds[k].spec().initial,
            };
            for _ in 0..generated {
                let id = self.appear(kind, running);
                let limited = self.choose_flavor(id);
                self.announce(id, Cause::Initial);
                if limited && !self.place_initial(id) {
                    continue;
                }
                self.servers.fleet.get_mut(id).set(flag::LAUNCHED, true);
                self.refresh_availability(id);
                self.onboard(id, true, None);
                self.settle(id);
            }
            self.schedule_arrival(k);
            for (index, mass) in self.kinds[k].spec().mass_faults.iter().enumerate() {
                let event = Event::MassFault {
                    kind,
                    index: index as u32,
                };
                self.core.schedule_at(mass.at, event);
            }
        }
        self.start_hosts();
    }

    /// A new server appears in `state` (the trace hears of it from
    /// [`Simulation::announce`], once it has its flavor).
    pub(super) fn appear(&mut self, kind: Kind, state: StateId) -> u32 {
        self.appear_from(kind, state, state)
    }

    /// A new server appears in `state`, in an operation begun in `origin`
    /// (which sets the status a BMS in Deleting shows).
    pub(super) fn appear_from(&mut self, kind: Kind, state: StateId, origin: StateId) -> u32 {
        let k = self.k(kind);
        let now = self.core.now();
        let status = self.kinds[k].machine.status_of(state, origin);
        let streams = &self.core.rng;
        self.servers
            .add(k, kind, (state, origin, status), now, |serial| {
                streams.server(serial)
            })
    }

    /// The change that shows server `id` now, before and after.
    fn change(
        &self,
        id: u32,
        cause: Cause,
        from: Option<(StateId, crate::model::Status)>,
    ) -> Change {
        let s = self.servers.fleet.get(id);
        let (host, group) =
            self.capacity
                .as_ref()
                .filter(|c| c.limits(s.kind))
                .map_or((NO_HOST, NO_GROUP), |c| {
                    let a = c.of(id);
                    (a.host, a.group)
                });
        Change {
            time: self.core.now(),
            serial: s.serial,
            kind: s.kind,
            cause,
            from,
            to: Some((s.state, s.status)),
            locked: s.has(flag::LOCKED),
            flavor: self.shown_flavor(id),
            host,
            group,
        }
    }

    /// Records the appearance of server `id`.
    pub(super) fn announce(&mut self, id: u32, cause: Cause) {
        if self.core.records() {
            let c = self.change(id, cause, None);
            self.record(c);
        }
    }

    /// Server `id` leaves the population.
    pub(super) fn disappear(&mut self, id: u32, cause: Cause) {
        let now = self.core.now();
        if let Some(cap) = self.capacity.as_mut() {
            cap.release(id, now);
            cap.leave_group(id);
        }
        self.servers.fleet.get_mut(id).set(flag::ALIVE, false);
        self.refresh_availability(id);
        let c = self.core.records().then(|| {
            let s = self.servers.fleet.get(id);
            Change {
                from: Some((s.state, s.status)),
                to: None,
                ..self.change(id, cause, None)
            }
        });
        let k = self.k(self.servers.fleet.get(id).kind);
        self.servers.remove(k, id, now);
        if let Some(c) = c {
            self.record(c);
        }
    }

    /// Keeps the availability counts in step with server `id`.
    pub(super) fn refresh_availability(&mut self, id: u32) {
        let k = self.k(self.servers.fleet.get(id).kind);
        let now = self.core.now();
        self.servers
            .refresh_availability(k, id, &self.kinds[k].machine, now);
    }

    /// The only place a server's state changes.
    pub(super) fn set_state(&mut self, id: u32, new: StateId, cause: Cause) {
        let now = self.core.now();
        let k = self.k(self.servers.fleet.get(id).kind);
        let machine = &self.kinds[k].machine;
        let shifted = self
            .servers
            .shift(k, id, new, |origin| machine.status_of(new, origin), now);
        let Some(old) = shifted else {
            return;
        };
        self.refresh_availability(id);
        self.follow_state(id);
        if self.core.records() {
            let c = Change {
                serial: old.serial,
                kind: old.kind,
                locked: old.has(flag::LOCKED),
                ..self.change(id, cause, Some((old.state, old.status)))
            };
            self.record(c);
        }
    }

    fn set_locked(&mut self, id: u32, locked: bool, op: Op) {
        let s = self.servers.fleet.get_mut(id);
        if s.has(flag::LOCKED) == locked {
            return;
        }
        s.set(flag::LOCKED, locked);
        if self.core.records() {
            let s = *s;
            let c = self.change(id, Cause::Op(op), Some((s.state, s.status)));
            self.record(c);
        }
    }

    pub(super) fn record(&mut self, c: Change) {
        let k = self.k(c.kind);
        self.core.change(&c, &self.kinds[k].machine);
    }

    /// The route of the operation server `id` is running.
    fn current_route(&self, id: u32) -> Route {
        let s = self.servers.fleet.get(id);
        let m = &self.kinds[self.k(s.kind)].machine;
        match s.op {
            Some(Op::Create) => m.create_route,
            Some(op) => *m.route(op, s.origin).expect("running a routed operation"),
            None => unreachable!("no operation in progress"),
        }
    }

    /// A request for `op` on server `id`: refused (and counted) when the lock or
    /// the kind's table forbids it, otherwise started. The request log hears
    /// of it, with the state it found, before anything it causes.
    pub(crate) fn request(&mut self, id: u32, op: Op, by: By) -> Response {
        let s = *self.servers.fleet.get(id);
        let k = self.k(s.kind);
        let m = &self.kinds[k].machine;
        // Counted from the start; the window's beginning forgets what came
        // before it (KindStats::begin_window).
        let counts = &mut self.servers.stats[k].ops[op.index()];
        counts.requested += 1;
        // Nova checks the lock on every action but lock and unlock: the
        // owner's lock of a locked server is a no-op 202 (docs/model.md §4).
        let locked_out =
            by == By::User && s.has(flag::LOCKED) && !m.is_admin(op) && !op.is_flag_op();
        if locked_out {
            counts.refused_locked += 1;
            return self.log_request(&s, op, by, Response::RefusedLocked);
        }
        if op.is_flag_op() {
            counts.started += 1;
            counts.succeeded += 1;
            counts.duration.record(SimTime::ZERO);
            self.log_request(&s, op, by, Response::Accepted);
            self.set_locked(id, op == Op::Lock, op);
            return Response::Accepted;
        }
        let allowed = m
            .route(op, s.state)
            .copied()
            .filter(|_| s.has(flag::LAUNCHED) || m.unlaunched_ops.contains(&op));
        let Some(route) = allowed else {
            counts.refused_conflict += 1;
            return self.log_request(&s, op, by, Response::RefusedConflict);
        };
        if let Some(refusal) = self.claim(id, op) {
            let counts = &mut self.servers.stats[k].ops[op.index()];
            match refusal {
                Response::RefusedCapacity => counts.refused_capacity += 1,
                _ => counts.refused_conflict += 1,
            }
            return self.log_request(&s, op, by, refusal);
        }
        self.log_request(&s, op, by, Response::Accepted);
        if let Some(running) = s.op {
            // Allowed from an intermediate state: the new operation pre-empts
            // the running one (BMS forcible restart or delete of a restart).
            self.servers.stats[k].ops[running.index()].preempted += 1;
        }
        if by == By::User {
            // The owner's intent, for availability: a stop means "I want it
            // off", a start "on again", a delete "gone".
            let s = self.servers.fleet.get_mut(id);
            match op {
                Op::Stop => s.set(flag::NOT_WANTED, true),
                Op::Start => s.set(flag::NOT_WANTED, false),
                Op::Delete => s.set(flag::PENDING_DELETE, true),
                _ => {}
            }
        }
        self.start_op(id, op, route);
        Response::Accepted
    }

    /// What operation `op` claims of the capacity as it starts on server
    /// `id`: `None` when it may go on, or the refusal.
    fn claim(&mut self, id: u32, op: Op) -> Option<Response> {
        let kind = self.servers.fleet.get(id).kind;
        let now = self.core.now();
        let cap = limiting(&mut self.capacity, kind)?;
        let rng = &mut self.servers.own_rng[id as usize];
        cap.claim(id, op, rng, now).map(|r| match r {
            Refusal::HostDown => Response::RefusedHostDown,
            Refusal::NoRoom => Response::RefusedCapacity,
        })
    }

    /// Tells the recorder of a request on server `s` (as it was found; a
    /// create finds no state).
    pub(super) fn log_request(
        &mut self,
        s: &Server,
        op: Op,
        by: By,
        response: Response,
    ) -> Response {
        if self.core.records() {
            let r = Request {
                time: self.core.now(),
                serial: s.serial,
                kind: s.kind,
                op,
                by,
                state: (op != Op::Create).then_some((s.state, s.status)),
                locked: s.has(flag::LOCKED),
                launched: s.has(flag::LAUNCHED),
                response,
            };
            let k = self.k(s.kind);
            self.core.request(&r, &self.kinds[k].machine);
        }
        response
    }

    /// A create: the server appears in the first step of the create route.
    /// A server of a trace comes with its flavor and lifetime (`traced`);
    /// any other draws them.
    pub(super) fn create(&mut self, kind: Kind, traced: Option<Traced>) {
        let route = self.kinds[self.k(kind)].machine.create_route;
        let id = self.requested_server(kind, traced, None);
        let limited = limiting(&mut self.capacity, kind).is_some();
        if limited && !self.place_on_arrival(id) {
            self.no_valid_host(id);
            return;
        }
        self.begin(id, Op::Create, route, Some(0));
    }

    /// A server a create request asks for appears in the first create
    /// step, its request counted and logged, its owner's clocks started,
    /// with its flavor: the trace row's (`traced`), the flavor of server
    /// `like` (another of the same request), or drawn from its own stream.
    pub(super) fn requested_server(
        &mut self,
        kind: Kind,
        traced: Option<Traced>,
        like: Option<u32>,
    ) -> u32 {
        let k = self.k(kind);
        let first = self.kinds[k].machine.create_route.steps()[0];
        self.servers.stats[k].ops[Op::Create.index()].requested += 1;
        let id = self.appear(kind, first);
        let s = *self.servers.fleet.get(id);
        self.log_request(&s, Op::Create, By::User, Response::Accepted);
        self.onboard(id, false, traced.map(|t| t.lifetime));
        match (traced.and_then(|t| t.flavor), like) {
            (Some(flavor), _) => {
                if let Some(cap) = limiting(&mut self.capacity, kind) {
                    cap.arrive_as(id, flavor);
                }
            }
            (None, None) => {
                self.choose_flavor(id);
            }
            (None, Some(leader)) => {
                if let Some(cap) = limiting(&mut self.capacity, kind) {
                    let flavor = cap.of(leader).flavor;
                    cap.arrive_as(id, flavor);
                }
            }
        }
        self.announce(id, Cause::Op(Op::Create));
        id
    }

    fn start_op(&mut self, id: u32, op: Op, route: Route) {
        let s = self.servers.fleet.get_mut(id);
        s.set(flag::DEPLOYMENT_WAIT, false);
        s.origin = s.state;
        if route.saves_origin {
            s.saved = s.state;
        }
        self.begin(id, op, route, None);
    }

    /// Common start of every operation: failure drawn, watchdog armed, first
    /// step entered (or the immediate operation completed). `at`: the
    /// server is already in step `at` (a create appears in its first step;
    /// an imported server may be anywhere in its operation), and the
    /// operation goes on from there: failures are drawn among the steps
    /// left, the watchdog covers what is left, and the step's end is drawn.
    pub(super) fn begin(&mut self, id: u32, op: Op, route: Route, at: Option<u8>) {
        let now = self.core.now();
        let k = self.k(self.servers.fleet.get(id).kind);
        let n = route.steps().len();
        let from = at.map_or(0, usize::from);
        let (hang_step, fail_step) = self.draw_failures(k, op, n, from);
        let rt = &self.kinds[k];
        let fallback = op == Op::Reboot
            && rt.spec().soft_reboot.as_ref().is_some_and(|sr| {
                sr.fallback_prob > 0.0 && self.core.rng.failures.random_bool(sr.fallback_prob)
            });
        let watchdog = rt.watchdog[op.index()];
        self.servers.stats[k].ops[op.index()].started += 1;
        let s = self.servers.fleet.get_mut(id);
        s.op = Some(op);
        s.op_seq = s.op_seq.wrapping_add(1);
        s.op_started = now;
        s.step = from as u8;
        s.fail_step = fail_step;
        s.hang_step = hang_step;
        s.set(flag::FALLBACK, fallback);
        let op_seq = s.op_seq;
        if n == 0 {
            if fail_step == NO_FAILURE {
                self.finish(id);
            } else {
                self.fail(id, Cause::Failed(op));
            }
            return;
        }
        if let Some(t) = watchdog.filter(|_| route.error.is_some()) {
            self.core.schedule_in(t, Event::Watchdog { id, op_seq });
        }
        if fallback {
            self.core.counters.soft_reboot_fallbacks += 1;
        }
        if at.is_some() {
            self.schedule_step(id);
        } else {
            self.enter_step(id, route.steps()[0], op);
        }
    }

    /// Draws whether an operation of `n` steps, from step `from` on, hangs
    /// or fails, and at which step: (hang step, failure step), each
    /// [`NO_FAILURE`] when it does not.
    fn draw_failures(&mut self, k: usize, op: Op, n: usize, from: usize) -> (u8, u8) {
        let now = self.core.now();
        let rng = &mut self.core.rng.failures;
        let left = n.saturating_sub(from);
        // A hanging step, then an ordinary failure, each at a step chosen
        // uniformly among those left; a hang leaves no room for a failure.
        let mut pick_step = |p: f64| {
            if p > 0.0 && rng.random_bool(p) {
                if left > 1 {
                    (from + rng.random_range(0..left)) as u8
                } else {
                    from as u8
                }
            } else {
                NO_FAILURE
            }
        };
        // Incident windows multiply the probabilities (capped at 1).
        let (p_hang, p_fail) = self.kinds[k].hang_and_fail_prob(op, now);
        let hang_step = if left > 0 {
            pick_step(p_hang)
        } else {
            NO_FAILURE
        };
        let fail_step = if hang_step == NO_FAILURE {
            pick_step(p_fail)
        } else {
            NO_FAILURE
        };
        if hang_step != NO_FAILURE {
            self.core.counters.hangs += 1;
        }
        (hang_step, fail_step)
    }

    /// A rescheduled build starts over: step 0, failures drawn afresh (the
    /// watchdog, armed for the whole build, keeps running).
    pub(super) fn restart_build(&mut self, id: u32) {
        let k = self.k(self.servers.fleet.get(id).kind);
        let n = self.kinds[k].machine.create_route.steps().len();
        let (hang_step, fail_step) = self.draw_failures(k, Op::Create, n, 0);
        let s = self.servers.fleet.get_mut(id);
        s.step = 0;
        s.hang_step = hang_step;
        s.fail_step = fail_step;
        s.set(flag::DEPLOYMENT_WAIT, false);
    }

    pub(super) fn enter_step(&mut self, id: u32, state: StateId, op: Op) {
        self.set_state(id, state, Cause::Op(op));
        self.schedule_step(id);
    }

    /// Draws the current step's duration and schedules its end (a hanging
    /// step has none: only the watchdog can end it).
    pub(super) fn schedule_step(&mut self, id: u32) {
        let s = *self.servers.fleet.get(id);
        if s.step == s.hang_step || s.has(flag::DEPLOYMENT_WAIT) {
            return;
        }
        let k = self.k(s.kind);
        let rt = &self.kinds[k];
        let key = rt.machine.duration_key[s.state.index()].expect("a step state has a duration");
        let mut d = match &rt.step[key as usize] {
            Some(sampler) => sampler.sample(&mut self.core.rng.durations),
            None => SimTime::ZERO,
        };
        if s.has(flag::FALLBACK) && s.step as usize + 1 == self.current_route(id).steps().len() {
            // Nova waits this long for the guest before it reboots hard.
            let extra = rt
                .spec()
                .soft_reboot
                .as_ref()
                .map_or(SimTime::ZERO, |sr| sr.timeout);
            d = d.after(extra);
        }
        self.core
            .schedule_in(d, Event::StepDone { id, epoch: s.epoch });
    }

    pub(super) fn on_step_done(&mut self, id: u32, epoch: u32) {
        let s = *self.servers.fleet.get(id);
        if s.epoch != epoch || !s.has(flag::ALIVE) {
            return;
        }
        let op = s.op.expect("a step belongs to an operation");
        if s.step == s.fail_step {
            self.fail(id, Cause::Failed(op));
            return;
        }
        // Nova's scheduler picks the host as the `scheduling` step ends.
        let schedules = op == Op::Create && s.step == 0 && s.kind == Kind::Ecs;
        if schedules && !self.schedule_build(id) {
            self.no_valid_host(id);
            return;
        }
        self.next_step(id, op);
    }

    /// Server `id` goes on to the next step of `op`, or finishes it.
    pub(super) fn next_step(&mut self, id: u32, op: Op) {
        let s = *self.servers.fleet.get(id);
        let route = self.current_route(id);
        let next = s.step as usize + 1;
        if next < route.steps().len() {
            self.servers.fleet.get_mut(id).step = next as u8;
            self.enter_step(id, route.steps()[next], op);
        } else {
            self.finish(id);
        }
    }

    pub(super) fn on_watchdog(&mut self, id: u32, op_seq: u32) {
        let s = *self.servers.fleet.get(id);
        if s.op_seq != op_seq || !s.has(flag::ALIVE) {
            return;
        }
        if let Some(op) = s.op {
            self.fail(id, Cause::Timeout(op));
        }
    }

    fn resolve(&self, id: u32, target: Target) -> Option<StateId> {
        let s = self.servers.fleet.get(id);
        match target {
            Target::State(st) => Some(st),
            Target::Origin => Some(s.origin),
            Target::Saved => Some(s.saved),
            Target::Removed => None,
        }
    }

    /// The operation succeeds.
    fn finish(&mut self, id: u32) {
        let s = *self.servers.fleet.get(id);
        let op = s.op.expect("finishing an operation");
        let route = self.current_route(id);
        let k = self.k(s.kind);
        let c = &mut self.servers.stats[k].ops[op.index()];
        c.succeeded += 1;
        c.duration.record(self.core.now().since(s.op_started));
        // A first build, or an admin who fixed a server that never booted,
        // leaves a launched server behind.
        if matches!(op, Op::Create | Op::ResetState | Op::Repair | Op::Rebuild) {
            self.servers.fleet.get_mut(id).set(flag::LAUNCHED, true);
        }
        self.end(id, route.success, Cause::Op(op));
        if op == Op::Unfreeze {
            self.schedule_freeze(id);
        }
    }

    /// The operation fails (cause `Failed`, or `HostFailure` under it) or
    /// overruns its watchdog (`Timeout`). A build that failed goes back to
    /// the scheduler while it has attempts left.
    pub(super) fn fail(&mut self, id: u32, cause: Cause) {
        let s = *self.servers.fleet.get(id);
        let op = s.op.expect("failing an operation");
        let failed = matches!(cause, Cause::Failed(_) | Cause::HostFailure);
        if op == Op::Create {
            let now = self.core.now();
            if let Some(cap) = limiting(&mut self.capacity, s.kind) {
                if failed && cap.may_reschedule(id) {
                    self.reschedule(id);
                    return;
                }
                // A build that failed in its first `scheduling` step still
                // reached the scheduler: its create counts.
                cap.count_create(id, self.core.in_window);
                // Nova removes the allocations of a build that failed for good.
                cap.release(id, now);
            }
        }
        let route = self.current_route(id);
        let k = self.k(s.kind);
        let outcome = self.kinds[k].fail_outcome[op.index()];
        let c = &mut self.servers.stats[k].ops[op.index()];
        match cause {
            Cause::Timeout(_) => c.timed_out += 1,
            _ => c.failed += 1,
        }
        // A watchdog always ends in the error state; a failure as configured.
        let target = match (cause, outcome) {
            (Cause::Failed(_) | Cause::HostFailure, Outcome::Rollback) => route.rollback,
            _ => route.error.unwrap_or(route.rollback),
        };
        // The owner who wanted the server gone tries again a little later.
        let retry_delete = op == Op::Delete && s.has(flag::PENDING_DELETE);
        self.servers
            .fleet
            .get_mut(id)
            .set(flag::DELETE_RETRY, retry_delete);
        self.end(id, target, cause);
        if retry_delete {
            self.core
                .schedule_in(USER_RETRY, Event::LifetimeEnd { id, life: s.life });
        }
        if matches!(op, Op::Freeze | Op::Unfreeze) {
            // Billing goes on: it freezes the server again later.
            self.schedule_freeze(id);
        }
    }

    /// Ends the running operation in `target` and lets the server settle.
    pub(super) fn end(&mut self, id: u32, target: Target, cause: Cause) {
        if let Some(op) = self.servers.fleet.get(id).op {
            let now = self.core.now();
            if let Some(cap) = self.capacity.as_mut() {
                cap.end_claim(id, op, cause == Cause::Op(op), now);
            }
        }
        let s = self.servers.fleet.get_mut(id);
        s.op = None;
        s.fail_step = NO_FAILURE;
        s.hang_step = NO_FAILURE;
        s.set(flag::FALLBACK, false);
        s.set(flag::DEPLOYMENT_WAIT, false);
        match self.resolve(id, target) {
            Some(state) => {
                self.set_state(id, state, cause);
                self.settle(id);
            }
            None => self.disappear(id, cause),
        }
    }

    /// What follows from the state a server settles in, whatever brought it
    /// there: timers of the state (purge, repair, resize decision, billing),
    /// the fault clock, and a delete the user has been waiting to make.
    pub(super) fn settle(&mut self, id: u32) {
        let s = *self.servers.fleet.get(id);
        let k = self.k(s.kind);
        let m = &self.kinds[k].machine;
        let state = s.state;
        let (deleted, error) = (m.deleted_state, m.error_state);
        let verify = Some(state) == m.verify_state;
        let frozen = Some(state) == m.frozen_state;
        let may_delete = m.route(Op::Delete, state).is_some();
        if state == deleted {
            self.stop_fault_clock(id);
            self.kinds[k].schedule_purge(&mut self.core, id, s.epoch);
            return;
        }
        if state == error {
            self.stop_fault_clock(id);
            self.kinds[k].schedule_repair(&mut self.core, id, s.epoch);
            self.kinds[k].schedule_owner_reaction(&mut self.core, id, s.epoch);
        } else if !s.has(flag::FAULT_CLOCK) && s.has(flag::LAUNCHED) {
            self.start_fault_clock(id);
        }
        if verify {
            self.kinds[k].schedule_resize_decision(&mut self.core, id, &s);
        }
        if frozen {
            self.kinds[k].schedule_billing(&mut self.core, id, s.epoch);
        }
        if s.has(flag::PENDING_DELETE) && !s.has(flag::DELETE_RETRY) && may_delete {
            self.user_delete(id);
        }
    }
}
