//! `fleetsim merge OUT SHARD_DIR...`: reads every shard's `shard.json`,
//! checks that together they are one whole study (one fleetsim version,
//! one validated scenario, seed and split; every unit exactly once),
//! listing every problem at once and writing nothing if there is one; then
//! reads the units back in the study's order and writes the study's files
//! through [`run::write_study`], the code `run` writes them with, so they
//! are byte-identical to a single run's.

use super::{FORMAT, MergeReport, ShardManifest, ShardSpec, plan_sha256, unit_dir};
use crate::app::UsageError;
use crate::capacity::{FailureRecord, Pool};
use crate::model::Kind;
use crate::output::{self, SeriesRecorder, files};
use crate::results::{Outcomes, RunCounters};
use crate::run::{self, Layout, UnitResult};
use crate::scenario::Scenario;
use crate::scenario::sweep::Plan;
use crate::stats::KindStats;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Most bytes of a `shard.json` read (one is a few hundred bytes per
/// unit it holds).
const MAX_SHARD_JSON: u64 = 1 << 30;

/// Units listed by name in a message before the rest are only counted.
const LISTED: usize = 10;

/// What `merge` is asked to do.
#[derive(Clone, Debug)]
pub struct MergeOptions {
    /// The result folder.
    pub out: PathBuf,
    /// The shard folders, in any order.
    pub shards: Vec<PathBuf>,
    /// Replace an earlier run's files in `out`.
    pub force: bool,
    /// Read the scenario from here rather than where the shards ran it
    /// (it must still be the same study).
    pub scenario: Option<PathBuf>,
}

/// One unit as `unit.json` holds it (see `super::StoredUnit`).
#[derive(Deserialize)]
struct StoredUnit {
    point: usize,
    replication: usize,
    kinds: Vec<(Kind, KindStats)>,
    counters: RunCounters,
    servers_created: u64,
    peak_slots: usize,
    pools: Vec<Pool>,
    failures: Vec<FailureRecord>,
    files: Vec<String>,
    series: Option<SeriesRecorder>,
}

/// The first fields of a `shard.json`, read before the rest so that a
/// shard of another format or version is named as such.
#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    fleetsim_version: Option<String>,
}

