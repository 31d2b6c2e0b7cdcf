//! Shards of a study: `run --shard I/N` runs the I-th of N disjoint,
//! deterministic subsets of a study's units (sweep point × replication) and
//! stores each unit's complete result in a shard folder, with `shard.json`
//! saying which study and which units it holds; [`merge`] checks that a set
//! of shards is one whole study and writes exactly the files `run` writes.

pub mod merge;

use crate::output::{self, AtomicFile, files};
use crate::results::{RunCounters, RunReport};
use crate::run::{self, RunOptions, UnitResult};
use crate::scenario::Overrides;
use crate::scenario::sweep::Plan;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The layout of a shard folder (`shard.json` and its units), which a
/// merge must read exactly as written: a change to either bumps it.
pub const FORMAT: &str = "fleetsim.shard/1";

/// Most shards a study may be split into.
pub const MAX_SHARDS: usize = 1_000_000;

/// `--shard I/N`: the I-th (from 0) of N shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardSpec {
    /// I, from 0 to N - 1 (a Slurm array task id, a Kubernetes Job's
    /// completion index).
    pub index: usize,
    /// N, the number of shards.
    pub count: usize,
}

impl std::str::FromStr for ShardSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<ShardSpec, String> {
        let bad = || {
            format!(
                "\"{s}\" is not a shard; give I/N with 0 <= I < N <= {MAX_SHARDS}, e.g. \"0/4\" for the first of 4 shards"
            )
        };
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || count > MAX_SHARDS || index >= count {
            return Err(bad());
        }
        Ok(ShardSpec { index, count })
    }
}

impl std::fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl ShardSpec {
    /// The shard (of `count`) that runs unit number `k` of [`run::units`]:
    /// round robin, so each shard gets units of every point and the
    /// points' different costs are spread over the shards.
    pub fn of_unit(k: usize, count: usize) -> usize {
        k % count
    }

    /// The units this shard runs, by number in [`run::units`] order.
    pub fn units(&self, total: usize) -> Vec<usize> {
        (self.index..total).step_by(self.count).collect()
    }
}

/// The name of unit (p, r)'s folder in a shard folder.
pub fn unit_dir(p: usize, r: usize) -> String {
    format!("{}{p}-{r}", output::UNIT_DIR)
}

/// The command-line values that replaced the scenario file's, as given:
/// a merge reads the scenario again with them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredOverrides {
    /// `--seed`.
    pub seed: Option<String>,
    /// `--horizon`.
    pub horizon: Option<String>,
    /// `--warmup`.
    pub warmup: Option<String>,
    /// `--replications`.
    pub replications: Option<String>,
}

impl StoredOverrides {
    /// Those of `o`.
    pub fn of(o: &Overrides) -> StoredOverrides {
        StoredOverrides {
            seed: o.seed.clone(),
            horizon: o.horizon.clone(),
            warmup: o.warmup.clone(),
            replications: o.replications.clone(),
        }
    }

    /// Back to the overrides a scenario is read with.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            seed: self.seed.clone(),
            horizon: self.horizon.clone(),
            warmup: self.warmup.clone(),
            replications: self.replications.clone(),
            no_statistics: false,
        }
    }
}

/// One unit a shard holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitId {
    /// The sweep point (0 without a sweep).
    pub point: usize,
    /// The replication.
    pub replication: usize,
}

/// `shard.json`: which study a shard belongs to and which of its units it
/// holds; written last, so its presence marks a complete shard.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShardManifest {
    /// [`FORMAT`].
    pub format: String,
    /// The fleetsim version that ran the shard.
    pub fleetsim_version: String,
    /// The version of the output files' layout ([`files::OUTPUT_SCHEMA_VERSION`]).
    pub output_schema_version: u32,
    /// The scenario file, as given on the command line: what the merged
    /// `manifest.json` names.
    pub scenario_file: String,
    /// The scenario file's absolute path, where `merge` reads it again.
    pub scenario_path: PathBuf,
    /// The values given on the command line that replaced the file's.
    pub overrides: StoredOverrides,
    /// SHA-256 of the validated study (every point's scenario as the
    /// manifest writes it, overrides applied): [`plan_sha256`].
    pub scenario_sha256: String,
    /// The seed.
    pub seed: u64,
    /// Sweep points (1 without a sweep).
    pub points: usize,
    /// Replications of each point.
    pub replications: usize,
    /// Units of the whole study: points × replications.
    pub units_total: usize,
    /// N, the number of shards the study was split into.
    pub shards: usize,
    /// I, this shard's number (from 0).
    pub shard: usize,
    /// `--trace` was given.
    pub trace: bool,
    /// `--compress`: how the trace was written.
    #[serde(default)]
    pub compress: crate::output::compress::Compression,
    /// `--per-replication` was given.
    pub per_replication: bool,
    /// The units this shard holds, in the study's order.
    pub units: Vec<UnitId>,
    /// Wall-clock seconds its simulations took.
    pub wall_seconds: f64,
    /// Events popped, over its units.
    pub events_processed: u64,
}

