//! BLAKE3 chunk proofs: the root is the plain BLAKE3 hash, every chunk of every blob proves, and a changed byte in
//! the chunk or the proof, or the chunk presented at another index, fails.

use enreach_primitives::content::{chunk_count, chunk_proof, verify_chunk, CHUNK_LEN};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_chunk_proves_and_tampering_fails(
        content in prop::collection::vec(any::<u8>(), 0..(20 * CHUNK_LEN as usize)),
        byte in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let root = *blake3::hash(&content).as_bytes();
        let len = content.len() as u64;
        for index in 0..chunk_count(len) {
            let (chunk, proof) = chunk_proof(&content, index).expect("chunk exists");
            prop_assert!(verify_chunk(&root, len, index, &chunk, &proof), "chunk {} of {} bytes", index, len);

            if !chunk.is_empty() {
                let mut bad = chunk.clone();
                let at = byte.index(bad.len());
                bad[at] ^= flip;
                prop_assert!(!verify_chunk(&root, len, index, &bad, &proof));
            }
            if !proof.siblings.is_empty() {
                let mut bad = proof.clone();
                let level = byte.index(bad.siblings.len());
                bad.siblings[level][byte.index(32)] ^= flip;
                prop_assert!(!verify_chunk(&root, len, index, &chunk, &bad));
            }
            let other = (index + 1) % chunk_count(len);
            if other != index {
                let (other_chunk, _) = chunk_proof(&content, other).unwrap();
                prop_assert!(other_chunk == chunk || !verify_chunk(&root, len, other, &chunk, &proof));
            }
        }
        prop_assert!(chunk_proof(&content, chunk_count(len)).is_none());
    }
}
