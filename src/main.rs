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
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn execute(command: Command) -> anyhow::Result<()> {
    match command {
        Command::States => {
            print!("{}", describe::states());
        }
        Command::Validate { scenario } => {
            let sc = fleetsim::scenario::Scenario::load_with(&scenario, &Overrides::default())?;
            print!(
                "{}",
                describe::scenario(&sc, &scenario.display().to_string())
            );
        }
        Command::Run {
            scenario,
            seed,
            horizon,
            out,
            trace,
            quiet,
            force,
        } => {
            let overrides = Overrides { seed, horizon };
            let sc = fleetsim::scenario::Scenario::load_with(&scenario, &overrides)?;
            let out = out.unwrap_or_else(|| std::path::Path::new("output").join(&sc.name));
            let opts = run::RunOptions {
                out: out.clone(),
                trace,
                force,
                progress: !quiet,
            };
            let report = run::run(&sc, Some(&scenario), &opts)?;
            print!("{}", describe::report(&report, &out));
        }
    }
    Ok(())
}
