//! Capacity through the command line: the files and their columns, the same
//! bytes whatever the number of jobs, bad capacity settings refused naming
//! the field, and the planner's curve: blocking falls as hosts are added.

use assert_cmd::cargo::cargo_bin_cmd;
use std::path::Path;

fn header(p: &Path) -> String {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    text.lines().next().unwrap_or_default().to_string()
}

fn crunch(out: &Path, extra: &[&str]) {
    cargo_bin_cmd!("fleetsim")
        .args([
            "run",
            "scenarios/capacity-crunch.toml",
            "--quiet",
            "--horizon",
            "8d",
        ])
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

#[test]
fn capacity_files_have_the_documented_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one");
    crunch(&one, &["--replications", "1"]);
    let series = "time_s,pool,kind,hosts,hosts_up,instances,vcpus_used,vcpus_total,memory_used_gib,memory_total_gib,nodes_used,nodes_total,utilisation,creates,creates_blocked";
    assert_eq!(header(&one.join("capacity.csv")), series);
    // The running counts end where the summary's totals are.
    let totals = std::fs::read_to_string(one.join("capacity_summary.csv")).unwrap();
    let totals: Vec<&str> = totals.lines().nth(1).unwrap().split(',').collect();
    let rows = std::fs::read_to_string(one.join("capacity.csv")).unwrap();
    let last: Vec<&str> = rows
        .lines()
        .rev()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|row| row[1] == totals[1])
        .unwrap();
    assert_eq!(
        (last[13], last[14]),
        (totals[13], totals[14]),
        "creates, creates_blocked"
    );
    assert_ne!(last[13], "0", "the check has creates to compare");
    let summary = "replication,pool,kind,hosts,hosts_up_mean,instances_mean,vcpus_used_mean,memory_used_gib_mean,nodes_used_mean,utilisation_mean,utilisation_p95,utilisation_p99,utilisation_peak,creates,creates_blocked,blocked_share,deployments,deployments_refused,groups_requested_affinity,groups_refused_affinity,groups_requested_anti_affinity,groups_refused_anti_affinity,groups_requested_soft_anti_affinity,groups_refused_soft_anti_affinity,groups_requested_soft_affinity,groups_refused_soft_affinity,resizes,resizes_refused,migrations,migrations_refused,placements,placements_refused,double_vcpu_hours,double_memory_gib_hours,host_failures,host_failure_hits,domain_failures,domain_failure_hits,build_retries,evacuations,evacuations_stranded,recoveries_throttled,initial_unplaced";
    assert_eq!(header(&one.join("capacity_summary.csv")), summary);
    assert_eq!(
        header(&one.join("host_failures.csv")),
        "replication,time_s,scope,pool,index,hosts_down,servers_hit"
    );
    assert!(!one.join("capacity_summary_ci.csv").exists());
    // One row per pool and sample: 3 pools, 8 days of hourly samples.
    let text = std::fs::read_to_string(one.join("capacity.csv")).unwrap();
    assert_eq!(text.lines().count(), 1 + 3 * (8 * 24 + 1));
    let first: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(&first[..4], ["0", "general", "ecs", "72"]);
    assert_eq!(first[7], "6912", "72 hosts x 96 vCPU");
    assert_eq!(first[10], "", "an ECS pool has no node columns");

    let two = tmp.path().join("two");
    crunch(&two, &["--replications", "2"]);
    assert!(header(&two.join("capacity.csv")).starts_with(&format!("{series},hosts_up_q025,")));
    assert_eq!(
        header(&two.join("capacity_summary_ci.csv")),
        "pool,kind,metric,n,mean,sd,ci95_low,ci95_high"
    );
    assert_eq!(
        header(&two.join("capacity_flavors_ci.csv")),
        "flavor,pool,kind,metric,n,mean,sd,ci95_low,ci95_high"
    );
    let manifest = std::fs::read_to_string(two.join("manifest.json")).unwrap();
    for f in [
        "capacity.csv",
        "capacity_summary_ci.csv",
        "capacity_flavors.csv",
        "capacity_flavors_ci.csv",
        "host_failures.csv",
    ] {
        assert!(manifest.contains(f), "{f} not in the manifest");
    }
    flavors_add_up_to_their_pools(&two);
}

