//! `initial_fleet` end to end: a run starting from a servers/detail
//! response and a servers.jsonl shows exactly those servers at t = 0, and a
//! bad file is refused before anything runs, naming the line and the field;
//! servers in states fleetsim does not model are refused, or skipped and
//! named (`unmodelled`).

use crate::common::{fleetsim, stderr_of, stdout_of};
use std::collections::HashMap;
use std::path::Path;

/// The row of `kind` (or the first row, for the per-kind files) at
/// `time_s` = 0 of a CSV, by column name.
fn at_zero(path: &Path, kind: Option<&str>) -> HashMap<String, String> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    for row in r.records() {
        let row: HashMap<String, String> = header
            .iter()
            .cloned()
            .zip(row.unwrap().iter().map(String::from))
            .collect();
        if row["time_s"] == "0" && kind.is_none_or(|k| row["kind"] == k) {
            return row;
        }
    }
    panic!("no row at t = 0 in {}", path.display());
}

const FLEET_JSON: &str = r#"{"servers": [
  {"id": "e1", "name": "web-1", "status": "ACTIVE", "OS-EXT-STS:vm_state": "active",
   "OS-EXT-STS:task_state": null, "OS-EXT-STS:power_state": 1, "locked": true,
   "OS-SRV-USG:launched_at": "2025-12-01T10:00:00.000000"},
  {"id": "e2", "status": "SHUTOFF", "OS-EXT-STS:vm_state": "stopped", "OS-EXT-STS:task_state": null},
  {"id": "e3", "status": "REBOOT", "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:task_state": "reboot_started"},
  {"id": "e4", "status": "VERIFY_RESIZE", "OS-EXT-STS:vm_state": "resized", "OS-EXT-STS:task_state": null},
  {"id": "e5", "status": "SHUTOFF", "OS-EXT-STS:vm_state": "stopped", "OS-EXT-STS:task_state": null},
  {"id": "e6", "status": "DELETED", "OS-EXT-STS:vm_state": "deleted", "OS-EXT-STS:task_state": null}
]}"#;

const SERVERS_JSONL: &str = r#"{"at": "2026-01-01T00:00:00.000Z", "kind": "bms", "server": {"id": "b1", "status": "BUILD", "OS-EXT-STS:vm_state": "building", "OS-EXT-STS:task_state": "spawning"}}
{"at": "2026-01-01T00:00:00.000Z", "kind": "ecs", "server": {"id": "x", "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:task_state": null}}
{"at": "2026-01-01T00:00:01.000Z", "kind": "bms", "server": {"id": "b2", "status": "ACTIVE", "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:task_state": null}}

{"at": "2026-01-01T00:30:00.000Z", "kind": "bms", "server": {"id": "b1", "status": "ACTIVE", "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:task_state": null}}
{"at": "2026-01-01T00:31:00.000Z", "kind": "bms", "server": {"id": "b3", "status": "SHUTOFF", "OS-EXT-STS:vm_state": "stopped", "OS-EXT-STS:task_state": "deleting"}}
{"at": "2026-01-01T00:32:00.000Z", "kind": "bms", "view": "show", "server": {"id": "b4", "status": "SHUTOFF", "OS-EXT-STS:vm_state": "stopped", "OS-EXT-STS:task_state": null}, "fleetsim": {"lifecycle_state": "frozen"}}
"#;

const SCENARIO: &str = "name = \"imported\"\nhorizon = \"2d\"\nsample_interval = \"1h\"\n\
    [ecs]\ninitial_fleet = \"fleet.json\"\nops_rate = \"2/d\"\nops_mix = { reboot = 1, stop = 1, start = 1 }\n\
    [bms]\ninitial_fleet = \"data/servers.jsonl\"\n";

