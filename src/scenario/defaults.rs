//! Default values for everything a scenario may leave out, grounded in
//! docs/model.md §5 (Huawei documentation and Nova defaults). One place, so the
//! scenario reference (docs/scenario.md) and the code cannot drift apart.

use crate::engine::SimTime;
use crate::input::dist::Dist;
use crate::model::{Kind, Op};

const S: f64 = 1.0;
const M: f64 = 60.0;
const H: f64 = 3600.0;
const D: f64 = 86_400.0;

/// Default duration of an ECS task step or BMS intermediate state, by name.
///
/// ECS creation takes "a few minutes" (≈2.5 min in all), an OS reinstall
/// (rebuild) about 1–2 minutes, a clean shutdown up to 60 s. BMS creation of a
/// Linux image finishes within 30 minutes (mean 20 min).
pub fn step(kind: Kind, name: &str) -> Dist {
    let ln = Dist::lognormal;
    match (kind, name) {
        (Kind::Ecs, "scheduling") => ln(2.0 * S, 0.5),
        (Kind::Ecs, "networking") => ln(5.0 * S, 0.5),
        (Kind::Ecs, "block_device_mapping") => ln(20.0 * S, 0.5),
        (Kind::Ecs, "spawning") => ln(120.0 * S, 0.5),
        (Kind::Ecs, "rebooting") => ln(2.0 * S, 0.5),
        (Kind::Ecs, "reboot_pending") => ln(3.0 * S, 0.5),
        (Kind::Ecs, "reboot_started") => ln(40.0 * S, 0.5),
        (Kind::Ecs, "rebooting_hard") => ln(1.0 * S, 0.5),
        (Kind::Ecs, "reboot_pending_hard") => ln(2.0 * S, 0.5),
        (Kind::Ecs, "reboot_started_hard") => ln(25.0 * S, 0.5),
        (Kind::Ecs, "rebuilding") => ln(5.0 * S, 0.5),
        (Kind::Ecs, "rebuild_block_device_mapping") => ln(20.0 * S, 0.5),
        (Kind::Ecs, "rebuild_spawning") => ln(75.0 * S, 0.5),
        (Kind::Ecs, "migrating") => ln(3.0 * M, 1.0),
        (Kind::Ecs, "resize_prep") => ln(5.0 * S, 0.5),
        (Kind::Ecs, "resize_migrating") => ln(90.0 * S, 0.8),
        (Kind::Ecs, "resize_migrated") => ln(5.0 * S, 0.5),
        (Kind::Ecs, "resize_finish") => ln(30.0 * S, 0.5),
        (Kind::Ecs, "resize_reverting") => ln(60.0 * S, 0.5),
        (Kind::Ecs, "powering-off") => ln(15.0 * S, 0.8),
        (Kind::Ecs, "powering-on") => ln(10.0 * S, 0.5),
        (Kind::Ecs, "deleting") => ln(10.0 * S, 0.5),
        (Kind::Bms, "creating") => ln(20.0 * M, 0.4),
        (Kind::Bms, "starting") => ln(3.0 * M, 0.4),
        (Kind::Bms, "stopping") => ln(2.0 * M, 0.4),
        (Kind::Bms, "restarting") => ln(4.0 * M, 0.4),
        (Kind::Bms, "forcibly_restarting") => ln(3.0 * M, 0.4),
        (Kind::Bms, "deleting") => ln(5.0 * M, 0.4),
        (Kind::Bms, "rebuilding") => ln(30.0 * M, 0.4),
        (Kind::Bms, "reinstalling_os") => ln(15.0 * M, 0.4),
        _ => Dist::fixed(SimTime::ZERO),
    }
}

/// How long a deleted server shows DELETED before it leaves the population.
pub fn deleted_for() -> Dist {
    Dist::fixed(SimTime::from_secs(300))
}

/// Default watchdog of an operation: Huawei treats 30 minutes in an
/// intermediate state as abnormal; operations documented as longer get more
/// (BMS creation up to 1–2 h for Windows; live migration aborts at about
/// 800 s per GiB of memory). BMS Deleting never times out (docs/model.md §3).
pub fn watchdog(kind: Kind, op: Op) -> Option<SimTime> {
    let m = |mins: u64| Some(SimTime::from_secs(mins * 60));
    match (kind, op) {
        (Kind::Bms, Op::Delete | Op::Expire) => None,
        (Kind::Bms, Op::Create) => m(180),
        (Kind::Bms, Op::Rebuild) => m(180),
        (Kind::Bms, Op::ReinstallOs) => m(120),
        (Kind::Ecs, Op::LiveMigrate) => m(120),
        (Kind::Ecs, Op::Resize) => m(60),
        _ => m(30),
    }
}

/// Default admin repair time: lognormal, mean 4 h, cv 1.
pub fn repair() -> Dist {
    Dist::lognormal(4.0 * H, 1.0)
}

/// Default decision delay after a resize: lognormal, mean 30 min, cv 1.
pub fn resize_decision_delay() -> Dist {
    Dist::lognormal(30.0 * M, 1.0)
}

/// Default probability that a user confirms a resize (else reverts).
pub const RESIZE_CONFIRM_PROB: f64 = 0.9;

/// Default probability that a soft reboot's guest ignores the shutdown request.
pub const SOFT_REBOOT_FALLBACK_PROB: f64 = 0.02;

/// Nova's libvirt wait before a soft reboot becomes hard.
pub const SOFT_REBOOT_TIMEOUT: SimTime = SimTime::from_secs(120);

/// Default renewal delay of a frozen BMS: lognormal, mean 3 days, cv 1.
pub fn renew_delay() -> Dist {
    Dist::lognormal(3.0 * D, 1.0)
}

/// Default probability that the owner of a frozen BMS renews.
pub const RENEW_PROB: f64 = 0.7;

/// Huawei's retention period for a frozen pay-per-use resource.
pub const RETENTION: SimTime = SimTime::from_secs(15 * 86_400);

/// Default time before an owner reacts to a server in ERROR: lognormal,
/// mean 1 h, cv 1.
pub fn on_error_delay() -> Dist {
    Dist::lognormal(H, 1.0)
}

/// Nova's `sync_power_state_interval`: how often the compute manager brings
/// vm_state in line with the hypervisor's power state.
pub const POWER_SYNC_INTERVAL: SimTime = SimTime::from_secs(600);

// The defaults of `[capacity]` live beside its spec (the capacity module
// does not depend on the scenario's); they are listed here too, so this
// stays the one place to read every default.
pub use crate::capacity::spec::{BUILD_ATTEMPTS, RECOVERY_INTERVAL, recovery_delay};
