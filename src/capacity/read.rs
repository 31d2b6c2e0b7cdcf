//! The `[capacity]` section: ECS host pools and flavors, BMS node pools,
//! failure domains, host failures, placement and recovery settings, walked
//! with the scenario [`Reader`] into a [`CapacitySpec`].
//!
//! Pools, flavors, BMS pools and domains are tables keyed by name, read in
//! file order. Every entry is read even when another is wrong, and the checks
//! across entries (a flavor's pool, whether it fits on a host, weight sums)
//! only judge values that were valid, so that one mistake is reported once.

use super::spec::{
    BmsPoolSpec, CapacitySpec, DomainSpec, FailureClockSpec, FlavorSpec, PlacementPolicy, PoolSpec,
};
use crate::engine::weighted;
use crate::input::reader::{Reader, did_you_mean, expected, show};
use crate::input::renewal;
use crate::model::{bms, ecs};
use toml::Value;

/// Most hosts in a pool, nodes in a BMS pool, or domains in a level.
pub const MAX_COUNT: i64 = 1_000_000;

/// Most vCPUs of one host or one flavor.
pub const MAX_VCPUS: i64 = 1_000_000;

/// Most memory of one host or one flavor, in MiB (1024 TiB).
pub const MAX_MEMORY_MIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Highest allocation ratio (`cpu_overcommit`, `memory_overcommit`).
pub const MAX_OVERCOMMIT: f64 = 1_000.0;

/// Memory units and their size in MiB.
const MEMORY_UNITS: &[(&str, f64)] = &[("MiB", 1.0), ("GiB", 1024.0), ("TiB", 1024.0 * 1024.0)];

/// What the ECS and BMS sides of the scenario are, for checks across sections.
pub(crate) struct Sections {
    pub ecs: bool,
    pub bms: bool,
}

/// The current table as `[capacity]`.
pub(crate) fn read_capacity(r: &mut Reader, sections: &Sections) -> CapacitySpec {
    let pools = named_tables(
        r,
        "pools",
        Naming::Simple("pool"),
        "a table such as { hosts = 40, vcpus = 64, memory = \"256GiB\" }",
        read_pool,
    );
    let pool_names: Vec<&str> = pools.iter().map(|(n, _)| n.as_str()).collect();
    let flavors = named_tables(
        r,
        "flavors",
        Naming::Any("flavor"),
        "a table such as { vcpus = 2, memory = \"8GiB\" }",
        |r, _| read_flavor(r, &pool_names),
    );
    let bms_pools = named_tables(
        r,
        "bms_pools",
        Naming::Any("bare-metal flavor"),
        "a table such as { nodes = 20 }",
        read_bms_pool,
    );
    let domains = named_tables(
        r,
        "domains",
        Naming::Simple("failure-domain level"),
        "a table such as { count = 4, time_to_failure = \"8760h\", repair = \"6h\" }",
        read_domain,
    );
    let host_failures = match r.get("host_failures") {
        None => None,
        Some(v) => r
            .table_value(
                "host_failures",
                v,
                "a table such as { time_to_failure = { dist = \"weibull\", shape = 1.0, scale = \"8760h\" }, repair = \"6h\" }",
                read_clock,
            )
            .flatten(),
    };
    let placement_names: Vec<&str> = PlacementPolicy::ALL.iter().map(|p| p.name()).collect();
    let placement = r
        .read("placement", |r, k, v| {
            r.choice_value(k, v, &placement_names)
        })
        .and_then(|name| name.parse().ok())
        .unwrap_or(PlacementPolicy::Spread);
    let build_attempts = r
        .read("build_attempts", |r, k, v| r.integer_value(k, v, 1, 100))
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(super::spec::BUILD_ATTEMPTS);
    let stopped_releases = r
        .read("stopped_releases", Reader::bool_value)
        .unwrap_or(false);
    let auto_recovery = r.read("auto_recovery", Reader::bool_value).unwrap_or(true);
    let recovery_interval = r
        .duration("recovery_interval")
        .unwrap_or(super::spec::RECOVERY_INTERVAL);
    let recovery_delay = r
        .dist("recovery_delay")
        .unwrap_or_else(super::spec::recovery_delay);
    let ecs_holds = read_holds(r, "ecs_holds", &ecs::machine(false).state_names, "ECS");
    let bms_holds = read_holds(r, "bms_holds", &bms::machine(false).state_names, "BMS");

    check_sections(r, sections, &pools, &flavors, &bms_pools);
    check_weights(r, &flavors, &bms_pools);
    check_fit(r, &pools, &flavors);
    check_domains(r, &pools, &bms_pools, &domains);

    CapacitySpec {
        placement,
        pools: pools.into_iter().filter_map(|(_, p)| p).collect(),
        flavors: flavors
            .into_iter()
            .filter_map(|(name, f)| f.and_then(|f| f.spec(name)))
            .collect(),
        bms_pools: bms_pools
            .into_iter()
            .filter_map(|(flavor, p)| p.and_then(|p| p.spec(flavor)))
            .collect(),
        domains: domains.into_iter().filter_map(|(_, d)| d).collect(),
        host_failures,
        build_attempts,
        stopped_releases,
        auto_recovery,
        recovery_interval,
        recovery_delay,
        ecs_holds,
        bms_holds,
    }
}

// ---------------------------------------------------------------------------
// Tables keyed by name
// ---------------------------------------------------------------------------

