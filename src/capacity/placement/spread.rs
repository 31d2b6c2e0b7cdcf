//! Spread: the least loaded host with room, as Nova's default weighers
//! (free RAM, free vCPU) spread instances; ties go to the earliest host.

use super::{Candidate, Placement};

pub struct Spread;

impl Placement for Spread {
    fn choose(&self, candidates: &mut dyn Iterator<Item = Candidate>) -> Option<u32> {
        let mut best: Option<Candidate> = None;
        for c in candidates {
            if best.is_none_or(|b| c.load < b.load) {
                best = Some(c);
            }
        }
        best.map(|c| c.host)
    }
}
