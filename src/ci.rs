//! Statistics across independent replications: mean, standard deviation,
//! Student-t confidence intervals (95%, as every `_ci` file gives them, or
//! at any level, as `fleetsim plan --confidence` asks), the Student t
//! distribution at fractional degrees of freedom (Welch's interval of a
//! difference, `fleetsim compare`) and empirical quantiles.

use serde::Serialize;

/// Two-sided 95% Student t quantiles t(0.975, df) for df = 1..=30.
const T_975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// t(0.975, df): tabled up to 30 degrees of freedom, beyond by the
/// Cornish–Fisher expansion around the normal quantile 1.959964, whose error
/// there is below 1e-4.
pub fn t_975(df: u64) -> f64 {
    match df {
        0 => f64::NAN,
        1..=30 => T_975[df as usize - 1],
        _ => {
            let z: f64 = 1.959_963_985;
            let n = df as f64;
            let g1 = (z.powi(3) + z) / 4.0;
            let g2 = (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / 96.0;
            let g3 = (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / 384.0;
            z + g1 / n + g2 / (n * n) + g3 / (n * n * n)
        }
    }
}

/// The two-sided Student t quantile at `confidence`: the t with
/// P(|T| ≤ t) = `confidence` for `df` degrees of freedom, so that
/// mean ± t·sd/√n is a `confidence` interval of the mean. At 0.95 it is
/// [`t_975`], the value every `_ci` file uses; at any other level it is
/// found by bisection on the exact distribution function of T, which for
/// whole degrees of freedom is a finite sum (Abramowitz and Stegun 26.7.3
/// and 26.7.4). `confidence` must lie strictly between 0 and 1.
pub fn t_two_sided(confidence: f64, df: u64) -> f64 {
    if confidence == 0.95 {
        return t_975(df);
    }
    if df == 0 {
        return f64::NAN;
    }
    // P(|T| ≤ √df·tan θ) rises from 0 to 1 as θ goes from 0 to π/2.
    let (mut lo, mut hi) = (0.0, std::f64::consts::FRAC_PI_2);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if t_within(mid, df) < confidence {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (df as f64).sqrt() * (0.5 * (lo + hi)).tan()
}

/// P(|T| ≤ √df·tan θ) for Student's T with `df` ≥ 1 degrees of freedom.
fn t_within(theta: f64, df: u64) -> f64 {
    let (s, c) = theta.sin_cos();
    let c2 = c * c;
    if df.is_multiple_of(2) {
        // sin θ·(1 + ½cos²θ + (1·3)/(2·4)cos⁴θ + … up to cos^(df−2)θ)
        let (mut term, mut sum) = (1.0, 1.0);
        for j in 1..df / 2 {
            term *= (2 * j - 1) as f64 / (2 * j) as f64 * c2;
            sum += term;
        }
        s * sum
    } else {
        // (2/π)·(θ + sin θ·(cos θ + ⅔cos³θ + … up to cos^(df−2)θ)),
        // 2θ/π for one degree of freedom.
        let mut sum = 0.0;
        if df > 1 {
            let mut term = c;
            sum = c;
            for j in 1..(df - 1) / 2 {
                term *= (2 * j) as f64 / (2 * j + 1) as f64 * c2;
                sum += term;
            }
        }
        std::f64::consts::FRAC_2_PI * (theta + s * sum)
    }
}

/// The two-sided Student t quantile at `confidence` for `df` degrees of
/// freedom, whole or fractional (Welch–Satterthwaite gives fractional
/// ones): the t with P(|T| ≤ t) = `confidence`, computed to full precision
/// from the regularized incomplete beta function, since
/// P(|T| > t) = I_x(df/2, 1/2) with x = df / (df + t²). Unlike
/// [`t_975`] it is not rounded to a table's three decimals. NaN unless
/// `df` > 0 and `confidence` lies strictly between 0 and 1.
pub fn t_quantile(confidence: f64, df: f64) -> f64 {
    if !(df > 0.0 && df.is_finite() && confidence > 0.0 && confidence < 1.0) {
        return f64::NAN;
    }
    // I_x(df/2, 1/2) rises from 0 to 1 with x; find the x where it is
    // 1 − confidence, by bisection to the last bit.
    let (a, tail) = (0.5 * df, 1.0 - confidence);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..2000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if incomplete_beta(a, 0.5, mid) < tail {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let x = 0.5 * (lo + hi);
    (df * (1.0 - x) / x).sqrt()
}

/// The two-sided tail P(|T| > t) of Student's T with `df` > 0 degrees of
/// freedom, whole or fractional: the p-value of a two-sided t test.
pub fn t_two_tailed(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    incomplete_beta(0.5 * df, 0.5, df / (df + t * t))
}

/// Welch–Satterthwaite degrees of freedom of the difference of two means,
/// from each sample's variance of the mean (s²/n) and size:
/// (va + vb)² / (va²/(na − 1) + vb²/(nb − 1)). NaN when both variances
/// are 0 (the difference is then known exactly) or a sample has fewer
/// than 2 observations.
pub fn welch_df(var_mean_a: f64, n_a: u64, var_mean_b: f64, n_b: u64) -> f64 {
    if n_a < 2 || n_b < 2 {
        return f64::NAN;
    }
    let (va, vb) = (var_mean_a, var_mean_b);
    let denominator = va * va / (n_a - 1) as f64 + vb * vb / (n_b - 1) as f64;
    if denominator > 0.0 {
        (va + vb).powi(2) / denominator
    } else {
        f64::NAN
    }
}

/// ln Γ(x) for x > 0: Lanczos' approximation (g = 7, 9 terms), with a
/// relative error near 1e-15.
fn ln_gamma(x: f64) -> f64 {
    const COEFFICIENTS: [f64; 9] = [
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
        // Reflection: Γ(x)Γ(1 − x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let mut sum = COEFFICIENTS[0];
    for (i, c) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The regularized incomplete beta function I_x(a, b), for a, b > 0 and
/// x in [0, 1]: its continued fraction (Numerical Recipes §6.4, evaluated
/// by Lentz's method), on the side of x where it converges fast.
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// The continued fraction of I_x(a, b), to a relative 1e-16 (it takes a
/// few dozen terms where it is used; at most 10,000 are taken).
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=10_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        // The even step, then the odd one.
        for aa in [
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ] {
            d = 1.0 + aa * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + aa / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// Mean, sample standard deviation and 95% confidence interval of the mean.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// Number of observations.
    pub n: u64,
    /// Their mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 in the denominator); NaN for one
    /// observation.
    pub sd: f64,
    /// Lower end of the 95% Student-t interval of the mean; NaN for one
    /// observation.
    pub ci95_low: f64,
    /// Upper end of that interval; NaN for one observation.
    pub ci95_high: f64,
}

impl Estimate {
    /// The estimate from independent observations; `None` when there are none.
    /// With one observation the deviation and interval are undefined (NaN).
    pub fn of(xs: &[f64]) -> Option<Estimate> {
        if xs.is_empty() {
            return None;
        }
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let sd = if xs.len() > 1 {
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
            var.sqrt()
        } else {
            f64::NAN
        };
        let mut e = Estimate {
            n: xs.len() as u64,
            mean,
            sd,
            ci95_low: f64::NAN,
            ci95_high: f64::NAN,
        };
        let half = e.half_width(0.95);
        (e.ci95_low, e.ci95_high) = (mean - half, mean + half);
        Some(e)
    }

    /// Half the width of the Student-t interval of the mean at
    /// `confidence` (0.95: the `ci95_*` interval); NaN for one observation.
    pub fn half_width(&self, confidence: f64) -> f64 {
        if self.n < 2 {
            return f64::NAN;
        }
        t_two_sided(confidence, self.n - 1) * self.sd / (self.n as f64).sqrt()
    }
}

/// The `q`-quantile of `xs` with linear interpolation between order
/// statistics (Hyndman–Fan type 7, the default of R and NumPy).
/// `xs` must not be empty; it is sorted in place.
pub fn quantile(xs: &mut [f64], q: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    let h = (xs.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    xs[lo] + (h - lo as f64) * (xs[hi] - xs[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_join_the_table_smoothly() {
        assert_eq!(t_975(9), 2.262);
        // Published values: t(0.975, 40) = 2.021, 60 → 2.000, 120 → 1.980.
        for (df, t) in [(40, 2.0211), (60, 2.0003), (120, 1.9799), (1000, 1.9623)] {
            assert!((t_975(df) - t).abs() < 2e-4, "df {df}: {}", t_975(df));
        }
    }

    #[test]
    fn t_quantiles_at_any_level_are_the_published_ones() {
        // Published two-sided values: 99% (t(0.995, df)), 90% (t(0.95, df)),
        // 80% (t(0.90, df)).
        for (confidence, df, t) in [
            (0.99, 1, 63.657),
            (0.99, 2, 9.925),
            (0.99, 5, 4.032),
            (0.99, 10, 3.169),
            (0.99, 30, 2.750),
            (0.90, 1, 6.314),
            (0.90, 4, 2.132),
            (0.90, 9, 1.833),
            (0.90, 40, 1.684),
            (0.80, 3, 1.638),
            (0.80, 120, 1.289),
        ] {
            let got = t_two_sided(confidence, df);
            assert!(
                (got - t).abs() < 1e-3 * t.max(1.0),
                "{confidence} at df {df}: {got}, published {t}"
            );
        }
        // The bisection agrees with the 95% table it stands in for.
        for df in 1..=30u64 {
            let exact = t_two_sided(0.950_000_000_001, df);
            assert!((exact - t_975(df)).abs() < 1e-3, "df {df}: {exact}");
        }
        assert_eq!(t_two_sided(0.95, 7), t_975(7));
    }

    #[test]
    fn t_quantiles_at_fractional_degrees_of_freedom() {
        // Whole degrees of freedom: the exact finite sums of t_two_sided.
        for df in 1..=60u64 {
            let exact = t_two_sided(0.950_000_000_001, df);
            let got = t_quantile(0.95, df as f64);
            assert!((got - exact).abs() < 1e-9, "df {df}: {got} against {exact}");
        }
        for (confidence, df) in [(0.99, 3u64), (0.9, 12), (0.8, 40)] {
            let got = t_quantile(confidence, df as f64);
            let exact = t_two_sided(confidence, df);
            assert!((got - exact).abs() < 1e-9, "{confidence} df {df}: {got}");
        }
        // Fractional ones, against the density integrated numerically
        // (Simpson's rule, 20,000 intervals, in Python), an independent
        // computation: t(0.975, 2.5) = 3.574655, t(0.975, 9.2085) =
        // 2.254373, t(0.975, 17.5) = 2.105233.
        for (df, t) in [(2.5, 3.574_655), (9.2085, 2.254_373), (17.5, 2.105_233)] {
            let got = t_quantile(0.95, df);
            assert!((got - t).abs() < 2e-6, "df {df}: {got}, integrated {t}");
        }
        // Between the whole degrees of freedom on either side.
        let (t9, t10) = (t_quantile(0.95, 9.0), t_quantile(0.95, 10.0));
        let t95 = t_quantile(0.95, 9.5);
        assert!(t10 < t95 && t95 < t9, "{t10} < {t95} < {t9}");
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(t_quantile(0.95, bad).is_nan(), "df {bad}");
        }
        assert!(t_quantile(1.0, 5.0).is_nan() && t_quantile(0.0, 5.0).is_nan());
    }

    #[test]
    fn welch_reproduces_the_published_examples() {
        // The three examples of Welch's t-test on Wikipedia ("Welch's
        // t-test", Examples), which publish t, the Welch–Satterthwaite
        // degrees of freedom and the two-sided p-value.
        let a1 = [
            27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7,
            21.4,
        ];
        let a2 = [
            27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5,
            24.4,
        ];
        let b1 = [17.2, 20.9, 22.6, 18.1, 21.7, 21.4, 23.5, 24.2, 14.7, 21.8];
        let b2 = [
            21.5, 22.8, 21.0, 23.0, 21.6, 23.6, 22.5, 20.7, 23.4, 21.8, 20.7, 21.7, 21.5, 22.5,
            23.6, 21.5, 22.5, 23.5, 21.5, 21.8,
        ];
        let c1 = [19.8, 20.4, 19.6, 17.8, 18.5, 18.9, 18.3, 18.9, 19.5, 22.0];
        let c2 = [
            28.2, 26.6, 20.1, 23.3, 25.2, 22.1, 17.7, 27.6, 20.6, 13.7, 23.2, 17.5, 20.6, 18.0,
            23.9, 21.6, 24.3, 20.4, 24.0, 13.2,
        ];
        for (x, y, t_published, df_published, p_published) in [
            (&a1[..], &a2[..], -2.46, 24.99, 0.021),
            (&b1[..], &b2[..], -1.57, 9.90, 0.149),
            (&c1[..], &c2[..], -2.22, 24.50, 0.036),
        ] {
            let (ex, ey) = (Estimate::of(x).unwrap(), Estimate::of(y).unwrap());
            let (vx, vy) = (ex.sd.powi(2) / ex.n as f64, ey.sd.powi(2) / ey.n as f64);
            let t = (ex.mean - ey.mean) / (vx + vy).sqrt();
            let df = welch_df(vx, ex.n, vy, ey.n);
            let p = t_two_tailed(t, df);
            assert!((t - t_published).abs() < 0.005, "t {t}");
            assert!((df - df_published).abs() < 0.005, "df {df}");
            assert!((p - p_published).abs() < 0.0005, "p {p}");
        }
        // Example 1 by hand: s² = 7.867429 and 3.812667 (n = 15 each), so
        // s²/n = 0.524495 and 0.254178, and
        // df = (0.524495 + 0.254178)² / (0.524495²/14 + 0.254178²/14)
        //    = 0.606332 / (0.019650 + 0.004615) = 24.9885.
        assert!((welch_df(0.524_495, 15, 0.254_178, 15) - 24.9885).abs() < 1e-3);
        assert!(welch_df(0.0, 10, 0.0, 10).is_nan());
        assert!(welch_df(1.0, 1, 1.0, 10).is_nan());
        // One sample without spread: the other's n − 1.
        assert_eq!(welch_df(0.0, 10, 0.3, 7), 6.0);
    }

    #[test]
    fn estimate_of_a_known_sample() {
        let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(e.mean, 2.5);
        assert!((e.sd - 1.290_994).abs() < 1e-6);
        // Half-width t(0.975, 3)·sd/√4 = 3.182·1.290994/2 = 2.0540.
        assert!((e.ci95_high - 4.5540).abs() < 1e-3);
        assert!(Estimate::of(&[]).is_none());
        assert!(Estimate::of(&[5.0]).unwrap().sd.is_nan());
    }

    #[test]
    fn quantiles_interpolate() {
        let mut xs = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(quantile(&mut xs, 0.0), 1.0);
        assert_eq!(quantile(&mut xs, 1.0), 4.0);
        assert_eq!(quantile(&mut xs, 0.5), 2.5);
        assert!((quantile(&mut xs, 0.025) - 1.075).abs() < 1e-12);
    }
}
