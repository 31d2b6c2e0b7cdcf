//! Reading a kind's `arrivals`: a rate string (constant), or a table that
//! describes a profile, with its schedule file if it names one.

use super::{Base, Clock, Daily, Growth, Profile, Schedule, Window};
use crate::engine::SimTime;
use crate::input::problems::Problems;
use crate::input::reader::{Reader, expected, show};
use crate::input::units::{MAX_RATE_PER_DAY, format_duration, parse_duration, parse_rate_per_day};
use std::path::Path;
use toml::Value;

/// Most points a schedule file may hold: a year of minutes is 525,600.
pub const MAX_SCHEDULE_POINTS: usize = 1_000_000;
/// Largest schedule file read, in bytes.
pub const MAX_SCHEDULE_BYTES: u64 = 64 << 20;
/// Largest multiplier a shape may give.
pub const MAX_FACTOR: f64 = 1e6;
/// Most problems listed for one schedule file.
const MAX_FILE_PROBLEMS: usize = 20;

/// What `arrivals` says.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// A constant rate per day (0: no creates).
    Constant(f64),
    /// A time-varying rate.
    Profile(Box<Profile>),
    /// Creates replayed from a trace.
    Trace(Box<super::trace::TraceSpec>),
}

/// Reads `arrivals` of the current table: absent means no creates.
pub(crate) fn arrivals(r: &mut Reader, dir: &Path) -> Arrivals {
    match r.get("arrivals") {
        None => Arrivals::Constant(0.0),
        Some(Value::Table(t)) if t.contains_key("trace") => r
            .opt_table("arrivals", |r| trace(r, dir))
            .flatten()
            .map_or(Arrivals::Constant(0.0), |t| Arrivals::Trace(Box::new(t))),
        Some(Value::Table(_)) => r
            .opt_table("arrivals", |r| profile(r, dir))
            .flatten()
            .map_or(Arrivals::Constant(0.0), |p| Arrivals::Profile(Box::new(p))),
        Some(v) => match v {
            Value::String(_) => Arrivals::Constant(r.rate_value("arrivals", v).unwrap_or(0.0)),
            v => {
                r.problem(
                    "arrivals",
                    expected(
                        "a rate string such as \"40/d\", or a table such as { base = \"40/d\", daily = { amplitude = 0.5, peak_hour = 14 } }",
                        v,
                    ),
                );
                Arrivals::Constant(0.0)
            }
        },
    }
}

/// A factor: a finite number from 0 to [`MAX_FACTOR`].
fn factor_value<'a>(r: &mut Reader<'a>, key: &str, v: &'a Value) -> Option<f64> {
    let x = r.number_value(key, v)?;
    if (0.0..=MAX_FACTOR).contains(&x) {
        Some(x)
    } else {
        r.problem(
            key,
            format!("{} is not a valid multiplier; give a number from 0 to {MAX_FACTOR:e} (1 changes nothing)", show(v)),
        );
        None
    }
}

/// A list of exactly `N` factors.
fn factors<'a, const N: usize>(
    r: &mut Reader<'a>,
    key: &str,
    v: &'a Value,
    what: &str,
) -> Option<[f64; N]> {
    let Value::Array(items) = v else {
        r.problem(
            key,
            expected(&format!("a list of {N} multipliers ({what})"), v),
        );
        return None;
    };
    if items.len() != N {
        r.problem(
            key,
            format!(
                "has {} values; give exactly {N} multipliers ({what})",
                items.len()
            ),
        );
        return None;
    }
    let mut out = [0.0; N];
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match factor_value(r, &format!("{key}[{i}]"), item) {
            Some(x) => out[i] = x,
            None => ok = false,
        }
    }
    if ok && out.iter().all(|&x| x == 0.0) {
        r.problem(key, format!("is all zeros, so nothing would ever arrive; give at least one positive multiplier ({what})"));
        return None;
    }
    ok.then_some(out)
}

