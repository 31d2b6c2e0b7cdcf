//! `fleetsim plan`: the answer on a loss system whose blocking is known
//! exactly (Erlang B), the refusals (a --max that misses, a bad target, an
//! unknown pool, a bad range, a folder in use), and the command through the
//! binary: its files parsed back, the same bytes whatever the number of
//! threads, and candidates that run the very replications `run` runs.

use crate::common::{fleetsim, stderr_of, stdout_of};
use crate::theory::{INSTANT_ECS_STEPS, NO_FAILURES};
use fleetsim::plan::{PlanOptions, Verdict, plan};
use fleetsim::scenario::parse::parse_tree;
use fleetsim::scenario::sweep::Base;
use serde::Deserialize;
use std::path::Path;

/// An M/M/c/c loss system: creates arrive as a Poisson stream of λ a day,
/// each lives an exponential lifetime of mean 1 day, every build and delete
/// step takes no time; each host has one vCPU and the one flavor takes one
/// (memory never binds), so a pool of c hosts has exactly c slots and a
/// create is blocked exactly when all are taken. No failures, faults,
/// repairs or user operations. The pool starts with `hosts` hosts.
fn loss_system(lambda_per_day: f64, horizon_days: u32, replications: u32, hosts: u32) -> String {
    format!(
        r#"
            name = "loss"
            seed = 5
            replications = {replications}
            horizon = "{horizon_days}d"
            warmup = "10d"
            sample_interval = "100d"
            [ecs]
            initial = 0
            arrivals = "{lambda_per_day}/d"
            lifetime = {{ dist = "exponential", mean = "1d" }}
            ops_rate = "0/d"
            {INSTANT_ECS_STEPS}
            {NO_FAILURES}
            [capacity]
            placement = "spread"
            [capacity.pools.p]
            hosts = {hosts}
            vcpus = 1
            memory = "4GiB"
            [capacity.flavors.one]
            vcpus = 1
            memory = "1GiB"
        "#
    )
}

/// Erlang B for c = 0..=max at offered load `a`, by the stable recursion
/// B(0) = 1, B(k) = a·B(k−1)/(k + a·B(k−1)).
fn erlang_b(a: f64, max: usize) -> Vec<f64> {
    let mut b = vec![1.0];
    for k in 1..=max {
        let prev = b[k - 1];
        b.push(a * prev / (k as f64 + a * prev));
    }
    b
}

fn options(target: &str, out: &Path) -> PlanOptions {
    PlanOptions {
        pools: vec!["p".into()],
        target: target.parse().unwrap(),
        confidence: 0.95,
        min: 1,
        max: None,
        max_replications: None,
        out: out.to_path_buf(),
        force: false,
        jobs: 0,
        progress: false,
    }
}

