//! `results.json` and `sweep_long.csv`: every `results.json` a run writes
//! validates against the JSON Schema in docs/schema/results-1.schema.json
//! (and a doctored one does not), its numbers are the CSV files' numbers,
//! and `sweep_long.csv` holds each cell of `sweep.csv` once, beside the swept
//! values in SI units.

use crate::common::fleetsim;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SCHEMA: &str = "docs/schema/results-1.schema.json";

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validator() -> jsonschema::Validator {
    let schema = read_json(Path::new(SCHEMA));
    jsonschema::draft202012::meta::validate(&schema)
        .unwrap_or_else(|e| panic!("{SCHEMA} is not a valid draft 2020-12 schema: {e}"));
    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("{SCHEMA}: {e}"))
}

/// Every problem the schema finds in `doc`, one per line.
fn problems(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Runs `fleetsim run <args> --quiet --out <out>`.
fn run(out: &Path, args: &[&str]) {
    fleetsim()
        .arg("run")
        .args(args)
        .args(["--quiet", "--out"])
        .arg(out)
        .assert()
        .success();
}

/// capacity-crunch with a sweep over a pool's size (a plain number), a
/// repair time (a duration) and the arrival rate (a rate): 8 points.
fn capacity_sweep(dir: &Path) -> PathBuf {
    let base = std::fs::read_to_string("scenarios/capacity-crunch.toml").unwrap();
    let file = dir.join("capacity-sweep.toml");
    std::fs::write(
        &file,
        format!(
            "{base}\n[sweep]\n\"capacity.pools.general.hosts\" = [70, 80]\n\
             \"ecs.faults.repair.mean\" = [\"4h\", \"90m\"]\n\"ecs.arrivals\" = [\"100/d\", \"120/d\"]\n"
        ),
    )
    .unwrap();
    file
}

/// Every `results.json` under `dir`.
fn results_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(results_files(&p));
        } else if p.file_name().is_some_and(|n| n == "results.json") {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn every_results_json_validates_against_its_schema() {
    let v = validator();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let short = ["--horizon", "3d", "--warmup", "1d"];
    run(
        &t.join("baseline"),
        &[
            &["scenarios/baseline.toml", "--replications", "1"],
            &short[..],
        ]
        .concat(),
    );
    run(
        &t.join("quick-3"),
        &[&["scenarios/quick.toml", "--replications", "3"], &short[..]].concat(),
    );
    run(
        &t.join("capacity"),
        &[
            &["scenarios/capacity-crunch.toml", "--replications", "2"],
            &short[..],
        ]
        .concat(),
    );
    let sweep = capacity_sweep(t);
    run(
        &t.join("sweep"),
        &[
            sweep.to_str().unwrap(),
            "--replications",
            "2",
            "--horizon",
            "2d",
            "--warmup",
            "1d",
        ],
    );
    // A kind with no servers: its shares and availability are undefined.
    let empty = t.join("empty.toml");
    std::fs::write(
        &empty,
        "name = \"empty\"\nhorizon = \"2d\"\nreplications = 2\n[ecs]\n[bms]\ninitial = 5\n",
    )
    .unwrap();
    run(&t.join("empty"), &[empty.to_str().unwrap()]);

    let files = results_files(t);
    // Four single runs, the sweep's own and one per point.
    assert_eq!(files.len(), 4 + 1 + 8, "{files:?}");
    for f in &files {
        let doc = read_json(f);
        let found = problems(&v, &doc);
        assert!(
            found.is_empty(),
            "{} does not validate against {SCHEMA}:\n{}",
            f.display(),
            found.join("\n")
        );
    }

    // The empty kind says null, not 0, where nothing was measured.
    let doc = read_json(&t.join("empty/results.json"));
    let ecs = &doc["kinds"]["ecs"];
    assert_eq!(ecs["availability"]["n"], 0);
    assert_eq!(ecs["availability"]["mean"], Value::Null);
    assert_eq!(ecs["statuses"]["ACTIVE"]["share"]["mean"], Value::Null);
    assert_eq!(ecs["statuses"]["ACTIVE"]["mean_count"]["mean"], 0.0);
    assert_eq!(doc["pools"], serde_json::json!([]));
    // With one replication, a value but no interval.
    let doc = read_json(&t.join("baseline/results.json"));
    let share = &doc["kinds"]["ecs"]["statuses"]["ACTIVE"]["share"];
    assert_eq!(share["n"], 1);
    assert!(share["mean"].as_f64().unwrap() > 0.5, "{share}");
    assert_eq!(share["ci95_low"], Value::Null);
}

/// Changes a valid `results.json` into one the schema must refuse.
type Doctor = fn(&mut Value);

#[test]
fn the_schema_rejects_a_doctored_results_json() {
    let v = validator();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("q");
    run(
        &out,
        &[
            "scenarios/quick.toml",
            "--replications",
            "2",
            "--horizon",
            "2d",
        ],
    );
    let good = read_json(&out.join("results.json"));
    assert!(problems(&v, &good).is_empty());
    let doctored: [(&str, Doctor); 9] = [
        ("a share written as a string", |d| {
            d["kinds"]["ecs"]["statuses"]["ERROR"]["share"]["mean"] = "NaN".into()
        }),
        ("n = 0 beside a mean", |d| {
            d["kinds"]["ecs"]["availability"]["n"] = 0.into()
        }),
        ("an interval missing with n = 2", |d| {
            d["kinds"]["bms"]["availability"]["ci95_low"] = Value::Null
        }),
        ("a status left out", |d| {
            d["kinds"]["ecs"]["statuses"]
                .as_object_mut()
                .unwrap()
                .remove("ERROR");
        }),
        ("a status BMS cannot show", |d| {
            let active = d["kinds"]["bms"]["statuses"]["ACTIVE"].clone();
            d["kinds"]["bms"]["statuses"]["RESIZE"] = active;
        }),
        ("a key the schema does not know", |d| {
            d["kinds"]["ecs"]["operations"]["rebooted"] = 3.into()
        }),
        ("another schema", |d| {
            d["schema"] = "fleetsim.results/2".into()
        }),
        ("an availability above 1", |d| {
            d["kinds"]["ecs"]["availability"]["mean"] = 1.5.into()
        }),
        ("no kinds", |d| d["kinds"] = serde_json::json!({})),
    ];
    for (what, doctor) in doctored {
        let mut doc = good.clone();
        doctor(&mut doc);
        assert!(
            !problems(&v, &doc).is_empty(),
            "the schema accepts results.json with {what}"
        );
    }
}

/// A CSV file as rows of column → field.
fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
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

/// The one row of `rows` whose fields are `key`.
fn row<'a>(
    rows: &'a [BTreeMap<String, String>],
    key: &[(&str, &str)],
) -> &'a BTreeMap<String, String> {
    let found: Vec<_> = rows
        .iter()
        .filter(|r| key.iter().all(|(k, v)| r[*k] == *v))
        .collect();
    assert_eq!(found.len(), 1, "{key:?}");
    found[0]
}

