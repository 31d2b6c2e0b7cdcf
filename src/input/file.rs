//! Opening and reading the files a user names (the scenario, an
//! `initial_fleet`, a rate schedule, a trace): each must be a regular file,
//! checked before it is opened, so that a FIFO cannot hang a command and a
//! device (`/dev/zero`) cannot feed it without end; and each is read within
//! a limit of its own, enforced on the bytes read rather than trusted from
//! the size the file system reports, so that a file growing as it is read
//! stays bounded too.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Why a user's file could not be opened or read.
#[derive(Debug)]
pub enum FileError {
    /// It could not be opened or read (missing, no permission, ...).
    Io(io::Error),
    /// It is not a regular file: what it is instead ("a directory", ...).
    NotRegular(&'static str),
    /// It holds more than its limit.
    TooLarge {
        /// Its size in bytes, when the file system gave one above the
        /// limit; `None` when it grew past the limit as it was read.
        size: Option<u64>,
        /// The most bytes it may hold.
        limit: u64,
    },
}

impl fmt::Display for FileError {
    /// Reads after the file's name: `"fleet.json" is a directory, ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Io(e) => write!(f, "cannot be read ({e})"),
            FileError::NotRegular(what) => write!(f, "is {what}, not a regular file"),
            FileError::TooLarge {
                size: Some(size),
                limit,
            } => write!(
                f,
                "is {}, more than the limit of {}",
                bytes(*size),
                bytes(*limit)
            ),
            FileError::TooLarge { size: None, limit } => {
                write!(f, "grew past the limit of {} as it was read", bytes(*limit))
            }
        }
    }
}

impl FileError {
    /// The message, followed by what to give instead when the file is not
    /// a regular one (`give`), or by why there is a limit when it is over
    /// it (`limit_why`); an unreadable file's message stands alone.
    pub fn explain(&self, give: &str, limit_why: &str) -> String {
        match self {
            FileError::Io(_) => self.to_string(),
            FileError::NotRegular(_) => format!("{self}; {give}"),
            FileError::TooLarge { .. } => format!("{self}; {limit_why}"),
        }
    }
}

