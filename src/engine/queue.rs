//! The event queue: a hierarchical timing wheel over integer milliseconds
//! that pops events in exactly (time, insertion sequence) order.
//!
//! Why not a binary heap: with a million servers a few million events are
//! pending, and every heap pop walks some twenty levels of a 100 MB array,
//! most of them cache misses. Here an event is appended to one of 64 slots
//! of the level its distance in time selects, and moves down a level
//! (sequentially, a slot at a time) when the wheel reaches its slot: a few
//! cheap moves per event, however many are pending.
//!
//! Why the order is exact without sequence numbers: every entry sits at the
//! level and slot that its time and the wheel's position select (moving the
//! wheel keeps this true), so all entries due at the same millisecond share
//! one slot, appended in insertion order, and a slot moves down in order.
//! A slot of the last level holds one millisecond, already in insertion
//! order. The proptest below checks this against a heap of (time, sequence).
//!
//! Events later than the horizon are never stored: they could not be
//! popped in the run, and a month-long run at a million servers would
//! otherwise hold millions of far-future fault and lifetime timers.

use super::SimTime;
use std::collections::BinaryHeap;

/// Bits of time each level resolves: 64 slots a level.
const LEVEL_BITS: u32 = 6;
const SLOTS: usize = 1 << LEVEL_BITS;
/// Enough levels for any `u64` time (11 × 6 ≥ 64 bits).
const LEVELS: usize = 11;
/// A drained slot keeps its allocation for the next round of the wheel up
/// to this many entries; larger ones (the far levels, refilled rarely) are
/// freed so that memory follows what is pending.
const KEEP_CAPACITY: usize = 4096;

/// An entry on the wheel: 24 bytes with a 12-byte event.
#[derive(Clone, Copy)]
struct Entry<E> {
    time: u64,
    event: E,
}

/// An entry scheduled before the wheel's position (after a peek); rare, so
/// it carries its sequence number and waits in a heap.
struct Early<E> {
    time: u64,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Early<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl<E> Eq for Early<E> {}
impl<E> PartialOrd for Early<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Early<E> {
    /// Reversed, so that the max-heap pops the earliest first.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

struct Level<E> {
    /// Bit `s` is set when slot `s` holds entries.
    occupied: u64,
    slots: [Vec<Entry<E>>; SLOTS],
}

impl<E> Level<E> {
    fn new() -> Self {
        Level {
            occupied: 0,
            slots: std::array::from_fn(|_| Vec::new()),
        }
    }
}

/// A priority queue of events ordered by (time, insertion sequence).
///
/// Cancellation is left to the caller: events carry a generation number and
/// a handler ignores one whose generation is stale, which costs nothing to
/// "cancel".
pub struct EventQueue<E> {
    levels: Box<[Level<E>]>,
    /// Bit `l` is set when level `l` holds entries.
    levels_occupied: u16,
    /// The wheel's position: every entry in the wheel is at or after it,
    /// and each sits in the level of the highest 6-bit group in which its
    /// time differs from it.
    elapsed: u64,
    /// Entries taken off the wheel, all due at `elapsed`, in reverse
    /// insertion order so that `pop` takes from the end.
    ready: Vec<Entry<E>>,
    /// Entries scheduled before `elapsed` after a peek moved the wheel past
    /// `now`: due before everything in `ready` and on the wheel.
    early: BinaryHeap<Early<E>>,
    /// Sequence numbers, for `early` only.
    seq: u64,
    now: SimTime,
    len: usize,
    /// Events after it are dropped.
    horizon: SimTime,
    /// Events dropped for being after the horizon.
    dropped: u64,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// The level of an entry due `when`, seen from wheel position `elapsed`.
#[inline]
fn level_of(elapsed: u64, when: u64) -> usize {
    let significant = 63 - ((elapsed ^ when) | (SLOTS as u64 - 1)).leading_zeros();
    (significant / LEVEL_BITS) as usize
}

#[inline]
fn slot_of(when: u64, level: usize) -> usize {
    ((when >> (level as u32 * LEVEL_BITS)) & (SLOTS as u64 - 1)) as usize
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue at time zero that keeps every event.
    pub fn new() -> Self {
        Self::until(SimTime(u64::MAX))
    }

    /// An empty queue at time zero that drops events later than `horizon`.
    pub fn until(horizon: SimTime) -> Self {
        EventQueue {
            levels: (0..LEVELS).map(|_| Level::new()).collect(),
            levels_occupied: 0,
            elapsed: 0,
            ready: Vec::new(),
            early: BinaryHeap::new(),
            seq: 0,
            now: SimTime::ZERO,
            len: 0,
            horizon,
            dropped: 0,
        }
    }

    /// The time of the last popped event.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at absolute time `at` (never earlier than now).
    pub fn schedule_at(&mut self, at: SimTime, event: E) {
        debug_assert!(at >= self.now, "scheduled into the past");
        let time = at.max(self.now);
        if time > self.horizon {
            self.dropped += 1;
            return;
        }
        self.len += 1;
        if time.0 < self.elapsed {
            self.early.push(Early {
                time: time.0,
                seq: self.seq,
                event,
            });
            self.seq += 1;
        } else {
            self.insert(Entry {
                time: time.0,
                event,
            });
        }
    }

    /// Schedules `event` after `delay`.
    pub fn schedule_in(&mut self, delay: SimTime, event: E) {
        self.schedule_at(self.now.after(delay), event);
    }

    #[inline]
    fn insert(&mut self, e: Entry<E>) {
        let level = level_of(self.elapsed, e.time);
        let slot = slot_of(e.time, level);
        let lv = &mut self.levels[level];
        lv.slots[slot].push(e);
        lv.occupied |= 1 << slot;
        self.levels_occupied |= 1 << level;
    }

    /// Fills `ready` with the next entries due, if `ready` is empty; false
    /// when nothing is pending.
    fn advance(&mut self) -> bool {
        while self.ready.is_empty() {
            if self.levels_occupied == 0 {
                return false;
            }
            let level = self.levels_occupied.trailing_zeros() as usize;
            let lv = &mut self.levels[level];
            // Slots before the wheel's own are empty at every level (all
            // entries are at or after `elapsed`), so the lowest set bit is
            // the next slot due.
            let slot = lv.occupied.trailing_zeros() as usize;
            lv.occupied &= !(1 << slot);
            if lv.occupied == 0 {
                self.levels_occupied &= !(1 << level);
            }
            let mut entries = std::mem::take(&mut lv.slots[slot]);
            let first = entries[0].time;
            if level == 0 || entries.iter().all(|e| e.time == first) {
                // One millisecond, in insertion order, and the earliest
                // pending (lower levels are empty): the wheel moves straight
                // to it, which keeps every other entry at its level and slot.
                // In a sparse queue most slots hold one entry, so this
                // skips the moves down level by level.
                self.elapsed = first;
                entries.reverse();
                let empty = std::mem::replace(&mut self.ready, entries);
                self.levels[level].slots[slot] = empty;
            } else {
                // Move the wheel to the start of the slot; every entry then
                // lands on a lower level, in its own slot.
                let shift = level as u32 * LEVEL_BITS;
                let above = (self.elapsed >> shift >> LEVEL_BITS) << LEVEL_BITS << shift;
                self.elapsed = above | ((slot as u64) << shift);
                for e in entries.drain(..) {
                    self.insert(e);
                }
                if entries.capacity() <= KEEP_CAPACITY {
                    self.levels[level].slots[slot] = entries;
                }
            }
        }
        true
    }

    /// The next entry: the earliest of `early`, or else the last of `ready`
    /// (filled from the wheel if need be).
    fn next(&mut self) -> Option<(u64, &E)> {
        if !self.early.is_empty() {
            return self.early.peek().map(|e| (e.time, &e.event));
        }
        if self.advance() {
            self.ready.last().map(|e| (e.time, &e.event))
        } else {
            None
        }
    }

    /// Time of the next event, if any. It may turn the wheel, never the
    /// clock: `now` stays the time of the last popped event.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.next().map(|(t, _)| SimTime(t))
    }

