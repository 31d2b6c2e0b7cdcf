//! Parameter sweeps: a `[sweep]` table maps dotted paths in the scenario
//! tree to lists of values; the points are their cartesian product, each a
//! scenario validated exactly like a file, so a path that does not exist or a
//! value of the wrong type is reported naming the sweep path.

use super::fleet_file::FleetFiles;
use super::parse::parse_value_with;
use super::{Problem, Problems, Scenario, ScenarioError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::{Table, Value};

/// Most points a sweep may have.
pub const MAX_POINTS: usize = 10_000;

/// What a scenario file asks to run: one point, or every point of a sweep.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The swept paths, in the order the file gives them (empty: no sweep).
    pub params: Vec<String>,
    /// Every point, the last path varying fastest; one without a sweep.
    pub points: Vec<Point>,
}

/// One point of a sweep: the values of the swept paths and the scenario
/// they make, shared (never copied) by every replication that runs it.
#[derive(Clone, Debug)]
pub struct Point {
    /// The value of each swept path, in [`Plan::params`] order.
    pub values: Vec<Value>,
    /// The validated scenario of the point.
    pub scenario: Arc<Scenario>,
}

impl Plan {
    /// Whether the file declares a sweep.
    pub fn is_sweep(&self) -> bool {
        !self.params.is_empty()
    }
}

/// A value as it is written in a sweep column (strings without quotes).
pub fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A swept value as a number in SI units, as `sweep_long.csv` and
/// `results.json` give it beside the value as written: a duration
/// (`"4000h"`) in seconds, a rate (`"40/d"`) per second, a plain number as
/// it is; `None` for anything else (a name, a distribution table, a
/// boolean). The scenario's own parsers read the text, so `"1.5h"` here is
/// what it is in the scenario: 5400 s, rounded to the millisecond as every
/// duration is.
pub fn si_value(v: &Value) -> Option<f64> {
    use crate::input::units::{parse_duration, parse_rate_per_day};
    const SECONDS_PER_DAY: f64 = 86_400.0;
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(f) => Some(*f).filter(|f| f.is_finite()),
        // A rate has a slash and a duration never does, so at most one of
        // the parsers accepts a text.
        Value::String(s) => parse_duration(s)
            .map(|t| t.as_secs_f64())
            .or_else(|_| parse_rate_per_day(s).map(|r| r / SECONDS_PER_DAY))
            .ok(),
        _ => None,
    }
}

/// The keys of a dotted `path` (`ecs.faults.repair.mean`), each not empty.
fn split_path(path: &str) -> Result<Vec<String>, String> {
    let keys: Vec<String> = path.split('.').map(str::to_string).collect();
    if keys.iter().any(|k| k.is_empty()) {
        return Err("is not a dotted path such as \"ecs.faults.time_to_fault.scale\"".into());
    }
    Ok(keys)
}

/// Sets `value` at the path `keys` in `root`, whose tables must exist;
/// `path` is how the path is named in a message.
fn set_keys(root: &mut Table, keys: &[String], path: &str, value: Value) -> Result<(), String> {
    let (last, tables) = keys.split_last().expect("a path has a key");
    let mut table = root;
    for (i, key) in tables.iter().enumerate() {
        // A sweep varies what the file has; it never adds a section (which
        // could, say, add a whole fleet of the other kind).
        let Some(entry) = table.get_mut(key.as_str()) else {
            let missing = keys[..=i].join(".");
            return Err(format!(
                "\"{missing}\" is not in the scenario; a sweep only varies what the file sets, so add [{missing}] (it may be empty) to sweep over \"{path}\""
            ));
        };
        table = match entry {
            Value::Table(t) => t,
            other => {
                return Err(format!(
                    "goes through {} = {other}, which is a value, not a table; sweep over \"{}\" instead",
                    keys[..=i].join("."),
                    keys[..=i].join(".")
                ));
            }
        };
    }
    table.insert(last.clone(), value);
    Ok(())
}

/// A scenario's tree, ready to make points from: the file's tree with the
/// command-line overrides applied and its `[sweep]` set apart, where it
/// was read from, and its `initial_fleet` files, read once for every
/// point made from it. A sweep's points are made here, and so are the
/// candidates of `fleetsim plan`.
pub struct Base {
    /// The tree without `[sweep]`.
    tree: Table,
    /// The file's `[sweep]`, if any.
    sweep: Option<Value>,
    /// The file's name, as problems name it.
    file: String,
    /// The folder `initial_fleet` paths are relative to.
    dir: PathBuf,
    /// Each `initial_fleet` file, read once.
    fleets: FleetFiles,
}

