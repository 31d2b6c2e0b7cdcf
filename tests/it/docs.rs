//! The references in docs/ checked against the code, so that they cannot
//! drift: every key the scenario reader accepts is in docs/scenario.md and
//! every key documented there is accepted; every output file's columns (of
//! `run`, `plan` and `compare`) are those docs/output.md lists; the state tables of
//! docs/model.md are the ones `fleetsim states --json` prints; every member
//! of the fixtures files is named in docs/output.md; docs/limits.md gives
//! the limits the code enforces; and every shipped scenario validates.

use crate::common::{fleetsim, stdout_of};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `###` and `####` sections of a markdown text: heading and body.
fn sections(md: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in md.lines() {
        if let Some(h) = line
            .strip_prefix("### ")
            .or_else(|| line.strip_prefix("#### "))
        {
            out.push((h.to_string(), String::new()));
        } else if line.starts_with("## ") {
            out.push((String::new(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// The backticked tokens of `s`, in order.
fn ticks(s: &str) -> Vec<String> {
    s.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, t)| t.to_string())
        .collect()
}

/// The markdown tables of `body`: each one's header cells and data rows.
fn tables(body: &str) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let mut out: Vec<(Vec<String>, Vec<Vec<String>>)> = Vec::new();
    let mut in_table = false;
    for line in body.lines() {
        if !line.trim_start().starts_with('|') {
            in_table = false;
            continue;
        }
        if !in_table {
            out.push((cells(line), Vec::new()));
            in_table = true;
        } else if !line.contains("---") {
            out.last_mut().unwrap().1.push(cells(line));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// (a) The scenario reference and the reader
// ---------------------------------------------------------------------------

/// A table path as the reference names it: the names a scenario gives
/// (`pools.general`) become the placeholders the headings use, array
/// indices go, and an operation's failure table is its section's.
fn reference_path(path: &str) -> String {
    let path = path.split('[').next().unwrap_or_default();
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        [k, "failures", _op] => format!("{k}.failures"),
        ["capacity", "pools", ..] => "capacity.pools.<name>".into(),
        ["capacity", "flavors", ..] => "capacity.flavors.<name>".into(),
        ["capacity", "bms_pools", ..] => "capacity.bms_pools.<flavor>".into(),
        ["capacity", "domains", ..] => "capacity.domains.<level>".into(),
        _ => path.to_string(),
    }
}

/// Every (table path, keys) the reader accepts, read from a scenario that
/// sets every table; distribution tables (`{ dist = ... }`) are the Units
/// section's, not a table of their own.
fn accepted() -> BTreeMap<String, BTreeSet<String>> {
    let text = read("tests/data/every-key.toml");
    let fields = fleetsim::scenario::parse::fields(&text, "tests/data/every-key.toml")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, keys) in fields {
        if keys.contains(&"dist") {
            continue;
        }
        let entry = out.entry(reference_path(&path)).or_default();
        entry.extend(keys.iter().map(|k| k.to_string()));
    }
    // [sweep] is read before the rest, by the study's plan.
    out.entry(String::new()).or_default().insert("sweep".into());
    out
}

/// Every section of docs/scenario.md that documents tables: the table
/// paths its heading names (`""` for the top level) and the keys of its key
/// tables.
fn documented() -> Vec<(Vec<String>, BTreeSet<String>)> {
    let md = read("docs/scenario.md");
    let mut out = Vec::new();
    for (heading, body) in sections(&md) {
        let paths: Vec<String> = if heading == "Top level" {
            vec![String::new()]
        } else {
            ticks(&heading)
                .into_iter()
                .filter(|t| t.starts_with('['))
                .map(|t| t.trim_matches(|c| c == '[' || c == ']').to_string())
                .collect()
        };
        if paths.is_empty() {
            continue;
        }
        let keys: BTreeSet<String> = tables(&body)
            .into_iter()
            .filter(|(header, _)| header.first().is_some_and(|h| h == "key"))
            .flat_map(|(_, rows)| rows)
            .flat_map(|row| ticks(&row[0]))
            .map(|k| k.trim_matches(|c| c == '[' || c == ']').to_string())
            .collect();
        out.push((paths, keys));
    }
    out
}

#[test]
fn the_scenario_reference_lists_every_key_the_reader_accepts_and_no_other() {
    let accepted = accepted();
    let documented = documented();
    let mut covered = BTreeSet::new();
    let machines = [
        fleetsim::model::ecs::machine(false),
        fleetsim::model::bms::machine(false),
    ];
    for (paths, keys) in &documented {
        covered.extend(paths.iter().cloned());
        if paths == &["sweep"] {
            // Its keys are dotted paths into the scenario, not fields.
            continue;
        }
        let want: BTreeSet<String> = if paths.iter().all(|p| p.ends_with(".behaviour")) {
            // Per-status tables are keyed by the statuses the kinds show.
            machines
                .iter()
                .flat_map(|m| m.statuses())
                .filter(|&s| s != fleetsim::model::Status::Deleted)
                .map(|s| s.name().to_string())
                .collect()
        } else if paths.iter().all(|p| p.ends_with(".steps")) {
            // Step tables are keyed by the machines' steps: the names of
            // the duration keys some state uses.
            machines
                .iter()
                .flat_map(|m| {
                    m.duration_key
                        .iter()
                        .flatten()
                        .map(|&k| m.duration_names[usize::from(k)].to_string())
                })
                .collect()
        } else {
            paths
                .iter()
                .filter_map(|p| accepted.get(p))
                .flatten()
                .cloned()
                .collect()
        };
        assert!(
            !want.is_empty(),
            "{paths:?}: the reader accepts no such table"
        );
        let missing: Vec<&String> = want.difference(keys).collect();
        let unknown: Vec<&String> = keys.difference(&want).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "docs/scenario.md, {paths:?}: accepted but not documented {missing:?}; documented but not accepted {unknown:?}"
        );
    }
    for path in accepted.keys() {
        assert!(
            covered.contains(path),
            "the reader accepts a table [{path}] that docs/scenario.md has no section for"
        );
    }
}

/// The per-status table of docs/scenario.md lists, for each status, the
/// user operations the model allows in some state showing it: what the
/// scenario reader accepts under `[<kind>.behaviour.<STATUS>]`.
#[test]
fn the_behaviour_reference_lists_the_operations_each_status_allows() {
    use fleetsim::model::{Status, bms, ecs};
    let md = read("docs/scenario.md");
    let (_, body) = sections(&md)
        .into_iter()
        .find(|(h, _)| h.contains("`[ecs.behaviour]`"))
        .expect("docs/scenario.md has a [ecs.behaviour] section");
    let (header, rows) = tables(&body)
        .into_iter()
        .find(|(h, _)| h.first().is_some_and(|c| c == "key"))
        .expect("a key table");
    assert!(
        header[1].starts_with("ECS") && header[2].starts_with("BMS"),
        "{header:?}"
    );
    let machines = [ecs::machine(false), bms::machine(false)];
    let mut seen = 0;
    for row in &rows {
        let status = Status::from_name(&ticks(&row[0])[0]).expect("a status");
        for (m, cell) in machines.iter().zip(&row[1..3]) {
            let want: Vec<String> = m
                .user_ops
                .iter()
                .filter(|&&op| m.allowed_in_status(op, status))
                .map(|op| op.name().to_string())
                .collect();
            assert_eq!(ticks(cell), want, "{:?} {}", m.kind, status.name());
        }
        seen += 1;
    }
    assert!(seen > 0);
}

// ---------------------------------------------------------------------------
// (b) The output reference and the files
// ---------------------------------------------------------------------------

/// What docs/output.md lists for one file: its columns (or keys), and the
/// columns written with several replications only.
#[derive(Debug, Default)]
struct Listed {
    columns: Vec<String>,
    replicated_only: Vec<String>,
    /// The table rows themselves.
    rows: Vec<Vec<String>>,
}

/// Per file name, what the section that documents it alone lists: the
/// first-column names of its tables, in order.
fn listed() -> BTreeMap<String, Listed> {
    let md = read("docs/output.md");
    let mut out = BTreeMap::new();
    for (heading, body) in sections(&md) {
        let files: Vec<String> = ticks(&heading)
            .into_iter()
            .filter(|t| t.ends_with(".csv") || t.ends_with(".json"))
            .collect();
        let [file] = files.as_slice() else { continue };
        let mut l = Listed::default();
        for (_, rows) in tables(&body) {
            for row in rows {
                let names = ticks(&row[0]);
                l.rows.push(row.clone());
                if row.get(1).is_some_and(|m| m.starts_with("R > 1 only")) {
                    l.replicated_only.extend(names);
                } else {
                    l.columns.extend(names);
                }
            }
        }
        out.insert(file.clone(), l);
    }
    out
}

fn header(path: &Path) -> Vec<String> {
    read(path)
        .lines()
        .next()
        .unwrap_or_default()
        .split(',')
        .map(str::to_string)
        .collect()
}

/// The quantile columns docs/output.md describes for the occupancy files
/// with several replications: two per count column, in the same order.
fn with_quantiles(columns: &[String], lead: usize) -> Vec<String> {
    let counts = &columns[lead..];
    let mut out = columns.to_vec();
    out.extend(
        counts
            .iter()
            .flat_map(|c| [format!("{c}_q025"), format!("{c}_q975")]),
    );
    out
}

/// A documented template (`<kind>_<STATUS>_share_{mean,ci95_low,ci95_high}`)
/// as a matcher of column names; `{…}` stands for the three estimate parts.
fn template_matches(template: &str, column: &str, pools: &[&str], metrics: &[String]) -> bool {
    fn alternatives(t: &str, pools: &[&str], metrics: &[String]) -> Vec<String> {
        let Some(start) = t.find(['<', '{']) else {
            return vec![t.to_string()];
        };
        let close = if t[start..].starts_with('<') {
            '>'
        } else {
            '}'
        };
        let end = start + t[start..].find(close).unwrap();
        let choices: Vec<String> = match &t[start..=end] {
            "<kind>" => vec!["ecs".into(), "bms".into()],
            "<STATUS>" => fleetsim::model::Status::ALL
                .iter()
                .map(|s| s.name().to_string())
                .collect(),
            "<pool>" => pools.iter().map(|p| p.to_string()).collect(),
            "<metric>" => metrics.to_vec(),
            "{…}" => vec!["mean".into(), "ci95_low".into(), "ci95_high".into()],
            braces => braces[1..braces.len() - 1]
                .split(',')
                .map(str::to_string)
                .collect(),
        };
        let rest = alternatives(&t[end + 1..], pools, metrics);
        choices
            .iter()
            .flat_map(|c| rest.iter().map(move |r| format!("{}{c}{r}", &t[..start])))
            .collect()
    }
    alternatives(template, pools, metrics)
        .iter()
        .any(|a| a == column)
}

#[test]
fn every_output_file_has_the_columns_the_output_reference_lists() {
    let listed = listed();
    let doc = |file: &str| {
        listed
            .get(file)
            .unwrap_or_else(|| panic!("docs/output.md has no section for {file} alone"))
    };
    let tmp = tempfile::tempdir().unwrap();
    // Every file of a run: capacity, two replications with their own files
    // and traces.
    let out = tmp.path().join("run");
    fleetsim()
        .args(["run", "scenarios/capacity-crunch.toml", "--quiet"])
        .args(["--replications", "2", "--per-replication", "--trace"])
        .args(["--horizon", "3d", "--warmup", "1d", "--out"])
        .arg(&out)
        .assert()
        .success();
    let own = out.join("replication-0");
    let mut checked = BTreeSet::new();
    let mut check = |path: &Path, want: &[String]| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            header(path),
            want,
            "{}: header against docs/output.md",
            path.display()
        );
        checked.insert(name);
    };
    // One replication's series, as a single run writes them.
    for f in [
        "occupancy_status.csv",
        "occupancy_ecs.csv",
        "occupancy_bms.csv",
        "capacity.csv",
    ] {
        check(&own.join(f), &doc(f).columns);
    }
    check(
        &own.join("transitions.csv"),
        &doc("transitions.csv").columns,
    );
    // Across replications: the occupancy files with two quantiles per count
    // column, capacity.csv with its quantile columns.
    check(
        &out.join("occupancy_status.csv"),
        &with_quantiles(&doc("occupancy_status.csv").columns, 2),
    );
    for f in ["occupancy_ecs.csv", "occupancy_bms.csv"] {
        check(&out.join(f), &with_quantiles(&doc(f).columns, 1));
    }
    let capacity = doc("capacity.csv");
    let all: Vec<String> = capacity
        .columns
        .iter()
        .chain(&capacity.replicated_only)
        .cloned()
        .collect();
    check(&out.join("capacity.csv"), &all);
    for f in [
        "summary.csv",
        "summary_ci.csv",
        "operations.csv",
        "operations_ci.csv",
        "availability.csv",
        "availability_ci.csv",
        "capacity_summary.csv",
        "capacity_summary_ci.csv",
        "capacity_flavors.csv",
        "capacity_flavors_ci.csv",
        "host_failures.csv",
    ] {
        check(&out.join(f), &doc(f).columns);
    }
    // The manifest's keys.
    let keys = |path: &Path| -> Vec<String> {
        let m: serde_json::Value = serde_json::from_str(&read(path)).unwrap();
        m.as_object().unwrap().keys().cloned().collect()
    };
    let mut want = doc("manifest.json").columns.clone();
    want.retain(|k| k != "sweep");
    assert_eq!(keys(&out.join("manifest.json")), want, "manifest.json keys");
    checked.insert("manifest.json".into());

    // A sweep: its columns follow the documented templates, and each
    // template is used.
    let sweep = tmp.path().join("sweep");
    fleetsim()
        .args(["run", "scenarios/capacity-plan.toml", "--quiet"])
        .args([
            "--replications",
            "2",
            "--horizon",
            "2d",
            "--warmup",
            "1d",
            "--out",
        ])
        .arg(&sweep)
        .assert()
        .success();
    let head = header(&sweep.join("sweep.csv"));
    let templates = &doc("sweep.csv").columns;
    let m: serde_json::Value = serde_json::from_str(&read(sweep.join("manifest.json"))).unwrap();
    let params: Vec<String> = m["sweep"]["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert_eq!(head[0], "point");
    assert_eq!(
        head[1..=params.len()],
        params[..],
        "one column per swept path"
    );
    assert_eq!(head[params.len() + 1], "replications");
    // The pool metrics are those the `<pool>_<metric>` row names.
    let pool_metrics: Vec<String> = doc("sweep.csv")
        .rows
        .iter()
        .filter(|row| row[0].contains("<metric>"))
        .flat_map(|row| ticks(&row[1]))
        .filter(|m| !m.ends_with(".csv"))
        .collect();
    assert!(
        !pool_metrics.is_empty(),
        "docs/output.md names the pool metrics of sweep.csv"
    );
    for column in &head[params.len() + 2..] {
        assert!(
            templates
                .iter()
                .any(|t| template_matches(t, column, &["general"], &pool_metrics)),
            "sweep.csv column {column} matches no template of docs/output.md"
        );
    }
    for t in templates.iter().filter(|t| t.contains('<')) {
        assert!(
            head.iter()
                .any(|c| template_matches(t, c, &["general"], &pool_metrics)),
            "docs/output.md's sweep.csv template {t} matches no column"
        );
    }
    assert_eq!(
        keys(&sweep.join("manifest.json")),
        doc("manifest.json").columns,
        "a sweep's manifest.json keys"
    );
    checked.insert("sweep.csv".into());

    // sweep_long.csv: the point, each swept path as written and in SI
    // units, then the documented columns.
    let mut want = Vec::new();
    for c in &doc("sweep_long.csv").columns {
        match c.as_str() {
            "<path>" => {
                for p in &params {
                    want.extend([p.clone(), format!("{p}_si")]);
                }
            }
            "<path>_si" => {}
            other => want.push(other.to_string()),
        }
    }
    assert_eq!(
        header(&sweep.join("sweep_long.csv")),
        want,
        "sweep_long.csv: header against docs/output.md"
    );
    checked.insert("sweep_long.csv".into());

    // results.json: every key it has (below the names of statuses, kinds
    // and swept paths) is named in its section, and every key the first
    // column of its tables names is one it has.
    fn json_keys(v: &serde_json::Value, parent: &str, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, child) in m {
                    let named = matches!(parent, "statuses" | "values" | "kinds");
                    if !named {
                        out.insert(k.clone());
                    }
                    json_keys(child, if named { "" } else { k }, out);
                }
            }
            serde_json::Value::Array(a) => {
                for child in a {
                    json_keys(child, parent, out);
                }
            }
            _ => {}
        }
    }
    let mut found = BTreeSet::new();
    for dir in [&out, &sweep] {
        let v: serde_json::Value = serde_json::from_str(&read(dir.join("results.json"))).unwrap();
        json_keys(&v, "", &mut found);
    }
    let results = doc("results.json");
    let named: BTreeSet<String> = results
        .rows
        .iter()
        .flatten()
        .flat_map(|c| ticks(c))
        .collect();
    let undocumented: Vec<&String> = found.difference(&named).collect();
    assert!(
        undocumented.is_empty(),
        "results.json keys docs/output.md does not name: {undocumented:?}"
    );
    let first: BTreeSet<String> = results.columns.iter().cloned().collect();
    let unwritten: Vec<&String> = first.difference(&found).collect();
    assert!(
        unwritten.is_empty(),
        "docs/output.md lists results.json keys no results.json has: {unwritten:?}"
    );
    checked.insert("results.json".into());

    // A plan: its two files.
    let plan = tmp.path().join("plan");
    fleetsim()
        .args(["plan", "scenarios/capacity-crunch.toml", "--quiet"])
        .args(["--pool", "general", "--target", "blocked_share <= 0.5"])
        .args(["--min", "71", "--max", "72", "--max-replications", "5"])
        .args(["--horizon", "3d", "--warmup", "1d", "--out"])
        .arg(&plan)
        .assert()
        .success();
    assert_eq!(
        header(&plan.join("plan.csv")),
        doc("plan.csv").columns,
        "plan.csv: header against docs/output.md"
    );
    checked.insert("plan.csv".into());
    assert_eq!(
        keys(&plan.join("plan.json")),
        doc("plan.json").columns,
        "plan.json keys"
    );
    checked.insert("plan.json".into());

    // A shard: shard.json's keys.
    let shard = tmp.path().join("shard");
    fleetsim()
        .args(["run", "scenarios/quick.toml", "--quiet", "--horizon", "2d"])
        .args(["--shard", "0/2", "--out"])
        .arg(&shard)
        .assert()
        .success();
    assert_eq!(
        keys(&shard.join("shard.json")),
        doc("shard.json").columns,
        "shard.json keys"
    );
    checked.insert("shard.json".into());
    // A comparison: the capacity study above with itself (paired, its
    // pools included). The rows of compare.json have the columns of
    // compare.csv, and every dimension written is one documented.
    let compared = tmp.path().join("compare");
    fleetsim()
        .arg("compare")
        .arg(&out)
        .arg(&out)
        .arg("--out")
        .arg(&compared)
        .assert()
        .success();
    let compare_columns = header(&compared.join("compare.csv"));
    assert_eq!(
        compare_columns,
        doc("compare.csv").columns,
        "compare.csv: header against docs/output.md"
    );
    checked.insert("compare.csv".into());
    assert_eq!(
        keys(&compared.join("compare.json")),
        doc("compare.json").columns,
        "compare.json keys"
    );
    checked.insert("compare.json".into());
    let json: serde_json::Value =
        serde_json::from_str(&read(compared.join("compare.json"))).unwrap();
    let row_keys: Vec<String> = json["rows"][0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(row_keys, compare_columns, "compare.json's rows");
    let dimensions: BTreeSet<String> = doc("compare.csv")
        .rows
        .iter()
        .find(|row| row[0] == "`dimension`")
        .map(|row| {
            ticks(&row[1])
                .into_iter()
                .filter(|t| !t.ends_with(".csv"))
                .collect()
        })
        .unwrap();
    let written: BTreeSet<String> = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["dimension"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(written, dimensions, "compare.csv's dimensions");

    // A fit of one replication's trace: fit_report.csv's header and
    // fit_report.json's keys, and the rows of the one are the other's.
    let fit = tmp.path().join("fit");
    fleetsim()
        .arg("fit")
        .arg(own.join("transitions.csv"))
        .arg("--out")
        .arg(fit.join("fitted.toml"))
        .assert()
        .success();
    let fit_columns = header(&fit.join("fit_report.csv"));
    assert_eq!(
        fit_columns,
        doc("fit_report.csv").columns,
        "fit_report.csv: header against docs/output.md"
    );
    checked.insert("fit_report.csv".into());
    assert_eq!(
        keys(&fit.join("fit_report.json")),
        doc("fit_report.json").columns,
        "fit_report.json keys"
    );
    checked.insert("fit_report.json".into());
    let json: serde_json::Value = serde_json::from_str(&read(fit.join("fit_report.json"))).unwrap();
    let row_keys: Vec<String> = json["estimates"][0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(row_keys, fit_columns, "fit_report.json's estimates");

    // Every file the output reference documents on its own was checked.
    let run_files: BTreeSet<String> = listed.keys().cloned().collect();
    assert_eq!(
        checked, run_files,
        "documented files not checked, or checked but not documented"
    );
}

// ---------------------------------------------------------------------------
// (c) The shipped scenarios
// ---------------------------------------------------------------------------

#[test]
fn every_shipped_scenario_validates() {
    let mut n = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let a = fleetsim().arg("validate").arg(&path).assert();
            let out = a.get_output();
            assert!(
                out.status.success(),
                "{} does not validate:\n{}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            n += 1;
        }
    }
    assert!(n >= 8, "only {n} scenarios found");
    fleetsim()
        .args(["validate", "tests/data/every-key.toml"])
        .assert()
        .success();
}

// ---------------------------------------------------------------------------
// (d) The model's tables and the machines
// ---------------------------------------------------------------------------

/// The one table under the docs/model.md heading that contains `heading`.
fn model_table(heading: &str) -> Vec<Vec<String>> {
    let md = read("docs/model.md");
    let mut found = Vec::new();
    let mut lines = md.lines();
    while let Some(line) = lines.next() {
        if line.starts_with('#') && line.contains(heading) {
            let rest: String = lines
                .by_ref()
                .skip_while(|l| !l.starts_with('|'))
                .take_while(|l| l.starts_with('|'))
                .map(|l| format!("{l}\n"))
                .collect();
            found.push(tables(&rest).remove(0).1);
        }
    }
    assert_eq!(
        found.len(),
        1,
        "docs/model.md: one heading with {heading:?}"
    );
    found.remove(0)
}

fn json_strs(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap_or("null").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn states_json() -> serde_json::Value {
    let out = stdout_of(&fleetsim().args(["states", "--json"]).assert().success());
    serde_json::from_str(&out).unwrap()
}

/// The operation of `kind` named `name` in `states --json`.
fn operation<'a>(j: &'a serde_json::Value, kind: &str, name: &str) -> &'a serde_json::Value {
    j[kind]["machine"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["operation"] == name)
        .unwrap_or_else(|| panic!("no {kind} operation {name}"))
}

