//! From a tally to estimates, each with its interval and sample size, and
//! the scenario TOML that carries them, one comment per fitted value.

use super::interval::{poisson_count, wilson};
use super::mle::{self, Family, Fit};
use super::tally::{KindTally, Sample, Tally};
use crate::model::{Kind, Op, Status, bms, ecs};
use std::fmt::Write;
use std::sync::Arc;

/// One estimate: a row of fit_report.csv.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Estimate {
    /// The scenario key it sets or informs (`ecs.steps.spawning`).
    pub estimate: String,
    /// What the value is (`mean_s`, `cv`, `shape`, `scale_s`, `prob`, `per_day`).
    pub quantity: &'static str,
    /// The estimate.
    pub value: f64,
    /// Its 95% interval.
    pub ci95_low: f64,
    /// Its 95% interval.
    pub ci95_high: f64,
    /// Observations (events, or trials).
    pub n: u64,
    /// Censored observations.
    pub censored: u64,
    /// The chosen family (durations only).
    pub family: String,
    /// Kolmogorov–Smirnov distance of the chosen family.
    pub ks: Option<f64>,
    /// AIC of each candidate family (durations only).
    pub aic_exponential: Option<f64>,
    /// AIC of the lognormal.
    pub aic_lognormal: Option<f64>,
    /// AIC of the gamma.
    pub aic_gamma: Option<f64>,
    /// AIC of the Weibull.
    pub aic_weibull: Option<f64>,
    /// The events the value and its interval were computed from: `n`, or
    /// fewer when a duration sample held more than the reservoir keeps
    /// (100,000 durations, events and censored together, a uniform
    /// sample of them), so the interval is that of the kept sample.
    pub n_used: u64,
    /// For fit_report.html, not a column: the fit a duration's rows come
    /// from, shared by its rows.
    #[serde(skip)]
    pub curves: Option<Arc<Curves>>,
}

/// What fit_report.html draws of a fitted duration.
#[derive(Debug)]
pub struct Curves {
    /// Every family fitted to the sample, and its Kaplan–Meier estimate.
    pub fit: Fit,
    /// The distribution the scenario writes: the chosen family, or for the
    /// time to fault the exponential by exposure.
    pub written: mle::Fitted,
    /// How `written` was chosen, in words (`the lowest AIC`).
    pub how: &'static str,
}

impl Estimate {
    fn plain(
        estimate: &str,
        quantity: &'static str,
        value: f64,
        ci: (f64, f64),
        n: u64,
    ) -> Estimate {
        Estimate {
            estimate: estimate.to_string(),
            quantity,
            value,
            ci95_low: ci.0,
            ci95_high: ci.1,
            n,
            censored: 0,
            family: String::new(),
            ks: None,
            aic_exponential: None,
            aic_lognormal: None,
            aic_gamma: None,
            aic_weibull: None,
            n_used: n,
            curves: None,
        }
    }
}

/// The estimates and the scenario.
pub struct Fitted {
    /// Every estimate, in scenario order.
    pub estimates: Vec<Estimate>,
    /// The scenario's TOML text.
    pub toml: String,
}

const DAY_S: f64 = 86_400.0;

/// A duration as the scenario writes it: seconds to the millisecond, at
/// least 1 ms.
/// A duration as the scenario writes it, within what a scenario takes (1
/// ms to 100 years): a longer fitted value (a fleet whose servers fault
/// once a century) is written as 100 years, and `estimate` says which.
fn secs(s: f64) -> String {
    format!(
        "\"{}s\"",
        (s.clamp(0.001, longest_s()) * 1000.0).round() / 1000.0
    )
}

/// The longest duration a scenario takes, in seconds.
fn longest_s() -> f64 {
    crate::input::units::MAX_DURATION.as_secs_f64()
}

/// Four significant digits.
fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}

/// The value every duration of `sample` took, if they all took the same
/// (to well under a trace's millisecond) and at least two ended: a fixed
/// duration, such as a purge delay, that no family can fit. A censored
/// duration longer than it says it was not fixed.
fn constant(sample: &Sample) -> Option<f64> {
    let (&first, rest) = sample.events.split_first()?;
    let same = |x: f64| (x - first).abs() <= 1e-6 * first.abs().max(1.0);
    (sample.n_events >= 2
        && rest.iter().all(|&x| same(x))
        && sample.censored.iter().all(|&c| c <= first || same(c)))
    .then_some(first)
}

