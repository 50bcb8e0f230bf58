// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_gpow`, generated from its FRAME v2 benchmarks by `scripts/bench/weights`; do not edit.
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
//! pallet_gpow
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
//! --output
//! pallets/gpow/src/weights.rs
//! --header
//! scripts/license-header.txt
//! --template
//! scripts/weight-template.hbs

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]

use frame_support::{traits::Get, weights::Weight};
use core::marker::PhantomData;

/// The weight of each call of `pallet_gpow`.
pub trait WeightInfo {
	/// Weight of `submit_work_report`.
	fn submit_work_report() -> Weight;
	/// Weight of `answer_challenge`.
	fn answer_challenge(k: u32, c: u32, ) -> Weight;
	/// Weight of `answer_delivery`.
	fn answer_delivery(k: u32, ) -> Weight;
	/// Weight of `submit_observations`.
	fn submit_observations(f: u32, p: u32, ) -> Weight;
	/// Weight of `refute_compute`.
	fn refute_compute(p: u32, ) -> Weight;
	/// Weight of `set_params`.
	fn set_params() -> Weight;
	/// Weight of `start_epoch`.
	fn start_epoch(n: u32, ) -> Weight;
	/// Weight of `expire_challenges`.
	fn expire_challenges(n: u32, ) -> Weight;
	/// Weight of `answer_storage_challenge`.
	fn answer_storage_challenge(s: u32, d: u32, ) -> Weight;
	/// Weight of `prune_old_epochs`.
	fn prune_old_epochs(n: u32, ) -> Weight;
}

