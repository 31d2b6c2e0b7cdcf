//! Weighted choices: the one sampler behind every draw among options of
//! relative weights (owners' operations, deployment sizes, the flavors of
//! new servers, resize targets and BMS pools), and the rule, for validation
//! to enforce, that says which weights it draws exactly.
//!
//! A [`WeightedChoice`] is built once from validated weights; building it
//! cannot fail on any input and drawing from it cannot panic. Its table is
//! rand_distr's alias table over the weights scaled by a power of two (so
//! that the largest lies in [1, 2)): scaling by a power of two is exact in
//! floating point, so for weights of ordinary size the table, and every
//! draw, is bit for bit what the unscaled weights give; for extreme ones it
//! keeps the table's sums and products far from overflow and subnormals.

use super::Rng;
use rand::RngExt;
use rand::distr::Distribution;
use rand_distr::weighted::WeightedAliasIndex;

/// The smallest positive weight. Below about 2.2e-308 floating point loses
/// digits (subnormal numbers); 1e-300 keeps every valid weight a normal
/// number with its full precision.
pub const MIN_WEIGHT: f64 = 1e-300;

/// The largest weight: a table of weights up to 1e300 sums to a finite
/// number, however many entries it has.
pub const MAX_WEIGHT: f64 = 1e300;

/// The largest ratio between the largest weight of a table and its
/// smallest positive one. The alias table holds the weights to floating
/// point precision, but a draw compares a uniform number of 52 random bits
/// with it, so each probability is drawn to within about 2⁻⁵² ≈ 2.2e-16.
/// At a ratio of 1e9 the smallest share of a table of n entries is at least
/// 1 / (1 + (n − 1)·1e9), so it is drawn at its rate to within a relative
/// 2.2e-16 · (1 + (n − 1)·1e9): 2.2e-5 for 100 entries. At 1e15 a share
/// could be off by more than itself.
pub const MAX_RATIO: f64 = 1e9;

/// What valid weights are, for messages.
pub const VALID_WEIGHTS: &str = "a weight is 0 (never chosen) or a number from 1e-300 to 1e300, and a table's largest weight is at most 1e9 times its smallest positive one";

/// Checks one weight: 0, or from [`MIN_WEIGHT`] to [`MAX_WEIGHT`]. The
/// error says what is wrong and what is valid.
pub fn check_weight(w: f64) -> Result<(), String> {
    if w.is_nan() {
        Err(format!("{w} is not a number; {VALID_WEIGHTS}"))
    } else if w < 0.0 {
        Err(format!("{w} is negative; {VALID_WEIGHTS}"))
    } else if w > 0.0 && w < MIN_WEIGHT {
        Err(format!(
            "{w:e} is too small to draw exactly; {VALID_WEIGHTS}"
        ))
    } else if w > MAX_WEIGHT {
        Err(format!(
            "{w:e} is too large to draw exactly; {VALID_WEIGHTS}"
        ))
    } else {
        Ok(())
    }
}

/// Checks the spread of one table's weights, given by name: the largest
/// at most [`MAX_RATIO`] times the smallest positive one. Weights of 0 are
/// never chosen and do not count.
pub fn check_ratio<'a>(weights: impl IntoIterator<Item = (&'a str, f64)>) -> Result<(), String> {
    let mut largest: Option<(&str, f64)> = None;
    let mut smallest: Option<(&str, f64)> = None;
    for (name, w) in weights {
        if w.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            continue;
        }
        if largest.is_none_or(|(_, l)| w > l) {
            largest = Some((name, w));
        }
        if smallest.is_none_or(|(_, s)| w < s) {
            smallest = Some((name, w));
        }
    }
    match (largest, smallest) {
        (Some((big, l)), Some((small, s))) if l / s > MAX_RATIO => Err(format!(
            "the largest weight ({big} = {}) is {:.3e} times the smallest positive one ({small} = {}), more than 1e9; {VALID_WEIGHTS} (give the rare option a larger weight, or 0 to leave it out)",
            show(l),
            l / s,
            show(s)
        )),
        _ => Ok(()),
    }
}

/// A weight as a scenario would write it: plainly, or in scientific
/// notation when very large or very small.
fn show(w: f64) -> String {
    if (1e-4..1e15).contains(&w) {
        w.to_string()
    } else {
        format!("{w:e}")
    }
}

/// A choice among items, each drawn with probability its weight ÷ the sum of
/// the weights, in O(1) per draw.
#[derive(Clone, Debug)]
pub struct WeightedChoice<T> {
    table: WeightedAliasIndex<f64>,
    items: Box<[T]>,
    /// The item of the largest weight: what a draw would fall back on should
    /// the table give an index out of range, which it cannot for the scaled
    /// weights it is built from.
    heaviest: T,
}