/// A duration sample's fit, as scenario value, comment and estimates.
/// Writes `name = <fitted duration>` with its comment, or a comment saying
/// that too few `events` ended to fit one.
fn duration_line(
    toml: &mut String,
    name: &str,
    key: &str,
    sample: &Sample,
    events: &str,
    out: &mut Vec<Estimate>,
) {
    let _ = match duration(key, sample, out) {
        Some((value, comment)) => writeln!(toml, "{comment}\n{name} = {value}"),
        None => writeln!(
            toml,
            "# {name}: too few {events} to fit ({})",
            sample.n_events
        ),
    };
}

fn duration(key: &str, sample: &Sample, out: &mut Vec<Estimate>) -> Option<(String, String)> {
    if let Some(value) = constant(sample) {
        out.push(Estimate {
            family: "fixed".into(),
            censored: sample.n_censored,
            n_used: sample.events.len() as u64,
            ..Estimate::plain(key, "mean_s", value, (value, value), sample.n_events)
        });
        let comment = format!(
            "# fixed: every one of n = {} took {} s{}",
            sample.n_events,
            sig(value),
            if sample.n_censored > 0 {
                format!(" (+{} censored, none longer)", sample.n_censored)
            } else {
                String::new()
            }
        );
        return Some((secs(value), comment));
    }
    let fit = mle::fit(&sample.events, &sample.censored)?;
    let curves = Arc::new(Curves {
        written: fit.best().clone(),
        fit,
        how: "the lowest AIC",
    });
    let fit = &curves.fit;
    let best = fit.best();
    let row = |quantity, v: (f64, f64, f64)| {
        let aic = |f| fit.of(f).map(|c| c.aic);
        Estimate {
            estimate: key.to_string(),
            quantity,
            value: v.0,
            ci95_low: v.1,
            ci95_high: v.2,
            n: sample.n_events,
            censored: sample.n_censored,
            family: best.family.name().to_string(),
            ks: Some(fit.ks),
            aic_exponential: aic(Family::Exponential),
            aic_lognormal: aic(Family::Lognormal),
            aic_gamma: aic(Family::Gamma),
            aic_weibull: aic(Family::Weibull),
            n_used: sample.events.len() as u64,
            curves: Some(curves.clone()),
        }
    };
    out.push(row("mean_s", best.mean));
    let (a, b) = best.params;
    let value = match best.family {
        Family::Exponential => format!("{{ dist = \"exponential\", mean = {} }}", secs(a)),
        Family::Lognormal => format!(
            "{{ dist = \"lognormal\", mean = {}, cv = {} }}",
            secs(a),
            sig(b)
        ),
        Family::Gamma | Family::Weibull => format!(
            "{{ dist = \"{}\", shape = {}, scale = {} }}",
            best.family.name(),
            sig(a),
            secs(b)
        ),
    };
    if let Some(second) = best.second {
        let quantity = if best.family == Family::Lognormal {
            "cv"
        } else {
            "shape"
        };
        out.push(row(quantity, second));
    }
    Some((value, comment(fit, sample)))
}

fn comment(fit: &Fit, sample: &Sample) -> String {
    let best = fit.best();
    let mut c = format!(
        "# {} by AIC; mean {} s, 95% CI {}..{} s; n = {}",
        best.family.name(),
        sig(best.mean.0),
        sig(best.mean.1),
        sig(best.mean.2),
        sample.n_events
    );
    if sample.n_censored > 0 {
        let _ = write!(c, " (+{} censored)", sample.n_censored);
    }
    if let Some((v, l, h)) = best.second {
        let what = if best.family == Family::Lognormal {
            "cv"
        } else {
            "shape"
        };
        let _ = write!(c, "; {what} {} ({}..{})", sig(v), sig(l), sig(h));
    }
    let _ = write!(c, "; KS {}", sig(fit.ks));
    c
}

