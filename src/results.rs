//! What runs produce, in one place that both the runner and the output
//! files depend on: a run's [`Outcomes`], a point's [`Study`] (the outcomes
//! of all its replications) and a finished run's [`RunReport`]. Data flows
//! one way: scenario → simulation → results → output.

use crate::capacity::{FailureRecord, Pool};
use crate::model::{Kind, Machine};
use crate::scenario::Scenario;
use crate::stats::KindStats;
use std::path::PathBuf;
use std::sync::Arc;

/// Counters of a run that are not occupancy.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct RunCounters {
    /// Events popped from the queue (stale ones included).
    pub events: u64,
    /// Soft reboots that fell back to hard.
    pub soft_reboot_fallbacks: u64,
    /// Operation steps that hung (ended only by a watchdog, if any).
    pub hangs: u64,
    /// Servers struck by mass faults.
    pub mass_fault_hits: u64,
    /// Guests that powered themselves off.
    pub guest_crashes: u64,
    /// Spontaneous faults that struck.
    pub faults: u64,
    /// Rows of the change trace produced.
    pub changes: u64,
    /// Sum over popped events of the events pending just before the pop:
    /// divided by `events`, the mean queue length an event met. A property
    /// of the engine, not of the model, so no output file shows it.
    pub pending_sum: u64,
    /// Most events ever pending at once.
    pub peak_pending: u64,
}

/// What one finished run (one replication of one scenario) hands back.
pub struct Outcomes {
    /// The scenario it ran, shared with every other replication.
    pub scenario: Arc<Scenario>,
    /// Per simulated kind, in `Kind::ALL` order: machine and statistics.
    pub kinds: Vec<(Machine, KindStats)>,
    /// Counts of the run that are not occupancy (the manifest's).
    pub counters: RunCounters,
    /// Servers created, initial fleet included.
    pub servers_created: u64,
    /// Peak number of server slots in use.
    pub peak_slots: usize,
    /// Every host pool with its statistics (empty without capacity).
    pub pools: Vec<Pool>,
    /// Every host and domain failure within the window.
    pub failures: Vec<FailureRecord>,
}

impl Outcomes {
    /// The statistics of `kind`, if the scenario simulates it.
    pub fn stats(&self, kind: Kind) -> Option<&KindStats> {
        self.kinds
            .iter()
            .find(|(m, _)| m.kind == kind)
            .map(|(_, st)| st)
    }
}

/// One point of a study, finished: its scenario and the outcome of every
/// replication, in replication order.
pub struct Study {
    /// The point's validated scenario.
    pub scenario: Arc<Scenario>,
    /// Each replication's outcomes, by replication number.
    pub runs: Vec<Outcomes>,
}

/// One finished point of a run: the values of the swept paths (empty
/// without a sweep), its folder, and its study.
pub struct PointReport {
    /// The point's value of each swept path, in [`RunReport::params`] order.
    pub values: Vec<toml::Value>,
    /// Its result folder: `point-<i>/` in a sweep, else the run's own.
    pub dir: PathBuf,
    /// Its scenario and replications.
    pub study: Study,
}

/// What a finished run reports.
pub struct RunReport {
    /// The swept paths (empty without a sweep).
    pub params: Vec<String>,
    /// Every point, in order (one without a sweep).
    pub points: Vec<PointReport>,
    /// Wall-clock seconds the simulations took, every point and replication
    /// together (writing the end-of-run files not included).
    pub wall_seconds: f64,
    /// Files written, relative to the result folder.
    pub files: Vec<String>,
}
