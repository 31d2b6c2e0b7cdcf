//! Problems in the input: where (a dotted field), and what is wrong, with
//! the bad value and what would be valid. One collector, [`Problems`],
//! serves the scenario reader, the `initial_fleet` file reader and the
//! sweep, so that every problem is found and reported at once and nothing
//! runs; [`ScenarioError`] is the finished list, as a command reports it.

use std::fmt;

/// One problem in a scenario: where, and what is wrong (including the bad
/// value and what would be valid).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Dotted field path, e.g. `ecs.faults.repair.mean`; empty for the file.
    pub field: String,
    /// What is wrong, with the bad value and what would be valid.
    pub message: String,
}

/// Every problem found in one scenario file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The scenario file, as given.
    pub file: String,
    /// Every problem, in the order found.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{}: {n} problem{} in the scenario; nothing was run",
            self.file,
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            if p.field.is_empty() {
                writeln!(f, "  {}: {}", self.file, p.message)?;
            } else {
                writeln!(f, "  {}: {}: {}", self.file, p.field, p.message)?;
            }
        }
        Ok(())
    }
}

/// Where a check that found a problem leaves its caller: the problem is
/// recorded in the [`Problems`] at hand, and the caller goes on (with a
/// default) so that the rest of the input is checked too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reported;

/// A setting that may be turned off (`"off"` in a scenario).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Switch<T> {
    /// Turned off (`"off"`).
    Off,
    /// On, with this value.
    On(T),
}

impl<T> Switch<T> {
    /// The value, if the setting is on.
    pub fn on(self) -> Option<T> {
        match self {
            Switch::Off => None,
            Switch::On(t) => Some(t),
        }
    }
}

/// The problems found so far, in the order found.
#[derive(Clone, Debug, Default)]
pub struct Problems {
    list: Vec<Problem>,
    /// At most this many are listed; the rest are counted, and the count is
    /// reported with what it concerns (`in fleet.json`).
    limit: Option<(usize, String)>,
    more: usize,
}

impl Problems {
    /// No problems yet; every problem will be listed.
    pub fn new() -> Problems {
        Problems::default()
    }

    /// No problems yet; at most `limit` will be listed, and the rest
    /// counted in one last problem, "and N more problems `place`".
    pub fn listing_at_most(limit: usize, place: impl Into<String>) -> Problems {
        Problems {
            limit: Some((limit, place.into())),
            ..Problems::default()
        }
    }

    /// Records a problem at `field`.
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) -> Reported {
        self.add(Problem {
            field: field.into(),
            message: message.into(),
        })
    }

    /// Records a problem found elsewhere.
    pub fn add(&mut self, p: Problem) -> Reported {
        match &self.limit {
            Some((limit, _)) if self.list.len() >= *limit => self.more += 1,
            _ => self.list.push(p),
        }
        Reported
    }

    /// Records a problem unless the same one (field and message) is
    /// already recorded: a sweep finds the same problem at many points.
    pub fn add_once(&mut self, p: Problem) {
        if !self.list.contains(&p) {
            self.add(p);
        }
    }

    /// Records problems found elsewhere, in their order.
    pub fn add_all(&mut self, problems: impl IntoIterator<Item = Problem>) {
        for p in problems {
            self.add(p);
        }
    }

    /// Problems found, listed or counted.
    pub fn len(&self) -> usize {
        self.list.len() + self.more
    }

    /// Whether none was found.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The problems, and the count of those not listed as one more.
    pub fn into_vec(mut self) -> Vec<Problem> {
        if let (Some((_, place)), Some(last)) = (&self.limit, self.list.last())
            && self.more > 0
        {
            let more = self.more;
            let field = last.field.clone();
            self.list.push(Problem {
                field,
                message: format!(
                    "and {more} more problem{} {place}",
                    if more == 1 { "" } else { "s" }
                ),
            });
        }
        self.list
    }

    /// `Ok` if none was found; otherwise every problem, as the error of
    /// scenario `file`.
    pub fn into_result(self, file: &str) -> Result<(), ScenarioError> {
        if self.is_empty() {
            return Ok(());
        }
        Err(self.into_error(file))
    }

    /// Every problem, as the error of scenario `file`.
    pub fn into_error(self, file: &str) -> ScenarioError {
        ScenarioError {
            file: file.to_string(),
            problems: self.into_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_beyond_the_limit_are_counted_in_one_more() {
        let mut ps = Problems::listing_at_most(2, "in f.json");
        for i in 0..5 {
            ps.push("ecs.initial_fleet", format!("p{i}"));
        }
        assert_eq!(ps.len(), 5);
        let v = ps.into_vec();
        let messages: Vec<&str> = v.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages, ["p0", "p1", "and 3 more problems in f.json"]);
        assert_eq!(v[2].field, "ecs.initial_fleet");
        let mut ps = Problems::new();
        let p = Problem {
            field: "a".into(),
            message: "b".into(),
        };
        ps.add_once(p.clone());
        ps.add_once(p);
        assert_eq!(ps.len(), 1);
        assert!(Problems::new().into_result("x.toml").is_ok());
    }
}