fn daily_value<'a>(r: &mut Reader<'a>, key: &str, v: &'a Value) -> Option<Daily> {
    match v {
        Value::Array(_) => factors::<24>(r, key, v, "local hours 0 to 23").map(Daily::Hourly),
        Value::Table(_) => r
            .table_value(key, v, "a table", |r| {
                let amplitude = r.required("amplitude", "amplitude = 0.5", |r, k, v| {
                    let a = r.number_value(k, v)?;
                    if (0.0..=1.0).contains(&a) {
                        Some(a)
                    } else {
                        r.problem(k, format!("{a} is out of range; give a number from 0 (flat) to 1 (no arrivals at the trough)"));
                        None
                    }
                });
                let peak_hour = r.required("peak_hour", "peak_hour = 14", |r, k, v| {
                    let h = r.number_value(k, v)?;
                    if (0.0..=24.0).contains(&h) {
                        Some(h)
                    } else {
                        r.problem(k, format!("{h} is not an hour of the day; give a number from 0 to 24 (local time), e.g. 14 or 13.5"));
                        None
                    }
                });
                Some(Daily::Wave {
                    amplitude: amplitude?,
                    peak_hour: peak_hour?,
                })
            })
            .flatten(),
        v => {
            r.problem(
                key,
                expected(
                    "24 hourly multipliers [..], or a wave such as { amplitude = 0.5, peak_hour = 14 }",
                    v,
                ),
            );
            None
        }
    }
}

/// `"+3%/30d"`, `"-10%/y"`: a relative change per period.
pub fn parse_growth(s: &str) -> Result<(f64, SimTime), String> {
    let example = "give a change per period such as \"+3%/30d\" or \"-10%/365d\"";
    let t = s.trim();
    let Some((num, per)) = t.split_once('/') else {
        return Err(format!("{s:?} has no period; {example}"));
    };
    let Some(num) = num.trim().strip_suffix('%') else {
        return Err(format!("{s:?} is not a percentage; {example}"));
    };
    let pct: f64 = num
        .trim()
        .parse()
        .ok()
        .filter(|x: &f64| x.is_finite())
        .ok_or_else(|| format!("{s:?}: {num:?} is not a number; {example}"))?;
    // A bare unit is one of it: "+3%/d" is "+3%/1d".
    let per = per.trim();
    let per = if per.starts_with(|c: char| c.is_ascii_alphabetic()) {
        format!("1{per}")
    } else {
        per.to_string()
    };
    let per = parse_duration(&per).map_err(|e| format!("{s:?}: {e}"))?;
    if per == SimTime::ZERO {
        return Err(format!("{s:?} has a period of 0; {example}"));
    }
    if pct <= -100.0 {
        return Err(format!(
            "{s:?} is a decline of 100% or more; {example} (above -100%)"
        ));
    }
    if pct > 1e4 {
        return Err(format!("{s:?} is more than +10000% per period; {example}"));
    }
    Ok((pct / 100.0, per))
}

fn growth_value<'a>(r: &mut Reader<'a>, key: &str, v: &'a Value, compound: bool) -> Option<Growth> {
    let s = r.str_value(key, v, "a change per period such as \"+3%/30d\"")?;
    match parse_growth(s) {
        Ok((by, per)) => Some(Growth { by, per, compound }),
        Err(e) => {
            r.problem(key, e);
            None
        }
    }
}

/// A trend of the current table: `growth` (compound) or `linear_growth`.
pub(crate) fn trend(r: &mut Reader) -> Option<Growth> {
    let growth = r.read("growth", |r, k, v| growth_value(r, k, v, true));
    let linear = r.read("linear_growth", |r, k, v| growth_value(r, k, v, false));
    if r.has("growth") && r.has("linear_growth") {
        r.problem(
            "linear_growth",
            "is given with `growth`; give one trend: growth (compound) or linear_growth",
        );
    }
    growth.or(linear)
}