/// Each pool's creates and creates blocked, replication by replication,
/// are its flavors' added up; and some flavor was blocked, so the sums
/// compare something.
fn flavors_add_up_to_their_pools(dir: &Path) {
    let rows = |name: &str| -> Vec<std::collections::BTreeMap<String, String>> {
        let mut r = csv::Reader::from_path(dir.join(name)).unwrap();
        let head = r.headers().unwrap().clone();
        r.records()
            .map(|rec| {
                head.iter()
                    .zip(rec.unwrap().iter())
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .collect()
    };
    assert_eq!(
        header(&dir.join("capacity_flavors.csv")),
        "replication,flavor,pool,kind,creates,creates_blocked,blocked_share"
    );
    let (pools, flavors) = (rows("capacity_summary.csv"), rows("capacity_flavors.csv"));
    let int =
        |r: &std::collections::BTreeMap<String, String>, c: &str| -> u64 { r[c].parse().unwrap() };
    for p in &pools {
        let of_pool: Vec<_> = flavors
            .iter()
            .filter(|f| f["replication"] == p["replication"] && f["pool"] == p["pool"])
            .collect();
        assert!(!of_pool.is_empty(), "no flavor of {:?}", p["pool"]);
        for c in ["creates", "creates_blocked"] {
            let sum: u64 = of_pool.iter().map(|f| int(f, c)).sum();
            assert_eq!(
                sum,
                int(p, c),
                "{c} of {:?}, replication {}",
                p["pool"],
                p["replication"]
            );
        }
    }
    assert!(flavors.iter().any(|f| int(f, "creates_blocked") > 0));
}

#[test]
fn capacity_results_are_the_same_bytes_whatever_the_number_of_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("j1"), tmp.path().join("j2"));
    crunch(&a, &["--replications", "3", "--jobs", "1"]);
    crunch(&b, &["--replications", "3", "--jobs", "2"]);
    for f in [
        "capacity.csv",
        "capacity_summary.csv",
        "capacity_summary_ci.csv",
        "host_failures.csv",
        "operations.csv",
    ] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs between --jobs 1 and --jobs 2");
    }
}

#[test]
fn capacity_that_cannot_work_is_refused_naming_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.toml");
    std::fs::write(
        &file,
        r#"name = "bad"
horizon = "2d"
[ecs]
initial = 5
[bms]
initial = 1
[capacity.pools.small]
hosts = 4
vcpus = 8
memory = "32GiB"
[capacity.flavors.huge]
vcpus = 64
memory = "8GiB"
[capacity.bms_pools.metal]
nodes = -3
"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let a = cargo_bin_cmd!("fleetsim")
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("capacity.bms_pools.metal.nodes"), "{err}");
    assert!(err.contains("-3"), "{err}");
    assert!(err.contains("capacity.flavors.huge.vcpus"), "{err}");
    assert!(!out.exists(), "nothing is created for a refused scenario");
}

#[test]
fn the_blocking_share_falls_as_hosts_are_added() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("plan");
    cargo_bin_cmd!("fleetsim")
        .args([
            "run",
            "scenarios/capacity-plan.toml",
            "--quiet",
            "--replications",
            "1",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let mut csv = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
    let headers = csv.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (hosts, blocked) = (
        col("capacity.pools.general.hosts"),
        col("general_blocked_share_mean"),
    );
    let curve: Vec<(u32, f64)> = csv
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[hosts].parse().unwrap(), r[blocked].parse().unwrap())
        })
        .collect();
    assert_eq!(curve.len(), 6);
    for w in curve.windows(2) {
        assert!(w[0].0 < w[1].0);
        assert!(
            w[1].1 <= w[0].1,
            "blocking rose from {:?} to {:?}",
            w[0],
            w[1]
        );
    }
    assert!(curve[0].1 > 0.05, "70 hosts are too few: {curve:?}");
    assert!(curve[5].1 < 0.005, "120 hosts are plenty: {curve:?}");
}

#[test]
fn validate_and_states_describe_capacity() {
    let a = cargo_bin_cmd!("fleetsim")
        .args(["validate", "scenarios/capacity-crunch.toml"])
        .assert()
        .success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    for needle in [
        "[capacity] placement spread, up to 3 build attempts",
        "ECS pool general: 72 hosts × 96 vCPU",
        "BMS pool physical.s4.large: 16 nodes",
        "failure domains \"rack\": 6 per pool",
    ] {
        assert!(out.contains(needle), "{needle:?} not in:\n{out}");
    }
    let a = cargo_bin_cmd!("fleetsim").arg("states").assert().success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert!(
        out.contains(
            "claims a second host for the new flavor, held until confirm or revert: resize"
        ),
        "{out}"
    );
    assert!(
        out.contains("claims nothing: confirm_resize, revert_resize, delete"),
        "{out}"
    );
}
