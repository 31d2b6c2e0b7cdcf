//! The models' API face, as data: the `OS-EXT-STS` fields each state shows
//! (vm_state, task_state, power_state), and the action name and request body
//! of each operation, spelled as Nova and the Huawei APIs spell them.
//!
//! `fleetsim fixtures` renders servers through these tables, `fleetsim
//! states --json` prints them, and `initial_fleet` reads them backwards.

use super::bms::BmsState;
use super::ecs::{TaskState, VmState};
use super::{Kind, Machine, Op, StateId};

/// Nova's power states (nova/compute/power_state.py).
pub mod power {
    /// No power state: a server being built, or deleted.
    pub const NOSTATE: u8 = 0;
    /// The guest is running.
    pub const RUNNING: u8 = 1;
    /// The guest is shut down.
    pub const SHUTDOWN: u8 = 4;
}

/// A field whose value is fixed by the state, or carried over from the
/// state before (a BMS being deleted shows its origin's vm_state; a server in
/// ERROR keeps the power state it had).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown<T> {
    /// This value, whatever came before.
    Fixed(T),
    /// The value the server showed before it entered the state.
    Previous,
}

/// The `OS-EXT-STS:*` fields of one state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiFields {
    /// `OS-EXT-STS:vm_state` (`active`, `stopped`, ...).
    pub vm_state: Shown<&'static str>,
    /// `None`: null.
    pub task_state: Option<&'static str>,
    /// `OS-EXT-STS:power_state`, Nova's number ([`power`]).
    pub power_state: Shown<u8>,
}

/// ECS power state by vm_state. A building server has no power state yet;
/// a resized server shows the power it had before the resize (a stopped
/// server is resized powered off, Nova's finish_resize keeps it so); a
/// server in ERROR keeps whatever its guest was last seen in (a failed
/// first build: no state).
pub const ECS_POWER: &[(VmState, Shown<u8>)] = &[
    (VmState::Building, Shown::Fixed(power::NOSTATE)),
    (VmState::Active, Shown::Fixed(power::RUNNING)),
    (VmState::Stopped, Shown::Fixed(power::SHUTDOWN)),
    (VmState::Resized, Shown::Previous),
    (VmState::Error, Shown::Previous),
    (VmState::Deleted, Shown::Fixed(power::NOSTATE)),
];

use BmsState as B;
use Shown::{Fixed, Previous};

/// What the BMS API shows in `OS-EXT-STS:*` for each lifecycle state. docs/model.md
/// gives only the status; the pairs follow the ECS map wherever the status
/// agrees (a BMS API is Nova's API over Ironic). Rebuilding and Reinstalling
/// OS both run Nova's rebuild, shown SHUTOFF as docs/model.md §3 says, so they
/// share `stopped`/`rebuilding`: the `fleetsim:lifecycle_state` field tells
/// them (and Frozen, Reinstalling OS failed and Stopped) apart.
pub const BMS_FIELDS: &[(BmsState, ApiFields)] = &[
    (
        B::Creating,
        fields(Fixed("building"), Some("spawning"), Fixed(0)),
    ),
    (
        B::Starting,
        fields(Fixed("stopped"), Some("powering-on"), Fixed(4)),
    ),
    (B::Running, fields(Fixed("active"), None, Fixed(1))),
    (
        B::Stopping,
        fields(Fixed("active"), Some("powering-off"), Fixed(1)),
    ),
    (B::Stopped, fields(Fixed("stopped"), None, Fixed(4))),
    (
        B::Restarting,
        fields(Fixed("active"), Some("rebooting"), Fixed(1)),
    ),
    (
        B::ForciblyRestarting,
        fields(Fixed("active"), Some("rebooting_hard"), Fixed(1)),
    ),
    (B::Deleting, fields(Previous, Some("deleting"), Previous)),
    (B::Deleted, fields(Fixed("deleted"), None, Fixed(0))),
    (B::Faulty, fields(Fixed("error"), None, Previous)),
    (
        B::Rebuilding,
        fields(Fixed("stopped"), Some("rebuilding"), Fixed(4)),
    ),
    (
        B::ReinstallingOs,
        fields(Fixed("stopped"), Some("rebuilding"), Fixed(4)),
    ),
    (
        B::ReinstallingOsFailed,
        fields(Fixed("stopped"), None, Fixed(4)),
    ),
    (B::Frozen, fields(Fixed("stopped"), None, Fixed(4))),
];

