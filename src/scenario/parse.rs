//! The scenario walker: TOML tree → validated [`Scenario`], collecting every problem.
//!
//! [`parse_str`] parses the text into a `toml::Table`; [`parse_value`] walks
//! that tree with a `Reader`, which keeps the dotted field path, converts
//! units, fills defaults and records a [`Problem`] for everything wrong —
//! wrong types, bad values, unknown keys in any table — instead of stopping at
//! the first. ECS and BMS share one walk, parameterised by the kind's
//! [`Machine`], which supplies the names of operations and steps.

use super::fleet_file::{FleetFiles, Unmodelled};
use super::{
    Behaviour, DeploymentSpec, Dist, FailureSpec, FaultSpec, FreezeSpec, GroupPolicy, GroupShare,
    GuestCrashSpec, IncidentSpec, KindSpec, MAX_DEPLOYMENT_SIZE, MassFaultSpec, MixEntry,
    OnErrorSpec, Problem, ResizeSpec, Scenario, ScenarioError, SizeWeight, SoftRebootSpec,
    StatusMix, StepSpec, Switch, WatchdogSpec, combined_factor, defaults,
};
use crate::capacity::read::{Sections, read_capacity};
use crate::demand::read::Arrivals;
use crate::engine::SimTime;
use crate::engine::weighted;
use crate::input::reader::{Reader, did_you_mean, expected};
use crate::input::renewal;
use crate::input::units::format_duration;
use crate::model::{Kind, Machine, Op, Outcome, Route, StateId, Status, bms, ecs};
use std::path::Path;
use toml::{Table, Value};

/// Parses and validates scenario text; `file` names it in messages.
///
/// A TOML syntax error is reported as a single [`Problem`] with an empty field
/// and the parser's message (which gives the line and column).
pub fn parse_str(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
    parse_value(&parse_tree(text, file)?, file)
}

/// Parses TOML text into a tree; a syntax error is one problem with the
/// parser's own words (what was expected), its line and column, and the
/// line around the column (see `syntax_problem`).
pub fn parse_tree(text: &str, file: &str) -> Result<Table, ScenarioError> {
    text.parse::<Table>().map_err(|e| ScenarioError {
        file: file.to_string(),
        problems: vec![syntax_problem(&e, text)],
    })
}

/// Characters of the offending line shown on each side of the column.
pub const EXCERPT_SIDE: usize = 40;

/// A TOML syntax error in the parser's layout, with the excerpt cut to
/// [`EXCERPT_SIDE`] characters either side of the column: the parser's own
/// message echoes the whole line, and a scenario may be one 16 MiB line.
fn syntax_problem(e: &toml::de::Error, text: &str) -> Problem {
    let message = e.message().trim_end();
    let Some(span) = e.span() else {
        return Problem {
            field: String::new(),
            message: format!("TOML parse error: {message}"),
        };
    };
    let at = span.start.min(text.len());
    let at = (0..=at)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line_no = text[..line_start].matches('\n').count() + 1;
    let before: Vec<char> = text[line_start..at].chars().collect();
    let column = before.len() + 1;
    let shown_before: String = before[before.len().saturating_sub(EXCERPT_SIDE)..]
        .iter()
        .collect();
    let mut after = text[at..line_end].trim_end_matches('\r').chars();
    let shown_after: String = after.by_ref().take(EXCERPT_SIDE).collect();
    let lead = if before.len() > EXCERPT_SIDE {
        "…"
    } else {
        ""
    };
    let tail = if after.next().is_some() { "…" } else { "" };
    let gutter = " ".repeat(line_no.to_string().len());
    let caret_at = lead.chars().count() + shown_before.chars().count();
    Problem {
        field: String::new(),
        message: format!(
            "TOML parse error at line {line_no}, column {column}\n\
             {gutter} |\n\
             {line_no} | {lead}{shown_before}{shown_after}{tail}\n\
             {gutter} | {pad}^\n\
             {message}",
            pad = " ".repeat(caret_at),
        ),
    }
}

/// Validates an already-parsed scenario tree (what [`parse_str`] does after
/// parsing), reporting every problem found, each with its dotted field path.
///
/// Relative `initial_fleet` paths resolve against the current directory;
/// [`parse_value_in`] gives the scenario's folder.
pub fn parse_value(root: &Table, file: &str) -> Result<Scenario, ScenarioError> {
    parse_value_in(root, file, Path::new(""))
}

/// [`parse_value`] of a scenario in folder `dir`, against which the files
/// it names (`initial_fleet`) are resolved.
pub fn parse_value_in(root: &Table, file: &str, dir: &Path) -> Result<Scenario, ScenarioError> {
    parse_value_with(root, file, dir, &FleetFiles::default())
}

/// Every table a valid scenario `text` has (its dotted path, `""` for the
/// top level) with the keys the reader accepts there: what the scenario
/// reference (docs/scenario.md) must list, and a test checks it does.
/// Files the scenario names are read relative to `file`'s folder.
/// Tables keyed by names (`ops_mix`, `steps`, a watchdog table, `*_holds`,
/// the names under `pools`, ...) are not listed.
pub fn fields(text: &str, file: &str) -> Result<Vec<(String, Vec<&'static str>)>, ScenarioError> {
    let root = parse_tree(text, file)?;
    let empty = Table::new();
    let mut reader = Reader::new(&root, &empty);
    let dir = Path::new(file).parent().unwrap_or(Path::new(""));
    read_scenario(&mut reader, dir, &FleetFiles::default());
    let (problems, fields) = reader.finish_root();
    problems.into_result(file)?;
    Ok(fields)
}

/// [`parse_value_in`], reading each `initial_fleet` file through `fleets`,
/// which reads a file once however many times it is named (at every point
/// of a sweep).
pub fn parse_value_with(
    root: &Table,
    file: &str,
    dir: &Path,
    fleets: &FleetFiles,
) -> Result<Scenario, ScenarioError> {
    let empty = Table::new();
    let mut reader = Reader::new(root, &empty);
    let scenario = read_scenario(&mut reader, dir, fleets);
    let (mut problems, _) = reader.finish_root();
    if scenario.is_none() && problems.is_empty() {
        // Unreachable by construction (a missing value is reported); kept
        // so that no input can produce an Ok from partial data.
        problems.push("", "the scenario is incomplete");
    }
    problems.into_result(file)?;
    Ok(scenario.expect("complete when no problem was found"))
}

// ---------------------------------------------------------------------------
// The walk
// ---------------------------------------------------------------------------

/// Top level: `name`, `seed`, times, and the `[ecs]` / `[bms]` sections;
/// `dir` is the scenario's folder.
fn read_scenario(r: &mut Reader, dir: &Path, fleets: &FleetFiles) -> Option<Scenario> {
    let name = r.required("name", "name = \"baseline\"", Reader::name_value);
    let seed = r
        .read("seed", |r, k, v| r.integer_value(k, v, 0, i64::MAX))
        .and_then(|s| u64::try_from(s).ok())
        .unwrap_or(0);
    let replications = r
        .read("replications", |r, k, v| {
            r.integer_value(k, v, 1, MAX_REPLICATIONS)
        })
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(1);
    let mut horizon = r.required("horizon", "horizon = \"30d\"", Reader::duration_value);
    if horizon == Some(SimTime::ZERO) {
        r.problem(
            "horizon",
            "\"0s\" is not a valid horizon; give a positive duration such as \"30d\"",
        );
        horizon = None;
    }
    let warmup = r.duration("warmup");
    if let (Some(h), Some(w)) = (horizon, warmup)
        && w >= h
    {
        r.problem(
            "warmup",
            format!(
                "\"{}\" is not shorter than the horizon \"{}\"; statistics cover warmup to horizon, so give a warmup below the horizon",
                format_duration(w),
                format_duration(h)
            ),
        );
    }
    let given_interval = r.duration("sample_interval");
    if let Some(i) = given_interval {
        if i == SimTime::ZERO {
            r.problem(
                "sample_interval",
                "\"0s\" is not a valid sample interval; give a positive duration such as \"15m\"",
            );
        } else if let Some(h) = horizon
            && h.ms() / i.ms() > MAX_SAMPLES
        {
            // The time series is written in full; bound it before the run.
            let shortest = SimTime(h.ms().div_ceil(MAX_SAMPLES));
            r.problem(
                "sample_interval",
                format!(
                    "\"{}\" over a horizon of \"{}\" makes {} samples; at most {MAX_SAMPLES} are written, so give an interval of at least \"{}\"",
                    format_duration(i),
                    format_duration(h),
                    h.ms() / i.ms() + 1,
                    format_duration(SimTime(shortest.ms().div_ceil(1000) * 1000))
                ),
            );
        } else if let Some(h) = horizon
            && i > h
        {
            r.problem(
                "sample_interval",
                format!(
                    "\"{}\" is longer than the horizon \"{}\"; give an interval no longer than the horizon",
                    format_duration(i),
                    format_duration(h)
                ),
            );
        }
    }
    // The default of 1 h shrinks to a shorter horizon rather than fail a
    // field the author never wrote.
    let default_interval = SimTime::from_secs(3_600).min(horizon.unwrap_or(SimTime::ZERO));
    let sample_interval = given_interval.unwrap_or(default_interval);

    let start_time = r
        .read("start_time", Reader::timestamp_value)
        .unwrap_or(crate::wallclock::DEFAULT_START);

    let ecs = r.opt_table("ecs", |r| read_kind(r, &ecs::machine(false), dir));
    let bms = r.opt_table("bms", |r| read_kind(r, &bms::machine(false), dir));
    if !r.has("ecs") && !r.has("bms") {
        r.problem(
            "",
            "no [ecs] or [bms] section; a scenario simulates at least one kind of server, e.g. add [ecs] with initial = 100",
        );
    }
    let sections = Sections {
        ecs: r.has("ecs"),
        bms: r.has("bms"),
    };
    let before = r.problems.len();
    let capacity = r.opt_table("capacity", |r| read_capacity(r, &sections));
    // Flavors are checked against a valid [capacity] only, so that one
    // mistake there is not reported again for every server.
    let flavors = capacity.as_ref().filter(|_| r.problems.len() == before);
    if r.problems.len() == before {
        check_groups_have_hosts(r, ecs.as_ref().map(|e| &e.0), capacity.as_ref());
        check_groups_have_hosts(r, bms.as_ref().map(|b| &b.0), capacity.as_ref());
    }
    let (mut ecs, mut bms) = (ecs, bms);
    for (spec, _) in ecs.iter_mut().chain(bms.iter_mut()) {
        check_trace(r, spec, capacity.as_ref(), flavors.is_some(), fleets);
    }
    // A profile's peak over the whole horizon is known once both are.
    if let Some(h) = horizon {
        for (spec, _) in ecs.iter().chain(bms.iter()) {
            if let Some(p) = &spec.arrival_profile
                && let Some(msg) = crate::demand::read::check(p, start_time, h)
            {
                let field = format!("{}.arrivals", spec.kind.name());
                r.problems.push(field, msg);
            }
        }
    }
    let ecs = ecs.map(|(spec, path)| read_fleet(r, spec, path, dir, flavors, fleets));
    let bms = bms.map(|(spec, path)| read_fleet(r, spec, path, dir, flavors, fleets));

    Some(Scenario {
        name: name?,
        seed,
        replications,
        horizon: horizon?,
        warmup: warmup.unwrap_or(SimTime::ZERO),
        sample_interval,
        start_time,
        ecs,
        bms,
        capacity,
    })
}

/// Reads a kind's trace once, whole: every bad row, and every flavor the
/// mapping names that `[capacity]` does not have, is a problem at the
/// kind's `arrivals`. Flavors are checked only against a valid
/// `[capacity]` (`capacity_ok`).
fn check_trace(
    r: &mut Reader,
    spec: &mut KindSpec,
    capacity: Option<&crate::capacity::spec::CapacitySpec>,
    capacity_ok: bool,
    files: &FleetFiles,
) {
    let Some(trace) = spec.arrival_trace.as_mut() else {
        return;
    };
    let field = format!("{}.arrivals", spec.kind.name());
    let names: Option<Vec<&str>> = capacity.map(|c| match spec.kind {
        Kind::Ecs => c.flavors.iter().map(|f| f.name.as_str()).collect(),
        Kind::Bms => c.bms_pools.iter().map(|p| p.flavor.as_str()).collect(),
    });
    let names = names.filter(|n| !n.is_empty());
    if names.is_some() && !capacity_ok {
        return;
    }
    let before = r.problems.len();
    if let Some(valid) = &names {
        for (bucket, flavor) in &trace.flavors {
            if !valid.contains(&flavor.as_str()) {
                r.problems.push(
                    format!("{field}.flavors.{bucket}"),
                    format!(
                        "{flavor:?} is not a flavor of [capacity]; valid: {}",
                        valid.join(", ")
                    ),
                );
            }
        }
        if trace.format != crate::demand::trace::Format::Csv && trace.flavors.is_empty() {
            r.problems.push(
                format!("{field}.flavors"),
                "is missing: the kind has hosts, so map the trace's core/memory buckets to flavors, e.g. flavors = { \"2/4\" = \"s6.large.2\", \"*\" = \"s6.xlarge.2\" }".to_string(),
            );
            return;
        }
    } else if !trace.flavors.is_empty() {
        r.problems.push(
            format!("{field}.flavors"),
            "is given, but the kind has no hosts ([capacity] has no flavors for it), so servers have no flavor".to_string(),
        );
    }
    // A bad mapping would be reported again for every row that uses it.
    if r.problems.len() > before {
        return;
    }
    match files.check_trace(trace, names.as_deref()) {
        Ok((rows, span)) => {
            trace.rows = rows;
            trace.span_s = span;
        }
        Err(problems) => {
            for p in problems {
                r.problems.push(field.clone(), p);
            }
        }
    }
}

