//! Demand over time: a kind's create arrival rate as a profile (a base rate
//! or a schedule, times daily and weekly shapes, a growth trend and one-off
//! windows), and exact sampling of the non-homogeneous Poisson process it
//! defines, by thinning against a majorant that is piecewise constant.
//!
//! A constant rate (`arrivals = "40/d"`) never comes here: it stays the
//! homogeneous Poisson stream it always was, with the same draws.

pub mod read;
pub mod trace;

use crate::engine::{Rng, SimTime};
use rand::RngExt;
use rand_distr::{Distribution, Exp1};
use serde::Serialize;

/// Seconds in an hour, a day and a week.
const HOUR: f64 = 3_600.0;
const DAY: f64 = 86_400.0;
const WEEK: f64 = 7.0 * DAY;

/// A time-varying arrival rate: `base × daily × weekly × growth × windows`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Profile {
    /// The rate the shapes multiply: a constant or a schedule.
    pub base: Base,
    /// Offset of the profile's local clock from UTC, in seconds (east
    /// positive): the daily and weekly shapes follow local time.
    pub utc_offset_s: i32,
    /// The shape of a day, by local hour.
    pub daily: Option<Daily>,
    /// Multipliers for Monday to Sunday, local time.
    pub weekly: Option<[f64; 7]>,
    /// A trend from t = 0.
    pub growth: Option<Growth>,
    /// One-off windows (a launch, a migration campaign): the rate is
    /// multiplied by their factor while they last.
    pub windows: Vec<Window>,
}

/// The rate the shapes multiply.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Base {
    /// A constant rate, per day.
    Rate(f64),
    /// A piecewise-constant rate read from a CSV file.
    Schedule(Schedule),
}

/// A piecewise-constant rate: each point's rate holds from its time until
/// the next point's; the last holds to the end.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Schedule {
    /// The file, as the scenario names it.
    pub path: String,
    /// (time, rate per day), times increasing, the first at 0.
    #[serde(skip)]
    pub points: Vec<(SimTime, f64)>,
}

/// The shape of a day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Daily {
    /// 24 multipliers, for local hours 0 to 23.
    Hourly([f64; 24]),
    /// A smooth wave, `1 + amplitude · cos(2π (h − peak_hour) / 24)` at
    /// local hour `h` (fractional): its mean over a day is 1.
    Wave {
        /// From 0 (flat) to 1 (no arrivals at the trough).
        amplitude: f64,
        /// Local hour of the maximum, from 0 to 24.
        peak_hour: f64,
    },
}

/// A growth trend: `by` (a fraction, −0.1 for a 10% decline) every `per`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Growth {
    /// Relative change per period.
    pub by: f64,
    /// The period.
    #[serde(serialize_with = "crate::input::units::ser_secs")]
    pub per: SimTime,
    /// Compound (`(1 + by)^(t/per)`) or linear (`1 + by · t/per`, never
    /// below 0).
    pub compound: bool,
}

/// A one-off window: from `start` to `end` the rate is `factor` times higher.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Window {
    /// When it begins.
    #[serde(serialize_with = "crate::input::units::ser_secs")]
    pub start: SimTime,
    /// When it ends.
    #[serde(serialize_with = "crate::input::units::ser_secs")]
    pub end: SimTime,
    /// The multiplier, 0 or more.
    pub factor: f64,
}

impl Growth {
    /// The trend's multiplier at `t` seconds.
    pub fn factor(&self, t: f64) -> f64 {
        let periods = t / self.per.as_secs_f64();
        if self.compound {
            (1.0 + self.by).powf(periods)
        } else {
            (1.0 + self.by * periods).max(0.0)
        }
    }

    /// The natural logarithm of [`Growth::factor`], computed without its
    /// overflow or underflow (−∞ where a linear trend is at 0).
    pub fn ln_factor(&self, t: f64) -> f64 {
        let periods = t / self.per.as_secs_f64();
        if self.compound {
            periods * self.by.ln_1p()
        } else {
            (1.0 + self.by * periods).max(0.0).ln()
        }
    }
}

