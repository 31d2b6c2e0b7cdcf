//! `manifest.json`: what was run (version, scenario file and the validated
//! scenario, seed, replications, horizon, warmup), what it cost (events, wall
//! time), and which files it wrote. Written last: its presence marks a
//! complete run.

use crate::results::{RunReport, Study};
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// The run manifest. Counts are summed over replications.
#[derive(Serialize)]
pub struct Manifest<'a> {
    /// `fleetsim_version`: the fleetsim version that ran.
    pub fleetsim_version: &'static str,
    /// The version of the files' layout ([`super::files::OUTPUT_SCHEMA_VERSION`]).
    pub output_schema_version: u32,
    /// `scenario_file`: the scenario file, as given; null when the study was
    /// not read from a file.
    pub scenario_file: Option<String>,
    /// `scenario`: the validated scenario, every default filled in and every
    /// time in seconds (for a sweep's top-level manifest, point 0's).
    pub scenario: &'a crate::scenario::Scenario,
    /// `seed`: the seed; replication r draws from streams derived from it
    /// and r.
    pub seed: u64,
    /// `replications`: independent replications (of each point, with a sweep).
    pub replications: u32,
    /// `horizon_s`: the horizon, in seconds.
    pub horizon_s: f64,
    /// `warmup_s`: the warmup, in seconds.
    pub warmup_s: f64,
    /// `events_processed`: events popped from the queue, stale ones included.
    pub events_processed: u64,
    /// `servers_created`: servers created, initial fleet included.
    pub servers_created: u64,
    /// `faults`: spontaneous faults that struck, mass faults included.
    pub faults: u64,
    /// `soft_reboot_fallbacks`: soft reboots that fell back to hard.
    pub soft_reboot_fallbacks: u64,
    /// `hangs`: operations drawn to hang at one of their steps.
    pub hangs: u64,
    /// `mass_fault_hits`: servers struck by mass faults.
    pub mass_fault_hits: u64,
    /// `guest_crashes`: guest crashes that struck an ACTIVE, idle ECS.
    pub guest_crashes: u64,
    /// `transitions_traced`: changes recorded, the rows of `transitions.csv`
    /// (0 without `--trace`).
    pub transitions_traced: u64,
    /// Wall-clock seconds: with `events_per_second`, the only values that
    /// differ between identical runs.
    pub wall_seconds: f64,
    /// Events per wall-clock second: machine-dependent.
    pub events_per_second: f64,
    /// `files`: the files the run wrote, relative to its folder.
    pub files: Vec<String>,
    /// With a sweep: the swept paths and every point's values and folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepManifest>,
}

/// The sweep part of a manifest.
#[derive(Serialize)]
pub struct SweepManifest {
    pub params: Vec<String>,
    pub points: Vec<SweepPoint>,
}

/// One point of a sweep in the manifest.
#[derive(Serialize)]
pub struct SweepPoint {
    pub point: usize,
    pub values: Vec<toml::Value>,
    pub folder: String,
}

impl<'a> Manifest<'a> {
    /// The manifest of a finished study.
    pub fn new(
        study: &'a Study,
        scenario_file: Option<String>,
        wall_seconds: f64,
        files: Vec<String>,
    ) -> Manifest<'a> {
        let sum = |f: fn(&crate::results::Outcomes) -> u64| study.runs.iter().map(f).sum::<u64>();
        let events = sum(|o| o.counters.events);
        Manifest {
            fleetsim_version: env!("CARGO_PKG_VERSION"),
            output_schema_version: super::files::OUTPUT_SCHEMA_VERSION,
            scenario_file,
            scenario: &study.scenario,
            seed: study.scenario.seed,
            replications: study.scenario.replications,
            horizon_s: study.scenario.horizon.as_secs_f64(),
            warmup_s: study.scenario.warmup.as_secs_f64(),
            events_processed: events,
            servers_created: sum(|o| o.servers_created),
            faults: sum(|o| o.counters.faults),
            soft_reboot_fallbacks: sum(|o| o.counters.soft_reboot_fallbacks),
            hangs: sum(|o| o.counters.hangs),
            mass_fault_hits: sum(|o| o.counters.mass_fault_hits),
            guest_crashes: sum(|o| o.counters.guest_crashes),
            transitions_traced: sum(|o| o.counters.changes),
            wall_seconds,
            events_per_second: if wall_seconds > 0.0 {
                (events as f64 / wall_seconds).round()
            } else {
                0.0
            },
            files,
            sweep: None,
        }
    }

    /// Turns a point's manifest into the manifest of a whole sweep: its
    /// counts are summed over every point, and the points are listed.
    pub fn add_sweep(&mut self, report: &RunReport) {
        let runs = report.points.iter().flat_map(|p| &p.study.runs);
        let (mut events, mut servers, mut faults, mut fallbacks, mut traced) = (0, 0, 0, 0, 0);
        let (mut hangs, mut mass, mut crashes) = (0, 0, 0);
        for o in runs {
            hangs += o.counters.hangs;
            mass += o.counters.mass_fault_hits;
            crashes += o.counters.guest_crashes;
            events += o.counters.events;
            servers += o.servers_created;
            faults += o.counters.faults;
            fallbacks += o.counters.soft_reboot_fallbacks;
            traced += o.counters.changes;
        }
        self.events_processed = events;
        self.servers_created = servers;
        self.faults = faults;
        self.soft_reboot_fallbacks = fallbacks;
        self.hangs = hangs;
        self.mass_fault_hits = mass;
        self.guest_crashes = crashes;
        self.transitions_traced = traced;
        self.events_per_second = if self.wall_seconds > 0.0 {
            (events as f64 / self.wall_seconds).round()
        } else {
            0.0
        };
        self.sweep = Some(SweepManifest {
            params: report.params.clone(),
            points: report
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| SweepPoint {
                    point: i,
                    values: p.values.clone(),
                    folder: p
                        .dir
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                })
                .collect(),
        });
    }

    /// Writes pretty JSON.
    pub fn write(&self, w: &mut dyn Write) -> Result<()> {
        serde_json::to_writer_pretty(&mut *w, self)?;
        writeln!(w)?;
        Ok(())
    }
}
