//! Maximum-likelihood fits of a duration sample, right-censored or not:
//! exponential, lognormal, gamma and Weibull, chosen by AIC, with 95%
//! intervals from the observed information and a Kolmogorov–Smirnov
//! distance to the Kaplan–Meier estimate.

use super::interval::Z_975;
use statrs::distribution::{ContinuousCDF, Exp, Gamma, LogNormal, Weibull};
use statrs::function::erf::erfc;
use statrs::function::gamma::{checked_gamma_ur, digamma, gamma, ln_gamma};

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

/// What the KS distance and the report need of a distribution: its CDF.
trait Model {
    fn below(&self, x: f64) -> f64;
}

impl<D: ContinuousCDF<f64, f64>> Model for D {
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

impl Fitted {
    /// The fitted CDF at `x` seconds (NaN if the family cannot be built
    /// from the parameters, which a fit never leaves).
    pub fn cdf(&self, x: f64) -> f64 {
        self.family
            .dist(&unconstrained(self))
            .map_or(f64::NAN, |d| d.below(x))
    }
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
    /// That estimate: at each distinct event time, the estimated
    /// probability of a duration at or below it, in time order.
    pub km: Vec<(f64, f64)>,
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

    /// The Kolmogorov–Smirnov distance between `fitted` (any family, not
    /// only a candidate) and the Kaplan–Meier estimate [`Fit::km`], on
    /// either side of each event time: [`Fit::ks`] for the chosen family.
    pub fn ks_of(&self, fitted: &Fitted) -> f64 {
        let mut before = 0.0;
        self.km.iter().fold(0.0_f64, |d, &(x, after)| {
            let f = fitted.cdf(x);
            let d = d.max((f - before).abs()).max((after - f).abs());
            before = after;
            d
        })
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
    let prepared = Prepared::new(&events, censored);
    let candidates: Vec<Fitted> = Family::ALL
        .iter()
        .filter_map(|&f| fit_family(f, &prepared))
        .collect();
    let chosen = candidates
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.aic.total_cmp(&b.1.aic))?
        .0;
    let q = unconstrained(&candidates[chosen]);
    let model = candidates[chosen].family.dist(&q)?;
    let km = kaplan_meier(&events, &prepared.censored);
    let ks = ks_distance(&*model, &km);
    Some(Fit {
        candidates,
        chosen,
        ks,
        km: km.into_iter().map(|s| (s.x, s.after)).collect(),
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

/// A sample as the likelihoods read it: each duration's logarithm taken
/// once, and the sums that stand for the events wherever a family's
/// likelihood of them depends on sums alone (exponential: Σx; lognormal:
/// Σ ln x and Σ (ln x)²; gamma: Σx and Σ ln x). Only the Weibull's x^k
/// and the censored durations' survival terms are summed one by one.
struct Prepared {
    /// ln x of each event.
    ln_events: Vec<f64>,
    /// The censored durations and their logarithms.
    censored: Vec<f64>,
    ln_censored: Vec<f64>,
    /// The number of events.
    n: f64,
    /// Σx over the events.
    sum_x: f64,
    /// The mean of ln x over the events.
    mean_ln: f64,
    /// Σ (ln x − mean_ln)² over the events, taken about the mean so that
    /// no digits cancel.
    ssd_ln: f64,
    /// The events' coefficient of variation (at least 0.05), for a
    /// starting point.
    cv: f64,
    /// Σx over the censored durations.
    sum_censored: f64,
    /// The largest ln x of all durations: the Weibull's x^k is summed as
    /// e^{k (ln x − max_ln)} ≤ 1, so it cannot overflow.
    max_ln: f64,
}

impl Prepared {
    fn new(events: &[f64], censored: Vec<f64>) -> Prepared {
        let ln_events: Vec<f64> = events.iter().map(|x| x.ln()).collect();
        let ln_censored: Vec<f64> = censored.iter().map(|x| x.ln()).collect();
        let n = events.len() as f64;
        let mean_ln = ln_events.iter().sum::<f64>() / n;
        let ssd_ln = ln_events.iter().map(|l| (l - mean_ln).powi(2)).sum();
        let max_ln = ln_events
            .iter()
            .chain(&ln_censored)
            .fold(f64::NEG_INFINITY, |m, &l| m.max(l));
        let sum_x: f64 = events.iter().sum();
        let m = sum_x / n;
        let var = events.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
        Prepared {
            n,
            sum_x,
            cv: (var.sqrt() / m).max(0.05),
            mean_ln,
            ssd_ln,
            sum_censored: censored.iter().sum(),
            max_ln,
            ln_events,
            censored,
            ln_censored,
        }
    }

    fn is_censored(&self) -> bool {
        !self.censored.is_empty()
    }

    /// The mean of the events.
    fn mean(&self) -> f64 {
        self.sum_x / self.n
    }
}

/// The negative log-likelihood of `family` at unconstrained parameters
/// `q` (logarithms, and μ): the density of each event and the survival
/// function of each censored duration, as statrs defines them, summed in
/// closed form where sums suffice. +∞ where the parameters are out of
/// range or the likelihood is not a number.
fn nll(family: Family, q: &[f64], p: &Prepared) -> f64 {
    let n = p.n;
    let v = match family {
        Family::Exponential => {
            let rate = (-q[0]).exp();
            if !(rate > 0.0 && rate.is_finite()) {
                return f64::INFINITY;
            }
            n * q[0] + rate * (p.sum_x + p.sum_censored)
        }
        Family::Lognormal => {
            let (mu, sigma) = (q[0], q[1].exp());
            if !(sigma > 0.0 && sigma.is_finite() && mu.is_finite()) {
                return f64::INFINITY;
            }
            let squares = p.ssd_ln + n * (p.mean_ln - mu).powi(2);
            let events = n * (LN_SQRT_2PI + p.mean_ln + q[1]) + squares / (2.0 * sigma * sigma);
            let scale = sigma * std::f64::consts::SQRT_2;
            let censored: f64 = p
                .ln_censored
                .iter()
                .map(|&l| (0.5 * erfc((l - mu) / scale)).ln())
                .sum();
            events - censored
        }
        Family::Gamma => {
            let (shape, rate) = (q[0].exp(), (-q[1]).exp());
            if !(shape > 0.0 && shape.is_finite() && rate > 0.0 && rate.is_finite()) {
                return f64::INFINITY;
            }
            let events = -(n * shape * -q[1] + (shape - 1.0) * n * p.mean_ln
                - rate * p.sum_x
                - n * ln_gamma(shape));
            let censored: f64 = p
                .censored
                .iter()
                .map(|&c| checked_gamma_ur(shape, c * rate).map_or(f64::NAN, f64::ln))
                .sum();
            events - censored
        }
        Family::Weibull => {
            let (shape, ln_scale) = (q[0].exp(), q[1]);
            if !(shape > 0.0 && shape.is_finite() && ln_scale.is_finite()) {
                return f64::INFINITY;
            }
            // Σ (x/λ)^k over events and censored durations alike: the
            // density's last term and the survival function's logarithm.
            let powers: f64 = p
                .ln_events
                .iter()
                .chain(&p.ln_censored)
                .map(|&l| (shape * (l - ln_scale)).exp())
                .sum();
            -(n * q[0] - n * shape * ln_scale + (shape - 1.0) * n * p.mean_ln) + powers
        }
    };
    if v.is_nan() { f64::INFINITY } else { v }
}

/// ln √(2π).
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// A starting point from the moments of the events.
fn start(family: Family, p: &Prepared) -> Vec<f64> {
    let (m, cv) = (p.mean(), p.cv);
    match family {
        Family::Exponential => vec![m.ln()],
        Family::Lognormal => vec![p.mean_ln, (p.ssd_ln / p.n).sqrt().max(1e-3).ln()],
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

/// The maximum of the likelihood: in closed form or by a one-dimensional
/// Newton iteration where the family allows (every exponential; the
/// lognormal and the gamma without censoring; every Weibull, its scale
/// profiled out), else by Nelder and Mead's simplex.
fn optimum(family: Family, p: &Prepared) -> Vec<f64> {
    let closed = match family {
        Family::Exponential => Some(vec![((p.sum_x + p.sum_censored) / p.n).ln()]),
        Family::Lognormal if !p.is_censored() => {
            Some(vec![p.mean_ln, (p.ssd_ln / p.n).sqrt().ln()])
        }
        Family::Gamma if !p.is_censored() => {
            gamma_shape(p).map(|k| vec![k.ln(), (p.mean() / k).ln()])
        }
        Family::Weibull => weibull_shape(p).map(|k| {
            let (s0, _, _) = weibull_moments(p, k);
            // λ^k = Σ x^k / n.
            vec![k.ln(), p.max_ln + (s0.ln() - p.n.ln()) / k]
        }),
        _ => None,
    };
    let closed = closed.filter(|q| q.iter().all(|v| v.is_finite()));
    closed.unwrap_or_else(|| nelder_mead(&|q: &[f64]| nll(family, q, p), &start(family, p)))
}

/// The gamma's shape at the maximum without censoring: the root of
/// ln k − ψ(k) = ln x̄ − mean(ln x), from Minka's approximation
/// ("Estimating a Gamma distribution", 2002) polished by Newton's method.
fn gamma_shape(p: &Prepared) -> Option<f64> {
    let s = p.mean().ln() - p.mean_ln;
    if !(s > 0.0 && s.is_finite()) {
        return None;
    }
    let k0 = (3.0 - s + ((s - 3.0).powi(2) + 24.0 * s).sqrt()) / (12.0 * s);
    // In u = ln k: h(u) = ln k − ψ(k) − s falls from +∞ to −s.
    let u = decreasing_root(
        |u| {
            let k = u.exp();
            (k.ln() - digamma(k) - s, 1.0 - k * trigamma(k))
        },
        k0.ln(),
    )?;
    Some(u.exp())
}

/// Σ w, Σ w y and Σ w y² over all durations, with y = ln x − max_ln and
/// w = e^{k y}: x^k and its derivatives in k, scaled by e^{−k max_ln}.
fn weibull_moments(p: &Prepared, k: f64) -> (f64, f64, f64) {
    p.ln_events
        .iter()
        .chain(&p.ln_censored)
        .fold((0.0, 0.0, 0.0), |(s0, s1, s2), &l| {
            let y = l - p.max_ln;
            let w = (k * y).exp();
            (s0 + w, s1 + w * y, s2 + w * y * y)
        })
}

/// The Weibull's shape at the maximum, censored or not: with the scale
/// profiled out (λ^k = Σ x^k / n, the sum over events and censored
/// durations), the score in k is n/k + Σ_events ln x − n Σ x^k ln x / Σ x^k,
/// which falls strictly (the profile likelihood is concave), so Newton's
/// method in ln k, kept inside a bracket, finds its one root.
fn weibull_shape(p: &Prepared) -> Option<f64> {
    let k0 = (1.2 / p.cv).clamp(0.1, 50.0);
    let u = decreasing_root(
        |u| {
            let k = u.exp();
            let (s0, s1, s2) = weibull_moments(p, k);
            let (m1, m2) = (s1 / s0, s2 / s0);
            // Divided by n: the root is the same, the numbers smaller.
            let score = 1.0 / k + (p.mean_ln - p.max_ln) - m1;
            let slope = -1.0 / (k * k) - (m2 - m1 * m1);
            (score, k * slope)
        },
        k0.ln(),
    )?;
    Some(u.exp())
}

/// The root of a strictly decreasing `h` (returning its value and
/// derivative) from `u0`: a bracket is found by steps that double, then
/// Newton's method runs inside it, bisecting whenever a step would leave
/// it. `None` when no bracket is found or the values are not numbers.
fn decreasing_root(h: impl Fn(f64) -> (f64, f64), u0: f64) -> Option<f64> {
    let (mut lo, mut hi) = (u0, u0);
    let (v0, _) = h(u0);
    if v0.is_nan() {
        return None;
    }
    let mut step = 1.0;
    if v0 > 0.0 {
        // The root lies above.
        loop {
            hi += step;
            let (v, _) = h(hi);
            if v.is_nan() || step > 64.0 {
                return None;
            }
            if v <= 0.0 {
                break;
            }
            lo = hi;
            step *= 2.0;
        }
    } else {
        loop {
            lo -= step;
            let (v, _) = h(lo);
            if v.is_nan() || step > 64.0 {
                return None;
            }
            if v >= 0.0 {
                break;
            }
            hi = lo;
            step *= 2.0;
        }
    }
    let mut u = u0.clamp(lo, hi);
    for _ in 0..200 {
        let (v, d) = h(u);
        if v.is_nan() {
            return None;
        }
        if v == 0.0 {
            return Some(u);
        }
        if v > 0.0 {
            lo = u;
        } else {
            hi = u;
        }
        let newton = u - v / d;
        let next = if newton.is_finite() && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - u).abs() <= 1e-14 * (1.0 + u.abs()) || hi - lo <= 1e-14 * (1.0 + u.abs()) {
            return Some(next);
        }
        u = next;
    }
    Some(u)
}

/// The trigamma function ψ′(x), for x > 0: the recurrence
/// ψ′(x) = ψ′(x + 1) + 1/x² up to x ≥ 10, then the asymptotic series.
/// Only Newton's steps use it, so its accuracy (about 1e-12) sets the
/// speed of convergence, not the root.
fn trigamma(x: f64) -> f64 {
    let (mut x, mut acc) = (x, 0.0);
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let r = 1.0 / (x * x);
    acc + 1.0 / x + r / 2.0 + r / x * (1.0 / 6.0 - r * (1.0 / 30.0 - r * (1.0 / 42.0 - r / 30.0)))
}

fn fit_family(family: Family, p: &Prepared) -> Option<Fitted> {
    let nll = |q: &[f64]| nll(family, q, p);
    let q = optimum(family, p);
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

/// One step of the Kaplan–Meier estimate: at `x`, the estimated
/// probability of a duration at or below it, just before and at `x`.
struct KmStep {
    x: f64,
    before: f64,
    after: f64,
}

/// The Kaplan–Meier estimate of the CDF (the empirical CDF when nothing is
/// censored): one step per distinct event time.
fn kaplan_meier(events: &[f64], censored: &[f64]) -> Vec<KmStep> {
    let mut all: Vec<(f64, bool)> = events
        .iter()
        .map(|&x| (x, true))
        .chain(censored.iter().map(|&x| (x, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut at_risk = all.len() as f64;
    let mut survival = 1.0;
    let mut steps = vec![];
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
            steps.push(KmStep {
                x,
                before,
                after: 1.0 - survival,
            });
        }
        at_risk -= gone;
    }
    steps
}

/// The largest distance between `model`'s CDF and the Kaplan–Meier
/// estimate, on either side of each event time.
fn ks_distance(model: &dyn Model, km: &[KmStep]) -> f64 {
    km.iter().fold(0.0_f64, |d, s| {
        let f = model.below(s.x);
        d.max((f - s.before).abs()).max((s.after - f).abs())
    })
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

    /// The likelihood as statrs defines it, summed duration by duration:
    /// what the sums and closed forms of [`nll`] stand for.
    fn reference_nll(family: Family, q: &[f64], events: &[f64], censored: &[f64]) -> f64 {
        use statrs::distribution::{Continuous, Exp, Gamma, LogNormal, Weibull};
        let terms = |ln_pdf: &dyn Fn(f64) -> f64, sf: &dyn Fn(f64) -> f64| {
            -(events.iter().map(|&x| ln_pdf(x)).sum::<f64>()
                + censored.iter().map(|&x| sf(x).ln()).sum::<f64>())
        };
        let v = match family {
            Family::Exponential => {
                let Ok(d) = Exp::new((-q[0]).exp()) else {
                    return f64::INFINITY;
                };
                terms(&|x| d.ln_pdf(x), &|x| d.sf(x))
            }
            Family::Lognormal => {
                let Ok(d) = LogNormal::new(q[0], q[1].exp()) else {
                    return f64::INFINITY;
                };
                terms(&|x| d.ln_pdf(x), &|x| d.sf(x))
            }
            Family::Gamma => {
                let Ok(d) = Gamma::new(q[0].exp(), (-q[1]).exp()) else {
                    return f64::INFINITY;
                };
                terms(&|x| d.ln_pdf(x), &|x| d.sf(x))
            }
            Family::Weibull => {
                let Ok(d) = Weibull::new(q[0].exp(), q[1].exp()) else {
                    return f64::INFINITY;
                };
                terms(&|x| d.ln_pdf(x), &|x| d.sf(x))
            }
        };
        if v.is_nan() { f64::INFINITY } else { v }
    }

    #[test]
    fn sums_and_closed_forms_agree_with_the_likelihood_summed_one_by_one() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(9);
        let d = rand_distr::Gamma::new(2.5, 40.0).unwrap();
        let xs: Vec<f64> = (0..2000).map(|_| d.sample(&mut rng)).collect();
        // Uncensored, and censored at 150 s (about a fifth of them).
        let (mut events, mut censored) = (vec![], vec![]);
        for &x in &xs {
            if x < 150.0 {
                events.push(x);
            } else {
                censored.push(150.0);
            }
        }
        for (events, censored) in [(&xs, &vec![]), (&events, &censored)] {
            let p = Prepared::new(events, censored.clone());
            for family in Family::ALL {
                // The same function at an arbitrary point and at the optimum.
                let q0 = start(family, &p);
                let (fast, slow) = (
                    nll(family, &q0, &p),
                    reference_nll(family, &q0, events, censored),
                );
                assert!(
                    (fast - slow).abs() <= 1e-9 * slow.abs(),
                    "{family:?}: {fast} vs {slow}"
                );
                // The fast optimum is the simplex's on the reference.
                let q = optimum(family, &p);
                let reference =
                    nelder_mead(&|q: &[f64]| reference_nll(family, q, events, censored), &q0);
                for (a, b) in q.iter().zip(&reference) {
                    assert!(
                        (a - b).abs() <= 1e-6 * (1.0 + b.abs()),
                        "{family:?} censored {}: {q:?} vs {reference:?}",
                        censored.len()
                    );
                }
            }
        }
    }

    #[test]
    fn trigamma_matches_known_values() {
        // ψ′(1) = π²/6, ψ′(1/2) = π²/2.
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-10);
        assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-10);
        assert!((trigamma(1e4) - 1.000_050_001_666_6e-4).abs() < 1e-14);
    }

    #[test]
    fn the_distance_of_the_chosen_family_is_the_fit_s() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
        let d = rand_distr::Gamma::new(2.0, 30.0).unwrap();
        let xs: Vec<f64> = (0..500).map(|_| d.sample(&mut rng)).collect();
        let (events, censored): (Vec<f64>, Vec<f64>) = xs.iter().partition(|&&x| x < 100.0);
        let censored: Vec<f64> = censored.iter().map(|_| 100.0).collect();
        for (e, c) in [(&xs, &vec![]), (&events, &censored)] {
            let f = fit(e, c).unwrap();
            assert_eq!(f.ks_of(f.best()), f.ks);
            // Another family is further from the sample.
            let other = f.of(Family::Exponential).unwrap();
            assert!(f.ks_of(other) > f.ks, "{} vs {}", f.ks_of(other), f.ks);
        }
    }

    #[test]
    fn equal_durations_are_not_fitted() {
        assert!(fit(&[5.0, 5.0, 5.0], &[]).is_none());
        assert!(fit(&[5.0], &[]).is_none());
    }
}
