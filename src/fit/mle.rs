//! Maximum-likelihood fits of a duration sample, right-censored or not:
//! exponential, lognormal, gamma and Weibull, chosen by AIC, with 95%
//! intervals from the observed information and a Kolmogorov–Smirnov
//! distance to the Kaplan–Meier estimate.

use super::interval::Z_975;
use statrs::distribution::{Continuous, ContinuousCDF, Exp, Gamma, LogNormal, Weibull};
use statrs::function::gamma::gamma;

/// The smallest duration the likelihood sees: half of fleetsim's 1 ms tick,
/// so that a duration of 0 has a finite density.
const MIN_DURATION_S: f64 = 0.0005;

/// The families compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// One parameter: the mean.
    Exponential,
    /// μ and σ of the logarithm.
    Lognormal,
    /// Shape k and scale θ.
    Gamma,
    /// Shape k and scale λ.
    Weibull,
}

impl Family {
    /// Every family, in report order.
    pub const ALL: [Family; 4] = [
        Family::Exponential,
        Family::Lognormal,
        Family::Gamma,
        Family::Weibull,
    ];

    /// The name the scenario's `dist` uses.
    pub fn name(self) -> &'static str {
        match self {
            Family::Exponential => "exponential",
            Family::Lognormal => "lognormal",
            Family::Gamma => "gamma",
            Family::Weibull => "weibull",
        }
    }

    fn dims(self) -> usize {
        if self == Family::Exponential { 1 } else { 2 }
    }

    /// The distribution at unconstrained parameters `q` (logarithms, and μ).
    fn dist(self, q: &[f64]) -> Option<Box<dyn Model>> {
        Some(match self {
            Family::Exponential => Box::new(Exp::new((-q[0]).exp()).ok()?),
            Family::Lognormal => Box::new(LogNormal::new(q[0], q[1].exp()).ok()?),
            Family::Gamma => Box::new(Gamma::new(q[0].exp(), (-q[1]).exp()).ok()?),
            Family::Weibull => Box::new(Weibull::new(q[0].exp(), q[1].exp()).ok()?),
        })
    }

    /// The mean at `q`.
    fn mean(self, q: &[f64]) -> f64 {
        match self {
            Family::Exponential => q[0].exp(),
            Family::Lognormal => (q[0] + q[1].exp().powi(2) / 2.0).exp(),
            Family::Gamma => (q[0] + q[1]).exp(),
            Family::Weibull => q[1].exp() * gamma(1.0 + 1.0 / q[0].exp()),
        }
    }

    /// The second parameter the scenario writes (cv, or shape), at `q`.
    fn second(self, q: &[f64]) -> f64 {
        match self {
            Family::Exponential => 1.0,
            Family::Lognormal => (q[1].exp().powi(2).exp_m1()).sqrt(),
            Family::Gamma | Family::Weibull => q[0].exp(),
        }
    }
}

/// What the likelihood needs of a distribution.
trait Model {
    fn ln_density(&self, x: f64) -> f64;
    fn survival(&self, x: f64) -> f64;
    fn below(&self, x: f64) -> f64;
}

impl<D: Continuous<f64, f64> + ContinuousCDF<f64, f64>> Model for D {
    fn ln_density(&self, x: f64) -> f64 {
        self.ln_pdf(x)
    }
    fn survival(&self, x: f64) -> f64 {
        self.sf(x)
    }
    fn below(&self, x: f64) -> f64 {
        self.cdf(x)
    }
}

/// A fitted family.
#[derive(Clone, Debug)]
pub struct Fitted {
    /// Which family.
    pub family: Family,
    /// Its parameters as the scenario writes them: exponential (mean, 1),
    /// lognormal (mean, cv), gamma (shape, scale), Weibull (shape, scale).
    pub params: (f64, f64),
    /// The mean and its 95% interval.
    pub mean: (f64, f64, f64),
    /// The second parameter (cv, or shape) and its 95% interval; `None` for
    /// the exponential.
    pub second: Option<(f64, f64, f64)>,
    /// Akaike's information criterion, 2k − 2 ln L.
    pub aic: f64,
}

