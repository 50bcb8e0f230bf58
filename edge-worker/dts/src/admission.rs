//! Which incoming substreams a provider serves: at most so many per peer and so many in all
//! ([`ServeLimits`]). A substream past either cap is refused at once (dropped, which resets it), never queued,
//! so a peer that opens substreams faster than they are served costs nothing but the refusal, and one peer
//! cannot take the slots of the others.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use libp2p::PeerId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::limits::ServeLimits;

/// The slots of one provider.
#[derive(Debug)]
pub struct Admission {
    /// Slots over all peers.
    all: Arc<Semaphore>,
    /// Slots taken per peer; a peer with none is not listed, so the map is as large as the peers being served.
    taken: Mutex<HashMap<PeerId, usize>>,
    per_peer: usize,
}

/// A slot, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    admission: Arc<Admission>,
    peer: PeerId,
    _all: OwnedSemaphorePermit,
}

impl Admission {
    /// Slots as `limits` says.
    pub fn new(limits: &ServeLimits) -> Arc<Self> {
        Arc::new(Self {
            all: Arc::new(Semaphore::new(limits.streams)),
            taken: Mutex::new(HashMap::new()),
            per_peer: limits.streams_per_peer,
        })
    }

    /// A slot for a request from `peer`, if it and the provider have one free.
    pub fn admit(self: &Arc<Self>, peer: PeerId) -> Option<Slot> {
        let mut taken = self.taken();
        if taken
            .get(&peer)
            .is_some_and(|count| *count >= self.per_peer)
        {
            return None;
        }
        let all = self.all.clone().try_acquire_owned().ok()?;
        *taken.entry(peer).or_default() += 1;
        Some(Slot {
            admission: self.clone(),
            peer,
            _all: all,
        })
    }

    fn taken(&self) -> std::sync::MutexGuard<'_, HashMap<PeerId, usize>> {
        self.taken.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut taken = self.admission.taken();
        if let Some(count) = taken.get_mut(&self.peer) {
            *count -= 1;
            if *count == 0 {
                taken.remove(&self.peer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_capped_per_peer_and_in_all_and_come_back() {
        let admission = Admission::new(&ServeLimits {
            streams_per_peer: 2,
            streams: 3,
            ..Default::default()
        });
        let (a, b) = (PeerId::random(), PeerId::random());
        let a1 = admission.admit(a).unwrap();
        let a2 = admission.admit(a).unwrap();
        assert!(admission.admit(a).is_none(), "per peer");
        let _b1 = admission.admit(b).unwrap();
        assert!(admission.admit(b).is_none(), "in all");
        drop(a1);
        assert!(
            admission.admit(b).is_some(),
            "a freed slot serves another peer"
        );
        drop(a2);
        assert!(
            !admission.taken().contains_key(&a),
            "no entry for an idle peer"
        );
    }
}