/// SHA-256 (hex) of a study as it was validated: the swept paths, and each
/// point's values and scenario as `manifest.json` writes it (every default
/// filled in, every override applied). Two shards with the same hash ran
/// the same study.
pub fn plan_sha256(plan: &Plan) -> String {
    let points: Vec<_> = plan
        .points
        .iter()
        .map(|p| (&p.values, &*p.scenario))
        .collect();
    let bytes = serde_json::to_vec(&(&plan.params, points)).expect("a scenario serialises");
    Sha256::digest(&bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// One unit as `unit.json` holds it: everything [`UnitResult`] carries but
/// the scenario and the state machines, which the scenario gives back.
#[derive(Serialize)]
struct StoredUnit<'a> {
    point: usize,
    replication: usize,
    kinds: Vec<(crate::model::Kind, &'a crate::stats::KindStats)>,
    counters: &'a RunCounters,
    servers_created: u64,
    peak_slots: usize,
    pools: &'a [crate::capacity::Pool],
    failures: &'a [crate::capacity::FailureRecord],
    /// The unit's own files, in the order it wrote them, by name in its
    /// folder.
    files: Vec<String>,
    series: Option<&'a output::SeriesRecorder>,
}

/// Writes unit (p, r) into `dir`; returns its events.
fn store_unit(dir: &Path, (p, r): (usize, usize), unit: &UnitResult) -> Result<u64> {
    let o = &unit.outcomes;
    let stored = StoredUnit {
        point: p,
        replication: r,
        kinds: o.kinds.iter().map(|(m, st)| (m.kind, st)).collect(),
        counters: &o.counters,
        servers_created: o.servers_created,
        peak_slots: o.peak_slots,
        pools: &o.pools,
        failures: &o.failures,
        files: unit
            .files
            .iter()
            .map(|f| {
                f.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect(),
        series: unit.series.as_ref(),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut f = AtomicFile::create(dir, files::UNIT)?;
    serde_json::to_writer(f.writer(), &stored)
        .with_context(|| format!("cannot write {}", dir.join(files::UNIT).display()))?;
    f.commit()?;
    Ok(o.counters.events)
}

/// What a finished shard reports.
pub struct ShardReport {
    /// Its `shard.json`.
    pub manifest: ShardManifest,
    /// Its folder.
    pub dir: PathBuf,
}

impl ShardReport {
    /// What `run --shard` prints.
    pub fn describe(&self) -> String {
        let m = &self.manifest;
        let mut s = format!(
            "fleetsim {}: shard {}/{} of {}: {} of {} units (point × replication), {} events in {:.2} s wall\n",
            m.fleetsim_version,
            m.shard,
            m.shards,
            m.scenario_file,
            m.units.len(),
            m.units_total,
            m.events_processed,
            m.wall_seconds
        );
        let _ = writeln!(s, "  written to {}", self.dir.display());
        let _ = writeln!(
            s,
            "  when every shard (0/{n} to {}/{n}) is done: fleetsim merge OUT SHARD_DIR...",
            m.shards - 1,
            n = m.shards
        );
        s
    }
}

/// Runs shard `shard` of `plan`, read from `scenario` with `overrides`,
/// into the shard folder `opts.out` (with the folder rules of a run: a
/// staging folder, nothing replaced without `--force`).
pub fn run_shard(
    plan: &Plan,
    scenario: &Path,
    overrides: &Overrides,
    shard: ShardSpec,
    opts: &RunOptions,
) -> Result<ShardReport> {
    run::check_options(plan, opts)?;
    let scenario_path = std::fs::canonicalize(scenario)
        .with_context(|| format!("cannot resolve {}", scenario.display()))?;
    let staging = output::Staging::begin(&opts.out, opts.force)?;
    let root = staging.dir().to_path_buf();
    let all = run::units(plan);
    let mine: Vec<(usize, usize)> = shard.units(all.len()).into_iter().map(|k| all[k]).collect();
    let own_dir = |p: usize, r: usize| root.join(unit_dir(p, r));
    let store =
        |(p, r): (usize, usize), unit: UnitResult| store_unit(&own_dir(p, r), (p, r), &unit);
    let (events, wall_seconds) = run::run_units(plan, &mine, opts, &own_dir, &store)?;
    let sc = &plan.points[0].scenario;
    let manifest = ShardManifest {
        format: FORMAT.into(),
        fleetsim_version: env!("CARGO_PKG_VERSION").into(),
        output_schema_version: files::OUTPUT_SCHEMA_VERSION,
        scenario_file: scenario.display().to_string(),
        scenario_path,
        overrides: StoredOverrides::of(overrides),
        scenario_sha256: plan_sha256(plan),
        seed: sc.seed,
        points: plan.points.len(),
        replications: run::replications(plan),
        units_total: all.len(),
        shards: shard.count,
        shard: shard.index,
        trace: opts.trace,
        compress: opts.compress,
        per_replication: opts.per_replication,
        units: mine
            .iter()
            .map(|&(point, replication)| UnitId { point, replication })
            .collect(),
        wall_seconds,
        events_processed: events.iter().sum(),
    };
    let mut f = AtomicFile::create(&root, files::SHARD)?;
    serde_json::to_writer_pretty(&mut *f.writer(), &manifest)?;
    std::io::Write::write_all(f.writer(), b"\n")?;
    f.commit()?;
    staging.finish()?;
    Ok(ShardReport {
        manifest,
        dir: opts.out.clone(),
    })
}

/// The result of a merge: the study's report, as `run` gives it, and the
/// shards it came from.
pub struct MergeReport {
    /// The merged study.
    pub run: RunReport,
    /// Shards merged.
    pub shards: usize,
    /// Units merged.
    pub units: usize,
}
