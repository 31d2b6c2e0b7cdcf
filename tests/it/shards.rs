//! Shards and merge: a study split into N shards (`run --shard I/N`) and
//! merged back, shard folders in any order, gives byte for byte the files
//! of a single run (manifest.json's wall-clock fields aside); shards that
//! are not one whole study are refused with every problem named, exit 2,
//! and nothing written. The heavier studies (whatif-mtbf with its 10
//! replications, capacity-plan with its 5) run from `.ci/run`
//! (`cargo test --test it shards -- --ignored`).

use crate::common::{fleetsim, stderr_of};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every file under `dir`, by path relative to it, with its bytes; a
/// manifest without its wall-clock fields.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let mut bytes = std::fs::read(&p).unwrap();
            if p.file_name().unwrap() == "manifest.json" {
                let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                let obj = v.as_object_mut().unwrap();
                assert!(obj.remove("wall_seconds").is_some());
                assert!(obj.remove("events_per_second").is_some());
                bytes = serde_json::to_vec_pretty(&v).unwrap();
            }
            out.insert(rel, bytes);
        }
    }
    out
}

/// A temporary folder, in memory where the machine has one: shards and
/// merges write many small files, each synced to disk when complete,
/// and on a disk those syncs, not the simulations, would take most of
/// these tests' time.
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(t) = tempfile::tempdir_in(shm)
    {
        return t;
    }
    tempfile::tempdir().unwrap()
}

/// `fleetsim run` with `args` into `out`.
fn run(args: &[&str], out: &Path) {
    fleetsim()
        .arg("run")
        .args(args)
        .args(["--quiet", "--out"])
        .arg(out)
        .assert()
        .success();
}

/// Runs the N shards of the study `args` into `tmp/<tag>-<N>-<I>`.
fn shards(args: &[&str], n: usize, tmp: &Path, tag: &str) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let dir = tmp.join(format!("{tag}-{n}-{i}"));
            let shard = format!("{i}/{n}");
            run(&[args, &["--shard", &shard]].concat(), &dir);
            dir
        })
        .collect()
}

/// `dirs` in an order that is not theirs: a fixed shuffle (Fisher-Yates
/// with a small xorshift), so that a merge that depended on the order
/// of its arguments would be caught.
fn shuffled(mut dirs: Vec<PathBuf>, seed: u64) -> Vec<PathBuf> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..dirs.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        dirs.swap(i, (x % (i as u64 + 1)) as usize);
    }
    if dirs.len() > 1 && dirs.windows(2).all(|w| w[0] < w[1]) {
        dirs.reverse();
    }
    dirs
}

fn merge(out: &Path, dirs: &[PathBuf]) -> assert_cmd::assert::Assert {
    fleetsim().arg("merge").arg(out).args(dirs).assert()
}

/// The wall seconds a `manifest.json` or `shard.json` records.
fn wall_seconds(path: &Path) -> f64 {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["wall_seconds"].as_f64().unwrap()
}

/// Splits the study `args` into each of `ns` shards, merges them in a
/// shuffled order, and compares every file with a single run's.
fn assert_merge_is_exact(args: &[&str], ns: &[usize]) {
    let tmp = scratch();
    let single = tmp.path().join("single");
    run(args, &single);
    let expected = files(&single);
    assert!(expected.contains_key("results.json"));
    for &n in ns {
        let dirs = shards(args, n, tmp.path(), "shard");
        let out = tmp.path().join(format!("merged-{n}"));
        merge(&out, &shuffled(dirs.clone(), n as u64)).success();
        let got = files(&out);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{args:?} in {n} shards: not the same files"
        );
        for (name, bytes) in &expected {
            assert!(
                &got[name] == bytes,
                "{args:?} in {n} shards: {name} differs from the single run's"
            );
        }
        // The merged manifest's cost is every shard's, added up.
        let shard_walls: f64 = dirs
            .iter()
            .map(|d| wall_seconds(&d.join("shard.json")))
            .sum();
        let merged_wall = wall_seconds(&out.join("manifest.json"));
        assert!(
            (merged_wall - shard_walls).abs() <= 1e-9 * shard_walls.max(1.0),
            "{merged_wall} is not the shards' {shard_walls}"
        );
    }
}

