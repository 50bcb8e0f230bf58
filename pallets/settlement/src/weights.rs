// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_settlement`, generated from its FRAME v2 benchmarks by `scripts/bench/weights`; do not edit.
//!
//! CLI 64.0.0, 2026-12-07, steps `20`, repeat `10`, wasm execution
//! `Compiled`, chain `None`, CPU `Intel(R) Xeon(R) Processor`.
//!
//! Command:
//! /root/.cache/enreach/target/release/enreach-node
//! benchmark
//! pallet
//! --runtime
//! /root/.cache/enreach/target/release/wbuild/enreach-runtime/enreach_runtime.wasm
//! --genesis-builder
//! runtime
//! --genesis-builder-preset
//! development
//! --pallet
//! pallet_settlement
//! --extrinsic
//! *
//! --steps
//! 20
//! --repeat
//! 10
//! --wasm-execution
//! compiled
//! --output-analysis
//! median-slopes
//! --template
//! scripts/weight-template.hbs
//! --output
//! pallets/settlement/src/weights.rs
//! --header
//! scripts/license-header.txt

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
	/// Weight of `publish_collection`.
	fn publish_collection(n: u32, ) -> Weight;
	/// Weight of `unpublish_content`.
	fn unpublish_content() -> Weight;
	/// Weight of `claim_rewards`.
	fn claim_rewards() -> Weight;
	/// Weight of `accrue_storage`.
	fn accrue_storage(r: u32, ) -> Weight;
	/// Weight of `charge_and_pay`.
	fn charge_and_pay(n: u32, ) -> Weight;
	/// Weight of `pay_subsidy`.
	fn pay_subsidy(n: u32, ) -> Weight;
	/// Weight of `prune_usage`.
	fn prune_usage(n: u32, ) -> Weight;
}

