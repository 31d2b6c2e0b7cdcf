//! Duration distributions: the validated description ([`Dist`]) and the sampler
//! built from it once per scenario ([`Sampler`]), both backed by rand_distr.

use crate::engine::SimTime;
use rand::distr::Distribution;
use rand::{Rng, RngExt};
use rand_distr::{Exp, Gamma, LogNormal, Normal, Uniform, Weibull};
use serde::Serialize;

/// A distribution of durations, all parameters with a time unit in seconds.
#[derive(Clone, Debug, PartialEq, Serialize, strum::IntoStaticStr)]
#[serde(tag = "dist", rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Dist {
    /// Always `value_s`.
    Fixed {
        /// The duration (`value`), in seconds.
        value_s: f64,
    },
    /// Exponential with mean `mean_s`.
    Exponential {
        /// The mean (`mean`), in seconds.
        mean_s: f64,
    },
    /// Uniform on [`min_s`, `max_s`].
    Uniform {
        /// The shortest duration (`min`), in seconds.
        min_s: f64,
        /// The longest duration (`max`), in seconds.
        max_s: f64,
    },
    /// Normal, truncated at 0 by resampling (a negative draw is drawn again).
    Normal {
        /// The mean before truncation (`mean`), in seconds.
        mean_s: f64,
        /// The standard deviation before truncation (`sd`), in seconds.
        sd_s: f64,
    },
    /// Lognormal given by its mean and coefficient of variation (sd / mean).
    Lognormal {
        /// The mean of the duration (`mean`), in seconds.
        mean_s: f64,
        /// Standard deviation ÷ mean, of the duration (not of its logarithm).
        cv: f64,
    },
    /// Gamma with `shape` k and scale θ (mean kθ).
    Gamma {
        /// The shape k, a plain number.
        shape: f64,
        /// The scale θ (`scale`), in seconds.
        scale_s: f64,
    },
    /// Weibull with `shape` k and scale λ (mean λ Γ(1 + 1/k)).
    Weibull {
        /// The shape k, a plain number.
        shape: f64,
        /// The scale λ (`scale`), in seconds.
        scale_s: f64,
    },
}

/// A [`Dist`] ready to draw from: parameters checked and transformed once.
#[derive(Clone, Debug)]
pub enum Sampler {
    /// Always this duration, already rounded to the millisecond.
    Fixed(SimTime),
    /// Exponential, with rate 1 / mean per second.
    Exponential(Exp<f64>),
    /// Uniform, both ends included, in seconds.
    Uniform(Uniform<f64>),
    /// Normal in seconds, before truncation at 0 (done when drawing).
    Normal(Normal<f64>),
    /// Lognormal, with μ and σ of the logarithm of seconds derived from the
    /// mean and cv.
    Lognormal(LogNormal<f64>),
    /// Gamma with shape k and scale θ in seconds.
    Gamma(Gamma<f64>),
    /// Weibull with scale λ in seconds and shape k.
    Weibull(Weibull<f64>),
}

impl Dist {
    /// A fixed duration.
    pub fn fixed(t: SimTime) -> Dist {
        Dist::Fixed {
            value_s: t.as_secs_f64(),
        }
    }

    /// A lognormal given by mean seconds and cv.
    pub fn lognormal(mean_s: f64, cv: f64) -> Dist {
        Dist::Lognormal { mean_s, cv }
    }