const fn fields(
    vm_state: Shown<&'static str>,
    task_state: Option<&'static str>,
    power_state: Shown<u8>,
) -> ApiFields {
    ApiFields {
        vm_state,
        task_state,
        power_state,
    }
}

/// The API fields of `state` of machine `m`.
pub fn api_fields(m: &Machine, state: StateId) -> ApiFields {
    match m.kind {
        Kind::Ecs => {
            let (vm, task) = crate::model::ecs::pairs()[state.index()];
            ecs_fields(vm, task)
        }
        Kind::Bms => BMS_FIELDS[state.index()].1,
    }
}

/// The API fields of an ECS pair.
pub fn ecs_fields(vm: VmState, task: Option<TaskState>) -> ApiFields {
    let power = ECS_POWER
        .iter()
        .find(|(v, _)| *v == vm)
        .map_or(Fixed(power::NOSTATE), |&(_, p)| p);
    ApiFields {
        vm_state: Fixed(vm.name()),
        task_state: task.map(|t| t.name()),
        power_state: power,
    }
}

/// How a request for an operation is spelled: the server action's name (the
/// key of its JSON body, or the HTTP method for a delete), and the reboot
/// type where there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Action {
    /// The action: the key of the `POST /servers/{id}/action` body (`os-stop`,
    /// `reboot`), `create`, or `DELETE`; `fleetsim:`-prefixed for billing.
    pub name: &'static str,
    /// `SOFT` or `HARD` for a reboot or restart; `None` otherwise.
    pub reboot_type: Option<&'static str>,
}

const fn action(name: &'static str) -> Action {
    Action {
        name,
        reboot_type: None,
    }
}

const fn reboot(kind: &'static str) -> Action {
    Action {
        name: "reboot",
        reboot_type: Some(kind),
    }
}

/// Each operation's API action. ECS names are Nova's (`POST
/// /servers/{id}/action` with a body keyed by the name); a BMS restart is
/// Nova's reboot, and its OS reinstall the Huawei BMS `os-reinstall`. A BMS
/// repair is the admin's `os-resetState`. Freeze, unfreeze and expiry are
/// billing actions with no public API: their names carry a `fleetsim:` prefix.
pub const ACTIONS: &[(Op, Action)] = &[
    (Op::Create, action("create")),
    (Op::Reboot, reboot("SOFT")),
    (Op::RebootHard, reboot("HARD")),
    (Op::Stop, action("os-stop")),
    (Op::Start, action("os-start")),
    (Op::Rebuild, action("rebuild")),
    (Op::Resize, action("resize")),
    (Op::ConfirmResize, action("confirmResize")),
    (Op::RevertResize, action("revertResize")),
    (Op::LiveMigrate, action("os-migrateLive")),
    (Op::Delete, action("DELETE")),
    (Op::ResetState, action("os-resetState")),
    (Op::Restart, reboot("SOFT")),
    (Op::RestartHard, reboot("HARD")),
    (Op::ReinstallOs, action("os-reinstall")),
    (Op::Repair, action("os-resetState")),
    (Op::Freeze, action("fleetsim:freeze")),
    (Op::Unfreeze, action("fleetsim:unfreeze")),
    (Op::Expire, action("fleetsim:expire")),
    (Op::Lock, action("lock")),
    (Op::Unlock, action("unlock")),
];

/// The API action of `op`.
pub fn action_of(op: Op) -> Action {
    ACTIONS
        .iter()
        .find(|(o, _)| *o == op)
        .map(|&(_, a)| a)
        .expect("every operation has an action")
}

/// Nova's name for an action in conflict messages ("Cannot 'reboot'
/// instance ..."): the action itself, `delete` for a DELETE.
pub fn conflict_name(op: Op) -> &'static str {
    // Nova's handlers name their action in the message: `start` and `stop`
    // for the `os-start` and `os-stop` actions
    // (`raise_http_conflict_for_instance_invalid_state(..., 'start', ...)`).
    match action_of(op).name {
        "DELETE" => "delete",
        "os-start" => "start",
        "os-stop" => "stop",
        name => name,
    }
}

/// A request Nova accepts that fleetsim refuses with a 409 (docs/model.md
/// §2.1 and §10): the ECS `op` asked of a server with `vm_state` and
/// `task_state` (`None`: any task, `Some(None)`: null).
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Deviation {
    /// The operation, as `fleetsim states` names it.
    #[serde(serialize_with = "op_name")]
    pub op: Op,
    /// The action's name in `requests.jsonl`.
    pub action: &'static str,
    /// `type` of a reboot; absent otherwise.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub reboot_type: Option<&'static str>,
    /// The vm_state it is asked in; `None`: any.
    pub vm_state: Option<&'static str>,
    /// The task_state it is asked in: `"null"`, or `"any"` (a task in
    /// progress).
    pub task_state: &'static str,
    /// Why fleetsim refuses it.
    pub why: &'static str,
}

