//! The command line: each subcommand, the output contract (files and columns,
//! parsed back into typed rows), the result-folder rules, and refusal of bad
//! input before anything runs.

use crate::common::{fleetsim, stderr_of, stdout_of};
use serde::Deserialize;
use std::path::Path;
use std::process::{Command, Stdio};

#[test]
fn states_prints_the_tables_the_simulator_uses() {
    let a = fleetsim().arg("states").assert().success();
    let out = stdout_of(&a);
    for needle in [
        "ECS status map",
        "VERIFY_RESIZE",
        "powering-off",
        "resize_prep -> resize_migrating -> resize_migrated -> resize_finish",
        "BMS lifecycle states",
        "reinstalling_os_failed",
        "status of the state it came from",
    ] {
        assert!(
            out.contains(needle),
            "`fleetsim states` lacks {needle:?}:\n{out}"
        );
    }
}

#[test]
fn validate_summarises_a_good_scenario() {
    let a = fleetsim()
        .args(["validate", "scenarios/baseline.toml"])
        .assert()
        .success();
    let out = stdout_of(&a);
    assert!(out.contains("valid scenario \"baseline\""), "{out}");
    assert!(out.contains("initial fleet 2000"), "{out}");
    assert!(out.contains("initial fleet 300"), "{out}");
}

#[derive(Debug, Deserialize)]
struct SummaryRow {
    kind: String,
    dimension: String,
    state: String,
    mean_count: f64,
    /// Empty for a kind that had no servers.
    share: Option<f64>,
    max_count: u64,
    entries: u64,
    mean_sojourn_s: Option<f64>,
    p50_sojourn_s: Option<f64>,
    p95_sojourn_s: Option<f64>,
    p99_sojourn_s: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct OperationRow {
    kind: String,
    operation: String,
    requested: u64,
    refused_conflict: u64,
    refused_locked: u64,
    started: u64,
    succeeded: u64,
    failed: u64,
    timed_out: u64,
    mean_duration_s: Option<f64>,
    p95_duration_s: Option<f64>,
    preempted: u64,
}

fn rows<T: for<'de> Deserialize<'de>>(p: &Path) -> Vec<T> {
    csv::Reader::from_path(p)
        .unwrap()
        .deserialize()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn header(p: &Path) -> String {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn run_writes_every_file_with_the_documented_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("quick");
    let a = fleetsim()
        .args(["run", "scenarios/quick.toml", "--trace", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let report = stdout_of(&a);
    assert!(
        report.contains("events:") && report.contains("wrote"),
        "{report}"
    );

    assert_eq!(
        header(&out.join("occupancy_status.csv")),
        "time_s,kind,population,BUILD,REBOOT,HARD_REBOOT,REBUILD,MIGRATING,RESIZE,ACTIVE,SHUTOFF,REVERT_RESIZE,VERIFY_RESIZE,ERROR,DELETED"
    );
    assert_eq!(
        header(&out.join("occupancy_bms.csv")),
        "time_s,population,creating,starting,running,stopping,stopped,restarting,forcibly_restarting,deleting,deleted,faulty,rebuilding,reinstalling_os,reinstalling_os_failed,frozen"
    );
    let ecs_header = header(&out.join("occupancy_ecs.csv"));
    assert!(ecs_header.starts_with("time_s,population,building:scheduling,"));
    assert!(ecs_header.contains(",active:powering-off,") && ecs_header.ends_with(",deleted:null"));
    assert_eq!(ecs_header.split(',').count(), 2 + 40);
    assert_eq!(
        header(&out.join("transitions.csv")),
        "time_s,instance,kind,cause,from_status,to_status,vm_state,task_state,bms_state,locked"
    );

    // The time series: hourly for 7 days, one row per kind, plus t = 0.
    let status = std::fs::read_to_string(out.join("occupancy_status.csv")).unwrap();
    assert_eq!(status.lines().count(), 1 + 2 * (7 * 24 + 1));

    let summary: Vec<SummaryRow> = rows(&out.join("summary.csv"));
    let ecs_status: Vec<&SummaryRow> = summary
        .iter()
        .filter(|r| r.kind == "ecs" && r.dimension == "status")
        .collect();
    assert_eq!(ecs_status.len(), 12);
    let share_sum: f64 = ecs_status.iter().map(|r| r.share.unwrap()).sum();
    assert!(
        (share_sum - 1.0).abs() < 1e-4,
        "ECS status shares sum to {share_sum}"
    );
    assert_eq!(
        summary
            .iter()
            .filter(|r| r.dimension == "ecs_state")
            .count(),
        40
    );
    assert_eq!(
        summary
            .iter()
            .filter(|r| r.dimension == "bms_state")
            .count(),
        14
    );
    let active = summary
        .iter()
        .find(|r| r.kind == "ecs" && r.state == "ACTIVE")
        .unwrap();
    assert!(
        active.mean_count > 50.0 && active.max_count >= active.mean_count as u64,
        "{active:?}"
    );
    assert!(active.entries > 0);
    let (p50, p95, p99) = (
        active.p50_sojourn_s.unwrap(),
        active.p95_sojourn_s.unwrap(),
        active.p99_sojourn_s.unwrap(),
    );
    assert!(p50 <= p95 && p95 <= p99 && active.mean_sojourn_s.unwrap() > 0.0);

    let ops: Vec<OperationRow> = rows(&out.join("operations.csv"));
    let reboot = ops
        .iter()
        .find(|r| r.kind == "ecs" && r.operation == "reboot")
        .unwrap();
    assert!(reboot.requested > 0);
    assert_eq!(
        reboot.requested,
        reboot.refused_conflict + reboot.refused_locked + reboot.started
    );
    assert!(
        reboot.succeeded > 0
            && reboot.mean_duration_s.unwrap() > 0.0
            && reboot.p95_duration_s.is_some()
    );
    for r in &ops {
        assert!(
            r.requested >= r.refused_conflict + r.refused_locked,
            "{r:?}"
        );
        assert!(
            r.failed + r.timed_out + r.preempted <= r.started + 50,
            "{r:?}"
        );
    }

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 7);
    assert_eq!(manifest["scenario"]["name"], "quick");
    assert!(manifest["events_processed"].as_u64().unwrap() > 1000);
    assert_eq!(manifest["files"].as_array().unwrap().len(), 9);
    let avail = std::fs::read_to_string(out.join("availability.csv")).unwrap();
    assert!(
        avail.starts_with(
            "replication,kind,wanted_mean_count,available_mean_count,availability\n0,ecs,"
        ),
        "{avail}"
    );
    // Nothing is left under a partial name.
    assert!(std::fs::read_dir(&out).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".partial")
    }));
}

