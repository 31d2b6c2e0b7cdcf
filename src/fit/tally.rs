//! What a trace says, server by server: each server's current state and
//! clocks (memory grows with the servers present, not the rows), and the
//! counts and duration samples the estimates are made from.

use super::read::Row;
use crate::model::{Kind, Machine, Op, StateId, bms, ecs};
use rand::{RngExt, SeedableRng};
use std::collections::BTreeMap;

/// The most durations kept per sample: beyond it a uniform reservoir keeps
/// this many, so memory stays bounded whatever the length of the log.
pub const RESERVOIR: usize = 100_000;

/// Hours in a week: the bins of the arrival profile.
pub const HOURS_A_WEEK: usize = 168;

/// A trace's time 0, in seconds since 1970: fleetsim's default
/// `start_time`, 2026-01-01T00:00:00Z (a trace does not say its own).
pub const TRACE_ORIGIN_UNIX_S: f64 = crate::wallclock::DEFAULT_START as f64 / 1000.0;

/// The hour of the week of `unix_s` (seconds since 1970, UTC): 0 for
/// Monday 00:00 to 01:00, 167 for Sunday 23:00 to 24:00.
pub fn hour_of_week(unix_s: f64) -> usize {
    let hours = (unix_s / 3600.0).floor() as i64;
    // 1970-01-01 was a Thursday: day 0 is the week's fourth (index 3).
    let days = hours.div_euclid(24);
    let weekday = (days + 3).rem_euclid(7);
    (weekday * 24 + hours.rem_euclid(24)) as usize
}

/// An unlock this close before a delete (fleetsim's owners do both at
/// once; a person or a script, within seconds) is taken as part of the
/// delete, not as an owner's request of its own.
pub const UNLOCK_TO_DELETE_S: f64 = 60.0;

/// Durations, observed (events) or known only to be longer (censored).
#[derive(Debug)]
pub struct Sample {
    /// Kept events.
    pub events: Vec<f64>,
    /// Kept censored durations.
    pub censored: Vec<f64>,
    /// Events seen.
    pub n_events: u64,
    /// Censored durations seen.
    pub n_censored: u64,
    seen: u64,
    rng: rand_pcg::Pcg64,
}

impl Default for Sample {
    fn default() -> Self {
        Sample {
            events: vec![],
            censored: vec![],
            n_events: 0,
            n_censored: 0,
            seen: 0,
            rng: rand_pcg::Pcg64::seed_from_u64(0x5eed),
        }
    }
}

impl Sample {
    /// Records a duration.
    pub fn add(&mut self, x: f64, event: bool) {
        if event {
            self.n_events += 1;
        } else {
            self.n_censored += 1;
        }
        self.seen += 1;
        if self.events.len() + self.censored.len() < RESERVOIR {
            if event {
                &mut self.events
            } else {
                &mut self.censored
            }
            .push(x);
            return;
        }
        // Algorithm R: replace a kept duration with probability RESERVOIR / seen.
        let j = self.rng.random_range(0..self.seen);
        if (j as usize) < RESERVOIR {
            let victim = j as usize;
            if victim < self.events.len() {
                self.events.swap_remove(victim);
            } else {
                self.censored.swap_remove(victim - self.events.len());
            }
            if event {
                &mut self.events
            } else {
                &mut self.censored
            }
            .push(x);
        }
    }
}

