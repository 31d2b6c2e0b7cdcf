//! Human-readable views: the model tables (`fleetsim states`), the one-screen
//! summary of a validated scenario (`fleetsim validate`), and the short report
//! after a run.

use crate::model::{Kind, Op, Status, bms, ecs};
use crate::results::RunReport;
use crate::scenario::{Behaviour, InitialFleet, KindSpec, MixEntry, Scenario};
use std::fmt::Write;

/// The same tables as [`states`], as JSON: per kind, every state with its
/// status and API fields, and every operation with where it is allowed and
/// the path it takes from each state (`fleetsim states --json`).
pub fn states_json() -> String {
    use crate::model::api::{self, Shown};
    use crate::model::{Machine, StateId, Target};
    use serde_json::{Value, json};
    /// A fixed value, or "previous" where the state before decides.
    fn shown<T: serde::Serialize>(v: Shown<T>) -> Value {
        match v {
            Shown::Fixed(v) => json!(v),
            Shown::Previous => json!("previous"),
        }
    }
    fn kind(m: &Machine) -> Value {
        let name = |s: StateId| m.state_names[s.index()].clone();
        let states: Vec<Value> = (0..m.n_states())
            .map(|i| {
                let id = StateId(i as u8);
                let f = api::api_fields(m, id);
                json!({
                    "state": name(id),
                    "status": m.status[i].map_or(json!("origin"), |s| json!(s.name())),
                    "stable": m.duration_key[i].is_none(),
                    "vm_state": shown(f.vm_state),
                    "task_state": f.task_state,
                    "power_state": shown(f.power_state),
                })
            })
            .collect();
        let target = |t: Option<Target>| match t {
            Some(Target::State(s)) => json!(name(s)),
            Some(Target::Origin) => json!("origin"),
            Some(Target::Saved) => json!("saved"),
            Some(Target::Removed) => json!("removed"),
            None => Value::Null,
        };
        let ops: Vec<Value> = m
            .ops
            .iter()
            .map(|&op| {
                let routes: Vec<(Option<StateId>, crate::model::Route)> = if op == Op::Create {
                    vec![(None, m.create_route)]
                } else {
                    (0..m.n_states())
                        .map(|i| StateId(i as u8))
                        .filter_map(|s| m.route(op, s).map(|p| (Some(s), *p)))
                        .collect()
                };
                let action = api::action_of(op);
                json!({
                    "operation": op.name(),
                    "action": action.name,
                    "type": action.reboot_type,
                    "admin": m.is_admin(op),
                    "allowed_when_never_launched": m.unlaunched_ops.contains(&op),
                    "default_failure": m.default_outcome[op.index()].name(),
                    "allowed_from": if op.is_flag_op() { json!("any") } else {
                        json!(routes.iter().filter_map(|(s, _)| s.map(name)).collect::<Vec<_>>())
                    },
                    "paths": routes.iter().map(|(from, p)| json!({
                        "from": from.map(name),
                        "through": p.steps().iter().map(|&s| name(s)).collect::<Vec<_>>(),
                        "success": target(Some(p.success)),
                        "error": target(p.error),
                        "rollback": target(Some(p.rollback)),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({"states": states, "operations": ops})
    }
    let status_map: Vec<Value> = ecs::STATUS_MAP
        .iter()
        .flat_map(|(vm, tasks, st)| {
            tasks.iter().map(move |t| {
                json!({"vm_state": vm.name(), "task_state": t.map(|t| t.name()), "status": st.name()})
            })
        })
        .collect();
    let doc = json!({
        "statuses": Status::ALL.iter().map(|s| s.name()).collect::<Vec<_>>(),
        "ecs": {"status_map": status_map, "unknown": "UNKNOWN", "machine": kind(&ecs::machine(false))},
        "bms": {"machine": kind(&bms::machine(false))},
        "power_states": {"0": "NOSTATE", "1": "RUNNING", "4": "SHUTDOWN"},
    });
    serde_json::to_string_pretty(&doc).expect("JSON of plain values")
}

/// The ECS status map, the ECS operation table, the BMS state table and the
/// BMS transition table, exactly as the simulator uses them.
pub fn states() -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "ECS status map (docs/model.md §1): vm_state + task_state -> status"
    );
    let _ = writeln!(s, "  {:<9} {:<68} status", "vm_state", "task_state");
    for (vm, tasks, st) in ecs::STATUS_MAP {
        let t: Vec<&str> = tasks
            .iter()
            .map(|t| t.map_or("null", |t| t.name()))
            .collect();
        let _ = writeln!(s, "  {:<9} {:<68} {}", vm.name(), t.join(", "), st.name());
    }
    let _ = writeln!(
        s,
        "  any other pair                                                               UNKNOWN (never produced)"
    );
    let m = ecs::machine(false);
    let _ = writeln!(
        s,
        "\nECS operations (docs/model.md §2): allowed only with task_state null"
    );
    let _ = writeln!(
        s,
        "  {:<15} {:<22} {:<70} failure default",
        "operation", "allowed from", "task_state steps"
    );
    for row in ecs::OPS {
        let from: Vec<&str> = row.from.iter().map(|v| v.name()).collect();
        let steps: Vec<&str> = row.steps.iter().map(|t| t.name()).collect();
        let from = if row.op == Op::Create {
            "(new)".to_string()
        } else {
            from.join(", ")
        };
        let _ = writeln!(
            s,
            "  {:<15} {:<22} {:<70} {}",
            row.op.name(),
            from,
            if steps.is_empty() {
                "(immediate)".to_string()
            } else {
                steps.join(" -> ")
            },
            row.default_outcome.name()
        );
    }
    let _ = writeln!(
        s,
        "  {:<15} {:<22} (flag only)",
        "lock, unlock", "any state"
    );
    let never: Vec<&str> = ecs::NEVER_LAUNCHED_ALLOWED
        .iter()
        .map(|o| o.name())
        .collect();
    let _ = writeln!(
        s,
        "  a server whose first build failed accepts only: {}, lock, unlock",
        never.join(", ")
    );
    let _ = writeln!(
        s,
        "  admin actions (not blocked by a lock): {}",
        names(m.admin_ops)
    );

    let _ = writeln!(s, "\nBMS lifecycle states (docs/model.md §3)");
    let _ = writeln!(s, "  {:<24} {:<13} status", "state", "kind");
    for (st, stab, status) in bms::STATES {
        let status = status.map_or("status of the state it came from".to_string(), |x| {
            x.name().to_string()
        });
        let stab = match stab {
            bms::Stability::Stable => "stable",
            bms::Stability::Intermediate => "intermediate",
        };
        let _ = writeln!(s, "  {:<24} {:<13} {}", st.name(), stab, status);
    }
    let _ = writeln!(s, "\nBMS transitions");
    let _ = writeln!(
        s,
        "  {:<14} {:<66} {:<20} {:<24} on failure",
        "operation", "from", "through", "to"
    );
    for t in bms::TRANSITIONS {
        let from: Vec<&str> = t.from.iter().map(|b| b.name()).collect();
        let from = if t.op == Op::Create {
            "(new)".to_string()
        } else {
            from.join(", ")
        };
        let through: Vec<&str> = t.through.iter().map(|b| b.name()).collect();
        let to = match t.to {
            bms::To::State(b) => b.name().to_string(),
            bms::To::RepairTarget => "running (or stopped)".to_string(),
        };
        let _ = writeln!(
            s,
            "  {:<14} {:<66} {:<20} {:<24} {}",
            t.op.name(),
            from,
            if through.is_empty() {
                "-".to_string()
            } else {
                through.join(", ")
            },
            to,
            t.on_failure.map_or("cannot fail", |b| b.name())
        );
    }
    let faulty: Vec<&str> = bms::FAULT_PRONE.iter().map(|b| b.name()).collect();
    let _ = writeln!(
        s,
        "  {:<14} {:<66} {:<20} faulty",
        "fault",
        faulty.join(", "),
        "-"
    );
    let _ = writeln!(s, "  {:<14} any state (flag only)", "lock, unlock");
    let m = bms::machine(false);
    let _ = writeln!(
        s,
        "  admin actions (not blocked by a lock): {}",
        names(m.admin_ops)
    );
    capacity_tables(&mut s);
    s
}

/// What holds capacity and what each operation claims, from the tables
/// the simulation consults.
fn capacity_tables(s: &mut String) {
    use crate::capacity::{Claim, claim_of};
    let _ = writeln!(
        s,
        "\nCapacity (with a [capacity] section)\n  every state holds its host except ECS deleted:null and BMS deleted; stopped_releases = true also frees ECS stopped:null; ecs_holds / bms_holds override any state"
    );
    for (claim, what) in [
        (
            Claim::NewFlavor,
            "a second host for the new flavor, held until confirm or revert",
        ),
        (
            Claim::Destination,
            "a second host, held until the move ends",
        ),
        (
            Claim::Host,
            "a host, if the server holds none (refused if there is no room)",
        ),
        (Claim::Nothing, "nothing"),
    ] {
        let ops: Vec<Op> = Op::ALL
            .iter()
            .copied()
            .filter(|&op| claim_of(op) == claim && op != Op::Create)
            .collect();
        let _ = writeln!(s, "  claims {what}: {}", names(&ops));
    }
    let _ = writeln!(
        s,
        "  create is placed as its scheduling step ends (ECS) or at once (BMS); a failed build is retried on another host up to build_attempts"
    );
}

fn names(ops: &[Op]) -> String {
    ops.iter().map(|o| o.name()).collect::<Vec<_>>().join(", ")
}

fn days(t: crate::engine::SimTime) -> String {
    human(t.as_secs_f64())
}

/// Seconds as a short human duration.
pub fn human(secs: f64) -> String {
    if secs >= 86_400.0 {
        format!("{:.3} d", secs / 86_400.0).replace(".000 d", " d")
    } else if secs >= 3600.0 {
        format!("{:.2} h", secs / 3600.0)
    } else if secs >= 60.0 {
        format!("{:.1} min", secs / 60.0)
    } else {
        format!("{secs:.1} s")
    }
}

/// One screen describing a validated plan: its scenario (the first point),
/// and the sweep, if any.
pub fn plan(plan: &crate::scenario::sweep::Plan, file: &str) -> String {
    let mut s = scenario(&plan.points[0].scenario, file);
    let sc = &plan.points[0].scenario;
    if sc.replications > 1 {
        let _ = writeln!(
            s,
            "\n  {} independent replications per point",
            sc.replications
        );
    }
    if plan.is_sweep() {
        let _ = writeln!(
            s,
            "\n  sweep: {} points ({} runs in all); the summary above is point 0",
            plan.points.len(),
            plan.points.len() * sc.replications as usize
        );
        for (i, path) in plan.params.iter().enumerate() {
            let mut seen: Vec<String> = Vec::new();
            for p in &plan.points {
                let v = crate::scenario::sweep::display(&p.values[i]);
                if !seen.contains(&v) {
                    seen.push(v);
                }
            }
            let _ = writeln!(s, "    {path} = [{}]", seen.join(", "));
        }
    }
    s
}

/// One screen describing a validated scenario.
pub fn scenario(sc: &Scenario, file: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{file}: valid scenario \"{}\"", sc.name);
    let _ = writeln!(
        s,
        "  seed {}, horizon {}, warmup {} (excluded from statistics), sample every {}",
        sc.seed,
        days(sc.horizon),
        days(sc.warmup),
        days(sc.sample_interval)
    );
    for &kind in Kind::ALL {
        if let Some(k) = sc.kind(kind) {
            kind_summary(&mut s, k, sc);
        }
    }
    if let Some(c) = &sc.capacity {
        capacity_summary(&mut s, c);
    }
    s
}

fn gib(mib: u64) -> String {
    let g = mib as f64 / 1024.0;
    if g == g.trunc() {
        format!("{g} GiB")
    } else {
        format!("{g:.2} GiB")
    }
}

fn capacity_summary(s: &mut String, c: &crate::scenario::CapacitySpec) {
    let _ = writeln!(
        s,
        "\n  [capacity] placement {}, up to {} build attempts, auto-recovery {}, stopped ECS {} their host",
        c.placement.name(),
        c.build_attempts,
        if c.auto_recovery {
            format!(
                "on (at most once per {} per server, after {} mean {})",
                days(c.recovery_interval),
                c.recovery_delay.name(),
                human(c.recovery_delay.mean_s())
            )
        } else {
            "off".into()
        },
        if c.stopped_releases {
            "release"
        } else {
            "keep"
        }
    );
    for (i, p) in c.pools.iter().enumerate() {
        let flavors: Vec<String> = c
            .flavors
            .iter()
            .filter(|f| f.pool == i)
            .map(|f| format!("{} ({} vCPU, {})", f.name, f.vcpus, gib(f.memory_mib)))
            .collect();
        let _ = writeln!(
            s,
            "  ECS pool {}: {} hosts × {} vCPU / {} (schedulable per host: {} vCPU, {}); flavors {}",
            p.name,
            p.hosts,
            p.vcpus,
            gib(p.memory_mib),
            p.vcpu_capacity(),
            gib(p.memory_capacity_mib()),
            flavors.join(", ")
        );
    }
    for p in &c.bms_pools {
        let _ = writeln!(s, "  BMS pool {}: {} nodes", p.flavor, p.nodes);
    }
    let clock = |f: &crate::capacity::spec::FailureClockSpec| {
        format!(
            "time to failure {} mean {}, repair {} mean {}",
            f.time_to_failure.name(),
            human(f.time_to_failure.mean_s()),
            f.repair.name(),
            human(f.repair.mean_s())
        )
    };
    match &c.host_failures {
        Some(f) => {
            let _ = writeln!(s, "  host failures: {}", clock(f));
        }
        None => {
            let _ = writeln!(s, "  host failures: none");
        }
    }
    for d in &c.domains {
        let _ = writeln!(
            s,
            "  failure domains \"{}\": {} per pool, {}",
            d.level,
            d.count,
            clock(&d.clock)
        );
    }
}

/// `1234 servers from fleet.json (ACTIVE 1100, SHUTOFF 80, ...)`: an
/// imported fleet, with how many servers show each status.
pub fn fleet_summary(kind: Kind, fleet: &InitialFleet) -> String {
    let m = match kind {
        Kind::Ecs => ecs::machine(false),
        Kind::Bms => bms::machine(false),
    };
    let mut counts = [0u64; Status::ALL.len()];
    for srv in &fleet.servers {
        counts[m.status_of(srv.state, srv.origin) as usize] += 1;
    }
    let shown: Vec<String> = Status::ALL
        .iter()
        .zip(counts)
        .filter(|&(_, n)| n > 0)
        .map(|(st, n)| format!("{} {n}", st.name()))
        .collect();
    let n = fleet.servers.len();
    format!(
        "{n} server{} from {}{}",
        if n == 1 { "" } else { "s" },
        fleet.path,
        if shown.is_empty() {
            String::new()
        } else {
            format!(" ({})", shown.join(", "))
        }
    )
}

/// The servers `unmodelled = "skip"` left out of an imported fleet, if
/// any: `3 servers skipped (unmodelled = "skip"): <id> (PAUSED), <id>
/// (task_state image_snapshot), ...`, naming the first
/// [`MAX_SKIPPED_LISTED`](crate::scenario::fleet_file::MAX_SKIPPED_LISTED),
/// then how many more.
pub fn skipped_summary(fleet: &InitialFleet) -> Option<String> {
    use crate::scenario::fleet_file::MAX_SKIPPED_LISTED;
    let n = fleet.skipped.len();
    if n == 0 {
        return None;
    }
    let mut named: Vec<String> = fleet
        .skipped
        .iter()
        .take(MAX_SKIPPED_LISTED)
        .map(|s| format!("{} ({})", s.id, s.reason.short()))
        .collect();
    if n > MAX_SKIPPED_LISTED {
        named.push(format!("and {} more", n - MAX_SKIPPED_LISTED));
    }
    Some(format!(
        "{n} server{} skipped (unmodelled = \"{}\"): {}",
        if n == 1 { "" } else { "s" },
        fleet.unmodelled.name(),
        named.join(", ")
    ))
}

/// A profile in words: its base and every factor, with the mean and peak
/// rate over the horizon; and that mean, per day.
fn profile_summary(p: &crate::demand::Profile, sc: &Scenario) -> (String, f64) {
    use crate::demand::{Base, Clock, Daily};
    let mut parts = vec![match &p.base {
        Base::Rate(r) => format!("{r}/day"),
        Base::Schedule(s) => format!("schedule {} ({} rows)", s.path, s.points.len()),
    }];
    let h = p.utc_offset_s.abs() / 3600;
    let m = p.utc_offset_s.abs() % 3600 / 60;
    let utc = format!(
        "UTC{}{h:02}:{m:02}",
        if p.utc_offset_s < 0 { '-' } else { '+' }
    );
    match &p.daily {
        Some(Daily::Hourly(_)) => parts.push(format!("× hourly shape ({utc})")),
        Some(Daily::Wave {
            amplitude,
            peak_hour,
        }) => parts.push(format!(
            "× daily wave ±{:.0}% peaking at {peak_hour}h ({utc})",
            amplitude * 100.0
        )),
        None => {}
    }
    if p.weekly.is_some() {
        parts.push("× weekly shape".into());
    }
    if let Some(g) = &p.growth {
        parts.push(format!(
            "× {} {:+}% every {}",
            if g.compound {
                "growth"
            } else {
                "linear growth"
            },
            g.by * 100.0,
            days(g.per)
        ));
    }
    if !p.windows.is_empty() {
        parts.push(format!(
            "× {} window{}",
            p.windows.len(),
            if p.windows.len() == 1 { "" } else { "s" }
        ));
    }
    let (n, peak) = Clock::new(p, sc.start_time, sc.horizon).integral_and_peak(sc.horizon);
    let mean = n / sc.horizon.as_secs_f64().max(1e-3) * 86_400.0;
    let text = format!(
        "{} (mean {mean:.1}/day, peak {peak:.1}/day over the horizon)",
        parts.join(" ")
    );
    (text, mean)
}

/// A trace in words: file, format, rows and span, and how it is mapped.
fn trace_summary(t: &crate::demand::trace::TraceSpec) -> String {
    let mut s = format!(
        "replayed from {} ({}, {} rows created from {} to {} of trace time",
        t.path,
        t.format.name(),
        t.rows,
        human(t.span_s.0),
        human(t.span_s.1)
    );
    if t.offset != crate::engine::SimTime::ZERO {
        let _ = write!(s, ", starting at {}", days(t.offset));
    }
    if t.time_scale != 1.0 {
        let _ = write!(s, ", time ×{}", t.time_scale);
    }
    if t.demand_scale != 1.0 {
        let _ = write!(s, ", demand ×{}", t.demand_scale);
    }
    s.push(')');
    s
}

fn kind_summary(s: &mut String, k: &KindSpec, sc: &Scenario) {
    let _ = writeln!(s, "\n  [{}]", k.kind.name());
    let initial = match &k.initial_fleet {
        Some(f) => fleet_summary(k.kind, f),
        None => k.initial.to_string(),
    };
    // The arrivals in words, and their mean rate per day over the horizon.
    let (arrivals, mean_rate) = match (&k.arrival_profile, &k.arrival_trace) {
        (Some(p), _) => profile_summary(p, sc),
        (_, Some(t)) => (trace_summary(t), k.arrivals_per_day),
        _ => (format!("{}/day", k.arrivals_per_day), k.arrivals_per_day),
    };
    let _ = write!(s, "  initial fleet {initial}, arrivals {arrivals}");
    // Servers per create request: 1 without deployments.
    let per_request = k.deployment.as_ref().map_or(1.0, |d| d.mean_size());
    match &k.lifetime {
        _ if k.arrival_trace.is_some() => {
            let _ = writeln!(
                s,
                ", lifetimes from the trace{}",
                k.lifetime.as_ref().map_or(String::new(), |l| format!(
                    " (the initial fleet's: {} mean {})",
                    l.name(),
                    human(l.mean_s())
                ))
            );
        }
        Some(l) => {
            let mean_days = l.mean_s() / 86_400.0;
            let servers = if k.deployment.is_some() {
                " × servers per request"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                ", lifetime {} mean {}\n  steady-state population by Little's law ≈ {:.0} (arrivals{servers} × mean lifetime)",
                l.name(),
                human(l.mean_s()),
                mean_rate * per_request * mean_days
            );
        }
        None => {
            let _ = writeln!(s, ", servers are never deleted at end of life");
        }
    }
    if let Some(skipped) = k.initial_fleet.as_deref().and_then(skipped_summary) {
        let _ = writeln!(s, "  initial_fleet: {skipped}");
    }
    let shares = |mix: &[MixEntry]| -> String {
        let total: f64 = mix.iter().map(|m| m.weight).sum();
        let shown: Vec<String> = mix
            .iter()
            .map(|m| format!("{} {:.0}%", m.op.name(), 100.0 * m.weight / total))
            .collect();
        if shown.is_empty() {
            "none".into()
        } else {
            shown.join(", ")
        }
    };
    match &k.behaviour {
        Behaviour::Blind => {
            let _ = writeln!(
                s,
                "  user operations {}/server/day: {}",
                k.ops_rate_per_day,
                shares(&k.ops_mix)
            );
        }
        Behaviour::ByStatus(by) => {
            let _ = writeln!(
                s,
                "  user operations {}/server/day, by the status the server shows (nothing asked in other statuses):",
                k.ops_rate_per_day
            );
            for sm in by {
                let _ = writeln!(s, "    {}: {}", sm.status.name(), shares(&sm.mix));
            }
        }
    }
    let fails: Vec<String> = k
        .failures
        .iter()
        .filter(|f| f.prob > 0.0)
        .map(|f| format!("{} {} -> {}", f.op.name(), f.prob, f.outcome.name()))
        .collect();
    let _ = writeln!(
        s,
        "  operation failures: {}",
        if fails.is_empty() {
            "none".into()
        } else {
            fails.join(", ")
        }
    );
    match &k.faults.time_to_fault {
        Some(t) => {
            let _ = write!(
                s,
                "  faults: time to fault {} mean {}",
                t.name(),
                human(t.mean_s())
            );
        }
        None => {
            let _ = write!(s, "  faults: none");
        }
    }
    match &k.faults.repair {
        Some(r) => {
            let _ = writeln!(s, "; admin repair {} mean {}", r.name(), human(r.mean_s()));
        }
        None => {
            let _ = writeln!(s, "; no admin repair");
        }
    }
    let wd: Vec<String> = k
        .watchdog
        .iter()
        .map(|w| format!("{} {}", w.op.name(), w.timeout.map_or("off".into(), days)))
        .collect();
    let _ = writeln!(s, "  watchdogs: {}", wd.join(", "));
    if let Some(r) = &k.resize {
        let _ = writeln!(
            s,
            "  resize: confirmed with probability {} after {} mean {}; auto-confirm {}",
            r.confirm_prob,
            r.decision_delay.name(),
            human(r.decision_delay.mean_s()),
            r.auto_confirm.map_or("off".into(), days)
        );
    }
    if let Some(f) = &k.freeze {
        let _ = writeln!(
            s,
            "  freeze: {:.3}/server/year; renewed with probability {} after mean {}; deleted after {} retention",
            f.rate_per_day * 365.0,
            f.renew_prob,
            human(f.renew_delay.mean_s()),
            days(f.retention)
        );
    }
    if let Some(d) = &k.deployment {
        deployment_summary(s, k, d);
    }
}

/// `deployments: 1 server 70%, 2 20%, 5 10% (mean 1.7 servers, 68/day); ...`
fn deployment_summary(s: &mut String, k: &KindSpec, d: &crate::scenario::DeploymentSpec) {
    let total: f64 = d.sizes.iter().map(|z| z.weight).sum();
    let mean = d.mean_size();
    let sizes: Vec<String> = d
        .sizes
        .iter()
        .map(|z| format!("{} ({:.0}%)", z.size, 100.0 * z.weight / total))
        .collect();
    let _ = writeln!(
        s,
        "  deployments: servers per create request {}; mean {mean:.2}, so {:.1} servers/day; one flavor each, scheduled as a whole",
        sizes.join(", "),
        k.arrivals_per_day * mean
    );
    if d.groups.is_empty() {
        return;
    }
    let mut rest = 1.0;
    let mut groups: Vec<String> = Vec::new();
    for g in &d.groups {
        rest -= g.prob;
        let rule = if g.policy == crate::scenario::GroupPolicy::AntiAffinity {
            format!(" (at most {} per host)", d.max_server_per_host)
        } else {
            String::new()
        };
        groups.push(format!("{} {:.0}%{rule}", g.policy.name(), 100.0 * g.prob));
    }
    groups.push(format!("no group {:.0}%", 100.0 * rest.max(0.0)));
    let _ = writeln!(s, "  server groups: {}", groups.join(", "));
}

/// The short human summary printed after a run: with several replications,
/// shares are the mean across them with a 95% confidence interval.
pub fn report(r: &RunReport, out: &std::path::Path) -> String {
    if !r.params.is_empty() {
        return sweep_report(r, out);
    }
    use crate::ci::Estimate;
    use crate::output::summary::status_share;
    let study = &r.points[0].study;
    let sc = &study.scenario;
    let n = study.runs.len();
    let mut s = String::new();
    let ev: u64 = study.runs.iter().map(|o| o.counters.events).sum();
    let _ = writeln!(
        s,
        "fleetsim {}: \"{}\" seed {}, {} simulated ({} warmup){}",
        env!("CARGO_PKG_VERSION"),
        sc.name,
        sc.seed,
        days(sc.horizon),
        days(sc.warmup),
        if n > 1 {
            format!(", {n} replications")
        } else {
            String::new()
        }
    );
    let created: u64 = study.runs.iter().map(|o| o.servers_created).sum();
    let peak = study.runs.iter().map(|o| o.peak_slots).max().unwrap_or(0);
    let _ = writeln!(
        s,
        "  servers: {created} created (initial fleet included), peak {peak} at once"
    );
    for &kind in Kind::ALL {
        if let Some(f) = sc.kind(kind).and_then(|k| k.initial_fleet.as_ref()) {
            let _ = writeln!(
                s,
                "  {} initial fleet: {}",
                kind.name(),
                fleet_summary(kind, f)
            );
            if let Some(skipped) = skipped_summary(f) {
                let _ = writeln!(s, "  {} initial_fleet: {skipped}", kind.name());
            }
        }
    }
    let _ = writeln!(
        s,
        "  events: {} in {:.2} s wall ({:.2} M events/s)",
        ev,
        r.wall_seconds,
        ev as f64 / r.wall_seconds.max(1e-9) / 1e6
    );
    let window = sc.window().ms() as f64;
    for &kind in Kind::ALL {
        if sc.kind(kind).is_none() {
            continue;
        }
        let est = |f: &dyn Fn(&crate::results::Outcomes) -> Option<f64>| -> String {
            let xs: Vec<f64> = study.runs.iter().filter_map(f).collect();
            percent(&xs, 2)
        };
        let pops: Vec<f64> = study
            .runs
            .iter()
            .filter_map(|o| o.stats(kind))
            .map(|st| {
                if window > 0.0 {
                    st.population.area(0) as f64 / window
                } else {
                    0.0
                }
            })
            .collect();
        let pop = Estimate::of(&pops).map_or(0.0, |e| e.mean);
        if without_servers(study, kind) {
            let _ = writeln!(
                s,
                "  {}: no servers from warmup to horizon (no shares of instance-time, no availability)",
                kind.name()
            );
            continue;
        }
        let _ = writeln!(
            s,
            "  {}: mean population {:.1}; ACTIVE {}, SHUTOFF {}, ERROR {} of instance-time; availability {}",
            kind.name(),
            pop,
            est(&|o| status_share(o, kind, Status::Active)),
            est(&|o| status_share(o, kind, Status::Shutoff)),
            est(&|o| status_share(o, kind, Status::Error)),
            est(&|o| o.stats(kind).and_then(|st| st.availability()))
        );
    }
    capacity_report(&mut s, study);
    let top: Vec<&str> = r
        .files
        .iter()
        .filter(|f| !f.contains('/'))
        .map(|f| f.as_str())
        .collect();
    let _ = writeln!(s, "  wrote {}: {}", out.display(), top.join(", "));
    if n > 1 && r.files.iter().any(|f| f.contains('/')) {
        let _ = writeln!(
            s,
            "  and each replication's own files in {}/{}<r>/",
            out.display(),
            crate::output::REPLICATION_DIR
        );
    }
    s
}

/// Whether `kind` had no servers from warmup to horizon in any
/// replication: no instance-time, so no shares of it and no availability
/// to report (not zeros, which would read as measured).
fn without_servers(study: &crate::results::Study, kind: Kind) -> bool {
    study
        .runs
        .iter()
        .all(|o| o.stats(kind).is_none_or(|st| st.population.area(0) == 0))
}

/// A share across replications as a percentage with `digits` decimals:
/// the mean, ± the 95% CI half-width when there are several values.
fn percent(xs: &[f64], digits: usize) -> String {
    match crate::ci::Estimate::of(xs) {
        Some(e) if e.n > 1 => format!(
            "{:.digits$}% ± {:.digits$}",
            100.0 * e.mean,
            100.0 * (e.ci95_high - e.mean)
        ),
        Some(e) => format!("{:.digits$}%", 100.0 * e.mean),
        None => "-".into(),
    }
}

/// One line per pool: utilisation, blocking, refused moves, failures and
/// recovery (means across replications; blocking with its 95% CI).
fn capacity_report(s: &mut String, study: &crate::results::Study) {
    use crate::ci::Estimate;
    use crate::output::pools::Metrics;
    let Some(first) = study.runs.first() else {
        return;
    };
    let window = study.scenario.window().ms() as f64;
    for (i, pool) in first.pools.iter().enumerate() {
        let runs: Vec<Metrics> = study
            .runs
            .iter()
            .filter_map(|o| Some(Metrics::of(o.pools.get(i)?, window)))
            .collect();
        let xs = |column: fn(&Metrics) -> Option<f64>| -> Vec<f64> {
            runs.iter().filter_map(column).collect()
        };
        let mean = |column| Estimate::of(&xs(column)).map_or(f64::NAN, |e| e.mean);
        let pct = |column| format!("{:.1}%", 100.0 * mean(column));
        let blocked = percent(&xs(|m| m.blocked_share), 2);
        let moves = if pool.kind == Kind::Ecs {
            format!(
                "; resizes refused {:.1}, migrations refused {:.1}",
                mean(|m| m.resizes_refused),
                mean(|m| m.migrations_refused)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "  pool {} ({}, {} hosts): utilisation mean {}, p99 {}, peak {}; creates {:.1}, blocked {}{moves}",
            pool.name,
            pool.kind.name(),
            pool.hosts,
            pct(|m| m.utilisation_mean),
            pct(|m| m.utilisation_p99),
            pct(|m| m.utilisation_peak),
            mean(|m| m.creates),
            blocked,
        );
        if mean(|m| m.deployments) > 0.0 {
            let groups: Vec<String> = [
                (
                    "affinity",
                    mean(|m| m.groups_requested_affinity),
                    mean(|m| m.groups_refused_affinity),
                ),
                (
                    "anti-affinity",
                    mean(|m| m.groups_requested_anti_affinity),
                    mean(|m| m.groups_refused_anti_affinity),
                ),
                (
                    "soft-anti-affinity",
                    mean(|m| m.groups_requested_soft_anti_affinity),
                    mean(|m| m.groups_refused_soft_anti_affinity),
                ),
                (
                    "soft-affinity",
                    mean(|m| m.groups_requested_soft_affinity),
                    mean(|m| m.groups_refused_soft_affinity),
                ),
            ]
            .into_iter()
            .filter(|g| g.1 > 0.0)
            .map(|(name, asked, refused)| format!("{name} {asked:.1} (refused {refused:.1})"))
            .collect();
            let groups = if groups.is_empty() {
                String::new()
            } else {
                format!("; server groups: {}", groups.join(", "))
            };
            let _ = writeln!(
                s,
                "    deployments scheduled as a whole {:.1}, refused whole {:.1}{groups}",
                mean(|m| m.deployments),
                mean(|m| m.deployments_refused),
            );
        }
        if mean(|m| m.host_failures) + mean(|m| m.domain_failures) > 0.0 {
            let recovery = if pool.kind == Kind::Ecs {
                format!(
                    "; evacuated {:.1}, stranded {:.1}, throttled {:.1}",
                    mean(|m| m.evacuations),
                    mean(|m| m.evacuations_stranded),
                    mean(|m| m.recoveries_throttled)
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "    host failures {:.1} hitting {:.1} servers, domain failures {:.1} hitting {:.1}{recovery}",
                mean(|m| m.host_failures),
                mean(|m| m.host_failure_hits),
                mean(|m| m.domain_failures),
                mean(|m| m.domain_failure_hits),
            );
        }
        if mean(|m| m.initial_unplaced) > 0.0 {
            let _ = writeln!(
                s,
                "    warning: {:.1} servers of the initial fleet (mean per replication) fitted on no host and were not created",
                mean(|m| m.initial_unplaced)
            );
        }
    }
}

/// The report of a sweep: per point, the swept values, then per kind the
/// ERROR share and availability (mean ± 95% CI half-width with replications).
fn sweep_report(r: &RunReport, out: &std::path::Path) -> String {
    use crate::output::summary::status_share;
    let sc = &r.points[0].study.scenario;
    let n = r.points[0].study.runs.len();
    let events: u64 = r
        .points
        .iter()
        .flat_map(|p| &p.study.runs)
        .map(|o| o.counters.events)
        .sum();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "fleetsim {}: \"{}\" sweep of {} points × {n} replication{}, seed {}, {} simulated each",
        env!("CARGO_PKG_VERSION"),
        sc.name,
        r.points.len(),
        if n == 1 { "" } else { "s" },
        sc.seed,
        days(sc.horizon)
    );
    let _ = writeln!(
        s,
        "  events: {} in {:.2} s wall ({:.2} M events/s)",
        events,
        r.wall_seconds,
        events as f64 / r.wall_seconds.max(1e-9) / 1e6
    );
    let fmt = |xs: Vec<f64>| percent(&xs, 3);
    for (i, p) in r.points.iter().enumerate() {
        let values: Vec<String> = r
            .params
            .iter()
            .zip(&p.values)
            .map(|(k, v)| format!("{k} = {}", crate::scenario::sweep::display(v)))
            .collect();
        let _ = write!(s, "  point {i}: {}", values.join(", "));
        for &kind in Kind::ALL {
            if p.study.scenario.kind(kind).is_none() {
                continue;
            }
            if without_servers(&p.study, kind) {
                let _ = write!(s, "; {} no servers", kind.name());
                continue;
            }
            let err = fmt(p
                .study
                .runs
                .iter()
                .filter_map(|o| status_share(o, kind, Status::Error))
                .collect());
            let avail = fmt(p
                .study
                .runs
                .iter()
                .filter_map(|o| o.stats(kind).and_then(|st| st.availability()))
                .collect());
            let _ = write!(s, "; {} ERROR {err}, availability {avail}", kind.name());
        }
        let window = p.study.scenario.window().ms() as f64;
        for (i, pool) in p.study.runs[0].pools.iter().enumerate() {
            let share = fmt(p
                .study
                .runs
                .iter()
                .filter_map(|o| {
                    crate::output::pools::Metrics::of(o.pools.get(i)?, window).blocked_share
                })
                .collect());
            let _ = write!(s, "; pool {} blocked {share}", pool.name);
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "  wrote {}: sweep.csv, sweep_long.csv, results.json, manifest.json, and each point's results in point-<i>/",
        out.display()
    );
    s
}

/// Snapshots of every view, so that a change to what fleetsim prints is
/// seen in review (`cargo insta review`, or `INSTA_UPDATE=always cargo test`
/// to accept). Runs are short and their wall time is fixed at 1 s.
/// The report of `fleetsim plan`: per pool, the answer and the candidate
/// just below it (or why there is none), any candidate whose verdict breaks
/// monotonicity, and a table of every candidate evaluated.
pub fn plan_report(r: &crate::plan::PlanReport, out: &std::path::Path) -> String {
    use crate::plan::{Comparison, Verdict};
    let sc = &r.scenario;
    let t = &r.target;
    // Two more decimals than the target is written with.
    let decimals = t.written.split_once('.').map_or(0, |(_, d)| d.len()) + 2;
    let x = |v: f64| {
        if !v.is_finite() {
            return "-".to_string();
        }
        let s = format!("{v:.decimals$}");
        // A value that rounds to zero is shown without its sign.
        match s.strip_prefix('-') {
            Some(abs) if abs.chars().all(|c| c == '0' || c == '.') => abs.to_string(),
            _ => s,
        }
    };
    let (meets, misses) = match t.comparison {
        Comparison::AtMost => ("≤", ">"),
        Comparison::AtLeast => ("≥", "<"),
    };
    let interval = |c: &crate::plan::Candidate| {
        let mean = c.estimate.map_or(f64::NAN, |e| e.mean);
        format!("{} [{}, {}]", x(mean), x(c.low), x(c.high))
    };
    let reps = |c: &crate::plan::Candidate| {
        let n = c.replications();
        format!("{n} replication{}", if n == 1 { "" } else { "s" })
    };
    let said = |c: &crate::plan::Candidate| match c.verdict {
        Verdict::Pass => format!("{meets} {}", t.written),
        Verdict::Fail => format!("{misses} {}", t.written),
        Verdict::Undecided => format!("undecided against {}", t.written),
    };
    // To 6 decimals: 100 × 0.07 is 7.000000000000001 as a double.
    let level = (100.0 * r.confidence * 1e6).round() / 1e6;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "fleetsim {}: plan for \"{}\", seed {}, {} simulated ({} warmup) per replication",
        env!("CARGO_PKG_VERSION"),
        sc.name,
        sc.seed,
        days(sc.horizon),
        days(sc.warmup)
    );
    let _ = writeln!(
        s,
        "  target {t} at {level}% confidence; each candidate runs {} replications, up to {} while undecided",
        r.start_replications, r.max_replications
    );
    if !r.replaced_sweep.is_empty() {
        let _ = writeln!(
            s,
            "  the file's [sweep] of {} is replaced by the search",
            r.replaced_sweep.join(", ")
        );
    }
    for p in &r.pools {
        let unit = if p.kind == Kind::Bms {
            "nodes"
        } else {
            "hosts"
        };
        match p.answer {
            Some(a) => {
                let c = p.candidate(a).expect("the answer was evaluated");
                let _ = write!(
                    s,
                    "{}: {a} {unit} ({} {} {} with {})",
                    p.pool,
                    t.metric.name(),
                    interval(c),
                    said(c),
                    reps(c)
                );
                match p.candidate(a.wrapping_sub(1)) {
                    Some(below) => {
                        let _ = write!(
                            s,
                            "; {} {unit}: {} {}",
                            below.hosts,
                            interval(below),
                            said(below)
                        );
                        if below.replications() != c.replications() {
                            let _ = write!(s, " with {}", reps(below));
                        }
                        let _ = writeln!(s);
                    }
                    None => {
                        let _ = writeln!(s, "; {a} is --min, nothing smaller was tried");
                    }
                }
            }
            None => {
                let c = p.candidate(p.max).expect("--max was evaluated");
                let why = match c.verdict {
                    Verdict::Undecided => "raise --max, or --max-replications to decide",
                    _ => "raise --max",
                };
                let _ = writeln!(
                    s,
                    "{}: no answer from {} to {} {unit}: at {} {unit} (--max) {} is {} {} with {}; {why}",
                    p.pool,
                    p.min,
                    p.max,
                    p.max,
                    t.metric.name(),
                    interval(c),
                    said(c),
                    reps(c)
                );
            }
        }
        if !p.out_of_order.is_empty() {
            let sizes: Vec<String> = p
                .out_of_order
                .iter()
                .map(|h| {
                    let v = p.candidate(*h).map_or("?", |c| c.verdict.name());
                    format!("{h} {unit} ({v})")
                })
                .collect();
            let _ = writeln!(
                s,
                "warning: {}: these verdicts break monotonicity around the answer {} (a pass below it, or a miss at or above it): {}; the search assumes more {unit} never hurt, so check these sizes with more replications, or the scenario",
                p.pool,
                p.answer.map_or("-".into(), |a| a.to_string()),
                sizes.join(", ")
            );
        }
        let name = t.metric.name();
        let ci = format!("{level}% CI");
        let width = 2 * decimals + 10;
        let _ = writeln!(
            s,
            "  {unit:>7}  replications  {name:<w$}  {ci:<width$}  verdict",
            w = name.len().max(decimals + 4)
        );
        for c in &p.candidates {
            let mean = c.estimate.map_or(f64::NAN, |e| e.mean);
            let _ = writeln!(
                s,
                "  {:>7}  {:>12}  {:<w$}  {:<width$}  {}",
                c.hosts,
                c.replications(),
                x(mean),
                format!("[{}, {}]", x(c.low), x(c.high)),
                c.verdict.name(),
                w = name.len().max(decimals + 4)
            );
        }
    }
    let _ = writeln!(
        s,
        "  wrote {}: {}; {} replications, {} events in {:.1} s wall",
        out.display(),
        r.files.join(", "),
        r.replications_run,
        r.events,
        r.wall_seconds
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{RunOptions, run};
    use crate::scenario::{Overrides, Scenario};
    use std::path::Path;

    fn load(path: &str, overrides: &Overrides) -> crate::scenario::sweep::Plan {
        Scenario::load_plan(Path::new(path), overrides).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The report of running `path` (with `overrides`), as if it took 1 s
    /// and wrote into `output/<name>`.
    fn report_of(path: &str, overrides: &Overrides) -> String {
        let plan = load(path, overrides);
        let dir = tempfile::tempdir().unwrap();
        let opts = RunOptions {
            out: dir.path().join("out"),
            trace: false,
            compress: Default::default(),
            force: false,
            progress: false,
            jobs: 1,
            per_replication: false,
        };
        let mut r = run(&plan, Some(Path::new(path)), &opts).unwrap();
        r.wall_seconds = 1.0;
        let shown = Path::new("output").join(&plan.points[0].scenario.name);
        report(&r, &shown)
    }

    #[test]
    fn the_states_tables() {
        insta::assert_snapshot!("states", states());
        insta::assert_snapshot!("states_json", states_json());
    }

    #[test]
    fn validate_summaries() {
        for name in [
            "baseline",
            "failure-storm",
            "capacity-crunch",
            "whatif-mtbf",
            "server-groups",
        ] {
            let path = format!("scenarios/{name}.toml");
            let study = load(&path, &Overrides::default());
            insta::assert_snapshot!(format!("validate_{name}"), plan(&study, &path));
        }
    }

    #[test]
    fn run_reports() {
        let two_days = Overrides {
            horizon: Some("2d".into()),
            ..Overrides::default()
        };
        insta::assert_snapshot!("report_quick", report_of("scenarios/quick.toml", &two_days));
        let replicated = Overrides {
            replications: Some("3".into()),
            ..two_days.clone()
        };
        insta::assert_snapshot!(
            "report_quick_replications",
            report_of("scenarios/quick.toml", &replicated)
        );
        let capacity = Overrides {
            horizon: Some("7d".into()),
            replications: Some("2".into()),
            ..Overrides::default()
        };
        insta::assert_snapshot!(
            "report_capacity_crunch",
            report_of("scenarios/capacity-crunch.toml", &capacity)
        );
        let groups = Overrides {
            horizon: Some("7d".into()),
            warmup: Some("1d".into()),
            replications: Some("1".into()),
            ..Overrides::default()
        };
        insta::assert_snapshot!(
            "report_server_groups",
            report_of("scenarios/server-groups.toml", &groups)
        );
        let sweep = Overrides {
            horizon: Some("3d".into()),
            warmup: Some("1d".into()),
            replications: Some("2".into()),
            ..Overrides::default()
        };
        insta::assert_snapshot!(
            "report_capacity_plan_sweep",
            report_of("scenarios/capacity-plan.toml", &sweep)
        );
    }

    #[test]
    fn plan_reports() {
        let path = "scenarios/capacity-crunch.toml";
        let overrides = Overrides {
            horizon: Some("3d".into()),
            warmup: Some("1d".into()),
            ..Overrides::default()
        };
        let base = Scenario::load_base(Path::new(path), &overrides).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let shown = Path::new("output/capacity-crunch-plan");
        let plan_of = |target: &str, out: &str| {
            let opts = crate::plan::PlanOptions {
                pools: vec!["general".into()],
                target: target.parse().unwrap(),
                confidence: 0.9,
                min: 60,
                max: Some(76),
                max_replications: Some(5),
                out: dir.path().join(out),
                force: false,
                jobs: 1,
                progress: false,
            };
            let mut r = crate::plan::plan(&base, Some(Path::new(path)), &opts).unwrap();
            r.wall_seconds = 1.0;
            r
        };
        let mut r = plan_of("blocked_share <= 0.1", "found");
        insta::assert_snapshot!("plan_found", plan_report(&r, shown));
        // The same evidence, as if two sizes broke monotonicity.
        let p = &mut r.pools[0];
        p.out_of_order = vec![p.candidates[0].hosts, p.answer.unwrap()];
        insta::assert_snapshot!("plan_not_monotone", plan_report(&r, shown));
        let r = plan_of("blocked_share <= 0.02", "missed");
        insta::assert_snapshot!("plan_max_missed", plan_report(&r, shown));
    }
}
