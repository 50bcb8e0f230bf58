//! The receipt tree: a sorted Merkle-sum tree over an epoch's receipts of one kind ([`SummedLeaf`]: delivery
//! receipts summed by bytes, compute receipts by compute units). An edge node commits to the root of each in its
//! [`crate::WorkReport`]; the chain then samples random offsets of each claimed total (bytes, units) and asks for
//! the receipt covering each one with its [`ReceiptProof`].
//!
//! Why this shape (see `docs/PROTOCOL.md`, threat model): a plain Merkle tree proves that a leaf is *in* the
//! tree, not that the leaves are distinct or that the claimed total is their sum, so a tree of N copies of one
//! receipt used to be paid N times. Here every node commits to
//! - the **sum** of its subtree (bytes or units), so the root commits to the total and a sampled offset lands in
//!   exactly one leaf, which is proven to cover it (weighted sampling: a fraudulent share `f` of the claim is hit
//!   by each sample with probability at least `f`);
//! - the **first and last key** `(client, session)` of its subtree, and an inner node is only valid if its left
//!   child's last key is strictly below its right child's first key. Every leaf reached through valid nodes
//!   therefore has a key no other such leaf has: one receipt per session of each client, so one signed receipt
//!   can never be counted twice.
//!
//! A node whose sum or keys disagree with its children can be committed, but any sample landing under it fails,
//! so it only adds to the share of the claim the sample catches. Proofs have exactly the shape the leaf count
//! implies (an odd node at the end of a row is promoted unchanged, never paired with itself), so a short path
//! cannot pass for a leaf of a larger tree. Inner nodes and the leaves of each kind are hashed with different
//! BLAKE3 prefixes, so a delivery receipt can never be proven as a compute leaf or the other way round.
//! The same code runs in the runtime and in `edge-worker`.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::{ClientKey, ComputeReceipt, DeliveryReceipt, Hash32, SessionId};

/// Deepest tree a proof may describe: 2^32 leaves is more than a `u32` count can name.
pub const MAX_PROOF_DEPTH: u32 = 32;

const DELIVERY_LEAF_PREFIX: u8 = 0;
const INNER_PREFIX: u8 = 1;
const COMPUTE_LEAF_PREFIX: u8 = 2;

/// A receipt that can be a leaf of a receipt tree: cumulative per [`LeafKey`], and summed by [`Self::amount`].
pub trait SummedLeaf: Encode {
    /// The BLAKE3 prefix of this kind's leaf hashes, distinct per kind and from inner nodes', so that no
    /// receipt verifies as a leaf of another kind.
    const LEAF_PREFIX: u8;
    /// The session the receipt belongs to: one leaf per key.
    fn key(&self) -> LeafKey;
    /// What the leaf weighs in the tree's sum, and so in the sampling.
    fn amount(&self) -> u64;
}

impl SummedLeaf for DeliveryReceipt {
    const LEAF_PREFIX: u8 = DELIVERY_LEAF_PREFIX;
    fn key(&self) -> LeafKey {
        LeafKey {
            client: self.client,
            session: self.session,
        }
    }
    /// The bytes served in the session.
    fn amount(&self) -> u64 {
        self.cumulative_bytes
    }
}

impl SummedLeaf for ComputeReceipt {
    const LEAF_PREFIX: u8 = COMPUTE_LEAF_PREFIX;
    fn key(&self) -> LeafKey {
        LeafKey {
            client: self.client,
            session: self.session,
        }
    }
    /// The compute units burned in the session.
    fn amount(&self) -> u64 {
        self.cumulative_units
    }
}

/// What leaves are sorted by, strictly: a client's session. Receipts are cumulative within a session, so one
/// leaf per key is one payment per session.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub struct LeafKey {
    /// The signing client.
    pub client: ClientKey,
    /// Its session.
    pub session: SessionId,
}

/// A node of the tree as its parent commits to it: its hash, the sum under it and its key range.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub struct TreeNode {
    /// BLAKE3 of the leaf's receipt, or of the two children.
    pub hash: Hash32,
    /// Sum of the receipts' amounts ([`SummedLeaf::amount`]) under this node.
    pub sum: u64,
    /// Smallest key under this node.
    pub first: LeafKey,
    /// Largest key under this node.
    pub last: LeafKey,
}

