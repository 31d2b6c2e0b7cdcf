//! `fleetsim fit`: a trace of known parameters fitted back, censoring that
//! matters, the fitted scenario run again, and malformed logs refused.

use crate::common::{fleetsim, stderr_of};
use std::path::Path;

/// A study with known parameters: lognormal spawning (mean 90 s, cv 0.5),
/// creates failing with probability 0.1, exponential faults of mean 20 d
/// (longer than the 10 d observed, so most fault clocks are censored).
const KNOWN: &str = r#"
name = "known"
seed = 11
horizon = "10d"
[ecs]
initial = 400
arrivals = "150/d"
[ecs.steps]
spawning = { dist = "lognormal", mean = "90s", cv = 0.5 }
[ecs.failures]
create = { prob = 0.1, outcome = "error" }
[ecs.faults]
time_to_fault = { dist = "exponential", mean = "20d" }
repair = { dist = "exponential", mean = "2h" }
"#;

fn estimate(report: &serde_json::Value, key: &str, quantity: &str) -> (f64, f64, f64) {
    let e = report["estimates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["estimate"] == key && e["quantity"] == quantity)
        .unwrap_or_else(|| panic!("no estimate {key} {quantity}"));
    let f = |k: &str| e[k].as_f64().unwrap_or(f64::NAN);
    (f("value"), f("ci95_low"), f("ci95_high"))
}

fn fitted(dir: &Path) -> serde_json::Value {
    std::fs::write(dir.join("known.toml"), KNOWN).unwrap();
    fleetsim()
        .args(["run", "known.toml", "--trace", "--out", "run", "--quiet"])
        .current_dir(dir)
        .assert()
        .success();
    fleetsim()
        .args(["fit", "run/transitions.csv", "--out", "fit/fitted.toml"])
        .current_dir(dir)
        .assert()
        .success();
    let text = std::fs::read_to_string(dir.join("fit/fit_report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn known_parameters_are_recovered_within_their_intervals_and_the_fit_runs() {
    let dir = tempfile::tempdir().unwrap();
    let report = fitted(dir.path());
    let day = 86_400.0;
    for (key, quantity, truth) in [
        ("ecs.steps.spawning", "mean_s", 90.0),
        ("ecs.steps.spawning", "cv", 0.5),
        ("ecs.failures.create.prob", "prob", 0.1),
        ("ecs.faults.time_to_fault", "mean_s", 20.0 * day),
        ("ecs.arrivals", "per_day", 150.0),
    ] {
        let (v, lo, hi) = estimate(&report, key, quantity);
        assert!(
            lo <= truth && truth <= hi,
            "{key} {quantity}: {truth} not in {lo}..{hi} (estimate {v})"
        );
    }
    // The fitted scenario loads and runs as it is.
    fleetsim()
        .args([
            "run",
            "fit/fitted.toml",
            "--horizon",
            "1d",
            "--out",
            "again",
            "--quiet",
        ])
        .current_dir(dir.path())
        .assert()
        .success();
    let csv = std::fs::read_to_string(dir.path().join("fit/fit_report.csv")).unwrap();
    assert!(csv.starts_with("estimate,quantity,value,ci95_low,ci95_high,n,censored,family,ks,"));
}

#[test]
fn dropping_censored_fault_clocks_is_biased_and_the_censored_estimate_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let report = fitted(dir.path());
    let truth = 20.0 * 86_400.0;
    let (naive, ..) = estimate(
        &report,
        "ecs.faults.time_to_fault.uncensored_only",
        "mean_s",
    );
    assert!(
        naive < truth / 3.0,
        "naive mean {naive} is not far below {truth}"
    );
    let (mle, lo, hi) = estimate(&report, "ecs.faults.time_to_fault", "mean_s");
    assert!(
        lo <= truth && truth <= hi,
        "{truth} not in {lo}..{hi} ({mle})"
    );
    let (_, wlo, whi) = estimate(&report, "ecs.faults.time_to_fault.weibull", "shape");
    assert!(
        wlo <= 1.0 && 1.0 <= whi,
        "Weibull shape interval {wlo}..{whi} misses 1"
    );
}

#[test]
fn malformed_logs_are_refused_naming_the_line_and_nothing_is_written() {
    let header =
        "time_s,instance,kind,cause,from_status,to_status,vm_state,task_state,bms_state,locked\n";
    let good = "0,0,ecs,initial,,ACTIVE,active,null,,false\n";
    for (name, text, says) in [
        (
            "header",
            "time,instance\n0,0\n".to_string(),
            "line 1: the header is",
        ),
        (
            "time",
            format!("{header}{good}x1,0,ecs,fault,ACTIVE,ERROR,error,null,,false\n"),
            "line 3, column time_s: \"x1\" is not a time",
        ),
        (
            "kind",
            format!("{header}{good}5,0,vm,fault,ACTIVE,ERROR,error,null,,false\n"),
            "line 3, column kind: \"vm\" is not a kind",
        ),
        (
            "backwards",
            format!(
                "{header}10,0,ecs,initial,,ACTIVE,active,null,,false\n5,0,ecs,fault,ACTIVE,ERROR,error,null,,false\n"
            ),
            "line 3, column time_s: 5 is before",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.csv"), text).unwrap();
        let a = fleetsim()
            .args(["fit", "t.csv", "--out", "out/f.toml"])
            .current_dir(dir.path())
            .assert()
            .code(2);
        let err = stderr_of(&a);
        assert!(err.contains(&format!("t.csv: {says}")), "{name}: {err}");
        assert!(
            !dir.path().join("out").exists(),
            "{name}: something was written"
        );
    }
}

#[test]
fn a_fit_that_cannot_write_a_file_leaves_no_scenario_and_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("t.csv"),
        "time_s,instance,kind,cause,from_status,to_status,vm_state,task_state,bms_state,locked\n\
         0,0,ecs,initial,,ACTIVE,active,null,,false\n\
         86400,0,ecs,fault,ACTIVE,ERROR,error,null,,false\n",
    )
    .unwrap();
    // A folder where fit_report.json would go: its rename fails, so the
    // scenario, renamed last, must not appear either.
    std::fs::create_dir_all(d.join("out/fit_report.json/x")).unwrap();
    let a = fleetsim()
        .args(["fit", "t.csv", "--out", "out/f.toml", "--force"])
        .current_dir(d)
        .assert()
        .failure();
    let err = stderr_of(&a);
    assert!(!err.contains("panicked"), "{err}");
    let mut left: Vec<String> = std::fs::read_dir(d.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["fit_report.json"], "{err}");
}

#[test]
fn a_lock_in_the_middle_of_an_operation_leaves_its_step_and_its_count_alone() {
    // Nova takes a lock whatever the server is doing: six reboots each
    // with a lock row inside their first step, and one reboot that fails.
    let mut text =
        "time_s,instance,kind,cause,from_status,to_status,vm_state,task_state,bms_state,locked\n"
            .to_string();
    for i in 0..7u32 {
        text += &format!("0,{i},ecs,initial,,ACTIVE,active,null,,false\n");
    }
    for i in 0..6u32 {
        let t0 = 100.0 + f64::from(i);
        let steps = [
            2.0 + f64::from(i),
            5.0 + f64::from(i),
            30.0 + 3.0 * f64::from(i),
        ];
        let (t1, t2) = (t0 + steps[0], t0 + steps[0] + steps[1]);
        let t3 = t2 + steps[2];
        text += &format!(
            "{t0},{i},ecs,reboot,ACTIVE,REBOOT,active,rebooting,,false\n\
             {},{i},ecs,lock,REBOOT,REBOOT,active,rebooting,,true\n\
             {t1},{i},ecs,reboot,REBOOT,REBOOT,active,reboot_pending,,true\n\
             {t2},{i},ecs,reboot,REBOOT,REBOOT,active,reboot_started,,true\n\
             {t3},{i},ecs,reboot,REBOOT,ACTIVE,active,null,,true\n",
            t0 + 1.0
        );
    }
    text += "100,6,ecs,reboot,ACTIVE,REBOOT,active,rebooting,,false\n\
             105,6,ecs,reboot_failed,REBOOT,ACTIVE,active,null,,false\n\
             1000,6,ecs,stop,ACTIVE,ACTIVE,active,powering-off,,false\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.csv"), text).unwrap();
    fleetsim()
        .args(["fit", "t.csv", "--out", "out/f.toml"])
        .current_dir(dir.path())
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/fit_report.json")).unwrap(),
    )
    .unwrap();
    let n = |key: &str, quantity: &str| {
        report["estimates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["estimate"] == key && e["quantity"] == quantity)
            .unwrap_or_else(|| panic!("no {key} {quantity}"))["n"]
            .as_u64()
            .unwrap()
    };
    // Each step ended six times, the lock inside the first notwithstanding
    // (the first also a seventh time, when the failed reboot failed).
    for (step, ended) in [
        ("rebooting", 7),
        ("reboot_pending", 6),
        ("reboot_started", 6),
    ] {
        assert_eq!(n(&format!("ecs.steps.{step}"), "mean_s"), ended, "{step}");
    }
    // Seven reboots were started, not thirteen.
    assert_eq!(n("ecs.failures.reboot.prob", "prob"), 7);
}

