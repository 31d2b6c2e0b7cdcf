//! One study from start to end, as the CLI runs it: prepare the result folder
//! (failing before any simulation), run every replication on a pool of
//! threads with one progress bar, export every file atomically, and write
//! the manifest last. Results are gathered by replication number, so the
//! files are the same whatever the number of threads.

use crate::engine::SimTime;
use crate::model::Kind;
use crate::output::{
    self, AvailabilityCiCsv, AvailabilityCsv, Both, CsvRecorder, Export, Manifest, OperationsCiCsv,
    OperationsCsv, REPLICATION_DIR, SeriesRecorder, Study, SummaryCiCsv, SummaryCsv,
};
use crate::scenario::Scenario;
use crate::sim::{Change, Outcomes, Recorder, Simulation};
use crate::stats::KindStats;
use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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
    /// Threads running replications; 0 means one per core.
    pub jobs: usize,
    /// With several replications, also write each one's own time series
    /// (and trace) into `replication-<r>/`.
    pub per_replication: bool,
}

/// What a finished study reports.
pub struct RunReport {
    pub study: Study,
    pub wall_seconds: f64,
    /// Files written, relative to the result folder.
    pub files: Vec<String>,
}

/// Where one replication's samples and changes go.
enum Sink {
    /// A single run: its files, streamed.
    Files(CsvRecorder),
    /// One of several: samples kept for the aggregate, and maybe its own files.
    Series(SeriesRecorder, Option<CsvRecorder>),
}

impl Recorder for Sink {
    fn wants_changes(&self) -> bool {
        match self {
            Sink::Files(f) => f.wants_changes(),
            Sink::Series(_, f) => f.as_ref().is_some_and(|f| f.wants_changes()),
        }
    }
    fn change(&mut self, c: &Change, m: &crate::model::Machine) {
        match self {
            Sink::Files(f) | Sink::Series(_, Some(f)) => f.change(c, m),
            Sink::Series(_, None) => {}
        }
    }
    fn sample(&mut self, t: SimTime, kind: Kind, stats: &KindStats, m: &crate::model::Machine) {
        match self {
            Sink::Files(f) => f.sample(t, kind, stats, m),
            Sink::Series(s, Some(f)) => Both(&mut *s, &mut *f).sample(t, kind, stats, m),
            Sink::Series(s, None) => s.sample(t, kind, stats, m),
        }
    }
}

impl<R: Recorder + ?Sized> Recorder for &mut R {
    fn wants_changes(&self) -> bool {
        (**self).wants_changes()
    }
    fn change(&mut self, c: &Change, m: &crate::model::Machine) {
        (**self).change(c, m)
    }
    fn sample(&mut self, t: SimTime, kind: Kind, stats: &KindStats, m: &crate::model::Machine) {
        (**self).sample(t, kind, stats, m)
    }
}

/// One finished replication: its outcome and where its samples went.
type Replication = (Outcomes, Sink);

