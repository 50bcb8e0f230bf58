// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_settlement`: bootstrap values until `scripts/bench/weights pallet_settlement` regenerates this file.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]

use frame_support::{traits::Get, weights::Weight};
use core::marker::PhantomData;

/// The weight of each call of `pallet_settlement`.
pub trait WeightInfo {
	/// Weight of `open_account`.
	fn open_account() -> Weight;
	/// Weight of `top_up`.
	fn top_up() -> Weight;
	/// Weight of `authorize_client`.
	fn authorize_client() -> Weight;
	/// Weight of `revoke_client`.
	fn revoke_client() -> Weight;
	/// Weight of `request_withdrawal`.
	fn request_withdrawal() -> Weight;
	/// Weight of `withdraw`.
	fn withdraw() -> Weight;
	/// Weight of `publish_content`.
	fn publish_content() -> Weight;
	/// Weight of `unpublish_content`.
	fn unpublish_content() -> Weight;
	/// Weight of `claim_rewards`.
	fn claim_rewards() -> Weight;
	/// Weight of `accrue_storage`.
	fn accrue_storage(n: u32, p: u32, ) -> Weight;
	/// Weight of `charge_and_pay`.
	fn charge_and_pay(n: u32, ) -> Weight;
	/// Weight of `pay_subsidy`.
	fn pay_subsidy(n: u32, ) -> Weight;
	/// Weight of `prune_usage`.
	fn prune_usage(n: u32, ) -> Weight;
}

/// Weights measured on the reference machine, for the runtime's configuration.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn open_account() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn top_up() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn authorize_client() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn revoke_client() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn request_withdrawal() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn withdraw() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn publish_content() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn unpublish_content() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn claim_rewards() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn accrue_storage(n: u32, p: u32, ) -> Weight {
		Weight::from_parts(100_000_000, 10_000).saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(n.into())).saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn charge_and_pay(n: u32, ) -> Weight {
		Weight::from_parts(100_000_000, 10_000).saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn pay_subsidy(n: u32, ) -> Weight {
		Weight::from_parts(100_000_000, 10_000).saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
	fn prune_usage(n: u32, ) -> Weight {
		Weight::from_parts(100_000_000, 10_000).saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
	}
}
