//! The `fleetsim` binary: parse the command line, hand over to the library.

use clap::Parser;
use fleetsim::cli::{Cli, Command};
use fleetsim::scenario::{Overrides, ScenarioError};
use fleetsim::{describe, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(se) = e.downcast_ref::<ScenarioError>() {
                eprint!("error: {se}");
                return ExitCode::from(2);
            }
            if e.downcast_ref::<UsageError>().is_some() {
                return ExitCode::from(2);
            }
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// A command line that cannot work; the message is already printed.
#[derive(Debug, thiserror::Error)]
#[error("usage")]
struct UsageError;

fn execute(command: Command) -> anyhow::Result<()> {
    match command {
        Command::States => {
            print!("{}", describe::states());
        }
        Command::Validate { scenario } => {
            let plan = fleetsim::scenario::Scenario::load_plan(&scenario, &Overrides::default())?;
            print!("{}", describe::plan(&plan, &scenario.display().to_string()));
        }
        Command::Run {
            scenario,
            seed,
            horizon,
            out,
            trace,
            quiet,
            force,
            replications,
            jobs,
            per_replication,
        } => {
            let overrides = Overrides {
                seed,
                horizon,
                replications,
            };
            let plan = fleetsim::scenario::Scenario::load_plan(&scenario, &overrides)?;
            let sc = &plan.points[0].scenario;
            if trace && sc.replications > 1 && !per_replication {
                eprintln!(
                    "error: --trace with {} replications needs --per-replication: each replication's trace goes to its own folder",
                    sc.replications
                );
                return Err(anyhow::anyhow!(UsageError));
            }
            let out = out.unwrap_or_else(|| std::path::Path::new("output").join(&sc.name));
            let opts = run::RunOptions {
                out: out.clone(),
                trace,
                force,
                progress: !quiet,
                jobs: jobs.map_or(0, |j| j as usize),
                per_replication,
            };
            let report = run::run(&plan, Some(&scenario), &opts)?;
            print!("{}", describe::report(&report, &out));
        }
    }
    Ok(())
}
