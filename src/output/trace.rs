//! `transitions.csv`, written on a thread of its own: the simulation hands
//! over batches of compact `Change`s through a bounded channel and goes on;
//! the writer formats them, in order, and writes them. Formatting and the
//! kernel's copying overlap the simulation, and memory holds a few batches
//! at most, however long the run.

use super::AtomicFile;
use crate::model::{Kind, Machine};
use crate::sim::Change;
use anyhow::{Context, Result, anyhow};
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Changes handed over at a time.
const BATCH: usize = 4096;
/// Batches waiting for the writer before the simulation waits for it.
const IN_FLIGHT: usize = 4;

const HEADER: &str =
    "time_s,instance,kind,cause,from_status,to_status,vm_state,task_state,bms_state,locked";

enum Message {
    /// The state columns of a kind (see [`state_columns`]), sent before its
    /// first row.
    States(usize, Vec<Box<[u8]>>),
    Rows(Vec<Change>),
}

/// The simulation's end of the trace.
pub struct TraceWriter {
    batch: Vec<Change>,
    to_writer: SyncSender<Message>,
    /// Emptied batches coming back, so the hot path does not allocate.
    spare: Receiver<Vec<Change>>,
    states_sent: [bool; 2],
    writer: JoinHandle<std::io::Result<AtomicFile>>,
}

fn kind_index(kind: Kind) -> usize {
    match kind {
        Kind::Ecs => 0,
        Kind::Bms => 1,
    }
}

impl TraceWriter {
    /// Writes the header to `file` and starts the writer thread.
    pub fn start(mut file: AtomicFile) -> Result<TraceWriter> {
        writeln!(file.writer(), "{HEADER}")?;
        let (to_writer, from_sim) = sync_channel(IN_FLIGHT);
        let (back, spare) = sync_channel(IN_FLIGHT + 2);
        let writer = std::thread::Builder::new()
            .name("trace writer".into())
            .spawn(move || write_rows(file, from_sim, back))
            .context("cannot start the trace writer")?;
        Ok(TraceWriter {
            batch: Vec::with_capacity(BATCH),
            to_writer,
            spare,
            states_sent: [false; 2],
            writer,
        })
    }

    /// Queues one row.
    pub fn change(&mut self, c: &Change, m: &Machine) {
        let k = kind_index(c.kind);
        if !self.states_sent[k] {
            self.states_sent[k] = true;
            self.send(Message::States(k, state_columns(c.kind, m)));
        }
        self.batch.push(*c);
        if self.batch.len() == BATCH {
            self.hand_over();
        }
    }

    fn hand_over(&mut self) {
        let empty = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH));
        let full = std::mem::replace(&mut self.batch, empty);
        self.send(Message::Rows(full));
    }

    fn send(&mut self, m: Message) {
        // Fails only if the writer stopped on an I/O error, which `finish`
        // reports; the run goes on without the trace meanwhile.
        let _ = self.to_writer.send(m);
    }

    /// Writes what is left, waits for the writer, and commits the file.
    pub fn finish(mut self) -> Result<PathBuf> {
        if !self.batch.is_empty() {
            self.hand_over();
        }
        let TraceWriter {
            to_writer, writer, ..
        } = self;
        drop(to_writer);
        let file = writer
            .join()
            .map_err(|_| anyhow!("the trace writer panicked"))?
            .context("cannot write transitions.csv")?;
        file.commit()
    }
}

/// The writer thread: formats every row into one reused buffer (numbers
/// through `itoa`, names from static strings and the prepared state
/// columns), allocating nothing per row.
fn write_rows(
    mut file: AtomicFile,
    from_sim: Receiver<Message>,
    back: SyncSender<Vec<Change>>,
) -> std::io::Result<AtomicFile> {
    let mut states: [Vec<Box<[u8]>>; 2] = [Vec::new(), Vec::new()];
    let mut row = Vec::with_capacity(128);
    for message in from_sim {
        match message {
            Message::States(k, cols) => states[k] = cols,
            Message::Rows(mut batch) => {
                for c in &batch {
                    format_row(&mut row, c, &states[kind_index(c.kind)]);
                    file.writer().write_all(&row)?;
                }
                batch.clear();
                let _ = back.try_send(batch);
            }
        }
    }
    Ok(file)
}

/// One row of `transitions.csv`, newline included, into `row`.
fn format_row(row: &mut Vec<u8>, c: &Change, states: &[Box<[u8]>]) {
    row.clear();
    row.extend_from_slice(c.time.seconds_text().as_bytes());
    row.push(b',');
    row.extend_from_slice(itoa::Buffer::new().format(c.serial).as_bytes());
    row.push(b',');
    row.extend_from_slice(c.kind.name().as_bytes());
    row.push(b',');
    let (cause, suffix) = c.cause.name_parts();
    row.extend_from_slice(cause.as_bytes());
    row.extend_from_slice(suffix.as_bytes());
    for side in [c.from, c.to] {
        row.push(b',');
        if let Some((_, status)) = side {
            row.extend_from_slice(status.name().as_bytes());
        }
    }
    row.push(b',');
    // A server that left shows no state.
    match c.to {
        Some((s, _)) => row.extend_from_slice(&states[s.index()]),
        None => row.extend_from_slice(b",,,"),
    }
    row.extend_from_slice(if c.locked { b"true\n" } else { b"false\n" });
}

/// The state columns of every state of `m`, each with its comma: ECS
/// `vm_state,task_state,,`; BMS `,,bms_state,`.
fn state_columns(kind: Kind, m: &Machine) -> Vec<Box<[u8]>> {
    m.state_names
        .iter()
        .map(|name| {
            let cols = match kind {
                Kind::Ecs => {
                    let (vm, task) = name.split_once(':').unwrap_or((name, ""));
                    format!("{vm},{task},,")
                }
                Kind::Bms => format!(",,{name},"),
            };
            cols.into_bytes().into_boxed_slice()
        })
        .collect()
}
