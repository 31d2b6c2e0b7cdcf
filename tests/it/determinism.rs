//! Determinism: the same scenario and seed give byte-identical files.

use assert_cmd::cargo::cargo_bin_cmd;
use std::path::Path;

fn run(out: &Path, seed: &str) {
    cargo_bin_cmd!("fleetsim")
        .args([
            "run",
            "scenarios/quick.toml",
            "--trace",
            "--quiet",
            "--seed",
            seed,
            "--out",
        ])
        .arg(out)
        .assert()
        .success();
}

/// The manifest without its two wall-clock fields, which measure the machine.
fn manifest_without_timing(p: &Path) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    let obj = v.as_object_mut().unwrap();
    assert!(obj.remove("wall_seconds").is_some());
    assert!(obj.remove("events_per_second").is_some());
    v
}

#[test]
fn same_seed_gives_identical_bytes_in_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    run(&a, "11");
    run(&b, "11");
    run(&c, "12");
    let mut names: Vec<String> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "availability.csv",
            "manifest.json",
            "occupancy_bms.csv",
            "occupancy_ecs.csv",
            "occupancy_status.csv",
            "operations.csv",
            "results.json",
            "summary.csv",
            "transitions.csv"
        ]
    );
    for name in &names {
        if name == "manifest.json" {
            assert_eq!(
                manifest_without_timing(&a.join(name)),
                manifest_without_timing(&b.join(name))
            );
            continue;
        }
        let (x, y) = (
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
        );
        assert!(x == y, "{name} differs between two runs with the same seed");
    }
    // And the seed matters: another seed gives another trace.
    assert_ne!(
        std::fs::read(a.join("transitions.csv")).unwrap(),
        std::fs::read(c.join("transitions.csv")).unwrap()
    );
}

#[test]
fn replications_give_the_same_bytes_whatever_the_number_of_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |dir: &Path, jobs: &str| {
        cargo_bin_cmd!("fleetsim")
            .args([
                "run",
                "scenarios/quick.toml",
                "--quiet",
                "--replications",
                "6",
                "--horizon",
                "3d",
                "--jobs",
                jobs,
            ])
            .args(["--per-replication", "--trace", "--out"])
            .arg(dir)
            .assert()
            .success();
    };
    let (a, b) = (tmp.path().join("j1"), tmp.path().join("j4"));
    run(&a, "1");
    run(&b, "4");
    let files = [
        "occupancy_status.csv",
        "occupancy_ecs.csv",
        "occupancy_bms.csv",
        "summary.csv",
        "summary_ci.csv",
        "operations.csv",
        "operations_ci.csv",
        "results.json",
        "replication-5/transitions.csv",
        "replication-5/occupancy_status.csv",
    ];
    for f in files {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs between --jobs 1 and --jobs 4");
    }
    assert_eq!(
        manifest_without_timing(&a.join("manifest.json")),
        manifest_without_timing(&b.join("manifest.json"))
    );
    // Replications differ from one another: they have their own streams.
    assert_ne!(
        std::fs::read(a.join("replication-0/transitions.csv")).unwrap(),
        std::fs::read(a.join("replication-1/transitions.csv")).unwrap()
    );
}

/// Records when each server appeared.
#[derive(Default)]
struct Arrivals(Vec<(u64, u32)>);

impl fleetsim::sim::Recorder for Arrivals {
    fn wants_changes(&self) -> bool {
        true
    }
    fn change(&mut self, c: &fleetsim::sim::Change, _: &fleetsim::model::Machine) {
        if c.from.is_none() {
            self.0.push((c.time.ms(), c.serial));
        }
    }
    fn sample(
        &mut self,
        _: fleetsim::engine::SimTime,
        _: fleetsim::model::Kind,
        _: &fleetsim::stats::KindStats,
        _: &fleetsim::model::Machine,
    ) {
    }
}

/// Common random numbers: two scenarios that differ only in their failure
/// settings see the same creates at the same instants, and the same user
/// operation requests from servers that no failure touched.
#[test]
fn failure_settings_do_not_reshuffle_the_workload() {
    crn(r#""50/d""#);
}

/// The same with a time-varying arrival rate: thinning draws from the
/// arrival stream alone.
#[test]
fn failure_settings_do_not_reshuffle_profiled_arrivals() {
    crn(
        r#"{ base = "40/d", daily = { amplitude = 0.7, peak_hour = 10 }, weekly = [1, 1, 1, 1, 1, 0.3, 0.3], growth = "+5%/7d" }"#,
    );
}

fn crn(arrivals: &str) {
    let base = &format!(
        r#"
        name = "crn"
        seed = 9
        horizon = "10d"
        [ecs]
        initial = 200
        arrivals = {arrivals}
        lifetime = {{ dist = "lognormal", mean = "5d", cv = 1.0 }}
        ops_rate = "4/d"
        ops_mix = {{ reboot = 1, lock = 1, unlock = 1, stop = 1, start = 1 }}
        "#
    );
    let calm = crate::common::scenario(base);
    let storm = crate::common::scenario(&format!(
        "{base}\n[ecs.failures]\nreboot = {{ prob = 0.3 }}\nstop = {{ prob = 0.2 }}\n[ecs.faults]\ntime_to_fault = \"3d\"\n"
    ));
    let (mut a, mut b) = (Arrivals::default(), Arrivals::default());
    let oa = crate::common::run_with(&calm, &mut a);
    let ob = crate::common::run_with(&storm, &mut b);
    assert!(a.0.len() > 500, "{} servers", a.0.len());
    assert_eq!(a.0, b.0, "arrivals differ between the two scenarios");
    // Lock requests come from the owners' own streams, whatever state the
    // server is in; they differ only through servers deleted at other times.
    let lock = fleetsim::model::Op::Lock.index();
    let (la, lb) = (
        oa.kinds[0].1.ops[lock].requested as f64,
        ob.kinds[0].1.ops[lock].requested as f64,
    );
    assert!((la - lb).abs() / la < 0.02, "lock requests {la} vs {lb}");
    assert!(ob.counters.faults > 0);
}
