//! `fleetsim fit`: from event logs (fleetsim's own trace, Nova's
//! notifications, Nova's instance actions) to a scenario, with every
//! estimate's interval in fit_report.csv and fit_report.json (and, with
//! `--report`, fit_report.html).

pub mod actions;
pub mod estimate;
pub mod interval;
pub mod json;
pub mod mle;
pub mod nova;
pub mod read;
pub mod report;
pub mod tally;

use crate::output::files;
use std::path::{Path, PathBuf};

/// Logs that cannot be read, or a destination refused: every problem
/// found (exit status 2; nothing is written).
#[derive(Debug, thiserror::Error)]
pub struct FitError(pub Vec<String>);

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "cannot fit: {n} problem{}; nothing was written",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.0 {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

/// How to run `fleetsim fit`.
#[derive(Clone, Debug)]
pub struct Options {
    /// The logs.
    pub logs: Vec<PathBuf>,
    /// The scenario to write; the reports go beside it.
    pub out: PathBuf,
    /// Replace existing files.
    pub force: bool,
    /// Skip malformed lines (counted and named) instead of refusing.
    pub skip_bad: bool,
    /// Also write fit_report.html.
    pub report: bool,
}

/// What a fit did.
pub struct Outcome {
    /// Rows read.
    pub rows: u64,
    /// The estimates.
    pub estimates: Vec<estimate::Estimate>,
    /// Causes not fleetsim's, with their counts.
    pub unknown_causes: Vec<(String, u64)>,
    /// Nova event types and instance actions not used, and states
    /// fleetsim does not model, with their counts.
    pub unknown_events: Vec<(String, u64)>,
    /// Malformed lines skipped (with --skip-bad).
    pub skipped: u64,
    /// The first few of them: `file: line N: problem`.
    pub skipped_first: Vec<String>,
    /// The files written.
    pub written: Vec<PathBuf>,
}

/// The scenario's name: the output file's stem, reduced to the characters
/// a name may hold.
fn scenario_name(out: &Path) -> String {
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("fitted");
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = name.trim_start_matches('.');
    if name.is_empty() {
        "fitted".into()
    } else {
        name.into()
    }
}

/// Reads the logs, estimates, and writes the scenario and its reports.
pub fn run(opts: &Options) -> anyhow::Result<Outcome> {
    let dir = opts.out.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut targets = vec![
        opts.out.clone(),
        dir.join(files::FIT_REPORT_CSV),
        dir.join(files::FIT_REPORT_JSON),
    ];
    if opts.report {
        targets.push(dir.join(files::FIT_REPORT_HTML));
    }
    if !opts.force {
        let existing: Vec<String> = targets
            .iter()
            .filter(|p| p.exists())
            .map(|p| format!("{} exists; give --force to replace it", p.display()))
            .collect();
        if !existing.is_empty() {
            return Err(FitError(existing).into());
        }
    }
    let mut tally = tally::Tally::default();
    let mut bad = Bad::default();
    let mut fatal = vec![];
    let mut unknown_events = std::collections::BTreeMap::<String, u64>::new();
    for log in &opts.logs {
        let read = read_log(log, &mut tally, &mut bad, &mut unknown_events);
        // SIGINT and SIGTERM are caught for the whole program: a long log
        // stops reading when asked, and the fit ends here as interrupted.
        crate::interrupt::check()?;
        match read {
            Ok(()) => tally.end_log(),
            Err(e) => fatal.push(e),
        }
    }
    if !opts.skip_bad && bad.count > 0 {
        fatal.extend(std::mem::take(&mut bad.listed));
        if bad.count > LISTED_WITHOUT_SKIP as u64 {
            fatal.push(format!(
                "... and {} more malformed lines",
                bad.count - LISTED_WITHOUT_SKIP as u64
            ));
        }
        fatal.push(format!(
            "{} malformed line{} in all; give --skip-bad to leave them out and fit the rest",
            bad.count,
            if bad.count == 1 { "" } else { "s" }
        ));
    }
    if !fatal.is_empty() {
        return Err(FitError(fatal).into());
    }
    if tally.rows == 0 {
        return Err(FitError(vec![
            "the logs hold nothing to fit: no trace row after the header, no notification or instance action of a modelled operation".into(),
        ])
        .into());
    }
    // What a scenario cannot hold is a problem of the logs, said here,
    // not a fitted file that fails to load.
    if !tally.shows_servers() {
        return Err(FitError(vec![
            "the logs show no server to fit: none present at the start, created, or seen in a status (instance actions alone show a server only through its create or other actions)".into(),
        ])
        .into());
    }
    let span_s = tally.observed_s / tally.logs.max(1) as f64;
    let max_s = crate::input::units::MAX_DURATION.as_secs_f64();
    if span_s > max_s {
        return Err(FitError(vec![format!(
            "the logs span {} days each on average, longer than a scenario's horizon may be (100 years): a time in them is wrong",
            span_s / 86_400.0
        )])
        .into());
    }
    let fitted = estimate::estimate(&tally, &scenario_name(&opts.out));
    // The scenario must load as `fleetsim run` loads it; a refusal is a bug
    // of the fit, not of the logs.
    crate::scenario::parse::parse_str(&fitted.toml, &opts.out.display().to_string()).map_err(
        |e| {
            anyhow::anyhow!(
                "the fitted scenario does not load (a bug of fleetsim fit):\n{e}\n{}",
                fitted.toml
            )
        },
    )?;
    if !dir.as_os_str().is_empty() {
        std::fs::create_dir_all(&dir)?;
    }
    let unknown: Vec<(String, u64)> = tally.unknown_causes.into_iter().collect();
    let unknown_events: Vec<(String, u64)> = unknown_events.into_iter().collect();
    let skipped_first: Vec<String> = bad.listed.into_iter().take(LISTED_WITH_SKIP).collect();
    let json = serde_json::json!({
        "schema": "fleetsim.fit/1",
        "logs": opts.logs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "rows": tally.rows,
        "observed_s": tally.observed_s,
        "unknown_causes": unknown.iter().map(|(c, n)| serde_json::json!({"cause": c, "count": n})).collect::<Vec<_>>(),
        "unknown_events": unknown_events.iter().map(|(e, n)| serde_json::json!({"event": e, "count": n})).collect::<Vec<_>>(),
        "skipped_lines": {"count": bad.count, "first": skipped_first},
        "estimates": fitted.estimates,
    });
    let mut csv = csv::Writer::from_writer(Vec::new());
    for e in &fitted.estimates {
        csv.serialize(e)?;
    }
    let csv = csv.into_inner().map_err(|e| e.into_error())?;
    let html = if opts.report {
        let header = report::Header {
            logs: &opts.logs,
            rows: tally.rows,
            observed_s: tally.observed_s,
            unknown_causes: &unknown,
            scenario: &opts.out,
        };
        Some(report::page(&header, &fitted.estimates, &csv)?.0)
    } else {
        None
    };
    // Each file is written under a partial name and renamed only once all
    // are complete, the scenario last: a failed or interrupted fit leaves
    // nothing that looks like a result.
    let partial = |p: &Path| {
        let name = p
            .file_name()
            .map_or_else(Default::default, |n| n.to_string_lossy().into_owned());
        p.with_file_name(format!(".{name}.partial-{}", std::process::id()))
    };
    let partials: Vec<PathBuf> = targets.iter().map(|p| partial(p)).collect();
    let written = (|| -> anyhow::Result<()> {
        std::fs::write(&partials[1], &csv)?;
        std::fs::write(&partials[2], serde_json::to_string_pretty(&json)? + "\n")?;
        if let Some(html) = &html {
            std::fs::write(&partials[3], html)?;
        }
        std::fs::write(&partials[0], &fitted.toml)?;
        for (from, to) in partials.iter().zip(&targets).rev() {
            std::fs::rename(from, to)?;
        }
        Ok(())
    })();
    if let Err(e) = written {
        for p in &partials {
            let _gone = std::fs::remove_file(p);
        }
        return Err(e);
    }
    Ok(Outcome {
        rows: tally.rows,
        estimates: fitted.estimates,
        unknown_causes: unknown,
        unknown_events,
        skipped: bad.count,
        skipped_first,
        written: targets,
    })
}

/// Malformed lines listed without --skip-bad (the rest are counted).
const LISTED_WITHOUT_SKIP: usize = 20;
/// Malformed lines named in the output with --skip-bad.
const LISTED_WITH_SKIP: usize = 5;

/// Malformed lines: how many, and the first ones named.
#[derive(Default)]
struct Bad {
    count: u64,
    listed: Vec<String>,
}

impl Bad {
    fn add(&mut self, problem: String) {
        self.count += 1;
        if self.listed.len() < LISTED_WITHOUT_SKIP {
            self.listed.push(problem);
        }
    }
}

/// Stops a log's reading every 65,536 records when a signal has asked the
/// program to stop (the caller then reports the interruption).
fn stop_if_asked(record: u64) -> Result<(), String> {
    if record.is_multiple_of(1 << 16) && crate::interrupt::requested().is_some() {
        return Err("interrupted".into());
    }
    Ok(())
}

/// Reads one log into the tally. Malformed lines go to `bad` (the line
/// changes nothing); an error is a log that cannot be read at all.
fn read_log(
    log: &Path,
    tally: &mut tally::Tally,
    bad: &mut Bad,
    unknown_events: &mut std::collections::BTreeMap<String, u64>,
) -> Result<(), String> {
    match json::detect(log)? {
        json::Format::Trace => {
            let mut rows = read::open(log)?;
            let mut row = read::Row::default();
            for n in 1u64.. {
                stop_if_asked(n)?;
                match rows.next_row(&mut row) {
                    Ok(None) => break,
                    Ok(Some(line)) => {
                        if let Err(e) = tally.add(&row) {
                            bad.add(format!("{}: line {line}, {e}", rows.file()));
                        }
                    }
                    Err(read::Bad::Line(e)) => bad.add(e),
                    Err(read::Bad::Fatal(e)) => return Err(e),
                }
            }
        }
        json::Format::Notifications => {
            let mut reader = nova::Notifications::default();
            let file = each_record(log, bad, |v, file, at, bad| {
                if json::is_actions(&v) {
                    return Err("a server's instance actions in a notification log; give notifications and instance actions in separate files".into());
                }
                let taken = reader.take(v);
                if let Some(origin) = reader.origin_unix_s() {
                    tally.set_origin(origin);
                }
                let time = taken?;
                add_rows(tally, &reader.rows, file, at, bad);
                if let Some(t) = time {
                    tally.extend(t);
                }
                Ok(())
            })?;
            reader.finish();
            add_rows(tally, &reader.rows, &file, "the end", bad);
            for (e, n) in reader.unknown {
                json::count_unknown(unknown_events, e, n);
            }
        }
        json::Format::Actions => {
            let mut reader = actions::Actions::default();
            each_record(log, bad, |v, _, _, _| {
                if json::is_actions(&v) {
                    reader.take(&v, tally)
                } else {
                    Err("not a server's instance actions (no \"instanceActions\"); give notifications and instance actions in separate files".into())
                }
            })?;
            reader.finish(tally);
            for (e, n) in reader.unknown {
                json::count_unknown(unknown_events, e, n);
            }
        }
    }
    Ok(())
}

/// Reads a JSON log's records in order, handing each to `take` with the
/// file's name and where the record is; a record that is not JSON, or that
/// `take` refuses, is a malformed line (`bad`), and one that cannot be read
/// ends the log. Returns the file's name.
fn each_record(
    log: &Path,
    bad: &mut Bad,
    mut take: impl FnMut(serde_json::Value, &str, &str, &mut Bad) -> Result<(), String>,
) -> Result<String, String> {
    let mut records = json::Records::open(log)?;
    let file = records.file().to_string();
    let mut n = 0u64;
    while let Some((at, value)) = records.next_record() {
        n += 1;
        stop_if_asked(n)?;
        match value.and_then(|v| take(v, &file, &at, bad)) {
            Ok(()) => {}
            Err(e) if e.starts_with("cannot read") => return Err(format!("{file}: {at}: {e}")),
            Err(e) => bad.add(format!("{file}: {at}: {e}")),
        }
    }
    Ok(file)
}

/// Hands a notification's rows to the tally. The notification reader
/// keeps each server's rows in order, so the tally refuses none; were it
/// to, the refusal is reported as the line's.
fn add_rows(tally: &mut tally::Tally, rows: &[read::Row], file: &str, at: &str, bad: &mut Bad) {
    for row in rows {
        if let Err(e) = tally.add(row) {
            bad.add(format!("{file}: {at}: {e}"));
            return;
        }
    }
}