/// The fit of one sample.
#[derive(Clone, Debug)]
pub struct Fit {
    /// Every family that could be fitted, in [`Family::ALL`] order.
    pub candidates: Vec<Fitted>,
    /// The index in `candidates` of the lowest AIC.
    pub chosen: usize,
    /// The Kolmogorov–Smirnov distance between the chosen family and the
    /// Kaplan–Meier estimate (the empirical CDF when nothing is censored).
    pub ks: f64,
}

impl Fit {
    /// The chosen family's fit.
    pub fn best(&self) -> &Fitted {
        &self.candidates[self.chosen]
    }

    /// The fit of `family`, if it could be fitted.
    pub fn of(&self, family: Family) -> Option<&Fitted> {
        self.candidates.iter().find(|c| c.family == family)
    }
}

/// Fits every family to `events` (observed durations) and `censored`
/// (durations known only to be longer), in seconds. `None` with fewer than
/// two events or when all events are equal (a fixed duration).
pub fn fit(events: &[f64], censored: &[f64]) -> Option<Fit> {
    let events: Vec<f64> = events.iter().map(|&x| x.max(MIN_DURATION_S)).collect();
    let censored: Vec<f64> = censored.iter().map(|&x| x.max(MIN_DURATION_S)).collect();
    if events.len() < 2 {
        return None;
    }
    let (lo, hi) = events
        .iter()
        .fold((f64::INFINITY, 0.0_f64), |(l, h), &x| (l.min(x), h.max(x)));
    if hi - lo <= 1e-9 * hi {
        return None;
    }
    let candidates: Vec<Fitted> = Family::ALL
        .iter()
        .filter_map(|&f| fit_family(f, &events, &censored))
        .collect();
    let chosen = candidates
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.aic.total_cmp(&b.1.aic))?
        .0;
    let q = unconstrained(&candidates[chosen]);
    let model = candidates[chosen].family.dist(&q)?;
    let ks = ks_distance(&*model, &events, &censored);
    Some(Fit {
        candidates,
        chosen,
        ks,
    })
}

/// The unconstrained parameters of a fitted family.
fn unconstrained(f: &Fitted) -> Vec<f64> {
    let (a, b) = f.params;
    match f.family {
        Family::Exponential => vec![a.ln()],
        Family::Lognormal => {
            let s2 = (1.0 + b * b).ln();
            vec![a.ln() - s2 / 2.0, s2.sqrt().ln()]
        }
        Family::Gamma | Family::Weibull => vec![a.ln(), b.ln()],
    }
}

fn log_likelihood(family: Family, q: &[f64], events: &[f64], censored: &[f64]) -> f64 {
    let Some(d) = family.dist(q) else {
        return f64::NEG_INFINITY;
    };
    let mut ll: f64 = events.iter().map(|&x| d.ln_density(x)).sum();
    ll += censored.iter().map(|&x| d.survival(x).ln()).sum::<f64>();
    if ll.is_nan() { f64::NEG_INFINITY } else { ll }
}

/// A starting point from the moments of the events.
fn start(family: Family, events: &[f64]) -> Vec<f64> {
    let n = events.len() as f64;
    let m = events.iter().sum::<f64>() / n;
    let v = events.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    let cv = (v.sqrt() / m).max(0.05);
    match family {
        Family::Exponential => vec![m.ln()],
        Family::Lognormal => {
            let logs: Vec<f64> = events.iter().map(|x| x.ln()).collect();
            let mu = logs.iter().sum::<f64>() / n;
            let s2 = logs.iter().map(|l| (l - mu).powi(2)).sum::<f64>() / n;
            vec![mu, s2.sqrt().max(1e-3).ln()]
        }
        Family::Gamma => {
            let k = 1.0 / (cv * cv);
            vec![k.ln(), (m / k).ln()]
        }
        Family::Weibull => {
            let k = (1.2 / cv).clamp(0.1, 50.0);
            vec![k.ln(), (m / gamma(1.0 + 1.0 / k)).ln()]
        }
    }
}

