//! The `fleetsim` binary: parse the command line, hand over to the library.

use clap::Parser;
use fleetsim::cli::{Cli, Command, FixtureMode};
use fleetsim::scenario::{Overrides, ScenarioError};
use fleetsim::{bench, describe, fixtures, run};
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
        Command::States { json } => {
            if json {
                println!("{}", describe::states_json());
            } else {
                print!("{}", describe::states());
            }
        }
        Command::Fixtures {
            scenario,
            out,
            mode,
            poll_interval,
            visits,
            limit,
            seed,
            horizon,
            force,
        } => {
            let overrides = Overrides {
                seed,
                horizon,
                replications: None,
                no_statistics: true,
            };
            let plan = fleetsim::scenario::Scenario::load_plan(&scenario, &overrides)?;
            if plan.points.len() > 1 {
                eprintln!(
                    "error: {} is a sweep of {} points; fixtures come from one scenario, so remove its [sweep] section or copy one point's values into a scenario of its own",
                    scenario.display(),
                    plan.points.len()
                );
                return Err(anyhow::anyhow!(UsageError));
            }
            let sc = &plan.points[0].scenario;
            let mode = match mode {
                FixtureMode::Transitions => fixtures::Mode::Transitions,
                FixtureMode::Poll => {
                    match fleetsim::scenario::units::parse_duration(&poll_interval) {
                        Ok(i) if i > fleetsim::engine::SimTime::ZERO => fixtures::Mode::Poll(i),
                        Ok(_) => {
                            eprintln!(
                                "error: --poll-interval \"{poll_interval}\" must be longer than 0s, e.g. \"30s\""
                            );
                            return Err(anyhow::anyhow!(UsageError));
                        }
                        Err(e) => {
                            eprintln!("error: --poll-interval: {e}");
                            return Err(anyhow::anyhow!(UsageError));
                        }
                    }
                }
            };
            for v in &visits {
                if let Err(e) = fixtures::Visit::parse(v) {
                    eprintln!("error: --visits: {e}");
                    return Err(anyhow::anyhow!(UsageError));
                }
            }
            let out = out.unwrap_or_else(|| {
                std::path::Path::new("output").join(format!("{}-fixtures", sc.name))
            });
            let opts = fixtures::Options {
                out: out.clone(),
                mode,
                visits,
                limit,
                force,
            };
            let written = fixtures::write(sc, &opts)?;
            print!("{}", fixtures::report(&written, &out));
        }
        Command::Bench {
            scenarios,
            smoke,
            no_trace,
            work,
        } => {
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
                fleetsim::scenario::Scenario::load_plan(s, &Overrides::default())?;
            }
            // A study that fits the cache, and one that does not (two
            // replications of bench-100k share the L3 cache).
            let baseline = std::path::PathBuf::from("scenarios/baseline.toml");
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
            let quick = std::path::PathBuf::from("scenarios/quick.toml");
            let opts = bench::Options {
                scenarios,
                smoke,
                work: work.unwrap_or_else(|| {
                    std::env::temp_dir().join(format!("fleetsim-bench-{}", std::process::id()))
                }),
                trace: !no_trace,
                replications,
                startup: quick.exists().then_some(quick),
                yardstick_events: if smoke { 200_000 } else { 10_000_000 },
            };
            let met = bench::run_harness(&opts, &mut std::io::stdout().lock())?;
            if !met {
                println!("\nsome targets were missed");
            }
        }
        Command::BenchRun {
            scenario,
            out,
            trace,
            horizon,
            replications,
            jobs,
        } => {
            let m = bench::measure(&bench::ChildArgs {
                scenario,
                out,
                trace,
                horizon,
                replications,
                jobs,
            })?;
            println!("{}", serde_json::to_string(&m)?);
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
                no_statistics: false,
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