impl TreeNode {
    /// The leaf of `receipt`.
    pub fn leaf<L: SummedLeaf>(receipt: &L) -> Self {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&[L::LEAF_PREFIX]);
        hasher.update(&receipt.encode());
        let key = receipt.key();
        Self {
            hash: *hasher.finalize().as_bytes(),
            sum: receipt.amount(),
            first: key,
            last: key,
        }
    }

    /// The parent of `left` and `right`, or why they cannot be siblings: keys out of order (a duplicated or
    /// unsorted receipt), a child whose own range is inverted, or a sum that overflows.
    pub fn parent(left: &TreeNode, right: &TreeNode) -> Result<TreeNode, ProofError> {
        if left.first > left.last || right.first > right.last || left.last >= right.first {
            return Err(ProofError::Unordered);
        }
        let sum = left
            .sum
            .checked_add(right.sum)
            .ok_or(ProofError::Overflow)?;
        Ok(Self {
            hash: inner_hash(left, right),
            sum,
            first: left.first,
            last: right.last,
        })
    }
}

/// The hash an inner node commits to: its two children as their parent sees them.
fn inner_hash(left: &TreeNode, right: &TreeNode) -> Hash32 {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&[INNER_PREFIX]);
    hasher.update(&left.encode());
    hasher.update(&right.encode());
    *hasher.finalize().as_bytes()
}

/// Every row of the tree over `leaves`, leaves first, the root last, pairing nodes with `join`; an odd last
/// node of a row is promoted unchanged.
fn build_rows<E>(
    leaves: Vec<TreeNode>,
    join: impl Fn(&TreeNode, &TreeNode) -> Result<TreeNode, E>,
) -> Result<Vec<Vec<TreeNode>>, E> {
    let mut rows = alloc::vec![leaves];
    while rows.last().map_or(0, Vec::len) > 1 {
        let next = rows
            .last()
            .expect("a row exists")
            .chunks(2)
            .map(|pair| match pair {
                [left, right] => join(left, right),
                [single] => Ok(*single),
                _ => unreachable!("chunks of at most two"),
            })
            .collect::<Result<Vec<_>, E>>()?;
        rows.push(next);
    }
    Ok(rows)
}

/// The path from one receipt to the root: its position and the siblings from the leaf upwards (promoted levels
/// contribute none).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub struct ReceiptProof {
    /// Position of the receipt among the leaves.
    pub leaf_index: u32,
    /// Sibling nodes from the leaf upwards.
    pub siblings: Vec<TreeNode>,
}

impl MaxEncodedLen for ReceiptProof {
    fn max_encoded_len() -> usize {
        4 + codec::Compact(MAX_PROOF_DEPTH).encoded_size()
            + MAX_PROOF_DEPTH as usize * TreeNode::max_encoded_len()
    }
}

/// Why a receipt and its proof do not check out against a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofError {
    /// The leaf index is outside the tree, or the path's length is not what the leaf count implies.
    WrongShape,
    /// Two siblings' keys are not strictly increasing: a receipt is duplicated or the leaves are unsorted.
    Unordered,
    /// A sum overflows `u64`.
    Overflow,
    /// The path does not lead to the committed root.
    WrongRoot,
    /// The path leads to the root, but the root's sum is not the claimed total.
    WrongTotal,
}

/// How many siblings the path of leaf `index` in a tree of `count` leaves has: one per level where the node is
/// not the promoted odd last one.
fn path_length(mut index: u32, mut count: u32) -> usize {
    let mut length = 0;
    while count > 1 {
        if !(index == count - 1 && count % 2 == 1) {
            length += 1;
        }
        index /= 2;
        count = count.div_ceil(2);
    }
    length
}

/// Checks that `receipt` is leaf `proof.leaf_index` of the tree of `leaf_count` leaves committed by `root`,
/// whose amounts sum to `total`. Returns the offset of the receipt's first unit (byte or compute unit): the
/// leaf covers `offset..offset + receipt.amount()` of the total.
pub fn verify_receipt<L: SummedLeaf>(
    root: &Hash32,
    leaf_count: u32,
    total: u64,
    receipt: &L,
    proof: &ReceiptProof,
) -> Result<u64, ProofError> {
    if proof.leaf_index >= leaf_count
        || proof.siblings.len() != path_length(proof.leaf_index, leaf_count)
    {
        return Err(ProofError::WrongShape);
    }
    let mut node = TreeNode::leaf(receipt);
    let mut offset: u64 = 0;
    let (mut index, mut count) = (proof.leaf_index, leaf_count);
    let mut siblings = proof.siblings.iter();
    while count > 1 {
        let promoted = index == count - 1 && count % 2 == 1;
        if !promoted {
            let sibling = siblings.next().ok_or(ProofError::WrongShape)?;
            node = if index % 2 == 0 {
                TreeNode::parent(&node, sibling)?
            } else {
                offset = offset
                    .checked_add(sibling.sum)
                    .ok_or(ProofError::Overflow)?;
                TreeNode::parent(sibling, &node)?
            };
        }
        index /= 2;
        count = count.div_ceil(2);
    }
    if node.hash != *root {
        return Err(ProofError::WrongRoot);
    }
    if node.sum != total {
        return Err(ProofError::WrongTotal);
    }
    Ok(offset)
}

