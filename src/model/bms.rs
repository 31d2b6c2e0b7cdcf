//! The BMS state machine as data: the 14 lifecycle states with their API status
//! and the transition table of docs/model.md §3, compiled into a [`Machine`].

use super::{Kind, Machine, Op, Outcome, Route, StateId, Status, Target};
use serde::Serialize;
use strum::{EnumString, IntoStaticStr, VariantArray};

/// A BMS lifecycle state (docs/model.md §3), in column order of `occupancy_bms.csv`.
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
#[repr(u8)]
pub enum BmsState {
    /// Being provisioned by a create (BUILD).
    Creating,
    /// Being started (SHUTOFF).
    Starting,
    /// Running (ACTIVE); stable.
    Running,
    /// Being stopped, or frozen from `running` (ACTIVE).
    Stopping,
    /// Stopped (SHUTOFF); stable.
    Stopped,
    /// Being restarted (REBOOT).
    Restarting,
    /// Being forcibly restarted (HARD_REBOOT).
    ForciblyRestarting,
    /// Being deleted or expired; shows the status of the state it was
    /// deleted from.
    Deleting,
    /// Deleted (DELETED), for `deleted_for` before the server leaves the
    /// population.
    Deleted,
    /// The error state (ERROR); stable.
    Faulty,
    /// Being rebuilt by an operator (SHUTOFF).
    Rebuilding,
    /// Its OS being reinstalled (SHUTOFF).
    ReinstallingOs,
    /// An OS reinstall failed or timed out (SHUTOFF); stable. Besides the lock
    /// flags, only another OS reinstall is allowed from it.
    ReinstallingOsFailed,
    /// Frozen by billing (SHUTOFF); stable, left by an unfreeze or expiry.
    Frozen,
}

/// Whether a state is stable or passed through by an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stability {
    /// A state a server rests in.
    Stable,
    /// A state an operation passes through (or, for `deleted`, a short
    /// stay before removal).
    Intermediate,
}

use BmsState as B;

/// docs/model.md §3's state table: state, kind, API status. `None` is Deleting's
/// "the status of the state it was deleted from".
pub const STATES: &[(BmsState, Stability, Option<Status>)] = &[
    (B::Creating, Stability::Intermediate, Some(Status::Build)),
    (B::Starting, Stability::Intermediate, Some(Status::Shutoff)),
    (B::Running, Stability::Stable, Some(Status::Active)),
    (B::Stopping, Stability::Intermediate, Some(Status::Active)),
    (B::Stopped, Stability::Stable, Some(Status::Shutoff)),
    (B::Restarting, Stability::Intermediate, Some(Status::Reboot)),
    (
        B::ForciblyRestarting,
        Stability::Intermediate,
        Some(Status::HardReboot),
    ),
    (B::Deleting, Stability::Intermediate, None),
    (B::Deleted, Stability::Intermediate, Some(Status::Deleted)),
    (B::Faulty, Stability::Stable, Some(Status::Error)),
    (
        B::Rebuilding,
        Stability::Intermediate,
        Some(Status::Shutoff),
    ),
    (
        B::ReinstallingOs,
        Stability::Intermediate,
        Some(Status::Shutoff),
    ),
    (
        B::ReinstallingOsFailed,
        Stability::Stable,
        Some(Status::Shutoff),
    ),
    (B::Frozen, Stability::Stable, Some(Status::Shutoff)),
];

impl BmsState {
    /// Every state, in column order of `occupancy_bms.csv`.
    pub const ALL: &'static [BmsState] = BmsState::VARIANTS;

    /// snake_case name used in scenarios and columns.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses the snake_case name.
    pub fn from_name(s: &str) -> Option<BmsState> {
        s.parse().ok()
    }

    /// This state's id in the machine (states are in `ALL` order).
    pub fn id(self) -> StateId {
        StateId(self as u8)
    }
}

/// Where a successful transition ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum To {
    /// This state.
    State(BmsState),
    /// Admin repair: Running, or Stopped as configured (inferred in docs/model.md).
    RepairTarget,
}

/// One row of docs/model.md §3's transition table.
#[derive(Clone, Copy, Debug)]
pub struct Transition {
    /// The operation the row describes (freeze has two rows).
    pub op: Op,
    /// States it is allowed from (none for a create).
    pub from: &'static [BmsState],
    /// States it passes through, in order (empty: immediate).
    pub through: &'static [BmsState],
    /// Where it ends on success.
    pub to: To,
    /// Where a failed or timed-out step ends; `None` if it cannot fail
    /// (Deleting: "any intermediate state but Deleting").
    pub on_failure: Option<BmsState>,
    /// Default failure outcome (a scenario's `outcome` overrides it).
    pub default_outcome: Outcome,
}

