//! The JSON logs' common ground: which format a log is in, a file read as
//! JSON lines (streamed) or as one JSON document (read whole), and Nova's
//! timestamps as microseconds.

use serde_json::Value;
use std::io::{BufRead, Read};
use std::path::Path;

/// The longest line a JSON-lines log may hold: a notification is a few
/// kilobytes, and a line is held whole while it is parsed.
pub const MAX_LINE: u64 = 16 << 20;

/// The largest JSON document read whole (its values take several times its
/// size in memory); a larger log must be given as JSON lines, which are
/// streamed.
pub const MAX_DOCUMENT: u64 = 256 << 20;

/// Reads one line into `buf` (cleared first), at most [`MAX_LINE`] bytes;
/// `Ok(0)` at the end.
fn read_line(input: &mut Box<dyn BufRead>, buf: &mut Vec<u8>) -> Result<usize, String> {
    buf.clear();
    let n = input
        .by_ref()
        .take(MAX_LINE + 1)
        .read_until(b'\n', buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    if n as u64 > MAX_LINE {
        return Err(format!(
            "cannot read: a line longer than {} MiB; a JSON-lines log holds one record per line",
            MAX_LINE >> 20
        ));
    }
    Ok(n)
}

/// The most distinct unknown event names counted one by one; the rest
/// are counted together, so that a log of made-up names cannot grow the
/// count without bound.
pub const MAX_UNKNOWN_NAMES: usize = 1000;

/// Counts `n` unknown events called `name` in `counts`.
pub fn count_unknown(counts: &mut std::collections::BTreeMap<String, u64>, name: String, n: u64) {
    const OTHERS: &str = "(other names, beyond the first 1000)";
    let named = counts.len() - usize::from(counts.contains_key(OTHERS));
    let name = if name == OTHERS || (named >= MAX_UNKNOWN_NAMES && !counts.contains_key(&name)) {
        OTHERS.to_string()
    } else {
        name
    };
    *counts.entry(name).or_default() += n;
}

/// The formats `fleetsim fit` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// fleetsim's own transitions.csv.
    Trace,
    /// Nova's versioned notifications, one per line.
    Notifications,
    /// Nova's instance actions (`os-instance-actions`), per server.
    Actions,
}

/// The file's name without a trailing `.zst`, lower-cased.
fn inner_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.strip_suffix(".zst")
        .map_or(name.clone(), str::to_string)
}

/// Opens `path` for reading, zstd-decoded when its name ends in `.zst`.
pub fn open_raw(path: &Path) -> Result<Box<dyn BufRead>, String> {
    let file = path.display().to_string();
    let raw = std::fs::File::open(path).map_err(|e| format!("{file}: cannot open: {e}"))?;
    if !raw.metadata().is_ok_and(|m| m.is_file()) {
        return Err(format!(
            "{file}: not a regular file; give a transitions.csv, a Nova notification log (.jsonl) or an instance-actions file (.json)"
        ));
    }
    Ok(if file.ends_with(".zst") {
        Box::new(std::io::BufReader::new(
            zstd::stream::read::Decoder::new(raw)
                .map_err(|e| format!("{file}: cannot read as zstd: {e}"))?,
        ))
    } else {
        Box::new(std::io::BufReader::new(raw))
    })
}

/// Whether the log is a trace or JSON: by its extension (`.csv`; `.jsonl`,
/// `.ndjson`, `.json`; each also with `.zst`), else by its first
/// character other than white space (`{` or `[`: JSON).
fn is_json(path: &Path) -> Result<bool, String> {
    let name = inner_name(path);
    if name.ends_with(".csv") {
        return Ok(false);
    }
    if [".jsonl", ".ndjson", ".json"]
        .iter()
        .any(|e| name.ends_with(e))
    {
        return Ok(true);
    }
    let mut input = open_raw(path)?;
    let mut buf = [0u8; 1];
    loop {
        match input.read(&mut buf) {
            Ok(0) => return Ok(false),
            Ok(_) if buf[0].is_ascii_whitespace() => {}
            Ok(_) => return Ok(matches!(buf[0], b'{' | b'[')),
            Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
        }
    }
}

