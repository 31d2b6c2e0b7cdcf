//! The ECS state machine as data: the (vm_state, task_state) → status map and the
//! operation table of docs/model.md §1–2, compiled into a [`Machine`].
//!
//! A server's state is an index into [`pairs`], the valid pairs in table order,
//! so an invalid pair cannot be represented; every operation step is looked up
//! in that list when the machine is built, and a step the table does not allow
//! fails the build (and the unit tests) rather than a run.

use super::{Kind, Machine, Op, Outcome, Route, StateId, Status, Target};
use serde::Serialize;
use strum::{EnumString, IntoStaticStr, VariantArray};

/// Nova's `vm_state`.
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
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum VmState {
    /// Being created (BUILD).
    Building,
    /// Running; ACTIVE when no task is under way.
    Active,
    /// Powered off; SHUTOFF when no task is under way.
    Stopped,
    /// Resized, waiting for the owner to confirm or revert (VERIFY_RESIZE),
    /// or being reverted (REVERT_RESIZE).
    Resized,
    /// The error state (ERROR), left by a rebuild, a delete or an admin
    /// reset.
    Error,
    /// Deleted (DELETED), until the server leaves the population.
    Deleted,
}

impl VmState {
    /// All vm_states.
    pub const ALL: &'static [VmState] = VmState::VARIANTS;

    /// API spelling.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses the API spelling.
    pub fn from_name(s: &str) -> Option<VmState> {
        s.parse().ok()
    }
}

/// Nova's `task_state` (`None` in a pair means null), in docs/model.md order.
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
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TaskState {
    /// Create, step 1: the scheduler chooses a host.
    Scheduling,
    /// Create, step 3: volumes are attached.
    BlockDeviceMapping,
    /// Create, step 2: networks are allocated.
    Networking,
    /// Create, step 4: the guest is started.
    Spawning,
    /// Soft reboot, step 1.
    Rebooting,
    /// Soft reboot, step 2.
    RebootPending,
    /// Soft reboot, step 3 (the one a fallback to hard makes longer).
    RebootStarted,
    /// Hard reboot, step 1.
    RebootingHard,
    /// Hard reboot, step 2.
    RebootPendingHard,
    /// Hard reboot, step 3.
    RebootStartedHard,
    /// Rebuild, step 1.
    Rebuilding,
    /// Rebuild, step 2.
    RebuildBlockDeviceMapping,
    /// Rebuild, step 3.
    RebuildSpawning,
    /// Live migration (one step).
    Migrating,
    /// Resize, step 1.
    ResizePrep,
    /// Resize, step 2.
    ResizeMigrating,
    /// Resize, step 3.
    ResizeMigrated,
    /// Resize, step 4, after which the server is `resized`.
    ResizeFinish,
    /// Revert of a resize (one step).
    ResizeReverting,
    /// Spelled with a hyphen, as the API spells it.
    #[serde(rename = "powering-off")]
    #[strum(serialize = "powering-off")]
    PoweringOff,
    /// Spelled with a hyphen, as the API spells it.
    #[serde(rename = "powering-on")]
    #[strum(serialize = "powering-on")]
    PoweringOn,
    /// Delete (one step).
    Deleting,
}

impl TaskState {
    /// All task states, in docs/model.md order.
    pub const ALL: &'static [TaskState] = TaskState::VARIANTS;

    /// API spelling (note the hyphens in `powering-off` / `powering-on`).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses the API spelling.
    pub fn from_name(s: &str) -> Option<TaskState> {
        s.parse().ok()
    }
}

use TaskState as T;
use VmState as V;

