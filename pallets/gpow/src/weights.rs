// SPDX-License-Identifier: Apache-2.0
//! Placeholder until `scripts/bench/weights pallet_gpow` generates this file.

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// The weight of each call and hook of `pallet_gpow`.
pub trait WeightInfo {
    /// Weight of `submit_work_report`.
    fn submit_work_report() -> Weight;
    /// Weight of `answer_challenge` with `k` sampled receipts.
    fn answer_challenge(k: u32) -> Weight;
    /// Weight of `submit_observation` with `o` observations of the node already stored.
    fn submit_observation(o: u32) -> Weight;
    /// Weight of `set_params`.
    fn set_params() -> Weight;
    /// Weight of `authorize_client`.
    fn authorize_client() -> Weight;
    /// Weight of `revoke_client`.
    fn revoke_client() -> Weight;
    /// Weight of starting an epoch with `n` keepers.
    fn start_epoch(n: u32) -> Weight;
    /// Weight of expiring `n` challenges.
    fn expire_challenges(n: u32) -> Weight;
}

/// Weights measured on the reference machine, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn submit_work_report() -> Weight {
        Weight::from_parts(60_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(6, 2))
    }
    fn answer_challenge(k: u32) -> Weight {
        Weight::from_parts(80_000_000, 10_000)
            .saturating_add(Weight::from_parts(120_000_000, 1_000).saturating_mul(k.into()))
            .saturating_add(T::DbWeight::get().reads_writes(4, 3))
            .saturating_add(T::DbWeight::get().reads_writes(k.into(), k.into()))
    }
    fn submit_observation(o: u32) -> Weight {
        Weight::from_parts(80_000_000, 10_000)
            .saturating_add(Weight::from_parts(5_000_000, 1_000).saturating_mul(o.into()))
            .saturating_add(T::DbWeight::get().reads_writes(6, 3))
            .saturating_add(T::DbWeight::get().reads_writes(o.into(), o.into()))
    }
    fn set_params() -> Weight {
        Weight::from_parts(20_000_000, 1_000).saturating_add(T::DbWeight::get().writes(1))
    }
    fn authorize_client() -> Weight {
        Weight::from_parts(20_000_000, 1_000).saturating_add(T::DbWeight::get().reads_writes(1, 1))
    }
    fn revoke_client() -> Weight {
        Weight::from_parts(20_000_000, 1_000).saturating_add(T::DbWeight::get().reads_writes(1, 1))
    }
    fn start_epoch(n: u32) -> Weight {
        Weight::from_parts(40_000_000, 10_000)
            .saturating_add(Weight::from_parts(1_000_000, 100).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads_writes(3, 6))
    }
    fn expire_challenges(n: u32) -> Weight {
        Weight::from_parts(10_000_000, 1_000)
            .saturating_add(Weight::from_parts(40_000_000, 5_000).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads_writes(3u64 * n as u64, 2u64 * n as u64))
    }
}
