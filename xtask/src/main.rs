//! Developer tasks for fleetsim, kept out of the product binary:
//! `cargo xtask bench` measures speed and memory (see docs/performance.md).
//! Run from the repository's folder: the default scenarios are its own.

mod bench;
mod synth_trace;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use fleetsim::app::Status;
use fleetsim::scenario::{Overrides, Scenario};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// fleetsim's developer tasks.
#[derive(Parser, Debug)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand, Debug)]
enum Task {
    /// Measure speed and memory: events per second on the bench scenarios
    /// with and without --trace, peak RSS, replication scaling and start-up,
    /// against a bare BinaryHeap hold loop as the yardstick. Builds the
    /// release fleetsim binary first (the debug one with --smoke).
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
        /// The fleetsim binary whose start-up is measured [default: built
        /// now with cargo, release profile, or dev with --smoke].
        #[arg(long)]
        fleetsim: Option<PathBuf>,
    },
    /// Write a synthetic VM table in the Azure Public Dataset's vmtable.csv
    /// layout (every id says "synthetic"), for trace replay.
    SynthTrace {
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
        /// Days the trace covers.
        #[arg(long, default_value_t = 14.0)]
        days: f64,
        /// Deployments created per day, on average.
        #[arg(long, default_value_t = 100.0)]
        deployments_per_day: f64,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// One measurement of `bench`, run in a child process so that its peak
    /// memory is its own; prints one JSON line.
    #[command(hide = true)]
    BenchRun(bench::ChildArgs),
}

fn main() -> ExitCode {
    ExitCode::from(Status::report(execute(Cli::parse().task)))
}

fn execute(task: Task) -> Result<()> {
    match task {
        Task::Bench {
            scenarios,
            smoke,
            no_trace,
            work,
            fleetsim,
        } => {
            let opts = bench_options(scenarios, smoke, !no_trace, work, fleetsim)?;
            if !bench::run_harness(&opts, &mut std::io::stdout().lock())? {
                println!("\nsome targets were missed");
            }
        }
        Task::SynthTrace {
            out,
            days,
            deployments_per_day,
            seed,
        } => {
            let rows = synth_trace::write(&out, days, deployments_per_day, seed)?;
            println!("wrote {rows} synthetic rows to {}", out.display());
        }
        Task::BenchRun(args) => {
            let m = bench::measure(&args)?;
            println!("{}", serde_json::to_string(&m)?);
        }
    }
    Ok(())
}

/// The bench's policy: which scenarios, which replication studies (one that
/// fits the cache and one that does not), which binary.
fn bench_options(
    scenarios: Vec<PathBuf>,
    smoke: bool,
    trace: bool,
    work: Option<PathBuf>,
    fleetsim: Option<PathBuf>,
) -> Result<bench::Options> {
    let scenarios = if !scenarios.is_empty() {
        scenarios
    } else if smoke {
        vec!["scenarios/quick.toml".into()]
    } else {
        vec![
            "scenarios/bench-100k.toml".into(),
            "scenarios/bench-1m.toml".into(),
        ]
    };
    for s in &scenarios {
        // Fail before any measurement, with the scenario's own errors.
        Scenario::load_plan(s, &Overrides::default())?;
    }
    // baseline × 4 over 120 d fits the cache; two replications of
    // bench-100k share the L3 cache.
    let baseline = PathBuf::from("scenarios/baseline.toml");
    let replications = if smoke {
        vec![(scenarios[0].clone(), None)]
    } else {
        let mut r = Vec::new();
        if baseline.exists() {
            r.push((baseline, Some("120d".to_string())));
        }
        r.push((scenarios[0].clone(), Some("7d".to_string())));
        r
    };
    let quick = PathBuf::from("scenarios/quick.toml");
    Ok(bench::Options {
        scenarios,
        smoke,
        work: work.unwrap_or_else(|| {
            std::env::temp_dir().join(format!("fleetsim-bench-{}", std::process::id()))
        }),
        trace,
        replications,
        startup: quick.exists().then_some(quick),
        fleetsim: match fleetsim {
            Some(path) => path,
            None => build_fleetsim(smoke)?,
        },
        yardstick_events: if smoke { 200_000 } else { 10_000_000 },
    })
}

/// Builds the fleetsim binary with cargo (release, or dev for a smoke run)
/// and returns its path.
fn build_fleetsim(smoke: bool) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut cmd = std::process::Command::new(&cargo);
    cmd.current_dir(&root).args([
        "build",
        "--quiet",
        "--package",
        "fleetsim",
        "--bin",
        "fleetsim",
    ]);
    if !smoke {
        cmd.arg("--release");
    }
    let status = cmd.status().context("cannot run cargo to build fleetsim")?;
    if !status.success() {
        bail!("cargo could not build the fleetsim binary ({status})");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let exe = target
        .join(if smoke { "debug" } else { "release" })
        .join(format!("fleetsim{}", std::env::consts::EXE_SUFFIX));
    if !exe.exists() {
        bail!("cargo built fleetsim, but it is not at {}", exe.display());
    }
    Ok(exe)
}
