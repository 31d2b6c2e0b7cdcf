//! `--compress zstd`: the compressed trace and fixtures decompress to
//! exactly the plain files' bytes, every other file is the same, and shards
//! written differently are not merged.

use crate::common::{fleetsim, stderr_of, stdout_of};
use std::path::Path;

fn unzstd(path: &Path) -> Vec<u8> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    zstd::stream::decode_all(file).unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_compressed_trace_decompresses_to_the_plain_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (plain, packed) = (tmp.path().join("plain"), tmp.path().join("packed"));
    for (dir, extra) in [(&plain, None), (&packed, Some("zstd"))] {
        let mut cmd = fleetsim();
        cmd.args(["run", "scenarios/quick.toml", "--quiet", "--trace", "--out"])
            .arg(dir);
        if let Some(how) = extra {
            cmd.args(["--compress", how]);
        }
        let a = cmd.assert().success();
        if extra.is_some() {
            assert!(stdout_of(&a).contains("transitions.csv.zst"));
        }
    }
    assert!(!packed.join("transitions.csv").exists());
    let original = std::fs::read(plain.join("transitions.csv")).unwrap();
    let compressed = std::fs::read(packed.join("transitions.csv.zst")).unwrap();
    assert_eq!(unzstd(&packed.join("transitions.csv.zst")), original);
    assert!(
        compressed.len() * 3 < original.len(),
        "{} bytes compressed from {}",
        compressed.len(),
        original.len()
    );
    // Every other file is the same, the manifest aside (its file list and
    // wall time).
    for name in names(&plain) {
        if name == "transitions.csv" || name == "manifest.json" {
            continue;
        }
        assert_eq!(
            std::fs::read(plain.join(&name)).unwrap(),
            std::fs::read(packed.join(&name)).unwrap(),
            "{name}"
        );
    }
    let manifest = std::fs::read_to_string(packed.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"transitions.csv.zst\""), "{manifest}");
}

#[test]
fn compressed_fixtures_decompress_to_the_plain_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let (plain, packed) = (tmp.path().join("plain"), tmp.path().join("packed"));
    for (dir, how) in [(&plain, "none"), (&packed, "zstd")] {
        fleetsim()
            .args(["fixtures", "scenarios/quick.toml", "--horizon", "1d"])
            .args(["--compress", how, "--out"])
            .arg(dir)
            .assert()
            .success();
    }
    assert_eq!(
        names(&packed),
        [
            "fixtures.json",
            "requests.jsonl.zst",
            "servers.jsonl.zst",
            "timelines.jsonl.zst"
        ]
    );
    for name in ["servers.jsonl", "requests.jsonl", "timelines.jsonl"] {
        assert_eq!(
            unzstd(&packed.join(format!("{name}.zst"))),
            std::fs::read(plain.join(name)).unwrap(),
            "{name}"
        );
    }
    assert_eq!(
        std::fs::read(plain.join("fixtures.json")).unwrap(),
        std::fs::read(packed.join("fixtures.json")).unwrap()
    );
}

#[test]
fn shards_compressed_differently_are_not_one_study() {
    let tmp = tempfile::tempdir().unwrap();
    let shard = |i: usize, how: &str| {
        let dir = tmp.path().join(format!("shard-{i}-{how}"));
        fleetsim()
            .args([
                "run",
                "scenarios/quick.toml",
                "--quiet",
                "--replications",
                "2",
            ])
            .args(["--per-replication", "--trace", "--compress", how])
            .args(["--shard", &format!("{i}/2"), "--out"])
            .arg(&dir)
            .assert()
            .success();
        dir
    };
    let (a, b) = (shard(0, "zstd"), shard(1, "none"));
    let out = tmp.path().join("merged");
    let done = fleetsim()
        .arg("merge")
        .arg(&out)
        .arg(&a)
        .arg(&b)
        .assert()
        .code(2);
    let err = stderr_of(&done);
    assert!(err.contains("compress none where it has zstd"), "{err}");
    assert!(!out.exists());
    // Both compressed: merged, each replication's trace compressed.
    let b = shard(1, "zstd");
    fleetsim()
        .arg("merge")
        .arg(&out)
        .arg(&a)
        .arg(&b)
        .assert()
        .success();
    for r in 0..2 {
        assert!(
            out.join(format!("replication-{r}/transitions.csv.zst"))
                .exists()
        );
    }
}
