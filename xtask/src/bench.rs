//! The speed and scale harness behind `cargo xtask bench`: fleetsim's event
//! rate on the bench scenarios with and without a trace, its peak memory,
//! replication scaling and start-up, each measured in a fresh child process,
//! against a yardstick measured in the same run on the same machine: a bare
//! `BinaryHeap` hold loop holding as many pending events as fleetsim did.

use anyhow::{Context, Result, bail};
use fleetsim::run::{self, RunOptions};
use fleetsim::scenario::{Overrides, Scenario};
use rand::distr::Distribution;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// What one run measured, as a child process reports it on its last line.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Measured {
    /// Scenario name.
    pub scenario: String,
    /// Servers in the initial fleet(s).
    pub servers: u64,
    /// Events popped, over every replication.
    pub events: u64,
    /// Rows of the trace written.
    pub rows: u64,
    /// Wall-clock seconds of the whole run: simulation, every file written
    /// and flushed.
    pub seconds: f64,
    /// Mean number of events pending when an event was popped.
    pub mean_pending: f64,
    /// Most events pending at once.
    pub peak_pending: u64,
    /// Peak resident memory of the process (Linux's VmHWM), if known.
    pub peak_rss_bytes: Option<u64>,
}

impl Measured {
    /// Events per wall-clock second of the whole run.
    pub fn events_per_second(&self) -> f64 {
        self.events as f64 / self.seconds.max(1e-9)
    }
}

/// What the child needs to run one measurement: the arguments of the
/// hidden `bench-run` task, which [`child`] spells back out.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ChildArgs {
    /// Scenario file.
    pub scenario: PathBuf,
    /// Result folder (replaced).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the trace.
    #[arg(long)]
    pub trace: bool,
    /// Override of the scenario's horizon.
    #[arg(long)]
    pub horizon: Option<String>,
    /// Override of the scenario's replications.
    #[arg(long)]
    pub replications: Option<u32>,
    /// Threads; 0: one per core.
    #[arg(long, default_value_t = 0)]
    pub jobs: usize,
}

/// Runs one measurement in this process (the child's side): the whole study
/// as `fleetsim run` would, timed from start to the last file.
pub fn measure(args: &ChildArgs) -> Result<Measured> {
    let overrides = Overrides {
        horizon: args.horizon.clone(),
        replications: args.replications.map(|r| r.to_string()),
        ..Overrides::default()
    };
    let plan = Scenario::load_plan(&args.scenario, &overrides)?;
    let sc = &plan.points[0].scenario;
    let servers: u64 = fleetsim::model::Kind::ALL
        .iter()
        .filter_map(|&k| sc.kind(k))
        .map(|k| k.initial as u64)
        .sum();
    let opts = RunOptions {
        out: args.out.clone(),
        trace: args.trace,
        compress: Default::default(),
        force: true,
        progress: false,
        jobs: args.jobs,
        per_replication: args.trace && sc.replications > 1,
    };
    let started = Instant::now();
    let report = run::run(&plan, Some(&args.scenario), &opts)?;
    let seconds = started.elapsed().as_secs_f64();
    let runs = || report.points.iter().flat_map(|p| &p.study.runs);
    let events: u64 = runs().map(|o| o.counters.events).sum();
    let pending: u64 = runs().map(|o| o.counters.pending_sum).sum();
    Ok(Measured {
        scenario: sc.name.clone(),
        servers,
        events,
        rows: runs().map(|o| o.counters.changes).sum(),
        seconds,
        mean_pending: pending as f64 / events.max(1) as f64,
        peak_pending: runs().map(|o| o.counters.peak_pending).max().unwrap_or(0),
        peak_rss_bytes: peak_rss_bytes(),
    })
}