/// Reads `dir/shard.json`, or says why it cannot be merged.
fn read_manifest(dir: &Path) -> Result<ShardManifest, String> {
    let path = dir.join(files::SHARD);
    if !dir.exists() {
        return Err("does not exist".into());
    }
    if !dir.is_dir() {
        return Err("is not a folder".into());
    }
    if !path.is_file() {
        return Err(format!(
            "holds no {}: not a shard folder, or a shard that did not finish (run it again)",
            files::SHARD
        ));
    }
    let bytes = crate::input::file::read(&path, MAX_SHARD_JSON).map_err(|e| {
        format!(
            "{}: cannot be read: {}",
            files::SHARD,
            e.explain(
                "give the folder `run --shard` wrote",
                "a shard's manifest is a few hundred bytes per unit"
            )
        )
    })?;
    let header: Header = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not a shard manifest: {e}", files::SHARD))?;
    let ours = env!("CARGO_PKG_VERSION");
    match (header.format.as_deref(), header.fleetsim_version.as_deref()) {
        (Some(FORMAT), Some(v)) if v == ours => {}
        (format, version) => {
            return Err(format!(
                "was written by fleetsim {} ({} {}), this is fleetsim {ours} ({} {FORMAT}); run every shard with one version",
                version.unwrap_or("of an unknown version"),
                files::SHARD,
                format.unwrap_or("of no format"),
                files::SHARD,
            ));
        }
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not a shard manifest: {e}", files::SHARD))
}

/// What makes shards one study, field by field: (name, value).
fn identity(m: &ShardManifest) -> Vec<(&'static str, String)> {
    vec![
        ("output_schema_version", m.output_schema_version.to_string()),
        ("scenario_file", m.scenario_file.clone()),
        ("scenario_sha256", short(&m.scenario_sha256).to_string()),
        ("seed", m.seed.to_string()),
        ("points", m.points.to_string()),
        ("replications", m.replications.to_string()),
        ("units_total", m.units_total.to_string()),
        ("shards", m.shards.to_string()),
        ("trace", m.trace.to_string()),
        ("compress", m.compress.name().to_string()),
        ("per_replication", m.per_replication.to_string()),
    ]
}

/// "point 2 replication 7", as messages name a unit.
fn unit_name(plan_replications: usize, k: usize) -> String {
    format!(
        "point {} replication {}",
        k / plan_replications.max(1),
        k % plan_replications.max(1)
    )
}

/// `items` joined, the first [`LISTED`] named and the rest counted.
fn listed(items: &[String]) -> String {
    let mut s = items
        .iter()
        .take(LISTED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > LISTED {
        s += &format!(" and {} more", items.len() - LISTED);
    }
    s
}

/// The shards, checked: each folder's manifest, and for each unit of the
/// study the shard that holds it.
struct Checked {
    manifests: Vec<ShardManifest>,
    holder: Vec<usize>,
}

/// Checks that `dirs` are the shards of one study, every unit exactly once;
/// every problem is listed.
fn check(dirs: &[PathBuf]) -> Result<Checked, Vec<String>> {
    let mut problems = Vec::new();
    let mut manifests: Vec<(usize, ShardManifest)> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        // The same folder given twice (under any name) is said once.
        let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
        if let Some(j) = seen.iter().position(|s| *s == real) {
            problems.push(format!(
                "{} is given twice (as {} and {}); give each shard once",
                real.display(),
                dirs[j].display(),
                dir.display()
            ));
            seen.push(PathBuf::new());
            continue;
        }
        seen.push(real);
        match read_manifest(dir) {
            Ok(m) => manifests.push((i, m)),
            Err(why) => problems.push(format!("{} {why}", dir.display())),
        }
    }
    let Some((first_i, first)) = manifests.first().cloned() else {
        return Err(problems);
    };
    // Shards that differ from the first in what makes a study.
    let reference = identity(&first);
    let mut same: Vec<&(usize, ShardManifest)> = Vec::new();
    for entry in &manifests {
        let diffs: Vec<String> = identity(&entry.1)
            .iter()
            .zip(&reference)
            .filter(|(a, b)| a.1 != b.1)
            .map(|((name, v), (_, r))| format!("{name} {v} where it has {r}"))
            .collect();
        if diffs.is_empty() {
            same.push(entry);
        } else {
            problems.push(format!(
                "{} is not of the same study as {}: {}",
                dirs[entry.0].display(),
                dirs[first_i].display(),
                diffs.join("; ")
            ));
        }
    }
    // Every unit of the study exactly once.
    let total = first.units_total;
    let mut holders: Vec<Vec<usize>> = vec![Vec::new(); total];
    let reps = first.replications;
    for (i, m) in &same {
        for u in &m.units {
            let k = u.point * reps + u.replication;
            if u.replication >= reps || k >= total {
                problems.push(format!(
                    "{} lists point {} replication {}, which the study ({} points × {} replications) does not have",
                    dirs[*i].display(),
                    u.point,
                    u.replication,
                    first.points,
                    reps
                ));
                continue;
            }
            if !dirs[*i]
                .join(unit_dir(u.point, u.replication))
                .join(files::UNIT)
                .is_file()
            {
                problems.push(format!(
                    "{} lists point {} replication {} but has no {}/{}; run that shard again",
                    dirs[*i].display(),
                    u.point,
                    u.replication,
                    unit_dir(u.point, u.replication),
                    files::UNIT
                ));
            }
            holders[k].push(*i);
        }
    }
    let missing: Vec<usize> = (0..total).filter(|&k| holders[k].is_empty()).collect();
    if !missing.is_empty() {
        let mut shards: Vec<usize> = missing
            .iter()
            .map(|&k| ShardSpec::of_unit(k, first.shards))
            .collect();
        shards.sort_unstable();
        shards.dedup();
        let names: Vec<String> = missing.iter().map(|&k| unit_name(reps, k)).collect();
        let shard_names: Vec<String> = shards
            .iter()
            .map(|s| format!("{s}/{}", first.shards))
            .collect();
        problems.push(format!(
            "{} of the study's {total} units {} missing: {}; they are run by --shard {}: give the folder of each such shard, or run it",
            missing.len(),
            if missing.len() == 1 { "is" } else { "are" },
            listed(&names),
            listed(&shard_names),
        ));
    }
    // Units held twice, grouped by the folders that hold them: a shard
    // copied, or run twice into two folders, is one problem.
    let mut twice: Vec<(Vec<usize>, Vec<String>)> = Vec::new();
    for (k, h) in holders.iter().enumerate().filter(|(_, h)| h.len() > 1) {
        match twice.iter_mut().find(|(folders, _)| folders == h) {
            Some((_, units)) => units.push(unit_name(reps, k)),
            None => twice.push((h.clone(), vec![unit_name(reps, k)])),
        }
    }
    for (folders, units) in twice {
        let folders: Vec<String> = folders
            .iter()
            .map(|&i| dirs[i].display().to_string())
            .collect();
        problems.push(format!(
            "{} hold the same {} {}: {}; give each unit once",
            folders.join(" and "),
            units.len(),
            if units.len() == 1 { "unit" } else { "units" },
            listed(&units)
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Checked {
        manifests: manifests.into_iter().map(|(_, m)| m).collect(),
        holder: holders.into_iter().map(|h| h[0]).collect(),
    })
}

/// Refuses the merge with `problems`, a line each.
fn refused(problems: &[String]) -> anyhow::Error {
    UsageError(format!(
        "the shards cannot be merged; nothing was written:\n  {}",
        problems.join("\n  ")
    ))
    .into()
}

/// Reads unit (p, r) from the shard folder `shard` and puts its own files
/// where `run` writes them under `layout`.
fn load_unit(
    plan: &Plan,
    layout: &Layout,
    shard: &Path,
    (p, r): (usize, usize),
) -> Result<UnitResult> {
    let dir = shard.join(unit_dir(p, r));
    let path = dir.join(files::UNIT);
    let bad = |why: String| -> anyhow::Error {
        UsageError(format!(
            "{} cannot be merged: {why}; run that shard again",
            path.display()
        ))
        .into()
    };
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let unit: StoredUnit = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    if (unit.point, unit.replication) != (p, r) {
        return Err(bad(format!(
            "it holds point {} replication {}",
            unit.point, unit.replication
        )));
    }
    let scenario = &plan.points[p].scenario;
    let simulated: Vec<Kind> = Kind::ALL
        .iter()
        .copied()
        .filter(|&k| scenario.kind(k).is_some())
        .collect();
    if unit.kinds.iter().map(|(k, _)| *k).collect::<Vec<_>>() != simulated {
        return Err(bad("its kinds are not the scenario's".into()));
    }
    let mut kinds = Vec::with_capacity(unit.kinds.len());
    for (kind, stats) in unit.kinds {
        let machine = crate::sim::machine_of(scenario.kind(kind).expect("checked above"));
        if stats.detail.counts().len() != machine.n_states() {
            return Err(bad(format!(
                "its {} states are not the model's",
                kind.name()
            )));
        }
        kinds.push((machine, stats));
    }
    if (layout.replications > 1) != unit.series.is_some() {
        return Err(bad("its time series do not match its replications".into()));
    }
    let own = layout.own_dir(p, r);
    let mut written = Vec::with_capacity(unit.files.len());
    for name in &unit.files {
        if !files::ALL.contains(&name.as_str()) {
            return Err(bad(format!(
                "it names a file \"{name}\" that fleetsim does not write"
            )));
        }
        std::fs::create_dir_all(&own)
            .with_context(|| format!("cannot create {}", own.display()))?;
        let (from, to) = (dir.join(name), own.join(name));
        link_or_copy(&from, &to)?;
        written.push(to);
    }
    Ok(UnitResult {
        outcomes: Outcomes {
            scenario: Arc::clone(scenario),
            kinds,
            counters: unit.counters,
            servers_created: unit.servers_created,
            peak_slots: unit.peak_slots,
            pools: unit.pools,
            failures: unit.failures,
        },
        files: written,
        series: unit.series,
    })
}

/// Puts the file `from` at `to`: a hard link where both are on one file
/// system (files are never written in place, so the two cannot drift
/// apart), else a copy.
fn link_or_copy(from: &Path, to: &Path) -> Result<()> {
    if std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to)
        .map(|_| ())
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))
}

