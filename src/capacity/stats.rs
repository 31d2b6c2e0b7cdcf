//! Statistics of one pool over the window: time-weighted usage integrated
//! exactly at every change (O(1) per change), a time-weighted histogram of
//! utilisation for its quantiles, and counters of placement and failures.

#[cfg(doc)]
use super::groups::GroupPolicy;
use super::groups::POLICIES;
use crate::engine::SimTime;
use serde::{Deserialize, Serialize};

/// Utilisation histogram resolution: bins of 0.1%.
pub const UTIL_BINS: u64 = 1000;

/// Counters of one pool over the window.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolCounters {
    /// Placements asked for new servers of the pool's flavors (retries
    /// not included).
    pub creates: u64,
    /// Creates that found no valid host.
    pub creates_blocked: u64,
    /// Deployments scheduled as a whole (several servers in one request,
    /// or a server group).
    pub deployments: u64,
    /// Of those, refused as a whole: no valid host for one of them.
    pub deployments_refused: u64,
    /// Deployments in a server group, by policy ([`GroupPolicy::ALL`] order).
    pub groups_requested: [u64; POLICIES],
    /// Of those, refused as a whole, by policy.
    pub groups_refused: [u64; POLICIES],
    /// Resizes whose target flavor runs on this pool.
    pub resizes: u64,
    /// Of those, refused for lack of a destination.
    pub resizes_refused: u64,
    /// Live migrations within this pool.
    pub migrations: u64,
    /// Of those, refused for lack of a destination.
    pub migrations_refused: u64,
    /// Servers without a host placed again to start, rebuild or be reset.
    pub placements: u64,
    /// Of those, refused for lack of room.
    pub placements_refused: u64,
    /// Builds rescheduled to another host after failing on theirs.
    pub build_retries: u64,
    /// Failures of single hosts of the pool.
    pub host_failures: u64,
    /// Servers put in ERROR / Faulty by them.
    pub host_failure_hits: u64,
    /// Domain failures that took down at least one host of the pool.
    pub domain_failures: u64,
    /// Servers of the pool put in ERROR / Faulty by them.
    pub domain_failure_hits: u64,
    /// ECS evacuated by auto-recovery.
    pub evacuations: u64,
    /// ECS left in ERROR because no healthy host had room.
    pub evacuations_stranded: u64,
    /// ECS left in ERROR because they were recovered less than the
    /// recovery interval ago.
    pub recoveries_throttled: u64,
}

/// Time-weighted usage of one pool (areas in unit-milliseconds).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PoolStats {
    last: SimTime,
    /// ∫ vCPUs allocated dt, in vCPU-milliseconds.
    pub vcpus_area: u128,
    /// ∫ memory allocated dt, in MiB-milliseconds.
    pub memory_area: u128,
    /// ∫ allocations dt, in instance-milliseconds.
    pub instances_area: u128,
    /// ∫ hosts up dt, in host-milliseconds.
    pub hosts_up_area: u128,
    /// Capacity held on a second host by resizes and migrations.
    pub double_vcpus_area: u128,
    /// Memory held on a second host by resizes and migrations, in
    /// MiB-milliseconds.
    pub double_memory_area: u128,
    /// ∫ utilisation dt, in milliseconds.
    #[serde(with = "crate::stats::exact")]
    pub util_area: f64,
    /// Time (ms) spent at each utilisation, by 0.1% bin.
    util_time: Vec<u64>,
    /// Highest utilisation reached within the window.
    #[serde(with = "crate::stats::exact")]
    pub util_peak: f64,
    /// Counts of placements and failures within the window.
    pub counters: PoolCounters,
    /// Whether the statistics window has begun (before it, what is counted
    /// is dropped when it begins).
    pub measuring: bool,
}

/// What the pool holds at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// vCPUs allocated (a BMS node counts as one).
    pub vcpus: u64,
    /// Memory allocated, in MiB (a BMS node counts as one).
    pub memory: u64,
    /// Allocations: servers, plus the second host held by each resize or
    /// migration.
    pub instances: u64,
    /// Hosts up: not failed, and in no failed domain.
    pub hosts_up: u64,
    /// vCPUs held on a second host by resizes and migrations.
    pub double_vcpus: u64,
    /// Memory held on a second host by resizes and migrations, in MiB.
    pub double_memory: u64,
}

