//! Deterministic randomness from a seed: which receipts a challenge samples and which keepers watch a node.
//! Everything is derived with BLAKE3 over the seed and the subject, so any party (the node, a keeper, a dApp)
//! can recompute it and nobody can choose it once the seed is fixed.

use alloc::vec::Vec;
use enreach_primitives::{content::chunk_count, EpochIndex, NodeId, Region};
use pallet_edge_nodes::Pin;

use crate::KeeperCandidate;

/// An endless stream of 64-bit draws from `seed` and a domain-separated subject.
struct Draws {
    hasher: blake3::OutputReader,
}

impl Draws {
    fn new(domain: &[u8], seed: &[u8], subject: &[u8]) -> Self {
        let mut hasher = blake3::Hasher::new();
        hasher.update(domain);
        hasher.update(seed);
        hasher.update(subject);
        Self {
            hasher: hasher.finalize_xof(),
        }
    }

    /// A uniform draw in `0..bound` (`bound > 0`), by rejection so no value is favoured.
    fn below(&mut self, bound: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let mut bytes = [0u8; 8];
            self.hasher.fill(&mut bytes);
            let value = u64::from_le_bytes(bytes);
            if value < zone {
                return value % bound;
            }
        }
    }
}

/// The leaf indices a challenge samples: `min(k, leaf_count)` distinct indices in `0..leaf_count`, in draw
/// order, from the challenge seed, the node and the epoch.
pub fn sample_indices(
    seed: &[u8],
    node: &NodeId,
    epoch: EpochIndex,
    leaf_count: u32,
    k: u32,
) -> Vec<u32> {
    let wanted = k.min(leaf_count) as usize;
    let mut subject = node.0.to_vec();
    subject.extend_from_slice(&epoch.to_le_bytes());
    let mut draws = Draws::new(b"enreach/challenge-sample/v1", seed, &subject);
    let mut picked: Vec<u32> = Vec::with_capacity(wanted);
    while picked.len() < wanted {
        let index = draws.below(leaf_count as u64) as u32;
        if !picked.contains(&index) {
            picked.push(index);
        }
    }
    picked
}

/// `count` distinct keepers for `node`, drawn with probability proportional to weight, from the keepers of the
/// node's region first and from all keepers if the region has too few.
pub fn assign_keepers<AccountId: Clone + PartialEq>(
    seed: &[u8; 32],
    node: &NodeId,
    keepers: &[KeeperCandidate<AccountId>],
    region: Option<Region>,
    count: usize,
) -> Vec<AccountId> {
    let mut draws = Draws::new(b"enreach/keeper-assignment/v1", seed, &node.0);
    let mut chosen: Vec<AccountId> = Vec::with_capacity(count);
    let same_region = |k: &&KeeperCandidate<AccountId>| Some(k.region) == region;
    let local: Vec<&KeeperCandidate<AccountId>> = keepers.iter().filter(same_region).collect();
    let others: Vec<&KeeperCandidate<AccountId>> =
        keepers.iter().filter(|k| !same_region(k)).collect();
    for pool in [local, others] {
        let mut pool = pool;
        while chosen.len() < count && !pool.is_empty() {
            let total: u64 = pool
                .iter()
                .map(|k| k.weight)
                .fold(0u64, u64::saturating_add);
            if total == 0 {
                break;
            }
            let mut target = draws.below(total);
            let position = pool
                .iter()
                .position(|k| {
                    if target < k.weight {
                        true
                    } else {
                        target -= k.weight;
                        false
                    }
                })
                .unwrap_or(pool.len() - 1);
            let keeper = pool.swap_remove(position);
            chosen.push(keeper.account.clone());
        }
    }
    chosen
}

/// The pinned blob and chunk index a node's storage challenge asks for, from the epoch seed.
pub fn storage_target(seed: &[u8; 32], node: &NodeId, pins: &[Pin]) -> Option<(Pin, u64)> {
    if pins.is_empty() {
        return None;
    }
    let mut draws = Draws::new(b"enreach/storage-challenge/v1", seed, &node.0);
    let pin = pins[draws.below(pins.len() as u64) as usize];
    let chunk = draws.below(chunk_count(pin.len));
    Some((pin, chunk))
}