impl Daily {
    fn wave(amplitude: f64, peak_hour: f64, hour: f64) -> f64 {
        1.0 + amplitude * (std::f64::consts::TAU * (hour - peak_hour) / 24.0).cos()
    }

    /// The largest multiplier over local hours [h0, h1] (h1 − h0 ≤ 1, both
    /// within one day's 0..24 + 1).
    fn max_over(&self, h0: f64, h1: f64) -> f64 {
        match *self {
            Daily::Hourly(ref m) => m[(h0.floor() as usize) % 24],
            Daily::Wave {
                amplitude,
                peak_hour,
            } => {
                // The cosine's maximum, if the interval holds one, else the
                // larger end: between maxima it has no interior maximum.
                let k = ((h0 - peak_hour) / 24.0).ceil();
                if peak_hour + 24.0 * k <= h1 {
                    1.0 + amplitude
                } else {
                    Self::wave(amplitude, peak_hour, h0).max(Self::wave(amplitude, peak_hour, h1))
                }
            }
        }
    }

    fn at(&self, hour: f64) -> f64 {
        match *self {
            Daily::Hourly(ref m) => m[(hour.floor() as usize) % 24],
            Daily::Wave {
                amplitude,
                peak_hour,
            } => Self::wave(amplitude, peak_hour, hour),
        }
    }
}

/// A profile ready to sample within one run: the local clock fixed.
#[derive(Clone, Debug)]
pub struct Clock<'p> {
    profile: &'p Profile,
    /// Local time (seconds since the Unix epoch, offset applied) at t = 0,
    /// split into whole weeks dropped (they do not change the shapes) and
    /// the rest, so that sums stay exact in f64.
    local0: f64,
    /// No arrival at or after this time (seconds).
    horizon: f64,
}