#[test]
fn the_model_tables_are_the_ones_the_simulator_uses() {
    let j = states_json();
    let state = |s: &str| s.split(':').next().unwrap().to_string();
    let task = |s: &str| s.split(':').nth(1).unwrap_or_default().to_string();

    // ECS status map: the same (vm_state, task_state, status) triples.
    let doc: BTreeSet<(String, String, String)> = model_table("ECS status map")
        .iter()
        .flat_map(|row| {
            let vm = ticks(&row[0])[0].clone();
            let status = ticks(&row[2])[0].clone();
            ticks(&row[1])
                .into_iter()
                .map(move |t| (vm.clone(), t, status.clone()))
        })
        .collect();
    let code: BTreeSet<(String, String, String)> = j["ecs"]["status_map"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("null").to_string();
            (s("vm_state"), s("task_state"), s("status"))
        })
        .collect();
    assert_eq!(doc, code, "docs/model.md's ECS status map");

    // ECS operations: where each is allowed from, its steps, where it
    // ends (when one state is named) and its failure default.
    let rows = model_table("ECS operations");
    let mut seen = BTreeSet::new();
    for row in &rows {
        let names = ticks(&row[0]);
        seen.extend(names.iter().cloned());
        if names.iter().any(|n| n == "lock") {
            assert_eq!(operation(&j, "ecs", "lock")["allowed_from"], "any");
            continue;
        }
        let [name] = names.as_slice() else {
            panic!("one operation per row: {row:?}")
        };
        let op = operation(&j, "ecs", name);
        let from: BTreeSet<String> = json_strs(&op["allowed_from"])
            .iter()
            .map(|s| state(s))
            .collect();
        assert_eq!(
            ticks(&row[1]).into_iter().collect::<BTreeSet<_>>(),
            from,
            "{name}: allowed from"
        );
        for path in op["paths"].as_array().unwrap() {
            let steps: Vec<String> = json_strs(&path["through"])
                .iter()
                .map(|s| task(s))
                .collect();
            assert_eq!(ticks(&row[2]), steps, "{name}: steps");
            if let [to] = ticks(&row[3]).as_slice() {
                let end = path["success"].as_str().unwrap();
                assert_eq!(&state(end), to, "{name}: on success");
            }
        }
        assert_eq!(
            ticks(&row[4]),
            [op["default_failure"].as_str().unwrap()],
            "{name}: failure default"
        );
    }
    let all: BTreeSet<String> = j["ecs"]["machine"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["operation"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, all, "docs/model.md's ECS operations");

    // BMS states: kind (the model's own stability table) and status.
    let doc: Vec<(String, String, String)> = model_table("BMS states")
        .iter()
        .map(|row| {
            let status = ticks(&row[2])
                .first()
                .cloned()
                .unwrap_or_else(|| "origin".into());
            (ticks(&row[0])[0].clone(), row[1].clone(), status)
        })
        .collect();
    let code: Vec<(String, String, String)> = fleetsim::model::bms::STATES
        .iter()
        .map(|(s, kind, status)| {
            let kind = format!("{kind:?}").to_lowercase();
            let status = status.map_or("origin".to_string(), |st| st.name().to_string());
            (s.name().to_string(), kind, status)
        })
        .collect();
    assert_eq!(doc, code, "docs/model.md's BMS states");

    // BMS transitions: every path of every operation is a row's, and every
    // row's `from` states are paths of its operation.
    let rows = model_table("BMS transitions");
    let mut covered = BTreeSet::new();
    for row in &rows {
        let names = ticks(&row[0]);
        if names.iter().any(|n| n == "lock") {
            continue;
        }
        let [name] = names.as_slice() else {
            panic!("one operation per row: {row:?}")
        };
        let op = operation(&j, "bms", name);
        let from = ticks(&row[1]);
        let from: Vec<String> = if from.is_empty() {
            vec!["null".into()]
        } else {
            from
        };
        for f in from {
            let path = op["paths"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["from"].as_str().unwrap_or("null") == f)
                .unwrap_or_else(|| {
                    panic!("docs/model.md: {name} from {f} is no path of the model")
                });
            assert_eq!(
                ticks(&row[2]),
                json_strs(&path["through"]),
                "{name} from {f}: through"
            );
            if let [to] = ticks(&row[3]).as_slice() {
                assert_eq!(path["success"].as_str().unwrap(), to, "{name} from {f}: to");
            }
            let on_failure = match ticks(&row[4]).as_slice() {
                [e] => serde_json::Value::from(e.as_str()),
                _ => serde_json::Value::Null,
            };
            assert_eq!(path["error"], on_failure, "{name} from {f}: on failure");
            covered.insert((name.clone(), f));
        }
    }
    for op in j["bms"]["machine"]["operations"].as_array().unwrap() {
        let name = op["operation"].as_str().unwrap();
        for path in op["paths"].as_array().unwrap() {
            let f = path["from"].as_str().unwrap_or("null").to_string();
            assert!(
                covered.contains(&(name.to_string(), f.clone())),
                "docs/model.md's BMS transitions have no row for {name} from {f}"
            );
        }
    }
}