    /// The next event, if any, without removing it: lets the caller fetch
    /// what it will touch while it handles the current one.
    pub fn peek_event(&mut self) -> Option<&E> {
        self.next().map(|(_, e)| e)
    }

    /// Removes the next event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let (time, event) = match self.early.pop() {
            Some(e) => (e.time, e.event),
            None if self.advance() => {
                let e = self.ready.pop().expect("advanced");
                (e.time, e.event)
            }
            None => return None,
        };
        self.len -= 1;
        self.now = SimTime(time);
        Some((self.now, event))
    }

    /// Pending events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Events dropped for being after the horizon.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Purpose, stream};
    use proptest::prelude::*;
    use rand::RngExt;
    use std::cmp::Reverse;

    #[test]
    fn equal_times_pop_in_insertion_order() {
        let mut q = EventQueue::new();
        q.schedule_at(SimTime(5), 'a');
        q.schedule_at(SimTime(3), 'b');
        q.schedule_at(SimTime(5), 'c');
        q.schedule_at(SimTime(3), 'd');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['b', 'd', 'a', 'c']);
    }

    #[test]
    fn equal_times_keep_insertion_order_across_levels() {
        // 'far' goes on a high level at t = 0; 'near' lands on a low level
        // after the wheel has moved close: both are due at the same time.
        let mut q = EventQueue::new();
        let due = SimTime(5_000_000);
        q.schedule_at(due, 'f');
        q.schedule_at(SimTime(4_999_990), 'x');
        assert_eq!(q.pop(), Some((SimTime(4_999_990), 'x')));
        q.schedule_at(due, 'n');
        assert_eq!(q.pop(), Some((due, 'f')));
        assert_eq!(q.pop(), Some((due, 'n')));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn events_after_the_horizon_are_dropped() {
        let mut q = EventQueue::until(SimTime(100));
        q.schedule_at(SimTime(100), 1);
        q.schedule_at(SimTime(101), 2);
        assert_eq!((q.len(), q.dropped()), (1, 1));
        assert_eq!(q.pop(), Some((SimTime(100), 1)));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn a_peek_turns_the_wheel_but_not_the_clock() {
        let mut q = EventQueue::new();
        q.schedule_at(SimTime(1_000_000), 'b');
        assert_eq!(q.peek_time(), Some(SimTime(1_000_000)));
        assert_eq!(q.now(), SimTime::ZERO);
        // Earlier than the peeked event, after the clock: still first.
        q.schedule_at(SimTime(10), 'a');
        q.schedule_at(SimTime(10), 'c');
        assert_eq!(q.peek_time(), Some(SimTime(10)));
        assert_eq!(q.pop(), Some((SimTime(10), 'a')));
        assert_eq!(q.pop(), Some((SimTime(10), 'c')));
        assert_eq!(q.pop(), Some((SimTime(1_000_000), 'b')));
    }

    #[test]
    fn time_never_goes_back() {
        let mut q = EventQueue::new();
        let mut rng = stream(1, 0, Purpose::Workload);
        for i in 0..1000u32 {
            q.schedule_in(SimTime(rng.random_range(0..1000)), i);
        }
        let mut last = SimTime::ZERO;
        while let Some((t, i)) = q.pop() {
            assert!(t >= last);
            last = t;
            if i % 3 == 0 && i < 500 {
                q.schedule_in(SimTime(rng.random_range(0..50)), i + 1000);
            }
        }
    }

    /// One step of a random workload: schedule after a delay, pop, or peek.
    #[derive(Clone, Debug)]
    enum Step {
        Schedule(u64),
        /// At one of a few absolute times (or now, if past), so that equal
        /// times are scheduled from far away and from close by.
        ScheduleAt(u64),
        Pop,
        Peek,
        PeekEvent,
    }

    impl Step {
        /// When a scheduling step schedules, seen at `now`.
        fn at(&self, now: u64) -> Option<u64> {
            match *self {
                Step::Schedule(d) => Some(now.saturating_add(d)),
                Step::ScheduleAt(t) => Some(t.max(now)),
                Step::Pop | Step::Peek | Step::PeekEvent => None,
            }
        }
    }

    fn steps() -> impl Strategy<Value = Vec<Step>> {
        let delay = prop_oneof![
            3 => 0u64..4,
            3 => 0u64..5_000,
            2 => 0u64..10_000_000,
            1 => 0u64..(1 << 40),
        ];
        proptest::collection::vec(
            prop_oneof![
                4 => delay.prop_map(Step::Schedule),
                2 => (1u64..12).prop_map(|k| Step::ScheduleAt(k * 999_983)),
                3 => Just(Step::Pop),
                1 => Just(Step::Peek),
                1 => Just(Step::PeekEvent),
            ],
            1..400,
        )
    }

    type Heap = BinaryHeap<Reverse<(u64, u32)>>;

    /// Pops the queue and the reference heap; both must agree.
    fn pop_both(
        q: &mut EventQueue<u32>,
        heap: &mut Heap,
        now: &mut u64,
    ) -> Result<(), TestCaseError> {
        let want = heap.pop().map(|Reverse((t, s))| (SimTime(t), s));
        prop_assert_eq!(q.pop(), want);
        if let Some((t, _)) = want {
            *now = t.0;
        }
        prop_assert_eq!(q.len(), heap.len());
        Ok(())
    }

    proptest! {
        /// The wheel pops exactly what a binary heap ordered by (time,
        /// sequence) pops, whatever is scheduled, popped or peeked when,
        /// with and without a horizon.
        #[test]
        fn pops_in_the_order_of_a_heap(steps in steps(), horizon in prop_oneof![Just(u64::MAX), 0u64..20_000_000]) {
            let mut q = EventQueue::until(SimTime(horizon));
            let mut heap = BinaryHeap::new();
            let mut seq = 0u32;
            let mut now = 0u64;
            for step in steps {
                match step {
                    Step::Schedule(_) | Step::ScheduleAt(_) => {
                        let at = step.at(now).expect("a scheduling step");
                        q.schedule_at(SimTime(at), seq);
                        if at <= horizon {
                            heap.push(Reverse((at, seq)));
                        }
                        seq += 1;
                    }
                    Step::Pop => pop_both(&mut q, &mut heap, &mut now)?,
                    Step::PeekEvent => {
                        let want = heap.peek().map(|Reverse((_, s))| *s);
                        prop_assert_eq!(q.peek_event().copied(), want);
                    }
                    Step::Peek => {
                        let want = heap.peek().map(|Reverse((t, _))| SimTime(*t));
                        prop_assert_eq!(q.peek_time(), want);
                    }
                }
            }
            while !heap.is_empty() {
                pop_both(&mut q, &mut heap, &mut now)?;
            }
            prop_assert_eq!(q.pop(), None);
        }
    }
}
