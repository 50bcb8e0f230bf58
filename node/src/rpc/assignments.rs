//! Keepers' assigned nodes as `gpow_assignedNodes` serves them. Which keepers observe which nodes is drawn for
//! every node of the registry at once (seconds at 100 000 nodes), so the node draws a whole epoch once, at the
//! finalized block, one computation at a time, and serves every keeper from memory. Only the epochs keepers work
//! on are served: a caller naming any old epoch cannot make the node draw again and again. A governance change
//! of the keepers per node reaches the lists from the next epoch.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
};

use enreach_primitives::{EpochIndex, NodeId};
use enreach_runtime::AccountId;

/// Every keeper's nodes in one epoch.
pub type EpochLists = Arc<BTreeMap<AccountId, Vec<NodeId>>>;

/// The epochs drawn so far: at most the current and the previous one (keepers observe the previous epoch while
/// the current one runs).
#[derive(Default)]
pub struct AssignmentCache {
    epochs: Mutex<HashMap<EpochIndex, EpochLists>>,
}

/// Why an epoch's assignment is not served.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused<E> {
    /// Neither the current epoch nor the previous one.
    NotServed { current: EpochIndex },
    /// The epoch has no keeper snapshot yet: asked again, it may have one.
    NotDrawn,
    /// The runtime call failed.
    Runtime(E),
}

impl AssignmentCache {
    /// Every keeper's nodes in `epoch`, from memory or `draw` (`None`: the epoch has no keeper snapshot yet),
    /// for `epoch` the `current` one or the one before. The lock is held while drawing, so concurrent callers
    /// wait for one computation instead of each running their own (once an epoch).
    pub fn lists<E>(
        &self,
        epoch: EpochIndex,
        current: EpochIndex,
        draw: impl FnOnce() -> Result<Option<BTreeMap<AccountId, Vec<NodeId>>>, E>,
    ) -> Result<EpochLists, Refused<E>> {
        if epoch > current || epoch + 1 < current {
            return Err(Refused::NotServed { current });
        }
        let mut epochs = self
            .epochs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(lists) = epochs.get(&epoch) {
            return Ok(lists.clone());
        }
        // Not drawn yet: nothing to remember, and nothing costly was done.
        let lists = draw().map_err(Refused::Runtime)?.ok_or(Refused::NotDrawn)?;
        let lists = Arc::new(lists);
        epochs.retain(|e, _| *e + 1 >= current);
        epochs.insert(epoch, lists.clone());
        Ok(lists)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn keeper(i: u8) -> AccountId {
        AccountId::new([i; 32])
    }

    fn drawn(runs: &Cell<u32>) -> Result<Option<BTreeMap<AccountId, Vec<NodeId>>>, ()> {
        runs.set(runs.get() + 1);
        Ok(Some(BTreeMap::from([(keeper(1), vec![NodeId([1; 32])])])))
    }

    #[test]
    fn an_epoch_is_drawn_once_and_serves_every_keeper() {
        let cache = AssignmentCache::default();
        let runs = Cell::new(0);
        for _ in 0..3 {
            let lists = cache.lists(5, 5, || drawn(&runs)).unwrap();
            assert_eq!(lists.get(&keeper(1)), Some(&vec![NodeId([1; 32])]));
            assert_eq!(lists.get(&keeper(2)), None);
        }
        cache.lists(4, 5, || drawn(&runs)).unwrap();
        assert_eq!(
            runs.get(),
            2,
            "the current and the previous epoch, once each"
        );
        // The epoch moves on: the old one is forgotten, the new one drawn.
        cache.lists(6, 6, || drawn(&runs)).unwrap();
        cache.lists(5, 6, || drawn(&runs)).unwrap();
        assert_eq!(runs.get(), 3);
        assert_eq!(cache.epochs.lock().unwrap().len(), 2);
    }

    #[test]
    fn old_and_future_epochs_are_refused_and_undrawn_ones_asked_again() {
        let cache = AssignmentCache::default();
        let runs = Cell::new(0);
        for epoch in [0, 3, 6] {
            assert_eq!(
                cache.lists(epoch, 5, || drawn(&runs)).unwrap_err(),
                Refused::NotServed { current: 5 }
            );
        }
        assert_eq!(runs.get(), 0, "nothing drawn for them");
        let none = || Ok::<_, ()>(None);
        assert_eq!(cache.lists(5, 5, none).unwrap_err(), Refused::NotDrawn);
        assert!(cache.epochs.lock().unwrap().is_empty());
        assert!(matches!(
            cache.lists(5, 5, || Err::<Option<_>, _>("down")),
            Err(Refused::Runtime("down"))
        ));
        cache.lists(5, 5, || drawn(&runs)).unwrap();
        assert_eq!(runs.get(), 1, "drawn once it could be");
    }
}
