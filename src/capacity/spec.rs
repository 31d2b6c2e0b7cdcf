//! The `[capacity]` section, validated: ECS host pools and flavors, BMS node
//! pools, failure domains, host failures, placement policy, scheduler
//! retries, auto-recovery, and which states hold capacity.

use crate::engine::SimTime;
use crate::input::dist::Dist;
use serde::Serialize;
use strum::{EnumString, IntoStaticStr, VariantArray};

/// How a host is chosen among those with room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, VariantArray, IntoStaticStr, EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PlacementPolicy {
    /// The first host, in pool order, with room.
    FirstFit,
    /// The least loaded host with room (Nova's default weighers spread).
    Spread,
    /// The most loaded host with room (bin packing).
    Pack,
}

impl PlacementPolicy {
    /// Every policy, in the order the reference lists them.
    pub const ALL: &'static [PlacementPolicy] = PlacementPolicy::VARIANTS;

    /// The name used in scenarios.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The physical side of a scenario. A kind without pools has unlimited
/// capacity (no hosts at all).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CapacitySpec {
    /// How a host is chosen among those with room (`placement`, default
    /// `spread`).
    pub placement: PlacementPolicy,
    /// ECS host pools, in file order.
    pub pools: Vec<PoolSpec>,
    /// ECS flavors, in file order; each runs on one pool.
    pub flavors: Vec<FlavorSpec>,
    /// BMS node pools, one per bare-metal flavor, in file order.
    pub bms_pools: Vec<BmsPoolSpec>,
    /// Failure domains (rack, power domain, zone, ...), in file order.
    pub domains: Vec<DomainSpec>,
    /// Failures of single hosts; `None`: hosts do not fail by themselves.
    pub host_failures: Option<FailureClockSpec>,
    /// Attempts a build gets on different hosts before it ends in error
    /// (Nova's `scheduler.max_attempts`, default 3).
    pub build_attempts: u32,
    /// A stopped ECS (SHUTOFF) gives its host back and is placed again when
    /// started.
    pub stopped_releases: bool,
    /// ECS on a failed host are evacuated to a healthy one (Huawei's
    /// auto-recovery).
    pub auto_recovery: bool,
    /// At most one auto-recovery per server within this time.
    #[serde(serialize_with = "crate::input::units::ser_secs")]
    pub recovery_interval: SimTime,
    /// Time from the host failure to the start of the evacuation.
    pub recovery_delay: Dist,
    /// Per-state overrides of whether an ECS state holds capacity, by state
    /// name (`vm_state:task_state`), in file order.
    pub ecs_holds: Vec<(String, bool)>,
    /// Per-state overrides for BMS lifecycle states.
    pub bms_holds: Vec<(String, bool)>,
}

/// One ECS host pool: identical hosts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolSpec {
    /// The pool's name, the key of `[capacity.pools.<name>]`.
    pub name: String,
    /// Number of hosts.
    pub hosts: u32,
    /// Physical vCPUs per host.
    pub vcpus: u32,
    /// Memory per host, in MiB.
    pub memory_mib: u64,
    /// Nova's `cpu_allocation_ratio`.
    pub cpu_overcommit: f64,
    /// Nova's `ram_allocation_ratio`.
    pub memory_overcommit: f64,
}

impl PoolSpec {
    /// Schedulable vCPUs of one host (Nova: total × allocation ratio).
    pub fn vcpu_capacity(&self) -> u64 {
        (self.vcpus as f64 * self.cpu_overcommit).floor() as u64
    }

    /// Schedulable memory of one host, in MiB.
    pub fn memory_capacity_mib(&self) -> u64 {
        (self.memory_mib as f64 * self.memory_overcommit).floor() as u64
    }
}

/// One ECS flavor.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlavorSpec {
    /// The flavor's name, the key of `[capacity.flavors.<name>]`.
    pub name: String,
    /// vCPUs a server of the flavor takes.
    pub vcpus: u32,
    /// Memory a server of the flavor takes, in MiB.
    pub memory_mib: u64,
    /// Index into [`CapacitySpec::pools`] of the pool it runs on.
    pub pool: usize,
    /// Relative share of new servers.
    pub weight: f64,
    /// Relative share of resize targets.
    pub resize_weight: f64,
    /// A trend of the flavor's share of new servers (`growth` or
    /// `linear_growth`): its weight at t is `weight` times the trend's
    /// factor, so the mix shifts towards the flavors that grow faster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub growth: Option<crate::demand::Growth>,
}

/// The nodes of one bare-metal flavor; a BMS takes a whole node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BmsPoolSpec {
    /// The bare-metal flavor (and pool) name.
    pub flavor: String,
    /// Number of nodes.
    pub nodes: u32,
    /// Relative share of new BMS.
    pub weight: f64,
}

/// One level of failure domains: every pool is split into `count` nearly
/// equal blocks of consecutive hosts, block `d` of every pool forming
/// domain `d`, which fails and is repaired as a whole.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DomainSpec {
    /// The level's name (`rack`, `power`, `zone`, ...).
    pub level: String,
    /// Number of domains at this level.
    pub count: u32,
    /// When each domain of the level fails and is repaired.
    pub clock: FailureClockSpec,
}

/// A renewal process of failures and repairs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailureClockSpec {
    /// Time from repair (or the start) to the next failure.
    pub time_to_failure: Dist,
    /// Time from failure to repair.
    pub repair: Dist,
}

impl DomainSpec {
    /// Domain of host `i` of a pool of `n` hosts.
    pub fn domain_of(&self, i: u32, n: u32) -> u32 {
        (i as u64 * self.count as u64 / n.max(1) as u64) as u32
    }
}

/// Nova's `scheduler.max_attempts`: hosts a build tries before it ends in
/// ERROR.
pub const BUILD_ATTEMPTS: u32 = 3;

/// Default shortest time between two auto-recoveries of one ECS.
pub const RECOVERY_INTERVAL: SimTime = SimTime::from_secs(12 * 3_600);

/// Default time from a host failure to the start of auto-recovery: 5 minutes.
pub fn recovery_delay() -> Dist {
    Dist::fixed(SimTime::from_secs(300))
}
