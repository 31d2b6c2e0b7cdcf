//! The lifecycle models as data: kinds, API statuses, operations, and the per-kind
//! state machines ([`Machine`]) that the simulator consults instead of re-encoding
//! the rules in handlers.
//!
//! Each kind's tables (docs/model.md §1–3) live in [`ecs`] and [`bms`]; both compile
//! into the same shape: a list of states, the API status of each, and for every
//! (operation, state) the [`Route`] the operation follows from there — or none,
//! which means the request is refused with a conflict.

pub mod api;
pub mod bms;
pub mod ecs;
pub mod nova;

use serde::Serialize;
use strum::{EnumCount, EnumString, IntoStaticStr, VariantArray};

/// The two kinds of server fleetsim simulates.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    VariantArray,
    IntoStaticStr,
    EnumString,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Kind {
    /// Elastic cloud server: a virtual machine with Nova semantics.
    Ecs,
    /// Bare metal server.
    Bms,
}

impl Kind {
    /// Both kinds, in output order.
    pub const ALL: &'static [Kind] = Kind::VARIANTS;

    /// Lower-case name used in files and scenarios.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The status the API shows (docs/model.md §1 and §3), in the column order of
/// `occupancy_status.csv`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    VariantArray,
    IntoStaticStr,
    EnumString,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE", ascii_case_insensitive)]
#[repr(u8)]
pub enum Status {
    /// Being created: ECS `building`, BMS `creating`.
    Build,
    /// A soft reboot in progress: ECS `reboot`, BMS `restart`.
    Reboot,
    /// A hard reboot in progress: ECS `reboot_hard`, BMS `restart_hard`.
    HardReboot,
    /// An ECS being rebuilt (the `rebuilding` task states), by its owner or by
    /// auto-recovery's evacuation.
    Rebuild,
    /// An ECS being live-migrated (`active:migrating`).
    Migrating,
    /// An ECS being resized, running or stopped (`resize_prep` to
    /// `resize_finish`).
    Resize,
    /// Running: ECS `active` (also while powering off or being deleted), BMS
    /// `running` and `stopping`.
    Active,
    /// Stopped: ECS `stopped` (also while powering on or being deleted), BMS
    /// `stopped`, `starting`, `rebuilding`, `reinstalling_os`,
    /// `reinstalling_os_failed` and `frozen`.
    Shutoff,
    /// An ECS resize being reverted (`resized:resize_reverting`).
    RevertResize,
    /// An ECS resize waiting for its owner to confirm or revert it
    /// (`resized:null`).
    VerifyResize,
    /// The error state: ECS `error` (also while being deleted), BMS `faulty`.
    Error,
    /// Deleted, shown for `deleted_for` before the server leaves the
    /// population.
    Deleted,
}

impl Status {
    /// Every status, in column order.
    pub const ALL: &'static [Status] = Status::VARIANTS;

    /// The API spelling.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses the API spelling (case-insensitive).
    pub fn from_name(s: &str) -> Option<Status> {
        s.parse().ok()
    }
}

/// Every operation or administrative action of either kind. Which ones a kind
/// supports, and from where, is in that kind's table.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    VariantArray,
    EnumCount,
    IntoStaticStr,
    EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[repr(u8)]
pub enum Op {
    /// Creates a server; creates come from `arrivals`, never from `ops_mix`.
    Create,
    /// ECS soft reboot.
    Reboot,
    /// ECS hard reboot.
    RebootHard,
    /// Stops a running server.
    Stop,
    /// Starts a stopped server.
    Start,
    /// Rebuilds the server from its image: an ECS user operation; for a BMS an
    /// operator action, at the owner's request or as the admin's repair.
    Rebuild,
    /// ECS resize to another flavor, ending in VERIFY_RESIZE.
    Resize,
    /// ECS: confirms a resize (immediate).
    ConfirmResize,
    /// ECS: reverts a resize to the old flavor.
    RevertResize,
    /// ECS live migration to another host (an admin action, not blocked by a
    /// lock).
    LiveMigrate,
    /// Deletes the server.
    Delete,
    /// ECS admin `os-resetState` of a server in ERROR (the admin's repair), to
    /// `active` or, with `reset_to = "stopped"`, `stopped`.
    ResetState,
    /// BMS restart.
    Restart,
    /// BMS forcible restart; may pre-empt a restart in progress.
    RestartHard,
    /// BMS OS reinstall; a failure leaves `reinstalling_os_failed`.
    ReinstallOs,
    /// BMS admin repair of a `faulty` server, in place, to `running` (or
    /// `stopped`, with `repair_to`).
    Repair,
    /// BMS billing freeze (an admin action), to `frozen`.
    Freeze,
    /// BMS billing unfreeze once the owner renews, to `stopped`.
    Unfreeze,
    /// BMS deletion of a frozen server not renewed within its retention
    /// period; cannot fail.
    Expire,
    /// Sets the `locked` flag; allowed in every state, cannot fail.
    Lock,
    /// Clears the `locked` flag; allowed in every state, never blocked by the
    /// lock, cannot fail.
    Unlock,
}

impl Op {
    /// Number of operations (size of per-operation arrays).
    pub const COUNT: usize = <Op as EnumCount>::COUNT;

