//! `manifest.json`: what was run (version, scenario file and the validated
//! scenario, seed, horizon, warmup), what it cost (events, wall time), and
//! which files it wrote. Written last: its presence marks a complete run.

use crate::sim::Outcomes;
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// The run manifest.
#[derive(Serialize)]
pub struct Manifest<'a> {
    pub fleetsim_version: &'static str,
    pub scenario_file: Option<String>,
    pub scenario: &'a crate::scenario::Scenario,
    pub seed: u64,
    pub horizon_s: f64,
    pub warmup_s: f64,
    pub events_processed: u64,
    pub servers_created: u64,
    pub faults: u64,
    pub soft_reboot_fallbacks: u64,
    pub transitions_traced: u64,
    /// Wall-clock seconds: the one value that differs between identical runs.
    pub wall_seconds: f64,
    /// Events per wall-clock second: also machine-dependent.
    pub events_per_second: f64,
    pub files: Vec<String>,
}

impl<'a> Manifest<'a> {
    /// The manifest of a finished run.
    pub fn new(
        o: &'a Outcomes,
        scenario_file: Option<String>,
        wall_seconds: f64,
        files: Vec<String>,
    ) -> Manifest<'a> {
        Manifest {
            fleetsim_version: env!("CARGO_PKG_VERSION"),
            scenario_file,
            scenario: &o.scenario,
            seed: o.scenario.seed,
            horizon_s: o.scenario.horizon.as_secs_f64(),
            warmup_s: o.scenario.warmup.as_secs_f64(),
            events_processed: o.counters.events,
            servers_created: o.servers_created,
            faults: o.counters.faults,
            soft_reboot_fallbacks: o.counters.soft_reboot_fallbacks,
            transitions_traced: o.counters.changes,
            wall_seconds,
            events_per_second: if wall_seconds > 0.0 {
                (o.counters.events as f64 / wall_seconds).round()
            } else {
                0.0
            },
            files,
        }
    }

    /// Writes pretty JSON.
    pub fn write(&self, w: &mut dyn Write) -> Result<()> {
        serde_json::to_writer_pretty(&mut *w, self)?;
        writeln!(w)?;
        Ok(())
    }
}
