//! Statistics that observe transitions: time-weighted occupancy integrated
//! exactly at every change, entries, sojourn times and operation counts, all
//! O(1) per transition and with memory independent of the events processed.

use crate::engine::SimTime;
use crate::model::{Machine, Op, Status};
use serde::{Deserialize, Serialize};

/// A histogram of millisecond durations on a log scale: exact below 128 ms,
/// then 64 buckets per power of two, so a quantile read from it is within
/// 1/128 (0.8%) of the true value, and never outside the observed range.
/// Mean, count, minimum and maximum are exact.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LogHistogram {
    buckets: Vec<u64>,
    n: u64,
    sum_ms: u128,
    min_ms: u64,
    max_ms: u64,
}

const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS; // 64 buckets per octave
const LINEAR: u64 = 2 * SUB; // values below 128 are exact

fn bucket_of(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    let e = 63 - v.leading_zeros(); // ≥ 7
    let shift = e - SUB_BITS; // ≥ 1
    let m = v >> shift; // in [64, 128)
    (LINEAR + (shift as u64 - 1) * SUB + (m - SUB)) as usize
}

fn bucket_mid(i: usize) -> u64 {
    let i = i as u64;
    if i < LINEAR {
        return i;
    }
    let shift = (i - LINEAR) / SUB + 1;
    let m = (i - LINEAR) % SUB + SUB;
    (m << shift) + (1u64 << shift) / 2
}

impl LogHistogram {
    /// Adds one duration.
    #[inline]
    pub fn record(&mut self, d: SimTime) {
        let i = bucket_of(d.ms());
        if i >= self.buckets.len() {
            self.buckets.resize(i + 1, 0);
        }
        self.buckets[i] += 1;
        if self.n == 0 {
            self.min_ms = d.ms();
            self.max_ms = d.ms();
        } else {
            self.min_ms = self.min_ms.min(d.ms());
            self.max_ms = self.max_ms.max(d.ms());
        }
        self.n += 1;
        self.sum_ms += d.ms() as u128;
    }

    /// Number of durations recorded.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Exact mean in seconds, or `None` if empty.
    pub fn mean_s(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum_ms as f64 / self.n as f64 / 1000.0)
    }

    /// The `q`-quantile (nearest rank) in seconds, or `None` if empty.
    pub fn quantile_s(&self, q: f64) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        let rank = ((q * self.n as f64).ceil() as u64).clamp(1, self.n);
        let mut seen = 0;
        for (i, &c) in self.buckets.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let v = bucket_mid(i).clamp(self.min_ms, self.max_ms);
                return Some(v as f64 / 1000.0);
            }
        }
        None
    }

    /// Adds every duration of `other`, as if each had been recorded here:
    /// both histograms share one bucket layout, so the result does not
    /// depend on how the durations were split between them.
    pub fn merge(&mut self, other: &LogHistogram) {
        if other.n == 0 {
            return;
        }
        if other.buckets.len() > self.buckets.len() {
            self.buckets.resize(other.buckets.len(), 0);
        }
        for (mine, theirs) in self.buckets.iter_mut().zip(&other.buckets) {
            *mine += theirs;
        }
        if self.n == 0 {
            (self.min_ms, self.max_ms) = (other.min_ms, other.max_ms);
        } else {
            self.min_ms = self.min_ms.min(other.min_ms);
            self.max_ms = self.max_ms.max(other.max_ms);
        }
        self.n += other.n;
        self.sum_ms += other.sum_ms;
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        *self = LogHistogram::default();
    }
}

/// Occupancy of one dimension (statuses, or detailed states) of one kind.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Dim {
    count: Vec<u64>,
    last: Vec<SimTime>,
    area: Vec<u128>,
    max: Vec<u64>,
    entries: Vec<u64>,
    sojourn: Vec<LogHistogram>,
    /// Whether entries and stays are being measured: from the beginning
    /// of the statistics window ([`Dim::begin_window`]) on. Before it,
    /// only the counts are kept (the area is reset when it begins).
    measuring: bool,
}

impl Dim {
    /// A dimension of `n` states, all empty.
    pub fn new(n: usize) -> Dim {
        Dim {
            count: vec![0; n],
            last: vec![SimTime::ZERO; n],
            area: vec![0; n],
            max: vec![0; n],
            entries: vec![0; n],
            sojourn: vec![LogHistogram::default(); n],
            measuring: false,
        }
    }

    #[inline]
    fn touch(&mut self, s: usize, now: SimTime) {
        let dt = now.since(self.last[s]).ms() as u128;
        self.area[s] += self.count[s] as u128 * dt;
        self.last[s] = now;
    }