    /// Every operation, in declaration order.
    pub const ALL: &'static [Op] = Op::VARIANTS;

    /// The name used in scenarios and output files.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses the name used in scenarios and output files.
    pub fn from_name(s: &str) -> Option<Op> {
        s.parse().ok()
    }

    /// Index for per-operation arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Lock and unlock change only the `locked` flag; they are allowed in every
    /// state (Nova) and never refused because of the lock itself.
    pub fn is_flag_op(self) -> bool {
        matches!(self, Op::Lock | Op::Unlock)
    }
}

/// What an operation failure does (docs/model.md §2): the server goes to the kind's
/// error state, or the operation is rolled back to where it started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, VariantArray, IntoStaticStr, EnumString)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Outcome {
    /// The server goes to the kind's error state (ECS ERROR, BMS `faulty`,
    /// or `reinstalling_os_failed` for an OS reinstall).
    Error,
    /// The server returns to the state the operation started from; a
    /// rolled-back create removes the server.
    Rollback,
}

impl Outcome {
    /// Scenario spelling.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// Dense index of a state within its kind's [`Machine`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StateId(pub u8);

impl StateId {
    /// Index for per-state arrays.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where a finished, failed or rolled-back operation leaves the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A fixed state.
    State(StateId),
    /// The state the operation started from.
    Origin,
    /// The state saved by an earlier operation (the vm_state before a resize).
    Saved,
    /// The server leaves the population (a rolled-back create).
    Removed,
}

/// How an operation proceeds from one state: the intermediate states it passes
/// through, in order, and where it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    steps: [StateId; 4],
    n_steps: u8,
    /// Where a successful operation ends.
    pub success: Target,
    /// Where an operation ends when it fails with outcome `error` or overruns
    /// its watchdog; `None` when the operation cannot fail (BMS delete).
    pub error: Option<Target>,
    /// Where an operation ends when it fails with outcome `rollback`.
    pub rollback: Target,
    /// Whether the starting state is saved for a later `Target::Saved`.
    pub saves_origin: bool,
}

impl Route {
    /// A route through `steps`, ending in `success`.
    pub fn new(steps: &[StateId], success: Target, error: Option<Target>) -> Route {
        assert!(steps.len() <= 4, "at most four steps per operation");
        let mut s = [StateId(0); 4];
        s[..steps.len()].copy_from_slice(steps);
        Route {
            steps: s,
            n_steps: steps.len() as u8,
            success,
            error,
            rollback: Target::Origin,
            saves_origin: false,
        }
    }

    /// The intermediate states, in order (empty for an immediate operation).
    pub fn steps(&self) -> &[StateId] {
        &self.steps[..self.n_steps as usize]
    }
}

/// One kind's state machine, compiled from its tables.
#[derive(Clone, Debug)]
pub struct Machine {
    /// The kind this machine describes.
    pub kind: Kind,
    /// Column name of each state (`active:null`, `reinstalling_os_failed`).
    pub state_names: Vec<String>,
    /// API status of each state; `None` where it depends on the state the
    /// operation came from (BMS Deleting shows its origin's status).
    pub status: Vec<Option<Status>>,
    /// Whether a state is one in which a spontaneous fault can strike.
    pub fault_prone: Vec<bool>,
    /// Index into the kind's step-duration list for intermediate states.
    pub duration_key: Vec<Option<u8>>,
    /// Names of the step-duration keys (`spawning`, `creating`, ...).
    pub duration_names: Vec<&'static str>,
    /// The state a fault sends a server to (ERROR / Faulty).
    pub error_state: StateId,
    /// The DELETED state, after which the server leaves the population.
    pub deleted_state: StateId,
    /// The state a running server of the initial fleet starts in.
    pub running_state: StateId,
    /// Operations the kind supports, in output order.
    pub ops: &'static [Op],
    /// Operations a user may request through `ops_mix`.
    pub user_ops: &'static [Op],
    /// Default failure outcome per operation.
    pub default_outcome: [Outcome; Op::COUNT],
    /// Admin actions, which a lock does not block.
    pub admin_ops: &'static [Op],
    /// Operations a server whose first build failed still accepts (ECS: delete
    /// and reset, docs/model.md §2); every supported operation for BMS.
    pub unlaunched_ops: &'static [Op],
    /// VERIFY_RESIZE, where the user decides to confirm or revert (ECS).
    pub verify_state: Option<StateId>,
    /// Frozen, where billing decides between unfreeze and deletion (BMS).
    pub frozen_state: Option<StateId>,
    routes: Vec<Option<Route>>,
    /// Route of a create (from no state).
    pub create_route: Route,
}

