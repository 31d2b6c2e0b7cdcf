//! Every limit fleetsim puts on what it reads and what it runs, gathered
//! for docs/limits.md (a test checks the page against them); each is
//! defined, and documented, where it is checked.

pub use crate::budget::{
    BYTES_PER_FAILURE, BYTES_PER_FAILURE_ROW, BYTES_PER_SERVER, BYTES_PER_SERVER_LINE,
    BYTES_PER_TRACE_ROW, DEFAULT_MAX_MEMORY, DEFAULT_MAX_OUTPUT, ROWS_PER_CHANGE, TRACE_NOTE_BYTES,
    TRACE_ROWS_PER_SECOND, ZSTD_TRACE_RATIO,
};
pub use crate::capacity::read::{MAX_COUNT, MAX_MEMORY_MIB, MAX_OVERCOMMIT, MAX_VCPUS};
pub use crate::compare::folder::{MAX_MANIFEST_BYTES, MAX_RESULT_LINE_BYTES, MAX_RESULT_ROWS};
pub use crate::demand::read::{MAX_FACTOR, MAX_SCHEDULE_BYTES, MAX_SCHEDULE_POINTS};
pub use crate::demand::trace::{MAX_DEMAND_SCALE, MAX_LINE_BYTES};
pub use crate::engine::weighted::{MAX_RATIO, MAX_WEIGHT, MIN_WEIGHT};
pub use crate::input::renewal::MAX_SHARE_BELOW_TICK;
pub use crate::input::units::{MAX_DURATION, MAX_RATE_PER_DAY};
pub use crate::scenario::MAX_DEPLOYMENT_SIZE;
pub use crate::scenario::MAX_SCENARIO_BYTES;
pub use crate::scenario::fleet_file::{
    MAX_FILE_BYTES as MAX_FLEET_FILE_BYTES, MAX_PROBLEMS as MAX_FLEET_FILE_PROBLEMS,
    MAX_SERVERS as MAX_FLEET_SERVERS,
};
pub use crate::scenario::parse::{EXCERPT_SIDE, MAX_REPLICATIONS, MAX_SAMPLES};
pub use crate::scenario::sweep::MAX_POINTS as MAX_SWEEP_POINTS;
pub use crate::shard::MAX_SHARDS;

/// The latest compute API microversion fixtures are written at.
pub const LATEST_MICROVERSION: crate::fixtures::microversion::Microversion =
    crate::fixtures::microversion::Microversion::LATEST;