    /// One instance enters state `s` (an entry, once the window has begun).
    #[inline]
    pub fn enter(&mut self, s: usize, now: SimTime) {
        self.touch(s, now);
        self.count[s] += 1;
        if self.measuring {
            self.entries[s] += 1;
        }
        self.max[s] = self.max[s].max(self.count[s]);
    }

    /// One instance leaves state `s`, which it entered at `since`: once the
    /// window has begun, its stay is recorded. (Recording stays only from
    /// then on, rather than recording all and forgetting those before,
    /// saves the warmup's histogram writes: a measurable share of L1 misses
    /// at 100,000 servers.)
    #[inline]
    pub fn leave(&mut self, s: usize, now: SimTime, since: SimTime) {
        self.leave_untimed(s, now);
        if self.measuring {
            self.sojourn[s].record(now.since(since));
        }
    }

    /// One instance leaves state `s`, where sojourns are not measured (the
    /// population, and the availability counts).
    #[inline]
    pub fn leave_untimed(&mut self, s: usize, now: SimTime) {
        self.touch(s, now);
        self.count[s] -= 1;
    }

    /// Instances in each state now.
    pub fn counts(&self) -> &[u64] {
        &self.count
    }

    fn begin_window(&mut self, t: SimTime) {
        self.measuring = true;
        for s in 0..self.count.len() {
            self.area[s] = 0;
            self.last[s] = t;
            self.max[s] = self.count[s];
            self.entries[s] = 0;
            self.sojourn[s].clear();
        }
    }

    fn close(&mut self, t: SimTime) {
        for s in 0..self.count.len() {
            self.touch(s, t);
        }
    }

    /// ∫ count dt over the window, in instance-milliseconds.
    pub fn area(&self, s: usize) -> u128 {
        self.area[s]
    }
    /// Peak count within the window.
    pub fn max(&self, s: usize) -> u64 {
        self.max[s]
    }
    /// Entries within the window.
    pub fn entries(&self, s: usize) -> u64 {
        self.entries[s]
    }
    /// Sojourns that ended within the window.
    pub fn sojourn(&self, s: usize) -> &LogHistogram {
        &self.sojourn[s]
    }
}

/// Counters of one operation of one kind, over the window.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct OpStats {
    /// Requests made (`requested` in `operations.csv`).
    pub requested: u64,
    /// Refused with a conflict: not allowed in the server's state, or (with
    /// capacity) its host is down.
    pub refused_conflict: u64,
    /// Refused because the server is locked.
    pub refused_locked: u64,
    /// Accepted and started.
    pub started: u64,
    /// Finished successfully.
    pub succeeded: u64,
    /// Ended by an injected failure or a host failure.
    pub failed: u64,
    /// Ended by the watchdog.
    pub timed_out: u64,
    /// Interrupted by a pre-empting operation.
    pub preempted: u64,
    /// Refused for lack of capacity: a resize or migration without a
    /// destination, a start or repair without room, a create without a
    /// valid host.
    pub refused_capacity: u64,
    /// Request-to-completion time of succeeded operations.
    pub duration: LogHistogram,
}

/// Everything measured about one kind.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KindStats {
    /// Indexed by `Status as usize`.
    pub status: Dim,
    /// Indexed by the machine's `StateId`.
    pub detail: Dim,
    /// One state: the population.
    pub population: Dim,
    /// Servers the owner wants running (see [`KindStats::availability`]).
    pub wanted: Dim,
    /// Servers wanted running and showing ACTIVE.
    pub available: Dim,
    /// Counters per operation, indexed by [`Op::index`].
    pub ops: Vec<OpStats>,
}

impl KindStats {
    /// Empty statistics for a machine.
    pub fn new(m: &Machine) -> KindStats {
        KindStats {
            status: Dim::new(Status::ALL.len()),
            detail: Dim::new(m.n_states()),
            population: Dim::new(1),
            wanted: Dim::new(1),
            available: Dim::new(1),
            ops: vec![OpStats::default(); Op::COUNT],
        }
    }

    /// Resets the window's accumulators at `t`.
    pub fn begin_window(&mut self, t: SimTime) {
        self.status.begin_window(t);
        self.detail.begin_window(t);
        self.population.begin_window(t);
        self.wanted.begin_window(t);
        self.available.begin_window(t);
        self.ops.iter_mut().for_each(|o| *o = OpStats::default());
    }

