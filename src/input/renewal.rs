//! Clocks that re-arm themselves (a server's fault clock, a host's or a
//! failure domain's cycle of failure and repair): whether the durations a
//! [`Dist`] draws move simulated time on. Time is counted in ticks of one
//! millisecond ([`SimTime::TICK`]); a draw shorter than half a tick rounds
//! to 0, and a clock that keeps drawing 0 re-arms at the same instant while
//! the processor spins. Validation refuses such a clock by two rules,
//! computed in closed form for every family [`Dist`] has:
//!
//! - its mean is at least one tick;
//! - it does not draw below one tick almost surely: P(draw < 1 ms) is at
//!   most [`MAX_SHARE_BELOW_TICK`] (a lognormal of huge cv or a gamma of
//!   tiny shape has a fair mean but nearly every draw at 0).
//!
//! A clock running `speed` times as fast (a fault clock in an incident
//! window) is judged on its draws divided by the speed.

use super::dist::{Dist, gamma_fn};
use crate::engine::SimTime;

/// One tick, in seconds.
const TICK_S: f64 = SimTime::TICK.0 as f64 / 1_000.0;

/// The largest probability of a draw below one tick that a re-arming clock
/// may have.
pub const MAX_SHARE_BELOW_TICK: f64 = 0.999;

/// Why a re-arming clock would stop simulated time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stall {
    /// Its mean, in seconds (already divided by the speed), is below a tick.
    Mean(f64),
    /// It draws below a tick with this probability, more than
    /// [`MAX_SHARE_BELOW_TICK`].
    BelowTick(f64),
    /// Both parts of a cycle draw below a tick, with these probabilities,
    /// each more than [`MAX_SHARE_BELOW_TICK`].
    BothBelowTick(f64, f64),
}

impl Stall {
    /// Why, in words, of the draws of `subject` ("it", "a host's cycle").
    pub fn reason(&self, subject: &str) -> String {
        match *self {
            Stall::Mean(m) => format!(
                "{subject} has a mean of {}, shorter than 1 ms, the simulation's time step",
                show_secs(m)
            ),
            Stall::BelowTick(p) => format!(
                "{subject} draws less than 1 ms, the simulation's time step, with probability {}, more than {MAX_SHARE_BELOW_TICK}",
                show_prob(p)
            ),
            Stall::BothBelowTick(a, b) => format!(
                "both parts of {subject} draw less than 1 ms, the simulation's time step, with probabilities {} and {}, each more than {MAX_SHARE_BELOW_TICK}",
                show_prob(a),
                show_prob(b)
            ),
        }
    }
}

/// Whether a clock that re-arms itself with draws of `d`, running `speed`
/// (≥ 1) times as fast, moves simulated time: `None` if it does.
pub fn stall(d: &Dist, speed: f64) -> Option<Stall> {
    let mean = mean_s(d) / speed;
    if mean.is_nan() || mean < TICK_S {
        return Some(Stall::Mean(mean));
    }
    let below = prob_below(d, TICK_S * speed);
    (below > MAX_SHARE_BELOW_TICK).then_some(Stall::BelowTick(below))
}

/// Whether a cycle of two draws, of `a` then `b` (a host's time to failure
/// and its repair), moves simulated time: its mean is at least a tick, and
/// not both draw below a tick almost surely. `None` if it does.
pub fn cycle_stall(a: &Dist, b: &Dist) -> Option<Stall> {
    let mean = mean_s(a) + mean_s(b);
    if mean.is_nan() || mean < TICK_S {
        return Some(Stall::Mean(mean));
    }
    let (pa, pb) = (prob_below(a, TICK_S), prob_below(b, TICK_S));
    (pa.min(pb) > MAX_SHARE_BELOW_TICK).then_some(Stall::BothBelowTick(pa, pb))
}

/// The largest speed at which a clock drawing from `d` still moves
/// simulated time: the mean and the [`MAX_SHARE_BELOW_TICK`] quantile, in
/// ticks, whichever is shorter.
pub fn max_speed(d: &Dist) -> f64 {
    mean_s(d).min(quantile_s(d, MAX_SHARE_BELOW_TICK)) / TICK_S
}

