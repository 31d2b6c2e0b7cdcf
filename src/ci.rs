//! Statistics across independent replications: mean, standard deviation,
//! Student-t confidence intervals and empirical quantiles.

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
        let (sd, half) = if xs.len() > 1 {
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let sd = var.sqrt();
            (sd, t_975(xs.len() as u64 - 1) * sd / n.sqrt())
        } else {
            (f64::NAN, f64::NAN)
        };
        Some(Estimate {
            n: xs.len() as u64,
            mean,
            sd,
            ci95_low: mean - half,
            ci95_high: mean + half,
        })
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