/// `"+08:00"`, `"-05:30"`, `"Z"`: seconds east of UTC.
fn offset_value<'a>(r: &mut Reader<'a>, key: &str, v: &'a Value) -> Option<i32> {
    let s = r.str_value(key, v, "a UTC offset such as \"+08:00\" or \"-05:00\"")?;
    let bad = |r: &mut Reader| {
        r.problem(
            key,
            format!("{s:?} is not a UTC offset; give \"+HH:MM\" or \"-HH:MM\" from -12:00 to +14:00, e.g. \"+08:00\" (\"Z\" or \"+00:00\" for UTC)"),
        );
        None
    };
    if s == "Z" {
        return Some(0);
    }
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => return bad(r),
    };
    let Some((h, m)) = rest.split_once(':') else {
        return bad(r);
    };
    let (Ok(h), Ok(m)) = (h.parse::<i32>(), m.parse::<i32>()) else {
        return bad(r);
    };
    let total = sign * (h * 3600 + m * 60);
    if h.to_string().len() > 2 || m >= 60 || !(-12 * 3600..=14 * 3600).contains(&total) {
        return bad(r);
    }
    Some(total)
}

fn window(r: &mut Reader) -> Option<Window> {
    let start = r.required("start", "start = \"20d\"", Reader::duration_value);
    let duration = r.required("duration", "duration = \"3d\"", Reader::duration_value);
    let factor = r.required("factor", "factor = 3", factor_value);
    if duration == Some(SimTime::ZERO) {
        r.problem(
            "duration",
            "\"0s\" makes an empty window; give a positive duration such as \"3d\"",
        );
        return None;
    }
    let start = start?;
    Some(Window {
        start,
        end: start.after(duration?),
        factor: factor?,
    })
}

fn profile(r: &mut Reader, dir: &Path) -> Option<Profile> {
    let base = r.read("base", Reader::rate_value);
    let schedule = r.read("schedule", |r, k, v| {
        let path = r.str_value(
            k,
            v,
            "a CSV file path such as \"rates.csv\" (columns time, rate)",
        )?;
        match read_schedule(&dir.join(path), path) {
            Ok(points) => Some(Schedule {
                path: path.to_string(),
                points,
            }),
            Err(problems) => {
                for p in problems {
                    r.problem(k, p);
                }
                None
            }
        }
    });
    if r.has("base") && r.has("schedule") {
        r.problem("schedule", "is given with `base`; give either base (a constant rate the shapes multiply) or schedule (a file of rates over time), not both");
    } else if !r.has("base") && !r.has("schedule") {
        r.problem("", "has no rate; give base = \"40/d\" (a constant the shapes multiply) or schedule = \"rates.csv\" (rates over time)");
    }
    let utc_offset_s = r.read("utc_offset", offset_value).unwrap_or(0);
    let daily = r.read("daily", daily_value);
    let weekly = r.read("weekly", |r, k, v| {
        factors::<7>(r, k, v, "Monday to Sunday")
    });
    let growth = trend(r);
    let windows = r.list_of_tables(
        "windows",
        "a table such as { start = \"20d\", duration = \"3d\", factor = 3 }",
        window,
    );
    let base = match (base, schedule) {
        (Some(b), None) => Base::Rate(b),
        (None, Some(s)) => Base::Schedule(s),
        _ => return None,
    };
    Some(Profile {
        base,
        utc_offset_s,
        daily,
        weekly,
        growth,
        windows,
    })
}

/// A number above 0 and at most `max`.
fn positive<'a>(r: &mut Reader<'a>, k: &str, v: &'a Value, max: f64) -> Option<f64> {
    let x = r.number_value(k, v)?;
    if x > 0.0 && x <= max {
        Some(x)
    } else {
        r.problem(
            k,
            format!("{x} is out of range; give a number above 0 and at most {max}"),
        );
        None
    }
}

