//! The discrete-event engine: integer simulated time, a deterministic event
//! queue, and seeded random streams. It knows nothing of servers; the event
//! type is the simulation's own closed `enum`.

mod queue;
pub mod weighted;

pub use queue::EventQueue;
use rand_pcg::Pcg64Mcg;
use std::fmt;

/// Simulated time, or a span of it, in integer milliseconds. Integer time keeps
/// the queue's ordering exact; milliseconds resolve the shortest task steps.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct SimTime(pub u64);

impl SimTime {
    /// t = 0, the start of every run; also the empty span.
    pub const ZERO: SimTime = SimTime(0);
    /// Milliseconds per second.
    pub const MS_PER_S: u64 = 1_000;
    /// The smallest step of simulated time, one millisecond: every drawn
    /// duration is rounded to it, and a clock that re-arms itself advances
    /// by at least one.
    pub const TICK: SimTime = SimTime(1);

    /// From (possibly fractional) seconds, rounded to the millisecond and
    /// saturating at the largest representable time.
    pub fn from_secs_f64(s: f64) -> SimTime {
        let ms = (s * 1000.0).round();
        if ms.is_nan() || ms <= 0.0 {
            SimTime(0)
        } else if ms >= u64::MAX as f64 {
            SimTime(u64::MAX)
        } else {
            SimTime(ms as u64)
        }
    }

    /// From whole seconds.
    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s * 1000)
    }

    /// As seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Milliseconds.
    pub fn ms(self) -> u64 {
        self.0
    }

    /// `self + span`, saturating.
    pub fn after(self, span: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(span.0))
    }

    /// `self - earlier`, or zero.
    pub fn since(self, earlier: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(earlier.0))
    }
}

impl SimTime {
    /// Seconds with millisecond precision, without trailing zeros (`12`,
    /// `12.5`), as ASCII in a stack buffer: the trace formats one per row.
    pub fn seconds_text(self) -> SecondsText {
        let mut text = SecondsText {
            bytes: [0; 24],
            len: 0,
        };
        let (s, ms) = (self.0 / 1000, self.0 % 1000);
        let mut digits = itoa::Buffer::new();
        let whole = digits.format(s).as_bytes();
        text.bytes[..whole.len()].copy_from_slice(whole);
        text.len = whole.len();
        if ms != 0 {
            let frac = [
                b'.',
                b'0' + (ms / 100) as u8,
                b'0' + (ms / 10 % 10) as u8,
                b'0' + (ms % 10) as u8,
            ];
            let keep = if ms % 100 == 0 {
                2
            } else if ms % 10 == 0 {
                3
            } else {
                4
            };
            text.bytes[text.len..text.len + keep].copy_from_slice(&frac[..keep]);
            text.len += keep;
        }
        text
    }
}

/// [`SimTime::seconds_text`]: at most 20 digits, a point and 3 decimals.
pub struct SecondsText {
    bytes: [u8; 24],
    len: usize,
}

impl SecondsText {
    /// The text as ASCII bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
    /// The text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).expect("ASCII digits")
    }
}

impl fmt::Display for SimTime {
    /// Seconds with millisecond precision, without trailing zeros: `12`, `12.5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.seconds_text().as_str())
    }
}

/// Asks the CPU to start loading the cache line holding `value`: a hint
/// with no effect on results, a no-op where the platform has no such hint.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch never faults and reads nothing the program
        // sees; the pointer comes from a live reference, and SSE is part of
        // every x86_64 target.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// The purposes that get their own random stream, so that changing, say, a
