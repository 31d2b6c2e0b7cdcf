//! Capacity files: the per-pool time series row (`capacity.csv`, written by
//! the recorders), `capacity_summary.csv` and `capacity_summary_ci.csv` (per
//! pool: utilisation, blocking, refused moves, capacity held twice, failures
//! and recovery), `capacity_flavors.csv` and `capacity_flavors_ci.csv` (per
//! flavor: its creates and how many were blocked), and `host_failures.csv`
//! (every failure and the servers it hit).

use super::{Export, Keyed, KeyedRows, columns, files, num};
use crate::capacity::Pool;
use crate::capacity::groups::GroupPolicy;
use crate::model::Kind;
use crate::results::Outcomes;
use crate::results::Study;
use anyhow::Result;
use std::io::Write;

columns! {
    /// One pool at one sample: the columns of a `capacity.csv` row after
    /// `time_s,pool,kind`. ECS pools leave the node columns empty, BMS
    /// pools the vCPU and memory columns.
    pub struct Sample {
        /// Hosts (nodes) in the pool.
        hosts,
        /// Hosts not failed, and in no failed domain.
        hosts_up,
        /// Allocations on the pool's hosts.
        instances,
        /// ECS pools: vCPUs allocated.
        vcpus_used,
        /// ECS pools: vCPUs schedulable over all hosts (after overcommit).
        vcpus_total,
        /// ECS pools: memory allocated, in GiB.
        memory_used_gib,
        /// ECS pools: memory schedulable over all hosts, in GiB.
        memory_total_gib,
        /// BMS pools: nodes taken.
        nodes_used,
        /// BMS pools: nodes.
        nodes_total,
        /// The fuller of vCPU and memory, or nodes taken ÷ nodes.
        utilisation,
        /// Creates sent to the scheduler since the statistics window began
        /// (as `capacity_summary.csv` counts them): the difference between
        /// two rows is the creates between them.
        creates,
        /// Of those, creates that found no valid host.
        creates_blocked,
    }
}

impl Sample {
    /// The columns that change over time (the others are the pool's
    /// size), which an aggregate over replications gives quantiles of.
    pub const VARYING: &'static [&'static str] = &[
        "hosts_up",
        "instances",
        "vcpus_used",
        "memory_used_gib",
        "nodes_used",
        "utilisation",
        "creates",
        "creates_blocked",
    ];

    /// Pool `p` now.
    pub fn of(p: &Pool) -> Sample {
        let u = &p.usage;
        let (v_total, m_total) = p.total();
        let ecs = p.kind == Kind::Ecs;
        let only = |on: bool, x: f64| on.then_some(x);
        Sample {
            hosts: Some(p.hosts as f64),
            hosts_up: Some(u.hosts_up as f64),
            instances: Some(u.instances as f64),
            vcpus_used: only(ecs, u.vcpus as f64),
            vcpus_total: only(ecs, v_total as f64),
            memory_used_gib: only(ecs, u.memory as f64 / MIB_PER_GIB),
            memory_total_gib: only(ecs, m_total as f64 / MIB_PER_GIB),
            nodes_used: only(!ecs, u.instances as f64),
            nodes_total: only(!ecs, p.hosts as f64),
            utilisation: Some(u.utilisation((v_total, m_total))),
            // Before the window begins, its counts are 0: what the pool
            // counts during the warmup is dropped when the window begins.
            creates: Some(if p.stats.measuring {
                p.stats.counters.creates
            } else {
                0
            } as f64),
            creates_blocked: Some(if p.stats.measuring {
                p.stats.counters.creates_blocked
            } else {
                0
            } as f64),
        }
    }
}

const MIB_PER_GIB: f64 = 1024.0;