/// The fixtures section of docs/output.md, from its heading to the next
/// `##` heading.
fn fixtures_reference() -> String {
    let md = read("docs/output.md");
    let start = md.find("### Fixtures files").expect("a fixtures section");
    let rest = &md[start..];
    let end = rest[4..].find("\n## ").map_or(rest.len(), |e| e + 4);
    rest[..end].to_string()
}

#[test]
fn the_fixtures_reference_names_every_member_the_fixtures_have() {
    // A member is named as `key`, or as "key" in a backticked object.
    let mut documented = BTreeSet::new();
    for t in ticks(&fixtures_reference()) {
        documented.extend(t.split('"').skip(1).step_by(2).map(str::to_string));
        documented.insert(t);
    }
    let mut missing = BTreeSet::new();
    for version in ["2.1", "latest"] {
        let dir = tempfile::tempdir().unwrap();
        fleetsim()
            .args([
                "fixtures",
                "scenarios/capacity-crunch.toml",
                "--horizon",
                "6h",
            ])
            .args(["--microversion", version, "--out"])
            .arg(dir.path())
            .assert()
            .success();
        let mut keys = BTreeSet::new();
        for file in ["servers.jsonl", "timelines.jsonl", "requests.jsonl"] {
            for line in read(dir.path().join(file)).lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let o = v.as_object().unwrap();
                keys.extend(o.keys().cloned());
                for inner in ["server", "fleetsim"] {
                    if let Some(m) = o.get(inner).and_then(|s| s.as_object()) {
                        keys.extend(m.keys().cloned());
                    }
                }
                for view in o
                    .get("views")
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                {
                    keys.extend(view.as_object().unwrap().keys().cloned());
                }
            }
        }
        let manifest: serde_json::Value =
            serde_json::from_str(&read(dir.path().join("fixtures.json"))).unwrap();
        keys.extend(manifest.as_object().unwrap().keys().cloned());
        missing.extend(keys.into_iter().filter(|k| !documented.contains(k)));
    }
    assert!(
        missing.is_empty(),
        "docs/output.md's fixtures section does not name {missing:?}"
    );
}