/// Weights measured on the reference machine, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Gpow::Params` (r:1 w:0)
	/// Proof: `Gpow::Params` (`max_values`: Some(1), `max_size`: Some(42), added: 537, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::Nodes` (r:1 w:0)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1191), added: 3666, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::Reports` (r:1 w:1)
	/// Proof: `Gpow::Reports` (`max_values`: None, `max_size`: Some(226), added: 2701, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::Deadlines` (r:1 w:1)
	/// Proof: `Gpow::Deadlines` (`max_values`: None, `max_size`: Some(36014), added: 38489, mode: `MaxEncodedLen`)
	fn submit_work_report() -> Weight {
		// Proof size: measured `36479`, estimated `39479`.
		// Minimum execution time: 61_172_000 picoseconds.
		Weight::from_parts(83_373_000, 0)
			.saturating_add(Weight::from_parts(0, 39479))
			.saturating_add(T::DbWeight::get().reads(5))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	/// Storage: `Gpow::Reports` (r:1 w:1)
	/// Proof: `Gpow::Reports` (`max_values`: None, `max_size`: Some(226), added: 2701, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::Params` (r:1 w:0)
	/// Proof: `Gpow::Params` (`max_values`: Some(1), `max_size`: Some(42), added: 537, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::BlockSeeds` (r:1 w:0)
	/// Proof: `Gpow::BlockSeeds` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `System::BlockHash` (r:1 w:0)
	/// Proof: `System::BlockHash` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Clients` (r:2 w:0)
	/// Proof: `Settlement::Clients` (`max_values`: None, `max_size`: Some(89), added: 2564, mode: `MaxEncodedLen`)
	/// Storage: `Apps::Codes` (r:1 w:0)
	/// Proof: `Apps::Codes` (`max_values`: None, `max_size`: Some(57), added: 2532, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::Credits` (r:1 w:1)
	/// Proof: `Gpow::Credits` (`max_values`: None, `max_size`: Some(100), added: 2575, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Accruals` (r:1 w:1)
	/// Proof: `Settlement::Accruals` (`max_values`: None, `max_size`: Some(148), added: 2623, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Usage` (r:1 w:1)
	/// Proof: `Settlement::Usage` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::Deadlines` (r:1 w:1)
	/// Proof: `Gpow::Deadlines` (`max_values`: None, `max_size`: Some(36014), added: 38489, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::Nodes` (r:1 w:0)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1191), added: 3666, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::EpochSeeds` (r:1 w:0)
	/// Proof: `Gpow::EpochSeeds` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::EpochKeepers` (r:1 w:0)
	/// Proof: `Gpow::EpochKeepers` (`max_values`: None, `max_size`: Some(40974), added: 43449, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::Observations` (r:1 w:0)
	/// Proof: `Gpow::Observations` (`max_values`: None, `max_size`: Some(164), added: 2639, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::ComputeCredits` (r:0 w:1)
	/// Proof: `Gpow::ComputeCredits` (`max_values`: None, `max_size`: Some(2622), added: 5097, mode: `MaxEncodedLen`)
	/// The range of component `k` is `[1, 64]`.
	/// The range of component `c` is `[0, 64]`.
	fn answer_challenge(k: u32, c: u32, ) -> Weight {
		// Proof size: measured `37276`, estimated `44439`.
		// Minimum execution time: 6_662_452_000 picoseconds.
		Weight::from_parts(181_017_446, 0)
			.saturating_add(Weight::from_parts(0, 44439))
			.saturating_add(Weight::from_parts(103_655_538, 0).saturating_mul(k.into()))
			.saturating_add(Weight::from_parts(105_910_600, 0).saturating_mul(c.into()))
			.saturating_add(T::DbWeight::get().reads(15))
			.saturating_add(T::DbWeight::get().writes(6))
	}
	/// Storage: `Gpow::Reports` (r:1 w:1)
	/// Proof: `Gpow::Reports` (`max_values`: None, `max_size`: Some(226), added: 2701, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::Params` (r:1 w:0)
	/// Proof: `Gpow::Params` (`max_values`: Some(1), `max_size`: Some(42), added: 537, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::BlockSeeds` (r:1 w:0)
	/// Proof: `Gpow::BlockSeeds` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `System::BlockHash` (r:1 w:0)
	/// Proof: `System::BlockHash` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Clients` (r:1 w:0)
	/// Proof: `Settlement::Clients` (`max_values`: None, `max_size`: Some(89), added: 2564, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::Credits` (r:1 w:1)
	/// Proof: `Gpow::Credits` (`max_values`: None, `max_size`: Some(100), added: 2575, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Accruals` (r:1 w:1)
	/// Proof: `Settlement::Accruals` (`max_values`: None, `max_size`: Some(148), added: 2623, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Usage` (r:1 w:1)
	/// Proof: `Settlement::Usage` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::Deadlines` (r:1 w:1)
	/// Proof: `Gpow::Deadlines` (`max_values`: None, `max_size`: Some(36014), added: 38489, mode: `MaxEncodedLen`)
	/// The range of component `k` is `[1, 64]`.
	fn answer_delivery(k: u32, ) -> Weight {
		// Proof size: measured `36840`, estimated `39479`.
		// Minimum execution time: 203_618_000 picoseconds.
		Weight::from_parts(148_126_254, 0)
			.saturating_add(Weight::from_parts(0, 39479))
			.saturating_add(Weight::from_parts(103_947_118, 0).saturating_mul(k.into()))
			.saturating_add(T::DbWeight::get().reads(9))
			.saturating_add(T::DbWeight::get().writes(5))
	}
	/// Storage: `Gpow::Params` (r:1 w:0)
	/// Proof: `Gpow::Params` (`max_values`: Some(1), `max_size`: Some(42), added: 537, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::EpochSeeds` (r:1 w:0)
	/// Proof: `Gpow::EpochSeeds` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::EpochKeepers` (r:1 w:0)
	/// Proof: `Gpow::EpochKeepers` (`max_values`: None, `max_size`: Some(40974), added: 43449, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::NodeHistory` (r:512 w:0)
	/// Proof: `Gpow::NodeHistory` (`max_values`: None, `max_size`: Some(67), added: 2542, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::Nodes` (r:512 w:0)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1191), added: 3666, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::Observations` (r:4864 w:512)
	/// Proof: `Gpow::Observations` (`max_values`: None, `max_size`: Some(164), added: 2639, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::WorkScores` (r:512 w:512)
	/// Proof: `Gpow::WorkScores` (`max_values`: None, `max_size`: Some(68), added: 2543, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::KeeperOversight` (r:1002 w:1002)
	/// Proof: `Gpow::KeeperOversight` (`max_values`: None, `max_size`: Some(68), added: 2543, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::KeeperDeviations` (r:512 w:0)
	/// Proof: `Gpow::KeeperDeviations` (`max_values`: None, `max_size`: Some(108), added: 2583, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::TotalWorkScore` (r:1 w:1)
	/// Proof: `Gpow::TotalWorkScore` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	/// The range of component `f` is `[1, 256]`.
	/// The range of component `p` is `[0, 256]`.
	fn submit_observations(f: u32, p: u32, ) -> Weight {
		// Proof size: measured `41323`, estimated `870777`.
		// Minimum execution time: 24_140_817_000 picoseconds.
		Weight::from_parts(0, 0)
			.saturating_add(Weight::from_parts(0, 870777))
			.saturating_add(Weight::from_parts(129_637_075, 0).saturating_mul(f.into()))
			.saturating_add(Weight::from_parts(329_900_527, 0).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads(347))
			.saturating_add(T::DbWeight::get().reads((6_u64).saturating_mul(f.into())))
			.saturating_add(T::DbWeight::get().reads((23_u64).saturating_mul(p.into())))
			.saturating_add(T::DbWeight::get().writes(343))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(f.into())))
			.saturating_add(T::DbWeight::get().writes((4_u64).saturating_mul(p.into())))
			.saturating_add(Weight::from_parts(0, 5278).saturating_mul(f.into()))
			.saturating_add(Weight::from_parts(0, 44863).saturating_mul(p.into()))
	}
	/// Storage: `Gpow::Reports` (r:1 w:1)
	/// Proof: `Gpow::Reports` (`max_values`: None, `max_size`: Some(226), added: 2701, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::ComputeCredits` (r:1 w:1)
	/// Proof: `Gpow::ComputeCredits` (`max_values`: None, `max_size`: Some(2622), added: 5097, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Accruals` (r:64 w:64)
	/// Proof: `Settlement::Accruals` (`max_values`: None, `max_size`: Some(148), added: 2623, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Usage` (r:64 w:64)
	/// Proof: `Settlement::Usage` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::Nodes` (r:1 w:1)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1191), added: 3666, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::NodeHistory` (r:1 w:1)
	/// Proof: `Gpow::NodeHistory` (`max_values`: None, `max_size`: Some(67), added: 2542, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:3 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::CurrentEra` (r:1 w:0)
	/// Proof: `Gpos::CurrentEra` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::UnappliedSlashes` (r:1 w:1)
	/// Proof: `Gpos::UnappliedSlashes` (`max_values`: None, `max_size`: Some(46014), added: 48489, mode: `MaxEncodedLen`)
	/// The range of component `p` is `[1, 64]`.
	fn refute_compute(p: u32, ) -> Weight {
		// Proof size: measured `1020`, estimated `49479`.
		// Minimum execution time: 68_027_000 picoseconds.
		Weight::from_parts(80_866_733, 0)
			.saturating_add(Weight::from_parts(0, 49479))
			.saturating_add(Weight::from_parts(6_685_733, 0).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads(10))
			.saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(p.into())))
			.saturating_add(T::DbWeight::get().writes(5))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(p.into())))
			.saturating_add(Weight::from_parts(0, 2623).saturating_mul(p.into()))
	}
	/// Storage: `Gpow::Params` (r:0 w:1)
	/// Proof: `Gpow::Params` (`max_values`: Some(1), `max_size`: Some(42), added: 537, mode: `MaxEncodedLen`)
	fn set_params() -> Weight {
		// Proof size: measured `0`, estimated `0`.
		// Minimum execution time: 5_737_000 picoseconds.
		Weight::from_parts(11_023_000, 0)
			.saturating_add(Weight::from_parts(0, 0))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	/// Storage: `Gpos::CurrentEra` (r:1 w:0)
	/// Proof: `Gpos::CurrentEra` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::ErasTotalStake` (r:1 w:0)
	/// Proof: `Gpos::ErasTotalStake` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::ErasExposure` (r:1025 w:0)
	/// Proof: `Gpos::ErasExposure` (`max_values`: None, `max_size`: Some(12394), added: 14869, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::Candidates` (r:1024 w:0)
	/// Proof: `Gpos::Candidates` (`max_values`: None, `max_size`: Some(47), added: 2522, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::EpochKeepers` (r:0 w:2)
	/// Proof: `Gpow::EpochKeepers` (`max_values`: None, `max_size`: Some(40974), added: 43449, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:0 w:1)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::EpochSeeds` (r:0 w:1)
	/// Proof: `Gpow::EpochSeeds` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// The range of component `n` is `[0, 1024]`.
	fn start_epoch(n: u32, ) -> Weight {
		// Proof size: measured `346`, estimated `15859`.
		// Minimum execution time: 20_905_000 picoseconds.
		Weight::from_parts(0, 0)
			.saturating_add(Weight::from_parts(0, 15859))
			.saturating_add(Weight::from_parts(10_799_892, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(4))
			.saturating_add(Weight::from_parts(0, 14869).saturating_mul(n.into()))
	}
	/// Storage: `Gpow::ExpiryCursor` (r:1 w:1)
	/// Proof: `Gpow::ExpiryCursor` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::Deadlines` (r:1 w:1)
	/// Proof: `Gpow::Deadlines` (`max_values`: None, `max_size`: Some(36014), added: 38489, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::Reports` (r:500 w:500)
	/// Proof: `Gpow::Reports` (`max_values`: None, `max_size`: Some(226), added: 2701, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::Nodes` (r:500 w:500)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1191), added: 3666, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::NodeHistory` (r:500 w:500)
	/// Proof: `Gpow::NodeHistory` (`max_values`: None, `max_size`: Some(67), added: 2542, mode: `MaxEncodedLen`)
	/// Storage: `Parameters::Parameters` (r:3 w:0)
	/// Proof: `Parameters::Parameters` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::CurrentEra` (r:1 w:0)
	/// Proof: `Gpos::CurrentEra` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Gpos::UnappliedSlashes` (r:1 w:1)
	/// Proof: `Gpos::UnappliedSlashes` (`max_values`: None, `max_size`: Some(46014), added: 48489, mode: `MaxEncodedLen`)
	/// The range of component `n` is `[0, 500]`.
	fn expire_challenges(n: u32, ) -> Weight {
		// Proof size: measured `599`, estimated `49479`.
		// Minimum execution time: 8_805_000 picoseconds.
		Weight::from_parts(0, 0)
			.saturating_add(Weight::from_parts(0, 49479))
			.saturating_add(Weight::from_parts(58_342_637, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(8))
			.saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(3))
			.saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 3666).saturating_mul(n.into()))
	}
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::NodeHistory` (r:1 w:0)
	/// Proof: `Gpow::NodeHistory` (`max_values`: None, `max_size`: Some(67), added: 2542, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::Nodes` (r:1 w:0)
	/// Proof: `EdgeNodes::Nodes` (`max_values`: None, `max_size`: Some(1191), added: 3666, mode: `MaxEncodedLen`)
	/// Storage: `EdgeNodes::Pins` (r:1 w:0)
	/// Proof: `EdgeNodes::Pins` (`max_values`: None, `max_size`: Some(11314), added: 13789, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Contents` (r:1 w:0)
	/// Proof: `Settlement::Contents` (`max_values`: None, `max_size`: Some(372), added: 2847, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::EpochSeeds` (r:1 w:0)
	/// Proof: `Gpow::EpochSeeds` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::StorageProvers` (r:1 w:1)
	/// Proof: `Gpow::StorageProvers` (`max_values`: None, `max_size`: Some(2110), added: 4585, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::Params` (r:1 w:0)
	/// Proof: `Gpow::Params` (`max_values`: Some(1), `max_size`: Some(42), added: 537, mode: `MaxEncodedLen`)
	/// The range of component `s` is `[1, 16]`.
	/// The range of component `d` is `[1, 12]`.
	fn answer_storage_challenge(s: u32, d: u32, ) -> Weight {
		// Proof size: measured `14667`, estimated `14779`.
		// Minimum execution time: 152_998_000 picoseconds.
		Weight::from_parts(0, 0)
			.saturating_add(Weight::from_parts(0, 14779))
			.saturating_add(Weight::from_parts(23_261_500, 0).saturating_mul(s.into()))
			.saturating_add(Weight::from_parts(21_099_000, 0).saturating_mul(d.into()))
			.saturating_add(T::DbWeight::get().reads(8))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	/// Storage: `Gpow::PruneCursor` (r:1 w:1)
	/// Proof: `Gpow::PruneCursor` (`max_values`: Some(1), `max_size`: Some(264), added: 759, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::CurrentEpoch` (r:1 w:0)
	/// Proof: `Gpow::CurrentEpoch` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Gpow::Reports` (r:1000 w:1000)
	/// Proof: `Gpow::Reports` (`max_values`: None, `max_size`: Some(226), added: 2701, mode: `MaxEncodedLen`)
	/// The range of component `n` is `[0, 1000]`.
	fn prune_old_epochs(n: u32, ) -> Weight {
		// Proof size: measured `226`, estimated `1749`.
		// Minimum execution time: 12_595_000 picoseconds.
		Weight::from_parts(0, 0)
			.saturating_add(Weight::from_parts(0, 1749))
			.saturating_add(Weight::from_parts(1_427_705, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(1))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2701).saturating_mul(n.into()))
	}
}
