//! `report.html`: one self-contained page that shows a result folder (a
//! run's, a sweep's, a plan's or a comparison's) to a person: what was
//! run, the headline figures with their intervals, occupancy over time,
//! shares and sojourns per status, operations, capacity, the sweep's or
//! the plan's curves, and the scenario itself; for a comparison, the
//! differences B − A with their intervals. It is made from the folder's
//! files alone (never from a run in memory), so `fleetsim report DIR` and
//! `fleetsim run --report` (or `compare --report`) give the same page, and
//! every number shown names the file, row and column it came from.

pub mod charts;
mod comparison;
pub mod html;
pub mod palette;
mod plan;
pub mod read;
mod study;
mod sweep;

pub use read::ReportInputError;

use crate::output::files::REPORT_HTML;
use anyhow::{Context, Result};
use html::{Page, Unit, esc, interval, value};
use read::{Cell, Csv, Folder, Manifest};
use std::path::{Path, PathBuf};

/// What [`write()`] wrote.
#[derive(Debug)]
pub struct Written {
    /// The file.
    pub path: PathBuf,
    /// Charts in it.
    pub charts: usize,
    /// Its size in bytes.
    pub bytes: usize,
}

/// Makes the report of the result folder `dir` and writes it to `out`
/// (default `dir/report.html`), under a `.partial` name renamed when
/// complete. An existing report is replaced: it is derived from the files.
pub fn write(dir: &Path, out: Option<&Path>) -> Result<Written> {
    let (page, charts) = build(dir)?;
    let path = out.map_or_else(|| dir.join(REPORT_HTML), Path::to_path_buf);
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{} names no file", path.display()))?
        .to_string_lossy()
        .into_owned();
    let mut f = crate::output::AtomicFile::create(&parent, &name)?;
    std::io::Write::write_all(f.writer(), page.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.commit()?;
    Ok(Written {
        path,
        charts,
        bytes: page.len(),
    })
}

/// The report of the folder `dir` and its number of charts.
pub fn build(dir: &Path) -> Result<(String, usize)> {
    let folder = read::read(dir)?;
    let page = match &folder {
        Folder::Run(run) => study::run_page(run)?,
        Folder::Sweep {
            manifest,
            sweep,
            points,
        } => sweep::sweep_page(manifest, sweep, points)?,
        Folder::Plan { manifest, plan } => plan::plan_page(manifest, plan)?,
        Folder::Compare { comparison, rows } => comparison::compare_page(comparison, rows)?,
    };
    let problems = folder.problems();
    if !problems.is_empty() {
        return Err(ReportInputError {
            dir: dir.to_path_buf(),
            problems,
        }
        .into());
    }
    let charts = page.charts;
    Ok((page.finish(), charts))
}

/// A duration in seconds for the header: `30 d`, `6 h`, `15 min`.
pub(crate) fn span(s: f64) -> String {
    charts::duration(s)
}

/// The header facts every study has.
pub(crate) fn study_facts(m: &Manifest) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("scenario", esc(m.name())),
        (
            "file",
            esc(m.scenario_file.as_deref().unwrap_or("(not from a file)")),
        ),
        ("seed", m.seed.to_string()),
        ("horizon", span(m.horizon_s)),
        ("warm-up", span(m.warmup_s)),
        ("replications", m.replications.to_string()),
    ];
    if let Some(s) = m.sample_interval_s() {
        out.push(("sampled every", span(s)));
    }
    out.push(("fleetsim", esc(&m.fleetsim_version)));
    if let Some(w) = m.wall_seconds {
        out.push(("wall time", format!("{w:.2} s")));
    }
    if let Some(e) = m.events_processed {
        out.push(("events", charts::thousands(e as f64)));
    }
    out
}

/// The scenario, collapsed, so the report is a complete record.
pub(crate) fn scenario_section(page: &mut Page, scenario: &serde_json::Value, what: &str) {
    page.section("scenario", "Scenario");
    page.note(what);
    let text = serde_json::to_string_pretty(scenario).unwrap_or_default();
    page.push(&format!(
        "<details><summary>The validated scenario (every default filled in, every time in seconds)</summary>\n<pre class=\"scenario\">{}</pre>\n</details>\n",
        esc(&text)
    ));
}

/// A number from the files with its interval, when there is one.
#[derive(Clone, Default)]
pub(crate) struct Est {
    /// The mean (or replication 0's value).
    pub(crate) mean: Option<Cell>,
    /// The interval's ends, with replications.
    pub(crate) lo: Option<Cell>,
    pub(crate) hi: Option<Cell>,
}

impl Est {
    /// The value.
    pub(crate) fn v(&self) -> Option<f64> {
        self.mean.as_ref().and_then(Cell::value)
    }

    /// The interval.
    pub(crate) fn ci(&self) -> Option<(f64, f64)> {
        Some((self.lo.as_ref()?.value()?, self.hi.as_ref()?.value()?))
    }

    /// `mean` and, when there is one, `[low – high]`, as HTML.
    pub(crate) fn show(&self, unit: Unit) -> String {
        value(self.mean.as_ref(), unit)
    }

    /// The interval as HTML, each end carrying its source.
    pub(crate) fn show_ci(&self, unit: Unit) -> String {
        interval(self.lo.as_ref(), self.hi.as_ref(), unit)
    }

    /// The value and interval as plain text, for a hover title.
    pub(crate) fn text(&self, unit: Unit) -> String {
        match (self.v(), self.ci()) {
            (Some(v), Some((lo, hi))) => format!(
                "{} (95% CI {} – {})",
                unit.show(v),
                unit.show(lo),
                unit.show(hi)
            ),
            (Some(v), None) => unit.show(v),
            _ => "no value".into(),
        }
    }
}

/// The estimate of `metric` for the row named by `keys`: from the `_ci`
/// file when there is one (the mean across replications and its 95%
/// interval), else replication 0's value.
pub(crate) fn est(per_rep: &Csv, ci: Option<&Csv>, keys: &[(&str, &str)], metric: &str) -> Est {
    match ci {
        Some(ci) => {
            let mut k = keys.to_vec();
            k.push(("metric", metric));
            let names: Vec<&str> = k.iter().map(|(n, _)| *n).collect();
            match ci.find(&k) {
                Some(row) => Est {
                    mean: Some(row.cell(&names, "mean")),
                    lo: Some(row.cell(&names, "ci95_low")),
                    hi: Some(row.cell(&names, "ci95_high")),
                },
                None => Est::default(),
            }
        }
        None => {
            let mut k = vec![("replication", "0")];
            k.extend_from_slice(keys);
            let names: Vec<&str> = k.iter().map(|(n, _)| *n).collect();
            match per_rep.find(&k) {
                Some(row) if per_rep.has(metric) => Est {
                    mean: Some(row.cell(&names, metric)),
                    ..Est::default()
                },
                _ => Est::default(),
            }
        }
    }
}

/// A name usable in an element id.
pub(crate) fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}
