//! Which chunk groups to ask which provider for: the download's brain, free of I/O so it is tested on its own.
//!
//! - **Rarest first**: among the groups a provider has that are neither done nor in flight, the ones fewest
//!   providers have go first, so rare groups are not left to a provider that may leave.
//! - **Rate-weighted batches**: a provider is given about [`Scheduler::BATCH_TARGET_MS`] worth of groups at its
//!   measured rate (at least one, at most [`Scheduler::MAX_BATCH`]), so fast providers get big batches and slow
//!   ones small ones, and all finish their batches at about the same time.
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
    in_flight: BTreeSet<u64>,
    banned: bool,
}

/// Per-download scheduling state, generic over how providers are named.
#[derive(Debug)]
pub struct Scheduler<P> {
    groups: u64,
    done: Bitfield,
    providers: HashMap<P, Provider>,
    /// In-flight groups and when each was first assigned.
    in_flight: BTreeMap<u64, Instant>,
}

impl<P: Clone + Eq + Hash> Scheduler<P> {
    /// Aim for batches that take this long at the provider's rate.
    pub const BATCH_TARGET_MS: f64 = 250.0;
    /// Most groups in one request (4 MiB).
    pub const MAX_BATCH: u64 = 256;
    /// Groups asked of a provider whose rate is not known yet (256 KiB).
    pub const FIRST_BATCH: u64 = 16;