columns! {
    /// The numeric columns of a `capacity_summary.csv` row (one pool of one
    /// replication), in file order; docs/output.md says what each means.
    pub struct Metrics {
        /// Hosts (nodes) in the pool.
        hosts,
        /// Time-weighted mean of the hosts up.
        hosts_up_mean,
        /// Time-weighted mean of the allocations.
        instances_mean,
        /// ECS pools: time-weighted mean of the vCPUs allocated.
        vcpus_used_mean,
        /// ECS pools: time-weighted mean of the memory allocated, in GiB.
        memory_used_gib_mean,
        /// BMS pools: time-weighted mean of the nodes taken.
        nodes_used_mean,
        /// Time-weighted mean utilisation.
        utilisation_mean,
        /// 95th percentile of utilisation over time, to 0.1%.
        utilisation_p95,
        /// 99th percentile of utilisation over time, to 0.1%.
        utilisation_p99,
        /// Highest utilisation reached.
        utilisation_peak,
        /// New servers of the pool's flavors sent to the scheduler (once each,
        /// however many attempts).
        creates,
        /// Of those, creates that found no valid host on any attempt.
        creates_blocked,
        /// `creates_blocked` ÷ `creates`; empty without creates.
        blocked_share,
        /// Deployments scheduled as a whole (several servers in one
        /// request, or a server group).
        deployments,
        /// Of those, refused as a whole (NoValidHost for every server).
        deployments_refused,
        /// Deployments in an affinity group.
        groups_requested_affinity,
        /// Of those, refused as a whole.
        groups_refused_affinity,
        /// Deployments in an anti-affinity group.
        groups_requested_anti_affinity,
        /// Of those, refused as a whole.
        groups_refused_anti_affinity,
        /// Deployments in a soft-anti-affinity group.
        groups_requested_soft_anti_affinity,
        /// Of those, refused as a whole.
        groups_refused_soft_anti_affinity,
        /// Deployments in a soft-affinity group.
        groups_requested_soft_affinity,
        /// Of those, refused as a whole.
        groups_refused_soft_affinity,
        /// Resizes whose new flavor runs on this pool.
        resizes,
        /// Of those, refused for lack of another host with room.
        resizes_refused,
        /// Live migrations within this pool.
        migrations,
        /// Of those, refused for lack of a destination.
        migrations_refused,
        /// Servers without a host placed again by a start, rebuild, reset or
        /// repair.
        placements,
        /// Of those, refused for lack of room.
        placements_refused,
        /// ECS pools: vCPU-hours held on a second host by resizes and
        /// migrations.
        double_vcpu_hours,
        /// ECS pools: GiB-hours held on a second host by resizes and
        /// migrations.
        double_memory_gib_hours,
        /// Failures of the pool's single hosts.
        host_failures,
        /// Servers of the pool those failures hit.
        host_failure_hits,
        /// Domain failures that took down at least one host of the pool.
        domain_failures,
        /// Servers of the pool those failures hit.
        domain_failure_hits,
        /// Builds rescheduled to another host after failing on theirs.
        build_retries,
        /// ECS moved by auto-recovery.
        evacuations,
        /// ECS left in ERROR for lack of a healthy host with room.
        evacuations_stranded,
        /// ECS not moved because they were recovered less than
        /// `recovery_interval` ago.
        recoveries_throttled,
        /// Servers of the initial fleet that fitted on no host and were not
        /// created.
        initial_unplaced,
    }
}