/// Weights measured on the reference machine, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Settlement::Accounts` (r:1 w:1)
	/// Proof: `Settlement::Accounts` (`max_values`: None, `max_size`: Some(129), added: 2604, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:1 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:2 w:2)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	fn open_account() -> Weight {
		// Proof size: measured `321`, estimated `6196`.
		// Minimum execution time: 92_498_000 picoseconds.
		Weight::from_parts(127_311_000, 0)
			.saturating_add(Weight::from_parts(0, 6196))
			.saturating_add(T::DbWeight::get().reads(5))
			.saturating_add(T::DbWeight::get().writes(4))
	}
	/// Storage: `Settlement::Accounts` (r:1 w:1)
	/// Proof: `Settlement::Accounts` (`max_values`: None, `max_size`: Some(129), added: 2604, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:3 w:3)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	fn top_up() -> Weight {
		// Proof size: measured `522`, estimated `8799`.
		// Minimum execution time: 89_974_000 picoseconds.
		Weight::from_parts(122_287_000, 0)
			.saturating_add(Weight::from_parts(0, 8799))
			.saturating_add(T::DbWeight::get().reads(4))
			.saturating_add(T::DbWeight::get().writes(4))
	}
	/// Storage: `Settlement::Accounts` (r:1 w:1)
	/// Proof: `Settlement::Accounts` (`max_values`: None, `max_size`: Some(129), added: 2604, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Clients` (r:1 w:1)
	/// Proof: `Settlement::Clients` (`max_values`: None, `max_size`: Some(89), added: 2564, mode: `MaxEncodedLen`)
	fn authorize_client() -> Weight {
		// Proof size: measured `290`, estimated `3594`.
		// Minimum execution time: 21_217_000 picoseconds.
		Weight::from_parts(31_834_000, 0)
			.saturating_add(Weight::from_parts(0, 3594))
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	/// Storage: `Settlement::Clients` (r:1 w:1)
	/// Proof: `Settlement::Clients` (`max_values`: None, `max_size`: Some(89), added: 2564, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Accounts` (r:1 w:1)
	/// Proof: `Settlement::Accounts` (`max_values`: None, `max_size`: Some(129), added: 2604, mode: `MaxEncodedLen`)
	fn revoke_client() -> Weight {
		// Proof size: measured `430`, estimated `3594`.
		// Minimum execution time: 19_280_000 picoseconds.
		Weight::from_parts(26_593_000, 0)
			.saturating_add(Weight::from_parts(0, 3594))
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	/// Storage: `Settlement::Accounts` (r:1 w:1)
	/// Proof: `Settlement::Accounts` (`max_values`: None, `max_size`: Some(129), added: 2604, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:1 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	fn request_withdrawal() -> Weight {
		// Proof size: measured `293`, estimated `3594`.
		// Minimum execution time: 19_472_000 picoseconds.
		Weight::from_parts(29_795_000, 0)
			.saturating_add(Weight::from_parts(0, 3594))
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	/// Storage: `Settlement::Accounts` (r:1 w:1)
	/// Proof: `Settlement::Accounts` (`max_values`: None, `max_size`: Some(129), added: 2604, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Settling` (r:1 w:0)
	/// Proof: `Settlement::Settling` (`max_values`: Some(1), `max_size`: Some(296), added: 791, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Usage` (r:3 w:0)
	/// Proof: `Settlement::Usage` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:3 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:2 w:2)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	fn withdraw() -> Weight {
		// Proof size: measured `648`, estimated `8766`.
		// Minimum execution time: 90_880_000 picoseconds.
		Weight::from_parts(123_513_000, 0)
			.saturating_add(Weight::from_parts(0, 8766))
			.saturating_add(T::DbWeight::get().reads(11))
			.saturating_add(T::DbWeight::get().writes(3))
	}
	/// Storage: `Settlement::Accounts` (r:1 w:1)
	/// Proof: `Settlement::Accounts` (`max_values`: None, `max_size`: Some(129), added: 2604, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Contents` (r:1 w:1)
	/// Proof: `Settlement::Contents` (`max_values`: None, `max_size`: Some(372), added: 2847, mode: `MaxEncodedLen`)
	fn publish_content() -> Weight {
		// Proof size: measured `176`, estimated `3837`.
		// Minimum execution time: 17_071_000 picoseconds.
		Weight::from_parts(28_210_000, 0)
			.saturating_add(Weight::from_parts(0, 3837))
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	/// Storage: `Settlement::Accounts` (r:1 w:1)
	/// Proof: `Settlement::Accounts` (`max_values`: None, `max_size`: Some(129), added: 2604, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Contents` (r:513 w:513)
	/// Proof: `Settlement::Contents` (`max_values`: None, `max_size`: Some(372), added: 2847, mode: `MaxEncodedLen`)
	/// The range of component `n` is `[1, 512]`.
	fn publish_collection(n: u32, ) -> Weight {
		// Proof size: measured `176`, estimated `3837`.
		// Minimum execution time: 25_417_000 picoseconds.
		Weight::from_parts(26_849_955, 0)
			.saturating_add(Weight::from_parts(0, 3837))
			.saturating_add(Weight::from_parts(4_314_871, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(2))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2847).saturating_mul(n.into()))
	}
	/// Storage: `Settlement::Contents` (r:1 w:1)
	/// Proof: `Settlement::Contents` (`max_values`: None, `max_size`: Some(372), added: 2847, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Accounts` (r:1 w:1)
	/// Proof: `Settlement::Accounts` (`max_values`: None, `max_size`: Some(129), added: 2604, mode: `MaxEncodedLen`)
	fn unpublish_content() -> Weight {
		// Proof size: measured `459`, estimated `3837`.
		// Minimum execution time: 18_322_000 picoseconds.
		Weight::from_parts(26_722_000, 0)
			.saturating_add(Weight::from_parts(0, 3837))
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	/// Storage: `Settlement::PendingRewards` (r:1 w:1)
	/// Proof: `Settlement::PendingRewards` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:2 w:2)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	fn claim_rewards() -> Weight {
		// Proof size: measured `325`, estimated `6196`.
		// Minimum execution time: 58_194_000 picoseconds.
		Weight::from_parts(76_818_000, 0)
			.saturating_add(Weight::from_parts(0, 6196))
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(3))
	}
	/// Storage: `Parameters::Parameters` (r:1 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::StorageProvers` (r:2 w:0)
	/// Proof: `Gpow::StorageProvers` (`max_values`: None, `max_size`: Some(2110), added: 4585, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Contents` (r:1 w:0)
	/// Proof: `Settlement::Contents` (`max_values`: None, `max_size`: Some(372), added: 2847, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::Nodes` (r:64 w:0)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1191), added: 3666, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Accruals` (r:64 w:64)
	/// Proof: `Settlement::Accruals` (`max_values`: None, `max_size`: Some(148), added: 2623, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Usage` (r:1 w:1)
	/// Proof: `Settlement::Usage` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	/// The range of component `r` is `[0, 64]`.
	fn accrue_storage(r: u32, ) -> Weight {
		// Proof size: measured `553`, estimated `10160`.
		// Minimum execution time: 20_630_000 picoseconds.
		Weight::from_parts(37_181_571, 0)
			.saturating_add(Weight::from_parts(0, 10160))
			.saturating_add(Weight::from_parts(11_420_071, 0).saturating_mul(r.into()))
			.saturating_add(T::DbWeight::get().reads(5))
			.saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(r.into())))
			.saturating_add(T::DbWeight::get().writes(1))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(r.into())))
			.saturating_add(Weight::from_parts(0, 3666).saturating_mul(r.into()))
	}
	/// Storage: `Settlement::Accruals` (r:501 w:500)
	/// Proof: `Settlement::Accruals` (`max_values`: None, `max_size`: Some(148), added: 2623, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Usage` (r:500 w:500)
	/// Proof: `Settlement::Usage` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:4 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Accounts` (r:500 w:500)
	/// Proof: `Settlement::Accounts` (`max_values`: None, `max_size`: Some(129), added: 2604, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::PendingRewards` (r:500 w:500)
	/// Proof: `Settlement::PendingRewards` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:2 w:2)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// The range of component `n` is `[1, 500]`.
	fn charge_and_pay(n: u32, ) -> Weight {
		// Proof size: measured `595`, estimated `11114`.
		// Minimum execution time: 98_778_000 picoseconds.
		Weight::from_parts(0, 0)
			.saturating_add(Weight::from_parts(0, 11114))
			.saturating_add(Weight::from_parts(51_573_989, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(7))
			.saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(2))
			.saturating_add(T::DbWeight::get().writes((4_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2623).saturating_mul(n.into()))
	}
	/// Storage: `Parameters::Parameters` (r:2 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::CurrentEra` (r:1 w:0)
	/// Proof: `Gpos::CurrentEra` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::ErasRewardPot` (r:1 w:1)
	/// Proof: `Gpos::ErasRewardPot` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::TotalWorkScore` (r:1 w:0)
	/// Proof: `Gpow::TotalWorkScore` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::WorkScores` (r:501 w:0)
	/// Proof: `Gpow::WorkScores` (`max_values`: None, `max_size`: Some(68), added: 2543, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::Nodes` (r:500 w:0)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1191), added: 3666, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::PendingRewards` (r:500 w:500)
	/// Proof: `Settlement::PendingRewards` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// The range of component `n` is `[1, 500]`.
	fn pay_subsidy(n: u32, ) -> Weight {
		// Proof size: measured `624`, estimated `6052`.
		// Minimum execution time: 77_663_000 picoseconds.
		Weight::from_parts(0, 0)
			.saturating_add(Weight::from_parts(0, 6052))
			.saturating_add(Weight::from_parts(35_769_975, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(7))
			.saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(2))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 3666).saturating_mul(n.into()))
	}
	/// Storage: `Settlement::Usage` (r:500 w:500)
	/// Proof: `Settlement::Usage` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	/// The range of component `n` is `[1, 500]`.
	fn prune_usage(n: u32, ) -> Weight {
		// Proof size: measured `79`, estimated `990`.
		// Minimum execution time: 4_366_000 picoseconds.
		Weight::from_parts(4_600_982, 0)
			.saturating_add(Weight::from_parts(0, 990))
			.saturating_add(Weight::from_parts(1_159_445, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2592).saturating_mul(n.into()))
	}
}
