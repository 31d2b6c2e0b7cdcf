//! `fleetsim report` and `--report`: the page's numbers are the files'
//! (every value the page shows carries its file, row and column, and is
//! looked up again here), every chart the report promises is there for
//! a run, a run with capacity, two sweeps, a plan and two comparisons, the
//! page refers to nothing outside itself, and a folder that is not a
//! result is refused with exit 2 and nothing written.

use crate::common::{fleetsim, stderr_of, stdout_of};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Undoes the escaping of [`fleetsim::report::html::esc`].
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The attributes of the tag starting at `html[start..]`, up to its `>`.
fn attributes(tag: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq]
            .rsplit(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("")
            .to_string();
        let after = &rest[eq + 2..];
        let end = after.find('"').expect("a closing quote");
        out.insert(name, unescape(&after[..end]));
        rest = &after[end + 1..];
    }
    out
}

/// One value the page shows: its source, and its text when it is a
/// table's value.
#[derive(Debug)]
pub(crate) struct Shown {
    pub(crate) file: String,
    pub(crate) row: Vec<(String, String)>,
    pub(crate) col: String,
    pub(crate) raw: String,
    pub(crate) unit: Option<String>,
    pub(crate) text: Option<String>,
}

/// Every element of the page that names its source.
pub(crate) fn shown_values(html: &str) -> Vec<Shown> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = html[from..].find(" data-file=\"") {
        let at = from + at;
        let open = html[..at].rfind('<').expect("inside a tag");
        let close = at + html[at..].find('>').expect("a tag's end");
        let attrs = attributes(&html[open..close]);
        let row: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&attrs["data-row"]).expect("data-row is a JSON object");
        let text = attrs.get("data-unit").map(|_| {
            let body = &html[close + 1..];
            unescape(&body[..body.find('<').expect("a closing tag")])
        });
        out.push(Shown {
            file: attrs["data-file"].clone(),
            row: row
                .into_iter()
                .map(|(k, v)| (k, v.as_str().unwrap().to_string()))
                .collect(),
            col: attrs["data-col"].clone(),
            raw: attrs["data-v"].clone(),
            unit: attrs.get("data-unit").cloned(),
            text,
        });
        from = close;
    }
    out
}

/// The number a table shows and how far from the value it may be, given
/// the digits shown: `94.2%`, `1,862`, `2.82 h`.
pub(crate) fn read_shown(text: &str, unit: &str) -> (f64, f64) {
    let (number, scale) = match unit {
        "share" => (text.trim_end_matches('%'), 0.01),
        "count" => (text, 1.0),
        "seconds" => {
            let (n, u) = text.split_once(' ').expect("a duration has a unit");
            let scale = match u {
                "s" => 1.0,
                "min" => 60.0,
                "h" => 3600.0,
                "d" => 86400.0,
                other => panic!("unknown unit {other} in {text}"),
            };
            (n, scale)
        }
        // A difference of shares in percentage points, signed: `+7.985`.
        "points" => (text, 0.01),
        other => panic!("unknown data-unit {other}"),
    };
    let number = number.replace(',', "");
    let decimals = number.split_once('.').map_or(0, |(_, d)| d.len());
    let v: f64 = number
        .parse()
        .unwrap_or_else(|_| panic!("{text} is not a number"));
    (
        v * scale,
        0.5 * 10f64.powi(-(decimals as i32)) * scale * 1.000001,
    )
}

