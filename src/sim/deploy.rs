//! Deployments: one create request for several servers at once, maybe in a
//! Nova server group (`[<kind>.deployment]`). Nova's conductor schedules
//! every instance of a multi-create request in one `select_destinations`
//! call, all or none; so here a deployment is scheduled once, as a whole:
//! an ECS deployment when its one `scheduling` step ends (every member
//! waits in that step for it), a BMS deployment as it arrives (a single
//! BMS, too, chooses its node at once). Without `[deployment]`, or for a
//! request of one server in no group, a create is exactly the single
//! create of the lifecycle runner.

use super::{Cause, Event, Simulation, Traced, limiting};
use crate::fleet::flag;
use crate::model::{Kind, Op};

/// ECS deployments whose scheduling is under way: each one's members
/// (slot and serial, so that a slot reused meanwhile is not mistaken for a
/// member), in a dense `Vec` whose freed entries are reused.
#[derive(Default)]
pub(crate) struct Pending {
    slots: Vec<Vec<(u32, u32)>>,
    free: Vec<u32>,
}

impl Pending {
    /// Keeps `members` until their scheduling ends; their entry's number.
    fn add(&mut self, members: Vec<(u32, u32)>) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = members;
                i
            }
            None => {
                self.slots.push(members);
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// The members of entry `index`, which is freed.
    fn take(&mut self, index: u32) -> Vec<(u32, u32)> {
        self.free.push(index);
        std::mem::take(&mut self.slots[index as usize])
    }
}

impl Simulation<'_> {
    /// A create request of `kind`: a deployment of the size drawn, in the
    /// server group drawn, or, without `[deployment]`, one server as ever.
    /// A request replayed from a trace brings its servers (`traced`, one
    /// or more, each with its flavor and lifetime) and is in no group.
    pub(super) fn create_deployment(&mut self, kind: Kind, traced: &[Traced]) {
        let k = self.k(kind);
        let (size, policy, max_per_host) = match (traced, &self.kinds[k].deployment) {
            ([], None) => {
                self.create(kind, None);
                return;
            }
            ([], Some(d)) => {
                let (size, policy) = d.draw(&mut self.core.rng.deployments);
                (size, policy, d.max_per_host)
            }
            (t, _) => (t.len() as u32, None, 0),
        };
        if size == 1 && policy.is_none() {
            self.create(kind, traced.first().copied());
            return;
        }
        let route = self.kinds[k].machine.create_route;
        let first = route.steps()[0];
        let mut ids: Vec<u32> = Vec::with_capacity(size as usize);
        for i in 0..size as usize {
            // One drawn request, one flavor: the first server's, drawn from
            // its own stream as for a single create. A trace's rows bring
            // their own.
            let id = self.requested_server(kind, traced.get(i).copied(), ids.first().copied());
            ids.push(id);
        }
        if let (Some(p), Some(cap)) = (policy, limiting(&mut self.capacity, kind)) {
            cap.form_group(&ids, p, max_per_host);
        }
        match kind {
            Kind::Bms => {
                let placed = self.schedule_deployment(kind, &ids);
                for id in ids {
                    if placed {
                        self.begin(id, Op::Create, route, Some(0));
                    } else {
                        self.no_valid_host(id);
                    }
                }
            }
            Kind::Ecs => {
                let mut members = Vec::with_capacity(ids.len());
                for id in ids {
                    self.servers
                        .fleet
                        .get_mut(id)
                        .set(flag::DEPLOYMENT_WAIT, true);
                    self.begin(id, Op::Create, route, Some(0));
                    members.push((id, self.servers.fleet.get(id).serial));
                }
                let index = self.deployments.add(members);
                let d = self.kinds[k].step_duration(first, &mut self.core.rng.durations);
                self.core.schedule_in(d, Event::Deployment { index });
            }
        }
    }

    /// The scheduler sees deployment `ids` of `kind` as a whole: false
    /// when it found no valid host for one of them (true without hosts).
    fn schedule_deployment(&mut self, kind: Kind, ids: &[u32]) -> bool {
        let (now, w) = (self.core.now(), self.core.in_window);
        limiting(&mut self.capacity, kind).is_none_or(|cap| cap.schedule_deployment(ids, w, now))
    }

    /// The scheduling of an ECS deployment ends. Its members still waiting
    /// for it are placed as a whole (a member whose `scheduling` step
    /// hangs stays in it, as a single server would); then each goes on as
    /// at the end of its own `scheduling` step: a failure drawn there
    /// strikes now, and the build is rescheduled (away from the host just
    /// chosen) while it has attempts left. With no valid host for one of
    /// them, every one of them goes to ERROR (NoValidHost).
    pub(super) fn on_deployment(&mut self, index: u32) {
        let members = self.deployments.take(index);
        let mut go = Vec::with_capacity(members.len());
        for (id, serial) in members {
            let s = self.servers.fleet.get_mut(id);
            if !s.has(flag::ALIVE) || s.serial != serial || !s.has(flag::DEPLOYMENT_WAIT) {
                continue;
            }
            s.set(flag::DEPLOYMENT_WAIT, false);
            if s.hang_step != s.step {
                go.push(id);
            }
        }
        if go.is_empty() {
            return;
        }
        let placed = self.schedule_deployment(Kind::Ecs, &go);
        for id in go {
            let s = *self.servers.fleet.get(id);
            if !s.has(flag::ALIVE) || s.op != Some(Op::Create) || s.step != 0 {
                continue;
            }
            if !placed {
                self.no_valid_host(id);
            } else if s.step == s.fail_step {
                self.fail(id, Cause::Failed(Op::Create));
            } else {
                self.next_step(id, Op::Create);
            }
        }
    }
}