impl Base {
    /// The base of scenario tree `root`, read from `file` in folder `dir`.
    pub fn new(root: &Table, file: &str, dir: &Path) -> Base {
        let mut tree = root.clone();
        let sweep = tree.remove("sweep");
        Base {
            tree,
            sweep,
            file: file.to_string(),
            dir: dir.to_path_buf(),
            fleets: FleetFiles::default(),
        }
    }

    /// The file's name, as problems name it.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The dotted paths the file's `[sweep]` varies, in file order (empty
    /// without a sweep; a malformed sweep is [`Base::plan`]'s to report).
    pub fn swept(&self) -> Vec<String> {
        match &self.sweep {
            Some(Value::Table(t)) => t.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// The scenario without its sweep, validated.
    pub fn scenario(&self) -> Result<Scenario, ScenarioError> {
        self.validate(&self.tree)
    }

    /// The scenario with `value` at the path `keys` (named `path` in a
    /// message), validated exactly like a file: one point, as a sweep
    /// makes each of its own.
    pub fn point(&self, keys: &[String], path: &str, value: Value) -> Result<Point, ScenarioError> {
        let mut tree = self.tree.clone();
        set_keys(&mut tree, keys, path, value.clone()).map_err(|message| ScenarioError {
            file: self.file.clone(),
            problems: vec![Problem {
                field: path.to_string(),
                message,
            }],
        })?;
        Ok(Point {
            values: vec![value],
            scenario: Arc::new(self.validate(&tree)?),
        })
    }

    fn validate(&self, tree: &Table) -> Result<Scenario, ScenarioError> {
        parse_value_with(tree, &self.file, &self.dir, &self.fleets)
    }

    /// The plan: the sweep expanded, every point validated. All problems,
    /// of the base scenario and of every point, are reported together.
    pub fn plan(&self) -> Result<Plan, ScenarioError> {
        // Problems at more points than this, for one swept path, are counted.
        const LISTED_PER_PATH: usize = 3;
        let file = self.file.as_str();
        let base_result = self.scenario();
        let Some(sweep) = &self.sweep else {
            return base_result.map(|scenario| Plan {
                params: Vec::new(),
                points: vec![Point {
                    values: Vec::new(),
                    scenario: Arc::new(scenario),
                }],
            });
        };
        let mut problems = Problems::new();
        if let Err(e) = &base_result {
            problems.add_all(e.problems.iter().cloned());
        }
        let problem = |problems: &mut Problems, path: &str, message: String| {
            problems.push(format!("sweep.\"{path}\""), message);
        };
        let Value::Table(sweep) = sweep else {
            problems.push(
                "sweep",
                "must be a table of \"path\" = [values], e.g. [sweep] \"ecs.faults.repair.mean\" = [\"2h\", \"4h\"]",
            );
            return Err(problems.into_error(file));
        };
        let mut params = Vec::new();
        let mut lists = Vec::new();
        for (path, values) in sweep {
            match (path.as_str(), values) {
                ("name" | "replications", _) => problem(
                    &mut problems,
                    path,
                    format!(
                        "\"{path}\" cannot be swept: the points of a sweep share the study's name and replications"
                    ),
                ),
                (_, Value::Array(a)) if !a.is_empty() => {
                    params.push(path.clone());
                    lists.push(a.clone());
                }
                _ => problem(
                    &mut problems,
                    path,
                    format!(
                        "{values} is not a list of values; give a non-empty array such as [\"2h\", \"4h\"]"
                    ),
                ),
            }
        }
        if params.is_empty() && problems.is_empty() {
            problems.push(
                "sweep",
                "is empty; give at least one \"path\" = [values], or remove [sweep]",
            );
        }
        let n_points: usize = lists.iter().map(|l| l.len()).product();
        if n_points > MAX_POINTS {
            problems.push(
                "sweep",
                format!("has {n_points} points; at most {MAX_POINTS} are allowed"),
            );
        }
        // With a base that has problems of its own, the points are still
        // tried, for the problems of the swept paths: every problem at once.
        let base_failed = base_result.is_err();
        let base_problems = base_result.as_ref().err().map_or(0, |e| e.problems.len());
        if problems.len() > base_problems {
            // The sweep itself is malformed: no point can be made.
            return Err(problems.into_error(file));
        }
        // Cartesian product, the last path varying fastest.
        let mut points = Vec::with_capacity(n_points);
        // The same problem is found at many points: each is reported once,
        // and a swept path with problems at many points lists a few.
        let mut seen = problems;
        let mut at_path: BTreeMap<String, usize> = BTreeMap::new();
        for index in 0..n_points {
            let mut rest = index;
            let mut values = vec![Value::Boolean(false); params.len()];
            for (p, list) in lists.iter().enumerate().rev() {
                values[p] = list[rest % list.len()].clone();
                rest /= list.len();
            }
            let mut tree = self.tree.clone();
            let mut ok = true;
            for (path, v) in params.iter().zip(&values) {
                let set =
                    split_path(path).and_then(|keys| set_keys(&mut tree, &keys, path, v.clone()));
                if let Err(m) = set {
                    ok = false;
                    seen.add_once(Problem {
                        field: format!("sweep.\"{path}\""),
                        message: m,
                    });
                }
            }
            if !ok {
                continue;
            }
            match self.validate(&tree) {
                Ok(scenario) => points.push(Point {
                    values,
                    scenario: Arc::new(scenario),
                }),
                Err(e) => {
                    let at: Vec<String> = params
                        .iter()
                        .zip(&values)
                        .map(|(p, v)| format!("{p} = {v}"))
                        .collect();
                    for pr in e.problems {
                        // Name the swept path the problem comes from, if any.
                        let from = params.iter().find(|p| {
                            pr.field == **p
                                || pr.field.starts_with(&format!("{p}."))
                                || p.starts_with(&format!("{}.", pr.field))
                        });
                        if from.is_none() && base_failed {
                            // The base's own problem, already reported.
                            continue;
                        }
                        let p = match from {
                            Some(path) => Problem {
                                field: format!("sweep.\"{path}\""),
                                message: format!(
                                    "at the point {}: {}: {}",
                                    at.join(", "),
                                    pr.field,
                                    pr.message
                                ),
                            },
                            None => Problem {
                                field: pr.field.clone(),
                                message: format!(
                                    "{} (at the sweep point {})",
                                    pr.message,
                                    at.join(", ")
                                ),
                            },
                        };
                        let shown = at_path.entry(p.field.clone()).or_default();
                        *shown += 1;
                        if *shown <= LISTED_PER_PATH {
                            seen.add_once(p);
                        }
                    }
                }
            }
        }
        for (field, n) in at_path {
            if n > LISTED_PER_PATH {
                seen.push(
                    field,
                    format!(
                        "and {} more points with a problem here (the first {LISTED_PER_PATH} are listed)",
                        n - LISTED_PER_PATH
                    ),
                );
            }
        }
        if base_failed || !seen.is_empty() {
            return Err(seen.into_error(file));
        }
        Ok(Plan { params, points })
    }
}

/// The plan of a parsed scenario tree: its `[sweep]` expanded, every point
/// validated. All problems, of the base scenario and of every point, are
/// reported together.
pub fn plan(root: &Table, file: &str) -> Result<Plan, ScenarioError> {
    plan_in(root, file, Path::new(""))
}

/// [`plan`] of a scenario in folder `dir`, against which the paths it
/// gives (`initial_fleet`) are resolved.
pub fn plan_in(root: &Table, file: &str, dir: &Path) -> Result<Plan, ScenarioError> {
    Base::new(root, file, dir).plan()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "name = \"s\"\nhorizon = \"2d\"\n[ecs]\ninitial = 3\n[ecs.faults]\ntime_to_fault = { dist = \"weibull\", shape = 1.2, scale = \"2000h\" }\n";

    fn plan_of(text: &str) -> Result<Plan, ScenarioError> {
        plan(&text.parse::<Table>().unwrap(), "s.toml")
    }

    #[test]
    fn points_are_the_cartesian_product_in_file_order() {
        let p = plan_of(&format!(
            "{BASE}[sweep]\n\"ecs.faults.time_to_fault.scale\" = [\"4000h\", \"1000h\"]\n\"ecs.initial\" = [1, 2, 3]\n"
        ))
        .unwrap();
        assert_eq!(p.params, ["ecs.faults.time_to_fault.scale", "ecs.initial"]);
        assert_eq!(p.points.len(), 6);
        let shown: Vec<String> = p
            .points
            .iter()
            .map(|pt| pt.values.iter().map(display).collect::<Vec<_>>().join(" "))
            .collect();
        assert_eq!(
            shown,
            [
                "4000h 1", "4000h 2", "4000h 3", "1000h 1", "1000h 2", "1000h 3"
            ]
        );
        assert_eq!(p.points[4].scenario.ecs.as_ref().unwrap().initial, 2);
    }

    #[test]
    fn swept_values_in_si_units() {
        let si = |v: Value| si_value(&v);
        assert_eq!(si(Value::String("4000h".into())), Some(14_400_000.0));
        assert_eq!(si(Value::String("90s".into())), Some(90.0));
        assert_eq!(si(Value::String("1.5h".into())), Some(5_400.0));
        assert_eq!(si(Value::String("250ms".into())), Some(0.25));
        assert_eq!(si(Value::String("1y".into())), Some(31_536_000.0));
        assert_eq!(si(Value::String("86400/d".into())), Some(1.0));
        assert_eq!(si(Value::String("0.5/h".into())), Some(0.5 / 3_600.0));
        assert_eq!(si(Value::String("40/d".into())), Some(40.0 / 86_400.0));
        assert_eq!(si(Value::Integer(80)), Some(80.0));
        assert_eq!(si(Value::Float(0.25)), Some(0.25));
        assert_eq!(si(Value::Float(f64::NAN)), None);
        assert_eq!(si(Value::String("weibull".into())), None);
        assert_eq!(si(Value::String("off".into())), None);
        assert_eq!(si(Value::Boolean(true)), None);
    }

    #[test]
    fn an_initial_fleet_is_read_once_for_every_point() {
        let dir = tempfile::tempdir().unwrap();
        let server =
            r#"{"id": "a", "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:task_state": null}"#;
        std::fs::write(
            dir.path().join("fleet.json"),
            format!("{{\"servers\": [{server}]}}"),
        )
        .unwrap();
        let text = "name = \"f\"\nhorizon = \"2d\"\n[ecs]\ninitial_fleet = \"fleet.json\"\n\
                    [ecs.faults]\nrepair = { dist = \"exponential\", mean = \"2h\" }\n\
                    [sweep]\n\"ecs.faults.repair.mean\" = [\"1h\", \"2h\", \"4h\"]\n";
        let root = crate::scenario::parse::parse_tree(text, "f.toml").unwrap();
        let p = plan_in(&root, "f.toml", dir.path()).unwrap();
        let fleets: Vec<_> = p
            .points
            .iter()
            .map(|pt| {
                pt.scenario
                    .ecs
                    .as_ref()
                    .unwrap()
                    .initial_fleet
                    .clone()
                    .unwrap()
            })
            .collect();
        assert_eq!(fleets.len(), 3);
        assert_eq!(fleets[0].servers.len(), 1);
        // One read, shared by every point (not three equal copies).
        assert!(fleets.iter().all(|f| Arc::ptr_eq(f, &fleets[0])));
    }

    #[test]
    fn a_path_that_does_not_exist_is_refused_naming_it() {
        let e = plan_of(&format!(
            "{BASE}[sweep]\n\"ecs.faults.time_to_fualt.scale\" = [\"1h\"]\n"
        ))
        .unwrap_err();
        assert!(
            e.problems
                .iter()
                .any(|p| p.field == "sweep.\"ecs.faults.time_to_fualt.scale\""),
            "{e}"
        );
        let e = plan_of(&format!("{BASE}[sweep]\n\"ecs.initial.x\" = [1]\n")).unwrap_err();
        assert!(e.problems[0].message.contains("not a table"), "{e}");
        // A section the file does not have is not created.
        let e = plan_of(&format!("{BASE}[sweep]\n\"bms.initial\" = [1]\n")).unwrap_err();
        assert!(
            e.problems[0]
                .message
                .contains("\"bms\" is not in the scenario"),
            "{e}"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused_naming_the_path() {
        let e = plan_of(&format!(
            "{BASE}[sweep]\n\"ecs.faults.time_to_fault.scale\" = [\"4000h\", 7]\n"
        ))
        .unwrap_err();
        assert_eq!(e.problems.len(), 1, "{e}");
        assert_eq!(
            e.problems[0].field,
            "sweep.\"ecs.faults.time_to_fault.scale\""
        );
        assert!(e.problems[0].message.contains("= 7"), "{e}");
    }

    #[test]
    fn malformed_sweeps_are_refused() {
        for (body, needle) in [
            ("\"ecs.initial\" = 3\n", "not a list"),
            ("\"ecs.initial\" = []\n", "not a list"),
            ("\"name\" = [\"a\", \"b\"]\n", "cannot be swept"),
            ("\"ecs..initial\" = [1]\n", "dotted path"),
        ] {
            let e = plan_of(&format!("{BASE}[sweep]\n{body}")).unwrap_err();
            assert!(e.to_string().contains(needle), "{body}: {e}");
        }
    }
}
