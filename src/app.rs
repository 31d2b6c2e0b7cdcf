//! The commands behind the command line: each reads its scenario, calls the
//! library and writes its report, and [`Status`] says which exit status an
//! error earns. The binary only parses and hands over; this is the one place
//! where exit statuses are decided.

use crate::cli::{Command, FixtureMode};
use crate::output::compress::Compression;
use crate::scenario::{Overrides, Scenario, ScenarioError};
use crate::{compare, describe, fixtures, plan, run};
use anyhow::Context;
use std::io::Write;
use std::path::Path;

/// A command line that cannot work, for a reason only known once the
/// scenario is read (a flag that the scenario's replications or sweep rule
/// out). Nothing has run.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// A plan whose `--max` misses the target for some pool: there is no
/// answer to give (exit 1). Its message is the plan's report, the evidence
/// (`plan.csv` holds it too).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TargetMissed(pub String);

/// How a command ended, as the exit status tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Done (exit 0).
    Success,
    /// Stdout was closed early (`| head`): nothing more is wanted, so the
    /// command ends quietly with exit 0.
    Closed,
    /// Bad input: the scenario, or a value on the command line (exit 2).
    /// Nothing ran and no folder was created.
    BadInput,
    /// Anything else: a folder or file that cannot be written (exit 1).
    Failed,
    /// Stopped by SIGINT or SIGTERM: nothing was written (exit 128 + the
    /// signal's number: 130, 143).
    Interrupted(i32),
}

impl Status {
    /// What `err` says about how the command ended.
    pub fn of(err: &anyhow::Error) -> Status {
        let broken_pipe = err.chain().any(|e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        });
        if let Some(i) = err.downcast_ref::<crate::interrupt::Interrupted>() {
            Status::Interrupted(i.0)
        } else if broken_pipe {
            Status::Closed
        } else if err.is::<ScenarioError>()
            || err.is::<UsageError>()
            || err.is::<crate::budget::OverBudget>()
            || err.is::<crate::compare::CompareError>()
            || err.is::<clap::Error>()
            || err.is::<crate::report::ReportInputError>()
            || err.is::<crate::fit::FitError>()
        {
            Status::BadInput
        } else {
            Status::Failed
        }
    }

    /// The exit status.
    pub fn code(self) -> u8 {
        match self {
            Status::Success | Status::Closed => 0,
            Status::Failed => 1,
            Status::BadInput => 2,
            Status::Interrupted(signal) => 128u8.saturating_add(signal.clamp(0, 127) as u8),
        }
    }

    /// Ends a command: prints what `outcome`'s error, if any, says on
    /// stderr, and returns the exit status. Every binary ends through here.
    /// A stderr that cannot be written loses the message, never the status
    /// (`eprint!` would panic, exit 101).
    pub fn report(outcome: anyhow::Result<()>) -> u8 {
        let status = match outcome {
            Ok(()) => Status::Success,
            Err(e) => {
                let status = Status::of(&e);
                let _lost = match e.downcast_ref::<clap::Error>() {
                    // clap prints its own, coloured on a terminal.
                    Some(refused) => refused.print(),
                    None => status.message(&e).map_or(Ok(()), |message| {
                        let mut stderr = std::io::stderr().lock();
                        stderr
                            .write_all(message.as_bytes())
                            .and_then(|()| stderr.flush())
                    }),
                };
                status
            }
        };
        status.code()
    }

    /// What to print on stderr for `err`, if anything.
    pub fn message(self, err: &anyhow::Error) -> Option<String> {
        match self {
            Status::Success | Status::Closed => None,
            // A scenario error lists its problems, a line each.
            _ if err.is::<ScenarioError>() => Some(format!("error: {err}")),
            // So does a comparison refused.
            _ if err.is::<crate::compare::CompareError>() => Some(format!("error: {err}")),
            _ if err.is::<crate::fit::FitError>() => Some(format!("error: {err}")),
            Status::Interrupted(_) => Some(format!("{err}\n")),
            // clap's message says "error:" itself and ends with a newline.
            _ if err.is::<clap::Error>() => Some(err.to_string()),
            _ => Some(format!("error: {err:#}\n")),
        }
    }
}

/// What a command line clap did not turn into a command gives: its help or
/// the version, written to stdout (exit 0; a stdout that cannot be written
/// is an error like any command's), or a command line it refuses, for
/// [`Status::report`] to print (exit 2).
pub fn without_command(parsed: clap::Error) -> anyhow::Result<()> {
    if parsed.use_stderr() {
        return Err(parsed.into());
    }
    // clap writes help to stdout itself (coloured on a terminal); its
    // error is returned, not swallowed as `clap::Error::exit` would.
    parsed
        .print()
        .and_then(|()| std::io::stdout().flush())
        .context("cannot write to stdout")
}

