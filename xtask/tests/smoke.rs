//! `cargo xtask bench` in smoke mode, as CI runs it: the harness works end to
//! end and reports every measurement. Its timings judge nothing here.

use assert_cmd::cargo::cargo_bin_cmd;

/// The xtask binary, run from the repository's folder (as `cargo xtask`
/// is), whose scenarios it measures.
fn xtask() -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("xtask");
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    cmd
}

fn stdout_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

#[test]
fn smoke_mode_reports_every_measurement() {
    let work = tempfile::tempdir().unwrap();
    let out = stdout_of(
        &xtask()
            .args(["bench", "--smoke", "--work"])
            .arg(work.path().join("w"))
            .assert()
            .success(),
    );
    for want in [
        "(smoke mode)",
        "quick: 250 servers, 15092 events,",
        "  no trace: ",
        "peak RSS",
        "  bare BinaryHeap hold loop, ",
        "ratio fleetsim / heap",
        "  --trace: ",
        "replications: quick × 4, fastest of 5 rounds: --jobs 1 ",
        "(this machine: two independent hold loops at once do ",
        "start-up: fleetsim run scenarios/quick.toml in ",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    assert!(!out.contains("MISSES"), "smoke mode judges nothing:\n{out}");
    // The work folder is cleaned up.
    assert!(!work.path().join("w").exists());
}

#[test]
fn a_bad_scenario_fails_before_any_measurement() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\nhorizon = \"soon\"\n").unwrap();
    let a = xtask().arg("bench").arg(&bad).assert().code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("horizon"), "{err}");
    assert!(a.get_output().stdout.is_empty());
}

#[test]
fn a_work_folder_that_is_not_empty_is_refused() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("keep.txt"), "mine").unwrap();
    let a = xtask()
        .args(["bench", "--smoke", "--work"])
        .arg(work.path())
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("is not empty"), "{err}");
    assert_eq!(
        std::fs::read_to_string(work.path().join("keep.txt")).unwrap(),
        "mine"
    );
}