impl Usage {
    /// Utilisation: the fuller of vCPU and memory, against `total`.
    pub fn utilisation(&self, total: (u64, u64)) -> f64 {
        let share = |used: u64, cap: u64| {
            if cap == 0 {
                0.0
            } else {
                used as f64 / cap as f64
            }
        };
        share(self.vcpus, total.0).max(share(self.memory, total.1))
    }

    /// The 0.1% bin of the utilisation, computed in integers.
    fn util_bin(&self, total: (u64, u64)) -> usize {
        // In u128: a pool may schedule up to ~10^18 MiB, times 1000 bins.
        let bin = |used: u64, cap: u64| {
            (used as u128 * UTIL_BINS as u128)
                .checked_div(cap as u128)
                .unwrap_or(0) as u64
        };
        bin(self.vcpus, total.0)
            .max(bin(self.memory, total.1))
            .min(UTIL_BINS) as usize
    }
}

impl PoolStats {
    /// Empty statistics, with the window starting at t = 0.
    pub fn new() -> PoolStats {
        PoolStats {
            last: SimTime::ZERO,
            vcpus_area: 0,
            memory_area: 0,
            instances_area: 0,
            hosts_up_area: 0,
            double_vcpus_area: 0,
            double_memory_area: 0,
            util_area: 0.0,
            util_time: vec![0; UTIL_BINS as usize + 1],
            util_peak: 0.0,
            counters: PoolCounters::default(),
            measuring: false,
        }
    }

    /// Integrates `u`, held since the last call, up to `now`.
    pub fn touch(&mut self, u: &Usage, total: (u64, u64), now: SimTime) {
        let dt = now.since(self.last).ms();
        if dt > 0 {
            let d = dt as u128;
            self.vcpus_area += u.vcpus as u128 * d;
            self.memory_area += u.memory as u128 * d;
            self.instances_area += u.instances as u128 * d;
            self.hosts_up_area += u.hosts_up as u128 * d;
            self.double_vcpus_area += u.double_vcpus as u128 * d;
            self.double_memory_area += u.double_memory as u128 * d;
            self.util_area += u.utilisation(total) * dt as f64;
            self.util_time[u.util_bin(total)] += dt;
        }
        self.last = now;
    }

    /// Notes the usage just reached, for the peak.
    pub fn observe(&mut self, u: &Usage, total: (u64, u64)) {
        self.util_peak = self.util_peak.max(u.utilisation(total));
    }

    /// Starts the window at `t` with usage `u`.
    pub fn begin_window(&mut self, u: &Usage, total: (u64, u64), t: SimTime) {
        *self = PoolStats {
            last: t,
            util_peak: u.utilisation(total),
            measuring: true,
            ..PoolStats::new()
        };
    }

    /// The `q`-quantile of time-weighted utilisation, to 0.1% (the lower
    /// edge of its bin); `None` for an empty window.
    pub fn util_quantile(&self, q: f64) -> Option<f64> {
        let total: u64 = self.util_time.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = (q * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (b, &t) in self.util_time.iter().enumerate() {
            seen += t;
            if seen >= rank {
                return Some(b as f64 / UTIL_BINS as f64);
            }
        }
        None
    }
}

impl Default for PoolStats {
    fn default() -> Self {
        PoolStats::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_integrated_exactly_and_quantiles_read_time_shares() {
        let total = (10, 100);
        let mut s = PoolStats::new();
        let mut u = Usage {
            hosts_up: 1,
            ..Usage::default()
        };
        // 0 used for 90 ms, then 5 of 10 vCPUs (50%) for 10 ms.
        s.touch(&u, total, SimTime(0));
        u.vcpus = 5;
        s.touch(&Usage::default(), total, SimTime(90));
        s.touch(&u, total, SimTime(100));
        s.observe(&u, total);
        assert_eq!(s.vcpus_area, 50);
        assert!((s.util_area - 5.0).abs() < 1e-12);
        assert_eq!(s.util_quantile(0.9), Some(0.0));
        assert_eq!(s.util_quantile(0.95), Some(0.5));
        assert_eq!(s.util_peak, 0.5);
    }
}