/// The log's format: a trace or JSON as `is_json` says; JSON whose first
/// record has `instanceActions` (or `instanceAction`) holds instance
/// actions, any other JSON notifications.
pub fn detect(path: &Path) -> Result<Format, String> {
    if !is_json(path)? {
        return Ok(Format::Trace);
    }
    let mut records = Records::open(path)?;
    Ok(match records.next_record() {
        Some((_, Ok(v))) if is_actions(&v) => Format::Actions,
        _ => Format::Notifications,
    })
}

/// Whether a record is a server's instance actions.
pub fn is_actions(v: &Value) -> bool {
    v.get("instanceActions").is_some() || v.get("instanceAction").is_some()
}

/// The records of a JSON log.
pub struct Records {
    file: String,
    source: Source,
}

enum Source {
    Lines {
        input: Box<dyn BufRead>,
        line: u64,
        buf: Vec<u8>,
        first: Option<Vec<u8>>,
    },
    Whole {
        values: std::vec::IntoIter<Value>,
        element: u64,
        array: bool,
    },
    Done,
}

/// Where a JSON log holds a record.
pub fn at_line(line: u64) -> String {
    format!("line {line}")
}

impl Records {
    /// Opens a JSON log. A `.jsonl` or `.ndjson` file is JSON lines: one
    /// record per line, blank lines ignored, streamed. Any other is JSON
    /// lines too when its first line that is not blank is a whole JSON
    /// value; otherwise it is one JSON document (an object, or an array of
    /// objects, as pretty-printed files are), read whole into memory.
    pub fn open(path: &Path) -> Result<Records, String> {
        let file = path.display().to_string();
        let name = inner_name(path);
        let mut input = open_raw(path)?;
        let forced_lines = name.ends_with(".jsonl") || name.ends_with(".ndjson");
        let mut buf = vec![];
        let mut line = 0u64;
        // The first line that is not blank decides.
        loop {
            let n = read_line(&mut input, &mut buf).map_err(|e| format!("{file}: {e}"))?;
            if n == 0 {
                return Ok(Records {
                    file,
                    source: Source::Done,
                });
            }
            line += 1;
            if !buf.iter().all(u8::is_ascii_whitespace) {
                break;
            }
        }
        let starts_array = buf.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        let whole_line = serde_json::from_slice::<Value>(&buf).is_ok();
        if forced_lines || (whole_line && !starts_array) {
            return Ok(Records {
                file,
                source: Source::Lines {
                    input,
                    line: line - 1,
                    buf: vec![],
                    first: Some(buf),
                },
            });
        }
        // One document: what was read, and the rest.
        let mut text = vec![b'\n'; usize::try_from(line - 1).unwrap_or(0)];
        text.extend_from_slice(&buf);
        let limit = MAX_DOCUMENT.saturating_sub(text.len() as u64);
        input
            .take(limit + 1)
            .read_to_end(&mut text)
            .map_err(|e| format!("{file}: cannot read: {e}"))?;
        if text.len() as u64 > MAX_DOCUMENT {
            return Err(format!(
                "{file}: cannot read: one JSON document larger than {} MiB; give a log this large as JSON lines (one record per line, a .jsonl file), which is streamed",
                MAX_DOCUMENT >> 20
            ));
        }
        let value: Value = serde_json::from_slice(&text).map_err(|e| {
            format!(
                "{file}: line {}, column {}: not JSON: {}; give one JSON document (an object, or an array of objects) or one JSON object per line",
                e.line(),
                e.column(),
                error_text(&e)
            )
        })?;
        let (values, array) = match value {
            Value::Array(values) => (values, true),
            other => (vec![other], false),
        };
        Ok(Records {
            file,
            source: Source::Whole {
                values: values.into_iter(),
                element: 0,
                array,
            },
        })
    }

    /// The file's name as given.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Whether the records come from one document read whole.
    pub fn is_whole(&self) -> bool {
        matches!(self.source, Source::Whole { .. })
    }

