// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_edge_nodes`, generated from its FRAME v2 benchmarks by `scripts/bench/weights`; do not edit.
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
//! pallet_edge_nodes
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
//! pallets/edge-nodes/src/weights.rs
//! --header
//! scripts/license-header.txt

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]

use frame_support::{traits::Get, weights::Weight};
use core::marker::PhantomData;

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
	/// Weight of `pin`.
	fn pin() -> Weight;
	/// Weight of `unpin`.
	fn unpin() -> Weight;
}

/// Weights measured on the reference machine, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `EdgeNodes::Nodes` (r:1 w:1)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1191), added: 3666, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::CounterForNodes` (r:1 w:1)
	/// Proof: `EdgeNodes::CounterForNodes` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `System::BlockHash` (r:1 w:0)
	/// Proof: `System::BlockHash` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::OperatorNodes` (r:1 w:1)
	/// Proof: `EdgeNodes::OperatorNodes` (`max_values`: None, `max_size`: Some(2098), added: 4573, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:1 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	fn register() -> Weight {
		// Proof size: measured `507`, estimated `5563`.
		// Minimum execution time: 122_428_000 picoseconds.
		Weight::from_parts(167_139_000, 0)
			.saturating_add(Weight::from_parts(0, 5563))
			.saturating_add(T::DbWeight::get().reads(8))
			.saturating_add(T::DbWeight::get().writes(5))
	}
	/// Storage: `EdgeNodes::Nodes` (r:1 w:1)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1191), added: 3666, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	fn update_capabilities() -> Weight {
		// Proof size: measured `1434`, estimated `4656`.
		// Minimum execution time: 26_336_000 picoseconds.
		Weight::from_parts(40_250_000, 0)
			.saturating_add(Weight::from_parts(0, 4656))
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	/// Storage: `EdgeNodes::Nodes` (r:1 w:1)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1191), added: 3666, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	fn deregister() -> Weight {
		// Proof size: measured `1434`, estimated `4656`.
		// Minimum execution time: 25_488_000 picoseconds.
		Weight::from_parts(38_576_000, 0)
			.saturating_add(Weight::from_parts(0, 4656))
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	/// Storage: `EdgeNodes::Nodes` (r:1 w:1)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1191), added: 3666, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::CounterForNodes` (r:1 w:1)
	/// Proof: `EdgeNodes::CounterForNodes` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::OperatorNodes` (r:1 w:1)
	/// Proof: `EdgeNodes::OperatorNodes` (`max_values`: None, `max_size`: Some(2098), added: 4573, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::Pins` (r:0 w:1)
	/// Proof: `EdgeNodes::Pins` (`max_values`: None, `max_size`: Some(11314), added: 13789, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::NodeHistory` (r:0 w:1)
	/// Proof: `Gpow::NodeHistory` (`max_values`: None, `max_size`: Some(67), added: 2542, mode: `MaxEncodedLen`)
	fn withdraw_deposit() -> Weight {
		// Proof size: measured `4381`, estimated `5563`.
		// Minimum execution time: 125_715_000 picoseconds.
		Weight::from_parts(156_613_000, 0)
			.saturating_add(Weight::from_parts(0, 5563))
			.saturating_add(T::DbWeight::get().reads(5))
			.saturating_add(T::DbWeight::get().writes(7))
	}
	/// Storage: `EdgeNodes::Nodes` (r:1 w:1)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1191), added: 3666, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	fn set_status() -> Weight {
		// Proof size: measured `1434`, estimated `4656`.
		// Minimum execution time: 22_664_000 picoseconds.
		Weight::from_parts(35_051_000, 0)
			.saturating_add(Weight::from_parts(0, 4656))
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	/// Storage: `EdgeNodes::Nodes` (r:1 w:0)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1191), added: 3666, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::Pins` (r:1 w:1)
	/// Proof: `EdgeNodes::Pins` (`max_values`: None, `max_size`: Some(11314), added: 13789, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	fn pin() -> Weight {
		// Proof size: measured `12729`, estimated `14779`.
		// Minimum execution time: 34_238_000 picoseconds.
		Weight::from_parts(51_243_000, 0)
			.saturating_add(Weight::from_parts(0, 14779))
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	/// Storage: `EdgeNodes::Nodes` (r:1 w:0)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1191), added: 3666, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::Pins` (r:1 w:1)
	/// Proof: `EdgeNodes::Pins` (`max_values`: None, `max_size`: Some(11314), added: 13789, mode: `MaxEncodedLen`)
	fn unpin() -> Weight {
		// Proof size: measured `12659`, estimated `14779`.
		// Minimum execution time: 30_150_000 picoseconds.
		Weight::from_parts(43_233_000, 0)
			.saturating_add(Weight::from_parts(0, 14779))
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(1))
	}
}