/// Estimates everything the tally supports, for `name` (the scenario's name).
pub fn estimate(tally: &Tally, name: &str) -> Fitted {
    let mut est = vec![];
    let days = tally.observed_s / DAY_S;
    let mut toml = String::new();
    // Several logs are several fleets, or one fleet's several periods:
    // the scenario is that of one log, its span and initial fleet the
    // logs' mean, its rates per server-day or per day of log over them all.
    let logs = tally.logs.max(1);
    let horizon_s = (tally.observed_s / logs as f64).max(1.0);
    let _ = writeln!(
        toml,
        "# Fitted by `fleetsim fit` from {} rows over {} days of log{}.\n# Each value's comment gives its 95% interval and sample size; fit_report.csv lists them all.",
        tally.rows,
        sig(days),
        if logs > 1 {
            format!(" ({logs} logs; the horizon and the initial fleets are their means)")
        } else {
            String::new()
        }
    );
    let _ = writeln!(toml, "name = \"{name}\"");
    // A log ends at its last row, a little before the period it covers:
    // a span of a day or more is rounded up to a whole hour, so that a
    // fitted study lines up with the original's (`fleetsim compare` wants
    // the same window).
    let horizon_s = if horizon_s >= DAY_S {
        (horizon_s / 3600.0).ceil() * 3600.0
    } else {
        horizon_s.round()
    };
    let _ = writeln!(
        toml,
        "horizon = {}   # the log's span{}",
        secs(horizon_s),
        if horizon_s >= DAY_S {
            ", rounded up to a whole hour"
        } else {
            ""
        }
    );
    // A Nova log says when it began: the fitted study starts then, so that
    // the arrivals' daily and weekly shapes (by UTC hour and day) fall
    // where the log saw them. A trace's time 0 is fleetsim's default.
    if let Some(origin) = tally.first_origin_unix_s
        && origin != super::tally::TRACE_ORIGIN_UNIX_S
        && origin >= 0.0
    {
        let _ = writeln!(
            toml,
            "start_time = \"{}\"   # the first log's first event",
            crate::wallclock::seconds((origin * 1000.0) as u64, crate::engine::SimTime::ZERO)
        );
    }
    if horizon_s < 3600.0 {
        let _ = writeln!(toml, "sample_interval = {}", secs(horizon_s));
    }
    for (kind, k) in [(Kind::Ecs, &tally.kinds[0]), (Kind::Bms, &tally.kinds[1])] {
        if k.initial == 0 && k.creates == 0 && k.status_time.is_empty() {
            continue;
        }
        kind_section(
            kind,
            k,
            days,
            logs,
            &tally.observed_by_hour,
            &mut toml,
            &mut est,
        );
    }
    // Say which values were cut to the longest duration a scenario takes.
    let longest = secs(f64::INFINITY);
    let mut section = String::new();
    let mut cut: Vec<String> = vec![];
    for line in toml.lines() {
        if let Some(name) = line.strip_prefix('[') {
            section = name.trim_end_matches(']').to_string();
        } else if !line.starts_with('#')
            && line.contains(&longest)
            && let Some(key) = line.split(" = ").next()
        {
            cut.push(format!("{section}.{}", key.trim_matches('"')));
        }
    }
    if !cut.is_empty() {
        toml = format!(
            "# Written as 100 years, the longest duration a scenario takes, though fitted longer (fit_report.csv has the fitted values): {}\n{toml}",
            cut.join(", ")
        );
    }
    Fitted {
        estimates: est,
        toml,
    }
}

