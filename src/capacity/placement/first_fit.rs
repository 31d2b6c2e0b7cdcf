//! First fit: the first host, in host order, with room.

use super::{Candidate, Placement};

pub struct FirstFit;

impl Placement for FirstFit {
    fn choose(&self, candidates: &mut dyn Iterator<Item = Candidate>) -> Option<u32> {
        candidates.next().map(|c| c.host)
    }
}