    /// The distribution's name in scenarios.
    pub fn name(&self) -> &'static str {
        self.into()
    }

    /// The mean in seconds (of the truncated normal, approximately the mean
    /// parameter when mean ≫ sd).
    pub fn mean_s(&self) -> f64 {
        match *self {
            Dist::Fixed { value_s } => value_s,
            Dist::Exponential { mean_s } => mean_s,
            Dist::Uniform { min_s, max_s } => (min_s + max_s) / 2.0,
            Dist::Normal { mean_s, .. } => mean_s,
            Dist::Lognormal { mean_s, .. } => mean_s,
            Dist::Gamma { shape, scale_s } => shape * scale_s,
            Dist::Weibull { shape, scale_s } => scale_s * gamma_fn(1.0 + 1.0 / shape),
        }
    }

    /// Checks the parameters and builds the sampler. The error says what is
    /// wrong in words a scenario author can act on.
    pub fn sampler(&self) -> Result<Sampler, String> {
        let finite = |name: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(format!("{name} must be a finite number"))
            }
        };
        let positive = |name: &str, v: f64| {
            finite(name, v)?;
            if v > 0.0 {
                Ok(())
            } else {
                Err(format!("{name} must be greater than zero"))
            }
        };
        let non_negative = |name: &str, v: f64| {
            finite(name, v)?;
            if v >= 0.0 {
                Ok(())
            } else {
                Err(format!("{name} must not be negative"))
            }
        };
        Ok(match *self {
            Dist::Fixed { value_s } => {
                non_negative("value", value_s)?;
                Sampler::Fixed(SimTime::from_secs_f64(value_s))
            }
            Dist::Exponential { mean_s } => {
                positive("mean", mean_s)?;
                Sampler::Exponential(Exp::new(1.0 / mean_s).map_err(|e| e.to_string())?)
            }
            Dist::Uniform { min_s, max_s } => {
                non_negative("min", min_s)?;
                non_negative("max", max_s)?;
                if min_s > max_s {
                    return Err("min must not exceed max".into());
                }
                Sampler::Uniform(Uniform::new_inclusive(min_s, max_s).map_err(|e| e.to_string())?)
            }
            Dist::Normal { mean_s, sd_s } => {
                positive("mean", mean_s)?;
                non_negative("sd", sd_s)?;
                Sampler::Normal(Normal::new(mean_s, sd_s).map_err(|e| e.to_string())?)
            }
            Dist::Lognormal { mean_s, cv } => {
                positive("mean", mean_s)?;
                positive("cv", cv)?;
                // For a lognormal with parameters (mu, sigma):
                // mean = exp(mu + sigma²/2), cv² = exp(sigma²) − 1.
                let sigma2 = (1.0 + cv * cv).ln();
                let mu = mean_s.ln() - sigma2 / 2.0;
                Sampler::Lognormal(LogNormal::new(mu, sigma2.sqrt()).map_err(|e| e.to_string())?)
            }
            Dist::Gamma { shape, scale_s } => {
                positive("shape", shape)?;
                positive("scale", scale_s)?;
                Sampler::Gamma(Gamma::new(shape, scale_s).map_err(|e| e.to_string())?)
            }
            Dist::Weibull { shape, scale_s } => {
                positive("shape", shape)?;
                positive("scale", scale_s)?;
                Sampler::Weibull(Weibull::new(scale_s, shape).map_err(|e| e.to_string())?)
            }
        })
    }
}

impl Sampler {
    /// Draws one duration.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        let secs = match self {
            Sampler::Fixed(t) => return *t,
            Sampler::Exponential(d) => d.sample(rng),
            Sampler::Uniform(d) => d.sample(rng),
            Sampler::Normal(d) => loop {
                // Truncation at 0 by rejection; validation keeps mean > 0, so
                // at least half of the draws are accepted.
                let x = d.sample(rng);
                if x >= 0.0 {
                    break x;
                }
            },
            Sampler::Lognormal(d) => d.sample(rng),
            Sampler::Gamma(d) => d.sample(rng),
            Sampler::Weibull(d) => d.sample(rng),
        };
        SimTime::from_secs_f64(secs)
    }
}

/// Draws from the *equilibrium excess* (residual-life) distribution of a
/// [`Dist`]: the time still to run of a renewal process observed at a random
/// instant, with density S(t)/E\[L\]. An initial fleet whose remaining
/// lifetimes come from it is already in steady state at t = 0.
///
/// Sampling: the residual is U·L* with U uniform on (0, 1) and L* drawn from
/// the length-biased distribution l·f(l)/E\[L\], which has a closed form for
/// every family here: fixed stays fixed; exponential(θ) → gamma(2, θ);
/// lognormal(μ, σ) → lognormal(μ + σ², σ); gamma(k, θ) → gamma(k + 1, θ);
/// weibull(k, λ) → λ·Y^(1/k) with Y ~ gamma(1 + 1/k, 1). Uniform and the
/// truncated normal use rejection (accept L with probability L / bound).
#[derive(Clone, Debug)]
pub struct ResidualSampler {
    biased: Biased,
}