#[test]
fn a_run_starts_from_the_imported_fleet() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("study");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("fleet.json"), FLEET_JSON).unwrap();
    std::fs::write(dir.join("data/servers.jsonl"), SERVERS_JSONL).unwrap();
    let file = dir.join("imported.toml");
    std::fs::write(&file, SCENARIO).unwrap();

    // The fleet files are found beside the scenario, whatever the current folder.
    let a = fleetsim().arg("validate").arg(&file).assert().success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert!(
        out.contains(
            "initial fleet 5 servers from fleet.json (REBOOT 1, ACTIVE 1, SHUTOFF 2, VERIFY_RESIZE 1)"
        ),
        "{out}"
    );
    assert!(
        out.contains("initial fleet 4 servers from data/servers.jsonl (ACTIVE 2, SHUTOFF 2)"),
        "{out}"
    );

    let res = tmp.path().join("out");
    let a = fleetsim()
        .arg("run")
        .arg(&file)
        .args(["--quiet", "--trace", "--out"])
        .arg(&res)
        .assert()
        .success();
    let report = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert!(
        report.contains("ecs initial fleet: 5 servers from fleet.json"),
        "{report}"
    );

    // t = 0: exactly the file's servers, in their states.
    let ecs = at_zero(&res.join("occupancy_status.csv"), Some("ecs"));
    let want = [
        ("population", "5"),
        ("ACTIVE", "1"),
        ("SHUTOFF", "2"),
        ("REBOOT", "1"),
        ("VERIFY_RESIZE", "1"),
        ("BUILD", "0"),
        ("DELETED", "0"),
    ];
    for (col, n) in want {
        assert_eq!(ecs[col], n, "ecs {col} at t = 0");
    }
    let pairs = at_zero(&res.join("occupancy_ecs.csv"), None);
    for (col, n) in [
        ("active:null", "1"),
        ("stopped:null", "2"),
        ("active:reboot_started", "1"),
        ("resized:null", "1"),
        ("deleted:null", "0"),
    ] {
        assert_eq!(pairs[col], n, "{col} at t = 0");
    }
    let bms = at_zero(&res.join("occupancy_bms.csv"), None);
    for (col, n) in [
        ("population", "4"),
        ("running", "2"),
        ("deleting", "1"),
        ("frozen", "1"),
        ("creating", "0"),
    ] {
        assert_eq!(bms[col], n, "bms {col} at t = 0");
    }
    // The trace starts with one `initial` row per server, lock included.
    let trace = std::fs::read_to_string(res.join("transitions.csv")).unwrap();
    let initial: Vec<&str> = trace.lines().filter(|l| l.contains(",initial,")).collect();
    assert_eq!(initial.len(), 9, "{trace}");
    assert_eq!(initial[0], "0,0,ecs,initial,,ACTIVE,active,null,,true");
    // b1's last line wins (running), in the place of its first appearance.
    assert_eq!(initial[5], "0,5,bms,initial,,ACTIVE,,,running,false");
    assert_eq!(initial[8], "0,8,bms,initial,,SHUTOFF,,,frozen,false");
    // The manifest names the files, not their servers.
    let manifest = std::fs::read_to_string(res.join("manifest.json")).unwrap();
    let m: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(
        m["scenario"]["ecs"]["initial_fleet"],
        serde_json::json!({"path": "fleet.json", "servers": 5, "unmodelled": "refuse", "skipped": 0, "skipped_ids": []})
    );
}

