//! Confidence intervals for counts: Wilson's for a proportion, Garwood's
//! exact (chi-square) interval for a Poisson count over an exposure.

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// The normal quantile of a two-sided 95% interval.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// Wilson's 95% interval of a proportion `k` of `n` (`None` when n = 0).
pub fn wilson(k: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z_975 * Z_975;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z_975 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // At 0 or n the bound on that side is exact.
    let low = if k == 0.0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let high = if k == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    Some((low, high))
}

/// Garwood's exact 95% interval of the mean of a Poisson count `k`.
pub fn poisson_count(k: u64) -> (f64, f64) {
    let chi = |df: f64, p: f64| {
        ChiSquared::new(df)
            .map(|c| c.inverse_cdf(p))
            .unwrap_or(f64::NAN)
    };
    let low = if k == 0 {
        0.0
    } else {
        chi(2.0 * k as f64, 0.025) / 2.0
    };
    let high = chi(2.0 * k as f64 + 2.0, 0.975) / 2.0;
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_match_published_values() {
        // Wilson: 0 of 10 -> (0, 0.2775); 5 of 10 -> (0.2366, 0.7634).
        let (l, h) = wilson(0, 10).unwrap();
        assert!(l.abs() < 1e-12 && (h - 0.2775).abs() < 1e-4, "{l} {h}");
        let (l, h) = wilson(5, 10).unwrap();
        assert!((l - 0.2366).abs() < 1e-4 && (h - 0.7634).abs() < 1e-4);
        // Garwood: k = 0 -> (0, 3.689); k = 10 -> (4.795, 18.39).
        let (l, h) = poisson_count(0);
        assert!(l == 0.0 && (h - 3.6889).abs() < 1e-3, "{h}");
        let (l, h) = poisson_count(10);
        assert!(
            (l - 4.7954).abs() < 1e-3 && (h - 18.390).abs() < 1e-2,
            "{l} {h}"
        );
    }
}
