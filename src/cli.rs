//! Command-line definitions (clap derive); no logic lives here.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// fleetsim: simulate the lifecycle of ECS and BMS fleets and report state occupancy.
#[derive(Parser, Debug)]
#[command(name = "fleetsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the study a scenario file describes and write its results.
    Run {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Override the scenario's horizon, e.g. "7d".
        #[arg(long)]
        horizon: Option<String>,
        /// Result folder [default: output/<scenario name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write transitions.csv, one row per change of any server.
        #[arg(long)]
        trace: bool,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        /// Replace the results of an earlier run in the result folder.
        #[arg(long)]
        force: bool,
        /// Override the scenario's number of independent replications.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        replications: Option<u32>,
        /// Threads running replications [default: one per core]; the results
        /// are the same whatever the number.
        #[arg(long, short, value_parser = clap::value_parser!(u64).range(1..=1024))]
        jobs: Option<u64>,
        /// With several replications, also write each one's own time series
        /// (and trace) into replication-<r>/.
        #[arg(long)]
        per_replication: bool,
    },
    /// Check a scenario and print a one-screen summary of the study.
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
        #[arg(long, default_value = "30s")]
        poll_interval: String,
        /// Keep only servers whose timeline visits one of these: API statuses
        /// (REVERT_RESIZE), ECS pairs (resized:resize_reverting), ECS
        /// vm_states or task_states, BMS lifecycle states (reinstalling_os_failed).
        #[arg(long, num_args = 1..)]
        visits: Vec<String>,
        /// Keep only the first N servers (of those that visit, with --visits).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        limit: Option<u64>,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Override the scenario's horizon, e.g. "2d".
        #[arg(long)]
        horizon: Option<String>,
        /// Replace the fixtures of an earlier run in the result folder.
        #[arg(long)]
        force: bool,
    },
    /// Measure speed and memory: events per second on the bench scenarios
    /// with and without --trace, peak RSS, replication scaling and start-up,
    /// against a bare BinaryHeap hold loop as the yardstick.
    Bench {
        /// Scenarios to measure [default: scenarios/bench-100k.toml
        /// scenarios/bench-1m.toml; with --smoke: scenarios/quick.toml].
        scenarios: Vec<PathBuf>,
        /// A quick end-to-end check of the harness (for CI): small runs whose
        /// timings judge nothing.
        #[arg(long)]
        smoke: bool,
        /// Skip the runs with --trace (they write the whole trace to disk,
        /// about 12 GB for bench-1m, deleted afterwards).
        #[arg(long)]
        no_trace: bool,
        /// Folder for the runs' files, removed afterwards [default: a new
        /// folder in the system's temporary folder].
        #[arg(long)]
        work: Option<PathBuf>,
    },
    /// One measurement of `bench`, run in a child process so that its peak
    /// memory is its own; prints one JSON line.
    #[command(hide = true)]
    BenchRun {
        scenario: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        trace: bool,
        #[arg(long)]
        horizon: Option<String>,
        #[arg(long)]
        replications: Option<u32>,
        #[arg(long, default_value_t = 0)]
        jobs: usize,
    },
}

/// `fixtures --mode`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixtureMode {
    Transitions,
    Poll,
}
