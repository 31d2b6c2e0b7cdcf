//! Inputs a fuzzing probe found that `validate` accepted but `run` then
//! panicked or hung on (issue 15): each is now refused before anything runs
//! (exit 2, the file, field and value named, no folder), or, where it is
//! valid, runs to its horizon.

use crate::common::{fleetsim, run, scenario, stderr_of};
use fleetsim::capacity::spec::FailureClockSpec;
use fleetsim::engine::SimTime;
use fleetsim::model::{Kind, Op};
use fleetsim::results::Outcomes;
use fleetsim::scenario::{Dist, Scenario};
use std::time::Duration;

/// Asserts that `run` and `validate` refuse `text` with exit 2, naming the
/// file, `field` and every needle, and that no result folder is created.
fn refused(text: &str, field: &str, needles: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("probe.toml");
    std::fs::write(&file, text).unwrap();
    let out = tmp.path().join("out");
    let a = fleetsim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .timeout(Duration::from_secs(60))
        .assert()
        .code(2);
    let err = stderr_of(&a);
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("probe.toml"), "no file name in {err}");
    assert!(err.contains(field), "{field:?} not named in {err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in {err}");
    }
    assert!(!out.exists(), "a result folder was created for {text}");
    let a = fleetsim()
        .arg("validate")
        .arg(&file)
        .timeout(Duration::from_secs(60))
        .assert()
        .code(2);
    assert!(stderr_of(&a).contains(field), "{}", stderr_of(&a));
}

const HEAD: &str = "name = \"probe\"\nhorizon = \"2d\"\n";

/// ECS with a pool of two flavors, `a` and `b`; `flavor_a` goes into `a`'s table.
fn with_flavors(flavor_a: &str) -> String {
    format!(
        "{HEAD}[ecs]\ninitial = 20\nops_rate = \"30/d\"\nops_mix = {{ resize = 1 }}\n\
         [capacity.pools.p]\nhosts = 10\nvcpus = 64\nmemory = 256\n\
         [capacity.flavors.a]\nvcpus = 2\nmemory = 4\n{flavor_a}\n\
         [capacity.flavors.b]\nvcpus = 4\nmemory = 8\n"
    )
}

#[test]
fn weights_the_sampler_cannot_draw_exactly_are_refused() {
    let valid = "a weight is 0 (never chosen) or a number from 1e-300 to 1e300";
    let ecs =
        |mix: &str| format!("{HEAD}[ecs]\ninitial = 20\nops_rate = \"30/d\"\nops_mix = {mix}\n");
    // A subnormal weight: an index out of bounds at run time.
    refused(
        &ecs("{ reboot = 5e-324 }"),
        "ecs.ops_mix.reboot",
        &["5e-324 is too small", valid],
    );
    // A finite sum the alias table refused: InvalidWeight at run time.
    refused(
        &ecs("{ reboot = 1e308, stop = 1 }"),
        "ecs.ops_mix.reboot",
        &["1e308 is too large", valid],
    );
    refused(
        &ecs("{ reboot = 1e12, stop = 1 }"),
        "ecs.ops_mix",
        &["1.000e12 times the smallest positive one (stop = 1)"],
    );
    refused(
        &format!(
            "{HEAD}[ecs]\ninitial = 20\nops_rate = \"30/d\"\n[ecs.behaviour.ACTIVE]\nreboot = 5e-324\n"
        ),
        "ecs.behaviour.ACTIVE.reboot",
        &["5e-324 is too small"],
    );
    refused(
        &format!(
            "{HEAD}[ecs]\narrivals = \"10/d\"\n[ecs.deployment]\nsize = {{ 1 = 1e308, 2 = 1 }}\n"
        ),
        "ecs.deployment.size.1",
        &["1e308 is too large"],
    );
    refused(
        &with_flavors("weight = 5e-324"),
        "capacity.flavors.a.weight",
        &["5e-324 is too small", valid],
    );
    refused(
        &with_flavors("resize_weight = 1e308"),
        "capacity.flavors.a.resize_weight",
        &["1e308 is too large"],
    );
    refused(
        &with_flavors("resize_weight = 1e17"),
        "capacity.flavors",
        &[
            "(a.resize_weight = 1e17) is 1.000e17 times the smallest positive one (b.resize_weight = 1)",
        ],
    );
    refused(
        &format!(
            "{HEAD}[bms]\ninitial = 5\n[capacity.bms_pools.a]\nnodes = 10\nweight = 1e308\n\
             [capacity.bms_pools.b]\nnodes = 10\n"
        ),
        "capacity.bms_pools.a.weight",
        &["1e308 is too large"],
    );
}

