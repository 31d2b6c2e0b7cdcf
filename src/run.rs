//! One study from start to end, as the CLI runs it: prepare the result folder
//! (failing before any simulation), run every replication on a pool of
//! threads with one progress bar, export every file atomically, and write
//! the manifest last. Results are gathered by replication number, so the
//! files are the same whatever the number of threads. Running a study's
//! units ([`run_units`]) and writing its files from them ([`write_study`])
//! are separate steps: `run --shard` runs a subset of the units, and
//! `merge` writes the files from the stored units through the same code.

use crate::engine::SimTime;
use crate::model::Kind;
use crate::output::{
    self, AVAILABILITY_CI_CSV, AVAILABILITY_CSV, Both, CAPACITY_FLAVORS_CI_CSV,
    CAPACITY_FLAVORS_CSV, CAPACITY_SUMMARY_CI_CSV, CAPACITY_SUMMARY_CSV, CsvRecorder, Export,
    HostFailuresCsv, Manifest, OPERATIONS_CI_CSV, OPERATIONS_CSV, POINT_DIR, REPLICATION_DIR,
    SUMMARY_CI_CSV, SUMMARY_CSV, SeriesRecorder,
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
    /// How the trace is written (`--compress`).
    pub compress: crate::output::compress::Compression,
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

/// One finished unit of a study (one replication of one point): its
/// outcomes, its own files (already closed), and, when several
/// replications are aggregated, its samples.
pub struct UnitResult {
    /// What the replication measured.
    pub outcomes: Outcomes,
    /// The files it wrote itself: a single replication's time series (and
    /// trace), or its `replication-<r>/` files; in the order it wrote them.
    pub files: Vec<PathBuf>,
    /// Its samples, kept for the aggregate across replications.
    pub series: Option<SeriesRecorder>,
}

/// Replications of each point of `plan`.
pub fn replications(plan: &Plan) -> usize {
    plan.points[0].scenario.replications.max(1) as usize
}

/// The units of `plan`, (point, replication), in the one order a study's
/// results are gathered in: point-major, replication-minor. A unit's
/// random streams depend on its replication number alone (and the seed),
/// never on which other units run, so any subset runs exactly as it does
/// within the whole study.
pub fn units(plan: &Plan) -> Vec<(usize, usize)> {
    let n = replications(plan);
    (0..plan.points.len())
        .flat_map(|p| (0..n).map(move |r| (p, r)))
        .collect()
}

/// Refuses options the study rules out (bad input, before anything is
/// created).
pub fn check_options(plan: &Plan, opts: &RunOptions) -> Result<()> {
    let n = replications(plan);
    if opts.trace && n > 1 && !opts.per_replication {
        return Err(crate::app::UsageError(format!(
            "--trace with {n} replications needs --per-replication: each replication's trace goes to its own folder"
        ))
        .into());
    }
    Ok(())
}

/// The folders of a study's results under `root` (a staging folder): the
/// root itself for one point, `point-<i>/` for each point of a sweep.
pub struct Layout {
    /// The folder everything is written under.
    pub root: PathBuf,
    /// Each point's folder.
    pub dirs: Vec<PathBuf>,
    /// Replications of each point.
    pub replications: usize,
}

impl Layout {
    /// Creates the points' folders of `plan` under `root`.
    pub fn create(plan: &Plan, root: &Path) -> Result<Layout> {
        let dirs: Vec<PathBuf> = if plan.is_sweep() {
            (0..plan.points.len())
                .map(|i| root.join(format!("{POINT_DIR}{i}")))
                .collect()
        } else {
            vec![root.to_path_buf()]
        };
        for d in &dirs {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
        }
        Ok(Layout {
            root: root.to_path_buf(),
            dirs,
            replications: replications(plan),
        })
    }

    /// Where unit (p, r) writes its own files: the point's folder when it
    /// is the point's only replication, else its `replication-<r>/`.
    pub fn own_dir(&self, p: usize, r: usize) -> PathBuf {
        if self.replications == 1 {
            self.dirs[p].clone()
        } else {
            self.dirs[p].join(format!("{REPLICATION_DIR}{r}"))
        }
    }
}

/// Runs a plan (one scenario, or every point of a sweep) read from `source`
/// and writes its results: a single point into `opts.out`, the points of a
/// sweep into `opts.out/point-<i>/` with `sweep.csv` beside them.
pub fn run(plan: &Plan, source: Option<&Path>, opts: &RunOptions) -> Result<RunReport> {
    check_options(plan, opts)?;
    // Everything is written into a staging folder and moved into
    // `opts.out` only once complete.
    let staging = output::Staging::begin(&opts.out, opts.force)?;
    let layout = Layout::create(plan, staging.dir())?;
    let units = units(plan);
    let own_dir = |p: usize, r: usize| layout.own_dir(p, r);
    let (results, wall_seconds) = run_units(plan, &units, opts, &own_dir, &|_, unit| Ok(unit))?;
    // Gathered by point and replication number, never by finishing order.
    let mut results = results.into_iter();
    write_study(
        plan,
        source.map(|p| p.display().to_string()),
        staging,
        &layout,
        wall_seconds,
        &mut |_, _| Ok(results.next().expect("every unit ran")),
    )
}

/// Runs `units` of `plan` on `opts.jobs` threads with one progress bar,
/// each unit writing its own files (if it has any) into `own_dir(p, r)`,
/// and hands each finished unit to `finished` on the thread that ran it.
/// Returns what `finished` made of each, in the order of `units`, and the
/// wall-clock seconds the simulations took.
pub fn run_units<T: Send>(
    plan: &Plan,
    units: &[(usize, usize)],
    opts: &RunOptions,
    own_dir: &(dyn Fn(usize, usize) -> PathBuf + Sync),
    finished: &(dyn Fn((usize, usize), UnitResult) -> Result<T> + Sync),
) -> Result<(Vec<T>, f64)> {
    let n = replications(plan);
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
        let own = |dir: PathBuf| -> Result<CsvRecorder> {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            CsvRecorder::create(&dir, &kinds, opts.trace.then_some(opts.compress), capacity)
        };
        if n == 1 {
            return Ok(Sink::Files(own(own_dir(p, r))?));
        }
        let own = if opts.per_replication {
            Some(own(own_dir(p, r))?)
        } else {
            None
        };
        Ok(Sink::Series(SeriesRecorder::default(), own))
    };
    // Open the first sink now, so a folder that cannot be written fails
    // before any simulation.
    let first = units.first().copied();
    let first_sink = Mutex::new(first.map(|(p, r)| make_sink(p, r)).transpose()?);

    let total_s: u64 = units
        .iter()
        .map(|&(p, _)| plan.points[p].scenario.horizon.ms() / 1000)
        .sum();
    let bar = progress_bar(total_s, opts.progress);
    let started = Instant::now();
    let events = AtomicU64::new(0);
    let done = AtomicUsize::new(0);
    let run_one = |(p, r): (usize, usize)| -> Result<T> {
        let reuse = first_sink
            .lock()
            .expect("not poisoned")
            .take()
            .filter(|_| Some((p, r)) == first);
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
                    units.len(),
                    total as f64 / secs / 1e6
                ));
            };
            sim.run(&mut tick)
        };
        done.fetch_add(1, Ordering::Relaxed);
        // Its files are closed now, not when the whole study is done: a
        // sweep of many points keeps O(jobs) files open, never O(points).
        let unit = match sink {
            Sink::Files(f) => UnitResult {
                outcomes,
                files: f.finish()?,
                series: None,
            },
            Sink::Series(s, own) => UnitResult {
                outcomes,
                files: own
                    .map(CsvRecorder::finish)
                    .transpose()?
                    .unwrap_or_default(),
                series: Some(s),
            },
        };
        finished((p, r), unit)
    };
    let results = on_threads(units.len(), opts.jobs, |t| run_one(units[t]));
    let wall_seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    // A signal stopped the replications short: nothing is written.
    crate::interrupt::check()?;
    let results = results.into_iter().collect::<Result<Vec<T>>>()?;
    Ok((results, wall_seconds))
}

