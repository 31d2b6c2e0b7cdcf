//! The budget of a study, estimated before it runs: the memory its
//! replications hold at once and the size of the files it writes, from
//! the scenario alone. `validate` prints it; `run` and `fixtures` refuse a
//! study over `--max-memory` or `--max-output` (exit 2) before anything is
//! simulated (docs/guide.md, command reference).

use crate::engine::SimTime;
use crate::model::{Kind, Status, bms, ecs};
use crate::output::compress::Compression;
use crate::scenario::Scenario;
use crate::scenario::sweep::Plan;

/// Memory per live server per running replication, with its pending
/// events: the largest figure measured on bench-100k and bench-1m
/// (docs/performance.md: 177 to 283 B), rounded up.
pub const BYTES_PER_SERVER: f64 = 300.0;

/// Bytes per value of a time-series row, in memory (an f64).
const BYTES_PER_VALUE: f64 = 8.0;

/// Characters per value of a CSV row, separator included.
const CHARS_PER_VALUE: f64 = 10.0;

/// Bytes of one server line in `servers.jsonl` at the latest microversion
/// (about 1.5 kB measured on baseline; poll mode writes one per server per
/// tick).
pub const BYTES_PER_SERVER_LINE: f64 = 1_800.0;

/// Rows of `transitions.csv` per change `expected_changes` counts:
/// measured 1.5 on baseline and 1.2 on failure-storm (rows written ÷
/// expected changes), rounded up. Not every requested operation changes
/// state, and those that do write a row per step.
pub const ROWS_PER_CHANGE: f64 = 2.0;

/// Bytes of one `transitions.csv` row: measured 68 on baseline and
/// failure-storm, rounded up.
pub const BYTES_PER_TRACE_ROW: f64 = 72.0;

/// Bytes of one row of `host_failures.csv` (about 35 written), rounded up.
pub const BYTES_PER_FAILURE_ROW: f64 = 48.0;

/// Bytes of one failure held in memory until the files are written (its
/// record in the run's log).
pub const BYTES_PER_FAILURE: f64 = 24.0;

/// How much smaller `--compress zstd` writes the trace: measured 6.2 on
/// quick and 6.9 on bench-100k (docs/performance.md), rounded down.
pub const ZSTD_TRACE_RATIO: f64 = 5.0;

/// A trace projected past this gets a note before the run: its rows,
/// bytes and the time writing it takes.
pub const TRACE_NOTE_BYTES: f64 = 2.0 * (1u64 << 30) as f64;

/// Trace rows written per second, for that note: the slowest measured
/// here (bench-1m, plain or zstd; docs/performance.md), rounded down.
pub const TRACE_ROWS_PER_SECOND: f64 = 2.0e6;

/// Default `--max-memory`: what fits a 24 GiB machine with room to spare.
pub const DEFAULT_MAX_MEMORY: u64 = 16 << 30;

/// Default `--max-output`.
pub const DEFAULT_MAX_OUTPUT: u64 = 64 << 30;

/// An estimate, with the terms it adds up.
#[derive(Clone, Debug, Default)]
pub struct Estimate {
    /// Bytes held in memory at once.
    pub memory: f64,
    /// Bytes written.
    pub output: f64,
    /// What each comes from: (what, bytes, memory or output).
    pub terms: Vec<(String, f64, &'static str)>,
    /// Changes expected in the replication with the most (operations
    /// requested, faults, creates; `expected_changes`), and in the whole
    /// study: the work it will do.
    pub changes: (f64, f64),
}

impl Estimate {
    fn add(&mut self, what: String, bytes: f64, memory: bool) {
        if memory {
            self.memory += bytes;
        } else {
            self.output += bytes;
        }
        self.terms
            .push((what, bytes, if memory { "memory" } else { "output" }));
    }