#[derive(Clone, Debug)]
enum Biased {
    Fixed(f64),
    Gamma(Gamma<f64>),
    Lognormal(LogNormal<f64>),
    Weibull {
        y: Gamma<f64>,
        scale: f64,
        inv_shape: f64,
    },
    Rejection {
        base: Sampler,
        bound: f64,
    },
}

impl Dist {
    /// The sampler of this distribution's equilibrium excess.
    pub fn residual_sampler(&self) -> Result<ResidualSampler, String> {
        let base = self.sampler()?;
        let e = |r: Result<_, rand_distr::GammaError>| r.map_err(|e| e.to_string());
        let biased = match *self {
            Dist::Fixed { value_s } => Biased::Fixed(value_s),
            Dist::Exponential { mean_s } => Biased::Gamma(e(Gamma::new(2.0, mean_s))?),
            Dist::Lognormal { mean_s, cv } => {
                let sigma2 = (1.0 + cv * cv).ln();
                let mu = mean_s.ln() - sigma2 / 2.0;
                Biased::Lognormal(
                    LogNormal::new(mu + sigma2, sigma2.sqrt()).map_err(|e| e.to_string())?,
                )
            }
            Dist::Gamma { shape, scale_s } => Biased::Gamma(e(Gamma::new(shape + 1.0, scale_s))?),
            Dist::Weibull { shape, scale_s } => Biased::Weibull {
                y: e(Gamma::new(1.0 + 1.0 / shape, 1.0))?,
                scale: scale_s,
                inv_shape: 1.0 / shape,
            },
            Dist::Uniform { max_s, .. } => Biased::Rejection { base, bound: max_s },
            Dist::Normal { mean_s, sd_s } => Biased::Rejection {
                base,
                // Draws beyond 8 sd are too rare to matter (and are clamped).
                bound: mean_s + 8.0 * sd_s,
            },
        };
        Ok(ResidualSampler { biased })
    }
}

impl ResidualSampler {
    /// Draws one remaining time.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        let length = match &self.biased {
            Biased::Fixed(v) => *v,
            Biased::Gamma(g) => g.sample(rng),
            Biased::Lognormal(l) => l.sample(rng),
            Biased::Weibull {
                y,
                scale,
                inv_shape,
            } => scale * y.sample(rng).powf(*inv_shape),
            Biased::Rejection { base, bound } => loop {
                if *bound <= 0.0 {
                    break 0.0;
                }
                let l = base.sample(rng).as_secs_f64();
                if rng.random::<f64>() * bound < l.min(*bound) {
                    break l;
                }
            },
        };
        let u: f64 = rng.random();
        SimTime::from_secs_f64(u * length)
    }
}