    /// Integrates every state up to `t`, the end of the window.
    pub fn close(&mut self, t: SimTime) {
        self.status.close(t);
        self.detail.close(t);
        self.population.close(t);
        self.wanted.close(t);
        self.available.close(t);
    }

    /// Availability over the window: instance-time showing ACTIVE while the
    /// owner wanted the server running, over instance-time it was wanted
    /// running. `None` when nothing was wanted running.
    pub fn availability(&self) -> Option<f64> {
        let wanted = self.wanted.area(0);
        (wanted > 0).then(|| self.available.area(0) as f64 / wanted as f64)
    }

    /// Servers of this kind now.
    pub fn population_now(&self) -> u64 {
        self.population.counts()[0]
    }
}

/// A statistic's `f64` stored by its bit pattern (`#[serde(with =
/// "crate::stats::exact")]`), so a shard's unit reads back exactly the
/// number the simulation computed, NaN and -0 included, whatever the JSON
/// reader's float parsing.
pub mod exact {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `v` as the integer of its bits.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(v.to_bits())
    }

    /// Reads a number written by [`serialize`].
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        u64::deserialize(d).map(f64::from_bits)
    }
}

/// [`exact`] for a `Vec<f64>`.
pub mod exact_vec {
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes every value as the integer of its bits.
    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for x in v {
            seq.serialize_element(&x.to_bits())?;
        }
        seq.end()
    }

    /// Reads values written by [`serialize`].
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Vec::<u64>::deserialize(d).map(|bits| bits.into_iter().map(f64::from_bits).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_monotone_and_tight() {
        let mut last = 0;
        for v in (0..200_000u64).chain([1 << 40, u64::MAX / 2, u64::MAX]) {
            let b = bucket_of(v);
            assert!(b >= last || v >= 1 << 40);
            last = b;
            let mid = bucket_mid(b) as f64;
            assert!(
                (mid - v as f64).abs() <= v as f64 / 128.0 + 0.5,
                "{v} -> {mid}"
            );
        }
    }

    #[test]
    fn quantiles_of_a_known_sample() {
        let mut h = LogHistogram::default();
        for v in 1..=100u64 {
            h.record(SimTime(v));
        }
        assert_eq!(h.quantile_s(0.5), Some(0.050));
        assert_eq!(h.quantile_s(0.95), Some(0.095));
        assert_eq!(h.mean_s(), Some(0.0505));
    }

    #[test]
    fn merged_histograms_are_one_histogram_of_every_duration() {
        // Three "replications" of different sizes and ranges, one empty.
        let parts: [Vec<u64>; 4] = [
            (1..=500).map(|v| v * 37).collect(),
            vec![],
            (1..=40).map(|v| v * v * 1000).collect(),
            vec![5, 7_000_000, 90],
        ];
        let mut merged = LogHistogram::default();
        let mut whole = LogHistogram::default();
        for part in &parts {
            let mut h = LogHistogram::default();
            for &v in part {
                h.record(SimTime(v));
                whole.record(SimTime(v));
            }
            merged.merge(&h);
        }
        assert_eq!(merged.count(), whole.count());
        assert_eq!(merged.mean_s(), whole.mean_s());
        for q in [0.0, 0.01, 0.25, 0.5, 0.95, 0.99, 1.0] {
            assert_eq!(merged.quantile_s(q), whole.quantile_s(q), "q = {q}");
        }
        // The extremes that bound every quantile: those of all the parts.
        assert_eq!((merged.min_ms, merged.max_ms), (5, 7_000_000));
        assert_eq!(merged.quantile_s(0.0), Some(0.005));
        // Merging into an empty histogram, or an empty one in, changes nothing.
        let mut empty = LogHistogram::default();
        empty.merge(&whole);
        empty.merge(&LogHistogram::default());
        assert_eq!(empty.quantile_s(0.5), whole.quantile_s(0.5));
        assert_eq!((empty.min_ms, empty.max_ms), (whole.min_ms, whole.max_ms));
    }

    #[test]
    fn area_is_integrated_exactly() {
        // One instance in state 0 over [0, 10), two over [10, 30): 10 + 40 = 50.
        let mut d = Dim::new(2);
        d.begin_window(SimTime(0));
        d.enter(0, SimTime(0));
        d.enter(0, SimTime(10));
        d.leave(0, SimTime(30), SimTime(0));
        d.close(SimTime(30));
        assert_eq!(d.area(0), 50);
        assert_eq!(d.max(0), 2);
        assert_eq!(d.entries(0), 2);
        assert_eq!(d.sojourn(0).count(), 1);
    }
}
