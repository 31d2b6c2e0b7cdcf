//! A structured fuzzer over the scenario space: proptest builds whole
//! scenarios with extreme values (zero and huge durations, denormal and
//! huge weights, heavy-tailed and degenerate distributions, many sweep
//! points, failure domains beyond the hosts) and runs the real binary on
//! each: `validate`, then, when it accepts, a bounded `run`. Every case
//! must end with a clear status (0, or 2 for a refusal) within its time
//! limit and its memory limit, never with a panic.
//!
//! It is `#[ignore]`d so that the README's `cargo test` stays fast; `.ci/run`
//! runs it (`cargo test --test it fuzz -- --ignored`, `FUZZ_CASES` cases),
//! and `FLEETSIM_FUZZ_CASES=2000` makes a long campaign
//! (docs/contributing.md records what it found).

use proptest::prelude::*;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FUZZ_CASES: u32 = 64;

/// The largest resident size any run reached, in KiB, for the record.
static PEAK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Cases `validate` accepted (and so were run), for the campaign's record.
static RAN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

thread_local! {
    /// The largest resident size a command of this case reached, in KiB.
    static PEAK_KIB: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Resident memory a run may use beyond the budget's estimate: the
/// program, its libraries and heap, the buffers of the files it writes
/// (runs of a few servers reach 8 to 10 MiB).
const OVERHEAD_KIB: u64 = 128 * 1024;

/// Wall-clock limit of one command.
const LIMIT: Duration = Duration::from_secs(30);

/// Address-space limit of one command, in KiB (`ulimit -v`): a run the
/// budget accepts must fit.
const MEMORY_KIB: u64 = 8 * 1024 * 1024;

/// A duration, mostly valid, from 0 to a thousand years.
fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("0s".to_string()),
        1 => Just("1ms".to_string()),
        2 => Just("1s".to_string()),
        2 => Just("90s".to_string()),
        3 => Just("4h".to_string()),
        2 => Just("30d".to_string()),
        1 => Just("1000y".to_string()),
        2 => (1u32..1000).prop_map(|n| format!("{n}m")),
    ]
}

/// A weight or a factor: mostly positive, with the extremes.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("0".to_string()),
        2 => Just("5e-324".to_string()),
        1 => Just("1e-300".to_string()),
        1 => Just("1e-9".to_string()),
        2 => Just("0.5".to_string()),
        4 => Just("1".to_string()),
        3 => Just("3".to_string()),
        1 => Just("1e6".to_string()),
        2 => Just("1e17".to_string()),
        2 => Just("1e308".to_string()),
        1 => Just("1e11".to_string()),
    ]
}

/// A shape or a coefficient of variation, with the degenerate ones.
fn shape() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1e-9".to_string()),
        Just("0.05".to_string()),
        Just("0.5".to_string()),
        Just("1".to_string()),
        Just("3".to_string()),
        Just("1000".to_string()),
        Just("1e6".to_string()),
    ]
}

fn dist() -> impl Strategy<Value = String> {
    prop_oneof![
        duration().prop_map(|d| format!("\"{d}\"")),
        (duration(), shape())
            .prop_map(|(m, cv)| format!("{{ dist = \"lognormal\", mean = \"{m}\", cv = {cv} }}")),
        (shape(), duration()).prop_map(|(k, scale)| format!(
            "{{ dist = \"gamma\", shape = {k}, scale = \"{scale}\" }}"
        )),
        (shape(), duration()).prop_map(|(shape, scale)| format!(
            "{{ dist = \"weibull\", shape = {shape}, scale = \"{scale}\" }}"
        )),
        duration().prop_map(|m| format!("{{ dist = \"exponential\", mean = \"{m}\" }}")),
    ]
}

fn rate() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("0/d".to_string()),
        3 => Just("3/d".to_string()),
        3 => Just("100/d".to_string()),
        1 => Just("1000000000/d".to_string()),
        2 => (1u32..500).prop_map(|n| format!("{n}/h")),
    ]
}