#[test]
fn an_existing_result_folder_is_kept_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let run = |extra: &[&str]| {
        let mut c = fleetsim();
        c.args([
            "run",
            "scenarios/quick.toml",
            "--quiet",
            "--horizon",
            "2d",
            "--out",
        ])
        .arg(&out)
        .args(extra);
        c.assert()
    };
    run(&["--trace"]).success();
    let before = std::fs::read(out.join("summary.csv")).unwrap();
    let a = run(&[]).failure();
    assert!(stderr_of(&a).contains("--force"), "{}", stderr_of(&a));
    assert_eq!(
        std::fs::read(out.join("summary.csv")).unwrap(),
        before,
        "a refused run touched the folder"
    );
    run(&["--force", "--seed", "99"]).success();
    assert_ne!(std::fs::read(out.join("summary.csv")).unwrap(), before);
    // The old trace is gone rather than left beside a run that did not trace.
    assert!(!out.join("transitions.csv").exists());
}

#[test]
fn overrides_change_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    fleetsim()
        .args([
            "run",
            "scenarios/quick.toml",
            "--quiet",
            "--horizon",
            "2d",
            "--seed",
            "5",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["seed"], 5);
    assert_eq!(m["horizon_s"], 172800.0);
    // A bad override is refused like a bad file.
    let a = fleetsim()
        .args(["run", "scenarios/quick.toml", "--horizon=-1d", "--out"])
        .arg(tmp.path().join("never"))
        .assert()
        .code(2);
    assert!(stderr_of(&a).contains("horizon"));
    assert!(!tmp.path().join("never").exists());
    // --warmup replaces the file's, so a horizon shorter than the file's
    // warmup can run (quick's is 1d)...
    let short = tmp.path().join("short");
    fleetsim()
        .args(["run", "scenarios/quick.toml", "--quiet", "--horizon", "12h"])
        .args(["--warmup", "1h", "--out"])
        .arg(&short)
        .assert()
        .success();
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(short.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["warmup_s"], 3600.0);
    assert_eq!(m["horizon_s"], 43200.0);
    // ...and is checked like the file: not as long as the horizon.
    let a = fleetsim()
        .args(["run", "scenarios/quick.toml", "--horizon", "12h"])
        .args(["--warmup", "12h", "--out"])
        .arg(tmp.path().join("never"))
        .assert()
        .code(2);
    assert!(stderr_of(&a).contains("warmup"), "{}", stderr_of(&a));
    assert!(!tmp.path().join("never").exists());
    // A value that is not a duration is refused as the command line is read.
    let a = fleetsim()
        .args(["run", "scenarios/quick.toml", "--warmup", "soon"])
        .assert()
        .code(2);
    assert!(stderr_of(&a).contains("--warmup"), "{}", stderr_of(&a));
}

