// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_apps`, generated from its FRAME v2 benchmarks by `scripts/bench/weights`; do not edit.
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
//! pallet_apps
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
//! pallets/apps/src/weights.rs
//! --header
//! scripts/license-header.txt

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
	/// Storage: `Apps::Apps` (r:1 w:1)
	/// Proof: `Apps::Apps` (`max_values`: None, `max_size`: Some(2279), added: 4754, mode: `MaxEncodedLen`)
	/// Storage: `Apps::CounterForApps` (r:1 w:1)
	/// Proof: `Apps::CounterForApps` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Contents` (r:1 w:0)
	/// Proof: `Settlement::Contents` (`max_values`: None, `max_size`: Some(372), added: 2847, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:4 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `Apps::AppsOf` (r:1 w:1)
	/// Proof: `Apps::AppsOf` (`max_values`: None, `max_size`: Some(2162), added: 4637, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `Apps::Codes` (r:1 w:1)
	/// Proof: `Apps::Codes` (`max_values`: None, `max_size`: Some(57), added: 2532, mode: `MaxEncodedLen`)
	fn deploy() -> Weight {
		// Proof size: measured `3464`, estimated `11114`.
		// Minimum execution time: 158_680_000 picoseconds.
		Weight::from_parts(179_192_000, 0)
			.saturating_add(Weight::from_parts(0, 11114))
			.saturating_add(T::DbWeight::get().reads(11))
			.saturating_add(T::DbWeight::get().writes(6))
	}
	/// Storage: `Apps::Apps` (r:1 w:1)
	/// Proof: `Apps::Apps` (`max_values`: None, `max_size`: Some(2279), added: 4754, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Contents` (r:1 w:0)
	/// Proof: `Settlement::Contents` (`max_values`: None, `max_size`: Some(372), added: 2847, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:3 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `Apps::Codes` (r:2 w:2)
	/// Proof: `Apps::Codes` (`max_values`: None, `max_size`: Some(57), added: 2532, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	fn upgrade() -> Weight {
		// Proof size: measured `2778`, estimated `8583`.
		// Minimum execution time: 57_857_000 picoseconds.
		Weight::from_parts(82_104_000, 0)
			.saturating_add(Weight::from_parts(0, 8583))
			.saturating_add(T::DbWeight::get().reads(8))
			.saturating_add(T::DbWeight::get().writes(3))
	}
	/// Storage: `Apps::Apps` (r:1 w:1)
	/// Proof: `Apps::Apps` (`max_values`: None, `max_size`: Some(2279), added: 4754, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `Apps::CounterForApps` (r:1 w:1)
	/// Proof: `Apps::CounterForApps` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Apps::Codes` (r:1 w:1)
	/// Proof: `Apps::Codes` (`max_values`: None, `max_size`: Some(57), added: 2532, mode: `MaxEncodedLen`)
	/// Storage: `Apps::AppsOf` (r:1 w:1)
	/// Proof: `Apps::AppsOf` (`max_values`: None, `max_size`: Some(2162), added: 4637, mode: `MaxEncodedLen`)
	fn remove() -> Weight {
		// Proof size: measured `5563`, estimated `5744`.
		// Minimum execution time: 99_114_000 picoseconds.
		Weight::from_parts(132_435_000, 0)
			.saturating_add(Weight::from_parts(0, 5744))
			.saturating_add(T::DbWeight::get().reads(6))
			.saturating_add(T::DbWeight::get().writes(6))
	}
}