/// This process's peak resident set size, from `/proc/self/status` (Linux).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The yardstick: a bare `BinaryHeap` hold loop. `pending` entries of (time,
/// entity) are filled in; then each of `events` steps pops the earliest and
/// pushes it back an exponential delay later. Returns events per second of
/// the timed steps (the fill is not timed).
pub fn hold_loop(pending: usize, events: u64) -> f64 {
    let pending = pending.max(1);
    let mut rng = fleetsim::engine::stream(0x5EED, 0, fleetsim::engine::Purpose::Durations);
    // Delays in ms with a mean of one per pending entry: the queue keeps
    // its size and its spread.
    let delay = rand_distr::Exp::new(1.0 / pending as f64).expect("positive rate");
    let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::with_capacity(pending);
    for id in 0..pending {
        heap.push(Reverse((delay.sample(&mut rng) as u64, id as u32)));
    }
    let started = Instant::now();
    let mut check = 0u64;
    for _ in 0..events {
        let Reverse((t, id)) = heap.pop().expect("never empty");
        check = check.wrapping_add(id as u64);
        heap.push(Reverse((t + delay.sample(&mut rng) as u64, id)));
    }
    let secs = started.elapsed().as_secs_f64();
    std::hint::black_box(check);
    events as f64 / secs.max(1e-9)
}

/// What the machine itself gives two threads: two independent hold loops
/// (10,000 pending, cache-resident) run at once against one alone, the
/// fastest of `rounds` alternating rounds each. A shared virtual machine's
/// second core is often slower or busier than its first; this is the
/// ceiling any parallel program meets there.
pub fn machine_scaling(events: u64, rounds: usize) -> f64 {
    let (mut one, mut two) = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        let started = Instant::now();
        hold_loop(10_000, events);
        one = one.min(started.elapsed().as_secs_f64());
        let started = Instant::now();
        std::thread::scope(|s| {
            s.spawn(|| hold_loop(10_000, events));
            s.spawn(|| hold_loop(10_000, events));
        });
        two = two.min(started.elapsed().as_secs_f64());
    }
    // Twice the work in `two` seconds against the work in `one`.
    2.0 * one / two.max(1e-9)
}

/// Rounds of the replication check (`--jobs 1` then `--jobs 2`).
const REPLICATION_ROUNDS: usize = 5;

/// How to run the harness.
#[derive(Clone, Debug)]
pub struct Options {
    /// Scenarios to measure.
    pub scenarios: Vec<PathBuf>,
    /// Smoke mode: checks the harness works end to end; its timings judge
    /// nothing.
    pub smoke: bool,
    /// Folder for the runs' files (removed afterwards).
    pub work: PathBuf,
    /// Also measure with `--trace`.
    pub trace: bool,
    /// The replication scaling checks: scenarios and their horizons.
    pub replications: Vec<(PathBuf, Option<String>)>,
    /// The start-up check's scenario.
    pub startup: Option<PathBuf>,
    /// The fleetsim binary whose start-up is measured.
    pub fleetsim: PathBuf,
    /// Steps of the yardstick's hold loop.
    pub yardstick_events: u64,
}

/// The targets the harness judges, as ratios and rates that hold on any
/// machine.
pub mod target {
    /// fleetsim ÷ bare heap, without trace, at 100,000 servers and more.
    pub const RATIO_100K: f64 = 0.5;
    /// fleetsim ÷ bare heap, without trace, at 1,000,000 servers and more.
    pub const RATIO_1M: f64 = 1.0;
    /// Trace rows written per second.
    pub const ROWS_PER_SECOND: f64 = 2e6;
    /// Peak RSS per server at 1,000,000 servers, without trace.
    pub const BYTES_PER_SERVER: f64 = 300.0;
    /// `--jobs 2` over `--jobs 1` on 4 replications.
    pub const JOBS_SPEEDUP: f64 = 1.8;
    /// Seconds for `fleetsim run scenarios/quick.toml`.
    pub const STARTUP_SECONDS: f64 = 1.0;
}

/// The ratio target for a fleet of `servers`, if any.
fn ratio_target(servers: u64) -> Option<f64> {
    if servers >= 1_000_000 {
        Some(target::RATIO_1M)
    } else if servers >= 100_000 {
        Some(target::RATIO_100K)
    } else {
        None
    }
}

