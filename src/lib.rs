//! fleetsim: a discrete-event lifecycle simulator for fleets of ECS virtual
//! machines and BMS bare-metal servers. It drives servers through randomized
//! user operations and injected failures and reports how many sit in each
//! state over time, for how long, and why.

pub mod app;
pub mod capacity;
pub mod ci;
pub mod cli;
pub mod describe;
pub mod engine;
pub mod fixtures;
pub mod fleet;
pub mod input;
pub mod model;
pub mod output;
pub mod results;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod stats;
pub mod wallclock;

/// fleetsim's version, as `--version` and the manifest give it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
