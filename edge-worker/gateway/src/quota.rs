//! Places counted per key, each key with a cap: connections per client address block, origin pulls per origin
//! host and per dApp. A place is held by a [`QuotaSlot`] and given back when it is dropped, so a task that
//! ends in any way (finished, failed, cancelled) never leaks one.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex},
};

/// Up to `max` places per key.
pub struct Quota<K> {
    counts: Arc<Mutex<HashMap<K, usize>>>,
    max: usize,
}

impl<K: Eq + Hash + Clone> Quota<K> {
    /// `max` places per key.
    pub fn new(max: usize) -> Self {
        Self {
            counts: Arc::default(),
            max,
        }
    }

    /// A place for `key`, unless it holds `max` already.
    pub fn take(&self, key: K) -> Option<QuotaSlot<K>> {
        let mut counts = lock(&self.counts);
        let count = counts.entry(key.clone()).or_default();
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(QuotaSlot {
            counts: self.counts.clone(),
            key,
        })
    }

    /// Keys holding at least one place (the map never keeps a key that holds none).
    #[cfg(test)]
    pub fn keys_held(&self) -> usize {
        lock(&self.counts).len()
    }
}

/// One place of a key; dropping it gives the place back.
pub struct QuotaSlot<K: Eq + Hash> {
    counts: Arc<Mutex<HashMap<K, usize>>>,
    key: K,
}

impl<K: Eq + Hash> Drop for QuotaSlot<K> {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        if let Some(count) = counts.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// `mutex`'s guard, also after a panic elsewhere (the counts stay consistent at every step).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_holds_at_most_its_cap_and_gets_places_back() {
        let quota = Quota::new(3);
        let held: Vec<_> = (0..3).map(|_| quota.take("a").unwrap()).collect();
        assert!(quota.take("a").is_none());
        assert!(quota.take("b").is_some());
        drop(held);
        assert_eq!(quota.keys_held(), 0);
        assert!(quota.take("a").is_some());
    }
}