/// Most independent replications a scenario may ask for.
pub const MAX_REPLICATIONS: i64 = 100_000;

/// Most samples of the occupancy time series a scenario may ask for.
pub const MAX_SAMPLES: u64 = 10_000_000;

/// Server groups need hosts: a kind whose deployments form groups must
/// have pools in `[capacity]`.
fn check_groups_have_hosts(
    r: &mut Reader,
    spec: Option<&KindSpec>,
    capacity: Option<&super::CapacitySpec>,
) {
    let Some(k) = spec.filter(|k| k.deployment.as_ref().is_some_and(|d| !d.groups.is_empty()))
    else {
        return;
    };
    let has_hosts = capacity.is_some_and(|c| match k.kind {
        Kind::Ecs => !c.pools.is_empty(),
        Kind::Bms => !c.bms_pools.is_empty(),
    });
    if !has_hosts {
        let (pools, example) = match k.kind {
            Kind::Ecs => (
                "[capacity.pools.<name>] and [capacity.flavors.<name>]",
                "[capacity.pools.general] with hosts, vcpus and memory",
            ),
            Kind::Bms => (
                "[capacity.bms_pools.<flavor>]",
                "[capacity.bms_pools.\"physical.s4.medium\"] with nodes",
            ),
        };
        r.problem(
            &format!("{}.deployment.groups", k.kind.name()),
            format!(
                "server groups place servers on hosts, but {} has no hosts; give it {pools} (e.g. {example}), or drop the groups",
                upper(k.kind)
            ),
        );
    }
}

/// Reads the `initial_fleet` file of a kind section, if it gives one, into
/// its spec; its problems are reported at `<kind>.initial_fleet`.
fn read_fleet(
    r: &mut Reader,
    mut spec: KindSpec,
    source: Option<FleetSource>,
    dir: &Path,
    capacity: Option<&super::CapacitySpec>,
    fleets: &FleetFiles,
) -> KindSpec {
    let Some(FleetSource { path, unmodelled }) = source else {
        return spec;
    };
    match fleets.load(&path, dir, spec.kind, capacity, unmodelled) {
        Ok(fleet) => {
            spec.initial = u32::try_from(fleet.servers.len()).unwrap_or(u32::MAX);
            spec.initial_fleet = Some(fleet);
        }
        Err(problems) => r.problems.add_all(problems),
    }
    spec
}

/// What a kind section says about its `initial_fleet` file, which is read
/// once `[capacity]` is known.
struct FleetSource {
    /// `initial_fleet`, as given.
    path: String,
    /// `unmodelled` (default `refuse`).
    unmodelled: Unmodelled,
}

/// One `[ecs]` or `[bms]` section; `m` is that kind's machine. The
/// `initial_fleet` file, if given, comes back beside the spec.
fn read_kind(r: &mut Reader, m: &Machine, dir: &Path) -> (KindSpec, Option<FleetSource>) {
    let kind = m.kind;
    let initial = r
        .read("initial", |r, k, v| r.integer_value(k, v, 0, 10_000_000))
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0);
    let initial_fleet = r.read("initial_fleet", |r, k, v| {
        r.str_value(
            k,
            v,
            "a file path string such as \"fleet.json\" (a servers/detail response or a servers.jsonl)",
        )
        .map(str::to_string)
    });
    if initial_fleet.is_some() && r.has("initial") {
        r.problem(
            "initial_fleet",
            "is given with `initial`; give either initial (that many servers in ACTIVE) or initial_fleet (the servers of a file, in their states), not both",
        );
    }
    let unmodelled = match r.read("unmodelled", |r, k, v| {
        r.choice_value(k, v, Unmodelled::NAMES)
    }) {
        Some(name) => Unmodelled::from_name(name).unwrap_or_default(),
        // A bad value is reported already; what it meant is unknown, so
        // the file's unmodelled servers are not reported as well.
        None if r.has("unmodelled") => Unmodelled::Skip,
        None => Unmodelled::Refuse,
    };
    if r.has("unmodelled") && !r.has("initial_fleet") {
        r.problem(
            "unmodelled",
            "is given without initial_fleet; it says what to do with the servers of an initial_fleet file in states fleetsim does not model, so give initial_fleet too, or drop it",
        );
    }
    let initial_fleet = initial_fleet.map(|path| FleetSource { path, unmodelled });
    let initial_steady = r
        .read("initial_age", |r, k, v| {
            r.choice_value(k, v, &["steady", "new"])
        })
        .is_none_or(|a| a == "steady");
    let (arrivals_per_day, arrival_profile, arrival_trace) =
        match crate::demand::read::arrivals(r, dir) {
            Arrivals::Constant(rate) => (rate, None, None),
            Arrivals::Profile(p) => (0.0, Some(*p), None),
            Arrivals::Trace(t) => (0.0, None, Some(*t)),
        };
    let lifetime = r
        .read("lifetime", Reader::opt_dist_value)
        .and_then(Switch::on);
    let ops_rate_per_day = r.rate("ops_rate").unwrap_or(0.0);
    let before = r.problems.len();
    let (mix_given, ops_mix) = r.table("ops_mix", |r| (!r.entries().is_empty(), read_mix(r, m)));
    let mix_read = r.problems.len() == before;
    let (behaviour, status_ops) = r
        .read("behaviour", |r, k, v| read_behaviour(r, k, v, m))
        .unzip();
    let section = kind.name();
    match &behaviour {
        // A bad `behaviour` is reported already: which mix applies is unknown.
        None if r.has("behaviour") => {}
        Some(Behaviour::ByStatus(_)) if mix_given => r.problem(
            "ops_mix",
            format!(
                "is given with per-status tables; give either ops_mix (state-blind) or [{section}.behaviour.<STATUS>] tables (state-aware), not both"
            ),
        ),
        Some(Behaviour::ByStatus(by)) => {
            if ops_rate_per_day > 0.0 && by.is_empty() {
                r.problem(
                    "behaviour",
                    format!(
                        "has no status table while ops_rate is {ops_rate_per_day} per day; give at least one, e.g. [{section}.behaviour.ACTIVE] with {} = 1",
                        example_op(m, Status::Active)
                    ),
                );
            }
        }
        None | Some(Behaviour::Blind) => {
            if ops_rate_per_day > 0.0 && ops_mix.is_empty() && mix_read {
                let example = m.user_ops.first().map_or("reboot", |op| op.name());
                r.problem(
                    "ops_mix",
                    format!(
                        "0 is not a valid weight sum while ops_rate is {ops_rate_per_day} per day; give at least one operation a positive weight, e.g. ops_mix = {{ {example} = 1 }}, or per-status tables [{section}.behaviour.<STATUS>]"
                    ),
                );
            }
        }
    }
    let deleted_for = r.dist("deleted_for").unwrap_or_else(defaults::deleted_for);
    let steps = r.table("steps", |r| read_steps(r, m));
    let failures = r.table("failures", |r| read_failures(r, m));
    let (faults, watchdog) = r.table("faults", |r| read_faults(r, m));
    let on_error = r.opt_table("on_error", read_on_error).flatten();
    let before = r.problems.len();
    let incidents = r.list_of_tables(
        "incidents",
        "a table such as { start = \"3d\", duration = \"6h\", fault_factor = 5 }",
        read_incident,
    );
    // Window i is the file's i-th only when every window was read.
    let windows = (r.problems.len() == before).then_some(incidents.as_slice());
    check_fault_clock(r, &faults, windows);
    let mass_faults = r.list_of_tables(
        "mass_faults",
        "a table such as { at = \"10d\", fraction = 0.05 }",
        read_mass_fault,
    );

    let deployment = r.opt_table("deployment", read_deployment);

    let guest_crash = match kind {
        Kind::Ecs => r.opt_table("guest_crash", read_guest_crash).flatten(),
        Kind::Bms => {
            r.reject_other_kind("guest_crash", Kind::Ecs, "");
            None
        }
    };
    let (resize, soft_reboot, freeze) = match kind {
        Kind::Ecs => {
            let resize = r.table("resize", read_resize);
            let soft_reboot = r.table("soft_reboot", read_soft_reboot);
            r.reject_other_kind("freeze", Kind::Bms, "");
            (Some(resize), Some(soft_reboot), None)
        }
        Kind::Bms => {
            let freeze = r.opt_table("freeze", read_freeze).flatten();
            r.reject_other_kind("resize", Kind::Ecs, "");
            r.reject_other_kind("soft_reboot", Kind::Ecs, "");
            (None, None, freeze)
        }
    };

    // The operations of per-status mixes, against the tables as this
    // section sets them: with `hard_preempts`, a hard reboot is allowed
    // during a soft one.
    if let Some(named) = status_ops {
        let preempts = soft_reboot.as_ref().is_some_and(|s| s.hard_preempts);
        match kind {
            Kind::Ecs => check_status_ops(r, &ecs::machine_with(false, preempts), &named),
            Kind::Bms => check_status_ops(r, m, &named),
        }
    }

    let spec = KindSpec {
        kind,
        initial,
        initial_fleet: None,
        initial_steady,
        arrivals_per_day,
        arrival_profile,
        arrival_trace,
        lifetime,
        ops_rate_per_day,
        ops_mix,
        behaviour: behaviour.unwrap_or(Behaviour::Blind),
        steps,
        deleted_for,
        failures,
        faults,
        watchdog,
        resize,
        soft_reboot,
        freeze,
        on_error,
        incidents,
        mass_faults,
        guest_crash,
        deployment,
    };
    (spec, initial_fleet)
}

/// `[<kind>.deployment]`: `size` (a whole number, or a table of size =
/// weight) and the `groups` table.
fn read_deployment(r: &mut Reader) -> DeploymentSpec {
    let sizes = match r.get("size") {
        None => vec![SizeWeight {
            size: 1,
            weight: 1.0,
        }],
        Some(v @ Value::Integer(_)) => r
            .integer_value("size", v, 1, MAX_DEPLOYMENT_SIZE.into())
            .map(|n| {
                vec![SizeWeight {
                    size: n as u32,
                    weight: 1.0,
                }]
            })
            .unwrap_or_default(),
        Some(Value::Table(t)) => r.within("size", t, read_sizes),
        Some(v) => {
            r.problem(
                "size",
                expected(
                    "a whole number of servers such as 3, or a table of size = weight such as { 1 = 70, 2 = 20, 5 = 10 }",
                    v,
                ),
            );
            Vec::new()
        }
    };
    let (groups, max_server_per_host) = r
        .opt_table("groups", read_groups)
        .unwrap_or((Vec::new(), 1));
    DeploymentSpec {
        sizes,
        groups,
        max_server_per_host,
    }
}

/// `size = { 1 = 70, 2 = 20 }`: weights of whole numbers of servers, only
/// positive ones kept, by size.
fn read_sizes(r: &mut Reader) -> Vec<SizeWeight> {
    let before = r.problems.len();
    let mut sizes: Vec<SizeWeight> = Vec::new();
    let mut seen: Vec<u32> = Vec::new();
    for (key, v) in r.entries() {
        let size = key
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_DEPLOYMENT_SIZE).contains(n));
        let Some(size) = size else {
            r.problem(
                key,
                format!(
                    "{key:?} is not a deployment size; the keys are whole numbers of servers from 1 to {MAX_DEPLOYMENT_SIZE}, e.g. size = {{ 1 = 70, 2 = 20, 5 = 10 }}"
                ),
            );
            continue;
        };
        if seen.contains(&size) {
            r.problem(
                key,
                format!("size {size} is given twice; give each size once"),
            );
            continue;
        }
        seen.push(size);
        let Some(weight) = r.number_value(key, v) else {
            continue;
        };
        if let Err(e) = weighted::check_weight(weight) {
            r.problem(key, e);
        } else if weight > 0.0 {
            sizes.push(SizeWeight { size, weight });
        }
    }
    if r.problems.len() == before {
        if sizes.is_empty() {
            r.problem(
                "",
                "no size has a positive weight; give at least one, e.g. size = { 1 = 70, 2 = 20, 5 = 10 }",
            );
        }
        let named: Vec<(String, f64)> = sizes
            .iter()
            .map(|s| (s.size.to_string(), s.weight))
            .collect();
        if let Err(e) = weighted::check_ratio(named.iter().map(|(n, w)| (n.as_str(), *w))) {
            r.problem("", e);
        }
    }
    sizes.sort_by_key(|s| s.size);
    sizes
}