#[test]
fn the_simulation_draws_without_panicking_from_weights_validation_refuses() {
    // Past validation, as a library caller could build it: the weighted
    // choice still draws only operations of the mix, by their weights.
    for (weights, reboots_only) in [
        ([5e-324, 0.0], true),
        ([1e308, 1.0], true),
        ([f64::MAX, f64::MAX], false),
    ] {
        let mut sc = scenario(
            "name = \"probe\"\nhorizon = \"1d\"\n[ecs]\ninitial = 50\nops_rate = \"50/d\"\nops_mix = { reboot = 1, stop = 1 }\n",
        );
        let mix = &mut sc.ecs.as_mut().unwrap().ops_mix;
        mix[0].weight = weights[0];
        mix[1].weight = weights[1];
        mix.retain(|m| m.weight > 0.0);
        let out = run(&sc);
        let ops = &out.stats(Kind::Ecs).unwrap().ops;
        let (reboots, stops) = (
            ops[Op::Reboot.index()].requested,
            ops[Op::Stop.index()].requested,
        );
        assert!(reboots > 1_000, "{weights:?}: {reboots} reboots");
        assert_eq!(stops == 0, reboots_only, "{weights:?}: {stops} stops");
    }
}

/// Asserts that `run` finishes `text` within a minute (exit 0), and
/// returns its report.
fn finishes(text: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("probe.toml");
    std::fs::write(&file, text).unwrap();
    let a = fleetsim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .arg("--quiet")
        .timeout(Duration::from_secs(60))
        .assert()
        .code(0);
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

#[test]
fn clocks_that_would_stop_simulated_time_are_refused() {
    let step = "the simulation's time step";
    // A fault, repaired at once, faulting at once: the probe's hang.
    refused(
        &format!(
            "{HEAD}[ecs]\ninitial = 5\n[ecs.faults]\ntime_to_fault = \"0s\"\nrepair = \"0s\"\n"
        ),
        "ecs.faults.time_to_fault",
        &[
            "it has a mean of 0 ms, shorter than 1 ms",
            step,
            "re-arms itself",
        ],
    );
    // A frozen BMS (spared by faults) redrawing its fault clock at 0.
    refused(
        &format!(
            "{HEAD}[bms]\ninitial = 5\n[bms.faults]\ntime_to_fault = \"0s\"\n[bms.freeze]\nrate = \"10/d\"\n"
        ),
        "bms.faults.time_to_fault",
        &["it has a mean of 0 ms", "busy or frozen"],
    );
    // Draws that round to 0 almost surely, however fair the mean.
    refused(
        &format!(
            "{HEAD}[ecs]\ninitial = 5\n[ecs.faults]\ntime_to_fault = {{ dist = \"lognormal\", mean = \"1000h\", cv = 1e30 }}\n"
        ),
        "ecs.faults.time_to_fault",
        &[
            "it draws less than 1 ms",
            "with probability 0.99996",
            "more than 0.999",
        ],
    );
    refused(
        &format!(
            "{HEAD}[ecs]\ninitial = 5\n[ecs.faults]\ntime_to_fault = {{ dist = \"gamma\", shape = 1e-6, scale = \"1000h\" }}\n"
        ),
        "ecs.faults.time_to_fault",
        &["it draws less than 1 ms", "more than 0.999"],
    );
    // An incident window so strong that fault draws round to 0 inside it.
    refused(
        &format!(
            "{HEAD}[ecs]\ninitial = 5\n[ecs.faults]\ntime_to_fault = {{ dist = \"exponential\", mean = \"1000h\" }}\n\
             [[ecs.incidents]]\nstart = \"1h\"\nduration = \"1h\"\nfault_factor = 1e11\n"
        ),
        "ecs.incidents[0].fault_factor",
        &[
            "1e11 makes faults accrue 1e11 times as fast",
            "time_to_fault ÷ 1e11 has a mean of 3.600e-2 ms",
            "give a fault_factor of at most 3.600e9",
        ],
    );
    // Two windows that only together go too far: each is named, with the
    // other's share.
    refused(
        &format!(
            "{HEAD}[ecs]\ninitial = 5\n[ecs.faults]\ntime_to_fault = {{ dist = \"exponential\", mean = \"1000h\" }}\n\
             [[ecs.incidents]]\nstart = \"1h\"\nduration = \"2h\"\nfault_factor = 1e5\n\
             [[ecs.incidents]]\nstart = \"2h\"\nduration = \"2h\"\nfault_factor = 1e5\n"
        ),
        "ecs.incidents[1].fault_factor",
        &[
            "1e10 times as fast with the windows open at the same time, 1e5 from the others",
            "at most 3.600e4",
        ],
    );
    // Hosts and failure domains failing and repaired at once.
    let pool = "[capacity.pools.p]\nhosts = 4\nvcpus = 64\nmemory = 256\n[capacity.flavors.f]\nvcpus = 2\nmemory = 4\n";
    refused(
        &format!(
            "{HEAD}[ecs]\ninitial = 5\n{pool}[capacity.host_failures]\ntime_to_failure = \"0s\"\nrepair = \"0s\"\n"
        ),
        "capacity.host_failures",
        &["the cycle of failure and repair has a mean of 0 ms", step],
    );
    refused(
        &format!(
            "{HEAD}[ecs]\ninitial = 5\n{pool}[capacity.domains.rack]\ncount = 2\ntime_to_failure = \"0s\"\nrepair = \"0s\"\n"
        ),
        "capacity.domains.rack",
        &["the cycle of failure and repair has a mean of 0 ms"],
    );
    refused(
        &format!(
            "{HEAD}[ecs]\ninitial = 5\n{pool}[capacity.host_failures]\n\
             time_to_failure = {{ dist = \"lognormal\", mean = \"1000h\", cv = 1e30 }}\n\
             repair = {{ dist = \"gamma\", shape = 1e-6, scale = \"1h\" }}\n"
        ),
        "capacity.host_failures",
        &["both parts of the cycle of failure and repair draw less than 1 ms"],
    );
    // A Poisson clock faster than one event per tick.
    refused(
        &format!("{HEAD}[ecs]\ninitial = 5\nops_rate = \"1001/s\"\nops_mix = {{ reboot = 1 }}\n"),
        "ecs.ops_rate",
        &["more than one per millisecond", step],
    );
}

#[test]
fn clocks_of_a_tick_or_more_run_to_their_horizon() {
    let head = "name = \"probe\"\nhorizon = \"10m\"\n";
    // A mean of exactly one tick, a cycle whose failures are instant but
    // whose repairs are not, and a repair that is instant.
    finishes(&format!(
        "{head}[ecs]\ninitial = 5\n[ecs.faults]\ntime_to_fault = {{ dist = \"exponential\", mean = \"1ms\" }}\nrepair = \"1s\"\n"
    ));
    finishes(&format!(
        "{head}[ecs]\ninitial = 5\n[capacity.pools.p]\nhosts = 4\nvcpus = 64\nmemory = 256\n\
         [capacity.flavors.f]\nvcpus = 2\nmemory = 4\n\
         [capacity.host_failures]\ntime_to_failure = \"0s\"\nrepair = \"1m\"\n\
         [capacity.domains.rack]\ncount = 2\ntime_to_failure = \"1m\"\nrepair = \"0s\"\n"
    ));
}

#[test]
fn loops_through_an_error_advance_a_tick_at_least() {
    // Each of these went round at one instant forever: a BMS repair that
    // fails at once with an instant repair; an owner rebuilding at once a
    // server whose instant rebuild fails at once; a locked server's resize
    // decision, refused and made again at once. Now each turn is at least
    // a tick, and a run of ten minutes ends.
    let head = "name = \"probe\"\nhorizon = \"10m\"\n";
    finishes(&format!(
        "{head}[bms]\ninitial = 3\n[bms.failures]\nrepair = {{ prob = 1 }}\n\
         [bms.faults]\ntime_to_fault = \"1s\"\nrepair = \"0s\"\n"
    ));
    finishes(&format!(
        "{head}[ecs]\ninitial = 3\n[ecs.steps]\nrebuilding = \"0s\"\nrebuild_block_device_mapping = \"0s\"\nrebuild_spawning = \"0s\"\n\
         [ecs.failures]\nrebuild = {{ prob = 1 }}\n\
         [ecs.faults]\ntime_to_fault = \"1s\"\nrepair = \"off\"\n\
         [ecs.on_error]\nrebuild_prob = 1\ndelay = \"0s\"\n"
    ));
    let report = finishes(&format!(
        "{head}[ecs]\ninitial = 3\nops_rate = \"1/s\"\n[ecs.behaviour.ACTIVE]\nresize = 1\n[ecs.behaviour.RESIZE]\nlock = 1\n\
         [ecs.resize]\ndecision_delay = \"0s\"\n[ecs.steps]\nresize_finish = \"30s\"\n"
    ));
    assert!(report.contains("events:"), "{report}");
}

/// Runs `sc` on a thread of its own, and returns its outcomes if it ends
/// within a minute (a run whose simulated time stops never does).
fn ends(sc: Scenario) -> Outcomes {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(run(&sc));
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the run did not end: simulated time stopped")
}

#[test]
fn a_clock_that_draws_zero_past_validation_still_moves_time() {
    // The engine's safety net, for a library caller that skips validation:
    // every turn of a re-arming clock is at least one tick. A frozen BMS's
    // fault clock, drawn at 0, used to be redrawn at one instant forever.
    let zero = Dist::fixed(SimTime::ZERO);
    let mut sc = scenario(
        "name = \"probe\"\nhorizon = \"2m\"\n[bms]\ninitial = 3\n[bms.faults]\ntime_to_fault = \"1h\"\n\
         [bms.freeze]\nrate = \"100000/d\"\nrenew_prob = 0\nretention = \"1h\"\n",
    );
    sc.bms.as_mut().unwrap().faults.time_to_fault = Some(zero.clone());
    let out = ends(sc);
    assert!(
        out.counters.events > 1_000,
        "{} events",
        out.counters.events
    );
    // Hosts failing and repaired at once, and failure domains too.
    let mut sc = scenario(
        "name = \"probe\"\nhorizon = \"2m\"\n[ecs]\ninitial = 5\n[capacity.pools.p]\nhosts = 4\nvcpus = 64\nmemory = 256\n\
         [capacity.flavors.f]\nvcpus = 2\nmemory = 4\n[capacity.domains.rack]\ncount = 2\ntime_to_failure = \"1h\"\nrepair = \"1h\"\n",
    );
    let clock = FailureClockSpec {
        time_to_failure: zero.clone(),
        repair: zero,
    };
    let capacity = sc.capacity.as_mut().unwrap();
    capacity.host_failures = Some(clock.clone());
    capacity.domains[0].clock = clock;
    let out = ends(sc);
    assert!(
        out.failures.len() > 1_000,
        "{} failures",
        out.failures.len()
    );
}
