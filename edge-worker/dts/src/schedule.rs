//! Which chunk groups to ask which provider for: the download's brain, free of I/O so it is tested on its own.
//!
//! - **Rarest first**: among the groups a provider has that are neither done nor in flight, the ones fewest
//!   providers have go first, so rare groups are not left to a provider that may leave.
//! - **Seeds last**: a provider that holds every group (a swarm's seed) is asked only for the groups no
//!   partial provider holds while partial ones serve the rest, so a group a peer verified is fetched from
//!   that peer and a seed sends each group about once however many nodes pull at once.
//! - **Rate-weighted batches**: a provider is given about [`Scheduler::BATCH_TARGET_MS`] worth of groups at its
//!   measured rate (at least one, at most [`Scheduler::MAX_BATCH`]), so fast providers get big batches and slow
//!   ones small ones, and all finish their batches at about the same time. Up to
//!   [`Scheduler::BATCHES_IN_FLIGHT`] batches per provider overlap, so a round trip never idles the link.
//! - **Endgame**: when every missing group is in flight, idle providers duplicate the in-flight groups that were
//!   assigned longest ago, so one slow provider cannot hold the last groups hostage.
//! - **Bans**: a provider that sent a group that failed verification is dropped; its in-flight groups return to
//!   the pool.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    hash::Hash,
    ops::Range,
    time::{Duration, Instant},
};

use crate::bitfield::Bitfield;
use crate::store::GROUP_BYTES;

/// What the scheduler knows about one provider.
#[derive(Debug)]
struct Provider {
    has: Bitfield,
    /// Bytes per second, exponentially smoothed; `None` until the first batch completes.
    rate: Option<f64>,
    /// Groups of each batch in flight, by batch id.
    batches: BTreeMap<u64, BTreeSet<u64>>,
    banned: bool,
}

impl Provider {
    fn holds_in_flight(&self, group: u64) -> bool {
        self.batches.values().any(|b| b.contains(&group))
    }
}

/// Per-download scheduling state, generic over how providers are named.
#[derive(Debug)]
pub struct Scheduler<P> {
    groups: u64,
    done: Bitfield,
    providers: HashMap<P, Provider>,
    /// In-flight groups and when each was first assigned.
    in_flight: BTreeMap<u64, Instant>,
    next_batch_id: u64,
    /// Orders equally rare pieces differently in every download (see [`PIECE_GROUPS`]).
    salt: u64,
    /// How many usable providers hold each group, and how many of those are partial (do not hold every
    /// group). Kept up to date as providers come, change and go: counted afresh for every candidate group of
    /// every batch, they cost a scan of every provider per group, many times a second per worker, and eight
    /// nodes pulling a model from each other spent their two cores on it.
    held: Vec<u16>,
    held_partially: Vec<u16>,
}

/// Groups of a piece: the run of groups that equally rare ones are taken in, pieces in an order of the
/// download's own. Nodes pulling one content at once then ask the seed for different pieces and trade them,
/// where one order for all had them fetch the same groups from the seed at the same time; within a piece,
/// groups go in runs, so a batch stays a few ranges.
const PIECE_GROUPS: u64 = 64;

/// A bijective mix of a piece index with a download's salt (SplitMix64's finalizer).
fn piece_rank(group: u64, salt: u64) -> u64 {
    let mut x = (group / PIECE_GROUPS) ^ salt;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A provider as its workers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// It holds every group (a swarm's seed), as far as the download knows.
    pub seed: bool,
    /// It holds a group the download still lacks: a provider left idle by the seeds-last rule still has
    /// something to give.
    pub holds_missing: bool,
}

impl<P: Clone + Eq + Hash> Scheduler<P> {
    /// Aim for batches that take this long at the provider's rate.
    pub const BATCH_TARGET_MS: f64 = 500.0;
    /// Most groups in one request (16 MiB): large enough that per-request costs vanish on a fast link.
    pub const MAX_BATCH: u64 = 1024;
    /// Groups asked of a provider whose rate is not known yet (256 KiB).
    pub const FIRST_BATCH: u64 = 16;
    /// Batches a provider may have in flight at once.
    pub const BATCHES_IN_FLIGHT: usize = 2;