/// A whole scenario, as text.
fn scenario() -> impl Strategy<Value = String> {
    let head = (
        prop_oneof![Just("1h"), Just("2d"), Just("30d"), Just("1000y")],
        prop_oneof![Just("10s"), Just("1h"), Just("1d")],
        1u32..3,
        0u32..60,
        rate(),
        proptest::option::of(dist()),
    );
    let ops = (
        rate(),
        proptest::collection::vec(
            (
                prop_oneof![
                    Just("reboot"),
                    Just("stop"),
                    Just("start"),
                    Just("resize"),
                    Just("rebuild"),
                    Just("lock"),
                    Just("live_migrate")
                ],
                number(),
            ),
            0..4,
        ),
    );
    let faults = (
        proptest::option::of((dist(), dist())),
        proptest::option::of(number()),
    );
    let capacity = proptest::option::of((
        1u32..4,
        proptest::collection::vec((1u32..16, number(), number()), 1..4),
        proptest::option::of((
            prop_oneof![1u32..4, 1_000_000u32..1_000_001],
            dist(),
            dist(),
        )),
        proptest::option::of((dist(), dist())),
    ));
    let sweep = proptest::option::weighted(0.2, prop_oneof![1usize..5, 300usize..301]);
    (head, ops, faults, capacity, sweep).prop_map(
        |((horizon, interval, reps, initial, arrivals, lifetime), (ops_rate, mix), faults, capacity, sweep)| {
            let mut t = format!(
                "name = \"fuzz\"\nhorizon = \"{horizon}\"\nwarmup = \"0s\"\nsample_interval = \"{interval}\"\nreplications = {reps}\n"
            );
            if let Some(n) = sweep {
                let values: Vec<String> = (0..n).map(|i| i.to_string()).collect();
                t += &format!("[sweep]\n\"ecs.initial\" = [{}]\n", values.join(", "));
            }
            t += &format!("[ecs]\ninitial = {initial}\narrivals = \"{arrivals}\"\n");
            if let Some(l) = lifetime {
                t += &format!("lifetime = {l}\n");
            }
            if !mix.is_empty() {
                let mix: Vec<String> = mix.iter().map(|(op, w)| format!("{op} = {w}")).collect();
                t += &format!("ops_rate = \"{ops_rate}\"\nops_mix = {{ {} }}\n", mix.join(", "));
            }
            let (clock, incident) = faults;
            if let Some((ttf, repair)) = clock {
                t += &format!("[ecs.faults]\ntime_to_fault = {ttf}\nrepair = {repair}\n");
            }
            if let Some(factor) = incident {
                t += &format!(
                    "[[ecs.incidents]]\nstart = \"1h\"\nduration = \"2h\"\nfault_factor = {factor}\nfailure_factor = {factor}\n"
                );
            }
            if let Some((hosts, flavors, domains, host_failures)) = capacity {
                t += &format!(
                    "[capacity.pools.p]\nhosts = {hosts}\nvcpus = 32\nmemory = \"128GiB\"\n"
                );
                for (i, (vcpus, weight, resize_weight)) in flavors.iter().enumerate() {
                    t += &format!(
                        "[capacity.flavors.f{i}]\nvcpus = {vcpus}\nmemory = \"4GiB\"\nweight = {weight}\nresize_weight = {resize_weight}\n"
                    );
                }
                if let Some((count, ttf, repair)) = domains {
                    t += &format!(
                        "[capacity.domains.rack]\ncount = {count}\ntime_to_failure = {ttf}\nrepair = {repair}\n"
                    );
                }
                if let Some((ttf, repair)) = host_failures {
                    t += &format!(
                        "[capacity.host_failures]\ntime_to_failure = {ttf}\nrepair = {repair}\n"
                    );
                }
            }
            t
        },
    )
}