fn fit_family(family: Family, events: &[f64], censored: &[f64]) -> Option<Fitted> {
    let nll = |q: &[f64]| -log_likelihood(family, q, events, censored);
    let q = nelder_mead(&nll, &start(family, events));
    let ll = -nll(&q);
    if !ll.is_finite() {
        return None;
    }
    let k = family.dims();
    let cov = covariance(&nll, &q)?;
    let interval = |g: &dyn Fn(&[f64]) -> f64| -> (f64, f64, f64) {
        // Delta method on the logarithm, so the interval stays positive.
        let value = g(&q);
        let grad = gradient(&|p: &[f64]| g(p).ln(), &q);
        let var: f64 = (0..k)
            .flat_map(|i| (0..k).map(move |j| (i, j)))
            .map(|(i, j)| grad[i] * cov[i][j] * grad[j])
            .sum();
        let half = Z_975 * var.max(0.0).sqrt();
        (value, value * (-half).exp(), value * half.exp())
    };
    let mean = interval(&|p| family.mean(p));
    let second = (k == 2).then(|| interval(&|p| family.second(p)));
    let params = match family {
        Family::Exponential => (q[0].exp(), 1.0),
        Family::Lognormal => (family.mean(&q), family.second(&q)),
        Family::Gamma | Family::Weibull => (q[0].exp(), q[1].exp()),
    };
    if !(mean.0.is_finite() && params.0.is_finite() && params.1.is_finite()) {
        return None;
    }
    Some(Fitted {
        family,
        params,
        mean,
        second,
        aic: 2.0 * k as f64 - 2.0 * ll,
    })
}

/// Minimises `f` from `x0` by Nelder and Mead's simplex (one or two
/// dimensions here; no crate at hand does this without a linear-algebra
/// stack).
fn nelder_mead(f: &dyn Fn(&[f64]) -> f64, x0: &[f64]) -> Vec<f64> {
    let n = x0.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = (0..=n)
        .map(|i| {
            let mut x = x0.to_vec();
            if i > 0 {
                x[i - 1] += 0.5;
            }
            let v = f(&x);
            (x, v)
        })
        .collect();
    let value = |v: f64| if v.is_nan() { f64::INFINITY } else { v };
    for _ in 0..2000 {
        simplex.sort_by(|a, b| value(a.1).total_cmp(&value(b.1)));
        let (best, worst) = (value(simplex[0].1), value(simplex[n].1));
        let spread = simplex
            .iter()
            .flat_map(|(x, _)| x.iter().zip(&simplex[0].0).map(|(a, b)| (a - b).abs()))
            .fold(0.0_f64, f64::max);
        if (worst - best).abs() <= 1e-12 * (1.0 + best.abs()) && spread < 1e-9 {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|(x, _)| x[j]).sum::<f64>() / n as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&simplex[n].0)
                .map(|(c, w)| c + t * (c - w))
                .collect()
        };
        let reflected = along(1.0);
        let fr = value(f(&reflected));
        if fr < best {
            let expanded = along(2.0);
            let fe = value(f(&expanded));
            simplex[n] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < value(simplex[n - 1].1) {
            simplex[n] = (reflected, fr);
        } else {
            let contracted = along(if fr < worst { 0.5 } else { -0.5 });
            let fc = value(f(&contracted));
            if fc < worst.min(fr) {
                simplex[n] = (contracted, fc);
            } else {
                let best_x = simplex[0].0.clone();
                for (x, v) in simplex.iter_mut().skip(1) {
                    for (xi, bi) in x.iter_mut().zip(&best_x) {
                        *xi = bi + 0.5 * (*xi - bi);
                    }
                    *v = value(f(x));
                }
            }
        }
    }
    simplex.sort_by(|a, b| value(a.1).total_cmp(&value(b.1)));
    simplex.swap_remove(0).0
}

const STEP: f64 = 1e-4;

fn gradient(f: &dyn Fn(&[f64]) -> f64, q: &[f64]) -> Vec<f64> {
    (0..q.len())
        .map(|i| {
            let (mut up, mut down) = (q.to_vec(), q.to_vec());
            up[i] += STEP;
            down[i] -= STEP;
            (f(&up) - f(&down)) / (2.0 * STEP)
        })
        .collect()
}