/// Merges the shard folders of `opts` into `opts.out`.
pub fn merge(opts: &MergeOptions) -> Result<MergeReport> {
    let checked = check(&opts.shards).map_err(|p| refused(&p))?;
    let out_real = std::fs::canonicalize(&opts.out).ok();
    if let Some(out) = &out_real
        && let Some(d) = opts
            .shards
            .iter()
            .find(|d| std::fs::canonicalize(d).ok().as_ref() == Some(out))
    {
        return Err(refused(&[format!(
            "{} is a shard folder and the result folder; write the result elsewhere",
            d.display()
        )]));
    }
    let first = &checked.manifests[0];
    let path = opts.scenario.as_deref().unwrap_or(&first.scenario_path);
    let overrides = first.overrides.overrides();
    let plan = Scenario::load_plan(path, &overrides)?;
    let sha = plan_sha256(&plan);
    if sha != first.scenario_sha256 {
        return Err(refused(&[format!(
            "{} is not the study the shards ran (its sha256 {}, theirs {}): the file, or a file it names, changed since; restore it, or run the shards again",
            path.display(),
            short(&sha),
            short(&first.scenario_sha256)
        )]));
    }
    let total = run::units(&plan).len();
    if total != first.units_total {
        return Err(refused(&[format!(
            "{} has {total} units, the shards {}",
            path.display(),
            first.units_total
        )]));
    }
    let staging = output::Staging::begin(&opts.out, opts.force)?;
    let layout = Layout::create(&plan, staging.dir())?;
    // What the study cost: every shard's simulations, one after another.
    let wall_seconds: f64 = checked.manifests.iter().map(|m| m.wall_seconds).sum();
    let reps = layout.replications;
    let report = run::write_study(
        &plan,
        Some(first.scenario_file.clone()),
        staging,
        &layout,
        wall_seconds,
        &mut |p, r| {
            // A signal stops the merge between units: nothing is written.
            crate::interrupt::check()?;
            let shard = &opts.shards[checked.holder[p * reps + r]];
            load_unit(&plan, &layout, shard, (p, r))
        },
    )?;
    Ok(MergeReport {
        run: report,
        shards: opts.shards.len(),
        units: total,
    })
}

/// The first 12 hex digits of a hash, enough to tell two apart.
fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
