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
    States,
}