/// Checks every value the page at `dir/report.html` shows against the file
/// it names, and returns the page and how many values were checked.
fn check_numbers(dir: &Path) -> (String, usize) {
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let mut files: BTreeMap<String, (csv::StringRecord, Vec<csv::StringRecord>)> = BTreeMap::new();
    // Per file and naming columns, the rows by their values in those
    // columns (a page shows thousands of values).
    type Index = BTreeMap<Vec<String>, Vec<usize>>;
    let mut indices: BTreeMap<(String, Vec<String>), Index> = BTreeMap::new();
    let shown = shown_values(&html);
    for s in &shown {
        let (header, rows) = files.entry(s.file.clone()).or_insert_with(|| {
            let mut r = csv::Reader::from_path(dir.join(&s.file))
                .unwrap_or_else(|e| panic!("{}: {e}", s.file));
            let header = r.headers().unwrap().clone();
            (header, r.records().map(Result::unwrap).collect())
        });
        let col = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{} has no column {name}", s.file))
        };
        let names: Vec<String> = s.row.iter().map(|(k, _)| k.clone()).collect();
        let index = indices
            .entry((s.file.clone(), names.clone()))
            .or_insert_with(|| {
                let at: Vec<usize> = names.iter().map(|n| col(n)).collect();
                let mut index = Index::new();
                for (i, r) in rows.iter().enumerate() {
                    let key = at.iter().map(|&c| r[c].to_string()).collect();
                    index.entry(key).or_default().push(i);
                }
                index
            });
        let values: Vec<String> = s.row.iter().map(|(_, v)| v.clone()).collect();
        let matching = index.get(&values).map_or(&[][..], Vec::as_slice);
        assert_eq!(
            matching.len(),
            1,
            "{s:?}: the row it names is not exactly one row of {}",
            s.file
        );
        assert_eq!(
            rows[matching[0]][col(&s.col)],
            s.raw,
            "{s:?}: the page's value is not the file's"
        );
        if let (Some(unit), Some(text)) = (&s.unit, &s.text) {
            let value: f64 = s.raw.parse().unwrap();
            let (read, tolerance) = read_shown(text, unit);
            assert!(
                (read - value).abs() <= tolerance + value.abs() * 1e-12,
                "{s:?}: shows {text}, which is not {value} to the digits shown"
            );
        }
    }
    (html, shown.len())
}