/// Runs `scenario` (read from `source`, if from a file) and writes its results.
pub fn run(scenario: &Scenario, source: Option<&Path>, opts: &RunOptions) -> Result<RunReport> {
    let n = scenario.replications.max(1) as usize;
    if opts.trace && n > 1 && !opts.per_replication {
        bail!(
            "--trace with {n} replications needs --per-replication: each replication's trace goes to its own folder"
        );
    }
    output::prepare_dir(&opts.out, opts.force)?;
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|&k| scenario.kind(k).is_some())
        .collect();
    // A single run streams its files; with several, each replication keeps
    // its samples for the aggregate (and writes its own folder if asked).
    let make_sink = |r: usize| -> Result<Sink> {
        if n == 1 {
            return Ok(Sink::Files(CsvRecorder::create(
                &opts.out, &kinds, opts.trace,
            )?));
        }
        let own = if opts.per_replication {
            let dir = opts.out.join(format!("{REPLICATION_DIR}{r}"));
            std::fs::create_dir_all(&dir)?;
            Some(CsvRecorder::create(&dir, &kinds, opts.trace)?)
        } else {
            None
        };
        Ok(Sink::Series(SeriesRecorder::default(), own))
    };
    // Open the first sink now, so a folder that cannot be written fails
    // before any simulation.
    let first = Mutex::new(Some(make_sink(0)?));

    let horizon_s = scenario.horizon.ms() / 1000;
    let bar = progress_bar(horizon_s * n as u64, opts.progress);
    let started = Instant::now();
    let events = AtomicU64::new(0);
    let done = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Replication>>>> =
        Mutex::new((0..n).map(|_| None).collect());
    let jobs = if opts.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |p| p.get())
    } else {
        opts.jobs
    }
    .clamp(1, n);
    let run_one = |r: usize| -> Result<Replication> {
        let mut sink = match first
            .lock()
            .expect("not poisoned")
            .take()
            .filter(|_| r == 0)
        {
            Some(s) => s,
            None => make_sink(r)?,
        };
        let mut last_s = 0;
        let mut last_events = 0;
        let outcomes = {
            let sim = Simulation::replication(scenario, r as u64, &mut sink);
            let mut tick = |now: SimTime, ev: u64| {
                let now_s = now.ms() / 1000;
                bar.inc(now_s.saturating_sub(last_s));
                last_s = now_s;
                let total =
                    events.fetch_add(ev - last_events, Ordering::Relaxed) + ev - last_events;
                last_events = ev;
                let secs = started.elapsed().as_secs_f64().max(1e-9);
                bar.set_message(format!(
                    "{}/{n} replications · {:.2} M events/s",
                    done.load(Ordering::Relaxed),
                    total as f64 / secs / 1e6
                ));
            };
            sim.run(&mut tick)
        };
        done.fetch_add(1, Ordering::Relaxed);
        Ok((outcomes, sink))
    };
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let r = next.fetch_add(1, Ordering::Relaxed);
                    if r >= n {
                        break;
                    }
                    let res = run_one(r);
                    results.lock().expect("not poisoned")[r] = Some(res);
                }
            });
        }
    });
    let wall_seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let mut runs = Vec::with_capacity(n);
    let mut series = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for res in results.into_inner().expect("not poisoned") {
        let (outcomes, sink) = res.expect("every replication ran")?;
        runs.push(outcomes);
        match sink {
            Sink::Files(f) => files.extend(f.finish()?),
            Sink::Series(s, own) => {
                series.push(s);
                if let Some(f) = own {
                    files.extend(f.finish()?);
                }
            }
        }
    }
    if n > 1 {
        files.extend(output::series::write_aggregate(&opts.out, &series)?);
    }
    let study = Study {
        scenario: scenario.clone(),
        runs,
    };
    let mut exports: Vec<&dyn Export> = vec![&SummaryCsv, &OperationsCsv, &AvailabilityCsv];
    if n > 1 {
        exports.extend([
            &SummaryCiCsv as &dyn Export,
            &OperationsCiCsv,
            &AvailabilityCiCsv,
        ]);
    }
    for e in exports {
        files.push(output::export(&opts.out, e, &study)?);
    }
    let mut names: Vec<String> = files
        .iter()
        .map(|p| p.strip_prefix(&opts.out).unwrap_or(p).display().to_string())
        .collect();
    names.push("manifest.json".into());
    let manifest = Manifest::new(
        &study,
        source.map(|p| p.display().to_string()),
        wall_seconds,
        names.clone(),
    );
    let mut f = output::AtomicFile::create(&opts.out, "manifest.json")?;
    manifest.write(f.writer())?;
    f.commit()?;
    Ok(RunReport {
        study,
        wall_seconds,
        files: names,
    })
}

fn progress_bar(total_s: u64, wanted: bool) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(total_s), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::with_draw_target(Some(total_s), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% {msg} · ETA {eta}",
        )
        .expect("valid template"),
    );
    bar
}