impl Machine {
    /// Number of states.
    pub fn n_states(&self) -> usize {
        self.state_names.len()
    }

    /// The route `op` follows from `state`, or `None` if `op` is not allowed there.
    #[inline]
    pub fn route(&self, op: Op, state: StateId) -> Option<&Route> {
        self.routes[op.index() * self.n_states() + state.index()].as_ref()
    }

    fn set_route(&mut self, op: Op, state: StateId, route: Route) {
        let n = self.n_states();
        let slot = &mut self.routes[op.index() * n + state.index()];
        assert!(slot.is_none(), "two routes for {op:?} from state {state:?}");
        *slot = Some(route);
    }

    /// Status shown by a server in `state` whose current operation began in `origin`.
    #[inline]
    pub fn status_of(&self, state: StateId, origin: StateId) -> Status {
        match self.status[state.index()] {
            Some(s) => s,
            None => self.status[origin.index()]
                .expect("an origin-dependent state's origin has a fixed status"),
        }
    }

    /// Whether the kind supports `op`.
    pub fn supports(&self, op: Op) -> bool {
        self.ops.contains(&op)
    }

    /// Whether `op` is an admin action (not blocked by a lock).
    pub fn is_admin(&self, op: Op) -> bool {
        self.admin_ops.contains(&op)
    }

    /// States from which `op` is allowed, by name.
    pub fn allowed_from(&self, op: Op) -> Vec<&str> {
        (0..self.n_states())
            .filter(|&s| self.route(op, StateId(s as u8)).is_some() || op.is_flag_op())
            .map(|s| self.state_names[s].as_str())
            .collect()
    }

    /// The states in which a server of this kind can show `status`: those
    /// whose status is `status`, and those that show their origin's status
    /// (BMS Deleting) when some operation passes through them from a state
    /// showing `status`.
    pub fn states_showing(&self, status: Status) -> Vec<StateId> {
        let states = || (0..self.n_states()).map(|s| StateId(s as u8));
        let shows = |s: StateId| self.status[s.index()] == Some(status);
        let reached_from_status = |step: StateId| {
            self.ops.iter().any(|&op| {
                states().any(|o| {
                    shows(o) && self.route(op, o).is_some_and(|r| r.steps().contains(&step))
                })
            })
        };
        states()
            .filter(|&s| match self.status[s.index()] {
                Some(_) => shows(s),
                None => reached_from_status(s),
            })
            .collect()
    }

    /// Whether the tables allow `op` in some state showing `status` (lock
    /// and unlock are allowed in every state); an owner looking only at
    /// the status can then sensibly ask for it.
    pub fn allowed_in_status(&self, op: Op, status: Status) -> bool {
        let states = self.states_showing(status);
        !states.is_empty()
            && (op.is_flag_op() || states.iter().any(|&s| self.route(op, s).is_some()))
    }

    /// The statuses this kind can show.
    pub fn statuses(&self) -> Vec<Status> {
        let mut v: Vec<Status> = self.status.iter().flatten().copied().collect();
        v.sort();
        v.dedup();
        v
    }

    /// Whether `state` is a step of some operation (an ECS task state, a BMS
    /// intermediate state with a duration), as opposed to a state a server
    /// rests in.
    pub fn is_step(&self, state: StateId) -> bool {
        self.duration_key[state.index()].is_some()
    }