/// The charts of the page, by name, and checks that each is an inline SVG
/// and that the page counts them right.
pub(crate) fn charts(html: &str) -> Vec<String> {
    let names: Vec<String> = html
        .match_indices("<svg data-chart=\"")
        .map(|(i, m)| {
            let rest = &html[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect();
    assert_eq!(
        names.len(),
        html.matches("<svg").count(),
        "every SVG is a named chart"
    );
    let declared = html
        .split("<meta name=\"fleetsim-charts\" content=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|n| n.parse::<usize>().ok())
        .expect("the page declares its number of charts");
    assert_eq!(declared, names.len(), "the declared number of charts");
    names
}

/// Asserts the page loads nothing: no URL in a `src` or `href`, no
/// script, style sheet, image, frame or font from elsewhere, and no
/// `http(s)://` anywhere (the inline SVGs carry no namespace URL).
pub(crate) fn assert_self_contained(html: &str) {
    for attr in ["src=", "href="] {
        for (i, _) in html.match_indices(attr) {
            let value = html[i + attr.len()..].trim_start_matches(['"', '\'']);
            assert!(
                value.starts_with('#'),
                "{attr} refers outside the page: {}",
                &html[i..(i + 80).min(html.len())]
            );
        }
    }
    for needle in [
        "http://",
        "https://",
        "<script src",
        "<link",
        "<img",
        "<iframe",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(needle), "the page has {needle}");
    }
}

/// Runs fleetsim with `args`, which must succeed.
fn run(args: &[&str], out: &Path) -> String {
    let a = fleetsim()
        .args(args)
        .arg("--quiet")
        .arg("--out")
        .arg(out)
        .assert()
        .success();
    stdout_of(&a)
}

/// Asserts the page has every chart in `want`.
fn assert_charts(html: &str, want: &[&str]) {
    let names = charts(html);
    for w in want {
        assert!(
            names.iter().any(|n| n == w),
            "no chart {w}; the page has {names:?}"
        );
    }
}

#[test]
fn a_run_report_shows_the_files_numbers_and_every_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("baseline");
    let stdout = run(
        &[
            "run",
            "scenarios/baseline.toml",
            "--horizon",
            "3d",
            "--warmup",
            "1d",
            "--report",
        ],
        &out,
    );
    assert!(stdout.contains("report.html: 10 charts"), "{stdout}");
    let (html, checked) = check_numbers(&out);
    assert!(checked > 300, "only {checked} values checked");
    assert_self_contained(&html);
    assert_charts(
        &html,
        &[
            "occupancy-ecs",
            "rare-ecs",
            "shares-ecs",
            "sojourn-ecs",
            "operations-ecs",
            "occupancy-bms",
            "rare-bms",
            "shares-bms",
            "sojourn-bms",
            "operations-bms",
        ],
    );
    // The readout over the occupancy chart holds the file's counts (3 days
    // every 15 minutes: every sample is drawn).
    let readout: serde_json::Value = {
        let tag = "<script type=\"application/json\" data-readout=\"occupancy-ecs\">";
        let start = html.find(tag).expect("a readout for occupancy-ecs") + tag.len();
        serde_json::from_str(&html[start..start + html[start..].find("</script>").unwrap()])
            .unwrap()
    };
    let mut csv = csv::Reader::from_path(out.join("occupancy_status.csv")).unwrap();
    let header = csv.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let ecs: Vec<csv::StringRecord> = csv
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[col("kind")] == "ecs")
        .collect();
    assert_eq!(readout["px"].as_array().unwrap().len(), ecs.len());
    assert_eq!(readout["t"][4], "0 d 01:00");
    let series = readout["s"].as_array().unwrap();
    for status in ["ACTIVE", "SHUTOFF", "ERROR"] {
        let values = &series.iter().find(|s| s[0] == status).unwrap()[2];
        for (i, row) in ecs.iter().enumerate() {
            assert_eq!(
                values[i].as_f64().unwrap(),
                row[col(status)].parse::<f64>().unwrap(),
                "{status} at sample {i}"
            );
        }
    }
    // The header says what was run.
    for fact in [
        "<dd>baseline</dd>",
        "<dd>42</dd>",
        "<dd>3 d</dd>",
        "<dd>1 d</dd>",
    ] {
        assert!(html.contains(fact), "no {fact}");
    }
    // The report is written after the manifest, which does not list it.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert!(
        !manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "report.html")
    );
    // `fleetsim report` makes the same page of the same files (the run
    // wrote it the same way), and replaces it.
    let before = std::fs::read(out.join("report.html")).unwrap();
    let a = fleetsim().arg("report").arg(&out).assert().success();
    assert!(stdout_of(&a).contains("report.html: 10 charts"));
    assert_eq!(std::fs::read(out.join("report.html")).unwrap(), before);
    // A forced rerun without --report removes the earlier run's report,
    // which would describe results no longer there.
    run(
        &[
            "run",
            "scenarios/baseline.toml",
            "--horizon",
            "2d",
            "--warmup",
            "1d",
            "--force",
        ],
        &out,
    );
    assert!(!out.join("report.html").exists());
}

