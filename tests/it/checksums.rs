//! The guard of every speed change: SHA-256 checksums of the `quick` and
//! `baseline` outputs (trace included), and of `capacity-crunch` (hosts and
//! placement), held in `tests/checksums.txt`. An optimisation must leave
//! them as they are. A change meant to alter results
//! rewrites the file deliberately, in its own commit, saying why:
//! `FLEETSIM_BLESS=1 cargo test checksums`.
//!
//! The manifest is hashed without its two wall-clock fields. The checksums
//! hold for one platform (x86_64 Linux, where CI runs): floating-point
//! formatting and the pure-Rust `libm` are exact there, but another target
//! could round a last digit differently.

use crate::common::fleetsim;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::Path;

/// The runs whose every output file is checksummed: a name, then the
/// arguments after `fleetsim run`.
const RUNS: &[(&str, &[&str])] = &[
    ("quick", &["scenarios/quick.toml", "--trace"]),
    (
        "quick-4-replications",
        &["scenarios/quick.toml", "--replications", "4"],
    ),
    ("baseline", &["scenarios/baseline.toml", "--trace"]),
    // Hosts, placement and host failures: the capacity code's hot paths.
    (
        "capacity-crunch",
        &[
            "scenarios/capacity-crunch.toml",
            "--replications",
            "1",
            "--trace",
        ],
    ),
    // Arrival profiles (thinning), trace replay (and its deployments).
    (
        "demand-weekly",
        &[
            "scenarios/demand-weekly.toml",
            "--horizon",
            "21d",
            "--replications",
            "1",
        ],
    ),
    (
        "demand-trace",
        &[
            "scenarios/demand-trace.toml",
            "--horizon",
            "5d",
            "--replications",
            "1",
            "--trace",
        ],
    ),
];

const FILE: &str = "tests/checksums.txt";

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The bytes that stand for a file: the manifest without its wall-clock fields.
fn canonical(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    if path.file_name().is_some_and(|n| n == "manifest.json") {
        let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let obj = v.as_object_mut().unwrap();
        assert!(obj.remove("wall_seconds").is_some());
        assert!(obj.remove("events_per_second").is_some());
        return serde_json::to_vec_pretty(&v).unwrap();
    }
    bytes
}

/// `run/file sha256` lines for every file of every run, sorted.
fn checksums() -> String {
    let tmp = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    for (name, args) in RUNS {
        let out = tmp.path().join(name);
        fleetsim()
            .arg("run")
            .args(*args)
            .args(["--quiet", "--out"])
            .arg(&out)
            .assert()
            .success();
        let mut files: Vec<_> = walk(&out);
        files.sort();
        for f in files {
            let rel = f.strip_prefix(&out).unwrap().display().to_string();
            lines.push(format!("{name}/{rel} {}", sha256_hex(&canonical(&f))));
        }
    }
    lines.join("\n") + "\n"
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}

#[test]
fn quick_and_baseline_outputs_match_their_checksums() {
    let actual = checksums();
    if std::env::var_os("FLEETSIM_BLESS").is_some() {
        std::fs::write(FILE, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(FILE).unwrap_or_default();
    let differ: Vec<&str> = actual
        .lines()
        .filter(|l| !expected.lines().any(|e| e == *l))
        .collect();
    assert!(
        actual == expected,
        "outputs differ from {FILE} in:\n{}\n\nA speed change must not alter results. If this change is \
         meant to, rewrite the file with FLEETSIM_BLESS=1 cargo test checksums and commit it on its \
         own, saying why.",
        differ.join("\n")
    );
}
