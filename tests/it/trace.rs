//! Trace replay: every row of a small trace is created at its time with its
//! mapped flavor and deleted at its deleted time; demand scaling thins or
//! replicates rows in the proportion asked; bad traces are refused with
//! their file, line, column and value, and nothing runs.

use crate::common::{fleetsim, run_with, stderr_of};
use crate::theory::{INSTANT_ECS_STEPS, NO_FAILURES};
use fleetsim::model::{Kind, Machine};
use fleetsim::scenario::Scenario;
use fleetsim::sim::{Change, Recorder};
use fleetsim::stats::KindStats;
use std::collections::BTreeMap;
use std::path::Path;

/// Every server's creation and deletion: serial → (created, deleted, flavor).
#[derive(Default)]
struct Lives(BTreeMap<u32, (u64, Option<u64>, u16)>);

impl Recorder for Lives {
    fn wants_changes(&self) -> bool {
        true
    }
    fn change(&mut self, c: &Change, m: &Machine) {
        match (c.from, c.to) {
            (None, _) => {
                self.0.insert(c.serial, (c.time.ms(), None, c.flavor));
            }
            (_, Some((s, _))) if s == m.deleted_state => {
                self.0.get_mut(&c.serial).unwrap().1 = Some(c.time.ms());
            }
            _ => {}
        }
    }
    fn sample(&mut self, _: fleetsim::engine::SimTime, _: Kind, _: &KindStats, _: &Machine) {}
}

/// The scenario `text`, written as trace.toml in `dir` (beside the trace
/// files it names) and read from there.
fn scenario_in(dir: &Path, text: &str) -> Scenario {
    let path = dir.join("trace.toml");
    std::fs::write(&path, text).unwrap();
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// `fleetsim run` of the scenario `text` in `dir`, which must be refused
/// (exit 2) without writing anything: what it printed on stderr.
fn refused(dir: &Path, text: &str) -> String {
    std::fs::write(dir.join("bad.toml"), text).unwrap();
    let out = dir.join("out");
    let a = fleetsim()
        .arg("run")
        .arg(dir.join("bad.toml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    assert!(!out.exists(), "nothing is written");
    stderr_of(&a)
}

const CAPACITY: &str = r#"
[capacity.pools.p]
hosts = 100
vcpus = 64
memory = "256GiB"
[capacity.flavors.small]
vcpus = 2
memory = "4GiB"
[capacity.flavors.big]
vcpus = 16
memory = "64GiB"
"#;

/// Azure rows (vmid, subscription, deployment, created, deleted, max, avg,
/// p95, category, cores, memory), in order of creation.
const AZURE: &str = "\
vm-a,s1,d1,0,3600,50,10,40,Interactive,2,4
vm-b,s1,d1,0,7200,50,10,40,Interactive,2,4
vm-c,s2,d2,600,900,50,10,40,Unknown,>24,>64
vm-d,s3,d3,1200,86400,50,10,40,Unknown,8,32
vm-e,s3,d4,1200,1500,50,10,40,Delay-insensitive,4,8
";

#[test]
fn every_azure_row_is_created_and_deleted_at_its_times_with_its_flavor() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("vmtable.csv"), AZURE).unwrap();
    // Trace time 0 at 1 h, each trace second half a simulated second.
    let text = format!(
        r#"
        name = "trace"
        horizon = "2d"
        [ecs]
        arrivals = {{ trace = "vmtable.csv", format = "azure-vm-v2", offset = "1h", time_scale = 0.5, flavors = {{ "2/4" = "small", ">24/>64" = "big", "*" = "small" }} }}
        {INSTANT_ECS_STEPS}{NO_FAILURES}
        {CAPACITY}
        "#
    );
    let sc = scenario_in(dir.path(), &text);
    let mut lives = Lives::default();
    run_with(&sc, &mut lives);
    let got: Vec<(u64, Option<u64>, u16)> = lives.0.values().copied().collect();
    let at = |trace_s: u64| 3_600_000 + trace_s * 500;
    // Flavors: small = 0, big = 1 (file order).
    assert_eq!(
        got,
        vec![
            (at(0), Some(at(3600)), 0),
            (at(0), Some(at(7200)), 0),
            (at(600), Some(at(900)), 1),
            (at(1200), Some(at(86400)), 0),
            (at(1200), Some(at(1500)), 0),
        ]
    );
}

#[test]
fn every_csv_row_is_replayed_and_an_empty_deleted_time_means_never() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.csv"),
        "created_s,deleted_s,flavor\n10,20,big\n10,,small\n30.5,100,small\n",
    )
    .unwrap();
    let text = format!(
        "name = \"trace\"\nhorizon = \"1h\"\n[ecs]\narrivals = {{ trace = \"t.csv\", format = \"csv\" }}\n{INSTANT_ECS_STEPS}{NO_FAILURES}\n{CAPACITY}"
    );
    let sc = scenario_in(dir.path(), &text);
    let mut lives = Lives::default();
    run_with(&sc, &mut lives);
    let got: Vec<(u64, Option<u64>, u16)> = lives.0.values().copied().collect();
    assert_eq!(
        got,
        vec![
            (10_000, Some(20_000), 1),
            (10_000, None, 0),
            (30_500, Some(100_000), 0)
        ]
    );
}