    /// The estimate in words: totals, then each term.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "estimated memory {}, output {}",
            bytes(self.memory),
            bytes(self.output)
        );
        for (what, b, of) in &self.terms {
            s += &format!("\n    {of}: {} for {what}", bytes(*b));
        }
        s += &format!(
            "\n    work: about {} changes in the largest replication, {} in all",
            count(self.changes.0),
            count(self.changes.1)
        );
        s
    }

    /// Refuses an estimate over the limits, with what would be needed.
    pub fn check(&self, max_memory: u64, max_output: u64) -> Result<(), OverBudget> {
        let mut over = Vec::new();
        if self.memory > max_memory as f64 {
            over.push(format!(
                "needs about {} of memory, over --max-memory {}",
                bytes(self.memory),
                bytes(max_memory as f64)
            ));
        }
        if self.output > max_output as f64 {
            over.push(format!(
                "would write about {}, over --max-output {}",
                bytes(self.output),
                bytes(max_output as f64)
            ));
        }
        if over.is_empty() {
            Ok(())
        } else {
            Err(OverBudget(format!(
                "the study {}; nothing was run. Shorten the horizon, lengthen sample_interval, lower the replications, the sweep or the demand, or raise the limit ({})",
                over.join(" and "),
                self.describe()
            )))
        }
    }
}

/// A study over its budget: bad input (exit 2), nothing runs.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OverBudget(pub String);

/// `b` bytes in words.
pub fn bytes(b: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = b.max(0.0);
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} B")
    } else if v.is_finite() {
        format!("{v:.1} {}", UNITS[u])
    } else {
        "more than can be counted".into()
    }
}

/// A large count in words: `381900`, `129.2 million`, `2.6 billion`.
pub fn count(n: f64) -> String {
    if !n.is_finite() {
        "more than can be counted".into()
    } else if n >= 1e12 {
        format!("{:.1} trillion", n / 1e12)
    } else if n >= 1e9 {
        format!("{:.1} billion", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} million", n / 1e6)
    } else {
        format!("{:.0}", n)
    }
}

/// Reads a byte size such as "16GiB", "500MiB" or a number of bytes.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let units: [(&str, u64); 5] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
        ("B", 1),
    ];
    let (num, mult) = units
        .iter()
        .find_map(|(u, m)| t.strip_suffix(u).map(|n| (n.trim(), *m)))
        .unwrap_or((t, 1));
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * (mult as f64) < u64::MAX as f64 => {
            Ok((v * mult as f64) as u64)
        }
        _ => Err(format!(
            "\"{s}\" is not a size; give a positive number of bytes with a unit, e.g. \"16GiB\" or \"500MiB\""
        )),
    }
}

/// Servers of `kind` present at once, on average at the worst time: the
/// initial fleet plus the expected creates over the horizon, or, with a
/// lifetime, at most as many as live one mean lifetime (Little's law).
fn servers_present(sc: &Scenario, kind: Kind) -> f64 {
    let Some(k) = sc.kind(kind) else {
        return 0.0;
    };
    let horizon_s = sc.horizon.as_secs_f64();
    let creates = if let Some(t) = &k.arrival_trace {
        t.rows as f64 * t.demand_scale.max(1.0)
    } else if let Some(p) = &k.arrival_profile {
        crate::demand::Clock::new(p, sc.start_time, sc.horizon)
            .integral_and_peak(sc.horizon)
            .0
    } else {
        k.arrivals_per_day * horizon_s / 86_400.0
    };
    let live = match &k.lifetime {
        Some(l) if horizon_s > 0.0 => creates.min(creates / horizon_s * l.mean_s()),
        _ => creates,
    };
    f64::from(k.initial) + live
}

/// Changes one replication of `sc` is expected to make, for the trace:
/// each kind's operations requested (its servers present × the horizon ×
/// the operation rate), its faults (servers × horizon ÷ the mean time to
/// fault) and its creates.
fn expected_changes(sc: &Scenario) -> f64 {
    let days = sc.horizon.as_secs_f64() / 86_400.0;
    let mut changes = 0.0;
    for &kind in Kind::ALL {
        let Some(k) = sc.kind(kind) else { continue };
        let present = servers_present(sc, kind);
        let faults_per_day = k
            .faults
            .time_to_fault
            .as_ref()
            .map_or(0.0, |d| 86_400.0 / d.mean_s().max(1e-3));
        let creates = (present - f64::from(k.initial)).max(0.0);
        changes += present * days * (k.ops_rate_per_day + faults_per_day) + creates;
    }
    let (failures, hit) = expected_failures(sc);
    // A failure and its repair, and each server it puts in ERROR.
    changes + 2.0 * failures + hit
}

