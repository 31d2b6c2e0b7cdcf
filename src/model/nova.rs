//! Nova's whole vocabulary of server states — every `vm_state`,
//! `task_state` and `status` the compute API can show — of which the models
//! use a part. `initial_fleet` reads a value that is Nova's but no model's
//! as a server fleetsim does not model (`unmodelled`), and any other value
//! as a mistake.
//!
//! The lists are Nova's own: `InstanceState` and `InstanceTaskState` in
//! nova/objects/fields.py (what nova/compute/vm_states.py and
//! task_states.py name), and the status map `_STATE_MAP` of
//! nova/api/openstack/common.py.

/// Every `OS-EXT-STS:vm_state` (nova/objects/fields.py `InstanceState.ALL`).
/// A soft-deleted server's is spelled `soft-delete`.
pub const VM_STATES: &[&str] = &[
    "active",
    "building",
    "paused",
    "suspended",
    "stopped",
    "rescued",
    "resized",
    "soft-delete",
    "deleted",
    "error",
    "shelved",
    "shelved_offloaded",
];

/// Every `OS-EXT-STS:task_state` (nova/objects/fields.py
/// `InstanceTaskState.ALL`); a server with no task shows null.
pub const TASK_STATES: &[&str] = &[
    "scheduling",
    "block_device_mapping",
    "networking",
    "spawning",
    "image_snapshot",
    "image_snapshot_pending",
    "image_pending_upload",
    "image_uploading",
    "image_backup",
    "updating_password",
    "resize_prep",
    "resize_migrating",
    "resize_migrated",
    "resize_finish",
    "resize_reverting",
    "resize_confirming",
    "rebooting",
    "reboot_pending",
    "reboot_started",
    "rebooting_hard",
    "reboot_pending_hard",
    "reboot_started_hard",
    "pausing",
    "unpausing",
    "suspending",
    "resuming",
    "powering-off",
    "powering-on",
    "rescuing",
    "unrescuing",
    "rebuilding",
    "rebuild_block_device_mapping",
    "rebuild_spawning",
    "migrating",
    "deleting",
    "soft-deleting",
    "restoring",
    "shelving",
    "shelving_image_pending_upload",
    "shelving_image_uploading",
    "shelving_offloading",
    "unshelving",
];

/// Every `status`: the values of `_STATE_MAP`, and UNKNOWN, which Nova
/// shows for a vm_state outside the map and (from microversion 2.69) for a
/// server of a cell it cannot reach.
pub const STATUSES: &[&str] = &[
    "ACTIVE",
    "BUILD",
    "REBOOT",
    "HARD_REBOOT",
    "PASSWORD",
    "REBUILD",
    "MIGRATING",
    "RESIZE",
    "SHUTOFF",
    "VERIFY_RESIZE",
    "REVERT_RESIZE",
    "PAUSED",
    "SUSPENDED",
    "RESCUE",
    "ERROR",
    "DELETED",
    "SOFT_DELETED",
    "SHELVED",
    "SHELVED_OFFLOADED",
    "UNKNOWN",
];

/// A vm_state's row of `_STATE_MAP`: the vm_state, its default status, and
/// the (task_state, status) of the task_states that show another.
type StateRow = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// `_STATE_MAP`: per vm_state, its default status and the task_states that
/// show another.
const STATE_MAP: &[StateRow] = &[
    (
        "active",
        "ACTIVE",
        &[
            ("rebooting", "REBOOT"),
            ("reboot_pending", "REBOOT"),
            ("reboot_started", "REBOOT"),
            ("rebooting_hard", "HARD_REBOOT"),
            ("reboot_pending_hard", "HARD_REBOOT"),
            ("reboot_started_hard", "HARD_REBOOT"),
            ("updating_password", "PASSWORD"),
            ("rebuilding", "REBUILD"),
            ("rebuild_block_device_mapping", "REBUILD"),
            ("rebuild_spawning", "REBUILD"),
            ("migrating", "MIGRATING"),
            ("resize_prep", "RESIZE"),
            ("resize_migrating", "RESIZE"),
            ("resize_migrated", "RESIZE"),
            ("resize_finish", "RESIZE"),
        ],
    ),
    ("building", "BUILD", &[]),
    (
        "stopped",
        "SHUTOFF",
        &[
            ("resize_prep", "RESIZE"),
            ("resize_migrating", "RESIZE"),
            ("resize_migrated", "RESIZE"),
            ("resize_finish", "RESIZE"),
            ("rebuilding", "REBUILD"),
            ("rebuild_block_device_mapping", "REBUILD"),
            ("rebuild_spawning", "REBUILD"),
        ],
    ),
    (
        "resized",
        "VERIFY_RESIZE",
        &[("resize_reverting", "REVERT_RESIZE")],
    ),
    ("paused", "PAUSED", &[("migrating", "MIGRATING")]),
    ("suspended", "SUSPENDED", &[]),
    ("rescued", "RESCUE", &[]),
    (
        "error",
        "ERROR",
        &[
            ("rebuilding", "REBUILD"),
            ("rebuild_block_device_mapping", "REBUILD"),
            ("rebuild_spawning", "REBUILD"),
        ],
    ),
    ("deleted", "DELETED", &[]),
    ("soft-delete", "SOFT_DELETED", &[]),
    ("shelved", "SHELVED", &[]),
    ("shelved_offloaded", "SHELVED_OFFLOADED", &[]),
];