/// Offered load a = λ·E[holding] = 10/day × 1 day = 10 erlangs (the
/// holding time is the lifetime alone: the steps take no time). Erlang B:
///
///   c:   9      10     11     12     13     14
///   B: .2705  .2146  .1632  .1197  .0843  .0568
///
/// With the target B ≤ 0.14 the answer is c = 12: B(12) = 0.1197 is 0.020
/// below it and B(11) = 0.1632 is 0.023 above. Precision: a replication
/// sees about 20,000 creates in its 2,000-day window; the binomial standard
/// error √(B(1−B)/20000) ≈ 0.0025 at B ≈ 0.14, inflated about twofold by
/// the correlation of successive blockings, gives a replication's share a
/// standard deviation near 0.005, so five replications put the 95%
/// half-width near t(0.975, 4)·0.005/√5 ≈ 0.006 and the mean's own error
/// near 0.0022: each neighbour's interval clears the target by about
/// (0.020 − 0.006)/0.0022 ≈ 6 standard errors. The test checks that margin
/// from the formula and, after the search, from the intervals measured.
#[test]
fn the_plan_of_a_loss_system_is_the_smallest_c_erlang_b_allows() {
    let (a, target) = (10.0, 0.14);
    let b = erlang_b(a, 30);
    let answer = (1..b.len()).find(|&c| b[c] <= target).unwrap() as u32;
    assert_eq!(answer, 12);
    let expected_sd = 2.0 * (target * (1.0 - target) / 20_000.0).sqrt();
    let expected_half = 2.776 * expected_sd / 5f64.sqrt();
    let margin = |c: u32| (b[c as usize] - target).abs();
    for c in [answer - 1, answer] {
        assert!(
            margin(c) > expected_half + 4.0 * expected_sd / 5f64.sqrt(),
            "B({c}) = {} is within the resolution of the target",
            b[c as usize]
        );
    }

    let tmp = tempfile::tempdir().unwrap();
    // The file's 6 hosts make the default --max 24.
    let text = loss_system(a, 2010, 1, 6);
    let base = Base::new(
        &parse_tree(&text, "loss.toml").unwrap(),
        "loss.toml",
        Path::new(""),
    );
    // From 8 hosts up, to keep the test short.
    let opts = PlanOptions {
        min: 8,
        ..options(&format!("blocked_share <= {target}"), tmp.path())
    };
    let r = plan(&base, None, &opts).unwrap();
    let p = &r.pools[0];
    assert_eq!(p.max, 24);
    assert_eq!(p.answer, Some(answer), "{:#?}", p.candidates);
    assert!(p.out_of_order.is_empty());
    // --max first, then bisection (whose last steps are the neighbours).
    assert_eq!(p.order, [24, 15, 11, 13, 12]);
    for c in &p.candidates {
        assert_eq!(c.replications(), 5, "{} hosts", c.hosts);
        let want = if c.hosts >= answer {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        assert_eq!(c.verdict, want, "{} hosts", c.hosts);
    }
    for c in [answer - 1, answer] {
        let got = p.candidate(c).unwrap();
        let half = (got.high - got.low) / 2.0;
        assert!(half < margin(c) / 2.0, "{c} hosts: half-width {half}");
    }
    assert!(tmp.path().join("plan.csv").exists());
}

#[derive(Debug, Deserialize)]
struct PlanRow {
    pool: String,
    kind: String,
    hosts: u32,
    replications: u32,
    metric: String,
    mean: Option<f64>,
    sd: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    target: String,
    verdict: String,
}

fn plan_rows(dir: &Path) -> Vec<PlanRow> {
    csv::Reader::from_path(dir.join("plan.csv"))
        .unwrap()
        .deserialize()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A small loss system in a file of its own: 3 erlangs, 300 days.
fn small(dir: &Path) -> std::path::PathBuf {
    let file = dir.join("small.toml");
    std::fs::write(&file, loss_system(3.0, 310, 5, 4)).unwrap();
    file
}

#[test]
fn plan_through_the_binary_prints_the_answer_and_writes_its_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let file = small(tmp.path());
    let go = |out: &str, jobs: &str| {
        fleetsim()
            .arg("plan")
            .arg(&file)
            .args(["--pool", "p", "--target", "blocked_share <= 0.2"])
            .args(["--max-replications", "5", "--quiet", "--jobs", jobs])
            .arg("--out")
            .arg(tmp.path().join(out))
            .assert()
            .success()
    };
    let a = go("one", "1");
    let out = stdout_of(&a);
    // Erlang B(3, 3) = 0.346, B(4, 3) = 0.206, B(5, 3) = 0.110: five hosts.
    assert!(out.contains("p: 5 hosts (blocked_share "), "{out}");
    assert!(out.contains("; 4 hosts: "), "{out}");
    let rows = plan_rows(&tmp.path().join("one"));
    let hosts: Vec<u32> = rows.iter().map(|r| r.hosts).collect();
    assert_eq!(hosts, [4, 5, 6, 8, 16], "by size");
    for r in &rows {
        assert_eq!((r.pool.as_str(), r.kind.as_str()), ("p", "ecs"));
        assert_eq!(
            (r.metric.as_str(), r.target.as_str()),
            ("blocked_share", "<= 0.2")
        );
        assert_eq!(r.replications, 5);
        let (low, high) = (r.ci_low.unwrap(), r.ci_high.unwrap());
        assert!(low <= r.mean.unwrap() && r.mean.unwrap() <= high && r.sd.unwrap() >= 0.0);
        let want = match r.hosts {
            h if h >= 5 && high <= 0.2 => "pass",
            h if h < 5 && low > 0.2 => "fail",
            _ => "undecided",
        };
        assert_eq!(r.verdict, want, "{r:?}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("one/plan.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["pools"][0]["hosts"], 5);
    assert_eq!(manifest["pools"][0]["outcome"], "found");
    assert_eq!(
        manifest["pools"][0]["evaluated"],
        serde_json::json!([16, 8, 4, 6, 5])
    );
    assert_eq!(manifest["target"], "blocked_share <= 0.2");

    // The same bytes whatever the number of threads.
    go("two", "2");
    assert_eq!(
        std::fs::read(tmp.path().join("one/plan.csv")).unwrap(),
        std::fs::read(tmp.path().join("two/plan.csv")).unwrap()
    );

    // A candidate runs the replications `run` runs: five hosts, five
    // replications, the same blocking share to the last digit.
    let run = tmp.path().join("run");
    let five = tmp.path().join("five.toml");
    std::fs::write(&five, loss_system(3.0, 310, 5, 5)).unwrap();
    fleetsim()
        .arg("run")
        .arg(&five)
        .args(["--quiet", "--out"])
        .arg(&run)
        .assert()
        .success();
    let ci = std::fs::read_to_string(run.join("capacity_summary_ci.csv")).unwrap();
    let line = ci
        .lines()
        .find(|l| l.starts_with("p,ecs,blocked_share,"))
        .unwrap();
    let fields: Vec<&str> = line.split(',').collect();
    let at5 = rows.iter().find(|r| r.hosts == 5).unwrap();
    assert_eq!(
        fields[4].parse::<f64>().unwrap(),
        at5.mean.unwrap(),
        "{line}"
    );
    assert_eq!(
        fields[6].parse::<f64>().unwrap(),
        at5.ci_low.unwrap(),
        "{line}"
    );
}

#[test]
fn a_max_that_misses_is_refused_with_exit_1_and_the_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let file = small(tmp.path());
    let out = tmp.path().join("out");
    let a = fleetsim()
        .arg("plan")
        .arg(&file)
        .args(["--pool", "p", "--target", "blocked_share <= 0.2"])
        .args(["--max", "3", "--max-replications", "5", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(1);
    let err = stderr_of(&a);
    assert!(stdout_of(&a).is_empty());
    assert!(
        err.starts_with("error: blocked_share <= 0.2 is not met at --max by pool p; raise --max"),
        "{err}"
    );
    assert!(
        err.contains("p: no answer from 1 to 3 hosts: at 3 hosts (--max) blocked_share is 0.3"),
        "{err}"
    );
    let rows = plan_rows(&out);
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].hosts, rows[0].verdict.as_str()), (3, "fail"));
    assert!(out.join("plan.json").exists());
}