#[test]
fn a_step_a_watchdog_cut_short_is_censored_and_a_fixed_duration_is_written_fixed() {
    let mut text =
        "time_s,instance,kind,cause,from_status,to_status,vm_state,task_state,bms_state,locked\n"
            .to_string();
    for i in 0..6u32 {
        text += &format!("0,{i},ecs,initial,,ACTIVE,active,null,,false\n");
        let t0 = 100.0 + f64::from(i);
        text += &format!("{t0},{i},ecs,reboot,ACTIVE,REBOOT,active,rebooting,,false\n");
        if i < 4 {
            let t1 = t0 + 2.0 + f64::from(i);
            text += &format!("{t1},{i},ecs,reboot,REBOOT,ACTIVE,active,null,,false\n");
            // Then deleted, and purged 5 minutes later (or 4 for one).
            let (t2, t3) = (t1 + 100.0, t1 + 110.0);
            let purge = t3 + if i == 3 { 240.0 } else { 300.0 };
            text += &format!(
                "{t2},{i},ecs,delete,ACTIVE,ACTIVE,active,deleting,,false\n\
                 {t3},{i},ecs,delete,ACTIVE,DELETED,deleted,null,,false\n\
                 {purge},{i},ecs,purge,DELETED,,,,,false\n"
            );
        } else {
            // Cut short by the watchdog after 30 minutes.
            let t1 = t0 + 1800.0;
            text += &format!("{t1},{i},ecs,reboot_timeout,REBOOT,ERROR,error,null,,false\n");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.csv"), text).unwrap();
    fleetsim()
        .args(["fit", "t.csv", "--out", "out/f.toml"])
        .current_dir(dir.path())
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/fit_report.json")).unwrap(),
    )
    .unwrap();
    let step = report["estimates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["estimate"] == "ecs.steps.rebooting" && e["quantity"] == "mean_s")
        .expect("no ecs.steps.rebooting");
    assert_eq!(
        (step["n"].as_u64(), step["censored"].as_u64()),
        (Some(4), Some(2)),
        "{step}"
    );
    // Two of six lasted over 30 minutes: the mean is far above the four
    // that ended (2 to 5 s).
    assert!(step["value"].as_f64().unwrap() > 100.0, "{step}");
    // A duration that never varies is written as that fixed value: not the
    // purge delay here (one took 4 minutes, and a fitted family says so),
    // but with all four at 5 minutes it is.
    let purge = |report: &serde_json::Value| {
        report["estimates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["estimate"] == "ecs.deleted_for" && e["quantity"] == "mean_s")
            .map(|e| {
                (
                    e["family"].as_str().unwrap().to_string(),
                    e["value"].as_f64().unwrap(),
                )
            })
    };
    assert_ne!(purge(&report).map(|p| p.0), Some("fixed".into()));
    let fixed = std::fs::read_to_string(dir.path().join("t.csv"))
        .unwrap()
        .replace(",3,ecs,purge", ",3,ecs,purge_")
        .lines()
        .map(|l| {
            if l.contains("purge_") {
                let t: f64 = l.split(',').next().unwrap().parse().unwrap();
                format!("{},3,ecs,purge,DELETED,,,,,false", t + 60.0)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.path().join("t.csv"), fixed + "\n").unwrap();
    fleetsim()
        .args(["fit", "t.csv", "--out", "out/f.toml", "--force"])
        .current_dir(dir.path())
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/fit_report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(purge(&report), Some(("fixed".into(), 300.0)));
    let toml = std::fs::read_to_string(dir.path().join("out/f.toml")).unwrap();
    assert!(toml.contains("deleted_for = \"300s\""), "{toml}");
}

#[test]
fn bms_billing_freezes_are_fitted_with_their_intervals() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("frozen.toml"),
        r#"
name = "frozen"
seed = 3
horizon = "15d"
[bms]
initial = 600
[bms.freeze]
rate = "24/y"
renew_prob = 0.6
renew_delay = { dist = "exponential", mean = "2d" }
retention = "5d"
"#,
    )
    .unwrap();
    fleetsim()
        .args(["run", "frozen.toml", "--trace", "--out", "run", "--quiet"])
        .current_dir(dir.path())
        .assert()
        .success();
    fleetsim()
        .args(["fit", "run/transitions.csv", "--out", "fit/fitted.toml"])
        .current_dir(dir.path())
        .assert()
        .success();
    let text = std::fs::read_to_string(dir.path().join("fit/fit_report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    // An owner who would renew after the retention is too late: the
    // renewals the log can show are 0.6 × P(delay < 5 d). Counting every
    // renewal seen over renewals and deletions would give about 0.62 here
    // (a freeze of the last 5 days can be seen renewed, never deleted),
    // which this interval excludes.
    let renewing = 0.6 * (1.0 - (-2.5f64).exp());
    for (key, quantity, truth) in [
        ("bms.freeze.rate", "per_day", 24.0 / 365.0),
        ("bms.freeze.renew_prob", "prob", renewing),
    ] {
        let (v, lo, hi) = estimate(&report, key, quantity);
        assert!(
            lo <= truth && truth <= hi,
            "{key} {quantity}: {truth} not in {lo}..{hi} (estimate {v})"
        );
    }
    let toml = std::fs::read_to_string(dir.path().join("fit/fitted.toml")).unwrap();
    assert!(toml.contains("retention = \"432000s\""), "{toml}");
}

#[test]
fn daily_and_weekly_arrival_shapes_are_fitted_and_a_flat_demand_gets_none() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shaped.toml"),
        r#"
name = "shaped"
seed = 9
horizon = "28d"
[ecs]
initial = 0
lifetime = { dist = "exponential", mean = "2d" }
[ecs.arrivals]
base = "600/d"
daily = { amplitude = 0.8, peak_hour = 14 }
weekly = [1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.4]
"#,
    )
    .unwrap();
    fleetsim()
        .args(["run", "shaped.toml", "--trace", "--out", "run", "--quiet"])
        .current_dir(dir.path())
        .assert()
        .success();
    fleetsim()
        .args(["fit", "run/transitions.csv", "--out", "fit/fitted.toml"])
        .current_dir(dir.path())
        .assert()
        .success();
    let text = std::fs::read_to_string(dir.path().join("fit/fit_report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The truth, each hour's mean of 1 + 0.8 cos(2π(x − 14)/24) and each
    // day's multiplier over their mean (the fit's are normalised so).
    let tau = std::f64::consts::TAU;
    let wave = |h: f64| {
        1.0 + 0.8 * 24.0 / tau
            * ((tau * (h + 1.0 - 14.0) / 24.0).sin() - (tau * (h - 14.0) / 24.0).sin())
    };
    let week = [1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.4];
    let week_mean = week.iter().sum::<f64>() / 7.0;
    let mut truths: Vec<(String, f64)> = (0..24)
        .map(|h| (format!("ecs.arrivals.daily.{h}"), wave(f64::from(h))))
        .collect();
    truths.extend((0..7).map(|d| (format!("ecs.arrivals.weekly.{d}"), week[d] / week_mean)));
    let mut missed = vec![];
    for (key, truth) in &truths {
        let (v, lo, hi) = estimate(&report, key, "multiplier");
        if !(lo <= *truth && *truth <= hi) {
            missed.push(format!("{key}: {truth} not in {lo}..{hi} (estimate {v})"));
        }
    }
    // 31 intervals of 95%: more than 5 missing has probability 0.5%.
    assert!(missed.len() <= 5, "{}", missed.join("\n"));
    let toml = std::fs::read_to_string(dir.path().join("fit/fitted.toml")).unwrap();
    assert!(
        toml.contains("daily = [") && toml.contains("weekly = ["),
        "{toml}"
    );
    // The fitted scenario runs, and a flat demand is given no shape.
    let flat_dir = tempfile::tempdir().unwrap();
    let flat = fitted(flat_dir.path());
    assert!(
        flat["estimates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["estimate"] == "ecs.arrivals.daily" && e["value"].as_f64().unwrap() > 0.001)
    );
    let known = std::fs::read_to_string(flat_dir.path().join("fit/fitted.toml")).unwrap();
    assert!(known.contains("no daily shape"), "{known}");
}

/// Found by mutating logs at random: a log missing rows, a time that is
/// ages off, and instance actions that show no server must be said as
/// problems of the log (or fitted around), never as a fitted file that
/// does not load (exit 1, "a bug of fleetsim fit") or a fit that does not
/// end.
#[test]
fn logs_with_rows_missing_or_times_ages_off_are_fitted_around_or_refused() {
    let header =
        "time_s,instance,kind,cause,from_status,to_status,vm_state,task_state,bms_state,locked\n";
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fit = |log: &str, extra: &[&str]| {
        let mut cmd = fleetsim();
        cmd.args(["fit", log, "--out", "out/f.toml", "--force"])
            .args(extra);
        cmd.current_dir(d).assert()
    };
    // A start seen from ACTIVE (the stop's rows lost): the scenario cannot
    // hold it, so it is left out and named.
    let mut text = header.to_string();
    for i in 0..4 {
        text += &format!("0,{i},ecs,initial,,ACTIVE,active,null,,false\n");
        text += &format!(
            "{},{i},ecs,reboot,ACTIVE,REBOOT,active,rebooting,,false\n",
            100 + i
        );
        text += &format!(
            "{},{i},ecs,reboot,REBOOT,ACTIVE,active,null,,false\n",
            110 + i
        );
    }
    text += "200,0,ecs,start,ACTIVE,SHUTOFF,stopped,powering-on,,false\n";
    text += "210,0,ecs,start,SHUTOFF,ACTIVE,active,null,,false\n";
    std::fs::write(d.join("lost.csv"), &text).unwrap();
    fit("lost.csv", &[]).success();
    let toml = std::fs::read_to_string(d.join("out/f.toml")).unwrap();
    let active = toml
        .lines()
        .find(|l| l.starts_with("behaviour.ACTIVE"))
        .unwrap_or_else(|| panic!("{toml}"));
    assert!(!active.contains("start ="), "{active}");
    assert!(
        active.contains("refuses them (rows missing from the log?): start 1"),
        "{active}"
    );
    // A time 10^22 s on: refused naming the line, or skipped.
    let text = format!(
        "{header}0,0,ecs,initial,,ACTIVE,active,null,,false\n10000000000000000000000,0,ecs,fault,ACTIVE,ERROR,error,null,,false\n5,1,ecs,initial,,ACTIVE,active,null,,false\n"
    );
    std::fs::write(d.join("ages.csv"), text).unwrap();
    let err = String::from_utf8(fit("ages.csv", &[]).code(2).get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("ages.csv: line 3, column time_s: 10000000000000000000000 is"),
        "{err}"
    );
    fit("ages.csv", &["--skip-bad"]).success();
    // Instance actions of only unmodelled actions show no server.
    std::fs::write(
        d.join("a.json"),
        "{\"server\": \"x\", \"instanceActions\": [{\"action\": \"pause\", \"start_time\": \"2024-03-01T00:00:00Z\"}]}\n",
    )
    .unwrap();
    let err = String::from_utf8(fit("a.json", &[]).code(2).get_output().stderr.clone()).unwrap();
    assert!(err.contains("the logs hold nothing to fit"), "{err}");
}

#[test]
fn a_fitted_duration_longer_than_a_scenario_takes_is_written_as_100_years_and_said() {
    // One fault in 20 servers over 2,000 days: a mean time to fault of
    // 40,000 server-days, beyond the 100 years (36,500 days) a scenario
    // takes. Before, the fitted file did not load (exit 1); the fuzzer
    // found it.
    let mut text =
        "time_s,instance,kind,cause,from_status,to_status,vm_state,task_state,bms_state,locked\n"
            .to_string();
    let day = 86_400.0;
    for i in 0..20u32 {
        text += &format!("0,{i},ecs,initial,,ACTIVE,active,null,,false\n");
    }
    text += &format!(
        "{},3,ecs,fault,ACTIVE,ERROR,error,null,,false\n",
        1000.0 * day
    );
    text += &format!(
        "{},3,ecs,reset_state,ERROR,ACTIVE,active,null,,false\n",
        1000.0 * day + 3600.0
    );
    text += &format!(
        "{},4,ecs,reboot,ACTIVE,REBOOT,active,rebooting,,false\n",
        2000.0 * day
    );
    text += &format!(
        "{},4,ecs,reboot,REBOOT,ACTIVE,active,null,,false\n",
        2000.0 * day + 5.0
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.csv"), text).unwrap();
    fleetsim()
        .args(["fit", "t.csv", "--out", "out/f.toml"])
        .current_dir(dir.path())
        .assert()
        .success();
    let toml = std::fs::read_to_string(dir.path().join("out/f.toml")).unwrap();
    assert!(toml.contains("\"3153600000s\""), "{toml}");
    assert!(
        toml.starts_with(
            "# Written as 100 years, the longest duration a scenario takes, though fitted longer"
        ) && toml
            .lines()
            .next()
            .unwrap()
            .contains("ecs.faults.time_to_fault"),
        "{toml}"
    );
}
