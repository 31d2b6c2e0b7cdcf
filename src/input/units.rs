//! Units in scenario files: durations ("90s", "2h") and rates ("40/d").
//!
//! Every error message names the bad text and says what would be valid, so the
//! scenario walker can pass it on with the field path in front.

use crate::engine::SimTime;

/// Duration units and their length in milliseconds.
const DURATION_UNITS: &[(&str, f64)] = &[
    ("ms", 1.0),
    ("s", 1_000.0),
    ("m", 60_000.0),
    ("min", 60_000.0),
    ("h", 3_600_000.0),
    ("d", 86_400_000.0),
    ("w", 604_800_000.0),
    ("y", 31_536_000_000.0),
];

/// How the valid duration units are listed in messages.
const DURATION_UNIT_LIST: &str = "ms, s, m (or min), h, d, w, y (365 days)";

/// Rate units and how many of them fit in a day.
const RATE_UNITS: &[(&str, f64)] = &[
    ("s", 86_400.0),
    ("m", 1_440.0),
    ("min", 1_440.0),
    ("h", 24.0),
    ("hour", 24.0),
    ("d", 1.0),
    ("day", 1.0),
    ("w", 1.0 / 7.0),
    ("week", 1.0 / 7.0),
    ("y", 1.0 / 365.0),
    ("year", 1.0 / 365.0),
];

/// How the valid rate units are listed in messages.
const RATE_UNIT_LIST: &str = "s, m (or min), h (or hour), d (or day), w (or week), y (or year)";

/// The longest duration a scenario may give: 100 years of 365 days.
pub const MAX_DURATION: SimTime = SimTime(100 * 365 * 86_400 * 1_000);

/// The highest rate a scenario may give, in events per day: one per
/// millisecond, the simulation's time step (a Poisson clock whose mean gap
/// is shorter than a tick keeps re-arming at the same instant), and far
/// beyond what a run could finish.
pub const MAX_RATE_PER_DAY: f64 = 86_400_000.0;

/// Parses a duration: a non-negative decimal number followed by a unit (`ms`,
/// `s`, `m` or `min`, `h`, `d`, `w`, `y` = 365 d), optionally separated by
/// whitespace: `"90s"`, `"1.5h"`, `"30 d"`. Rounded to the millisecond; at most
/// [`MAX_DURATION`].
pub fn parse_duration(s: &str) -> Result<SimTime, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(format!("{s:?} is empty; give a duration such as \"90s\""));
    }
    if t.starts_with('-') {
        return Err(format!(
            "{s:?} is negative; give a positive duration such as \"720h\""
        ));
    }
    let (num, unit) = split_number(t);
    if num.is_empty() {
        return Err(format!(
            "{s:?} does not start with a number; give a duration such as \"90s\" or \"1.5h\""
        ));
    }
    let value = parse_decimal(num).ok_or_else(|| {
        format!(
            "{s:?}: {num:?} is not a decimal number; give a duration such as \"90s\" or \"1.5h\""
        )
    })?;
    if unit.is_empty() {
        return Err(format!(
            "{s:?} has no unit, and a bare number is ambiguous; write e.g. \"{num}s\" or \"{num}m\" (units: {DURATION_UNIT_LIST})"
        ));
    }
    let Some(&(_, unit_ms)) = DURATION_UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(format!(
            "{s:?} has an unknown unit {unit:?}; valid units: {DURATION_UNIT_LIST}"
        ));
    };
    let ms = (value * unit_ms).round();
    // Both factors are finite and non-negative, so `ms` is never NaN; the bound
    // also rules out infinity.
    if ms > MAX_DURATION.0 as f64 {
        return Err(format!(
            "{s:?} is longer than the limit of 100 years (\"100y\")"
        ));
    }
    // 0 <= ms <= MAX_DURATION, an exact integer: the cast is lossless.
    Ok(SimTime(ms as u64))
}

/// Parses a rate: a non-negative decimal number of events per unit of time,
/// `"40/d"`, `"0.5/h"`, `"2/w"`, `"1/y"`, `"0/d"`, with units `s`, `m` or
/// `min`, `h` or `hour`, `d` or `day`, `w` or `week`, `y` or `year` (365 d).
/// Returns events per day, finite, at least 0 and at most [`MAX_RATE_PER_DAY`].
pub fn parse_rate_per_day(s: &str) -> Result<f64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(format!("{s:?} is empty; give a rate such as \"40/d\""));
    }
    let Some((num, unit)) = t.split_once('/') else {
        return Err(format!(
            "{s:?} has no time unit; give events per unit of time such as \"40/d\" or \"0.5/h\""
        ));
    };
    let (num, unit) = (num.trim(), unit.trim());
    if num.starts_with('-') {
        return Err(format!(
            "{s:?} is negative; give a rate of zero or more such as \"40/d\""
        ));
    }
    let value = parse_decimal(num).ok_or_else(|| {
        format!("{s:?}: {num:?} is not a decimal number; give a rate such as \"40/d\" or \"0.5/h\"")
    })?;
    let Some(&(_, per_day)) = RATE_UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(format!(
            "{s:?} has an unknown time unit {unit:?}; valid units: {RATE_UNIT_LIST}"
        ));
    };
    let rate = value * per_day;
    if rate > MAX_RATE_PER_DAY {
        return Err(format!(
            "{s:?} is more than one per millisecond, the simulation's time step ({MAX_RATE_PER_DAY:e} per day); a run would never finish"
        ));
    }
    Ok(rate)
}

