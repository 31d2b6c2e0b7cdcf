//! The report's colours, all in one place: one colour per API status, the
//! same in every chart and legend, and the colours of operation outcomes,
//! plan verdicts and marks. The status colours are Paul Tol's qualitative
//! schemes ("vibrant", "muted" and greys), chosen to stay distinct for the
//! common forms of colour blindness; no chart relies on colour alone (each
//! has a legend, and its values are in tables and hover titles).

use plotters::style::RGBColor;

/// The colour of an API status (`ACTIVE`, `ERROR`, ...); a mid grey for a
/// name the report does not know.
pub fn status(name: &str) -> RGBColor {
    match name {
        "ACTIVE" => RGBColor(0x44, 0xAA, 0x99),        // teal (muted)
        "SHUTOFF" => RGBColor(0xBB, 0xBB, 0xBB),       // grey (bright)
        "ERROR" => RGBColor(0xCC, 0x33, 0x11),         // red (vibrant)
        "BUILD" => RGBColor(0x00, 0x77, 0xBB),         // blue (vibrant)
        "REBOOT" => RGBColor(0xEE, 0x77, 0x33),        // orange (vibrant)
        "HARD_REBOOT" => RGBColor(0x88, 0x22, 0x55),   // wine (muted)
        "REBUILD" => RGBColor(0xDD, 0xCC, 0x77),       // sand (muted)
        "MIGRATING" => RGBColor(0x33, 0xBB, 0xEE),     // cyan (vibrant)
        "RESIZE" => RGBColor(0xAA, 0x44, 0x99),        // purple (muted)
        "VERIFY_RESIZE" => RGBColor(0x33, 0x22, 0x88), // indigo (muted)
        "REVERT_RESIZE" => RGBColor(0x99, 0x99, 0x33), // olive (muted)
        "DELETED" => RGBColor(0x55, 0x55, 0x55),       // dark grey
        _ => RGBColor(0x88, 0x88, 0x88),
    }
}

/// The order statuses are stacked in, from the bottom: the two that hold
/// most servers first, so the thin bands of the others sit on top.
pub const STACK_ORDER: [&str; 12] = [
    "ACTIVE",
    "SHUTOFF",
    "ERROR",
    "BUILD",
    "REBOOT",
    "HARD_REBOOT",
    "REBUILD",
    "MIGRATING",
    "RESIZE",
    "VERIFY_RESIZE",
    "REVERT_RESIZE",
    "DELETED",
];

/// What became of an operation's requests, and its colour (Tol "bright").
pub const OUTCOMES: [(&str, RGBColor); 6] = [
    ("succeeded", RGBColor(0x44, 0x77, 0xAA)),
    ("refused (conflict or lock)", RGBColor(0xBB, 0xBB, 0xBB)),
    ("refused for capacity", RGBColor(0xCC, 0xBB, 0x44)),
    ("failed", RGBColor(0xEE, 0x66, 0x77)),
    ("timed out", RGBColor(0xAA, 0x33, 0x77)),
    (
        "other (preempted or still running)",
        RGBColor(0x66, 0xCC, 0xEE),
    ),
];

/// A plan verdict's colour.
pub fn verdict(name: &str) -> RGBColor {
    match name {
        "pass" => RGBColor(0x22, 0x88, 0x33),
        "fail" => RGBColor(0xEE, 0x66, 0x77),
        _ => RGBColor(0xCC, 0xBB, 0x44),
    }
}

/// Text and axes.
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
/// Axis lines.
pub const AXIS: RGBColor = RGBColor(0x99, 0x99, 0x99);
// Marks and series that are not statuses take colours no status has, so
// that a colour always means the same status.

/// The warm-up's shading (a grey wash).
pub const WARMUP: RGBColor = RGBColor(0x00, 0x00, 0x00);
/// Incident windows' shading (Tol's pale yellow, washed).
pub const INCIDENT: RGBColor = RGBColor(0xCC, 0xBB, 0x44);
/// A mass fault's line.
pub const MASS_FAULT: RGBColor = INK;
/// A plan's target.
pub const TARGET: RGBColor = INK;
/// One series that has no status: a pool's utilisation, a sweep metric
/// (Tol's high-contrast blue).
pub const SERIES: RGBColor = RGBColor(0x00, 0x44, 0x88);
/// A second series beside it: the hosts up (Tol's high-contrast yellow).
pub const SERIES2: RGBColor = RGBColor(0xDD, 0xAA, 0x33);
/// A host failure on the timeline.
pub const HOST_FAILURE: RGBColor = RGBColor(0x00, 0x44, 0x88);
/// A domain failure on the timeline (Tol's high-contrast red).
pub const DOMAIN_FAILURE: RGBColor = RGBColor(0xBB, 0x55, 0x66);

/// fit_report.html: a sample's empirical distribution function.
pub const EMPIRICAL: RGBColor = INK;
/// fit_report.html: the distribution the fitted scenario writes.
pub const WRITTEN: RGBColor = SERIES;

/// fit_report.html: a candidate family the scenario does not write, in a
/// light colour (Tol's "light" scheme) under the two lines that matter.
pub fn family(name: &str) -> RGBColor {
    match name {
        "exponential" => RGBColor(0x77, 0xAA, 0xDD), // light blue
        "lognormal" => RGBColor(0xEE, 0x88, 0x66),   // orange
        "gamma" => RGBColor(0xBB, 0xCC, 0x33),       // pear
        _ => RGBColor(0xFF, 0xAA, 0xBB),             // pink
    }
}

/// `#RRGGBB`, for CSS.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_a_colour_of_its_own() {
        let mut seen = Vec::new();
        for s in crate::model::Status::ALL {
            let c = status(s.name());
            assert!(!seen.contains(&c), "{} shares its colour", s.name());
            seen.push(c);
        }
        // No mark or series that is not a status takes a status's colour.
        for c in [
            INCIDENT,
            MASS_FAULT,
            TARGET,
            SERIES,
            SERIES2,
            HOST_FAILURE,
            DOMAIN_FAILURE,
            family("exponential"),
            family("lognormal"),
            family("gamma"),
            family("weibull"),
        ] {
            assert!(!seen.contains(&c), "{c:?} is a status's colour");
        }
        assert_eq!(STACK_ORDER.len(), crate::model::Status::ALL.len());
    }
}