/// Host and domain failures one replication of `sc` is expected to log,
/// and the servers they hit: each host and each domain fails once per
/// cycle of its mean time to failure plus its mean repair (at least a
/// millisecond, the clock's tick), and hits its share of the servers
/// present.
fn expected_failures(sc: &Scenario) -> (f64, f64) {
    let Some(cap) = &sc.capacity else {
        return (0.0, 0.0);
    };
    let horizon_s = sc.horizon.as_secs_f64();
    let cycles = |c: &crate::capacity::spec::FailureClockSpec| {
        // The exact means: a Weibull of tiny shape has an infinite one.
        let mean = crate::input::renewal::mean_s;
        let cycle_s = (mean(&c.time_to_failure) + mean(&c.repair)).max(1e-3);
        if cycle_s.is_finite() {
            horizon_s / cycle_s
        } else {
            0.0
        }
    };
    let hosts = cap.pools.iter().map(|p| f64::from(p.hosts)).sum::<f64>()
        + cap
            .bms_pools
            .iter()
            .map(|p| f64::from(p.nodes))
            .sum::<f64>();
    let present: f64 = Kind::ALL.iter().map(|&k| servers_present(sc, k)).sum();
    let (mut failures, mut hit) = (0.0, 0.0);
    if let Some(c) = &cap.host_failures {
        let n = hosts * cycles(c);
        failures += n;
        hit += n * present / hosts.max(1.0);
    }
    for d in &cap.domains {
        let n = f64::from(d.count) * cycles(&d.clock);
        failures += n;
        hit += n * present / f64::from(d.count.max(1));
    }
    (failures, hit)
}

/// Values per time-series sample of `sc`: each kind's status and state
/// columns (one row each in the occupancy files) and each pool's.
/// `states` is the number of states of each kind's machine.
fn values_per_sample(sc: &Scenario, states: [usize; 2]) -> f64 {
    let mut v = 0.0;
    for &kind in Kind::ALL {
        if sc.kind(kind).is_some() {
            v += (Status::ALL.len() + states[kind as usize]) as f64;
        }
    }
    let pools = sc
        .capacity
        .as_ref()
        .map_or(0, |c| c.pools.len() + c.bms_pools.len());
    v + 20.0 * pools as f64
}

/// What the budget of a study is computed from.
struct Shape {
    /// Servers present at once, at the largest point.
    present: f64,
    /// Time-series rows (samples), over every point.
    rows: f64,
    /// Values per sample, at the widest point.
    values: f64,
    /// Changes expected in one replication, over every point.
    changes: f64,
    /// Changes expected in the largest replication.
    largest: f64,
    /// Host and domain failures expected in one replication, over every
    /// point.
    failures: f64,
    /// Host and domain failures expected in one replication of the point
    /// with the most.
    failures_largest: f64,
    /// Replications of each point.
    reps: f64,
    /// Points.
    points: f64,
}

fn shape(plan: &Plan) -> Shape {
    let sc = &plan.points[0].scenario;
    // The machines are built once, not per point of a sweep.
    let states = [
        ecs::machine(false).n_states(),
        bms::machine(false).n_states(),
    ];
    let mut s = Shape {
        present: 0.0,
        rows: 0.0,
        values: 0.0,
        changes: 0.0,
        largest: 0.0,
        failures: 0.0,
        failures_largest: 0.0,
        reps: f64::from(sc.replications.max(1)),
        points: plan.points.len() as f64,
    };
    for p in &plan.points {
        let one = expected_changes(&p.scenario);
        s.largest = s.largest.max(one);
        s.changes += one;
        let (failures, _) = expected_failures(&p.scenario);
        s.failures += failures;
        s.failures_largest = s.failures_largest.max(failures);
        let sc = &p.scenario;
        let servers: f64 = Kind::ALL.iter().map(|&k| servers_present(sc, k)).sum();
        s.present = s.present.max(servers);
        s.rows += sc.horizon.ms() as f64 / sc.sample_interval.ms().max(1) as f64 + 1.0;
        s.values = s.values.max(values_per_sample(sc, states));
    }
    s
}

