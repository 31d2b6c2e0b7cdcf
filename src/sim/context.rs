//! The engine side every handler shares: the clock and event queue, the
//! random streams by purpose, the statistics window, the run's counters, and
//! the tap through which changes and requests reach the recorder. Handlers
//! that only schedule get this and nothing else of the simulation.

use super::{Change, Event, Recorder, Request};
use crate::engine::{EventQueue, SimTime, Streams};
use crate::model::{Kind, Machine};
use crate::results::RunCounters;
use crate::stats::KindStats;

/// The engine context of one run.
pub(crate) struct Core<'r> {
    pub queue: EventQueue<Event>,
    /// The run's random streams, one per purpose.
    pub rng: Streams,
    /// Whether the statistics window [warmup, horizon] has begun.
    pub in_window: bool,
    pub counters: RunCounters,
    recorder: &'r mut dyn Recorder,
    /// Whether the recorder wants changes and requests (asked once).
    records: bool,
}

impl<'r> Core<'r> {
    /// The core of replication `replication` of a run ending at `horizon`.
    pub fn new(
        horizon: SimTime,
        seed: u64,
        replication: u64,
        recorder: &'r mut dyn Recorder,
    ) -> Core<'r> {
        Core {
            queue: EventQueue::until(horizon),
            rng: Streams::new(seed, replication),
            in_window: false,
            counters: RunCounters::default(),
            records: recorder.wants_changes(),
            recorder,
        }
    }

    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// Schedules `event` `delay` from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimTime, event: Event) {
        self.queue.schedule_in(delay, event);
    }

    /// Schedules `event` at `time`.
    #[inline]
    pub fn schedule_at(&mut self, time: SimTime, event: Event) {
        self.queue.schedule_at(time, event);
    }

    /// Whether changes and requests are recorded at all: building a
    /// [`Change`] is skipped when they are not.
    #[inline]
    pub fn records(&self) -> bool {
        self.records
    }

    /// Hands one change to the recorder.
    pub fn change(&mut self, c: &Change, machine: &Machine) {
        self.counters.changes += 1;
        self.recorder.change(c, machine);
    }

    /// Hands one request to the recorder.
    pub fn request(&mut self, r: &Request, machine: &Machine) {
        self.recorder.request(r, machine);
    }

    /// Hands one kind's occupancy at sample time `t` to the recorder.
    pub fn sample(&mut self, t: SimTime, kind: Kind, stats: &KindStats, machine: &Machine) {
        self.recorder.sample(t, kind, stats, machine);
    }

    /// Hands the pools' usage at sample time `t` to the recorder.
    pub fn sample_pools(&mut self, t: SimTime, pools: &[crate::capacity::Pool]) {
        self.recorder.capacity(t, pools);
    }

    /// Tells the recorder the flavor names a [`Change::flavor`] indexes.
    pub fn flavors(&mut self, names: &[&str]) {
        self.recorder.flavors(names);
    }

    /// Tells the recorder the capacity's flavors and pools.
    pub fn layout(&mut self, flavors: &[crate::capacity::Flavor], pools: &[crate::capacity::Pool]) {
        self.recorder.layout(flavors, pools);
    }
}
