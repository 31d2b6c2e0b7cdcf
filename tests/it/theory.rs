//! Checks against theory. Each compares the mean of independent replications
//! (different seeds) with an analytic value, using a 99.9% Student-t
//! confidence interval rather than a hand-tuned tolerance.

use crate::common::{assert_ci_covers, run, run_with, scenario};
use fleetsim::model::Status;

/// One measurement per seed 1..=n: independent replications.
fn replications<T>(n: u64, measure: impl Fn(u64) -> T) -> Vec<T> {
    (1..=n).map(measure).collect()
}

/// ECS steps that take no time, so a server's sojourn is its lifetime alone.
pub(crate) const INSTANT_ECS_STEPS: &str = r#"
deleted_for = "0s"
[ecs.steps]
scheduling = "0s"
networking = "0s"
block_device_mapping = "0s"
spawning = "0s"
deleting = "0s"
"#;

/// No operation failures, no repair of faults, no watchdogs: builds and
/// deletes always succeed, for checks whose theory has none.
pub(crate) const NO_FAILURES: &str = r#"
[ecs.failures]
create = { prob = 0 }
delete = { prob = 0 }
[ecs.faults]
repair = "off"
watchdog = "off"
"#;

/// Availability of an alternating renewal process. With only faults and admin
/// repair, each server alternates between ACTIVE (exponential, mean MTBF =
/// 100 h) and ERROR (exponential, mean MTTR = 10 h), so the long-run share of
/// instance-time in ERROR is MTTR / (MTBF + MTTR) = 10 / 110 = 0.0909...
///
/// Precision: for one server over T = 390 days (9,360 h) the variance of its
/// ERROR share is about 2·a²b²/((a+b)³·T) = 2·100²·10²/(110³·9360) ≈ 1.6e-4;
/// averaged over 400 servers the standard error is ≈ 6.4e-4 per replication,
/// so ten replications pin the mean to about ±1e-3.
#[test]
fn error_share_is_mttr_over_mtbf_plus_mttr() {
    let shares = replications(10, |seed| {
        let sc = scenario(&format!(
            r#"
                name = "availability"
                seed = {seed}
                horizon = "400d"
                warmup = "10d"
                sample_interval = "10d"
                [ecs]
                initial = 400
                [ecs.faults]
                time_to_fault = {{ dist = "exponential", mean = "100h" }}
                repair = {{ dist = "exponential", mean = "10h" }}
                "#
        ));
        let o = run(&sc);
        let (_, st) = &o.kinds[0];
        let share = st.status.area(Status::Error as usize) as f64 / st.population.area(0) as f64;
        // Nothing else happens, so a server is either ACTIVE or in ERROR, and
        // always wanted running: availability is exactly 1 − ERROR share.
        let availability = st.availability().unwrap();
        assert!(
            (availability - (1.0 - share)).abs() < 1e-12,
            "{availability} vs {share}"
        );
        share
    });
    assert_ci_covers("ERROR share", &shares, 10.0 / 110.0, 0.005);
}

/// Little's law on an M/G/∞ system. Servers arrive at λ = 100 a day and live
/// an exponential lifetime of mean W = 10 days; every other step takes no
/// time, so the mean population is L = λ·W = 1,000. An initial fleet of
/// 1,000 keeps the expected population at 1,000 from t = 0 (an exponential
/// lifetime's residual is the same exponential), so no warmup is needed.
///
/// Precision: the time average of an M/M/∞ population over T = 300 days has
/// variance ≈ 2·λ·W²/T = 2·100·100/300 ≈ 67, a standard error of ≈ 8.2 per
/// replication.
#[test]
fn mean_population_is_arrival_rate_times_mean_lifetime() {
    let pops = replications(8, |seed| {
        let sc = scenario(&format!(
            r#"
                name = "little"
                seed = {seed}
                horizon = "300d"
                sample_interval = "10d"
                [ecs]
                initial = 1000
                arrivals = "100/d"
                lifetime = {{ dist = "exponential", mean = "10d" }}
                {INSTANT_ECS_STEPS}
                "#
        ));
        let o = run(&sc);
        let (_, st) = &o.kinds[0];
        st.population.area(0) as f64 / sc.horizon.ms() as f64
    });
    assert_ci_covers("mean population", &pops, 1000.0, 25.0);
}

