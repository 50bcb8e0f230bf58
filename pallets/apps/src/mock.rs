//! A minimal runtime for the pallet's tests: System, Balances and the registry, with published code kept in
//! the test's own storage.

use crate as pallet_apps;
use enreach_primitives::ContentId;
use frame_support::{derive_impl, parameter_types, storage::unhashed, traits::ConstU32};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Apps: pallet_apps,
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

/// Deposit held per app.
pub const DEPOSIT: u64 = 100;
/// Ceilings of the limits.
pub const MAX_MEMORY_MIB: u32 = 256;
/// Most compute units per request.
pub const MAX_COMPUTE_UNITS: u64 = 1_000_000;
/// Longest request, ms.
pub const MAX_WALL_MS: u32 = 30_000;

parameter_types! {
    pub const AppDeposit: u64 = DEPOSIT;
    /// The GPoW epoch, set by the tests.
    pub static Epoch: u32 = 0;
}

/// Settlement's published contents, reduced to who owns which: stored under the content id in the test's
/// storage, so each test starts with none.
pub struct PublishedCode;

const CODE_PREFIX: &[u8] = b"mock/code/";

/// Publishes `code` as owned by `owner`.
pub fn publish(code: ContentId, owner: u64) {
    unhashed::put(&[CODE_PREFIX, &code.0].concat(), &owner);
}

impl crate::CodeOwner<u64> for PublishedCode {
    fn owner(code: &ContentId) -> Option<u64> {
        unhashed::get(&[CODE_PREFIX, &code.0].concat())
    }

    #[cfg(feature = "runtime-benchmarks")]
    fn publish_for_benchmark(code: &ContentId, owner: &u64) {
        publish(*code, *owner);
    }
}

impl pallet_apps::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Code = PublishedCode;
    type AppDeposit = AppDeposit;
    type MaxApps = ConstU32<5>;
    type MaxAppsPerAccount = ConstU32<3>;
    type MaxMemoryMib = ConstU32<MAX_MEMORY_MIB>;
    type MaxComputeUnits = frame_support::traits::ConstU64<MAX_COMPUTE_UNITS>;
    type MaxWallMs = ConstU32<MAX_WALL_MS>;
    type MaxRegions = ConstU32<4>;
    type MaxOrigins = ConstU32<3>;
    type CurrentEpoch = Epoch;
    type MaxCodeSweep = ConstU32<2>;
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
    Epoch::set(0);
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}