#[test]
fn a_capacity_report_shows_pools_blocking_and_failures() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("crunch");
    run(
        &[
            "run",
            "scenarios/capacity-crunch.toml",
            "--horizon",
            "3d",
            "--warmup",
            "1d",
            "--replications",
            "2",
            "--report",
        ],
        &out,
    );
    let (html, checked) = check_numbers(&out);
    assert!(checked > 500, "only {checked} values checked");
    assert_self_contained(&html);
    assert_charts(
        &html,
        &[
            "occupancy-ecs",
            "rare-ecs",
            "shares-bms",
            "sojourn-ecs",
            "operations-bms",
            "utilisation-general",
            "utilisation-physical-s4-medium",
            "utilisation-physical-s4-large",
            "blocked",
            "blocked-flavors",
            "failures",
        ],
    );
    // Blocking per flavor, from its own files.
    assert!(html.contains("data-file=\"capacity_flavors_ci.csv\""));
    // With replications, intervals: the headline's share CI, from
    // summary_ci.csv.
    assert!(html.contains("data-file=\"summary_ci.csv\""));
    assert!(html.contains("data-col=\"ci95_low\""));
    // Every failure of host_failures.csv is on the timeline.
    let failures = std::fs::read_to_string(out.join("host_failures.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert!(failures > 0);
    assert_eq!(
        html.matches("data-file=\"host_failures.csv\"").count(),
        failures
    );
}

#[test]
fn sweep_reports_draw_every_metric_against_the_parameter() {
    let tmp = tempfile::tempdir().unwrap();
    // ERROR share against the time to fault (a duration, in hours).
    let mtbf = tmp.path().join("mtbf");
    run(
        &[
            "run",
            "scenarios/whatif-mtbf.toml",
            "--horizon",
            "2d",
            "--warmup",
            "1d",
            "--replications",
            "2",
        ],
        &mtbf,
    );
    fleetsim().arg("report").arg(&mtbf).assert().success();
    let (html, checked) = check_numbers(&mtbf);
    assert!(checked > 1000, "only {checked} values checked");
    assert_self_contained(&html);
    assert_charts(
        &html,
        &[
            "sweep-ecs-ERROR-share",
            "sweep-ecs-availability",
            "p0-occupancy-ecs",
            "p3-shares-ecs",
            "p3-operations-ecs",
        ],
    );
    assert!(html.contains("ecs.faults.time_to_fault.scale (hours)"));
    // The x axis is numeric, in hours: 4000 h is at 4000.
    assert!(html.contains("\n4000\n</text>"), "no 4000 h label");
    // Blocking against the number of hosts.
    let plan = tmp.path().join("capacity-plan");
    run(
        &[
            "run",
            "scenarios/capacity-plan.toml",
            "--horizon",
            "6d",
            "--warmup",
            "2d",
            "--replications",
            "2",
            "--report",
        ],
        &plan,
    );
    let (html, _) = check_numbers(&plan);
    assert_self_contained(&html);
    assert_charts(
        &html,
        &[
            "sweep-general-blocked-share",
            "sweep-general-utilisation-mean",
            "sweep-ecs-ERROR-share",
            "p0-utilisation-general",
            "p0-blocked",
            "p5-occupancy-ecs",
        ],
    );
    assert!(html.contains("data-file=\"sweep.csv\""));
    assert!(html.contains("data-file=\"point-5/summary_ci.csv\""));
}

#[test]
fn a_plan_report_draws_the_curve_against_the_target() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("plan");
    let stdout = run(
        &[
            "plan",
            "scenarios/capacity-plan.toml",
            "--pool",
            "general",
            "--target",
            "blocked_share <= 0.05",
            "--horizon",
            "6d",
            "--warmup",
            "2d",
            "--min",
            "60",
            "--max",
            "100",
            "--max-replications",
            "5",
            "--report",
        ],
        &out,
    );
    assert!(stdout.contains("report.html: 1 charts"), "{stdout}");
    let (html, checked) = check_numbers(&out);
    let sizes = std::fs::read_to_string(out.join("plan.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    // Each size: its mark, and the table's replications, mean and interval.
    assert_eq!(checked, 5 * sizes);
    assert_self_contained(&html);
    assert_charts(&html, &["plan-general"]);
    assert!(html.contains("blocked_share &lt;= 0.05"));
}

/// A result folder with its files, to break.
fn complete_folder(root: &Path) -> PathBuf {
    let out = root.join("quick");
    run(
        &[
            "run",
            "scenarios/quick.toml",
            "--horizon",
            "2d",
            "--warmup",
            "1d",
        ],
        &out,
    );
    out
}

#[test]
fn a_folder_that_is_not_a_result_is_refused_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let refused = |dir: &Path, says: &[&str]| {
        let a = fleetsim().arg("report").arg(dir).assert().code(2);
        let err = stderr_of(&a);
        assert!(err.contains(&dir.display().to_string()), "{err}");
        for s in says {
            assert!(err.contains(s), "{err} does not say {s}");
        }
        if dir.is_dir() {
            assert!(!dir.join("report.html").exists());
            assert!(!dir.join("report.html.partial").exists());
        }
    };
    // An empty folder, a missing one, a file.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    refused(&empty, &["not a complete result folder", "manifest.json"]);
    refused(&tmp.path().join("missing"), &["no such folder"]);
    let file = tmp.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    refused(&file, &["not a folder"]);
    // A run's folder missing a file, with a broken manifest, or a value
    // that is not a number: every problem named.
    let out = complete_folder(tmp.path());
    std::fs::remove_file(out.join("summary.csv")).unwrap();
    std::fs::remove_file(out.join("operations.csv")).unwrap();
    refused(&out, &["summary.csv", "operations.csv", "cannot be read"]);
    let out = complete_folder(&tmp.path().join("b"));
    std::fs::write(out.join("manifest.json"), "{\"seed\": 1}").unwrap();
    refused(&out, &["manifest.json", "missing field"]);
    let out = complete_folder(&tmp.path().join("c"));
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let broken: Vec<String> = summary
        .lines()
        .map(|line| {
            if line.starts_with("0,ecs,status,ACTIVE,") {
                let mut fields: Vec<&str> = line.split(',').collect();
                fields[4] = "lots";
                fields.join(",")
            } else {
                line.to_string()
            }
        })
        .collect();
    std::fs::write(out.join("summary.csv"), broken.join("\n") + "\n").unwrap();
    refused(
        &out,
        &[
            "summary.csv: line",
            "column mean_count: \"lots\" is not a number",
        ],
    );
    // A report that cannot be written is a failure (exit 1), not bad input.
    let out = complete_folder(&tmp.path().join("d"));
    let a = fleetsim()
        .arg("report")
        .arg(&out)
        .arg("--out")
        .arg(tmp.path().join("no/such/folder/report.html"))
        .assert()
        .code(1);
    assert!(stderr_of(&a).contains("cannot create"));
}

/// The rows of a CSV file, each as its columns and fields.
pub(crate) fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// The `<svg>` of chart `name`.
fn chart_svg<'a>(html: &'a str, name: &str) -> &'a str {
    let start = html
        .find(&format!("<svg data-chart=\"{name}\""))
        .unwrap_or_else(|| panic!("no chart {name}"));
    let end = start + html[start..].find("</svg>").unwrap();
    &html[start..end]
}