#[test]
fn a_bad_fleet_file_is_refused_naming_the_line_and_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let good = r#"{"kind": "ecs", "server": {"id": "a", "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:task_state": null}}"#;
    let bad = r#"{"kind": "ecs", "server": {"id": "b", "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:task_state": "spawning"}}"#;
    std::fs::write(
        tmp.path().join("fleet.jsonl"),
        format!("{good}\n{good}\n{bad}\n"),
    )
    .unwrap();
    let file = tmp.path().join("bad.toml");
    std::fs::write(
        &file,
        "name = \"bad\"\nhorizon = \"1d\"\n[ecs]\ninitial_fleet = \"fleet.jsonl\"\n[bms]\ninitial_fleet = \"missing.json\"\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let a = fleetsim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    for needle in [
        "bad.toml: 2 problems",
        "ecs.initial_fleet: fleet.jsonl line 3: \"OS-EXT-STS:task_state\" \"spawning\" does not go with vm_state \"active\"; valid task_states with active: rebooting",
        "bms.initial_fleet: cannot read \"missing.json\"",
    ] {
        assert!(err.contains(needle), "{needle:?} not in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.exists(), "an output folder was created");
    fleetsim().arg("validate").arg(&file).assert().code(2);
}

/// A real fleet with servers Nova shows and fleetsim does not model: 25 of
/// them, paused, snapshotting, shelved, ... among 3 it does.
fn fleet_with_unmodelled() -> String {
    let server = |id: String, vm: &str, task: Option<&str>, status: &str| serde_json::json!({"id": id, "status": status, "OS-EXT-STS:vm_state": vm, "OS-EXT-STS:task_state": task, "metadata": {"team": "a"}});
    let mut servers = vec![
        server("ok-1".into(), "active", None, "ACTIVE"),
        server("paused-1".into(), "paused", None, "PAUSED"),
        server("snap-1".into(), "active", Some("image_snapshot"), "ACTIVE"),
        server("ok-2".into(), "stopped", None, "SHUTOFF"),
        server(
            "shelved-1".into(),
            "shelved_offloaded",
            None,
            "SHELVED_OFFLOADED",
        ),
    ];
    for i in 0..22 {
        servers.push(server(
            format!("suspended-{i}"),
            "suspended",
            None,
            "SUSPENDED",
        ));
    }
    servers.push(server("ok-3".into(), "active", Some("rebooting"), "REBOOT"));
    serde_json::json!({ "servers": servers }).to_string()
}

#[test]
fn servers_in_states_fleetsim_does_not_model_are_refused_or_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("fleet.json"), fleet_with_unmodelled()).unwrap();
    let scenario = |unmodelled: &str| {
        let file = tmp.path().join(format!("s-{}.toml", unmodelled.len()));
        std::fs::write(
            &file,
            format!("name = \"real\"\nhorizon = \"1d\"\n[ecs]\ninitial_fleet = \"fleet.json\"\n{unmodelled}"),
        )
        .unwrap();
        file
    };

    // Refused (the default): every one is a problem, up to 20, then counted.
    let refuse = scenario("");
    let out = tmp.path().join("refused");
    let a = fleetsim()
        .arg("run")
        .arg(&refuse)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let err = stderr_of(&a);
    for needle in [
        "21 problems in the scenario; nothing was run",
        "ecs.initial_fleet: fleet.json servers[1]: \"status\" \"PAUSED\": fleetsim does not model ECS servers in status PAUSED",
        "ecs.initial_fleet: fleet.json servers[2]: \"OS-EXT-STS:task_state\" \"image_snapshot\": fleetsim does not model ECS servers in task_state image_snapshot",
        "servers[4]: \"status\" \"SHELVED_OFFLOADED\"",
        "unmodelled = \"skip\" in [ecs] leaves such servers out",
        "and 5 more problems in fleet.json",
    ] {
        assert!(err.contains(needle), "{needle:?} not in {err}");
    }
    assert!(!out.exists(), "an output folder was created");

    // Skipped: left out, counted and named, by validate and by the run.
    let skip = scenario("unmodelled = \"skip\"\n");
    let named = "ecs initial_fleet: 25 servers skipped (unmodelled = \"skip\"): paused-1 (PAUSED), snap-1 (task_state image_snapshot), shelved-1 (SHELVED_OFFLOADED), suspended-0 (SUSPENDED), ";
    let valid = stdout_of(&fleetsim().arg("validate").arg(&skip).assert().success());
    assert!(
        valid.contains("initial fleet 3 servers from fleet.json (REBOOT 1, ACTIVE 1, SHUTOFF 1)"),
        "{valid}"
    );
    assert!(valid.contains(&format!("\n  {}", &named[4..])), "{valid}");
    let out = tmp.path().join("skipped");
    let report = stdout_of(
        &fleetsim()
            .arg("run")
            .arg(&skip)
            .args(["--quiet", "--out"])
            .arg(&out)
            .assert()
            .success(),
    );
    assert!(
        report.contains("ecs initial fleet: 3 servers from fleet.json"),
        "{report}"
    );
    let line = report
        .lines()
        .find(|l| l.contains("servers skipped"))
        .unwrap_or_else(|| panic!("no skipped line in {report}"));
    assert!(line.starts_with(&format!("  {named}")), "{line}");
    assert!(
        line.ends_with("suspended-16 (SUSPENDED), and 5 more"),
        "{line}"
    );
    assert!(!line.contains("suspended-17"), "{line}");
    let ecs = at_zero(&out.join("occupancy_status.csv"), Some("ecs"));
    assert_eq!(ecs["population"], "3");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let fleet = &m["scenario"]["ecs"]["initial_fleet"];
    assert_eq!(fleet["servers"], 3);
    assert_eq!(fleet["unmodelled"], "skip");
    assert_eq!(fleet["skipped"], 25);
    let ids = fleet["skipped_ids"].as_array().unwrap();
    assert_eq!(ids.len(), 20);
    assert_eq!(
        ids[0],
        serde_json::json!({"id": "paused-1", "reason": "status PAUSED"})
    );
    assert_eq!(
        ids[1],
        serde_json::json!({"id": "snap-1", "reason": "task_state image_snapshot"})
    );

    // A value that is not Nova's is refused, skip or not.
    let typo = fleet_with_unmodelled().replace("\"paused\"", "\"pasued\"");
    std::fs::write(tmp.path().join("fleet.json"), typo).unwrap();
    let a = fleetsim().arg("validate").arg(&skip).assert().code(2);
    let err = stderr_of(&a);
    assert!(err.contains("1 problem in the scenario"), "{err}");
    assert!(
        err.contains("servers[1]: \"OS-EXT-STS:vm_state\" \"pasued\" is not a Nova vm_state"),
        "{err}"
    );
}