/// The mean in seconds, exact for every family (the normal's after its
/// truncation at 0); may be infinite (a Weibull of tiny shape).
pub fn mean_s(d: &Dist) -> f64 {
    match *d {
        Dist::Normal { mean_s, sd_s } if sd_s > 0.0 => {
            let alpha = -mean_s / sd_s;
            mean_s + sd_s * normal_pdf(alpha) / (1.0 - normal_cdf(alpha))
        }
        Dist::Weibull { shape, scale_s } => (scale_s.ln() + ln_gamma(1.0 + 1.0 / shape)).exp(),
        _ => d.mean_s(),
    }
}

/// P(draw < `t_s` seconds), in closed form (the gamma's by its regularised
/// incomplete gamma function).
pub fn prob_below(d: &Dist, t_s: f64) -> f64 {
    if t_s <= 0.0 {
        return 0.0;
    }
    let p = match *d {
        Dist::Fixed { value_s } => f64::from(u8::from(value_s < t_s)),
        Dist::Exponential { mean_s } => -(-t_s / mean_s).exp_m1(),
        Dist::Uniform { min_s, max_s } if max_s > min_s => (t_s - min_s) / (max_s - min_s),
        Dist::Uniform { min_s, .. } => f64::from(u8::from(min_s < t_s)),
        Dist::Normal { mean_s, sd_s } if sd_s > 0.0 => {
            let at_zero = normal_cdf(-mean_s / sd_s);
            (normal_cdf((t_s - mean_s) / sd_s) - at_zero) / (1.0 - at_zero)
        }
        Dist::Normal { mean_s, .. } => f64::from(u8::from(mean_s < t_s)),
        Dist::Lognormal { mean_s, cv } => {
            let sigma2 = (1.0 + cv * cv).ln();
            let mu = mean_s.ln() - sigma2 / 2.0;
            normal_cdf((t_s.ln() - mu) / sigma2.sqrt())
        }
        Dist::Gamma { shape, scale_s } => lower_gamma_regularised(shape, t_s / scale_s),
        Dist::Weibull { shape, scale_s } => -(-(t_s / scale_s).powf(shape)).exp_m1(),
    };
    p.clamp(0.0, 1.0)
}

/// The time by which a share `p` of the draws have come, in seconds, by
/// bisection on the logarithm of time (from 1e-40 s to 1e40 s).
fn quantile_s(d: &Dist, p: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0_f64, 40.0_f64);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if prob_below(d, 10f64.powf(mid)) >= p {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    10f64.powf(hi)
}

/// A duration in seconds, in the unit that reads best.
fn show_secs(s: f64) -> String {
    if s == 0.0 {
        "0 ms".to_string()
    } else if s >= 1.0 {
        format!("{s} s")
    } else if s >= 1e-3 {
        format!("{} ms", s * 1e3)
    } else {
        format!("{:.3e} ms", s * 1e3)
    }
}

/// A probability near 1, with the digits that tell it from 1.
fn show_prob(p: f64) -> String {
    if p >= 1.0 {
        "1".to_string()
    } else {
        let digits = (-(1.0 - p).log10()).ceil().max(0.0) as usize + 1;
        format!("{p:.digits$}")
    }
}

