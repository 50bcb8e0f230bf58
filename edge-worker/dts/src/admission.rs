//! Which incoming substreams a provider serves: at most so many per peer and so many in all
//! ([`ServeLimits`]). A substream is never queued: past its peer's cap it is refused at once (dropped, which
//! resets it), so a peer that opens substreams faster than they are served costs nothing but the refusal.
//!
//! Peer ids are free, so the per-peer cap alone does not keep one attacker from the other peers' slots: a few
//! Sybil ids holding silent substreams took every slot until the request deadline, again and again (attacker
//! review H1). So when every slot is taken, a newcomer takes one from the peer holding the most slots:
//! - a substream that has not sent its whole request yet (it costs the requester nothing to open another, and
//!   it was using nothing of ours but the slot), as long as that peer holds more than the newcomer;
//! - else one being answered, as long as that peer holds at least two more than the newcomer (so the two never
//!   take it back and forth). Answers have no deadline, only a limit on idle time between writes, so Sybils
//!   reading slowly held every slot for as long as their answers took, and took each freed one again at once
//!   (second attacker review). The answer is cut off; a paid provider is owed only what it wrote (see
//!   [`crate::serve::ReceiptCollector::delivered`]).
//!
//! A fair share, not a first-come one: an honest peer asking for its first slots always gets them from whoever
//! hoards many, however many ids the hoarder uses, and a peer can never be made to give up its last slots to
//! peers that hold as many.
//!
//! Why not per remote address: loopback tests, relays and NATs put many honest peers behind one address, and
//! an attacker with a /64 of IPv6 has more addresses than we have slots; the share by peer, with eviction of
//! idle hoards, needs neither.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
};

use libp2p::PeerId;
use tokio::sync::Notify;

use crate::limits::ServeLimits;

/// The slots of one provider.
#[derive(Debug)]
pub struct Admission {
    state: Mutex<State>,
    per_peer: usize,
    total: usize,
}

#[derive(Debug, Default)]
struct State {
    /// Slots taken, by the order they were given (the oldest first).
    slots: BTreeMap<u64, Taken>,
    /// Slots taken per peer; a peer with none is not listed, so the map is as large as the peers being served.
    per_peer: HashMap<PeerId, usize>,
    /// The number the next slot gets.
    next: u64,
}

#[derive(Debug)]
struct Taken {
    peer: PeerId,
    /// Whether its request is still awaited: such a slot is taken by a newcomer first.
    awaiting_request: bool,
    /// Told when its slot was taken by a newcomer.
    evicted: Arc<Notify>,
}

/// A slot, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    admission: Arc<Admission>,
    number: u64,
    evicted: Arc<Notify>,
}

