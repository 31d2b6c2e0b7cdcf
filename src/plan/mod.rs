//! `fleetsim plan`: the smallest size of a pool that meets a target, found
//! by simulation instead of read off a hand-made sweep.
//!
//! Each candidate size is a point made from the scenario's tree through the
//! same override a sweep uses (`capacity.pools.<name>.hosts`, or
//! `capacity.bms_pools.<flavor>.nodes`), validated like a file. Replication
//! r of every candidate draws from the same streams (the engine derives them
//! from the seed and r alone), so two candidates differ by their hosts and
//! by nothing else: common random numbers.
//!
//! A candidate runs the scenario's replications (at least
//! [`MIN_REPLICATIONS`]), and twice as many each time its confidence
//! interval straddles the target, up to a cap; a candidate still undecided
//! there counts as missing the target. The interval is the Student-t
//! interval of the mean over independent replications that every `_ci`
//! file gives ([`crate::ci`]); a `<=` target is met when its upper end is
//! at or below the target, a `>=` target when its lower end is at or above.
//!
//! The search checks `--max` first (if it misses, there is no answer), then
//! bisects between `--min` and `--max`, which assumes that more hosts never
//! hurt. Bisection's own verdicts agree with that assumption by
//! construction, so the search also evaluates the answer's neighbours (one
//! host less and one more) and reports any candidate whose verdict breaks
//! it.

mod files;

use crate::app::UsageError;
use crate::ci::Estimate;
use crate::model::Kind;
use crate::output::pools::Metrics as PoolMetrics;
use crate::results::Outcomes;
use crate::scenario::Scenario;
use crate::scenario::sweep::Base;
use crate::sim::{NullRecorder, Simulation};
use anyhow::Result;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

/// Fewest replications a candidate starts with.
pub const MIN_REPLICATIONS: u32 = 5;

/// Most replications a candidate gets by default (or the scenario's
/// replications, if more).
pub const DEFAULT_MAX_REPLICATIONS: u32 = 40;

/// Without `--max`, the search goes up to this many times the pool's
/// configured size.
pub const DEFAULT_MAX_FACTOR: u32 = 4;

/// The quantity a target bounds, for the pool being sized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// A numeric column of `capacity_summary.csv` for the pool (every one
    /// but `hosts`), exactly as that file computes it per replication:
    /// `blocked_share`, `utilisation_p95`, ...
    Pool(&'static str),
    /// The availability of the kind the pool serves, as `availability.csv`
    /// gives it.
    Availability,
}

impl Metric {
    /// Every metric a target may name.
    pub fn names() -> Vec<&'static str> {
        let mut names: Vec<&'static str> = PoolMetrics::COLUMNS
            .iter()
            .copied()
            .filter(|&c| c != "hosts")
            .collect();
        names.push("availability");
        names
    }

    /// The metric called `name`.
    pub fn parse(name: &str) -> Result<Metric, String> {
        if name == "availability" {
            return Ok(Metric::Availability);
        }
        match PoolMetrics::COLUMNS
            .iter()
            .find(|&&c| c == name && c != "hosts")
        {
            Some(&c) => Ok(Metric::Pool(c)),
            None => Err(format!(
                "\"{name}\" is not a metric; give one of {}",
                Metric::names().join(", ")
            )),
        }
    }

    /// Its name, as targets and `plan.csv` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Pool(c) => c,
            Metric::Availability => "availability",
        }
    }

    /// Its value in one replication for the pool `name` of `kind`; `None`
    /// where it is undefined (no creates for `blocked_share`, nothing
    /// wanted running for `availability`).
    pub fn of(self, o: &Outcomes, name: &str, kind: Kind) -> Option<f64> {
        match self {
            Metric::Pool(column) => {
                let window = o.scenario.window().ms() as f64;
                let pool = o.pools.iter().find(|p| p.name == name && p.kind == kind)?;
                PoolMetrics::of(pool, window).get(column).flatten()
            }
            Metric::Availability => o.stats(kind).and_then(|st| st.availability()),
        }
    }
}

