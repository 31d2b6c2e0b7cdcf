//! Wall-clock time: the scenario's `start_time`, and simulation times
//! written as the API writes timestamps (ISO 8601, UTC).

use crate::engine::SimTime;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The default `start_time`, fixed so that fixtures are stable: 2026-01-01T00:00:00Z.
pub const DEFAULT_START: u64 = 1_767_225_600_000;

/// Milliseconds since the Unix epoch of an RFC 3339 UTC timestamp
/// (`2026-01-01T00:00:00Z`, fractions of a second allowed).
pub fn parse(s: &str) -> Result<u64, String> {
    let t = humantime::parse_rfc3339(s.trim()).map_err(|e| e.to_string())?;
    let since = t
        .duration_since(UNIX_EPOCH)
        .map_err(|_| "before 1970".to_string())?;
    u64::try_from(since.as_millis()).map_err(|_| "too far in the future".to_string())
}

fn system_time(start: u64, t: SimTime) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(start.saturating_add(t.ms()))
}

/// `2026-01-01T00:00:00Z`: Nova's `created`, `updated` and fault times.
pub fn seconds(start: u64, t: SimTime) -> String {
    humantime::format_rfc3339_seconds(system_time(start, t)).to_string()
}

/// `2026-01-01T00:00:00.000Z`: an observation time, to the millisecond.
pub fn millis(start: u64, t: SimTime) -> String {
    humantime::format_rfc3339_millis(system_time(start, t)).to_string()
}

/// `2026-01-01T00:00:00.000000`: Nova's `OS-SRV-USG:launched_at` and
/// `terminated_at`, which carry microseconds and no zone.
pub fn nova_usage(start: u64, t: SimTime) -> String {
    let mut s = humantime::format_rfc3339_micros(system_time(start, t)).to_string();
    s.pop();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_start_is_new_year_2026() {
        assert_eq!(
            seconds(DEFAULT_START, SimTime::ZERO),
            "2026-01-01T00:00:00Z"
        );
        assert_eq!(parse("2026-01-01T00:00:00Z"), Ok(DEFAULT_START));
    }

    #[test]
    fn the_three_spellings() {
        let t = SimTime(90_061_250);
        assert_eq!(seconds(DEFAULT_START, t), "2026-01-02T01:01:01Z");
        assert_eq!(millis(DEFAULT_START, t), "2026-01-02T01:01:01.250Z");
        assert_eq!(nova_usage(DEFAULT_START, t), "2026-01-02T01:01:01.250000");
    }

    #[test]
    fn bad_timestamps_are_refused() {
        assert!(parse("yesterday").is_err());
        assert!(parse("1969-12-31T23:59:59Z").is_err());
        assert_eq!(parse("2026-01-01T00:00:01.5Z"), Ok(DEFAULT_START + 1500));
    }
}
