//! SIGINT and SIGTERM: a study stops, writes nothing, and a `--force`d
//! rerun that is interrupted leaves the earlier results as they were.

use crate::common::fleetsim;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `fleetsim args`, lets it run `after`, sends `signal`, and returns
/// its exit code and stderr.
fn interrupted(args: &[&str], after: Duration, signal: &str) -> (Option<i32>, String) {
    let bin = assert_cmd::cargo::cargo_bin!("fleetsim");
    let child = Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill {signal} failed");
    let started = Instant::now();
    let mut child = child;
    // Kill a child that does not stop: a regression must fail this test,
    // not leave a process writing on (a poll-mode one filled a disk).
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("did not stop within 20 s of kill {signal}; killed it");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file under `dir`, with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((name, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A finished run of quick into `out` (the results a `--force`d rerun
/// would replace): its files.
fn earlier_results(out: &Path) -> Vec<(String, Vec<u8>)> {
    fleetsim()
        .args(["run", "scenarios/quick.toml", "--horizon", "2d", "--out"])
        .arg(out)
        .assert()
        .success();
    files(out)
}

#[test]
#[ignore = "about 3 s, most of it waiting for the run to be under way; run by .ci/run"]
fn an_interrupted_run_writes_nothing_and_keeps_what_force_would_replace() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("results");
    let out_s = out.to_str().unwrap();
    // No earlier results: nothing at all is left, under any name.
    let (code, err) = interrupted(
        &["run", "scenarios/bench-100k.toml", "--out", out_s],
        Duration::from_millis(1500),
        "-INT",
    );
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("interrupted, nothing written"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    // Earlier results, then a forced rerun stopped by SIGTERM: the earlier
    // results are intact, byte for byte.
    let before = earlier_results(&out);
    assert!(before.iter().any(|(n, _)| n == "manifest.json"));
    let (code, err) = interrupted(
        &[
            "run",
            "scenarios/bench-100k.toml",
            "--force",
            "--out",
            out_s,
        ],
        Duration::from_millis(1500),
        "-TERM",
    );
    assert_eq!(code, Some(143), "{err}");
    assert_eq!(files(&out), before, "the earlier results changed");
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["results"], "a staging folder was left behind");
}

#[test]
fn a_forced_rerun_that_fails_keeps_the_earlier_results() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("results");
    let out_s = out.to_str().unwrap();
    let before = earlier_results(&out);
    // --trace with several replications and no --per-replication is
    // refused once the scenario is read: nothing of the earlier run goes.
    fleetsim()
        .args(["run", "scenarios/quick.toml", "--horizon", "2d", "--force"])
        .args(["--replications", "2", "--trace", "--out", out_s])
        .assert()
        .failure();
    assert_eq!(files(&out), before);
    // A complete forced rerun replaces them.
    fleetsim()
        .args([
            "run",
            "scenarios/quick.toml",
            "--horizon",
            "3d",
            "--force",
            "--out",
            out_s,
        ])
        .assert()
        .success();
    assert_ne!(files(&out), before);
}

#[test]
fn interrupted_poll_mode_fixtures_stop_between_polls() {
    // A 10 ms poll interval polls hundreds of times between two events:
    // the signal must be seen between polls, not at the next event check.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fixtures");
    let (code, err) = interrupted(
        &[
            "fixtures",
            "scenarios/quick.toml",
            "--mode",
            "poll",
            "--poll-interval",
            "10ms",
            "--horizon",
            "1d",
            "--max-output",
            "100TiB",
            "--out",
            out.to_str().unwrap(),
        ],
        Duration::from_millis(500),
        "-INT",
    );
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("interrupted, nothing written"), "{err}");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