impl<T: Copy> WeightedChoice<T> {
    /// The choice among `entries` (item, weight) that have a positive,
    /// finite weight, in the order given; `None` when none has one.
    /// Validated weights ([`check_weight`], [`check_ratio`]) are drawn
    /// exactly; any other input still gives a working choice (weights too
    /// small to count next to the largest are left out).
    pub fn new(entries: impl IntoIterator<Item = (T, f64)>) -> Option<WeightedChoice<T>> {
        let entries: Vec<(T, f64)> = entries
            .into_iter()
            .filter(|&(_, w)| w.is_finite() && w > 0.0)
            .collect();
        let largest = entries.iter().map(|e| e.1).fold(0.0, f64::max);
        let (half, other_half) = power_of_two_scale(largest)?;
        let (items, weights): (Vec<T>, Vec<f64>) = entries
            .into_iter()
            .map(|(item, w)| (item, w * half * other_half))
            .filter(|&(_, w)| w > 0.0)
            .unzip();
        let heaviest = items[weights.iter().position(|&w| w >= 1.0)?];
        // The weights lie in (0, 2): the table's conditions (at least one
        // entry, each weight at most f64::MAX / n, a positive sum) hold.
        let table = WeightedAliasIndex::new(weights).ok()?;
        Some(WeightedChoice {
            table,
            items: items.into_boxed_slice(),
            heaviest,
        })
    }

    /// One item, drawn from `rng`.
    #[inline]
    pub fn draw(&self, rng: &mut Rng) -> T {
        self.items
            .get(self.table.sample(rng))
            .copied()
            .unwrap_or(self.heaviest)
    }

    /// The items that can be drawn, in the order given.
    pub fn items(&self) -> &[T] {
        &self.items
    }
}

/// Two factors whose product is the power of two that brings `largest`
/// (positive and finite) into [1, 2); two, so that each is a finite number
/// even for the smallest subnormal (2⁻¹⁰⁷⁴ needs 2¹⁰⁷⁴). `None` for 0.
fn power_of_two_scale(largest: f64) -> Option<(f64, f64)> {
    if !(largest.is_finite() && largest > 0.0) {
        return None;
    }
    let exponent = largest.log2().floor() as i32;
    let half = -exponent / 2;
    let (a, b) = (2f64.powi(half), 2f64.powi(-exponent - half));
    // log2 may round up at the edge of a binade: correct by one.
    let scaled = largest * a * b;
    Some(if scaled >= 2.0 {
        (a, b / 2.0)
    } else if scaled < 1.0 {
        (a, b * 2.0)
    } else {
        (a, b)
    })
}