/// A row becomes ⌊s⌋ servers and one more with probability s − ⌊s⌋: over
/// n rows the number of servers is ⌊s⌋·n plus a binomial(n, s − ⌊s⌋),
/// checked against its 99.99% bounds (±3.9 standard deviations).
#[test]
fn demand_scale_thins_and_replicates_rows_in_proportion() {
    let dir = tempfile::tempdir().unwrap();
    let n = 4000u64;
    let mut rows = String::from("created_s,deleted_s,flavor\n");
    for i in 0..n {
        rows.push_str(&format!("{i},{},\n", i + 5));
    }
    std::fs::write(dir.path().join("t.csv"), rows).unwrap();
    for scale in [0.3_f64, 2.5] {
        let text = format!(
            "name = \"trace\"\nhorizon = \"2h\"\n[ecs]\narrivals = {{ trace = \"t.csv\", format = \"csv\", demand_scale = {scale} }}\n{INSTANT_ECS_STEPS}{NO_FAILURES}"
        );
        let sc = scenario_in(dir.path(), &text);
        let created = run_with(&sc, &mut Lives::default()).servers_created as f64;
        let (whole, p) = (scale.floor(), scale.fract());
        let (mean, sd) = (n as f64 * (whole + p), (n as f64 * p * (1.0 - p)).sqrt());
        assert!(
            (created - mean).abs() < 3.9 * sd,
            "scale {scale}: {created} servers, {mean} ± {sd} expected"
        );
    }
}

#[test]
fn a_bad_trace_is_refused_with_file_line_column_and_value() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("vmtable.csv"),
        "vm-a,s,d,0,10,1,1,1,X,2,4\nvm-b,s,d,ten,20,1,1,1,X,2,4\nvm-c,s,d,5,2,1,1,1,X,2,4\nvm-d,s,d,6,30,1,1,1,X,16,4\nvm-e,s,d,0,30,1,1,1,X,2,4\nvm-f,s,d\n",
    )
    .unwrap();
    let text = format!(
        "name = \"bad-trace\"\nhorizon = \"1d\"\n[ecs]\narrivals = {{ trace = \"vmtable.csv\", format = \"azure-vm-v2\", flavors = {{ \"2/4\" = \"small\" }} }}\n{CAPACITY}"
    );
    let err = refused(dir.path(), &text);
    for needle in [
        "ecs.arrivals: vmtable.csv line 2: column vmcreated (4): \"ten\" is not a time",
        "vmtable.csv line 3: deleted at 2 s, before it was created at 5 s",
        "vmtable.csv line 4: columns vmcorecountbucket, vmmemorybucket (10, 11): \"16/4\" has no flavor",
        "vmtable.csv line 5: created at 0 s, before the row above (6 s)",
        "vmtable.csv line 6: has 3 columns; the azure-vm-v2 format has 11",
    ] {
        assert!(err.contains(needle), "{needle:?} not in:\n{err}");
    }
}

/// Rows of one Azure deployment created at the same second are one request,
/// scheduled as a whole: a deployment of three that does not fit is refused
/// whole, and counted once.
#[test]
fn rows_of_one_deployment_are_one_request() {
    let dir = tempfile::tempdir().unwrap();
    // Two hosts of 4 vCPU: d1's three 2-vCPU servers fit (4 + 2), d2's
    // three 2-vCPU servers at t = 10 then find room for one only.
    std::fs::write(
        dir.path().join("vmtable.csv"),
        "a,s,d1,0,1000,1,1,1,X,2,4\nb,s,d1,0,1000,1,1,1,X,2,4\nc,s,d1,0,1000,1,1,1,X,2,4\nd,s,d2,10,1000,1,1,1,X,2,4\ne,s,d2,10,1000,1,1,1,X,2,4\nf,s,d2,10,1000,1,1,1,X,2,4\n",
    )
    .unwrap();
    let text = format!(
        r#"
        name = "trace-deployments"
        horizon = "1h"
        [ecs]
        arrivals = {{ trace = "vmtable.csv", format = "azure-vm-v2", flavors = {{ "*" = "small" }} }}
        {INSTANT_ECS_STEPS}{NO_FAILURES}
        [capacity.pools.p]
        hosts = 2
        vcpus = 4
        memory = "64GiB"
        [capacity.flavors.small]
        vcpus = 2
        memory = "4GiB"
        "#
    );
    let sc = scenario_in(dir.path(), &text);
    let o = run_with(&sc, &mut Lives::default());
    let c = &o.pools[0].stats.counters;
    assert_eq!((c.deployments, c.deployments_refused), (2, 1));
    assert_eq!((c.creates, c.creates_blocked), (6, 3));
}

/// A bad profile and a bad schedule file: every problem is listed, the exit
/// status is 2, and nothing is written.
#[test]
fn bad_profiles_and_schedules_are_refused_with_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rates.csv"),
        "time,rate\n0s,10/d\n1h,lots\n30m,5/d\n",
    )
    .unwrap();
    let err = refused(
        dir.path(),
        r#"
        name = "bad-profile"
        horizon = "7d"
        [ecs]
        arrivals = { schedule = "rates.csv", daily = { amplitude = 2, peak_hour = 14 }, weekly = [1, 1], growth = "3%" }
        [bms]
        arrivals = { base = "1/d", utc_offset = "+25:00" }
        "#,
    );
    for needle in [
        "6 problems in the scenario; nothing was run",
        "ecs.arrivals.schedule: rates.csv line 3, column rate: \"lots\"",
        "ecs.arrivals.schedule: rates.csv line 4, column time: \"30m\" is not after the row before (1h)",
        "ecs.arrivals.daily.amplitude: 2 is out of range",
        "ecs.arrivals.weekly: has 2 values; give exactly 7",
        "ecs.arrivals.growth: \"3%\" has no period",
        "bms.arrivals.utc_offset: \"+25:00\" is not a UTC offset",
    ] {
        assert!(err.contains(needle), "{needle:?} not in:\n{err}");
    }
}
