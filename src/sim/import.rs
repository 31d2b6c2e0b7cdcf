//! Starting from a real fleet (`initial_fleet`): each imported server
//! appears at t = 0 in its state, with its lock, flavor and host, and an
//! operation found in progress goes on from the step it is in.

use super::{Cause, Simulation, limiting};
use crate::capacity::{Claim, claim_of};
use crate::fleet::flag;
use crate::model::{Kind, Op, Route, StateId, Status};
use crate::scenario::ImportedServer;

/// The operation an imported server is in the middle of: the operation, its
/// route, the state it began in, and the step the server is in (`None`: it
/// has yet to enter its first step).
type Resume = (Op, Route, StateId, Option<u8>);

impl Simulation<'_> {
    /// What imported server `srv` of kind `k` is doing: `None` if it rests
    /// in a stable state.
    fn resume_of(&self, k: usize, srv: &ImportedServer) -> Option<Resume> {
        let m = &self.kinds[k].machine;
        if m.is_step(srv.state) {
            let (op, origin, i) = m.resume_point(srv.state, Some(srv.origin))?;
            let route = match op {
                Op::Create => m.create_route,
                op => *m.route(op, origin)?,
            };
            return Some((op, route, origin, Some(i as u8)));
        }
        // ECS building:null: created, but its first step has not begun (it
        // shows the create's status); the create starts from there.
        let first = m.create_route.steps().first()?;
        let building = m.status[srv.state.index()].is_some()
            && m.status[srv.state.index()] == m.status[first.index()];
        building.then_some((Op::Create, m.create_route, srv.state, None))
    }

    /// Imported server `srv` of kind `k` appears (one `initial` change, its
    /// lock and flavor set first), takes its host (and, moving, its second
    /// host), and rests in its state or goes on with its operation. One
    /// that finds no host is dropped, as the generated initial fleet's are.
    pub(super) fn import(&mut self, k: usize, srv: &ImportedServer) {
        let kind = self.kinds[k].machine.kind;
        let resume = self.resume_of(k, srv);
        let origin = resume.map_or(srv.origin, |r| r.2);
        let id = self.appear_from(kind, srv.state, origin);
        let op = resume.map(|r| r.0);
        let not_wanted = self.stopped_by_owner(k, srv, op);
        let s = self.servers.fleet.get_mut(id);
        s.saved = srv.saved;
        s.set(flag::LOCKED, srv.locked);
        s.set(flag::LAUNCHED, srv.launched);
        // The owner asked for the delete (or the stop) before t = 0.
        s.set(flag::PENDING_DELETE, op == Some(Op::Delete));
        s.set(flag::NOT_WANTED, not_wanted);
        let cap = limiting(&mut self.capacity, kind);
        let limited = cap.is_some();
        if let Some(cap) = cap {
            let name = srv.flavor.as_deref().unwrap_or_default();
            let flavor = cap
                .flavor_index(kind, name)
                .expect("validated: the flavor is one of the kind's");
            cap.arrive_as(id, flavor);
        }
        self.announce(id, Cause::Initial);
        if limited && !self.place_imported(id, resume) {
            return;
        }
        self.refresh_availability(id);
        self.onboard(id, true, None);
        let Some((op, route, _, at)) = resume else {
            self.settle(id);
            return;
        };
        // The fault clock runs through operations.
        if srv.launched {
            self.start_fault_clock(id);
        }
        // Counted as asked for and started at t = 0, so that what is
        // started still adds up to what was requested and not refused.
        self.servers.stats[k].ops[op.index()].requested += 1;
        self.begin(id, op, route, at);
    }

    /// Whether imported server `srv`'s owner wants it off: it is being
    /// stopped, or rests (or rested before its operation) in SHUTOFF, as a
    /// server its owner stopped does; a start means the owner wants it on,
    /// and a frozen server is billing's doing.
    fn stopped_by_owner(&self, k: usize, srv: &ImportedServer, op: Option<Op>) -> bool {
        let m = &self.kinds[k].machine;
        let resting = match op {
            _ if Some(srv.state) == m.verify_state => srv.saved,
            Some(Op::RevertResize) => srv.saved,
            Some(_) => srv.origin,
            None => srv.state,
        };
        match op {
            Some(Op::Stop) => true,
            Some(Op::Start | Op::Create) => false,
            _ => {
                m.status[resting.index()] == Some(Status::Shutoff)
                    && !m.is_step(resting)
                    && Some(resting) != m.frozen_state
            }
        }
    }

    /// Places imported server `id` as its state needs: on a host of its
    /// flavor, and a second one while it is resized or migrated. A build
    /// the scheduler has not placed yet (ECS before its `scheduling` step
    /// ends), a first build that failed (Nova gave its allocation back) and
    /// a state that holds no capacity take nothing. False when it fits
    /// nowhere: it is dropped and counted in `initial_unplaced`.
    fn place_imported(&mut self, id: u32, resume: Option<Resume>) -> bool {
        let s = *self.servers.fleet.get(id);
        let m = &self.kinds[self.k(s.kind)].machine;
        let (op, at) = (resume.map(|r| r.0), resume.and_then(|r| r.3));
        let unscheduled =
            s.kind == Kind::Ecs && op == Some(Op::Create) && at.is_none_or(|i| i == 0);
        let failed_build = s.state == m.error_state && !s.has(flag::LAUNCHED);
        let moving = Some(s.state) == m.verify_state
            || op == Some(Op::RevertResize)
            || op.is_some_and(|op| matches!(claim_of(op), Claim::NewFlavor | Claim::Destination));
        let holds = limiting(&mut self.capacity, s.kind).is_some_and(|c| c.holds(s.kind, s.state));
        if unscheduled || failed_build || !holds {
            return true;
        }
        if !self.place_initial(id) {
            return false;
        }
        let now = self.core.now();
        let Some(cap) = limiting(&mut self.capacity, s.kind) else {
            return true;
        };
        if op == Some(Op::Create) {
            // Its scheduler ran before t = 0: not a create of this run's.
            cap.note_scheduled(id, false);
        }
        if moving {
            let a = cap.of(id);
            match cap.place(a.flavor, a.host) {
                Some(h) => cap.attach_dest(id, h, a.flavor, now),
                None => {
                    self.drop_unplaced(id);
                    return false;
                }
            }
        }
        true
    }
}