    /// A download of `groups` groups, of which `done` are already verified locally.
    pub fn new(done: Bitfield) -> Self {
        Self {
            groups: done.len(),
            done,
            providers: HashMap::new(),
            in_flight: BTreeMap::new(),
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
            Some(p) => p.has = has,
            None => {
                self.providers.insert(
                    peer,
                    Provider {
                        has,
                        rate: None,
                        in_flight: BTreeSet::new(),
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

    fn availability(&self, group: u64) -> usize {
        self.providers
            .values()
            .filter(|p| !p.banned && p.has.get(group))
            .count()
    }

    /// The next batch for `peer` as ascending half-open group ranges, or `None` if it has nothing useful or
    /// already has a batch in flight.
    pub fn next_batch(&mut self, peer: &P, now: Instant) -> Option<Vec<Range<u64>>> {
        let provider = self.providers.get(peer)?;
        if provider.banned || !provider.in_flight.is_empty() {
            return None;
        }
        let size = match provider.rate {
            None => Self::FIRST_BATCH,
            Some(rate) => ((rate * Self::BATCH_TARGET_MS / 1000.0) / GROUP_BYTES as f64)
                .clamp(1.0, Self::MAX_BATCH as f64) as u64,
        };
        let mut candidates: Vec<(usize, u64)> = (0..self.groups)
            .filter(|g| {
                !self.done.get(*g) && !self.in_flight.contains_key(g) && provider.has.get(*g)
            })
            .map(|g| (self.availability(g), g))
            .collect();
        let picked: Vec<u64> = if candidates.is_empty() {
            // Endgame: duplicate the oldest in-flight groups this provider has.
            let mut oldest: Vec<(Instant, u64)> = self
                .in_flight
                .iter()
                .filter(|(g, _)| provider.has.get(**g))
                .map(|(g, at)| (*at, *g))
                .collect();
            oldest.sort();
            oldest
                .into_iter()
                .take(size as usize)
                .map(|(_, g)| g)
                .collect()
        } else {
            // Rarest first; among equally rare groups, contiguous runs from the lowest index.
            candidates.sort();
            let rarest = candidates[0].0;
            let mut picked: Vec<u64> = candidates
                .iter()
                .take_while(|(a, _)| *a == rarest)
                .map(|(_, g)| *g)
                .take(size as usize)
                .collect();
            if (picked.len() as u64) < size {
                let more = candidates
                    .iter()
                    .skip(picked.len())
                    .map(|(_, g)| *g)
                    .take(size as usize - picked.len());
                picked.extend(more);
            }
            picked
        };
        if picked.is_empty() {
            return None;
        }
        let provider = self.providers.get_mut(peer)?;
        for g in &picked {
            provider.in_flight.insert(*g);
            self.in_flight.entry(*g).or_insert(now);
        }
        Some(to_ranges(picked))
    }

    /// `peer` delivered and verified `group`.
    pub fn group_done(&mut self, peer: &P, group: u64) {
        self.done.set(group);
        self.in_flight.remove(&group);
        for provider in self.providers.values_mut() {
            provider.in_flight.remove(&group);
        }
        if let Some(p) = self.providers.get_mut(peer) {
            p.has.set(group);
        }
    }

    /// `peer` finished a request of `bytes` in `elapsed`: updates its rate and frees groups it did not
    /// deliver.
    pub fn batch_finished(&mut self, peer: &P, bytes: u64, elapsed: Duration) {
        let mut undelivered = Vec::new();
        if let Some(p) = self.providers.get_mut(peer) {
            let sample = bytes as f64 / elapsed.as_secs_f64().max(1e-3);
            p.rate = Some(match p.rate {
                Some(rate) => rate * 0.7 + sample * 0.3,
                None => sample,
            });
            undelivered = std::mem::take(&mut p.in_flight).into_iter().collect();
        }
        self.release(undelivered);
    }

    /// `peer` sent data that failed verification (or broke the protocol): it is banned for this download and
    /// its groups go back to the pool.
    pub fn ban(&mut self, peer: &P) {
        let mut undelivered = Vec::new();
        if let Some(p) = self.providers.get_mut(peer) {
            p.banned = true;
            undelivered = std::mem::take(&mut p.in_flight).into_iter().collect();
        }
        self.release(undelivered);
    }

    /// `peer` is gone (disconnected, error): its groups go back to the pool, it stays eligible if it returns.
    pub fn provider_failed(&mut self, peer: &P) {
        let undelivered = self
            .providers
            .remove(peer)
            .map(|p| p.in_flight.into_iter().collect())
            .unwrap_or_default();
        self.release(undelivered);
    }

    fn release(&mut self, groups: Vec<u64>) {
        for g in groups {
            let still = self.providers.values().any(|p| p.in_flight.contains(&g));
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
        s.update_provider("a", Bitfield::full(40));
        s.update_provider("b", field(40, 0..30));
        // Groups 30..40 only "a" has: they come first.
        let batch = flat(&s.next_batch(&"a", Instant::now()).unwrap());
        assert_eq!(batch.len() as u64, Scheduler::<&str>::FIRST_BATCH);
        assert!(
            (30..40).all(|g| batch.contains(&g)),
            "the ten rarest are in: {batch:?}"
        );
    }

    #[test]
    fn fast_providers_get_bigger_batches() {
        let mut s = Scheduler::new(Bitfield::new(10_000));
        s.update_provider("fast", Bitfield::full(10_000));
        s.update_provider("slow", Bitfield::full(10_000));
        let now = Instant::now();
        for peer in ["fast", "slow"] {
            s.next_batch(&peer, now).unwrap();
        }
        s.batch_finished(&"fast", 100 << 20, Duration::from_secs(1));
        s.batch_finished(&"slow", 1 << 20, Duration::from_secs(1));
        let fast = flat(&s.next_batch(&"fast", now).unwrap()).len();
        let slow = flat(&s.next_batch(&"slow", now).unwrap()).len();
        assert!(fast > 10 * slow, "fast {fast}, slow {slow}");
        assert_eq!(fast as u64, Scheduler::<&str>::MAX_BATCH);
    }

    #[test]
    fn a_banned_provider_gets_nothing_and_its_groups_return() {
        let mut s = Scheduler::new(Bitfield::new(8));
        s.update_provider("bad", Bitfield::full(8));
        s.update_provider("good", Bitfield::full(8));
        let now = Instant::now();
        let taken = flat(&s.next_batch(&"bad", now).unwrap());
        assert_eq!(taken.len(), 8);
        s.ban(&"bad");
        assert!(s.is_banned(&"bad"));
        assert!(s.next_batch(&"bad", now).is_none());
        s.update_provider("bad", Bitfield::full(8));
        assert!(s.is_banned(&"bad"), "a ban survives re-advertisement");
        assert_eq!(
            flat(&s.next_batch(&"good", now).unwrap()),
            (0..8).collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_endgame_duplicates_the_oldest_in_flight_groups() {
        let mut s = Scheduler::new(Bitfield::new(4));
        s.update_provider("slow", Bitfield::full(4));
        s.update_provider("idle", Bitfield::full(4));
        let t0 = Instant::now();
        assert_eq!(flat(&s.next_batch(&"slow", t0).unwrap()), vec![0, 1, 2, 3]);
        let dup = flat(&s.next_batch(&"idle", t0 + Duration::from_secs(1)).unwrap());
        assert_eq!(dup, vec![0, 1, 2, 3]);
        for g in 0..4 {
            s.group_done(&"idle", g);
        }
        assert!(s.is_complete());
    }

    proptest! {
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
                    if let Some(batch) = s.next_batch(p, now) {
                        for g in flat(&batch) {
                            prop_assert!(holdings[*p][g as usize], "peer {p} lacks group {g}");
                            s.group_done(p, g);
                        }
                        s.batch_finished(p, GROUP_BYTES, Duration::from_millis(10));
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