const NS: &[usize] = &[1, 2, 3, 7];

#[test]
fn quick_with_4_replications_merges_exactly_whatever_the_split() {
    assert_merge_is_exact(&["scenarios/quick.toml", "--replications", "4"], NS);
}

#[test]
fn one_replication_with_its_trace_merges_exactly() {
    // One unit: its streamed time series and trace are the study's own.
    assert_merge_is_exact(
        &["scenarios/quick.toml", "--horizon", "2d", "--trace"],
        &[1],
    );
}

#[test]
fn small_sweeps_merge_exactly() {
    // Short versions of the studies below, for the warm suite.
    assert_merge_is_exact(
        &[
            "scenarios/whatif-mtbf.toml",
            "--horizon",
            "1d",
            "--warmup",
            "0s",
            "--replications",
            "2",
        ],
        &[3],
    );
    assert_merge_is_exact(
        &[
            "scenarios/capacity-plan.toml",
            "--horizon",
            "2d",
            "--warmup",
            "1d",
            "--replications",
            "2",
            "--per-replication",
            "--trace",
        ],
        &[7],
    );
}

#[test]
#[ignore = "about 10 s: run by .ci/run"]
fn whatif_mtbf_merges_exactly_whatever_the_split() {
    assert_merge_is_exact(
        &[
            "scenarios/whatif-mtbf.toml",
            "--horizon",
            "4d",
            "--warmup",
            "1d",
        ],
        NS,
    );
}

#[test]
#[ignore = "about 10 s: run by .ci/run"]
fn capacity_plan_merges_exactly_whatever_the_split() {
    assert_merge_is_exact(
        &[
            "scenarios/capacity-plan.toml",
            "--horizon",
            "20d",
            "--warmup",
            "5d",
        ],
        NS,
    );
}

/// A short study for the refusals: 4 units.
const SMALL: &[&str] = &[
    "scenarios/quick.toml",
    "--replications",
    "4",
    "--horizon",
    "2d",
];

/// Asserts that merging `dirs` is refused with exit 2 and a message
/// holding each of `said`, and that nothing was written beside `out`.
fn assert_refused(out: &Path, dirs: &[PathBuf], said: &[&str]) {
    let a = merge(out, dirs).code(2);
    let err = stderr_of(&a);
    assert!(
        err.contains("the shards cannot be merged; nothing was written"),
        "{err}"
    );
    for s in said {
        assert!(err.contains(s), "the message does not say {s:?}:\n{err}");
    }
    assert!(!out.exists(), "{} was written", out.display());
    let parent = out.parent().unwrap();
    let partial = std::fs::read_dir(parent).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .contains(".partial")
    });
    assert!(
        !partial,
        "a staging folder was left in {}",
        parent.display()
    );
}