    /// A download of `groups` groups, of which `done` are already verified locally.
    pub fn new(done: Bitfield) -> Self {
        let groups = done.len();
        Self {
            groups,
            done,
            providers: HashMap::new(),
            in_flight: BTreeMap::new(),
            next_batch_id: 0,
            salt: rand::random(),
            held: vec![0; groups as usize],
            held_partially: vec![0; groups as usize],
        }
    }

    /// Counts the groups of `has` in (or, with `add` false, out of) [`Self::held`] and
    /// [`Self::held_partially`].
    fn count(&mut self, has: &Bitfield, add: bool) {
        let partial = !has.is_complete();
        let step = |n: &mut u16| {
            *n = if add {
                n.saturating_add(1)
            } else {
                n.saturating_sub(1)
            }
        };
        for g in has.iter() {
            step(&mut self.held[g as usize]);
            if partial {
                step(&mut self.held_partially[g as usize]);
            }
        }
    }

    /// Whether every group is done.
    pub fn is_complete(&self) -> bool {
        self.done.is_complete()
    }

    /// Groups done.
    pub fn done_count(&self) -> u64 {
        self.done.count()
    }

    /// Adds or updates a provider's advertised groups. Ignored for a banned provider or a bitfield of another
    /// length.
    pub fn update_provider(&mut self, peer: P, has: Bitfield) {
        if has.len() != self.groups {
            return;
        }
        match self.providers.get_mut(&peer) {
            Some(p) if p.banned => {}
            Some(p) => {
                let old = std::mem::replace(&mut p.has, has.clone());
                self.count(&old, false);
                self.count(&has, true);
            }
            None => {
                self.count(&has, true);
                self.providers.insert(
                    peer,
                    Provider {
                        has,
                        rate: None,
                        batches: BTreeMap::new(),
                        banned: false,
                    },
                );
            }
        }
    }

    /// Usable (known, not banned) providers.
    pub fn active_providers(&self) -> usize {
        self.providers.values().filter(|p| !p.banned).count()
    }

    /// Whether `peer` is banned.
    pub fn is_banned(&self, peer: &P) -> bool {
        self.providers.get(peer).is_some_and(|p| p.banned)
    }

    /// Whether a provider that does not hold every group (another node downloading) holds `group`.
    fn held_by_a_partial_provider(&self, group: u64) -> bool {
        self.held_partially[group as usize] > 0
    }

    /// What the download knows of `peer` for its workers: `None` once it failed, left or was banned, when its
    /// workers stop.
    pub fn standing(&self, peer: &P) -> Option<Standing> {
        let p = self.providers.get(peer).filter(|p| !p.banned)?;
        Some(Standing {
            seed: p.has.is_complete(),
            holds_missing: (0..self.groups).any(|g| p.has.get(g) && !self.done.get(g)),
        })
    }

    fn availability(&self, group: u64) -> usize {
        usize::from(self.held[group as usize])
    }