impl<'p> Clock<'p> {
    /// The profile's clock for a run whose t = 0 is `start_time` (ms since
    /// the Unix epoch) and that ends at `horizon`.
    pub fn new(profile: &'p Profile, start_time_ms: u64, horizon: SimTime) -> Clock<'p> {
        let local = start_time_ms as f64 / 1000.0 + f64::from(profile.utc_offset_s);
        Clock {
            profile,
            local0: local.rem_euclid(WEEK),
            horizon: horizon.as_secs_f64(),
        }
    }

    /// Local hour of the day (fractional) and day of the week (0 = Monday)
    /// at `t` seconds.
    fn local(&self, t: f64) -> (f64, usize) {
        let l = (self.local0 + t).rem_euclid(WEEK);
        // 1970-01-01, day 0 of Unix time, was a Thursday (Monday = 0: 3).
        let day = ((l / DAY).floor() as usize + 3) % 7;
        (l.rem_euclid(DAY) / HOUR, day)
    }

    /// The base rate at `t`, per second.
    fn base_at(&self, t: f64) -> f64 {
        match &self.profile.base {
            Base::Rate(r) => r / DAY,
            Base::Schedule(s) => {
                let i = s.points.partition_point(|p| p.0.as_secs_f64() <= t);
                s.points[i.saturating_sub(1)].1 / DAY
            }
        }
    }

    fn windows_at(&self, t: f64) -> f64 {
        self.profile
            .windows
            .iter()
            .filter(|w| w.start.as_secs_f64() <= t && t < w.end.as_secs_f64())
            .map(|w| w.factor)
            .product()
    }

    /// The arrival rate at `t` seconds, per second.
    pub fn rate_at(&self, t: f64) -> f64 {
        let p = self.profile;
        let (hour, day) = self.local(t);
        let mut r = self.base_at(t) * self.windows_at(t);
        if let Some(d) = &p.daily {
            r *= d.at(hour);
        }
        if let Some(w) = &p.weekly {
            r *= w[day];
        }
        if let Some(g) = &p.growth {
            r *= g.factor(t);
        }
        r
    }

    /// The end of the piece of time from `t` on where every piecewise-
    /// constant part holds still: the next local hour (when a daily or
    /// weekly shape or a trend is on), window edge, schedule point, or the
    /// horizon.
    fn piece_end(&self, t: f64) -> f64 {
        let p = self.profile;
        let mut end = self.horizon;
        if p.daily.is_some() || p.weekly.is_some() || p.growth.is_some() {
            let local = self.local0 + t;
            end = end.min(((local / HOUR).floor() + 1.0) * HOUR - self.local0);
        }
        for w in &p.windows {
            for edge in [w.start.as_secs_f64(), w.end.as_secs_f64()] {
                if edge > t {
                    end = end.min(edge);
                }
            }
        }
        if let Base::Schedule(s) = &p.base {
            let i = s.points.partition_point(|q| q.0.as_secs_f64() <= t);
            if let Some(q) = s.points.get(i) {
                end = end.min(q.0.as_secs_f64());
            }
        }
        // Rounding must never leave a piece empty.
        if end <= t { t + 1e-3 } else { end }
    }

    /// The largest rate on [t, end], per second: the constant parts at `t`
    /// times the largest value of the smooth ones on the piece.
    fn majorant(&self, t: f64, end: f64) -> f64 {
        let p = self.profile;
        let (hour, day) = self.local(t);
        let mut m = self.base_at(t) * self.windows_at(t);
        if let Some(d) = &p.daily {
            m *= d.max_over(hour, hour + (end - t) / HOUR);
        }
        if let Some(w) = &p.weekly {
            m *= w[day];
        }
        if let Some(g) = &p.growth {
            m *= g.factor(t).max(g.factor(end));
        }
        m
    }

    /// The first arrival after `now`, drawn from `rng`, or `None` if there
    /// is none before the horizon.
    ///
    /// Thinning (Lewis and Shedler, 1979) against a piecewise-constant
    /// majorant: on each piece [t, end) candidates come at the piece's
    /// largest rate M and each is kept with probability λ(t)/M. A candidate
    /// that falls past the piece's end is dropped and the search restarts
    /// at the end, which the exponential's lack of memory makes exact.
    pub fn next_after(&self, now: SimTime, rng: &mut Rng) -> Option<SimTime> {
        let mut t = now.as_secs_f64();
        while t < self.horizon {
            let end = self.piece_end(t);
            let m = self.majorant(t, end);
            if m <= 0.0 {
                t = end;
                continue;
            }
            let e: f64 = Exp1.sample(rng);
            let candidate = t + e / m;
            if candidate >= end {
                t = end;
                continue;
            }
            t = candidate;
            let u: f64 = rng.random();
            if u * m < self.rate_at(t) {
                return (t < self.horizon).then(|| SimTime::from_secs_f64(t));
            }
        }
        None
    }

    /// The integral of the rate over [0, t] (expected arrivals), and the
    /// largest rate on it, both per day: Simpson's rule on each piece,
    /// exact for every part but the wave and the compound trend, whose
    /// error over a piece of at most an hour is far below 1e-6.
    pub fn integral_and_peak(&self, until: SimTime) -> (f64, f64) {
        let until = until.as_secs_f64().min(self.horizon);
        let (mut sum, mut peak, mut t) = (0.0, 0.0_f64, 0.0);
        while t < until {
            let end = self.piece_end(t).min(until);
            // The rate just inside the piece: at `end` itself a step may
            // already have changed it.
            let inner = end - (end - t) * 1e-9;
            let (a, b, c) = (
                self.rate_at(t),
                self.rate_at((t + end) / 2.0),
                self.rate_at(inner),
            );
            sum += (end - t) * (a + 4.0 * b + c) / 6.0;
            peak = peak.max(self.majorant(t, end));
            t = end;
        }
        (sum, peak * DAY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Purpose, stream};

    fn profile(daily: Option<Daily>, weekly: Option<[f64; 7]>, growth: Option<Growth>) -> Profile {
        Profile {
            base: Base::Rate(240.0),
            utc_offset_s: 0,
            daily,
            weekly,
            growth,
            windows: Vec::new(),
        }
    }

    #[test]
    fn local_time_follows_start_time_and_offset() {
        // 2026-01-01T00:00:00Z was a Thursday.
        let p = profile(None, None, None);
        let c = Clock::new(
            &p,
            crate::wallclock::DEFAULT_START,
            SimTime::from_secs(1_000_000),
        );
        assert_eq!(c.local(0.0), (0.0, 3));
        assert_eq!(c.local(4.0 * DAY + 1.5 * HOUR), (1.5, 0));
        let east = Profile {
            utc_offset_s: 8 * 3600,
            ..p
        };
        let c = Clock::new(
            &east,
            crate::wallclock::DEFAULT_START,
            SimTime::from_secs(10),
        );
        assert_eq!(c.local(0.0), (8.0, 3));
    }

    #[test]
    fn the_majorant_bounds_the_rate_on_every_piece() {
        let p = Profile {
            windows: vec![Window {
                start: SimTime::from_secs(10_000),
                end: SimTime::from_secs(50_000),
                factor: 3.0,
            }],
            ..profile(
                Some(Daily::Wave {
                    amplitude: 0.8,
                    peak_hour: 13.5,
                }),
                Some([1.0, 1.2, 1.1, 1.0, 0.9, 0.4, 0.3]),
                Some(Growth {
                    by: -0.2,
                    per: SimTime::from_secs(86_400 * 30),
                    compound: false,
                }),
            )
        };
        let c = Clock::new(&p, 1_767_225_600_123, SimTime::from_secs(20 * 86_400));
        let mut t = 0.0;
        while t < c.horizon {
            let end = c.piece_end(t);
            let m = c.majorant(t, end);
            for i in 0..=20 {
                let s = t + (end - t) * f64::from(i) / 20.0 * (1.0 - 1e-12);
                assert!(
                    c.rate_at(s) <= m * (1.0 + 1e-12),
                    "{s}: {} > {m}",
                    c.rate_at(s)
                );
            }
            t = end;
        }
    }

    /// Arrivals of a daily wave, counted by local hour over many days,
    /// against the expected count in each hour (a chi-square test).
    #[test]
    fn thinning_follows_the_daily_shape() {
        let p = profile(
            Some(Daily::Wave {
                amplitude: 0.9,
                peak_hour: 15.0,
            }),
            None,
            None,
        );
        let days = 200.0;
        let c = Clock::new(
            &p,
            crate::wallclock::DEFAULT_START,
            SimTime::from_secs_f64(days * DAY),
        );
        let mut rng = stream(7, 0, Purpose::Workload);
        let mut counts = [0u64; 24];
        let mut now = SimTime::ZERO;
        while let Some(t) = c.next_after(now, &mut rng) {
            counts[(c.local(t.as_secs_f64()).0.floor() as usize) % 24] += 1;
            now = t;
        }
        let mut chi2 = 0.0;
        for (h, &n) in counts.iter().enumerate() {
            // ∫ over hour h of 240/d · (1 + a cos(2π(x − 15)/24)) dx/24, per day.
            let (a, b) = (h as f64, h as f64 + 1.0);
            let w = std::f64::consts::TAU / 24.0;
            let integral = (b - a) + 0.9 / w * ((w * (b - 15.0)).sin() - (w * (a - 15.0)).sin());
            let expected = 240.0 / 24.0 * integral * days;
            chi2 += (n as f64 - expected).powi(2) / expected;
        }
        // χ²(24) exceeds 51.2 with probability 0.001.
        assert!(chi2 < 51.2, "chi2 {chi2}, counts {counts:?}");
    }

    #[test]
    fn the_integral_of_a_step_profile_is_exact() {
        let p = Profile {
            base: Base::Schedule(Schedule {
                path: "s.csv".into(),
                points: vec![(SimTime::ZERO, 10.0), (SimTime::from_secs(86_400), 30.0)],
            }),
            windows: vec![Window {
                start: SimTime::from_secs(43_200),
                end: SimTime::from_secs(129_600),
                factor: 2.0,
            }],
            ..profile(None, None, None)
        };
        let c = Clock::new(&p, 0, SimTime::from_secs(3 * 86_400));
        let (n, peak) = c.integral_and_peak(SimTime::from_secs(3 * 86_400));
        // 10·½ + 20·½ + 60·½ + 30·1½ = 90 expected arrivals.
        assert!((n - 90.0).abs() < 1e-9, "{n}");
        assert_eq!(peak, 60.0);
    }
}
