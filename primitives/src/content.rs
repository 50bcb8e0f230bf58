//! Proofs that a node stores content: one 1 KiB chunk of a blob and the BLAKE3 tree path from that chunk to the
//! blob's BLAKE3 hash (its [`crate::ContentId`]). This is the inclusion proof of bao (BLAKE3 verified
//! streaming) for a single chunk, built on BLAKE3's own tree (`blake3::hazmat`), so the content id is the plain
//! BLAKE3 hash any tool computes, and the runtime verifies a proof with a few dozen compressions.
//!
//! A one-chunk proof binds the chunk's bytes and position to the root, not the blob's length: the chain takes
//! the length from whoever published the content, and a wrong length only makes challenges unanswerable.
//!
//! Tree shape (BLAKE3's): a blob of `n > 1` chunks is a parent whose left subtree holds the largest power of two
//! of chunks smaller than `n`, and whose right subtree holds the rest, recursively. A proof lists the sibling
//! chaining value at every level from the root down to the chunk.

use alloc::vec::Vec;
use blake3::hazmat::{
    left_subtree_len, merge_subtrees_non_root, merge_subtrees_root, ChainingValue, HasherExt, Mode,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::Hash32;

/// Bytes per BLAKE3 chunk, the unit a storage challenge asks for.
pub const CHUNK_LEN: u64 = 1024;

/// Deepest path a proof may have: enough for blobs of 2^54 bytes.
pub const MAX_CHUNK_PROOF_DEPTH: u32 = 44;

/// Sibling chaining values from the root down to the challenged chunk.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub struct ChunkProof {
    /// One sibling per level, root level first.
    pub siblings: Vec<Hash32>,
}

impl MaxEncodedLen for ChunkProof {
    fn max_encoded_len() -> usize {
        codec::Compact(MAX_CHUNK_PROOF_DEPTH).encoded_size() + MAX_CHUNK_PROOF_DEPTH as usize * 32
    }
}

/// Number of chunks of a blob of `len` bytes (an empty blob is one empty chunk).
pub fn chunk_count(len: u64) -> u64 {
    len.div_ceil(CHUNK_LEN).max(1)
}

/// Byte range `[start, end)` of chunk `index` in a blob of `len` bytes.
fn chunk_range(len: u64, index: u64) -> (u64, u64) {
    let start = index * CHUNK_LEN;
    (start, (start + CHUNK_LEN).min(len))
}

/// Chaining value of the subtree covering `bytes`, which start at `offset` in the blob.
fn subtree_cv(bytes: &[u8], offset: u64) -> ChainingValue {
    let mut hasher = blake3::Hasher::new();
    hasher.set_input_offset(offset);
    hasher.update(bytes);
    hasher.finalize_non_root()
}

/// Chunk `index` of `content` and its proof; `None` if there is no such chunk.
pub fn chunk_proof(content: &[u8], index: u64) -> Option<(Vec<u8>, ChunkProof)> {
    let len = content.len() as u64;
    if index >= chunk_count(len) {
        return None;
    }
    let (chunk_start, chunk_end) = chunk_range(len, index);
    let mut siblings = Vec::new();
    let (mut start, mut end) = (0u64, len);
    while end - start > CHUNK_LEN {
        let mid = start + left_subtree_len(end - start);
        if chunk_start < mid {
            siblings.push(subtree_cv(&content[mid as usize..end as usize], mid));
            end = mid;
        } else {
            siblings.push(subtree_cv(&content[start as usize..mid as usize], start));
            start = mid;
        }
    }
    Some((
        content[chunk_start as usize..chunk_end as usize].to_vec(),
        ChunkProof { siblings },
    ))
}

/// Whether `chunk` is chunk `index` of the blob of `len` bytes whose BLAKE3 hash is `root`.
pub fn verify_chunk(root: &Hash32, len: u64, index: u64, chunk: &[u8], proof: &ChunkProof) -> bool {
    if index >= chunk_count(len) || proof.siblings.len() > MAX_CHUNK_PROOF_DEPTH as usize {
        return false;
    }
    let (chunk_start, chunk_end) = chunk_range(len, index);
    if chunk.len() as u64 != chunk_end - chunk_start {
        return false;
    }
    if len <= CHUNK_LEN {
        return proof.siblings.is_empty() && blake3::hash(chunk).as_bytes() == root;
    }
    // Walk down to learn, per level, whether the chunk's side is left; then fold up from the chunk.
    let mut went_left = Vec::with_capacity(proof.siblings.len());
    let (mut start, mut end) = (0u64, len);
    while end - start > CHUNK_LEN {
        let mid = start + left_subtree_len(end - start);
        let left = chunk_start < mid;
        went_left.push(left);
        if left {
            end = mid;
        } else {
            start = mid;
        }
    }
    if went_left.len() != proof.siblings.len() {
        return false;
    }
    let mut cv = subtree_cv(chunk, chunk_start);
    for level in (1..went_left.len()).rev() {
        let sibling = &proof.siblings[level];
        cv = if went_left[level] {
            merge_subtrees_non_root(&cv, sibling, Mode::Hash)
        } else {
            merge_subtrees_non_root(sibling, &cv, Mode::Hash)
        };
    }
    let top = if went_left[0] {
        merge_subtrees_root(&cv, &proof.siblings[0], Mode::Hash)
    } else {
        merge_subtrees_root(&proof.siblings[0], &cv, Mode::Hash)
    };
    top.as_bytes() == root
}