impl Metrics {
    /// Pool `p` of one replication, over a window of `window_ms`.
    pub fn of(p: &Pool, window_ms: f64) -> Metrics {
        let st = &p.stats;
        let c = &st.counters;
        let ecs = p.kind == Kind::Ecs;
        let mean = |area: u128| {
            Some(if window_ms > 0.0 {
                area as f64 / window_ms
            } else {
                0.0
            })
        };
        let only = |on: bool, x: Option<f64>| x.filter(|_| on);
        let n = |x: u64| Some(x as f64);
        let hours = 3_600_000.0;
        Metrics {
            hosts: n(p.hosts as u64),
            hosts_up_mean: mean(st.hosts_up_area),
            instances_mean: mean(st.instances_area),
            vcpus_used_mean: only(ecs, mean(st.vcpus_area)),
            memory_used_gib_mean: only(ecs, mean(st.memory_area).map(|m| m / MIB_PER_GIB)),
            nodes_used_mean: only(!ecs, mean(st.instances_area)),
            utilisation_mean: (window_ms > 0.0).then(|| st.util_area / window_ms),
            utilisation_p95: st.util_quantile(0.95),
            utilisation_p99: st.util_quantile(0.99),
            utilisation_peak: Some(st.util_peak),
            creates: n(c.creates),
            creates_blocked: n(c.creates_blocked),
            blocked_share: (c.creates > 0).then(|| c.creates_blocked as f64 / c.creates as f64),
            deployments: n(c.deployments),
            deployments_refused: n(c.deployments_refused),
            groups_requested_affinity: n(c.groups_requested[GroupPolicy::Affinity.index()]),
            groups_refused_affinity: n(c.groups_refused[GroupPolicy::Affinity.index()]),
            groups_requested_anti_affinity: n(c.groups_requested[GroupPolicy::AntiAffinity.index()]),
            groups_refused_anti_affinity: n(c.groups_refused[GroupPolicy::AntiAffinity.index()]),
            groups_requested_soft_anti_affinity: n(
                c.groups_requested[GroupPolicy::SoftAntiAffinity.index()]
            ),
            groups_refused_soft_anti_affinity: n(
                c.groups_refused[GroupPolicy::SoftAntiAffinity.index()]
            ),
            groups_requested_soft_affinity: n(c.groups_requested[GroupPolicy::SoftAffinity.index()]),
            groups_refused_soft_affinity: n(c.groups_refused[GroupPolicy::SoftAffinity.index()]),
            resizes: n(c.resizes),
            resizes_refused: n(c.resizes_refused),
            migrations: n(c.migrations),
            migrations_refused: n(c.migrations_refused),
            placements: n(c.placements),
            placements_refused: n(c.placements_refused),
            double_vcpu_hours: only(ecs, Some(st.double_vcpus_area as f64 / hours)),
            double_memory_gib_hours: only(
                ecs,
                Some(st.double_memory_area as f64 / hours / MIB_PER_GIB),
            ),
            host_failures: n(c.host_failures),
            host_failure_hits: n(c.host_failure_hits),
            domain_failures: n(c.domain_failures),
            domain_failure_hits: n(c.domain_failure_hits),
            build_retries: n(c.build_retries),
            evacuations: n(c.evacuations),
            evacuations_stranded: n(c.evacuations_stranded),
            recoveries_throttled: n(c.recoveries_throttled),
            initial_unplaced: n(p.initial_unplaced),
        }
    }
}

/// One replication's rows, keyed by pool and kind.
fn keyed(o: &Outcomes) -> KeyedRows {
    let window = o.scenario.window().ms() as f64;
    o.pools
        .iter()
        .map(|p| {
            let key = vec![p.name.clone(), p.kind.name().to_string()];
            (key, Metrics::of(p, window).values())
        })
        .collect()
}

/// Whether a study has pools (and so writes the capacity files).
pub fn has_capacity(study: &Study) -> bool {
    study
        .runs
        .first()
        .is_some_and(|o: &Outcomes| !o.pools.is_empty())
}

/// `capacity_summary.csv`: one row per replication and pool.
pub const CAPACITY_SUMMARY_CSV: Keyed = Keyed {
    file: files::CAPACITY_SUMMARY,
    keys: &["pool", "kind"],
    metrics: Metrics::COLUMNS,
    rows: keyed,
    estimates: false,
    pooled: None,
};

/// `capacity_summary_ci.csv`: per pool and metric, the estimate across
/// replications.
pub const CAPACITY_SUMMARY_CI_CSV: Keyed = Keyed {
    file: files::CAPACITY_SUMMARY_CI,
    estimates: true,
    ..CAPACITY_SUMMARY_CSV
};

