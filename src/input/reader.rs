//! The TOML reader every part of a scenario is read with: it walks the tree
//! table by table, converts units (durations, rates, distributions, names),
//! remembers which keys each table was asked for (anything else is reported
//! as unknown, with a "did you mean" hint), and collects every problem with
//! its dotted field path instead of stopping at the first.

use super::dist::Dist;
use super::problems::{Problems, Switch};
use super::units::{parse_duration, parse_rate_per_day};
use crate::engine::SimTime;
use crate::model::Kind;
use std::mem;
use toml::{Table, Value};

/// ` (did you mean "x"?)` when `name` matches a valid name up to case and
/// `-`/`_`/space; empty otherwise.
pub(crate) fn did_you_mean<'v>(name: &str, valid: impl Iterator<Item = &'v str>) -> String {
    let norm = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '-' | ' ' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect()
    };
    let target = norm(name);
    valid
        .into_iter()
        .find(|v| norm(v) == target)
        .map(|v| format!(" (did you mean {v:?}?)"))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Distributions
// ---------------------------------------------------------------------------

/// What a distribution parameter is.
#[derive(Clone, Copy)]
enum Param {
    Duration,
    Number,
}

/// Every distribution and its parameters, in the order documented.
const DISTS: &[(&str, &[(&str, Param)])] = &[
    ("fixed", &[("value", Param::Duration)]),
    ("exponential", &[("mean", Param::Duration)]),
    (
        "uniform",
        &[("min", Param::Duration), ("max", Param::Duration)],
    ),
    (
        "normal",
        &[("mean", Param::Duration), ("sd", Param::Duration)],
    ),
    (
        "lognormal",
        &[("mean", Param::Duration), ("cv", Param::Number)],
    ),
    (
        "gamma",
        &[("shape", Param::Number), ("scale", Param::Duration)],
    ),
    (
        "weibull",
        &[("shape", Param::Number), ("scale", Param::Duration)],
    ),
];