/// Counts and samples of one kind.
#[derive(Debug, Default)]
pub struct KindTally {
    /// Servers present at the start (cause `initial`).
    pub initial: u64,
    /// Creates requested (a server appearing with cause `create`).
    pub creates: u64,
    /// Creates by hour of the week (Monday 00:00 to 01:00 UTC first), for
    /// the daily and weekly profile.
    pub creates_by_hour: Vec<u64>,
    /// Per operation (by [`Op::index`]): started, failed, timed out.
    pub started: Vec<u64>,
    /// Failed operations.
    pub failed: Vec<u64>,
    /// Failed operations that ended in the error state.
    pub failed_to_error: Vec<u64>,
    /// Timed-out operations.
    pub timed_out: Vec<u64>,
    /// User operations started, by the status they started from.
    pub mix: BTreeMap<String, BTreeMap<&'static str, u64>>,
    /// Server-seconds spent in each status while the owner could ask for
    /// an operation: not once it has asked for a delete, nor while a BMS is
    /// frozen for billing (it shows SHUTOFF, but its owner asks nothing).
    pub status_time: BTreeMap<String, f64>,
    /// Of those, the server-seconds spent locked: an owner's request that a
    /// lock refuses leaves no row, so the operations' rates are counted
    /// over the time they could be seen (see `estimate`).
    pub locked_time: BTreeMap<String, f64>,
    /// Step durations, by step key.
    pub steps: BTreeMap<&'static str, Sample>,
    /// Faults.
    pub faults: u64,
    /// Server-seconds idle in a fault-prone state.
    pub exposure_s: f64,
    /// Fault clocks: from settling until a fault (event), or until the
    /// error state for another reason, a delete or the log's end (censored).
    pub fault_clock: Sample,
    /// Time in the error state until a repair (event), or a delete or the
    /// log's end (censored).
    pub repair: Sample,
    /// Lifetimes of servers created in the log: create to delete (event),
    /// or to the log's end (censored).
    pub lifetime: Sample,
    /// Time shown DELETED until purged.
    pub deleted_for: Sample,
    /// BMS billing freezes: time frozen until the owner renewed (an
    /// event), or until the log's end (censored).
    pub renew_delay: Sample,
    /// Time frozen until deleted for want of renewal (the retention).
    pub retention: Sample,
    /// Renewals of freezes that began at least a retention before their
    /// log's end: those freezes' outcome (renewed, or deleted at the end of
    /// the retention) is known whichever it is, so renewals over them and
    /// the deletions is the renewal probability. Counting every renewal
    /// would favour them: a late freeze can be seen renewed, not deleted.
    pub renewed_in_time: u64,
    /// This log's renewals, by the time their freeze began (a uniform
    /// reservoir, so memory stays bounded).
    renewal_freezes: Sample,
}

impl KindTally {
    /// Counts a create requested at `unix_s` (seconds since 1970, UTC).
    pub fn add_create(&mut self, unix_s: f64) {
        self.creates += 1;
        self.creates_by_hour[hour_of_week(unix_s)] += 1;
    }

    fn new() -> KindTally {
        KindTally {
            started: vec![0; Op::ALL.len()],
            failed: vec![0; Op::ALL.len()],
            failed_to_error: vec![0; Op::ALL.len()],
            timed_out: vec![0; Op::ALL.len()],
            creates_by_hour: vec![0; HOURS_A_WEEK],
            ..KindTally::default()
        }
    }
}

/// A server as the trace has shown it so far.
#[derive(Debug)]
struct Server {
    kind: Kind,
    last_s: f64,
    status: String,
    status_since: f64,
    op: Option<Op>,
    step: Option<(&'static str, f64, Op)>,
    prone_since: Option<f64>,
    clock_since: Option<f64>,
    error_since: Option<f64>,
    created_s: Option<f64>,
    deleting: bool,
    deleted_since: Option<f64>,
    /// When the owner last unlocked it, and from which status: an unlock
    /// followed within [`UNLOCK_TO_DELETE_S`] by a delete is the delete's
    /// own first step (an owner unlocks a locked server to delete it), not
    /// a request of its own. It is still an unlock that could fail.
    unlocked: Option<(f64, String)>,
    /// Frozen for billing since.
    frozen_since: Option<f64>,
    /// Locked, as the row's `locked` column says.
    locked: bool,
    /// Frozen for billing (BMS `frozen`).
    frozen: bool,
}

/// Everything read so far.
pub struct Tally {
    /// Per kind, ECS then BMS.
    pub kinds: [KindTally; 2],
    /// Causes that are not fleetsim's, with their counts.
    pub unknown_causes: BTreeMap<String, u64>,
    /// Rows read.
    pub rows: u64,
    /// Seconds observed, summed over the logs.
    pub observed_s: f64,
    /// Logs that held rows.
    pub logs: u64,
    machines: [Machine; 2],
    servers: BTreeMap<u64, Server>,
    first_s: Option<f64>,
    /// The current log's time 0, in seconds since 1970 (UTC).
    origin_unix_s: f64,
    /// The time 0 of the first log.
    pub first_origin_unix_s: Option<f64>,
    /// Seconds observed, by hour of the week (as `creates_by_hour`).
    pub observed_by_hour: Vec<f64>,
    last_s: f64,
}

fn slot(kind: Kind) -> usize {
    match kind {
        Kind::Ecs => 0,
        Kind::Bms => 1,
    }
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            kinds: [KindTally::new(), KindTally::new()],
            unknown_causes: BTreeMap::new(),
            rows: 0,
            observed_s: 0.0,
            logs: 0,
            machines: [ecs::machine(false), bms::machine(false)],
            servers: BTreeMap::new(),
            first_s: None,
            origin_unix_s: TRACE_ORIGIN_UNIX_S,
            first_origin_unix_s: None,
            observed_by_hour: vec![0.0; HOURS_A_WEEK],
            last_s: 0.0,
        }
    }
}