/// The same availability law for BMS: Faulty time share with exponential
/// time to fault (mean 200 h) and repair (mean 20 h) is 20 / 220.
#[test]
fn bms_faulty_share_follows_the_same_law() {
    let shares = replications(6, |seed| {
        let sc = scenario(&format!(
            r#"
                name = "bms-availability"
                seed = {seed}
                horizon = "600d"
                warmup = "20d"
                sample_interval = "30d"
                [bms]
                initial = 300
                [bms.faults]
                time_to_fault = {{ dist = "exponential", mean = "200h" }}
                repair = {{ dist = "exponential", mean = "20h" }}
                "#
        ));
        let o = run(&sc);
        let (m, st) = &o.kinds[0];
        let faulty = m.state_by_name("faulty").unwrap();
        st.detail.area(faulty.index()) as f64 / st.population.area(0) as f64
    });
    assert_ci_covers("Faulty share", &shares, 20.0 / 220.0, 0.01);
}

/// A deleted server shows DELETED for exactly `deleted_for`, and every create
/// in a scenario without failures succeeds: sojourn and counts are exact.
#[test]
fn deleted_lasts_exactly_deleted_for() {
    let sc = scenario(
        r#"
        name = "deleted"
        seed = 3
        horizon = "20d"
        sample_interval = "1d"
        [ecs]
        arrivals = "50/d"
        lifetime = { dist = "exponential", mean = "2d" }
        deleted_for = "7m"
        "#,
    );
    let o = run(&sc);
    let (_, st) = &o.kinds[0];
    let soj = st.status.sojourn(Status::Deleted as usize);
    assert!(soj.count() > 300, "{} deletions", soj.count());
    assert_eq!(soj.mean_s(), Some(420.0));
    assert_eq!(soj.quantile_s(0.99), Some(420.0));
    let create = &st.ops[fleetsim::model::Op::Create.index()];
    assert_eq!(create.failed + create.timed_out, 0);
}

/// A steady initial fleet: with lifetimes lognormal (mean W = 10 days, cv =
/// 1.5) and arrivals λ = 200 a day, the long-run population is λW = 2,000.
/// Starting 2,000 servers whose remaining lifetimes follow the equilibrium
/// excess distribution keeps E[N(t)] = 2,000 from t = 0 (for an M/G/∞ system,
/// E[N(t)] = N0·P(residual > t) + λ∫₀ᵗ S(u) du = λW when N0 = λW), so the
/// mean over 30 days with no warmup is 2,000. Fresh lifetimes would instead
/// give E[N(t)] = 2000·(S(t) + F_e(t)) < 2000, since for cv > 1 the residual
/// outlives a fresh lifetime (S ≤ 1 − F_e); the check only asks that the
/// fresh fleet's whole confidence interval lie below 2,000.
///
/// Precision: the time average over T of an M/G/∞ population has variance
/// ≈ λ·E[L²]/T = 200·(100·3.25)/30 ≈ 2,170, a standard error of ≈ 47.
#[test]
fn a_steady_initial_fleet_starts_at_its_long_run_population() {
    let pops = |age: &str| -> Vec<f64> {
        replications(10, |seed| {
            let sc = scenario(&format!(
                r#"
                    name = "steady"
                    seed = {seed}
                    horizon = "30d"
                    sample_interval = "1d"
                    [ecs]
                    initial = 2000
                    initial_age = "{age}"
                    arrivals = "200/d"
                    lifetime = {{ dist = "lognormal", mean = "10d", cv = 1.5 }}
                    {INSTANT_ECS_STEPS}
                    "#
            ));
            let o = run(&sc);
            o.kinds[0].1.population.area(0) as f64 / sc.horizon.ms() as f64
        })
    };
    assert_ci_covers("steady mean population", &pops("steady"), 2000.0, 100.0);
    let fresh = pops("new");
    let (mean, sd) = crate::common::mean_sd(&fresh);
    let upper = mean + crate::common::T_9995[fresh.len() - 2] * sd / (fresh.len() as f64).sqrt();
    assert!(
        upper < 2000.0,
        "fresh lifetimes should leave the fleet short of 2,000: CI up to {upper}"
    );
}

