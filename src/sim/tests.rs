//! Behaviour of the lifecycle runner on single servers driven by hand:
//! refusals, lock, failures, watchdogs, resize decisions, pre-emption,
//! freeze and delete, each checked against docs/model.md.

use super::*;
use super::{By, Response};
use crate::fleet::flag;
use crate::model::bms::BmsState;
use crate::model::ecs::{TaskState, VmState, state as ecs_state};
use crate::model::{Op, StateId, Status};
use crate::stats::KindStats;

/// Keeps every change.
#[derive(Default)]
pub(super) struct Log(pub(super) Vec<Change>);

impl Recorder for Log {
    fn wants_changes(&self) -> bool {
        true
    }
    fn change(&mut self, c: &Change, _: &Machine) {
        self.0.push(*c);
    }
    fn sample(&mut self, _: SimTime, _: Kind, _: &KindStats, _: &Machine) {}
}

pub(super) fn scenario(body: &str) -> Scenario {
    let text = format!("name = \"t\"\nseed = 1\nhorizon = \"30d\"\n{body}");
    crate::scenario::parse::parse_str(&text, "t.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// A started simulation, counting from t = 0.
pub(super) fn started<'r>(sc: &Scenario, rec: &'r mut dyn Recorder) -> Simulation<'r> {
    let mut sim = Simulation::new(&std::sync::Arc::new(sc.clone()), rec);
    sim.begin_window(SimTime::ZERO);
    sim.start();
    sim
}

/// Puts server `id` idle in `state`, as if it had settled there.
pub(super) fn place(sim: &mut Simulation, id: u32, state: StateId) {
    sim.set_state(id, state, Cause::Fault);
    let s = sim.servers.fleet.get_mut(id);
    s.op = None;
    s.origin = state;
}

/// Processes events until server `id` has no operation in progress.
pub(super) fn finish_op(sim: &mut Simulation, id: u32) {
    while sim.servers.fleet.get(id).op.is_some() {
        let (_, e) = sim
            .core
            .queue
            .pop()
            .expect("an operation in progress has a pending step");
        sim.dispatch(e);
    }
}

pub(super) fn ops(sim: &Simulation, op: Op) -> crate::stats::OpStats {
    sim.servers.stats[0].ops[op.index()].clone()
}

pub(super) fn ecs(vm: VmState, task: Option<TaskState>) -> StateId {
    ecs_state(vm, task)
}

#[test]
fn every_request_in_every_state_is_started_or_refused_and_counted() {
    for &kind in Kind::ALL {
        let sc = scenario(&format!("[{}]\ninitial = 1\n", kind.name()));
        let mut rec = NullRecorder;
        let mut sim = started(&sc, &mut rec);
        let m = sim.kinds[0].machine.clone();
        for s in 0..m.n_states() {
            let state = StateId(s as u8);
            for &op in m.user_ops.iter().chain(m.admin_ops) {
                place(&mut sim, 0, state);
                let before = ops(&sim, op);
                let by = if m.is_admin(op) { By::Admin } else { By::User };
                let r = sim.request(0, op, by);
                let after = ops(&sim, op);
                assert_eq!(after.requested, before.requested + 1);
                let allowed = op.is_flag_op() || m.route(op, state).is_some();
                if allowed {
                    assert_eq!(
                        r,
                        Response::Accepted,
                        "{} from {}",
                        op.name(),
                        m.state_names[s]
                    );
                    assert_eq!(after.started, before.started + 1);
                } else {
                    assert_eq!(
                        r,
                        Response::RefusedConflict,
                        "{} from {}",
                        op.name(),
                        m.state_names[s]
                    );
                    assert_eq!(after.refused_conflict, before.refused_conflict + 1);
                    assert_eq!(
                        sim.servers.fleet.get(0).state,
                        state,
                        "a refused request changed the state"
                    );
                    assert!(sim.servers.fleet.get(0).op.is_none());
                }
                sim.request(0, Op::Unlock, By::User);
            }
        }
    }
}

#[test]
fn a_lock_refuses_user_operations_but_not_admin_actions() {
    let sc = scenario("[ecs]\ninitial = 1\n");
    let mut rec = Log::default();
    let mut sim = started(&sc, &mut rec);
    assert_eq!(sim.request(0, Op::Lock, By::User), Response::Accepted);
    assert!(sim.servers.fleet.get(0).has(flag::LOCKED));
    // Nova's lock of a locked server is a no-op 202, not a refusal.
    assert_eq!(sim.request(0, Op::Lock, By::User), Response::Accepted);
    assert_eq!(ops(&sim, Op::Lock).refused_locked, 0);
    assert_eq!(
        sim.request(0, Op::Reboot, By::User),
        Response::RefusedLocked
    );
    assert_eq!(ops(&sim, Op::Reboot).refused_locked, 1);
    assert_eq!(sim.servers.fleet.get(0).state, ecs(VmState::Active, None));
    place(&mut sim, 0, ecs(VmState::Error, None));
    assert_eq!(
        sim.request(0, Op::ResetState, By::Admin),
        Response::Accepted
    );
    assert_eq!(sim.servers.fleet.get(0).state, ecs(VmState::Active, None));
    assert_eq!(sim.request(0, Op::Unlock, By::User), Response::Accepted);
    assert_eq!(sim.request(0, Op::Reboot, By::User), Response::Accepted);
    drop(sim);
    // Lock and unlock each appear in the trace as a change of the flag alone.
    let flags: Vec<bool> = rec
        .0
        .iter()
        .filter(|c| matches!(c.cause, Cause::Op(Op::Lock | Op::Unlock)))
        .map(|c| c.locked)
        .collect();
    assert_eq!(flags, [true, false]);
}