/// Which side of its value a target wants the metric on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// `<=`: at most the value (blocking, utilisation).
    AtMost,
    /// `>=`: at least the value (availability).
    AtLeast,
}

impl Comparison {
    /// `<=` or `>=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::AtMost => "<=",
            Comparison::AtLeast => ">=",
        }
    }
}

/// A target such as `blocked_share <= 0.01`: a metric, a comparison and a
/// value.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// What is bounded.
    pub metric: Metric,
    /// Which way.
    pub comparison: Comparison,
    /// The bound.
    pub value: f64,
    /// The bound as written, whose decimals set how many the report shows.
    pub written: String,
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Target, String> {
        let usage = "give METRIC <= VALUE or METRIC >= VALUE, e.g. \"blocked_share <= 0.01\" or \"availability >= 0.999\"";
        let found = ["<=", ">=", "≤", "≥"]
            .iter()
            .find_map(|op| s.split_once(op).map(|(l, r)| (*op, l, r)));
        let Some((op, left, right)) = found else {
            return Err(format!("\"{s}\" has no <= or >=; {usage}"));
        };
        let metric = Metric::parse(left.trim())?;
        let written = right.trim();
        let value = written
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("\"{written}\" in \"{s}\" is not a number; {usage}"))?;
        Ok(Target {
            metric,
            comparison: if op == "<=" || op == "≤" {
                Comparison::AtMost
            } else {
                Comparison::AtLeast
            },
            value,
            written: written.to_string(),
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.metric.name(),
            self.comparison.symbol(),
            self.written
        )
    }
}

/// What a candidate's interval says about the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The whole interval is on the target's side: met.
    Pass,
    /// The whole interval is on the other side: missed.
    Fail,
    /// The interval straddles the target even with the most replications
    /// allowed (or the metric is undefined): counted as missed.
    Undecided,
}

impl Verdict {
    /// `pass`, `fail` or `undecided`, as `plan.csv` writes it.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Undecided => "undecided",
        }
    }
}

/// One size of a pool, evaluated.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// Hosts in the pool (nodes, for a BMS pool).
    pub hosts: u32,
    /// The metric in each replication, by replication number; `None` where
    /// it is undefined.
    pub values: Vec<Option<f64>>,
    /// The estimate over the replications where it is defined.
    pub estimate: Option<Estimate>,
    /// The interval at the plan's confidence; NaN when fewer than two
    /// replications define the metric.
    pub low: f64,
    /// Its upper end.
    pub high: f64,
    /// What the interval says.
    pub verdict: Verdict,
}

impl Candidate {
    /// The candidate judged from its replications' `values`.
    fn judge(hosts: u32, values: Vec<Option<f64>>, target: &Target, confidence: f64) -> Candidate {
        let xs: Vec<f64> = values.iter().flatten().copied().collect();
        let estimate = Estimate::of(&xs);
        let (low, high) = match estimate {
            Some(e) => {
                let half = e.half_width(confidence);
                (e.mean - half, e.mean + half)
            }
            None => (f64::NAN, f64::NAN),
        };
        let v = target.value;
        let verdict = if !(low.is_finite() && high.is_finite()) {
            Verdict::Undecided
        } else {
            match target.comparison {
                Comparison::AtMost if high <= v => Verdict::Pass,
                Comparison::AtMost if low > v => Verdict::Fail,
                Comparison::AtLeast if low >= v => Verdict::Pass,
                Comparison::AtLeast if high < v => Verdict::Fail,
                _ => Verdict::Undecided,
            }
        };
        Candidate {
            hosts,
            values,
            estimate,
            low,
            high,
            verdict,
        }
    }

    /// Replications run.
    pub fn replications(&self) -> usize {
        self.values.len()
    }
}

