//! The precision of the written statistics: a state visited rarely and
//! briefly is written with its tiny share and interval, never as 0; and the
//! sojourn quantiles pooled across replications are those of every
//! replication's stays taken together.

use crate::common::fleetsim;
use std::collections::BTreeMap;
use std::path::Path;

/// A CSV file as rows of column name → field.
fn table(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// The number in `row[column]`, `None` when the field is empty.
fn number(row: &BTreeMap<String, String>, column: &str) -> Option<f64> {
    let text = &row[column];
    (!text.is_empty()).then(|| {
        text.parse()
            .unwrap_or_else(|e| panic!("{column} {text:?}: {e}"))
    })
}

/// Ten servers for 30 days, each rebooted about once a day; a reboot's
/// first step (`active:rebooting`) lasts 10 ms, so that state's share of
/// instance-time is about 300 × 10 ms / (10 × 30 d) ≈ 1.2 × 10⁻⁷.
const RARE: &str = r#"
name = "rare"
seed = 5
horizon = "30d"
replications = 3

[ecs]
initial = 10
ops_rate = "1/d"
ops_mix = { reboot = 1 }

[ecs.steps]
rebooting = "10ms"
"#;

#[test]
fn a_rarely_visited_state_is_written_with_its_share_and_interval_not_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("rare.toml");
    std::fs::write(&file, RARE).unwrap();
    let out = tmp.path().join("out");
    fleetsim()
        .arg("run")
        .arg(&file)
        .args(["--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();

    let summary = table(&out.join("summary.csv"));
    let rare: Vec<_> = summary
        .iter()
        .filter(|r| r["state"] == "active:rebooting")
        .collect();
    assert_eq!(rare.len(), 3, "one row per replication");
    for r in &rare {
        assert!(number(r, "entries").unwrap() > 100.0, "{r:?}");
        let share = number(r, "share").unwrap();
        // Close to the design value, and far from 0.
        assert!(share > 5e-8 && share < 3e-7, "{r:?}");
        assert!(number(r, "mean_count").unwrap() > 0.0, "{r:?}");
    }
    // No state with instance-time is written as having none.
    for r in &summary {
        let visited = number(r, "mean_sojourn_s").is_some_and(|s| s > 0.0);
        if visited {
            assert!(number(r, "share").unwrap() > 0.0, "{r:?}");
            assert!(number(r, "mean_count").unwrap() > 0.0, "{r:?}");
        }
    }

    let ci = table(&out.join("summary_ci.csv"));
    let estimate = |state: &str, metric: &str| {
        ci.iter()
            .find(|r| r["state"] == state && r["metric"] == metric)
            .unwrap_or_else(|| panic!("no {metric} row for {state}"))
    };
    for metric in ["share", "mean_count"] {
        let e = estimate("active:rebooting", metric);
        assert_eq!(number(e, "n"), Some(3.0), "{e:?}");
        let (mean, sd) = (number(e, "mean").unwrap(), number(e, "sd").unwrap());
        let (low, high) = (
            number(e, "ci95_low").unwrap(),
            number(e, "ci95_high").unwrap(),
        );
        assert!(sd > 0.0, "{e:?}");
        assert!(0.0 < low && low < mean && mean < high, "{e:?}");
    }
    // Every state visited in every replication has an interval that is not
    // [0, 0].
    for e in ci.iter().filter(|r| r["metric"] == "share") {
        let stays = estimate(&e["state"], "mean_sojourn_s");
        let visited_in_all = number(stays, "n") == Some(3.0)
            && number(stays, "mean").is_some_and(|m| m > 0.0)
            && e["kind"] == stays["kind"];
        if visited_in_all {
            assert!(number(e, "ci95_high").unwrap() > 0.0, "{e:?}");
        }
    }
    // The pooled quantiles of its 10 ms stays.
    for metric in [
        "pooled_p50_sojourn_s",
        "pooled_p95_sojourn_s",
        "pooled_p99_sojourn_s",
    ] {
        let e = estimate("active:rebooting", metric);
        assert_eq!(number(e, "n"), Some(3.0), "{e:?}");
        assert_eq!(number(e, "mean"), Some(0.01), "{e:?}");
        assert_eq!(
            (
                number(e, "sd"),
                number(e, "ci95_low"),
                number(e, "ci95_high")
            ),
            (None, None, None),
            "{e:?}"
        );
    }
}

/// The nearest-rank `q`-quantile of `xs`, sorted.
fn nearest_rank(xs: &[f64], q: f64) -> f64 {
    let rank = ((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len());
    xs[rank - 1]
}

/// Every status stay of kind `kind` that ended within [from, to], in
/// seconds, read from a replication's `transitions.csv`, by status.
fn stays(trace: &Path, kind: &str, (from, to): (f64, f64)) -> BTreeMap<String, Vec<f64>> {
    let mut since: BTreeMap<String, f64> = BTreeMap::new();
    let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in table(trace).iter().filter(|r| r["kind"] == kind) {
        if r["from_status"] == r["to_status"] {
            continue;
        }
        let t: f64 = r["time_s"].parse().unwrap();
        let instance = &r["instance"];
        if !r["from_status"].is_empty() {
            let entered = since[instance];
            if t >= from && t <= to {
                out.entry(r["from_status"].clone())
                    .or_default()
                    .push(((t - entered) * 1000.0).round() / 1000.0);
            }
        }
        since.insert(instance.clone(), t);
    }
    for xs in out.values_mut() {
        xs.sort_by(f64::total_cmp);
    }
    out
}

#[test]
fn pooled_sojourn_quantiles_are_those_of_every_replications_stays_together() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fleetsim()
        .args([
            "run",
            "scenarios/quick.toml",
            "--quiet",
            "--replications",
            "3",
            "--horizon",
            "3d",
            "--per-replication",
            "--trace",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    // quick.toml: warmup 1 d.
    let window = (86_400.0, 3.0 * 86_400.0);
    let ci = table(&out.join("summary_ci.csv"));
    let mut checked = 0;
    for kind in ["ecs", "bms"] {
        let mut pooled: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let mut per_replication: BTreeMap<String, Vec<Vec<f64>>> = BTreeMap::new();
        for r in 0..3 {
            let trace = out.join(format!("replication-{r}/transitions.csv"));
            for (status, xs) in stays(&trace, kind, window) {
                pooled.entry(status.clone()).or_default().extend(&xs);
                per_replication.entry(status).or_default().push(xs);
            }
        }
        for (status, xs) in &mut pooled {
            xs.sort_by(f64::total_cmp);
            let row = |metric: &str| {
                ci.iter()
                    .find(|r| {
                        r["kind"] == kind
                            && r["dimension"] == "status"
                            && &r["state"] == status
                            && r["metric"] == metric
                    })
                    .unwrap_or_else(|| panic!("no {metric} row for {kind} {status}"))
            };
            for (q, metric) in [
                (0.50, "pooled_p50_sojourn_s"),
                (0.95, "pooled_p95_sojourn_s"),
                (0.99, "pooled_p99_sojourn_s"),
            ] {
                let e = row(metric);
                let exact = nearest_rank(xs, q);
                let written = number(e, "mean").unwrap();
                // The histogram's resolution: exact below 0.128 s, else 1/128.
                assert!(
                    (written - exact).abs() <= exact / 128.0 + 1e-9,
                    "{kind} {status} {metric}: written {written}, stays pooled give {exact}"
                );
                assert_eq!(
                    number(e, "n"),
                    Some(per_replication[status.as_str()].len() as f64),
                    "{e:?}"
                );
                checked += 1;
            }
        }
    }
    // ACTIVE, SHUTOFF, REBOOT, ... of both kinds.
    assert!(checked >= 3 * 8, "only {checked} quantiles checked");

    // The pooled p95 of operation durations: one row per operation, after
    // the per-replication estimates, within the range of the replications'
    // own p95 (a quantile of a mixture lies between those of its parts; the
    // histogram adds at most 1/128).
    let ops = table(&out.join("operations_ci.csv"));
    let per_replication = table(&out.join("operations.csv"));
    let mut with_successes = 0;
    for e in ops
        .iter()
        .filter(|r| r["metric"] == "pooled_p95_duration_s")
    {
        let own: Vec<f64> = per_replication
            .iter()
            .filter(|r| r["kind"] == e["kind"] && r["operation"] == e["operation"])
            .filter_map(|r| number(r, "p95_duration_s"))
            .collect();
        assert_eq!(number(e, "n").unwrap(), own.len() as f64, "{e:?}");
        if let Some(pooled) = number(e, "mean") {
            let lo = own.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = own.iter().copied().fold(0.0, f64::max);
            assert!(
                pooled >= lo * (1.0 - 1.0 / 128.0) && pooled <= hi * (1.0 + 1.0 / 128.0),
                "{e:?}: per replication {own:?}"
            );
            with_successes += 1;
        }
    }
    assert!(with_successes >= 5, "{with_successes}");
}