/// `arrivals = { trace = ..., format = ... }`: the file is checked later,
/// once the flavors are known ([`super::trace::check`]).
fn trace(r: &mut Reader, dir: &Path) -> Option<super::trace::TraceSpec> {
    use super::trace::{Format, MAX_DEMAND_SCALE, TraceSpec};
    use strum::VariantArray;
    let path = r.read("trace", |r, k, v| {
        r.str_value(k, v, "a file path string such as \"vmtable.csv\"")
            .map(str::to_string)
    });
    let names: Vec<&'static str> = Format::VARIANTS.iter().map(|f| f.name()).collect();
    let format = r.required("format", "format = \"azure-vm-v2\"", |r, k, v| {
        let name = r.choice_value(k, v, &names)?;
        Format::VARIANTS.iter().copied().find(|f| f.name() == name)
    });
    let offset = r
        .read("offset", Reader::duration_value)
        .unwrap_or(SimTime::ZERO);
    let time_scale = r
        .read("time_scale", |r, k, v| positive(r, k, v, 1e6))
        .unwrap_or(1.0);
    let demand_scale = r
        .read("demand_scale", |r, k, v| {
            positive(r, k, v, MAX_DEMAND_SCALE)
        })
        .unwrap_or(1.0);
    let flavors = r.opt_table("flavors", |r| {
        let mut out = Vec::new();
        for (key, v) in r.entries() {
            let valid_key = key == "*"
                || key
                    .split_once('/')
                    .is_some_and(|(c, m)| !c.is_empty() && !m.is_empty() && !c.contains('/') && !m.contains('/'));
            if !valid_key {
                r.problem(key, format!("{key:?} is not a bucket pair; give \"<cores bucket>/<memory bucket>\" as the trace writes them, e.g. \"2/4\" or \">24/>64\", or \"*\" for every other pair"));
                continue;
            }
            if let Some(name) = r.str_value(key, v, "a flavor name of [capacity.flavors]") {
                out.push((key.to_string(), name.to_string()));
            }
        }
        out
    });
    let format = format?;
    if format == Format::Csv && flavors.is_some() {
        r.problem("flavors", "is for the Azure formats, whose rows give core and memory buckets; the csv format's rows name their flavor");
    }
    let path = path?;
    Some(TraceSpec {
        // Relative to the scenario's folder.
        file: dir.join(&path),
        path,
        format,
        offset,
        time_scale,
        demand_scale,
        flavors: flavors.unwrap_or_default(),
        rows: 0,
        span_s: (0.0, 0.0),
    })
}

/// The problems of a profile that only the whole scenario shows: a peak
/// rate over the horizon above what a run can simulate.
pub fn check(profile: &Profile, start_time_ms: u64, horizon: SimTime) -> Option<String> {
    let (_, peak) = Clock::new(profile, start_time_ms, horizon).integral_and_peak(horizon);
    (peak > MAX_RATE_PER_DAY).then(|| {
        format!(
            "peaks at {peak:.3e} per day within the horizon \"{}\", more than one per millisecond, the simulation's time step ({MAX_RATE_PER_DAY:e} per day); a run would never finish",
            format_duration(horizon)
        )
    })
}

