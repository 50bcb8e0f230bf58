// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_gpos`: bootstrap values until `scripts/bench/weights pallet_gpos` regenerates this file.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]

use frame_support::{traits::Get, weights::Weight};
use core::marker::PhantomData;

/// The weight of each call of `pallet_gpos`.
pub trait WeightInfo {
	/// Weight of `bond`.
	fn bond() -> Weight;
	/// Weight of `unbond`.
	fn unbond() -> Weight;
	/// Weight of `withdraw_unbonded`.
	fn withdraw_unbonded() -> Weight;
	/// Weight of `validate`.
	fn validate() -> Weight;
	/// Weight of `chill`.
	fn chill() -> Weight;
	/// Weight of `guarantee`.
	fn guarantee() -> Weight;
	/// Weight of `cut_guarantee`.
	fn cut_guarantee() -> Weight;
	/// Weight of `payout_stakers`.
	fn payout_stakers(n: u32, ) -> Weight;
	/// Weight of `cancel_deferred_slash`.
	fn cancel_deferred_slash(s: u32, ) -> Weight;
	/// Weight of `new_era`.
	fn new_era(c: u32, ) -> Weight;
}

/// Weights measured on the reference machine, for the runtime's configuration.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn bond() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn unbond() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn withdraw_unbonded() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn validate() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn chill() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn guarantee() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn cut_guarantee() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn payout_stakers(n: u32, ) -> Weight {
		Weight::from_parts(100_000_000, 10_000).saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn cancel_deferred_slash(s: u32, ) -> Weight {
		Weight::from_parts(100_000_000, 10_000).saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn new_era(c: u32, ) -> Weight {
		Weight::from_parts(100_000_000, 10_000).saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(c.into()))
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
}
