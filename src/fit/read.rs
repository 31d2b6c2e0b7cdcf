//! Reads fleetsim's `transitions.csv` (or `.csv.zst`) row by row, checking
//! each field; a problem names the file, the line, the column and what is
//! valid.

use crate::model::Kind;
use std::io::Read;
use std::path::Path;

/// The columns of a trace, in order.
pub const COLUMNS: [&str; 10] = [
    "time_s",
    "instance",
    "kind",
    "cause",
    "from_status",
    "to_status",
    "vm_state",
    "task_state",
    "bms_state",
    "locked",
];

/// One row of a trace.
#[derive(Clone, Debug, Default)]
pub struct Row {
    /// When, in seconds.
    pub time_s: f64,
    /// The server's number.
    pub instance: u64,
    /// ECS or BMS.
    pub kind: Option<Kind>,
    /// Why it changed.
    pub cause: String,
    /// Status before (empty for a server that has just appeared).
    pub from_status: String,
    /// Status after (empty for a server that has left).
    pub to_status: String,
    /// ECS vm_state after.
    pub vm_state: String,
    /// ECS task_state after.
    pub task_state: String,
    /// BMS state after.
    pub bms_state: String,
    /// Locked after.
    pub locked: bool,
}

/// What is wrong with a trace: one line (the rest can be read), or the
/// file (it cannot).
#[derive(Debug)]
pub enum Bad {
    /// A malformed line, named with its file and number.
    Line(String),
    /// The file cannot be read further.
    Fatal(String),
}

/// A trace being read.
pub struct Rows {
    file: String,
    reader: csv::Reader<Box<dyn Read>>,
    record: csv::StringRecord,
}

/// Opens `path` (zstd-decoded when its name ends in `.zst`) and checks its
/// header.
pub fn open(path: &Path) -> Result<Rows, String> {
    let file = path.display().to_string();
    let raw = std::fs::File::open(path).map_err(|e| format!("{file}: cannot open: {e}"))?;
    if !raw.metadata().is_ok_and(|m| m.is_file()) {
        return Err(format!(
            "{file}: not a regular file; give a transitions.csv"
        ));
    }
    let input: Box<dyn Read> = if file.ends_with(".zst") {
        Box::new(
            zstd::stream::read::Decoder::new(raw)
                .map_err(|e| format!("{file}: cannot read as zstd: {e}"))?,
        )
    } else {
        Box::new(std::io::BufReader::new(raw))
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut record = csv::StringRecord::new();
    let got = reader
        .read_record(&mut record)
        .map_err(|e| format!("{file}: line 1: {e}"))?;
    let header: Vec<&str> = record.iter().collect();
    if !got || header != COLUMNS {
        return Err(format!(
            "{file}: line 1: the header is {:?}; a trace's header is {:?} (fleetsim run --trace writes it)",
            header.join(","),
            COLUMNS.join(",")
        ));
    }
    Ok(Rows {
        file,
        reader,
        record,
    })
}

impl Rows {
    /// The next row and its line number, `None` at the end; an error names
    /// the line and what is wrong with it.
    pub fn next_row(&mut self, row: &mut Row) -> Result<Option<u64>, Bad> {
        let file = &self.file;
        match self.reader.read_record(&mut self.record) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let problem = format!("{file}: line {line}: {e}");
                return Err(if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    Bad::Fatal(problem)
                } else {
                    Bad::Line(problem)
                });
            }
        }
        self.check(row).map_err(Bad::Line)
    }

    /// Checks the record just read into `row`.
    fn check(&mut self, row: &mut Row) -> Result<Option<u64>, String> {
        let file = &self.file;
        let line = self.record.position().map_or(0, |p| p.line());
        let at = |column: usize, what: String| {
            format!("{file}: line {line}, column {}: {what}", COLUMNS[column])
        };
        if self.record.len() != COLUMNS.len() {
            return Err(format!(
                "{file}: line {line}: {} fields; a trace row has {}",
                self.record.len(),
                COLUMNS.len()
            ));
        }
        let r = &self.record;
        row.time_s = match r[0].parse::<f64>() {
            Ok(t) if t.is_finite() && t >= 0.0 => t,
            _ => {
                return Err(at(
                    0,
                    format!(
                        "{:?} is not a time; give seconds, a number of 0 or more",
                        &r[0]
                    ),
                ));
            }
        };
        row.instance = r[1].parse().map_err(|_| {
            at(
                1,
                format!(
                    "{:?} is not a server number; give an integer of 0 or more",
                    &r[1]
                ),
            )
        })?;
        row.kind = Some(match &r[2] {
            "ecs" => Kind::Ecs,
            "bms" => Kind::Bms,
            other => return Err(at(2, format!("{other:?} is not a kind; valid: ecs, bms"))),
        });
        if r[3].is_empty() {
            return Err(at(3, "is empty; every row has a cause".to_string()));
        }
        if !matches!(&r[9], "true" | "false") {
            return Err(at(
                9,
                format!("{:?} is not a flag; valid: true, false", &r[9]),
            ));
        }
        for (field, i) in [
            (&mut row.cause, 3),
            (&mut row.from_status, 4),
            (&mut row.to_status, 5),
            (&mut row.vm_state, 6),
            (&mut row.task_state, 7),
            (&mut row.bms_state, 8),
        ] {
            field.clear();
            field.push_str(&r[i]);
        }
        row.locked = &r[9] == "true";
        Ok(Some(line))
    }

    /// The file's name as given.
    pub fn file(&self) -> &str {
        &self.file
    }
}