/// Replications running at once with `jobs` threads (0: one per core),
/// with `units` to run.
fn running(jobs: usize, units: f64) -> f64 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (if jobs == 0 { cores } else { jobs } as f64).min(units)
}

/// The budget of `plan` run with `jobs` threads (0: one per core), with
/// or without `--trace`.
pub fn of_run(
    plan: &Plan,
    jobs: usize,
    per_replication: bool,
    trace: Option<Compression>,
) -> Estimate {
    let mut e = Estimate::default();
    let Shape {
        present,
        rows,
        values,
        changes,
        largest,
        failures,
        failures_largest,
        reps,
        points,
    } = shape(plan);
    let running = running(jobs, points * reps);
    e.add(
        format!(
            "{} servers at once in each of {} replications running together ({} B each)",
            present.round(),
            running,
            BYTES_PER_SERVER
        ),
        present * running * BYTES_PER_SERVER,
        true,
    );
    if reps > 1.0 {
        e.add(
            format!(
                "the time series of {} replications × {} points kept for the aggregate",
                reps, points
            ),
            rows * reps * values * BYTES_PER_VALUE,
            true,
        );
    }
    let copies = if reps > 1.0 && per_replication {
        reps + 2.0
    } else if reps > 1.0 {
        2.0
    } else {
        1.0
    };
    e.add(
        format!("time-series files ({} rows over every point)", rows.round()),
        rows * copies * values * CHARS_PER_VALUE,
        false,
    );
    if failures > 0.0 {
        e.add(
            format!(
                "the host and domain failure logs of a point's {reps} replications ({BYTES_PER_FAILURE} B a failure)"
            ),
            failures_largest * reps * BYTES_PER_FAILURE,
            true,
        );
        e.add(
            format!(
                "host_failures.csv ({} expected failures × {BYTES_PER_FAILURE_ROW} B)",
                (failures * reps).round()
            ),
            failures * reps * BYTES_PER_FAILURE_ROW,
            false,
        );
    }
    e.changes = (largest, changes * reps);
    if let Some(how) = trace {
        let (name, ratio) = trace_file(how);
        e.add(
            format!(
                "{name} ({} expected changes × {ROWS_PER_CHANGE} rows × {BYTES_PER_TRACE_ROW} B{ratio})",
                (changes * reps).round()
            ),
            changes * reps * ROWS_PER_CHANGE * BYTES_PER_TRACE_ROW / trace_ratio(how),
            false,
        );
    }
    e
}