fn op_name<S: serde::Serializer>(op: &Op, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(op.name())
}

const fn deviation(
    op: Op,
    action: Action,
    vm_state: Option<&'static str>,
    task_state: &'static str,
    why: &'static str,
) -> Deviation {
    Deviation {
        op,
        action: action.name,
        reboot_type: action.reboot_type,
        vm_state,
        task_state,
        why,
    }
}

const NO_PAIR: &str = "the pair it would produce is not in the documented status table";

/// Requests Nova accepts that fleetsim refuses, listed in every fixtures
/// manifest so a test author knows which 409s are fleetsim's choice.
pub const REFUSED_UNLIKE_NOVA: &[Deviation] = &[
    deviation(
        Op::RebootHard,
        reboot("HARD"),
        Some("stopped"),
        "null",
        NO_PAIR,
    ),
    deviation(
        Op::RebootHard,
        reboot("HARD"),
        Some("error"),
        "null",
        NO_PAIR,
    ),
    deviation(Op::Stop, action("os-stop"), Some("error"), "null", NO_PAIR),
    deviation(
        Op::RebootHard,
        reboot("HARD"),
        Some("active"),
        "rebooting",
        "a hard reboot pre-empts a soft one only with [ecs.soft_reboot] hard_preempts = true (Nova's ALLOW_REBOOT)",
    ),
    deviation(
        Op::Delete,
        action("DELETE"),
        None,
        "any",
        "delete is accepted only from active, stopped and error with task null; Nova's delete checks neither",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Status, bms, ecs};

    /// Each listed refusal is one the ECS machine really makes.
    #[test]
    fn the_listed_deviations_are_refused() {
        let m = ecs::machine(false);
        for d in REFUSED_UNLIKE_NOVA {
            assert_eq!(action_of(d.op).name, d.action);
            let refused_somewhere = (0..m.n_states()).map(|s| StateId(s as u8)).any(|s| {
                let f = api_fields(&m, s);
                let vm_fits = d.vm_state.is_none_or(|v| f.vm_state == Shown::Fixed(v));
                let task_fits = match d.task_state {
                    "null" => f.task_state.is_none(),
                    "any" => f.task_state.is_some(),
                    t => f.task_state == Some(t),
                };
                vm_fits && task_fits && m.route(d.op, s).is_none()
            });
            assert!(refused_somewhere, "{d:?} is not refused by the machine");
            if d.task_state == "null" {
                let vm = d.vm_state.unwrap();
                let s = m.state_by_name(&format!("{vm}:null")).unwrap();
                assert!(m.route(d.op, s).is_none(), "{d:?}");
            }
        }
    }

    #[test]
    fn every_operation_has_one_action() {
        for &op in Op::ALL {
            assert_eq!(
                ACTIONS.iter().filter(|(o, _)| *o == op).count(),
                1,
                "{op:?}"
            );
        }
    }

    #[test]
    fn bms_fields_follow_the_state_order() {
        for (i, (s, _)) in BMS_FIELDS.iter().enumerate() {
            assert_eq!(s.id().index(), i);
        }
    }

    /// Where a BMS state's fields are fixed, the ECS map of that pair gives
    /// the BMS status, except the rebuild pairs (SHUTOFF by docs/model.md §3,
    /// REBUILD by Nova's map): the lifecycle field resolves those.
    #[test]
    fn bms_pairs_agree_with_the_ecs_map_where_they_can() {
        let m = bms::machine(false);
        for (s, f) in BMS_FIELDS {
            let (Fixed(vm), Some(status)) = (f.vm_state, m.status[s.id().index()]) else {
                continue;
            };
            let vm = ecs::VmState::from_name(vm).expect("a Nova vm_state");
            let task = f
                .task_state
                .map(|t| ecs::TaskState::from_name(t).expect("a Nova task"));
            let nova = ecs::status_of(vm, task);
            if task == Some(ecs::TaskState::Rebuilding) {
                assert_eq!(nova, Some(Status::Rebuild));
            } else {
                assert_eq!(nova, Some(status), "{s:?}");
            }
        }
    }
}