/// A row of `compare.csv` as the page names it (`data-row`): kind,
/// dimension, name and metric, with their values.
type RowKey = Vec<(String, String)>;

/// The [`RowKey`] of a row of `compare.csv`.
fn compare_key(row: &BTreeMap<String, String>) -> RowKey {
    ["kind", "dimension", "name", "metric"]
        .iter()
        .map(|k| (k.to_string(), row[*k].clone()))
        .collect()
}

/// `fleetsim compare a b --out out` with `args`; its stdout.
fn compare(a: &Path, b: &Path, out: &Path, args: &[&str]) -> String {
    let done = fleetsim()
        .arg("compare")
        .arg(a)
        .arg(b)
        .arg("--out")
        .arg(out)
        .args(args)
        .assert()
        .success();
    stdout_of(&done)
}

/// Checks a comparison's page against its `compare.csv`: every value it
/// shows is the file's (and shown to the digits given), every row of the
/// file is on it, and the chart of each kind (and of the pools, if any)
/// has a mark per headline metric, carrying that row's difference.
/// Returns the page.
fn check_comparison_page(out: &Path) -> String {
    let (html, checked) = check_numbers(out);
    assert_self_contained(&html);
    let rows = csv_rows(&out.join("compare.csv"));
    assert!(rows.len() > 500, "only {} rows compared", rows.len());
    // Every row of compare.csv, every column but the method: its
    // interval's ends when it has one.
    let shown: std::collections::BTreeSet<(RowKey, String)> = shown_values(&html)
        .into_iter()
        .filter(|s| s.file == "compare.csv")
        .map(|s| (s.row, s.col))
        .collect();
    assert!(checked >= shown.len());
    for row in &rows {
        for col in [
            "a_mean",
            "b_mean",
            "diff",
            "ci95_low",
            "ci95_high",
            "df",
            "n_a",
            "n_b",
            "significant",
        ] {
            if col.starts_with("ci95") && row[col].is_empty() {
                continue;
            }
            assert!(
                shown.contains(&(compare_key(row), col.to_string())),
                "the page does not show {col} of {row:?}"
            );
        }
    }
    // Each kind's chart: a mark per headline metric (availability, and the
    // share of each status either study saw, in the file's order).
    let nonzero = |v: &str| v.parse::<f64>().is_ok_and(|v| v != 0.0);
    let mut kinds: Vec<String> = Vec::new();
    for r in &rows {
        if !kinds.contains(&r["kind"]) && r["dimension"] == "availability" {
            kinds.push(r["kind"].clone());
        }
    }
    let mut groups: Vec<(String, Vec<RowKey>)> = kinds
        .iter()
        .map(|kind| {
            let want: Vec<RowKey> = rows
                .iter()
                .filter(|r| {
                    &r["kind"] == kind
                        && r["dimension"] == "availability"
                        && r["metric"] == "availability"
                })
                .chain(rows.iter().filter(|r| {
                    &r["kind"] == kind
                        && r["dimension"] == "status"
                        && r["metric"] == "share"
                        && (nonzero(&r["a_mean"]) || nonzero(&r["b_mean"]))
                }))
                .map(compare_key)
                .collect();
            (format!("compare-{kind}"), want)
        })
        .collect();
    // The pools', in the file's order: each one's blocked share, then its
    // mean utilisation.
    let mut pool_names: Vec<&str> = Vec::new();
    for r in rows.iter().filter(|r| r["dimension"] == "pool") {
        if !pool_names.contains(&r["name"].as_str()) {
            pool_names.push(&r["name"]);
        }
    }
    let pools: Vec<RowKey> = pool_names
        .iter()
        .flat_map(|pool| {
            ["blocked_share", "utilisation_mean"].map(|metric| {
                rows.iter().find(|r| {
                    r["dimension"] == "pool"
                        && r["name"] == *pool
                        && r["metric"] == metric
                        && !r["a_mean"].is_empty()
                })
            })
        })
        .flatten()
        .map(compare_key)
        .collect();
    if !pools.is_empty() {
        groups.push(("compare-pools".into(), pools));
    }
    let names: Vec<&str> = groups.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(charts(&html), names, "the page's charts");
    for (chart, want) in &groups {
        let marks = shown_values(chart_svg(&html, chart));
        assert!(
            marks.iter().all(|m| m.col == "diff"),
            "{chart}: a mark that is not a difference"
        );
        let marked: Vec<RowKey> = marks.into_iter().map(|m| m.row).collect();
        assert_eq!(&marked, want, "{chart}: the metrics marked");
    }
    html
}

