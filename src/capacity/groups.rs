//! Nova server groups: which servers are members of which group, with what
//! policy, and what the policy lets the scheduler do with a host. The
//! filters and weighers follow Nova's: `ServerGroupAffinityFilter` and
//! `ServerGroupAntiAffinityFilter` (nova/scheduler/filters/affinity_filter.py)
//! refuse hosts, `ServerGroupSoftAffinityWeigher` and
//! `ServerGroupSoftAntiAffinityWeigher` (nova/scheduler/weights/affinity.py)
//! only rank them. Every placement of a member (its build, a reschedule, a
//! resize, a live migration, an evacuation, a start after a release) goes
//! through [`Rule`], so a hard policy holds at every instant.
//!
//! Groups live in a dense `Vec` with a free list, and each server's group
//! is a number in its allocation: nothing here is hash-ordered.

use serde::Serialize;
use strum::{EnumString, IntoStaticStr, VariantArray};

/// "In no group".
pub const NO_GROUP: u32 = u32::MAX;

/// A server group's policy, as Nova names it (API microversion 2.64 and
/// later: one policy per group).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, VariantArray, IntoStaticStr, EnumString)]
pub enum GroupPolicy {
    /// Every member on one host (a filter: hosts without the group's
    /// members are refused once a member has a host).
    #[serde(rename = "affinity")]
    #[strum(serialize = "affinity")]
    Affinity,
    /// At most `max_server_per_host` members on a host (a filter).
    #[serde(rename = "anti-affinity")]
    #[strum(serialize = "anti-affinity")]
    AntiAffinity,
    /// Prefer hosts with fewer members (a weigher: never refuses).
    #[serde(rename = "soft-anti-affinity")]
    #[strum(serialize = "soft-anti-affinity")]
    SoftAntiAffinity,
    /// Prefer hosts with more members (a weigher: never refuses).
    #[serde(rename = "soft-affinity")]
    #[strum(serialize = "soft-affinity")]
    SoftAffinity,
}

impl GroupPolicy {
    /// Every policy, in the order scenarios, columns and reports list them.
    pub const ALL: &'static [GroupPolicy] = GroupPolicy::VARIANTS;

    /// Nova's name (`anti-affinity`), as scenarios spell it.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Index into per-policy arrays, in [`GroupPolicy::ALL`] order.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Number of policies.
pub const POLICIES: usize = 4;

/// One server group.
#[derive(Clone, Debug, Default)]
struct Group {
    policy: Option<GroupPolicy>,
    /// Anti-affinity's `max_server_per_host` (1 for the other policies).
    max_per_host: u32,
    /// Member server slots, in the order they joined.
    members: Vec<u32>,
}

/// Every live server group.
#[derive(Default)]
pub struct Groups {
    groups: Vec<Group>,
    free: Vec<u32>,
}

impl Groups {
    /// A new, empty group; its number.
    pub fn create(&mut self, policy: GroupPolicy, max_per_host: u32) -> u32 {
        let g = Group {
            policy: Some(policy),
            max_per_host: max_per_host.max(1),
            members: Vec::new(),
        };
        match self.free.pop() {
            Some(i) => {
                self.groups[i as usize] = g;
                i
            }
            None => {
                self.groups.push(g);
                (self.groups.len() - 1) as u32
            }
        }
    }

    /// Server `id` joins group `g`.
    pub fn join(&mut self, g: u32, id: u32) {
        self.groups[g as usize].members.push(id);
    }

    /// Server `id` leaves group `g`; the last member out frees the group.
    pub fn leave(&mut self, g: u32, id: u32) {
        let group = &mut self.groups[g as usize];
        if let Some(i) = group.members.iter().position(|&m| m == id) {
            group.members.remove(i);
        }
        if group.members.is_empty() {
            *group = Group::default();
            self.free.push(g);
        }
    }

    /// The policy of group `g`.
    pub fn policy(&self, g: u32) -> GroupPolicy {
        self.groups[g as usize].policy.expect("a live group")
    }

    /// The members of group `g`, in the order they joined.
    pub fn members(&self, g: u32) -> &[u32] {
        &self.groups[g as usize].members
    }

    /// Groups alive now (for tests of the free list).
    pub fn live(&self) -> usize {
        self.groups.len() - self.free.len()
    }

    /// Every live group: its number, policy, `max_server_per_host` and
    /// members, in number order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, GroupPolicy, u32, &[u32])> {
        self.groups.iter().enumerate().filter_map(|(i, g)| {
            g.policy
                .map(|p| (i as u32, p, g.max_per_host, g.members.as_slice()))
        })
    }

    /// What group `g`'s policy asks of the placement of member `id`, given
    /// the hosts every member holds (`held(m)`: its host and its second
    /// host, each possibly [`super::NO_HOST`]). For affinity the member's
    /// own host counts, as in Nova, whose group hosts include the moving
    /// instance's: so an affinity member never moves to another host. For
    /// the other policies it does not: Nova's anti-affinity filter lets a
    /// moving server's own host pass, and counts the others.
    pub fn rule(&self, g: u32, id: u32, held: impl Fn(u32) -> [u32; 2]) -> Rule {
        let group = &self.groups[g as usize];
        let policy = group.policy.expect("a live group");
        let counts_self = policy == GroupPolicy::Affinity;
        let mut counts: Vec<(u32, u32)> = Vec::new();
        for &m in group.members.iter().filter(|&&m| counts_self || m != id) {
            for h in held(m) {
                if h != super::NO_HOST {
                    counts.push((h, 1));
                }
            }
        }
        counts.sort_unstable();
        counts.dedup_by(|b, a| {
            let same = a.0 == b.0;
            if same {
                a.1 += b.1;
            }
            same
        });
        Rule {
            policy,
            max_per_host: group.max_per_host,
            counts,
        }
    }
}

