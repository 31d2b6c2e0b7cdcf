//! fleetsim: a discrete-event lifecycle simulator for fleets of ECS virtual
//! machines and BMS bare-metal servers. It drives servers through randomized
//! user operations and injected failures and reports how many sit in each
//! state over time, for how long, and why.

pub mod engine;
pub mod model;
pub mod scenario;