/// Runs one measurement in a fresh child process of this executable.
fn child(args: &ChildArgs) -> Result<Measured> {
    let exe = std::env::current_exe().context("cannot find the xtask executable")?;
    let mut cmd = Command::new(exe);
    cmd.arg("bench-run")
        .arg(&args.scenario)
        .arg("--out")
        .arg(&args.out);
    if args.trace {
        cmd.arg("--trace");
    }
    if let Some(h) = &args.horizon {
        cmd.args(["--horizon", h]);
    }
    if let Some(r) = args.replications {
        cmd.args(["--replications", &r.to_string()]);
    }
    if args.jobs > 0 {
        cmd.args(["--jobs", &args.jobs.to_string()]);
    }
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .context("cannot start a child of the harness")?;
    if !out.status.success() {
        bail!(
            "the child run of {} failed ({})",
            args.scenario.display(),
            out.status
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| format!("unreadable child report: {last}"))
}

/// Seconds a whole `fleetsim run` process of the binary `exe` takes, start
/// to exit.
fn process_seconds(exe: &Path, scenario: &Path, out: &Path) -> Result<f64> {
    let started = Instant::now();
    let status = Command::new(exe)
        .arg("run")
        .arg(scenario)
        .args(["--quiet", "--force", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    let secs = started.elapsed().as_secs_f64();
    if !status.success() {
        bail!("fleetsim run {} failed ({status})", scenario.display());
    }
    Ok(secs)
}

/// The machine, in one line: OS, architecture, CPU model, cores, memory.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let l = s.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kb: f64 = l.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!(", {:.0} GiB", kb / 1024.0 / 1024.0))
        })
        .unwrap_or_default();
    format!(
        "{} {}, {cpu}, {cores} cores{mem}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// Verdict of a measured value against a target.
fn verdict(met: bool, smoke: bool) -> &'static str {
    match (smoke, met) {
        (true, _) => "(smoke: not judged)",
        (false, true) => "meets",
        (false, false) => "MISSES",
    }
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or("n/a".into(), |b| format!("{:.1} MiB", b as f64 / 1048576.0))
}

/// Runs the harness, writing its report to `w` line by line as the
/// measurements finish. Returns whether every judged target was met.
pub fn run_harness(opts: &Options, w: &mut dyn Write) -> Result<bool> {
    // The harness writes runs into the folder and deletes them: never into
    // a folder holding anything else.
    if std::fs::read_dir(&opts.work).is_ok_and(|mut d| d.next().is_some()) {
        bail!(
            "the work folder {} is not empty; give --work an empty or new folder (the harness writes its runs there and deletes them)",
            opts.work.display()
        );
    }
    std::fs::create_dir_all(&opts.work)
        .with_context(|| format!("cannot create {}", opts.work.display()))?;
    let mut all_met = true;
    writeln!(
        w,
        "fleetsim {} bench on {}{}",
        fleetsim::VERSION,
        machine(),
        if opts.smoke { " (smoke mode)" } else { "" }
    )?;
    for path in &opts.scenarios {
        let plain = child(&ChildArgs {
            scenario: path.clone(),
            out: opts.work.join("plain"),
            ..ChildArgs::default()
        })?;
        let heap = hold_loop(plain.mean_pending.round() as usize, opts.yardstick_events);
        let ratio = plain.events_per_second() / heap;
        writeln!(w)?;
        writeln!(
            w,
            "{}: {} servers, {} events, {:.0} pending on average ({} at peak)",
            plain.scenario, plain.servers, plain.events, plain.mean_pending, plain.peak_pending
        )?;
        writeln!(
            w,
            "  no trace: {:.2} s, {:.2} M events/s, peak RSS {} ({:.0} B/server)",
            plain.seconds,
            plain.events_per_second() / 1e6,
            mib(plain.peak_rss_bytes),
            plain.peak_rss_bytes.unwrap_or(0) as f64 / plain.servers.max(1) as f64
        )?;
        let mut line = format!(
            "  bare BinaryHeap hold loop, {:.0} pending: {:.2} M events/s; ratio fleetsim / heap {:.2}",
            plain.mean_pending.round(),
            heap / 1e6,
            ratio
        );
        if let Some(t) = ratio_target(plain.servers) {
            let met = ratio >= t;
            all_met &= met || opts.smoke;
            let _ = write!(line, " (target ≥ {t:.1}: {})", verdict(met, opts.smoke));
        }
        writeln!(w, "{line}")?;
        if plain.servers >= 1_000_000 {
            let per = plain.peak_rss_bytes.unwrap_or(u64::MAX) as f64 / plain.servers as f64;
            let met = per <= target::BYTES_PER_SERVER;
            all_met &= met || opts.smoke;
            writeln!(
                w,
                "  memory: {per:.0} B/server (target ≤ {:.0}: {})",
                target::BYTES_PER_SERVER,
                verdict(met, opts.smoke)
            )?;
        }
        let _ = std::fs::remove_dir_all(opts.work.join("plain"));
        if opts.trace {
            let traced = child(&ChildArgs {
                scenario: path.clone(),
                out: opts.work.join("trace"),
                trace: true,
                ..ChildArgs::default()
            })?;
            let _ = std::fs::remove_dir_all(opts.work.join("trace"));
            let rows = traced.rows as f64 / traced.seconds.max(1e-9);
            let met = rows >= target::ROWS_PER_SECOND;
            all_met &= met || opts.smoke;
            writeln!(
                w,
                "  --trace: {:.2} s, {} rows, {:.2} M rows/s (target ≥ {:.0} M: {}), peak RSS {} ({} without)",
                traced.seconds,
                traced.rows,
                rows / 1e6,
                target::ROWS_PER_SECOND / 1e6,
                verdict(met, opts.smoke),
                mib(traced.peak_rss_bytes),
                mib(plain.peak_rss_bytes)
            )?;
        }
    }
    if !opts.replications.is_empty() {
        writeln!(w)?;
    }
    for (path, horizon) in &opts.replications {
        let timed = |jobs| {
            child(&ChildArgs {
                scenario: path.clone(),
                out: opts.work.join("replications"),
                horizon: horizon.clone(),
                replications: Some(4),
                jobs,
                ..ChildArgs::default()
            })
        };
        // Alternating rounds, the fastest of each: on a shared machine the
        // noise only ever adds time.
        let (mut ones, mut twos) = (Vec::new(), Vec::new());
        for _ in 0..REPLICATION_ROUNDS {
            ones.push(timed(1)?);
            twos.push(timed(2)?);
        }
        let fastest = |runs: &[Measured]| {
            runs.iter()
                .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
                .cloned()
                .expect("at least one round")
        };
        let (one, two) = (fastest(&ones), fastest(&twos));
        let _ = std::fs::remove_dir_all(opts.work.join("replications"));
        let speedup = one.seconds / two.seconds.max(1e-9);
        let met = speedup >= target::JOBS_SPEEDUP;
        all_met &= met || opts.smoke;
        writeln!(
            w,
            "replications: {} × 4{}, fastest of {} rounds: --jobs 1 {:.2} s, --jobs 2 {:.2} s: {:.2}× (target ≥ {:.1}×: {})",
            one.scenario,
            horizon
                .as_ref()
                .map_or(String::new(), |h| format!(" over {h}")),
            REPLICATION_ROUNDS,
            one.seconds,
            two.seconds,
            speedup,
            target::JOBS_SPEEDUP,
            verdict(met, opts.smoke)
        )?;
    }
    if !opts.replications.is_empty() {
        let ceiling = machine_scaling(opts.yardstick_events / 2, REPLICATION_ROUNDS);
        writeln!(
            w,
            "  (this machine: two independent hold loops at once do {ceiling:.2}× the work of one)"
        )?;
    }
    if let Some(path) = &opts.startup {
        let secs = process_seconds(&opts.fleetsim, path, &opts.work.join("startup"))?;
        let _ = std::fs::remove_dir_all(opts.work.join("startup"));
        let met = secs < target::STARTUP_SECONDS;
        all_met &= met || opts.smoke;
        writeln!(
            w,
            "start-up: fleetsim run {} in {:.3} s (target < {:.0} s: {})",
            path.display(),
            secs,
            target::STARTUP_SECONDS,
            verdict(met, opts.smoke)
        )?;
    }
    let _ = std::fs::remove_dir(&opts.work);
    Ok(all_met)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_targets_follow_the_fleet_size() {
        assert_eq!(ratio_target(99_999), None);
        assert_eq!(ratio_target(100_000), Some(0.5));
        assert_eq!(ratio_target(1_000_000), Some(1.0));
    }

    #[test]
    fn the_hold_loop_runs_and_reports_a_rate() {
        assert!(hold_loop(1000, 10_000) > 0.0);
    }

    #[test]
    fn peak_rss_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(peak_rss_bytes().is_some_and(|b| b > 0));
        }
    }
}