/// Whether a JSON value is what a CSV field says: both are written at
/// full precision, so the same float, or both undefined.
fn same(json: &Value, csv: &str) -> bool {
    match (json.as_f64(), csv) {
        (None, "") => json.is_null(),
        (Some(x), field) if !field.is_empty() => field.parse::<f64>() == Ok(x),
        _ => false,
    }
}

/// Asserts that the estimate `est` of results.json is the `_ci` row `ci`.
fn assert_estimate(what: &str, est: &Value, ci: &BTreeMap<String, String>) {
    assert_eq!(est["n"].to_string(), ci["n"], "{what}: n");
    for part in ["mean", "sd", "ci95_low", "ci95_high"] {
        assert!(
            same(&est[part], &ci[part]),
            "{what}: {part} {} in results.json, {:?} in the _ci file",
            est[part],
            ci[part]
        );
    }
}

#[test]
fn results_json_numbers_are_the_csv_values() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cc");
    run(
        &out,
        &[
            "scenarios/capacity-crunch.toml",
            "--replications",
            "3",
            "--horizon",
            "3d",
            "--warmup",
            "1d",
        ],
    );
    let doc = read_json(&out.join("results.json"));
    assert_eq!(doc["schema"], "fleetsim.results/1");
    assert_eq!(doc["replications"], 3);
    assert_eq!(doc["horizon_s"], 259_200.0);
    let summary = csv_rows(&out.join("summary_ci.csv"));
    let availability = csv_rows(&out.join("availability_ci.csv"));
    let operations = csv_rows(&out.join("operations.csv"));
    let pools = csv_rows(&out.join("capacity_summary_ci.csv"));
    let mut checked = 0;
    for kind in ["ecs", "bms"] {
        let k = &doc["kinds"][kind];
        for metric in ["availability", "wanted_mean_count", "available_mean_count"] {
            let ci = row(&availability, &[("kind", kind), ("metric", metric)]);
            assert_estimate(&format!("{kind} {metric}"), &k[metric], ci);
            checked += 1;
        }
        let statuses = k["statuses"].as_object().unwrap();
        let listed: Vec<&str> = summary
            .iter()
            .filter(|r| r["kind"] == kind && r["dimension"] == "status" && r["metric"] == "share")
            .map(|r| r["state"].as_str())
            .collect();
        let keys: Vec<&str> = statuses.keys().map(String::as_str).collect();
        assert_eq!(
            keys, listed,
            "{kind}: the statuses of summary.csv, in order"
        );
        for (status, v) in statuses {
            for metric in ["share", "mean_count", "max_count"] {
                let ci = row(
                    &summary,
                    &[
                        ("kind", kind),
                        ("dimension", "status"),
                        ("state", status),
                        ("metric", metric),
                    ],
                );
                assert_estimate(&format!("{kind} {status} {metric}"), &v[metric], ci);
                checked += 1;
            }
        }
        // Operation totals: per replication, the sum over operations.
        for (metric, columns) in [
            ("requested", &["requested"][..]),
            ("refused", &["refused_conflict", "refused_locked"][..]),
            ("failed", &["failed"][..]),
        ] {
            let per_replication: Vec<f64> = (0..3)
                .map(|r| {
                    operations
                        .iter()
                        .filter(|row| row["kind"] == kind && row["replication"] == r.to_string())
                        .flat_map(|row| columns.iter().map(|c| row[*c].parse::<f64>().unwrap()))
                        .sum()
                })
                .collect();
            let mean = per_replication.iter().sum::<f64>() / 3.0;
            assert_eq!(
                k["operations"][metric]["mean"].as_f64().unwrap(),
                mean,
                "{kind} {metric}"
            );
        }
    }
    let doc_pools = doc["pools"].as_array().unwrap();
    assert_eq!(doc_pools.len(), 3);
    for p in doc_pools {
        let (pool, kind) = (p["pool"].as_str().unwrap(), p["kind"].as_str().unwrap());
        for metric in [
            "blocked_share",
            "utilisation_mean",
            "utilisation_p99",
            "creates_blocked",
        ] {
            let ci = row(
                &pools,
                &[("pool", pool), ("kind", kind), ("metric", metric)],
            );
            assert_estimate(&format!("{pool} {metric}"), &p[metric], ci);
            checked += 1;
        }
    }
    assert!(checked > 60, "{checked}");
}