columns! {
    /// The numeric columns of a `capacity_flavors.csv` row (one flavor of
    /// one replication): its part of its pool's creates.
    pub struct FlavorMetrics {
        /// New servers of the flavor sent to the scheduler.
        creates,
        /// Of those, creates that found no valid host on any attempt.
        creates_blocked,
        /// `creates_blocked` ÷ `creates`; empty without creates.
        blocked_share,
    }
}

/// One replication's flavor rows, keyed by flavor, pool and kind, pool by
/// pool in the order of the flavors.
fn flavor_rows(o: &Outcomes) -> KeyedRows {
    o.pools
        .iter()
        .flat_map(|p| {
            p.flavors.iter().map(move |f| {
                let key = vec![f.name.clone(), p.name.clone(), p.kind.name().to_string()];
                let n = |x: u64| Some(x as f64);
                let m = FlavorMetrics {
                    creates: n(f.creates),
                    creates_blocked: n(f.creates_blocked),
                    blocked_share: (f.creates > 0)
                        .then(|| f.creates_blocked as f64 / f.creates as f64),
                };
                (key, m.values())
            })
        })
        .collect()
}

/// `capacity_flavors.csv`: one row per replication and flavor.
pub const CAPACITY_FLAVORS_CSV: Keyed = Keyed {
    file: files::CAPACITY_FLAVORS,
    keys: &["flavor", "pool", "kind"],
    metrics: FlavorMetrics::COLUMNS,
    rows: flavor_rows,
    estimates: false,
    pooled: None,
};

/// `capacity_flavors_ci.csv`: per flavor and metric, the estimate across
/// replications.
pub const CAPACITY_FLAVORS_CI_CSV: Keyed = Keyed {
    file: files::CAPACITY_FLAVORS_CI,
    estimates: true,
    ..CAPACITY_FLAVORS_CSV
};

/// The columns of `host_failures.csv`.
pub const HOST_FAILURES_COLUMNS: [&str; 7] = [
    "replication",
    "time_s",
    "scope",
    "pool",
    "index",
    "hosts_down",
    "servers_hit",
];

/// `host_failures.csv`: every host or domain failure within the window, in
/// time order per replication.
pub struct HostFailuresCsv;

impl Export for HostFailuresCsv {
    fn file_name(&self) -> &'static str {
        files::HOST_FAILURES
    }

    fn write(&self, study: &Study, w: &mut dyn Write) -> Result<()> {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(HOST_FAILURES_COLUMNS)?;
        let levels: Vec<String> = study
            .scenario
            .capacity
            .as_ref()
            .map(|c| c.domains.iter().map(|d| d.level.clone()).collect())
            .unwrap_or_default();
        for (r, o) in study.runs.iter().enumerate() {
            for f in &o.failures {
                // A host by its pool and number in the pool; a domain by
                // its level and number.
                let (scope, pool, index) = match f.level {
                    None => {
                        let p = o.pools.iter().find(|p| p.host_range().contains(&f.index));
                        let pool = p.map_or(String::new(), |p| p.name.clone());
                        let index = f.index - p.map_or(0, |p| p.first);
                        ("host", pool, index)
                    }
                    Some(l) => {
                        let level = levels.get(l as usize).map_or("domain", |s| s.as_str());
                        (level, String::new(), f.index)
                    }
                };
                csv.write_record([
                    r.to_string(),
                    num(f.time.as_secs_f64()),
                    scope.to_string(),
                    pool,
                    index.to_string(),
                    f.hosts_down.to_string(),
                    f.servers_hit.to_string(),
                ])?;
            }
        }
        csv.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_varying_sample_columns_are_columns() {
        for name in Sample::VARYING {
            assert!(Sample::COLUMNS.contains(name), "{name}");
        }
    }
}