/// The inverse of the observed information (the Hessian of the negative
/// log-likelihood at its minimum), by central differences.
fn covariance(nll: &dyn Fn(&[f64]) -> f64, q: &[f64]) -> Option<Vec<Vec<f64>>> {
    let k = q.len();
    let at = |di: usize, si: f64, dj: usize, sj: f64| {
        let mut p = q.to_vec();
        p[di] += si * STEP;
        p[dj] += sj * STEP;
        nll(&p)
    };
    let mut h = vec![vec![0.0; k]; k];
    for (i, row) in h.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = (at(i, 1.0, j, 1.0) - at(i, 1.0, j, -1.0) - at(i, -1.0, j, 1.0)
                + at(i, -1.0, j, -1.0))
                / (4.0 * STEP * STEP);
        }
    }
    let inverse = if k == 1 {
        vec![vec![1.0 / h[0][0]]]
    } else {
        let det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
        if det <= 0.0 {
            return None;
        }
        vec![
            vec![h[1][1] / det, -h[0][1] / det],
            vec![-h[1][0] / det, h[0][0] / det],
        ]
    };
    (inverse[0][0] > 0.0 && inverse.iter().flatten().all(|v| v.is_finite())).then_some(inverse)
}

/// The largest distance between `model`'s CDF and the Kaplan–Meier estimate
/// of the sample, on either side of each event time.
fn ks_distance(model: &dyn Model, events: &[f64], censored: &[f64]) -> f64 {
    let mut all: Vec<(f64, bool)> = events
        .iter()
        .map(|&x| (x, true))
        .chain(censored.iter().map(|&x| (x, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut at_risk = all.len() as f64;
    let mut survival = 1.0;
    let mut d: f64 = 0.0;
    let mut i = 0;
    while i < all.len() {
        let x = all[i].0;
        let (mut died, mut gone) = (0.0, 0.0);
        while i < all.len() && all[i].0 == x {
            if all[i].1 {
                died += 1.0;
            }
            gone += 1.0;
            i += 1;
        }
        if died > 0.0 {
            let before = 1.0 - survival;
            survival *= 1.0 - died / at_risk;
            let f = model.below(x);
            d = d.max((f - before).abs()).max((1.0 - survival - f).abs());
        }
        at_risk -= gone;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::Distribution;

    #[test]
    fn lognormal_sample_is_recognised_and_its_mean_covered() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(3);
        // mean 90 s, cv 0.5: σ² = ln 1.25.
        let s2: f64 = 1.25_f64.ln();
        let d = rand_distr::LogNormal::new(90f64.ln() - s2 / 2.0, s2.sqrt()).unwrap();
        let xs: Vec<f64> = (0..3000).map(|_| d.sample(&mut rng)).collect();
        let fit = fit(&xs, &[]).unwrap();
        let best = fit.best();
        assert_eq!(best.family, Family::Lognormal);
        assert!(best.mean.1 < 90.0 && 90.0 < best.mean.2, "{:?}", best.mean);
        let cv = best.second.unwrap();
        assert!(cv.1 < 0.5 && 0.5 < cv.2, "{cv:?}");
        assert!(fit.ks < 0.03, "{}", fit.ks);
    }

    #[test]
    fn censored_weibull_recovers_its_shape() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(5);
        let d = rand_distr::Weibull::new(100.0, 2.0).unwrap();
        let (mut events, mut censored) = (vec![], vec![]);
        for _ in 0..3000 {
            let x: f64 = d.sample(&mut rng);
            if x < 100.0 {
                events.push(x);
            } else {
                censored.push(100.0);
            }
        }
        let w = fit(&events, &censored).unwrap();
        let w = w.of(Family::Weibull).unwrap();
        let shape = w.second.unwrap();
        assert!(shape.1 < 2.0 && 2.0 < shape.2, "{shape:?}");
        assert!((w.params.1 / 100.0 - 1.0).abs() < 0.05, "{:?}", w.params);
    }

    #[test]
    fn equal_durations_are_not_fitted() {
        assert!(fit(&[5.0, 5.0, 5.0], &[]).is_none());
        assert!(fit(&[5.0], &[]).is_none());
    }
}