/// A duration in the largest unit that shows it exactly: `"30d"`, `"90m"`,
/// `"1500ms"` (so that messages can quote times the way scenarios write them).
pub fn format_duration(t: SimTime) -> String {
    const UNITS: [(&str, u64); 5] = [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    if t.0 == 0 {
        return "0s".to_string();
    }
    for (unit, ms) in UNITS {
        if t.0.is_multiple_of(ms) {
            return format!("{}{unit}", t.0 / ms);
        }
    }
    format!("{}ms", t.0)
}

/// Splits `"1.5 h"` into the leading number-like text and the trimmed rest.
pub(crate) fn split_number(t: &str) -> (&str, &str) {
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+'))
        .unwrap_or(t.len());
    (&t[..end], t[end..].trim())
}

/// A plain non-negative decimal (`"3"`, `"1.5"`, `".5"`, `"+2"`), finite;
/// `None` for anything else (exponents, signs other than a leading `+`, `inf`).
pub(crate) fn parse_decimal(num: &str) -> Option<f64> {
    let digits = num.strip_prefix('+').unwrap_or(num);
    let well_formed = digits.chars().any(|c| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1;
    if !well_formed {
        return None;
    }
    digits.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Serialises a time as seconds (the manifest's validated scenario).
pub(crate) fn ser_secs<S: serde::Serializer>(t: &SimTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(t.as_secs_f64())
}

/// Serialises an optional time as seconds, or null.
pub(crate) fn ser_opt_secs<S: serde::Serializer>(
    t: &Option<SimTime>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_f64(t.as_secs_f64()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> u64 {
        parse_duration(s).unwrap().0
    }

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(ms("250ms"), 250);
        assert_eq!(ms("90s"), 90_000);
        assert_eq!(ms("15m"), 900_000);
        assert_eq!(ms("15min"), 900_000);
        assert_eq!(ms("1.5h"), 5_400_000);
        assert_eq!(ms("30d"), 30 * 86_400_000);
        assert_eq!(ms("2w"), 14 * 86_400_000);
        assert_eq!(ms("1y"), 365 * 86_400_000);
        assert_eq!(ms("0s"), 0);
        assert_eq!(ms(".5s"), 500);
        assert_eq!(ms("100y"), MAX_DURATION.0);
    }

    #[test]
    fn whitespace_is_allowed() {
        assert_eq!(ms("30 d"), 30 * 86_400_000);
        assert_eq!(ms("  2h  "), 7_200_000);
        assert_eq!(ms("1.5\th"), 5_400_000);
    }

    #[test]
    fn bad_durations_are_refused_with_a_reason() {
        let err = |s: &str| parse_duration(s).unwrap_err();
        assert!(err("-3h").contains("\"-3h\" is negative"), "{}", err("-3h"));
        assert!(err("5").contains("bare number is ambiguous"));
        assert!(err("5 parsecs").contains("unknown unit \"parsecs\""));
        assert!(err("5 parsecs").contains("ms, s, m"));
        assert!(err("abc").contains("does not start with a number"));
        assert!(err("").contains("empty"));
        assert!(err("   ").contains("empty"));
        assert!(err("NaN").contains("does not start with a number"));
        assert!(err("inf s").contains("does not start with a number"));
        assert!(err("1e999s").contains("unknown unit"));
        assert!(err("1.2.3s").contains("not a decimal number"));
        assert!(err("101y").contains("100 years"));
        assert!(err(&format!("{}d", "9".repeat(300))).contains("100 years"));
        assert!(err("5H").contains("unknown unit"));
    }

    #[test]
    fn rates_in_every_unit() {
        let r = |s: &str| parse_rate_per_day(s).unwrap();
        assert_eq!(r("40/d"), 40.0);
        assert_eq!(r("40/day"), 40.0);
        assert_eq!(r("3 / d"), 3.0);
        assert_eq!(r("0.5/h"), 12.0);
        assert_eq!(r("1/hour"), 24.0);
        assert!((r("2/w") - 2.0 / 7.0).abs() < 1e-12);
        assert!((r("1/year") - 1.0 / 365.0).abs() < 1e-12);
        assert_eq!(r("1/y"), 1.0 / 365.0);
        assert_eq!(r("1/m"), 1_440.0);
        assert_eq!(r("1/min"), 1_440.0);
        assert_eq!(r("1/s"), 86_400.0);
        assert_eq!(r("0/d"), 0.0);
    }

    #[test]
    fn bad_rates_are_refused_with_a_reason() {
        let err = |s: &str| parse_rate_per_day(s).unwrap_err();
        assert!(err("40").contains("no time unit"));
        assert!(err("-1/d").contains("negative"));
        assert!(err("x/d").contains("not a decimal number"));
        assert!(err("1/fortnight").contains("unknown time unit \"fortnight\""));
        assert!(err("").contains("empty"));
        assert!(err("1e9999/d").contains("not a decimal number"));
        assert!(err("99999999999/s").contains("never finish"));
        // One per millisecond is the most: a Poisson clock's mean gap is
        // then one tick of the simulation.
        assert_eq!(parse_rate_per_day("1000/s"), Ok(86_400_000.0));
        assert!(err("1001/s").contains("more than one per millisecond"));
        assert!(err("1000000000/d").contains("one per millisecond"));
        assert!(err("/d").contains("not a decimal number"));
        assert!(err("nan/d").contains("not a decimal number"));
    }

    #[test]
    fn formats_in_the_largest_exact_unit() {
        assert_eq!(format_duration(SimTime::from_secs(30 * 86_400)), "30d");
        assert_eq!(format_duration(SimTime::from_secs(5_400)), "90m");
        assert_eq!(format_duration(SimTime(1_500)), "1500ms");
        assert_eq!(format_duration(SimTime::ZERO), "0s");
        for s in ["90s", "1.5h", "30d", "250ms", "2w"] {
            let t = parse_duration(s).unwrap();
            assert_eq!(parse_duration(&format_duration(t)).unwrap(), t);
        }
    }
}