/// A kind with no servers at all (an empty `[ecs]`) beside one with some:
/// its shares of instance-time are empty, not 0 (there is no time to share
/// out, and zeros would not add up to 1), in every file and the report;
/// its counts are measured zeros; the other kind is unaffected.
#[test]
fn an_empty_kind_has_no_shares_beside_a_kind_that_has() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "name = \"empty-ecs\"\nseed = 3\nhorizon = \"2d\"\nwarmup = \"0s\"\nreplications = 2\n\
         [ecs]\ninitial = 0\n\
         [bms]\ninitial = 10\narrivals = \"2/d\"\nlifetime = { dist = \"exponential\", mean = \"5d\" }\n";
    // `fleetsim run` of `text`, into `name/`: its report.
    let run = |name: &str, text: &str| -> String {
        let scenario = tmp.path().join(format!("{name}.toml"));
        std::fs::write(&scenario, text).unwrap();
        let a = fleetsim()
            .args(["run", "--quiet", "--out"])
            .arg(tmp.path().join(name))
            .arg(&scenario)
            .assert()
            .success();
        stdout_of(&a)
    };
    let report = run("one", text);
    assert!(
        report.contains(
            "\n  ecs: no servers from warmup to horizon (no shares of instance-time, no availability)\n"
        ),
        "{report}"
    );
    assert!(!report.contains(" -"), "{report}");
    assert!(report.contains("\n  bms: mean population"), "{report}");
    let dir = tmp.path().join("one");
    let summary: Vec<SummaryRow> = rows(&dir.join("summary.csv"));
    let (ecs, bms): (Vec<&SummaryRow>, Vec<&SummaryRow>) =
        summary.iter().partition(|r| r.kind == "ecs");
    assert!(!ecs.is_empty() && !bms.is_empty());
    for r in &ecs {
        assert_eq!(r.share, None, "{r:?}");
        assert_eq!((r.mean_count, r.max_count, r.entries), (0.0, 0, 0), "{r:?}");
    }
    for replication in bms.chunks(bms.len() / 2) {
        let sum: f64 = replication
            .iter()
            .filter(|r| r.dimension == "status")
            .map(|r| r.share.unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-4, "BMS status shares sum to {sum}");
    }
    // Across replications: no replication defines an ECS share.
    let mut ci = csv::Reader::from_path(dir.join("summary_ci.csv")).unwrap();
    let mut ecs_shares = 0;
    for rec in ci.records() {
        let rec = rec.unwrap();
        if &rec[3] == "share" {
            let defined = (&rec[4], rec[5].is_empty());
            if &rec[0] == "ecs" {
                ecs_shares += 1;
                assert_eq!(defined, ("0", true), "{rec:?}");
            } else {
                assert_eq!(defined, ("2", false), "{rec:?}");
            }
        }
    }
    assert_eq!(ecs_shares, ecs.len() / 2);
    let availability = std::fs::read_to_string(dir.join("availability.csv")).unwrap();
    assert!(availability.contains("\n0,ecs,0,0,\n"), "{availability}");

    // A sweep says the same per point.
    let report = run(
        "sweep",
        &format!("{text}[sweep]\n\"bms.initial\" = [10, 20]\n"),
    );
    assert!(
        report.contains("point 0: bms.initial = 10; ecs no servers; bms ERROR"),
        "{report}"
    );
    let mut sweep = csv::Reader::from_path(tmp.path().join("sweep/sweep.csv")).unwrap();
    let header = sweep.headers().unwrap().clone();
    let mut checked = 0;
    for rec in sweep.records() {
        let rec = rec.unwrap();
        for (name, value) in header.iter().zip(rec.iter()) {
            if name.starts_with("ecs_") && name.contains("_share_") {
                assert!(value.is_empty(), "{name} = {value:?}");
                checked += 1;
            }
            if name == "bms_ACTIVE_share_mean" {
                assert!(!value.is_empty());
            }
        }
    }
    assert!(checked > 0);
}