#[test]
fn shards_that_are_not_one_whole_study_are_refused() {
    let tmp = scratch();
    let t = tmp.path();
    let out = t.join("merged");
    let two = shards(SMALL, 2, t, "a");

    // A missing shard: its units are named, and the shard that runs them.
    assert_refused(
        &out,
        &two[..1],
        &[
            "2 of the study's 4 units are missing",
            "point 0 replication 1, point 0 replication 3",
            "they are run by --shard 1/2",
        ],
    );

    // A duplicated unit: named with both folders.
    let copy = t.join("a-copy");
    std::fs::create_dir(&copy).unwrap();
    for e in walk(&two[0]) {
        let to = copy.join(e.strip_prefix(&two[0]).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&e, &to).unwrap();
    }
    let both = format!(
        "{} and {} hold the same 2 units: point 0 replication 0, point 0 replication 2",
        two[0].display(),
        copy.display()
    );
    assert_refused(
        &out,
        &[two[0].clone(), two[1].clone(), copy.clone()],
        &[&both],
    );
    // The same folder twice, under two names, is said once.
    let again = two[1].join("..").join(two[1].file_name().unwrap());
    assert_refused(
        &out,
        &[two[0].clone(), two[1].clone(), again],
        &["is given twice", "give each shard once"],
    );

    // Mixed studies: another seed, and another split; every problem at once.
    let seeded = shards(&[SMALL, &["--seed", "8"]].concat(), 2, t, "b");
    let three = shards(SMALL, 3, t, "c");
    assert_refused(
        &out,
        &[two[0].clone(), seeded[1].clone(), three[2].clone()],
        &[
            &format!("{} is not of the same study as", seeded[1].display()),
            "seed 8 where it has 7",
            "scenario_sha256",
            &format!("{} is not of the same study as", three[2].display()),
            "shards 3 where it has 2",
        ],
    );

    // Another scenario.
    let other = shards(
        &[
            "scenarios/baseline.toml",
            "--horizon",
            "1d",
            "--warmup",
            "0s",
        ],
        1,
        t,
        "d",
    );
    assert_refused(
        &out,
        &[two[0].clone(), two[1].clone(), other[0].clone()],
        &["scenario_file scenarios/baseline.toml where it has scenarios/quick.toml"],
    );

    // Another version: a shard.json from a different fleetsim.
    let manifest = two[1].join("shard.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let ours = format!("\"fleetsim_version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&ours));
    std::fs::write(
        &manifest,
        text.replace(&ours, "\"fleetsim_version\": \"0.0.1\""),
    )
    .unwrap();
    assert_refused(
        &out,
        &two,
        &[
            &format!("{} was written by fleetsim 0.0.1", two[1].display()),
            &format!("this is fleetsim {}", env!("CARGO_PKG_VERSION")),
        ],
    );
    std::fs::write(&manifest, text).unwrap();

    // Not a shard folder at all, and a folder that is not there.
    let single = t.join("single");
    run(SMALL, &single);
    assert_refused(
        &out,
        &[two[0].clone(), single.clone(), t.join("nowhere")],
        &[
            &format!("{} holds no shard.json", single.display()),
            &format!("{} does not exist", t.join("nowhere").display()),
        ],
    );

    // The result folder may not be one of the shards.
    let a = merge(&two[0], &two).code(2);
    assert!(stderr_of(&a).contains("is a shard folder and the result folder"));

    // And the same shards, whole, merge.
    merge(&out, &two).success();
    assert_eq!(files(&out), files(&single));
}

#[test]
fn a_scenario_changed_after_the_shards_ran_is_refused() {
    let tmp = scratch();
    let t = tmp.path();
    let scenario = t.join("quick.toml");
    std::fs::copy("scenarios/quick.toml", &scenario).unwrap();
    let path = scenario.to_str().unwrap();
    let dirs = shards(&[&[path], &SMALL[1..]].concat(), 2, t, "s");
    let text = std::fs::read_to_string(&scenario).unwrap();
    std::fs::write(&scenario, text.replace("initial = 200", "initial = 201")).unwrap();
    assert_refused(
        &t.join("merged"),
        &dirs,
        &[&format!("{path} is not the study the shards ran")],
    );
    // Put back, it merges; `--scenario` reads it from elsewhere.
    std::fs::write(t.join("moved.toml"), &text).unwrap();
    fleetsim()
        .arg("merge")
        .arg(t.join("merged"))
        .args(&dirs)
        .arg("--scenario")
        .arg(t.join("moved.toml"))
        .assert()
        .success();
}

#[test]
fn bad_shard_values_are_refused_before_anything_runs() {
    let tmp = scratch();
    for bad in ["4/4", "1", "-1/3", "a/b", "0/0", "1/2/3"] {
        let out = tmp.path().join("out");
        let a = fleetsim()
            .args([
                "run",
                "scenarios/quick.toml",
                &format!("--shard={bad}"),
                "--out",
            ])
            .arg(&out)
            .assert()
            .code(2);
        assert!(stderr_of(&a).contains("is not a shard; give I/N"), "{bad}");
        assert!(!out.exists());
    }
    // --trace with several replications needs --per-replication, shard or not.
    let a = fleetsim()
        .args([
            "run",
            "scenarios/quick.toml",
            "--replications",
            "2",
            "--trace",
        ])
        .args(["--shard", "0/2", "--out"])
        .arg(tmp.path().join("t"))
        .assert()
        .code(2);
    assert!(stderr_of(&a).contains("needs --per-replication"));
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}
