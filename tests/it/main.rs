//! fleetsim's integration tests, in one binary so the suite links once:
//! checks against theory, property tests of the simulator's invariants,
//! determinism, and the command line.

mod capacity;
mod checksums;
mod cli;
mod common;
mod compare;
mod compress;
mod determinism;
mod diskfull;
mod docs;
mod fit;
mod fit_coverage;
mod fit_nova;
mod fit_report;
mod fixtures;
mod fuzz;
mod hardening;
mod import;
mod inputs;
mod interrupt;
mod owners;
mod plan;
mod precision;
mod properties;
mod report;
mod results;
mod shards;
mod theory;
mod trace;