/// `fleetsim ARGS` with stdout and stderr as given, run to its end.
fn with_streams(args: &[&str], stdout: Stdio, stderr: Stdio) -> std::process::Output {
    let exe = assert_cmd::cargo::cargo_bin!("fleetsim");
    let child = Command::new(exe)
        .args(args)
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `/dev/full` opened for writing: every write to it fails with ENOSPC.
fn dev_full() -> Option<Stdio> {
    let full = std::fs::File::options().write(true).open("/dev/full");
    full.ok().map(Stdio::from)
}

/// A reader that stops early (`fleetsim states --json | head -c 10`) ends the
/// command quietly with exit 0, for help and a run too; a stdout that cannot
/// be written is an error (exit 1) named on stderr, after a run's files are
/// written; a stderr that cannot be written loses the message, not the exit
/// status. Never a panic (exit 101).
#[test]
fn a_closed_or_full_stdout_ends_without_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |dir: &Path| -> Vec<String> {
        let out = dir.to_str().unwrap();
        [
            "run",
            "scenarios/quick.toml",
            "--horizon",
            "1d",
            "--warmup",
            "0s",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([
            "--out".into(),
            out.into(),
            "--quiet".into(),
            "--force".into(),
        ])
        .collect()
    };
    let closed_run = run(&tmp.path().join("closed"));
    let full_run = run(&tmp.path().join("full"));
    let commands: [Vec<&str>; 3] = [
        vec!["states", "--json"],
        vec!["--help"],
        closed_run.iter().map(String::as_str).collect(),
    ];
    for args in &commands {
        for _ in 0..3 {
            let exe = assert_cmd::cargo::cargo_bin!("fleetsim");
            let mut child = Command::new(exe)
                .args(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            // Close the pipe before the child has written: its writes fail.
            drop(child.stdout.take());
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
            assert!(err.is_empty(), "{args:?}: {err}");
        }
    }
    assert!(tmp.path().join("closed/summary.csv").exists());
    if dev_full().is_none() {
        return;
    }
    let commands: [Vec<&str>; 3] = [
        vec!["states", "--json"],
        vec!["--help"],
        full_run.iter().map(String::as_str).collect(),
    ];
    for args in &commands {
        let out = with_streams(args, dev_full().unwrap(), Stdio::piped());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("error: cannot write to stdout"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // The run's files were all written before its report failed.
    for file in ["summary.csv", "availability.csv", "manifest.json"] {
        assert!(tmp.path().join("full").join(file).exists(), "{file}");
    }
    // Both streams full: exit 1, the message lost. A refusal whose message
    // cannot be written keeps its status (2), from the scenario reader or
    // from clap.
    let cases: [(&[&str], i32); 3] = [
        (&["states", "--json"], 1),
        (&["validate", "no-such-scenario.toml"], 2),
        (&["no-such-command"], 2),
    ];
    for (args, code) in cases {
        let out = with_streams(args, dev_full().unwrap(), dev_full().unwrap());
        assert_eq!(out.status.code(), Some(code), "{args:?}");
    }
}

/// Each bad scenario is refused with exit code 2, its problem named by field,
/// and no output folder created.
#[test]
fn bad_input_is_refused_before_anything_runs() {
    let base = "name = \"bad\"\nhorizon = \"2d\"\n[ecs]\ninitial = 5\n";
    let cases: &[(&str, &str, &str)] = &[
        (
            "unknown field",
            "name = \"bad\"\nhorizon = \"2d\"\ncolour = 3\n[ecs]\n",
            "colour",
        ),
        (
            "negative duration",
            "name = \"bad\"\nhorizon = \"-2d\"\n[ecs]\n",
            "horizon",
        ),
        (
            "malformed duration",
            "name = \"bad\"\nhorizon = \"two days\"\n[ecs]\n",
            "horizon",
        ),
        (
            "probability above 1",
            &format!("{base}[ecs.failures]\nresize = {{ prob = 1.5 }}\n"),
            "ecs.failures.resize.prob",
        ),
        (
            "probability below 0",
            &format!("{base}[ecs.failures]\nresize = {{ prob = -0.1 }}\n"),
            "ecs.failures.resize.prob",
        ),
        (
            "invalid distribution",
            &format!(
                "{base}[ecs.faults]\nrepair = {{ dist = \"lognormal\", mean = \"4h\", cv = -1 }}\n"
            ),
            "ecs.faults.repair",
        ),
        (
            "unknown distribution",
            &format!("{base}[ecs.faults]\nrepair = {{ dist = \"zipfian\", mean = \"4h\" }}\n"),
            "ecs.faults.repair",
        ),
        (
            "mix summing to zero",
            &format!("{base}ops_rate = \"3/d\"\nops_mix = {{ reboot = 0, stop = 0 }}\n"),
            "ecs.ops_mix",
        ),
        (
            "unknown operation",
            &format!("{base}ops_rate = \"3/d\"\nops_mix = {{ teleport = 1 }}\n"),
            "teleport",
        ),
        (
            "unknown state",
            &format!("{base}[ecs.steps]\nhovering = \"5s\"\n"),
            "hovering",
        ),
        ("syntax error", "name = \"bad\nhorizon = [", ""),
        ("no kind", "name = \"bad\"\nhorizon = \"2d\"\n", ""),
    ];
    let tmp = tempfile::tempdir().unwrap();
    for (what, text, field) in cases {
        let file = tmp.path().join("bad.toml");
        std::fs::write(&file, text).unwrap();
        let out = tmp.path().join("out");
        let a = fleetsim()
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2);
        let err = stderr_of(&a);
        assert!(err.contains("bad.toml"), "{what}: no file name in {err}");
        assert!(err.contains(field), "{what}: {field:?} not named in {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(!out.exists(), "{what}: an output folder was created");
        fleetsim().arg("validate").arg(&file).assert().code(2);
    }
    let a = fleetsim()
        .args(["run", "no/such/file.toml"])
        .assert()
        .code(2);
    assert!(stderr_of(&a).contains("cannot read"), "{}", stderr_of(&a));
}

#[derive(Debug, Deserialize)]
struct CiRow {
    kind: String,
    dimension: String,
    state: String,
    metric: String,
    n: u64,
    mean: Option<f64>,
    sd: Option<f64>,
    ci95_low: Option<f64>,
    ci95_high: Option<f64>,
}

#[test]
fn replications_write_per_replication_rows_and_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    fleetsim()
        .args([
            "run",
            "scenarios/quick.toml",
            "--quiet",
            "--replications",
            "4",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    // summary.csv: one block of rows per replication, with its number first.
    let text = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(text.starts_with("replication,kind,dimension,state,mean_count,"));
    let reps: std::collections::BTreeSet<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(reps.into_iter().collect::<Vec<_>>(), ["0", "1", "2", "3"]);
    // summary_ci.csv: the interval is around the mean of the four values.
    let ci: Vec<CiRow> = rows(&out.join("summary_ci.csv"));
    let share = ci
        .iter()
        .find(|r| {
            r.kind == "ecs" && r.dimension == "status" && r.state == "ACTIVE" && r.metric == "share"
        })
        .unwrap();
    assert_eq!(share.n, 4);
    let (mean, lo, hi) = (
        share.mean.unwrap(),
        share.ci95_low.unwrap(),
        share.ci95_high.unwrap(),
    );
    assert!(
        lo < mean && mean < hi && share.sd.unwrap() > 0.0,
        "{share:?}"
    );
    // Half-width = t(0.975, 3)·sd/√4.
    assert!(
        ((hi - mean) - 3.182 * share.sd.unwrap() / 2.0).abs() < 1e-5,
        "{share:?}"
    );
    let ops = std::fs::read_to_string(out.join("operations_ci.csv")).unwrap();
    assert!(ops.starts_with("kind,operation,metric,n,mean,sd,ci95_low,ci95_high"));
    // The time series hold the mean and the 2.5% / 97.5% quantiles.
    let status = header(&out.join("occupancy_status.csv"));
    assert!(
        status.contains(",ERROR,DELETED,population_q025,population_q975,BUILD_q025,"),
        "{status}"
    );
    assert!(status.ends_with(",DELETED_q025,DELETED_q975"));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["replications"], 4);
    // --trace needs a folder per replication.
    let a = fleetsim()
        .args([
            "run",
            "scenarios/quick.toml",
            "--replications",
            "2",
            "--trace",
            "--out",
        ])
        .arg(tmp.path().join("t"))
        .assert()
        .code(2);
    assert!(stderr_of(&a).contains("--per-replication"));
}

/// A sweep over a parameter nothing uses gives identical rows: every point's
/// replication r draws from the same streams (common random numbers).
#[test]
fn a_sweep_over_an_unused_parameter_gives_identical_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("unused.toml");
    std::fs::write(
        &file,
        r#"
name = "unused"
seed = 3
replications = 2
horizon = "3d"
[ecs]
initial = 100
arrivals = "20/d"
lifetime = { dist = "exponential", mean = "5d" }
ops_rate = "4/d"
ops_mix = { reboot = 3, stop = 1, start = 2 }
[ecs.faults]
time_to_fault = { dist = "exponential", mean = "200h" }
[ecs.resize]
confirm_prob = 0.9
[sweep]
"ecs.resize.confirm_prob" = [0.1, 0.5, 0.9]
"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let a = fleetsim()
        .arg("run")
        .arg(&file)
        .args(["--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(
        stdout_of(&a).contains("sweep of 3 points"),
        "{}",
        stdout_of(&a)
    );
    let text = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("point,ecs.resize.confirm_prob,replications,ecs_BUILD_mean_count_mean,")
    );
    assert!(
        header
            .contains(",ecs_ERROR_share_mean,ecs_ERROR_share_ci95_low,ecs_ERROR_share_ci95_high,")
    );
    assert!(
        header.ends_with(
            ",ecs_availability_mean,ecs_availability_ci95_low,ecs_availability_ci95_high"
        )
    );
    // Everything after the point number and the swept value is the same.
    let rest: Vec<String> = lines
        .map(|l| l.splitn(3, ',').nth(2).unwrap().to_string())
        .collect();
    assert_eq!(rest.len(), 3);
    assert_eq!(rest[0], rest[1]);
    assert_eq!(rest[1], rest[2]);
    // Each point's folder is a complete result of its own.
    for p in 0..3 {
        assert!(out.join(format!("point-{p}/summary_ci.csv")).exists());
        assert!(out.join(format!("point-{p}/manifest.json")).exists());
    }
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["sweep"]["params"][0], "ecs.resize.confirm_prob");
    assert_eq!(m["sweep"]["points"][2]["folder"], "point-2");
}

#[test]
fn a_bad_sweep_is_refused_naming_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let base = "name = \"bad\"\nhorizon = \"2d\"\n[ecs]\ninitial = 5\n[ecs.faults]\ntime_to_fault = \"100h\"\n[sweep]\n";
    for (sweep, path) in [
        (
            "\"ecs.faults.time_to_fualt\" = [\"1h\"]\n",
            "ecs.faults.time_to_fualt",
        ),
        (
            "\"ecs.faults.time_to_fault\" = [\"1h\", 12]\n",
            "ecs.faults.time_to_fault",
        ),
        ("\"bms.initial\" = [1, 2]\n", "bms.initial"),
    ] {
        let file = tmp.path().join("bad.toml");
        std::fs::write(&file, format!("{base}{sweep}")).unwrap();
        let out = tmp.path().join("out");
        let a = fleetsim()
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2);
        let err = stderr_of(&a);
        assert!(err.contains(&format!("sweep.\"{path}\"")), "{sweep}: {err}");
        assert!(!out.exists());
    }
}

/// The what-if study of docs/guide.md: on a fresh clone, the ERROR share rises
/// as the time to fault falls, and the points are told apart by their
/// confidence intervals (shortened here to keep the suite fast).
#[test]
fn whatif_mtbf_error_share_rises_as_time_to_fault_falls() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("w");
    fleetsim()
        .args([
            "run",
            "scenarios/whatif-mtbf.toml",
            "--quiet",
            "--horizon",
            "10d",
            "--replications",
            "4",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let mut r = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (m, lo, hi) = (
        col("ecs_ERROR_share_mean"),
        col("ecs_ERROR_share_ci95_low"),
        col("ecs_ERROR_share_ci95_high"),
    );
    let rows: Vec<(String, f64, f64, f64)> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            let f = |i: usize| rec[i].parse::<f64>().unwrap();
            (rec[1].to_string(), f(m), f(lo), f(hi))
        })
        .collect();
    assert_eq!(
        rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["4000h", "2000h", "1000h", "500h"]
    );
    for w in rows.windows(2) {
        assert!(w[1].1 > w[0].1, "ERROR share does not rise: {rows:?}");
    }
    // Halving the time to fault from 1000 h to 500 h is a real difference.
    assert!(rows[3].2 > rows[2].3, "intervals overlap: {rows:?}");
}