/// docs/model.md §3. The spontaneous fault (Running, Stopped → Faulty) is in
/// [`FAULT_PRONE`]; lock and unlock are flag operations allowed in every state.
pub const TRANSITIONS: &[Transition] = &[
    Transition {
        op: Op::Create,
        from: &[],
        through: &[B::Creating],
        to: To::State(B::Running),
        on_failure: Some(B::Faulty),
        // docs/model.md leaves it to the scenario; a failed BMS order is usually
        // cancelled and refunded, so the default is that the server disappears.
        default_outcome: Outcome::Rollback,
    },
    Transition {
        op: Op::Stop,
        from: &[B::Running],
        through: &[B::Stopping],
        to: To::State(B::Stopped),
        on_failure: Some(B::Faulty),
        default_outcome: Outcome::Rollback,
    },
    Transition {
        op: Op::Start,
        from: &[B::Stopped],
        through: &[B::Starting],
        to: To::State(B::Running),
        on_failure: Some(B::Faulty),
        default_outcome: Outcome::Rollback,
    },
    Transition {
        op: Op::Restart,
        from: &[B::Running],
        through: &[B::Restarting],
        to: To::State(B::Running),
        on_failure: Some(B::Faulty),
        default_outcome: Outcome::Error,
    },
    Transition {
        op: Op::RestartHard,
        from: &[B::Running, B::Restarting],
        through: &[B::ForciblyRestarting],
        to: To::State(B::Running),
        on_failure: Some(B::Faulty),
        default_outcome: Outcome::Error,
    },
    Transition {
        op: Op::Delete,
        from: &[
            B::Running,
            B::Stopped,
            B::Restarting,
            B::ForciblyRestarting,
            B::Faulty,
        ],
        through: &[B::Deleting],
        to: To::State(B::Deleted),
        on_failure: None,
        default_outcome: Outcome::Error,
    },
    Transition {
        op: Op::Rebuild,
        from: &[B::Stopped, B::Faulty],
        through: &[B::Rebuilding],
        to: To::State(B::Running),
        on_failure: Some(B::Faulty),
        default_outcome: Outcome::Error,
    },
    Transition {
        op: Op::ReinstallOs,
        from: &[B::Stopped, B::ReinstallingOsFailed],
        through: &[B::ReinstallingOs],
        to: To::State(B::Running),
        on_failure: Some(B::ReinstallingOsFailed),
        default_outcome: Outcome::Error,
    },
    Transition {
        op: Op::Repair,
        from: &[B::Faulty],
        through: &[],
        to: To::RepairTarget,
        on_failure: Some(B::Faulty),
        default_outcome: Outcome::Error,
    },
    // "Running, Stopped, Faulty | freeze | server is stopped | Frozen": a running
    // server passes through Stopping on its way.
    Transition {
        op: Op::Freeze,
        from: &[B::Running],
        through: &[B::Stopping],
        to: To::State(B::Frozen),
        on_failure: Some(B::Faulty),
        default_outcome: Outcome::Error,
    },
    Transition {
        op: Op::Freeze,
        from: &[B::Stopped, B::Faulty],
        through: &[],
        to: To::State(B::Frozen),
        on_failure: Some(B::Faulty),
        default_outcome: Outcome::Error,
    },
    Transition {
        op: Op::Unfreeze,
        from: &[B::Frozen],
        through: &[],
        to: To::State(B::Stopped),
        on_failure: Some(B::Faulty),
        default_outcome: Outcome::Error,
    },
    Transition {
        op: Op::Expire,
        from: &[B::Frozen],
        through: &[B::Deleting],
        to: To::State(B::Deleted),
        on_failure: None,
        default_outcome: Outcome::Error,
    },
];

/// States in which a spontaneous internal fault can strike.
pub const FAULT_PRONE: &[BmsState] = &[B::Running, B::Stopped];

/// Operations a BMS supports, in output order.
pub const SUPPORTED: &[Op] = &[
    Op::Create,
    Op::Start,
    Op::Stop,
    Op::Restart,
    Op::RestartHard,
    Op::Delete,
    Op::Rebuild,
    Op::ReinstallOs,
    Op::Repair,
    Op::Freeze,
    Op::Unfreeze,
    Op::Expire,
    Op::Lock,
    Op::Unlock,
];

