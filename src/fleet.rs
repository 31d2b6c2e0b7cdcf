//! The population: every server's state in a dense `Vec` indexed by id, with
//! freed slots reused so memory follows the live population, not history.

use crate::engine::SimTime;
use crate::model::{Kind, Op, StateId, Status};

/// Flag bits of [`Server::flags`].
pub mod flag {
    /// The `locked` flag (docs/model.md §4).
    pub const LOCKED: u16 = 1;
    /// The first build succeeded.
    pub const LAUNCHED: u16 = 2;
    /// The user wants the server gone and deletes it once it settles.
    pub const PENDING_DELETE: u16 = 4;
    /// The slot holds a server.
    pub const ALIVE: u16 = 8;
    /// This soft reboot will fall back to hard (its last step takes longer).
    pub const FALLBACK: u16 = 16;
    /// A fault clock is running.
    pub const FAULT_CLOCK: u16 = 32;
    /// The owner chose to have the server stopped: an accepted user stop,
    /// until the next accepted user start.
    pub const NOT_WANTED: u16 = 64;
    /// Counted in the availability statistics as wanted running (kept so
    /// the counts change only when the answer does).
    pub const COUNTED_WANTED: u16 = 128;
    /// Counted as available: wanted running and showing ACTIVE.
    pub const COUNTED_AVAILABLE: u16 = 256;
    /// The owner's delete failed; the retry is scheduled, so settling does
    /// not delete again at once.
    pub const DELETE_RETRY: u16 = 512;
    /// A member of a deployment waiting in its first step for the
    /// deployment's one scheduling: its own step end is not scheduled.
    pub const DEPLOYMENT_WAIT: u16 = 1024;
}

/// Marker for "this operation does not fail" in [`Server::fail_step`].
pub const NO_FAILURE: u8 = u8::MAX;

/// One server. Generation counters let timers be ignored once stale instead
/// of being removed from the queue.
#[derive(Clone, Copy, Debug)]
pub struct Server {
    /// Unique instance number over the whole run (slots are reused).
    pub serial: u32,
    /// Incarnation of this slot: bumped when the server leaves.
    pub life: u32,
    /// Bumped at every state change: guards step, repair and state timers.
    pub epoch: u32,
    /// Bumped at every operation start: guards the watchdog.
    pub op_seq: u32,
    /// Bumped whenever the fault clock is restarted or stopped.
    pub fault_epoch: u32,
    /// When the server entered its current state.
    pub since: SimTime,
    /// When the server entered its current status.
    pub status_since: SimTime,
    /// When the current operation started.
    pub op_started: SimTime,
    /// ECS or BMS.
    pub kind: Kind,
    /// Its state in the kind's machine.
    pub state: StateId,
    /// Cached API status of `state` (depends on `origin` for BMS Deleting).
    pub status: Status,
    /// State the current (or last) operation started from.
    pub origin: StateId,
    /// State saved by a resize, restored by confirm or revert.
    pub saved: StateId,
    /// Operation in progress.
    pub op: Option<Op>,
    /// Index of the current step of `op`.
    pub step: u8,
    /// Step at which `op` fails, or [`NO_FAILURE`].
    pub fail_step: u8,
    /// Step of `op` that hangs (never ends by itself), or [`NO_FAILURE`].
    pub hang_step: u8,
    /// The [`flag`] bits.
    pub flags: u16,
}

impl Server {
    /// Whether a flag bit is set.
    #[inline]
    pub fn has(&self, bit: u16) -> bool {
        self.flags & bit != 0
    }

    /// Sets or clears a flag bit.
    #[inline]
    pub fn set(&mut self, bit: u16, on: bool) {
        if on {
            self.flags |= bit;
        } else {
            self.flags &= !bit;
        }
    }
}

/// All servers, alive and free slots.
#[derive(Default)]
pub struct Fleet {
    servers: Vec<Server>,
    free: Vec<u32>,
    next_serial: u32,
}

impl Fleet {
    /// Places a new server and returns its id.
    pub fn add(&mut self, kind: Kind, state: StateId, status: Status, now: SimTime) -> u32 {
        let serial = self.next_serial;
        self.next_serial = self.next_serial.wrapping_add(1);
        let fresh = Server {
            serial,
            life: 0,
            epoch: 0,
            op_seq: 0,
            fault_epoch: 0,
            since: now,
            status_since: now,
            op_started: now,
            kind,
            state,
            status,
            origin: state,
            saved: state,
            op: None,
            step: 0,
            fail_step: NO_FAILURE,
            hang_step: NO_FAILURE,
            flags: flag::ALIVE,
        };
        match self.free.pop() {
            Some(id) => {
                let old = self.servers[id as usize];
                // Counters carry on across incarnations, so a timer of the
                // previous occupant can never match the new one.
                self.servers[id as usize] = Server {
                    life: old.life,
                    epoch: old.epoch.wrapping_add(1),
                    op_seq: old.op_seq.wrapping_add(1),
                    fault_epoch: old.fault_epoch.wrapping_add(1),
                    ..fresh
                };
                id
            }
            None => {
                self.servers.push(fresh);
                (self.servers.len() - 1) as u32
            }
        }
    }

    /// Frees a server's slot.
    pub fn remove(&mut self, id: u32) {
        let s = &mut self.servers[id as usize];
        s.flags = 0;
        s.life = s.life.wrapping_add(1);
        s.epoch = s.epoch.wrapping_add(1);
        s.fault_epoch = s.fault_epoch.wrapping_add(1);
        self.free.push(id);
    }

    /// Asks the CPU to start loading slot `id` into the cache (a hint only).
    #[inline]
    pub fn prefetch(&self, id: u32) {
        if let Some(s) = self.servers.get(id as usize) {
            crate::engine::prefetch(s);
        }
    }

    /// The server in slot `id`.
    #[inline]
    pub fn get(&self, id: u32) -> &Server {
        &self.servers[id as usize]
    }

    /// The server in slot `id`, mutably.
    #[inline]
    pub fn get_mut(&mut self, id: u32) -> &mut Server {
        &mut self.servers[id as usize]
    }

    /// Whether slot `id` holds the incarnation `life`.
    #[inline]
    pub fn is_alive(&self, id: u32, life: u32) -> bool {
        let s = &self.servers[id as usize];
        s.has(flag::ALIVE) && s.life == life
    }

    /// Servers created so far (including the initial fleet).
    pub fn created(&self) -> u32 {
        self.next_serial
    }

    /// Slots allocated (peak live population).
    pub fn slots(&self) -> usize {
        self.servers.len()
    }

    /// Live servers, in id order.
    pub fn alive(&self) -> impl Iterator<Item = (u32, &Server)> {
        self.servers
            .iter()
            .enumerate()
            .filter(|(_, s)| s.has(flag::ALIVE))
            .map(|(i, s)| (i as u32, s))
    }
}