/// A sweep keeps each point's files open only while the point runs: 120
/// points (each with its own occupancy and trace files) run under a limit
/// of 48 open files.
#[test]
fn a_long_sweep_runs_under_a_small_open_file_limit() {
    let dir = tempfile::tempdir().unwrap();
    let rates: Vec<String> = (1..=120).map(|i| format!("\"{i}/d\"")).collect();
    let scenario = dir.path().join("many.toml");
    std::fs::write(
        &scenario,
        format!(
            "name = \"many\"\nhorizon = \"2h\"\nsample_interval = \"1h\"\n[sweep]\n\"ecs.arrivals\" = [{}]\n[ecs]\ninitial = 5\n",
            rates.join(", ")
        ),
    )
    .unwrap();
    let bin = assert_cmd::cargo::cargo_bin!("fleetsim");
    let out = dir.path().join("out");
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -n 48 && exec {} run {} --trace --quiet --jobs 2 --out {}",
            bin.display(),
            scenario.display(),
            out.display()
        ))
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(out.join("sweep.csv").exists());
    assert!(out.join("point-119").join("manifest.json").exists());
}

/// Command-line values are checked with the file: a bad `--seed`,
/// `--horizon` or `--replications` is listed beside the file's own
/// problems, named by its option; a bad swept path beside the base's; and
/// a swept path with problems at 10,000 points lists three and counts the
/// rest.
#[test]
fn every_problem_is_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"x\"\nhorizon = \"2d\"\n[sweep]\n\"ecs.nope\" = [1, 2]\n[ecs]\ninitial = -5\n",
    )
    .unwrap();
    let a = fleetsim()
        .args([
            "run",
            bad.to_str().unwrap(),
            "--seed",
            "abc",
            "--horizon",
            "5x",
        ])
        .args(["--replications", "0", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(2);
    let err = stderr_of(&a);
    for expected in [
        "--seed: expected a whole number",
        "--horizon: \"5x\" has an unknown unit",
        "--replications: 0 is out of range",
        "ecs.initial: -5 is out of range",
        "sweep.\"ecs.nope\"",
    ] {
        assert!(err.contains(expected), "{expected} missing from {err}");
    }
    assert!(!dir.path().join("out").exists());
    let many = dir.path().join("many.toml");
    let values: Vec<String> = (1..=10_000).map(|i| format!("-{i}")).collect();
    std::fs::write(
        &many,
        format!(
            "name = \"x\"\nhorizon = \"2d\"\n[sweep]\n\"ecs.initial\" = [{}]\n[ecs]\ninitial = 5\n",
            values.join(", ")
        ),
    )
    .unwrap();
    let a = fleetsim()
        .args(["validate", many.to_str().unwrap()])
        .assert()
        .code(2);
    let err = stderr_of(&a);
    assert!(err.lines().count() <= 6, "{err}");
    assert!(
        err.contains("and 9997 more points with a problem here"),
        "{err}"
    );
}

/// Studies whose memory or output would run away are refused before
/// anything runs, with the estimate (the cases a fuzzing probe found).
#[test]
fn runaway_studies_are_refused_with_their_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let samples = write(
        "samples.toml",
        "name = \"s\"\nhorizon = \"1y\"\nsample_interval = \"10s\"\nreplications = 32\n[ecs]\ninitial = 1\n",
    );
    let arrivals = write(
        "arrivals.toml",
        "name = \"a\"\nhorizon = \"100y\"\n[ecs]\narrivals = \"50000000/d\"\n",
    );
    let busy = write(
        "busy.toml",
        "name = \"b\"\nhorizon = \"10y\"\nsample_interval = \"1d\"\n[ecs]\ninitial = 100000\nops_rate = \"10/d\"\nops_mix = { reboot = 1 }\n",
    );
    // Two racks failing and repaired every 2 ms for a year: 3e10 failures
    // logged (the fuzzer's case, which ran past its time limit).
    let flapping = write(
        "flapping.toml",
        "name = \"f\"\nhorizon = \"1y\"\nsample_interval = \"1d\"\n[ecs]\ninitial = 1\n[capacity.pools.p]\nhosts = 2\nvcpus = 8\nmemory = \"32GiB\"\n[capacity.flavors.f]\nvcpus = 1\nmemory = \"1GiB\"\n[capacity.domains.rack]\ncount = 2\ntime_to_failure = \"1ms\"\nrepair = \"1ms\"\n",
    );
    let out = dir.path().join("out");
    for (args, expected) in [
        (vec!["run", flapping.as_str()], "host_failures.csv"),
        (vec!["run", samples.as_str()], "over --max-memory 16.0 GiB"),
        (vec!["run", arrivals.as_str()], "over --max-memory 16.0 GiB"),
        (
            vec![
                "fixtures",
                "scenarios/quick.toml",
                "--mode",
                "poll",
                "--poll-interval",
                "1ms",
            ],
            "over --max-output 64.0 GiB",
        ),
        (
            vec!["run", "scenarios/quick.toml", "--max-memory", "1KiB"],
            "over --max-memory 1.0 KiB",
        ),
        // The trace of ten years of 100,000 busy servers, alone over 64 GiB.
        (
            vec!["run", busy.as_str(), "--trace"],
            "over --max-output 64.0 GiB",
        ),
    ] {
        let a = fleetsim()
            .args(&args)
            .arg("--out")
            .arg(&out)
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(2);
        let err = stderr_of(&a);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(err.contains("nothing was run"), "{err}");
        assert!(!out.exists(), "{args:?} created its folder");
    }
    // validate prints the estimate.
    let a = fleetsim()
        .args(["validate", "scenarios/quick.toml"])
        .assert()
        .success();
    assert!(stdout_of(&a).contains("budget: estimated memory"));
    // ... with what --trace would add, which alone puts `busy` over.
    let a = fleetsim().args(["validate", &busy]).assert().success();
    let out_text = stdout_of(&a);
    assert!(out_text.contains("with --trace: "), "{out_text}");
    assert!(out_text.contains("GiB more output"), "{out_text}");
    // A failure-domain level with more domains than any pool has hosts.
    let domains = write(
        "domains.toml",
        "name = \"d\"\nhorizon = \"1d\"\n[ecs]\ninitial = 1\n[capacity.pools.p]\nhosts = 1\nvcpus = 8\nmemory = \"32GiB\"\n[capacity.flavors.f]\nvcpus = 1\nmemory = \"1GiB\"\n[capacity.domains.rack]\ncount = 1000000\ntime_to_failure = \"1y\"\nrepair = \"1h\"\n",
    );
    let a = fleetsim().args(["validate", &domains]).assert().code(2);
    let err = stderr_of(&a);
    assert!(err.contains("capacity.domains.rack.count"), "{err}");
    assert!(err.contains("give at most 1"), "{err}");
}
