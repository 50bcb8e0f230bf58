//! Deterministic randomness from a seed: which bytes of a report a challenge samples and which keepers watch a node.
//! Everything is derived with BLAKE3 over the seed and the subject, so any party (the node, a keeper, a dApp)
//! can recompute it and nobody can choose it once the seed is fixed.

use alloc::vec::Vec;
use enreach_primitives::{content::chunk_count, ContentId, EpochIndex, NodeId};

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

/// Domain of the byte offsets sampled in a report's delivery part.
pub const DELIVERY_SAMPLE_DOMAIN: &[u8] = b"enreach/challenge-sample/v2";

/// Domain of the unit offsets sampled in a report's compute part: distinct, so the two samples are independent.
pub const COMPUTE_SAMPLE_DOMAIN: &[u8] = b"enreach/compute-sample/v1";

/// The offsets a challenge samples in one part of a report (`domain`): `k` independent uniform draws in
/// `0..total` (empty for a total of zero), from the challenge seed, the node and the epoch. Each is answered with
/// the receipt whose range of the committed total covers it, so a fraudulent share `f` of the claim escapes one
/// draw with probability at most `1 - f`.
pub fn sample_offsets(
    domain: &[u8],
    seed: &[u8],
    node: &NodeId,
    epoch: EpochIndex,
    total: u64,
    k: u32,
) -> Vec<u64> {
    if total == 0 {
        return Vec::new();
    }
    let mut subject = node.0.to_vec();
    subject.extend_from_slice(&epoch.to_le_bytes());
    let mut draws = Draws::new(domain, seed, &subject);
    (0..k).map(|_| draws.below(total)).collect()
}

/// Domain of the draw that picks which reports are audited with the full sample.
const AUDIT_DOMAIN: &[u8] = b"enreach/challenge-audit/v1";

/// Whether the challenge of `node`'s report for `epoch`, seeded by `seed`, is an audit (the full sample) rather
/// than a light one: true for a share of `percent` in 100 of reports, drawn independently of the sampled offsets.
/// The seed is unknown when the report is committed, so a node cannot choose which of its reports are audited.
pub fn is_audited(seed: &[u8], node: &NodeId, epoch: EpochIndex, percent: u8) -> bool {
    let mut subject = node.0.to_vec();
    subject.extend_from_slice(&epoch.to_le_bytes());
    Draws::new(AUDIT_DOMAIN, seed, &subject).below(100) < u64::from(percent)
}

/// `count` distinct keepers for `node`, drawn with probability proportional to weight from all keepers.
/// Regions are self-declared, so they play no part: a node that declares the region where only its own keepers
/// work gets no more of them than their stake draws. `excluded` (the node's operator) is never drawn; it is
/// skipped here rather than filtered out by the caller so that one snapshot serves every node of a batch.
pub fn assign_keepers<AccountId: Clone + PartialEq>(
    seed: &[u8; 32],
    node: &NodeId,
    keepers: &[KeeperCandidate<AccountId>],
    excluded: Option<&AccountId>,
    count: usize,
) -> Vec<AccountId> {
    keeper_positions(seed, node, keepers, excluded, count)
        .into_iter()
        .map(|i| keepers[i].account.clone())
        .collect()
}

/// [`assign_keepers`] as positions in `keepers`, in the order they are drawn.
pub fn keeper_positions<AccountId: PartialEq>(
    seed: &[u8; 32],
    node: &NodeId,
    keepers: &[KeeperCandidate<AccountId>],
    excluded: Option<&AccountId>,
    count: usize,
) -> Vec<usize> {
    let mut draws = Draws::new(b"enreach/keeper-assignment/v2", seed, &node.0);
    let mut chosen: Vec<usize> = Vec::with_capacity(count);
    let mut pool: Vec<usize> = (0..keepers.len())
        .filter(|&i| Some(&keepers[i].account) != excluded)
        .collect();
    while chosen.len() < count && !pool.is_empty() {
        let total: u64 = pool
            .iter()
            .map(|&i| keepers[i].weight)
            .fold(0u64, u64::saturating_add);
        if total == 0 {
            break;
        }
        let mut target = draws.below(total);
        let position = pool
            .iter()
            .position(|&i| {
                let weight = keepers[i].weight;
                if target < weight {
                    true
                } else {
                    target -= weight;
                    false
                }
            })
            .unwrap_or(pool.len() - 1);
        chosen.push(pool.swap_remove(position));
    }
    chosen
}