/// Replication confidence intervals have their nominal coverage. 200 studies,
/// each of 5 replications (independent seeds), estimate the ERROR share of
/// 50 servers with exponential MTBF 100 h and MTTR 10 h; each study's 95%
/// Student-t interval (t(0.975, 4) = 2.776) should contain the true share
/// 10/110 in about 95% of studies.
///
/// Bounds: the count of covering studies is Binomial(200, 0.95), mean 190,
/// sd 3.08; 99.9% of its mass lies in [180, 199]. Intervals built with the
/// normal quantile 1.96 instead of t would cover only about 88% (176), and
/// fail the lower bound.
#[test]
fn replication_intervals_cover_the_true_value_at_the_nominal_rate() {
    use fleetsim::ci::Estimate;
    let truth = 10.0 / 110.0;
    let sc = |study: u64| {
        scenario(&format!(
            r#"
            name = "coverage"
            seed = {study}
            replications = 5
            horizon = "100d"
            warmup = "5d"
            sample_interval = "10d"
            [ecs]
            initial = 50
            [ecs.faults]
            time_to_fault = {{ dist = "exponential", mean = "100h" }}
            repair = {{ dist = "exponential", mean = "10h" }}
            "#
        ))
    };
    let covered = (0..200u64)
        .filter(|&study| {
            let sc = std::sync::Arc::new(sc(study));
            let shares: Vec<f64> = (0..sc.replications as u64)
                .map(|r| {
                    let o = fleetsim::sim::Simulation::replication(
                        &sc,
                        r,
                        &mut fleetsim::sim::NullRecorder,
                    )
                    .run(&mut |_, _| {});
                    let st = &o.kinds[0].1;
                    st.status.area(Status::Error as usize) as f64 / st.population.area(0) as f64
                })
                .collect();
            let e = Estimate::of(&shares).unwrap();
            e.ci95_low <= truth && truth <= e.ci95_high
        })
        .count();
    assert!(
        (180..=199).contains(&covered),
        "{covered} of 200 intervals cover the true share"
    );
}