/// A group's policy as it applies to one placement: members per host held
/// by the other members.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The group's policy.
    pub policy: GroupPolicy,
    /// Anti-affinity's `max_server_per_host`.
    pub max_per_host: u32,
    /// (host, members holding it), sorted by host.
    counts: Vec<(u32, u32)>,
}

impl Rule {
    /// Members holding `host` (for anti-affinity and the soft policies,
    /// other than the one being placed).
    pub fn count(&self, host: u32) -> u32 {
        self.counts
            .binary_search_by_key(&host, |c| c.0)
            .map_or(0, |i| self.counts[i].1)
    }

    /// Whether the filters let `host` pass: affinity wants a host the
    /// group holds (any host while it holds none), anti-affinity fewer
    /// than `max_server_per_host` members there; the soft policies refuse
    /// nothing.
    pub fn passes(&self, host: u32) -> bool {
        match self.policy {
            GroupPolicy::Affinity => self.counts.is_empty() || self.count(host) > 0,
            GroupPolicy::AntiAffinity => self.count(host) < self.max_per_host,
            GroupPolicy::SoftAntiAffinity | GroupPolicy::SoftAffinity => true,
        }
    }

    /// The weigher's preference, higher better: fewer members for
    /// soft-anti-affinity, more for soft-affinity, none otherwise.
    pub fn weight(&self, host: u32) -> i64 {
        match self.policy {
            GroupPolicy::SoftAntiAffinity => -i64::from(self.count(host)),
            GroupPolicy::SoftAffinity => i64::from(self.count(host)),
            GroupPolicy::Affinity | GroupPolicy::AntiAffinity => 0,
        }
    }

    /// Whether the policy ranks hosts (a weigher) rather than filters them.
    pub fn weighs(&self) -> bool {
        matches!(
            self.policy,
            GroupPolicy::SoftAntiAffinity | GroupPolicy::SoftAffinity
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::NO_HOST;

    #[test]
    fn names_are_novas() {
        let names: Vec<&str> = GroupPolicy::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(
            names,
            [
                "affinity",
                "anti-affinity",
                "soft-anti-affinity",
                "soft-affinity"
            ]
        );
        assert_eq!(GroupPolicy::ALL.len(), POLICIES);
        for p in GroupPolicy::ALL {
            assert_eq!(GroupPolicy::ALL[p.index()], *p);
        }
    }

    #[test]
    fn rules_count_the_other_members_on_each_host() {
        let mut g = Groups::default();
        let a = g.create(GroupPolicy::AntiAffinity, 2);
        for id in [10, 11, 12, 13] {
            g.join(a, id);
        }
        // 10 on host 1, 11 on host 1 moving to 2, 12 on host 2, 13 nowhere.
        let held = |m: u32| match m {
            10 => [1, NO_HOST],
            11 => [1, 2],
            12 => [2, NO_HOST],
            _ => [NO_HOST, NO_HOST],
        };
        let r = g.rule(a, 13, held);
        assert_eq!((r.count(1), r.count(2), r.count(3)), (2, 2, 0));
        assert!(!r.passes(1) && !r.passes(2) && r.passes(3));
        // A member does not count against itself.
        let r = g.rule(a, 10, held);
        assert_eq!(r.count(1), 1);
        assert!(r.passes(1));
        g.leave(a, 10);
        assert_eq!(g.members(a), &[11, 12, 13]);
        for id in [11, 12, 13] {
            g.leave(a, id);
        }
        assert_eq!(g.live(), 0);
        // The freed number is reused.
        assert_eq!(g.create(GroupPolicy::Affinity, 1), a);
    }

    #[test]
    fn affinity_follows_the_group_and_soft_policies_only_weigh() {
        let mut g = Groups::default();
        let a = g.create(GroupPolicy::Affinity, 1);
        g.join(a, 0);
        g.join(a, 1);
        let nowhere = |_| [NO_HOST, NO_HOST];
        assert!(g.rule(a, 1, nowhere).passes(7));
        let on5 = |m: u32| if m == 0 { [5, NO_HOST] } else { [NO_HOST; 2] };
        let r = g.rule(a, 1, on5);
        assert!(r.passes(5) && !r.passes(7) && !r.weighs());
        let s = g.create(GroupPolicy::SoftAntiAffinity, 1);
        g.join(s, 0);
        g.join(s, 1);
        let r = g.rule(s, 1, on5);
        assert!(r.passes(5) && r.weighs());
        assert!(r.weight(7) > r.weight(5));
        let s = g.create(GroupPolicy::SoftAffinity, 1);
        g.join(s, 0);
        g.join(s, 1);
        let r = g.rule(s, 1, on5);
        assert!(r.weight(5) > r.weight(7));
    }
}