/// The status Nova shows for `vm_state` with `task_state` (`None`: null),
/// as `nova.api.openstack.common.status_from_state` gives it.
pub fn status_of(vm_state: &str, task_state: Option<&str>) -> &'static str {
    let Some((_, default, tasks)) = STATE_MAP.iter().find(|(v, _, _)| *v == vm_state) else {
        return "UNKNOWN";
    };
    task_state
        .and_then(|t| tasks.iter().find(|(task, _)| *task == t))
        .map_or(default, |(_, status)| status)
}

/// Nova's spelling of vm_state `s`, if it is one.
pub fn vm_state(s: &str) -> Option<&'static str> {
    VM_STATES.iter().copied().find(|&v| v == s)
}

/// Nova's spelling of task_state `s`, if it is one.
pub fn task_state(s: &str) -> Option<&'static str> {
    TASK_STATES.iter().copied().find(|&t| t == s)
}

/// Nova's spelling of status `s` (read case-insensitively, as fleetsim
/// reads its own statuses), if it is one.
pub fn status(s: &str) -> Option<&'static str> {
    STATUSES
        .iter()
        .copied()
        .find(|&st| st.eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Status, ecs};

    /// The models speak Nova: every vm_state, task_state and status they
    /// use is one of Nova's.
    #[test]
    fn the_models_values_are_novas() {
        for vm in ecs::VmState::ALL {
            assert_eq!(vm_state(vm.name()), Some(vm.name()));
        }
        for t in ecs::TaskState::ALL {
            assert_eq!(task_state(t.name()), Some(t.name()));
        }
        for st in Status::ALL {
            assert_eq!(status(st.name()), Some(st.name()));
        }
        for (_, f) in crate::model::api::BMS_FIELDS {
            if let crate::model::api::Shown::Fixed(v) = f.vm_state {
                assert!(vm_state(v).is_some(), "{v}");
            }
            if let Some(t) = f.task_state {
                assert!(task_state(t).is_some(), "{t}");
            }
        }
    }

    /// The ECS status map is Nova's, pair by pair.
    #[test]
    fn the_ecs_status_map_is_novas() {
        for (vm, task) in ecs::pairs() {
            let ours = ecs::status_of(vm, task).expect("a pair of the map");
            assert_eq!(
                status_of(vm.name(), task.map(|t| t.name())),
                ours.name(),
                "{vm:?} {task:?}"
            );
        }
        assert_eq!(status_of("paused", None), "PAUSED");
        assert_eq!(status_of("paused", Some("migrating")), "MIGRATING");
        assert_eq!(status_of("active", Some("image_snapshot")), "ACTIVE");
        assert_eq!(status_of("nope", None), "UNKNOWN");
    }

    #[test]
    fn every_vm_state_is_in_the_map_and_every_status_shown_somewhere() {
        for vm in VM_STATES {
            assert!(STATE_MAP.iter().any(|(v, _, _)| v == vm), "{vm}");
        }
        for st in STATUSES.iter().filter(|&&s| s != "UNKNOWN") {
            let shown = STATE_MAP
                .iter()
                .any(|(_, d, tasks)| d == st || tasks.iter().any(|(_, s)| s == st));
            assert!(shown, "{st}");
        }
        for (_, _, tasks) in STATE_MAP {
            for (t, _) in *tasks {
                assert!(task_state(t).is_some(), "{t}");
            }
        }
    }
}