impl Tally {
    /// The state a row leaves its server in, or why it names none.
    fn state(&self, row: &Row, kind: Kind) -> Result<Option<StateId>, String> {
        if row.to_status.is_empty() {
            return Ok(None);
        }
        let name = match kind {
            Kind::Ecs => format!("{}:{}", row.vm_state, row.task_state),
            Kind::Bms => row.bms_state.clone(),
        };
        let m = &self.machines[slot(kind)];
        m.state_by_name(&name).map(Some).ok_or_else(|| {
            let column = if kind == Kind::Ecs { "vm_state:task_state" } else { "bms_state" };
            format!("column {column}: {name:?} is not a {} state fleetsim models (fleetsim states lists them)", kind.name())
        })
    }

    /// Takes in one row; an error says what is wrong (the caller adds the
    /// file and line).
    pub fn add(&mut self, row: &Row) -> Result<(), String> {
        let kind = row.kind.unwrap_or(Kind::Ecs);
        let t = row.time_s;
        let state = self.state(row, kind)?;
        let max_s = crate::input::units::MAX_DURATION.as_secs_f64();
        if let Some(first) = self.first_s
            && (t - first).abs() > max_s
        {
            return Err(format!(
                "column time_s: {t} is {} days from the log's first row at {first}; a log spans at most 100 years",
                (t - first).abs() / 86_400.0
            ));
        }
        if let Some(server) = self.servers.get(&row.instance) {
            if server.kind != kind {
                return Err(format!(
                    "column kind: instance {} was {} and is now {}",
                    row.instance,
                    server.kind.name(),
                    kind.name()
                ));
            }
            if t < server.last_s {
                return Err(format!(
                    "column time_s: {t} is before this instance's previous row at {} (time goes backwards for instance {})",
                    server.last_s, row.instance
                ));
            }
        }
        self.rows += 1;
        self.extend(t);
        let k = slot(kind);
        let origin = self.origin_unix_s;
        let server = self.servers.entry(row.instance).or_insert_with(|| Server {
            kind,
            last_s: t,
            status: String::new(),
            status_since: t,
            op: None,
            step: None,
            prone_since: None,
            clock_since: None,
            error_since: None,
            created_s: None,
            deleting: false,
            deleted_since: None,
            unlocked: None,
            frozen_since: None,
            locked: false,
            frozen: false,
        });
        server.last_s = t;
        let tally = &mut self.kinds[k];
        // What the old state accrued.
        if !server.status.is_empty() && !server.deleting && !server.frozen {
            *tally.status_time.entry(server.status.clone()).or_default() += t - server.status_since;
            if server.locked {
                *tally.locked_time.entry(server.status.clone()).or_default() +=
                    t - server.status_since;
            }
        }
        if let Some(s) = server.prone_since.take() {
            tally.exposure_s += t - s;
        }
        let cause = row.cause.as_str();
        if let Some((at, from)) = server.unlocked.take()
            && t - at <= UNLOCK_TO_DELETE_S
            && cause == Op::Delete.name()
            && let Some(n) = tally
                .mix
                .get_mut(&from)
                .and_then(|m| m.get_mut(Op::Unlock.name()))
        {
            *n -= 1;
        }
        let (op, ending) = match Op::from_name(cause) {
            Some(op) => (Some(op), None),
            None => match cause.rsplit_once('_') {
                Some((name, end @ ("failed" | "timeout"))) => {
                    (Op::from_name(name), Op::from_name(name).map(|_| end))
                }
                _ => (None, None),
            },
        };
        // Nova takes a lock or an unlock whatever the server is doing: such
        // a row changes the flag alone and must leave the operation under
        // way, and its step's clock, as they were.
        let flag_only = matches!(op, Some(Op::Lock | Op::Unlock)) && ending.is_none();
        // A step a watchdog cut short would have lasted longer than it
        // did: censored, not dropped (dropping it would bias the step
        // short wherever timeouts are common).
        if !flag_only
            && let Some((key, since, step_op)) = server.step.take()
            && op == Some(step_op)
        {
            let ended = ending != Some("timeout");
            tally.steps.entry(key).or_default().add(t - since, ended);
        }
        match (cause, op, ending) {
            ("initial", _, _) => tally.initial += 1,
            ("fault", _, _) => {
                tally.faults += 1;
                if let Some(s) = server.clock_since.take() {
                    tally.fault_clock.add(t - s, true);
                }
            }
            ("power_sync", _, _) => {}
            ("purge", _, _) => {
                if let Some(s) = server.deleted_since {
                    tally.deleted_for.add(t - s, true);
                }
                self.servers.remove(&row.instance);
                return Ok(());
            }
            (_, Some(op), Some(end)) => {
                let i = op.index();
                if end == "failed" {
                    tally.failed[i] += 1;
                    if row.to_status == "ERROR" {
                        tally.failed_to_error[i] += 1;
                    }
                } else {
                    tally.timed_out[i] += 1;
                }
                server.op = None;
            }
            (_, Some(op), None) => {
                if flag_only || server.op != Some(op) {
                    tally.started[op.index()] += 1;
                    let user = self.machines[k].user_ops.contains(&op);
                    if user
                        && op != Op::Delete
                        && matches!(row.from_status.as_str(), "ACTIVE" | "SHUTOFF")
                    {
                        *tally
                            .mix
                            .entry(row.from_status.clone())
                            .or_default()
                            .entry(op.name())
                            .or_default() += 1;
                    }
                    if op == Op::Unlock {
                        server.unlocked = Some((t, row.from_status.clone()));
                    }
                    if op == Op::Create && row.from_status.is_empty() {
                        tally.add_create(origin + t);
                        server.created_s = Some(t);
                    }
                    if matches!(op, Op::Delete | Op::Expire) && !server.deleting {
                        server.deleting = true;
                        if let Some(c) = server.created_s {
                            tally.lifetime.add(t - c, true);
                        }
                        if let Some(s) = server.clock_since.take() {
                            tally.fault_clock.add(t - s, false);
                        }
                    }
                }
                if !flag_only {
                    server.op = Some(op);
                }
            }
            _ => *self.unknown_causes.entry(cause.to_string()).or_default() += 1,
        }
        // Leaving and entering the error state.
        let was_error = server.status == "ERROR";
        let is_error = row.to_status == "ERROR";
        if was_error
            && !is_error
            && let Some(s) = server.error_since.take()
        {
            let repaired = matches!(op, Some(Op::ResetState | Op::Repair | Op::Rebuild));
            tally.repair.add(t - s, repaired);
        }
        if is_error && !was_error {
            server.error_since = Some(t);
            if let Some(s) = server.clock_since.take() {
                tally.fault_clock.add(t - s, false);
            }
        }
        // The new state.
        let m = &self.machines[k];
        let (prone, step) = match state {
            Some(id) => {
                let i = usize::from(id.0);
                (
                    m.fault_prone[i],
                    m.duration_key[i].map(|d| m.duration_names[usize::from(d)]),
                )
            }
            None => (false, None),
        };
        let step = step.filter(|&name| kind == Kind::Ecs || is_bms_step(name));
        if !flag_only {
            if let (Some(name), Some(op)) = (step, op.filter(|_| ending.is_none())) {
                server.step = Some((name, t, op));
            }
            // A server still showing BUILD is still being created, in a
            // step or not (Nova's create.start shows building with no
            // task_state): the create goes on.
            if step.is_none() && row.to_status != "BUILD" {
                server.op = None;
            }
        }
        if prone && !server.deleting {
            server.prone_since = Some(t);
            server.clock_since.get_or_insert(t);
        }
        if row.to_status == "DELETED" && server.deleted_since.is_none() {
            server.deleted_since = Some(t);
        }
        // Billing freezes: frozen until renewed, or deleted at the end of
        // the retention.
        let frozen = row.bms_state == "frozen";
        if frozen && server.frozen_since.is_none() {
            server.frozen_since = Some(t);
        }
        if !frozen && let Some(since) = server.frozen_since.take() {
            match op {
                Some(Op::Unfreeze) => {
                    tally.renew_delay.add(t - since, true);
                    tally.renewal_freezes.add(since, true);
                }
                Some(Op::Expire) => tally.retention.add(t - since, true),
                _ => {}
            }
        }
        server.frozen = frozen;
        server.locked = row.locked;
        server.status.clear();
        server.status.push_str(&row.to_status);
        server.status_since = t;
        Ok(())
    }

