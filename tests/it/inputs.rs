//! Files a scenario names, and the scenario itself, when they are not
//! regular files (a device, a FIFO, a directory) or are larger than their
//! limit: refused at once with exit 2, the file and what is valid named,
//! nothing read from them and nothing run.

use crate::common::{fleetsim, stderr_of};
use std::path::Path;
use std::time::Duration;

/// Runs `fleetsim validate` and `fleetsim run` on `scenario`, expecting exit
/// 2 with every one of `needles` on stderr, within seconds (a FIFO opened
/// for reading would wait for a writer, a device read whole would take
/// minutes), and no output folder.
fn refused(scenario: &Path, needles: &[&str]) {
    let out = scenario.with_extension("out");
    for args in [
        vec!["validate", scenario.to_str().unwrap()],
        vec![
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    ] {
        let a = fleetsim()
            .args(&args)
            .timeout(Duration::from_secs(60))
            .assert()
            .code(2);
        let err = stderr_of(&a);
        for needle in needles {
            assert!(err.contains(needle), "{args:?}: no {needle:?} in\n{err}");
        }
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(!out.exists());
}

/// A FIFO at `path`, made with mkfifo; `false` where there is none.
fn fifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

/// A sparse file of `len` bytes: large to the file system, nothing on disk.
fn sparse(path: &Path, len: u64) {
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
}

#[test]
fn a_scenario_that_is_not_a_regular_file_or_too_large_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a-folder");
    std::fs::create_dir(&dir).unwrap();
    refused(
        &dir,
        &[
            "a-folder",
            "is a directory, not a regular file; give the path of a scenario file (TOML)",
        ],
    );
    if Path::new("/dev/zero").exists() {
        refused(
            Path::new("/dev/zero"),
            &["/dev/zero", "is a character device, not a regular file"],
        );
    }
    let pipe = tmp.path().join("pipe.toml");
    if fifo(&pipe) {
        refused(
            &pipe,
            &["pipe.toml", "is a FIFO (named pipe), not a regular file"],
        );
    }
    let big = tmp.path().join("big.toml");
    sparse(&big, (16 << 20) + 1);
    refused(
        &big,
        &[
            "big.toml",
            "is 16.0 MiB (16777217 bytes), more than the limit of 16 MiB",
        ],
    );
    // At the limit, the file is read.
    let mut text = String::from("name = \"big\"\nhorizon = \"1d\"\n[ecs]\n# ");
    text.push_str(&"x".repeat((16 << 20) - text.len() - 1));
    text.push('\n');
    std::fs::write(&big, text).unwrap();
    fleetsim()
        .args(["validate", big.to_str().unwrap()])
        .assert()
        .success();
}

/// A scenario in `dir` whose ECS servers start from `fleet`.
fn with_fleet(dir: &Path, fleet: &str) -> std::path::PathBuf {
    let path = dir.join("fleet.toml");
    std::fs::write(
        &path,
        format!("name = \"f\"\nhorizon = \"1d\"\n[ecs]\ninitial_fleet = {fleet:?}\n"),
    )
    .unwrap();
    path
}

#[test]
fn an_initial_fleet_that_is_not_a_regular_file_or_too_large_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let valid = "give the path of a servers/detail response or of a servers.jsonl";
    if Path::new("/dev/zero").exists() {
        let sc = with_fleet(tmp.path(), "/dev/zero");
        refused(
            &sc,
            &[
                "ecs.initial_fleet: \"/dev/zero\" is a character device, not a regular file",
                valid,
            ],
        );
    }
    std::fs::create_dir(tmp.path().join("servers")).unwrap();
    let sc = with_fleet(tmp.path(), "servers");
    refused(
        &sc,
        &["\"servers\"", "is a directory, not a regular file", valid],
    );
    if fifo(&tmp.path().join("pipe.jsonl")) {
        let sc = with_fleet(tmp.path(), "pipe.jsonl");
        refused(&sc, &["\"pipe.jsonl\"", "is a FIFO (named pipe)", valid]);
    }
    sparse(&tmp.path().join("huge.json"), (2 << 30) + 1);
    let sc = with_fleet(tmp.path(), "huge.json");
    refused(
        &sc,
        &[
            "\"huge.json\"",
            "is 2.0 GiB (2147483649 bytes), more than the limit of 2 GiB",
        ],
    );
}

#[test]
fn a_schedule_or_trace_that_is_not_a_regular_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    if !fifo(&tmp.path().join("pipe.csv")) {
        return;
    }
    let sc = tmp.path().join("t.toml");
    std::fs::write(
        &sc,
        "name = \"t\"\nhorizon = \"1d\"\n\
         [ecs.arrivals]\ntrace = \"pipe.csv\"\nformat = \"csv\"\n\
         [bms.arrivals]\nschedule = \"pipe.csv\"\n",
    )
    .unwrap();
    refused(
        &sc,
        &[
            "ecs.arrivals: pipe.csv: is a FIFO (named pipe), not a regular file; give the trace's CSV file",
            "bms.arrivals.schedule: pipe.csv: is a FIFO (named pipe), not a regular file; give a CSV file of rate changes",
        ],
    );
}

/// A trace is streamed, so its size is not limited, but its lines are: one
/// row is held in memory until its line ends.
#[test]
fn a_trace_line_longer_than_its_limit_is_refused_and_ends_the_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::from("created_s,deleted_s,flavor\n0,10,x\n");
    text.push_str(&"9".repeat((1 << 20) + 1));
    text.push_str("\n5,x,x\n");
    std::fs::write(tmp.path().join("long.csv"), text).unwrap();
    let sc = tmp.path().join("t.toml");
    std::fs::write(
        &sc,
        "name = \"t\"\nhorizon = \"1d\"\n[ecs.arrivals]\ntrace = \"long.csv\"\nformat = \"csv\"\n",
    )
    .unwrap();
    refused(
        &sc,
        &["long.csv line 3: a line longer than 1 MiB", "1 problem"],
    );
}