/// Runs `fleetsim args` under the memory limit; its exit code (`None`:
/// killed at the time limit), stdout and stderr.
fn bounded(args: &[&str]) -> (Option<i32>, String, String) {
    let bin = assert_cmd::cargo::cargo_bin!("fleetsim");
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    // stdout goes to a file: a pipe read only at the end could fill.
    let stdout = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -v {MEMORY_KIB} && exec '{}' {} > '{}'",
            bin.display(),
            quoted.join(" "),
            stdout.path().display()
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status_file = format!("/proc/{}/status", child.id());
    let status = loop {
        // The peak resident size so far (VmHWM), read until the process
        // ends: all but its last 20 ms.
        if let Ok(st) = std::fs::read_to_string(&status_file)
            && let Some(kib) = st
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            PEAK_KIB.with(|p| p.set(p.get().max(kib)));
        }
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let out = std::fs::read_to_string(stdout.path()).unwrap_or_default();
    (status, out, err)
}

/// The memory `validate` estimates, in KiB ("budget: estimated memory
/// 1.3 MiB, ...").
fn estimated_memory_kib(validate_stdout: &str) -> Option<u64> {
    let rest = validate_stdout.split("estimated memory ").nth(1)?;
    let size = rest.split(',').next()?.replace(' ', "");
    let bytes = fleetsim::budget::parse_bytes(&size)
        .ok()
        .or_else(|| (size == "0B").then_some(0))?;
    Some(bytes / 1024)
}

/// The changes `validate` expects of the whole study (its `work:` line:
/// "about 1.2 million changes in the largest replication, 129.2 million in
/// all").
fn expected_changes(validate_stdout: &str) -> Option<f64> {
    let line = validate_stdout
        .split("work: about ")
        .nth(1)?
        .lines()
        .next()?;
    let all = line.split(", ").nth(1)?;
    let words: Vec<&str> = all.split_whitespace().collect();
    let n: f64 = words.first()?.parse().ok()?;
    Some(
        n * match words.get(1).copied() {
            Some("million") => 1e6,
            Some("billion") => 1e9,
            Some("trillion") => 1e12,
            _ => 1.0,
        },
    )
}

