//! `fleetsim fit --report`: fit_report.html has one chart per fitted
//! duration of fit_report.csv and shows that file's numbers as it has
//! them, loads nothing, is written only when asked, and joins the fit's
//! other files (refused without --force, renamed before the scenario).

use crate::common::{fleetsim, stderr_of, stdout_of};
use crate::report::{assert_self_contained, charts, csv_rows, read_shown, shown_values};
use std::path::Path;

/// A small fleet with frequent faults: every kind of fitted duration
/// (steps, lifetime, time to fault, repair) in a trace of about 1,400
/// rows.
const SMALL: &str = r#"
name = "small"
seed = 3
horizon = "3d"
[ecs]
initial = 60
arrivals = "20/d"
lifetime = { dist = "lognormal", mean = "2d", cv = 1.0 }
ops_rate = "2/d"
ops_mix = { reboot = 3, stop = 1, start = 1 }
[ecs.faults]
time_to_fault = { dist = "exponential", mean = "4d" }
repair = { dist = "exponential", mean = "2h" }
"#;

/// The columns of fit_report.csv that hold numbers.
const NUMBERS: [&str; 11] = [
    "value",
    "ci95_low",
    "ci95_high",
    "n",
    "censored",
    "ks",
    "aic_exponential",
    "aic_lognormal",
    "aic_gamma",
    "aic_weibull",
    "n_used",
];

/// The `aria-label` of each chart, in page order: its title.
fn chart_titles(html: &str) -> Vec<String> {
    html.match_indices("<svg data-chart=\"")
        .map(|(i, _)| {
            let tag = &html[i..i + html[i..].find('>').unwrap()];
            let label = tag
                .split("aria-label=\"")
                .nth(1)
                .expect("a chart has an aria-label");
            label[..label.find('"').unwrap()].to_string()
        })
        .collect()
}

#[test]
fn the_page_has_a_chart_per_fitted_duration_and_fit_report_csv_s_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("small.toml"), SMALL).unwrap();
    fleetsim()
        .args(["run", "small.toml", "--trace", "--out", "run", "--quiet"])
        .current_dir(d)
        .assert()
        .success();
    let a = fleetsim()
        .args([
            "fit",
            "run/transitions.csv",
            "--out",
            "fit/f.toml",
            "--report",
        ])
        .current_dir(d)
        .assert()
        .success();
    assert!(
        stdout_of(&a).contains(&format!(
            "wrote {}",
            Path::new("fit").join("fit_report.html").display()
        )),
        "{}",
        stdout_of(&a)
    );
    let html = std::fs::read_to_string(d.join("fit/fit_report.html")).unwrap();
    assert_self_contained(&html);
    let rows = csv_rows(&d.join("fit/fit_report.csv"));

    // One chart per duration with a family, titled by its key; the
    // Weibull of the time to fault is drawn on the time to fault's chart.
    let mut durations: Vec<String> = Vec::new();
    // A fixed duration (every one the same) has no curve: the page names it.
    for r in rows.iter().filter(|r| r["family"] == "fixed") {
        assert!(
            html.contains(&format!("No chart for {} (", r["estimate"])),
            "{} is fixed and not named",
            r["estimate"]
        );
    }
    for r in rows
        .iter()
        .filter(|r| !r["family"].is_empty() && r["family"] != "fixed")
    {
        let key = r["estimate"].trim_end_matches(".weibull").to_string();
        if !durations.contains(&key) {
            durations.push(key);
        }
    }
    assert!(
        durations.len() >= 10
            && durations.iter().any(|k| k == "ecs.faults.time_to_fault")
            && durations.iter().any(|k| k == "ecs.lifetime"),
        "too few durations to test: {durations:?}"
    );
    assert_eq!(chart_titles(&html), durations);
    assert_eq!(charts(&html).len(), durations.len());

    // Every number of fit_report.csv is in the table as the file has it,
    // and shown within its rounding; the table shows nothing else.
    let shown = shown_values(&html);
    let mut found = 0;
    for r in &rows {
        let row = vec![
            ("estimate".to_string(), r["estimate"].clone()),
            ("quantity".to_string(), r["quantity"].clone()),
        ];
        for col in NUMBERS {
            let field = &r[col];
            let here = shown
                .iter()
                .find(|s| s.file == "fit_report.csv" && s.row == row && s.col == col);
            let finite = field.parse::<f64>().is_ok_and(f64::is_finite);
            let Some(s) = here else {
                // An interval with an undefined end is one dash.
                assert!(
                    !finite && col.starts_with("ci95"),
                    "{row:?} {col} = {field:?} is not in the page"
                );
                continue;
            };
            found += 1;
            assert_eq!(&s.raw, field, "{row:?} {col}");
            if let (true, Some(unit), Some(text)) = (finite, &s.unit, &s.text) {
                let (v, tolerance) = read_shown(text, unit);
                let want: f64 = field.parse().unwrap();
                assert!(
                    (v - want).abs() <= tolerance,
                    "{row:?} {col}: shown {text}, the file has {field}"
                );
            }
        }
    }
    assert_eq!(found, shown.len(), "values shown that fit_report.csv lacks");
    assert!(
        found >= rows.len() * 8,
        "{found} values for {} rows",
        rows.len()
    );
}

/// A log of two rows: one server, one fault, nothing to draw.
fn tiny_log(dir: &Path) {
    std::fs::write(
        dir.join("t.csv"),
        "time_s,instance,kind,cause,from_status,to_status,vm_state,task_state,bms_state,locked\n\
         0,0,ecs,initial,,ACTIVE,active,null,,false\n\
         86400,0,ecs,fault,ACTIVE,ERROR,error,null,,false\n",
    )
    .unwrap();
}

#[test]
fn the_page_is_written_only_with_report_and_as_the_fit_s_other_files_are() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tiny_log(d);
    let page = d.join("out/fit_report.html");
    let fit = |args: &[&str]| {
        let mut cmd = fleetsim();
        cmd.args(["fit", "t.csv", "--out", "out/f.toml"])
            .args(args)
            .current_dir(d);
        cmd.assert()
    };
    fit(&[]).success();
    assert!(d.join("out/f.toml").exists());
    assert!(!page.exists(), "fit_report.html without --report");
    // Without --report, a page there is not fit's to replace.
    std::fs::write(&page, "mine").unwrap();
    fit(&["--force"]).success();
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "mine");
    // With it, the page is refused as the other files are.
    let a = fit(&["--report"]).code(2);
    assert!(
        stderr_of(&a).contains(&format!(
            "{} exists; give --force",
            Path::new("out").join("fit_report.html").display()
        )),
        "{}",
        stderr_of(&a)
    );
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "mine");
    fit(&["--report", "--force"]).success();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("No duration had two different ended durations"));
    assert_eq!(charts(&html).len(), 0);

    // The page is renamed before the scenario: when its rename fails,
    // nothing was renamed and nothing is left but what was there.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tiny_log(d);
    std::fs::create_dir_all(d.join("out/fit_report.html/x")).unwrap();
    let a = fleetsim()
        .args(["fit", "t.csv", "--out", "out/f.toml", "--report", "--force"])
        .current_dir(d)
        .assert()
        .failure();
    let err = stderr_of(&a);
    assert!(!err.contains("panicked"), "{err}");
    let left: Vec<String> = std::fs::read_dir(d.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["fit_report.html"], "{err}");
}