/// `[<kind>.deployment.groups]`: the share of deployments in a group of
/// each policy, and anti-affinity's `max_server_per_host`.
fn read_groups(r: &mut Reader) -> (Vec<GroupShare>, u32) {
    let mut groups = Vec::new();
    for &policy in GroupPolicy::ALL {
        if let Some(prob) = r.prob(policy.name()).filter(|&p| p > 0.0) {
            groups.push(GroupShare { policy, prob });
        }
    }
    let total: f64 = groups.iter().map(|g| g.prob).sum();
    if total > 1.0 + 1e-12 {
        let shares: Vec<String> = groups
            .iter()
            .map(|g| format!("{} {}", g.policy.name(), g.prob))
            .collect();
        r.problem(
            "",
            format!(
                "the probabilities ({}) add up to {total}, more than 1; each is the share of deployments in a group of that policy, and the rest form no group",
                shares.join(", ")
            ),
        );
    }
    let max = r.read("max_server_per_host", |r, k, v| {
        r.integer_value(k, v, 1, MAX_DEPLOYMENT_SIZE.into())
    });
    if r.has("max_server_per_host") && !r.has(GroupPolicy::AntiAffinity.name()) {
        r.problem(
            "max_server_per_host",
            "is a rule of the anti-affinity policy only (Nova API 2.64), and no anti-affinity share is given; give anti-affinity = <probability>, or drop max_server_per_host",
        );
    }
    (groups, max.map_or(1, |n| n as u32))
}

/// `ops_mix`: weights of the kind's user operations; only positive weights
/// are kept, in `user_ops` order.
fn read_mix(r: &mut Reader, m: &Machine) -> Vec<MixEntry> {
    let mut weights = [0.0_f64; Op::COUNT];
    for (name, v) in r.entries() {
        let op = match lookup_op(m, name, m.user_ops, OpUse::Mix) {
            Ok(op) => op,
            Err(msg) => {
                r.problem(name, msg);
                continue;
            }
        };
        let Some(w) = r.number_value(name, v) else {
            continue;
        };
        if let Err(e) = weighted::check_weight(w) {
            r.problem(name, e);
        } else if let Some(slot) = weights.get_mut(op.index()) {
            *slot = w;
        }
    }
    let named = m.user_ops.iter().map(|&op| {
        let weight = weights.get(op.index()).copied().unwrap_or(0.0);
        (op.name(), weight)
    });
    if let Err(e) = weighted::check_ratio(named) {
        r.problem("", e);
    }
    m.user_ops
        .iter()
        .filter_map(|&op| {
            let weight = weights.get(op.index()).copied().unwrap_or(0.0);
            (weight > 0.0).then_some(MixEntry { op, weight })
        })
        .collect()
}

/// `behaviour`: `"blind"` (draw from `ops_mix` whatever the state), or a
/// table of per-status mixes, each keyed by the API status it applies to,
/// with the operations they name.
fn read_behaviour<'a>(
    r: &mut Reader<'a>,
    key: &str,
    v: &'a Value,
    m: &Machine,
) -> Option<(Behaviour, Vec<(Status, Op)>)> {
    let section = m.kind.name();
    match v {
        Value::String(s) if s == "blind" => Some((Behaviour::Blind, Vec::new())),
        Value::Table(t) => {
            let (by, named) = r.within(key, t, |r| read_by_status(r, m));
            Some((Behaviour::ByStatus(by), named))
        }
        Value::String(s) => {
            r.problem(
                key,
                format!(
                    "{s:?} is not valid here; give \"blind\" (owners draw from ops_mix whatever the state) or per-status tables such as [{section}.behaviour.SHUTOFF] with start = 1"
                ),
            );
            None
        }
        v => {
            r.problem(
                key,
                expected(
                    &format!(
                        "\"blind\" or per-status tables such as [{section}.behaviour.SHUTOFF]"
                    ),
                    v,
                ),
            );
            None
        }
    }
}

/// The tables under `behaviour`, keyed by API status: one mix each, in
/// status order, and every (status, user operation) they name.
fn read_by_status(r: &mut Reader, m: &Machine) -> (Vec<StatusMix>, Vec<(Status, Op)>) {
    let valid: Vec<Status> = m
        .statuses()
        .into_iter()
        .filter(|&s| s != Status::Deleted)
        .collect();
    let mut out = Vec::new();
    let mut named = Vec::new();
    for (name, v) in r.entries() {
        let Some(&status) = valid.iter().find(|s| s.name() == name) else {
            let msg = unknown_status(m, name, &valid);
            r.problem(name, msg);
            continue;
        };
        let what = format!(
            "a table of operation weights such as {{ {} = 1 }}",
            example_op(m, status)
        );
        if let Some((mix, ops)) = r.table_value(name, v, &what, |r| read_status_mix(r, m, status)) {
            out.push(StatusMix { status, mix });
            named.extend(ops.into_iter().map(|op| (status, op)));
        }
    }
    out.sort_by_key(|s| s.status);
    (out, named)
}

/// One per-status mix, read as `ops_mix` is, and the user operations it
/// names (weights of 0 included), to be checked against the model once the
/// whole section is read (a hard reboot may pre-empt a soft one).
fn read_status_mix(r: &mut Reader, m: &Machine, status: Status) -> (Vec<MixEntry>, Vec<Op>) {
    let before = r.problems.len();
    let mix = read_mix(r, m);
    let named = r
        .entries()
        .into_iter()
        .filter_map(|(name, _)| Op::from_name(name).filter(|op| m.user_ops.contains(op)))
        .collect();
    if mix.is_empty() && r.problems.len() == before {
        r.problem(
            "",
            format!(
                "0 is not a valid weight sum; give at least one operation a positive weight, e.g. {} = 1, or leave {} out so that owners ask nothing of a server showing it",
                example_op(m, status),
                status.name()
            ),
        );
    }
    (mix, named)
}

/// Reports every operation of a per-status mix that `m`'s tables refuse in
/// every state showing its status, with the operations that status allows.
fn check_status_ops(r: &mut Reader, m: &Machine, named: &[(Status, Op)]) {
    for &(status, op) in named {
        if m.allowed_in_status(op, status) {
            continue;
        }
        let st = status.name();
        let states: Vec<&str> = m
            .states_showing(status)
            .iter()
            .map(|s| m.state_names[s.index()].as_str())
            .collect();
        r.problem(
            &format!("behaviour.{st}.{}", op.name()),
            format!(
                "{} is refused in every state that shows {st} ({}); operations an owner may ask for in {st}: {}",
                op.name(),
                states.join(", "),
                allowed_in(m, status).join(", ")
            ),
        );
    }
}

/// The user operations allowed in some state showing `status`, by name.
fn allowed_in(m: &Machine, status: Status) -> Vec<&'static str> {
    m.user_ops
        .iter()
        .filter(|&&op| m.allowed_in_status(op, status))
        .map(|op| op.name())
        .collect()
}

/// A user operation allowed in `status`, for examples in messages.
fn example_op(m: &Machine, status: Status) -> &'static str {
    allowed_in(m, status).first().copied().unwrap_or("lock")
}

/// Why `name` is not a status a mix can be given for, with the valid ones.
fn unknown_status(m: &Machine, name: &str, valid: &[Status]) -> String {
    let names: Vec<&str> = valid.iter().map(|s| s.name()).collect();
    let list = format!("valid statuses: {}", names.join(", "));
    match Status::ALL.iter().find(|s| s.name() == name) {
        Some(Status::Deleted) => format!(
            "DELETED cannot have a mix: the owner of a deleted server asks nothing more of it; {list}"
        ),
        Some(_) => format!("{} servers never show {name}; {list}", upper(m.kind)),
        None => format!(
            "unknown status {name:?}{}; {list} (the API statuses `fleetsim states` prints)",
            did_you_mean(name, names.iter().copied())
        ),
    }
}

/// `steps`: one distribution per duration name some state uses, in
/// `duration_names` order; missing ones get [`defaults::step`].
fn read_steps(r: &mut Reader, m: &Machine) -> Vec<StepSpec> {
    let used = used_steps(m);
    let mut given: Vec<Option<Dist>> = vec![None; m.duration_names.len()];
    for (name, v) in r.entries() {
        match used.iter().find(|&&(_, n)| n == name) {
            Some(&(i, _)) => {
                let d = r.dist_value(name, v);
                if let Some(slot) = given.get_mut(i) {
                    *slot = d;
                }
            }
            None => {
                let msg = unknown_step(m, name, &used);
                r.problem(name, msg);
            }
        }
    }
    used.iter()
        .map(|&(i, name)| StepSpec {
            name: name.to_string(),
            duration: given
                .get_mut(i)
                .and_then(Option::take)
                .unwrap_or_else(|| defaults::step(m.kind, name)),
        })
        .collect()
}

/// `failures`: one entry per operation that can fail, in `ops` order.
fn read_failures(r: &mut Reader, m: &Machine) -> Vec<FailureSpec> {
    let ops: Vec<Op> = m
        .ops
        .iter()
        .copied()
        .filter(|&op| can_fail(m, op))
        .collect();
    let mut given: Vec<FailureSpec> = Vec::new();
    for (name, v) in r.entries() {
        match lookup_op(m, name, &ops, OpUse::Failure) {
            Ok(op) => {
                let spec = r.table_value(
                    name,
                    v,
                    "a table such as { prob = 0.01, outcome = \"error\" }",
                    |r| read_failure(r, m, op),
                );
                given.extend(spec.flatten());
            }
            Err(msg) => r.problem(name, msg),
        }
    }
    ops.iter()
        .map(|&op| {
            given
                .iter()
                .find(|f| f.op == op)
                .cloned()
                .unwrap_or(FailureSpec {
                    op,
                    prob: 0.0,
                    outcome: default_outcome(m, op),
                    hang_prob: 0.0,
                })
        })
        .collect()
}

/// One operation's `{ prob, outcome, hang_prob }`.
fn read_failure(r: &mut Reader, m: &Machine, op: Op) -> Option<FailureSpec> {
    let given_prob = r.prob("prob");
    let hang_prob = r.prob("hang_prob");
    if given_prob.is_none() && hang_prob.is_none() && !r.has("prob") && !r.has("hang_prob") {
        r.problem(
            "",
            "gives neither prob (the operation fails) nor hang_prob (a step hangs until the watchdog); e.g. { prob = 0.01 }",
        );
        return None;
    }
    if hang_prob.is_some_and(|h| h > 0.0) && !has_steps(m, op) {
        r.problem(
            "hang_prob",
            format!("{} takes effect at once and has no step that could hang; give hang_prob only to operations with steps", op.name()),
        );
    }
    // Absent: no failure; present but invalid: already reported.
    let prob = if r.has("prob") { given_prob } else { Some(0.0) };
    let outcome = r
        .read("outcome", |r, k, v| {
            r.choice_value(k, v, &["error", "rollback"])
        })
        .map_or(default_outcome(m, op), |o| {
            if o == "rollback" {
                Outcome::Rollback
            } else {
                Outcome::Error
            }
        });
    Some(FailureSpec {
        op,
        prob: prob?,
        outcome,
        hang_prob: hang_prob.unwrap_or(0.0),
    })
}

/// `faults`: spontaneous faults, repair, watchdogs and where a repair leaves
/// the server.
fn read_faults(r: &mut Reader, m: &Machine) -> (FaultSpec, Vec<WatchdogSpec>) {
    let time_to_fault = r
        .read("time_to_fault", Reader::opt_dist_value)
        .and_then(Switch::on);
    let repair = r
        .read("repair", Reader::opt_dist_value)
        .unwrap_or_else(|| Switch::On(defaults::repair()))
        .on();
    let watchdog = read_watchdog(r, m);
    let (repair_to_stopped, rebuild_prob) = match m.kind {
        Kind::Ecs => {
            let to = r.read("reset_to", |r, k, v| {
                r.choice_value(k, v, &["active", "stopped"])
            });
            let hint = "; for ECS use reset_to = \"active\" or \"stopped\"";
            r.reject_other_kind("repair_to", Kind::Bms, hint);
            r.reject_other_kind("rebuild_prob", Kind::Bms, "");
            (to == Some("stopped"), 0.0)
        }
        Kind::Bms => {
            let to = r.read("repair_to", |r, k, v| {
                r.choice_value(k, v, &["running", "stopped"])
            });
            let rebuild_prob = r.prob("rebuild_prob").unwrap_or(0.0);
            let hint = "; for BMS use repair_to = \"running\" or \"stopped\"";
            r.reject_other_kind("reset_to", Kind::Ecs, hint);
            (to == Some("stopped"), rebuild_prob)
        }
    };
    let faults = FaultSpec {
        time_to_fault,
        repair,
        repair_to_stopped,
        rebuild_prob,
    };
    (faults, watchdog)
}

