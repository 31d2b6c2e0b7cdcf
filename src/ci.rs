//! Statistics across independent replications: mean, standard deviation,
//! Student-t confidence intervals (95%, as every `_ci` file gives them, or
//! at any level, as `fleetsim plan --confidence` asks) and empirical
//! quantiles.

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