/// The standard normal density.
fn normal_pdf(z: f64) -> f64 {
    (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The standard normal distribution function, Φ(z) = erfc(−z/√2) / 2.
fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// The complementary error function, to a relative 1.2e-7 everywhere
/// (Numerical Recipes' Chebyshev fit, `erfcc`): ample for a threshold of
/// 0.999.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// ln Γ(x) for x ≥ 1, from the Lanczos approximation of [`gamma_fn`]
/// taken in logarithms, so that it does not overflow.
fn ln_gamma(x: f64) -> f64 {
    if x < 171.0 {
        return gamma_fn(x).ln();
    }
    // Stirling's series: its error at x ≥ 171 is below 1e-12.
    let (x, ln2pi) = (x, (2.0 * std::f64::consts::PI).ln());
    (x - 0.5) * x.ln() - x + ln2pi / 2.0 + 1.0 / (12.0 * x) - 1.0 / (360.0 * x * x * x)
}

/// P(a, x), the regularised lower incomplete gamma function: the
/// probability that a gamma of shape `a` and scale 1 draws below `x`.
/// A series below x = a + 1, a continued fraction above (Numerical
/// Recipes' `gser` and `gcf`), and the Wilson–Hilferty normal
/// approximation for shapes above 10⁴, where both would need many terms.
fn lower_gamma_regularised(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if a > 1e4 {
        let v = 1.0 / (9.0 * a);
        return normal_cdf(((x / a).cbrt() - (1.0 - v)) / v.sqrt());
    }
    // x^a e^-x / Γ(a + 1), in logarithms: Γ(a + 1) has a + 1 ≥ 1.
    let ln_front = a * x.ln() - x - ln_gamma(a + 1.0);
    if x < a + 1.0 {
        let (mut term, mut sum) = (1.0, 1.0);
        for n in 1..100_000 {
            term *= x / (a + f64::from(n));
            sum += term;
            if term < sum * 1e-16 {
                break;
            }
        }
        return (ln_front.exp() * sum).min(1.0);
    }
    // Q(a, x) = x^a e^-x / Γ(a) × the continued fraction; Γ(a) = Γ(a + 1) / a.
    const TINY: f64 = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..100_000 {
        let i = f64::from(i);
        let an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-16 {
            break;
        }
    }
    1.0 - (ln_front + a.ln()).exp() * h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[test]
    fn distribution_functions_match_known_values() {
        let exp = Dist::Exponential { mean_s: 2.0 };
        assert!(close(prob_below(&exp, 2.0), 1.0 - (-1.0_f64).exp(), 1e-12));
        // Φ(1) = 0.841344746.
        assert!(close(normal_cdf(1.0), 0.841_344_746, 1e-6));
        assert!(close(normal_cdf(-3.0), 0.001_349_898, 1e-5));
        // Lognormal with mean e^(1/2) and cv √(e − 1): the log is N(0, 1).
        let ln = Dist::Lognormal {
            mean_s: 0.5_f64.exp(),
            cv: (1.0_f64.exp() - 1.0).sqrt(),
        };
        assert!(close(prob_below(&ln, 1.0_f64.exp()), 0.841_344_746, 1e-6));
        // Gamma of shape 1 is the exponential; of shape 2, P(2, x) =
        // 1 − e^-x (1 + x); of shape 0.5, erf(√x).
        for x in [0.01, 0.5, 1.0, 3.0, 10.0, 40.0] {
            let g1 = Dist::Gamma {
                shape: 1.0,
                scale_s: 1.0,
            };
            let g2 = Dist::Gamma {
                shape: 2.0,
                scale_s: 1.0,
            };
            let g05 = Dist::Gamma {
                shape: 0.5,
                scale_s: 1.0,
            };
            assert!(close(prob_below(&g1, x), -(-x).exp_m1(), 1e-9), "{x}");
            assert!(
                close(prob_below(&g2, x), 1.0 - (-x).exp() * (1.0 + x), 1e-9),
                "{x}"
            );
            assert!(
                close(prob_below(&g05, x), 1.0 - erfc(x.sqrt()), 1e-6),
                "{x}"
            );
        }
        // A large shape by Wilson–Hilferty: the median of a gamma is near
        // k − 1/3.
        let big = Dist::Gamma {
            shape: 1e6,
            scale_s: 1.0,
        };
        assert!(close(prob_below(&big, 1e6 - 1.0 / 3.0), 0.5, 1e-3));
        let w = Dist::Weibull {
            shape: 2.0,
            scale_s: 3.0,
        };
        assert!(close(prob_below(&w, 3.0), 1.0 - (-1.0_f64).exp(), 1e-12));
        let u = Dist::Uniform {
            min_s: 1.0,
            max_s: 3.0,
        };
        assert_eq!(
            (
                prob_below(&u, 0.5),
                prob_below(&u, 2.0),
                prob_below(&u, 9.0)
            ),
            (0.0, 0.5, 1.0)
        );
        let f = Dist::Fixed { value_s: 0.0 };
        assert_eq!(prob_below(&f, 0.001), 1.0);
        // The truncated normal: N(0, 1) cut at 0 is the half-normal.
        let half = Dist::Normal {
            mean_s: 1e-12,
            sd_s: 1.0,
        };
        assert!(close(
            prob_below(&half, 1.0),
            2.0 * 0.841_344_746 - 1.0,
            1e-5
        ));
        assert!(close(
            mean_s(&half),
            (2.0 / std::f64::consts::PI).sqrt(),
            1e-5
        ));
    }

    #[test]
    fn means_do_not_overflow() {
        let w = Dist::Weibull {
            shape: 2.0,
            scale_s: 10.0,
        };
        assert!(close(mean_s(&w), 10.0 * gamma_fn(1.5), 1e-12));
        // Γ(1001) overflows; the mean is infinite, not NaN.
        let tiny = Dist::Weibull {
            shape: 1e-3,
            scale_s: 1.0,
        };
        assert_eq!(mean_s(&tiny), f64::INFINITY);
        assert!(close(
            ln_gamma(200.0),
            gamma_fn(170.0).ln() + (170..200).map(|n| (n as f64).ln()).sum::<f64>(),
            1e-10
        ));
    }

    #[test]
    fn clocks_that_stop_time_are_told_from_those_that_do_not() {
        let hour = 3_600.0;
        // The fuzzing probe's clocks.
        assert_eq!(
            stall(&Dist::Fixed { value_s: 0.0 }, 1.0),
            Some(Stall::Mean(0.0))
        );
        let huge_cv = Dist::Lognormal {
            mean_s: hour,
            cv: 1e30,
        };
        assert!(matches!(stall(&huge_cv, 1.0), Some(Stall::BelowTick(p)) if p > 0.9999));
        let tiny_shape = Dist::Gamma {
            shape: 1e-6,
            scale_s: hour,
        };
        assert!(matches!(stall(&tiny_shape, 1.0), Some(Stall::BelowTick(p)) if p > 0.9999));
        // An incident factor of 1e11 on a weibull of scale 1000 h: a mean
        // of 0.04 ms.
        let weibull = Dist::Weibull {
            shape: 1.0,
            scale_s: 1_000.0 * hour,
        };
        assert!(matches!(stall(&weibull, 1e11), Some(Stall::Mean(m)) if m < 1e-4));
        // Ordinary clocks, and the edges: a mean of exactly one tick.
        assert_eq!(stall(&weibull, 1.0), None);
        assert_eq!(stall(&weibull, 1e9), None);
        assert_eq!(stall(&Dist::Fixed { value_s: 0.001 }, 1.0), None);
        assert_eq!(stall(&Dist::Exponential { mean_s: 0.001 }, 1.0), None);
        assert!(stall(&Dist::Exponential { mean_s: 0.000_999 }, 1.0).is_some());
        let moderate = Dist::Lognormal {
            mean_s: hour,
            cv: 1e9,
        };
        assert_eq!(stall(&moderate, 1.0), None);
        // Cycles: both parts at 0, or one at 0 beside a real one.
        let zero = Dist::Fixed { value_s: 0.0 };
        assert_eq!(cycle_stall(&zero, &zero), Some(Stall::Mean(0.0)));
        assert_eq!(cycle_stall(&zero, &weibull), None);
        assert!(cycle_stall(&huge_cv, &tiny_shape).is_some());
        // The largest speed: the mean in ticks for an exponential (its
        // 0.999 quantile is 6.9 means).
        assert!(close(max_speed(&weibull), 1_000.0 * hour * 1e3, 1e-9));
        let spike = Dist::Uniform {
            min_s: 0.0,
            max_s: 2.0,
        };
        assert!(close(max_speed(&spike), 1_000.0, 1e-9));
    }

    #[test]
    fn reasons_say_what_and_by_how_much() {
        assert_eq!(
            Stall::Mean(4e-8).reason("it"),
            "it has a mean of 4.000e-5 ms, shorter than 1 ms, the simulation's time step"
        );
        assert_eq!(
            Stall::BelowTick(0.999_98).reason("it"),
            "it draws less than 1 ms, the simulation's time step, with probability 0.999980, more than 0.999"
        );
    }
}
