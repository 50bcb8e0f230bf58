//! A minimal runtime for the pallet's tests: System, Balances and the registry.

use crate as pallet_edge_nodes;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        EdgeNodes: pallet_edge_nodes,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
    type AccountStore = System;
    type RuntimeHoldReason = RuntimeHoldReason;
}

/// Deposit held per node.
pub const DEPOSIT: u64 = 100;
/// Blocks from `deregister` to `withdraw_deposit`.
pub const UNBONDING: u64 = 10;

parameter_types! {
    pub const RegistrationDeposit: u64 = DEPOSIT;
    pub const UnbondingPeriod: u64 = UNBONDING;
}

impl pallet_edge_nodes::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type RegistrationDeposit = RegistrationDeposit;
    type UnbondingPeriod = UnbondingPeriod;
    type MaxNodes = ConstU32<4>;
    type MaxNodesPerOperator = ConstU32<2>;
    type MaxEndpoints = ConstU32<4>;
    type MaxEndpointLen = ConstU32<128>;
    type MaxPinsPerNode = ConstU32<2>;
    type StatusOrigin = EnsureRoot<u64>;
    type OnChange = ();
    type WeightInfo = crate::weights::SubstrateWeight<Test>;
}

/// Accounts 1..=3 hold 1000 each; account 4 holds less than a deposit.
pub fn new_test_ext() -> sp_io::TestExternalities {
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .unwrap();
    pallet_balances::GenesisConfig::<Test> {
        balances: vec![(1, 1000), (2, 1000), (3, 1000), (4, DEPOSIT - 1)],
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}

/// [`new_test_ext`] with a keystore, which the benchmarks use to create node keys and sign with them.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
    let mut ext = new_test_ext();
    ext.register_extension(sp_keystore::KeystoreExt::new(
        sp_keystore::testing::MemoryKeystore::new(),
    ));
    ext
}
