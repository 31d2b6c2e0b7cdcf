//! Command-line definitions (clap derive): the commands, their options, and
//! the value parsers that check each value as it is read, so a bad value is
//! refused with clap's own message and exit status 2 before anything runs.

// The doc comments below are clap's help text, which names placeholders
// such as <scenario name>; they are not HTML.
#![allow(rustdoc::invalid_html_tags)]

use crate::engine::SimTime;
use crate::input::units::parse_duration;
use crate::output::compress::Compression;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// The exit statuses, as `--help` shows them (the one place they are
/// defined is [`crate::app::Status`]).
const EXIT_STATUS: &str = "\
Exit status:
  0  success (also when stdout is closed early, as by `| head`)
  1  the run failed: an output folder that exists and is not empty (see --force), cannot be written, or a file or stdout that cannot be written
  2  bad input: the scenario or a command-line value is invalid (for `report`: not a complete result folder); nothing was run and no folder was created
  130, 143  stopped by SIGINT (Ctrl-C) or SIGTERM: nothing was written, and an earlier run's files (--force) are intact";

/// The exit statuses of `plan`, which adds one reason for exit 1.
const PLAN_HELP: &str = "\
Exit status:
  0  success: every pool has an answer (also when stdout is closed early)
  1  --max misses the target for some pool (plan.csv still holds what was evaluated), or an output folder that exists and is not empty (see --force), or a file or stdout that cannot be written
  2  bad input: the scenario, a command-line value, an unknown pool or a bad range; nothing was run and no folder was created
  130, 143  stopped by SIGINT (Ctrl-C) or SIGTERM: nothing was written, and an earlier run's files (--force) are intact";

/// The exit statuses of `merge`.
const MERGE_HELP: &str = "\
Exit status:
  0  success (also when stdout is closed early)
  1  an output folder that exists and is not empty (see --force), or a file or stdout that cannot be written
  2  the shards are not one whole study (another study, version or scenario; a unit missing or given twice), or a shard cannot be read; every problem is listed and nothing is written
  130, 143  stopped by SIGINT (Ctrl-C) or SIGTERM: nothing was written";

/// The exit statuses of `compare`.
const COMPARE_HELP: &str = "\
Exit status:
  0  success (also when stdout is closed early)
  1  an output folder that exists and is not empty (see --force), or a file or stdout that cannot be written (with --report: report.html that cannot be written, compare.csv and compare.json being in place)
  2  bad input: a folder that is not a complete result of one study, studies that cannot be compared (different kinds, horizons or warmups), or --paired on studies that cannot be paired; every problem is listed and nothing is written
  130, 143  stopped by SIGINT (Ctrl-C) or SIGTERM: nothing was written";
/// The exit statuses of `report`.
const REPORT_HELP: &str = "\
Exit status:
  0  success: report.html is written (also when stdout is closed early)
  1  report.html (or --out) cannot be written, or stdout cannot be written
  2  DIR is not a complete result folder (no manifest.json, plan.json or compare.json), or a file it needs is missing or unreadable; nothing was written";

/// The exit statuses of `fit`.
const FIT_HELP: &str = "\
Exit status:
  0  success: the scenario, fit_report.csv and fit_report.json (and with --report fit_report.html) are written (also when stdout is closed early)
  1  a file that cannot be written (nothing is left that looks like a result), or stdout that cannot be written
  2  bad input: a log that cannot be read, a malformed line without --skip-bad (the file, line and what is wrong are named), or an output file that exists without --force (fit_report.html only with --report); nothing is written
  130, 143  stopped by SIGINT (Ctrl-C) or SIGTERM";