/// `faults.watchdog`: a duration, `"off"`, or a table of `default` and
/// per-operation values. One entry per operation that can fail and has steps.
fn read_watchdog(r: &mut Reader, m: &Machine) -> Vec<WatchdogSpec> {
    let ops: Vec<Op> = m
        .ops
        .iter()
        .copied()
        .filter(|&op| can_fail(m, op) && has_steps(m, op))
        .collect();
    // The `default` or the single value, if given: it replaces the kind's
    // defaults for every operation not named.
    let mut base: Option<Switch<SimTime>> = None;
    let mut explicit: Vec<(Op, Switch<SimTime>)> = Vec::new();
    match r.get("watchdog") {
        None => {}
        Some(Value::Table(t)) => r.within("watchdog", t, |r| {
            for (name, v) in r.entries() {
                if name == "default" {
                    base = r.off_duration_value(name, v);
                    continue;
                }
                match lookup_op(m, name, &ops, OpUse::Watchdog) {
                    Ok(op) => {
                        if let Some(t) = r.off_duration_value(name, v) {
                            explicit.push((op, t));
                        }
                    }
                    Err(msg) => r.problem(name, msg),
                }
            }
        }),
        Some(v @ Value::String(_)) => base = r.off_duration_value("watchdog", v),
        Some(v) => r.problem(
            "watchdog",
            expected(
                "a duration such as \"30m\", \"off\", or a table such as { default = \"30m\", create = \"1h\" }",
                v,
            ),
        ),
    }
    ops.iter()
        .map(|&op| {
            let timeout = explicit
                .iter()
                .find(|(o, _)| *o == op)
                .map(|&(_, t)| t)
                .or(base)
                .map_or_else(|| defaults::watchdog(m.kind, op), Switch::on);
            WatchdogSpec { op, timeout }
        })
        .collect()
}

/// `[ecs.resize]`.
fn read_resize(r: &mut Reader) -> ResizeSpec {
    ResizeSpec {
        confirm_prob: r
            .prob("confirm_prob")
            .unwrap_or(defaults::RESIZE_CONFIRM_PROB),
        decision_delay: r
            .dist("decision_delay")
            .unwrap_or_else(defaults::resize_decision_delay),
        auto_confirm: r
            .read("auto_confirm", Reader::off_duration_value)
            .and_then(Switch::on),
    }
}

/// `[ecs.soft_reboot]`.
fn read_soft_reboot(r: &mut Reader) -> SoftRebootSpec {
    SoftRebootSpec {
        fallback_prob: r
            .prob("fallback_prob")
            .unwrap_or(defaults::SOFT_REBOOT_FALLBACK_PROB),
        timeout: r
            .duration("timeout")
            .unwrap_or(defaults::SOFT_REBOOT_TIMEOUT),
        hard_preempts: r.read("hard_preempts", Reader::bool_value).unwrap_or(false),
    }
}

/// The fault clock re-arms itself (a server busy or frozen when it runs out
/// draws again at once), so its time to fault must move simulated time on
/// ([`renewal`]): as given, and inside each incident window (when they were
/// all read, `windows`) at the speed the windows open there give it.
fn check_fault_clock(r: &mut Reader, faults: &FaultSpec, windows: Option<&[IncidentSpec]>) {
    let Some(ttf) = &faults.time_to_fault else {
        return;
    };
    let rearms = "the fault clock re-arms itself (a server busy or frozen when it runs out draws again at once), so simulated time would stop";
    if let Some(stall) = renewal::stall(ttf, 1.0) {
        r.problem(
            "faults.time_to_fault",
            format!(
                "{}; {rearms}: give a time to fault whose mean is at least 1 ms and that draws less than 1 ms with probability at most {}, or \"off\"",
                stall.reason("it"),
                renewal::MAX_SHARE_BELOW_TICK
            ),
        );
        return;
    }
    let limit = renewal::max_speed(ttf);
    for (i, w) in windows.unwrap_or_default().iter().enumerate() {
        let speed = fastest_in(windows.unwrap_or_default(), i);
        let Some(stall) = renewal::stall(ttf, speed) else {
            continue;
        };
        let others = speed / w.fault_factor;
        let overlap = if others == 1.0 {
            String::new()
        } else {
            format!(" with the windows open at the same time, {others:e} from the others")
        };
        r.problem(
            &format!("incidents[{i}].fault_factor"),
            format!(
                "{} makes faults accrue {speed:e} times as fast{overlap}: inside the window, {}; {rearms}: give a fault_factor of at most {:.3e}",
                plain(w.fault_factor),
                stall.reason(&format!("time_to_fault ÷ {speed:e}")),
                limit / others
            ),
        );
    }
}

/// A number as a scenario would write it: plainly, or in scientific
/// notation when very large or very small.
fn plain(x: f64) -> String {
    if x == 0.0 || (1e-4..1e6).contains(&x.abs()) {
        x.to_string()
    } else {
        format!("{x:e}")
    }
}

/// The largest factor by which the windows open at some instant of window
/// `i` speed the fault clock up, with [`combined_factor`]'s pause rule: the
/// factors change only where a window opens or closes.
fn fastest_in(windows: &[IncidentSpec], i: usize) -> f64 {
    let Some(w) = windows.get(i) else { return 1.0 };
    let (start, end) = (w.start, w.start.after(w.duration));
    let open_at = |t: SimTime| {
        combined_factor(
            windows
                .iter()
                .filter(|o| o.start <= t && t < o.start.after(o.duration))
                .map(|o| o.fault_factor),
        )
    };
    windows
        .iter()
        .flat_map(|o| [o.start, o.start.after(o.duration)])
        .filter(|&t| start < t && t < end)
        .chain([start])
        .map(open_at)
        .fold(0.0, f64::max)
}

/// One `[[<kind>.incidents]]` window.
fn read_incident(r: &mut Reader) -> Option<IncidentSpec> {
    let start = r.required("start", "start = \"3d\"", Reader::duration_value);
    let duration = r.required("duration", "duration = \"6h\"", Reader::duration_value);
    let factor = |r: &mut Reader, key: &'static str| {
        let f = r.read(key, Reader::number_value);
        if let Some(x) = f.filter(|&x| x < 0.0) {
            r.problem(
                key,
                format!("{x} is negative; give a factor of 0 or more (1 changes nothing)"),
            );
            return None;
        }
        f
    };
    let fault_factor = factor(r, "fault_factor");
    let failure_factor = factor(r, "failure_factor");
    if !r.has("fault_factor") && !r.has("failure_factor") {
        r.problem("", "changes nothing; give fault_factor (faults) and/or failure_factor (operation failures), e.g. fault_factor = 5");
    }
    if duration == Some(SimTime::ZERO) {
        r.problem(
            "duration",
            "\"0s\" makes an empty window; give a positive duration such as \"6h\"",
        );
    }
    Some(IncidentSpec {
        start: start?,
        duration: duration?,
        fault_factor: fault_factor.unwrap_or(1.0),
        failure_factor: failure_factor.unwrap_or(1.0),
    })
}

/// One `[[<kind>.mass_faults]]` event.
fn read_mass_fault(r: &mut Reader) -> Option<MassFaultSpec> {
    let at = r.required("at", "at = \"10d\"", Reader::duration_value);
    let fraction = r.required("fraction", "fraction = 0.05", Reader::prob_value);
    Some(MassFaultSpec {
        at: at?,
        fraction: fraction?,
    })
}

/// `[ecs.guest_crash]`: guests that power themselves off, noticed by Nova's
/// power-state sync.
fn read_guest_crash(r: &mut Reader) -> Option<GuestCrashSpec> {
    let rate = r.required("rate", "rate = \"2/y\"", Reader::rate_value);
    let sync = r
        .duration("sync_interval")
        .unwrap_or(defaults::POWER_SYNC_INTERVAL);
    if sync == SimTime::ZERO {
        r.problem(
            "sync_interval",
            "\"0s\" is not a valid interval; Nova's default is \"600s\"",
        );
    }
    Some(GuestCrashSpec {
        rate_per_day: rate?,
        sync_interval: sync,
    })
}

/// `[<kind>.on_error]`: what the owner does about a server in ERROR / Faulty.
fn read_on_error(r: &mut Reader) -> Option<OnErrorSpec> {
    let delete_prob = r.prob("delete_prob").unwrap_or(0.0);
    let rebuild_prob = r.prob("rebuild_prob").unwrap_or(0.0);
    if delete_prob + rebuild_prob > 1.0 + 1e-12 {
        r.problem(
            "",
            format!("delete_prob {delete_prob} and rebuild_prob {rebuild_prob} add up to more than 1; the rest is the share of owners who wait for the admin repair"),
        );
    }
    let delay = r.dist("delay").unwrap_or_else(defaults::on_error_delay);
    Some(OnErrorSpec {
        delete_prob,
        rebuild_prob,
        delay,
    })
}

/// `[bms.freeze]`; `rate` is required.
fn read_freeze(r: &mut Reader) -> Option<FreezeSpec> {
    let rate = r.required("rate", "rate = \"0.5/y\"", Reader::rate_value);
    let renew_prob = r.prob("renew_prob").unwrap_or(defaults::RENEW_PROB);
    let renew_delay = r.dist("renew_delay").unwrap_or_else(defaults::renew_delay);
    let retention = r.duration("retention").unwrap_or(defaults::RETENTION);
    Some(FreezeSpec {
        rate_per_day: rate?,
        renew_prob,
        renew_delay,
        retention,
    })
}

fn upper(kind: Kind) -> String {
    kind.name().to_uppercase()
}

// ---------------------------------------------------------------------------
// Operations and steps of a machine
// ---------------------------------------------------------------------------

/// Every route `op` can follow, the create route included.
fn routes(m: &Machine, op: Op) -> impl Iterator<Item = &Route> {
    let create = (op == Op::Create).then_some(&m.create_route);
    let from_states = (0..m.n_states())
        .filter_map(|s| u8::try_from(s).ok())
        .filter_map(move |s| m.route(op, StateId(s)));
    create.into_iter().chain(from_states)
}

/// Whether `op` can fail: some route of it has an error target.
fn can_fail(m: &Machine, op: Op) -> bool {
    !op.is_flag_op() && routes(m, op).any(|p| p.error.is_some())
}

/// Whether `op` passes through intermediate steps (and so can time out).
fn has_steps(m: &Machine, op: Op) -> bool {
    routes(m, op).any(|p| !p.steps().is_empty())
}

fn default_outcome(m: &Machine, op: Op) -> Outcome {
    m.default_outcome
        .get(op.index())
        .copied()
        .unwrap_or(Outcome::Error)
}

/// Where an operation name is used, for messages on names that do not fit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OpUse {
    Mix,
    Failure,
    Watchdog,
}

/// The operation `name` if it is one of `valid`; otherwise a message saying
/// why not and listing the valid names.
fn lookup_op(m: &Machine, name: &str, valid: &[Op], usage: OpUse) -> Result<Op, String> {
    let names: Vec<&str> = valid.iter().map(|op| op.name()).collect();
    let valid_list = match usage {
        OpUse::Mix => format!("valid operations: {}", names.join(", ")),
        OpUse::Failure => format!("operations that can fail: {}", names.join(", ")),
        OpUse::Watchdog => format!("valid keys: default, {}", names.join(", ")),
    };
    let kind = upper(m.kind);
    match Op::ALL.iter().copied().find(|op| op.name() == name) {
        Some(op) if valid.contains(&op) => Ok(op),
        Some(op) if m.supports(op) => {
            let why = match usage {
                OpUse::Mix if op == Op::Create => {
                    "create is not a user operation: creates come from `arrivals`".to_string()
                }
                OpUse::Mix if m.is_admin(op) => {
                    format!("{name} is an admin action, not a user operation")
                }
                OpUse::Mix => format!("{name} cannot be requested through ops_mix"),
                _ if op.is_flag_op() => {
                    format!("{name} only changes the lock flag, so it cannot fail")
                }
                _ if !can_fail(m, op) && m.kind == Kind::Bms => format!(
                    "BMS {name} cannot fail (docs/model.md §3: any intermediate state but Deleting)"
                ),
                _ if !can_fail(m, op) => format!("{kind} {name} cannot fail"),
                _ => format!(
                    "{name} has no intermediate steps, so it cannot time out and has no watchdog"
                ),
            };
            Err(format!("{why}; {valid_list}"))
        }
        Some(_) => {
            let article = if m.kind == Kind::Ecs { "an" } else { "a" };
            Err(format!(
                "{name:?} is not {article} {kind} operation; {valid_list}"
            ))
        }
        None => {
            let keys = names
                .iter()
                .copied()
                .chain((usage == OpUse::Watchdog).then_some("default"));
            Err(format!(
                "unknown operation {name:?}{}; {valid_list}",
                did_you_mean(name, keys)
            ))
        }
    }
}

