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
        "fail" => RGBColor(0xCC, 0x33, 0x11),
        _ => RGBColor(0xCC, 0xBB, 0x44),
    }
}

/// Text and axes.
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
/// Axis lines.
pub const AXIS: RGBColor = RGBColor(0x99, 0x99, 0x99);
/// The warm-up's shading.
pub const WARMUP: RGBColor = RGBColor(0x00, 0x00, 0x00);
/// Incident windows' shading and mass faults' lines.
pub const INCIDENT: RGBColor = RGBColor(0xEE, 0x77, 0x33);
/// A mass fault's line.
pub const MASS_FAULT: RGBColor = RGBColor(0x88, 0x22, 0x55);
/// One series that has no status: a pool's utilisation, a sweep metric.
pub const SERIES: RGBColor = RGBColor(0x00, 0x77, 0xBB);
/// A second series beside it: the hosts up.
pub const SERIES2: RGBColor = RGBColor(0xEE, 0x77, 0x33);
/// A host failure on the timeline.
pub const HOST_FAILURE: RGBColor = RGBColor(0x00, 0x77, 0xBB);
/// A domain failure on the timeline.
pub const DOMAIN_FAILURE: RGBColor = RGBColor(0xCC, 0x33, 0x11);

/// `#RRGGBB`, for CSS.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}