/// fleetsim: simulate the lifecycle of ECS and BMS fleets and report state occupancy.
#[derive(Parser, Debug)]
#[command(name = "fleetsim", version, about, long_about = None, after_help = EXIT_STATUS)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the study a scenario file describes and write its results.
    #[command(after_help = EXIT_STATUS)]
    Run {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Override the scenario's seed (checked with the scenario, so that
        /// every problem is reported at once).
        #[arg(long)]
        seed: Option<String>,
        /// Override the scenario's horizon, e.g. "7d".
        #[arg(long)]
        horizon: Option<String>,
        /// Override the scenario's warmup, e.g. "0s" (statistics cover
        /// [warmup, horizon]).
        #[arg(long)]
        warmup: Option<String>,
        /// Result folder [default: output/<scenario name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write transitions.csv, one row per change of any server.
        #[arg(long)]
        trace: bool,
        /// Compress the trace as it is written: zstd writes
        /// transitions.csv.zst (pandas and polars read it directly).
        #[arg(long, value_enum, default_value_t = Compression::None, value_name = "HOW")]
        compress: Compression,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        /// Replace the results of an earlier run in the result folder.
        #[arg(long)]
        force: bool,
        /// Override the scenario's number of independent replications.
        #[arg(long)]
        replications: Option<String>,
        /// Threads running replications [default: one per core]; the results
        /// are the same whatever the number.
        #[arg(long, short, value_parser = clap::value_parser!(u64).range(1..=1024))]
        jobs: Option<u64>,
        /// With several replications, also write each one's own time series
        /// (and trace) into replication-<r>/.
        #[arg(long)]
        per_replication: bool,
        /// Also write report.html into the result folder: one self-contained
        /// page of charts and tables (see `fleetsim report`).
        #[arg(long)]
        report: bool,
        /// Refuse the study (exit 2) if its estimated memory exceeds this,
        /// e.g. "4GiB"; `validate` prints the estimate.
        #[arg(long, default_value = "16GiB", value_parser = size)]
        max_memory: u64,
        /// Refuse the study (exit 2) if its estimated output exceeds this
        /// (the trace of --trace is not estimated).
        #[arg(long, default_value = "64GiB", value_parser = size)]
        max_output: u64,
        /// Run only shard I of N (from 0/N to N-1/N): every N-th unit (point
        /// × replication) of the study, starting with unit I, into a shard
        /// folder that `fleetsim merge` combines with the others [default
        /// folder: output/<scenario name>-shard-<I>].
        #[arg(long, value_name = "I/N", value_parser = shard)]
        shard: Option<crate::shard::ShardSpec>,
    },
    /// Merge the shard folders of one study (`run --shard I/N`, every I)
    /// into the files a single `run` of the whole study writes, byte for
    /// byte (manifest.json's wall_seconds and events_per_second aside).
    #[command(after_help = MERGE_HELP)]
    Merge {
        /// Result folder.
        out: PathBuf,
        /// The shard folders, in any order.
        #[arg(required = true, value_name = "SHARD_DIR")]
        shards: Vec<PathBuf>,
        /// Replace the results of an earlier run in the result folder.
        #[arg(long)]
        force: bool,
        /// Read the scenario from this file rather than from where the
        /// shards ran it (shard.json's scenario_path); it must still be the
        /// same study.
        #[arg(long)]
        scenario: Option<PathBuf>,
    },
    /// Find the smallest size of a pool that meets a target, such as
    /// "blocked_share <= 0.01", with confidence: every candidate size runs
    /// the same replications (common random numbers), more of them where
    /// its interval straddles the target.
    #[command(after_help = PLAN_HELP)]
    Plan {
        /// Scenario file (TOML) with host pools.
        scenario: PathBuf,
        /// The pool to size (an ECS pool's name, or a BMS pool's bare-metal
        /// flavor); repeat for several, each sized in turn with the others
        /// at their configured sizes.
        #[arg(long = "pool", required = true, value_name = "NAME")]
        pools: Vec<String>,
        /// What the pool must meet: METRIC <= VALUE or METRIC >= VALUE, e.g.
        /// "blocked_share <= 0.01", "utilisation_p95 <= 0.85",
        /// "availability >= 0.999".
        #[arg(long, value_parser = target)]
        target: crate::plan::Target,
        /// Confidence of the intervals: a "<=" target is met when the upper
        /// end of the interval is at or below it, a ">=" target when the
        /// lower end is at or above it.
        #[arg(long, default_value_t = 0.95, value_parser = confidence)]
        confidence: f64,
        /// The smallest size searched.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=crate::capacity::read::MAX_COUNT))]
        min: u32,
        /// The largest size searched, evaluated first [default: 4 × the
        /// pool's size in the scenario].
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=crate::capacity::read::MAX_COUNT))]
        max: Option<u32>,
        /// Most replications a candidate gets while its interval straddles
        /// the target [default: 40, or the scenario's replications if more].
        #[arg(long, value_parser = clap::value_parser!(u32).range(2..=100_000))]
        max_replications: Option<u32>,
        /// Result folder [default: output/<scenario name>-plan].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the files of an earlier plan in the result folder.
        #[arg(long)]
        force: bool,
        /// Override the scenario's seed (checked with the scenario, so that
        /// every problem is reported at once).
        #[arg(long)]
        seed: Option<String>,
        /// Override the scenario's horizon, e.g. "30d".
        #[arg(long)]
        horizon: Option<String>,
        /// Override the scenario's warmup, e.g. "10d".
        #[arg(long)]
        warmup: Option<String>,
        /// Threads running replications [default: one per core]; the results
        /// are the same whatever the number.
        #[arg(long, short, visible_alias = "threads", value_parser = clap::value_parser!(u64).range(1..=1024))]
        jobs: Option<u64>,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        /// Also write report.html into the result folder: the plan's curve
        /// and every size evaluated (see `fleetsim report`).
        #[arg(long)]
        report: bool,
    },
    /// Write report.html, one page of tables and charts, for a result
    /// folder of `run`, `plan` or `compare`.
    ///
    /// The page is self-contained (charts as inline SVG, nothing loaded
    /// from the network) and shows the headline figures, occupancy over
    /// time, shares and sojourns, operations, capacity, the sweep's or
    /// plan's curves and the scenario; for a comparison, the differences
    /// B − A with their intervals. An existing report.html is replaced: it
    /// is made from the folder's files, which are not changed.
    #[command(after_help = REPORT_HELP)]
    Report {
        /// The result folder (it holds manifest.json, plan.json or
        /// compare.json).
        dir: PathBuf,
        /// Write the report here instead of DIR/report.html.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Compare two studies' results: per metric, the difference B − A with
    /// its 95% interval, paired by replication when both used the same seed
    /// and replications (common random numbers), Welch's otherwise; writes
    /// compare.csv and compare.json (and, with --report, report.html).
    #[command(after_help = COMPARE_HELP)]
    Compare {
        /// The first study's result folder (A), e.g. output/baseline.
        a: PathBuf,
        /// The second study's result folder (B), e.g. output/failure-storm.
        b: PathBuf,
        /// Folder for compare.csv and compare.json [default:
        /// output/compare-<A>-vs-<B>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace an earlier comparison's files in the folder.
        #[arg(long)]
        force: bool,
        /// Welch's interval even when the studies could be paired.
        #[arg(long, conflicts_with = "paired")]
        welch: bool,
        /// Require the paired interval: refuse (exit 2) unless both studies
        /// have the same seed and the same replications, at least 2.
        #[arg(long)]
        paired: bool,
        /// Also write report.html into the folder: the headline differences
        /// as tables and charts, and every metric (see `fleetsim report`).
        #[arg(long)]
        report: bool,
    },
    /// Fit a scenario to event logs: step durations, failure and timeout
    /// probabilities, time to fault (censored), repair time, operation
    /// rates and mix, arrivals and lifetimes, each with its 95% interval.
    ///
    /// Reads fleetsim's own transitions.csv, Nova's versioned
    /// notifications as JSON lines (.jsonl), or Nova's instance actions
    /// (.json), each also zstd-compressed (.zst), streamed line by line.
    /// The format is told by the extension (.csv; .jsonl, .ndjson, .json),
    /// else by the content. Writes the scenario to --out, and
    /// fit_report.csv and fit_report.json beside it (and fit_report.html
    /// with --report).
    #[command(after_help = FIT_HELP)]
    Fit {
        /// The logs: transitions.csv, Nova notification logs (.jsonl) or
        /// instance-actions files (.json), each also as .zst.
        #[arg(required = true)]
        logs: Vec<PathBuf>,
        /// The scenario to write (TOML); the reports go in its folder.
        #[arg(long)]
        out: PathBuf,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
        /// Leave out malformed lines and fit the rest: they are counted,
        /// and the first few named, in the output and in fit_report.json.
        /// Without it a malformed line refuses the fit (exit 2).
        #[arg(long)]
        skip_bad: bool,
        /// Also write fit_report.html beside the scenario: every estimate,
        /// and a chart per fitted duration of its empirical distribution
        /// against the fitted families.
        #[arg(long)]
        report: bool,
    },
    /// Check a scenario and print a one-screen summary of the study.
    #[command(after_help = EXIT_STATUS)]
    Validate {
        /// Scenario file (TOML).
        scenario: PathBuf,
    },
    /// Print the ECS status map and the BMS state table the simulator uses.
    States {
        /// Print the tables as JSON, for test suites to assert against.
        #[arg(long)]
        json: bool,
    },
    /// Write API-shaped test fixtures: server objects, requests with their
    /// responses, and per-request timelines a mock can replay.
    #[command(after_help = EXIT_STATUS)]
    Fixtures {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Result folder [default: output/<scenario name>-fixtures].
        #[arg(long)]
        out: Option<PathBuf>,
        /// When servers are observed: at every change, or as a client
        /// polling every --poll-interval sees them.
        #[arg(long, value_enum, default_value_t = FixtureMode::Transitions)]
        mode: FixtureMode,
        /// Interval of --mode poll, e.g. "30s".
        #[arg(long, default_value = "30s", value_parser = interval)]
        poll_interval: SimTime,
        /// Keep only servers whose timeline visits one of these: API statuses
        /// (REVERT_RESIZE), ECS pairs (resized:resize_reverting), ECS
        /// vm_states or task_states, BMS lifecycle states (reinstalling_os_failed).
        #[arg(long, num_args = 1.., value_parser = visit)]
        visits: Vec<String>,
        /// Keep only the first N servers (of those that visit, with --visits).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        limit: Option<u64>,
        /// Override the scenario's seed (checked with the scenario, so that
        /// every problem is reported at once).
        #[arg(long)]
        seed: Option<String>,
        /// Override the scenario's horizon, e.g. "2d".
        #[arg(long)]
        horizon: Option<String>,
        /// Replace the fixtures of an earlier run in the result folder.
        #[arg(long)]
        force: bool,
        /// Compress the line files as they are written: zstd writes
        /// servers.jsonl.zst, requests.jsonl.zst and timelines.jsonl.zst.
        #[arg(long, value_enum, default_value_t = Compression::None, value_name = "HOW")]
        compress: Compression,
        /// Refuse (exit 2) if the estimated memory exceeds this, e.g. "4GiB".
        #[arg(long, default_value = "16GiB", value_parser = size)]
        max_memory: u64,
        /// Refuse (exit 2) if the estimated output exceeds this (poll mode
        /// writes every server at every poll).
        #[arg(long, default_value = "64GiB", value_parser = size)]
        max_output: u64,
        /// The compute API microversion of the ECS server objects, requests
        /// and responses: 2.1 to 2.104, or "latest".
        #[arg(long, default_value = "latest", value_parser = microversion)]
        microversion: crate::fixtures::microversion::Microversion,
    },
}