/// The gamma function, by the Lanczos approximation (g = 7, n = 9), accurate
/// to about 15 digits for positive arguments; used only to report means.
pub fn gamma_fn(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma_fn(1.0 - x))
    } else {
        let x = x - 1.0;
        let mut a = C[0];
        let t = x + G + 0.5;
        for (i, c) in C.iter().enumerate().skip(1) {
            a += c / (x + i as f64);
        }
        (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Purpose, stream};

    fn sample_mean(d: &Dist, n: usize) -> f64 {
        let s = d.sampler().unwrap();
        let mut rng = stream(7, 0, Purpose::Durations);
        (0..n)
            .map(|_| s.sample(&mut rng).as_secs_f64())
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn gamma_function_known_values() {
        assert!((gamma_fn(5.0) - 24.0).abs() < 1e-9);
        assert!((gamma_fn(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn sample_means_match_the_stated_mean() {
        // 200,000 draws: the standard error of the mean is cv·mean/√n ≤ 0.5%
        // for every case below (cv ≤ 1.5), so 4 standard errors is ≤ 1.4%.
        let cases = [
            Dist::Exponential { mean_s: 100.0 },
            Dist::Uniform {
                min_s: 10.0,
                max_s: 30.0,
            },
            Dist::Lognormal {
                mean_s: 60.0,
                cv: 1.5,
            },
            Dist::Gamma {
                shape: 2.0,
                scale_s: 30.0,
            },
            Dist::Weibull {
                shape: 1.2,
                scale_s: 100.0,
            },
            Dist::Normal {
                mean_s: 100.0,
                sd_s: 10.0,
            },
        ];
        for d in cases {
            let m = sample_mean(&d, 200_000);
            let rel = (m - d.mean_s()).abs() / d.mean_s();
            assert!(rel < 0.014, "{d:?}: sample mean {m} vs {}", d.mean_s());
        }
    }

    #[test]
    fn invalid_parameters_are_refused() {
        assert!(Dist::Exponential { mean_s: 0.0 }.sampler().is_err());
        assert!(
            Dist::Uniform {
                min_s: 5.0,
                max_s: 1.0
            }
            .sampler()
            .is_err()
        );
        assert!(
            Dist::Lognormal {
                mean_s: 5.0,
                cv: -1.0
            }
            .sampler()
            .is_err()
        );
        assert!(
            Dist::Weibull {
                shape: 0.0,
                scale_s: 1.0
            }
            .sampler()
            .is_err()
        );
        assert!(
            Dist::Gamma {
                shape: 1.0,
                scale_s: f64::NAN
            }
            .sampler()
            .is_err()
        );
        assert!(
            Dist::Normal {
                mean_s: -1.0,
                sd_s: 1.0
            }
            .sampler()
            .is_err()
        );
    }

    #[test]
    fn residual_means_match_renewal_theory() {
        // The equilibrium excess has mean E[L²] / (2 E[L]) = E[L] (1 + cv²) / 2.
        let cases: [(Dist, f64); 6] = [
            (Dist::Fixed { value_s: 100.0 }, 50.0),
            (Dist::Exponential { mean_s: 100.0 }, 100.0),
            (
                Dist::Lognormal {
                    mean_s: 100.0,
                    cv: 1.5,
                },
                100.0 * (1.0 + 2.25) / 2.0,
            ),
            (
                Dist::Gamma {
                    shape: 2.0,
                    scale_s: 50.0,
                },
                100.0 * (1.0 + 0.5) / 2.0,
            ),
            // Uniform(0, 200): E[L²] = 200²/3, E[L] = 100 → 66.67.
            (
                Dist::Uniform {
                    min_s: 0.0,
                    max_s: 200.0,
                },
                200.0 * 200.0 / 3.0 / 200.0,
            ),
            // Weibull(k = 2, λ = 100): E[L] = λΓ(1.5), E[L²] = λ²Γ(2) = λ².
            (
                Dist::Weibull {
                    shape: 2.0,
                    scale_s: 100.0,
                },
                100.0 * 100.0 / (2.0 * 100.0 * gamma_fn(1.5)),
            ),
        ];
        for (d, expected) in cases {
            let s = d.residual_sampler().unwrap();
            let mut rng = stream(11, 0, Purpose::Workload);
            let n = 200_000;
            let m = (0..n)
                .map(|_| s.sample(&mut rng).as_secs_f64())
                .sum::<f64>()
                / n as f64;
            // Residuals have cv ≤ 2.5 here: standard error ≤ 0.6%; allow 4 of them.
            assert!(
                (m - expected).abs() / expected < 0.024,
                "{d:?}: {m} vs {expected}"
            );
        }
    }

    #[test]
    fn normal_is_truncated_at_zero() {
        let s = Dist::Normal {
            mean_s: 1.0,
            sd_s: 5.0,
        }
        .sampler()
        .unwrap();
        let mut rng = stream(3, 0, Purpose::Durations);
        // Every draw is a valid (non-negative) time; none saturates.
        for _ in 0..10_000 {
            assert!(s.sample(&mut rng) < SimTime::from_secs(100));
        }
    }
}
