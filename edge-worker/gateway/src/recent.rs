//! A bounded map of what was learnt about contents lately, each entry forgotten after a while: failed pulls
//! (so a failing origin is not asked on every request) and published content types (so the chain is not
//! asked on every request). Bounded, as any dApp can publish any number of contents.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use enreach_dts::store::ContentHash;

/// What was learnt about up to `capacity` contents, each for `ttl`.
pub struct Recent<V> {
    entries: HashMap<ContentHash, (Instant, V)>,
    ttl: Duration,
    capacity: usize,
}

impl<V: Clone> Recent<V> {
    /// An empty map of up to `capacity` entries, each kept for `ttl`.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            ttl,
            capacity,
        }
    }

    /// What was learnt about `id`, unless it has expired.
    pub fn get(&mut self, id: &ContentHash) -> Option<V> {
        match self.entries.get(id) {
            Some((at, value)) if at.elapsed() < self.ttl => Some(value.clone()),
            Some(_) => {
                self.entries.remove(id);
                None
            }
            None => None,
        }
    }

    /// Remembers `value` about `id`; when full, drops the expired entries, or else the oldest.
    pub fn insert(&mut self, id: ContentHash, value: V) {
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&id) {
            let ttl = self.ttl;
            self.entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if self.entries.len() >= self.capacity {
                let oldest = self
                    .entries
                    .iter()
                    .min_by_key(|(_, (at, _))| *at)
                    .map(|(id, _)| *id);
                if let Some(oldest) = oldest {
                    self.entries.remove(&oldest);
                }
            }
        }
        self.entries.insert(id, (Instant::now(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ContentHash {
        ContentHash::from_bytes([n; 32])
    }

    #[test]
    fn entries_expire_and_the_oldest_goes_when_full() {
        let mut recent = Recent::new(Duration::from_millis(50), 2);
        recent.insert(id(1), "a");
        recent.insert(id(2), "b");
        recent.insert(id(3), "c");
        assert_eq!(recent.get(&id(1)), None, "the oldest made room");
        assert_eq!(recent.get(&id(2)), Some("b"));
        assert_eq!(recent.get(&id(3)), Some("c"));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(recent.get(&id(3)), None, "expired");
    }
}
