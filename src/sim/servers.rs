//! The servers of a run and the statistics that observe them: every server
//! in a dense [`Fleet`], each one's own random stream in a parallel `Vec`,
//! and per kind the occupancy, availability and operation counts. A
//! server's state changes only through [`Servers::shift`], which keeps the
//! statistics in step with it.

use crate::engine::{Rng, SimTime};
use crate::fleet::{Fleet, Server, flag};
use crate::model::{Kind, Machine, StateId, Status};
use crate::stats::KindStats;

/// Every server of a run and its kind's statistics.
pub(crate) struct Servers {
    pub fleet: Fleet,
    /// Each server's own workload stream, by slot.
    pub own_rng: Vec<Rng>,
    /// Per simulated kind, in the order of the simulation's kinds.
    pub stats: Vec<KindStats>,
}

impl Servers {
    /// No servers yet, and empty statistics for each of `machines`.
    pub fn new(machines: &[&Machine]) -> Servers {
        Servers {
            fleet: Fleet::default(),
            own_rng: Vec::new(),
            stats: machines.iter().map(|m| KindStats::new(m)).collect(),
        }
    }

    /// A new server of `kind` (statistics `k`) in `state`, showing `status`,
    /// in an operation begun in `origin`; `own` is its workload stream.
    pub fn add(
        &mut self,
        k: usize,
        kind: Kind,
        (state, origin, status): (StateId, StateId, Status),
        now: SimTime,
        own: impl FnOnce(u32) -> Rng,
    ) -> u32 {
        let id = self.fleet.add(kind, state, status, now);
        let s = self.fleet.get_mut(id);
        s.origin = origin;
        s.saved = origin;
        let own = own(self.fleet.get(id).serial);
        match self.own_rng.get_mut(id as usize) {
            Some(slot) => *slot = own,
            None => self.own_rng.push(own),
        }
        let st = &mut self.stats[k];
        st.population.enter(0, now);
        st.detail.enter(state.index(), now);
        st.status.enter(status as usize, now);
        id
    }

    /// Server `id` (statistics `k`) leaves the population: counted out of
    /// its state and status, its slot freed. Returns it as it was.
    pub fn remove(&mut self, k: usize, id: u32, now: SimTime) -> Server {
        let s = *self.fleet.get(id);
        let st = &mut self.stats[k];
        st.population.leave_untimed(0, now);
        st.detail.leave(s.state.index(), now, s.since);
        st.status.leave(s.status as usize, now, s.status_since);
        self.fleet.remove(id);
        s
    }

    /// Moves server `id` (statistics `k`) to state `new`, showing `status`.
    /// Every call starts a new generation of the server's state timers;
    /// `None` when it was already there (nothing else changes), otherwise
    /// the server as it was.
    #[inline]
    pub fn shift(
        &mut self,
        k: usize,
        id: u32,
        new: StateId,
        status: impl FnOnce(StateId) -> Status,
        now: SimTime,
    ) -> Option<Server> {
        let s = self.fleet.get_mut(id);
        s.epoch = s.epoch.wrapping_add(1);
        let old = *s;
        if new == old.state {
            return None;
        }
        let status = status(old.origin);
        s.state = new;
        s.status = status;
        s.since = now;
        let st = &mut self.stats[k];
        st.detail.leave(old.state.index(), now, old.since);
        st.detail.enter(new.index(), now);
        if status != old.status {
            s.status_since = now;
            st.status.leave(old.status as usize, now, old.status_since);
            st.status.enter(status as usize, now);
        }
        Some(old)
    }

    /// Keeps the availability counts in step with server `id` (statistics
    /// `k`, machine `m`): it is wanted running once launched, unless its
    /// owner stopped it or asked for its deletion, or billing froze it; it
    /// is available when wanted and ACTIVE (docs/model.md §7).
    pub fn refresh_availability(&mut self, k: usize, id: u32, m: &Machine, now: SimTime) {
        let s = *self.fleet.get(id);
        let wanted = s.has(flag::ALIVE)
            && s.has(flag::LAUNCHED)
            && !s.has(flag::NOT_WANTED)
            && !s.has(flag::PENDING_DELETE)
            && Some(s.state) != m.frozen_state
            && s.state != m.deleted_state;
        let available = wanted && s.status == Status::Active;
        let st = &mut self.stats[k];
        for (dim, bit, on) in [
            (&mut st.wanted, flag::COUNTED_WANTED, wanted),
            (&mut st.available, flag::COUNTED_AVAILABLE, available),
        ] {
            match (s.has(bit), on) {
                (false, true) => dim.enter(0, now),
                (true, false) => dim.leave_untimed(0, now),
                _ => {}
            }
        }
        let s = self.fleet.get_mut(id);
        s.set(flag::COUNTED_WANTED, wanted);
        s.set(flag::COUNTED_AVAILABLE, available);
    }
}
