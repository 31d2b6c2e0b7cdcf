//! What the simulation tells the outside while it runs: every change of a
//! server ([`Change`], with its [`Cause`]), every request with its
//! [`Response`], and the occupancy at each sample time, handed to a
//! [`Recorder`]. A recorder observes; it never drives the simulation.

use crate::capacity::{Flavor, Pool};
use crate::engine::SimTime;
use crate::model::{Kind, Machine, Op, StateId, Status};
use crate::stats::KindStats;

/// Why a server changed: the operation progressing, its failure, its
/// watchdog, a spontaneous fault, or the removal of a deleted server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A server of the initial fleet, present at t = 0.
    Initial,
    /// The operation started, advanced a step, or finished.
    Op(Op),
    /// The operation failed (to the error state, or rolled back).
    Failed(Op),
    /// The operation overran its watchdog.
    Timeout(Op),
    /// A spontaneous fault, or a mass fault.
    Fault,
    /// Nova's power-state sync found a crashed guest off.
    PowerSync,
    /// A deleted server left the population.
    Purge,
    /// A create found no host with room.
    NoValidHost,
    /// A build that failed on its host goes back to the scheduler.
    Reschedule,
    /// The server's host, or a failure domain holding it, failed.
    HostFailure,
}

impl Cause {
    /// The trace's name of the cause, in two parts: a name and a suffix
    /// (`resize` `_failed`), so that it is written without formatting.
    pub fn name_parts(self) -> (&'static str, &'static str) {
        match self {
            Cause::Initial => ("initial", ""),
            Cause::Op(op) => (op.name(), ""),
            Cause::Failed(op) => (op.name(), "_failed"),
            Cause::Timeout(op) => (op.name(), "_timeout"),
            Cause::Fault => ("fault", ""),
            Cause::PowerSync => ("power_sync", ""),
            Cause::Purge => ("purge", ""),
            Cause::NoValidHost => ("no_valid_host", ""),
            Cause::Reschedule => ("reschedule", ""),
            Cause::HostFailure => ("host_failure", ""),
        }
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (name, suffix) = self.name_parts();
        f.write_str(name)?;
        f.write_str(suffix)
    }
}

/// One change of a server's state, status or lock, as the trace records it.
#[derive(Clone, Copy, Debug)]
pub struct Change {
    /// When it happened (`time_s` in the trace).
    pub time: SimTime,
    /// Unique instance number.
    pub serial: u32,
    /// The server's kind.
    pub kind: Kind,
    /// Why it happened (`cause` in the trace).
    pub cause: Cause,
    /// State and status before; `None` for a server that just appeared.
    pub from: Option<(StateId, Status)>,
    /// State and status after; `None` for a server that left.
    pub to: Option<(StateId, Status)>,
    /// The lock flag after the change.
    pub locked: bool,
    /// Index of the flavor the API shows, or [`NO_FLAVOR`] (no capacity).
    pub flavor: u16,
    /// The capacity host it runs on, or [`crate::capacity::NO_HOST`] (no
    /// capacity, or no host yet).
    pub host: u32,
    /// Its server group, or [`crate::capacity::groups::NO_GROUP`].
    pub group: u32,
}

/// No flavor: the kind has no `[capacity]`.
pub const NO_FLAVOR: u16 = u16::MAX;

/// Who asks for an operation: users are refused by a lock, admins are not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    /// The owner: the operation mix, end-of-life and on-error requests,
    /// resize decisions. Refused by a lock, except for an admin action or an
    /// unlock.
    User,
    /// An admin, an operator or billing: repairs, auto-confirmed resizes,
    /// freezes, unfreezes and expiries.
    Admin,
    /// Nova's auto-recovery evacuating a server from a failed host (an
    /// admin action).
    Recovery,
}

/// The answer to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// Accepted: the operation starts.
    Accepted,
    /// Refused with a conflict (HTTP 409): the server's state does not allow
    /// the operation, or the server never launched.
    RefusedConflict,
    /// Refused: a user operation on a locked server (HTTP 409).
    RefusedLocked,
    /// No host has room for what the operation needs (docs/model.md §2: the
    /// vm_state is kept and the task cleared, so nothing changes).
    RefusedCapacity,
    /// The server's host is down (Nova: its compute service is
    /// unavailable), though its state allows the operation.
    RefusedHostDown,
}

/// One request for an operation, as the request log records it.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    /// When it was made.
    pub time: SimTime,
    /// The server's number, unique over the run.
    pub serial: u32,
    /// The server's kind.
    pub kind: Kind,
    /// The operation asked for.
    pub op: Op,
    /// Who asked.
    pub by: By,
    /// State and status the request found; `None` for a create.
    pub state: Option<(StateId, Status)>,
    /// The lock flag the request found.
    pub locked: bool,
    /// Whether its first build had succeeded.
    pub launched: bool,
    /// The answer.
    pub response: Response,
}

/// Where a run's time series and trace go. The simulation calls it; it never
/// drives the simulation.
pub trait Recorder {
    /// Whether [`Recorder::change`] should be called at all.
    fn wants_changes(&self) -> bool;
    /// One change (only if `wants_changes`).
    fn change(&mut self, c: &Change, machine: &Machine);
    /// Occupancy of one kind at sample time `t`.
    fn sample(&mut self, t: SimTime, kind: Kind, stats: &KindStats, machine: &Machine);
    /// Usage of every pool at sample time `t` (only with capacity).
    fn capacity(&mut self, _t: SimTime, _pools: &[Pool]) {}
    /// The flavor names a [`Change::flavor`] indexes (only with capacity).
    fn flavors(&mut self, _names: &[&str]) {}
    /// The flavors and pools of the capacity (only with capacity): what a
    /// [`Change::host`] and [`Change::flavor`] index.
    fn layout(&mut self, _flavors: &[Flavor], _pools: &[Pool]) {}
    /// One request (only if `wants_changes`).
    fn request(&mut self, _r: &Request, _machine: &Machine) {}
}

/// A recorder that keeps nothing.
pub struct NullRecorder;

impl Recorder for NullRecorder {
    fn wants_changes(&self) -> bool {
        false
    }
    fn change(&mut self, _: &Change, _: &Machine) {}
    fn sample(&mut self, _: SimTime, _: Kind, _: &KindStats, _: &Machine) {}
}