/// One draw among `weights` from a single uniform number, for weights that
/// change between draws (a flavor's share under a trend): the first index
/// whose running sum exceeds the uniform times the total. Rounding can
/// leave nothing chosen after the last: then the last index of positive
/// weight. `None`, after the uniform is drawn, when no weight is positive.
/// The caller keeps the weights finite, with a finite sum; should the sum
/// not be, the (first) largest weight is chosen.
pub fn draw_once(weights: &[f64], rng: &mut Rng) -> Option<usize> {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    if !total.is_finite() {
        let largest = weights.iter().copied().fold(0.0, f64::max);
        return weights.iter().position(|&w| w == largest);
    }
    for (i, &w) in weights.iter().enumerate() {
        u -= w;
        if u < 0.0 {
            return Some(i);
        }
    }
    weights.iter().rposition(|&w| w > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Purpose, stream};

    fn rng() -> Rng {
        stream(5, 0, Purpose::Workload)
    }

    #[test]
    fn draws_are_those_of_the_unscaled_alias_table() {
        // Scaling by a power of two is exact: the same draws as rand_distr's
        // table over the weights as given, for weights of every ordinary size.
        let tables: [&[f64]; 6] = [
            &[30.0, 5.0, 3.0, 17.0, 3.0, 5.0, 2.0, 1.0, 4.0],
            &[1.0],
            &[0.1, 0.2, 0.7],
            &[1e-200, 3e-200, 2.5e-199],
            &[7e250, 1e251, 3e249],
            &[50.0, 30.0, 15.0, 5.0],
        ];
        for weights in tables {
            let choice = WeightedChoice::new(weights.iter().copied().enumerate()).unwrap();
            let reference = WeightedAliasIndex::new(weights.to_vec()).unwrap();
            let (mut a, mut b) = (rng(), rng());
            for _ in 0..10_000 {
                assert_eq!(choice.draw(&mut a), reference.sample(&mut b), "{weights:?}");
            }
        }
    }

    #[test]
    fn a_valid_table_holds_its_shares_exactly() {
        // 100 entries at the largest ratio allowed: the probability of each
        // entry that the table holds (reconstructed from it) is its share to
        // floating point precision, and the 52-bit draw resolves the
        // smallest share to within a relative 1e-4 (see MAX_RATIO).
        let n = 100;
        let weights: Vec<f64> = (0..n)
            .map(|i| {
                if i == 7 {
                    1.0
                } else {
                    MAX_RATIO / (1.0 + 0.37 * i as f64)
                }
            })
            .collect();
        assert!(check_ratio(weights.iter().map(|&w| ("x", w))).is_ok());
        let choice = WeightedChoice::new(weights.iter().copied().enumerate()).unwrap();
        let total: f64 = weights.iter().sum();
        let held = choice.table.weights();
        let held_total: f64 = held.iter().sum();
        for (w, h) in weights.iter().zip(&held) {
            let rel = (h / held_total - w / total).abs() / (w / total);
            assert!(
                rel < 1e-12,
                "share {} held as {}",
                w / total,
                h / held_total
            );
        }
        let smallest_share = 1.0 / (1.0 + (n - 1) as f64 * MAX_RATIO);
        assert!(2f64.powi(-52) / smallest_share < 1e-4);
    }

    #[test]
    fn any_input_builds_a_choice_that_draws_only_its_items() {
        // What validation refuses still builds and draws without panicking:
        // the inputs of the fuzzing probe and worse.
        let cases: [&[f64]; 8] = [
            &[5e-324],
            &[1e308, 1.0],
            &[f64::MAX, f64::MAX, f64::MAX],
            &[5e-324, 1e308],
            &[0.0, 2.2e-308, f64::MIN_POSITIVE],
            &[f64::INFINITY, 1.0, f64::NAN, -1.0],
            &[4.0, 2.0, 1.0],
            &[1.0 - f64::EPSILON / 2.0, 2.0 - f64::EPSILON],
        ];
        for weights in cases {
            let choice = WeightedChoice::new(weights.iter().copied().enumerate()).unwrap();
            let mut r = rng();
            for _ in 0..2_000 {
                let i = choice.draw(&mut r);
                assert!(
                    weights[i].is_finite() && weights[i] > 0.0,
                    "{weights:?}: {i}"
                );
            }
        }
        // The subnormal alone is chosen every time; next to 1e308 it is not
        // worth a place in the table.
        assert_eq!(WeightedChoice::new([(9, 5e-324)]).unwrap().items(), [9]);
        assert_eq!(
            WeightedChoice::new([(0, 5e-324), (1, 1e308)])
                .unwrap()
                .items(),
            [1]
        );
    }

    #[test]
    fn no_positive_weight_is_no_choice() {
        assert!(WeightedChoice::<u8>::new([]).is_none());
        assert!(WeightedChoice::new([(1, 0.0), (2, -3.0), (3, f64::NAN)]).is_none());
    }

    #[test]
    fn weights_outside_the_rule_are_refused_with_what_is_valid() {
        for ok in [0.0, MIN_WEIGHT, 1.0, 70.0, MAX_WEIGHT] {
            assert_eq!(check_weight(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            (5e-324, "5e-324 is too small"),
            (1e-301, "1e-301 is too small"),
            (1e308, "1e308 is too large"),
            (-1.0, "-1 is negative"),
            (f64::NAN, "NaN is not a number"),
        ] {
            let e = check_weight(bad).unwrap_err();
            assert!(e.starts_with(why) && e.contains(VALID_WEIGHTS), "{e}");
        }
        assert!(check_ratio([("a", 1e9), ("b", 1.0), ("c", 0.0)]).is_ok());
        let e = check_ratio([("reboot", 1e12), ("stop", 1.0), ("start", 0.0)]).unwrap_err();
        assert!(
            e.starts_with(
                "the largest weight (reboot = 1000000000000) is 1.000e12 times the smallest positive one (stop = 1)"
            ),
            "{e}"
        );
    }

    #[test]
    fn scale_brings_the_largest_into_one_to_two() {
        for x in [
            5e-324,
            f64::MIN_POSITIVE,
            1e-300,
            0.75,
            1.0,
            2.0 - f64::EPSILON,
            2.0,
            3.0,
            1e300,
            f64::MAX,
        ] {
            let (a, b) = power_of_two_scale(x).unwrap();
            let scaled = x * a * b;
            assert!((1.0..2.0).contains(&scaled), "{x:e} → {scaled}");
        }
        assert_eq!(power_of_two_scale(0.0), None);
    }

    #[test]
    fn one_draw_picks_by_running_sums() {
        let mut r = rng();
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[draw_once(&[1.0, 0.0, 2.0], &mut r).unwrap()] += 1;
        }
        assert_eq!(counts[1], 0);
        // 10,000 expected of the first: 5 standard deviations is 408.
        assert!((counts[0] as i32 - 10_000).abs() < 408, "{counts:?}");
        assert_eq!(draw_once(&[0.0, 0.0], &mut r), None);
        // A sum that is not finite: the largest weight.
        assert_eq!(draw_once(&[1.0, f64::INFINITY, 0.0], &mut r), Some(1));
        assert_eq!(draw_once(&[1e308, 1.7e308, 1.7e308], &mut r), Some(1));
    }
}