    /// The next record with where it is (`line 7`, `element 3 of the
    /// array`), or a fatal read error; `None` at the end. A record that is
    /// not JSON is an error for that line only.
    pub fn next_record(&mut self) -> Option<(String, Result<Value, String>)> {
        match &mut self.source {
            Source::Done => None,
            Source::Whole {
                values,
                element,
                array,
            } => {
                let v = values.next()?;
                *element += 1;
                let at = if *array {
                    format!("element {element} of the array")
                } else {
                    "the document".to_string()
                };
                Some((at, Ok(v)))
            }
            Source::Lines {
                input,
                line,
                buf,
                first,
            } => loop {
                let text = match first.take() {
                    Some(t) => t,
                    None => match read_line(input, buf) {
                        Ok(0) => return None,
                        Ok(_) => std::mem::take(buf),
                        Err(e) => {
                            let at = at_line(*line + 1);
                            self.source = Source::Done;
                            return Some((at, Err(e)));
                        }
                    },
                };
                *line += 1;
                let at = at_line(*line);
                if text.iter().all(u8::is_ascii_whitespace) {
                    *buf = text;
                    continue;
                }
                // The line's end is not part of the record: a line cut
                // short inside a string must read as cut short.
                let end = text.len()
                    - text
                        .iter()
                        .rev()
                        .take_while(|b| matches!(b, b'\n' | b'\r'))
                        .count();
                let parsed = serde_json::from_slice::<Value>(&text[..end]).map_err(|e| {
                    format!(
                        "not JSON ({}, column {}); each line must be one whole JSON object",
                        error_text(&e),
                        e.column()
                    )
                });
                *buf = text;
                return Some((at, parsed));
            },
        }
    }
}

/// serde_json's message without its position, and a hint for a line cut
/// short.
fn error_text(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let msg = s
        .rsplit_once(" at line ")
        .map_or(s.as_str(), |(m, _)| m)
        .to_string();
    if e.classify() == serde_json::error::Category::Eof {
        format!("{msg}: the text ends inside a value, as a line cut short does")
    } else {
        msg
    }
}

/// A timestamp as microseconds since 1970-01-01 UTC. Accepts what Nova
/// and oslo.messaging write: `2012-10-29 13:42:11.546427` (oslo's
/// `timestamp`, UTC), `2012-10-29T13:42:11Z`, `2012-10-29T13:42:11.546427`
/// and `2012-10-29T13:42:11+00:00` (any offset; no offset means UTC).
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| -> Option<i64> {
        let part = b.get(from..from + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let year = digits(0, 4)?;
    let month = digits(5, 2)?;
    let day = digits(8, 2)?;
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut micros = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        // Microseconds: digits past the sixth are dropped.
        let frac = &s[start..i.min(start + 6)];
        micros = frac.parse::<i64>().ok()? * 10i64.pow(6 - frac.len() as u32);
    }
    let offset_s = match &s[i..] {
        "" | "Z" | "z" => 0,
        rest => {
            let rb = rest.as_bytes();
            let sign = match rb[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = match rest.len() {
                6 if rb[3] == b':' => (rest.get(1..3)?, rest.get(4..6)?),
                5 => (rest.get(1..3)?, rest.get(3..5)?),
                3 => (rest.get(1..3)?, "00"),
                _ => return None,
            };
            if !h.bytes().chain(m.bytes()).all(|c| c.is_ascii_digit()) {
                return None;
            }
            let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    Some(secs * 1_000_000 + micros)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// What a valid timestamp looks like, for error messages.
pub const TIMESTAMP_FORMS: &str =
    "an ISO 8601 UTC time such as \"2012-10-29 13:42:11.546427\" or \"2012-10-29T13:42:11Z\"";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nova_and_oslo_timestamps_parse_to_the_same_instant() {
        let base = parse_timestamp("2012-10-29T13:42:11Z").unwrap();
        assert_eq!(base, 1_351_518_131_000_000);
        assert_eq!(
            parse_timestamp("2012-10-29 13:42:11.546427"),
            Some(base + 546_427)
        );
        assert_eq!(
            parse_timestamp("2012-10-29T13:42:11.5"),
            Some(base + 500_000)
        );
        assert_eq!(parse_timestamp("2012-10-29T15:42:11+02:00"), Some(base));
        assert_eq!(
            parse_timestamp("2012-10-29T13:42:11.1234567Z"),
            Some(base + 123_456)
        );
        for bad in [
            "",
            "yesterday",
            "2012-13-29T13:42:11Z",
            "2012-02-30T13:42:11Z",
            "2012-10-29T13:42",
            "2012-10-29T13:42:11.Z",
            "2012-10-29T13:42:11+2",
            "2012-10-29T13:42:11 UTC",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }
}