/// The search for one pool's size, finished.
#[derive(Clone, Debug)]
pub struct PoolPlan {
    /// The pool's name (the bare-metal flavor, for a BMS pool).
    pub pool: String,
    /// The kind of server it runs.
    pub kind: Kind,
    /// Its size in the scenario file.
    pub configured: u32,
    /// The smallest size searched.
    pub min: u32,
    /// The largest size searched, evaluated first.
    pub max: u32,
    /// Every candidate evaluated, by size.
    pub candidates: Vec<Candidate>,
    /// The sizes evaluated, in the order the search evaluated them.
    pub order: Vec<u32>,
    /// The smallest size that meets the target; `None` when `max` misses it.
    pub answer: Option<u32>,
    /// Candidates whose verdict breaks monotonicity: one that passes below
    /// the answer, or one that does not pass at or above it.
    pub out_of_order: Vec<u32>,
}

impl PoolPlan {
    /// The candidate of `hosts`, if it was evaluated.
    pub fn candidate(&self, hosts: u32) -> Option<&Candidate> {
        self.candidates.iter().find(|c| c.hosts == hosts)
    }
}

/// A finished plan.
pub struct PlanReport {
    /// The scenario as the file (with its overrides) gives it.
    pub scenario: Arc<Scenario>,
    /// The target.
    pub target: Target,
    /// The confidence of the intervals.
    pub confidence: f64,
    /// Replications each candidate starts with.
    pub start_replications: u32,
    /// Most replications a candidate may get.
    pub max_replications: u32,
    /// The file's swept paths, replaced by the search.
    pub replaced_sweep: Vec<String>,
    /// Every pool searched, in the order asked.
    pub pools: Vec<PoolPlan>,
    /// Replications run, every candidate of every pool together.
    pub replications_run: u64,
    /// Events they processed.
    pub events: u64,
    /// Wall-clock seconds the search took.
    pub wall_seconds: f64,
    /// Files written, relative to the result folder.
    pub files: Vec<String>,
}

impl PlanReport {
    /// The pools whose `--max` misses the target.
    pub fn missed(&self) -> Vec<&PoolPlan> {
        self.pools.iter().filter(|p| p.answer.is_none()).collect()
    }
}

/// What to plan and how.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    /// The pools to size, each in turn with the others at their configured
    /// sizes.
    pub pools: Vec<String>,
    /// The target each must meet.
    pub target: Target,
    /// The confidence of the intervals, strictly between 0 and 1.
    pub confidence: f64,
    /// The smallest size searched.
    pub min: u32,
    /// The largest size searched; `None`: [`DEFAULT_MAX_FACTOR`] times the
    /// configured size.
    pub max: Option<u32>,
    /// Most replications per candidate; `None`: [`DEFAULT_MAX_REPLICATIONS`]
    /// or the starting replications, if more.
    pub max_replications: Option<u32>,
    /// Result folder.
    pub out: PathBuf,
    /// Replace the files of an earlier plan in `out`.
    pub force: bool,
    /// Threads running replications; 0 means one per core.
    pub jobs: usize,
    /// Show a progress bar (only drawn when stderr is a terminal).
    pub progress: bool,
}

/// One pool to size: where its size is in the scenario's tree.
struct Sized {
    name: String,
    kind: Kind,
    /// The keys of its size in the tree.
    keys: Vec<String>,
    /// Those keys as a dotted path, as a sweep names them.
    path: String,
    configured: u32,
    min: u32,
    max: u32,
}