/// docs/model.md §1, row by row: (vm_state, task_states, status). `None` is a null
/// task_state. This table is the authority on which pairs exist.
pub const STATUS_MAP: &[(VmState, &[Option<TaskState>], Status)] = &[
    (
        V::Building,
        &[
            Some(T::Scheduling),
            Some(T::BlockDeviceMapping),
            Some(T::Networking),
            Some(T::Spawning),
            None,
        ],
        Status::Build,
    ),
    (
        V::Active,
        &[
            Some(T::Rebooting),
            Some(T::RebootPending),
            Some(T::RebootStarted),
        ],
        Status::Reboot,
    ),
    (
        V::Active,
        &[
            Some(T::RebootingHard),
            Some(T::RebootPendingHard),
            Some(T::RebootStartedHard),
        ],
        Status::HardReboot,
    ),
    (
        V::Active,
        &[
            Some(T::Rebuilding),
            Some(T::RebuildBlockDeviceMapping),
            Some(T::RebuildSpawning),
        ],
        Status::Rebuild,
    ),
    (V::Active, &[Some(T::Migrating)], Status::Migrating),
    // docs/model.md note (1): Nova shows RESIZE for a running server too.
    (
        V::Active,
        &[
            Some(T::ResizePrep),
            Some(T::ResizeMigrating),
            Some(T::ResizeMigrated),
            Some(T::ResizeFinish),
        ],
        Status::Resize,
    ),
    (
        V::Active,
        &[Some(T::PoweringOff), Some(T::Deleting), None],
        Status::Active,
    ),
    (
        V::Stopped,
        &[
            Some(T::ResizePrep),
            Some(T::ResizeMigrating),
            Some(T::ResizeMigrated),
            Some(T::ResizeFinish),
        ],
        Status::Resize,
    ),
    (
        V::Stopped,
        &[
            Some(T::Rebuilding),
            Some(T::RebuildBlockDeviceMapping),
            Some(T::RebuildSpawning),
        ],
        Status::Rebuild,
    ),
    (
        V::Stopped,
        &[Some(T::PoweringOn), Some(T::Deleting), None],
        Status::Shutoff,
    ),
    (
        V::Resized,
        &[Some(T::ResizeReverting)],
        Status::RevertResize,
    ),
    (V::Resized, &[None], Status::VerifyResize),
    (
        V::Error,
        &[
            Some(T::Rebuilding),
            Some(T::RebuildBlockDeviceMapping),
            Some(T::RebuildSpawning),
        ],
        Status::Rebuild,
    ),
    (V::Error, &[Some(T::Deleting), None], Status::Error),
    (V::Deleted, &[None], Status::Deleted),
];

/// Status of a pair, or `None` (the API's UNKNOWN) for a pair not in the table.
pub fn status_of(vm: VmState, task: Option<TaskState>) -> Option<Status> {
    STATUS_MAP
        .iter()
        .find(|(v, tasks, _)| *v == vm && tasks.contains(&task))
        .map(|&(_, _, s)| s)
}

/// Every valid pair, in table order; a server's `StateId` indexes this list.
pub fn pairs() -> Vec<(VmState, Option<TaskState>)> {
    STATUS_MAP
        .iter()
        .flat_map(|&(v, tasks, _)| tasks.iter().map(move |&t| (v, t)))
        .collect()
}

/// Column name of a pair: `vm_state:task_state`, `null` for no task.
pub fn pair_name(vm: VmState, task: Option<TaskState>) -> String {
    format!("{}:{}", vm.name(), task.map_or("null", |t| t.name()))
}

/// Where a successful operation leaves the vm_state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Success {
    /// This vm_state, task null.
    Vm(VmState),
    /// `stopped` if it started stopped, else `active` (rebuild).
    StoppedStaysStopped,
    /// The vm_state before the resize (confirm, revert).
    BeforeResize,
    /// The admin reset target (`active`, or `stopped` as configured).
    ResetTarget,
}

/// One row of docs/model.md §2's operation table.
#[derive(Clone, Copy, Debug)]
pub struct OpRow {
    /// The operation the row describes.
    pub op: Op,
    /// vm_states the operation is allowed from (task_state must be null).
    pub from: &'static [VmState],
    /// vm_state held during the steps; `None` keeps the starting vm_state.
    pub during: Option<VmState>,
    /// task_state steps, in order.
    pub steps: &'static [TaskState],
    /// Where a successful operation leaves the vm_state.
    pub success: Success,
    /// Default failure outcome (Nova): stop and start roll back, the rest error.
    pub default_outcome: Outcome,
}