/// Erlang's loss formula. Creates arrive as a Poisson stream of λ = 8 a day
/// and live an exponential lifetime of mean 1/μ = 1 day; every build and
/// delete step takes no time, so a server holds a slot exactly for its
/// lifetime. The pool has two hosts of 5 vCPUs and the only flavor takes
/// 1 vCPU (memory never binds), so any layout gives c = 10 slots and a
/// create is blocked exactly when all 10 are taken: an M/M/c/c loss system
/// with offered load a = λ/μ = 8 erlangs. A blocked create ends in ERROR
/// holding no host, and leaves at the end of its lifetime like any other;
/// admin repair is off so no reset ever places it later, and no failure,
/// fault or watchdog exists. By PASTA the share of creates blocked is
/// Erlang B, by the stable recursion B(0) = 1, B(k) = a·B(k−1)/(k + a·B(k−1)):
///
///   k:    1      2      3      4      5      6      7      8      9      10
///   B: .88889 .78049 .67546 .57464 .47901 .38975 .30817 .23557 .17314 .12166
///
/// so B(10, 8) = 0.12166. The carried load, the time-average number of
/// servers on the pool, is a·(1 − B) = 8 × 0.87834 = 7.0267. The pool starts
/// empty; a warmup of 10 days (ten mean lifetimes) leaves it stationary
/// for the 2,000-day window.
///
/// Precision: a replication sees about 16,000 creates; the binomial
/// standard error √(B(1−B)/16000) ≈ 0.0026 is inflated about 1.8-fold by
/// the correlation of successive blocking events (≈ 0.0046 measured), so ten
/// replications pin B to about ±0.007 (99.9%), against B(9, 8) = 0.173 or
/// B(11, 8) = 0.081 for one slot less or more. The time average of the
/// number of servers has variance ≈ 2·a/(μ·T) = 2·8/2000 = 0.008 (about the
/// M/M/∞ value), a standard error of ≈ 0.09 per replication and ±0.12 over
/// ten, against 8·(1 − 0.173) = 6.61 for one slot less.
#[test]
fn blocked_share_of_creates_is_erlang_b() {
    let (a, b) = (8.0, 0.121661);
    let runs = replications(10, |seed| {
        let sc = scenario(&format!(
            r#"
                name = "erlang-b"
                seed = {seed}
                horizon = "2010d"
                warmup = "10d"
                sample_interval = "100d"
                [ecs]
                initial = 0
                arrivals = "8/d"
                lifetime = {{ dist = "exponential", mean = "1d" }}
                ops_rate = "0/d"
                {INSTANT_ECS_STEPS}
                {NO_FAILURES}
                [capacity]
                placement = "spread"
                [capacity.pools.p]
                hosts = 2
                vcpus = 5
                memory = "64GiB"
                [capacity.flavors.one]
                vcpus = 1
                memory = "1GiB"
                "#
        ));
        let o = run(&sc);
        let c = &o.pools[0].stats.counters;
        let create = &o.kinds[0].1.ops[fleetsim::model::Op::Create.index()];
        assert_eq!(create.refused_capacity, c.creates_blocked);
        assert_eq!(create.failed + create.timed_out, 0);
        assert_eq!(create.succeeded + c.creates_blocked, create.started);
        assert!(c.creates > 12_000, "{} creates", c.creates);
        let window = sc.horizon.since(sc.warmup).ms() as f64;
        (
            c.creates_blocked as f64 / c.creates as f64,
            o.pools[0].stats.instances_area as f64 / window,
        )
    });
    let blocked: Vec<f64> = runs.iter().map(|r| r.0).collect();
    let carried: Vec<f64> = runs.iter().map(|r| r.1).collect();
    assert_ci_covers("blocked share of creates", &blocked, b, 0.012);
    assert_ci_covers("mean servers on the pool", &carried, a * (1.0 - b), 0.2);
}

/// The lower tail P(X ≤ k) of a Poisson distribution of mean `m`, summed in
/// log space (exact to rounding for the means used here).
fn poisson_cdf(k: u64, m: f64) -> f64 {
    let (mut log_fact, mut sum) = (0.0_f64, 0.0);
    for j in 0..=k {
        if j > 0 {
            log_fact += (j as f64).ln();
        }
        sum += (j as f64 * m.ln() - m - log_fact).exp();
    }
    sum.min(1.0)
}

/// Whether a Poisson count `x` of mean `m` is in the two-sided tails of
/// total probability `alpha`.
fn poisson_rejects(x: u64, m: f64, alpha: f64) -> bool {
    let below = poisson_cdf(x, m);
    let above = 1.0 - if x == 0 { 0.0 } else { poisson_cdf(x - 1, m) };
    below < alpha / 2.0 || above < alpha / 2.0
}

/// Records the population of the one kind at every sample time.
struct Populations(Vec<(f64, u64)>);

impl fleetsim::sim::Recorder for Populations {
    fn wants_changes(&self) -> bool {
        false
    }
    fn change(&mut self, _: &fleetsim::sim::Change, _: &fleetsim::model::Machine) {}
    fn sample(
        &mut self,
        t: fleetsim::engine::SimTime,
        _: fleetsim::model::Kind,
        stats: &fleetsim::stats::KindStats,
        _: &fleetsim::model::Machine,
    ) {
        self.0.push((t.as_secs_f64(), stats.population_now()));
    }
}

