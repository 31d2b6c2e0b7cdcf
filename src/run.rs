//! One study from start to end, as the CLI runs it: prepare the result folder
//! (failing before any simulation), run every replication on a pool of
//! threads with one progress bar, export every file atomically, and write
//! the manifest last. Results are gathered by replication number, so the
//! files are the same whatever the number of threads.

use crate::engine::SimTime;
use crate::model::Kind;
use crate::output::{
    self, AVAILABILITY_CI_CSV, AVAILABILITY_CSV, Both, CAPACITY_SUMMARY_CI_CSV,
    CAPACITY_SUMMARY_CSV, CsvRecorder, Export, HostFailuresCsv, Manifest, OPERATIONS_CI_CSV,
    OPERATIONS_CSV, POINT_DIR, REPLICATION_DIR, SUMMARY_CI_CSV, SUMMARY_CSV, SeriesRecorder,
};
use crate::results::{Outcomes, PointReport, RunReport, Study};
use crate::scenario::sweep::Plan;
use crate::sim::{Change, Recorder, Simulation};
use crate::stats::KindStats;
use anyhow::{Context, Result};
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
    fn capacity(&mut self, t: SimTime, pools: &[crate::capacity::Pool]) {
        match self {
            Sink::Files(f) => f.capacity(t, pools),
            Sink::Series(s, Some(f)) => Both(&mut *s, &mut *f).capacity(t, pools),
            Sink::Series(s, None) => s.capacity(t, pools),
        }
    }
    fn flavors(&mut self, names: &[&str]) {
        match self {
            Sink::Files(f) => f.flavors(names),
            Sink::Series(s, Some(f)) => Both(&mut *s, &mut *f).flavors(names),
            Sink::Series(s, None) => s.flavors(names),
        }
    }
    fn request(&mut self, r: &crate::sim::Request, m: &crate::model::Machine) {
        match self {
            Sink::Files(f) | Sink::Series(_, Some(f)) => f.request(r, m),
            Sink::Series(_, None) => {}
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
    fn capacity(&mut self, t: SimTime, pools: &[crate::capacity::Pool]) {
        (**self).capacity(t, pools)
    }
    fn flavors(&mut self, names: &[&str]) {
        (**self).flavors(names)
    }
    fn request(&mut self, r: &crate::sim::Request, m: &crate::model::Machine) {
        (**self).request(r, m)
    }
}

/// One finished replication: its outcome, the files it wrote (already
/// closed), and its samples when several replications are aggregated.
type Replication = (Outcomes, Vec<PathBuf>, Option<SeriesRecorder>);

/// Runs a plan (one scenario, or every point of a sweep) read from `source`
/// and writes its results: a single point into `opts.out`, the points of a
/// sweep into `opts.out/point-<i>/` with `sweep.csv` beside them.
pub fn run(plan: &Plan, source: Option<&Path>, opts: &RunOptions) -> Result<RunReport> {
    let first = &plan.points[0].scenario;
    let n = first.replications.max(1) as usize;
    if opts.trace && n > 1 && !opts.per_replication {
        return Err(crate::app::UsageError(format!(
            "--trace with {n} replications needs --per-replication: each replication's trace goes to its own folder"
        ))
        .into());
    }
    // Everything is written into a staging folder and moved into
    // `opts.out` only once complete.
    let staging = output::Staging::begin(&opts.out, opts.force)?;
    let root = staging.dir().to_path_buf();
    let dirs: Vec<PathBuf> = if plan.is_sweep() {
        (0..plan.points.len())
            .map(|i| root.join(format!("{POINT_DIR}{i}")))
            .collect()
    } else {
        vec![root.clone()]
    };
    for d in &dirs {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    // A single replication streams its files; with several, each keeps its
    // samples for the aggregate (and writes its own folder if asked).
    let make_sink = |p: usize, r: usize| -> Result<Sink> {
        let sc = &plan.points[p].scenario;
        let kinds: Vec<Kind> = Kind::ALL
            .iter()
            .copied()
            .filter(|&k| sc.kind(k).is_some())
            .collect();
        let capacity = sc
            .capacity
            .as_ref()
            .is_some_and(|c| !c.pools.is_empty() || !c.bms_pools.is_empty());
        if n == 1 {
            return Ok(Sink::Files(CsvRecorder::create(
                &dirs[p], &kinds, opts.trace, capacity,
            )?));
        }
        let own = if opts.per_replication {
            let dir = dirs[p].join(format!("{REPLICATION_DIR}{r}"));
            std::fs::create_dir_all(&dir)?;
            Some(CsvRecorder::create(&dir, &kinds, opts.trace, capacity)?)
        } else {
            None
        };
        Ok(Sink::Series(SeriesRecorder::default(), own))
    };
    // Open the first sink now, so a folder that cannot be written fails
    // before any simulation.
    let first_sink = Mutex::new(Some(make_sink(0, 0)?));

    let tasks: Vec<(usize, usize)> = (0..plan.points.len())
        .flat_map(|p| (0..n).map(move |r| (p, r)))
        .collect();
    let total_s: u64 = plan
        .points
        .iter()
        .map(|pt| pt.scenario.horizon.ms() / 1000 * n as u64)
        .sum();
    let bar = progress_bar(total_s, opts.progress);
    let started = Instant::now();
    let events = AtomicU64::new(0);
    let done = AtomicUsize::new(0);
    let run_one = |(p, r): (usize, usize)| -> Result<Replication> {
        let reuse = first_sink
            .lock()
            .expect("not poisoned")
            .take()
            .filter(|_| (p, r) == (0, 0));
        let mut sink = match reuse {
            Some(s) => s,
            None => make_sink(p, r)?,
        };
        let mut last_s = 0;
        let mut last_events = 0;
        let outcomes = {
            // Replication r of every point draws from the same streams.
            let sim = Simulation::replication(&plan.points[p].scenario, r as u64, &mut sink);
            let mut tick = |now: SimTime, ev: u64| {
                let now_s = now.ms() / 1000;
                bar.inc(now_s.saturating_sub(last_s));
                last_s = now_s;
                let total =
                    events.fetch_add(ev - last_events, Ordering::Relaxed) + ev - last_events;
                last_events = ev;
                let secs = started.elapsed().as_secs_f64().max(1e-9);
                bar.set_message(format!(
                    "{}/{} runs · {:.2} M events/s",
                    done.load(Ordering::Relaxed),
                    tasks.len(),
                    total as f64 / secs / 1e6
                ));
            };
            sim.run(&mut tick)
        };
        done.fetch_add(1, Ordering::Relaxed);
        // Its files are closed now, not when the whole study is done: a
        // sweep of many points keeps O(jobs) files open, never O(points).
        match sink {
            Sink::Files(f) => Ok((outcomes, f.finish()?, None)),
            Sink::Series(s, own) => {
                let files = own.map(CsvRecorder::finish).transpose()?;
                Ok((outcomes, files.unwrap_or_default(), Some(s)))
            }
        }
    };
    let results = on_threads(tasks.len(), opts.jobs, |t| run_one(tasks[t]));
    let wall_seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    // A signal stopped the replications short: nothing is written.
    crate::interrupt::check()?;

    // Gather by point and replication number, never by finishing order.
    let mut results = results.into_iter();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut points = Vec::with_capacity(plan.points.len());
    for (p, point) in plan.points.iter().enumerate() {
        let mut runs = Vec::with_capacity(n);
        let mut series = Vec::new();
        for _ in 0..n {
            let (outcomes, written, samples) = results.next().expect("every replication ran")?;
            runs.push(outcomes);
            files.extend(written);
            series.extend(samples);
        }
        if n > 1 {
            files.extend(output::series::write_aggregate(&dirs[p], &series)?);
            files.extend(output::series::write_capacity_aggregate(&dirs[p], &series)?);
        }
        let study = Study {
            scenario: std::sync::Arc::clone(&point.scenario),
            runs,
        };
        let mut exports: Vec<&dyn Export> = vec![&SUMMARY_CSV, &OPERATIONS_CSV, &AVAILABILITY_CSV];
        if n > 1 {
            exports.extend([
                &SUMMARY_CI_CSV as &dyn Export,
                &OPERATIONS_CI_CSV,
                &AVAILABILITY_CI_CSV,
            ]);
        }
        if output::pools::has_capacity(&study) {
            exports.extend([&CAPACITY_SUMMARY_CSV as &dyn Export, &HostFailuresCsv]);
            if n > 1 {
                exports.push(&CAPACITY_SUMMARY_CI_CSV);
            }
        }
        for e in exports {
            files.push(output::export(&dirs[p], e, &study)?);
        }
        files.push(output::export_results(&dirs[p], &study)?);
        if plan.is_sweep() {
            // Each point's folder is a complete result of its own.
            let names = relative(&files, &dirs[p]);
            let m = Manifest::new(
                &study,
                source.map(|p| p.display().to_string()),
                wall_seconds,
                names,
            );
            files.push(write_manifest(&dirs[p], &m)?);
        }
        points.push(PointReport {
            values: point.values.clone(),
            dir: output::shown(&dirs[p], &root, &opts.out),
            study,
        });
    }
    let mut report = RunReport {
        params: plan.params.clone(),
        points,
        wall_seconds,
        files: Vec::new(),
    };
    if plan.is_sweep() {
        files.push(output::export_sweep(&root, &report)?);
        files.push(output::export_sweep_long(&root, &report)?);
        files.push(output::export_sweep_results(&root, &report)?);
    }
    let mut names = relative(&files, &root);
    names.push(output::files::MANIFEST.into());
    let study = &report.points[0].study;
    let mut manifest = Manifest::new(
        study,
        source.map(|p| p.display().to_string()),
        wall_seconds,
        names.clone(),
    );
    if plan.is_sweep() {
        manifest.add_sweep(&report);
    }
    write_manifest(&root, &manifest)?;
    staging.finish()?;
    report.files = names;
    Ok(report)
}

/// Runs tasks `0..n` on `jobs` threads (0: one per core), each thread
/// taking the next task not yet started, and returns their results by task
/// number, never in the order they finish: what runs on which thread cannot
/// change a result.
pub(crate) fn on_threads<T: Send>(
    n: usize,
    jobs: usize,
    task: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    let jobs = if jobs == 0 {
        std::thread::available_parallelism().map_or(1, |p| p.get())
    } else {
        jobs
    }
    .clamp(1, n.max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..n).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let t = next.fetch_add(1, Ordering::Relaxed);
                    if t >= n {
                        break;
                    }
                    let res = task(t);
                    results.lock().expect("not poisoned")[t] = Some(res);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("not poisoned")
        .into_iter()
        .map(|r| r.expect("every task ran"))
        .collect()
}

/// Paths of `files` under `dir`, relative to it.
fn relative(files: &[PathBuf], dir: &Path) -> Vec<String> {
    files
        .iter()
        .filter_map(|p| p.strip_prefix(dir).ok())
        .map(|p| p.display().to_string())
        .collect()
}

fn write_manifest(dir: &Path, m: &Manifest) -> Result<PathBuf> {
    let mut f = output::AtomicFile::create(dir, output::files::MANIFEST)?;
    m.write(f.writer())?;
    f.commit()
}

/// A progress bar over `total_s` simulated seconds, drawn on stderr only
/// when `wanted` and stderr is a terminal.
pub(crate) fn progress_bar(total_s: u64, wanted: bool) -> ProgressBar {
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
