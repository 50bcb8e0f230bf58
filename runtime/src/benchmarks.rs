//! The pallets `enreach-node benchmark pallet` can measure, and the imports their benchmark macros expect.

pub use super::*;
pub use frame_benchmarking::baseline::Pallet as BaselineBench;
pub use frame_system_benchmarking::{
    extensions::Pallet as SystemExtensionsBench, Pallet as SystemBench,
};

impl frame_system_benchmarking::Config for Runtime {}
impl frame_benchmarking::baseline::Config for Runtime {}
impl pallet_transaction_payment::BenchmarkConfig for Runtime {}

frame_benchmarking::define_benchmarks!(
    [frame_benchmarking, BaselineBench::<Runtime>]
    [frame_system, SystemBench::<Runtime>]
    [frame_system_extensions, SystemExtensionsBench::<Runtime>]
    [pallet_balances, Balances]
    [pallet_timestamp, Timestamp]
    [pallet_transaction_payment, TransactionPayment]
    [pallet_utility, Utility]
    [pallet_sudo, Sudo]
    [pallet_edge_nodes, EdgeNodes]
    [pallet_gpow, Gpow]
    [pallet_gpos, Gpos]
    [pallet_settlement, Settlement]
    [pallet_apps, Apps]
);