/// docs/model.md §2. Lock and unlock are flag operations, allowed in every state.
pub const OPS: &[OpRow] = &[
    OpRow {
        op: Op::Create,
        from: &[],
        during: Some(V::Building),
        steps: &[
            T::Scheduling,
            T::Networking,
            T::BlockDeviceMapping,
            T::Spawning,
        ],
        success: Success::Vm(V::Active),
        default_outcome: Outcome::Error,
    },
    OpRow {
        op: Op::Reboot,
        from: &[V::Active],
        during: None,
        steps: &[T::Rebooting, T::RebootPending, T::RebootStarted],
        success: Success::Vm(V::Active),
        default_outcome: Outcome::Error,
    },
    OpRow {
        op: Op::RebootHard,
        from: &[V::Active],
        during: None,
        steps: &[T::RebootingHard, T::RebootPendingHard, T::RebootStartedHard],
        success: Success::Vm(V::Active),
        default_outcome: Outcome::Error,
    },
    OpRow {
        op: Op::Stop,
        from: &[V::Active],
        during: None,
        steps: &[T::PoweringOff],
        success: Success::Vm(V::Stopped),
        default_outcome: Outcome::Rollback,
    },
    OpRow {
        op: Op::Start,
        from: &[V::Stopped],
        during: None,
        steps: &[T::PoweringOn],
        success: Success::Vm(V::Active),
        default_outcome: Outcome::Rollback,
    },
    OpRow {
        op: Op::Rebuild,
        from: &[V::Active, V::Stopped, V::Error],
        during: None,
        steps: &[
            T::Rebuilding,
            T::RebuildBlockDeviceMapping,
            T::RebuildSpawning,
        ],
        success: Success::StoppedStaysStopped,
        default_outcome: Outcome::Error,
    },
    OpRow {
        op: Op::Resize,
        from: &[V::Active, V::Stopped],
        during: None,
        steps: &[
            T::ResizePrep,
            T::ResizeMigrating,
            T::ResizeMigrated,
            T::ResizeFinish,
        ],
        success: Success::Vm(V::Resized),
        default_outcome: Outcome::Error,
    },
    OpRow {
        op: Op::ConfirmResize,
        from: &[V::Resized],
        during: None,
        steps: &[],
        success: Success::BeforeResize,
        default_outcome: Outcome::Error,
    },
    OpRow {
        op: Op::RevertResize,
        from: &[V::Resized],
        during: None,
        steps: &[T::ResizeReverting],
        success: Success::BeforeResize,
        default_outcome: Outcome::Error,
    },
    OpRow {
        op: Op::LiveMigrate,
        from: &[V::Active],
        during: None,
        steps: &[T::Migrating],
        success: Success::Vm(V::Active),
        default_outcome: Outcome::Error,
    },
    OpRow {
        op: Op::Delete,
        from: &[V::Active, V::Stopped, V::Error],
        during: None,
        steps: &[T::Deleting],
        success: Success::Vm(V::Deleted),
        default_outcome: Outcome::Error,
    },
    OpRow {
        op: Op::ResetState,
        from: &[V::Error],
        during: None,
        steps: &[],
        success: Success::ResetTarget,
        default_outcome: Outcome::Error,
    },
];

/// Operations a server whose first build failed (never launched) still accepts
/// (docs/model.md §2), besides lock and unlock.
pub const NEVER_LAUNCHED_ALLOWED: &[Op] = &[Op::Delete, Op::ResetState];

/// vm_states in which, with task null, a spontaneous fault can strike (§2).
pub const FAULT_PRONE: &[VmState] = &[V::Active, V::Stopped, V::Resized];

/// Operations an ECS supports, in output order.
pub const SUPPORTED: &[Op] = &[
    Op::Create,
    Op::Reboot,
    Op::RebootHard,
    Op::Stop,
    Op::Start,
    Op::Rebuild,
    Op::Resize,
    Op::ConfirmResize,
    Op::RevertResize,
    Op::LiveMigrate,
    Op::Delete,
    Op::ResetState,
    Op::Lock,
    Op::Unlock,
];

