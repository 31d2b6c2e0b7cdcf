//! The files of `fleetsim compare`: `compare.csv`, one row per metric
//! compared, and `compare.json`, the same rows with what was compared and
//! how, written last (its presence marks a complete comparison). Both are
//! read back by [`read`], for a report to render.

use super::{Comparison, Row};
use crate::output::files::{COMPARE_CSV, COMPARE_JSON};
use crate::output::{AtomicFile, num, opt};
use anyhow::{Context, Result, bail};
use std::path::Path;

/// The files, in the order they are written.
pub const NAMES: [&str; 2] = [COMPARE_CSV, COMPARE_JSON];

/// The columns of `compare.csv`: the fields of [`Row`], in order.
pub const COLUMNS: [&str; 14] = [
    "kind",
    "dimension",
    "name",
    "metric",
    "a_mean",
    "b_mean",
    "diff",
    "ci95_low",
    "ci95_high",
    "df",
    "method",
    "n_a",
    "n_b",
    "significant",
];

/// Writes `compare.csv`, then `compare.json`, into `dir`.
pub fn write(dir: &Path, c: &Comparison) -> Result<()> {
    let mut f = AtomicFile::create(dir, COMPARE_CSV)?;
    {
        let mut csv = csv::Writer::from_writer(f.writer());
        csv.write_record(COLUMNS)?;
        for r in &c.rows {
            csv.write_record([
                r.kind.clone(),
                r.dimension.clone(),
                r.name.clone(),
                r.metric.clone(),
                opt(r.a_mean),
                opt(r.b_mean),
                opt(r.diff),
                opt(r.ci95_low),
                opt(r.ci95_high),
                opt(r.df),
                r.method.name().to_string(),
                num(r.n_a as f64),
                num(r.n_b as f64),
                r.significant.map_or(String::new(), |s| s.to_string()),
            ])?;
        }
        csv.flush()?;
    }
    f.commit()?;
    let mut f = AtomicFile::create(dir, COMPARE_JSON)?;
    serde_json::to_writer_pretty(&mut *f.writer(), c)?;
    std::io::Write::write_all(f.writer(), b"\n")?;
    f.commit()?;
    Ok(())
}

/// Reads a comparison back from the folder `dir`: what was compared and
/// how from `compare.json`, the rows from `compare.csv`. The CSV's numbers
/// are read exactly, where serde_json (without its `float_roundtrip`
/// feature) may read a 17-digit number one unit in the last place off; the
/// two files must hold the same number of rows.
pub fn read(dir: &Path) -> Result<Comparison> {
    let json = dir.join(COMPARE_JSON);
    let text = std::fs::read_to_string(&json)
        .with_context(|| format!("cannot read {}", json.display()))?;
    let mut c: Comparison = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a fleetsim comparison", json.display()))?;
    if c.schema != super::SCHEMA {
        bail!(
            "{} has schema {:?}; this fleetsim reads {:?}",
            json.display(),
            c.schema,
            super::SCHEMA
        );
    }
    let rows = read_rows(&dir.join(COMPARE_CSV))?;
    if rows.len() != c.rows.len() {
        bail!(
            "{} has {} rows and {} {}: they are not of one comparison",
            dir.join(COMPARE_CSV).display(),
            rows.len(),
            json.display(),
            c.rows.len()
        );
    }
    c.rows = rows;
    Ok(c)
}

/// The rows of a `compare.csv`.
pub fn read_rows(path: &Path) -> Result<Vec<Row>> {
    let mut csv =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let header: Vec<String> = csv
        .headers()
        .with_context(|| format!("cannot read {}", path.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    if header != COLUMNS {
        bail!(
            "{} has the columns {}, not those of compare.csv ({})",
            path.display(),
            header.join(","),
            COLUMNS.join(",")
        );
    }
    csv.deserialize()
        .map(|r| r.with_context(|| format!("{}: a row that is not a comparison's", path.display())))
        .collect()
}
