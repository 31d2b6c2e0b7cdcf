//! Every file fleetsim writes, each name spelled once, and the version of
//! their layout. A change to any file, column or meaning bumps
//! [`OUTPUT_SCHEMA_VERSION`], which `manifest.json` records.

/// The version of the output files' layout (docs/output.md).
pub const OUTPUT_SCHEMA_VERSION: u32 = 5;

/// Servers per API status over time.
pub const OCCUPANCY_STATUS: &str = "occupancy_status.csv";
/// ECS servers per (vm_state, task_state) over time.
pub const OCCUPANCY_ECS: &str = "occupancy_ecs.csv";
/// BMS servers per lifecycle state over time.
pub const OCCUPANCY_BMS: &str = "occupancy_bms.csv";
/// Occupancy statistics per state, per replication.
pub const SUMMARY: &str = "summary.csv";
/// Their estimates across replications.
pub const SUMMARY_CI: &str = "summary_ci.csv";
/// Operation counts and durations, per replication.
pub const OPERATIONS: &str = "operations.csv";
/// Their estimates across replications.
pub const OPERATIONS_CI: &str = "operations_ci.csv";
/// Availability per kind, per replication.
pub const AVAILABILITY: &str = "availability.csv";
/// Its estimates across replications.
pub const AVAILABILITY_CI: &str = "availability_ci.csv";
/// Pool usage over time.
pub const CAPACITY: &str = "capacity.csv";
/// Pool statistics, per replication.
pub const CAPACITY_SUMMARY: &str = "capacity_summary.csv";
/// Their estimates across replications.
pub const CAPACITY_SUMMARY_CI: &str = "capacity_summary_ci.csv";
/// Every host and domain failure.
pub const HOST_FAILURES: &str = "host_failures.csv";
/// Per replication and flavor: creates and creates blocked.
pub const CAPACITY_FLAVORS: &str = "capacity_flavors.csv";
/// Per flavor and metric, the estimate across replications.
pub const CAPACITY_FLAVORS_CI: &str = "capacity_flavors_ci.csv";
/// One row per sweep point.
pub const SWEEP: &str = "sweep.csv";
/// One row per sweep point, kind (or pool), metric and state.
pub const SWEEP_LONG: &str = "sweep_long.csv";
/// The headline results, in the versioned `fleetsim.results/1` schema.
pub const RESULTS: &str = "results.json";
/// Every change of every server (`--trace`).
pub const TRANSITIONS: &str = "transitions.csv";
/// `transitions.csv` compressed (`--compress zstd`).
pub const TRANSITIONS_ZST: &str = "transitions.csv.zst";
/// What ran, what it cost, which files it wrote; written last.
pub const MANIFEST: &str = "manifest.json";
/// Fixtures: server objects.
pub const SERVERS: &str = "servers.jsonl";
/// Fixtures: requests with Nova's responses.
pub const REQUESTS: &str = "requests.jsonl";
/// Fixtures: the views that followed each accepted request.
pub const TIMELINES: &str = "timelines.jsonl";
/// The fixtures' line files compressed (`fixtures --compress zstd`).
pub const SERVERS_ZST: &str = "servers.jsonl.zst";
/// `requests.jsonl` compressed.
pub const REQUESTS_ZST: &str = "requests.jsonl.zst";
/// `timelines.jsonl` compressed.
pub const TIMELINES_ZST: &str = "timelines.jsonl.zst";
/// Fixtures: what was asked for and written.
pub const FIXTURES: &str = "fixtures.json";
/// `fleetsim plan`: every candidate size evaluated.
pub const PLAN_CSV: &str = "plan.csv";
/// `fleetsim plan`: what was asked for, the answers, and which files were
/// written; written last.
pub const PLAN_JSON: &str = "plan.json";

/// `run --shard`: which study and which of its units a shard folder
/// holds; written last.
pub const SHARD: &str = "shard.json";
/// `run --shard`: one unit's complete result, in its `unit-<p>-<r>/`
/// folder (internal to fleetsim, versioned by `shard.json`'s `format`).
pub const UNIT: &str = "unit.json";
/// `fleetsim compare`: one row per metric compared.
pub const COMPARE_CSV: &str = "compare.csv";
/// `fleetsim compare`: the same rows, with what was compared and how;
/// written last.
pub const COMPARE_JSON: &str = "compare.json";
/// The report made of a result folder (`fleetsim report`, `--report`):
/// derived from the folder's files, written after them, and not listed in
/// the manifest.
pub const REPORT_HTML: &str = "report.html";

/// The files of `fleetsim fixtures`.
pub const FIXTURE_FILES: &[&str] = &[SERVERS, REQUESTS, TIMELINES, FIXTURES];

/// The files `--compress zstd` compresses, each with its compressed name:
/// those that grow with the events (the trace, the fixtures' lines).
pub const COMPRESSIBLE: &[(&str, &str)] = &[
    (TRANSITIONS, TRANSITIONS_ZST),
    (SERVERS, SERVERS_ZST),
    (REQUESTS, REQUESTS_ZST),
    (TIMELINES, TIMELINES_ZST),
];

/// The files of `fleetsim plan`.
pub const PLAN_FILES: &[&str] = &[PLAN_CSV, PLAN_JSON];

/// Every file a run, `fixtures`, `plan` or `compare` may write, so `--force` can clear an
/// earlier run's files (and only those) before writing new ones.
pub const ALL: &[&str] = &[
    OCCUPANCY_STATUS,
    OCCUPANCY_BMS,
    OCCUPANCY_ECS,
    SUMMARY,
    SUMMARY_CI,
    OPERATIONS,
    OPERATIONS_CI,
    AVAILABILITY,
    AVAILABILITY_CI,
    CAPACITY,
    CAPACITY_SUMMARY,
    CAPACITY_SUMMARY_CI,
    HOST_FAILURES,
    CAPACITY_FLAVORS,
    CAPACITY_FLAVORS_CI,
    SWEEP,
    SWEEP_LONG,
    RESULTS,
    TRANSITIONS,
    TRANSITIONS_ZST,
    MANIFEST,
    SERVERS,
    REQUESTS,
    TIMELINES,
    FIXTURES,
    SERVERS_ZST,
    REQUESTS_ZST,
    TIMELINES_ZST,
    PLAN_CSV,
    PLAN_JSON,
    SHARD,
    UNIT,
    COMPARE_CSV,
    COMPARE_JSON,
    REPORT_HTML,
];
/// `fleetsim fit`: every estimate, one row each.
pub const FIT_REPORT_CSV: &str = "fit_report.csv";
/// `fleetsim fit`: the same estimates, with the logs read, as JSON.
pub const FIT_REPORT_JSON: &str = "fit_report.json";
/// `fleetsim fit --report`: the fit as one page, a chart per fitted duration.
pub const FIT_REPORT_HTML: &str = "fit_report.html";