/// `text` as the fuzzer runs it: one replication over `horizon_s`
/// seconds, sampled 48 times (a generated scenario's own horizon, sample
/// interval and replications are only validated).
fn run_text(text: &str, horizon_s: f64) -> String {
    let horizon_ms = (horizon_s * 1000.0).round().max(48.0) as u64;
    text.lines()
        .map(|l| {
            if l.starts_with("horizon = ") {
                format!("horizon = \"{horizon_ms}ms\"\n")
            } else if l.starts_with("sample_interval = ") {
                format!("sample_interval = \"{}ms\"\n", horizon_ms / 48)
            } else if l.starts_with("replications = ") {
                "replications = 1\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

/// Changes a bounded run may be expected to make within [`LIMIT`] with
/// room to spare: the debug binary makes about a million a second here.
const CHANGES_PER_RUN: f64 = 2e6;

/// One case: `validate`, then a bounded `run` when it accepts. A study
/// too big to finish in the time limit (by validate's own estimate of its
/// work) is run over a horizon short enough to make about
/// [`CHANGES_PER_RUN`] changes: then it must end in time like any other,
/// since a study whose simulated time stops never does.
fn case(text: &str) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fuzz.toml");
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap();
    let (code, _, err) = bounded(&["validate", file]);
    prop_assert!(
        code == Some(0) || code == Some(2),
        "validate: {code:?}\n{err}\n{text}"
    );
    prop_assert!(!err.contains("panicked"), "{err}\n{text}");
    if code == Some(0) {
        RAN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Two days, or less if the study (every point of a sweep) is
        // expected to make more than CHANGES_PER_RUN changes in two days.
        let run_file = dir.path().join("run.toml");
        let run_file = run_file.to_str().unwrap();
        let mut horizon_s = 172_800.0;
        let mut estimate = String::new();
        for _ in 0..2 {
            std::fs::write(run_file, run_text(text, horizon_s)).unwrap();
            let (code, out, err) = bounded(&["validate", run_file]);
            prop_assert!(
                code == Some(0) || code == Some(2),
                "validate over {horizon_s} s: {code:?}\n{err}\n{text}"
            );
            if code == Some(2) {
                // Refused over the shorter horizon (an incident past its
                // end, say): the run would be refused the same way.
                return Ok(());
            }
            let changes = expected_changes(&out);
            prop_assert!(changes.is_some(), "no work estimate in\n{out}");
            estimate = out;
            let changes = changes.unwrap();
            if changes <= CHANGES_PER_RUN {
                break;
            }
            horizon_s = (horizon_s * CHANGES_PER_RUN / changes).max(1.0);
        }
        let memory_kib = estimated_memory_kib(&estimate);
        prop_assert!(memory_kib.is_some(), "no memory estimate in\n{estimate}");
        let out = dir.path().join("out");
        let out = out.to_str().unwrap();
        PEAK_KIB.with(|p| p.set(0));
        let (code, _, err) = bounded(&[
            "run",
            run_file,
            "--quiet",
            "--max-memory",
            "2GiB",
            "--max-output",
            "1GiB",
            "--out",
            out,
        ]);
        prop_assert!(
            code == Some(0) || code == Some(2),
            "run over {horizon_s} s: {code:?}\n{err}\n{text}"
        );
        prop_assert!(!err.contains("panicked"), "{err}\n{text}");
        // Within the budget: validate's estimate plus the program's own.
        let peak = PEAK_KIB.with(|p| p.get());
        if code == Some(0) {
            prop_assert!(
                peak <= memory_kib.unwrap() + OVERHEAD_KIB,
                "run over {horizon_s} s reached {peak} KiB resident, over the estimate {} KiB + {OVERHEAD_KIB} KiB\n{text}",
                memory_kib.unwrap()
            );
        }
        PEAK.fetch_max(peak, std::sync::atomic::Ordering::Relaxed);
    }
    Ok(())
}

#[test]
#[ignore = "the scenario fuzzer: run with --ignored"]
fn every_scenario_ends_with_a_clear_status_never_a_panic_or_a_hang() {
    let cases = std::env::var("FLEETSIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(FUZZ_CASES);
    // The strategy's nested types need more stack than a test thread has
    // in a debug build.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let config = ProptestConfig {
                cases,
                failure_persistence: None,
                // Shrinking reruns cases that may each take the whole time
                // limit: a minute of it, then the case found is reported.
                max_shrink_time: 60_000,
                ..ProptestConfig::default()
            };
            let mut runner = proptest::test_runner::TestRunner::new(config);
            if let Err(e) = runner.run(&scenario(), |text| case(&text)) {
                panic!("{e}");
            }
            let ran = RAN.load(std::sync::atomic::Ordering::Relaxed);
            let peak = PEAK.load(std::sync::atomic::Ordering::Relaxed);
            eprintln!(
                "fuzz: {cases} scenarios, {ran} accepted and run; largest resident size of a run {} MiB",
                peak / 1024
            );
        })
        .unwrap()
        .join()
        .unwrap();
}

/// A mutation of a log: at `at` (a fraction of its length), replace a
/// byte, delete a run, insert a token, or copy a run from elsewhere.
#[derive(Clone, Debug)]
enum Mutation {
    Byte(f64, u8),
    Delete(f64, usize),
    Insert(f64, &'static str),
    Copy(f64, f64, usize),
}

/// Values that break a log's fields in telling ways: nulls, empties,
/// numbers out of range, impossible times, states of another part of the
/// model.
const TOKENS: &[&str] = &[
    "null",
    "\"\"",
    "-1",
    "1e309",
    "\"2024-13-45 99:99:99\"",
    "{}",
    "[]",
    "true",
    "\"\\u0000\"",
    "9999999999999999999999",
    "\"deleted\"",
    "\"error\"",
    "\"building\"",
    "\"stopped\"",
    "\"powering-on\"",
    ",ecs,start,ACTIVE,SHUTOFF,stopped,powering-on,,true\n",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0.0..1.0f64, any::<u8>()).prop_map(|(a, b)| Mutation::Byte(a, b)),
        (0.0..1.0f64, 1..40usize).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (0.0..1.0f64, proptest::sample::select(TOKENS)).prop_map(|(a, t)| Mutation::Insert(a, t)),
        (0.0..1.0f64, 0.0..1.0f64, 1..200usize).prop_map(|(a, b, n)| Mutation::Copy(a, b, n)),
    ]
}