    /// The next batch for `peer`: its id and its groups as ascending half-open ranges; `None` if the provider
    /// has nothing useful or already has [`Self::BATCHES_IN_FLIGHT`] batches in flight.
    pub fn next_batch(&mut self, peer: &P, now: Instant) -> Option<(u64, Vec<Range<u64>>)> {
        let provider = self.providers.get(peer)?;
        if provider.banned || provider.batches.len() >= Self::BATCHES_IN_FLIGHT {
            return None;
        }
        let size = match provider.rate {
            None => Self::FIRST_BATCH,
            Some(rate) => ((rate * Self::BATCH_TARGET_MS / 1000.0) / GROUP_BYTES as f64)
                .clamp(1.0, Self::MAX_BATCH as f64) as u64,
        };
        let seed = provider.has.is_complete()
            && self.providers.iter().any(|(other, p)| {
                other != peer && !p.banned && !p.has.is_complete() && p.has.count() > 0
            });
        let waiting = |g: &u64| !self.done.get(*g) && !self.in_flight.contains_key(g);
        let mut candidates: Vec<(usize, u64, u64)> = (0..self.groups)
            .filter(|g| provider.has.get(*g) && waiting(g))
            .map(|g| (self.availability(g), piece_rank(g, self.salt), g))
            .filter(|(_, _, g)| !seed || !self.held_by_a_partial_provider(*g))
            .collect();
        // A seed takes no share of the endgame while partial providers still have groups to send.
        if seed && candidates.is_empty() && (0..self.groups).any(|g| waiting(&g)) {
            return None;
        }
        let picked: Vec<u64> = if candidates.is_empty() {
            // Endgame: duplicate the oldest in-flight groups this provider has, each at most once and in
            // small batches, so the tail costs little extra transfer.
            let holders = |g: u64| {
                self.providers
                    .values()
                    .filter(|p| p.holds_in_flight(g))
                    .count()
            };
            let mut oldest: Vec<(Instant, u64)> = self
                .in_flight
                .iter()
                .filter(|(g, _)| {
                    provider.has.get(**g) && !provider.holds_in_flight(**g) && holders(**g) == 1
                })
                .map(|(g, at)| (*at, *g))
                .collect();
            oldest.sort();
            oldest
                .into_iter()
                .take(size.min(Self::FIRST_BATCH) as usize)
                .map(|(_, g)| g)
                .collect()
        } else {
            // Near the end, no batch takes more than its fair share of what is left, so the tail is spread
            // over every provider instead of queued behind one big batch.
            let slots = (self.active_providers() * Self::BATCHES_IN_FLIGHT).max(1) as u64;
            let size = size.min((candidates.len() as u64).div_ceil(slots)).max(1);
            // Rarest first; among equally rare groups, pieces in this download's order, each a contiguous
            // run. Only the `size` smallest keys are needed: selected in linear time, then sorted.
            let size = size as usize;
            if candidates.len() > size {
                candidates.select_nth_unstable(size);
                candidates.truncate(size);
            }
            candidates.sort_unstable();
            candidates.into_iter().map(|(_, _, g)| g).collect()
        };
        if picked.is_empty() {
            return None;
        }
        let id = self.next_batch_id;
        self.next_batch_id += 1;
        for g in &picked {
            self.in_flight.entry(*g).or_insert(now);
        }
        let provider = self.providers.get_mut(peer)?;
        provider
            .batches
            .insert(id, picked.iter().copied().collect());
        Some((id, to_ranges(picked)))
    }

    /// `peer` delivered and verified `group`.
    pub fn group_done(&mut self, peer: &P, group: u64) {
        self.done.set(group);
        self.in_flight.remove(&group);
        for provider in self.providers.values_mut() {
            for batch in provider.batches.values_mut() {
                batch.remove(&group);
            }
        }
        // A provider that delivered a group it did not advertise (its bitfield was asked for again between the
        // batch and the delivery) is counted afresh: set in place, it could turn complete while counted as
        // partial, and the seeds-last rule would then leave every seed idle for good (attacker review).
        let Some(p) = self.providers.get_mut(peer) else {
            return;
        };
        if !p.has.get(group) {
            let mut has = p.has.clone();
            has.set(group);
            self.update_provider(peer.clone(), has);
        }
    }

    /// `peer` finished batch `batch` with `bytes` in `elapsed`: updates its rate and frees the groups of the
    /// batch it did not deliver.
    pub fn batch_finished(&mut self, peer: &P, batch: u64, bytes: u64, elapsed: Duration) {
        let mut undelivered = Vec::new();
        if let Some(p) = self.providers.get_mut(peer) {
            let sample = bytes as f64 / elapsed.as_secs_f64().max(1e-3);
            p.rate = Some(match p.rate {
                Some(rate) => rate * 0.7 + sample * 0.3,
                None => sample,
            });
            undelivered = p
                .batches
                .remove(&batch)
                .unwrap_or_default()
                .into_iter()
                .collect();
        }
        self.release(undelivered);
    }