/// failure probability does not reshuffle the workload (common random
/// numbers across the points of a sweep).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Create arrivals.
    Workload = 1,
    /// Step and state durations.
    Durations = 2,
    /// Operation failures and hangs, soft-reboot fallbacks, faults (mass
    /// faults included), guest crashes, and repairs (with the BMS choice
    /// between repair and rebuild).
    Failures = 3,
    /// Decisions that depend on what happened: resize confirm or revert,
    /// billing freezes and renewals, and owners' reactions to errors.
    Decisions = 4,
    /// One server's own workload: its lifetime, the times and choices of its
    /// owner's operations. Keyed by the server's number.
    Server = 5,
    /// Host and failure-domain failures and repairs, and evacuation delays,
    /// kept apart so that a sweep over the number of hosts does not
    /// reshuffle the servers' own failures.
    Hosts = 6,
    /// Server ids (UUIDs) in fixtures: drawn apart from everything the
    /// simulation draws, so writing fixtures never changes a run.
    Ids = 7,
    /// The size of each create request and its server group
    /// (`[<kind>.deployment]`): drawn only when a scenario has deployments,
    /// and apart from the arrival gaps, so that adding them reshuffles
    /// nothing else.
    Deployments = 8,
}

/// The generator behind every stream: PCG 64 (rand_pcg), whose output is
/// promised stable across versions, unlike rand's `StdRng`.
pub type Rng = Pcg64Mcg;

/// One seeded stream per purpose, and a constructor for each server's own.
pub struct Streams {
    /// Create arrivals.
    pub arrivals: Rng,
    /// Step and state durations, and how long deleted servers stay shown.
    pub durations: Rng,
    /// Operation failures and hangs, faults, repairs, guest crashes and
    /// soft-reboot fallbacks.
    pub failures: Rng,
    /// Resize decisions, billing freezes and renewals, owners' reactions
    /// to errors.
    pub decisions: Rng,
    /// Host and domain failures.
    pub hosts: Rng,
    /// Deployment sizes and server groups.
    pub deployments: Rng,
    seed: u64,
    replication: u64,
}

impl Streams {
    /// Streams derived from `seed` and `replication`, independent by purpose.
    pub fn new(seed: u64, replication: u64) -> Streams {
        Streams {
            arrivals: stream(seed, replication, Purpose::Workload),
            durations: stream(seed, replication, Purpose::Durations),
            failures: stream(seed, replication, Purpose::Failures),
            decisions: stream(seed, replication, Purpose::Decisions),
            hosts: stream(seed, replication, Purpose::Hosts),
            deployments: stream(seed, replication, Purpose::Deployments),
            seed,
            replication,
        }
    }

    /// The workload stream of server number `serial`: the same in every run
    /// of this seed and replication, whatever else differs between them.
    pub fn server(&self, serial: u32) -> Rng {
        let key = splitmix(serial as u64 ^ 0xA076_1D64_78BD_642F);
        stream(self.seed ^ key, self.replication, Purpose::Server)
    }
}

/// A generator for (seed, replication, purpose), mixed through SplitMix64 so
/// nearby seeds give unrelated streams.
pub fn stream(seed: u64, replication: u64, purpose: Purpose) -> Rng {
    let a = splitmix(seed ^ splitmix(replication.wrapping_add(0x9E37_79B9)));
    let b = splitmix(a ^ splitmix(purpose as u64));
    // An MCG needs an odd state.
    Rng::new((((a as u128) << 64) | b as u128) | 1)
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let mut a = stream(42, 0, Purpose::Workload);
        let mut b = stream(42, 0, Purpose::Workload);
        let mut c = stream(42, 0, Purpose::Failures);
        let mut d = stream(42, 1, Purpose::Workload);
        let xa: Vec<u64> = (0..4).map(|_| a.random()).collect();
        let xb: Vec<u64> = (0..4).map(|_| b.random()).collect();
        let xc: Vec<u64> = (0..4).map(|_| c.random()).collect();
        let xd: Vec<u64> = (0..4).map(|_| d.random()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
        assert_ne!(xa, xd);
    }

    #[test]
    fn display_is_seconds() {
        assert_eq!(SimTime(12_000).to_string(), "12");
        assert_eq!(SimTime(12_500).to_string(), "12.5");
        assert_eq!(SimTime(12_050).to_string(), "12.05");
        assert_eq!(SimTime(7).to_string(), "0.007");
        assert_eq!(SimTime(7_100).to_string(), "7.1");
        assert_eq!(SimTime(u64::MAX).to_string(), "18446744073709551.615");
    }
}
