//! SIGINT and SIGTERM: a study stops at its next event boundary, and
//! nothing of it is written (its staging folder is removed,
//! [`crate::output::Staging`]).

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The signal that asked the run to stop, or 0.
static SIGNAL: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

fn flag() -> &'static Arc<AtomicUsize> {
    SIGNAL.get_or_init(|| Arc::new(AtomicUsize::new(0)))
}

/// Makes SIGINT and SIGTERM ask the run to stop instead of killing the
/// process. Called once by the binary; a library user who does not call it
/// keeps the default behaviour.
pub fn install() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for signal in [SIGINT, SIGTERM] {
        signal_hook::flag::register_usize(signal, Arc::clone(flag()), signal as usize)?;
    }
    Ok(())
}

/// The signal received, if the run was asked to stop.
pub fn requested() -> Option<i32> {
    match flag().load(Ordering::Relaxed) {
        0 => None,
        s => Some(s as i32),
    }
}

/// Asks the run to stop as `signal` would (for tests).
pub fn request(signal: i32) {
    flag().store(signal as usize, Ordering::Relaxed);
}

/// A study stopped by a signal: nothing was written.
#[derive(Debug, thiserror::Error)]
#[error("interrupted, nothing written")]
pub struct Interrupted(pub i32);

/// `Err(Interrupted)` if a signal asked the run to stop.
pub fn check() -> Result<(), Interrupted> {
    match requested() {
        Some(s) => Err(Interrupted(s)),
        None => Ok(()),
    }
}