#[test]
fn a_single_replication_gives_the_per_replication_values() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("q");
    run(&out, &["scenarios/quick.toml", "--horizon", "3d"]);
    let doc = read_json(&out.join("results.json"));
    let summary = csv_rows(&out.join("summary.csv"));
    let availability = csv_rows(&out.join("availability.csv"));
    for kind in ["ecs", "bms"] {
        let a = row(&availability, &[("kind", kind)]);
        let est = &doc["kinds"][kind]["availability"];
        assert!(same(&est["mean"], &a["availability"]), "{kind}: {est}");
        assert_eq!(est["n"], 1);
        for (status, v) in doc["kinds"][kind]["statuses"].as_object().unwrap() {
            let r = row(
                &summary,
                &[("kind", kind), ("dimension", "status"), ("state", status)],
            );
            assert!(same(&v["share"]["mean"], &r["share"]), "{kind} {status}");
            assert_eq!(
                v["peak_count"].to_string(),
                r["max_count"],
                "{kind} {status}: one replication's peak is its max_count"
            );
        }
    }
}

/// The stem of `sweep.csv`'s columns for one `sweep_long.csv` row.
fn wide_stem(r: &BTreeMap<String, String>) -> String {
    match (r["pool"].as_str(), r["state"].as_str()) {
        ("", "") => format!("{}_{}", r["kind"], r["metric"]),
        ("", state) => format!("{}_{state}_{}", r["kind"], r["metric"]),
        (pool, _) => format!("{pool}_{}", r["metric"]),
    }
}

