//! Inputs a fuzzing probe found that `validate` accepted but `run` then
//! panicked or hung on (issue 15): each is now refused before anything runs
//! (exit 2, the file, field and value named, no folder), or, where it is
//! valid, runs to its horizon.

use crate::common::{fleetsim, run, scenario, stderr_of};
use fleetsim::model::{Kind, Op};

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
    let a = fleetsim().arg("validate").arg(&file).assert().code(2);
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