#[test]
fn a_comparison_report_shows_compare_csv_and_the_differences() {
    let tmp = tempfile::tempdir().unwrap();
    // Two small studies with the same seed and replications (paired): in
    // B, ECS servers fault four times as often.
    let short = ["--horizon", "2d", "--warmup", "1d", "--replications", "3"];
    let a = tmp.path().join("quick");
    run(&[&["run", "scenarios/quick.toml"][..], &short].concat(), &a);
    let quick = std::fs::read_to_string("scenarios/quick.toml").unwrap();
    let faulty = quick
        .replacen("scale = \"2000h\"", "scale = \"500h\"", 1)
        .replacen("name = \"quick\"", "name = \"quick-faulty\"", 1);
    assert_ne!(faulty, quick);
    let faulty_toml = tmp.path().join("quick-faulty.toml");
    std::fs::write(&faulty_toml, faulty).unwrap();
    let b = tmp.path().join("quick-faulty");
    run(
        &[&["run", faulty_toml.to_str().unwrap()][..], &short].concat(),
        &b,
    );
    let out = tmp.path().join("compared");
    let stdout = compare(&a, &b, &out, &["--report"]);
    assert!(
        stdout.contains("wrote ") && stdout.contains("report.html: 2 charts"),
        "{stdout}"
    );
    let html = check_comparison_page(&out);
    // The header says what was compared and how.
    for fact in [
        format!("<td>{}</td>", a.display()),
        format!("<td>{}</td>", b.display()),
        "<td>quick-faulty</td>".into(),
        "<dd>2 d</dd>".into(),
        "<dd>1 d</dd>".into(),
        "<dd>paired</dd>".into(),
        "paired (common random numbers: same seed 7 and 3 replications)".into(),
    ] {
        assert!(html.contains(&fact), "no {fact}");
    }
    // Written after compare.json, which does not list it.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("compare.json")).unwrap()).unwrap();
    assert_eq!(
        json["files"],
        serde_json::json!(["compare.csv", "compare.json"])
    );
    // `fleetsim report` of the comparison's folder makes the same page,
    // there or elsewhere.
    let before = std::fs::read(out.join("report.html")).unwrap();
    std::fs::remove_file(out.join("report.html")).unwrap();
    let done = fleetsim().arg("report").arg(&out).assert().success();
    assert!(stdout_of(&done).contains("report.html: 2 charts"));
    assert!(
        std::fs::read(out.join("report.html")).unwrap() == before,
        "`report` of the folder differs from `compare --report`"
    );
    let elsewhere = tmp.path().join("elsewhere.html");
    fleetsim()
        .arg("report")
        .arg(&out)
        .arg("--out")
        .arg(&elsewhere)
        .assert()
        .success();
    assert!(
        std::fs::read(&elsewhere).unwrap() == before,
        "`report --out` differs from `compare --report`"
    );
    // A forced comparison without --report removes the earlier report,
    // which would describe a comparison no longer there.
    compare(&a, &b, &out, &["--force", "--welch"]);
    assert!(!out.join("report.html").exists());
    // A comparison's folder without its compare.csv is refused.
    std::fs::remove_file(out.join("compare.csv")).unwrap();
    let refused = fleetsim().arg("report").arg(&out).assert().code(2);
    assert!(
        stderr_of(&refused).contains("compare.csv"),
        "{}",
        stderr_of(&refused)
    );
    assert!(!out.join("report.html").exists());
}

#[test]
fn a_comparison_without_intervals_shows_the_differences_and_the_pools() {
    let tmp = tempfile::tempdir().unwrap();
    // One replication each, different seeds: differences only (method
    // none); with capacity, the pools' chart too.
    let mut folders = Vec::new();
    for seed in ["7", "8"] {
        let out = tmp.path().join(format!("crunch-{seed}"));
        run(
            &[
                "run",
                "scenarios/capacity-crunch.toml",
                "--horizon",
                "2d",
                "--warmup",
                "1d",
                "--seed",
                seed,
                "--replications",
                "1",
            ],
            &out,
        );
        folders.push(out);
    }
    let out = tmp.path().join("compared");
    let stdout = compare(&folders[0], &folders[1], &out, &["--report"]);
    assert!(stdout.contains("report.html: 3 charts"), "{stdout}");
    let html = check_comparison_page(&out);
    assert!(html.contains("<dd>none</dd>"));
    assert!(html.contains("No intervals"));
    assert!(!html.contains("data-col=\"ci95_low\""));
}