/// What the keys of a name-keyed table may be; the argument says what a key
/// names, for messages.
#[derive(Clone, Copy)]
enum Naming {
    /// `[A-Za-z0-9_-]+`: the name appears in dotted sweep paths.
    Simple(&'static str),
    /// Any non-empty name.
    Any(&'static str),
}

/// Whether `name` can stand in a dotted path unquoted (a TOML bare key).
fn is_simple(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `name` as one segment of a field path: bare if it can be, else quoted.
fn segment(name: &str) -> String {
    if is_simple(name) {
        name.to_string()
    } else {
        format!("{name:?}")
    }
}

/// Reads the table `key` of tables keyed by name, running `f` inside each
/// entry with its name; every name is kept (with `None` when its entry is
/// not a table or `f` gives `None`), so that later checks know every name the
/// file gives.
fn named_tables<'a, T>(
    r: &mut Reader<'a>,
    key: &'static str,
    naming: Naming,
    what: &str,
    mut f: impl FnMut(&mut Reader<'a>, &str) -> Option<T>,
) -> Vec<(String, Option<T>)> {
    let table = match r.get(key) {
        None => return Vec::new(),
        Some(Value::Table(t)) => t,
        Some(v) => {
            let named = match naming {
                Naming::Simple(n) | Naming::Any(n) => n,
            };
            r.problem(
                key,
                expected(&format!("a table keyed by {named} name, each {what}"), v),
            );
            return Vec::new();
        }
    };
    r.within(key, table, |r| {
        r.entries()
            .into_iter()
            .map(|(name, v)| {
                let seg = segment(name);
                check_name(r, &seg, name, naming, key);
                let spec = r.table_value(&seg, v, what, |r| f(r, name)).flatten();
                (name.to_string(), spec)
            })
            .collect()
    })
}

/// Reports a key of a name-keyed table that is not a valid name.
fn check_name(r: &mut Reader, seg: &str, name: &str, naming: Naming, key: &str) {
    match naming {
        Naming::Any(named) if name.trim().is_empty() => {
            r.problem(seg, format!("{name:?} is empty; give the {named} a name"));
        }
        Naming::Simple(named) if !is_simple(name) => {
            let why = match name
                .chars()
                .find(|&c| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            {
                Some(c) => format!("contains {c:?}"),
                None => "is empty".to_string(),
            };
            r.problem(
                seg,
                format!(
                    "{name:?} {why}; a {named} name is part of dotted field paths (capacity.{key}.NAME...), which sweeps use, so use only letters A-Z and a-z, digits, '_' and '-'"
                ),
            );
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Entries
// ---------------------------------------------------------------------------

/// One `[capacity.pools.NAME]`.
fn read_pool(r: &mut Reader, name: &str) -> Option<PoolSpec> {
    let hosts = r.required("hosts", "hosts = 40", |r, k, v| {
        count_value(r, k, v, "hosts", "give at least 1 host, or remove the pool")
    });
    let vcpus = r.required("vcpus", "vcpus = 64", vcpus_value);
    let memory_mib = r.required("memory", "memory = \"256GiB\"", memory_value);
    let cpu_overcommit = r.read("cpu_overcommit", overcommit_value).unwrap_or(1.0);
    let memory_overcommit = r.read("memory_overcommit", overcommit_value).unwrap_or(1.0);
    Some(PoolSpec {
        name: name.to_string(),
        hosts: hosts?,
        vcpus: vcpus?,
        memory_mib: memory_mib?,
        cpu_overcommit,
        memory_overcommit,
    })
}

/// A flavor as read: everything but its name; `pool` is `None` when the pool
/// could not be told (already reported).
struct Flavor {
    vcpus: Option<u32>,
    memory_mib: Option<u64>,
    pool: Option<usize>,
    weight: Option<f64>,
    resize_weight: Option<f64>,
    /// `resize_weight` is given, not defaulted to `weight`.
    resize_given: bool,
    growth: Option<crate::demand::Growth>,
}

impl Flavor {
    fn spec(self, name: String) -> Option<FlavorSpec> {
        Some(FlavorSpec {
            name,
            vcpus: self.vcpus?,
            memory_mib: self.memory_mib?,
            pool: self.pool?,
            weight: self.weight?,
            resize_weight: self.resize_weight?,
            growth: self.growth,
        })
    }
}

/// One `[capacity.flavors.NAME]`; `pools` are the names of every ECS pool.
fn read_flavor(r: &mut Reader, pools: &[&str]) -> Option<Flavor> {
    let vcpus = r.required("vcpus", "vcpus = 2", vcpus_value);
    let memory_mib = r.required("memory", "memory = \"8GiB\"", memory_value);
    let pool = match r.get("pool") {
        Some(v) => {
            let name = r.str_value("pool", v, "the name of a pool in [capacity.pools]");
            name.and_then(|name| match pools.iter().position(|&p| p == name) {
                Some(i) => Some(i),
                None => {
                    let valid = if pools.is_empty() {
                        "there are no pools; add one in [capacity.pools]".to_string()
                    } else {
                        format!("valid pools: {}", pools.join(", "))
                    };
                    r.problem(
                        "pool",
                        format!(
                            "unknown pool {name:?}{}; {valid}",
                            did_you_mean(name, pools.iter().copied())
                        ),
                    );
                    None
                }
            })
        }
        // No pools at all is reported once, at `capacity.flavors`.
        None if pools.len() <= 1 => pools.first().map(|_| 0),
        None => {
            r.problem(
                "pool",
                format!(
                    "missing; there are {} pools ({}), so say which one this flavor runs on, e.g. pool = {:?}",
                    pools.len(),
                    pools.join(", "),
                    pools.first().copied().unwrap_or_default()
                ),
            );
            None
        }
    };
    let weight = weight_or_one(r, "weight");
    let resize_given = r.has("resize_weight");
    let resize_weight = if resize_given {
        weight_value_at(r, "resize_weight")
    } else {
        r.get("resize_weight");
        weight
    };
    let growth = crate::demand::read::trend(r);
    Some(Flavor {
        vcpus,
        memory_mib,
        pool,
        weight,
        resize_weight,
        resize_given,
        growth,
    })
}

/// A BMS pool as read, without its flavor name.
struct BmsPool {
    nodes: Option<u32>,
    weight: Option<f64>,
}

impl BmsPool {
    fn spec(self, flavor: String) -> Option<BmsPoolSpec> {
        Some(BmsPoolSpec {
            flavor,
            nodes: self.nodes?,
            weight: self.weight?,
        })
    }
}

/// One `[capacity.bms_pools.NAME]`.
fn read_bms_pool(r: &mut Reader, _flavor: &str) -> Option<BmsPool> {
    let nodes = r.required("nodes", "nodes = 20", |r, k, v| {
        count_value(r, k, v, "nodes", "give at least 1 node, or remove the pool")
    });
    let weight = weight_or_one(r, "weight");
    Some(BmsPool { nodes, weight })
}

/// One `[capacity.domains.LEVEL]`.
fn read_domain(r: &mut Reader, level: &str) -> Option<DomainSpec> {
    let count = r.required("count", "count = 4", |r, k, v| {
        count_value(
            r,
            k,
            v,
            "domains",
            "give at least 1 domain, or remove the level",
        )
    });
    let clock = read_clock(r);
    Some(DomainSpec {
        level: level.to_string(),
        count: count?,
        clock: clock?,
    })
}

/// `time_to_failure` and `repair` of the current table, both required.
fn read_clock(r: &mut Reader) -> Option<FailureClockSpec> {
    let example = "{ dist = \"weibull\", shape = 1.0, scale = \"8760h\" }";
    let ttf = r.required(
        "time_to_failure",
        &format!("time_to_failure = {example}"),
        Reader::dist_value,
    );
    let repair = r.required(
        "repair",
        "repair = { dist = \"lognormal\", mean = \"6h\", cv = 1.0 }",
        Reader::dist_value,
    );
    let (ttf, repair) = (ttf?, repair?);
    // Failure and repair re-arm each other: the cycle must move time on.
    if let Some(stall) = renewal::cycle_stall(&ttf, &repair) {
        r.problem(
            "",
            format!(
                "{}; a failure schedules the repair and the repair the next failure, so simulated time would stop: give time_to_failure and repair whose means add up to at least 1 ms, not both drawing less than 1 ms with probability above {}",
                stall.reason("the cycle of failure and repair"),
                renewal::MAX_SHARE_BELOW_TICK
            ),
        );
        return None;
    }
    Some(FailureClockSpec {
        time_to_failure: ttf,
        repair,
    })
}

/// `ecs_holds` / `bms_holds`: state name → whether it holds capacity.
fn read_holds(
    r: &mut Reader,
    key: &'static str,
    states: &[String],
    kind: &str,
) -> Vec<(String, bool)> {
    let table = match r.get(key) {
        None => return Vec::new(),
        Some(Value::Table(t)) => t,
        Some(v) => {
            let example = states.first().map_or("x", String::as_str);
            r.problem(
                key,
                expected(
                    &format!("a table of {kind} state names and true or false, such as {{ {example:?} = false }}"),
                    v,
                ),
            );
            return Vec::new();
        }
    };
    r.within(key, table, |r| {
        let mut holds = Vec::new();
        for (name, v) in r.entries() {
            let seg = segment(name);
            if !states.iter().any(|s| s == name) {
                let mut hint = did_you_mean(name, states.iter().map(String::as_str));
                let with_null = format!("{name}:null");
                if hint.is_empty() && states.contains(&with_null) {
                    hint = format!(" (did you mean {with_null:?}?)");
                }
                r.problem(
                    &seg,
                    format!(
                        "unknown {kind} state {name:?}{hint}; valid states: {}",
                        states.join(", ")
                    ),
                );
                continue;
            }
            if let Some(b) = r.bool_value(&seg, v) {
                holds.push((name.to_string(), b));
            }
        }
        holds
    })
}

// ---------------------------------------------------------------------------
// Checks across entries
// ---------------------------------------------------------------------------

/// Pools without flavors and the reverse; capacity for a kind the scenario
/// does not simulate.
fn check_sections(
    r: &mut Reader,
    sections: &Sections,
    pools: &[(String, Option<PoolSpec>)],
    flavors: &[(String, Option<Flavor>)],
    bms_pools: &[(String, Option<BmsPool>)],
) {
    if !flavors.is_empty() && pools.is_empty() {
        r.problem(
            "flavors",
            "ECS flavors need at least one pool in [capacity.pools], e.g. [capacity.pools.general] with hosts = 40, vcpus = 64, memory = \"256GiB\"",
        );
    }
    if !pools.is_empty() && flavors.is_empty() {
        r.problem(
            "pools",
            "ECS host pools need flavors to size the servers; give at least one flavor in [capacity.flavors], e.g. [capacity.flavors.\"s6.large.2\"] with vcpus = 2, memory = \"8GiB\"",
        );
    }
    if !sections.ecs && (!pools.is_empty() || !flavors.is_empty()) {
        let key = if pools.is_empty() { "flavors" } else { "pools" };
        r.problem(
            key,
            format!(
                "ECS capacity is given but the scenario has no [ecs] section; add [ecs] or remove [capacity.{key}]"
            ),
        );
    }
    if !sections.bms && !bms_pools.is_empty() {
        r.problem(
            "bms_pools",
            "BMS node pools are given but the scenario has no [bms] section; add [bms] or remove [capacity.bms_pools]",
        );
    }
}

/// Flavor weights, resize weights and BMS pool weights must add up to a
/// positive number, with the largest of each table at most
/// [`weighted::MAX_RATIO`] times its smallest positive one; judged only
/// when every weight is valid.
fn check_weights(
    r: &mut Reader,
    flavors: &[(String, Option<Flavor>)],
    bms_pools: &[(String, Option<BmsPool>)],
) {
    let flavor_weights = |get: fn(&Flavor) -> Option<f64>| -> Option<Vec<(&str, f64)>> {
        flavors
            .iter()
            .map(|(name, f)| Some((name.as_str(), f.as_ref().and_then(get)?)))
            .collect()
    };
    if !flavors.is_empty() {
        check_table(
            r,
            "flavors",
            "weight",
            flavor_weights(|f| f.weight),
            "give some flavor a positive weight (its share of new servers), e.g. weight = 1",
        );
        // Resize weights that all default to the weights are judged above.
        if flavors
            .iter()
            .any(|(_, f)| f.as_ref().is_some_and(|f| f.resize_given))
        {
            check_table(
                r,
                "flavors",
                "resize_weight",
                flavor_weights(|f| f.resize_weight),
                "give some flavor a positive resize_weight (its share of resize targets), e.g. resize_weight = 1",
            );
        }
    }
    if !bms_pools.is_empty() {
        let weights = bms_pools
            .iter()
            .map(|(name, p)| Some((name.as_str(), p.as_ref().and_then(|p| p.weight)?)))
            .collect();
        check_table(
            r,
            "bms_pools",
            "weight",
            weights,
            "give some pool a positive weight (its share of new BMS), e.g. weight = 1",
        );
    }
}

/// Reports one table of weights (`None`: some weight was bad, already
/// reported), each under `key` of its entry, whose sum is 0 or whose spread
/// the weighted choice cannot draw exactly.
fn check_table(
    r: &mut Reader,
    table: &str,
    key: &str,
    weights: Option<Vec<(&str, f64)>>,
    fix: &str,
) {
    let Some(weights) = weights else { return };
    if weights.iter().all(|&(_, w)| w == 0.0) {
        r.problem(table, format!("0 is not a valid weight sum; {fix}"));
        return;
    }
    let named: Vec<(String, f64)> = weights
        .iter()
        .map(|&(name, w)| (format!("{}.{key}", segment(name)), w))
        .collect();
    if let Err(e) = weighted::check_ratio(named.iter().map(|(n, w)| (n.as_str(), *w))) {
        r.problem(table, e);
    }
}

/// Every flavor must fit on an empty host of its pool.
/// A failure-domain level splits each pool's hosts into `count` blocks; a
/// count above the largest pool's hosts leaves domains with no host at
/// all, which would fail and be repaired (and logged) for nothing.
fn check_domains(
    r: &mut Reader,
    pools: &[(String, Option<PoolSpec>)],
    bms_pools: &[(String, Option<BmsPool>)],
    domains: &[(String, Option<DomainSpec>)],
) {
    let largest = pools
        .iter()
        .filter_map(|(_, p)| p.as_ref().map(|p| p.hosts))
        .chain(bms_pools.iter().filter_map(|(_, p)| p.as_ref()?.nodes))
        .max();
    let Some(largest) = largest else { return };
    for (name, d) in domains {
        if let Some(d) = d
            && d.count > largest
        {
            r.problem(
                &format!("domains.{}.count", segment(name)),
                format!(
                    "{} domains leave some with no host: the largest pool has {largest} hosts (or nodes), and host i of a pool of n is in domain ⌊i·count/n⌋; give at most {largest}",
                    d.count
                ),
            );
        }
    }
}

fn check_fit(
    r: &mut Reader,
    pools: &[(String, Option<PoolSpec>)],
    flavors: &[(String, Option<Flavor>)],
) {
    for (name, f) in flavors {
        let Some(f) = f else { continue };
        let Some((pool_name, Some(pool))) = f.pool.and_then(|i| pools.get(i)) else {
            continue;
        };
        let at = |key: &str| format!("flavors.{}.{key}", segment(name));
        if let Some(v) = f.vcpus
            && u64::from(v) > pool.vcpu_capacity()
        {
            r.problem(
                &at("vcpus"),
                format!(
                    "flavor {name:?} with {v} vCPUs fits on no host of pool {pool_name:?}, which schedules at most {} vCPUs per host ({} vCPUs × cpu_overcommit {}); give at most {} vCPUs, larger hosts or a higher cpu_overcommit",
                    pool.vcpu_capacity(),
                    pool.vcpus,
                    pool.cpu_overcommit,
                    pool.vcpu_capacity()
                ),
            );
        }
        if let Some(m) = f.memory_mib
            && m > pool.memory_capacity_mib()
        {
            r.problem(
                &at("memory"),
                format!(
                    "flavor {name:?} with {} fits on no host of pool {pool_name:?}, which schedules at most {} per host ({} × memory_overcommit {}); give at most {}, larger hosts or a higher memory_overcommit",
                    format_memory(m),
                    format_memory(pool.memory_capacity_mib()),
                    format_memory(pool.memory_mib),
                    pool.memory_overcommit,
                    format_memory(pool.memory_capacity_mib())
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/// A count of 1 to [`MAX_COUNT`] `things`; 0 gets its own advice, `zero`.
fn count_value<'a>(
    r: &mut Reader<'a>,
    key: &str,
    v: &'a Value,
    things: &str,
    zero: &str,
) -> Option<u32> {
    if let Value::Integer(0) = v {
        r.problem(key, format!("0 is not a valid number of {things}; {zero}"));
        return None;
    }
    r.integer_value(key, v, 1, MAX_COUNT)
        .and_then(|n| u32::try_from(n).ok())
}

/// vCPUs of a host or a flavor.
fn vcpus_value<'a>(r: &mut Reader<'a>, key: &str, v: &'a Value) -> Option<u32> {
    r.integer_value(key, v, 1, MAX_VCPUS)
        .and_then(|n| u32::try_from(n).ok())
}

/// An allocation ratio: a number above 0, at most [`MAX_OVERCOMMIT`].
fn overcommit_value<'a>(r: &mut Reader<'a>, key: &str, v: &'a Value) -> Option<f64> {
    let x = r.number_value(key, v)?;
    if x > 0.0 && x <= MAX_OVERCOMMIT {
        Some(x)
    } else {
        r.problem(
            key,
            format!(
                "{x} is not a valid allocation ratio; give a number above 0 and at most {MAX_OVERCOMMIT} (1.0: no overcommit)"
            ),
        );
        None
    }
}

/// `key`'s weight, default 1.
fn weight_or_one(r: &mut Reader, key: &'static str) -> Option<f64> {
    if r.has(key) {
        weight_value_at(r, key)
    } else {
        r.get(key);
        Some(1.0)
    }
}

/// The weight under `key`, which is present: 0, or a number the weighted
/// choice draws exactly ([`weighted::check_weight`]).
fn weight_value_at(r: &mut Reader, key: &'static str) -> Option<f64> {
    let w = r.read(key, Reader::number_value)?;
    if let Err(e) = weighted::check_weight(w) {
        r.problem(key, e);
        return None;
    }
    Some(w)
}

/// Memory: a string with a unit (`"512MiB"`, `"256GiB"`, `"1.5TiB"`) or a
/// plain number of GiB; in MiB, rounded, at least 1.
fn memory_value<'a>(r: &mut Reader<'a>, key: &str, v: &'a Value) -> Option<u64> {
    let parsed = match v {
        Value::String(s) => parse_memory_mib(s),
        Value::Integer(_) | Value::Float(_) => {
            let gib = r.number_value(key, v)?;
            check_memory(gib * 1024.0, &format!("{} (GiB)", show(v)))
        }
        v => Err(expected(
            "memory such as \"256GiB\", \"512MiB\" or \"1.5TiB\" (a plain number means GiB)",
            v,
        )),
    };
    match parsed {
        Ok(mib) => Some(mib),
        Err(e) => {
            r.problem(key, e);
            None
        }
    }
}

/// Parses `"256GiB"`, `"512 MiB"`, `"1.5TiB"` into MiB.
fn parse_memory_mib(s: &str) -> Result<u64, String> {
    let units = "valid units: MiB, GiB, TiB (powers of 1024), e.g. \"256GiB\"";
    if s.trim().starts_with('-') {
        return Err(format!(
            "{s:?} is negative; give a positive size such as \"256GiB\""
        ));
    }
    // The same number syntax as durations: a plain non-negative decimal.
    let (num, unit) = crate::input::units::split_number(s.trim());
    let value = crate::input::units::parse_decimal(num).ok_or_else(|| {
        format!("{s:?} does not start with a number; give memory such as \"256GiB\" or \"512MiB\"")
    })?;
    if unit.is_empty() {
        // A string without a unit is as ambiguous as in durations.
        return Err(format!(
            "{s:?} has no unit; write e.g. \"{num}GiB\" ({units}), or a plain number of GiB without quotes"
        ));
    }
    let Some(&(_, mib)) = MEMORY_UNITS.iter().find(|(u, _)| *u == unit) else {
        let hint = MEMORY_UNITS
            .iter()
            .find(|(u, _)| {
                let u = u.to_ascii_lowercase();
                let given = unit.to_ascii_lowercase();
                given == u || given == u.replace('i', "") || given == u[..1]
            })
            .map(|(u, _)| format!(" (did you mean {u:?}?)"))
            .unwrap_or_default();
        return Err(format!("{s:?} has an unknown unit {unit:?}{hint}; {units}"));
    };
    check_memory(value * mib, &format!("{s:?}"))
}

/// `mib` as a memory size: above 0 and at most [`MAX_MEMORY_MIB`], rounded
/// to whole MiB and at least 1; `shown` is the value as written.
fn check_memory(mib: f64, shown: &str) -> Result<u64, String> {
    if mib <= 0.0 {
        return Err(format!(
            "{shown} is not a valid memory size; give a positive size such as \"256GiB\""
        ));
    }
    if mib > MAX_MEMORY_MIB {
        return Err(format!("{shown} is more than the limit of 1024TiB"));
    }
    // 0 < mib <= 2^30: the cast is exact after rounding.
    Ok((mib.round() as u64).max(1))
}

/// MiB in the largest unit that shows it exactly: `"256GiB"`, `"1536MiB"`.
fn format_memory(mib: u64) -> String {
    match mib {
        m if m > 0 && m % (1024 * 1024) == 0 => format!("{}TiB", m / (1024 * 1024)),
        m if m > 0 && m % 1024 == 0 => format!("{}GiB", m / 1024),
        m => format!("{m}MiB"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimTime;
    use crate::scenario::Dist;
    use crate::scenario::parse::tests::{assert_problem, problems};
    use crate::scenario::parse::{parse_str, parse_tree};
    use crate::scenario::sweep::plan;

    const FULL: &str = r#"
name = "c"
horizon = "30d"
[ecs]
initial = 10
[bms]
initial = 2

[capacity]
placement = "pack"
build_attempts = 5
stopped_releases = true
auto_recovery = false
recovery_interval = "6h"
recovery_delay = { dist = "exponential", mean = "5m" }
host_failures = { time_to_failure = { dist = "weibull", shape = 1.0, scale = "8760h" }, repair = { dist = "lognormal", mean = "6h", cv = 1.0 } }
ecs_holds = { "stopped:null" = false, "error:null" = true }
bms_holds = { stopped = false }

[capacity.pools.general]
hosts = 40
vcpus = 64
memory = "256GiB"
cpu_overcommit = 2.0
memory_overcommit = 1.5

[capacity.pools.big-mem]
hosts = 4
vcpus = 96
memory = "1.5TiB"

[capacity.flavors."s6.large.2"]
vcpus = 2
memory = "8GiB"
pool = "general"
weight = 10
resize_weight = 5

[capacity.flavors."m6.8xlarge.8"]
vcpus = 32
memory = 256
pool = "big-mem"

[capacity.bms_pools."physical.s4.large"]
nodes = 20

[capacity.bms_pools."physical.s4.xlarge"]
nodes = 5
weight = 0.5

[capacity.domains.rack]
count = 4
time_to_failure = { dist = "exponential", mean = "8760h" }
repair = "4h"

[capacity.domains.zone]
count = 2
time_to_failure = "87600h"
repair = { dist = "uniform", min = "1h", max = "12h" }
"#;

    const HEAD: &str = "name = \"t\"\nhorizon = \"30d\"\n[ecs]\n";

    /// One pool and one flavor that fits on it.
    const ONE_POOL: &str = "[capacity.pools.general]\nhosts = 2\nvcpus = 8\nmemory = 32\n[capacity.flavors.small]\nvcpus = 1\nmemory = \"2GiB\"\n";

    fn capacity(text: &str) -> CapacitySpec {
        match parse_str(text, "test.toml") {
            Ok(s) => s.capacity.expect("a [capacity] section"),
            Err(e) => panic!("{e}"),
        }
    }

    fn with_head(rest: &str) -> String {
        format!("{HEAD}{rest}")
    }

    fn hours(h: u64) -> f64 {
        (h * 3_600) as f64
    }

    #[test]
    fn full_capacity_section_parses_with_the_given_values() {
        let c = capacity(FULL);
        assert_eq!(c.placement, PlacementPolicy::Pack);
        assert_eq!(c.build_attempts, 5);
        assert!(c.stopped_releases && !c.auto_recovery);
        assert_eq!(c.recovery_interval, SimTime::from_secs(6 * 3_600));
        assert_eq!(c.recovery_delay, Dist::Exponential { mean_s: 300.0 });
        assert_eq!(
            c.host_failures,
            Some(FailureClockSpec {
                time_to_failure: Dist::Weibull {
                    shape: 1.0,
                    scale_s: hours(8760)
                },
                repair: Dist::lognormal(hours(6), 1.0),
            })
        );
        assert_eq!(
            c.ecs_holds,
            [
                ("stopped:null".to_string(), false),
                ("error:null".to_string(), true)
            ]
        );
        assert_eq!(c.bms_holds, [("stopped".to_string(), false)]);

        assert_eq!(
            c.pools,
            [
                PoolSpec {
                    name: "general".into(),
                    hosts: 40,
                    vcpus: 64,
                    memory_mib: 256 * 1024,
                    cpu_overcommit: 2.0,
                    memory_overcommit: 1.5,
                },
                PoolSpec {
                    name: "big-mem".into(),
                    hosts: 4,
                    vcpus: 96,
                    memory_mib: 1536 * 1024,
                    cpu_overcommit: 1.0,
                    memory_overcommit: 1.0,
                },
            ]
        );
        assert_eq!(c.pools[0].vcpu_capacity(), 128);
        assert_eq!(c.pools[0].memory_capacity_mib(), 384 * 1024);
        assert_eq!(
            c.flavors,
            [
                FlavorSpec {
                    name: "s6.large.2".into(),
                    vcpus: 2,
                    memory_mib: 8 * 1024,
                    pool: 0,
                    weight: 10.0,
                    resize_weight: 5.0,
                    growth: None,
                },
                FlavorSpec {
                    name: "m6.8xlarge.8".into(),
                    vcpus: 32,
                    memory_mib: 256 * 1024,
                    pool: 1,
                    weight: 1.0,
                    resize_weight: 1.0,
                    growth: None,
                },
            ]
        );
        assert_eq!(
            c.bms_pools,
            [
                BmsPoolSpec {
                    flavor: "physical.s4.large".into(),
                    nodes: 20,
                    weight: 1.0,
                },
                BmsPoolSpec {
                    flavor: "physical.s4.xlarge".into(),
                    nodes: 5,
                    weight: 0.5,
                },
            ]
        );
        assert_eq!(
            c.domains,
            [
                DomainSpec {
                    level: "rack".into(),
                    count: 4,
                    clock: FailureClockSpec {
                        time_to_failure: Dist::Exponential {
                            mean_s: hours(8760)
                        },
                        repair: Dist::fixed(SimTime::from_secs(4 * 3_600)),
                    },
                },
                DomainSpec {
                    level: "zone".into(),
                    count: 2,
                    clock: FailureClockSpec {
                        time_to_failure: Dist::fixed(SimTime::from_secs(87_600 * 3_600)),
                        repair: Dist::Uniform {
                            min_s: hours(1),
                            max_s: hours(12),
                        },
                    },
                },
            ]
        );
    }

    #[test]
    fn a_minimal_capacity_section_fills_defaults() {
        let c = capacity(&with_head(ONE_POOL));
        assert_eq!(c.placement, PlacementPolicy::Spread);
        assert_eq!(c.build_attempts, 3);
        assert!(!c.stopped_releases && c.auto_recovery);
        assert_eq!(c.recovery_interval, SimTime::from_secs(12 * 3_600));
        assert_eq!(c.recovery_delay, Dist::fixed(SimTime::from_secs(300)));
        assert_eq!(c.host_failures, None);
        assert!(c.ecs_holds.is_empty() && c.bms_holds.is_empty());
        assert!(c.bms_pools.is_empty() && c.domains.is_empty());
        let p = &c.pools[0];
        assert_eq!((p.hosts, p.vcpus, p.memory_mib), (2, 8, 32 * 1024));
        assert_eq!((p.cpu_overcommit, p.memory_overcommit), (1.0, 1.0));
        let f = &c.flavors[0];
        // The only pool is the flavor's pool; resize_weight follows weight.
        assert_eq!((f.pool, f.weight, f.resize_weight), (0, 1.0, 1.0));
        let f = &capacity(&with_head(&format!("{ONE_POOL}weight = 3\n"))).flavors[0];
        assert_eq!((f.weight, f.resize_weight), (3.0, 3.0));

        // An empty section: unlimited capacity with the default settings.
        let c = capacity(&with_head("[capacity]\n"));
        assert!(c.pools.is_empty() && c.flavors.is_empty());
        assert_eq!(c.build_attempts, 3);
        // No section at all: no capacity model.
        assert!(parse_str(HEAD, "t.toml").unwrap().capacity.is_none());
        // BMS pools only: ECS stays unlimited.
        let text = "name = \"t\"\nhorizon = \"1d\"\n[ecs]\n[bms]\n[capacity.bms_pools.\"physical.s4\"]\nnodes = 3\n";
        let c = capacity(text);
        assert!(c.pools.is_empty());
        assert_eq!(c.bms_pools[0].nodes, 3);
    }

    #[test]
    fn memory_sizes_in_every_form() {
        let mib = |memory: &str| {
            let text = with_head(&format!(
                "[capacity.pools.p]\nhosts = 1\nvcpus = 1\nmemory = {memory}\n[capacity.flavors.f]\nvcpus = 1\nmemory = \"1MiB\"\n"
            ));
            capacity(&text).pools[0].memory_mib
        };
        assert_eq!(mib("\"512MiB\""), 512);
        assert_eq!(mib("\"256GiB\""), 262_144);
        assert_eq!(mib("\"256 GiB\""), 262_144);
        assert_eq!(mib("\"1.5TiB\""), 1_572_864);
        assert_eq!(mib("256"), 262_144);
        assert_eq!(mib("0.5"), 512);
        assert_eq!(mib("\"1.6MiB\""), 2);
        assert_eq!(mib("\"0.001MiB\""), 1);
        assert_eq!(format_memory(1_572_864), "1536GiB");
        assert_eq!(format_memory(2 * 1_048_576), "2TiB");
        assert_eq!(format_memory(1_500), "1500MiB");
    }

    #[test]
    fn bad_memory_is_refused_naming_the_value() {
        let pool = |memory: &str| {
            with_head(&format!(
                "[capacity.pools.p]\nhosts = 1\nvcpus = 1\nmemory = {memory}\n[capacity.flavors.f]\nvcpus = 1\nmemory = \"1MiB\"\n"
            ))
        };
        let at = "capacity.pools.p.memory";
        assert_problem(
            &pool("\"256GB\""),
            at,
            &[
                "unknown unit \"GB\"",
                "did you mean \"GiB\"?",
                "MiB, GiB, TiB",
            ],
        );
        assert_problem(&pool("\"256\""), at, &["no unit", "\"256GiB\""]);
        assert_problem(&pool("\"lots\""), at, &["does not start with a number"]);
        assert_problem(
            &pool("\"0GiB\""),
            at,
            &["\"0GiB\" is not a valid memory size"],
        );
        assert_problem(&pool("\"-4GiB\""), at, &["positive"]);
        assert_problem(&pool("-4"), at, &["-4 (GiB) is not a valid memory size"]);
        assert_problem(&pool("\"2000TiB\""), at, &["limit of 1024TiB"]);
        assert_problem(
            &pool("true"),
            at,
            &["expected memory such as", "found boolean true"],
        );
        assert_problem(
            &with_head(
                "[capacity.pools.p]\nhosts = 1\nvcpus = 1\n[capacity.flavors.f]\nvcpus = 1\nmemory = \"1MiB\"\n",
            ),
            at,
            &["missing", "memory = \"256GiB\""],
        );
    }

    #[test]
    fn a_flavor_larger_than_any_host_of_its_pool_names_the_field() {
        let text = with_head(
            "[capacity.pools.general]\nhosts = 10\nvcpus = 64\nmemory = \"256GiB\"\ncpu_overcommit = 1.5\n[capacity.flavors.\"s6.huge\"]\nvcpus = 128\nmemory = \"512GiB\"\n",
        );
        assert_problem(
            &text,
            "capacity.flavors.\"s6.huge\".vcpus",
            &[
                "\"s6.huge\" with 128 vCPUs fits on no host of pool \"general\"",
                "at most 96 vCPUs per host (64 vCPUs × cpu_overcommit 1.5)",
            ],
        );
        assert_problem(
            &text,
            "capacity.flavors.\"s6.huge\".memory",
            &["with 512GiB fits on no host", "at most 256GiB per host"],
        );
        // Exactly a host's schedulable size fits.
        let c = capacity(&with_head(
            "[capacity.pools.general]\nhosts = 10\nvcpus = 64\nmemory = \"256GiB\"\ncpu_overcommit = 1.5\n[capacity.flavors.whole]\nvcpus = 96\nmemory = \"256GiB\"\n",
        ));
        assert_eq!(c.flavors[0].vcpus, 96);
    }

    #[test]
    fn counts_must_be_positive() {
        assert_problem(
            &with_head(
                "[capacity.pools.general]\nhosts = -3\nvcpus = 8\nmemory = 32\n[capacity.flavors.f]\nvcpus = 1\nmemory = 1\n",
            ),
            "capacity.pools.general.hosts",
            &["-3 is out of range", "1 to 1000000"],
        );
        assert_problem(
            &with_head(
                "[capacity.pools.general]\nhosts = 0\nvcpus = 8\nmemory = 32\n[capacity.flavors.f]\nvcpus = 1\nmemory = 1\n",
            ),
            "capacity.pools.general.hosts",
            &[
                "0 is not a valid number of hosts",
                "give at least 1 host, or remove the pool",
            ],
        );
        let bms = "name = \"t\"\nhorizon = \"1d\"\n[bms]\n";
        assert_problem(
            &format!("{bms}[capacity.bms_pools.\"physical.s4\"]\nnodes = 0\n"),
            "capacity.bms_pools.\"physical.s4\".nodes",
            &["0 is not a valid number of nodes", "at least 1 node"],
        );
        assert_problem(
            &format!("{bms}[capacity.bms_pools.\"physical.s4\"]\nweight = 1\n"),
            "capacity.bms_pools.\"physical.s4\".nodes",
            &["missing", "nodes = 20"],
        );
        assert_problem(
            &with_head(
                "[capacity.domains.rack]\ncount = 1000001\ntime_to_failure = \"1y\"\nrepair = \"1h\"\n",
            ),
            "capacity.domains.rack.count",
            &["out of range", "1 to 1000000"],
        );
        assert_problem(
            &with_head(
                "[capacity.pools.general]\nhosts = 2\nvcpus = 0\nmemory = 32\n[capacity.flavors.f]\nvcpus = 1.5\nmemory = 1\n",
            ),
            "capacity.pools.general.vcpus",
            &["0 is out of range"],
        );
        assert_problem(
            &with_head(
                "[capacity.pools.general]\nhosts = 2\nvcpus = 8\nmemory = 32\n[capacity.flavors.f]\nvcpus = 1.5\nmemory = 1\n",
            ),
            "capacity.flavors.f.vcpus",
            &["found float 1.5"],
        );
        assert_problem(
            &with_head(&format!("{ONE_POOL}[capacity]\nbuild_attempts = 0\n")),
            "capacity.build_attempts",
            &["0 is out of range", "1 to 100"],
        );
        assert_problem(
            &with_head(
                "[capacity.pools.general]\nhosts = 2\nvcpus = 8\nmemory = 32\nmemory_overcommit = 0\n[capacity.flavors.f]\nvcpus = 1\nmemory = 1\n",
            ),
            "capacity.pools.general.memory_overcommit",
            &["0 is not a valid allocation ratio", "above 0"],
        );
    }

    #[test]
    fn flavor_pools_are_checked() {
        let two = "[capacity.pools.general]\nhosts = 2\nvcpus = 8\nmemory = 32\n[capacity.pools.gpu]\nhosts = 2\nvcpus = 8\nmemory = 32\n";
        assert_problem(
            &with_head(&format!(
                "{two}[capacity.flavors.f]\nvcpus = 1\nmemory = 1\npool = \"GPU\"\n"
            )),
            "capacity.flavors.f.pool",
            &[
                "unknown pool \"GPU\"",
                "did you mean \"gpu\"?",
                "valid pools: general, gpu",
            ],
        );
        assert_problem(
            &with_head(&format!(
                "{two}[capacity.flavors.f]\nvcpus = 1\nmemory = 1\n"
            )),
            "capacity.flavors.f.pool",
            &[
                "missing; there are 2 pools (general, gpu)",
                "pool = \"general\"",
            ],
        );
        let c = capacity(&with_head(&format!(
            "{two}[capacity.flavors.f]\nvcpus = 1\nmemory = 1\npool = \"gpu\"\n"
        )));
        assert_eq!(c.flavors[0].pool, 1);
        assert_problem(
            &with_head("[capacity.flavors.f]\nvcpus = 1\nmemory = 1\n"),
            "capacity.flavors",
            &["ECS flavors need at least one pool in [capacity.pools]"],
        );
        assert_problem(
            &with_head("[capacity.pools.general]\nhosts = 2\nvcpus = 8\nmemory = 32\n"),
            "capacity.pools",
            &["give at least one flavor in [capacity.flavors]"],
        );
    }

    #[test]
    fn capacity_for_a_kind_the_scenario_lacks_is_refused() {
        let bms_only = "name = \"t\"\nhorizon = \"1d\"\n[bms]\n";
        assert_problem(
            &format!("{bms_only}{ONE_POOL}"),
            "capacity.pools",
            &["no [ecs] section"],
        );
        assert_problem(
            &format!("{HEAD}[capacity.bms_pools.\"physical.s4\"]\nnodes = 2\n"),
            "capacity.bms_pools",
            &["no [bms] section"],
        );
    }

    #[test]
    fn weight_sums_must_be_positive() {
        let pool = "[capacity.pools.general]\nhosts = 2\nvcpus = 8\nmemory = 32\n";
        assert_problem(
            &with_head(&format!(
                "{pool}[capacity.flavors.a]\nvcpus = 1\nmemory = 1\nweight = 0\n"
            )),
            "capacity.flavors",
            &["0 is not a valid weight sum", "positive weight"],
        );
        assert_problem(
            &with_head(&format!(
                "{pool}[capacity.flavors.a]\nvcpus = 1\nmemory = 1\nresize_weight = 0\n"
            )),
            "capacity.flavors",
            &["0 is not a valid weight sum", "positive resize_weight"],
        );
        // A negative weight is reported once, not again as a zero sum.
        let ps = problems(&with_head(&format!(
            "{pool}[capacity.flavors.a]\nvcpus = 1\nmemory = 1\nweight = -1\n"
        )));
        let fields: Vec<&str> = ps.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["capacity.flavors.a.weight"], "{ps:#?}");
        assert_problem(
            "name = \"t\"\nhorizon = \"1d\"\n[bms]\n[capacity.bms_pools.a]\nnodes = 1\nweight = 0\n[capacity.bms_pools.b]\nnodes = 1\nweight = 0\n",
            "capacity.bms_pools",
            &["0 is not a valid weight sum"],
        );
        // Zero weights beside a positive one are fine.
        let c = capacity(&with_head(&format!(
            "{pool}[capacity.flavors.a]\nvcpus = 1\nmemory = 1\nweight = 0\n[capacity.flavors.b]\nvcpus = 1\nmemory = 1\n"
        )));
        assert_eq!(c.flavors[0].weight, 0.0);
    }

    #[test]
    fn weights_the_weighted_choice_cannot_draw_are_refused() {
        // The fuzzing probe's weights, for flavors, resize targets and BMS
        // pools: each named at its key, with what is valid.
        let pool = "[capacity.pools.general]\nhosts = 2\nvcpus = 8\nmemory = 32\n";
        let flavors = |a: &str, b: &str| {
            with_head(&format!(
                "{pool}[capacity.flavors.a]\nvcpus = 1\nmemory = 1\n{a}\n[capacity.flavors.\"b.2\"]\nvcpus = 1\nmemory = 1\n{b}\n"
            ))
        };
        let valid = "a weight is 0 (never chosen) or a number from 1e-300 to 1e300";
        assert_problem(
            &flavors("weight = 5e-324", ""),
            "capacity.flavors.a.weight",
            &["5e-324 is too small", valid],
        );
        assert_problem(
            &flavors("resize_weight = 1e308", ""),
            "capacity.flavors.a.resize_weight",
            &["1e308 is too large", valid],
        );
        assert_problem(
            &flavors("weight = 1e17", ""),
            "capacity.flavors",
            &[
                "the largest weight (a.weight = 1e17) is 1.000e17 times the smallest positive one (\"b.2\".weight = 1)",
                "at most 1e9 times",
            ],
        );
        // A resize weight defaults to the weight: one problem, not two.
        let ps = problems(&flavors("weight = 1e17", ""));
        assert_eq!(ps.len(), 1, "{ps:#?}");
        assert_problem(
            &flavors("resize_weight = 1", "resize_weight = 1e-12"),
            "capacity.flavors",
            &[
                "(a.resize_weight = 1) is 1.000e12 times the smallest positive one (\"b.2\".resize_weight = 1e-12)",
            ],
        );
        let bms = |a: &str| {
            format!(
                "name = \"t\"\nhorizon = \"1d\"\n[bms]\n[capacity.bms_pools.a]\nnodes = 1\n{a}\n[capacity.bms_pools.b]\nnodes = 1\n"
            )
        };
        assert_problem(
            &bms("weight = 5e-324"),
            "capacity.bms_pools.a.weight",
            &["too small"],
        );
        assert_problem(
            &bms("weight = 1e308"),
            "capacity.bms_pools.a.weight",
            &["1e308 is too large"],
        );
        assert_problem(
            &bms("weight = 1e-10"),
            "capacity.bms_pools",
            &["1.000e10 times"],
        );
        // At the limit, and a zero that does not count.
        let c = capacity(&flavors("weight = 1e9\nresize_weight = 0", ""));
        assert_eq!(
            (c.flavors[0].weight, c.flavors[0].resize_weight),
            (1e9, 0.0)
        );
    }

    #[test]
    fn state_names_in_holds_are_checked() {
        assert_problem(
            &with_head("[capacity]\necs_holds = { \"stoped:null\" = false }\n"),
            "capacity.ecs_holds.\"stoped:null\"",
            &[
                "unknown ECS state \"stoped:null\"",
                "valid states: ",
                "stopped:null",
            ],
        );
        assert_problem(
            &with_head("[capacity]\necs_holds = { stopped = false }\n"),
            "capacity.ecs_holds.stopped",
            &["did you mean \"stopped:null\"?"],
        );
        assert_problem(
            &with_head("[capacity]\necs_holds = { \"active:powering_off\" = true }\n"),
            "capacity.ecs_holds.\"active:powering_off\"",
            &["did you mean \"active:powering-off\"?"],
        );
        assert_problem(
            &with_head("[capacity]\nbms_holds = { Stopped = false }\n"),
            "capacity.bms_holds.Stopped",
            &["unknown BMS state", "did you mean \"stopped\"?", "frozen"],
        );
        assert_problem(
            &with_head("[capacity]\nbms_holds = { stopped = \"no\" }\n"),
            "capacity.bms_holds.stopped",
            &["expected true or false"],
        );
        assert_problem(
            &with_head("[capacity]\necs_holds = [\"stopped:null\"]\n"),
            "capacity.ecs_holds",
            &["a table of ECS state names"],
        );
        // Every state name of both machines is accepted.
        for name in &ecs::machine(false).state_names {
            let c = capacity(&with_head(&format!(
                "[capacity]\necs_holds = {{ {name:?} = true }}\n"
            )));
            assert_eq!(c.ecs_holds, [(name.clone(), true)]);
        }
        for name in &bms::machine(false).state_names {
            let c = capacity(&with_head(&format!(
                "[capacity]\nbms_holds = {{ {name:?} = false }}\n"
            )));
            assert_eq!(c.bms_holds, [(name.clone(), false)]);
        }
    }

    #[test]
    fn unknown_keys_and_bad_names_are_reported() {
        assert_problem(
            &with_head("[capacity]\nplacment = \"pack\"\n"),
            "capacity.placment",
            &[
                "unknown field \"placment\"",
                "valid fields:",
                "placement",
                "bms_holds",
            ],
        );
        assert_problem(
            &with_head(
                "[capacity.pools.general]\nhosts = 2\nvcpus = 8\nmemory = 32\nram = 4\n[capacity.flavors.f]\nvcpus = 1\nmemory = 1\n",
            ),
            "capacity.pools.general.ram",
            &[
                "unknown field \"ram\"",
                "hosts, vcpus, memory, cpu_overcommit, memory_overcommit",
            ],
        );
        assert_problem(
            &with_head(&format!("{ONE_POOL}resize-weight = 2\n")),
            "capacity.flavors.small.resize-weight",
            &["did you mean \"resize_weight\"?"],
        );
        assert_problem(
            &with_head(
                "[capacity.domains.rack]\ncount = 2\ntime_to_failure = \"1y\"\nrepair = \"1h\"\nmtbf = \"1y\"\n",
            ),
            "capacity.domains.rack.mtbf",
            &["valid fields: count, time_to_failure, repair"],
        );
        assert_problem(
            &with_head(
                "[capacity.domains.\"rack.a\"]\ncount = 2\ntime_to_failure = \"1y\"\nrepair = \"1h\"\n",
            ),
            "capacity.domains.\"rack.a\"",
            &["\"rack.a\" contains '.'", "letters A-Z"],
        );
        assert_problem(
            &with_head(
                "[capacity.pools.\"my pool\"]\nhosts = 2\nvcpus = 8\nmemory = 32\n[capacity.flavors.f]\nvcpus = 1\nmemory = 1\n",
            ),
            "capacity.pools.\"my pool\"",
            &["contains ' '"],
        );
        assert_problem(
            &with_head(&format!(
                "{ONE_POOL}[capacity.flavors.\"\"]\nvcpus = 1\nmemory = 1\n"
            )),
            "capacity.flavors.\"\"",
            &["is empty"],
        );
        assert_problem(
            &with_head("[capacity]\npools = 3\n"),
            "capacity.pools",
            &["expected a table keyed by pool name"],
        );
        assert_problem(
            &with_head("[capacity]\nflavors = { small = 2 }\n"),
            "capacity.flavors.small",
            &["expected a table such as { vcpus = 2"],
        );
        assert_problem(
            &with_head("[capacity]\nplacement = \"random\"\n"),
            "capacity.placement",
            &[
                "\"random\" is not valid here",
                "\"first_fit\", \"spread\", \"pack\"",
            ],
        );
        assert_problem(
            "name = \"t\"\nhorizon = \"1d\"\ncapacity = 5\n[ecs]\n",
            "capacity",
            &["expected a table"],
        );
    }

    #[test]
    fn failure_clocks_need_both_times() {
        assert_problem(
            &with_head("[capacity]\nhost_failures = { time_to_failure = \"1y\" }\n"),
            "capacity.host_failures.repair",
            &["missing", "repair = {"],
        );
        assert_problem(
            &with_head("[capacity]\nhost_failures = \"off\"\n"),
            "capacity.host_failures",
            &["expected a table such as { time_to_failure"],
        );
        assert_problem(
            &with_head("[capacity.domains.rack]\ncount = 2\nrepair = \"1h\"\n"),
            "capacity.domains.rack.time_to_failure",
            &["missing"],
        );
        assert_problem(
            &with_head(
                "[capacity.domains.rack]\ncount = 2\ntime_to_failure = { dist = \"weibull\", shape = 0, scale = \"1y\" }\nrepair = \"1h\"\n",
            ),
            "capacity.domains.rack.time_to_failure",
            &["shape must be greater than zero"],
        );
        assert_problem(
            &with_head("[capacity]\nrecovery_delay = 5\n"),
            "capacity.recovery_delay",
            &["expected a distribution"],
        );
    }

    #[test]
    fn independent_mistakes_are_all_reported() {
        let text = r#"
name = "t"
horizon = "-3h"
[ecs]
[capacity]
placement = "random"
overcommit = 2
ecs_holds = { "stoped:null" = false }
[capacity.pools.general]
hosts = -3
vcpus = 64
memory = "256GiB"
[capacity.pools.big]
hosts = 2
vcpus = 32
memory = "128GiB"
[capacity.flavors."s6.huge"]
vcpus = 128
memory = "8GiB"
pool = "big"
[capacity.flavors.x]
vcpus = 1
memory = "1GB"
pool = "gpu"
"#;
        let ps = problems(text);
        let fields: Vec<&str> = ps.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "horizon",
                "capacity.pools.general.hosts",
                "capacity.flavors.x.memory",
                "capacity.flavors.x.pool",
                "capacity.placement",
                "capacity.ecs_holds.\"stoped:null\"",
                "capacity.flavors.\"s6.huge\".vcpus",
                "capacity.overcommit",
            ],
            "{ps:#?}"
        );
    }

    #[test]
    fn pool_hosts_can_be_swept() {
        let text =
            format!("{HEAD}{ONE_POOL}[sweep]\n\"capacity.pools.general.hosts\" = [10, 20]\n");
        let p = plan(&parse_tree(&text, "s.toml").unwrap(), "s.toml").unwrap();
        assert_eq!(p.params, ["capacity.pools.general.hosts"]);
        let hosts: Vec<u32> = p
            .points
            .iter()
            .map(|pt| pt.scenario.capacity.as_ref().unwrap().pools[0].hosts)
            .collect();
        assert_eq!(hosts, [10, 20]);

        // A bad swept value is reported at the sweep path.
        let text = format!("{HEAD}{ONE_POOL}[sweep]\n\"capacity.pools.general.hosts\" = [10, 0]\n");
        let e = plan(&parse_tree(&text, "s.toml").unwrap(), "s.toml").unwrap_err();
        assert_eq!(e.problems.len(), 1, "{e}");
        assert_eq!(
            e.problems[0].field,
            "sweep.\"capacity.pools.general.hosts\""
        );
        assert!(e.problems[0].message.contains("at least 1 host"), "{e}");
    }

    #[test]
    fn garbage_never_panics() {
        let inputs = [
            "[capacity]\npools = []\nflavors = 1\nbms_pools = \"x\"\ndomains = true",
            "[capacity.pools.a]\nhosts = 9223372036854775807\nvcpus = -9223372036854775808\nmemory = 1e308",
            "[capacity.pools.a]\nhosts = 1\nvcpus = 1\nmemory = \"1e308TiB\"\ncpu_overcommit = inf",
            "[capacity.flavors.a]\nvcpus = 1\nmemory = nan\npool = 3",
            "[capacity.pools.a]\nhosts = 1\nvcpus = 1\nmemory = \"+-.TiB\"\n[capacity.flavors.b]\nvcpus = 1\nmemory = \"\"\nweight = 1e308\n[capacity.flavors.c]\nvcpus = 1\nmemory = 1\nweight = 1e308",
            "[capacity]\necs_holds = { \"\" = 1 }\nbms_holds = { a = { b = 1 } }\nhost_failures = { time_to_failure = {}, repair = [] }",
            "[capacity.domains.\"\u{feff}\"]\ncount = []",
        ];
        for rest in inputs {
            let text = with_head(rest);
            let r = std::panic::catch_unwind(|| parse_str(&text, "g.toml"));
            let r = r.unwrap_or_else(|_| panic!("panicked on {text:?}"));
            assert!(r.is_err(), "{text:?} parsed");
        }
    }
}
