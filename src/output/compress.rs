//! Compressed output files (`--compress zstd`): which files may be
//! compressed, what they are then called, and the streaming writer an
//! [`AtomicFile`](super::AtomicFile) writes through. Only the files that grow
//! with the events are compressed (the trace and the fixtures' line files,
//! [`files::COMPRESSIBLE`]); the statistics files stay plain text.

use super::files;
use std::fs::File;
use std::io::{BufWriter, Write};

/// How a file that grows with the events is written.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Plain text.
    #[default]
    None,
    /// One zstd frame, `.zst` appended to the name (pandas, polars and
    /// `zstd -d` read it as it is).
    Zstd,
}

/// zstd's compression level: its own default, which keeps up with the
/// trace writer (docs/performance.md measures both).
pub const ZSTD_LEVEL: i32 = 3;

impl Compression {
    /// The option's value as written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Zstd => "zstd",
        }
    }

    /// The name `file` is written under: compressed files get `.zst`;
    /// a file that is never compressed keeps its name.
    pub fn file_name(self, file: &'static str) -> &'static str {
        match self {
            Compression::None => file,
            Compression::Zstd => files::COMPRESSIBLE
                .iter()
                .find(|(plain, _)| *plain == file)
                .map_or(file, |(_, zst)| zst),
        }
    }
}

/// What an atomic file writes through: its buffer, or a zstd encoder
/// feeding it.
pub enum FileWriter {
    /// Plain text.
    Plain(BufWriter<File>),
    /// Compressed as it is written.
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<File>>),
}

impl FileWriter {
    /// A writer into `file` with `compression`.
    pub(super) fn new(file: BufWriter<File>, compression: Compression) -> std::io::Result<Self> {
        Ok(match compression {
            Compression::None => FileWriter::Plain(file),
            Compression::Zstd => {
                FileWriter::Zstd(zstd::stream::write::Encoder::new(file, ZSTD_LEVEL)?)
            }
        })
    }

    /// Ends the stream (a zstd frame's epilogue) and gives back the buffer.
    pub(super) fn finish(self) -> std::io::Result<BufWriter<File>> {
        match self {
            FileWriter::Plain(w) => Ok(w),
            FileWriter::Zstd(e) => e.finish(),
        }
    }
}

impl Write for FileWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            FileWriter::Plain(w) => w.write(buf),
            FileWriter::Zstd(e) => e.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            FileWriter::Plain(w) => w.write_all(buf),
            FileWriter::Zstd(e) => e.write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            FileWriter::Plain(w) => w.flush(),
            FileWriter::Zstd(e) => e.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_files_that_grow_with_events_are_renamed() {
        assert_eq!(
            Compression::Zstd.file_name(files::TRANSITIONS),
            "transitions.csv.zst"
        );
        assert_eq!(
            Compression::Zstd.file_name(files::SERVERS),
            "servers.jsonl.zst"
        );
        assert_eq!(Compression::Zstd.file_name(files::SUMMARY), files::SUMMARY);
        assert_eq!(
            Compression::None.file_name(files::TRANSITIONS),
            files::TRANSITIONS
        );
    }
}