    /// Whether the logs showed any server the scenario can hold: present
    /// at the start, created, or seen in a status.
    pub fn shows_servers(&self) -> bool {
        self.kinds
            .iter()
            .any(|k| k.initial > 0 || k.creates > 0 || !k.status_time.is_empty())
    }

    /// Sets the current log's time 0 (seconds since 1970, UTC): a Nova
    /// log's first event; a trace's is [`TRACE_ORIGIN_UNIX_S`].
    pub fn set_origin(&mut self, unix_s: f64) {
        self.origin_unix_s = unix_s;
    }

    /// Widens the log's observed span to take in `t` (a row's time, or an
    /// event that changed no state).
    pub fn extend(&mut self, t: f64) {
        self.first_s = Some(self.first_s.map_or(t, |f| f.min(t)));
        self.last_s = self.last_s.max(t);
    }

    /// Ends one log: the servers still present are censored at its last
    /// row's time, and the next log starts afresh.
    pub fn end_log(&mut self) {
        let end = self.last_s;
        for server in std::mem::take(&mut self.servers).into_values() {
            let tally = &mut self.kinds[slot(server.kind)];
            if !server.status.is_empty() && !server.deleting && !server.frozen {
                *tally.status_time.entry(server.status.clone()).or_default() +=
                    end - server.status_since;
                if server.locked {
                    *tally.locked_time.entry(server.status.clone()).or_default() +=
                        end - server.status_since;
                }
            }
            if let Some(s) = server.prone_since {
                tally.exposure_s += end - s;
            }
            if let Some(s) = server.clock_since {
                tally.fault_clock.add(end - s, false);
            }
            if let Some(s) = server.error_since {
                tally.repair.add(end - s, false);
            }
            // Still frozen: it may renew yet, or never (then the retention
            // would delete it); counted as a renewal not seen yet, since
            // dropping it would keep only the quick renewals.
            if let Some(s) = server.frozen_since {
                tally.renew_delay.add(end - s, false);
            }
            if let (Some(c), false) = (server.created_s, server.deleting) {
                tally.lifetime.add(end - c, false);
            }
        }
        // The retention: the time frozen before a deletion, which the
        // model holds fixed (the longest seen), else the default.
        for k in &mut self.kinds {
            let retention = k
                .retention
                .events
                .iter()
                .copied()
                .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))))
                .unwrap_or(crate::scenario::defaults::RETENTION.as_secs_f64());
            let kept = &k.renewal_freezes.events;
            if !kept.is_empty() {
                let early = kept.iter().filter(|&&f| f <= end - retention).count();
                k.renewed_in_time += (k.renewal_freezes.n_events as f64 * early as f64
                    / kept.len() as f64)
                    .round() as u64;
            }
            k.renewal_freezes = Sample::default();
        }
        if let Some(first) = self.first_s.take() {
            self.observed_s += end - first;
            self.logs += 1;
            self.first_origin_unix_s.get_or_insert(self.origin_unix_s);
            // The time observed, hour of the week by hour of the week:
            // whole weeks at once (a log may span years, or a mangled time
            // ages), then the rest hour by hour.
            let (from, to) = (self.origin_unix_s + first, self.origin_unix_s + end);
            let week_s = HOURS_A_WEEK as f64 * 3600.0;
            let weeks = ((to - from) / week_s).floor();
            if weeks >= 1.0 {
                for seen in &mut self.observed_by_hour {
                    *seen += weeks * 3600.0;
                }
            }
            let mut t = from + weeks.max(0.0) * week_s;
            // At most a week of hours is left (more only where the times
            // are too large to count seconds in, which the bound stops).
            for _ in 0..=HOURS_A_WEEK {
                if t >= to {
                    break;
                }
                let next = ((t / 3600.0).floor() + 1.0) * 3600.0;
                self.observed_by_hour[hour_of_week(t)] += next.min(to) - t;
                t = next;
            }
        }
        self.origin_unix_s = TRACE_ORIGIN_UNIX_S;
        self.last_s = 0.0;
    }
}

/// Whether a BMS state is a step of `[bms.steps]` (not the error or
/// stable states the machine also names).
fn is_bms_step(name: &str) -> bool {
    matches!(
        name,
        "creating"
            | "starting"
            | "stopping"
            | "restarting"
            | "forcibly_restarting"
            | "deleting"
            | "rebuilding"
            | "reinstalling_os"
    )
}
