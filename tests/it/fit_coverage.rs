//! `fleetsim fit`'s intervals over many independent replications: they
//! cover the true parameters at about their nominal rate, and a study of
//! the fitted scenario reproduces the original's status shares. Both take
//! about 16 s together in a debug build here, so they run in `.ci/run`
//! (`cargo test --test it fit_coverage -- --ignored`), not in the warm
//! `cargo test`.

use crate::common::fleetsim;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// ECS only, every parameter of it one `fit` estimates: lognormal steps,
/// failure probabilities, Weibull faults (shape 1.5, so the exponential is
/// wrong), exponential repair, arrivals, lifetimes and the owners' rate.
/// No soft-reboot fallback: it makes `reboot_started` a mixture (a share of
/// the draws lengthened by Nova's 120 s wait) that one fitted family follows
/// only about; with the default 2%, the fitted study's REBOOT share came
/// out 1.3% low (t = -3.8 in the test below), as the guide says.
const KNOWN: &str = r#"
name = "coverage"
seed = 1
horizon = "20d"
[ecs]
initial = 200
arrivals = "20/d"
lifetime = { dist = "exponential", mean = "30d" }
ops_rate = "2/d"
behaviour.ACTIVE = { reboot = 1 }
[ecs.steps]
spawning = { dist = "lognormal", mean = "90s", cv = 0.5 }
[ecs.failures]
create = { prob = 0.1, outcome = "error" }
reboot = { prob = 0.05 }
[ecs.soft_reboot]
fallback_prob = 0
[ecs.faults]
time_to_fault = { dist = "weibull", shape = 1.5, scale = "500h" }
repair = { dist = "exponential", mean = "4h" }
"#;

/// Runs KNOWN with `replications`, each replication's trace in its own
/// folder, and returns the traces.
fn traces(dir: &Path, replications: usize) -> Vec<PathBuf> {
    std::fs::write(dir.join("known.toml"), KNOWN).unwrap();
    fleetsim()
        .args([
            "run",
            "known.toml",
            "--trace",
            "--per-replication",
            "--quiet",
        ])
        .args(["--replications", &replications.to_string(), "--out", "run"])
        .current_dir(dir)
        .assert()
        .success();
    (0..replications)
        .map(|r| dir.join(format!("run/replication-{r}/transitions.csv")))
        .collect()
}

/// Fits `logs` into `out`, in this process.
fn fit(logs: Vec<PathBuf>, out: PathBuf) -> Vec<fleetsim::fit::estimate::Estimate> {
    fleetsim::fit::run(&fleetsim::fit::Options {
        logs,
        out,
        force: false,
        skip_bad: false,
        report: false,
    })
    .unwrap()
    .estimates
}

