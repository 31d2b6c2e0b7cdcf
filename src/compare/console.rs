//! What `fleetsim compare` prints: the two studies, the method, and the
//! headline differences (per kind, availability and the share of
//! instance-time of each status seen; per pool, blocking and
//! utilisation), significant ones marked. `compare.csv` has every metric.

use super::{Comparison, Method, Row};
use std::fmt::Write;
use std::path::Path;

/// The report of a comparison written to `out`.
pub fn report(c: &Comparison, out: &Path) -> String {
    let mut s = String::new();
    let side = |label: &str, side: &super::Side| {
        format!(
            "{label} = {} (\"{}\", seed {}, {} replication{})",
            side.folder,
            side.scenario,
            side.seed,
            side.replications,
            if side.replications == 1 { "" } else { "s" }
        )
    };
    let _ = writeln!(
        s,
        "fleetsim {}: compare {}",
        c.fleetsim_version,
        side("A", &c.a)
    );
    let _ = writeln!(s, "  with {}", side("B", &c.b));
    let _ = writeln!(
        s,
        "  {} simulated ({} warmup); B − A with {}% intervals: {}",
        crate::describe::human(c.horizon_s),
        crate::describe::human(c.warmup_s),
        (c.confidence * 100.0).round(),
        c.method_reason
    );
    let mut lines: Vec<(String, &Row)> = Vec::new();
    let mut headings: Vec<(usize, String)> = Vec::new();
    for group in headline(c) {
        headings.push((lines.len(), group.heading));
        lines.extend(group.lines.into_iter().map(|(l, i)| (l, &c.rows[i])));
    }
    let width = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.3}%", 100.0 * v));
    let _ = writeln!(
        s,
        "    {:width$}  {:>9}  {:>9}  {:>9}  {}% interval",
        "",
        "A",
        "B",
        "B − A",
        (c.confidence * 100.0).round()
    );
    let mut marked = false;
    for (i, (label, r)) in lines.iter().enumerate() {
        for (_, h) in headings.iter().filter(|(at, _)| *at == i) {
            let _ = writeln!(s, "  {h}");
        }
        let decimals = point_decimals(r);
        let pp = |v: f64| points(v, decimals);
        let interval = match (r.method, r.ci95_low, r.ci95_high) {
            (Method::None, ..) | (_, None, _) | (_, _, None) => "no interval".to_string(),
            (_, Some(lo), Some(hi)) => {
                let star = if r.significant == Some(true) {
                    marked = true;
                    " *"
                } else {
                    ""
                };
                format!("[{}, {}]{star}", pp(lo), pp(hi))
            }
        };
        let _ = writeln!(
            s,
            "    {label:width$}  {:>9}  {:>9}  {:>9}  {interval}",
            pct(r.a_mean),
            pct(r.b_mean),
            r.diff.map_or("-".to_string(), pp),
        );
    }
    if !lines.is_empty() {
        let _ = writeln!(
            s,
            "  (A and B in %, B − A and its interval in percentage points)"
        );
    }
    if marked {
        let _ = writeln!(
            s,
            "  * the interval excludes 0: a difference significant at the {}% level",
            ((1.0 - c.confidence) * 100.0).round()
        );
    }
    for note in &c.notes {
        let _ = writeln!(s, "  note: {note}");
    }
    let significant = c
        .rows
        .iter()
        .filter(|r| r.significant == Some(true))
        .count();
    let _ = writeln!(
        s,
        "  {} metrics compared, {significant} with a significant difference",
        c.rows.len()
    );
    let _ = writeln!(s, "  wrote {}: {}", out.display(), c.files.join(", "));
    s
}

/// One group of the headline: a kind's or a pool's metrics.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// `ecs`, `bms`, or `pool <name>`.
    pub heading: String,
    /// The pool, for a pool's group; `None` for a kind's.
    pub pool: Option<String>,
    /// Each metric shown: its label (`availability`, `ERROR share`,
    /// `blocked_share`) and the index of its row in the comparison's rows.
    pub lines: Vec<(String, usize)>,
}

/// The headline differences, as the console and the report show them:
/// per kind, availability and the share of instance-time of each status
/// either study saw (a status neither saw is left out); per pool,
/// blocking and mean utilisation. Groups without a metric are left out.
pub fn headline(c: &Comparison) -> Vec<Group> {
    let mut groups = Vec::new();
    for kind in &c.kinds {
        let mut lines = Vec::new();
        if let Some(i) = c.rows.iter().position(|r| {
            &r.kind == kind
                && r.dimension == "availability"
                && r.name.is_empty()
                && r.metric == "availability"
        }) {
            lines.push(("availability".to_string(), i));
        }
        for (i, r) in c.rows.iter().enumerate().filter(|(_, r)| {
            &r.kind == kind
                && r.dimension == "status"
                && r.metric == "share"
                && (r.a_mean.is_some_and(|v| v != 0.0) || r.b_mean.is_some_and(|v| v != 0.0))
        }) {
            lines.push((format!("{} share", r.name), i));
        }
        groups.push(Group {
            heading: kind.clone(),
            pool: None,
            lines,
        });
    }
    let mut pools: Vec<&str> = Vec::new();
    for r in c.rows.iter().filter(|r| r.dimension == "pool") {
        if !pools.contains(&r.name.as_str()) {
            pools.push(&r.name);
        }
    }
    for pool in pools {
        let mut lines = Vec::new();
        for metric in ["blocked_share", "utilisation_mean"] {
            if let Some(i) = c.rows.iter().position(|r| {
                r.dimension == "pool" && r.name == pool && r.metric == metric && r.a_mean.is_some()
            }) {
                lines.push((metric.to_string(), i));
            }
        }
        groups.push(Group {
            heading: format!("pool {pool}"),
            pool: Some(pool.to_string()),
            lines,
        });
    }
    groups.retain(|g| !g.lines.is_empty());
    groups
}

