//! Pack: the most loaded host with room (bin packing, Nova's weighers with
//! negative multipliers); ties go to the earliest host.

use super::{Candidate, Placement};

pub struct Pack;

impl Placement for Pack {
    fn choose(&self, candidates: &mut dyn Iterator<Item = Candidate>) -> Option<u32> {
        let mut best: Option<Candidate> = None;
        for c in candidates {
            if best.is_none_or(|b| c.load > b.load) {
                best = Some(c);
            }
        }
        best.map(|c| c.host)
    }
}