fn kind_section(
    kind: Kind,
    k: &KindTally,
    days: f64,
    logs: u64,
    observed_by_hour: &[f64],
    toml: &mut String,
    est: &mut Vec<Estimate>,
) {
    let kn = kind.name();
    let _ = writeln!(toml, "\n[{kn}]");
    let initial = (k.initial as f64 / logs as f64).round();
    if logs > 1 {
        let _ = writeln!(
            toml,
            "initial = {initial}   # {} servers present at the start of {logs} logs",
            k.initial
        );
    } else {
        let _ = writeln!(toml, "initial = {initial}");
    }
    if days > 0.0 {
        let (rate, lo, hi) = per_day(&format!("{kn}.arrivals"), k.creates, days, est);
        let shapes = profile(&format!("{kn}.arrivals"), k, observed_by_hour, est);
        let ci = format!(
            "95% CI {}..{}/d; n = {} creates",
            sig(lo),
            sig(hi),
            k.creates
        );
        if shapes.written.is_empty() {
            let _ = writeln!(
                toml,
                "arrivals = \"{}/d\"   # {ci}; {}",
                sig(rate),
                shapes.said
            );
        } else {
            let _ = writeln!(
                toml,
                "arrivals = {{ base = \"{}/d\", {} }}   # {ci}; {}",
                sig(rate),
                shapes.written.join(", "),
                shapes.said
            );
        }
    }
    let key = format!("{kn}.lifetime");
    duration_line(toml, "lifetime", &key, &k.lifetime, "deletes", est);
    if let Some((v, c)) = duration(&format!("{kn}.deleted_for"), &k.deleted_for, est) {
        let _ = writeln!(toml, "{c}\ndeleted_for = {v}");
    }
    owners(kind, k, toml, est);
    // Steps.
    let _ = writeln!(toml, "\n[{kn}.steps]");
    for (name, sample) in &k.steps {
        let key = format!("{kn}.steps.{name}");
        if let Some((v, c)) = duration(&key, sample, est) {
            let _ = writeln!(toml, "{c}\n\"{name}\" = {v}");
        }
    }
    // Failures and timeouts.
    let mut failures = String::new();
    for op in Op::ALL {
        let i = op.index();
        let n = k.started[i];
        if n == 0 {
            continue;
        }
        let (f, to) = (k.failed[i], k.timed_out[i]);
        let on = op.name();
        let pf = f as f64 / n as f64;
        let pt = to as f64 / n as f64;
        let cf = wilson(f, n).unwrap_or((0.0, 1.0));
        let ct = wilson(to, n).unwrap_or((0.0, 1.0));
        est.push(Estimate::plain(
            &format!("{kn}.failures.{on}.prob"),
            "prob",
            pf,
            cf,
            n,
        ));
        est.push(Estimate::plain(
            &format!("{kn}.failures.{on}.hang_prob"),
            "prob",
            pt,
            ct,
            n,
        ));
        if f + to == 0 {
            continue;
        }
        let mut parts = vec![];
        if f > 0 {
            parts.push(format!("prob = {}", sig(pf)));
            let outcome = if k.failed_to_error[i] * 2 >= f {
                "error"
            } else {
                "rollback"
            };
            parts.push(format!("outcome = \"{outcome}\""));
        }
        if to > 0 {
            parts.push(format!("hang_prob = {}", sig(pt)));
        }
        let _ = writeln!(
            failures,
            "{on} = {{ {} }}   # failed {f} of {n} (95% CI {}..{}); timed out {to} ({}..{})",
            parts.join(", "),
            sig(cf.0),
            sig(cf.1),
            sig(ct.0),
            sig(ct.1)
        );
    }
    if !failures.is_empty() {
        let _ = write!(toml, "\n[{kn}.failures]\n{failures}");
    }
    // Faults and repair.
    let _ = writeln!(toml, "\n[{kn}.faults]");
    let exposure_days = k.exposure_s / DAY_S;
    let key = format!("{kn}.faults.time_to_fault");
    let clock = mle::fit(&k.fault_clock.events, &k.fault_clock.censored);
    if k.faults > 0 && k.exposure_s > 0.0 {
        let mean = k.exposure_s / k.faults as f64;
        let (lo, hi) = poisson_count(k.faults);
        let ci = (k.exposure_s / hi, k.exposure_s / lo);
        let by_exposure = est.len();
        est.push(Estimate {
            family: "exponential".into(),
            censored: k.fault_clock.n_censored,
            ..Estimate::plain(&key, "mean_s", mean, ci, k.faults)
        });
        // What dropping the censored clocks would give: the mean of the
        // observed times to fault only.
        if k.fault_clock.n_events > 0 {
            let naive =
                k.fault_clock.events.iter().sum::<f64>() / k.fault_clock.events.len() as f64;
            est.push(Estimate {
                n_used: k.fault_clock.events.len() as u64,
                ..Estimate::plain(
                    &format!("{key}.uncensored_only"),
                    "mean_s",
                    naive,
                    (f64::NAN, f64::NAN),
                    k.fault_clock.n_events,
                )
            });
        }
        let weibull = clock.as_ref().and_then(|f| {
            let w = f.of(Family::Weibull)?;
            let e = f.of(Family::Exponential)?;
            Some((w.clone(), w.aic < e.aic))
        });
        if let Some(fit) = clock {
            let (written, how) = match &weibull {
                Some((w, true)) => (
                    w.clone(),
                    "AIC (the censored Weibull's below the exponential's)",
                ),
                _ => (
                    mle::Fitted {
                        family: Family::Exponential,
                        params: (mean, 1.0),
                        mean: (mean, ci.0, ci.1),
                        second: None,
                        aic: f64::NAN,
                    },
                    "exposure (faults over server-days at risk)",
                ),
            };
            est[by_exposure].curves = Some(Arc::new(Curves { fit, written, how }));
        }
        if let Some((w, _)) = &weibull {
            let s = w.second.unwrap_or((f64::NAN, f64::NAN, f64::NAN));
            est.push(Estimate {
                family: "weibull".into(),
                censored: k.fault_clock.n_censored,
                n_used: k.fault_clock.events.len() as u64,
                ..Estimate::plain(
                    &format!("{key}.weibull"),
                    "shape",
                    s.0,
                    (s.1, s.2),
                    k.fault_clock.n_events,
                )
            });
            est.push(Estimate {
                family: "weibull".into(),
                censored: k.fault_clock.n_censored,
                n_used: k.fault_clock.events.len() as u64,
                ..Estimate::plain(
                    &format!("{key}.weibull"),
                    "mean_s",
                    w.mean.0,
                    (w.mean.1, w.mean.2),
                    k.fault_clock.n_events,
                )
            });
        }
        let _ = writeln!(
            toml,
            "# exponential by exposure: {} faults over {} server-days idle in fault-prone states; mean {} s, 95% CI {}..{} s",
            k.faults,
            sig(exposure_days),
            sig(mean),
            sig(ci.0),
            sig(ci.1)
        );
        match weibull {
            Some((w, true)) => {
                let s = w.second.unwrap_or_default();
                let _ = writeln!(
                    toml,
                    "# censored Weibull beats it by AIC: shape {} ({}..{}), n = {} (+{} censored)\ntime_to_fault = {{ dist = \"weibull\", shape = {}, scale = {} }}",
                    sig(s.0),
                    sig(s.1),
                    sig(s.2),
                    k.fault_clock.n_events,
                    k.fault_clock.n_censored,
                    sig(w.params.0),
                    secs(w.params.1)
                );
            }
            _ => {
                let _ = writeln!(
                    toml,
                    "time_to_fault = {{ dist = \"exponential\", mean = {} }}",
                    secs(mean)
                );
            }
        }
    } else {
        let _ = writeln!(
            toml,
            "# no faults in {} server-days idle in fault-prone states\ntime_to_fault = \"off\"",
            sig(exposure_days)
        );
    }
    duration_line(
        toml,
        "repair",
        &format!("{kn}.faults.repair"),
        &k.repair,
        "repairs",
        est,
    );
    if kind == Kind::Bms {
        freeze_section(k, toml, est);
    }
    // A soft reboot whose guest ignores the request waits Nova's timeout
    // and then reboots hard, all within the reboot_started step: the
    // fitted step already holds that wait, so adding it again would count
    // it twice.
    if kind == Kind::Ecs && k.started[Op::Reboot.index()] > 0 {
        let _ = writeln!(
            toml,
            "\n[{kn}.soft_reboot]\nfallback_prob = 0   # the fitted reboot_started step already holds the wait of the reboots that fell back to hard"
        );
    }
}