fn mutate(log: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut s = log.to_vec();
    let at = |s: &Vec<u8>, f: f64| ((s.len() as f64 * f) as usize).min(s.len().saturating_sub(1));
    for m in mutations {
        if s.is_empty() {
            break;
        }
        match *m {
            Mutation::Byte(f, b) => {
                let i = at(&s, f);
                s[i] = b;
            }
            Mutation::Delete(f, n) => {
                let i = at(&s, f);
                let end = (i + n).min(s.len());
                s.drain(i..end);
            }
            Mutation::Insert(f, t) => {
                let i = at(&s, f);
                s.splice(i..i, t.bytes());
            }
            Mutation::Copy(f, g, n) => {
                let (i, j) = (at(&s, f), at(&s, g));
                let run: Vec<u8> = s[j..(j + n).min(s.len())].to_vec();
                s.splice(i..i, run);
            }
        }
    }
    s
}

/// `fleetsim fit` over mutated logs of each format it reads (a trace,
/// Nova's own notification samples, Nova's own instance-action sample),
/// with and without --skip-bad: every case ends 0 or 2 within the time
/// and memory limits, never a panic, a hang or a fitted file that does not
/// load (exit 1). Its first campaign (1,500 cases by hand) found three
/// such faults; d148335 fixed them.
#[test]
#[ignore = "the log fuzzer: run with --ignored"]
fn every_mutated_log_is_fitted_or_refused_never_a_panic_or_a_hang() {
    let cases = std::env::var("FLEETSIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(FUZZ_CASES);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    std::fs::write(
        d.join("s.toml"),
        "name = \"s\"\nseed = 3\nhorizon = \"2d\"\n[ecs]\ninitial = 20\nops_rate = \"6/d\"\nbehaviour.ACTIVE = { reboot = 3, stop = 1, lock = 1, unlock = 1 }\nbehaviour.SHUTOFF = { start = 1 }\n[ecs.faults]\ntime_to_fault = { dist = \"exponential\", mean = \"2d\" }\n[bms]\ninitial = 5\n",
    )
    .unwrap();
    let (code, _, err) = bounded(&[
        "run",
        d.join("s.toml").to_str().unwrap(),
        "--trace",
        "--quiet",
        "--out",
        d.join("run").to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let trace: Vec<u8> = std::fs::read(d.join("run/transitions.csv")).unwrap();
    let trace: Vec<u8> = trace
        .split(|&b| b == b'\n')
        .take(300)
        .collect::<Vec<_>>()
        .join(&b'\n');
    let mut actions: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/nova-api-samples/instance-actions-list-resp.json"),
        )
        .unwrap(),
    )
    .unwrap();
    actions["server"] = serde_json::json!("x");
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("t.csv", trace),
        ("n.jsonl", crate::fit_nova::sample_life_jsonl().into_bytes()),
        ("a.json", (actions.to_string() + "\n").into_bytes()),
    ];
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        max_shrink_time: 60_000,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let strategy = (0..3usize, proptest::collection::vec(mutation(), 1..8));
    let result = runner.run(&strategy, |(which, mutations)| {
        let (name, seed) = &seeds[which];
        let path = d.join(name);
        let out = d.join("out/f.toml");
        std::fs::write(&path, mutate(seed, &mutations)).unwrap();
        for skip in [false, true] {
            let mut args = vec![
                "fit",
                path.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--force",
            ];
            if skip {
                args.push("--skip-bad");
            }
            let (code, _, err) = bounded(&args);
            prop_assert!(
                matches!(code, Some(0 | 2)) && !err.contains("panicked"),
                "fit {name} (skip-bad {skip}) ended {code:?}:\n{err}"
            );
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