impl Admission {
    /// Slots as `limits` says.
    pub fn new(limits: &ServeLimits) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::default(),
            per_peer: limits.streams_per_peer,
            total: limits.streams,
        })
    }

    /// A slot for a request from `peer`: free, or taken from an idle hoard (see the module doc); `None` if
    /// `peer` holds its share already or every slot is fairly held.
    pub fn admit(self: &Arc<Self>, peer: PeerId) -> Option<Slot> {
        let mut state = self.state();
        let own = state.per_peer.get(&peer).copied().unwrap_or(0);
        if own >= self.per_peer {
            return None;
        }
        if state.slots.len() >= self.total {
            let (victim, ..) = state
                .slots
                .iter()
                .map(|(number, t)| (*number, state.per_peer[&t.peer], t.awaiting_request))
                .filter(|(_, held, awaiting)| {
                    if *awaiting {
                        *held > own
                    } else {
                        *held > own + 1
                    }
                })
                // The most slots held; among them, an idle one; then the oldest (max_by_key keeps the last
                // maximum).
                .max_by_key(|(number, held, awaiting)| (*held, *awaiting, u64::MAX - number))?;
            let taken = state.release(victim)?;
            taken.evicted.notify_one();
        }
        let number = state.next;
        state.next += 1;
        let evicted = Arc::new(Notify::new());
        state.slots.insert(
            number,
            Taken {
                peer,
                awaiting_request: true,
                evicted: evicted.clone(),
            },
        );
        *state.per_peer.entry(peer).or_default() += 1;
        Some(Slot {
            admission: self.clone(),
            number,
            evicted,
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    /// Frees slot `number`, if it is still taken.
    fn release(&mut self, number: u64) -> Option<Taken> {
        let taken = self.slots.remove(&number)?;
        if let Some(count) = self.per_peer.get_mut(&taken.peer) {
            *count -= 1;
            if *count == 0 {
                self.per_peer.remove(&taken.peer);
            }
        }
        Some(taken)
    }
}

impl Slot {
    /// Resolves when a newcomer took this slot: the substream is to be dropped, whatever it was doing.
    pub async fn evicted(&self) {
        self.evicted.notified().await
    }

    /// The whole request arrived: from now on the slot is taken only by a peer holding two fewer. `false` if
    /// the slot was taken already (its eviction raced the request's end): the request is not to be answered.
    #[must_use]
    pub fn answering(&self) -> bool {
        match self.admission.state().slots.get_mut(&self.number) {
            Some(taken) => {
                taken.awaiting_request = false;
                true
            }
            None => false,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.admission.state().release(self.number);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(streams_per_peer: usize, streams: usize) -> Arc<Admission> {
        Admission::new(&ServeLimits {
            streams_per_peer,
            streams,
            ..Default::default()
        })
    }

    #[test]
    fn slots_are_capped_per_peer_and_in_all_and_come_back() {
        let admission = admission(2, 3);
        let (a, b) = (PeerId::random(), PeerId::random());
        let a1 = admission.admit(a).unwrap();
        let a2 = admission.admit(a).unwrap();
        assert!(admission.admit(a).is_none(), "per peer");
        let b1 = admission.admit(b).unwrap();
        assert!(a1.answering());
        assert!(a2.answering());
        assert!(b1.answering());
        assert!(admission.admit(b).is_none(), "in all, and nothing idle");
        drop(a1);
        assert!(
            admission.admit(b).is_some(),
            "a freed slot serves another peer"
        );
        drop(a2);
        assert!(
            !admission.state().per_peer.contains_key(&a),
            "no entry for an idle peer"
        );
    }

    #[tokio::test]
    async fn a_newcomer_takes_the_oldest_idle_slot_of_the_largest_hoard() {
        let admission = admission(3, 4);
        let (hoarder, other, newcomer) = (PeerId::random(), PeerId::random(), PeerId::random());
        let h1 = admission.admit(hoarder).unwrap();
        let h2 = admission.admit(hoarder).unwrap();
        let h3 = admission.admit(hoarder).unwrap();
        let o1 = admission.admit(other).unwrap();
        assert!(h1.answering());
        let n1 = admission.admit(newcomer).expect("taken from the hoard");
        // The oldest of the hoarder's idle slots, not its answering one nor the other peer's.
        tokio::time::timeout(std::time::Duration::from_secs(5), h2.evicted())
            .await
            .expect("the oldest idle slot is evicted");
        assert_eq!(admission.state().per_peer[&hoarder], 2);
        // Dropping the evicted slot gives back nothing twice.
        drop(h2);
        assert_eq!(admission.state().slots.len(), 4);
        // 2 (hoarder), 1, 1: the newcomer's second slot comes from the hoarder's idle one.
        let n2 = admission
            .admit(newcomer)
            .expect("taken from the hoard again");
        tokio::time::timeout(std::time::Duration::from_secs(5), h3.evicted())
            .await
            .expect("evicted");
        // Now 1 (answering), 1, 2: nobody holds more slots than the newcomer.
        assert!(admission.admit(newcomer).is_none());
        // The same rule holds for the newcomer: a peer holding fewer takes its oldest idle slot.
        let o2 = admission.admit(other).expect("taken from the newcomer");
        tokio::time::timeout(std::time::Duration::from_secs(5), n1.evicted())
            .await
            .expect("evicted");
        drop((n1, n2, o1, o2, h1));
        assert!(admission.state().slots.is_empty());
        assert!(admission.state().per_peer.is_empty());
    }

    #[tokio::test]
    async fn slots_being_answered_go_to_a_peer_holding_two_fewer() {
        let admission = admission(3, 4);
        let (hoarder, other, newcomer) = (PeerId::random(), PeerId::random(), PeerId::random());
        let hoard: Vec<Slot> = (0..3).map(|_| admission.admit(hoarder).unwrap()).collect();
        let o1 = admission.admit(other).unwrap();
        assert!(hoard.iter().all(Slot::answering) && o1.answering());
        // Every slot is being answered (slow readers): the newcomer takes the largest hoard's oldest one.
        let n1 = admission.admit(newcomer).expect("taken from the hoard");
        tokio::time::timeout(std::time::Duration::from_secs(5), hoard[0].evicted())
            .await
            .expect("the oldest answering slot is evicted");
        assert!(
            !hoard[0].answering(),
            "an evicted slot does not answer a request that arrived meanwhile"
        );
        assert!(n1.answering());
        // 2, 1, 1: nobody holds two more than the newcomer or the other peer, so nothing changes hands.
        assert!(admission.admit(newcomer).is_none());
        assert!(admission.admit(other).is_none());
        assert_eq!(admission.state().slots.len(), 4);
    }
}