/// One hundred replications, each fitted on its own: every parameter's
/// 95% interval covers its true value in about 95 of them.
///
/// Bounds: a parameter's count of covering intervals is Binomial(100,
/// 0.95) when its intervals are right; P(X ≤ 86) = 0.00046, so with ten
/// parameters the lower bound of 87 fails a right fit with probability
/// under 0.5%. Ten parameters give 1,000 intervals, about Binomial(1000,
/// 0.95) (mean 950, sd 6.9): the total must lie in [929, 970] (each tail
/// about 0.1%). Intervals a third too narrow (z = 1.3 for 1.96) cover
/// about 80% and fail both bounds; intervals for 99% cover 990 of 1,000
/// and fail the upper one. Measured at this commit: 946 in all (the cv
/// scaled to 100), the least 89 (the lifetime's mean: 20 days of log
/// censor most lifetimes of mean 30 days, and the family AIC picks
/// extrapolates the tail; the interval does not widen for that choice)
/// and 91 (arrivals).
#[test]
#[ignore = "about 10 s each in a debug build; run by .ci/run"]
fn fitted_intervals_cover_the_true_values_at_their_nominal_rate() {
    let dir = tempfile::tempdir().unwrap();
    let logs = traces(dir.path(), 100);
    let (hour, day) = (3600.0, 86_400.0);
    let weibull_mean = 500.0 * hour * statrs::function::gamma::gamma(1.0 + 1.0 / 1.5);
    let truth: [(&str, &str, f64); 10] = [
        ("ecs.steps.spawning", "mean_s", 90.0),
        ("ecs.steps.spawning", "cv", 0.5),
        ("ecs.failures.create.prob", "prob", 0.1),
        ("ecs.failures.reboot.prob", "prob", 0.05),
        ("ecs.faults.time_to_fault.weibull", "shape", 1.5),
        ("ecs.faults.time_to_fault.weibull", "mean_s", weibull_mean),
        ("ecs.faults.repair", "mean_s", 4.0 * hour),
        ("ecs.arrivals", "per_day", 20.0),
        ("ecs.ops_rate", "per_day", 2.0),
        ("ecs.lifetime", "mean_s", 30.0 * day),
    ];
    // Two threads, each fitting every other replication.
    let outs: Vec<PathBuf> = (0..logs.len())
        .map(|r| dir.path().join(format!("fit/{r}/fitted.toml")))
        .collect();
    let results: Vec<Vec<fleetsim::fit::estimate::Estimate>> = std::thread::scope(|s| {
        let halves: Vec<_> = (0..2)
            .map(|h| {
                let (logs, outs) = (&logs, &outs);
                s.spawn(move || {
                    (h..logs.len())
                        .step_by(2)
                        .map(|r| (r, fit(vec![logs[r].clone()], outs[r].clone())))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<_> = halves.into_iter().flat_map(|h| h.join().unwrap()).collect();
        all.sort_by_key(|(r, _)| *r);
        all.into_iter().map(|(_, e)| e).collect()
    });
    let mut covered: BTreeMap<(&str, &str), (u32, u32)> = BTreeMap::new();
    for estimates in &results {
        for &(key, quantity, value) in &truth {
            let c = covered.entry((key, quantity)).or_default();
            // A lognormal's cv exists only where AIC chose the lognormal.
            let Some(e) = estimates
                .iter()
                .find(|e| e.estimate == key && e.quantity == quantity)
            else {
                assert_eq!(quantity, "cv", "no {key} {quantity}");
                continue;
            };
            c.1 += 1;
            if e.ci95_low <= value && value <= e.ci95_high {
                c.0 += 1;
            }
        }
    }
    let report: Vec<String> = covered
        .iter()
        .map(|((k, q), (c, n))| format!("{k} {q}: {c} of {n}"))
        .collect();
    let report = report.join("\n");
    eprintln!("{report}");
    let mut total = 0;
    for ((key, quantity), (c, n)) in &covered {
        // The cv is seen where the lognormal won (most of the hundred):
        // the bound scales with the replications that have it.
        assert!(*n >= 80, "{key} {quantity}: only {n} fits\n{report}");
        let lowest = (87 * n).div_ceil(100);
        assert!(*c >= lowest, "{key} {quantity}: {c} of {n} cover\n{report}");
        total += c * 100 / n;
    }
    assert!(
        (929..=970).contains(&total),
        "{total} of 1000 cover\n{report}"
    );
}

/// The fitted scenario, run again, reproduces the original's status
/// shares. Twenty replications of KNOWN are fitted together (the fitted
/// horizon and initial fleet are those of one log); the fitted scenario is
/// run for twenty replications with another seed; each status share that
/// varies is compared with Welch's t statistic.
///
/// Bound: five shares (BUILD, REBOOT, ACTIVE, ERROR, DELETED), each tested
/// at 0.2% two-sided (1% in all); Welch's degrees of freedom are at least
/// 19, and t(0.999, 19) = 3.58. Measured at this commit: |t| at most 0.65
/// (ACTIVE 97.709% against 97.732%).
#[test]
#[ignore = "about 10 s each in a debug build; run by .ci/run"]
fn a_study_of_the_fitted_scenario_reproduces_the_original_shares() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let logs = traces(d, 20);
    fit(logs, d.join("fit/fitted.toml"));
    fleetsim()
        .args([
            "run",
            "fit/fitted.toml",
            "--replications",
            "20",
            "--seed",
            "2",
        ])
        .args(["--out", "again", "--quiet"])
        .current_dir(d)
        .assert()
        .success();
    let (a, b) = (shares(&d.join("run")), shares(&d.join("again")));
    let mut tested = vec![];
    for (status, xs) in &a {
        let ys = &b[status];
        let (ma, va) = mean_var(xs);
        let (mb, vb) = mean_var(ys);
        if va + vb == 0.0 {
            // A status never visited in either study: equal, exactly.
            assert_eq!(ma, mb, "{status}");
            continue;
        }
        let t = (mb - ma) / (va / xs.len() as f64 + vb / ys.len() as f64).sqrt();
        tested.push(format!("{status}: {ma} vs {mb}, t = {t:.2}"));
        assert!(t.abs() < 3.58, "{}", tested.join("\n"));
    }
    eprintln!("{}", tested.join("\n"));
    assert_eq!(tested.len(), 5, "{}", tested.join("\n"));
}

/// ECS status shares by status, one per replication, from summary.csv.
fn shares(dir: &Path) -> BTreeMap<String, Vec<f64>> {
    let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut csv = csv::Reader::from_path(dir.join("summary.csv")).unwrap();
    let header = csv.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (kind, dim, state, share) = (col("kind"), col("dimension"), col("state"), col("share"));
    for row in csv.records() {
        let row = row.unwrap();
        if &row[kind] == "ecs" && &row[dim] == "status" {
            out.entry(row[state].to_string())
                .or_default()
                .push(row[share].parse().unwrap());
        }
    }
    out
}

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (
        m,
        xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0),
    )
}
