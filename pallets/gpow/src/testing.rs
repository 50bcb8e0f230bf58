//! Stand-ins for the tests of pallets built on GPoW.

use codec::Encode;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Hash, One, Saturating};

/// Stands in for BABE's VRF output: a function of the parent block's number (and of [`set_vrf_salt`]) only,
/// whatever that block's hash (which its author could vary) is.
pub struct BlockNumberRandomness<T>(core::marker::PhantomData<T>);

const VRF_SALT: &[u8] = b":gpow-testing:vrf-salt";

/// Makes the blocks from now on carry other VRF outputs, as other authors (or keys) would have produced.
pub fn set_vrf_salt(salt: u32) {
    frame_support::storage::unhashed::put(VRF_SALT, &salt);
}

impl<T: frame_system::Config> frame_support::traits::Randomness<Option<T::Hash>, BlockNumberFor<T>>
    for BlockNumberRandomness<T>
{
    fn random(subject: &[u8]) -> (Option<T::Hash>, BlockNumberFor<T>) {
        let parent = frame_system::Pallet::<T>::block_number().saturating_sub(One::one());
        let salt: u32 = frame_support::storage::unhashed::get_or_default(VRF_SALT);
        let output = T::Hashing::hash_of(&(b"vrf", subject, parent, salt).encode());
        (Some(output), parent)
    }
}

/// The answer of `chunks` of `data`: each chunk with its BLAKE3 path, in order.
pub fn answer_of<T: crate::Config>(data: &[u8], chunks: &[u64]) -> crate::StorageAnswerOf<T> {
    frame_support::BoundedVec::truncate_from(
        chunks
            .iter()
            .map(|&i| {
                let (chunk, proof) =
                    enreach_primitives::content::chunk_proof(data, i).expect("a chunk of data");
                (frame_support::BoundedVec::truncate_from(chunk), proof)
            })
            .collect::<alloc::vec::Vec<_>>(),
    )
}

/// The honest answer to `node`'s storage challenge on `data` in `epoch`: each drawn chunk with its path.
/// Panics if `data` is not challenged then.
pub fn storage_answer<T: crate::Config>(
    node: enreach_primitives::NodeId,
    epoch: enreach_primitives::EpochIndex,
    data: &[u8],
) -> crate::StorageAnswerOf<T> {
    let content = enreach_primitives::ContentId(*blake3::hash(data).as_bytes());
    let challenge = crate::Pallet::<T>::storage_challenges_of(epoch, &node)
        .into_iter()
        .find(|c| c.content == content)
        .expect("the pin is challenged");
    answer_of::<T>(data, &challenge.chunks)
}