    /// `peer` declined `batch` for now (it waits for receipts): its groups go back to the pool, and its rate
    /// estimate stays as it was.
    pub fn batch_deferred(&mut self, peer: &P, batch: u64) {
        let undelivered = self
            .providers
            .get_mut(peer)
            .and_then(|p| p.batches.remove(&batch))
            .unwrap_or_default()
            .into_iter()
            .collect();
        self.release(undelivered);
    }

    /// `peer` sent data that failed verification (or broke the protocol): it is banned for this download and
    /// its groups go back to the pool.
    pub fn ban(&mut self, peer: &P) {
        let mut undelivered = Vec::new();
        let mut uncounted = None;
        if let Some(p) = self.providers.get_mut(peer) {
            if !p.banned {
                uncounted = Some(p.has.clone());
            }
            p.banned = true;
            undelivered = std::mem::take(&mut p.batches)
                .into_values()
                .flatten()
                .collect();
        }
        if let Some(has) = uncounted {
            self.count(&has, false);
        }
        self.release(undelivered);
    }

    /// `peer` is gone (disconnected, error): its groups go back to the pool, it stays eligible if it returns.
    pub fn provider_failed(&mut self, peer: &P) {
        // A banned one keeps its entry, which keeps it out (failing on purpose must not erase a ban).
        if self.is_banned(peer) {
            return;
        }
        let Some(p) = self.providers.remove(peer) else {
            return;
        };
        self.count(&p.has, false);
        self.release(p.batches.into_values().flatten().collect());
    }

    fn release(&mut self, groups: Vec<u64>) {
        for g in groups {
            let still = self.providers.values().any(|p| p.holds_in_flight(g));
            if !still {
                self.in_flight.remove(&g);
            }
        }
    }
}