/// The duration names some state uses, with their index, in `duration_names`
/// order.
fn used_steps(m: &Machine) -> Vec<(usize, &'static str)> {
    m.duration_names
        .iter()
        .enumerate()
        .filter(|&(i, _)| {
            m.duration_key
                .iter()
                .flatten()
                .any(|&k| usize::from(k) == i)
        })
        .map(|(i, &name)| (i, name))
        .collect()
}

/// Why `name` is not a step of `m`, with the valid names.
fn unknown_step(m: &Machine, name: &str, used: &[(usize, &'static str)]) -> String {
    let names: Vec<&str> = used.iter().map(|&(_, n)| n).collect();
    let valid = format!("valid steps: {}", names.join(", "));
    if name == "deleted" {
        format!(
            "\"deleted\" is not a step; the time a server shows DELETED is `deleted_for`; {valid}"
        )
    } else if m.duration_names.contains(&name) || m.state_by_name(name).is_some() {
        format!("{name:?} is not an intermediate state, so it has no step duration; {valid}")
    } else {
        format!(
            "unknown step {name:?}{}; {valid}",
            did_you_mean(name, names.iter().copied())
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const FULL: &str = r#"
name = "baseline"
seed = 42
horizon = "30d"
warmup = "2d"
sample_interval = "15m"

[ecs]
initial = 2000
arrivals = "40/d"
lifetime = { dist = "lognormal", mean = "20d", cv = 1.5 }
ops_rate = "3/d"
ops_mix = { reboot = 30, stop = 20, start = 20.5, lock = 0 }
deleted_for = "5m"

[ecs.steps]
spawning = { dist = "lognormal", mean = "60s", cv = 0.5 }
powering-off = "20s"

[ecs.failures]
resize = { prob = 0.01, outcome = "rollback" }
create = { prob = 0.02 }

[ecs.faults]
time_to_fault = { dist = "weibull", shape = 1.2, scale = "2000h" }
repair = { dist = "lognormal", mean = "4h", cv = 1.0 }
watchdog = { default = "45m", create = "1h", live_migrate = "off" }
reset_to = "stopped"

[ecs.resize]
confirm_prob = 0.8
decision_delay = { dist = "exponential", mean = "10m" }
auto_confirm = "24h"

[ecs.soft_reboot]
fallback_prob = 0.05
timeout = "60s"

[bms]
initial = 100
arrivals = "2/d"
ops_rate = "0.5/d"
ops_mix = { restart = 1, reinstall_os = 1 }

[bms.steps]
creating = { dist = "uniform", min = "10m", max = "30m" }

[bms.failures]
reinstall_os = { prob = 0.1 }

[bms.faults]
time_to_fault = { dist = "gamma", shape = 2, scale = "1000h" }
repair = "off"
watchdog = "2h"
repair_to = "stopped"
rebuild_prob = 0.2

[bms.freeze]
rate = "0.5/y"
renew_prob = 0.6
renew_delay = { dist = "normal", mean = "3d", sd = "1d" }
retention = "10d"
"#;

    pub(super) fn ok(text: &str) -> Scenario {
        match parse_str(text, "test.toml") {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    pub(crate) fn problems(text: &str) -> Vec<Problem> {
        match parse_str(text, "test.toml") {
            Ok(s) => panic!("expected problems, parsed {s:?}"),
            Err(e) => e.problems,
        }
    }

    /// The one problem at `field`, whose message contains every `needle`.
    pub(crate) fn assert_problem(text: &str, field: &str, needles: &[&str]) {
        let ps = problems(text);
        let at: Vec<&Problem> = ps.iter().filter(|p| p.field == field).collect();
        assert_eq!(at.len(), 1, "one problem at {field:?} expected: {ps:#?}");
        for n in needles {
            assert!(
                at[0].message.contains(n),
                "{n:?} not in {:?}",
                at[0].message
            );
        }
    }

    const HEAD: &str = "name = \"t\"\nhorizon = \"30d\"\n";

    fn with_head(rest: &str) -> String {
        format!("{HEAD}{rest}")
    }

    fn secs(s: f64) -> SimTime {
        SimTime::from_secs_f64(s)
    }

    #[test]
    fn full_scenario_parses_with_the_given_values() {
        let s = ok(FULL);
        assert_eq!(s.name, "baseline");
        assert_eq!(s.seed, 42);
        assert_eq!(s.horizon, secs(30.0 * 86_400.0));
        assert_eq!(s.warmup, secs(2.0 * 86_400.0));
        assert_eq!(s.sample_interval, secs(900.0));

        let e = s.ecs.as_ref().unwrap();
        assert_eq!(e.kind, Kind::Ecs);
        assert_eq!(e.initial, 2000);
        assert_eq!(e.arrivals_per_day, 40.0);
        assert_eq!(e.lifetime, Some(Dist::lognormal(20.0 * 86_400.0, 1.5)));
        assert_eq!(e.ops_rate_per_day, 3.0);
        // Positive weights only, in user_ops order (reboot, stop, start).
        assert_eq!(
            e.ops_mix,
            vec![
                MixEntry {
                    op: Op::Reboot,
                    weight: 30.0
                },
                MixEntry {
                    op: Op::Stop,
                    weight: 20.0
                },
                MixEntry {
                    op: Op::Start,
                    weight: 20.5
                },
            ]
        );
        assert_eq!(e.deleted_for, Dist::fixed(secs(300.0)));
        assert_eq!(e.steps.len(), 22);
        let step = |name: &str| {
            e.steps
                .iter()
                .find(|st| st.name == name)
                .unwrap()
                .duration
                .clone()
        };
        assert_eq!(step("spawning"), Dist::lognormal(60.0, 0.5));
        assert_eq!(step("powering-off"), Dist::fixed(secs(20.0)));
        assert_eq!(step("scheduling"), defaults::step(Kind::Ecs, "scheduling"));
        assert_eq!(e.steps[0].name, "scheduling");

        let resize = e.failure(Op::Resize).unwrap();
        assert_eq!((resize.prob, resize.outcome), (0.01, Outcome::Rollback));
        let create = e.failure(Op::Create).unwrap();
        assert_eq!((create.prob, create.outcome), (0.02, Outcome::Error));
        let stop = e.failure(Op::Stop).unwrap();
        assert_eq!((stop.prob, stop.outcome), (0.0, Outcome::Rollback));
        assert!(e.failure(Op::Lock).is_none());
        assert_eq!(e.failures[0].op, Op::Create);

        assert_eq!(
            e.faults.time_to_fault,
            Some(Dist::Weibull {
                shape: 1.2,
                scale_s: 2000.0 * 3600.0
            })
        );
        assert_eq!(e.faults.repair, Some(Dist::lognormal(4.0 * 3600.0, 1.0)));
        assert!(e.faults.repair_to_stopped);
        assert_eq!(e.watchdog(Op::Create), Some(secs(3600.0)));
        assert_eq!(e.watchdog(Op::LiveMigrate), None);
        assert_eq!(e.watchdog(Op::Reboot), Some(secs(45.0 * 60.0)));
        assert!(e.watchdog.iter().all(|w| w.op != Op::ConfirmResize));

        let rs = e.resize.as_ref().unwrap();
        assert_eq!(rs.confirm_prob, 0.8);
        assert_eq!(rs.decision_delay, Dist::Exponential { mean_s: 600.0 });
        assert_eq!(rs.auto_confirm, Some(secs(86_400.0)));
        let sr = e.soft_reboot.as_ref().unwrap();
        assert_eq!((sr.fallback_prob, sr.timeout), (0.05, secs(60.0)));
        assert!(e.freeze.is_none());

        let b = s.bms.as_ref().unwrap();
        assert_eq!(b.kind, Kind::Bms);
        assert_eq!(b.initial, 100);
        assert_eq!(
            b.ops_mix.iter().map(|m| m.op).collect::<Vec<_>>(),
            vec![Op::Restart, Op::ReinstallOs]
        );
        let names: Vec<&str> = b.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "creating",
                "starting",
                "stopping",
                "restarting",
                "forcibly_restarting",
                "deleting",
                "rebuilding",
                "reinstalling_os"
            ]
        );
        assert_eq!(
            b.steps[0].duration,
            Dist::Uniform {
                min_s: 600.0,
                max_s: 1800.0
            }
        );
        assert_eq!(b.failure(Op::ReinstallOs).unwrap().prob, 0.1);
        assert!(b.failure(Op::Delete).is_none());
        assert!(b.failure(Op::Expire).is_none());
        assert_eq!(b.faults.repair, None);
        assert!(b.faults.repair_to_stopped);
        assert_eq!(b.faults.rebuild_prob, 0.2);
        assert_eq!(b.watchdog(Op::Create), Some(secs(7200.0)));
        assert_eq!(b.watchdog(Op::Freeze), Some(secs(7200.0)));
        assert!(
            b.watchdog
                .iter()
                .all(|w| w.op != Op::Delete && w.op != Op::Repair)
        );
        assert!(b.resize.is_none() && b.soft_reboot.is_none());
        let f = b.freeze.as_ref().unwrap();
        assert!((f.rate_per_day - 0.5 / 365.0).abs() < 1e-15);
        assert_eq!(f.renew_prob, 0.6);
        assert_eq!(
            f.renew_delay,
            Dist::Normal {
                mean_s: 259_200.0,
                sd_s: 86_400.0
            }
        );
        assert_eq!(f.retention, secs(864_000.0));
    }

    #[test]
    fn minimal_scenario_fills_defaults() {
        let s = ok(&with_head("[ecs]\n"));
        assert_eq!((s.seed, s.warmup), (0, SimTime::ZERO));
        assert_eq!(s.sample_interval, secs(3600.0));
        assert!(s.bms.is_none());
        let e = s.ecs.unwrap();
        assert_eq!(
            (e.initial, e.arrivals_per_day, e.ops_rate_per_day),
            (0, 0.0, 0.0)
        );
        assert!(e.lifetime.is_none() && e.ops_mix.is_empty());
        assert_eq!(e.deleted_for, defaults::deleted_for());
        assert_eq!(e.steps.len(), 22);
        for st in &e.steps {
            assert_eq!(st.duration, defaults::step(Kind::Ecs, &st.name));
        }
        let m = ecs::machine(false);
        let fail_ops: Vec<Op> = e.failures.iter().map(|f| f.op).collect();
        assert_eq!(
            fail_ops,
            [
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
                Op::ResetState
            ]
        );
        for f in &e.failures {
            assert_eq!((f.prob, f.outcome), (0.0, m.default_outcome[f.op.index()]));
        }
        assert_eq!(e.watchdog.len(), 10);
        for w in &e.watchdog {
            assert_eq!(w.timeout, defaults::watchdog(Kind::Ecs, w.op));
        }
        assert_eq!(e.faults.time_to_fault, None);
        assert_eq!(e.faults.repair, Some(defaults::repair()));
        assert!(!e.faults.repair_to_stopped);
        let rs = e.resize.unwrap();
        assert_eq!(rs.confirm_prob, defaults::RESIZE_CONFIRM_PROB);
        assert_eq!(rs.decision_delay, defaults::resize_decision_delay());
        assert_eq!(rs.auto_confirm, None);
        let sr = e.soft_reboot.unwrap();
        assert_eq!(sr.fallback_prob, defaults::SOFT_REBOOT_FALLBACK_PROB);
        assert_eq!(sr.timeout, defaults::SOFT_REBOOT_TIMEOUT);

        let b = ok(&with_head("[bms]\n")).bms.unwrap();
        assert!(b.freeze.is_none());
        assert_eq!(b.steps.len(), 8);
        let ops: Vec<Op> = b.watchdog.iter().map(|w| w.op).collect();
        assert_eq!(
            ops,
            [
                Op::Create,
                Op::Start,
                Op::Stop,
                Op::Restart,
                Op::RestartHard,
                Op::Rebuild,
                Op::ReinstallOs,
                Op::Freeze
            ]
        );
    }

    #[test]
    fn short_horizon_shrinks_the_default_sample_interval() {
        let s = ok("name = \"t\"\nhorizon = \"10m\"\n[bms]\n");
        assert_eq!(s.sample_interval, secs(600.0));
    }

    #[test]
    fn off_and_zero_disable() {
        let s = ok(&with_head(
            "[ecs]\nlifetime = \"off\"\n[ecs.faults]\nwatchdog = \"off\"\nrepair = \"off\"\n[ecs.resize]\nauto_confirm = \"0s\"\n",
        ));
        let e = s.ecs.unwrap();
        assert!(e.watchdog.iter().all(|w| w.timeout.is_none()));
        assert_eq!((e.lifetime, e.faults.repair), (None, None));
        assert_eq!(e.resize.unwrap().auto_confirm, None);
    }

    #[test]
    fn start_time_defaults_to_new_year_2026_and_is_checked() {
        assert_eq!(ok(&with_head("[ecs]\n")).start_time, 1_767_225_600_000);
        let given = ok(&format!(
            "start_time = \"2025-06-30T12:00:00Z\"\n{}",
            with_head("[ecs]\n")
        ));
        assert_eq!(given.start_time, 1_751_284_800_000);
        assert_problem(
            &format!("start_time = \"June\"\n{}", with_head("[ecs]\n")),
            "start_time",
            &["\"June\" is not a valid timestamp", "2026-01-01T00:00:00Z"],
        );
    }

    #[test]
    fn unknown_fields_are_reported_with_the_valid_ones() {
        assert_problem(
            &with_head("foo = 1\n[ecs]\n"),
            "foo",
            &[
                "unknown field \"foo\"",
                "valid fields:",
                "horizon",
                "sample_interval",
            ],
        );
        assert_problem(
            &with_head("[ecs.faults]\nrepiar = \"4h\"\n"),
            "ecs.faults.repiar",
            &[
                "unknown field \"repiar\"",
                "time_to_fault, repair, watchdog, reset_to",
            ],
        );
        assert_problem(
            &with_head(
                "[ecs]\nlifetime = { dist = \"lognormal\", mean = \"2d\", cv = 1, sd = \"1d\" }\n",
            ),
            "ecs.lifetime.sd",
            &[
                "unknown field \"sd\"",
                "lognormal distribution: dist, mean, cv",
            ],
        );
        assert_problem(
            &with_head("[ecs.failures]\nresize = { prob = 0.1, outcom = \"error\" }\n"),
            "ecs.failures.resize.outcom",
            &["prob, outcome"],
        );
    }

    #[test]
    fn bad_durations_name_the_value() {
        assert_problem(
            &with_head("[ecs.faults]\nrepair = { dist = \"lognormal\", mean = \"-3h\", cv = 1 }\n"),
            "ecs.faults.repair.mean",
            &["\"-3h\" is negative", "positive duration"],
        );
        assert_problem(
            "name = \"t\"\nhorizon = \"5 parsecs\"\n[ecs]\n",
            "horizon",
            &["parsecs", "valid units"],
        );
        assert_problem(
            &with_head("warmup = \"abc\"\n[ecs]\n"),
            "warmup",
            &["\"abc\"", "number"],
        );
        assert_problem(
            &with_head("[ecs]\ndeleted_for = \"5\"\n"),
            "ecs.deleted_for",
            &["ambiguous"],
        );
        assert_problem(
            &with_head("sample_interval = 5\n[ecs]\n"),
            "sample_interval",
            &[
                "expected a duration string such as \"90s\", found integer 5",
                "ambiguous",
            ],
        );
        assert_problem(
            &with_head("[ecs]\narrivals = 40\n"),
            "ecs.arrivals",
            &[
                "expected a rate string such as \"40/d\"",
                "found integer 40",
            ],
        );
    }

    #[test]
    fn probabilities_outside_zero_to_one_are_refused() {
        assert_problem(
            &with_head("[ecs.resize]\nconfirm_prob = 1.5\n"),
            "ecs.resize.confirm_prob",
            &["1.5 is not a probability", "0 to 1"],
        );
        assert_problem(
            &with_head("[ecs.failures]\nstop = { prob = -0.1 }\n"),
            "ecs.failures.stop.prob",
            &["-0.1 is not a probability"],
        );
        assert_problem(
            &with_head("[ecs.failures]\nstop = { outcome = \"error\" }\n"),
            "ecs.failures.stop",
            &["neither prob", "nor hang_prob"],
        );
        assert_problem(
            &with_head("[bms.faults]\nrebuild_prob = nan\n"),
            "bms.faults.rebuild_prob",
            &["not a finite number"],
        );
    }

    #[test]
    fn invalid_distributions_are_refused_with_their_values() {
        assert_problem(
            &with_head("[ecs]\nlifetime = { dist = \"lognormal\", mean = \"20d\", cv = -1 }\n"),
            "ecs.lifetime",
            &["cv must be greater than zero", "cv = -1", "mean = \"20d\""],
        );
        assert_problem(
            &with_head(
                "[ecs.steps]\nspawning = { dist = \"uniform\", min = \"5m\", max = \"1m\" }\n",
            ),
            "ecs.steps.spawning",
            &["min must not exceed max", "min = \"5m\""],
        );
        assert_problem(
            &with_head(
                "[ecs.faults]\ntime_to_fault = { dist = \"weibull\", shape = 0, scale = \"100h\" }\n",
            ),
            "ecs.faults.time_to_fault",
            &["shape must be greater than zero"],
        );
        assert_problem(
            &with_head("[ecs]\nlifetime = { dist = \"pareto\", mean = \"2d\" }\n"),
            "ecs.lifetime.dist",
            &[
                "unknown distribution \"pareto\"",
                "fixed, exponential, uniform, normal, lognormal, gamma, weibull",
            ],
        );
        assert_problem(
            &with_head("[ecs]\nlifetime = { dist = \"gamma\", shape = 2 }\n"),
            "ecs.lifetime.scale",
            &["missing", "shape (a number) and scale (a duration"],
        );
        assert_problem(
            &with_head("[ecs]\nlifetime = { mean = \"2d\" }\n"),
            "ecs.lifetime.dist",
            &["missing", "lognormal"],
        );
        assert_problem(
            &with_head("[ecs]\nlifetime = 5\n"),
            "ecs.lifetime",
            &["expected a distribution", "found integer 5"],
        );
    }

    #[test]
    fn the_fastest_instant_of_a_window_counts_its_overlaps() {
        let h = |x: u64| SimTime::from_secs(x * 3_600);
        let w = |start, hours, fault_factor| IncidentSpec {
            start: h(start),
            duration: h(hours),
            fault_factor,
            failure_factor: 1.0,
        };
        // Inside A (× 10): a slow window that opens and closes, a pause,
        // and D (× 3) from 8 h: A's fastest instant is D's, 30.
        let ws = [w(1, 9, 10.0), w(2, 2, 0.1), w(5, 1, 0.0), w(8, 5, 3.0)];
        assert_eq!(fastest_in(&ws, 0), 30.0);
        assert_eq!(fastest_in(&ws, 1), 1.0);
        assert_eq!(fastest_in(&ws, 2), 0.0);
        assert_eq!(fastest_in(&ws, 3), 30.0);
        assert_eq!(fastest_in(&ws[..2], 0), 10.0);
        // Windows that only touch do not overlap.
        assert_eq!(fastest_in(&[w(0, 1, 5.0), w(1, 1, 7.0)], 0), 5.0);
    }

    #[test]
    fn ops_mix_problems() {
        assert_problem(
            &with_head("[ecs]\nops_rate = \"3/d\"\nops_mix = { reboot = 0, stop = 0.0 }\n"),
            "ecs.ops_mix",
            &["0 is not a valid weight sum", "positive weight"],
        );
        assert_problem(
            &with_head("[ecs]\nops_rate = \"3/d\"\n"),
            "ecs.ops_mix",
            &["0 is not a valid weight sum"],
        );
        assert_problem(
            &with_head("[ecs]\nops_mix = { fly = 1 }\n"),
            "ecs.ops_mix.fly",
            &[
                "unknown operation \"fly\"",
                "valid operations: reboot, reboot_hard, stop",
            ],
        );
        assert_problem(
            &with_head("[ecs]\nops_mix = { reboot = -1 }\n"),
            "ecs.ops_mix.reboot",
            &["-1 is negative"],
        );
        // What the weighted choice cannot draw exactly: a subnormal weight,
        // one beyond 1e300, and a spread of more than 1e9 (the fuzzing
        // probe's panics).
        assert_problem(
            &with_head("[ecs]\nops_rate = \"3/d\"\nops_mix = { reboot = 5e-324 }\n"),
            "ecs.ops_mix.reboot",
            &[
                "5e-324 is too small",
                "a weight is 0 (never chosen) or a number from 1e-300 to 1e300",
            ],
        );
        assert_problem(
            &with_head("[ecs]\nops_rate = \"3/d\"\nops_mix = { reboot = 1e308, stop = 1 }\n"),
            "ecs.ops_mix.reboot",
            &["1e308 is too large"],
        );
        assert_problem(
            &with_head("[ecs]\nops_rate = \"3/d\"\nops_mix = { reboot = 1e300, stop = 1 }\n"),
            "ecs.ops_mix",
            &[
                "the largest weight (reboot = 1e300) is 1.000e300 times the smallest positive one (stop = 1)",
                "at most 1e9 times",
            ],
        );
        // At the bounds, and a zero that does not count in the spread.
        let mix = ok(&with_head(
            "[ecs]\nops_rate = \"3/d\"\nops_mix = { reboot = 1e-300, stop = 1e-291, start = 0 }\n",
        ))
        .ecs
        .unwrap()
        .ops_mix;
        assert_eq!(mix.len(), 2);
        assert_problem(
            &with_head("[bms]\nops_mix = { resize = 1 }\n"),
            "bms.ops_mix.resize",
            &["\"resize\" is not a BMS operation", "restart"],
        );
        assert_problem(
            &with_head("[ecs]\nops_mix = { create = 1 }\n"),
            "ecs.ops_mix.create",
            &["arrivals"],
        );
        // A zero sum is fine when there are no operations.
        assert!(
            ok(&with_head("[ecs]\nops_mix = { reboot = 0 }\n"))
                .ecs
                .unwrap()
                .ops_mix
                .is_empty()
        );
    }

    #[test]
    fn state_aware_behaviour_is_read_into_per_status_mixes() {
        let s = ok(&with_head(
            "[ecs]\nops_rate = \"3/d\"\n[ecs.behaviour.SHUTOFF]\nstart = 80\ndelete = 5\nrebuild = 0\n\
             [ecs.behaviour.ACTIVE]\nstop = 20\nreboot = 30\n[bms]\nbehaviour = \"blind\"\nops_mix = { restart = 1 }\n",
        ));
        let e = s.ecs.as_ref().unwrap();
        let entry = |op, weight| MixEntry { op, weight };
        // In status order, each mix with positive weights in user_ops order.
        assert_eq!(
            e.behaviour,
            Behaviour::ByStatus(vec![
                StatusMix {
                    status: Status::Active,
                    mix: vec![entry(Op::Reboot, 30.0), entry(Op::Stop, 20.0)],
                },
                StatusMix {
                    status: Status::Shutoff,
                    mix: vec![entry(Op::Start, 80.0), entry(Op::Delete, 5.0)],
                },
            ])
        );
        assert!(e.ops_mix.is_empty());
        let b = s.bms.as_ref().unwrap();
        assert_eq!(b.behaviour, Behaviour::Blind);
        assert_eq!(b.ops_mix, vec![entry(Op::Restart, 1.0)]);
        // Absent: blind, and not in the manifest, so that existing
        // scenarios serialize as before.
        let blind = ok(&with_head(
            "[ecs]\nops_rate = \"3/d\"\nops_mix = { reboot = 1 }\n",
        ));
        let e = blind.ecs.as_ref().unwrap();
        assert_eq!(e.behaviour, Behaviour::Blind);
        let json = serde_json::to_value(e).unwrap();
        assert!(json.get("behaviour").is_none(), "{json}");
        let json = serde_json::to_value(s.ecs.as_ref().unwrap()).unwrap();
        assert_eq!(json["behaviour"]["by_status"][1]["status"], "SHUTOFF");
        assert_eq!(json["behaviour"]["by_status"][1]["mix"][0]["op"], "start");
    }

    #[test]
    fn behaviour_problems() {
        let ecs = |rest: &str| with_head(&format!("[ecs]\nops_rate = \"3/d\"\n{rest}"));
        assert_problem(
            &ecs("behaviour = \"smart\"\nops_mix = { reboot = 1 }\n"),
            "ecs.behaviour",
            &[
                "\"smart\" is not valid here",
                "\"blind\"",
                "[ecs.behaviour.SHUTOFF]",
            ],
        );
        assert_problem(
            &ecs("behaviour = 3\nops_mix = { reboot = 1 }\n"),
            "ecs.behaviour",
            &["expected \"blind\" or per-status tables", "found integer 3"],
        );
        // Unknown, wrongly spelt, never shown by the kind, or DELETED.
        let valid = "valid statuses: BUILD, REBOOT, HARD_REBOOT, REBUILD, MIGRATING, RESIZE, ACTIVE, SHUTOFF, REVERT_RESIZE, VERIFY_RESIZE, ERROR";
        assert_problem(
            &ecs("[ecs.behaviour.STOPPED]\nstart = 1\n"),
            "ecs.behaviour.STOPPED",
            &["unknown status \"STOPPED\"", valid],
        );
        assert_problem(
            &ecs("[ecs.behaviour.shutoff]\nstart = 1\n"),
            "ecs.behaviour.shutoff",
            &["(did you mean \"SHUTOFF\"?)", valid],
        );
        assert_problem(
            &ecs("[ecs.behaviour.DELETED]\nstart = 1\n"),
            "ecs.behaviour.DELETED",
            &["DELETED cannot have a mix", valid],
        );
        assert_problem(
            &with_head("[bms]\n[bms.behaviour.MIGRATING]\nrestart = 1\n"),
            "bms.behaviour.MIGRATING",
            &[
                "BMS servers never show MIGRATING",
                "valid statuses: BUILD, REBOOT, HARD_REBOOT, ACTIVE, SHUTOFF, ERROR",
            ],
        );
        assert_problem(
            &ecs("[ecs.behaviour]\nSHUTOFF = 5\n"),
            "ecs.behaviour.SHUTOFF",
            &["expected a table of operation weights such as { start = 1 }"],
        );
        // Each mix is read as ops_mix is.
        assert_problem(
            &ecs("[ecs.behaviour.SHUTOFF]\nfly = 1\n"),
            "ecs.behaviour.SHUTOFF.fly",
            &["unknown operation \"fly\"", "valid operations: reboot"],
        );
        assert_problem(
            &ecs("[ecs.behaviour.SHUTOFF]\nstart = -1\n"),
            "ecs.behaviour.SHUTOFF.start",
            &["-1 is negative"],
        );
        assert_problem(
            &ecs("[ecs.behaviour.SHUTOFF]\ncreate = 1\n"),
            "ecs.behaviour.SHUTOFF.create",
            &["arrivals"],
        );
        assert_problem(
            &ecs("[ecs.behaviour.ERROR]\nreset_state = 1\n"),
            "ecs.behaviour.ERROR.reset_state",
            &["admin action"],
        );
        assert_problem(
            &ecs("[ecs.behaviour.SHUTOFF]\nstart = 0\n"),
            "ecs.behaviour.SHUTOFF",
            &["0 is not a valid weight sum", "leave SHUTOFF out"],
        );
        assert_problem(
            &ecs("[ecs.behaviour.SHUTOFF]\nstart = 1e308\nrebuild = 1\n"),
            "ecs.behaviour.SHUTOFF.start",
            &["1e308 is too large", "from 1e-300 to 1e300"],
        );
        assert_problem(
            &ecs("[ecs.behaviour.SHUTOFF]\nstart = 1e10\nrebuild = 1\n"),
            "ecs.behaviour.SHUTOFF",
            &["(start = 10000000000) is 1.000e10 times", "(rebuild = 1)"],
        );
        // An operation the tables refuse in every state showing the status,
        // even at weight 0, with the operations that status allows.
        assert_problem(
            &ecs("[ecs.behaviour.SHUTOFF]\nstart = 1\nreboot = 0\n"),
            "ecs.behaviour.SHUTOFF.reboot",
            &[
                "reboot is refused in every state that shows SHUTOFF (stopped:powering-on, stopped:deleting, stopped:null)",
                "operations an owner may ask for in SHUTOFF: start, rebuild, resize, delete, lock, unlock",
            ],
        );
        assert_problem(
            &ecs("[ecs.behaviour.ACTIVE]\nstart = 1\n"),
            "ecs.behaviour.ACTIVE.start",
            &[
                "ask for in ACTIVE: reboot, reboot_hard, stop, rebuild, resize, live_migrate, delete, lock, unlock",
            ],
        );
        assert_problem(
            &ecs("[ecs.behaviour.VERIFY_RESIZE]\nstop = 1\n"),
            "ecs.behaviour.VERIFY_RESIZE.stop",
            &["ask for in VERIFY_RESIZE: confirm_resize, revert_resize, lock, unlock"],
        );
        assert_problem(
            &with_head("[bms]\n[bms.behaviour.SHUTOFF]\nrestart = 1\n"),
            "bms.behaviour.SHUTOFF.restart",
            &["ask for in SHUTOFF: start, delete, rebuild, reinstall_os, lock, unlock"],
        );
        // The tables as the section sets them: a hard reboot may pre-empt a
        // soft one only with hard_preempts.
        let hard_in_reboot = "[ecs.behaviour.REBOOT]\nreboot_hard = 1\n";
        assert_problem(
            &ecs(hard_in_reboot),
            "ecs.behaviour.REBOOT.reboot_hard",
            &[
                "refused in every state that shows REBOOT",
                "ask for in REBOOT: lock, unlock",
            ],
        );
        ok(&ecs(&format!(
            "{hard_in_reboot}[ecs.soft_reboot]\nhard_preempts = true\n"
        )));
        // Either a state-blind mix or per-status tables.
        assert_problem(
            &ecs("ops_mix = { reboot = 1 }\n[ecs.behaviour.ACTIVE]\nreboot = 1\n"),
            "ecs.ops_mix",
            &["give either ops_mix (state-blind) or [ecs.behaviour.<STATUS>] tables"],
        );
        assert_problem(
            &ecs("behaviour = {}\n"),
            "ecs.behaviour",
            &[
                "has no status table while ops_rate is 3 per day",
                "[ecs.behaviour.ACTIVE] with reboot = 1",
            ],
        );
        // Without owner ticks, no table is needed; an empty ops_mix may
        // stand beside the tables.
        ok(&with_head("[ecs]\nbehaviour = {}\n"));
        ok(&ecs("ops_mix = {}\n[ecs.behaviour.ACTIVE]\nreboot = 1\n"));
        // A bad behaviour does not also blame ops_mix.
        let ps = problems(&ecs("behaviour = \"smart\"\n"));
        assert_eq!(ps.len(), 1, "{ps:#?}");
    }

    #[test]
    fn failure_problems() {
        assert_problem(
            &with_head("[ecs.failures]\nrepair = { prob = 0.1 }\n"),
            "ecs.failures.repair",
            &["\"repair\" is not an ECS operation"],
        );
        assert_problem(
            &with_head("[ecs.failures]\nfly = { prob = 0.1 }\n"),
            "ecs.failures.fly",
            &["unknown operation \"fly\"", "create, reboot"],
        );
        assert_problem(
            &with_head("[bms.failures]\ndelete = { prob = 0.1 }\n"),
            "bms.failures.delete",
            &["BMS delete cannot fail (docs/model.md §3: any intermediate state but Deleting)"],
        );
        assert_problem(
            &with_head("[ecs.failures]\nlock = { prob = 0.1 }\n"),
            "ecs.failures.lock",
            &["lock flag"],
        );
        assert_problem(
            &with_head("[ecs.failures]\nstop = { prob = 0.1, outcome = \"explode\" }\n"),
            "ecs.failures.stop.outcome",
            &["\"explode\"", "\"error\", \"rollback\""],
        );
        assert_problem(
            &with_head("[ecs.failures]\nstop = 0.1\n"),
            "ecs.failures.stop",
            &["expected a table such as { prob = 0.01"],
        );
    }

    #[test]
    fn step_and_watchdog_names_are_checked() {
        assert_problem(
            &with_head("[ecs.steps]\nteleporting = \"1s\"\n"),
            "ecs.steps.teleporting",
            &["unknown step \"teleporting\"", "scheduling", "powering-off"],
        );
        assert_problem(
            &with_head("[ecs.steps]\npowering_off = \"1s\"\n"),
            "ecs.steps.powering_off",
            &["did you mean \"powering-off\"?"],
        );
        assert_problem(
            &with_head("[bms.steps]\nrunning = \"1s\"\n"),
            "bms.steps.running",
            &["not an intermediate state", "creating"],
        );
        assert_problem(
            &with_head("[bms.faults.watchdog]\ndelete = \"1h\"\n"),
            "bms.faults.watchdog.delete",
            &["BMS delete cannot fail", "valid keys: default, create"],
        );
        assert_problem(
            &with_head("[ecs.faults.watchdog]\nconfirm_resize = \"1h\"\n"),
            "ecs.faults.watchdog.confirm_resize",
            &["no intermediate steps"],
        );
    }

    #[test]
    fn top_level_requirements() {
        let ps = problems("seed = 1\n[ecs]\n");
        let fields: Vec<&str> = ps.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["name", "horizon"], "{ps:#?}");
        assert!(ps.iter().all(|p| p.message.contains("missing")));

        let ps = problems(HEAD);
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].field, "");
        assert!(ps[0].message.contains("[ecs] or [bms]"));

        assert_problem(
            &with_head("warmup = \"30d\"\n[ecs]\n"),
            "warmup",
            &["\"30d\"", "horizon"],
        );
        assert_problem(
            &with_head("sample_interval = \"31d\"\n[ecs]\n"),
            "sample_interval",
            &["longer than the horizon"],
        );
        assert_problem(
            "name = \"t\"\nhorizon = \"0s\"\n[ecs]\n",
            "horizon",
            &["positive"],
        );
        assert_problem(
            "name = \"../x\"\nhorizon = \"1d\"\n[ecs]\n",
            "name",
            &["\"../x\" starts with a dot"],
        );
        assert_problem(
            "name = \"a b\"\nhorizon = \"1d\"\n[ecs]\n",
            "name",
            &["contains ' '"],
        );
        assert_problem(
            "name = \"\"\nhorizon = \"1d\"\n[ecs]\n",
            "name",
            &["is empty"],
        );
        assert_problem(
            &with_head("seed = -1\n[ecs]\n"),
            "seed",
            &["-1 is out of range"],
        );
        assert_problem(
            &with_head("[ecs]\ninitial = 10000001\n"),
            "ecs.initial",
            &["out of range", "0 to 10000000"],
        );
        assert_problem(
            &with_head("[ecs]\ninitial = 1.5\n"),
            "ecs.initial",
            &["found float 1.5"],
        );
    }

    #[test]
    fn kind_specific_keys_say_which_kind() {
        assert_problem(
            &with_head("[bms]\nresize = { confirm_prob = 0.5 }\n"),
            "bms.resize",
            &["ECS only"],
        );
        assert_problem(
            &with_head("[bms.soft_reboot]\n"),
            "bms.soft_reboot",
            &["ECS only"],
        );
        assert_problem(
            &with_head("[bms.faults]\nreset_to = \"stopped\"\n"),
            "bms.faults.reset_to",
            &["ECS only", "[ecs.faults]", "repair_to"],
        );
        assert_problem(
            &with_head("[ecs.freeze]\nrate = \"1/y\"\n"),
            "ecs.freeze",
            &["BMS only"],
        );
        assert_problem(
            &with_head("[ecs.faults]\nrebuild_prob = 0.1\n"),
            "ecs.faults.rebuild_prob",
            &["BMS only"],
        );
        assert_problem(
            &with_head("[bms.freeze]\nrenew_prob = 0.5\n"),
            "bms.freeze.rate",
            &["missing"],
        );
    }

    #[test]
    fn hang_and_owner_reaction_settings_are_checked() {
        let head = "name = \"h\"\nhorizon = \"2d\"\n[ecs]\n";
        let e = parse_str(
            &format!("{head}[ecs.failures]\nconfirm_resize = {{ hang_prob = 0.1 }}\n"),
            "t.toml",
        )
        .unwrap_err();
        assert!(
            e.problems[0].message.contains("no step that could hang"),
            "{e}"
        );
        let e = parse_str(
            &format!("{head}[ecs.failures]\nresize = {{ outcome = \"error\" }}\n"),
            "t.toml",
        )
        .unwrap_err();
        assert!(e.problems[0].message.contains("neither prob"), "{e}");
        let e = parse_str(
            &format!("{head}[ecs.on_error]\ndelete_prob = 0.7\nrebuild_prob = 0.5\n"),
            "t.toml",
        )
        .unwrap_err();
        assert_eq!(e.problems[0].field, "ecs.on_error");
        let e = parse_str(
            &format!("{head}[ecs.soft_reboot]\nhard_preempts = \"yes\"\n"),
            "t.toml",
        )
        .unwrap_err();
        assert!(e.problems[0].message.contains("true or false"), "{e}");
        let ok = parse_str(&format!("{head}[ecs.failures]\nresize = {{ hang_prob = 0.1 }}\n[ecs.on_error]\ndelete_prob = 0.5\n"), "t.toml").unwrap();
        let ecs = ok.ecs.unwrap();
        let resize = ecs.failures.iter().find(|f| f.op == Op::Resize).unwrap();
        assert_eq!((resize.prob, resize.hang_prob), (0.0, 0.1));
        assert_eq!(ecs.on_error.unwrap().rebuild_prob, 0.0);
    }

    #[test]
    fn incidents_mass_faults_and_guest_crashes_are_checked() {
        let head = "name = \"h\"\nhorizon = \"2d\"\n[ecs]\n";
        let ok = parse_str(
            &format!("{head}[[ecs.incidents]]\nstart = \"3d\"\nduration = \"6h\"\nfault_factor = 5\n[[ecs.mass_faults]]\nat = \"1d\"\nfraction = 0.1\n[ecs.guest_crash]\nrate = \"2/y\"\n"),
            "t.toml",
        )
        .unwrap();
        let e = ok.ecs.unwrap();
        assert_eq!(e.incidents[0].fault_factor, 5.0);
        assert_eq!(e.incidents[0].failure_factor, 1.0);
        assert_eq!(e.mass_faults[0].fraction, 0.1);
        assert_eq!(
            e.guest_crash.unwrap().sync_interval,
            SimTime::from_secs(600)
        );
        let bad = parse_str(
            &format!("{head}[[ecs.incidents]]\nstart = \"3d\"\nduration = \"0s\"\nfault_factor = -1\n[[ecs.incidents]]\nstart = \"1d\"\nduration = \"1h\"\n[[ecs.mass_faults]]\nat = \"1d\"\nfraction = 2\n"),
            "t.toml",
        )
        .unwrap_err();
        let fields: Vec<&str> = bad.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "ecs.incidents[0].fault_factor",
                "ecs.incidents[0].duration",
                "ecs.incidents[1]",
                "ecs.mass_faults[0].fraction"
            ],
            "{bad}"
        );
        let e = parse_str(
            "name = \"h\"\nhorizon = \"2d\"\n[bms]\n[bms.guest_crash]\nrate = \"1/y\"\n",
            "t.toml",
        )
        .unwrap_err();
        assert!(e.problems[0].message.contains("ECS only"), "{e}");
        let e = parse_str(&format!("{head}incidents = 3\n"), "t.toml").unwrap_err();
        assert!(e.problems[0].message.contains("list of tables"), "{e}");
    }

    #[test]
    fn a_time_series_too_long_to_write_is_refused() {
        let text = "name = \"a\"\nhorizon = \"100y\"\nsample_interval = \"1ms\"\n[ecs]\n";
        let e = parse_str(text, "t.toml").unwrap_err();
        assert_eq!(e.problems.len(), 1);
        assert_eq!(e.problems[0].field, "sample_interval");
        assert!(
            e.problems[0].message.contains("at most 10000000"),
            "{}",
            e.problems[0].message
        );
        let ok = "name = \"a\"\nhorizon = \"100y\"\nsample_interval = \"1h\"\n[ecs]\n";
        assert!(parse_str(ok, "t.toml").is_ok());
    }

    #[test]
    fn syntax_error_is_one_problem_with_the_line() {
        let ps = problems("name = \"t\"\nhorizon = = 3\n");
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].field, "");
        assert!(ps[0].message.contains("line 2"), "{}", ps[0].message);
    }

    #[test]
    fn syntax_error_on_a_long_line_shows_only_the_column_s_neighbourhood() {
        // The parser's own message echoes the whole line: 1 MiB here.
        let long = format!(
            "name = \"t\"\nhorizon = \"{}é\" = 3 # {}\n",
            "x".repeat(1 << 20),
            "y".repeat(1 << 20)
        );
        let ps = problems(&long);
        assert_eq!(ps.len(), 1);
        let m = &ps[0].message;
        assert!(
            m.len() < 400,
            "{} bytes: {}",
            m.len(),
            &m[..400.min(m.len())]
        );
        assert!(m.contains("line 2, column 1048591"), "{m}");
        // The caret sits under the offending character.
        let lines: Vec<&str> = m.lines().collect();
        let excerpt = lines[2].find('…').unwrap();
        let caret = lines[3].find('^').unwrap();
        assert_eq!(lines[2][excerpt..].chars().count() - 1, 81, "{m}");
        assert_eq!(lines[2][..excerpt].chars().count() + 41, caret, "{m}");
        assert!(lines[2].ends_with('…'), "{m}");
    }

    #[test]
    fn three_independent_mistakes_are_all_reported() {
        let text = r#"
name = "t"
horizon = "-3h"
[ecs]
ops_mix = { fly = 1 }
[ecs.resize]
confirm_prob = 1.5
"#;
        let ps = problems(text);
        let fields: Vec<&str> = ps.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["horizon", "ecs.ops_mix.fly", "ecs.resize.confirm_prob"],
            "{ps:#?}"
        );
        let shown = parse_str(text, "t.toml").unwrap_err().to_string();
        assert!(shown.contains("3 problems"), "{shown}");
    }

    /// `[ecs]` with deployments (`deployment` is the body of
    /// `[ecs.deployment]`, `groups` of `[ecs.deployment.groups]`), on one
    /// pool of hosts.
    fn deployment_scenario(deployment: &str, groups: &str) -> String {
        with_head(&format!(
            "[ecs]\n[ecs.deployment]\n{deployment}\n[ecs.deployment.groups]\n{groups}\n[capacity.pools.p]\nhosts = 4\nvcpus = 8\nmemory = \"32GiB\"\n[capacity.flavors.f]\nvcpus = 1\nmemory = \"1GiB\"\n"
        ))
    }

    #[test]
    fn deployments_and_groups_parse_with_their_values() {
        let s = ok(&deployment_scenario(
            "size = { 1 = 70, 5 = 10, 2 = 20, 3 = 0 }",
            "anti-affinity = 0.2\naffinity = 0.05\nsoft-anti-affinity = 0.1\nmax_server_per_host = 2",
        ));
        let d = s.ecs.unwrap().deployment.unwrap();
        let sizes: Vec<(u32, f64)> = d.sizes.iter().map(|z| (z.size, z.weight)).collect();
        assert_eq!(
            sizes,
            [(1, 70.0), (2, 20.0), (5, 10.0)],
            "by size, zero dropped"
        );
        let groups: Vec<(GroupPolicy, f64)> = d.groups.iter().map(|g| (g.policy, g.prob)).collect();
        assert_eq!(
            groups,
            [
                (GroupPolicy::Affinity, 0.05),
                (GroupPolicy::AntiAffinity, 0.2),
                (GroupPolicy::SoftAntiAffinity, 0.1)
            ]
        );
        assert_eq!(d.max_server_per_host, 2);
        // (1·70 + 2·20 + 5·10) / 100
        assert!((d.mean_size() - 1.6).abs() < 1e-12);
        // A fixed size, no groups; and the defaults of an empty table.
        let s = ok(&with_head("[bms]\n[bms.deployment]\nsize = 4\n"));
        let d = s.bms.unwrap().deployment.unwrap();
        assert_eq!(
            (d.sizes[0].size, d.groups.len(), d.max_server_per_host),
            (4, 0, 1)
        );
        let s = ok(&with_head("[ecs]\n[ecs.deployment]\n"));
        assert_eq!(s.ecs.unwrap().deployment.unwrap().sizes[0].size, 1);
        assert!(ok(&with_head("[ecs]\n")).ecs.unwrap().deployment.is_none());
        // A sweep point may set anti-affinity to 0 and keep its rule.
        ok(&deployment_scenario(
            "size = 2",
            "anti-affinity = 0\nmax_server_per_host = 3",
        ));
    }

    #[test]
    fn every_deployment_problem_is_reported_at_its_field() {
        let bad = |deployment: &str, groups: &str, field: &str, needles: &[&str]| {
            assert_problem(&deployment_scenario(deployment, groups), field, needles);
        };
        bad(
            "size = 0",
            "",
            "ecs.deployment.size",
            &["out of range", "1 to 1000"],
        );
        bad("size = 1001", "", "ecs.deployment.size", &["out of range"]);
        bad(
            "size = \"3\"",
            "",
            "ecs.deployment.size",
            &["whole number of servers"],
        );
        bad(
            "size = { x = 1 }",
            "",
            "ecs.deployment.size.x",
            &["not a deployment size", "1 to 1000"],
        );
        bad(
            "size = { 0 = 1 }",
            "",
            "ecs.deployment.size.0",
            &["not a deployment size"],
        );
        bad(
            "size = { 5000 = 1 }",
            "",
            "ecs.deployment.size.5000",
            &["not a deployment size"],
        );
        bad(
            "size = { 2 = -1 }",
            "",
            "ecs.deployment.size.2",
            &["negative"],
        );
        bad(
            "size = { 2 = 0 }",
            "",
            "ecs.deployment.size",
            &["no size has a positive weight"],
        );
        bad(
            "size = { 2 = 1, 02 = 1 }",
            "",
            "ecs.deployment.size.02",
            &["given twice"],
        );
        bad(
            "size = { 2 = 1e308, 3 = 1 }",
            "",
            "ecs.deployment.size.2",
            &["1e308 is too large", "from 1e-300 to 1e300"],
        );
        bad(
            "size = { 2 = 5e-324, 3 = 1 }",
            "",
            "ecs.deployment.size.2",
            &["5e-324 is too small", "0 (never chosen)"],
        );
        bad(
            "size = { 2 = 1e-9, 3 = 2 }",
            "",
            "ecs.deployment.size",
            &["(3 = 2) is 2.000e9 times the smallest positive one (2 = 1e-9)"],
        );
        bad(
            "",
            "affinity = 1.5",
            "ecs.deployment.groups.affinity",
            &["not a probability"],
        );
        bad(
            "",
            "affinity = 0.5\nanti-affinity = 0.4\nsoft-affinity = 0.2",
            "ecs.deployment.groups",
            &["add up to 1.1", "more than 1", "no group"],
        );
        bad(
            "",
            "affinity = 0.5\nmax_server_per_host = 2",
            "ecs.deployment.groups.max_server_per_host",
            &["anti-affinity policy only", "2.64"],
        );
        bad(
            "",
            "anti-affinity = 0.5\nmax_server_per_host = 0",
            "ecs.deployment.groups.max_server_per_host",
            &["out of range"],
        );
        bad(
            "",
            "anti_affinity = 0.5",
            "ecs.deployment.groups.anti_affinity",
            &["unknown field", "did you mean \"anti-affinity\""],
        );
        bad(
            "",
            "spread = 0.5",
            "ecs.deployment.groups.spread",
            &["unknown field", "soft-anti-affinity"],
        );
        bad(
            "count = 2",
            "",
            "ecs.deployment.count",
            &["unknown field", "size, groups"],
        );
        // Groups need hosts: none without [capacity], none for BMS with
        // ECS pools only.
        assert_problem(
            &with_head("[ecs]\n[ecs.deployment.groups]\naffinity = 0.5\n"),
            "ecs.deployment.groups",
            &["no hosts", "[capacity.pools.<name>]"],
        );
        let bms = deployment_scenario("", "").replace(
            "[ecs]",
            "[bms]\n[bms.deployment.groups]\nanti-affinity = 1\n[ecs]",
        );
        assert_problem(
            &bms,
            "bms.deployment.groups",
            &["BMS has no hosts", "bms_pools"],
        );
        // Without any positive share there is nothing to place.
        ok(&with_head("[ecs]\n[ecs.deployment.groups]\naffinity = 0\n"));
    }

    #[test]
    fn garbage_never_panics() {
        let inputs = [
            "",
            "[[[",
            "name = 5",
            "name = \"x\"\nhorizon = []\n[ecs]\nsteps = 3",
            "ecs = 1\nbms = \"x\"",
            "[ecs]\nops_mix = []\nfailures = { create = [] }\nfaults = { watchdog = { create = {} } }",
            "[[ecs]]\n",
            "name = \"x\"\nhorizon = \"1d\"\n[ecs]\nlifetime = { dist = 5 }\n[ecs.steps]\nspawning = { dist = \"fixed\", value = 1e308 }",
            "name = \"x\"\nhorizon = \"99999999999999999999y\"\n[bms]\narrivals = \"1e308/s\"\nops_mix = { restart = 1e308, start = 1e308 }",
            "name = \"x\"\nhorizon = \"1d\"\n[ecs]\nlifetime = { dist = \"normal\", mean = \"1d\", sd = inf }",
            "name = 1979-05-27T07:32:00Z\nseed = 9223372036854775807\nhorizon = true",
            "\u{0}\u{feff}",
        ];
        for text in inputs {
            let r = std::panic::catch_unwind(|| parse_str(text, "g.toml"));
            let r = r.unwrap_or_else(|_| panic!("panicked on {text:?}"));
            assert!(r.is_err(), "{text:?} parsed");
        }
    }
}