/// A size for people: exact bytes below 1 KiB, else in the largest binary
/// unit with one decimal where it is not whole (`16 MiB`, `2.5 GiB`).
pub fn bytes(n: u64) -> String {
    const UNITS: [(&str, u32); 4] = [("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)];
    for (unit, shift) in UNITS {
        if n >= 1 << shift {
            let whole = n >> shift;
            return if n == whole << shift {
                format!("{whole} {unit}")
            } else {
                format!(
                    "{:.1} {unit} ({n} bytes)",
                    n as f64 / (1u64 << shift) as f64
                )
            };
        }
    }
    format!("{n} bytes")
}

/// What a file that is not a regular one is, in words.
fn kind_of(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Opens `path`, which must be a regular file (a symbolic link to one is
/// followed), with its size. What it is is checked on the path before it
/// is opened, since opening a FIFO for reading waits for a writer; then
/// again on the opened file, in case the path changed in between.
pub fn open(path: &Path) -> Result<(File, u64), FileError> {
    let meta = std::fs::metadata(path).map_err(FileError::Io)?;
    if !meta.is_file() {
        return Err(FileError::NotRegular(kind_of(meta.file_type())));
    }
    let file = File::open(path).map_err(FileError::Io)?;
    let meta = file.metadata().map_err(FileError::Io)?;
    if !meta.is_file() {
        return Err(FileError::NotRegular(kind_of(meta.file_type())));
    }
    Ok((file, meta.len()))
}

/// Opens `path` as [`open`] does, refusing it when it is larger than
/// `limit` bytes; the reader stops after `limit + 1` bytes, so a caller
/// that reads more than `limit` knows the file grew past it.
pub fn open_limited(path: &Path, limit: u64) -> Result<io::Take<File>, FileError> {
    let (file, size) = open(path)?;
    if size > limit {
        return Err(FileError::TooLarge {
            size: Some(size),
            limit,
        });
    }
    Ok(file.take(limit + 1))
}

/// The bytes of `path`, a regular file of at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let mut reader = open_limited(path, limit)?;
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(FileError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge { size: None, limit });
    }
    Ok(bytes)
}

/// A reader that fails once a line runs longer than its limit, for files
/// streamed rather than read whole (a trace): a CSV reader keeps a line in
/// memory until it ends, so without it one endless line would take all
/// memory. After its error the reader ends (reads give 0 bytes), so a
/// caller that goes on reading meets the end rather than the error again.
pub struct LineLimited<R> {
    inner: R,
    max_line: u64,
    /// Bytes of the line being read so far.
    run: u64,
    over: bool,
}

impl<R: Read> LineLimited<R> {
    /// `inner`, failing on a line longer than `max_line` bytes.
    pub fn new(inner: R, max_line: u64) -> LineLimited<R> {
        LineLimited {
            inner,
            max_line,
            run: 0,
            over: false,
        }
    }
}

impl<R: Read> Read for LineLimited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.over {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        // The line the chunk continues, the lines within it, and the line
        // it starts, whose length carries over to the next read.
        let (mut run, mut longest) = (self.run, 0);
        for (i, line) in buf[..n].split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                run = 0;
            }
            run += line.len() as u64;
            longest = longest.max(run);
        }
        if longest > self.max_line {
            self.over = true;
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a line longer than {}", bytes(self.max_line)),
            ));
        }
        self.run = run;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(bytes(0), "0 bytes");
        assert_eq!(bytes(1023), "1023 bytes");
        assert_eq!(bytes(16 << 20), "16 MiB");
        assert_eq!(bytes(2 << 30), "2 GiB");
        assert_eq!(bytes((5 << 29) + 7), "2.5 GiB (2684354567 bytes)");
    }

    #[test]
    fn a_file_within_its_limit_is_read_and_one_over_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read(&path, 10).unwrap(), b"0123456789");
        let e = read(&path, 9).unwrap_err();
        assert_eq!(
            e.explain("give", "a limit keeps memory bounded"),
            "is 10 bytes, more than the limit of 9 bytes; a limit keeps memory bounded"
        );
        let e = read(dir.path(), 9).unwrap_err();
        assert_eq!(
            e.explain("give a file", "why"),
            "is a directory, not a regular file; give a file"
        );
        let e = read(&dir.path().join("missing"), 9).unwrap_err();
        assert!(matches!(e, FileError::Io(_)), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused_before_a_byte_is_read() {
        let e = read(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert_eq!(e.to_string(), "is a character device, not a regular file");
    }

    /// A file whose size the file system does not know (0 for
    /// `/proc/self/status`, which holds hundreds of bytes) is still read no
    /// further than its limit.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_larger_than_its_reported_size_is_read_no_further_than_the_limit() {
        let status = Path::new("/proc/self/status");
        let (_, size) = open(status).unwrap();
        assert_eq!(size, 0);
        let e = read(status, 16).unwrap_err();
        assert_eq!(
            e.to_string(),
            "grew past the limit of 16 bytes as it was read"
        );
        assert!(read(status, 1 << 20).unwrap().starts_with(b"Name:"));
    }

    /// Reads `text` through a [`LineLimited`] in chunks of `chunk` bytes.
    fn through(text: &[u8], max_line: u64, chunk: usize) -> (Vec<u8>, Option<String>) {
        struct Chunks<'a>(&'a [u8], usize);
        impl Read for Chunks<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut r = LineLimited::new(Chunks(text, chunk), max_line);
        let mut out = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => {
                    // After its error, the reader ends.
                    assert_eq!(r.read(&mut buf).unwrap(), 0);
                    return (out, Some(e.to_string()));
                }
            }
        }
    }

    #[test]
    fn a_line_longer_than_the_limit_ends_the_stream_whatever_the_chunks() {
        let ok = b"abcd\nefgh\n\nijkl";
        let long = b"abcd\nefghi\nij";
        for chunk in 1..=ok.len() {
            assert_eq!(through(ok, 4, chunk), (ok.to_vec(), None), "chunk {chunk}");
            let (_, e) = through(long, 4, chunk);
            assert_eq!(
                e.as_deref(),
                Some("a line longer than 4 bytes"),
                "chunk {chunk}"
            );
        }
        // The last line counts too, without a newline after it.
        assert!(through(b"ab\nabcde", 4, 3).1.is_some());
    }
}