    /// The operation a server found in step `state` is in the middle of:
    /// (operation, the state it started from, the index of `state` among
    /// its steps). A create step is the create (started from that state
    /// itself). Otherwise the first operation, in `ops` order, with a route
    /// through `state` from `origin` if one is given and has such a route,
    /// else from a stable state (the lowest), else from any state. `None`
    /// when no operation passes through `state`.
    pub fn resume_point(
        &self,
        state: StateId,
        origin: Option<StateId>,
    ) -> Option<(Op, StateId, usize)> {
        if let Some(i) = self.create_route.steps().iter().position(|&s| s == state) {
            return Some((Op::Create, state, i));
        }
        let through = |from: StateId| {
            self.ops.iter().find_map(|&op| {
                let route = self.route(op, from)?;
                let i = route.steps().iter().position(|&s| s == state)?;
                Some((op, from, i))
            })
        };
        let states = || (0..self.n_states()).map(|s| StateId(s as u8));
        origin
            .and_then(through)
            .or_else(|| states().filter(|&s| !self.is_step(s)).find_map(through))
            .or_else(|| states().find_map(through))
    }

    /// The state with this column name.
    pub fn state_by_name(&self, name: &str) -> Option<StateId> {
        self.state_names
            .iter()
            .position(|n| n == name)
            .map(|i| StateId(i as u8))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::spec::PlacementPolicy;

    /// Each name is spelled twice, by serde (JSON: the manifest, `states
    /// --json`) and by strum (files, scenarios): the two must agree, and
    /// every name must parse back to its value.
    #[test]
    fn derived_names_agree_with_serde_and_parse_back() {
        fn check<T: Serialize + Copy + std::fmt::Debug + PartialEq>(
            all: &[T],
            name: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) {
            for &v in all {
                let json = serde_json::to_value(v).unwrap();
                assert_eq!(json, name(v), "{v:?}");
                assert_eq!(parse(name(v)), Some(v), "{v:?}");
            }
        }
        check(Kind::ALL, Kind::name, |s| s.parse().ok());
        check(Status::ALL, Status::name, Status::from_name);
        check(Op::ALL, Op::name, Op::from_name);
        check(Outcome::VARIANTS, Outcome::name, |s| s.parse().ok());
        check(
            ecs::TaskState::ALL,
            ecs::TaskState::name,
            ecs::TaskState::from_name,
        );
        check(
            bms::BmsState::ALL,
            bms::BmsState::name,
            bms::BmsState::from_name,
        );
        check(
            ecs::VmState::ALL,
            ecs::VmState::name,
            ecs::VmState::from_name,
        );
        check(PlacementPolicy::ALL, PlacementPolicy::name, |s| {
            s.parse().ok()
        });
        assert_eq!(Op::ALL.len(), Op::COUNT);
        assert_eq!(
            Status::from_name("verify_resize"),
            Some(Status::VerifyResize)
        );
        assert_eq!(ecs::TaskState::PoweringOff.name(), "powering-off");
        assert_eq!(
            bms::BmsState::ReinstallingOsFailed.name(),
            "reinstalling_os_failed"
        );
    }

    /// The states that can show a status: fixed ones, and BMS Deleting,
    /// which shows the status of the state its delete came from.
    #[test]
    fn states_showing_a_status_include_those_that_show_their_origin() {
        let names = |m: &Machine, st| -> Vec<String> {
            m.states_showing(st)
                .iter()
                .map(|s| m.state_names[s.index()].clone())
                .collect()
        };
        let b = bms::machine(false);
        assert_eq!(
            names(&b, Status::Active),
            ["running", "stopping", "deleting"]
        );
        // Deleting pre-empts a restart; nothing deletes from creating.
        assert_eq!(names(&b, Status::Reboot), ["restarting", "deleting"]);
        assert_eq!(names(&b, Status::Build), ["creating"]);
        assert!(b.allowed_in_status(Op::RestartHard, Status::Reboot));
        assert!(!b.allowed_in_status(Op::Restart, Status::Reboot));
        let e = ecs::machine(false);
        assert_eq!(
            names(&e, Status::Shutoff),
            ["stopped:powering-on", "stopped:deleting", "stopped:null"]
        );
        assert!(e.allowed_in_status(Op::Start, Status::Shutoff));
        assert!(!e.allowed_in_status(Op::Reboot, Status::Shutoff));
        // Lock and unlock are allowed wherever a server can be, and nowhere
        // else.
        assert!(e.allowed_in_status(Op::Lock, Status::Migrating));
        assert!(!b.allowed_in_status(Op::Lock, Status::Migrating));
    }
}