/// The `count` chunk indices of the pin `content` (of `len` bytes) a node proves it stores in an epoch: uniform
/// independent draws from the epoch seed, the node and the content. A node holding only a share `h` of the
/// blob's chunks answers all of them with probability `h^count`.
pub fn storage_chunks(
    seed: &[u8; 32],
    node: &NodeId,
    content: &ContentId,
    len: u64,
    count: u32,
) -> Vec<u64> {
    let mut subject = node.0.to_vec();
    subject.extend_from_slice(&content.0);
    let mut draws = Draws::new(b"enreach/storage-challenge/v2", seed, &subject);
    let chunks = chunk_count(len);
    (0..count).map(|_| draws.below(chunks)).collect()
}

/// Where `node` ranks for a paid replica slot of `content` in an epoch: lower is better. Drawn from the epoch
/// seed, so the provers a content pays cannot be chosen by key order or by who answers first.
pub fn replica_rank(seed: &[u8; 32], content: &ContentId, node: &NodeId) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"enreach/replica-rank/v1");
    hasher.update(seed);
    hasher.update(&content.0);
    hasher.update(&node.0);
    *hasher.finalize().as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expected-value argument (docs/PROTOCOL.md, class 2) rests on each sampled offset being uniform and
    /// independent: a fraudulent share `f` of the claim must escape `k` samples with probability `(1 - f)^k`,
    /// no more, whatever the seed.
    #[test]
    fn a_fraudulent_share_escapes_k_samples_as_often_as_chance_allows() {
        let (total, k, trials) = (1_000_003u64, 8u32, 4000u32);
        let node = NodeId([7; 32]);
        for fraud_percent in [5u64, 10, 30] {
            // The fraud sits anywhere in the claim; here the first `f` of it.
            let fraud = total * fraud_percent / 100;
            let escaped = (0..trials)
                .filter(|seed| {
                    sample_offsets(
                        DELIVERY_SAMPLE_DOMAIN,
                        &seed.to_le_bytes(),
                        &node,
                        3,
                        total,
                        k,
                    )
                    .iter()
                    .all(|&o| o >= fraud)
                })
                .count() as f64
                / trials as f64;
            let expected = (1.0 - fraud_percent as f64 / 100.0).powi(k as i32);
            let sigma = (expected * (1.0 - expected) / trials as f64).sqrt();
            assert!(
                (escaped - expected).abs() < 4.0 * sigma,
                "f = {fraud_percent} %: escaped {escaped}, expected {expected}"
            );
        }
    }

    #[test]
    fn offsets_stay_below_the_total_and_follow_the_seed() {
        let node = NodeId([1; 32]);
        let draw = |domain, epoch, total| sample_offsets(domain, b"seed", &node, epoch, total, 32);
        let a = draw(DELIVERY_SAMPLE_DOMAIN, 1, 10);
        assert_eq!(a.len(), 32);
        assert!(a.iter().all(|&o| o < 10));
        assert_eq!(a, draw(DELIVERY_SAMPLE_DOMAIN, 1, 10));
        assert_ne!(a, draw(DELIVERY_SAMPLE_DOMAIN, 2, 10), "another epoch");
        assert_ne!(a, draw(COMPUTE_SAMPLE_DOMAIN, 1, 10), "the other part");
        assert!(draw(DELIVERY_SAMPLE_DOMAIN, 1, 0).is_empty());
    }

    /// The storage argument (docs/PROTOCOL.md, class 6): a node that kept a share `h` of a pin's chunks passes
    /// the epoch's `s` chunk draws with probability `h^s`, whatever it kept.
    #[test]
    fn a_node_keeping_part_of_a_pin_passes_as_often_as_chance_allows() {
        let (len, s, trials) = (1000 * 1024u64, 4u32, 4000u32);
        let content = ContentId([9; 32]);
        let node = NodeId([7; 32]);
        for kept_percent in [50u64, 80, 95] {
            // It kept the last `h` of the chunks.
            let first_kept = 1000 * (100 - kept_percent) / 100;
            let passed = (0..trials)
                .filter(|t| {
                    let mut seed = [0u8; 32];
                    seed[..4].copy_from_slice(&t.to_le_bytes());
                    storage_chunks(&seed, &node, &content, len, s)
                        .iter()
                        .all(|&c| c >= first_kept)
                })
                .count() as f64
                / trials as f64;
            let expected = (kept_percent as f64 / 100.0).powi(s as i32);
            let sigma = (expected * (1.0 - expected) / trials as f64).sqrt();
            assert!(
                (passed - expected).abs() < 4.0 * sigma,
                "h = {kept_percent} %: passed {passed}, expected {expected}"
            );
        }
    }
}
