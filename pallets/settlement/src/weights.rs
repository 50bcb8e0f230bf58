// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_settlement`, generated from its FRAME v2 benchmarks by `scripts/bench/weights`; do not edit.
//!
//! CLI 64.0.0, 2026-12-06, steps `20`, repeat `10`, wasm execution
//! `Compiled`, chain `None`, CPU `AMD EPYC`.
//!
//! Command:
//! /root/.cache/enreach/target/debug/enreach-node
//! benchmark
//! pallet
//! --runtime
//! /root/.cache/enreach/target/debug/wbuild/enreach-runtime/enreach_runtime.wasm
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
	/// Weight of `unpublish_content`.
	fn unpublish_content() -> Weight;
	/// Weight of `claim_rewards`.
	fn claim_rewards() -> Weight;
	/// Weight of `accrue_storage`.
	fn accrue_storage(p: u32, ) -> Weight;
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
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	fn open_account() -> Weight {
		// Proof size: measured `321`, estimated `6196`.
		// Minimum execution time: 627_296_000 picoseconds.
		Weight::from_parts(654_186_000, 0)
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
		// Minimum execution time: 600_546_000 picoseconds.
		Weight::from_parts(646_584_000, 0)
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
		// Proof size: measured `328`, estimated `3594`.
		// Minimum execution time: 174_400_000 picoseconds.
		Weight::from_parts(180_690_000, 0)
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
		// Proof size: measured `468`, estimated `3594`.
		// Minimum execution time: 164_596_000 picoseconds.
		Weight::from_parts(170_244_000, 0)
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
		// Proof size: measured `331`, estimated `3594`.
		// Minimum execution time: 175_101_000 picoseconds.
		Weight::from_parts(180_139_000, 0)
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
	/// Proof: `Settlement::Usage` (`max_values`: None, `max_size`: Some(109), added: 2584, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:2 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:2 w:2)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	fn withdraw() -> Weight {
		// Proof size: measured `686`, estimated `8742`.
		// Minimum execution time: 655_698_000 picoseconds.
		Weight::from_parts(670_991_000, 0)
			.saturating_add(Weight::from_parts(0, 8742))
			.saturating_add(T::DbWeight::get().reads(10))
			.saturating_add(T::DbWeight::get().writes(3))
	}
	/// Storage: `Settlement::Accounts` (r:1 w:1)
	/// Proof: `Settlement::Accounts` (`max_values`: None, `max_size`: Some(129), added: 2604, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Contents` (r:1 w:1)
	/// Proof: `Settlement::Contents` (`max_values`: None, `max_size`: Some(367), added: 2842, mode: `MaxEncodedLen`)
	fn publish_content() -> Weight {
		// Proof size: measured `176`, estimated `3832`.
		// Minimum execution time: 159_198_000 picoseconds.
		Weight::from_parts(165_517_000, 0)
			.saturating_add(Weight::from_parts(0, 3832))
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	/// Storage: `Settlement::Contents` (r:1 w:1)
	/// Proof: `Settlement::Contents` (`max_values`: None, `max_size`: Some(367), added: 2842, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Accounts` (r:1 w:1)
	/// Proof: `Settlement::Accounts` (`max_values`: None, `max_size`: Some(129), added: 2604, mode: `MaxEncodedLen`)
	fn unpublish_content() -> Weight {
		// Proof size: measured `312`, estimated `3832`.
		// Minimum execution time: 158_036_000 picoseconds.
		Weight::from_parts(163_163_000, 0)
			.saturating_add(Weight::from_parts(0, 3832))
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	/// Storage: `Settlement::PendingRewards` (r:1 w:1)
	/// Proof: `Settlement::PendingRewards` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:2 w:2)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	fn claim_rewards() -> Weight {
		// Proof size: measured `325`, estimated `6196`.
		// Minimum execution time: 421_669_000 picoseconds.
		Weight::from_parts(434_147_000, 0)
			.saturating_add(Weight::from_parts(0, 6196))
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(3))
	}
	/// Storage: `Parameters::Parameters` (r:1 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::StorageProofs` (r:2 w:0)
	/// Proof: `Gpow::StorageProofs` (`max_values`: None, `max_size`: Some(60), added: 2535, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::Nodes` (r:1 w:0)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1184), added: 3659, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::Pins` (r:1 w:0)
	/// Proof: `EdgeNodes::Pins` (`max_values`: None, `max_size`: Some(10290), added: 12765, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Contents` (r:64 w:0)
	/// Proof: `Settlement::Contents` (`max_values`: None, `max_size`: Some(367), added: 2842, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::StorageReplicas` (r:64 w:64)
	/// Proof: `Settlement::StorageReplicas` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Accruals` (r:1 w:1)
	/// Proof: `Settlement::Accruals` (`max_values`: None, `max_size`: Some(140), added: 2615, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Usage` (r:1 w:1)
	/// Proof: `Settlement::Usage` (`max_values`: None, `max_size`: Some(109), added: 2584, mode: `MaxEncodedLen`)
	/// The range of component `p` is `[0, 64]`.
	fn accrue_storage(p: u32, ) -> Weight {
		// Proof size: measured `713`, estimated `13755`.
		// Minimum execution time: 176_172_000 picoseconds.
		Weight::from_parts(254_574_240, 0)
			.saturating_add(Weight::from_parts(0, 13755))
			.saturating_add(Weight::from_parts(73_881_314, 0).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads(7))
			.saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(p.into())))
			.saturating_add(T::DbWeight::get().writes(2))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(p.into())))
			.saturating_add(Weight::from_parts(0, 2842).saturating_mul(p.into()))
	}
	/// Storage: `Settlement::Accruals` (r:501 w:500)
	/// Proof: `Settlement::Accruals` (`max_values`: None, `max_size`: Some(140), added: 2615, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Usage` (r:500 w:500)
	/// Proof: `Settlement::Usage` (`max_values`: None, `max_size`: Some(109), added: 2584, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:3 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Accounts` (r:500 w:500)
	/// Proof: `Settlement::Accounts` (`max_values`: None, `max_size`: Some(129), added: 2604, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::PendingRewards` (r:500 w:500)
	/// Proof: `Settlement::PendingRewards` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:2 w:2)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// The range of component `n` is `[1, 500]`.
	fn charge_and_pay(n: u32, ) -> Weight {
		// Proof size: measured `587`, estimated `8583`.
		// Minimum execution time: 613_045_000 picoseconds.
		Weight::from_parts(614_507_000, 0)
			.saturating_add(Weight::from_parts(0, 8583))
			.saturating_add(Weight::from_parts(244_349_478, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(6))
			.saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(2))
			.saturating_add(T::DbWeight::get().writes((4_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2615).saturating_mul(n.into()))
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
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1184), added: 3659, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::PendingRewards` (r:500 w:500)
	/// Proof: `Settlement::PendingRewards` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// The range of component `n` is `[1, 500]`.
	fn pay_subsidy(n: u32, ) -> Weight {
		// Proof size: measured `662`, estimated `6052`.
		// Minimum execution time: 477_632_000 picoseconds.
		Weight::from_parts(478_414_000, 0)
			.saturating_add(Weight::from_parts(0, 6052))
			.saturating_add(Weight::from_parts(209_979_112, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(7))
			.saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(2))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 3659).saturating_mul(n.into()))
	}
	/// Storage: `Settlement::Usage` (r:500 w:500)
	/// Proof: `Settlement::Usage` (`max_values`: None, `max_size`: Some(109), added: 2584, mode: `MaxEncodedLen`)
	/// The range of component `n` is `[1, 500]`.
	fn prune_usage(n: u32, ) -> Weight {
		// Proof size: measured `79`, estimated `990`.
		// Minimum execution time: 63_975_000 picoseconds.
		Weight::from_parts(13_975_518, 0)
			.saturating_add(Weight::from_parts(0, 990))
			.saturating_add(Weight::from_parts(6_044_917, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2584).saturating_mul(n.into()))
	}
}