/// Reads a schedule file: a header `time,rate`, then one row per change,
/// times increasing from 0 (`"0s"`, `"12h"`, or seconds), rates as
/// `"40/d"`. Every problem is listed with its line, up to a limit.
pub fn read_schedule(path: &Path, shown: &str) -> Result<Vec<(SimTime, f64)>, Vec<String>> {
    // A file that grows past the limit as it is read is caught below.
    let file = crate::input::file::open_limited(path, MAX_SCHEDULE_BYTES).map_err(|e| {
        vec![format!(
            "{shown}: {}",
            e.explain(
                "give a CSV file of rate changes (`time,rate`)",
                "a schedule is a list of rate changes, not a trace"
            )
        )]
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(std::io::BufReader::new(file));
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(e) => return Err(vec![format!("{shown}: {e}")]),
    };
    if header != ["time", "rate"] {
        return Err(vec![format!(
            "{shown} line 1: the header is {:?}; it must be exactly `time,rate`",
            header.join(",")
        )]);
    }
    let mut points: Vec<(SimTime, f64)> = Vec::new();
    let mut prev: Option<SimTime> = None;
    let mut record = csv::StringRecord::new();
    // At most MAX_FILE_PROBLEMS are listed; the rest are counted.
    let mut found = Problems::listing_at_most(MAX_FILE_PROBLEMS, format!("in {shown}"));
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                found.push("", format!("{shown}: {e}"));
                break;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        if reader.position().byte() > MAX_SCHEDULE_BYTES {
            found.push(
                "",
                format!(
                    "{shown}: larger than {} MiB; a schedule is a list of rate changes, not a trace",
                    MAX_SCHEDULE_BYTES >> 20
                ),
            );
            break;
        }
        if points.len() >= MAX_SCHEDULE_POINTS {
            found.push(
                "",
                format!(
                    "{shown} line {line}: more than {MAX_SCHEDULE_POINTS} rows; merge rows whose rate does not change"
                ),
            );
            break;
        }
        if record.len() != 2 {
            found.push(
                "",
                format!(
                    "{shown} line {line}: has {} columns; give 2 (time, rate)",
                    record.len()
                ),
            );
            continue;
        }
        let time = match parse_time(&record[0]) {
            Ok(t) => Some(t),
            Err(e) => {
                found.push("", format!("{shown} line {line}, column time: {e}"));
                None
            }
        };
        let rate = match parse_rate_per_day(&record[1]) {
            Ok(r) => Some(r),
            Err(e) => {
                found.push("", format!("{shown} line {line}, column rate: {e}"));
                None
            }
        };
        // Order is checked for every row whose time can be read, so that a
        // bad rate does not hide the next row's problem.
        let Some(time) = time else {
            continue;
        };
        let before = prev.replace(time);
        match before {
            None if time != SimTime::ZERO => {
                found.push(
                    "",
                    format!(
                        "{shown} line {line}, column time: {:?} is the first row; the schedule must start at 0 (\"0s\")",
                        &record[0]
                    ),
                );
            }
            Some(prev) if time <= prev => {
                found.push(
                    "",
                    format!(
                        "{shown} line {line}, column time: {:?} is not after the row before ({}); give times in increasing order",
                        &record[0],
                        format_duration(prev)
                    ),
                );
            }
            _ => {
                if let Some(rate) = rate {
                    points.push((time, rate));
                }
            }
        }
    }
    if found.is_empty() && points.is_empty() {
        found.push("", format!("{shown}: has no rows; give at least `0s,40/d`"));
    }
    if found.is_empty() {
        Ok(points)
    } else {
        Err(found.into_vec().into_iter().map(|p| p.message).collect())
    }
}

