//! Helpers shared by the integration tests.

use fleetsim::results::Outcomes;
use fleetsim::scenario::Scenario;
use fleetsim::sim::{NullRecorder, Recorder, Simulation};
use std::sync::Arc;

/// Parses scenario text, panicking with every problem listed if it is invalid.
pub fn scenario(text: &str) -> Scenario {
    fleetsim::scenario::parse::parse_str(text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a scenario without writing anything.
pub fn run(sc: &Scenario) -> Outcomes {
    run_with(sc, &mut NullRecorder)
}

/// Runs a scenario with a recorder.
pub fn run_with(sc: &Scenario, rec: &mut dyn Recorder) -> Outcomes {
    Simulation::new(&Arc::new(sc.clone()), rec).run(&mut |_, _| {})
}

/// Mean and sample standard deviation.
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Two-sided 99.9% Student t quantiles t(0.9995, df) for df = 1..=10.
pub const T_9995: [f64; 10] = [
    636.62, 31.599, 12.924, 8.610, 6.869, 5.959, 5.408, 5.041, 4.781, 4.587,
];

/// Asserts that `expected` lies in the 99.9% confidence interval of the mean
/// of independent replications `xs`, and that the interval is narrower than
/// `max_half_width` (so the check has the power to fail).
pub fn assert_ci_covers(what: &str, xs: &[f64], expected: f64, max_half_width: f64) {
    let (mean, sd) = mean_sd(xs);
    let half = T_9995[xs.len() - 2] * sd / (xs.len() as f64).sqrt();
    assert!(
        half < max_half_width,
        "{what}: 99.9% CI half-width {half} is too wide to test anything (limit {max_half_width})"
    );
    assert!(
        (mean - expected).abs() <= half,
        "{what}: theory {expected} outside the 99.9% CI {mean} ± {half} (replications {xs:?})"
    );
}

/// The fleetsim binary, ready for arguments.
pub fn fleetsim() -> assert_cmd::Command {
    assert_cmd::cargo::cargo_bin_cmd!("fleetsim")
}

/// What a finished command printed on stdout.
pub fn stdout_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

/// What a finished command printed on stderr.
pub fn stderr_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}