/// The budget of one shard of `plan` holding `units` of its units (`run
/// --shard`): each unit is stored as soon as it finishes, so only the
/// units running at once are in memory; its folder holds each unit's time
/// series (and its own files, with one replication or
/// `--per-replication`). Units are assumed of average size.
pub fn of_shard(
    plan: &Plan,
    jobs: usize,
    per_replication: bool,
    trace: Option<Compression>,
    units: usize,
) -> Estimate {
    let mut e = Estimate::default();
    let Shape {
        present,
        rows,
        values,
        changes,
        largest,
        failures,
        failures_largest,
        reps,
        points,
    } = shape(plan);
    let units = units as f64;
    let share = units / (points * reps);
    let running = running(jobs, units);
    let rows_per_unit = rows / points;
    e.add(
        format!(
            "{} servers at once in each of {} units running together ({} B each)",
            present.round(),
            running,
            BYTES_PER_SERVER
        ),
        present * running * BYTES_PER_SERVER,
        true,
    );
    if reps > 1.0 {
        e.add(
            format!("the time series of the {running} units running, each until it is stored"),
            rows_per_unit * running * values * BYTES_PER_VALUE,
            true,
        );
        e.add(
            format!("the time series of {units} units, stored for the merge"),
            rows_per_unit * units * values * CHARS_PER_VALUE,
            false,
        );
    }
    if reps == 1.0 || per_replication {
        e.add(
            format!("the time-series files of {units} units"),
            rows_per_unit * units * values * CHARS_PER_VALUE,
            false,
        );
    }
    if failures > 0.0 {
        e.add(
            format!(
                "the host and domain failure logs of the {running} units running ({BYTES_PER_FAILURE} B a failure)"
            ),
            failures_largest * running * BYTES_PER_FAILURE,
            true,
        );
        e.add(
            format!(
                "the failure logs of {units} units ({} expected failures × {BYTES_PER_FAILURE_ROW} B)",
                (failures * reps * share).round()
            ),
            failures * reps * share * BYTES_PER_FAILURE_ROW,
            false,
        );
    }
    e.changes = (largest, changes * reps * share);
    if let Some(how) = trace {
        let (name, ratio) = trace_file(how);
        e.add(
            format!(
                "{name} of {units} units ({} expected changes × {ROWS_PER_CHANGE} rows × {BYTES_PER_TRACE_ROW} B{ratio})",
                (changes * reps * share).round()
            ),
            changes * reps * share * ROWS_PER_CHANGE * BYTES_PER_TRACE_ROW / trace_ratio(how),
            false,
        );
    }
    e
}

/// How much smaller `how` writes the trace.
fn trace_ratio(how: Compression) -> f64 {
    match how {
        Compression::None => 1.0,
        Compression::Zstd => ZSTD_TRACE_RATIO,
    }
}

/// The trace's file name under `how`, and the ratio's term in words.
fn trace_file(how: Compression) -> (&'static str, String) {
    let name = how.file_name(crate::output::files::TRANSITIONS);
    match how {
        Compression::None => (name, String::new()),
        Compression::Zstd => (name, format!(" ÷ {ZSTD_TRACE_RATIO}, zstd")),
    }
}

/// The output `--trace` would add to `plan`'s budget (what `validate`
/// prints beside the estimate without it), written as `how` writes it.
pub fn trace_output(plan: &Plan, how: Compression) -> f64 {
    of_run(plan, 1, false, Some(how)).output - of_run(plan, 1, false, None).output
}

/// What to say before a run of `plan` whose trace, written as `how`, is
/// projected past [`TRACE_NOTE_BYTES`]: its rows and bytes and about how
/// long writing them takes. `None` for a smaller trace.
pub fn trace_note(plan: &Plan, how: Compression) -> Option<String> {
    let size = trace_output(plan, how);
    if size <= TRACE_NOTE_BYTES {
        return None;
    }
    let rows = trace_rows(plan);
    let seconds = (rows / TRACE_ROWS_PER_SECOND).round() as u64;
    let hint = match how {
        Compression::None => format!(
            "; --compress zstd would write about {}",
            bytes(trace_output(plan, Compression::Zstd))
        ),
        Compression::Zstd => String::new(),
    };
    Some(format!(
        "note: the trace is projected at about {} rows, {} as {}{hint}; at {} rows/s, writing it takes about {}",
        count(rows),
        bytes(size),
        how.file_name(crate::output::files::TRANSITIONS),
        count(TRACE_ROWS_PER_SECOND),
        crate::input::units::format_duration(SimTime(seconds.saturating_mul(1000)))
    ))
}

/// What to say before `fixtures` of `sc` in poll mode every `interval`
/// whose `servers.jsonl` is projected past [`TRACE_NOTE_BYTES`]: its
/// lines and bytes. `None` for smaller fixtures.
pub fn poll_note(sc: &Scenario, interval: SimTime, how: Compression) -> Option<String> {
    let servers: f64 = Kind::ALL.iter().map(|&k| servers_present(sc, k)).sum();
    let ticks = sc.horizon.ms() as f64 / interval.ms().max(1) as f64 + 1.0;
    let lines = servers * ticks;
    let size = lines * BYTES_PER_SERVER_LINE;
    if size <= TRACE_NOTE_BYTES {
        return None;
    }
    let hint = match how {
        Compression::None => "; --compress zstd writes it many times smaller",
        Compression::Zstd => " before compression",
    };
    Some(format!(
        "note: servers.jsonl in poll mode is projected at about {} lines ({} servers × {} polls), {}{hint}",
        count(lines),
        count(servers),
        count(ticks),
        bytes(size),
    ))
}