#[test]
fn a_server_whose_build_failed_can_only_be_deleted_or_reset() {
    let sc = scenario(
        "[ecs]\narrivals = \"1/d\"\n[ecs.failures]\ncreate = { prob = 1.0 }\n[ecs.faults]\nrepair = \"off\"\n",
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    sim.create(Kind::Ecs, None);
    let id = 0;
    finish_op(&mut sim, id);
    assert_eq!(sim.servers.fleet.get(id).state, ecs(VmState::Error, None));
    assert!(!sim.servers.fleet.get(id).has(flag::LAUNCHED));
    assert_eq!(ops(&sim, Op::Create).failed, 1);
    // Rebuild is allowed from error for a launched server, but not for this one.
    assert_eq!(
        sim.request(id, Op::Rebuild, By::User),
        Response::RefusedConflict
    );
    assert_eq!(sim.request(id, Op::Delete, By::User), Response::Accepted);
    finish_op(&mut sim, id);
    assert_eq!(sim.servers.fleet.get(id).state, ecs(VmState::Deleted, None));
}

#[test]
fn failure_outcomes_roll_back_or_go_to_error_as_configured() {
    let sc = scenario(
        "[ecs]\ninitial = 1\n[ecs.failures]\nstop = { prob = 1.0 }\nresize = { prob = 1.0 }\nreboot = { prob = 1.0, outcome = \"rollback\" }\n",
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    let active = ecs(VmState::Active, None);
    // Nova: a failed stop clears the task and leaves the server ACTIVE.
    sim.request(0, Op::Stop, By::User);
    finish_op(&mut sim, 0);
    assert_eq!(sim.servers.fleet.get(0).state, active);
    sim.request(0, Op::Reboot, By::User);
    finish_op(&mut sim, 0);
    assert_eq!(sim.servers.fleet.get(0).state, active);
    // A failed resize ends in ERROR.
    sim.request(0, Op::Resize, By::User);
    finish_op(&mut sim, 0);
    assert_eq!(sim.servers.fleet.get(0).state, ecs(VmState::Error, None));
    for op in [Op::Stop, Op::Reboot, Op::Resize] {
        let c = ops(&sim, op);
        assert_eq!((c.started, c.failed, c.succeeded), (1, 1, 0), "{op:?}");
    }
}

#[test]
fn a_step_that_overruns_its_watchdog_ends_in_the_error_state() {
    let sc = scenario(
        "[ecs]\ninitial = 1\n[ecs.steps]\nmigrating = \"1h\"\n[ecs.faults]\nwatchdog = { live_migrate = \"30m\" }\n\
         [bms]\ninitial = 2\n[bms.steps]\nreinstalling_os = \"3h\"\nrestarting = \"1h\"\n[bms.faults]\nwatchdog = { reinstall_os = \"2h\", restart = \"30m\" }\n",
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    sim.request(0, Op::LiveMigrate, By::User);
    finish_op(&mut sim, 0);
    assert_eq!(sim.servers.fleet.get(0).state, ecs(VmState::Error, None));
    assert_eq!(sim.core.queue.now(), SimTime::from_secs(1800));
    assert_eq!(ops(&sim, Op::LiveMigrate).timed_out, 1);
    // BMS: a restart overrunning goes Faulty; a reinstall goes to its own failure state.
    let (b1, b2) = (1, 2);
    sim.request(b1, Op::Restart, By::User);
    finish_op(&mut sim, b1);
    assert_eq!(sim.servers.fleet.get(b1).state, BmsState::Faulty.id());
    place(&mut sim, b2, BmsState::Stopped.id());
    sim.request(b2, Op::ReinstallOs, By::User);
    finish_op(&mut sim, b2);
    assert_eq!(
        sim.servers.fleet.get(b2).state,
        BmsState::ReinstallingOsFailed.id()
    );
    assert_eq!(
        sim.servers.stats[1].ops[Op::ReinstallOs.index()].timed_out,
        1
    );
}

#[test]
fn confirm_and_revert_return_to_the_vm_state_before_the_resize() {
    let sc = scenario("[ecs]\ninitial = 1\n[ecs.resize]\nconfirm_prob = 1.0\n");
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    let stopped = ecs(VmState::Stopped, None);
    let verify = ecs(VmState::Resized, None);
    for (op, via) in [
        (Op::ConfirmResize, None),
        (Op::RevertResize, Some(TaskState::ResizeReverting)),
    ] {
        place(&mut sim, 0, stopped);
        sim.request(0, Op::Resize, By::User);
        assert_eq!(
            sim.servers.fleet.get(0).status,
            Status::Resize,
            "a stopped server being resized shows RESIZE"
        );
        finish_op(&mut sim, 0);
        assert_eq!(sim.servers.fleet.get(0).state, verify);
        assert_eq!(sim.servers.fleet.get(0).status, Status::VerifyResize);
        sim.request(0, op, By::User);
        if let Some(task) = via {
            assert_eq!(
                sim.servers.fleet.get(0).state,
                ecs(VmState::Resized, Some(task))
            );
            assert_eq!(sim.servers.fleet.get(0).status, Status::RevertResize);
        }
        finish_op(&mut sim, 0);
        assert_eq!(sim.servers.fleet.get(0).state, stopped, "{op:?}");
    }
}

#[test]
fn the_user_decides_a_resize_after_the_delay_and_auto_confirm_can_beat_them() {
    let sc =
        scenario("[ecs]\ninitial = 2\n[ecs.resize]\nconfirm_prob = 1.0\ndecision_delay = \"1h\"\n");
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    sim.request(0, Op::Resize, By::User);
    while let Some((_, e)) = sim.core.queue.pop() {
        sim.dispatch(e);
    }
    assert_eq!(sim.servers.fleet.get(0).state, ecs(VmState::Active, None));
    assert_eq!(ops(&sim, Op::ConfirmResize).succeeded, 1);
    let auto = scenario(
        "[ecs]\ninitial = 1\n[ecs.resize]\ndecision_delay = \"1h\"\nauto_confirm = \"10m\"\n",
    );
    let mut rec = NullRecorder;
    let mut sim = started(&auto, &mut rec);
    sim.request(0, Op::Resize, By::User);
    finish_op(&mut sim, 0);
    let verified_at = sim.core.queue.now();
    while sim.servers.fleet.get(0).state != ecs(VmState::Active, None) {
        let (_, e) = sim.core.queue.pop().unwrap();
        sim.dispatch(e);
    }
    // Confirmed by the window (10 min), not by the user (1 h).
    assert_eq!(
        sim.core.queue.now(),
        verified_at.after(SimTime::from_secs(600))
    );
    assert_eq!(ops(&sim, Op::ConfirmResize).succeeded, 1);
}

#[test]
fn a_soft_reboot_that_falls_back_to_hard_takes_the_timeout_longer() {
    let sc = scenario(
        "[ecs]\ninitial = 1\n[ecs.steps]\nrebooting = \"1s\"\nreboot_pending = \"1s\"\nreboot_started = \"1s\"\n[ecs.soft_reboot]\nfallback_prob = 1.0\ntimeout = \"120s\"\n",
    );
    let mut rec = Log::default();
    let mut sim = started(&sc, &mut rec);
    sim.request(0, Op::Reboot, By::User);
    finish_op(&mut sim, 0);
    assert_eq!(sim.core.queue.now(), SimTime::from_secs(123));
    assert_eq!(sim.core.counters.soft_reboot_fallbacks, 1);
    drop(sim);
    // The steps and the REBOOT status stay those of a soft reboot.
    let statuses: Vec<Status> = rec
        .0
        .iter()
        .filter_map(|c| c.to.map(|t| t.1))
        .skip(1)
        .collect();
    assert_eq!(
        statuses,
        [
            Status::Reboot,
            Status::Reboot,
            Status::Reboot,
            Status::Active
        ]
    );
}

#[test]
fn a_bms_delete_preempts_a_restart_and_shows_reboot_while_deleting() {
    let sc = scenario("[bms]\ninitial = 1\n");
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    sim.request(0, Op::Restart, By::User);
    assert_eq!(sim.servers.fleet.get(0).state, BmsState::Restarting.id());
    assert_eq!(sim.request(0, Op::Delete, By::User), Response::Accepted);
    assert_eq!(sim.servers.fleet.get(0).state, BmsState::Deleting.id());
    assert_eq!(sim.servers.fleet.get(0).status, Status::Reboot);
    assert_eq!(ops(&sim, Op::Restart).preempted, 1);
    finish_op(&mut sim, 0);
    assert_eq!(sim.servers.fleet.get(0).status, Status::Deleted);
    assert_eq!(
        ops(&sim, Op::Restart).succeeded,
        0,
        "the pre-empted restart never completes"
    );
    // Deleted stays a short while, then the server leaves the population.
    while let Some((_, e)) = sim.core.queue.pop() {
        sim.dispatch(e);
    }
    assert_eq!(sim.servers.stats[0].population_now(), 0);
}

#[test]
fn a_frozen_bms_refuses_its_owner_and_is_unfrozen_to_stopped_or_deleted() {
    let sc = scenario(
        "[bms]\ninitial = 2\n[bms.freeze]\nrate = \"1/y\"\nrenew_prob = 1.0\nrenew_delay = \"1d\"\nretention = \"15d\"\n",
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    assert_eq!(sim.request(0, Op::Freeze, By::Admin), Response::Accepted);
    assert_eq!(
        sim.servers.fleet.get(0).state,
        BmsState::Stopping.id(),
        "a running server is stopped first"
    );
    finish_op(&mut sim, 0);
    assert_eq!(sim.servers.fleet.get(0).state, BmsState::Frozen.id());
    assert_eq!(
        sim.request(0, Op::Start, By::User),
        Response::RefusedConflict
    );
    assert_eq!(
        sim.request(0, Op::Delete, By::User),
        Response::RefusedConflict
    );
    sim.dispatch(Event::Unfreeze {
        id: 0,
        epoch: sim.servers.fleet.get(0).epoch,
    });
    assert_eq!(sim.servers.fleet.get(0).state, BmsState::Stopped.id());
    // Not renewed: the retention period ends in deletion, showing SHUTOFF while deleting.
    place(&mut sim, 1, BmsState::Stopped.id());
    sim.request(1, Op::Freeze, By::Admin);
    assert_eq!(sim.servers.fleet.get(1).state, BmsState::Frozen.id());
    sim.dispatch(Event::Expire {
        id: 1,
        epoch: sim.servers.fleet.get(1).epoch,
    });
    assert_eq!(sim.servers.fleet.get(1).state, BmsState::Deleting.id());
    assert_eq!(sim.servers.fleet.get(1).status, Status::Shutoff);
}

#[test]
fn a_busy_server_is_deleted_as_soon_as_it_settles_at_the_end_of_its_life() {
    let sc = scenario("[ecs]\ninitial = 1\n[ecs.steps]\nmigrating = \"10m\"\n");
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    sim.request(0, Op::Lock, By::User);
    sim.request(0, Op::LiveMigrate, By::Admin);
    let life = sim.servers.fleet.get(0).life;
    sim.dispatch(Event::LifetimeEnd { id: 0, life });
    // The owner unlocked it, was refused (busy), and waits.
    assert!(!sim.servers.fleet.get(0).has(flag::LOCKED));
    assert_eq!(ops(&sim, Op::Delete).refused_conflict, 1);
    assert!(sim.servers.fleet.get(0).has(flag::PENDING_DELETE));
    // The migration ends at 10 min and the delete starts at that instant.
    while sim.servers.fleet.get(0).op != Some(Op::Delete) {
        let (_, e) = sim.core.queue.pop().unwrap();
        sim.dispatch(e);
    }
    assert_eq!(sim.core.queue.now(), SimTime::from_secs(600));
    assert_eq!(
        sim.servers.fleet.get(0).state,
        ecs(VmState::Active, Some(TaskState::Deleting))
    );
    assert_eq!(ops(&sim, Op::Delete).started, 1);
    finish_op(&mut sim, 0);
    assert_eq!(sim.servers.fleet.get(0).state, ecs(VmState::Deleted, None));
}

#[test]
fn faults_strike_idle_servers_only_and_repair_restarts_the_clock() {
    let sc =
        scenario("[ecs]\ninitial = 1\n[ecs.faults]\ntime_to_fault = \"1h\"\nrepair = \"2h\"\n");
    let mut rec = Log::default();
    let mut sim = started(&sc, &mut rec);
    // Busy when the clock runs out: spared, clock redrawn.
    sim.request(0, Op::Resize, By::User);
    let fault_epoch = sim.servers.fleet.get(0).fault_epoch;
    sim.core
        .queue
        .schedule_at(SimTime::ZERO, Event::Fault { id: 0, fault_epoch });
    let (_, e) = sim.core.queue.pop().unwrap();
    sim.dispatch(e);
    assert_ne!(sim.servers.fleet.get(0).state, ecs(VmState::Error, None));
    assert_eq!(sim.core.counters.faults, 0);
    place(&mut sim, 0, ecs(VmState::Active, None));
    sim.servers.fleet.get_mut(0).op = None;
    // Idle: the next clock (1 h) sends it to ERROR, repair (2 h) brings it back.
    sim.start_fault_clock(0);
    let t0 = sim.core.queue.now();
    while sim.core.counters.faults < 2 {
        let (_, e) = sim.core.queue.pop().unwrap();
        sim.dispatch(e);
    }
    assert_eq!(
        sim.core.queue.now(),
        t0.after(SimTime::from_secs(3600 + 7200 + 3600))
    );
    assert_eq!(ops(&sim, Op::ResetState).succeeded, 1);
}

#[test]
fn an_owner_whose_delete_failed_tries_again_ten_minutes_later() {
    let sc = scenario(
        "[ecs]\ninitial = 1\n[ecs.steps]\ndeleting = \"1m\"\n[ecs.failures]\ndelete = { prob = 1.0 }\n[ecs.faults]\nrepair = \"off\"\n",
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    let life = sim.servers.fleet.get(0).life;
    sim.dispatch(Event::LifetimeEnd { id: 0, life });
    finish_op(&mut sim, 0);
    // Nova: a failed delete leaves the server in ERROR.
    assert_eq!(sim.servers.fleet.get(0).state, ecs(VmState::Error, None));
    assert_eq!(sim.core.queue.now(), SimTime::from_secs(60));
    let (t, e) = sim.core.queue.pop().unwrap();
    assert_eq!(
        (t, e),
        (SimTime::from_secs(660), Event::LifetimeEnd { id: 0, life })
    );
    sim.dispatch(e);
    assert_eq!(
        sim.servers.fleet.get(0).state,
        ecs(VmState::Error, Some(TaskState::Deleting))
    );
    assert_eq!(ops(&sim, Op::Delete).started, 2);
}

#[test]
fn the_auto_confirm_window_runs_from_verify_resize_even_after_a_refused_decision() {
    let sc = scenario(
        "[ecs]\ninitial = 1\n[ecs.resize]\ndecision_delay = \"20m\"\nauto_confirm = \"30m\"\n",
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    sim.request(0, Op::Resize, By::User);
    finish_op(&mut sim, 0);
    let verified = sim.core.queue.now();
    sim.request(0, Op::Lock, By::User);
    // The decision at +20 min is refused (locked) and retried; the window
    // still closes at +30 min, not +50.
    while sim.servers.fleet.get(0).state != ecs(VmState::Active, None) {
        let (_, e) = sim.core.queue.pop().unwrap();
        sim.dispatch(e);
    }
    assert_eq!(
        sim.core.queue.now(),
        verified.after(SimTime::from_secs(1800))
    );
    assert_eq!(ops(&sim, Op::ConfirmResize).refused_locked, 1);
}

#[test]
fn availability_counts_only_time_the_owner_wanted_the_server_running() {
    let sc = scenario(
        "[ecs]\ninitial = 1\n[ecs.steps]\npowering-off = \"0s\"\npowering-on = \"0s\"\n\
         [bms]\ninitial = 1\n[bms.steps]\nstopping = \"0s\"\n[bms.freeze]\nrate = \"1/y\"\n",
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    let hour = SimTime::from_secs(3600);
    let advance = |sim: &mut Simulation, to: SimTime| {
        sim.core.queue.schedule_at(to, Event::Arrival(Kind::Ecs));
        while sim.core.queue.now() < to {
            let (_, e) = sim.core.queue.pop().unwrap();
            if e != Event::Arrival(Kind::Ecs) {
                sim.dispatch(e);
            }
        }
    };
    // ECS: 1 h running (available), 1 h stopped by its owner (not wanted),
    // 1 h in ERROR (wanted, unavailable), 1 h running again.
    advance(&mut sim, hour);
    sim.request(0, Op::Stop, By::User);
    finish_op(&mut sim, 0);
    advance(&mut sim, SimTime::from_secs(2 * 3600));
    sim.request(0, Op::Start, By::User);
    finish_op(&mut sim, 0);
    place(&mut sim, 0, ecs(VmState::Error, None));
    advance(&mut sim, SimTime::from_secs(3 * 3600));
    place(&mut sim, 0, ecs(VmState::Active, None));
    // BMS: running for three hours, then frozen by billing: not wanted.
    place(&mut sim, 1, BmsState::Frozen.id());
    advance(&mut sim, SimTime::from_secs(4 * 3600));
    for st in &mut sim.servers.stats {
        st.close(SimTime::from_secs(4 * 3600));
    }
    let (ecs_stats, bms_stats) = (&sim.servers.stats[0], &sim.servers.stats[1]);
    assert_eq!(ecs_stats.wanted.area(0), 3 * 3_600_000);
    assert_eq!(ecs_stats.available.area(0), 2 * 3_600_000);
    assert_eq!(ecs_stats.availability(), Some(2.0 / 3.0));
    assert_eq!(bms_stats.wanted.area(0), 3 * 3_600_000);
    assert_eq!(bms_stats.availability(), Some(1.0));
}

#[test]
fn a_hard_reboot_preempts_a_soft_one_only_when_the_scenario_allows_it() {
    for allowed in [false, true] {
        let sc = scenario(&format!(
            "[ecs]\ninitial = 1\n[ecs.soft_reboot]\nhard_preempts = {allowed}\n"
        ));
        let mut rec = NullRecorder;
        let mut sim = started(&sc, &mut rec);
        sim.request(0, Op::Reboot, By::User);
        assert_eq!(sim.servers.fleet.get(0).status, Status::Reboot);
        let r = sim.request(0, Op::RebootHard, By::User);
        if allowed {
            assert_eq!(r, Response::Accepted);
            assert_eq!(
                sim.servers.fleet.get(0).state,
                ecs(VmState::Active, Some(TaskState::RebootingHard))
            );
            assert_eq!(ops(&sim, Op::Reboot).preempted, 1);
            finish_op(&mut sim, 0);
            assert_eq!(sim.servers.fleet.get(0).state, ecs(VmState::Active, None));
            assert_eq!(ops(&sim, Op::RebootHard).succeeded, 1);
        } else {
            assert_eq!(r, Response::RefusedConflict);
            assert_eq!(sim.servers.fleet.get(0).status, Status::Reboot);
        }
    }
}

#[test]
fn a_hanging_step_ends_only_by_its_watchdog() {
    let sc = scenario(
        "[ecs]\ninitial = 2\n[ecs.steps]\nmigrating = \"1m\"\n[ecs.failures]\nlive_migrate = { hang_prob = 1.0 }\n\
         [ecs.faults]\nwatchdog = { live_migrate = \"45m\", rebuild = \"off\" }\n",
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    sim.request(0, Op::LiveMigrate, By::User);
    finish_op(&mut sim, 0);
    // The 1-minute step never ended; the watchdog did, at 45 minutes.
    assert_eq!(sim.core.queue.now(), SimTime::from_secs(2700));
    assert_eq!(sim.servers.fleet.get(0).state, ecs(VmState::Error, None));
    assert_eq!(ops(&sim, Op::LiveMigrate).timed_out, 1);
    assert_eq!(sim.core.counters.hangs, 1);
    // Without a watchdog the server stays in the step for good.
    let sc = scenario(
        "[ecs]\ninitial = 1\n[ecs.failures]\nrebuild = { hang_prob = 1.0 }\n[ecs.faults]\nwatchdog = { rebuild = \"off\" }\nrepair = \"off\"\n",
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    sim.request(0, Op::Rebuild, By::User);
    assert!(
        sim.core.queue.pop().is_none(),
        "a hung step with no watchdog schedules nothing"
    );
    assert_eq!(sim.servers.fleet.get(0).status, Status::Rebuild);
}

#[test]
fn owners_delete_or_rebuild_a_server_in_error_after_their_delay() {
    for (setting, ends) in [
        ("delete_prob = 1.0", Status::Deleted),
        ("rebuild_prob = 1.0", Status::Active),
    ] {
        let sc = scenario(&format!(
            "[ecs]\ninitial = 1\n[ecs.steps]\nrebuilding = \"0s\"\nrebuild_block_device_mapping = \"0s\"\nrebuild_spawning = \"0s\"\ndeleting = \"0s\"\n\
             [ecs.faults]\nrepair = \"off\"\n[ecs.on_error]\n{setting}\ndelay = \"20m\"\n"
        ));
        let mut rec = NullRecorder;
        let mut sim = started(&sc, &mut rec);
        sim.request(0, Op::Lock, By::User);
        sim.set_state(0, ecs(VmState::Error, None), Cause::Fault);
        sim.settle(0);
        while sim.servers.fleet.get(0).status != ends {
            let (_, e) = sim.core.queue.pop().expect("the owner acts");
            sim.dispatch(e);
        }
        // The owner unlocked it first, and acted 20 minutes after the fault.
        assert_eq!(sim.core.queue.now(), SimTime::from_secs(1200), "{setting}");
        assert!(!sim.servers.fleet.get(0).has(flag::LOCKED));
    }
}

#[test]
fn incident_windows_speed_up_the_fault_clock_exactly() {
    let sc = scenario(
        "[ecs]\ninitial = 1\n[[ecs.incidents]]\nstart = \"10h\"\nduration = \"6h\"\nfault_factor = 5\n\
         [[ecs.incidents]]\nstart = \"30h\"\nduration = \"10h\"\nfault_factor = 0\n",
    );
    let mut rec = NullRecorder;
    let sim = started(&sc, &mut rec);
    let rt = &sim.kinds[0];
    let h = |x: f64| SimTime::from_secs_f64(x * 3600.0);
    // 12 h of hazard from t = 0: 10 h before the window, then 2 h at five
    // times the rate, 0.4 h of clock time: due at 10.4 h.
    assert_eq!(rt.fault_due(SimTime::ZERO, h(12.0)), h(10.4));
    // 50 h: 10 h, then the whole window (6 h × 5 = 30 h), then 10 h more:
    // 26 h, then the clock is paused from 30 h to 40 h: due at 26 h.
    assert_eq!(rt.fault_due(SimTime::ZERO, h(50.0)), h(26.0));
    // 20 h from 20 h: 10 h to 30 h, paused to 40 h, then 10 h: 50 h.
    assert_eq!(rt.fault_due(h(20.0), h(20.0)), h(50.0));
    // Starting inside the window.
    assert_eq!(rt.fault_due(h(12.0), h(5.0)), h(13.0));
    // Operation failure probabilities are untouched by a fault-only window.
    assert_eq!(rt.incident_factor(h(12.0), |w| w.failure_factor), 1.0);
}

#[test]
fn overlapping_windows_never_make_a_nan_or_a_certainty_from_zero() {
    // Factors whose product overflows to ∞ beside a pause and beside a
    // probability of 0: 0 × ∞ is NaN, which the fault clock read as "due
    // now" and the failure draw as 1 (NaN.min(1.0) is 1).
    let window = |fault: &str, failure: &str| {
        format!(
            "[[ecs.incidents]]\nstart = \"1h\"\nduration = \"1h\"\nfault_factor = {fault}\nfailure_factor = {failure}\n"
        )
    };
    let sc = scenario(&format!(
        "[ecs]\ninitial = 1\n[ecs.failures]\nresize = {{ prob = 0.1 }}\n{}{}{}",
        window("1e200", "1e200"),
        window("1e200", "1e200"),
        window("0", "1")
    ));
    let mut rec = NullRecorder;
    let sim = started(&sc, &mut rec);
    let rt = &sim.kinds[0];
    let inside = SimTime::from_secs(5_400);
    assert_eq!(rt.incident_factor(inside, |w| w.fault_factor), 0.0);
    assert_eq!(
        rt.fault_due(inside, SimTime::from_secs(60)),
        SimTime::from_secs(7_260)
    );
    assert_eq!(rt.hang_and_fail_prob(Op::Reboot, inside), (0.0, 0.0));
    assert_eq!(rt.hang_and_fail_prob(Op::Resize, inside), (0.0, 1.0));
}

#[test]
fn inside_an_incident_window_operations_fail_more_often() {
    let sc = scenario(
        "[ecs]\ninitial = 1\n[ecs.steps]\nrebooting = \"1s\"\nreboot_pending = \"1s\"\nreboot_started = \"1s\"\n\
         [ecs.failures]\nreboot = { prob = 0.1, outcome = \"rollback\" }\n[ecs.soft_reboot]\nfallback_prob = 0\n\
         [[ecs.incidents]]\nstart = \"1h\"\nduration = \"1h\"\nfailure_factor = 10\n",
    );
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    // Ten reboots inside the window: probability 0.1 × 10 = 1, all fail.
    sim.core
        .queue
        .schedule_at(SimTime::from_secs(3700), Event::Arrival(Kind::Bms));
    while sim.core.queue.now() < SimTime::from_secs(3700) {
        sim.core.queue.pop();
    }
    for _ in 0..10 {
        sim.request(0, Op::Reboot, By::User);
        finish_op(&mut sim, 0);
    }
    assert_eq!(ops(&sim, Op::Reboot).failed, 10);
}

#[test]
fn a_mass_fault_strikes_idle_servers_at_its_instant() {
    let sc = scenario(
        "[ecs]\ninitial = 200\n[ecs.steps]\nmigrating = \"2d\"\n[[ecs.mass_faults]]\nat = \"1d\"\nfraction = 0.3\n\
         [ecs.faults]\nrepair = \"off\"\nwatchdog = \"off\"\n",
    );
    let mut rec = Log::default();
    let mut sim = started(&sc, &mut rec);
    // Ten servers are busy at that instant and are spared.
    for id in 0..10 {
        sim.request(id, Op::LiveMigrate, By::Admin);
    }
    let mut sim_faults_at = Vec::new();
    while let Some((t, e)) = sim.core.queue.pop() {
        let before = sim.core.counters.faults;
        sim.dispatch(e);
        if sim.core.counters.faults > before {
            sim_faults_at.push(t);
        }
    }
    let hits = sim.core.counters.mass_fault_hits;
    // Binomial(190, 0.3): mean 57, sd 6.3; 99.99% of mass within ±4 sd.
    assert!((32..=82).contains(&hits), "{hits} servers hit");
    assert!(
        sim_faults_at
            .iter()
            .all(|&t| t == SimTime::from_secs(86_400))
    );
    // They were still migrating at day 1 and finished at day 2, unharmed.
    assert!(
        (0..10).all(|id| sim.servers.fleet.get(id).status == Status::Active),
        "busy servers were spared"
    );
    drop(sim);
    assert_eq!(
        rec.0.iter().filter(|c| c.cause == Cause::Fault).count() as u64,
        hits
    );
}

#[test]
fn a_crashed_guest_shows_active_until_the_power_sync_stops_it() {
    let sc = scenario(
        "[ecs]\ninitial = 1\n[ecs.guest_crash]\nrate = \"1/y\"\nsync_interval = \"600s\"\n",
    );
    let mut rec = Log::default();
    let mut sim = started(&sc, &mut rec);
    let life = sim.servers.fleet.get(0).life;
    sim.core
        .queue
        .schedule_at(SimTime::from_secs(1000), Event::GuestCrash { id: 0, life });
    while sim.core.queue.now() < SimTime::from_secs(1000) || sim.core.counters.guest_crashes == 0 {
        let (_, e) = sim.core.queue.pop().unwrap();
        sim.dispatch(e);
    }
    // Crashed at 1,000 s; Nova's next sync runs at 1,200 s.
    assert_eq!(sim.servers.fleet.get(0).status, Status::Active);
    while sim.servers.fleet.get(0).status == Status::Active {
        let (_, e) = sim.core.queue.pop().unwrap();
        sim.dispatch(e);
    }
    assert_eq!(sim.core.queue.now(), SimTime::from_secs(1200));
    assert_eq!(sim.servers.fleet.get(0).state, ecs(VmState::Stopped, None));
    drop(sim);
    assert_eq!(rec.0.last().unwrap().cause, Cause::PowerSync);
}

/// Keeps every request, with whether the state it found is a step (an
/// operation in progress).
#[derive(Default)]
struct Requests(Vec<(Request, bool)>);

impl Recorder for Requests {
    fn wants_changes(&self) -> bool {
        true
    }
    fn change(&mut self, _: &Change, _: &Machine) {}
    fn sample(&mut self, _: SimTime, _: Kind, _: &KindStats, _: &Machine) {}
    fn request(&mut self, r: &Request, m: &Machine) {
        let step = r.state.is_some_and(|(s, _)| m.is_step(s));
        self.0.push((*r, step));
    }
}

#[test]
fn a_state_aware_owner_asks_only_for_the_operations_of_the_status_it_sees() {
    // Ticks every 30 min on average; faults put servers in ERROR, which has
    // no mix, for a day at a time.
    let sc = scenario(
        "[ecs]\ninitial = 10\nops_rate = \"48/d\"\n\
         [ecs.behaviour.ACTIVE]\nstop = 1\nreboot = 2\n\
         [ecs.behaviour.SHUTOFF]\nstart = 3\nrebuild = 1\n\
         [ecs.faults]\ntime_to_fault = \"5d\"\nrepair = \"1d\"\n\
         [bms]\ninitial = 10\nops_rate = \"48/d\"\n\
         [bms.behaviour.ACTIVE]\nstop = 1\nrestart = 2\n\
         [bms.behaviour.SHUTOFF]\nstart = 3\nreinstall_os = 1\n\
         [bms.faults]\ntime_to_fault = \"5d\"\nrepair = \"1d\"\n",
    );
    let mut rec = Requests::default();
    let out = Simulation::new(&std::sync::Arc::new(sc), &mut rec).run(&mut |_, _| {});
    assert!(out.counters.faults > 20, "servers sat in ERROR");
    let mixes = [
        (Kind::Ecs, Status::Active, [Op::Stop, Op::Reboot]),
        (Kind::Ecs, Status::Shutoff, [Op::Start, Op::Rebuild]),
        (Kind::Bms, Status::Active, [Op::Stop, Op::Restart]),
        (Kind::Bms, Status::Shutoff, [Op::Start, Op::ReinstallOs]),
    ];
    let user: Vec<&(Request, bool)> = rec.0.iter().filter(|(r, _)| r.by == By::User).collect();
    for (r, step) in &user {
        let (_, status) = r.state.expect("not a create: owners ask nothing else");
        assert!(
            mixes
                .iter()
                .any(|&(k, st, ops)| k == r.kind && st == status && ops.contains(&r.op)),
            "{:?} {} asked in {}",
            r.kind,
            r.op.name(),
            status.name()
        );
        // Every operation asked for is allowed where the server rests: a
        // refusal means another operation was in progress.
        if r.response != Response::Accepted {
            assert_eq!(r.response, Response::RefusedConflict);
            assert!(step, "{} refused outside a step", r.op.name());
        }
    }
    for (kind, status, ops) in mixes {
        for op in ops {
            let n = user
                .iter()
                .filter(|(r, _)| r.kind == kind && r.op == op && r.state.unwrap().1 == status)
                .count();
            assert!(n > 20, "{kind:?} {}: {n} requests", op.name());
        }
    }
}

#[test]
fn a_state_aware_owner_skips_statuses_without_a_mix_and_servers_it_deletes() {
    let sc =
        scenario("[ecs]\ninitial = 1\nops_rate = \"1/d\"\n[ecs.behaviour.ACTIVE]\nreboot = 1\n");
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    let life = sim.servers.fleet.get(0).life;
    // How many reboots were asked for after a tick in `state`, and how many
    // events the tick added.
    let tick = |sim: &mut Simulation, state| {
        place(sim, 0, state);
        let pending = sim.core.queue.len();
        sim.on_user_op(0, life);
        (
            ops(sim, Op::Reboot).requested,
            sim.core.queue.len() - pending,
        )
    };
    // A reboot: its first step, its watchdog, and the next tick.
    assert_eq!(tick(&mut sim, ecs(VmState::Active, None)), (1, 3));
    // Nothing but the next tick.
    assert_eq!(
        tick(&mut sim, ecs(VmState::Stopped, None)),
        (1, 1),
        "SHUTOFF has no mix"
    );
    assert_eq!(
        tick(&mut sim, ecs(VmState::Error, None)),
        (1, 1),
        "ERROR has no mix"
    );
    sim.servers.fleet.get_mut(0).set(flag::PENDING_DELETE, true);
    assert_eq!(
        tick(&mut sim, ecs(VmState::Active, None)),
        (1, 1),
        "an owner asks nothing more of a server it deletes"
    );
    // A frozen BMS shows SHUTOFF, but its owner knows it is frozen.
    let sc =
        scenario("[bms]\ninitial = 1\nops_rate = \"1/d\"\n[bms.behaviour.SHUTOFF]\nstart = 1\n");
    let mut rec = NullRecorder;
    let mut sim = started(&sc, &mut rec);
    let life = sim.servers.fleet.get(0).life;
    for (state, asked) in [(BmsState::Frozen, 0), (BmsState::Stopped, 1)] {
        place(&mut sim, 0, state.id());
        assert_eq!(sim.servers.fleet.get(0).status, Status::Shutoff);
        sim.on_user_op(0, life);
        assert_eq!(ops(&sim, Op::Start).requested, asked, "{}", state.name());
    }
}

#[test]
fn a_delete_in_a_state_aware_mix_goes_through_the_request_path_once() {
    // Owners stop their servers, then delete them from SHUTOFF; the
    // lifetime's own delete, later, finds nothing left.
    let sc = scenario(
        "[ecs]\ninitial = 10\nops_rate = \"48/d\"\nlifetime = \"20d\"\ninitial_age = \"new\"\n\
         [ecs.behaviour.ACTIVE]\nstop = 1\n[ecs.behaviour.SHUTOFF]\ndelete = 1\n",
    );
    let mut rec = Requests::default();
    let out = Simulation::new(&std::sync::Arc::new(sc), &mut rec).run(&mut |_, _| {});
    let deletes: Vec<&Request> = rec
        .0
        .iter()
        .map(|(r, _)| r)
        .filter(|r| r.op == Op::Delete)
        .collect();
    let mut serials: Vec<u32> = deletes.iter().map(|r| r.serial).collect();
    serials.sort_unstable();
    serials.dedup();
    assert_eq!(serials.len(), 10);
    assert!(deletes.iter().all(|r| r.response == Response::Accepted
        && r.by == By::User
        && r.state.unwrap().1 == Status::Shutoff));
    // Nothing asked of a server after its delete.
    for r in &deletes {
        let later = rec
            .0
            .iter()
            .filter(|(q, _)| q.serial == r.serial && q.time > r.time)
            .count();
        assert_eq!(later, 0, "server {} asked after its delete", r.serial);
    }
    let st = out.stats(Kind::Ecs).unwrap();
    assert_eq!(st.ops[Op::Delete.index()].succeeded, 10);
    assert_eq!(st.population_now(), 0);
}

#[test]
fn a_state_aware_owner_ticks_at_the_same_times_whatever_the_server_went_through() {
    // Every status these servers show without faults has a mix, ERROR has
    // none: with faults, the owners ask at a subset of the same instants.
    let owners = "[ecs]\ninitial = 20\nops_rate = \"24/d\"\n\
                  [ecs.behaviour.ACTIVE]\nreboot = 4\nlock = 1\nunlock = 1\n\
                  [ecs.behaviour.REBOOT]\nlock = 1\nunlock = 1\n";
    let times = |extra: &str| {
        let sc = scenario(&format!("{owners}{extra}"));
        let mut rec = Requests::default();
        let out = Simulation::new(&std::sync::Arc::new(sc), &mut rec).run(&mut |_, _| {});
        let asked: std::collections::BTreeSet<(u32, SimTime)> = rec
            .0
            .iter()
            .filter(|(r, _)| r.by == By::User)
            .map(|(r, _)| (r.serial, r.time))
            .collect();
        (asked, out.counters.faults)
    };
    let (calm, no_faults) = times("");
    let (faulty, faults) = times("[ecs.faults]\ntime_to_fault = \"3d\"\nrepair = \"12h\"\n");
    assert_eq!(no_faults, 0);
    assert!(faults > 50, "{faults} faults");
    assert!(faulty.len() < calm.len());
    assert!(faulty.is_subset(&calm), "the owners' ticks moved");
}