/// The decimals a share's difference is shown with, in percentage points:
/// enough for the half-width of its interval to show two significant
/// digits (a rare state's difference is small), from 3 to 8; 3 without an
/// interval.
pub fn point_decimals(r: &Row) -> usize {
    let half = r.ci95_low.zip(r.ci95_high).map(|(lo, hi)| 50.0 * (hi - lo));
    half.filter(|h| *h > 0.0)
        .map_or(3, |h| (1 - h.log10().floor() as i32).clamp(3, 8) as usize)
}

/// A difference of shares in percentage points with `decimals` decimals,
/// signed (`+7.985`, `-0.000591`); one that rounds to zero without its
/// sign (`0.000`).
pub fn points(v: f64, decimals: usize) -> String {
    let s = format!("{:+.decimals$}", 100.0 * v);
    if s[1..].chars().all(|ch| ch == '0' || ch == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{Side, files};

    fn row(kind: &str, dimension: &str, name: &str, metric: &str, values: [f64; 4]) -> Row {
        let [a, b, lo, hi] = values;
        Row {
            kind: kind.into(),
            dimension: dimension.into(),
            name: name.into(),
            metric: metric.into(),
            a_mean: Some(a),
            b_mean: Some(b),
            diff: Some(b - a),
            ci95_low: Some(lo),
            ci95_high: Some(hi),
            df: Some(9.0),
            method: Method::Paired,
            n_a: 10,
            n_b: 10,
            significant: Some(lo > 0.0 || hi < 0.0),
        }
    }

    #[test]
    fn the_report_shows_the_headline_differences() {
        let side = |folder: &str, scenario: &str| Side {
            folder: folder.into(),
            scenario: scenario.into(),
            seed: 42,
            replications: 10,
            fleetsim_version: "0.1.0".into(),
            output_schema_version: 4,
        };
        let mut never = row("ecs", "status", "REBOOT", "share", [0.0; 4]);
        never.significant = Some(false);
        let mut without = row(
            "bms",
            "availability",
            "",
            "availability",
            [0.99, 0.9, 0.0, 0.0],
        );
        (without.method, without.ci95_low, without.ci95_high) = (Method::None, None, None);
        without.significant = None;
        let c = Comparison {
            schema: crate::compare::SCHEMA.into(),
            fleetsim_version: "0.1.0".into(),
            a: side("output/baseline", "baseline"),
            b: side("output/failure-storm", "failure-storm"),
            kinds: vec!["ecs".into(), "bms".into()],
            horizon_s: 2_592_000.0,
            warmup_s: 172_800.0,
            confidence: 0.95,
            method: Method::Paired,
            method_reason: "paired (common random numbers: same seed 42 and 10 replications)"
                .into(),
            notes: vec!["capacity_summary.csv is not compared: A has it, B does not".into()],
            files: files::NAMES.iter().map(|s| s.to_string()).collect(),
            rows: vec![
                row(
                    "ecs",
                    "availability",
                    "",
                    "availability",
                    [0.9914, 0.9032, -0.0894, -0.087],
                ),
                row(
                    "ecs",
                    "status",
                    "ERROR",
                    "share",
                    [0.0021, 0.082, 0.0790, 0.0806],
                ),
                never,
                row(
                    "ecs",
                    "status",
                    "REVERT_RESIZE",
                    "share",
                    [2e-5, 1.7e-5, -3.5e-6, -2.5e-6],
                ),
                row(
                    "ecs",
                    "status",
                    "ERROR",
                    "mean_count",
                    [4.0, 130.0, 120.0, 130.0],
                ),
                without,
                row(
                    "bms",
                    "pool",
                    "physical.s4.medium",
                    "blocked_share",
                    [0.01, 0.02, -0.001, 0.02],
                ),
                row(
                    "bms",
                    "pool",
                    "physical.s4.medium",
                    "utilisation_mean",
                    [0.6, 0.7, 0.09, 0.11],
                ),
            ],
        };
        insta::assert_snapshot!(report(
            &c,
            Path::new("output/compare-baseline-vs-failure-storm")
        ));
    }
}