/// `n` with thousands separators, as the docs write it: 10,000,000.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// docs/limits.md states the limits the code enforces: each table row,
/// found by how it begins, carries the constant's value in bold.
#[test]
fn the_limits_page_states_the_code_s_limits() {
    use fleetsim::limits::*;
    let page = read("docs/limits.md");
    let row = |start: &str| -> &str {
        page.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("docs/limits.md has no row starting {start:?}"))
    };
    let mib = |b: u64| format!("**{} MiB**", b >> 20);
    let gib = |b: u64| format!("**{} GiB**", b >> 30);
    let year_ms = 365 * 86_400 * 1_000;
    assert_eq!(MAX_DURATION.0 % year_ms, 0);
    let expected: Vec<(&str, String)> = vec![
        ("| the scenario file", mib(MAX_SCENARIO_BYTES)),
        ("| `initial_fleet`", gib(MAX_FLEET_FILE_BYTES)),
        (
            "| `initial_fleet`",
            format!("**{}**", grouped(MAX_FLEET_SERVERS as u64)),
        ),
        (
            "| `initial_fleet`",
            format!("**{}**", MAX_FLEET_FILE_PROBLEMS),
        ),
        ("| an arrival `schedule`", mib(MAX_SCHEDULE_BYTES)),
        (
            "| an arrival `schedule`",
            format!("**{}**", grouped(MAX_SCHEDULE_POINTS as u64)),
        ),
        ("| an arrival `trace`", mib(MAX_LINE_BYTES)),
        ("| a TOML syntax error", format!("**{EXCERPT_SIDE}**")),
        ("| a result folder", mib(MAX_MANIFEST_BYTES)),
        ("| a result folder", mib(MAX_RESULT_LINE_BYTES)),
        (
            "| a result folder",
            format!("**{}**", grouped(MAX_RESULT_ROWS as u64)),
        ),
        (
            "| any duration",
            format!("**{} years**", MAX_DURATION.0 / year_ms),
        ),
        ("| any rate", grouped(MAX_RATE_PER_DAY as u64)),
        (
            "| `replications`",
            format!("**{}**", grouped(MAX_REPLICATIONS as u64)),
        ),
        ("| samples", format!("**{}**", grouped(MAX_SAMPLES))),
        (
            "| points of a `[sweep]`",
            format!("**{}**", grouped(MAX_SWEEP_POINTS as u64)),
        ),
        (
            "| a weight",
            format!("**{MIN_WEIGHT:e} to {MAX_WEIGHT:e}**"),
        ),
        ("| a weight", format!("**{MAX_RATIO:e}**")),
        (
            "| a deployment's `size`",
            format!("**{}**", grouped(MAX_DEPLOYMENT_SIZE as u64)),
        ),
        (
            "| hosts of a pool",
            format!("**{}**", grouped(MAX_COUNT as u64)),
        ),
        ("| vCPUs", format!("**{}**", grouped(MAX_VCPUS as u64))),
        (
            "| memory of a host",
            format!("**{} TiB**", MAX_MEMORY_MIB as u64 >> 20),
        ),
        ("| `cpu_overcommit`", format!("**{MAX_OVERCOMMIT}**")),
        ("| a demand factor", format!("**{MAX_FACTOR:e}**")),
        (
            "| a trace's `demand_scale`",
            format!("**{MAX_DEMAND_SCALE}**"),
        ),
        ("| `--microversion`", format!("**{LATEST_MICROVERSION}**")),
        (
            "| `--shard I/N`",
            format!("**{}**", grouped(MAX_SHARDS as u64)),
        ),
        ("| servers |", format!("**{BYTES_PER_SERVER} B**")),
        (
            "| host and domain failures",
            format!("**{BYTES_PER_FAILURE} B**"),
        ),
        (
            "| host and domain failures",
            format!("**{BYTES_PER_FAILURE_ROW} B**"),
        ),
        ("| `transitions.csv`", format!("**{ROWS_PER_CHANGE}** rows")),
        (
            "| `transitions.csv`",
            format!("**{BYTES_PER_TRACE_ROW} B**"),
        ),
        (
            "| `transitions.csv`",
            format!("divided by **{ZSTD_TRACE_RATIO}**"),
        ),
        (
            "| `transitions.csv`",
            format!("**{} GiB**", TRACE_NOTE_BYTES / (1u64 << 30) as f64),
        ),
        (
            "| `transitions.csv`",
            format!("**{:.1} million** rows/s", TRACE_ROWS_PER_SECOND / 1e6),
        ),
        (
            "| fixtures, in memory",
            format!("**{} B**", grouped(BYTES_PER_SERVER_LINE as u64)),
        ),
    ];
    for (start, value) in expected {
        let line = row(start);
        assert!(
            line.contains(&value),
            "docs/limits.md row {start:?} lacks {value}: {line}"
        );
    }
    for text in [
        format!("**{MAX_SHARE_BELOW_TICK}**"),
        format!("`--max-memory` (default {})", gib(DEFAULT_MAX_MEMORY)),
        format!("`--max-output` (default {})", gib(DEFAULT_MAX_OUTPUT)),
    ] {
        assert!(page.contains(&text), "docs/limits.md lacks {text}");
    }
}