/// The daily and weekly shapes of the creates, as the scenario writes
/// them, and what the tests of a flat shape said.
struct Shapes {
    written: Vec<String>,
    said: String,
}

/// The creates' daily shape (by hour, UTC) and weekly shape (by day,
/// Monday first): each bin's rate over the time observed in it, against
/// the mean rate. A shape is written when Pearson's chi-square test
/// rejects a flat one at the 0.1% level (so a flat demand is seldom given
/// a shape by chance), as multipliers whose mean is 1, so that `base`
/// stays the mean rate; the weekly shape needs two weeks of log.
fn profile(key: &str, k: &KindTally, observed_by_hour: &[f64], est: &mut Vec<Estimate>) -> Shapes {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    let total: f64 = observed_by_hour.iter().sum();
    let mut shapes = Shapes {
        written: vec![],
        said: String::new(),
    };
    if k.creates == 0 || total <= 0.0 {
        return shapes;
    }
    let rate = k.creates as f64 / total;
    let mut said = vec![];
    for (name, bins, bin_of, min_span_s) in [
        (
            "daily",
            24,
            (|h: usize| h % 24) as fn(usize) -> usize,
            2.0 * DAY_S,
        ),
        (
            "weekly",
            7,
            (|h: usize| h / 24) as fn(usize) -> usize,
            14.0 * DAY_S,
        ),
    ] {
        let mut count = vec![0u64; bins];
        let mut seen = vec![0.0; bins];
        for h in 0..observed_by_hour.len() {
            count[bin_of(h)] += k.creates_by_hour[h];
            seen[bin_of(h)] += observed_by_hour[h];
        }
        if total < min_span_s {
            said.push(format!("no {name} shape: the log is too short"));
            continue;
        }
        // Pearson's statistic over the bins observed.
        let (mut chi2, mut df) = (0.0, -1.0);
        for b in 0..bins {
            let expected = k.creates as f64 * seen[b] / total;
            if expected > 0.0 {
                chi2 += (count[b] as f64 - expected).powi(2) / expected;
                df += 1.0;
            }
        }
        let p = if df >= 1.0 {
            ChiSquared::new(df).map_or(1.0, |c| 1.0 - c.cdf(chi2))
        } else {
            1.0
        };
        // Each bin's multiplier, normalised to a mean of 1 over the bins.
        let raw: Vec<f64> = (0..bins)
            .map(|b| {
                if seen[b] > 0.0 {
                    count[b] as f64 / seen[b] / rate
                } else {
                    1.0
                }
            })
            .collect();
        let mean = raw.iter().sum::<f64>() / bins as f64;
        for b in 0..bins {
            let (lo, hi) = poisson_count(count[b]);
            let scale = |x: f64| {
                if seen[b] > 0.0 && mean > 0.0 {
                    x / seen[b] / rate / mean
                } else {
                    f64::NAN
                }
            };
            est.push(Estimate::plain(
                &format!("{key}.{name}.{b}"),
                "multiplier",
                raw[b] / mean,
                (scale(lo), scale(hi)),
                count[b],
            ));
        }
        est.push(Estimate::plain(
            &format!("{key}.{name}"),
            "flat_p",
            p,
            (f64::NAN, f64::NAN),
            k.creates,
        ));
        if p < 0.001 && mean > 0.0 {
            let values: Vec<String> = raw.iter().map(|m| sig(m / mean)).collect();
            shapes
                .written
                .push(format!("{name} = [{}]", values.join(", ")));
            said.push(format!("{name} shape: a flat one rejected, p = {}", sig(p)));
        } else {
            said.push(format!("no {name} shape: a flat one fits (p = {})", sig(p)));
        }
    }
    shapes.said = said.join("; ");
    shapes
}