/// Rows `--trace` is expected to write for `plan`: its expected changes ×
/// [`ROWS_PER_CHANGE`].
pub fn trace_rows(plan: &Plan) -> f64 {
    of_run(plan, 1, false, None).changes.1 * ROWS_PER_CHANGE
}

/// The budget of `fleetsim fixtures` of `sc`, observed every `poll`
/// (`None`: at every change, bounded by the run's own events, which this
/// does not estimate).
pub fn of_fixtures(sc: &Scenario, poll: Option<SimTime>) -> Estimate {
    let mut e = Estimate::default();
    let servers: f64 = Kind::ALL.iter().map(|&k| servers_present(sc, k)).sum();
    e.add(
        format!("{} servers at once, with their views", servers.round()),
        servers * (BYTES_PER_SERVER + BYTES_PER_SERVER_LINE),
        true,
    );
    if let Some(interval) = poll {
        let ticks = sc.horizon.ms() as f64 / interval.ms().max(1) as f64 + 1.0;
        e.add(
            format!(
                "servers.jsonl in poll mode: {} servers × {} polls",
                servers.round(),
                ticks.round()
            ),
            servers * ticks * BYTES_PER_SERVER_LINE,
            false,
        );
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_and_print() {
        assert_eq!(parse_bytes("16GiB").unwrap(), 16 << 30);
        assert_eq!(parse_bytes("1.5 MiB").unwrap(), 3 << 19);
        assert_eq!(parse_bytes("1000").unwrap(), 1000);
        for bad in ["", "0GiB", "-1MiB", "x", "1e30TiB", "NaN"] {
            assert!(parse_bytes(bad).is_err(), "{bad}");
        }
        assert_eq!(bytes(1536.0), "1.5 KiB");
        assert_eq!(bytes(5.0 * (1u64 << 30) as f64), "5.0 GiB");
        assert_eq!(count(381_900.4), "381900");
        assert_eq!(count(1.292e8), "129.2 million");
        assert_eq!(count(2.6e9), "2.6 billion");
    }

    fn plan_of(path: &str) -> Plan {
        crate::scenario::Scenario::load_plan(
            std::path::Path::new(path),
            &crate::scenario::Overrides::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_trace_of_many_gigabytes_gets_a_note_and_a_small_one_none() {
        let big = plan_of("scenarios/bench-1m.toml");
        let note = trace_note(&big, Compression::None).unwrap();
        assert!(note.contains("million rows"), "{note}");
        assert!(note.contains("as transitions.csv;"), "{note}");
        assert!(note.contains("--compress zstd would write about"), "{note}");
        let zstd = trace_note(&big, Compression::Zstd).unwrap();
        assert!(zstd.contains("as transitions.csv.zst;"), "{zstd}");
        // The compressed estimate is the plain one divided by the ratio.
        let (plain, packed) = (
            trace_output(&big, Compression::None),
            trace_output(&big, Compression::Zstd),
        );
        assert!((plain / packed - ZSTD_TRACE_RATIO).abs() < 1e-9);
        assert_eq!(
            trace_note(&plan_of("scenarios/quick.toml"), Compression::None),
            None
        );
    }

    #[test]
    fn poll_mode_fixtures_of_many_gigabytes_get_a_note() {
        let quick = plan_of("scenarios/quick.toml");
        let sc = &quick.points[0].scenario;
        let note = poll_note(sc, SimTime(1000), Compression::None).unwrap();
        assert!(note.contains("servers.jsonl in poll mode"), "{note}");
        assert!(note.contains("--compress zstd"), "{note}");
        assert_eq!(poll_note(sc, SimTime(30 * 60_000), Compression::None), None);
    }
}