/// The M_t/G/∞ queue with a sinusoidal arrival rate (Eick, Massey and
/// Whitt, "The physics of the M_t/G/∞ queue", Operations Research 41(4),
/// 1993). Creates arrive at λ(t) = λ̄·(1 + a·cos(ω(t − φ))), ω = 2π/day,
/// each server lives an exponential lifetime of rate μ, every step takes no
/// time and capacity is unlimited. Starting empty at t = 0, the number
/// present at t is Poisson with mean
///
///   m(t) = ∫₀ᵗ λ(s)·e^{−μ(t−s)} ds.
///
/// With ∫ e^{μs}·cos(ω(s − φ)) ds = e^{μs}·(μ·cos(ω(s − φ)) + ω·sin(ω(s − φ)))/(μ² + ω²),
///
///   m(t) = λ̄/μ·(1 − e^{−μt})
///        + λ̄·a·[μ·cos(ω(t − φ)) + ω·sin(ω(t − φ)) − e^{−μt}·(μ·cos ωφ − ω·sin ωφ)]/(μ² + ω²),
///
/// whose periodic part lags the arrival rate's peak by atan(ω/μ)/ω.
///
/// The check: summed over R independent replications, the number present
/// at each sample time is Poisson with mean R·m(t); every one of the 72
/// hourly samples must lie inside its exact two-sided Poisson interval at
/// level 0.001/72 (Bonferroni: the whole test wrongly fails with
/// probability at most 0.001). The number of creates over the horizon is
/// Poisson with mean ∫λ, checked the same way.
#[test]
fn a_sinusoidal_arrival_rate_gives_the_m_t_g_infinity_mean() {
    let (rate_per_day, a, peak_hour, mean_life_h) = (480.0, 0.8, 15.0, 6.0);
    let (r, horizon_h) = (10u64, 72u64);
    let mut present = vec![0u64; horizon_h as usize];
    let mut created = 0;
    for seed in 1..=r {
        let sc = scenario(&format!(
            r#"
                name = "mtg-infinity"
                seed = {seed}
                horizon = "{horizon_h}h"
                sample_interval = "1h"
                [ecs]
                arrivals = {{ base = "{rate_per_day}/d", daily = {{ amplitude = {a}, peak_hour = {peak_hour} }} }}
                lifetime = {{ dist = "exponential", mean = "{mean_life_h}h" }}
                {INSTANT_ECS_STEPS}
                {NO_FAILURES}
                "#
        ));
        let mut rec = Populations(Vec::new());
        let o = run_with(&sc, &mut rec);
        created += o.servers_created;
        for &(t, n) in &rec.0 {
            let hour = (t / 3600.0).round() as usize;
            if (1..=horizon_h as usize).contains(&hour) {
                present[hour - 1] += n;
            }
        }
    }
    let lambda = rate_per_day / 86_400.0;
    let mu = 1.0 / (mean_life_h * 3600.0);
    let omega = std::f64::consts::TAU / 86_400.0;
    let phi = peak_hour * 3600.0;
    let m = |t: f64| {
        let decay = (-mu * t).exp();
        lambda / mu * (1.0 - decay)
            + lambda
                * a
                * (mu * (omega * (t - phi)).cos() + omega * (omega * (t - phi)).sin()
                    - decay * (mu * (omega * phi).cos() - omega * (omega * phi).sin()))
                / (mu * mu + omega * omega)
    };
    let alpha = 0.001 / horizon_h as f64;
    let mut outside = Vec::new();
    for (i, &n) in present.iter().enumerate() {
        let t = (i as f64 + 1.0) * 3600.0;
        let expected = r as f64 * m(t);
        if poisson_rejects(n, expected, alpha) {
            outside.push(format!(
                "t = {}h: {n} present, {expected:.1} expected",
                i + 1
            ));
        }
    }
    assert!(
        outside.is_empty(),
        "outside the Poisson bounds: {outside:#?}"
    );
    // ∫₀ᵀ λ = λ̄·T + λ̄·a/ω·(sin(ω(T − φ)) + sin ωφ).
    let horizon = horizon_h as f64 * 3600.0;
    let integral = lambda * horizon
        + lambda * a / omega * ((omega * (horizon - phi)).sin() + (omega * phi).sin());
    assert!(
        !poisson_rejects(created, r as f64 * integral, 0.001),
        "{created} creates over {r} replications, {:.1} expected",
        r as f64 * integral
    );
}