/// A count over `days` as a rate per day with Garwood's exact interval,
/// pushed as the estimate `key`: (rate, low, high).
fn per_day(key: &str, count: u64, days: f64, est: &mut Vec<Estimate>) -> (f64, f64, f64) {
    let (lo, hi) = poisson_count(count);
    let (rate, lo, hi) = (count as f64 / days, lo / days, hi / days);
    est.push(Estimate::plain(key, "per_day", rate, (lo, hi), count));
    (rate, lo, hi)
}

/// BMS billing freezes: how often a server is frozen (per server-day it
/// could be: alive, not frozen, not deleting), how often its owner renews,
/// after how long, and the retention after which it is deleted.
fn freeze_section(k: &KindTally, toml: &mut String, est: &mut Vec<Estimate>) {
    let freezes = k.started[Op::Freeze.index()];
    let exposure_days = k.status_time.values().sum::<f64>() / DAY_S;
    if freezes == 0 || exposure_days <= 0.0 {
        return;
    }
    let _ = writeln!(toml, "\n[bms.freeze]");
    let (rate, lo, hi) = per_day("bms.freeze.rate", freezes, exposure_days, est);
    let _ = writeln!(
        toml,
        "rate = \"{}/d\"   # {freezes} freezes over {} server-days not frozen; 95% CI {}..{}/d",
        sig(rate),
        sig(exposure_days),
        sig(lo),
        sig(hi)
    );
    // Renewed or deleted: the freezes that began a retention or more
    // before their log's end, whose outcome the log shows either way.
    let (renewed, expired) = (k.renewed_in_time, k.retention.n_events);
    if let Some(ci) = wilson(renewed, renewed + expired) {
        let p = renewed as f64 / (renewed + expired) as f64;
        est.push(Estimate::plain(
            "bms.freeze.renew_prob",
            "prob",
            p,
            ci,
            renewed + expired,
        ));
        let _ = writeln!(
            toml,
            "renew_prob = {}   # renewed {renewed} of the {} freezes that began a retention or more before the log's end (95% CI {}..{})",
            sig(p),
            renewed + expired,
            sig(ci.0),
            sig(ci.1)
        );
    }
    duration_line(
        toml,
        "renew_delay",
        "bms.freeze.renew_delay",
        &k.renew_delay,
        "renewals",
        est,
    );
    // The retention is a fixed delay: written only when every deletion
    // came after the same time frozen.
    if constant(&k.retention).is_some() {
        duration_line(
            toml,
            "retention",
            "bms.freeze.retention",
            &k.retention,
            "deletions",
            est,
        );
    } else if k.retention.n_events > 0 {
        let _ = writeln!(
            toml,
            "# retention: the {} deletions of frozen servers came after different times frozen; left at its default",
            k.retention.n_events
        );
    }
}

