//! The placement policy: one small trait, one file per policy, chosen in the
//! scenario. A policy only chooses; the capacity bookkeeping decides which
//! hosts have room and records the allocation.

mod first_fit;
mod pack;
mod spread;

use super::spec::PlacementPolicy;
use first_fit::FirstFit;
use pack::Pack;
use spread::Spread;

/// A host with room for the server being placed, as the policy sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    /// Host index.
    pub host: u32,
    /// Share of the host's binding resource (vCPU or memory, whichever is
    /// fuller) in use before this placement.
    pub load: f64,
}

/// Chooses one host among the candidates, which come in host order (pool
/// order, then host number) and all have room. Ties must go to the earliest
/// candidate, so placement is deterministic.
pub trait Placement: Send + Sync {
    /// The index of the chosen host; `None` when there is no candidate.
    fn choose(&self, candidates: &mut dyn Iterator<Item = Candidate>) -> Option<u32>;
}

/// The policy a scenario names.
pub fn policy(p: PlacementPolicy) -> Box<dyn Placement> {
    match p {
        PlacementPolicy::FirstFit => Box::new(FirstFit),
        PlacementPolicy::Spread => Box::new(Spread),
        PlacementPolicy::Pack => Box::new(Pack),
    }
}
