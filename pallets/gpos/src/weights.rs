// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_gpos`, generated from its FRAME v2 benchmarks by `scripts/bench/weights`; do not edit.
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
//! pallet_gpos
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
//! pallets/gpos/src/weights.rs
//! --header
//! scripts/license-header.txt

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

/// Weights measured on the reference machine, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Gpos::Ledgers` (r:1 w:1)
	/// Proof: `Gpos::Ledgers` (`max_values`: None, `max_size`: Some(721), added: 3196, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:1 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	fn bond() -> Weight {
		// Proof size: measured `583`, estimated `4186`.
		// Minimum execution time: 54_026_000 picoseconds.
		Weight::from_parts(78_844_000, 0)
			.saturating_add(Weight::from_parts(0, 4186))
			.saturating_add(T::DbWeight::get().reads(4))
			.saturating_add(T::DbWeight::get().writes(3))
	}
	/// Storage: `Gpos::Ledgers` (r:1 w:1)
	/// Proof: `Gpos::Ledgers` (`max_values`: None, `max_size`: Some(721), added: 3196, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::Candidates` (r:1 w:0)
	/// Proof: `Gpos::Candidates` (`max_values`: None, `max_size`: Some(47), added: 2522, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:2 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::CurrentEra` (r:1 w:0)
	/// Proof: `Gpos::CurrentEra` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	fn unbond() -> Weight {
		// Proof size: measured `622`, estimated `6052`.
		// Minimum execution time: 26_680_000 picoseconds.
		Weight::from_parts(42_706_000, 0)
			.saturating_add(Weight::from_parts(0, 6052))
			.saturating_add(T::DbWeight::get().reads(5))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	/// Storage: `Gpos::Ledgers` (r:1 w:1)
	/// Proof: `Gpos::Ledgers` (`max_values`: None, `max_size`: Some(721), added: 3196, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::CurrentEra` (r:1 w:0)
	/// Proof: `Gpos::CurrentEra` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	fn withdraw_unbonded() -> Weight {
		// Proof size: measured `784`, estimated `4186`.
		// Minimum execution time: 51_429_000 picoseconds.
		Weight::from_parts(72_482_000, 0)
			.saturating_add(Weight::from_parts(0, 4186))
			.saturating_add(T::DbWeight::get().reads(4))
			.saturating_add(T::DbWeight::get().writes(3))
	}
	/// Storage: `Gpos::Ledgers` (r:1 w:0)
	/// Proof: `Gpos::Ledgers` (`max_values`: None, `max_size`: Some(721), added: 3196, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:1 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::Candidates` (r:1 w:1)
	/// Proof: `Gpos::Candidates` (`max_values`: None, `max_size`: Some(47), added: 2522, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::CounterForCandidates` (r:1 w:1)
	/// Proof: `Gpos::CounterForCandidates` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	fn validate() -> Weight {
		// Proof size: measured `415`, estimated `4186`.
		// Minimum execution time: 24_272_000 picoseconds.
		Weight::from_parts(38_920_000, 0)
			.saturating_add(Weight::from_parts(0, 4186))
			.saturating_add(T::DbWeight::get().reads(4))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	/// Storage: `Gpos::Candidates` (r:1 w:1)
	/// Proof: `Gpos::Candidates` (`max_values`: None, `max_size`: Some(47), added: 2522, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::CounterForCandidates` (r:1 w:1)
	/// Proof: `Gpos::CounterForCandidates` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	fn chill() -> Weight {
		// Proof size: measured `406`, estimated `3512`.
		// Minimum execution time: 18_056_000 picoseconds.
		Weight::from_parts(27_459_000, 0)
			.saturating_add(Weight::from_parts(0, 3512))
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	/// Storage: `Gpos::Candidates` (r:1 w:0)
	/// Proof: `Gpos::Candidates` (`max_values`: None, `max_size`: Some(47), added: 2522, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::Guarantees` (r:1 w:1)
	/// Proof: `Gpos::Guarantees` (`max_values`: None, `max_size`: Some(12330), added: 14805, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:1 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::Ledgers` (r:1 w:1)
	/// Proof: `Gpos::Ledgers` (`max_values`: None, `max_size`: Some(721), added: 3196, mode: `MaxEncodedLen`)
	fn guarantee() -> Weight {
		// Proof size: measured `14589`, estimated `15795`.
		// Minimum execution time: 115_651_000 picoseconds.
		Weight::from_parts(145_021_000, 0)
			.saturating_add(Weight::from_parts(0, 15795))
			.saturating_add(T::DbWeight::get().reads(6))
			.saturating_add(T::DbWeight::get().writes(4))
	}
	/// Storage: `Gpos::Ledgers` (r:1 w:1)
	/// Proof: `Gpos::Ledgers` (`max_values`: None, `max_size`: Some(721), added: 3196, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::Guarantees` (r:1 w:1)
	/// Proof: `Gpos::Guarantees` (`max_values`: None, `max_size`: Some(12330), added: 14805, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::CurrentEra` (r:1 w:0)
	/// Proof: `Gpos::CurrentEra` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:1 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	fn cut_guarantee() -> Weight {
		// Proof size: measured `13547`, estimated `15795`.
		// Minimum execution time: 63_921_000 picoseconds.
		Weight::from_parts(83_228_000, 0)
			.saturating_add(Weight::from_parts(0, 15795))
			.saturating_add(T::DbWeight::get().reads(4))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	/// Storage: `Gpos::CurrentEra` (r:1 w:0)
	/// Proof: `Gpos::CurrentEra` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::ErasExposure` (r:1 w:0)
	/// Proof: `Gpos::ErasExposure` (`max_values`: None, `max_size`: Some(12394), added: 14869, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::ClaimedPages` (r:1 w:1)
	/// Proof: `Gpos::ClaimedPages` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::ErasRewardPot` (r:1 w:0)
	/// Proof: `Gpos::ErasRewardPot` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::ErasTotalStake` (r:1 w:0)
	/// Proof: `Gpos::ErasTotalStake` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// The range of component `n` is `[0, 64]`.
	fn payout_stakers(n: u32, ) -> Weight {
		// Proof size: measured `687`, estimated `15859`.
		// Minimum execution time: 59_012_000 picoseconds.
		Weight::from_parts(75_433_615, 0)
			.saturating_add(Weight::from_parts(0, 15859))
			.saturating_add(Weight::from_parts(256_538, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(6))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	/// Storage: `Gpos::UnappliedSlashes` (r:1 w:1)
	/// Proof: `Gpos::UnappliedSlashes` (`max_values`: None, `max_size`: Some(46014), added: 48489, mode: `MaxEncodedLen`)
	/// The range of component `s` is `[1, 1000]`.
	fn cancel_deferred_slash(s: u32, ) -> Weight {
		// Proof size: measured `272`, estimated `49479`.
		// Minimum execution time: 14_850_000 picoseconds.
		Weight::from_parts(21_229_385, 0)
			.saturating_add(Weight::from_parts(0, 49479))
			.saturating_add(Weight::from_parts(38_766, 0).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	/// Storage: `Gpos::UnappliedSlashes` (r:1 w:1)
	/// Proof: `Gpos::UnappliedSlashes` (`max_values`: None, `max_size`: Some(46014), added: 48489, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::ErasExposure` (r:1 w:100)
	/// Proof: `Gpos::ErasExposure` (`max_values`: None, `max_size`: Some(12394), added: 14869, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::Ledgers` (r:116 w:17)
	/// Proof: `Gpos::Ledgers` (`max_values`: None, `max_size`: Some(721), added: 3196, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::Guarantees` (r:100 w:1)
	/// Proof: `Gpos::Guarantees` (`max_values`: None, `max_size`: Some(12330), added: 14805, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:17 w:17)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:18 w:18)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::Candidates` (r:101 w:0)
	/// Proof: `Gpos::Candidates` (`max_values`: None, `max_size`: Some(47), added: 2522, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:2 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `Session::NextKeys` (r:100 w:0)
	/// Proof: `Session::NextKeys` (`max_values`: None, `max_size`: None, mode: `Measured`)
	/// Storage: `Session::Validators` (r:1 w:0)
	/// Proof: `Session::Validators` (`max_values`: Some(1), `max_size`: None, mode: `Measured`)
	/// Storage: `Gpos::CurrentEra` (r:0 w:1)
	/// Proof: `Gpos::CurrentEra` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::ErasTotalStake` (r:0 w:1)
	/// Proof: `Gpos::ErasTotalStake` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	/// The range of component `c` is `[1, 100]`.
	fn new_era(c: u32, ) -> Weight {
		// Proof size: measured `14592`, estimated `52126`.
		// Minimum execution time: 874_252_000 picoseconds.
		Weight::from_parts(915_275_000, 0)
			.saturating_add(Weight::from_parts(0, 52126))
			.saturating_add(Weight::from_parts(37_128_000, 0).saturating_mul(c.into()))
			.saturating_add(T::DbWeight::get().reads(58))
			.saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(c.into())))
			.saturating_add(T::DbWeight::get().writes(56))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(c.into())))
			.saturating_add(Weight::from_parts(0, 14805).saturating_mul(c.into()))
	}
}
