//! The binary Merkle tree over an epoch's receipts. An edge node commits to the root in its
//! [`crate::WorkReport`]; the chain later asks for randomly sampled leaves with their [`ReceiptProof`]s.
//!
//! The tree is `binary-merkle-tree` (polkadot-sdk's BEEFY tree) over BLAKE3: leaves are the BLAKE3 hashes of the
//! SCALE-encoded receipts, inner nodes `BLAKE3(left ‖ right)`, and an odd node at the end of a row is promoted
//! unchanged (never paired with itself, so no two leaf lists share a root by duplication). Receipt encodings are
//! longer than 64 bytes, so a leaf can never pass for an inner node. The same code runs in the runtime and in
//! `edge-worker`, so both compute identical roots.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::{DeliveryReceipt, Hash32};

/// Deepest tree a proof may describe: 2^32 leaves is more than a `u32` count can name.
pub const MAX_PROOF_DEPTH: u32 = 32;

/// BLAKE3 as a `hash_db::Hasher`, which is the hashing interface `binary-merkle-tree` is generic over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Blake3Hasher;

impl hash_db::Hasher for Blake3Hasher {
    type Out = Hash32;
    type StdHasher = hash256_std_hasher::Hash256StdHasher;
    const LENGTH: usize = 32;

    fn hash(x: &[u8]) -> Hash32 {
        *blake3::hash(x).as_bytes()
    }
}

/// The path from one receipt to the root.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub struct ReceiptProof {
    /// Position of the receipt among the leaves.
    pub leaf_index: u32,
    /// Number of leaves in the tree.
    pub leaf_count: u32,
    /// Sibling hashes from the leaf upwards; promoted levels contribute none.
    pub siblings: Vec<Hash32>,
}

impl MaxEncodedLen for ReceiptProof {
    fn max_encoded_len() -> usize {
        // Two u32s and a compact-length-prefixed list of at most MAX_PROOF_DEPTH hashes.
        4 + 4 + codec::Compact(MAX_PROOF_DEPTH).encoded_size() + MAX_PROOF_DEPTH as usize * 32
    }
}

/// The Merkle root over `receipts` in the given order; all zeroes for no receipts.
pub fn receipts_root(receipts: &[DeliveryReceipt]) -> Hash32 {
    binary_merkle_tree::merkle_root::<Blake3Hasher, _>(receipts.iter().map(Encode::encode))
}

/// The proof for `receipts[index]`, or `None` if there is no such receipt.
pub fn receipt_proof(receipts: &[DeliveryReceipt], index: u32) -> Option<ReceiptProof> {
    if index as usize >= receipts.len() {
        return None;
    }
    let proof = binary_merkle_tree::merkle_proof::<Blake3Hasher, _, _>(
        receipts.iter().map(Encode::encode),
        index,
    );
    Some(ReceiptProof {
        leaf_index: proof.leaf_index,
        leaf_count: proof.number_of_leaves,
        siblings: proof.proof,
    })
}

/// Whether `receipt` is leaf `proof.leaf_index` of a tree of `proof.leaf_count` leaves with root `root`.
pub fn verify_receipt(root: &Hash32, receipt: &DeliveryReceipt, proof: &ReceiptProof) -> bool {
    if proof.siblings.len() > MAX_PROOF_DEPTH as usize {
        return false;
    }
    let leaf = receipt.encode();
    binary_merkle_tree::verify_proof::<Blake3Hasher, _, _>(
        root,
        proof.siblings.iter().copied(),
        proof.leaf_count,
        proof.leaf_index,
        &leaf,
    )
}