/// Aggregates a finished study and writes every end-of-run file into
/// `staging`, then moves it into place, `manifest.json` last. Each unit is
/// fetched from `unit(p, r)` in the order of [`units`] (point by point, so
/// a caller that reads units lazily holds one point's samples at a time):
/// the one path from results to files, for `run` and `merge` alike.
pub fn write_study(
    plan: &Plan,
    scenario_file: Option<String>,
    staging: output::Staging,
    layout: &Layout,
    wall_seconds: f64,
    unit: &mut dyn FnMut(usize, usize) -> Result<UnitResult>,
) -> Result<RunReport> {
    let n = layout.replications;
    let root = &layout.root;
    let dirs = &layout.dirs;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut points = Vec::with_capacity(plan.points.len());
    for (p, point) in plan.points.iter().enumerate() {
        let mut runs = Vec::with_capacity(n);
        let mut series = Vec::new();
        for r in 0..n {
            let UnitResult {
                outcomes,
                files: written,
                series: samples,
            } = unit(p, r)?;
            runs.push(outcomes);
            files.extend(written);
            series.extend(samples);
        }
        if n > 1 {
            files.extend(output::series::write_aggregate(&dirs[p], &series)?);
            files.extend(output::series::write_capacity_aggregate(&dirs[p], &series)?);
        }
        drop(series);
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
            exports.extend([
                &CAPACITY_SUMMARY_CSV as &dyn Export,
                &CAPACITY_FLAVORS_CSV,
                &HostFailuresCsv,
            ]);
            if n > 1 {
                exports.extend([
                    &CAPACITY_SUMMARY_CI_CSV as &dyn Export,
                    &CAPACITY_FLAVORS_CI_CSV,
                ]);
            }
        }
        for e in exports {
            files.push(output::export(&dirs[p], e, &study)?);
        }
        files.push(output::export_results(&dirs[p], &study)?);
        if plan.is_sweep() {
            // Each point's folder is a complete result of its own.
            let names = relative(&files, &dirs[p]);
            let m = Manifest::new(&study, scenario_file.clone(), wall_seconds, names);
            files.push(write_manifest(&dirs[p], &m)?);
        }
        points.push(PointReport {
            values: point.values.clone(),
            dir: output::shown(&dirs[p], root, staging.out()),
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
        files.push(output::export_sweep(root, &report)?);
        files.push(output::export_sweep_long(root, &report)?);
        files.push(output::export_sweep_results(root, &report)?);
    }
    let mut names = relative(&files, root);
    names.push(output::files::MANIFEST.into());
    let study = &report.points[0].study;
    let mut manifest = Manifest::new(study, scenario_file, wall_seconds, names.clone());
    if plan.is_sweep() {
        manifest.add_sweep(&report);
    }
    write_manifest(root, &manifest)?;
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