/// Operations a user may put in `ops_mix` (rebuild is run by an operator, at
/// the user's request).
pub const USER_OPS: &[Op] = &[
    Op::Start,
    Op::Stop,
    Op::Restart,
    Op::RestartHard,
    Op::Delete,
    Op::Rebuild,
    Op::ReinstallOs,
    Op::Lock,
    Op::Unlock,
];

/// Admin and operator actions (repair, operator rebuild, billing), which a
/// lock does not block; `rebuild` may still appear in `ops_mix` to set how
/// often owners ask an operator for one.
pub const ADMIN_OPS: &[Op] = &[
    Op::Rebuild,
    Op::Repair,
    Op::Freeze,
    Op::Unfreeze,
    Op::Expire,
];

/// Builds the BMS machine; `repair_to_stopped` chooses where an admin repair
/// leaves a Faulty server.
pub fn machine(repair_to_stopped: bool) -> Machine {
    let n = STATES.len();
    let mut m = Machine {
        kind: Kind::Bms,
        state_names: BmsState::ALL.iter().map(|s| s.name().to_string()).collect(),
        status: STATES.iter().map(|&(_, _, st)| st).collect(),
        fault_prone: BmsState::ALL
            .iter()
            .map(|s| FAULT_PRONE.contains(s))
            .collect(),
        duration_key: STATES
            .iter()
            // Deleted's stay is `deleted_for`, shared with ECS, not a step.
            .map(|&(s, stab, _)| {
                (stab == Stability::Intermediate && s != B::Deleted).then_some(s as u8)
            })
            .collect(),
        duration_names: BmsState::ALL.iter().map(|s| s.name()).collect(),
        error_state: B::Faulty.id(),
        deleted_state: B::Deleted.id(),
        running_state: B::Running.id(),
        ops: SUPPORTED,
        user_ops: USER_OPS,
        default_outcome: [Outcome::Error; Op::COUNT],
        admin_ops: ADMIN_OPS,
        unlaunched_ops: SUPPORTED,
        verify_state: None,
        frozen_state: Some(B::Frozen.id()),
        routes: vec![None; Op::COUNT * n],
        create_route: Route::new(&[], Target::Removed, None),
    };
    for (i, &(s, _, _)) in STATES.iter().enumerate() {
        assert_eq!(s as usize, i, "STATES is in BmsState order");
    }
    for row in TRANSITIONS {
        m.default_outcome[row.op.index()] = row.default_outcome;
        let steps: Vec<StateId> = row.through.iter().map(|s| s.id()).collect();
        let success = match row.to {
            To::State(s) => Target::State(s.id()),
            To::RepairTarget if repair_to_stopped => Target::State(B::Stopped.id()),
            To::RepairTarget => Target::State(B::Running.id()),
        };
        let route = Route::new(
            &steps,
            success,
            row.on_failure.map(|s| Target::State(s.id())),
        );
        if row.op == Op::Create {
            m.create_route = route;
            m.create_route.rollback = Target::Removed;
            continue;
        }
        for &from in row.from {
            let mut route = route;
            if STATES[from as usize].1 == Stability::Intermediate {
                // A pre-empting operation that rolls back returns to Running,
                // never into the interrupted state.
                route.rollback = Target::State(B::Running.id());
            }
            m.set_route(row.op, from.id(), route);
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/model.md §3's state table as text.
    const DOC_STATES: &[(&str, &str, &str)] = &[
        ("creating", "intermediate", "BUILD"),
        ("starting", "intermediate", "SHUTOFF"),
        ("running", "stable", "ACTIVE"),
        ("stopping", "intermediate", "ACTIVE"),
        ("stopped", "stable", "SHUTOFF"),
        ("restarting", "intermediate", "REBOOT"),
        ("forcibly_restarting", "intermediate", "HARD_REBOOT"),
        ("deleting", "intermediate", "origin"),
        ("deleted", "intermediate", "DELETED"),
        ("faulty", "stable", "ERROR"),
        ("rebuilding", "intermediate", "SHUTOFF"),
        ("reinstalling_os", "intermediate", "SHUTOFF"),
        ("reinstalling_os_failed", "stable", "SHUTOFF"),
        ("frozen", "stable", "SHUTOFF"),
    ];

    #[test]
    fn every_row_of_the_state_table() {
        let m = machine(false);
        assert_eq!(m.n_states(), 14);
        for &(name, stab, status) in DOC_STATES {
            let s = BmsState::from_name(name).unwrap();
            let (_, st, shown) = STATES[s as usize];
            assert_eq!(st == Stability::Stable, stab == "stable", "{name}");
            match status {
                "origin" => assert_eq!(shown, None),
                x => assert_eq!(shown.map(|s| s.name()), Some(x), "{name}"),
            }
        }
    }

    #[test]
    fn deleting_shows_the_status_it_came_from() {
        let m = machine(false);
        for (origin, expected) in [
            (B::Running, Status::Active),
            (B::Stopped, Status::Shutoff),
            (B::Restarting, Status::Reboot),
            (B::ForciblyRestarting, Status::HardReboot),
            (B::Faulty, Status::Error),
        ] {
            assert!(m.route(Op::Delete, origin.id()).is_some());
            assert_eq!(m.status_of(B::Deleting.id(), origin.id()), expected);
        }
    }

    /// docs/model.md §3's transitions as text: op, from, through, to, on failure.
    const DOC_TRANSITIONS: &[(&str, &str, &str, &str, &str)] = &[
        ("stop", "running", "stopping", "stopped", "faulty"),
        ("start", "stopped", "starting", "running", "faulty"),
        ("restart", "running", "restarting", "running", "faulty"),
        (
            "restart_hard",
            "running restarting",
            "forcibly_restarting",
            "running",
            "faulty",
        ),
        (
            "delete",
            "running stopped restarting forcibly_restarting faulty",
            "deleting",
            "deleted",
            "-",
        ),
        (
            "rebuild",
            "stopped faulty",
            "rebuilding",
            "running",
            "faulty",
        ),
        (
            "reinstall_os",
            "stopped reinstalling_os_failed",
            "reinstalling_os",
            "running",
            "reinstalling_os_failed",
        ),
        ("repair", "faulty", "", "running", "faulty"),
        ("unfreeze", "frozen", "", "stopped", "faulty"),
        ("expire", "frozen", "deleting", "deleted", "-"),
    ];

    #[test]
    fn every_operation_allowed_and_refused_in_every_state() {
        let m = machine(false);
        for &(op, from, through, to, fail) in DOC_TRANSITIONS {
            let op = *Op::ALL.iter().find(|o| o.name() == op).unwrap();
            for s in BmsState::ALL {
                let route = m.route(op, s.id());
                assert_eq!(
                    route.is_some(),
                    from.split(' ').any(|f| f == s.name()),
                    "{} from {}",
                    op.name(),
                    s.name()
                );
                let Some(route) = route else { continue };
                let names: Vec<&str> = route
                    .steps()
                    .iter()
                    .map(|x| BmsState::ALL[x.index()].name())
                    .collect();
                assert_eq!(names.join(" "), through, "{}", op.name());
                assert_eq!(
                    route.success,
                    Target::State(BmsState::from_name(to).unwrap().id())
                );
                let expected_fail =
                    (fail != "-").then(|| Target::State(BmsState::from_name(fail).unwrap().id()));
                assert_eq!(route.error, expected_fail, "{}", op.name());
            }
        }
        // Freeze: a running server is stopped on the way; stopped or faulty ones go straight to Frozen.
        for s in BmsState::ALL {
            let route = m.route(Op::Freeze, s.id());
            assert_eq!(
                route.is_some(),
                matches!(s, B::Running | B::Stopped | B::Faulty),
                "freeze from {}",
                s.name()
            );
        }
        assert_eq!(
            m.route(Op::Freeze, B::Running.id()).unwrap().steps(),
            [B::Stopping.id()]
        );
        assert!(
            m.route(Op::Freeze, B::Stopped.id())
                .unwrap()
                .steps()
                .is_empty()
        );
        // ECS-only operations are never allowed on a BMS.
        for op in [Op::Reboot, Op::Resize, Op::LiveMigrate, Op::ResetState] {
            assert!(m.allowed_from(op).is_empty(), "{op:?}");
        }
    }

    #[test]
    fn repair_target_and_fault_prone_states() {
        let m = machine(true);
        assert_eq!(
            m.route(Op::Repair, B::Faulty.id()).unwrap().success,
            Target::State(B::Stopped.id())
        );
        let prone: Vec<&str> = BmsState::ALL
            .iter()
            .filter(|s| m.fault_prone[s.id().index()])
            .map(|s| s.name())
            .collect();
        assert_eq!(prone, ["running", "stopped"]);
        assert_eq!(m.create_route.steps(), [B::Creating.id()]);
        assert_eq!(m.create_route.rollback, Target::Removed);
    }
}