/// Finds the pools `names` in `sc`, or says which pools there are.
fn resolve(sc: &Scenario, names: &[String], file: &str) -> Result<Vec<Sized>, UsageError> {
    let cap = sc.capacity.as_ref();
    let ecs: Vec<(&str, u32)> = cap
        .map(|c| c.pools.iter().map(|p| (p.name.as_str(), p.hosts)).collect())
        .unwrap_or_default();
    let bms: Vec<(&str, u32)> = cap
        .map(|c| {
            c.bms_pools
                .iter()
                .map(|p| (p.flavor.as_str(), p.nodes))
                .collect()
        })
        .unwrap_or_default();
    if ecs.is_empty() && bms.is_empty() {
        return Err(UsageError(format!(
            "--pool: {file} has no pools to size; add a [capacity.pools.<name>] or [capacity.bms_pools.<flavor>] section"
        )));
    }
    let known = || {
        let all: Vec<String> = ecs
            .iter()
            .map(|(n, _)| format!("{n} (ECS)"))
            .chain(bms.iter().map(|(n, _)| format!("{n} (BMS)")))
            .collect();
        all.join(", ")
    };
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            return Err(UsageError(format!("--pool {name} is given twice")));
        }
        let e = ecs.iter().find(|(n, _)| n == name);
        let b = bms.iter().find(|(n, _)| n == name);
        let (kind, table, key, configured) = match (e, b) {
            (Some(&(_, hosts)), None) => (Kind::Ecs, "pools", "hosts", hosts),
            (None, Some(&(_, nodes))) => (Kind::Bms, "bms_pools", "nodes", nodes),
            (Some(_), Some(_)) => {
                return Err(UsageError(format!(
                    "--pool {name}: {file} has both an ECS pool and a BMS pool called {name:?}; rename one to size it"
                )));
            }
            (None, None) => {
                return Err(UsageError(format!(
                    "--pool {name}: {file} has no pool {name:?}; its pools are {}",
                    known()
                )));
            }
        };
        let keys: Vec<String> = ["capacity", table, name.as_str(), key]
            .iter()
            .map(|k| k.to_string())
            .collect();
        out.push(Sized {
            name: name.clone(),
            kind,
            path: keys.join("."),
            keys,
            configured,
            min: 0,
            max: 0,
        });
    }
    Ok(out)
}

/// Plans every pool of `opts` for the scenario `base`, read from `source`,
/// and writes `plan.csv` and `plan.json` into `opts.out`. Every check of
/// the command line against the scenario comes before the folder is made;
/// a pool whose `--max` misses the target has no answer (see
/// [`PlanReport::missed`]), but its evidence is written too.
pub fn plan(base: &Base, source: Option<&Path>, opts: &PlanOptions) -> Result<PlanReport> {
    let scenario = Arc::new(base.scenario()?);
    let mut pools = resolve(&scenario, &opts.pools, base.file())?;
    // A sweep of a planned pool's size is what the search replaces; a sweep
    // of anything else would leave unsaid which point is being sized.
    let swept = base.swept();
    for path in &swept {
        if !pools.iter().any(|p| &p.path == path) {
            return Err(UsageError(format!(
                "{} sweeps \"{path}\"; a plan sizes one scenario, so remove its [sweep] section or copy one point's values into a scenario of its own",
                base.file()
            ))
            .into());
        }
    }
    let limit = crate::capacity::read::MAX_COUNT as u32;
    for p in &mut pools {
        p.min = opts.min;
        p.max = opts
            .max
            .unwrap_or_else(|| p.configured.saturating_mul(DEFAULT_MAX_FACTOR).min(limit));
        if p.min > p.max {
            return Err(UsageError(format!(
                "--min {} is above --max {} for pool {}; give --min <= --max",
                p.min, p.max, p.name
            ))
            .into());
        }
        // Both ends are checked like a file (every size between is then
        // valid too) before anything runs.
        for hosts in [p.min, p.max] {
            base.point(&p.keys, &p.path, toml::Value::Integer(hosts.into()))?;
        }
    }
    let start = scenario.replications.max(MIN_REPLICATIONS);
    let cap = match opts.max_replications {
        Some(m) if m < start => {
            return Err(UsageError(format!(
                "--max-replications {m} is below the {start} replications each candidate starts with (the scenario's replications, at least {MIN_REPLICATIONS}); give at least {start}"
            ))
            .into());
        }
        Some(m) => m,
        None => DEFAULT_MAX_REPLICATIONS.max(start),
    };
    let staging = crate::output::Staging::begin(&opts.out, opts.force)?;

    let started = Instant::now();
    let bar = crate::run::progress_bar(0, opts.progress);
    let mut report = PlanReport {
        scenario: Arc::clone(&scenario),
        target: opts.target.clone(),
        confidence: opts.confidence,
        start_replications: start,
        max_replications: cap,
        replaced_sweep: swept,
        pools: Vec::new(),
        replications_run: 0,
        events: 0,
        wall_seconds: 0.0,
        files: Vec::new(),
    };
    for p in &pools {
        let mut search = Search {
            base,
            pool: p,
            opts,
            start,
            cap,
            bar: &bar,
            done: BTreeMap::new(),
            order: Vec::new(),
            replications: 0,
            events: 0,
        };
        let answer = search.run()?;
        report.replications_run += search.replications;
        report.events += search.events;
        let candidates: Vec<Candidate> = search.done.into_values().collect();
        let out_of_order = answer.map_or_else(Vec::new, |a| out_of_order(&candidates, a));
        report.pools.push(PoolPlan {
            pool: p.name.clone(),
            kind: p.kind,
            configured: p.configured,
            min: p.min,
            max: p.max,
            candidates,
            order: search.order,
            answer,
            out_of_order,
        });
    }
    bar.finish_and_clear();
    crate::interrupt::check()?;
    report.wall_seconds = started.elapsed().as_secs_f64();
    report.files = files::write(staging.dir(), &report, source)?;
    staging.finish()?;
    Ok(report)
}