/// Runs one command, writing its report to `out`.
pub fn execute(command: Command, out: &mut dyn Write) -> anyhow::Result<()> {
    let report = run_command(command)?;
    out.write_all(report.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to stdout")
}

/// Writes the report of the result folder `dir` that a `run`, `plan` or
/// `compare` just wrote, and returns the line that says so. Its files are
/// in place whatever happens here, so a report that cannot be made is a
/// failure of the command (exit 1), its message beginning with what was
/// written.
fn write_report(dir: &Path, written: &str) -> anyhow::Result<String> {
    match crate::report::write(dir, None) {
        Ok(w) => Ok(report_line(&w)),
        Err(e) => Err(anyhow::anyhow!(
            "{written}the results are in {}, but their report could not be written: {e:#}",
            dir.display()
        )),
    }
}

/// The line that says where a report went.
fn report_line(w: &crate::report::Written) -> String {
    format!(
        "  wrote {}: {} charts, {:.0} KiB\n",
        w.path.display(),
        w.charts,
        w.bytes as f64 / 1024.0
    )
}

/// What `fleetsim fit` says when it is done.
fn fit_report(outcome: &crate::fit::Outcome, secs: f64) -> String {
    let mut s = format!(
        "fit: {} rows in {:.2} s ({:.0} rows/s), {} estimates\n",
        outcome.rows,
        secs,
        outcome.rows as f64 / secs.max(1e-9),
        outcome.estimates.len()
    );
    for (cause, n) in &outcome.unknown_causes {
        s += &format!("  unknown cause {cause:?}: {n} rows, not used\n");
    }
    for (event, n) in &outcome.unknown_events {
        s += &format!("  unknown event {event:?}: {n}, not used\n");
    }
    if outcome.skipped > 0 {
        s += &format!(
            "  skipped {} malformed line{} (--skip-bad)\n",
            outcome.skipped,
            if outcome.skipped == 1 { "" } else { "s" }
        );
        for p in &outcome.skipped_first {
            s += &format!("    {p}\n");
        }
    }
    for p in &outcome.written {
        s += &format!("  wrote {}\n", p.display());
    }
    s
}

/// Runs one command and returns its report.
fn run_command(command: Command) -> anyhow::Result<String> {
    Ok(match command {
        Command::States { json } => {
            if json {
                describe::states_json() + "\n"
            } else {
                describe::states()
            }
        }
        Command::Compare {
            a,
            b,
            out: dir,
            force,
            welch,
            paired,
            report: with_report,
        } => {
            let dir = dir.unwrap_or_else(|| compare::default_out(&a, &b));
            let opts = compare::Options {
                a,
                b,
                out: dir.clone(),
                force,
                choice: match (welch, paired) {
                    (true, _) => compare::Choice::Welch,
                    (_, true) => compare::Choice::Paired,
                    _ => compare::Choice::Auto,
                },
            };
            let comparison = compare::run(&opts)?;
            let text = compare::console::report(&comparison, &dir);
            if with_report {
                let line = write_report(&dir, &text)?;
                text + &line
            } else {
                text
            }
        }
        Command::Fit {
            logs,
            out,
            force,
            skip_bad,
            report,
        } => {
            let started = std::time::Instant::now();
            let outcome = crate::fit::run(&crate::fit::Options {
                logs,
                out,
                force,
                skip_bad,
                report,
            })?;
            fit_report(&outcome, started.elapsed().as_secs_f64())
        }
        Command::Validate { scenario } => {
            let plan = Scenario::load_plan(&scenario, &Overrides::default())?;
            let budget = crate::budget::of_run(&plan, 0, false, None);
            describe::plan(&plan, &scenario.display().to_string())
                + &format!(
                    "  budget: {}\n    with --trace: {} more output ({} rows; {} with --compress zstd)\n",
                    budget.describe(),
                    crate::budget::bytes(crate::budget::trace_output(&plan, Compression::None)),
                    crate::budget::count(crate::budget::trace_rows(&plan)),
                    crate::budget::bytes(crate::budget::trace_output(&plan, Compression::Zstd)),
                )
        }
        Command::Run {
            scenario,
            seed,
            horizon,
            warmup,
            out: dir,
            trace,
            compress,
            quiet,
            force,
            replications,
            jobs,
            per_replication,
            report: with_report,
            max_memory,
            max_output,
            shard,
        } => {
            let overrides = Overrides {
                seed,
                horizon,
                warmup,
                replications,
                no_statistics: false,
            };
            let plan = Scenario::load_plan(&scenario, &overrides)?;
            let jobs_n = jobs.map_or(0, |j| j as usize);
            let traced = trace.then_some(compress);
            let budget = match shard {
                Some(s) => {
                    let units = s.units(run::units(&plan).len()).len();
                    crate::budget::of_shard(&plan, jobs_n, per_replication, traced, units)
                }
                None => crate::budget::of_run(&plan, jobs_n, per_replication, traced),
            };
            budget.check(max_memory, max_output)?;
            if let Some(note) = traced.and_then(|how| crate::budget::trace_note(&plan, how)) {
                // A lost stderr loses the note, not the run.
                let _lost = writeln!(std::io::stderr(), "{note}");
            }
            let name = &plan.points[0].scenario.name;
            let dir = dir.unwrap_or_else(|| match shard {
                Some(s) => Path::new("output").join(format!("{name}-shard-{}", s.index)),
                None => Path::new("output").join(name),
            });
            let opts = run::RunOptions {
                out: dir.clone(),
                trace,
                compress,
                force,
                progress: !quiet,
                jobs: jobs.map_or(0, |j| j as usize),
                per_replication,
            };
            if let Some(s) = shard {
                return Ok(
                    crate::shard::run_shard(&plan, &scenario, &overrides, s, &opts)?.describe(),
                );
            }
            let report = run::run(&plan, Some(&scenario), &opts)?;
            let text = describe::report(&report, &dir);
            if with_report {
                let line = write_report(&dir, &text)?;
                text + &line
            } else {
                text
            }
        }
        Command::Report { dir, out } => {
            let written = crate::report::write(&dir, out.as_deref())?;
            report_line(&written)
        }
        Command::Merge {
            out: dir,
            shards,
            force,
            scenario,
        } => {
            let opts = crate::shard::merge::MergeOptions {
                out: dir.clone(),
                shards,
                force,
                scenario,
            };
            let merged = crate::shard::merge::merge(&opts)?;
            format!(
                "merged {} shard folders, {} units\n{}",
                merged.shards,
                merged.units,
                describe::report(&merged.run, &dir)
            )
        }
        Command::Plan {
            scenario,
            pools,
            target,
            confidence,
            min,
            max,
            max_replications,
            out: dir,
            force,
            seed,
            horizon,
            warmup,
            jobs,
            quiet,
            report: with_report,
        } => {
            let overrides = Overrides {
                seed,
                horizon,
                warmup,
                ..Overrides::default()
            };
            let base = Scenario::load_base(&scenario, &overrides)?;
            let name = base.scenario().map_err(|e| overrides.name_options(e))?.name;
            let dir = dir.unwrap_or_else(|| Path::new("output").join(format!("{name}-plan")));
            let opts = plan::PlanOptions {
                pools,
                target,
                confidence,
                min,
                max,
                max_replications,
                out: dir.clone(),
                force,
                jobs: jobs.map_or(0, |j| j as usize),
                progress: !quiet,
            };
            // A value given on the command line is named by its option.
            let report = plan::plan(&base, Some(&scenario), &opts).map_err(|e| match e
                .downcast::<ScenarioError>()
            {
                Ok(se) => overrides.name_options(se).into(),
                Err(e) => e,
            })?;
            let mut text = describe::plan_report(&report, &dir);
            if with_report {
                text += &write_report(&dir, &text)?;
            }
            let missed: Vec<&str> = report.missed().iter().map(|p| p.pool.as_str()).collect();
            if !missed.is_empty() {
                return Err(TargetMissed(format!(
                    "{} is not met at --max by pool {}; raise --max. What was evaluated is below and in {}\n{text}",
                    report.target,
                    missed.join(", "),
                    dir.join(crate::output::files::PLAN_CSV).display()
                ))
                .into());
            }
            text
        }
        Command::Fixtures {
            scenario,
            out: dir,
            mode,
            poll_interval,
            visits,
            limit,
            seed,
            horizon,
            force,
            compress,
            max_memory,
            max_output,
            microversion,
        } => {
            let overrides = Overrides {
                seed,
                horizon,
                no_statistics: true,
                ..Overrides::default()
            };
            let plan = Scenario::load_plan(&scenario, &overrides)?;
            if plan.points.len() > 1 {
                return Err(UsageError(format!(
                    "{} is a sweep of {} points; fixtures come from one scenario, so remove its [sweep] section or copy one point's values into a scenario of its own",
                    scenario.display(),
                    plan.points.len()
                ))
                .into());
            }
            let sc = &plan.points[0].scenario;
            let poll = (mode == FixtureMode::Poll).then_some(poll_interval);
            crate::budget::of_fixtures(sc, poll).check(max_memory, max_output)?;
            if let Some(note) = poll.and_then(|i| crate::budget::poll_note(sc, i, compress)) {
                // A lost stderr loses the note, not the fixtures.
                let _lost = writeln!(std::io::stderr(), "{note}");
            }
            let dir =
                dir.unwrap_or_else(|| Path::new("output").join(format!("{}-fixtures", sc.name)));
            let opts = fixtures::Options {
                out: dir.clone(),
                mode: match mode {
                    FixtureMode::Transitions => fixtures::Mode::Transitions,
                    FixtureMode::Poll => fixtures::Mode::Poll(poll_interval),
                },
                visits,
                limit,
                force,
                compress,
                microversion,
            };
            let written = fixtures::write(sc, &opts)?;
            fixtures::report(&written, &dir)
        }
    })
}