/// `fixtures --mode`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixtureMode {
    /// At every change of a server.
    Transitions,
    /// As a client polling every --poll-interval sees the servers.
    Poll,
}

/// A `--max-memory` or `--max-output`, as [`crate::budget::parse_bytes`]
/// reads it.
fn size(s: &str) -> Result<u64, String> {
    crate::budget::parse_bytes(s)
}

/// A `--shard`, as [`crate::shard::ShardSpec`] reads it.
fn shard(s: &str) -> Result<crate::shard::ShardSpec, String> {
    s.parse()
}

/// A poll interval: a duration longer than 0s.
fn interval(s: &str) -> Result<SimTime, String> {
    match parse_duration(s)? {
        SimTime::ZERO => Err(format!("\"{s}\" must be longer than 0s, e.g. \"30s\"")),
        t => Ok(t),
    }
}

/// A `--target`, checked as [`crate::plan::Target`] reads it.
fn target(s: &str) -> Result<crate::plan::Target, String> {
    s.parse()
}

/// A `--confidence`: strictly between 0 and 1.
fn confidence(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(c) if c > 0.0 && c < 1.0 => Ok(c),
        _ => Err(format!(
            "\"{s}\" is not a confidence; give a number strictly between 0 and 1, e.g. 0.95"
        )),
    }
}

/// A `--microversion`, as [`crate::fixtures::microversion::Microversion::parse`]
/// reads it.
fn microversion(s: &str) -> Result<crate::fixtures::microversion::Microversion, String> {
    crate::fixtures::microversion::Microversion::parse(s)
}

/// A `--visits` value, checked as [`crate::fixtures::Visit::parse`] reads it.
fn visit(s: &str) -> Result<String, String> {
    crate::fixtures::Visit::parse(s).map(|_| s.to_string())
}