/// The sizes among `candidates` whose verdict breaks monotonicity around
/// `answer`: a pass below it, or anything but a pass at or above it.
fn out_of_order(candidates: &[Candidate], answer: u32) -> Vec<u32> {
    candidates
        .iter()
        .filter(|c| (c.hosts < answer) == (c.verdict == Verdict::Pass))
        .map(|c| c.hosts)
        .collect()
}

/// The search for one pool: the candidates evaluated so far.
struct Search<'a> {
    base: &'a Base,
    pool: &'a Sized,
    opts: &'a PlanOptions,
    start: u32,
    cap: u32,
    bar: &'a indicatif::ProgressBar,
    done: BTreeMap<u32, Candidate>,
    order: Vec<u32>,
    replications: u64,
    events: u64,
}

impl Search<'_> {
    /// `--max` first, then bisection, then the answer's neighbours. The
    /// answer, or `None` when `--max` misses the target.
    fn run(&mut self) -> Result<Option<u32>> {
        let (min, max) = (self.pool.min, self.pool.max);
        if self.evaluate(max)? != Verdict::Pass {
            return Ok(None);
        }
        // `hi` meets the target; `lo` is below --min or misses it.
        let (mut lo, mut hi) = (min - 1, max);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.evaluate(mid)? == Verdict::Pass {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        if hi > min {
            self.evaluate(hi - 1)?;
        }
        if hi < max {
            self.evaluate(hi + 1)?;
        }
        Ok(Some(hi))
    }

    /// The verdict at `hosts`, running its replications if not yet done:
    /// the starting number, doubled while undecided up to the cap.
    fn evaluate(&mut self, hosts: u32) -> Result<Verdict> {
        if let Some(c) = self.done.get(&hosts) {
            return Ok(c.verdict);
        }
        let point = self.base.point(
            &self.pool.keys,
            &self.pool.path,
            toml::Value::Integer(hosts.into()),
        )?;
        let sc = &point.scenario;
        let (name, kind) = (self.pool.name.as_str(), self.pool.kind);
        let metric = self.opts.target.metric;
        let mut values: Vec<Option<f64>> = Vec::new();
        let mut n = self.start as usize;
        loop {
            let first = values.len();
            let horizon_s = sc.horizon.ms() / 1000;
            self.bar.set_length(horizon_s * (n - first) as u64);
            self.bar.set_position(0);
            self.bar.set_message(format!(
                "{name}: {hosts} hosts, replications {first}..{}",
                n - 1
            ));
            let bar = self.bar;
            let new = crate::run::on_threads(n - first, self.opts.jobs, |i| {
                // Replication r of every candidate draws from the same streams.
                let r = (first + i) as u64;
                let mut last_s = 0;
                let mut tick = |now: crate::engine::SimTime, _| {
                    let now_s = now.ms() / 1000;
                    bar.inc(now_s.saturating_sub(last_s));
                    last_s = now_s;
                };
                let o = Simulation::replication(sc, r, &mut NullRecorder).run(&mut tick);
                (metric.of(&o, name, kind), o.counters.events)
            });
            self.replications += new.len() as u64;
            for (v, events) in new {
                values.push(v);
                self.events += events;
            }
            let c = Candidate::judge(
                hosts,
                values.clone(),
                &self.opts.target,
                self.opts.confidence,
            );
            if c.verdict != Verdict::Undecided || n >= self.cap as usize {
                let verdict = c.verdict;
                self.done.insert(hosts, c);
                self.order.push(hosts);
                return Ok(verdict);
            }
            n = (2 * n).min(self.cap as usize);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_read_with_their_metric_and_side() {
        let t: Target = "blocked_share <= 0.01".parse().unwrap();
        assert_eq!(t.metric, Metric::Pool("blocked_share"));
        assert_eq!(t.comparison, Comparison::AtMost);
        assert_eq!(t.value, 0.01);
        assert_eq!(t.to_string(), "blocked_share <= 0.01");
        let t: Target = " availability>=0.999 ".parse().unwrap();
        assert_eq!(
            (t.metric, t.comparison, t.value),
            (Metric::Availability, Comparison::AtLeast, 0.999)
        );
        let t: Target = "utilisation_p95 ≤ 0.8".parse().unwrap();
        assert_eq!(t.comparison, Comparison::AtMost);
        for (bad, needle) in [
            ("blocked_share < 0.01", "has no <= or >="),
            ("blocked_shar <= 0.01", "is not a metric; give one of"),
            ("hosts <= 3", "is not a metric"),
            ("blocked_share <= lots", "is not a number"),
            ("blocked_share <= inf", "is not a number"),
            ("", "has no <= or >="),
        ] {
            let e = bad.parse::<Target>().unwrap_err();
            assert!(e.contains(needle), "{bad:?}: {e}");
        }
    }

    #[test]
    fn monotonicity_is_broken_by_a_pass_below_or_a_miss_above() {
        let at = |hosts: u32, verdict: Verdict| Candidate {
            hosts,
            values: Vec::new(),
            estimate: None,
            low: f64::NAN,
            high: f64::NAN,
            verdict,
        };
        use Verdict::*;
        let monotone = [at(3, Fail), at(4, Undecided), at(5, Pass), at(9, Pass)];
        assert!(out_of_order(&monotone, 5).is_empty());
        let broken = [
            at(2, Pass),
            at(3, Fail),
            at(5, Pass),
            at(6, Undecided),
            at(7, Fail),
            at(9, Pass),
        ];
        assert_eq!(out_of_order(&broken, 5), [2, 6, 7]);
    }

    #[test]
    fn verdicts_read_the_whole_interval() {
        let at_most: Target = "blocked_share <= 0.1".parse().unwrap();
        let at_least: Target = "availability >= 0.1".parse().unwrap();
        let judge = |xs: &[f64], t: &Target| {
            Candidate::judge(1, xs.iter().map(|&x| Some(x)).collect(), t, 0.95).verdict
        };
        // Mean 0.05, half-width t(0.975, 3)·sd/√4 = 3.182·0.00816/2 = 0.013.
        let low = [0.04, 0.05, 0.06, 0.05];
        assert_eq!(judge(&low, &at_most), Verdict::Pass);
        assert_eq!(judge(&low, &at_least), Verdict::Fail);
        // Mean 0.1: straddles either way.
        let mid = [0.08, 0.1, 0.12, 0.1];
        assert_eq!(judge(&mid, &at_most), Verdict::Undecided);
        assert_eq!(judge(&mid, &at_least), Verdict::Undecided);
        // No spread: the interval is the mean; equal to the bound meets it.
        assert_eq!(judge(&[0.1, 0.1], &at_most), Verdict::Pass);
        assert_eq!(judge(&[0.1, 0.1], &at_least), Verdict::Pass);
        // Fewer than two defined values: no interval.
        let one = Candidate::judge(1, vec![Some(0.0), None], &at_most, 0.95);
        assert_eq!(one.verdict, Verdict::Undecided);
        assert!(one.low.is_nan());
    }
}