/// Operations a user may put in `ops_mix`.
pub const USER_OPS: &[Op] = &[
    Op::Reboot,
    Op::RebootHard,
    Op::Stop,
    Op::Start,
    Op::Rebuild,
    Op::Resize,
    Op::ConfirmResize,
    Op::RevertResize,
    Op::LiveMigrate,
    Op::Delete,
    Op::Lock,
    Op::Unlock,
];

/// Admin actions, which a lock does not block. Live migration is admin-only
/// in Nova's default policy; a scenario may still put it in `ops_mix` to set
/// how often operators migrate servers.
pub const ADMIN_OPS: &[Op] = &[Op::ResetState, Op::LiveMigrate];

/// The id of a valid pair. Panics on an invalid pair: the tables are internal
/// constants, so that is a bug, caught when the machine is built.
pub fn state(vm: VmState, task: Option<TaskState>) -> StateId {
    let idx = pairs()
        .iter()
        .position(|&p| p == (vm, task))
        .unwrap_or_else(|| panic!("invalid ECS pair {}", pair_name(vm, task)));
    StateId(idx as u8)
}

/// Pre-emptions a scenario may turn on (docs/model.md §2): a hard reboot may
/// interrupt a soft reboot in any of these steps.
pub const HARD_PREEMPTS_SOFT: &[TaskState] = &[T::Rebooting, T::RebootPending, T::RebootStarted];

/// Builds the ECS machine. `reset_to_stopped` chooses where an admin reset
/// leaves the server (docs/model.md §2: "active (or stopped, as configured)").
pub fn machine(reset_to_stopped: bool) -> Machine {
    machine_with(reset_to_stopped, false)
}

/// Builds the ECS machine, with `hard_preempts` adding [`HARD_PREEMPTS_SOFT`].
pub fn machine_with(reset_to_stopped: bool, hard_preempts: bool) -> Machine {
    let pairs = pairs();
    let n = pairs.len();
    let id = |vm, task| state(vm, task);
    let mut m = Machine {
        kind: Kind::Ecs,
        state_names: pairs.iter().map(|&(v, t)| pair_name(v, t)).collect(),
        status: pairs
            .iter()
            .map(|&(v, t)| Some(status_of(v, t).expect("pairs come from the map")))
            .collect(),
        fault_prone: pairs
            .iter()
            .map(|&(v, t)| t.is_none() && FAULT_PRONE.contains(&v))
            .collect(),
        duration_key: pairs.iter().map(|&(_, t)| t.map(|t| t as u8)).collect(),
        duration_names: TaskState::ALL.iter().map(|t| t.name()).collect(),
        error_state: id(V::Error, None),
        deleted_state: id(V::Deleted, None),
        running_state: id(V::Active, None),
        ops: SUPPORTED,
        user_ops: USER_OPS,
        default_outcome: [Outcome::Error; Op::COUNT],
        admin_ops: ADMIN_OPS,
        unlaunched_ops: NEVER_LAUNCHED_ALLOWED,
        verify_state: Some(id(V::Resized, None)),
        frozen_state: None,
        routes: vec![None; Op::COUNT * n],
        create_route: Route::new(&[], Target::Removed, None),
    };
    for row in OPS {
        m.default_outcome[row.op.index()] = row.default_outcome;
        let error = Some(Target::State(m.error_state));
        if row.op == Op::Create {
            let steps: Vec<StateId> = row
                .steps
                .iter()
                .map(|&t| id(V::Building, Some(t)))
                .collect();
            m.create_route = Route::new(
                &steps,
                target(row.success, V::Building, reset_to_stopped),
                error,
            );
            // A rolled-back create leaves nothing behind.
            m.create_route.rollback = Target::Removed;
            continue;
        }
        for &from in row.from {
            let during = row.during.unwrap_or(from);
            let steps: Vec<StateId> = row.steps.iter().map(|&t| id(during, Some(t))).collect();
            let mut route = Route::new(&steps, target(row.success, from, reset_to_stopped), error);
            route.saves_origin = row.op == Op::Resize;
            m.set_route(row.op, id(from, None), route);
        }
    }
    if hard_preempts {
        let hard = *m
            .route(Op::RebootHard, id(V::Active, None))
            .expect("hard reboot from active");
        for &t in HARD_PREEMPTS_SOFT {
            // Rolling back goes to where the soft reboot would have ended,
            // never into the interrupted step.
            let route = Route {
                rollback: Target::State(id(V::Active, None)),
                ..hard
            };
            m.set_route(Op::RebootHard, id(V::Active, Some(t)), route);
        }
    }
    m
}