/// The siblings of leaf `index` in `rows` (leaves first), from the leaf upwards.
fn path_of(rows: &[Vec<TreeNode>], index: u32) -> ReceiptProof {
    let mut siblings = Vec::new();
    let mut i = index as usize;
    for row in &rows[..rows.len() - 1] {
        // The odd last node of a row has no sibling: it is promoted.
        if let Some(sibling) = row.get(i ^ 1) {
            siblings.push(*sibling);
        }
        i /= 2;
    }
    ReceiptProof {
        leaf_index: index,
        siblings,
    }
}

/// Why receipts cannot form a tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeError {
    /// No receipts.
    Empty,
    /// More receipts than a `u32` count names.
    TooMany,
    /// Their amounts add up to more than `u64::MAX`.
    Overflow,
}

/// The tree over one epoch's receipts of one kind, as the edge node builds it to report and to answer
/// challenges.
#[derive(Clone, Debug)]
pub struct ReceiptTree<L = DeliveryReceipt> {
    receipts: Vec<L>,
    /// Row 0 are the leaves, the last row is the root.
    rows: Vec<Vec<TreeNode>>,
}

impl<L: SummedLeaf> ReceiptTree<L> {
    /// The tree over `receipts`: sorted by key, keeping the highest receipt of each session (a session's
    /// receipts are cumulative, so an earlier one is contained in the later one).
    pub fn new(mut receipts: Vec<L>) -> Result<Self, TreeError> {
        if receipts.is_empty() {
            return Err(TreeError::Empty);
        }
        receipts.sort_by(|a, b| a.key().cmp(&b.key()).then(b.amount().cmp(&a.amount())));
        receipts.dedup_by_key(|r| r.key());
        if receipts.len() > u32::MAX as usize {
            return Err(TreeError::TooMany);
        }
        let leaves = receipts.iter().map(TreeNode::leaf).collect();
        let rows = build_rows(leaves, |left, right| {
            TreeNode::parent(left, right).map_err(|e| match e {
                ProofError::Overflow => TreeError::Overflow,
                // Sorted and deduplicated above, so keys are strictly increasing.
                _ => unreachable!("sorted distinct keys"),
            })
        })?;
        Ok(Self { receipts, rows })
    }

    fn root_node(&self) -> &TreeNode {
        &self.rows.last().expect("at least one row")[0]
    }

    /// The root hash, which the work report commits to.
    pub fn root(&self) -> Hash32 {
        self.root_node().hash
    }

    /// Sum of the leaves' amounts: the report's total (bytes or units).
    pub fn total(&self) -> u64 {
        self.root_node().sum
    }

    /// Number of leaves.
    pub fn len(&self) -> u32 {
        self.receipts.len() as u32
    }

    /// Never: a tree has at least one leaf.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The leaves' receipts, in tree order.
    pub fn receipts(&self) -> &[L] {
        &self.receipts
    }

    /// The leaf covering `offset` of the total, by descending from the root along the sums.
    pub fn leaf_at(&self, offset: u64) -> Option<u32> {
        if offset >= self.total() {
            return None;
        }
        let mut index = 0usize;
        let mut remaining = offset;
        for row in self.rows.iter().rev().skip(1) {
            let left = index * 2;
            // A promoted node has no right sibling: its only child is `left`.
            if left + 1 < row.len() && remaining >= row[left].sum {
                remaining -= row[left].sum;
                index = left + 1;
            } else {
                index = left;
            }
        }
        Some(index as u32)
    }

    /// The proof of leaf `index`.
    pub fn proof(&self, index: u32) -> Option<ReceiptProof> {
        (index < self.len()).then(|| path_of(&self.rows, index))
    }
}

/// An attacker's receipt trees, for tests: rows hashed like honest ones but from leaves in any order and with
/// whatever keys and sums the attacker wants, never checked. Honest code never builds such a tree.
#[cfg(any(test, feature = "forgery"))]
pub mod forgery {
    use super::*;

    /// The inner node over `left` and `right` without any check.
    pub fn parent(left: &TreeNode, right: &TreeNode) -> TreeNode {
        TreeNode {
            hash: inner_hash(left, right),
            sum: left.sum.wrapping_add(right.sum),
            first: left.first,
            last: right.last,
        }
    }

    /// Every row of the tree over `leaves` as given, leaves first, the root last.
    pub fn rows(leaves: Vec<TreeNode>) -> Vec<Vec<TreeNode>> {
        match build_rows(leaves, |l, r| {
            Ok::<_, core::convert::Infallible>(parent(l, r))
        }) {
            Ok(rows) => rows,
        }
    }

    /// The path of leaf `index` in `rows`.
    pub fn proof(rows: &[Vec<TreeNode>], index: u32) -> ReceiptProof {
        path_of(rows, index)
    }
}
