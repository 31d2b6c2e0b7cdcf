//! `cargo xtask synth-trace`: a synthetic VM table in the layout of the
//! Azure Public Dataset's `vmtable.csv` (V1 2017 / V2 2019), for examples,
//! tests and benchmarks of trace replay. Every id says `synthetic`, so the
//! file cannot be taken for real data.
//!
//! The demand is made up, shaped only roughly like a public cloud's: a
//! daily wave and quieter weekends, deployments of one to a few dozen VMs,
//! lifetimes from minutes to longer than the trace, and the Azure core and
//! memory buckets. Rows come in order of creation time, as fleetsim reads
//! them; a VM still alive at the end has the end as its deleted time, as in
//! the real table.

use anyhow::{Context, Result};
use rand::RngExt;
use rand::SeedableRng;
use rand_distr::{Distribution, Exp, LogNormal};
use std::io::Write;
use std::path::Path;

/// Core and memory buckets with their weights.
const SIZES: [(&str, &str, f64); 8] = [
    ("2", "4", 40.0),
    ("2", "8", 10.0),
    ("4", "8", 20.0),
    ("4", "32", 6.0),
    ("8", "32", 12.0),
    ("8", "64", 5.0),
    ("24", "64", 5.0),
    (">24", ">64", 2.0),
];

/// Deployment sizes with their weights.
const DEPLOYMENTS: [(u32, f64); 6] = [
    (1, 70.0),
    (2, 12.0),
    (3, 6.0),
    (5, 6.0),
    (10, 4.0),
    (30, 2.0),
];

const CATEGORIES: [&str; 3] = ["Delay-insensitive", "Interactive", "Unknown"];

fn pick<T: Copy>(items: &[(T, f64)], rng: &mut impl rand::Rng) -> T {
    let total: f64 = items.iter().map(|i| i.1).sum();
    let mut u = rng.random::<f64>() * total;
    for &(t, w) in items {
        u -= w;
        if u < 0.0 {
            return t;
        }
    }
    items[items.len() - 1].0
}

/// Writes `deployments_per_day` × `days` deployments (on average) to `out`.
pub fn write(out: &Path, days: f64, deployments_per_day: f64, seed: u64) -> Result<u64> {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let end = days * 86_400.0;
    // The busiest hour's rate bounds the rate for thinning: the daily wave
    // peaks at 1.6 times the mean, weekdays at 1.15.
    let peak = deployments_per_day / 86_400.0 * 1.6 * 1.15;
    let gap = Exp::new(peak)?;
    // Lifetimes: a mix of short jobs and long-lived services (seconds).
    let short = LogNormal::new((3_600.0f64).ln(), 1.2)?;
    let long = LogNormal::new((10.0 * 86_400.0f64).ln(), 1.0)?;
    let (mut t, mut rows, mut vm, mut dep) = (0.0, 0u64, 0u64, 0u64);
    loop {
        t += gap.sample(&mut rng);
        if t >= end {
            break;
        }
        let hour = (t / 3_600.0) % 24.0;
        let day = (t / 86_400.0) as u64 % 7;
        let rate = (1.0 + 0.6 * (std::f64::consts::TAU * (hour - 14.0) / 24.0).cos())
            * if day >= 5 { 0.625 } else { 1.15 };
        if rng.random::<f64>() * 1.6 * 1.15 >= rate {
            continue;
        }
        // Times in the table are whole seconds, multiples of 300 (the
        // readings' interval), as in the real one.
        let created = (t / 300.0).floor() * 300.0;
        let size = pick(&DEPLOYMENTS, &mut rng);
        let (cores, memory) = {
            let i = pick(
                &SIZES
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (i, s.2))
                    .collect::<Vec<_>>(),
                &mut rng,
            );
            (SIZES[i].0, SIZES[i].1)
        };
        let category = CATEGORIES[rng.random_range(0..CATEGORIES.len())];
        let subscription = rng.random_range(0..200u32);
        dep += 1;
        for _ in 0..size {
            vm += 1;
            let life = if rng.random_bool(0.6) {
                short.sample(&mut rng)
            } else {
                long.sample(&mut rng)
            };
            let deleted = ((created + life.max(300.0)) / 300.0).ceil() * 300.0;
            let deleted = deleted.min(end.floor());
            let max_cpu = rng.random_range(10.0..100.0f64);
            let avg_cpu = max_cpu * rng.random_range(0.05..0.6);
            let p95 = avg_cpu + (max_cpu - avg_cpu) * rng.random_range(0.3..0.9);
            writeln!(
                w,
                "synthetic-vm-{vm},synthetic-sub-{subscription},synthetic-dep-{dep},{created},{deleted},{max_cpu:.3},{avg_cpu:.3},{p95:.3},{category},{cores},{memory}"
            )?;
            rows += 1;
        }
    }
    w.flush()?;
    Ok(rows)
}