fn target(success: Success, from: VmState, reset_to_stopped: bool) -> Target {
    match success {
        Success::Vm(v) => Target::State(state(v, None)),
        Success::StoppedStaysStopped if from == V::Stopped => {
            Target::State(state(V::Stopped, None))
        }
        Success::StoppedStaysStopped => Target::State(state(V::Active, None)),
        Success::BeforeResize => Target::Saved,
        Success::ResetTarget if reset_to_stopped => Target::State(state(V::Stopped, None)),
        Success::ResetTarget => Target::State(state(V::Active, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Target;

    /// docs/model.md §1 transcribed as text, independently of `STATUS_MAP`.
    const DOC_MAP: &[(&str, &str, &str)] = &[
        (
            "building",
            "scheduling, block_device_mapping, networking, spawning, null",
            "BUILD",
        ),
        (
            "active",
            "rebooting, reboot_pending, reboot_started",
            "REBOOT",
        ),
        (
            "active",
            "rebooting_hard, reboot_pending_hard, reboot_started_hard",
            "HARD_REBOOT",
        ),
        (
            "active",
            "rebuilding, rebuild_block_device_mapping, rebuild_spawning",
            "REBUILD",
        ),
        ("active", "migrating", "MIGRATING"),
        (
            "active",
            "resize_prep, resize_migrating, resize_migrated, resize_finish",
            "RESIZE",
        ),
        ("active", "powering-off, deleting, null", "ACTIVE"),
        (
            "stopped",
            "resize_prep, resize_migrating, resize_migrated, resize_finish",
            "RESIZE",
        ),
        (
            "stopped",
            "rebuilding, rebuild_block_device_mapping, rebuild_spawning",
            "REBUILD",
        ),
        ("stopped", "powering-on, deleting, null", "SHUTOFF"),
        ("resized", "resize_reverting", "REVERT_RESIZE"),
        ("resized", "null", "VERIFY_RESIZE"),
        (
            "error",
            "rebuilding, rebuild_block_device_mapping, rebuild_spawning",
            "REBUILD",
        ),
        ("error", "deleting, null", "ERROR"),
        ("deleted", "null", "DELETED"),
    ];

    fn parse_task(t: &str) -> Option<TaskState> {
        if t == "null" {
            None
        } else {
            Some(TaskState::from_name(t).unwrap_or_else(|| panic!("unknown task {t}")))
        }
    }

    fn doc_status(vm: VmState, task: Option<TaskState>) -> Option<&'static str> {
        DOC_MAP.iter().find_map(|&(v, tasks, st)| {
            (v == vm.name() && tasks.split(", ").any(|t| parse_task(t) == task)).then_some(st)
        })
    }

    #[test]
    fn every_row_of_the_status_map() {
        for &(vm, tasks, status) in DOC_MAP {
            let vm = VmState::from_name(vm).unwrap();
            for t in tasks.split(", ") {
                let got = status_of(vm, parse_task(t)).map(|s| s.name());
                assert_eq!(got, Some(status), "{}:{t}", vm.name());
            }
        }
    }

    #[test]
    fn every_other_pair_is_unknown() {
        let mut valid = 0;
        for &vm in VmState::ALL {
            for task in TaskState::ALL.iter().copied().map(Some).chain([None]) {
                let expected = doc_status(vm, task);
                assert_eq!(status_of(vm, task).map(|s| s.name()), expected);
                valid += expected.is_some() as usize;
            }
        }
        assert_eq!(valid, 40);
        assert_eq!(pairs().len(), 40);
    }

    /// docs/model.md §2 transcribed as text: operation, allowed-from vm_states,
    /// task steps, vm_state on success ("same" = stays stopped if stopped,
    /// "before" = before the resize).
    const DOC_OPS: &[(&str, &str, &str, &str)] = &[
        (
            "reboot",
            "active",
            "rebooting reboot_pending reboot_started",
            "active",
        ),
        (
            "reboot_hard",
            "active",
            "rebooting_hard reboot_pending_hard reboot_started_hard",
            "active",
        ),
        ("stop", "active", "powering-off", "stopped"),
        ("start", "stopped", "powering-on", "active"),
        (
            "rebuild",
            "active stopped error",
            "rebuilding rebuild_block_device_mapping rebuild_spawning",
            "same",
        ),
        (
            "resize",
            "active stopped",
            "resize_prep resize_migrating resize_migrated resize_finish",
            "resized",
        ),
        ("confirm_resize", "resized", "", "before"),
        ("revert_resize", "resized", "resize_reverting", "before"),
        ("live_migrate", "active", "migrating", "active"),
        ("delete", "active stopped error", "deleting", "deleted"),
        ("reset_state", "error", "", "active"),
    ];

    #[test]
    fn every_operation_allowed_and_refused_in_every_state() {
        let m = machine(false);
        let pairs = pairs();
        for &(op, from, steps, to) in DOC_OPS {
            let op = *Op::ALL.iter().find(|o| o.name() == op).unwrap();
            for (i, &(vm, task)) in pairs.iter().enumerate() {
                let route = m.route(op, StateId(i as u8));
                let allowed = task.is_none() && from.split(' ').any(|f| f == vm.name());
                assert_eq!(
                    route.is_some(),
                    allowed,
                    "{} from {}",
                    op.name(),
                    pair_name(vm, task)
                );
                let Some(route) = route else { continue };
                let names: Vec<String> = route
                    .steps()
                    .iter()
                    .map(|s| m.state_names[s.index()].clone())
                    .collect();
                // During the steps the vm_state stays where it started.
                let expected: Vec<String> = steps
                    .split_whitespace()
                    .map(|t| format!("{}:{t}", vm.name()))
                    .collect();
                assert_eq!(names, expected, "{} from {}", op.name(), vm.name());
                let success = match to {
                    "same" if vm == VmState::Stopped => {
                        Target::State(state(VmState::Stopped, None))
                    }
                    "same" => Target::State(state(VmState::Active, None)),
                    "before" => Target::Saved,
                    v => Target::State(state(VmState::from_name(v).unwrap(), None)),
                };
                assert_eq!(route.success, success, "{} from {}", op.name(), vm.name());
                assert_eq!(route.error, Some(Target::State(m.error_state)));
                assert_eq!(route.rollback, Target::Origin);
            }
        }
        // Operations the table does not list are never allowed.
        for &op in Op::ALL {
            if !DOC_OPS.iter().any(|d| d.0 == op.name()) && op != Op::Create {
                assert!(m.allowed_from(op).is_empty() || op.is_flag_op(), "{op:?}");
            }
        }
    }

    #[test]
    fn create_builds_through_four_steps_and_a_resize_remembers_where_it_began() {
        let m = machine(false);
        let names: Vec<&str> = m
            .create_route
            .steps()
            .iter()
            .map(|s| m.state_names[s.index()].as_str())
            .collect();
        assert_eq!(
            names,
            [
                "building:scheduling",
                "building:networking",
                "building:block_device_mapping",
                "building:spawning"
            ]
        );
        assert_eq!(m.create_route.rollback, Target::Removed);
        let resize = m.route(Op::Resize, state(VmState::Stopped, None)).unwrap();
        assert!(resize.saves_origin);
        // A running server being resized shows RESIZE (docs/model.md note 1).
        assert_eq!(
            m.status_of(resize.steps()[0], resize.steps()[0]),
            Status::Resize
        );
    }

    #[test]
    fn reset_target_is_configurable_and_faults_strike_only_stable_states() {
        let stopped = machine(true);
        let p = stopped.route(Op::ResetState, stopped.error_state).unwrap();
        assert_eq!(p.success, Target::State(state(VmState::Stopped, None)));
        let m = machine(false);
        let prone: Vec<&str> = (0..m.n_states())
            .filter(|&s| m.fault_prone[s])
            .map(|s| m.state_names[s].as_str())
            .collect();
        assert_eq!(prone, ["active:null", "stopped:null", "resized:null"]);
    }
}