/// The owners: how often they start an operation, and which, by the status
/// they start it from. A request the lock refuses, a lock of a locked server
/// and an unlock of an unlocked one leave no row, so each operation's rate is
/// its count over the time it could have been seen: unlocked for a user
/// operation and for `lock`, locked for `unlock`, any time for an admin
/// operation (`live_migrate`). Counting over all the time instead would
/// miss the refused requests, and the fitted fleet, locked longer, would
/// be refused still more.
fn owners(kind: Kind, k: &KindTally, toml: &mut String, est: &mut Vec<Estimate>) {
    let kn = kind.name();
    let machine = match kind {
        Kind::Ecs => ecs::machine(false),
        Kind::Bms => bms::machine(false),
    };
    let seen_days = |status: &str, op: Option<Op>| -> f64 {
        let all = k.status_time.get(status).copied().unwrap_or(0.0);
        let locked = k.locked_time.get(status).copied().unwrap_or(0.0).min(all);
        let seen = match op {
            Some(Op::Unlock) => locked,
            Some(op) if op == Op::Lock || !machine.is_admin(op) => all - locked,
            _ => all,
        };
        // A count with no time to be seen in cannot happen in a trace; fall
        // back to all the time rather than divide by 0.
        if seen > 0.0 {
            seen / DAY_S
        } else {
            all / DAY_S
        }
    };
    // Per status: each operation's count, rate per server-day seen, and
    // the time it was seen over.
    let mut mixes = vec![];
    for (status, ops) in &k.mix {
        // A log that lost rows (Nova drops notifications; --skip-bad drops
        // lines) can show an operation started from a status whose states
        // all refuse it: the scenario could not hold it, so it is left out
        // and named.
        let allowed = |op: &str| match (Status::from_name(status), Op::from_name(op)) {
            (Some(st), Some(op)) => machine.allowed_in_status(op, st),
            _ => false,
        };
        let refused: Vec<String> = ops
            .iter()
            .filter(|(op, _)| !allowed(op))
            .map(|(op, c)| format!("{op} {c}"))
            .collect();
        let rates: Vec<(&str, u64, f64, f64)> = ops
            .iter()
            .filter(|(op, _)| allowed(op))
            .map(|(&op, &c)| {
                let days = seen_days(status, Op::from_name(op));
                (op, c, c as f64 / days, days)
            })
            .filter(|r| r.2.is_finite())
            .collect();
        let n: u64 = rates.iter().map(|r| r.1).sum();
        let rate: f64 = rates.iter().map(|r| r.2).sum();
        if rate > 0.0 {
            mixes.push((status, rates, rate, n, refused));
        }
    }
    // The scenario has one tick rate for every status: the rate of the
    // status with the most operations (the best measured). A status whose
    // owners were seen less often asked for something the trace cannot
    // show, most often an unlock of an unlocked server (a no-op): the gap
    // is written as `unlock`, which is that no-op, so that the status keeps
    // its own rate.
    let Some(main) = mixes.iter().max_by_key(|m| m.3) else {
        return;
    };
    let (total, rate) = (main.3, main.2);
    // The rate is the status's own (per time seen): its interval is the
    // count's over the time that rate implies.
    let exposure_days = total as f64 / rate;
    let (lo, hi) = poisson_count(total);
    let (lo, hi) = (lo / exposure_days, hi / exposure_days);
    est.push(Estimate::plain(
        &format!("{kn}.ops_rate"),
        "per_day",
        rate,
        (lo, hi),
        total,
    ));
    let _ = writeln!(
        toml,
        "ops_rate = \"{}/d\"   # user operations per server-day in {}, counted while they could be seen (a lock hides refused requests); 95% CI {}..{}; n = {total}",
        sig(rate),
        main.0,
        sig(lo),
        sig(hi)
    );
    for (status, rates, status_rate, n, refused) in &mixes {
        let mut entries: Vec<String> = rates
            .iter()
            .map(|(op, _, r, _)| format!("{op} = {}", sig(*r)))
            .collect();
        // Outside the main status, unlock takes the gap: seen only on the
        // few servers locked there, its own count says little.
        let unlock = Op::Unlock.name();
        let others: f64 = rates.iter().filter(|r| r.0 != unlock).map(|r| r.2).sum();
        let gap = rate - others;
        let mut note = String::new();
        if *status != main.0 && gap > 1e-3 * rate {
            entries.retain(|e| !e.starts_with("unlock ="));
            entries.push(format!("unlock = {}", sig(gap)));
            note = format!(
                " (the others seen {}/d; unlock, a no-op on an unlocked server, takes the rest of ops_rate)",
                sig(others)
            );
        } else if gap < -1e-3 * rate {
            note = format!(" (seen {}/d, above ops_rate)", sig(others));
        }
        let counts: Vec<String> = rates
            .iter()
            .map(|(op, c, ..)| format!("{op} {c}"))
            .collect();
        let left_out = if refused.is_empty() {
            String::new()
        } else {
            format!(
                "; left out, since every state showing {status} refuses them (rows missing from the log?): {}",
                refused.join(", ")
            )
        };
        let _ = writeln!(
            toml,
            "behaviour.{status} = {{ {} }}   # per server-day{note}; started from {status}: {}{left_out}",
            entries.join(", "),
            counts.join(", ")
        );
        for &(op, c, r, _) in rates {
            let share = r / status_rate;
            // Wilson's interval of the count's share, moved by the lock
            // correction (exact when nothing was locked).
            let raw = c as f64 / *n as f64;
            let ci = wilson(c, *n).unwrap_or((0.0, 1.0));
            let scale = if raw > 0.0 { share / raw } else { 1.0 };
            est.push(Estimate::plain(
                &format!("{kn}.behaviour.{status}.{op}"),
                "share",
                share,
                ((ci.0 * scale).min(1.0), (ci.1 * scale).min(1.0)),
                *n,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_reservoir_says_how_many_events_the_interval_used() {
        let mut sample = Sample::default();
        for i in 0..150_000u32 {
            // Durations of 1 to 10 s, spread evenly.
            sample.add(1.0 + f64::from(i % 1000) * 0.009, true);
        }
        let mut out = vec![];
        duration("ecs.steps.spawning", &sample, &mut out).unwrap();
        assert!(!out.is_empty());
        for e in &out {
            assert_eq!(e.n, 150_000);
            assert_eq!(e.n_used, super::super::tally::RESERVOIR as u64);
        }
    }
}