#[test]
fn bad_targets_pools_and_ranges_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let file = small(tmp.path());
    let out = tmp.path().join("never");
    for (args, needle) in [
        (
            vec!["--pool", "p", "--target", "blocked_share < 0.2"],
            "has no <= or >=",
        ),
        (
            vec!["--pool", "p", "--target", "blocking <= 0.2"],
            "\"blocking\" is not a metric; give one of",
        ),
        (
            vec!["--pool", "p", "--target", "availability >= high"],
            "is not a number",
        ),
        (
            vec!["--pool", "gpu", "--target", "blocked_share <= 0.2"],
            "has no pool \"gpu\"; its pools are p (ECS)",
        ),
        (
            vec![
                "--pool",
                "p",
                "--target",
                "blocked_share <= 0.2",
                "--min",
                "9",
                "--max",
                "3",
            ],
            "--min 9 is above --max 3",
        ),
        (
            vec![
                "--pool",
                "p",
                "--target",
                "blocked_share <= 0.2",
                "--min",
                "0",
            ],
            "--min",
        ),
        (
            vec![
                "--pool",
                "p",
                "--target",
                "blocked_share <= 0.2",
                "--confidence",
                "1",
            ],
            "strictly between 0 and 1",
        ),
        (
            vec![
                "--pool",
                "p",
                "--target",
                "blocked_share <= 0.2",
                "--max-replications",
                "3",
            ],
            "--max-replications 3 is below the 5 replications",
        ),
    ] {
        let a = fleetsim()
            .arg("plan")
            .arg(&file)
            .args(&args)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2);
        let err = stderr_of(&a);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} created the folder");
    }
    // A sweep of anything but the planned pool's size is refused.
    let swept = tmp.path().join("swept.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &swept,
        format!("{text}\n[sweep]\n\"ecs.arrivals\" = [\"1/d\"]\n"),
    )
    .unwrap();
    let a = fleetsim()
        .arg("plan")
        .arg(&swept)
        .args(["--pool", "p", "--target", "blocked_share <= 0.2", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    assert!(
        stderr_of(&a).contains("sweeps \"ecs.arrivals\""),
        "{}",
        stderr_of(&a)
    );
    assert!(!out.exists());
}

#[test]
fn a_folder_in_use_is_refused_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let file = small(tmp.path());
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let go = |force: bool| {
        let mut cmd = fleetsim();
        cmd.arg("plan")
            .arg(&file)
            .args(["--pool", "p", "--target", "blocked_share <= 0.2"])
            .args(["--max-replications", "5", "--quiet", "--out"])
            .arg(&out);
        if force {
            cmd.arg("--force");
        }
        cmd.assert()
    };
    let a = go(false).code(1);
    assert!(stderr_of(&a).contains("pass --force"), "{}", stderr_of(&a));
    assert!(!out.join("plan.csv").exists());
    go(true).success();
    assert!(out.join("plan.csv").exists() && out.join("notes.txt").exists());
}