/// `mean (a duration such as "60s") and cv (a number)`.
fn describe_params(params: &[(&str, Param)]) -> String {
    params
        .iter()
        .map(|&(p, kind)| match kind {
            Param::Duration => format!("{p} (a duration such as \"60s\")"),
            Param::Number => format!("{p} (a number)"),
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

/// The distribution `name` with parameter values (seconds or plain numbers)
/// in [`DISTS`] order.
fn build_dist(name: &str, v: &[f64]) -> Option<Dist> {
    Some(match (name, v) {
        ("fixed", &[value_s]) => Dist::Fixed { value_s },
        ("exponential", &[mean_s]) => Dist::Exponential { mean_s },
        ("uniform", &[min_s, max_s]) => Dist::Uniform { min_s, max_s },
        ("normal", &[mean_s, sd_s]) => Dist::Normal { mean_s, sd_s },
        ("lognormal", &[mean_s, cv]) => Dist::Lognormal { mean_s, cv },
        ("gamma", &[shape, scale_s]) => Dist::Gamma { shape, scale_s },
        ("weibull", &[shape, scale_s]) => Dist::Weibull { shape, scale_s },
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// The reader
// ---------------------------------------------------------------------------

/// One table being read.
struct Frame<'a> {
    table: &'a Table,
    /// Keys the walk looked up here: the valid fields.
    asked: Vec<&'static str>,
    /// Keys that belong to the other kind, reported when present.
    rejected: Vec<&'static str>,
    /// Every entry is handled by the walk itself (tables keyed by names).
    open: bool,
    /// What the table is, for unknown-field messages.
    what: Option<String>,
}

impl<'a> Frame<'a> {
    fn new(table: &'a Table) -> Self {
        Frame {
            table,
            asked: Vec::new(),
            rejected: Vec::new(),
            open: false,
            what: None,
        }
    }
}

/// Walks the tree table by table, keeping the dotted path of the current
/// table, remembering which keys were read (anything else is reported as
/// unknown when the table is finished) and collecting every problem.
///
/// Conversions come in two forms: `*_value(key, value)` checks a value found
/// under `key` of the current table, and `duration(key)`, `rate(key)`, ...
/// look `key` up first (absent: `None`, no problem). All return `None` after
/// recording a problem, so the caller falls back to a default and goes on.
pub(crate) struct Reader<'a> {
    path: Vec<String>,
    cur: Frame<'a>,
    parents: Vec<Frame<'a>>,
    empty: &'a Table,
    /// Every problem found so far.
    pub(crate) problems: Problems,
    /// The valid fields of every table finished so far (its dotted path and
    /// the keys the walk asked for), open tables (keyed by names) aside:
    /// what the scenario reference must document.
    pub(crate) fields: Vec<(String, Vec<&'static str>)>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(root: &'a Table, empty: &'a Table) -> Self {
        Reader {
            path: Vec::new(),
            cur: Frame::new(root),
            parents: Vec::new(),
            empty,
            problems: Problems::new(),
            fields: Vec::new(),
        }
    }

    /// Dotted path of `key` in the current table (of the table itself when
    /// `key` is empty).
    fn field(&self, key: &str) -> String {
        let mut parts: Vec<&str> = self.path.iter().map(String::as_str).collect();
        if !key.is_empty() {
            parts.push(key);
        }
        parts.join(".")
    }

    /// Records a problem at `key` of the current table.
    pub(crate) fn problem(&mut self, key: &str, message: impl Into<String>) {
        let field = self.field(key);
        self.problems.push(field, message);
    }

    /// Whether the current table has `key` (without marking it read).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.cur.table.contains_key(key)
    }

    /// Looks `key` up, marking it as a valid field of this table.
    pub(crate) fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        if !self.cur.asked.contains(&key) {
            self.cur.asked.push(key);
        }
        self.cur.table.get(key)
    }

    /// Reports `key`, if present, as a setting of the other kind, `owner`
    /// (the current table is inside `[ecs]` or `[bms]`); `hint` is appended.
    pub(crate) fn reject_other_kind(&mut self, key: &'static str, owner: Kind, hint: &str) {
        self.cur.rejected.push(key);
        if !self.has(key) {
            return;
        }
        let here = self.path.first().map_or("", String::as_str).to_uppercase();
        let section = std::iter::once(owner.name())
            .chain(self.path.iter().skip(1).map(String::as_str))
            .collect::<Vec<_>>()
            .join(".");
        let message = format!(
            "{key:?} applies to {} only, not to {here} (it belongs under [{section}]){hint}",
            owner.name().to_uppercase()
        );
        self.problem(key, message);
    }

    /// Every entry of the current table, for tables keyed by names; the caller
    /// judges each key.
    pub(crate) fn entries(&mut self) -> Vec<(&'a str, &'a Value)> {
        self.cur.open = true;
        self.cur
            .table
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .collect()
    }

    /// Runs `f` inside `table`, found under `key`, then reports its unknown keys.
    pub(crate) fn within<T>(
        &mut self,
        key: &str,
        table: &'a Table,
        f: impl FnOnce(&mut Self) -> T,
    ) -> T {
        self.path.push(key.to_string());
        let parent = mem::replace(&mut self.cur, Frame::new(table));
        self.parents.push(parent);
        let out = f(self);
        if let Some(parent) = self.parents.pop() {
            let done = mem::replace(&mut self.cur, parent);
            self.report_unknown(&done);
        }
        self.path.pop();
        out
    }

    /// Reports the keys of a finished table that the walk did not read.
    fn report_unknown(&mut self, frame: &Frame<'a>) {
        if frame.open {
            return;
        }
        self.fields.push((self.field(""), frame.asked.clone()));
        for key in frame.table.keys() {
            let key = key.as_str();
            if frame.asked.contains(&key) || frame.rejected.contains(&key) {
                continue;
            }
            let of = frame
                .what
                .as_ref()
                .map(|w| format!(" for {w}"))
                .unwrap_or_default();
            let message = format!(
                "unknown field {key:?}{}; valid fields{of}: {}",
                did_you_mean(key, frame.asked.iter().copied()),
                frame.asked.join(", ")
            );
            self.problem(key, message);
        }
    }

    /// Finishes the root table and hands over the problems.
    pub(crate) fn finish_root(mut self) -> (Problems, Vec<(String, Vec<&'static str>)>) {
        let root = mem::replace(&mut self.cur, Frame::new(self.empty));
        self.report_unknown(&root);
        (self.problems, self.fields)
    }

    /// Runs `f` inside the table `v` found under `key`; a problem (and `None`)
    /// if `v` is not a table.
    pub(crate) fn table_value<T>(
        &mut self,
        key: &str,
        v: &'a Value,
        what: &str,
        f: impl FnOnce(&mut Self) -> T,
    ) -> Option<T> {
        match v {
            Value::Table(t) => Some(self.within(key, t, f)),
            v => {
                self.problem(key, expected(what, v));
                None
            }
        }
    }

    /// Runs `f` inside each table of the array of tables `key` (`[[key]]`),
    /// naming them `key[0]`, `key[1]`, ...; an absent key is an empty list.
    pub(crate) fn list_of_tables<T>(
        &mut self,
        key: &'static str,
        what: &str,
        f: impl Fn(&mut Self) -> Option<T>,
    ) -> Vec<T> {
        match self.get(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    self.table_value(&format!("{key}[{i}]"), item, what, &f)
                        .flatten()
                })
                .collect(),
            Some(v) => {
                self.problem(
                    key,
                    expected(&format!("a list of tables ([[...]]), each {what}"), v),
                );
                Vec::new()
            }
        }
    }

    /// Runs `f` inside the sub-table `key` if present.
    pub(crate) fn opt_table<T>(
        &mut self,
        key: &'static str,
        f: impl FnOnce(&mut Self) -> T,
    ) -> Option<T> {
        let v = self.get(key)?;
        self.table_value(key, v, "a table", f)
    }

    /// Runs `f` inside the sub-table `key`, or inside an empty table when it is
    /// absent (or not a table), so that `f` fills every default.
    pub(crate) fn table<T>(&mut self, key: &'static str, f: impl FnOnce(&mut Self) -> T) -> T {
        let table = match self.get(key) {
            Some(Value::Table(t)) => t,
            Some(v) => {
                self.problem(key, expected("a table", v));
                self.empty
            }
            None => self.empty,
        };
        self.within(key, table, f)
    }

    /// Looks `key` up and converts it with `conv`; `None` if absent or bad.
    pub(crate) fn read<T>(
        &mut self,
        key: &'static str,
        conv: impl FnOnce(&mut Self, &str, &'a Value) -> Option<T>,
    ) -> Option<T> {
        let v = self.get(key)?;
        conv(self, key, v)
    }

    /// Like [`Reader::read`], with a problem when `key` is absent.
    pub(crate) fn required<T>(
        &mut self,
        key: &'static str,
        example: &str,
        conv: impl FnOnce(&mut Self, &str, &'a Value) -> Option<T>,
    ) -> Option<T> {
        if !self.has(key) {
            self.get(key);
            self.problem(
                key,
                format!("missing; this field is required, e.g. {example}"),
            );
            return None;
        }
        self.read(key, conv)
    }

    pub(crate) fn duration(&mut self, key: &'static str) -> Option<SimTime> {
        self.read(key, Self::duration_value)
    }

    pub(crate) fn rate(&mut self, key: &'static str) -> Option<f64> {
        self.read(key, Self::rate_value)
    }

    pub(crate) fn prob(&mut self, key: &'static str) -> Option<f64> {
        self.read(key, Self::prob_value)
    }

    pub(crate) fn dist(&mut self, key: &'static str) -> Option<Dist> {
        self.read(key, Self::dist_value)
    }

    pub(crate) fn str_value(&mut self, key: &str, v: &'a Value, what: &str) -> Option<&'a str> {
        match v {
            Value::String(s) => Some(s.as_str()),
            v => {
                self.problem(key, expected(what, v));
                None
            }
        }
    }

    /// The scenario name: used as a folder name, so `[A-Za-z0-9._-]`, not
    /// empty, no leading dot.
    pub(crate) fn name_value(&mut self, key: &str, v: &'a Value) -> Option<String> {
        let s = self.str_value(key, v, "a name string such as \"baseline\"")?;
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        let why = if s.is_empty() {
            "is empty".to_string()
        } else if s.starts_with('.') {
            "starts with a dot".to_string()
        } else if let Some(c) = s.chars().find(|&c| !allowed(c)) {
            format!("contains {c:?}")
        } else {
            return Some(s.to_string());
        };
        self.problem(
            key,
            format!(
                "{s:?} {why}; the name is the output folder name, so use only letters A-Z and a-z, digits, '.', '_' and '-', not starting with a dot, e.g. \"baseline\""
            ),
        );
        None
    }

    pub(crate) fn duration_value(&mut self, key: &str, v: &'a Value) -> Option<SimTime> {
        let what = "a duration string such as \"90s\"";
        match v {
            Value::String(s) => match parse_duration(s) {
                Ok(t) => Some(t),
                Err(e) => {
                    self.problem(key, e);
                    None
                }
            },
            Value::Integer(_) | Value::Float(_) => {
                let n = show(v);
                self.problem(
                    key,
                    format!(
                        "{}; a bare number is ambiguous, so write it as a string with a unit, e.g. \"{n}s\" or \"{n}m\"",
                        expected(what, v)
                    ),
                );
                None
            }
            v => {
                self.problem(key, expected(what, v));
                None
            }
        }
    }

    /// An RFC 3339 UTC timestamp, as milliseconds since the Unix epoch.
    pub(crate) fn timestamp_value(&mut self, key: &str, v: &'a Value) -> Option<u64> {
        let s = self.str_value(
            key,
            v,
            "a UTC timestamp string such as \"2026-01-01T00:00:00Z\"",
        )?;
        match crate::wallclock::parse(s) {
            Ok(t) => Some(t),
            Err(e) => {
                self.problem(
                    key,
                    format!(
                        "{s:?} is not a valid timestamp ({e}); give a UTC time in RFC 3339 form, e.g. \"2026-01-01T00:00:00Z\""
                    ),
                );
                None
            }
        }
    }

    /// A duration, `"off"`, or `"0s"` (also off).
    pub(crate) fn off_duration_value(
        &mut self,
        key: &str,
        v: &'a Value,
    ) -> Option<Switch<SimTime>> {
        if let Value::String(s) = v
            && s.trim() == "off"
        {
            return Some(Switch::Off);
        }
        let t = self.duration_value(key, v)?;
        Some(if t > SimTime::ZERO {
            Switch::On(t)
        } else {
            Switch::Off
        })
    }

    pub(crate) fn rate_value(&mut self, key: &str, v: &'a Value) -> Option<f64> {
        let what = "a rate string such as \"40/d\"";
        let s = self.str_value(key, v, what)?;
        match parse_rate_per_day(s) {
            Ok(r) => Some(r),
            Err(e) => {
                self.problem(key, e);
                None
            }
        }
    }

    /// A finite number, integer or float.
    pub(crate) fn number_value(&mut self, key: &str, v: &'a Value) -> Option<f64> {
        match *v {
            // i64 → f64 rounds beyond 2^53 but cannot fail.
            Value::Integer(n) => Some(n as f64),
            Value::Float(f) if f.is_finite() => Some(f),
            Value::Float(f) => {
                self.problem(key, format!("{f} is not a finite number"));
                None
            }
            ref v => {
                self.problem(key, expected("a number", v));
                None
            }
        }
    }

    /// `true` or `false`.
    pub(crate) fn bool_value(&mut self, key: &str, v: &'a Value) -> Option<bool> {
        match *v {
            Value::Boolean(b) => Some(b),
            ref v => {
                self.problem(key, expected("true or false", v));
                None
            }
        }
    }

    /// A probability in [0, 1].
    pub(crate) fn prob_value(&mut self, key: &str, v: &'a Value) -> Option<f64> {
        let p = self.number_value(key, v)?;
        if (0.0..=1.0).contains(&p) {
            Some(p)
        } else {
            self.problem(
                key,
                format!(
                    "{} is not a probability; give a number from 0 to 1",
                    show(v)
                ),
            );
            None
        }
    }

    /// An integer in `min..=max`.
    pub(crate) fn integer_value(
        &mut self,
        key: &str,
        v: &'a Value,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        let range = if max == i64::MAX {
            format!("a whole number of {min} or more")
        } else {
            format!("a whole number from {min} to {max}")
        };
        match *v {
            Value::Integer(n) if (min..=max).contains(&n) => Some(n),
            Value::Integer(n) => {
                self.problem(key, format!("{n} is out of range; give {range}"));
                None
            }
            ref v => {
                self.problem(key, expected(&range, v));
                None
            }
        }
    }

    /// One of `options`.
    pub(crate) fn choice_value(
        &mut self,
        key: &str,
        v: &'a Value,
        options: &[&'static str],
    ) -> Option<&'static str> {
        let list = options
            .iter()
            .map(|o| format!("{o:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        let s = self.str_value(key, v, &format!("one of {list}"))?;
        let found = options.iter().copied().find(|&o| o == s);
        if found.is_none() {
            self.problem(
                key,
                format!("{s:?} is not valid here; valid values: {list}"),
            );
        }
        found
    }

    /// A distribution: a duration string (fixed) or a table with `dist` and
    /// its parameters; checked by building its sampler.
    pub(crate) fn dist_value(&mut self, key: &str, v: &'a Value) -> Option<Dist> {
        match v {
            Value::String(s) => match parse_duration(s) {
                Ok(t) => Some(Dist::fixed(t)),
                Err(e) => {
                    self.problem(key, e);
                    None
                }
            },
            Value::Table(t) => self.within(key, t, Self::dist_table),
            v => {
                self.problem(
                    key,
                    expected(
                        "a distribution: a duration such as \"90s\" or a table such as { dist = \"lognormal\", mean = \"60s\", cv = 0.5 }",
                        v,
                    ),
                );
                None
            }
        }
    }

    /// A distribution or `"off"`.
    pub(crate) fn opt_dist_value(&mut self, key: &str, v: &'a Value) -> Option<Switch<Dist>> {
        if let Value::String(s) = v
            && s.trim() == "off"
        {
            return Some(Switch::Off);
        }
        self.dist_value(key, v).map(Switch::On)
    }

    /// The current table as a distribution.
    fn dist_table(&mut self) -> Option<Dist> {
        let names = DISTS.iter().map(|d| d.0).collect::<Vec<_>>().join(", ");
        let Some(v) = self.get("dist") else {
            // Without a distribution, its parameters cannot be judged.
            self.cur.open = true;
            self.problem(
                "dist",
                format!("missing; say which distribution, one of: {names}"),
            );
            return None;
        };
        let Some(name) = self.str_value("dist", v, "a distribution name such as \"lognormal\"")
        else {
            self.cur.open = true;
            return None;
        };
        let Some(&(name, params)) = DISTS.iter().find(|d| d.0 == name) else {
            self.cur.open = true;
            self.problem(
                "dist",
                format!(
                    "unknown distribution {name:?}{}; valid distributions: {names}",
                    did_you_mean(name, DISTS.iter().map(|d| d.0))
                ),
            );
            return None;
        };
        self.cur.what = Some(format!("a {name} distribution"));
        let mut values = Vec::with_capacity(params.len());
        for &(p, kind) in params {
            let value = match self.get(p) {
                None => {
                    self.problem(
                        p,
                        format!(
                            "missing; a {name} distribution needs {}",
                            describe_params(params)
                        ),
                    );
                    None
                }
                Some(v) => match kind {
                    Param::Duration => self.duration_value(p, v).map(SimTime::as_secs_f64),
                    Param::Number => self.number_value(p, v),
                },
            };
            values.push(value);
        }
        let values: Vec<f64> = values.into_iter().collect::<Option<_>>()?;
        let dist = build_dist(name, &values)?;
        match dist.sampler() {
            Ok(_) => Some(dist),
            Err(e) => {
                let given = std::iter::once("dist")
                    .chain(params.iter().map(|&(p, _)| p))
                    .filter_map(|k| self.cur.table.get(k).map(|v| format!("{k} = {}", show(v))))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.problem("", format!("{e} (found {given})"));
                None
            }
        }
    }
}

/// `expected X, found integer 5`.
pub(crate) fn expected(what: &str, v: &Value) -> String {
    let found = match v {
        Value::String(_) => format!("string {}", show(v)),
        Value::Integer(_) => format!("integer {}", show(v)),
        Value::Float(_) => format!("float {}", show(v)),
        Value::Boolean(_) => format!("boolean {}", show(v)),
        Value::Datetime(_) => format!("date-time {}", show(v)),
        Value::Array(_) => "an array".to_string(),
        Value::Table(_) => "a table".to_string(),
    };
    format!("expected {what}, found {found}")
}

/// A scalar as written in TOML.
pub(crate) fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Integer(n) => n.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.to_string(),
        Value::Array(_) => "an array".to_string(),
        Value::Table(_) => "a table".to_string(),
    }
}