/// A schedule time: a duration string, or a number of seconds.
fn parse_time(s: &str) -> Result<SimTime, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => parse_duration(&format!("{x}s")),
        Ok(_) => Err(format!(
            "{s:?} is not a time; give a duration such as \"12h\" or a number of seconds of 0 or more"
        )),
        Err(_) => parse_duration(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse::tests::{assert_problem, problems};

    fn with(arrivals: &str) -> String {
        format!("name = \"t\"\nhorizon = \"30d\"\n[ecs]\narrivals = {arrivals}\n")
    }

    fn parsed(arrivals: &str) -> Profile {
        let sc = crate::scenario::parse::parse_str(&with(arrivals), "t.toml")
            .unwrap_or_else(|e| panic!("{e}"));
        sc.ecs.unwrap().arrival_profile.expect("a profile")
    }

    #[test]
    fn a_full_profile_reads_every_part() {
        let p = parsed(
            r#"{ base = "100/d", utc_offset = "-05:30", daily = { amplitude = 0.5, peak_hour = 14 }, weekly = [1, 1, 1, 1, 1, 0.5, 0.25], growth = "+3%/30d", windows = [{ start = "10d", duration = "2d", factor = 4 }] }"#,
        );
        assert_eq!(p.base, Base::Rate(100.0));
        assert_eq!(p.utc_offset_s, -(5 * 3600 + 30 * 60));
        assert_eq!(
            p.daily,
            Some(Daily::Wave {
                amplitude: 0.5,
                peak_hour: 14.0
            })
        );
        assert_eq!(p.weekly, Some([1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.25]));
        let g = p.growth.unwrap();
        assert!(
            (g.by - 0.03).abs() < 1e-15 && g.compound && g.per == SimTime::from_secs(30 * 86_400)
        );
        assert_eq!(
            p.windows,
            vec![Window {
                start: SimTime::from_secs(864_000),
                end: SimTime::from_secs(1_036_800),
                factor: 4.0
            }]
        );
        let hourly = parsed(&format!(
            "{{ base = \"1/h\", daily = [{}], linear_growth = \"-10%/y\" }}",
            ["1"; 24].join(", ")
        ));
        assert_eq!(hourly.daily, Some(Daily::Hourly([1.0; 24])));
        assert!(!hourly.growth.unwrap().compound);
    }

    #[test]
    fn a_constant_rate_stays_a_constant() {
        let sc = crate::scenario::parse::parse_str(&with("\"40/d\""), "t.toml").unwrap();
        let e = sc.ecs.unwrap();
        assert_eq!((e.arrivals_per_day, e.arrival_profile), (40.0, None));
    }

    #[test]
    fn every_problem_of_a_profile_is_reported() {
        assert_problem(
            &with("{ daily = [1] }"),
            "ecs.arrivals",
            &["no rate", "base = "],
        );
        assert_problem(
            &with("{ base = \"1/d\", daily = [1, 2] }"),
            "ecs.arrivals.daily",
            &["2 values", "exactly 24"],
        );
        assert_problem(
            &with("{ base = \"1/d\", weekly = [1, 1, 1, 1, 1, 1, -1] }"),
            "ecs.arrivals.weekly[6]",
            &["-1", "from 0 to"],
        );
        assert_problem(
            &with("{ base = \"1/d\", weekly = [0, 0, 0, 0, 0, 0, 0] }"),
            "ecs.arrivals.weekly",
            &["all zeros"],
        );
        assert_problem(
            &with("{ base = \"1/d\", daily = { amplitude = 1.5, peak_hour = 3 } }"),
            "ecs.arrivals.daily.amplitude",
            &["1.5", "from 0"],
        );
        assert_problem(
            &with("{ base = \"1/d\", daily = { amplitude = 0.5, peak_hour = 25 } }"),
            "ecs.arrivals.daily.peak_hour",
            &["25", "0 to 24"],
        );
        assert_problem(
            &with("{ base = \"1/d\", daily = { amplitude = 0.5 } }"),
            "ecs.arrivals.daily.peak_hour",
            &["missing"],
        );
        assert_problem(
            &with("{ base = \"1/d\", growth = \"3%/30d\", linear_growth = \"+1%/d\" }"),
            "ecs.arrivals.linear_growth",
            &["one trend"],
        );
        assert_problem(
            &with("{ base = \"1/d\", growth = \"+3/30d\" }"),
            "ecs.arrivals.growth",
            &["percentage", "+3%/30d"],
        );
        assert_problem(
            &with("{ base = \"1/d\", growth = \"-100%/30d\" }"),
            "ecs.arrivals.growth",
            &["100%"],
        );
        assert_problem(
            &with("{ base = \"1/d\", growth = \"+3%/0d\" }"),
            "ecs.arrivals.growth",
            &["period of 0"],
        );
        assert_problem(
            &with("{ base = \"1/d\", utc_offset = \"8\" }"),
            "ecs.arrivals.utc_offset",
            &["\"8\"", "+HH:MM"],
        );
        assert_problem(
            &with("{ base = \"1/d\", utc_offset = \"+15:00\" }"),
            "ecs.arrivals.utc_offset",
            &["+14:00"],
        );
        assert_problem(
            &with(
                "{ base = \"1/d\", windows = [{ start = \"1d\", duration = \"0s\", factor = 2 }] }",
            ),
            "ecs.arrivals.windows[0].duration",
            &["empty window"],
        );
        assert_problem(
            &with("{ base = \"1/d\", windows = [{ start = \"1d\", duration = \"1d\" }] }"),
            "ecs.arrivals.windows[0].factor",
            &["missing"],
        );
        assert_problem(
            &with("{ base = \"1/d\", hourly = [1] }"),
            "ecs.arrivals.hourly",
            &["unknown field", "daily"],
        );
        let ps = problems(&with("{ base = \"1/d\", schedule = \"x.csv\" }"));
        assert!(
            ps.iter()
                .any(|p| p.field == "ecs.arrivals.schedule" && p.message.contains("either base")),
            "{ps:#?}"
        );
        assert!(
            ps.iter()
                .any(|p| p.message.contains("x.csv: cannot be read")),
            "{ps:#?}"
        );
        assert_problem(&with("40"), "ecs.arrivals", &["rate string", "table"]);
        // A growth that reaches more than a run can simulate within the horizon.
        assert_problem(
            &with("{ base = \"10000000/d\", growth = \"+100%/1d\" }"),
            "ecs.arrivals",
            &["peaks at", "never finish"],
        );
        // Several at once.
        let ps = problems(&with("{ base = \"x\", daily = [1], weekly = \"flat\" }"));
        assert_eq!(ps.len(), 3, "{ps:#?}");
    }

    #[test]
    fn a_schedule_file_is_read_and_checked_line_by_line() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.csv");
        std::fs::write(&good, "time,rate\n0s,10/d\n12h,20/d\n86400,5/h\n").unwrap();
        assert_eq!(
            read_schedule(&good, "good.csv").unwrap(),
            vec![
                (SimTime::ZERO, 10.0),
                (SimTime::from_secs(43_200), 20.0),
                (SimTime::from_secs(86_400), 120.0)
            ]
        );
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "time,rate\n1h,10/d\n2h,x\n1h,3/d\n3h\n").unwrap();
        let e = read_schedule(&bad, "bad.csv").unwrap_err();
        assert_eq!(e.len(), 4, "{e:#?}");
        assert!(
            e[0].contains("line 2, column time") && e[0].contains("start at 0"),
            "{}",
            e[0]
        );
        assert!(
            e[1].contains("line 3, column rate") && e[1].contains("\"x\""),
            "{}",
            e[1]
        );
        assert!(
            e[2].contains("line 4, column time") && e[2].contains("increasing"),
            "{}",
            e[2]
        );
        assert!(
            e[3].contains("line 5") && e[3].contains("1 columns"),
            "{}",
            e[3]
        );
        // Beyond 20, problems are counted in one more line.
        let many = dir.path().join("many.csv");
        let rows: String = (0..25).map(|i| format!("{i}h,x\n")).collect();
        std::fs::write(&many, format!("time,rate\n{rows}")).unwrap();
        let e = read_schedule(&many, "many.csv").unwrap_err();
        assert_eq!(e.len(), 21, "{e:#?}");
        assert_eq!(e[20], "and 5 more problems in many.csv");
        let header = dir.path().join("header.csv");
        std::fs::write(&header, "t,r\n0s,1/d\n").unwrap();
        assert!(read_schedule(&header, "header.csv").unwrap_err()[0].contains("time,rate"));
        assert!(
            read_schedule(&dir.path().join("missing.csv"), "missing.csv").unwrap_err()[0]
                .contains("cannot be read")
        );
    }
}
