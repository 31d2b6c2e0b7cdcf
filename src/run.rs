//! One study from start to end, as the CLI runs it: prepare the result folder
//! (failing before any simulation), simulate with a progress bar, export every
//! file atomically, and write the manifest last.

use crate::engine::SimTime;
use crate::model::Kind;
use crate::output::{self, CsvRecorder, Export, Manifest, OperationsCsv, SummaryCsv};
use crate::scenario::Scenario;
use crate::sim::{Outcomes, Simulation};
use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How to run a study.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Result folder.
    pub out: PathBuf,
    /// Write `transitions.csv`.
    pub trace: bool,
    /// Replace the files of an earlier run in `out`.
    pub force: bool,
    /// Show a progress bar (only drawn when stderr is a terminal).
    pub progress: bool,
}

/// What a finished study reports.
pub struct RunReport {
    pub outcomes: Outcomes,
    pub wall_seconds: f64,
    pub files: Vec<PathBuf>,
}

/// Runs `scenario` (read from `source`, if from a file) and writes its results.
pub fn run(scenario: &Scenario, source: Option<&Path>, opts: &RunOptions) -> Result<RunReport> {
    output::prepare_dir(&opts.out, opts.force)?;
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|&k| scenario.kind(k).is_some())
        .collect();
    let mut recorder = CsvRecorder::create(&opts.out, &kinds, opts.trace)?;
    let bar = progress_bar(scenario.horizon, opts.progress);
    let started = Instant::now();
    let outcomes = {
        let sim = Simulation::new(scenario, &mut recorder);
        let mut tick = |now: SimTime, events: u64| {
            bar.set_position(now.ms() / 1000);
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!(
                "day {:.1}/{:.1} · {:.2} M events/s",
                now.as_secs_f64() / 86_400.0,
                scenario.horizon.as_secs_f64() / 86_400.0,
                events as f64 / secs / 1e6
            ));
        };
        sim.run(&mut tick)
    };
    let wall_seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let mut files = recorder.finish()?;
    let exports: [&dyn Export; 2] = [&SummaryCsv, &OperationsCsv];
    for e in exports {
        files.push(output::export(&opts.out, e, &outcomes)?);
    }
    let mut names: Vec<String> = files
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    names.push("manifest.json".into());
    let manifest = Manifest::new(
        &outcomes,
        source.map(|p| p.display().to_string()),
        wall_seconds,
        names,
    );
    let mut f = output::AtomicFile::create(&opts.out, "manifest.json")?;
    manifest.write(f.writer())?;
    files.push(f.commit()?);
    Ok(RunReport {
        outcomes,
        wall_seconds,
        files,
    })
}

fn progress_bar(horizon: SimTime, wanted: bool) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(
            Some(horizon.ms() / 1000),
            ProgressDrawTarget::hidden(),
        );
    }
    let bar =
        ProgressBar::with_draw_target(Some(horizon.ms() / 1000), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% {msg} · ETA {eta}",
        )
        .expect("valid template"),
    );
    bar
}