#[test]
fn sweep_long_has_one_row_per_sweep_csv_cell_and_si_values() {
    let tmp = tempfile::tempdir().unwrap();
    let file = capacity_sweep(tmp.path());
    let out = tmp.path().join("sweep");
    run(
        &out,
        &[
            file.to_str().unwrap(),
            "--replications",
            "2",
            "--horizon",
            "2d",
            "--warmup",
            "1d",
        ],
    );
    let params = [
        "capacity.pools.general.hosts",
        "ecs.faults.repair.mean",
        "ecs.arrivals",
    ];
    let wide = csv_rows(&out.join("sweep.csv"));
    let long = csv_rows(&out.join("sweep_long.csv"));
    // The header: point, each path as written and in SI units, then the rest.
    let mut r = csv::Reader::from_path(out.join("sweep_long.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut want = vec!["point".to_string()];
    for p in params {
        want.extend([p.to_string(), format!("{p}_si")]);
    }
    want.extend(
        [
            "kind",
            "pool",
            "metric",
            "state",
            "mean",
            "ci95_low",
            "ci95_high",
            "n",
        ]
        .map(String::from),
    );
    assert_eq!(header, want);

    // sweep.csv's metric stems: the columns ending in _mean.
    let mut r = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
    let stems: Vec<String> = r
        .headers()
        .unwrap()
        .iter()
        .filter_map(|h| h.strip_suffix("_mean").map(String::from))
        .collect();
    assert_eq!(wide.len(), 8);
    assert_eq!(
        long.len(),
        wide.len() * stems.len(),
        "one row per point and metric"
    );
    let mut cells: BTreeMap<(String, String), &BTreeMap<String, String>> = BTreeMap::new();
    for r in &long {
        let key = (r["point"].clone(), wide_stem(r));
        assert!(cells.insert(key.clone(), r).is_none(), "{key:?} twice");
    }
    for w in &wide {
        for stem in &stems {
            let l = cells
                .get(&(w["point"].clone(), stem.clone()))
                .unwrap_or_else(|| panic!("point {} {stem}: no row", w["point"]));
            for part in ["mean", "ci95_low", "ci95_high"] {
                let json = if l[part].is_empty() {
                    Value::Null
                } else {
                    serde_json::json!(l[part].parse::<f64>().unwrap())
                };
                assert!(
                    same(&json, &w[&format!("{stem}_{part}")]),
                    "point {} {stem} {part}: {} long, {} wide",
                    w["point"],
                    l[part],
                    w[&format!("{stem}_{part}")]
                );
            }
            assert_eq!(l["mean"].is_empty(), l["n"] == "0", "{stem}");
            for p in params {
                assert_eq!(l[p], w[p], "the value as written");
            }
        }
    }
    // The swept values in SI units: seconds, per second, numbers as they are.
    let si = |point: usize, path: &str| -> (String, f64) {
        let r = long
            .iter()
            .find(|r| r["point"] == point.to_string())
            .unwrap();
        (r[path].clone(), r[&format!("{path}_si")].parse().unwrap())
    };
    assert_eq!(si(0, "capacity.pools.general.hosts"), ("70".into(), 70.0));
    assert_eq!(si(0, "ecs.faults.repair.mean"), ("4h".into(), 14_400.0));
    assert_eq!(si(2, "ecs.faults.repair.mean"), ("90m".into(), 5_400.0));
    assert_eq!(si(0, "ecs.arrivals"), ("100/d".into(), 100.0 / 86_400.0));
    assert_eq!(si(1, "ecs.arrivals"), ("120/d".into(), 120.0 / 86_400.0));

    // The top-level results.json: each point as its own folder's, beside
    // its swept values.
    let top = read_json(&out.join("results.json"));
    assert_eq!(top["sweep"]["params"], serde_json::json!(params));
    let points = top["sweep"]["points"].as_array().unwrap();
    assert_eq!(points.len(), 8);
    for (i, p) in points.iter().enumerate() {
        assert_eq!(p["point"], i);
        let folder = p["folder"].as_str().unwrap();
        assert_eq!(folder, format!("point-{i}"));
        let own = read_json(&out.join(folder).join("results.json"));
        for key in ["seed", "horizon_s", "warmup_s", "kinds", "pools"] {
            assert_eq!(p[key], own[key], "point {i}: {key}");
        }
    }
    let values = &points[3]["values"];
    assert_eq!(
        values["capacity.pools.general.hosts"],
        serde_json::json!({"written": 70, "si": 70.0})
    );
    assert_eq!(
        values["ecs.faults.repair.mean"],
        serde_json::json!({"written": "90m", "si": 5400.0})
    );
    assert_eq!(
        values["ecs.arrivals"],
        serde_json::json!({"written": "120/d", "si": 120.0 / 86_400.0})
    );
}

#[test]
fn a_sweep_over_a_long_duration_gives_it_in_seconds() {
    // The guide's what-if study, shortened: "4000h" is 14,400,000 s.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("w");
    run(
        &out,
        &[
            "scenarios/whatif-mtbf.toml",
            "--replications",
            "1",
            "--horizon",
            "1d",
            "--warmup",
            "0s",
        ],
    );
    let long = csv_rows(&out.join("sweep_long.csv"));
    let first = &long[0];
    assert_eq!(first["ecs.faults.time_to_fault.scale"], "4000h");
    assert_eq!(first["ecs.faults.time_to_fault.scale_si"], "14400000");
    let top = read_json(&out.join("results.json"));
    assert_eq!(
        top["sweep"]["points"][0]["values"]["ecs.faults.time_to_fault.scale"]["si"],
        14_400_000.0
    );
}