/// Two independent pools, each an M/M/c/c loss system of its own: one
/// flavor on each, drawn half and half, so each pool sees a Poisson stream
/// of λ/2 (a thinned Poisson stream) and offered load 10. Each is sized in
/// turn with the other at its size in the file, and each gets Erlang B's
/// answer, 12, as the single pool above does.
#[test]
fn independent_pools_are_sized_one_after_the_other() {
    let text = loss_system(20.0, 2010, 1, 6).replace(
        "[capacity.flavors.one]",
        "[capacity.pools.q]\nhosts = 7\nvcpus = 1\nmemory = \"4GiB\"\n[capacity.flavors.two]\nvcpus = 1\nmemory = \"1GiB\"\npool = \"q\"\n[capacity.flavors.one]\npool = \"p\"",
    );
    let tmp = tempfile::tempdir().unwrap();
    let base = Base::new(
        &parse_tree(&text, "two.toml").unwrap(),
        "two.toml",
        Path::new(""),
    );
    let opts = PlanOptions {
        pools: vec!["p".into(), "q".into()],
        min: 8,
        ..options("blocked_share <= 0.14", tmp.path())
    };
    let r = plan(&base, None, &opts).unwrap();
    let answers: Vec<(&str, Option<u32>, u32)> = r
        .pools
        .iter()
        .map(|p| (p.pool.as_str(), p.answer, p.max))
        .collect();
    assert_eq!(answers, [("p", Some(12), 24), ("q", Some(12), 28)]);
    let rows = plan_rows(tmp.path());
    assert!(rows.iter().any(|r| r.pool == "p") && rows.iter().any(|r| r.pool == "q"));
}
