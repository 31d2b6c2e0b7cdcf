//! `fleetsim fit`: from event logs (fleetsim's own trace) to a scenario,
//! with every estimate's interval in fit_report.csv and fit_report.json.

pub mod estimate;
pub mod interval;
pub mod mle;
pub mod read;
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
}

/// What a fit did.
pub struct Outcome {
    /// Rows read.
    pub rows: u64,
    /// The estimates.
    pub estimates: Vec<estimate::Estimate>,
    /// Causes not fleetsim's, with their counts.
    pub unknown_causes: Vec<(String, u64)>,
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
    let targets = [
        opts.out.clone(),
        dir.join(files::FIT_REPORT_CSV),
        dir.join(files::FIT_REPORT_JSON),
    ];
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
    let mut row = read::Row::default();
    for log in &opts.logs {
        let mut rows = read::open(log).map_err(|e| FitError(vec![e]))?;
        while let Some(line) = rows.next_row(&mut row).map_err(|e| FitError(vec![e]))? {
            if line.is_multiple_of(1 << 16) {
                // SIGINT and SIGTERM are caught for the whole program: a
                // long log must still stop when asked.
                crate::interrupt::check()?;
            }
            tally
                .add(&row)
                .map_err(|e| FitError(vec![format!("{}: line {line}, {e}", rows.file())]))?;
        }
        tally.end_log();
    }
    if tally.rows == 0 {
        return Err(FitError(vec!["the logs hold no rows after their headers".into()]).into());
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
    let json = serde_json::json!({
        "schema": "fleetsim.fit/1",
        "logs": opts.logs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "rows": tally.rows,
        "observed_s": tally.observed_s,
        "unknown_causes": unknown.iter().map(|(c, n)| serde_json::json!({"cause": c, "count": n})).collect::<Vec<_>>(),
        "estimates": fitted.estimates,
    });
    // Each file is written under a partial name and renamed only once all
    // three are complete, the scenario last: a failed or interrupted fit
    // leaves nothing that looks like a result.
    let partial = |p: &Path| {
        let name = p
            .file_name()
            .map_or_else(Default::default, |n| n.to_string_lossy().into_owned());
        p.with_file_name(format!(".{name}.partial-{}", std::process::id()))
    };
    let partials: Vec<PathBuf> = targets.iter().map(|p| partial(p)).collect();
    let written = (|| -> anyhow::Result<()> {
        let mut csv = csv::Writer::from_path(&partials[1])?;
        for e in &fitted.estimates {
            csv.serialize(e)?;
        }
        csv.flush()?;
        std::fs::write(&partials[2], serde_json::to_string_pretty(&json)? + "\n")?;
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
        written: targets.to_vec(),
    })
}
