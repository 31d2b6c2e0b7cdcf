//! fleetsim: a discrete-event lifecycle simulator for fleets of ECS virtual
//! machines (OpenStack Nova semantics: `vm_state`, `task_state`, and the API
//! status derived from them) and BMS bare-metal servers. It drives thousands
//! to millions of servers through randomized user operations and injected
//! failures, optionally on hosts with limited capacity, and reports how many
//! sit in each state over time, for how long, and why.
//!
//! The binary (`src/main.rs`) is a thin layer over this library: it parses
//! the command line ([`cli`]) and hands the command to [`app`]. This page
//! is for those who read or change the library; the user's manual is in
//! `docs/` (the guide, the scenario and output references, the model).
//!
//! # How a study runs
//!
//! Data flows one way, and the modules depend one way:
//!
//! ```text
//! scenario file ──▶ scenario::Scenario ──▶ sim::Simulation ──▶ results ──▶ output files
//!   (input, capacity::spec)          (engine, model, capacity)      (Outcomes, Study)
//! ```
//!
//! 1. **Reading.** [`scenario::Scenario::load_plan`] reads a TOML file, applies
//!    command-line overrides to its tree, and walks it with the
//!    [`input`] reader, which converts units, fills every default
//!    ([`scenario::defaults`]) and collects *every* problem with its field
//!    path before anything runs ([`input::problems`]). A `[sweep]` expands
//!    into validated points ([`scenario::sweep`]), each an
//!    `Arc<Scenario>` that every replication shares; the `[capacity]`
//!    section is read by [`capacity::spec`]'s reader; an `initial_fleet`
//!    file is read once per study ([`scenario::fleet_file`]). A kind's
//!    `arrivals` is a constant rate, a profile, or a trace ([`demand`]).
//! 2. **Simulating.** [`sim::Simulation`] runs one replication. Its parts
//!    are handed to the code that needs them and no more: the engine
//!    context (queue, random streams by purpose, statistics window,
//!    counters), each kind's compiled scenario (its state machine from
//!    [`model`] and samplers built once), the servers with the statistics
//!    that observe them ([`fleet`], [`stats`]), and, only when the scenario
//!    has hosts, the [`capacity`] component, which keeps its own invariants.
//!    Creates come from the kind's arrival process: homogeneous Poisson,
//!    a profile sampled by thinning, or a trace streamed a row ahead
//!    ([`demand`]).
//!    The engine ([`engine`]: integer milliseconds, a timing-wheel queue that
//!    pops equal times in insertion order, PCG streams) knows nothing of
//!    servers; the models are tables the lifecycle runner consults, and
//!    `fleetsim states` prints.
//! 3. **Observing.** While it runs, the simulation tells a
//!    [`sim::Recorder`] every change and request and the occupancy at each
//!    sample time; the output recorders stream the time series and the
//!    trace to disk. A recorder never drives the simulation.
//! 4. **Gathering.** [`run::run`] runs every point and replication on a
//!    pool of threads and gathers the [`results`] by point and replication
//!    number, never by finishing order, so the files are byte-identical
//!    whatever the number of threads. [`plan`] sizes a pool the same way:
//!    each candidate size is a point made through the sweep's override, its
//!    replications run on the same threads with the same streams.
//!    [`shard`] splits the units among machines (`run --shard I/N`) and
//!    merges them back through the same writing code, byte for byte.
//! 5. **Writing.** [`output`] writes one module per file, each under a
//!    `.partial` name renamed when complete, the manifest last; every file
//!    name is spelled once, in [`output::files`]. [`describe`] prints the
//!    report, [`fixtures`] the API-shaped fixtures for test authors.
//! 6. **Comparing.** [`compare`] reads two result folders back (their
//!    manifests and per-replication files, by column name) and writes the
//!    difference of every metric with its interval: paired by replication
//!    under common random numbers, Welch's otherwise.
//! 7. **Reporting.** [`report`] reads a finished result folder back, by
//!    column name, and writes `report.html`: one self-contained page of
//!    tables and `plotters` charts (inline SVG) whose every number names
//!    the file, row and column it came from.
//!
//! # Example
//!
//! Simulating a small fleet and reading one statistic:
//!
//! ```
//! use fleetsim::model::{Kind, Status};
//! use fleetsim::sim::{NullRecorder, Simulation};
//! use std::sync::Arc;
//!
//! let text = r#"
//!     name = "example"
//!     horizon = "7d"
//!     [ecs]
//!     initial = 100
//!     [ecs.faults]
//!     time_to_fault = { dist = "exponential", mean = "500h" }
//!     repair = { dist = "exponential", mean = "4h" }
//! "#;
//! let scenario = fleetsim::scenario::parse::parse_str(text, "example.toml").unwrap();
//! let outcomes = Simulation::new(&Arc::new(scenario), &mut NullRecorder).run(&mut |_, _| {});
//! let ecs = outcomes.stats(Kind::Ecs).unwrap();
//! let error_share = ecs.status.area(Status::Error as usize) as f64 / ecs.population.area(0) as f64;
//! // About MTTR / (MTBF + MTTR) = 4 / 504 of the instance-time, give or take.
//! assert!(error_share > 0.0 && error_share < 0.05);
//! ```
//!
//! # Guarantees the code keeps
//!
//! - **Determinism.** The same scenario, seed and version give
//!   byte-identical files, whatever the thread count. No hash-ordered
//!   collection is iterated on a path that affects results; each purpose
//!   draws from its own stream, so changing a failure rate does not
//!   reshuffle the workload (common random numbers). `tests/checksums.txt`
//!   pins the outputs of four runs.
//! - **Exact statistics.** Occupancy is integrated at every transition in
//!   O(1), with memory that grows with servers and pending events, never
//!   with events processed.
//! - **Bad input is refused, never run.** Every problem is reported with
//!   its file, field, value and what is valid; nothing is simulated.
#![warn(missing_docs)]

pub mod app;
pub mod budget;
pub mod capacity;
pub mod ci;
pub mod cli;
pub mod compare;
pub mod demand;
pub mod describe;
pub mod engine;
pub mod fit;
pub mod fixtures;
pub mod fleet;
pub mod input;
pub mod interrupt;
pub mod limits;
pub mod model;
pub mod output;
pub mod plan;
pub mod report;
pub mod results;
pub mod run;
pub mod scenario;
pub mod shard;
pub mod sim;
pub mod stats;
pub mod wallclock;

/// fleetsim's version, as `--version` and the manifest give it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