/// Ascending groups as half-open ranges of consecutive indices.
pub fn to_ranges(mut groups: Vec<u64>) -> Vec<Range<u64>> {
    groups.sort_unstable();
    groups.dedup();
    let mut ranges: Vec<Range<u64>> = Vec::new();
    for g in groups {
        match ranges.last_mut() {
            Some(r) if r.end == g => r.end = g + 1,
            _ => ranges.push(g..g + 1),
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn field(len: u64, groups: impl IntoIterator<Item = u64>) -> Bitfield {
        let mut f = Bitfield::new(len);
        for g in groups {
            f.set(g);
        }
        f
    }

    fn flat(ranges: &[Range<u64>]) -> Vec<u64> {
        ranges.iter().flat_map(|r| r.clone()).collect()
    }

    #[test]
    fn rare_groups_go_first() {
        let mut s = Scheduler::new(Bitfield::new(40));
        s.update_provider("a", field(40, 1..40));
        s.update_provider("b", field(40, 0..30));
        // Groups 30..40 only "a" has: they come first (a fair share of 39 over 4 slots is 10 groups).
        let batch = flat(&s.next_batch(&"a", Instant::now()).unwrap().1);
        assert_eq!(batch, (30..40).collect::<Vec<_>>());
    }

    #[test]
    fn a_seed_is_left_the_groups_no_partial_provider_holds() {
        let mut s = Scheduler::new(Bitfield::new(8));
        s.update_provider("seed", Bitfield::full(8));
        s.update_provider("peer", field(8, 0..4));
        let now = Instant::now();
        let mut from_seed = flat(&s.next_batch(&"seed", now).unwrap().1);
        while let Some((_, more)) = s.next_batch(&"seed", now) {
            from_seed.extend(flat(&more));
        }
        assert!(!from_seed.is_empty());
        assert!(
            from_seed.iter().all(|g| *g >= 4),
            "the seed sends what only it has: {from_seed:?}"
        );
        let from_peer = flat(&s.next_batch(&"peer", now).unwrap().1);
        assert!(from_peer.iter().all(|g| *g < 4), "{from_peer:?}");
        // Two seeds share what no partial provider holds (each alone, it would wait for the other).
        let mut two = Scheduler::new(Bitfield::new(8));
        two.update_provider("seed", Bitfield::full(8));
        two.update_provider("seed 2", Bitfield::full(8));
        two.update_provider("peer", field(8, 0..4));
        assert!(flat(&two.next_batch(&"seed", now).unwrap().1)
            .iter()
            .all(|g| *g >= 4));
        assert!(flat(&two.next_batch(&"seed 2", now).unwrap().1)
            .iter()
            .all(|g| *g >= 4));
        // Without partial providers, a provider holding everything serves everything.
        let mut alone = Scheduler::new(Bitfield::new(8));
        alone.update_provider("seed", Bitfield::full(8));
        alone.update_provider("other seed", Bitfield::full(8));
        assert!(alone.next_batch(&"seed", now).is_some());
    }

    #[test]
    fn fast_providers_get_bigger_batches() {
        let mut s = Scheduler::new(Bitfield::new(10_000));
        s.update_provider("fast", Bitfield::full(10_000));
        s.update_provider("slow", Bitfield::full(10_000));
        let now = Instant::now();
        let fast_batch = s.next_batch(&"fast", now).unwrap().0;
        let slow_batch = s.next_batch(&"slow", now).unwrap().0;
        s.batch_finished(&"fast", fast_batch, 100 << 20, Duration::from_secs(1));
        s.batch_finished(&"slow", slow_batch, 1 << 20, Duration::from_secs(1));
        let fast = flat(&s.next_batch(&"fast", now).unwrap().1).len();
        let slow = flat(&s.next_batch(&"slow", now).unwrap().1).len();
        assert!(fast > 10 * slow, "fast {fast}, slow {slow}");
        assert_eq!(fast as u64, Scheduler::<&str>::MAX_BATCH);
    }

    /// Drains every batch `peer` can get, delivering all of it; returns the groups received.
    fn drain(s: &mut Scheduler<&'static str>, peer: &'static str) -> Vec<u64> {
        let mut got = Vec::new();
        while let Some((id, batch)) = s.next_batch(&peer, Instant::now()) {
            for g in flat(&batch) {
                got.push(g);
                s.group_done(&peer, g);
            }
            s.batch_finished(&peer, id, GROUP_BYTES, Duration::from_millis(10));
        }
        got.sort();
        got
    }

    #[test]
    fn a_banned_provider_gets_nothing_and_its_groups_return() {
        let mut s = Scheduler::new(Bitfield::new(8));
        s.update_provider("bad", Bitfield::full(8));
        s.update_provider("good", Bitfield::full(8));
        let now = Instant::now();
        let taken = flat(&s.next_batch(&"bad", now).unwrap().1);
        assert!(!taken.is_empty());
        s.ban(&"bad");
        assert!(s.is_banned(&"bad"));
        assert!(s.next_batch(&"bad", now).is_none());
        s.update_provider("bad", Bitfield::full(8));
        assert!(s.is_banned(&"bad"), "a ban survives re-advertisement");
        assert_eq!(
            drain(&mut s, "good"),
            (0..8).collect::<Vec<_>>(),
            "the bad provider's groups returned"
        );
        assert!(s.is_complete());
    }

    #[test]
    fn batches_overlap_up_to_the_limit_and_finish_independently() {
        let mut s = Scheduler::new(Bitfield::new(100));
        s.update_provider("a", Bitfield::full(100));
        let now = Instant::now();
        let (first, one) = s.next_batch(&"a", now).unwrap();
        let (_, two) = s.next_batch(&"a", now).unwrap();
        assert!(
            s.next_batch(&"a", now).is_none(),
            "two batches in flight at most"
        );
        assert!(
            flat(&one).iter().all(|g| !flat(&two).contains(g)),
            "no overlap"
        );
        // The first batch delivers half and finishes: the rest returns to the pool, the second is untouched.
        for g in flat(&one).into_iter().take(8) {
            s.group_done(&"a", g);
        }
        s.batch_finished(&"a", first, 8 * GROUP_BYTES, Duration::from_millis(50));
        let (_, three) = s.next_batch(&"a", now).unwrap();
        assert!(
            flat(&one)[8..].iter().all(|g| flat(&three).contains(g)),
            "undelivered groups reassigned"
        );
        assert!(flat(&two).iter().all(|g| !flat(&three).contains(g)));
    }

    #[test]
    fn the_endgame_duplicates_the_oldest_in_flight_groups_once() {
        let mut s = Scheduler::new(Bitfield::new(2));
        s.update_provider("slow", Bitfield::full(2));
        let t0 = Instant::now();
        let mut held = flat(&s.next_batch(&"slow", t0).unwrap().1);
        held.extend(flat(&s.next_batch(&"slow", t0).unwrap().1));
        held.sort();
        assert_eq!(
            held,
            vec![0, 1],
            "everything is in flight at the slow provider"
        );
        s.update_provider("idle", Bitfield::full(2));
        let dup = flat(
            &s.next_batch(&"idle", t0 + Duration::from_secs(1))
                .unwrap()
                .1,
        );
        assert_eq!(dup, vec![0, 1], "the idle provider duplicates the tail");
        s.update_provider("third", Bitfield::full(2));
        assert!(
            s.next_batch(&"third", t0).is_none(),
            "a group is duplicated at most once"
        );
        for g in 0..2 {
            s.group_done(&"idle", g);
        }
        assert!(s.is_complete());
    }

    proptest! {
        /// The counts of providers per group stay what a count of the providers gives, however they change.
        #[test]
        fn held_counts_follow_providers_as_they_change_ban_and_go(
            ops in proptest::collection::vec((0usize..4, 0u8..5, proptest::collection::vec(any::<bool>(), 24)), 1..40),
        ) {
            let mut s = Scheduler::new(Bitfield::new(24));
            for (peer, op, bits) in ops {
                match op {
                    0 => s.update_provider(peer, field(24, (0..24).filter(|g| bits[*g as usize]))),
                    1 => s.update_provider(peer, Bitfield::full(24)),
                    2 => s.ban(&peer),
                    3 => s.provider_failed(&peer),
                    // A delivery of a group it may not have advertised.
                    _ => s.group_done(&peer, bits.iter().position(|b| *b).unwrap_or(0) as u64),
                }
                let usable: Vec<&Provider> = s.providers.values().filter(|p| !p.banned).collect();
                for g in 0..24 {
                    let held = usable.iter().filter(|p| p.has.get(g)).count();
                    let partial = usable.iter().filter(|p| p.has.get(g) && !p.has.is_complete()).count();
                    prop_assert_eq!(usize::from(s.held[g as usize]), held);
                    prop_assert_eq!(usize::from(s.held_partially[g as usize]), partial);
                }
            }
        }

        /// Whatever providers advertise and however batches go, the scheduler never assigns a done group
        /// outside the endgame, never assigns a group the provider lacks, and finishes when every group is
        /// available somewhere.
        #[test]
        fn downloads_complete_and_assignments_are_sound(
            groups in 1u64..200,
            holdings in proptest::collection::vec(proptest::collection::vec(any::<bool>(), 200), 1..5),
        ) {
            let mut s = Scheduler::new(Bitfield::new(groups));
            let peers: Vec<usize> = (0..holdings.len()).collect();
            for (p, has) in holdings.iter().enumerate() {
                s.update_provider(p, field(groups, (0..groups).filter(|g| has[*g as usize])));
            }
            let available: BTreeSet<u64> = (0..groups)
                .filter(|g| holdings.iter().any(|h| h[*g as usize]))
                .collect();
            let now = Instant::now();
            for _round in 0..(groups * 2 + 10) {
                for p in &peers {
                    if let Some((id, batch)) = s.next_batch(p, now) {
                        for g in flat(&batch) {
                            prop_assert!(holdings[*p][g as usize], "peer {p} lacks group {g}");
                            s.group_done(p, g);
                        }
                        s.batch_finished(p, id, GROUP_BYTES, Duration::from_millis(10));
                    }
                }
            }
            prop_assert_eq!(s.done_count(), available.len() as u64);
        }
    }

    #[test]
    fn groups_compress_into_ranges() {
        assert_eq!(to_ranges(vec![5, 1, 2, 3, 9, 10]), vec![1..4, 5..6, 9..11]);
        assert!(to_ranges(vec![]).is_empty());
    }
}
